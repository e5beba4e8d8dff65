#!/usr/bin/env bash
# Follows README's "Adding an engine" on a copy of the tree, for a fourth engine `copybtree` (a
# renamed copy of btree), builds it, and checks that the engine appears everywhere the README
# promises: the conformance suite, the bench catalogue (statelab-bench --describe), the gates and
# the server suite. Nothing else is edited, so a step missing from the README fails here.
# Usage: tests/layout/add_engine_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
work=$(realpath -m "$2")
fail() { echo "add_engine_test: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/tree"
tree="$work/tree"
# The tree as it is (tracked and new files), without build folders or results.
(cd "$src" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
   [[ -e "$f" ]] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | (cd "$tree" && tar xf -)

# Step 1: engines/<name>/<name>_engine.{h,cc}, a class with kName, its Partition and the engine
# methods, static_assert(Engine<...>) under it.
mkdir "$tree/engines/copybtree"
for ext in h cc; do
  sed -e 's#engines/btree/btree_engine.h#engines/copybtree/copybtree_engine.h#' \
      -e 's/BTreeEngine/CopyBTreeEngine/g' \
      -e 's/kName = "btree"/kName = "copybtree"/' \
      "$tree/engines/btree/btree_engine.$ext" > "$tree/engines/copybtree/copybtree_engine.$ext"
done
# Step 2: add it to AllEngines in engines/registry/engine_list.h (its include and its type).
list="$tree/engines/registry/engine_list.h"
sed -i -e 's#^\#include "engines/btree/btree_engine.h"#&\n\#include "engines/copybtree/copybtree_engine.h"#' \
       -e 's/^using AllEngines = EngineList<\(.*\)>;/using AllEngines = EngineList<\1, CopyBTreeEngine>;/' "$list"
grep -q 'CopyBTreeEngine>;' "$list" || fail "could not add the engine to AllEngines in $list"

# Build what the checks run, in the copy's own build folder, unoptimised: the engine list reaches
# most of what these targets compile, so the release build's object files are of little use, and
# what is checked here is where the engine appears, not its speed (docs/building.md).
export CCACHE_BASEDIR="$tree" CCACHE_NOHASHDIR=true
cmake -S "$tree" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O0 -DNDEBUG" -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
  >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure failed"; }
cmake --build "$work/build" -j "${JOBS:-$(nproc)}" --target conformance_kv_test statelab-bench \
  statelab-gate statelab-servers >"$work/build.log" 2>&1 || { tail -50 "$work/build.log"; fail "build failed"; }
bin="$work/build"

# The conformance suite: every case on every mode of the new engine.
cases=$("$bin/tests/conformance/conformance_kv_test" --gtest_list_tests)
for mode in inmemory buffered strict; do
  grep -q "^KvConformance/copybtree_$mode\." <<<"$cases" ||
    fail "conformance_kv_test has no KvConformance/copybtree_$mode cases"
done
"$bin/tests/conformance/conformance_kv_test" --gtest_filter='KvConformance/copybtree_*' \
  --gtest_brief=1 >"$work/conformance.log" 2>&1 || { tail -30 "$work/conformance.log"; fail "its conformance cases failed"; }

# The bench catalogue: --describe names it, and its cells are listed.
"$bin/bench/statelab-bench" --describe >"$work/describe.json"
grep -q '"copybtree"' "$work/describe.json" || fail "statelab-bench --describe does not list copybtree"
"$bin/bench/statelab-bench" --list --engines copybtree --tier B >"$work/cells.txt"
grep -q '^B/kv/get/copybtree/inmemory' "$work/cells.txt" || fail "no B/kv/get cell for copybtree"

# The gates: a rule over "*" engines evaluates the new engine's cells.
"$bin/bench/statelab-bench" --engines copybtree --modes inmemory --filter '^B/kv/get/' \
  --repetitions 1 --out "$work/run" >"$work/bench.log" 2>&1 || { tail -20 "$work/bench.log"; fail "bench run failed"; }
rc=0
"$bin/gates/statelab-gate" "$work/run/baseline.json" --out "$work/run" >"$work/gate.log" 2>&1 || rc=$?
((rc <= 1)) || { cat "$work/gate.log"; fail "statelab-gate exited $rc"; }
python3 - "$work/run/gates.json" <<'EOF' || fail "no gate verdict evaluated copybtree"
import json, sys
verdicts = json.load(open(sys.argv[1]))["verdicts"]
ok = [v for v in verdicts if v.get("engine") == "copybtree" and v["status"] != "skip"]
sys.exit(0 if ok else 1)
EOF

# The server suite: the engines it would serve include the new one.
"$bin/tools/server_suite/statelab-servers" --list-engines >"$work/servers.txt"
grep -qx copybtree "$work/servers.txt" || fail "the server suite does not serve copybtree"

echo "add_engine_test: copybtree appears in the conformance suite, --describe, the gates and the server suite"
