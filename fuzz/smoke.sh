#!/usr/bin/env bash
# Runs every fuzz target for a few seconds on its seed corpus: a CI smoke test that fails on any
# crash, sanitizer report, leak or timeout. Usage: fuzz/smoke.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build-fuzz}
SECONDS_EACH=${2:-20}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0
for target in mime_fuzz url_fuzz html_fuzz archive_fuzz stix_fuzz stix_marking_fuzz feed_fuzz \
              blind_fuzz milter_fuzz; do
  corpus="$WORK/$target"
  mkdir -p "$corpus"
  # Seeds: the golden corpus messages serve every target.
  cp tests/corpus/*.eml "$corpus"/ 2>/dev/null || true
  if [ -d "fuzz/seeds/$target" ]; then cp "fuzz/seeds/$target"/* "$corpus"/; fi
  echo "-- $target (${SECONDS_EACH}s)"
  if ! "$BUILD_DIR/fuzz/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$WORK/" "$corpus" \
      >"$WORK/$target.log" 2>&1; then
    echo "FAIL: $target"; tail -40 "$WORK/$target.log"; status=1
    mkdir -p fuzz-artifacts && cp "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* fuzz-artifacts/ \
      2>/dev/null || true
  else
    grep -E "stat::number_of_executed_units|Done" "$WORK/$target.log" | tail -2
  fi
done
exit $status
