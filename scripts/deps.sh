#!/usr/bin/env bash
# Installs the Debian 12 packages gfi-milter needs to build, test and run; installs only what is
# missing, so it is cheap to call every time. Must run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ clang cmake ninja-build pkg-config python3 libclang-rt-14-dev
  # engine libraries
  libmimetic-dev libre2-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libsimdjson-dev
  libcli11-dev libfmt-dev libidn2-dev libpsl-dev libgumbo-dev libarchive-dev libmagic-dev
  # daemon
  libmilter-dev libspf2-dev
  # tests and benchmarks: a private Postfix (with smtp-source/smtp-sink), miltertest, a DNS server
  # for the SPF tests (dnsmasq-base: the binary without a system service), SQLite's shell
  catch2 libvectorscan-dev libbenchmark-dev zip postfix miltertest dnsmasq-base sqlite3 tzdata
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "scripts/deps.sh: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks what kind of mail system this is; the tests run their own private instances.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
