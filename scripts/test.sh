#!/usr/bin/env bash
# Build + every test: release build and all tests, then the conformance/contention tests under
# AddressSanitizer+UBSan and ThreadSanitizer, then a short libFuzzer run of each decoder.
# Usage: scripts/test.sh [--fast] [--jobs N]
#   --fast   release build and tests only (no sanitizers, no fuzzing): for local iteration.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
jobs=$(nproc)
while (($#)); do
  case "$1" in
    --fast) fast=1 ;;
    --jobs) jobs="$2"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

scripts/deps.sh --peers
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Share cache entries between build directories (debug info would otherwise hash the cwd).
export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD"
start=$(date +%s)
stage() { echo; echo "== $1 ($(($(date +%s) - start)) s elapsed)"; }

stage "release: configure and build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
stage "release: ctest"
ctest --preset release -j "$jobs" --timeout 900

if ((fast)); then exit 0; fi

# Sanitizers run the tests where threads, memory and crashes meet: transactions and contention
# (conformance txn/state/atomicity), the engines' own unit tests (sharded isolation,
# shared-nothing mailbox and shutdown) and, under ASan, the durability suite. Every case of these
# binaries runs on every engine x mode.
asan_targets=(conformance_txn_test conformance_atomicity_test unit_sharded_isolation_test
              unit_shared_nothing_test)
tsan_targets=(conformance_txn_test conformance_state_test unit_sharded_isolation_test
              unit_shared_nothing_test)
for preset in asan tsan; do
  stage "$preset: configure and build"
  cmake --preset "$preset" >/dev/null
  declare -n targets="${preset}_targets"
  extra=()
  [[ $preset == asan ]] && mapfile -t extra < <(cmake --build "build/$preset" --target help |
    sed -n 's/^\(durability_[a-z_]*\): .*/\1/p')
  cmake --build "build/$preset" -j "$jobs" --target "${targets[@]}" "${extra[@]}"
  stage "$preset: ctest"
  # Each test binary's cases carry its target name as a label.
  all=("${targets[@]}" "${extra[@]}")
  labels="^($(IFS='|'; echo "${all[*]}"))\$"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" \
    ctest --test-dir "build/$preset" -L "$labels" -j "$jobs" --output-on-failure --timeout 900
  unset -n targets
done

if [[ -x scripts/fuzz.sh ]] && command -v clang++ >/dev/null; then
  stage "fuzz: short libFuzzer runs"
  scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
stage "all tests passed"
