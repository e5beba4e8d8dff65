#!/usr/bin/env bash
# Build + every test: the release build and all its tests (the layout checks among them), clang-tidy,
# the conformance, durability and concurrency tests under AddressSanitizer+UBSan and under
# ThreadSanitizer, a short libFuzzer run of each decoder, and the fourth-engine test. Ends with a
# table of each stage's time against its budget (docs/building.md): a stage past its budget fails
# the run, so growth is noticed when it happens, not when CI times out.
# Usage: scripts/test.sh [--fast] [--jobs N] [--help]
#   --fast   release build and tests only, no package installation: for local iteration.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
jobs=$(nproc)
while (($#)); do
  case "$1" in
    --fast) fast=1 ;;
    --jobs) [[ $# -ge 2 ]] || { echo "test.sh: --jobs needs a value" >&2; exit 2; }; jobs="$2"; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Seconds per stage on a cold 2-core machine (empty ccache and clang-tidy cache): each stage's
# measured cold time (docs/building.md) plus about 10%; the whole command must also stay within 40
# minutes, less than the sum of the stage budgets.
declare -A budget=(
  [deps]=120
  [release_build]=680
  [release_test]=90
  [redis_suite]=30
  [clang_tidy]=500
  [asan_build]=440
  [asan_test]=150
  [tsan_build]=340
  [tsan_test]=130
  [fuzz]=80
  [add_engine]=270
  [fleet]=90
)
stages=() times=()
run_start=$(date +%s)
stage_start=$run_start
current=""
begin() {
  current=$1
  stage_start=$(date +%s)
  echo
  echo "== $1 ($((stage_start - run_start)) s elapsed)"
}
end() {
  local took=$(($(date +%s) - stage_start))
  stages+=("$current") times+=("$took")
  current=""
}
over=()
report() {
  local rc=$?
  [[ -n "$current" ]] && end
  echo
  printf '%-14s %8s %8s\n' stage seconds budget
  local i total=0
  for i in "${!stages[@]}"; do
    local s=${stages[$i]} t=${times[$i]} mark=""
    total=$((total + t))
    if ((t > ${budget[$s]})); then mark="  OVER BUDGET"; over+=("$s"); fi
    printf '%-14s %8d %8d%s\n' "$s" "$t" "${budget[$s]}" "$mark"
  done
  local mark=""
  if ((total > 2400)); then mark="  OVER BUDGET"; over+=(total); fi
  printf '%-14s %8d %8d%s\n' total "$total" 2400 "$mark"
  if ((rc == 0 && ${#over[@]} > 0)); then
    echo "test.sh: stage(s) ${over[*]} went past their budget in scripts/test.sh:" \
         "find what grew (docs/building.md) before raising a budget" >&2
    exit 1
  fi
}
trap report EXIT

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Share cache entries between build directories and checkouts (paths under the source root are
# hashed relative to it; debug info would otherwise hash the build directory).
export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD"

begin deps
if ((fast)); then scripts/deps.sh --check; else scripts/deps.sh --peers; fi
end

begin release_build
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
end
begin release_test
ctest --preset release -j "$jobs" --timeout 900 --no-tests=error --output-on-failure
end
if ((fast)); then exit 0; fi

# Redis 7.0.15's own suite (string and key units) against `statelab serve`, every engine in
# parallel; exit 77: the suite or tclsh is missing (skipped, said so).
begin redis_suite
rc=0
tests/resp/redis_suite.sh --statelab build/release/tools/statelab || rc=$?
((rc == 0 || rc == 77)) || exit "$rc"
end

# scripts/fleet.sh on a one-node Slurm cluster on localhost (docs/fleet.md): split, a killed
# task, same suite. Bounded: the daemons are stopped when it ends or times out.
begin fleet
timeout -k 10 180 tests/fleet/fleet_test.sh build/release
end

begin clang_tidy
scripts/tidy.sh --jobs "$jobs"
end

# Under the sanitizers: the conformance suite and the durability/crash suite (every case on every
# engine x mode), the engines' own concurrency tests (sharded run isolation, shared-nothing mailbox
# and shutdown, the core's snapshot registry and group commit) and the RESP parser and server
# (malformed and truncated input included). The presets build at -O1 -g1 (docs/building.md).
# The corruption matrix (durability_corruption_matrix_test: single-threaded file damage, release
# only) is left out: the sanitizer stages have no budget left for another binary.
sanitized='^(conformance_[a-z_]*_test|durability_(crash|format|recovery|replay)_test|unit_sharded_isolation_test|unit_shared_nothing_test|unit_snapshot_registry_test|unit_commit_log_test|resp_parser_test|resp_server_test)$'
for preset in asan tsan; do
  begin "${preset}_build"
  cmake --preset "$preset" >/dev/null
  mapfile -t targets < <(cmake --build "build/$preset" --target help |
    sed -n 's/^\([a-z_]*\): .*/\1/p' | grep -E "$sanitized")
  ((${#targets[@]} >= 10)) || { echo "test.sh: found only ${#targets[@]} $preset targets" >&2; exit 1; }
  cmake --build "build/$preset" -j "$jobs" --target "${targets[@]}"
  end
  begin "${preset}_test"
  # Each test binary's cases carry its target name as their label.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" \
    ctest --test-dir "build/$preset" -L "$sanitized" --no-tests=error -j "$jobs" \
      --output-on-failure --timeout 900
  end
done

begin fuzz
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
end

begin add_engine
JOBS=$jobs tests/layout/add_engine_test.sh . build/add_engine
end
echo
echo "== all tests passed ($(($(date +%s) - run_start)) s)"
