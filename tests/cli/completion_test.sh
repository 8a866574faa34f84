#!/usr/bin/env bash
# packaging/bash-completion/gfictl: completes the subcommands, and every flag it offers is one the
# subcommand accepts (its --help lists it), so the completion cannot drift from the CLI unnoticed.
# Usage: completion_test.sh GFICTL SOURCE_DIR
set -u
GFICTL=$1
COMPLETION=$2/packaging/bash-completion/gfictl
fail=0
complete_words() {  # complete_words WORD... (the last one is being completed)
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gfictl
           printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" gfictl "$@"
}
expect() {  # expect DESCRIPTION WANTED_WORD WORD...
  local desc=$1 want=$2; shift 2
  if complete_words "$@" | grep -qx -- "$want"; then echo "ok: $desc"; else
    echo "FAIL: $desc: '$want' not offered for: $*"; complete_words "$@" | sed 's/^/    /'; fail=1; fi
}
expect "top-level subcommands" reload ""
expect "quarantine subcommands" check quarantine ""
expect "config subcommands" show config ""
expect "feeds subcommands" sync feeds ""
expect "feeds status flags" --json feeds status -
expect "quarantine purge flags" --dry-run quarantine purge --
expect "reload flags" --wait reload ""
expect "--status values" missing quarantine list --status ""
expect "indicators subcommands" blind indicators ""
expect "indicators blind flags" --skip-unblindable indicators blind --
expect "indicators accept" accept indicators ""
expect "report formats" stix report --format ""
expect "report flags" --min-count report --
for path in "inspect" "scan" "indicators check" "indicators lookup" "indicators keygen" \
            "indicators blind" "indicators accept" "quarantine list" \
            "quarantine show" "quarantine release" "quarantine delete" "quarantine purge" \
            "quarantine check" "status" "reload" "config check" "config show" "feeds sync" "feeds status" "report"; do
  # shellcheck disable=SC2086
  help=$("$GFICTL" $path --help 2>&1)
  # shellcheck disable=SC2086
  for flag in $(complete_words $path -); do
    [ "$flag" = --help ] && continue
    if ! grep -qE -- "(^|[ ,])$flag([ ,=]|$)" <<<"$help"; then
      echo "FAIL: completion offers $flag for '$path', which its --help does not list"; fail=1
    fi
  done
done
[ $fail = 0 ] && echo "ok: every completed flag exists"
exit $fail
