#!/usr/bin/env bash
# --metric instructions end to end (under callgrind here, where perf_event is refused): two runs of
# one binary agree within 0.5% per cell, and +10% work from the null engine's test knob
# (--null-work) is a regression for statelab-compare --metric instructions at its 1% threshold.
# Usage: tests/bench/instructions_test.sh STATELAB_BENCH STATELAB_COMPARE WORK_DIR
set -euo pipefail
bench=$1 compare=$2 work=$3
fail() { echo "instructions_test: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cells=(--engines null --filter 'A1/engine/(get_direct|put_direct)/null' --instruction-ops 2000)
count() {  # count NAME [bench flags]: a --metric instructions run into $work/NAME
  local name=$1
  shift
  "$bench" --metric instructions "${cells[@]}" "$@" --out "$work/$name" >"$work/$name.log" 2>&1 ||
    { cat "$work/$name.log"; fail "the $name run failed"; }
}
# instructions/op of cell A1/engine/get_direct/... in run NAME.
per_op() {
  python3 -c '
import json, sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if "/get_direct/" in b["name"]:
        print(b["counters"]["instructions_per_op"])' "$work/$1/baseline.json"
}

count base
count again
"$compare" --metric instructions --threshold 0.5 "$work/base/baseline.json" \
  "$work/again/baseline.json" >"$work/again.md" ||
  { cat "$work/again.md"; fail "two runs of one binary differ by more than 0.5%"; }
grep -q "2 cells compared" "$work/again.md" || { cat "$work/again.md"; fail "cells not compared"; }

# The knob's cost per iteration, then the setting that adds 10% to get_direct.
count w100 --null-work 100
read -r w10 pct <<<"$(python3 -c '
import math, sys
base, w100 = float(sys.argv[1]), float(sys.argv[2])
per_iter = (w100 - base) / 100
w = math.ceil(0.10 * base / per_iter)
print(w, 100 * w * per_iter / base)' "$(per_op base)" "$(per_op w100)")"
echo "instructions_test: base $(per_op base), again $(per_op again), --null-work $w10 adds $pct%"
count w10 --null-work "$w10"
set +e
"$compare" --metric instructions "$work/base/baseline.json" "$work/w10/baseline.json" \
  >"$work/w10.md"
rc=$?
set -e
[[ $rc -eq 1 ]] || { cat "$work/w10.md"; fail "+10% work: exit $rc, expected 1 (regression)"; }
grep -q "get_direct.*regression" "$work/w10.md" || { cat "$work/w10.md"; fail "no regression row"; }
echo "instructions_test: ok"
