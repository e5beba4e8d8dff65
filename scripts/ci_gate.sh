#!/usr/bin/env bash
# CI performance gate: evaluates gates/gates.json against BASELINE (and, with PREVIOUS, the
# regression rules: no 2x latency and no 50% throughput regression) and exits with the gate's code.
#
# Usage: scripts/ci_gate.sh BASELINE.json [PREVIOUS.json] [statelab-gate flags...]
#   e.g. scripts/ci_gate.sh results/run_X/baseline.json results/run_W/baseline.json --out /tmp/g
# Runs the gate in CI mode (--ci): a missing expected cell or an empty baseline fails too.
# Exit codes (from statelab-gate): 0 no failure, 1 a red flag, regression or missing cell failed,
# 2 usage, 3 bad input (missing or malformed file). Verdicts: gates.json and gates.md next to
# BASELINE (or in --out DIR). The binary is $STATELAB_GATE_BIN, else found under
# $STATELAB_BUILD_DIR or build/, else built with the release preset.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

if [[ $# -lt 1 || "$1" == "--help" || "$1" == "-h" ]]; then
  usage
  [[ $# -lt 1 ]] && exit 2
  exit 0
fi

source "$root/scripts/find_tool.sh"

bin=${STATELAB_GATE_BIN:-}
if [[ -z "$bin" ]]; then
  bin=$(find_tool gates statelab-gate) || { echo "ci_gate: cannot find or build statelab-gate" >&2; exit 2; }
fi

baseline=$1
shift
args=("$baseline")
if [[ $# -gt 0 && "$1" != --* ]]; then
  args+=(--previous "$1")
  shift
fi
has_rules=0
for a in "$@"; do [[ "$a" == --rules || "$a" == --rules=* ]] && has_rules=1; done
if [[ $has_rules -eq 0 ]]; then args+=(--rules "$root/gates/gates.json"); fi

"$bin" "${args[@]}" --ci "$@"
exit $?
