#!/usr/bin/env bash
# Parse/decode/hash throughput of gfi's engine against Python's email package, same corpus, same
# run. Usage: bench/run_parse_bench.sh [BUILD_DIR] [SECONDS]. Builds nothing: run scripts/build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
SECS=${2:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 bench/make_corpus.py "$WORK/text" text 400
python3 bench/make_corpus.py "$WORK/attachments" attachments 60
echo "# $(date -u +%F) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BUILD_DIR/bench/parse_bench" --base64
for mix in text attachments; do
  echo
  echo "## $mix-heavy corpus"
  "$BUILD_DIR/bench/parse_bench" "$WORK/$mix" "$SECS"
  python3 bench/python_parse.py "$WORK/$mix" "$SECS"
done
