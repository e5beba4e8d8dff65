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
#   --tier LIST        comma list of tiers (statelab-bench --describe lists them)
#   --filter REGEX     run only benchmarks whose name matches (ECMAScript regex)
#   --workload FILE    run a YCSB CoreWorkload property file instead of the catalogue
#                      (repeatable; docs/harness.md, "Workload files"); a bad file exits 2
#   -p NAME=VALUE      override a property of every --workload file (repeatable)
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
usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "bench_runner: $*" >&2; exit 3; }

suite=quick engines="" modes="" tiers="" filter="" cores="" reps="" label="" baseline=""
results="$root/results" build=1 perf_stat=0 perf_record=0 workload_args=()
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
    --workload) need_value "$@"; workload_args+=(--workload "$2"); shift ;;
    -p) need_value "$@"; workload_args+=(-p "$2"); shift ;;
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
servers="$bindir/tools/server_suite/statelab-servers"
statelab_bin="$bindir/tools/statelab"
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
    statelab-servers $([[ $suite == server ]] && echo statelab) || die "build failed"
else
  banner "build skipped (--no-build)"
  for b in "$bench" "$gate" "$report" "$servers" $([[ $suite == server ]] && echo "$statelab_bin"); do
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
# The threshold is the bench binary's own (harness::kQuietLoadAverage), read through --describe.
quiet=$("$bench" --describe | sed -n 's/.*"quiet_load_average": *\([0-9.]*\).*/\1/p')
[[ -n "$quiet" ]] || die "statelab-bench --describe gave no quiet_load_average"
if awk -v l="$load" -v q="$quiet" 'BEGIN { exit !(l > q) }'; then
  note "1-minute load average is $load (> $quiet)"
fi
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
args+=("${workload_args[@]}")
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
  2) echo "bench_runner: statelab-bench refused its arguments (a bad --workload file?): see above" >&2
     rm -rf "$run_dir"  # nothing ran: no run folder
     exit 2 ;;
  *) die "statelab-bench exited $bench_rc (see $run_dir/bench.log)" ;;
esac
[[ -f "$run_dir/baseline.json" ]] || die "no baseline.json was written"
if [[ $perf_record -eq 1 && -f "$run_dir/perf.data" ]]; then
  # Folded stacks (one line per unique stack, root first, with its sample count).
  if ! perf script -i "$run_dir/perf.data" 2>/dev/null |
       "$report" --fold-perf - --out "$run_dir/perf.folded"; then
    echo "WARNING: folding perf script output failed (statelab-report --fold-perf)"
  elif command -v flamegraph.pl >/dev/null; then
    flamegraph.pl "$run_dir/perf.folded" > "$run_dir/flame.svg"
    echo "flame graph: $run_dir/flame.svg"
  else
    echo "flame graph skipped: flamegraph.pl not on PATH (folded stacks: $run_dir/perf.folded)"
  fi
fi

# ---------------------------------------------------------------------------------------- 5
banner "Redis comparison (statelab-servers)"
# The `servers` section of baseline.json (statelab-report --attach-servers stores it, and renders
# it into redis_comparison.md): redis-server with the persistence matching each durability mode,
# measured by redis-benchmark (one client; the server suite: 1 and 50, and a MULTI/EXEC row from
# the tool's own client); the server suite also runs `statelab serve` per engine and memory per
# key (STATELAB_MEMORY_KEYS keys). What cannot be measured is a warning,
# or the section says why not (available: false). docs/resp.md.
redis_json=$(mktemp)
servers_args=(--suite "$suite" --out "$redis_json" --statelab "$statelab_bin")
[[ -n "$engines" ]] && servers_args+=(--engines "$engines")
[[ -n "$modes" ]] && servers_args+=(--modes "$modes")
[[ -n "$tiers" ]] && servers_args+=(--tier "$tiers")
"$servers" "${servers_args[@]}"
servers_rc=$?
if [[ $servers_rc -ne 0 ]]; then
  rm -f "$redis_json"
  die "statelab-servers exited $servers_rc"
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
