#!/usr/bin/env bash
# The drawing of the house, checked: each folder of lib/ may include only the folders below it in
# the data flow (README, Layout). A message flows util/global -> mime -> extract -> (indicators,
# match) -> snapshot -> policy, spf, quarantine -> engine -> hits -> report, and engine -> metrics,
# feeds; milter/ and cli/ sit on top.
# Fails naming every include that runs against it.
set -u
lib="$(cd "$(dirname "$0")/../lib" && pwd)"
declare -A allowed=(
  [util]="util"
  [global]="global util"
  [config]="config global util"
  [mime]="mime global util"
  [extract]="extract mime global util"
  [indicators]="indicators extract global util"
  [match]="match extract global util"
  [snapshot]="snapshot indicators match extract global util"
  [policy]="policy snapshot indicators extract config global util"
  [spf]="spf config global util"
  [quarantine]="quarantine extract config global util"
  [engine]="engine policy spf quarantine snapshot indicators match extract mime config global util"
  [hits]="hits engine policy spf quarantine snapshot indicators match extract mime config global util"
  [report]="report hits config global util"
  [metrics]="metrics engine policy spf quarantine snapshot indicators match extract mime config global util"
  [feeds]="feeds engine indicators config global util"
)
bad=0
for dir in "$lib"/*/; do
  folder="$(basename "$dir")"
  if [ -z "${allowed[$folder]+x}" ]; then
    echo "layering: lib/$folder/ has no place in the drawing (add it to $0)"
    bad=1
    continue
  fi
  while IFS=: read -r file line text; do
    target="$(sed -E 's|.*#include "([^/"]+)/.*|\1|' <<<"$text")"
    case " ${allowed[$folder]} " in
      *" $target "*) ;;
      *) echo "layering: ${file#"$lib"/}:$line includes $target/ (lib/$folder/ may include: ${allowed[$folder]})"; bad=1 ;;
    esac
  done < <(grep -Hn '^#include "[^/"]*/' "$dir"*.h "$dir"*.cc 2>/dev/null)
done
[ "$bad" = 0 ] && echo "layering: every include in lib/ follows the data flow"
exit "$bad"
