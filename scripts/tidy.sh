#!/usr/bin/env bash
# clang-tidy with the repository's .clang-tidy over every C++ source of the release build
# (build/release/compile_commands.json) outside tests/, the repository's headers included through
# them; --with-tests adds the test sources (they double the cold time: docs/building.md). Exits 1
# on any finding. A source whose own text, the text of every header it includes, its flags and the
# checks are unchanged since it was last found clean is not checked again (a cache of clean
# fingerprints in $STATELAB_TIDY_CACHE, default ~/.cache/statelab-tidy), so a warm run costs
# seconds.
# Usage: scripts/tidy.sh [--jobs N] [--with-tests] [FILE...]   (FILEs: check only these sources)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
files=()
with_tests=0
while (($#)); do
  case "$1" in
    --jobs) [[ $# -ge 2 ]] || { echo "tidy: --jobs needs a value" >&2; exit 2; }; jobs=$2; shift ;;
    --with-tests) with_tests=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "tidy: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) files+=("$1") ;;
  esac
  shift
done
build=build/release
db=$build/compile_commands.json
[[ -f $db ]] || { echo "tidy: $db is missing: run cmake --preset release first" >&2; exit 3; }
command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy is not installed (scripts/deps.sh)" >&2; exit 3; }
cache=${STATELAB_TIDY_CACHE:-$HOME/.cache/statelab-tidy}
mkdir -p "$cache"

# Every repository source in the build, minus generated and fuzz-only files (and tests).
if ((${#files[@]} == 0)); then
  mapfile -t files < <(python3 -c '
import json, os, sys
root, skip = sys.argv[1], ("build", "..") + (() if sys.argv[3] == "1" else ("tests/",))
for c in json.load(open(sys.argv[2])):
    f = os.path.relpath(c["file"], root)
    if not f.startswith(skip) and "/fuzz/" not in f:
        print(f)' "$root" "$db" "$with_tests" | sort -u)
fi

# Fingerprint: the checks, clang-tidy's version, the source's compile command and the text of
# the source and every header it reads (from the compiler's dependency list).
fingerprint() {
  local f=$1 deps
  deps=$(g++ -std=c++20 -MM -MG -I. $(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1])):
    if c["file"].endswith("/" + sys.argv[2]):
        print(" ".join(a for a in c.get("command", "").split() if a.startswith(("-I", "-D", "-isystem"))))
        break' "$db" "$f") "$f" 2>/dev/null | tr -d '\\\n' | cut -d: -f2-)
  { cat .clang-tidy; clang-tidy --version; echo "$f"; cat $deps 2>/dev/null; } | sha256sum | cut -c1-40
}
export -f fingerprint
export db cache

check_one() {
  local f=$1 fp out
  fp=$(fingerprint "$f")
  [[ -e "$cache/$fp" ]] && return 0
  if out=$(clang-tidy -p "$db" --quiet "$f" 2>&1) && ! grep -q 'warning:\|error:' <<<"$out"; then
    touch "$cache/$fp"
    return 0
  fi
  echo "$out" | grep -v '^[0-9]* warnings\? generated\.$' >&2
  return 1
}
export -f check_one

echo "tidy: ${#files[@]} sources, $jobs at a time"
if printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$jobs" bash -c 'check_one "$0"'; then
  echo "tidy: clean"
else
  echo "tidy: findings above (.clang-tidy lists the checks; docs/building.md says why each is on)" >&2
  exit 1
fi
