#!/usr/bin/env bash
# Compares two baseline.json files benchmark by benchmark, or runs a paired A/B comparison.
#
# Usage: scripts/compare_baseline.sh OLD.json NEW.json [--threshold PCT (default 10)]
#          [--alpha A (default 0.05)] [--allow-cross-machine] [--metric time|instructions]
#          [--out DIR] [--json]
#        scripts/compare_baseline.sh --ab REV_A REV_B [--pairs N (default 10)]
#          [--max-pairs M (default 30)] [--threshold PCT (default 5)] [--seed N] [--out DIR]
#          [--a-args "FLAGS"] [--b-args "FLAGS"] [statelab-bench options, e.g. --filter RE --min-time S]
# Two files: one row per benchmark: old and new median ns/op, change %, two-sided Mann-Whitney U
# p-value over the repetitions, verdict (regression / improvement / unchanged / new / removed). A
# regression needs |change| > PCT and p < A. --metric instructions compares instructions per op
# (statelab-bench --metric instructions) against PCT alone (default 1).
# --ab (the mode for CI): builds statelab-bench of both revisions (REV: a git revision, built in a
# worktree under build/ab/ with the release preset and the shared ccache; WORKTREE: this tree's
# build; or the path of a statelab-bench binary), then runs the selected cells N times per side,
# one repetition each, alternating A B / B A in a random order per pair (seeded by --seed), into
# DIR/a/pair_<i>/ and DIR/b/pair_<i>/ (default DIR: build/ab/run_<time>). The verdict per cell
# comes from the ratios B/A of its pairs: an exact interval of their median at a confidence that
# keeps the chance of any false verdict over all cells and looks below 5%; a regression only when
# it lies wholly above 1 + PCT/100, unchanged only when wholly within 1 +- PCT/100. Cells still
# inconclusive after N pairs get up to N more pairs (those cells only), again, until decided or M
# pairs. --a-args / --b-args add bench flags to one side.
# Exit codes: 0 no regression, 1 regression, 2 usage, 3 bad input (missing or malformed file).
# The compare binary is $STATELAB_COMPARE_BIN, else found under $STATELAB_BUILD_DIR or build/, else
# built with the release preset. Statistics: docs/compare.md.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

if [[ $# -lt 1 || "$1" == "--help" || "$1" == "-h" ]]; then
  usage
  [[ $# -lt 1 ]] && exit 2
  exit 0
fi

source "$root/scripts/find_tool.sh"

compare_bin() {
  if [[ -n "${STATELAB_COMPARE_BIN:-}" ]]; then echo "$STATELAB_COMPARE_BIN"; return 0; fi
  find_tool reports statelab-compare
}

# The statelab-bench of REV (see the usage); build output goes to stderr.
bench_for() {
  local rev=$1 sha wt
  if [[ "$rev" == */* && -x "$rev" && ! -d "$rev" ]]; then echo "$rev"; return 0; fi
  if [[ "$rev" == WORKTREE ]]; then find_tool bench statelab-bench; return; fi
  sha=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}") || {
    echo "compare_baseline: --ab: '$rev' is not a git revision, WORKTREE or a binary" >&2
    return 1; }
  wt="$root/build/ab/src-${sha:0:12}"
  if [[ ! -d "$wt" ]]; then
    git -C "$root" worktree add --detach "$wt" "$sha" >&2 || return 1
  fi
  echo "compare_baseline: building statelab-bench of $rev (${sha:0:12}) in $wt" >&2
  (cd "$wt" && export CCACHE_BASEDIR="$wt" CCACHE_NOHASHDIR=true &&
     cmake --preset release >&2 && cmake --build build/release --target statelab-bench >&2) ||
    return 1
  echo "$wt/build/release/bench/statelab-bench"
}

run_ab() {
  local rev_a=$1 rev_b=$2
  shift 2
  local pairs=10 max_pairs=30 threshold=5 seed=1 out="" a_args="" b_args=""
  local bench_opts=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --pairs|--max-pairs|--threshold|--seed|--out|--a-args|--b-args)
        [[ $# -ge 2 ]] || { echo "compare_baseline: $1: missing value" >&2; return 2; }
        case "$1" in
          --pairs) pairs=$2 ;; --max-pairs) max_pairs=$2 ;; --threshold) threshold=$2 ;;
          --seed) seed=$2 ;;
          --out) out=$2 ;; --a-args) a_args=$2 ;; --b-args) b_args=$2 ;;
        esac
        shift 2 ;;
      --repetitions|--repetitions=*)
        echo "compare_baseline: --ab runs one repetition per side per pair; use --pairs" >&2
        return 2 ;;
      *) bench_opts+=("$1"); shift ;;
    esac
  done
  [[ "$pairs" =~ ^[0-9]+$ ]] && ((pairs >= 5)) ||
    { echo "compare_baseline: --pairs needs an integer >= 5, got '$pairs'" >&2; return 2; }
  [[ "$max_pairs" =~ ^[0-9]+$ ]] && ((max_pairs >= pairs)) ||
    { echo "compare_baseline: --max-pairs needs an integer >= --pairs ($pairs), got '$max_pairs'" >&2
      return 2; }
  [[ "$seed" =~ ^[0-9]+$ ]] ||
    { echo "compare_baseline: --seed needs a non-negative integer, got '$seed'" >&2; return 2; }
  out=${out:-$root/build/ab/run_$(date -u +%Y%m%d_%H%M%S)}
  if [[ -e "$out/a" || -e "$out/b" ]]; then
    echo "compare_baseline: $out already holds an A/B run" >&2; return 2
  fi
  local bin_a bin_b compare
  bin_a=$(bench_for "$rev_a") || return 2
  bin_b=$(bench_for "$rev_b") || return 2
  compare=$(compare_bin) || { echo "compare_baseline: cannot find or build statelab-compare" >&2
                              return 2; }
  mkdir -p "$out/a" "$out/b"
  local -a extra_a extra_b
  read -r -a extra_a <<<"$a_args"
  read -r -a extra_b <<<"$b_args"
  RANDOM=$seed
  local done_pairs=0 todo=$pairs undecided looks=$(((max_pairs + pairs - 1) / pairs))
  local -a filter=()
  while true; do
    run_pairs "$((done_pairs + 1))" "$((done_pairs + todo))" || return 3
    ((done_pairs += todo))
    "$compare" --paired "$out/a" "$out/b" --threshold "$threshold" --looks "$looks" --json \
      >"$out/verdicts.json"
    (($? <= 1)) || return 3
    undecided=$(inconclusive_filter "$out/verdicts.json") || return 3
    [[ -n "$undecided" ]] && ((done_pairs < max_pairs)) || break
    todo=$((max_pairs - done_pairs < pairs ? max_pairs - done_pairs : pairs))
    echo "compare_baseline: $(tr -cd '|' <<<"$undecided" | wc -c | awk '{print $1 + 1}')" \
      "inconclusive cell(s) after $done_pairs pairs: $todo more pairs of those" >&2
    filter=(--filter "$undecided")
  done
  rm -f "$out/verdicts.json"
  "$compare" --paired "$out/a" "$out/b" --threshold "$threshold" --looks "$looks" --out "$out"
}

# run_pairs FIRST LAST: pairs FIRST..LAST of the cells selected by bench_opts and filter.
run_pairs() {
  local i side rc
  for ((i = $1; i <= $2; i++)); do
    local order=(a b)
    ((RANDOM % 2)) && order=(b a)
    echo "compare_baseline: pair $i/$2: ${order[0]^^} then ${order[1]^^}" >&2
    for side in "${order[@]}"; do
      if [[ $side == a ]]; then
        "$bin_a" "${bench_opts[@]}" "${extra_a[@]}" "${filter[@]}" --repetitions 1 \
          --label "ab_a_$i" --out "$out/a/pair_$i" >"$out/a/pair_$i.log" 2>&1
      else
        "$bin_b" "${bench_opts[@]}" "${extra_b[@]}" "${filter[@]}" --repetitions 1 \
          --label "ab_b_$i" --out "$out/b/pair_$i" >"$out/b/pair_$i.log" 2>&1
      fi
      rc=$?
      # 1 = some cell failed: the pair lacks that cell, the others still count.
      if ((rc != 0 && rc != 1)); then
        echo "compare_baseline: side ${side^^} of pair $i exited $rc; see $out/$side/pair_$i.log" >&2
        tail -n 5 "$out/$side/pair_$i.log" >&2
        return 1
      fi
    done
  done
}

# inconclusive_filter PAIRED_JSON: an anchored regex (ECMAScript, for --filter) naming exactly the
# inconclusive cells, or nothing.
inconclusive_filter() {
  python3 - "$1" <<'EOF'
import json, re, sys
rows = json.load(open(sys.argv[1]))["rows"]
names = [re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", r["name"])
         for r in rows if r["verdict"] == "inconclusive"]
print("^(" + "|".join(names) + ")$" if names else "")
EOF
}

if [[ "$1" == "--ab" ]]; then
  if [[ $# -lt 3 ]]; then
    echo "compare_baseline: --ab needs REV_A and REV_B" >&2; usage >&2; exit 2
  fi
  shift
  run_ab "$@"
  exit $?
fi

bin=$(compare_bin) || { echo "compare_baseline: cannot find or build statelab-compare" >&2; exit 2; }
"$bin" "$@"
exit $?
