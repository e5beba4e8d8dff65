#!/usr/bin/env bash
# Redis 7.0.15's own test suite (unmodified: ../shared/redis-tests-7.0.15, see its ABOUT.md) in
# external mode against `statelab serve`, one server per engine, the engines in parallel. Every
# test that fails must be listed, with its reason, in tests/resp/redis_suite_expected_failures.txt;
# an unlisted failure (or an aborted unit) fails the script. docs/resp.md#redis-test-suite.
# Usage: tests/resp/redis_suite.sh --statelab BIN [--suite DIR] [--engines LIST] [--units LIST]
#                                  [--keep DIR]
#   --statelab BIN  the statelab binary (required)
#   --suite DIR     the suite (default: ../shared/redis-tests-7.0.15 next to the repository or
#                   next to the one it was cloned from)
#   --engines LIST  comma list (default: every engine `statelab serve --help` names)
#   --units LIST    comma list (default: the string and key units of issue 21)
#   --keep DIR      keep each engine's suite output in DIR/<engine>.log
# Exit 0: no unexpected failure; 1: unexpected failures; 2: usage; 77: tclsh or the suite missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

statelab="" suite="" engines="" keep=""
units="unit/type/string,unit/keyspace,unit/expire,unit/type/incr,unit/protocol,unit/multi,unit/info-command,unit/quit"
while (($#)); do
  case "$1" in
    --statelab) statelab=${2:?}; shift ;;
    --suite) suite=${2:?}; shift ;;
    --engines) engines=${2:?}; shift ;;
    --units) units=${2:?}; shift ;;
    --keep) keep=${2:?}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "redis_suite: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -x "$statelab" ]] || { echo "redis_suite: --statelab BIN is required (an executable)" >&2; exit 2; }
if [[ -z "$suite" ]]; then
  # The suite sits next to the repository's checkout (or next to the main checkout of a worktree,
  # or next to the repository a fresh clone was made from: CI clones elsewhere).
  candidates=("$repo/../shared/redis-tests-7.0.15" "$repo/../../shared/redis-tests-7.0.15")
  origin=$(git -C "$repo" config --get remote.origin.url 2>/dev/null || true)
  [[ -d "$origin" ]] &&
    candidates+=("$origin/../shared/redis-tests-7.0.15" "$origin/../../shared/redis-tests-7.0.15")
  for candidate in "${candidates[@]}"; do
    [[ -d "$candidate" ]] && { suite=$candidate; break; }
  done
fi
if [[ -z "$suite" || ! -f "$suite/tests/test_helper.tcl" ]]; then
  echo "redis_suite: SKIPPED: Redis's test suite not found (../shared/redis-tests-7.0.15 next to" \
    "the checkout or its origin; --suite DIR)"
  exit 77
fi
if ! command -v tclsh >/dev/null; then
  echo "redis_suite: SKIPPED: tclsh is not installed (apt-get install tcl; scripts/deps.sh)"
  exit 77
fi
if [[ -z "$engines" ]]; then
  engines=$("$statelab" serve --help | sed -n 's/^ *--engine E *//p' | tr -d ' ' | tr '|' ',')
fi
expected="$here/redis_suite_expected_failures.txt"

work=$(mktemp -d "${TMPDIR:-/tmp}/statelab-redis-suite-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Runs the units against a fresh `statelab serve --engine $1 --mode inmemory`; the suite's
# output goes to $work/$1.log. $2: the engine's index, which keeps the ports of the suites
# running in parallel apart (each one listens for its test clients below its --baseport).
run_engine() {
  local engine=$1 dir="$work/$1" baseport=$((21111 + 200 * $2))
  mkdir -p "$dir"
  cp -r "$suite/." "$dir/suite"  # the suite writes into tests/tmp: never into the shared copy
  "$statelab" serve --engine "$engine" --mode inmemory --port 0 >"$dir/serve.out" 2>"$dir/serve.err" &
  local serve=$!
  local port="" i
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$dir/serve.out")
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  if [[ -z "$port" ]]; then
    echo "statelab serve --engine $engine did not start: $(head -c 500 "$dir/serve.err")" >"$work/$engine.log"
    kill "$serve" 2>/dev/null || true
    return
  fi
  local single=()
  IFS=, read -ra list <<<"$units"
  for u in "${list[@]}"; do single+=(--single "$u"); done
  # Tags left out: what needs a server the suite starts itself (DEBUG, replication, restarts,
  # config files); external mode skips "external:skip" by itself. --durable: a test that hits
  # an error reply it did not expect (a command of another data type) fails alone instead of
  # aborting the unit.
  # TERM=dumb: no colour codes in the log this script reads.
  (cd "$dir/suite" && TERM=dumb timeout 600 tclsh tests/test_helper.tcl --host 127.0.0.1 \
    --port "$port" --baseport "$baseport" "${single[@]}" --clients 1 --timeout 60 \
    --ignore-encoding --ignore-digest --durable \
    --tags "-needs:debug -needs:repl -needs:save -needs:config-maxmemory -needs:pfdebug" \
    >"$work/$engine.log" 2>&1) || true
  kill "$serve" 2>/dev/null || true
  wait "$serve" 2>/dev/null || true
}

start=$(date +%s)
IFS=, read -ra engine_list <<<"$engines"
for i in "${!engine_list[@]}"; do
  run_engine "${engine_list[$i]}" "$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
seconds=$(($(date +%s) - start))

# The expected failures: "unit | test name | reason" lines; '#' starts a comment.
mapfile -t allowed < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$expected" |
  awk -F' [|] ' '{ print $1 " | " $2 }')
is_expected() {
  local key=$1 a
  for a in "${allowed[@]}"; do [[ "$a" == "$key" ]] && return 0; done
  return 1
}

status=0
declare -A failed_anywhere=()
for e in "${engine_list[@]}"; do
  log="$work/$e.log"
  [[ -n "$keep" ]] && { mkdir -p "$keep"; cp "$log" "$keep/$e.log"; }
  ok=$(grep -ac '^\[ok\]: ' "$log" || true)
  skipped=$(grep -ac "^\[ignore\]: " "$log" || true)
  unexpected=() expected_n=0
  while IFS= read -r line; do
    # "[err]: NAME in tests/unit/X.tcl"
    name=${line#\[err\]: }
    unit=${name##* in tests/}
    unit=${unit%.tcl}
    name=${name% in tests/*}
    key="$unit | $name"
    failed_anywhere[$key]=1
    if is_expected "$key"; then
      expected_n=$((expected_n + 1))
    else
      unexpected+=("$key")
    fi
  done < <(grep -a '^\[err\]: ' "$log" || true)
  failed=$((expected_n + ${#unexpected[@]}))
  total=$((ok + failed))
  echo "redis_suite: $e: $ok of $total tests passed ($expected_n expected failures, ${#unexpected[@]} unexpected; $skipped skipped by tag)"
  for k in "${unexpected[@]}"; do echo "  UNEXPECTED FAILURE: $k"; done
  if ((${#unexpected[@]} > 0)); then status=1; fi
  if grep -aq '^\[exception\]' "$log" || ! grep -aq 'All tests passed\|\[ok\]: ' "$log"; then
    echo "  the suite did not finish on $e:"
    grep -a -A15 '^\[exception\]' "$log" | head -30 | sed 's/^/    /' || tail -20 "$log" | sed 's/^/    /'
    status=1
  fi
  if ((${#unexpected[@]} > 0)); then
    grep -a -B2 -A12 '^\[err\]: ' "$log" | head -60 | sed 's/^/    /'
  fi
done
# Listed failures that passed on every engine are stale entries: say so (not an error).
for a in "${allowed[@]}"; do
  [[ -n "${failed_anywhere[$a]:-}" ]] || echo "redis_suite: listed but passed everywhere: $a"
done
echo "redis_suite: ${#engine_list[@]} engines in parallel, $seconds s"
exit $status
