#!/usr/bin/env python3
"""Golden corpus: each NAME.eml here is run through `gfictl inspect --json` (plus the arguments in
NAME.args, if present) and the result must equal NAME.json, as Postfix's .in/.ref tests do.

  run_corpus.py --gfictl PATH            compare; exit 1 on any difference (a unified diff is shown)
  run_corpus.py --gfictl PATH --update   rewrite the .json files (review the diff before committing)
"""
import argparse
import difflib
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gfictl", required=True)
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    gfictl = os.path.abspath(args.gfictl)
    names = sorted(n[:-4] for n in os.listdir(HERE) if n.endswith(".eml"))
    failed = 0
    for name in names:
        extra = []
        if os.path.exists(os.path.join(HERE, name + ".args")):
            with open(os.path.join(HERE, name + ".args")) as f:
                extra = shlex.split(f.read())
        out = subprocess.run([gfictl, "inspect", "--json", *extra, name + ".eml"], cwd=HERE,
                             capture_output=True, check=False)
        if out.returncode != 0:
            print(f"FAIL {name}: gfictl exited {out.returncode}: {out.stderr.decode()}")
            failed += 1
            continue
        got = json.dumps(json.loads(out.stdout), indent=2, ensure_ascii=False) + "\n"
        ref_path = os.path.join(HERE, name + ".json")
        if args.update:
            with open(ref_path, "w", encoding="utf-8") as f:
                f.write(got)
            continue
        try:
            with open(ref_path, encoding="utf-8") as f:
                want = f.read()
        except FileNotFoundError:
            print(f"FAIL {name}: no {name}.json (run with --update and review it)")
            failed += 1
            continue
        if json.loads(want) != json.loads(got):
            failed += 1
            print(f"FAIL {name}")
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True), name + ".json", "gfictl"))
    if not args.update:
        print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
