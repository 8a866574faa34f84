#!/usr/bin/env bash
# Checks the Debian package scripts/package built: its contents and metadata, lintian, and then,
# on a host without gfi-milter, the real thing: apt install, the user, groups and modes the
# maintainer scripts make, `gfi-milter --check` as the installed user, the privilege separation
# probed as the MTA's user (socket yes, feeds, status, quarantine, secrets no), an edited conffile
# kept across a reinstall, and purge removing everything again. The host is left as it was: a
# host that already has a gfi-milter (package, user or /etc/gfi-milter) gets the static checks only.
# Usage: tests/package/package_test.sh [DEB_DIR]   (as root; default build/deb)
set -u
cd "$(dirname "$0")/../.."
deb_dir=${1:-build/deb}
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; fail=1; }

version=$(sed -n 's/^project(gfi-milter VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
deb="$(realpath -m "$deb_dir")/gfi-milter_${version}_${arch}.deb"
dbg="$deb_dir/gfi-milter-dbgsym_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "FAIL: no $deb (run scripts/package)"; exit 1; }
[ -f "$dbg" ] && ok "the -dbgsym package is built" || bad "no $dbg"
clog=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "$clog" = "$version" ] && ok "debian/changelog's version is CMake's ($version)" \
  || bad "debian/changelog says $clog, CMakeLists.txt $version"

# --- contents and metadata
contents=$(dpkg-deb -c "$deb" | awk '{print $1, $2, $6}')
for f in ./usr/sbin/gfi-milter ./usr/bin/gfictl ./usr/share/man/man8/gfi-milter.8.gz \
         ./usr/share/man/man1/gfictl.1.gz ./usr/share/man/man5/gfi-milter.toml.5.gz \
         ./etc/gfi-milter/gfi-milter.toml ./lib/systemd/system/gfi-milter.service \
         ./usr/lib/tmpfiles.d/gfi-milter.conf ./usr/share/bash-completion/completions/gfictl \
         ./usr/share/doc/gfi-milter/copyright ./usr/share/doc/gfi-milter/examples/indicators/sample.csv; do
  grep -q " $f\$" <<<"$contents" && ok "contains $f" || bad "missing $f"
done
grep -q ' ./etc/gfi-milter/indicators/$' <<<"$contents" && ok "contains /etc/gfi-milter/indicators/" \
  || bad "missing /etc/gfi-milter/indicators/"
if dpkg-deb -c "$deb" | grep -E '/(build|tests|bench|fuzz)/' >/dev/null; then
  bad "the package holds build, test or bench files"
fi
conffiles=$(dpkg-deb -I "$deb" conffiles 2>/dev/null)
[ "$conffiles" = "/etc/gfi-milter/gfi-milter.toml" ] && ok "the configuration is the one conffile" \
  || bad "conffiles" "$conffiles"
# Every library deps.sh installs for building is a Build-Depends (a clean builder has only those).
build_deps=$(sed -n '/^Build-Depends:/,/^Standards-Version:/p' debian/control)
for p in $(bash -c 'source <(sed -n "/^RUN_PACKAGES=(/,/^)/p" scripts/deps.sh); echo "${RUN_PACKAGES[@]}"'); do
  case "$p" in g++|cmake|ninja-build|pkg-config) continue ;; esac
  grep -qw -- "$p" <<<"$build_deps" || bad "debian/control's Build-Depends lacks $p (scripts/deps.sh has it)"
done
ok "Build-Depends checked against scripts/deps.sh"
# --- lintian (scripts/package ran it too; here the verdict is the test's)
if lintian --fail-on error "$deb" > /tmp/gfi-lintian.$$ 2>&1; then
  ok "lintian: no error ($(grep -c '^W:' /tmp/gfi-lintian.$$) warning(s))"
else
  bad "lintian found errors" "$(grep '^E:' /tmp/gfi-lintian.$$)"
fi
rm -f /tmp/gfi-lintian.$$

# --- installed, on a host without gfi-milter only
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the install checks need root"; exit $fail; fi
if dpkg-query -W -f='${Status}' gfi-milter 2>/dev/null | grep -q installed || [ -e /etc/gfi-milter ] ||
   getent passwd gfi-milter >/dev/null || getent group gfi-milter-mta >/dev/null; then
  echo "SKIP: this host already has a gfi-milter (package, user, group or /etc/gfi-milter); the" \
    "install checks run on a host without one"
  exit $fail
fi
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && sleep 0.5
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq gfi-milter >/dev/null 2>&1
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -qq --no-install-recommends "$deb" > /tmp/gfi-apt.$$ 2>&1; then
  ok "apt install $deb"
else
  bad "apt install" "$(tail -20 /tmp/gfi-apt.$$)"; rm -f /tmp/gfi-apt.$$; exit 1
fi
rm -f /tmp/gfi-apt.$$
getent passwd gfi-milter | grep -q ':/var/lib/gfi-milter:/usr/sbin/nologin$' \
  && ok "system user gfi-milter (home /var/lib/gfi-milter, no shell)" || bad "user gfi-milter" "$(getent passwd gfi-milter)"
id -nG gfi-milter | grep -qw gfi-milter-mta && ok "gfi-milter is a member of gfi-milter-mta" \
  || bad "gfi-milter not in gfi-milter-mta" "$(id -nG gfi-milter)"
if getent passwd postfix >/dev/null; then
  groups=$(id -nG postfix)
  grep -qw gfi-milter-mta <<<"$groups" && ! grep -qw 'gfi-milter' <<<"${groups//gfi-milter-mta/}" \
    && ok "postfix is in gfi-milter-mta and not in gfi-milter" || bad "postfix's groups" "$groups"
fi
check_mode() {  # PATH OWNER:GROUP MODE
  got=$(stat -c '%U:%G %a' "$1" 2>/dev/null)
  [ "$got" = "$2 $3" ] && ok "$1 is $2 $3" || bad "$1" "expected '$2 $3', got '$got'"
}
check_mode /etc/gfi-milter/gfi-milter.toml root:root 644
check_mode /etc/gfi-milter/indicators root:gfi-milter 750
check_mode /etc/gfi-milter/keys root:gfi-milter 750
check_mode /etc/gfi-milter/secrets root:gfi-milter 750
check_mode /var/lib/gfi-milter gfi-milter:gfi-milter 750
check_mode /run/gfi-milter gfi-milter:gfi-milter-mta 751
[ -L /etc/systemd/system/multi-user.target.wants/gfi-milter.service ] \
  && ok "the unit is enabled (multi-user.target)" || bad "the unit is not enabled"

# The admin's feeds, then the check as the installed user.
install -m 0640 -o root -g gfi-milter /usr/share/doc/gfi-milter/examples/indicators/* /etc/gfi-milter/indicators/
echo "not a real password" > /etc/gfi-milter/secrets/taxii.password
chown root:gfi-milter /etc/gfi-milter/secrets/taxii.password; chmod 0640 /etc/gfi-milter/secrets/taxii.password
if out=$(runuser -u gfi-milter -- gfi-milter --check 2>&1); then
  ok "gfi-milter --check as gfi-milter: $(tail -1 <<<"$out")"
else
  bad "gfi-milter --check as gfi-milter" "$out"
fi
# The installed daemon (started as root, as without systemd: it drops to gfi-milter).
if out=$(gfi-milter --config /etc/gfi-milter/gfi-milter.toml 2>&1); then
  daemon_pid=$(cat /run/gfi-milter/gfi-milter.pid 2>/dev/null)
  ok "the installed daemon starts (pid $daemon_pid)"
else
  bad "the installed daemon does not start" "$out"
fi
for _ in $(seq 1 50); do [ -s /run/gfi-milter/status.json ] && break; sleep 0.1; done
check_mode /run/gfi-milter/milter.sock gfi-milter:gfi-milter-mta 660
check_mode /run/gfi-milter/status.json gfi-milter:gfi-milter 640
if getent passwd postfix >/dev/null; then
  if runuser -u postfix -- /usr/bin/python3 -c \
       'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
       /run/gfi-milter/milter.sock 2>/dev/null; then
    ok "postfix connects to the socket"
  else
    bad "postfix cannot connect to the socket"
  fi
  for f in /etc/gfi-milter/indicators/sample.csv /etc/gfi-milter/secrets/taxii.password \
           /run/gfi-milter/status.json; do
    runuser -u postfix -- cat "$f" >/dev/null 2>&1 && bad "postfix reads $f" || ok "postfix cannot read $f"
  done
  for d in /var/lib/gfi-milter /etc/gfi-milter/indicators /etc/gfi-milter/keys; do
    runuser -u postfix -- ls "$d" >/dev/null 2>&1 && bad "postfix lists $d" || ok "postfix cannot list $d"
  done
fi
# An admin (a member of gfi-milter, not root) reads the status.
gid=$(getent group gfi-milter | cut -d: -f3)
if out=$(setpriv --reuid 64998 --regid "$gid" --clear-groups -- gfictl status 2>&1); then
  ok "an admin of group gfi-milter runs gfictl status without root"
else
  bad "gfictl status as a member of gfi-milter" "$out"
fi
[ -n "$daemon_pid" ] && kill "$daemon_pid" && sleep 1; daemon_pid=""

# An admin's edit survives a reinstall (and an upgrade: the same conffile logic).
echo "# edited by the admin" >> /etc/gfi-milter/gfi-milter.toml
apt-get install -y -qq --reinstall "$deb" >/dev/null 2>&1 || bad "reinstall failed"
grep -q "^# edited by the admin" /etc/gfi-milter/gfi-milter.toml && ok "reinstall keeps the edited conffile" \
  || bad "reinstall lost the admin's edit"

# Purge removes it all.
apt-get purge -y -qq gfi-milter >/dev/null 2>&1 || bad "apt purge failed"
for p in /usr/sbin/gfi-milter /usr/bin/gfictl /etc/gfi-milter /var/lib/gfi-milter /run/gfi-milter \
         /lib/systemd/system/gfi-milter.service /etc/systemd/system/multi-user.target.wants/gfi-milter.service; do
  [ -e "$p" ] && bad "purge left $p" || ok "purge removed $p"
done
getent passwd gfi-milter >/dev/null && bad "purge left the user gfi-milter" || ok "purge removed the user"
getent group gfi-milter-mta >/dev/null && bad "purge left the group gfi-milter-mta" || ok "purge removed the groups"
trap - EXIT
exit $fail
