#!/usr/bin/env bash
# The main job: install what is missing, build Release, check the machine, run the benchmark
# suite, evaluate the gates, write the reports, regenerate results/INDEX.md, print the summary.
#
# Usage: scripts/bench_runner.sh [options]
#   --quick | --standard | --full | --suite server   suite (default --quick: every engine x mode;
#                      server: statelab serve vs redis-server over RESP, docs/resp.md)
#   --engines LIST     comma list of engines: ours, null, device and the peers (statelab-bench
#                      --describe lists them), or "all" (ours and every peer)
#   --modes LIST       comma list of durability modes (inmemory, buffered, strict)
#   --all-modes        every durability mode (the default; overrides an earlier --modes)
#   --tier LIST        comma list of tiers (A0 A1 B C D durability recovery memory scenario ycsb)
#   --filter REGEX     run only benchmarks whose name matches (ECMAScript regex)
#   --cores N          pin benchmark threads to the first N PUs (physical cores first)
#   --repetitions N    repetitions per benchmark (default 5 for quick, 9 otherwise)
#   --perf             record `perf stat` of the whole run (RUN_DIR/perf_stat.txt)
#   --perf-record      `perf record` the run; folded stacks in RUN_DIR/perf.folded (flame.svg too
#                      when flamegraph.pl is on PATH; STATELAB_PERF_CALLGRAPH=dwarf,8192 for
#                      full stacks)
#   --baseline FILE    compare this run against FILE afterwards (scripts/compare_baseline.sh)
#   --label TEXT       appended to the run folder name
#   --out DIR          results directory holding the run folders and INDEX.md (default results/)
#   --no-build         use the existing build/release binaries
#   --help             this text
# Run folder: DIR/run_<YYYY-MM-DD_HH-MM-SS>_<commit>[_<label>]/ with baseline.json (Redis figures
# in its `servers`), gbench.json, gates.json, gates.md, SUMMARY.md, environment.md, facade_tax.md,
# ab_engines.md, redis_comparison.md, plots/*.svg, bench.log. Exit codes: 0 done and no gate
# failed, 1 a gate failed or a benchmark failed, 2 usage, 3 a step could not run.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "bench_runner: $*" >&2; exit 3; }

suite=quick engines="" modes="" tiers="" filter="" cores="" reps="" label="" baseline=""
results="$root/results" build=1 perf_stat=0 perf_record=0
need_value() { [[ $# -ge 2 && -n "$2" ]] || { echo "bench_runner: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) suite=quick ;;
    --standard) suite=standard ;;
    --full) suite=full ;;
    --suite) need_value "$@"
      [[ $2 =~ ^(quick|standard|full|server)$ ]] || { echo "bench_runner: --suite: '$2' is not quick, standard, full or server" >&2; exit 2; }
      suite=$2; shift ;;
    --engines) need_value "$@"; engines=$2; shift ;;
    --modes) need_value "$@"; modes=$2; shift ;;
    --all-modes) modes="" ;;
    --tier) need_value "$@"; tiers=$2; shift ;;
    --filter) need_value "$@"; filter=$2; shift ;;
    --cores) need_value "$@"; cores=$2; shift ;;
    --repetitions) need_value "$@"; reps=$2; shift ;;
    --perf) perf_stat=1 ;;
    --perf-record) perf_record=1 ;;
    --baseline) need_value "$@"; baseline=$2; shift ;;
    --label) need_value "$@"; label=$2; shift ;;
    --out) need_value "$@"; results=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_runner: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# The server suite: the RESP servers (section 5) next to the in-process B-tier kv get/put cells.
bench_suite=$suite
if [[ $suite == server ]]; then
  bench_suite=quick engines=${engines:-btree} tiers=${tiers:-B} filter=${filter:-^B/kv/(get|put)/}
fi
[[ -z "$baseline" || -f "$baseline" ]] || { echo "bench_runner: --baseline: no file $baseline" >&2; exit 2; }

start=$(date +%s)
step=0
steps=8
banner() { step=$((step + 1)); echo; echo "==> [$step/$steps] $* ($(( $(date +%s) - start )) s)"; }
warnings=()  # the runner's own warnings, recorded in baseline.json through --warning
warn() { echo "WARNING: $*"; warnings+=("$*"); }
note() { echo "WARNING: $*"; }  # environment checks: the bench binary records these itself

# ---------------------------------------------------------------------------------------- 1
banner "dependencies (scripts/deps.sh --peers)"
if ! "$root/scripts/deps.sh" --peers; then
  warn "scripts/deps.sh --peers failed; continuing with what is installed"
fi

# ---------------------------------------------------------------------------------------- 2
bindir="$root/build/release"
bench="$bindir/bench/statelab-bench"
gate="$bindir/gates/statelab-gate"
report="$bindir/reports/statelab-report"
if [[ $build -eq 1 ]]; then
  banner "build Release (cmake --preset release)"
  configure_log=$(mktemp)
  if ! (cd "$root" && cmake --preset release) >"$configure_log" 2>&1; then
    cat "$configure_log" >&2
    rm -f "$configure_log"
    die "cmake --preset release failed"
  fi
  rm -f "$configure_log"
  cmake --build "$bindir" --target statelab-bench statelab-gate statelab-report statelab-compare \
    $([[ $suite == server ]] && echo statelab) || die "build failed"
else
  banner "build skipped (--no-build)"
  for b in "$bench" "$gate" "$report" $([[ $suite == server ]] && echo "$bindir/tools/statelab"); do
    [[ -x "$b" ]] || die "--no-build: $b is missing; build once without --no-build"
  done
fi

# ---------------------------------------------------------------------------------------- 3
# The same checks are recorded by the bench binary's environment capture in baseline.json
# (environment.warnings); here they are shown before the run starts.
banner "environment"
governors=$(cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor 2>/dev/null | sort | uniq -c |
            awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
if [[ -z "$governors" ]]; then
  note "cpufreq governor unknown (no cpufreq in sysfs): the clock policy is not controlled"
elif [[ "$governors" != performance* || "$governors" == *,* ]]; then
  note "cpufreq governor is not 'performance' on every CPU: $governors"
fi
if [[ -r /sys/devices/system/cpu/intel_pstate/no_turbo ]]; then
  [[ $(cat /sys/devices/system/cpu/intel_pstate/no_turbo) == 0 ]] && note "turbo boost is on (intel_pstate)"
elif [[ -r /sys/devices/system/cpu/cpufreq/boost ]]; then
  [[ $(cat /sys/devices/system/cpu/cpufreq/boost) == 1 ]] && note "turbo boost is on (cpufreq/boost)"
fi
[[ $(cat /sys/devices/system/cpu/smt/active 2>/dev/null) == 1 ]] && note "SMT is on: siblings share cores"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then note "1-minute load average is $load (> 0.5)"; fi
virt=$(systemd-detect-virt --vm 2>/dev/null || true)
if [[ -n "$virt" && "$virt" != none ]] || grep -qw hypervisor /proc/cpuinfo; then
  note "virtual machine (${virt:-hypervisor flag}): steal time and noisy neighbours affect results"
fi
echo "cpus: $(nproc), load: $load, governor: ${governors:-unknown}"

# ---------------------------------------------------------------------------------------- 4
commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
run_id="run_$(date -u +%Y-%m-%d_%H-%M-%S)_${commit:0:12}"
[[ -n "$label" ]] && run_id+="_$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '-')"
mkdir -p "$results" || die "cannot create $results"
results=$(cd "$results" && pwd)
run_dir="$results/$run_id"
[[ -e "$run_dir" ]] && die "$run_dir exists (run folders are written once)"
mkdir -p "$run_dir" || die "cannot create $run_dir"

args=(--suite "$bench_suite" --out "$run_dir")
[[ -n "$engines" ]] && args+=(--engines "$engines")
[[ -n "$modes" ]] && args+=(--modes "$modes")
[[ -n "$tiers" ]] && args+=(--tier "$tiers")
[[ -n "$filter" ]] && args+=(--filter "$filter")
[[ -n "$cores" ]] && args+=(--cores "$cores")
[[ -n "$reps" ]] && args+=(--repetitions "$reps")
[[ -n "$label" ]] && args+=(--label "$label")
[[ $build -eq 0 ]] && warnings+=("--no-build: the binaries were not rebuilt for this commit")

runner=()
if [[ $perf_stat -eq 1 || $perf_record -eq 1 ]]; then
  if ! perf stat -e task-clock -- true >/dev/null 2>&1; then
    warn "perf is not usable here (perf stat -e task-clock failed): --perf / --perf-record skipped"
    perf_stat=0 perf_record=0
  elif [[ $perf_record -eq 1 ]]; then
    [[ $perf_stat -eq 1 ]] && warn "--perf and --perf-record together: only perf record runs"
    # Frame pointers by default (cheap; frames of code built without them show as [unknown]);
    # STATELAB_PERF_CALLGRAPH=dwarf,8192 unwinds everything at a much larger perf.data.
    runner=(perf record -F 499 --call-graph "${STATELAB_PERF_CALLGRAPH:-fp}" -o "$run_dir/perf.data" --)
    perf_stat=0
  else
    runner=(perf stat -o "$run_dir/perf_stat.txt" -e task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,branch-misses --)
  fi
fi
for w in "${warnings[@]}"; do args+=(--warning "bench_runner: $w"); done

banner "benchmarks: suite $suite -> $run_dir"
"${runner[@]}" "$bench" "${args[@]}" 2>&1 | tee "$run_dir/bench.log"
bench_rc=${PIPESTATUS[0]}
case $bench_rc in
  0) ;;
  1) echo "bench_runner: some benchmark cells failed (baseline.json skipped[] has the reasons)" ;;
  *) die "statelab-bench exited $bench_rc (see $run_dir/bench.log)" ;;
esac
[[ -f "$run_dir/baseline.json" ]] || die "no baseline.json was written"
if [[ $perf_record -eq 1 && -f "$run_dir/perf.data" ]]; then
  # Folded stacks (one line per unique stack, root first, with its sample count).
  # perf script prints a header line per sample, then its frames innermost first.
  perf script -i "$run_dir/perf.data" 2>/dev/null | awk '
    function flush() { if (stack != "") n[comm ";" stack]++; stack = "" }
    /^[^ \t]/ { flush(); comm = $1; next }
    /^[ \t]+[0-9a-f]+ / {
      frame = $0
      sub(/^[ \t]+[0-9a-f]+ /, "", frame)   # the address
      sub(/ \([^()]*\)$/, "", frame)        # the (dso)
      gsub(/;/, ":", frame)                 # ";" separates frames in the folded format
      stack = (stack == "" ? frame : frame ";" stack)
      next
    }
    /^$/ { flush() }
    END { flush(); for (s in n) print s, n[s] }' > "$run_dir/perf.folded"
  if command -v flamegraph.pl >/dev/null; then
    flamegraph.pl "$run_dir/perf.folded" > "$run_dir/flame.svg"
    echo "flame graph: $run_dir/flame.svg"
  else
    echo "flame graph skipped: flamegraph.pl not on PATH (folded stacks: $run_dir/perf.folded)"
  fi
fi

# ---------------------------------------------------------------------------------------- 5
banner "Redis comparison"
# The `servers` section of baseline.json (statelab-report --attach-servers stores it, and renders
# it into redis_comparison.md): redis-server with the
# persistence matching each durability mode, measured by redis-benchmark (one client). The
# server suite also runs `statelab serve` per engine under the same redis-benchmark runs (SET,
# GET, INCR, MSET at pipeline 1, 16 and 64) and measures memory per key of both servers.
redis_json=$(mktemp)
redis_skip() {
  printf '{"available": false, "reason": "%s", "results": []}\n' "$1" > "$redis_json"
  echo "Redis comparison skipped: $1"
}
# Prints a free loopback port (none: nothing).
free_port() {
  for p in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}
wait_ping() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status" 2>/dev/null; }
rows=() mem_rows=()
# bench_server SERVER ENGINE PORT MODE PERSISTENCE TESTS PIPELINES: appends one row per test.
bench_server() {
  local server=$1 engine=$2 port=$3 mode=$4 desc=$5 tests=$6 pipelines=$7 pipeline n out
  for pipeline in $pipelines; do
    case $mode/$pipeline in
      strict/1) n=500 ;; strict/16) n=4000 ;; strict/*) n=10000 ;;
      */1) n=20000 ;; */16) n=50000 ;; *) n=100000 ;;
    esac
    [[ $suite != server ]] && { [[ $mode == strict ]] && n=2000 || n=50000; }
    out=$(timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" -t "$tests" -n "$n" -r 100000 -c 1 \
          -P "$pipeline" --csv 2>/dev/null) || true
    while IFS=, read -r test rps _avg _min p50 _p95 p99 _max; do
      test=${test//\"/}; rps=${rps//\"/}; p50=${p50//\"/}; p99=${p99//\"/}
      local op=${test%% *}
      [[ "$op" =~ ^(SET|GET|INCR|MSET)$ ]] || continue
      op=$(tr 'A-Z' 'a-z' <<< "$op")
      rows+=("$(printf '{"server": "%s", "engine": "%s", "op": "%s", "mode": "%s", "persistence": "%s", "clients": 1, "pipeline": %d, "requests": %d, "ops_per_sec": %s, "p50_ns": %s, "p99_ns": %s}' \
              "$server" "$engine" "$op" "$mode" "$desc" "$pipeline" "$n" "$rps" \
              "$(awk -v v="$p50" 'BEGIN { printf "%.0f", v * 1e6 }')" \
              "$(awk -v v="$p99" 'BEGIN { printf "%.0f", v * 1e6 }')")")
      echo "$server${engine:+ $engine} $mode pipeline $pipeline: $op $rps ops/s, p50 $p50 ms, p99 $p99 ms"
    done <<< "$out"
  done
}
# memory_per_key SERVER ENGINE PORT PID: loads $mem_keys keys through redis-cli --pipe and
# records the growth of the server's RSS (and of Redis's own used_memory) per key.
mem_keys=${STATELAB_MEMORY_KEYS:-1000000}
memory_per_key() {
  local server=$1 engine=$2 port=$3 pid=$4 before after used_before used_after
  redis-cli -p "$port" flushdb >/dev/null
  before=$(rss_bytes "$pid")
  used_before=$(redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory://p')
  awk -v n="$mem_keys" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n", length(k), k } }' |
    timeout 300 redis-cli -p "$port" --pipe >/dev/null 2>&1 || { warn "$server: loading $mem_keys keys failed"; return; }
  after=$(rss_bytes "$pid")
  used_after=$(redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory://p')
  [[ -n "$before" && -n "$after" ]] || return
  mem_rows+=("$(printf '{"server": "%s", "engine": "%s", "keys": %d, "value_bytes": 3, "rss_before_bytes": %s, "rss_after_bytes": %s, "rss_bytes_per_key": %s, "used_memory_bytes_per_key": %s}' \
    "$server" "$engine" "$mem_keys" "$before" "$after" \
    "$(awk -v a="$after" -v b="$before" -v n="$mem_keys" 'BEGIN { printf "%.1f", (a - b) / n }')" \
    "$(awk -v a="${used_after:-0}" -v b="${used_before:-0}" -v n="$mem_keys" 'BEGIN { printf "%.1f", (a - b) / n }')")")
  echo "$server${engine:+ $engine}: $(( (after - before) / mem_keys )) bytes of RSS per key ($mem_keys keys)"
}
run_mode_list=${modes:-inmemory,buffered,strict}
statelab_bin="$bindir/tools/statelab"
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null ||
   ! command -v redis-cli >/dev/null; then
  redis_skip "redis-server, redis-cli or redis-benchmark is not installed (scripts/deps.sh --peers installs them)"
elif [[ $suite != server && -n "$tiers" && ",$tiers," != *,B,* ]]; then
  redis_skip "the run has no B-tier kv get/put to compare with (--tier excluded B)"
else
  redis_dir=$(mktemp -d)
  version=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
  tests=set,get pipelines="1 16"
  [[ $suite == server ]] && tests=set,get,incr,mset pipelines="1 16 64"
  serve_engines=()
  if [[ $suite == server ]]; then
    IFS=, read -ra serve_engines <<< "${engines:-btree}"
  fi
  IFS=, read -ra mode_list <<< "$run_mode_list"
  for mode in "${mode_list[@]}"; do
    case $mode in
      inmemory) persist=(--save '' --appendonly no); desc="appendonly no" ;;
      buffered) persist=(--save '' --appendonly yes --appendfsync everysec); desc="appendonly yes, appendfsync everysec" ;;
      strict) persist=(--save '' --appendonly yes --appendfsync always); desc="appendonly yes, appendfsync always" ;;
      *) continue ;;
    esac
    port=$(free_port)
    [[ -n "$port" ]] || { warn "no free loopback port for redis-server ($mode)"; continue; }
    rm -rf "${redis_dir:?}"/*
    redis-server --port "$port" --bind 127.0.0.1 --dir "$redis_dir" --daemonize yes \
      --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" "${persist[@]}" >/dev/null
    if wait_ping "$port"; then
      bench_server redis "" "$port" "$mode" "$desc" "$tests" "$pipelines"
      if [[ $suite == server && $mode == inmemory ]]; then
        memory_per_key redis "" "$port" "$(cat "$redis_dir/redis.pid")"
      fi
    else
      warn "redis-server did not answer on port $port ($mode)"
    fi
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$redis_dir/redis.pid" 2>/dev/null)" 2>/dev/null
    for _ in $(seq 50); do [[ -e "$redis_dir/redis.pid" ]] || break; sleep 0.1; done
    for engine in "${serve_engines[@]}"; do
      [[ $engine =~ ^(btree|sharded|shared_nothing)$ ]] || continue
      rm -rf "${redis_dir:?}"/*
      "$statelab_bin" serve --engine "$engine" --mode "$mode" --dir "$redis_dir/data" --port 0 \
        > "$redis_dir/serve.out" 2> "$redis_dir/serve.err" &
      serve_pid=$!
      port=""
      for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\) .*/\1/p' "$redis_dir/serve.out" 2>/dev/null)
        [[ -n "$port" ]] && break
        sleep 0.1
      done
      if [[ -n "$port" ]]; then
        bench_server statelab "$engine" "$port" "$mode" "statelab serve --mode $mode" "$tests" "$pipelines"
        [[ $mode == inmemory ]] && memory_per_key statelab "$engine" "$port" "$serve_pid"
        redis-cli -p "$port" shutdown >/dev/null 2>&1
      else
        warn "statelab serve ($engine, $mode) did not start: $(head -c 300 "$redis_dir/serve.err")"
        kill "$serve_pid" 2>/dev/null
      fi
      wait "$serve_pid" || warn "statelab serve ($engine, $mode) exited $?"
    done
  done
  if [[ ${#rows[@]} -eq 0 ]]; then
    redis_skip "redis-benchmark produced no results"
  else
    { printf '{"available": true, "reason": "", "version": "%s", "suite": "%s", "results": [\n' "$version" "$suite"
      for i in "${!rows[@]}"; do printf '  %s%s\n' "${rows[$i]}" "$([[ $i -lt $((${#rows[@]} - 1)) ]] && echo ,)"; done
      printf '], "memory": [\n'
      for i in "${!mem_rows[@]}"; do printf '  %s%s\n' "${mem_rows[$i]}" "$([[ $i -lt $((${#mem_rows[@]} - 1)) ]] && echo ,)"; done
      printf ']}\n'; } > "$redis_json"
  fi
  rm -rf "$redis_dir"
fi

# ---------------------------------------------------------------------------------------- 6
banner "gates (statelab-gate)"
"$gate" "$run_dir/baseline.json" --out "$run_dir"
gate_rc=$?
[[ $gate_rc -le 1 ]] || die "statelab-gate exited $gate_rc"

# ---------------------------------------------------------------------------------------- 7
banner "reports (statelab-report) and $results/INDEX.md"
"$report" "$run_dir" --attach-servers "$redis_json" || die "statelab-report failed"
rm -f "$redis_json"
"$report" --index "$results" || die "statelab-report --index failed"
if [[ -n "$baseline" ]]; then
  "$root/scripts/compare_baseline.sh" "$baseline" "$run_dir/baseline.json" --out "$run_dir" \
    > /dev/null
  compare_rc=$?
  echo "compare against $baseline: exit $compare_rc ($run_dir/compare.md)"
fi

# ---------------------------------------------------------------------------------------- 8
banner "summary"
sed -n '1,/^## Key latencies/p' "$run_dir/SUMMARY.md" | head -40
echo
echo "run folder: $run_dir"
echo "summary:    $run_dir/SUMMARY.md"
echo "index:      $results/INDEX.md"
echo "total time: $(( $(date +%s) - start )) s"
[[ $gate_rc -eq 0 && $bench_rc -eq 0 ]] || exit 1
exit 0
