// The fleet tools of statelab-report. merge: parts of a split fleet run merged in catalogue
// order, with provenance; a part that did not finish names its cells in skipped[]; parts of
// different machines, commits or shard counts are refused and nothing is written. fleet: runs of
// one commit side by side, ratios to the base machine; other commits refused.

#include "reports/merge.h"

#include "reports/fleet_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gates/gate_eval.h"
#include "harness/baseline.h"
#include "tests/gates/test_util.h"
#include "util/json.h"

namespace statelab::reports {
namespace {

namespace json = boost::json;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

struct PartCell {
  std::string op;
  size_t order;
};

std::string NameOf(const std::string& op) { return "B/kv/" + op + "/btree/inmemory"; }

json::object CellJson(const PartCell& c) {
  return json::object{{"name", NameOf(c.op)}, {"tier", "B"},       {"group", "kv"},
                      {"op", c.op},           {"engine", "btree"}, {"kind", "engine"},
                      {"mode", "inmemory"},   {"threads", 1},      {"params", json::object{}},
                      {"order", c.order}};
}

struct PartSpec {
  int index = 1;
  int count = 2;
  std::vector<PartCell> cells;
  std::vector<PartCell> skipped;  // planned skips
  std::string fingerprint = "f00d";
  std::string commit = "abc123";
  bool finished = true;
  std::string status;  // fleet_status.txt
};

PartSpec Spec(int index, std::vector<PartCell> cells, int count = 2) {
  PartSpec p;
  p.index = index;
  p.count = count;
  p.cells = std::move(cells);
  return p;
}

// Writes what statelab-bench --shard I/N --out DIR (and fleet.sh) would: shard.json, then
// baseline.json when the part finished.
void WritePart(const std::string& dir, const PartSpec& p) {
  std::filesystem::create_directories(dir);
  const std::string host = "node" + std::to_string(p.index);
  json::array cells, skipped;
  for (const PartCell& c : p.cells) cells.emplace_back(CellJson(c));
  for (const PartCell& c : p.skipped) {
    json::object o = CellJson(c);
    o["reason"] = "no API";
    o["failed"] = false;
    skipped.emplace_back(std::move(o));
  }
  const json::object shard{{"kind", harness::kShardFileKind},
                           {"shard_index", p.index},
                           {"shard_count", p.count},
                           {"git_commit", p.commit},
                           {"suite", "quick"},
                           {"seed", 7},
                           {"host", host},
                           {"machine_fingerprint", p.fingerprint},
                           {"cells", cells},
                           {"skipped", skipped}};
  ASSERT_TRUE(util::WriteFile(dir + "/shard.json", util::JsonFileText(shard)).ok());
  if (!p.status.empty()) {
    ASSERT_TRUE(util::WriteFile(dir + "/" + kPartStatusFile, p.status + "\n").ok());
  }
  if (!p.finished) return;
  harness::Baseline b;
  b.run_id = "run_part" + std::to_string(p.index);
  b.created_utc = "2026-12-07T11:0" + std::to_string(p.index) + ":00Z";
  b.git.commit = p.commit;
  b.git.dirty = false;
  b.environment = json::object{
      {"hostname", host},
      {"machine", json::object{{"fingerprint", p.fingerprint}}},
      {"harness", json::object{{"shard", std::to_string(p.index) + "/2"}}},
      {"warnings", json::array{"1 benchmark cells skipped (reasons in baseline.json skipped[])"}}};
  b.config.suite = "quick";
  b.config.engines = {"btree"};
  b.config.modes = {"inmemory"};
  b.config.repetitions = 2;
  b.config.seed = 7;
  b.config.cores = 2;
  for (const PartCell& c : p.cells) {
    harness::BenchmarkResult r;
    r.name = NameOf(c.op);
    r.tier = "B";
    r.group = "kv";
    r.op = c.op;
    r.engine = "btree";
    r.mode = "inmemory";
    r.repetitions = {{10.0 + static_cast<double>(c.order), 1e8, 100},
                     {10.0 + static_cast<double>(c.order), 1e8, 100}};
    r.stats = ValueOf(harness::ComputeStats(r.repetitions));
    b.benchmarks.push_back(std::move(r));
  }
  json::value doc = harness::ToJson(b);
  doc.as_object()["skipped"] = skipped;
  ASSERT_TRUE(util::WriteFile(dir + "/baseline.json", util::JsonFileText(doc)).ok());
}

std::vector<std::string> BenchmarkNames(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& r : ValueOf(harness::ReadBaselineFile(path)).benchmarks) names.push_back(r.name);
  return names;
}

TEST(Merge, PartsMergeInCatalogueOrderWithProvenance) {
  TempDir tmp;
  WritePart(tmp / "p1", Spec(1, {{"get", 0}, {"scan", 2}}));
  PartSpec spec_p2 = Spec(2, {{"put", 1}});
  spec_p2.skipped = {{"vector", 3}};
  WritePart(tmp / "p2", spec_p2);
  const MergeOutcome m = ValueOf(MergeParts(tmp / "run_merged", {tmp / "p2", tmp / "p1"}));
  EXPECT_EQ(m.parts_complete, 2);
  EXPECT_EQ(m.parts_incomplete, 0);
  EXPECT_EQ(m.results, 3u);
  EXPECT_EQ(BenchmarkNames(m.path),
            (std::vector<std::string>{NameOf("get"), NameOf("put"), NameOf("scan")}));

  const harness::Baseline b = ValueOf(harness::ReadBaselineFile(m.path));
  EXPECT_EQ(b.run_id, "run_merged");
  EXPECT_EQ(b.git.commit, "abc123");
  EXPECT_EQ(b.created_utc, "2026-12-07T11:01:00Z");
  EXPECT_EQ(util::FindPath(b.environment, "harness.shard"), nullptr);
  const json::value* parts = util::FindPath(b.environment, "fleet.parts");
  ASSERT_NE(parts, nullptr);
  ASSERT_EQ(parts->as_array().size(), 2u);
  const json::object& second = parts->as_array()[1].as_object();
  EXPECT_EQ(util::AsString(second.if_contains("host")), "node2");
  EXPECT_EQ(util::AsString(second.if_contains("machine_fingerprint")), "f00d");
  EXPECT_EQ(util::AsString(second.if_contains("run_id")), "run_part2");

  const auto skipped = ValueOf(gates::LoadSkippedCells(m.path));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].cell.name, NameOf("vector"));
  EXPECT_FALSE(skipped[0].failed);
}

TEST(Merge, AFailedPartNamesItsCellsInSkipped) {
  TempDir tmp;
  WritePart(tmp / "p1", Spec(1, {{"get", 0}}));
  PartSpec spec_p2 = Spec(2, {{"put", 1}, {"scan", 2}});
  spec_p2.finished = false;
  spec_p2.status = "exit 137 (killed)";
  WritePart(tmp / "p2", spec_p2);
  const MergeOutcome m = ValueOf(MergeParts(tmp / "out", {tmp / "p1", tmp / "p2"}));
  EXPECT_EQ(m.parts_complete, 1);
  EXPECT_EQ(m.parts_incomplete, 1);
  EXPECT_EQ(BenchmarkNames(m.path), (std::vector<std::string>{NameOf("get")}));
  const auto skipped = ValueOf(gates::LoadSkippedCells(m.path));
  ASSERT_EQ(skipped.size(), 2u);
  for (const auto& s : skipped) {
    EXPECT_TRUE(s.failed);
    EXPECT_NE(s.reason.find("part 2/2 on node2 did not finish: exit 137 (killed)"),
              std::string::npos)
        << s.reason;
  }
  EXPECT_EQ(skipped[0].cell.name, NameOf("put"));
}

TEST(Merge, APartThatNeverStartedIsNamed) {
  TempDir tmp;
  WritePart(tmp / "p1", Spec(1, {{"get", 0}}));
  std::filesystem::create_directories(tmp / "p2");
  const MergeOutcome m = ValueOf(MergeParts(tmp / "out", {tmp / "p1", tmp / "p2"}));
  EXPECT_EQ(m.parts_incomplete, 1);
  const auto skipped = ValueOf(gates::LoadSkippedCells(m.path));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].cell.name, "fleet/part/2-of-2");
  EXPECT_TRUE(skipped[0].failed);
}

TEST(Merge, RefusesPartsThatDoNotBelongTogether) {
  TempDir tmp;
  WritePart(tmp / "p1", Spec(1, {{"get", 0}}));
  PartSpec spec_other_machine = Spec(2, {{"put", 1}});
  spec_other_machine.fingerprint = "beef";
  WritePart(tmp / "other_machine", spec_other_machine);
  PartSpec spec_other_commit = Spec(2, {{"put", 1}});
  spec_other_commit.commit = "def456";
  WritePart(tmp / "other_commit", spec_other_commit);
  WritePart(tmp / "twice", Spec(1, {{"put", 1}}));
  for (const char* other : {"other_machine", "other_commit", "twice"}) {
    const Result<MergeOutcome> m = MergeParts(tmp / "out", {tmp / "p1", tmp / other});
    ASSERT_FALSE(m.ok()) << other;
    EXPECT_EQ(m.status().code(), Code::kInvalidArgument) << m.status().ToString();
    EXPECT_FALSE(std::filesystem::exists(tmp / "out/baseline.json")) << other;
  }
  const std::string fp = MergeParts(tmp / "out", {tmp / "p1", tmp / "other_machine"}).status().ToString();
  EXPECT_NE(fp.find("machine fingerprint 'beef' differs"), std::string::npos) << fp;
}

TEST(Merge, NeverOverwritesARun) {
  TempDir tmp;
  WritePart(tmp / "p1", Spec(1, {{"get", 0}}, 1));
  ASSERT_TRUE(MergeParts(tmp / "out", {tmp / "p1"}).ok());
  EXPECT_FALSE(MergeParts(tmp / "out", {tmp / "p1"}).ok());
}

TEST(FleetReport, MachinesSideBySideWithRatiosToTheBase) {
  TempDir tmp;
  WritePart(tmp / "a", Spec(1, {{"get", 0}, {"put", 1}}, 1));
  PartSpec spec_b = Spec(1, {{"get", 10}}, 1);
  spec_b.fingerprint = "beef";
  WritePart(tmp / "b", spec_b);
  std::vector<gates::RunFile> runs = {ValueOf(gates::LoadRunFile(tmp / "a/baseline.json")),
                                      ValueOf(gates::LoadRunFile(tmp / "b/baseline.json"))};
  const std::string md = ValueOf(RenderFleetReport(runs, 0));
  // get: 10 ns on the base, 20 ns on the other machine; put only on the base.
  EXPECT_NE(md.find("| B/kv/get/btree/inmemory | 10.00 | 20.00 | 2.00x |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| B/kv/put/btree/inmemory | 11.00 | — | — |"), std::string::npos) << md;
  EXPECT_NE(md.find("f00d (base)"), std::string::npos) << md;
  EXPECT_FALSE(RenderFleetReport(runs, 2).ok());

  PartSpec spec_c = Spec(1, {{"get", 0}}, 1);
  spec_c.commit = "def456";
  WritePart(tmp / "c", spec_c);
  runs.push_back(ValueOf(gates::LoadRunFile(tmp / "c/baseline.json")));
  const Result<std::string> mixed = RenderFleetReport(runs, 0);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().ToString().find("commit def456"), std::string::npos);
}

}  // namespace
}  // namespace statelab::reports
