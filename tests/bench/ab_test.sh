#!/usr/bin/env bash
# The paired A/B runner (scripts/compare_baseline.sh --ab) on one binary, the null engine's test
# knob (--null-work) set differently on one side: 10 pairs of baseline.json, alternating sides;
# +10% work on side B is a regression, 2x work too, half the work an improvement (the runner adds
# pairs, up to 30, while a cell is inconclusive). How often an unchanged binary is called changed,
# idle and under a CPU hog, is measured (tests/bench/noise_trials.sh, the table in
# docs/compare.md). Two builds would take minutes: the build step is the same code for any
# revision, the pairing and the verdict are what this checks.
# Usage: tests/bench/ab_test.sh SOURCE_DIR STATELAB_BENCH STATELAB_COMPARE WORK_DIR
set -euo pipefail
src=$1 bench=$2 compare=$3 work=$4
fail() { echo "ab_test: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
export STATELAB_COMPARE_BIN=$compare
cell=(--engines null --filter 'A1/engine/get_direct/null' --min-time 0.05)

ab() {  # ab NAME A_WORK B_WORK: exit code of the A/B, report in $work/NAME/paired.md
  local name=$1 rc=0
  "$src/scripts/compare_baseline.sh" --ab "$bench" "$bench" --out "$work/$name" \
    --a-args "--null-work $2" --b-args "--null-work $3" "${cell[@]}" >"$work/$name.out" 2>&1 ||
    rc=$?
  echo "$rc"
}
verdict() { grep 'get_direct' "$work/$1/paired.md" | tail -n 1; }

# 1105 iterations of the knob's chain add 10.2% to this cell's instructions (126 + ~5.04 per
# iteration; docs/compare.md, "The --null-work test knob").
# Noise can leave +10% inconclusive after 30 pairs (1 of 11 runs here); that earns one more A/B.
# Any verdict but regression or inconclusive fails at once.
rc=$(ab plus10 1000 1105)
if [[ $rc -eq 0 ]] && grep -q "| inconclusive |" "$work/plus10/paired.md"; then
  echo "ab_test: +10% inconclusive: $(verdict plus10); once more"
  rm -rf "$work/plus10"
  rc=$(ab plus10 1000 1105)
fi
[[ $rc -eq 1 ]] || { cat "$work/plus10.out" "$work/plus10/paired.md"; fail "+10% work: exit $rc"; }

rc=$(ab twice 1000 2000)
[[ $rc -eq 1 ]] || { cat "$work/twice.out"; fail "2x work: exit $rc, expected 1"; }
grep -q "| regression |" "$work/twice/paired.md" || { cat "$work/twice/paired.md"; fail "2x"; }
[[ $(ls -d "$work/twice/a/pair_"*/ | wc -l) -eq 10 && -f "$work/twice/b/pair_10/baseline.json" ]] ||
  fail "expected 10 pairs of baseline.json"
grep -q "pair 1/10: [AB] then [AB]" "$work/twice.out" || { cat "$work/twice.out"; fail "no pair order"; }

rc=$(ab half 2000 1000)
[[ $rc -eq 0 ]] || { cat "$work/half.out"; fail "half the work: exit $rc, expected 0"; }
grep -q "| improvement |" "$work/half/paired.md" || { cat "$work/half/paired.md"; fail "half"; }
for n in plus10 twice half; do echo "ab_test: $n: $(verdict "$n")"; done
echo "ab_test: ok"
