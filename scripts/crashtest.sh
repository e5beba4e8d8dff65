#!/usr/bin/env bash
# The randomized crash test (tests/durability/crash_test.cc, Crashtest.RandomizedConfigurations)
# for longer than its bounded ctest run: random engine, mode, partitions, segment size, snapshot
# triggers, value sizes and primitives, and kill timing; a child SIGKILLed mid-write, recovery
# checked each time.
# Builds the release test binary first (under the shared build lock when it exists).
# Usage: scripts/crashtest.sh [--minutes N] [--seed S]   (default 10 minutes, a random seed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
minutes=10
seed=""
while (($#)); do
  case "$1" in
    --minutes) [[ $# -ge 2 ]] || { echo "crashtest.sh: --minutes needs a value" >&2; exit 2; }
               minutes="$2"; shift ;;
    --seed) [[ $# -ge 2 ]] || { echo "crashtest.sh: --seed needs a value" >&2; exit 2; }
            seed="$2"; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "crashtest.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$minutes" =~ ^[0-9]+$ ]] || { echo "crashtest.sh: --minutes must be a whole number" >&2; exit 2; }
lock=()
[[ -e /tmp/statelab-build.lock ]] && lock=(flock /tmp/statelab-build.lock)
cd "$root"
[[ -d build/release ]] || "${lock[@]}" cmake --preset release >/dev/null
"${lock[@]}" cmake --build build/release --target durability_crash_test -j2
export STATELAB_CRASHTEST_SECONDS=$((minutes * 60))
[[ -n "$seed" ]] && export STATELAB_CRASHTEST_SEED="$seed"
exec build/release/tests/durability/durability_crash_test \
  --gtest_filter='Crashtest.RandomizedConfigurations'
