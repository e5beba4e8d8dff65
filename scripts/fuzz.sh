#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang++, ASan + UBSan) and runs each for N seconds
# (default 60), both at once. Exits non-zero on a crash or a sanitizer report; skips (exit 0) without clang.
# Usage: scripts/fuzz.sh [seconds]
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; skipping"
  exit 0
fi
build="$root/build/fuzz"
cmake --preset fuzz -S "$root" >/dev/null
cmake --build "$build" --target wal_record_fuzz snapshot_reader_fuzz fuzz_make_seeds -j2
work="$build/fuzz-corpus"
mkdir -p "$work/wal" "$work/snapshot" "$work/artifacts"
"$build/tests/fuzz/fuzz_make_seeds" "$work/wal" "$work/snapshot"
# The two fuzzers run side by side (one core each).
pids=()
for target in wal_record_fuzz snapshot_reader_fuzz; do
  corpus="$work/${target%%_*}"  # wal/ or snapshot/
  echo "fuzz: $target for ${seconds}s"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" \
    "$corpus" 2>"$work/$target.log" &
  pids+=($!)
done
status=0
i=0
for target in wal_record_fuzz snapshot_reader_fuzz; do
  if ! wait "${pids[$i]}"; then
    echo "fuzz: $target FAILED (log: $work/$target.log)"
    tail -n 40 "$work/$target.log"
    status=1
  else
    grep -E "^(stat::number_of_executed_units|cov:|#[0-9]+ +DONE)" "$work/$target.log" | tail -n 3 || true
  fi
  i=$((i + 1))
done
exit $status
