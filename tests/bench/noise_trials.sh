#!/usr/bin/env bash
# The measurements behind docs/compare.md's "Measured on a 2-vCPU VM" table (not a ctest: it takes
# minutes and its figures depend on the machine). Per trial, on two null-engine cells (with the
# --null-work test knob) and one kv cell: false positives (cells judged a regression or an
# improvement when both sides are the same) and detections (null cells judged a regression when
# side B does +10% work) of plain compare (5 vs 5 repetitions), paired A/B (10 pairs, up to 30 for
# inconclusive cells) and instruction mode. Prints one line per trial and mode. Run it idle and
# under `stress-ng --cpu 2`.
# Usage: tests/bench/noise_trials.sh SOURCE_DIR STATELAB_BENCH STATELAB_COMPARE WORK_DIR TRIALS LABEL
set -uo pipefail
src=$1 bench=$2 compare=$3 work=$4 trials=$5 label=$6
export STATELAB_COMPARE_BIN=$compare
cells=(--engines null,btree --min-time 0.02
       --filter 'A1/engine/(get|put)_direct/null|B/kv/get/btree/inmemory')
base=1000 plus=1120  # --null-work on side A and on the +10% side B (see docs/compare.md)

# verdicts JSON_FILE: "<false positives> <null-cell regressions>" from a compare or paired JSON.
verdicts() {
  python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
changed = [r["name"] for r in d["rows"] if r["verdict"] in ("regression", "improvement")]
print(len(changed), sum(1 for n in changed if "/null/" in n))
EOF
}
bench_run() {  # bench_run OUT [flags]
  local out=$1
  shift
  "$bench" "${cells[@]}" "$@" --out "$out" >"$out.log" 2>&1
}
report() {  # report MODE SAME_JSON PLUS_JSON
  read -r fp _ <<<"$(verdicts "$2")"
  read -r _ det <<<"$(verdicts "$3")"
  echo "$label trial $t $1: false positives $fp/3 cells, detected +10% $det/2 null cells"
}

rm -rf "$work"
mkdir -p "$work"
for ((t = 1; t <= trials; t++)); do
  w="$work/t$t"
  mkdir -p "$w"
  bench_run "$w/plain_a" --repetitions 5 --null-work $base
  bench_run "$w/plain_a2" --repetitions 5 --null-work $base
  bench_run "$w/plain_b" --repetitions 5 --null-work $plus
  "$compare" "$w/plain_a/baseline.json" "$w/plain_a2/baseline.json" --json >"$w/plain_same.json"
  "$compare" "$w/plain_a/baseline.json" "$w/plain_b/baseline.json" --json >"$w/plain_plus.json"
  report plain "$w/plain_same.json" "$w/plain_plus.json"

  for kind in same plus; do
    b=$base
    [[ $kind == plus ]] && b=$plus
    "$src/scripts/compare_baseline.sh" --ab "$bench" "$bench" --seed "$t" --out "$w/ab_$kind" \
      --a-args "--null-work $base" --b-args "--null-work $b" "${cells[@]}" >/dev/null 2>&1
  done
  report ab "$w/ab_same/paired.json" "$w/ab_plus/paired.json"

  bench_run "$w/instr_a" --metric instructions --null-work $base
  bench_run "$w/instr_a2" --metric instructions --null-work $base
  bench_run "$w/instr_b" --metric instructions --null-work $plus
  "$compare" --metric instructions "$w/instr_a/baseline.json" "$w/instr_a2/baseline.json" --json \
    >"$w/instr_same.json"
  "$compare" --metric instructions "$w/instr_a/baseline.json" "$w/instr_b/baseline.json" --json \
    >"$w/instr_plus.json"
  report instructions "$w/instr_same.json" "$w/instr_plus.json"
done
