// Peers in the harness: `--engines all` selects them and the default does not; their cells carry
// the names of our cells (so ab_engines.md lines them up); a setting a peer lacks is skipped with
// the reason; a peer cell runs and its result says kind "peer"; the baseline reader knows kind.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <span>

#include "bench/catalogue.h"
#include "bench/flags.h"
#include "bench/run.h"
#include "bench/ycsb.h"
#include "engines/peers/peer_list.h"
#include "harness/baseline.h"
#include "tests/bench/temp_root.h"
#include "util/json.h"

namespace statelab::bench {
namespace {

using testing_util::TempRoot;

TEST(PeerFlags, AllSelectsEveryEngineAndPeer) {
  BenchOptions o;
  const char* argv[] = {"statelab-bench", "--engines", "all"};
  ASSERT_TRUE(ParseBenchFlags(3, argv, &o).ok());
  std::vector<std::string_view> every(AllEngines::names.begin(), AllEngines::names.end());
  every.insert(every.end(), {kNullEngine, kDeviceEngine});
  every.insert(every.end(), peers::kPeerNames.begin(), peers::kPeerNames.end());
  EXPECT_EQ(o.engines.size(), every.size());
  for (std::string_view e : every) {
    EXPECT_NE(std::find(o.engines.begin(), o.engines.end(), e), o.engines.end()) << e;
  }
  BenchOptions one;
  const char* argv2[] = {"statelab-bench", "--engines", "lmdb,btree"};
  ASSERT_TRUE(ParseBenchFlags(3, argv2, &one).ok());
  EXPECT_EQ(one.engines, (std::vector<std::string>{"lmdb", "btree"}));
}

TEST(PeerKind, OfEveryLabel) {
  EXPECT_EQ(EngineKind("rocksdb"), "peer");
  EXPECT_EQ(EngineKind("hnswlib"), "peer");
  EXPECT_EQ(EngineKind("btree"), "engine");
  EXPECT_EQ(EngineKind("sharded+any"), "engine");
  EXPECT_EQ(EngineKind("null"), "harness");
  EXPECT_EQ(EngineKind("device"), "harness");
}

Catalogue Build(std::vector<std::string> engines, Suite suite, const std::string& tag) {
  CatalogueOptions o;
  o.suite = suite;
  o.engines = std::move(engines);
  o.threads = {1, 2};
  o.data_root = TempRoot(tag);
  Result<std::vector<YcsbWorkload>> ycsb = CatalogueWorkloads(suite);  // as main.cc loads them
  EXPECT_TRUE(ycsb.ok()) << ycsb.error().ToString();
  if (ycsb.ok()) o.ycsb = std::move(*ycsb);
  Catalogue cat(std::move(o));
  BuildCatalogue(cat);
  return cat;
}

TEST(PeerCatalogue, DefaultSelectionHasNoPeer) {
  Catalogue cat = Build({}, Suite::kQuick, "default");
  for (const CellDef& c : cat.cells()) EXPECT_FALSE(peers::IsPeer(c.key.engine)) << c.key.Name();
  for (const SkippedCell& s : cat.skipped()) {
    EXPECT_FALSE(peers::IsPeer(s.key.engine)) << s.key.Name();
  }
}

// "B/kv/get/btree/inmemory/n=10000" -> "B/kv/get/<engine>/inmemory/n=10000".
std::string WithEngine(const CellKey& key, std::string_view engine) {
  CellKey k = key;
  k.engine = engine;
  return k.Name();
}

TEST(PeerCatalogue, PeersRunOurCellNamesOrSkipWithAReason) {
  Catalogue ours = Build({"btree"}, Suite::kStandard, "ours");
  Catalogue cat = Build({"rocksdb", "lmdb", "faiss_flat", "hnswlib"}, Suite::kStandard, "peers");
  std::set<std::string> planned;  // run or skipped
  for (const CellDef& c : cat.cells()) planned.insert(c.key.Name());
  for (const SkippedCell& s : cat.skipped()) {
    EXPECT_FALSE(s.reason.empty()) << s.key.Name();
    planned.insert(s.key.Name());
  }
  const std::set<std::string> kv_ops = {"get", "put", "get_missing", "delete", "list_100"};
  size_t checked = 0;
  for (const CellDef& c : ours.cells()) {
    const CellKey& k = c.key;
    const bool kv = (k.tier == "B" && k.group == "kv" && kv_ops.count(k.op)) ||
                    (k.tier == "A1" && k.op == "multi_put" && k.Name().ends_with("keys=10")) ||
                    k.tier == "ycsb" || (k.tier == "D" && k.group == "disjoint");
    const bool vector = k.tier == "B" && k.group == "vector" && k.op == "search";
    if (!kv && !vector) continue;
    for (std::string_view peer :
         kv ? std::span<const std::string_view>(peers::KvPeers::names)
            : std::span<const std::string_view>(peers::VectorPeers::names)) {
      EXPECT_TRUE(planned.count(WithEngine(k, peer))) << WithEngine(k, peer);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
  // LMDB has no in-memory setting: skipped, with the reason, never dropped.
  bool lmdb_inmemory = false;
  for (const SkippedCell& s : cat.skipped()) {
    if (s.key.engine == "lmdb" && s.key.mode == "inmemory") {
      lmdb_inmemory = true;
      EXPECT_NE(s.reason.find("no in-memory setting"), std::string::npos) << s.reason;
    }
  }
  EXPECT_EQ(lmdb_inmemory, peers::LmdbPeer::kAvailable);
}

RunnerConfig Config(const std::string& tag) {
  RunnerConfig c;
  c.data_root = TempRoot(tag);
  c.progress = false;
  return c;
}

const CellDef* FindCell(Catalogue& cat, const std::string& name) {
  for (const CellDef& c : cat.cells()) {
    if (c.key.Name() == name) return &c;
  }
  return nullptr;
}

TEST(PeerCells, RunAndSayKindPeer) {
  Catalogue cat = Build({"rocksdb", "lmdb", "hnswlib"}, Suite::kQuick, "run");
  const std::pair<bool, const char*> cells[] = {
      {peers::RocksDbPeer::kAvailable, "B/kv/get/rocksdb/buffered/n=10000"},
      {peers::LmdbPeer::kAvailable, "B/kv/delete/lmdb/buffered"},
      {peers::LmdbPeer::kAvailable, "D/disjoint/put/lmdb/buffered/threads=2"},
      {peers::HnswlibPeer::kAvailable, "B/vector/search/hnswlib/inmemory/dim=128,k=10,n=1000"}};
  for (const auto& [available, name] : cells) {
    SCOPED_TRACE(name);
    const CellDef* cell = FindCell(cat, name);
    if (!available) {
      EXPECT_EQ(cell, nullptr);
      continue;
    }
    ASSERT_NE(cell, nullptr);
    RunnerConfig cfg = Config("cell");
    cfg.suite = Suite::kQuick;
    DirectRun r = RunDirect(*cell, cfg, 200, 2);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.result.kind, "peer");
    EXPECT_EQ(r.result.engine, cell->key.engine);
    if (cell->key.group == "vector") {
      ASSERT_TRUE(r.result.extra.count("recall_at_10"));
      EXPECT_GT(r.result.extra.at("recall_at_10"), 0.5);
      EXPECT_LE(r.result.extra.at("recall_at_10"), 1.0);
    }
  }
}

TEST(PeerBaseline, KindIsWrittenReadAndChecked) {
  harness::Baseline b;
  b.run_id = "run_x";
  b.created_utc = "2026-01-01T00:00:00Z";
  harness::BenchmarkResult r;
  r.name = "B/kv/get/rocksdb/strict/n=10000";
  r.tier = "B";
  r.group = "kv";
  r.op = "get";
  r.engine = "rocksdb";
  r.kind = "peer";
  r.mode = "strict";
  r.repetitions = {{100, 1e7, 1000}};
  r.stats = harness::ComputeStats(r.repetitions).value();
  b.benchmarks.push_back(r);
  boost::json::value doc = harness::ToJson(b);
  EXPECT_EQ(harness::ParseBaseline(util::PrettyJson(doc), "mem")->benchmarks[0].kind, "peer");
  doc.at("benchmarks").at(0).as_object().erase("kind");
  EXPECT_EQ(harness::ParseBaseline(util::PrettyJson(doc), "mem")->benchmarks[0].kind, "engine");
  doc.at("benchmarks").at(0).as_object()["kind"] = "database";
  const Status refused = harness::ParseBaseline(util::PrettyJson(doc), "mem").status();
  EXPECT_NE(refused.message().find("benchmarks[0].kind: must be"), std::string::npos)
      << refused.ToString();
}

}  // namespace
}  // namespace statelab::bench
