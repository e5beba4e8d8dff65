#!/usr/bin/env bash
# The fleet stage of scripts/test.sh (docs/fleet.md): a one-node Slurm cluster on localhost runs
# scripts/fleet.sh --split 2 over the quick B tier of one engine, twice (the second time task 2
# is killed), and --same-suite over a small filter. Checks that a merged baseline holds exactly
# the union of the parts' cells, each with valid statistics, that the parts and skipped[] cover
# the unsharded selection, and that the killed task's cells are in skipped[] with the reason.
# Usage: tests/fleet/fleet_test.sh BUILD_DIR   (run it under `timeout`: scripts/test.sh does)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
bench="$build/bench/statelab-bench"
report="$build/reports/statelab-report"
gate="$build/gates/statelab-gate"
fleet="$root/scripts/fleet.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/statelab-fleet.XXXXXX")
# shellcheck source=tests/fleet/slurm_cluster.sh
source "$root/tests/fleet/slurm_cluster.sh"
trap 'rc=$?; ((rc == 0)) || cluster_logs; cluster_stop; rm -rf "$work"' EXIT
trap 'exit 143' TERM INT  # timeout(1): still stop the cluster
t0=$(date +%s)

cluster_start "$work/cluster"
echo "fleet_test: one-node Slurm cluster up in $(($(date +%s) - t0)) s"

# The quick B tier of one engine, short: the test checks plumbing, not figures.
sel=(--suite quick --tier B --engines btree --repetitions 2 --min-time 0.002)
"$bench" "${sel[@]}" --list >"$work/selection.txt"
tool=(--bench "$bench" --report "$report")

# check_merged DIR EXPECT_KILLED: the merged run against the parts and the unsharded selection.
check_merged() {
  python3 - "$1" "$2" "$work/selection.txt" <<'EOF'
import json, os, sys
parts_dir, killed, selection = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
def load(p):
    with open(p) as f:
        return json.load(f)
merged = load(os.path.join(parts_dir, "merged", "baseline.json"))
names = [b["name"] for b in merged["benchmarks"]]
assert len(names) == len(set(names)), "a cell twice in the merged run"
union = set()
for i in (1, 2):
    p = os.path.join(parts_dir, "part_%d" % i, "baseline.json")
    if os.path.exists(p):
        for b in load(p)["benchmarks"]:
            union.add(b["name"])
assert set(names) == union, "merged %d cells, parts hold %d" % (len(names), len(union))
for b in merged["benchmarks"]:
    s = b["stats"]
    assert len(b["repetitions"]) == 2 and s["median_ns"] > 0 and s["min_ns"] <= s["median_ns"] <= s["max_ns"], b["name"]
want = set()
for line in open(selection):
    line = line.strip()
    want.add(line[5:line.index(": ")] if line.startswith("SKIP ") else line)
skipped = {s["name"]: s for s in merged.get("skipped", [])}
assert set(names) | set(skipped) == want, "merged + skipped is not the selection: %s" % sorted(want ^ (set(names) | set(skipped)))
assert not set(names) & set(skipped), "a cell both measured and skipped"
parts = merged["environment"]["fleet"]["parts"]
assert [p["shard_index"] for p in parts] == [1, 2], parts
if killed:
    owed = [c["name"] for c in load(os.path.join(parts_dir, "part_2", "shard.json"))["cells"]]
    assert owed, "the killed part owed no cells"
    for n in owed:
        s = skipped.get(n)
        assert s and s["failed"] and "killed by signal 9" in s["reason"], (n, s)
    assert parts[1]["status"] == "incomplete", parts[1]
    assert not os.path.exists(os.path.join(parts_dir, "part_2", "baseline.json"))
else:
    assert all(p["status"] == "complete" for p in parts), parts
    assert not any(s["failed"] for s in skipped.values()), "a failed cell in a clean run"
print("fleet_test: %s: %d cells merged, %d skipped%s" % (parts_dir, len(names), len(skipped),
      " (the killed part's %d cells among them)" % len(owed) if killed else ""))
EOF
}

"$fleet" --split 2 --wait --parts-dir "$work/split" "${tool[@]}" -- "${sel[@]}"
check_merged "$work/split" 0
echo "fleet_test: --split 2 done at $(($(date +%s) - t0)) s"

# The merged run gates like one process over the same cells: the same rules expect the same
# cells and miss the same ones, and judge the same cells from the same inputs. Statuses may
# differ: two runs, two measurements (a short run's p99 may lack samples in one and not the other).
"$bench" "${sel[@]}" --out "$work/single" >/dev/null
for run in split/merged single; do
  rc=0
  "$gate" "$work/$run/baseline.json" --ci --quiet --out "$work/gate_${run%%/*}" || rc=$?
  ((rc <= 1)) || { echo "fleet_test: statelab-gate could not read $run (exit $rc)" >&2; exit 1; }
done
python3 - "$work/gate_split/gates.json" "$work/gate_single/gates.json" <<'PY'
import json, sys
def shape(path):
    g = json.load(open(path))
    rules = sorted((r["id"], tuple(r["expected_cells"]), tuple(r["missing_cells"])) for r in g["rules"])
    verdicts = sorted((v["id"], v["subject"], v["engine"], v["mode"], tuple(v["inputs"]))
                      for v in g["verdicts"] if v["inputs"])
    return rules, verdicts
merged, single = shape(sys.argv[1]), shape(sys.argv[2])
assert merged[0] == single[0], "rules differ:\n%s\n%s" % (merged[0], single[0])
assert merged[1] == single[1], "verdicts differ: %s" % (set(merged[1]) ^ set(single[1]))
print("fleet_test: the merged run and one process gate alike (%d rules, %d verdicts)" % (len(merged[0]), len(merged[1])))
PY
echo "fleet_test: gate comparison done at $(($(date +%s) - t0)) s"

# Task 2 dies after writing its shard.json: the array fails, the merge still names its cells.
if "$fleet" --split 2 --wait --test-kill-task 2 --parts-dir "$work/killed" "${tool[@]}" -- "${sel[@]}"; then
  echo "fleet_test: a run with a killed task reported success" >&2
  exit 1
fi
check_merged "$work/killed" 1
# In CI mode the gate fails the killed part's cells as missing, as for cells failed in one process.
if "$gate" "$work/killed/merged/baseline.json" --ci --quiet --out "$work/gate_killed"; then
  echo "fleet_test: statelab-gate --ci passed a run with a killed part" >&2
  exit 1
fi
python3 - "$work/gate_killed/gates.json" "$work/gate_split/gates.json" <<'PY'
import json, sys
def missing(path):
    return {c for r in json.load(open(path))["rules"] for c in r["missing_cells"]}
killed, whole = missing(sys.argv[1]), missing(sys.argv[2])
extra = killed - whole
# (A denominator missing in the whole run may vanish with its numerator: no subset test.)
assert extra, "the killed part's cells are not missing"
assert all("tier=B" in c or c.startswith("denominator of B/") for c in extra), sorted(extra)
print("fleet_test: the gate misses %d more cells with part 2 killed" % len(extra))
PY
echo "fleet_test: killed task done at $(($(date +%s) - t0)) s"

# --same-suite: one run folder per task, each the whole (small) selection.
"$fleet" --same-suite --tasks 2 --wait --parts-dir "$work/same" "${tool[@]}" -- \
  --suite quick --tier B --engines btree --modes inmemory --filter '/(get|put)/' \
  --repetitions 2 --min-time 0.002
runs=("$work"/same/run_*/baseline.json)
((${#runs[@]} == 2)) || { echo "fleet_test: --same-suite left ${#runs[@]} runs, want 2" >&2; exit 1; }
python3 - "${runs[@]}" <<'EOF'
import json, sys
cells = [sorted(b["name"] for b in json.load(open(p))["benchmarks"]) for p in sys.argv[1:]]
assert cells[0] and cells[0] == cells[1], cells
EOF
grep -q "run_" "$work/same/INDEX.md"
grep -q "ratio to base" "$work/same/FLEET.md"
echo "fleet_test: passed in $(($(date +%s) - t0)) s"
