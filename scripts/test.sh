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
ctest --preset release -j "$jobs" --timeout 900 --no-tests=error

if ((fast)); then exit 0; fi

# Sanitizers run the whole conformance suite and the whole durability/crash suite (every case on
# every engine x mode), the engines' own concurrency tests (sharded run isolation, shared-nothing
# mailbox and shutdown) and the RESP parser and server (malformed and truncated input included),
# under AddressSanitizer+UBSan and ThreadSanitizer.
sanitized='^(conformance_[a-z_]*_test|durability_[a-z_]*_test|unit_sharded_isolation_test|unit_shared_nothing_test|resp_parser_test|resp_server_test)$'
for preset in asan tsan; do
  stage "$preset: configure and build"
  cmake --preset "$preset" >/dev/null
  mapfile -t targets < <(cmake --build "build/$preset" --target help |
    sed -n 's/^\([a-z_]*\): .*/\1/p' | grep -E "$sanitized")
  ((${#targets[@]} >= 10)) || { echo "test.sh: found only ${#targets[@]} $preset targets" >&2; exit 1; }
  cmake --build "build/$preset" -j "$jobs" --target "${targets[@]}"
  stage "$preset: ctest (${#targets[@]} test binaries)"
  # Each test binary's cases carry its target name as their label.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" \
    ctest --test-dir "build/$preset" -L "$sanitized" --no-tests=error -j "$jobs" \
      --output-on-failure --timeout 900
done

if [[ -x scripts/fuzz.sh ]] && command -v clang++ >/dev/null; then
  stage "fuzz: short libFuzzer runs"
  scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
stage "all tests passed"
