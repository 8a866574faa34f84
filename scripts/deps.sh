#!/usr/bin/env bash
# Installs the Debian 12 packages gfi-milter needs to build and run (`deps.sh run`), or to build,
# run and test it (`deps.sh`, `deps.sh test`); installs only what is missing, so it is cheap to
# call every time. Must run as root.
set -euo pipefail

# What building and running gfi-milter needs (scripts/run: `deps.sh run`).
RUN_PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config
  # engine libraries
  libmimetic-dev libre2-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libsimdjson-dev
  libcli11-dev libfmt-dev libidn2-dev libpsl-dev publicsuffix libgumbo-dev libarchive-dev libmagic-dev
  # daemon
  libmilter-dev libspf2-dev
  # TAXII 2.1 pull (lib/feeds)
  libcurl4-openssl-dev
  # signed feeds (minisign signatures: Ed25519, BLAKE2b)
  libsodium-dev
  # Prometheus metrics ([metrics] listen): prometheus-cpp core + pull (civetweb exposer)
  prometheus-cpp-dev
  # the shared store of a fleet ([store] backend = "postgresql")
  libpq-dev
)
# What the tests and benchmarks add (scripts/test: `deps.sh` or `deps.sh test`): clang for the
# fuzzers and sanitizers, a private Postfix (with smtp-source/smtp-sink), miltertest, a DNS server
# for the SPF tests (dnsmasq-base: the binary without a system service), SQLite's shell, time
# zones for the date tests.
TEST_PACKAGES=(
  clang python3 libclang-rt-14-dev
  catch2 libvectorscan-dev libbenchmark-dev zip postfix miltertest dnsmasq-base sqlite3 tzdata
  # the TAXII test server's throwaway CA (tests/taxii)
  openssl
  # signs the feeds of the signed-feed tests
  minisign
  # the private Sendmail of tests/sendmail (sendmail-bin itself is unpacked by the test, as it
  # conflicts with postfix): m4 builds its config, and the libraries it links
  m4 libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libwrap0 libssl3
  # renders the HTML report in the report tests (headless) and for docs/report.png
  chromium
  # the private PostgreSQL cluster of tests/pg (initdb, pg_ctl from Debian's postgresql)
  postgresql
)
# What building the Debian package adds (scripts/package: `deps.sh package`; scripts/test builds
# and checks the package too). debian/control's Build-Depends must list RUN_PACKAGES' libraries
# (the package test checks it).
PACKAGE_PACKAGES=(debhelper dpkg-dev lintian adduser)
case "${1:-test}" in
  run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
  package) PACKAGES=("${RUN_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}") ;;
  test) PACKAGES=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}") ;;
  *) echo "usage: scripts/deps.sh [run|package|test]" >&2; exit 2 ;;
esac

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
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/deps.sh: run as root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks what kind of mail system this is; the tests run their own private instances.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
