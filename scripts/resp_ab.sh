#!/bin/bash
# Alternating A/B of `statelab serve` binaries against redis-server under redis-benchmark
# (docs/resp.md, "50 clients"): starts redis-server (appendonly no) and `BIN serve --engine
# sharded --mode inmemory --threads $THREADS` for each BIN, all at once, then per round, pipeline
# and test runs redis-benchmark against each in turn, so drift on a shared machine hits them
# alike. Prints per run: ops/s and the server's CPU time per request (ns, from /proc/PID/stat).
# Usage: scripts/resp_ab.sh ROUNDS TESTS PIPELINES BIN...   (e.g. 3 set,get 1,16 old new)
# Env: THREADS (2), CLIENTS (50), N1 (100000 requests at pipeline 1), N16 (400000 otherwise).
# Run it under the build lock: flock -o /tmp/statelab-build.lock scripts/resp_ab.sh ...
set -u
rounds=$1 tests=$2 pipes=$3
shift 3
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
redis-server --port 20401 --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --logfile "$dir/redis.log" --dir "$dir" &
pids+=($!)
ports=(20401) names=(redis) spids=($!)
i=0
for b in "$@"; do
  port=$((20410 + i)) i=$((i + 1))
  "$b" serve --engine sharded --mode inmemory --port $port --threads "${THREADS:-2}" \
    >"$dir/serve$i.out" 2>&1 &
  pids+=($!) ports+=($port) names+=("$(basename "$b")") spids+=($!)
done
sleep 1.5
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, clock ticks (10 ms)
for r in $(seq "$rounds"); do
  for P in ${pipes//,/ }; do
    n=$((P == 1 ? ${N1:-100000} : ${N16:-400000}))
    for t in ${tests//,/ }; do
      for k in "${!ports[@]}"; do
        c0=$(cpu "${spids[$k]}")
        line=$(redis-benchmark -p "${ports[$k]}" -t "$t" -n $n -r 100000 -c "${CLIENTS:-50}" \
          -P "$P" --csv 2>/dev/null | tail -n +2)
        c1=$(cpu "${spids[$k]}")
        IFS=, read -r test rps _ <<<"$line"
        echo "round $r pipeline $P ${names[$k]} $test $rps cpu_ns_per_request=$(((c1 - c0) * 10000000 / n))"
      done
    done
  done
done
