#!/usr/bin/env bash
# Compares two baseline.json files benchmark by benchmark.
#
# Usage: scripts/compare_baseline.sh OLD.json NEW.json [--threshold PCT (default 10)]
#          [--alpha A (default 0.05)] [--allow-cross-machine] [--out DIR] [--json]
# One row per benchmark: old and new median ns/op, change %, two-sided Mann-Whitney U p-value over
# the repetitions, verdict (regression / improvement / unchanged / new / removed). A regression
# needs |change| > PCT and p < A. Geometric means per tier and per engine. Runs from different
# machines are flagged at the top and never exit 1 unless --allow-cross-machine.
# Exit codes: 0 no regression, 1 regression, 2 usage, 3 bad input (missing or malformed file).
# The binary is $STATELAB_COMPARE_BIN, else found under $STATELAB_BUILD_DIR or build/, else built
# with the release preset. Statistics: docs/compare.md.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

if [[ $# -lt 1 || "$1" == "--help" || "$1" == "-h" ]]; then
  usage
  [[ $# -lt 1 ]] && exit 2
  exit 0
fi

source "$root/scripts/find_tool.sh"

bin=${STATELAB_COMPARE_BIN:-}
if [[ -z "$bin" ]]; then
  bin=$(find_tool reports statelab-compare) || {
    echo "compare_baseline: cannot find or build statelab-compare" >&2; exit 2; }
fi

"$bin" "$@"
exit $?
