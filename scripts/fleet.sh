#!/usr/bin/env bash
# Runs the benchmark catalogue across a Slurm fleet as one job array (docs/fleet.md).
# Usage: scripts/fleet.sh (--split N | --same-suite [--tasks K]) --parts-dir DIR [options]
#                         [-- STATELAB_BENCH_FLAGS...]
#        scripts/fleet.sh --merge DIR
#   --split N          deal the selected cells to N array tasks (statelab-bench --shard I/N), each
#                      writing DIR/part_I/; merged into DIR/merged/ when they all ran on machines of
#                      the same fingerprint (a part that failed is listed in skipped[])
#   --same-suite       every task runs the whole selection on its own node: one run folder
#                      DIR/run_*_fleet-<host>-<task>/ per machine; --tasks K of them (default 1)
#   --parts-dir DIR    where the parts go: shared storage every node sees, like the binaries
#   --bench PATH       statelab-bench (default build/release/bench/statelab-bench)
#   --report PATH      statelab-report (default build/release/reports/statelab-report)
#   --partition P, --time T, --constraint C, --nodes N, --exclusive
#                      passed to sbatch as they are (--exclusive: no other job on a task's node)
#   --wait             wait for the array to end (sbatch --wait), then --merge
#   --dry-run          print the sbatch command and the batch script, submit nothing
#   --merge DIR        (re)merge DIR's parts into DIR/merged/ (--split; remove merged/ first to
#                      redo it), or write DIR/INDEX.md and DIR/FLEET.md over the runs (--same-suite)
# Flags after -- go to every statelab-bench (--suite, --tier, --engines, --filter, --min-time...).
# Exit: 0 submitted (or merged), 1 the array or the merge failed, 2 usage error.
set -euo pipefail
shopt -s nullglob
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "fleet: $*" >&2; exit 2; }

mode="" count="" tasks=1 parts="" merge_dir="" wait=0 dry=0 kill_task=""
bench="$root/build/release/bench/statelab-bench"
report="$root/build/release/reports/statelab-report"
sbatch_args=() bench_args=()
while (($#)); do
  case "$1" in
    --split) [[ $# -ge 2 ]] || die "--split needs N"; mode=split count="$2"; shift ;;
    --same-suite) mode=same ;;
    --tasks) [[ $# -ge 2 ]] || die "--tasks needs K"; tasks="$2"; shift ;;
    --parts-dir) [[ $# -ge 2 ]] || die "--parts-dir needs DIR"; parts="$2"; shift ;;
    --bench) [[ $# -ge 2 ]] || die "--bench needs PATH"; bench="$2"; shift ;;
    --report) [[ $# -ge 2 ]] || die "--report needs PATH"; report="$2"; shift ;;
    --partition|--time|--constraint|--nodes)
      [[ $# -ge 2 ]] || die "$1 needs a value"; sbatch_args+=("$1=$2"); shift ;;
    --exclusive) sbatch_args+=(--exclusive) ;;
    --wait) wait=1 ;;
    --dry-run) dry=1 ;;
    --merge) [[ $# -ge 2 ]] || die "--merge needs DIR"; merge_dir="$2"; shift ;;
    # TESTING ONLY (scripts/test.sh): task I's bench is killed (SIGKILL) once it has written its
    # shard.json, as a node failure would.
    --test-kill-task) [[ $# -ge 2 ]] || die "--test-kill-task needs I"; kill_task="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; bench_args=("$@"); break ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

# --merge DIR: the mode and count come from DIR/fleet.env, written at submission.
merge() {
  local dir=$1
  [[ -f "$dir/fleet.env" ]] || { echo "fleet: $dir/fleet.env missing (not a fleet.sh parts dir)" >&2; return 1; }
  local fleet_mode fleet_count
  fleet_mode=$(sed -n 's/^mode=//p' "$dir/fleet.env")
  fleet_count=$(sed -n 's/^count=//p' "$dir/fleet.env")
  if [[ $fleet_mode == same ]]; then
    # One run folder per machine: nothing to merge; INDEX.md groups them by fingerprint and
    # FLEET.md puts them side by side (ratios to the first).
    local run done_runs=()
    for run in "$dir"/run_*/; do
      run=${run%/}
      if [[ -f "$run/baseline.json" ]]; then
        done_runs+=("$run")
      else
        echo "fleet: $run did not finish: $(cat "$run/fleet_status.txt" 2>/dev/null || echo 'no status')"
      fi
    done
    echo "fleet: ${#done_runs[@]} of $fleet_count machine runs complete"
    "$report" --index "$dir" >/dev/null
    ((${#done_runs[@]} == 0)) || "$report" fleet "$dir/FLEET.md" "${done_runs[@]}"
    ((${#done_runs[@]} == fleet_count))
    return
  fi
  local part_dirs=() i
  for ((i = 1; i <= fleet_count; i++)); do part_dirs+=("$dir/part_$i"); done
  "$report" merge "$dir/merged" "${part_dirs[@]}"
}

if [[ -n "$merge_dir" ]]; then
  [[ -z "$mode" ]] || die "--merge DIR takes no other mode"
  merge "$merge_dir"
  exit $?
fi

[[ -n "$mode" ]] || die "give --split N or --same-suite (see --help)"
[[ -n "$parts" ]] || die "--parts-dir DIR is required (shared storage every node sees)"
if [[ $mode == split ]]; then
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || die "--split: '$count' is not a positive integer"
else
  [[ "$tasks" =~ ^[1-9][0-9]*$ ]] || die "--tasks: '$tasks' is not a positive integer"
  count=$tasks
fi
[[ -z "$kill_task" || "$kill_task" =~ ^[1-9][0-9]*$ ]] || die "--test-kill-task: not a task number"
for a in "${bench_args[@]}"; do
  case "$a" in --out|--out=*|--shard|--shard=*) die "$a is set by fleet.sh per task" ;; esac
done
((dry)) || [[ -x "$bench" ]] || die "$bench is not executable (build it, or give --bench)"
command -v sbatch >/dev/null || ((dry)) || die "sbatch not found (Debian: slurm-client)"

mkdir -p "$parts"
parts="$(cd "$parts" && pwd)"
if [[ -e "$parts/fleet.env" ]] && ((!dry)); then die "$parts already holds a fleet run (fleet.env)"; fi

# The batch script every array task runs. A task records how it ended in fleet_status.txt, which
# the merge quotes for a part that left no baseline.json.
job="$parts/fleet_job.sh"
{
  echo '#!/usr/bin/env bash'
  echo "# Generated by scripts/fleet.sh for $parts; one array task per part (docs/fleet.md)."
  printf 'bench=%q mode=%q count=%q parts=%q kill_task=%q repo=%q\n' \
    "$bench" "$mode" "$count" "$parts" "$kill_task" "$root"
  printf 'bench_args=(' && printf '%q ' "${bench_args[@]}" && echo ')'
  cat <<'EOF'
i=${SLURM_ARRAY_TASK_ID:?not a Slurm array task}
host=$(hostname -s)
if [[ $mode == split ]]; then
  out="$parts/part_$i"
  extra=(--shard "$i/$count")
else
  commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  out="$parts/run_$(date -u +%Y-%m-%d_%H-%M-%S)_${commit}_fleet-$host-$i"
  extra=()
fi
mkdir -p "$out"
status() { echo "$*" >"$out/fleet_status.txt"; }
child=""
# Slurm's time limit and scancel send SIGTERM first: say so before the SIGKILL that follows.
trap 'status "cancelled or timed out on $host (SIGTERM from Slurm, job ${SLURM_ARRAY_JOB_ID}_$i)"; [[ -n $child ]] && kill -TERM "$child" 2>/dev/null; exit 143' TERM
"$bench" "${bench_args[@]}" "${extra[@]}" --out "$out" &
child=$!
if [[ $kill_task == "$i" ]]; then
  while [[ ! -f "$out/shard.json" ]] && kill -0 "$child" 2>/dev/null; do sleep 0.05; done
  kill -KILL "$child" 2>/dev/null || true
fi
rc=0
wait "$child" || rc=$?
if ((rc > 128)); then
  status "exit $rc (killed by signal $((rc - 128))) on $host"
else
  status "exit $rc on $host"
fi
# Exit 1 (some cells failed, listed in skipped[]) still leaves a complete part.
((rc <= 1))
EOF
} >"$job"
chmod +x "$job"

submit=(sbatch --parsable --job-name=statelab-fleet --array="1-$count" --ntasks=1
        --output="$parts/slurm-%A_%a.out" "${sbatch_args[@]}")
((wait)) && submit+=(--wait)
if ((dry)); then
  printf '%q ' "${submit[@]}" "$job"; echo
  cat "$job"
  exit 0
fi
printf 'mode=%s\ncount=%s\n' "$mode" "$count" >"$parts/fleet.env"
echo "fleet: submitting $count task(s) ($mode) to Slurm; parts in $parts"
rc=0
jobid=$("${submit[@]}" "$job") || rc=$?
echo "fleet: job ${jobid%%;*}$( ((rc)) && echo " ended with failures (sbatch exit $rc)")"
if ((wait)); then
  merge "$parts" || exit 1
  ((rc == 0)) || exit 1
else
  echo "fleet: when it ends: scripts/fleet.sh --merge $parts"
fi
