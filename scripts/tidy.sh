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

# Each source to check with its fingerprint: the checks, clang-tidy's version, the source's compile
# command (checkout path removed) and the text of the source and of every header of ours it reads,
# from the build's own dependency log (ninja -t deps). A source the build has not compiled has no
# fingerprint and is always checked. Default selection: every repository source in the build,
# minus generated and fuzz-only files (and tests).
mapfile -t todo < <(ninja -C "$build" -t deps 2>/dev/null | python3 -c '
import hashlib, json, os, subprocess, sys
root, db, with_tests = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
explicit = [os.path.relpath(os.path.abspath(f), root) for f in sys.argv[4:]]
build = os.path.join(root, "build/release")
common = hashlib.sha256(open(os.path.join(root, ".clang-tidy"), "rb").read())
common.update(subprocess.run(["clang-tidy", "--version"], capture_output=True).stdout)
deps, current = {}, None
for line in sys.stdin:
    if not line.startswith(" "):
        current = None
        continue
    path = os.path.relpath(os.path.normpath(os.path.join(build, line.strip())), root)
    if current is None:
        current = deps.setdefault(path, [])
    elif not path.startswith(("..", "build")):
        current.append(path)
commands = {}
for c in json.load(open(db)):
    f = os.path.relpath(c["file"], root)
    commands[f] = c.get("command", "").replace(root, "")
skip = ("build", "..") + (() if with_tests else ("tests/",))
files = explicit or sorted(f for f in commands if not f.startswith(skip) and "/fuzz/" not in f)
for f in files:
    if f not in deps or f not in commands:
        print("none", f)
        continue
    h = common.copy()
    h.update(f.encode() + b"\0" + commands[f].encode())
    for d in [f] + sorted(set(deps[f])):
        h.update(d.encode() + b"\0" + open(os.path.join(root, d), "rb").read())
    print(h.hexdigest()[:40], f)
' "$root" "$db" "$with_tests" ${files[@]+"${files[@]}"})
export db cache

check_one() {
  local fp=$1 f=$2 out
  if out=$(clang-tidy -p "$db" --quiet "$f" 2>&1) && ! grep -q 'warning:\|error:' <<<"$out"; then
    [[ $fp == none ]] || touch "$cache/$fp"
    return 0
  fi
  echo "$out" | grep -v '^[0-9]* warnings\? generated\.$' >&2
  return 1
}
export -f check_one

stale=()
for entry in "${todo[@]}"; do
  [[ -e "$cache/${entry%% *}" ]] || stale+=("$entry")
done
echo "tidy: ${#todo[@]} sources, $((${#todo[@]} - ${#stale[@]})) unchanged since found clean;" \
     "checking ${#stale[@]}, $jobs at a time"
if printf '%s\n' ${stale[@]+"${stale[@]}"} | xargs -r -L 1 -P "$jobs" bash -c 'check_one "$0" "$1"'; then
  echo "tidy: clean"
else
  echo "tidy: findings above (.clang-tidy lists the checks; docs/building.md says why each is on)" >&2
  exit 1
fi
