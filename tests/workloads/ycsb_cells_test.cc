// Workload files as bench cells (bench/ycsb.h): each core file runs on every engine and on the
// KV peers (small counts), a hotspot variant with -p overrides runs, our engines' start-key scan
// returns what a peer's seek returns, a bad file makes statelab-bench exit 2 naming the file,
// line and property before anything runs, --workload records its definition in baseline.json,
// and compare refuses runs that define one workload name differently.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "bench/catalogue.h"
#include "bench/run.h"
#include "bench/ycsb.h"
#include "engines/btree/btree_engine.h"
#include "engines/peers/peer_list.h"
#include "harness/baseline.h"
#include "reports/compare.h"
#include "tests/bench/temp_root.h"
#include "tests/gates/test_util.h"
#include "util/json.h"

namespace statelab::bench {
namespace {

namespace fs = std::filesystem;
using testing_util::TempRoot;

constexpr std::string_view kCoreWorkloads[] = {"workloada", "workloadb", "workloadc",
                                               "workloadd", "workloade", "workloadf"};

std::string CoreFile(std::string_view name) {
  return std::string(STATELAB_SOURCE_DIR) + "/workloads/ycsb/" + std::string(name);
}

// The six core files at small counts, as --workload files with -p overrides would be.
std::vector<YcsbWorkload> SmallCoreFiles() {
  const std::vector<workloads::PropertyOverride> small = {{"recordcount", "300", "-p"},
                                                          {"operationcount", "300", "-p"}};
  std::vector<YcsbWorkload> out;
  for (std::string_view name : kCoreWorkloads) {
    Result<workloads::CoreWorkload> w = workloads::LoadCoreWorkload(CoreFile(name), small);
    EXPECT_TRUE(w.ok()) << w.error().ToString();
    if (w.ok()) out.push_back({std::make_shared<const workloads::CoreWorkload>(*w), Suite::kQuick});
  }
  return out;
}

Catalogue Build(std::vector<YcsbWorkload> ycsb, std::vector<std::string> engines,
                const std::string& tag) {
  CatalogueOptions o;
  o.suite = Suite::kQuick;
  o.engines = std::move(engines);
  o.modes = {"buffered"};
  o.tiers = {"ycsb"};
  o.threads = {1};
  o.data_root = TempRoot(tag);
  o.ycsb = std::move(ycsb);
  Catalogue cat(std::move(o));
  BuildCatalogue(cat);
  return cat;
}

RunnerConfig Config(const std::string& tag) {
  RunnerConfig c;
  c.data_root = TempRoot(tag);
  c.progress = false;
  c.suite = Suite::kQuick;
  return c;
}

TEST(YcsbCells, EveryCoreFileRunsOnEveryEngineAndKvPeer) {
  std::vector<std::string> engines(AllEngines::names.begin(), AllEngines::names.end());
  engines.insert(engines.end(), peers::KvPeers::names.begin(), peers::KvPeers::names.end());
  Catalogue cat = Build(SmallCoreFiles(), engines, "core");
  std::set<std::string> ran;
  for (const CellDef& c : cat.cells()) {
    SCOPED_TRACE(c.key.Name());
    EXPECT_EQ(c.key.tier, "ycsb");
    EXPECT_EQ(c.iterations, 300u);
    DirectRun r = RunDirect(c, Config("run"), c.iterations, 1);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.result.repetitions.at(0).iterations, 300);
    ran.insert(c.key.group + "/" + c.key.engine);
  }
  for (const SkippedCell& s : cat.skipped()) {
    if (s.reason.find("peer library unavailable") == std::string::npos) {
      ADD_FAILURE() << s.key.Name() << ": " << s.reason;
    }
  }
  size_t targets = AllEngines::size;
  if (peers::RocksDbPeer::kAvailable) ++targets;
  if (peers::LmdbPeer::kAvailable) ++targets;
  EXPECT_EQ(ran.size(), 6 * targets);
  EXPECT_TRUE(ran.contains("workloade/btree"));
}

TEST(YcsbCatalogue, LoadsTheCoreFilesScaledBySuite) {
  Result<std::vector<YcsbWorkload>> all = CatalogueWorkloads(Suite::kStandard);
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_GE(all->size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ((*all)[i].def->name, kCoreWorkloads[i]);
    EXPECT_EQ((*all)[i].def->record_count, 100000u);
    EXPECT_EQ((*all)[i].def->operation_count, 10000u);
    EXPECT_EQ((*all)[i].suite, Suite::kStandard);
  }
  Result<std::vector<YcsbWorkload>> full = CatalogueWorkloads(Suite::kFull);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->front().def->record_count, 1000000u);
}

TEST(YcsbCatalogue, AWorkloadDirectoryIsItsPropertiesFilesInNameOrder) {
  const std::string dir = TempRoot("dir");
  std::ofstream(dir + "/b.properties") << "recordcount=20\n";
  std::ofstream(dir + "/a.properties") << "recordcount=10\nfieldlength=8\n";
  std::ofstream(dir + "/README.md") << "not a workload\n";
  Result<std::vector<YcsbWorkload>> got = LoadWorkloadDir(dir, ".properties", {}, Suite::kStandard);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].def->name, "a");
  EXPECT_EQ((*got)[0].def->field_length, 8u);
  EXPECT_EQ((*got)[1].def->name, "b");
  EXPECT_TRUE(LoadWorkloadDir(dir + "/none", ".properties", {}, Suite::kStandard)->empty());
  std::ofstream(dir + "/c.properties") << "recordcount=-1\n";
  Result<std::vector<YcsbWorkload>> bad = LoadWorkloadDir(dir, ".properties", {}, Suite::kStandard);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("c.properties:1: recordcount"), std::string::npos);
}

// workloads/harness/<tier>/<group>/<op>.properties: other tiers' cells as files, through the
// YCSB loader; a file at the wrong place, of a tier without a file body, or with ops that body
// does not run is refused naming the file.
TEST(HarnessWorkloads, FilesDefineTierDCellsUnderTheirPathNames) {
  const std::string dir = TempRoot("harness");
  fs::create_directories(dir + "/D/mixed");
  std::ofstream(dir + "/D/mixed/read50_write50.properties")
      << "recordcount=500\noperationcount=1000\nfieldcount=1\nfieldlength=8\n"
         "readproportion=0.5\nupdateproportion=0.5\nrequestdistribution=zipfian\n";
  Result<std::vector<HarnessWorkload>> got = LoadHarnessWorkloads(dir);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(HarnessWorkloadName(got->front()), "D/mixed/read50_write50");
  CatalogueOptions o;
  o.engines = {"btree"};
  o.modes = {"inmemory"};
  o.tiers = {"D"};
  o.filter.emplace("read50");
  o.threads = {2};
  o.data_root = TempRoot("harness_run");
  o.harness = *got;
  Catalogue cat(std::move(o));
  BuildCatalogue(cat);
  ASSERT_EQ(cat.cells().size(), 1u);
  EXPECT_EQ(cat.cells()[0].key.Name(), "D/mixed/read50_write50/btree/inmemory/threads=2");
  DirectRun r = RunDirect(cat.cells()[0], Config("harness_run"), 1, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.result.threads, 2);
  // The file's updates commit. (Its mix is checked on the op streams, CoreOps tests: the engine's
  // commit counter also covers warm-up ops of threads that see the measured phase late, 0.5-1.7
  // commits per measured op on a loaded machine, so it cannot check the mix.)
  EXPECT_GT(r.result.extra.at("engine_commits"), 0);
  EXPECT_GT(r.result.extra.at("committed"), 0);
  EXPECT_TRUE(LoadHarnessWorkloads(dir + "/none")->empty());

  std::ofstream(dir + "/D/mixed/scans.properties") << "readproportion=0.5\nupdateproportion=0\n"
                                                      "scanproportion=0.5\nthreadcount=2\n";
  Result<std::vector<HarnessWorkload>> bad = LoadHarnessWorkloads(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("scans.properties: scanproportion: is 0.5; a tier D "
                                       "workload does reads and updates only"),
            std::string::npos)
      << bad.error().ToString();
  EXPECT_NE(bad.error().message().find("scans.properties: threadcount:"), std::string::npos);
  fs::remove(dir + "/D/mixed/scans.properties");
  fs::create_directories(dir + "/B/kv");
  std::ofstream(dir + "/B/kv/get.properties") << "readproportion=1\nupdateproportion=0\n";
  bad = LoadHarnessWorkloads(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("get.properties: tier B has no cells defined by files"),
            std::string::npos);
  fs::remove_all(dir + "/B");
  std::ofstream(dir + "/D/loose.properties") << "recordcount=5\n";
  bad = LoadHarnessWorkloads(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("loose.properties: a harness workload file lives at"),
            std::string::npos);
}

TEST(YcsbCells, HotspotVariantWithOverridesRuns) {
  const std::string text =
      "workload=site.ycsb.workloads.CoreWorkload\nrecordcount=1000\noperationcount=1000\n"
      "readproportion=0.5\nupdateproportion=0.3\nscanproportion=0.1\ninsertproportion=0.1\n"
      "requestdistribution=hotspot\nhotspotdatafraction=0.1\nhotspotopnfraction=0.9\n"
      "maxscanlength=50\nscanlengthdistribution=zipfian\ninsertorder=ordered\n";
  const std::vector<workloads::PropertyOverride> p = {{"recordcount", "400", "-p"},
                                                      {"operationcount", "250", "-p"},
                                                      {"fieldcount", "3", "-p"},
                                                      {"fieldlengthdistribution", "uniform", "-p"}};
  Result<workloads::CoreWorkload> w = workloads::ParseCoreWorkload(text, "hot", "hot", p);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->record_count, 400u);
  Catalogue cat = Build({{std::make_shared<const workloads::CoreWorkload>(*w), Suite::kQuick}},
                        {"btree", "rocksdb"}, "hot");
  ASSERT_FALSE(cat.cells().empty());
  for (const CellDef& c : cat.cells()) {
    SCOPED_TRACE(c.key.Name());
    EXPECT_TRUE(c.key.Name().starts_with("ycsb/hot/run/")) << c.key.Name();
    EXPECT_NE(c.key.Name().find("operations=250,records=400"), std::string::npos);
    DirectRun r = RunDirect(c, Config("hot"), c.iterations, 2);
    ASSERT_TRUE(r.error.empty()) << r.error;
  }
}

// The mix a cell ran (extra ycsb_<kind>_share, over the ops of its calls) is the file's within 1%
// over 100k operations, and its scans return maxscanlength keys at most, uniform lengths
// averaging (1 + maxscanlength) / 2.
TEST(YcsbCells, ARunsMixAndScanLengthsFollowTheFile) {
  Result<workloads::CoreWorkload> w = workloads::ParseCoreWorkload(
      "recordcount=20000\nfieldcount=1\nfieldlength=16\nreadproportion=0.3\n"
      "updateproportion=0.2\ninsertproportion=0.1\nscanproportion=0.15\n"
      "readmodifywriteproportion=0.25\nrequestdistribution=uniform\nmaxscanlength=20\n",
      "mix", "mix");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  Catalogue cat = Build({{std::make_shared<const workloads::CoreWorkload>(*w), Suite::kQuick}},
                        {"btree"}, "mix");
  ASSERT_EQ(cat.cells().size(), 1u);
  DirectRun r = RunDirect(cat.cells()[0], Config("mix"), 50000, 2);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const std::pair<const char*, double> want[] = {{"ycsb_read_share", 0.3},
                                                 {"ycsb_update_share", 0.2},
                                                 {"ycsb_insert_share", 0.1},
                                                 {"ycsb_scan_share", 0.15},
                                                 {"ycsb_read_modify_write_share", 0.25}};
  for (const auto& [key, share] : want) EXPECT_NEAR(r.result.extra.at(key), share, 0.01) << key;
  const double keys_per_scan = r.result.extra.at("ycsb_keys_per_scan");
  EXPECT_LE(keys_per_scan, 20);
  EXPECT_NEAR(keys_per_scan, 10.5, 0.5);
}

// threadcount=2: a call runs exactly operationcount ops split over two client threads, on our
// engines and the KV peers alike, reported as a multi-threaded cell (threads=2 in the name, each
// thread's count, latency merged), with the file's mix.
TEST(YcsbCells, TwoClientThreadsRunOperationcountWithTheFilesMix) {
  Result<workloads::CoreWorkload> w = workloads::ParseCoreWorkload(
      "recordcount=2000\noperationcount=20000\nfieldcount=1\nfieldlength=16\n"
      "readproportion=0.45\nupdateproportion=0.3\ninsertproportion=0.1\nscanproportion=0.05\n"
      "readmodifywriteproportion=0.1\nrequestdistribution=zipfian\nmaxscanlength=10\n"
      "threadcount=2\n",
      "two", "two");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  std::vector<std::string> engines(AllEngines::names.begin(), AllEngines::names.end());
  engines.insert(engines.end(), peers::KvPeers::names.begin(), peers::KvPeers::names.end());
  Catalogue cat =
      Build({{std::make_shared<const workloads::CoreWorkload>(*w), Suite::kQuick}}, engines, "two");
  ASSERT_FALSE(cat.cells().empty());
  for (const CellDef& c : cat.cells()) {
    SCOPED_TRACE(c.key.Name());
    EXPECT_TRUE(c.key.Name().ends_with("/threads=2,operations=20000,records=2000"));
    EXPECT_EQ(c.timing, Timing::kSingleShot);
    DirectRun r = RunDirect(c, Config("two"), 1, 1);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.result.threads, 2);
    EXPECT_EQ(r.result.repetitions.at(0).iterations, 20000);
    EXPECT_EQ(r.result.extra.at("t0_committed"), 10000);
    EXPECT_EQ(r.result.extra.at("t1_committed"), 10000);
    EXPECT_EQ(r.result.pinning.measured_by, "harness threads 0-1, started for the call");
    const std::pair<const char*, double> want[] = {{"ycsb_read_share", 0.45},
                                                   {"ycsb_update_share", 0.3},
                                                   {"ycsb_insert_share", 0.1},
                                                   {"ycsb_scan_share", 0.05},
                                                   {"ycsb_read_modify_write_share", 0.1}};
    for (const auto& [key, share] : want) EXPECT_NEAR(r.result.extra.at(key), share, 0.01) << key;
    EXPECT_LE(r.result.extra.at("ycsb_keys_per_scan"), 10);
  }
}

template <class Peer>
void ScanAgainst() {
  SCOPED_TRACE(Peer::kName);
  const std::string root = TempRoot(std::string("scan_") + std::string(Peer::kName));
  for (const char* order : {"hashed", "ordered"}) {
    Result<workloads::CoreWorkload> w = workloads::ParseCoreWorkload(
        std::string("recordcount=3000\nfieldcount=1\nfieldlength=8\ninsertorder=") + order + "\n",
        "s", "s");
    ASSERT_TRUE(w.ok());
    auto def = std::make_shared<const workloads::CoreWorkload>(*w);
    YcsbInputs in;
    PrepareYcsb(def, 5, &in);
    DbOptions o;
    o.dir = root + "/btree_" + order;
    o.mode = DurabilityMode::kInMemory;
    auto db = std::make_unique<Database<BTreeEngine>>(BTreeEngine::Open(o).value());
    const RunId run = SeededRun(5);
    OurKv<BTreeEngine> ours(*db, run);
    ASSERT_TRUE(LoadYcsb(ours, in).ok());
    // Buffered: LMDB has no in-memory setting.
    auto peer =
        Peer::Open({root + "/peer_" + std::string(order), DurabilityMode::kBuffered}).value();
    ASSERT_TRUE(LoadYcsb(*peer, in).ok());
    workloads::Xoshiro256 rng(3);
    std::vector<std::string> a, b;
    for (int q = 0; q < 300; ++q) {
      const std::string start = in.space->Name(rng.Below(4000));
      const uint64_t count = 1 + rng.Below(150);
      ASSERT_TRUE(ours.Scan(start, count, &a).ok());
      ASSERT_TRUE(peer->Scan(start, count, &b).ok());
      ASSERT_EQ(a, b) << order << " " << start << " " << count;
    }
  }
}

// Our engines have prefix scans only; the YCSB scan built from them must return what a peer's
// seek returns over the same records.
TEST(YcsbCells, OurStartKeyScanEqualsAPeerSeek) {
  int peers_run = 0;
  peers::KvPeers::ForEach([&]<class P>() {
    if constexpr (P::kAvailable) {
      ScanAgainst<P>();
      ++peers_run;
    }
  });
  if (peers_run == 0) GTEST_SKIP() << "no KV peer in this build";
}

testing_util::ProcessResult RunBench(const std::string& bin, const std::string& args) {
  return testing_util::RunCommand(bin + " " + args);
}

std::string Write(const std::string& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(YcsbBinary, BadFileExitsTwoNamingFileLineAndPropertyBeforeRunning) {
  const std::string dir = TempRoot("bad");
  const std::string good = Write(dir, "good", "recordcount=10\noperationcount=10\n");
  const std::string bad = Write(dir, "mine",
                                "recordcount=0\nreadproportion=0.5\nupdateproportion=0.4\n"
                                "requestdistribution=exponential\nreadprportion=0.1\n");
  const testing_util::ProcessResult o = RunBench(
      STATELAB_BENCH_BIN, "--workload " + good + " --workload " + bad + " --out " + dir + "/out");
  EXPECT_EQ(o.exit_code, 2) << o.output;
  for (const std::string& want :
       {bad + ":1: recordcount: is 0; must be > 0",
        bad + ":3: updateproportion: the proportions sum to 0.9, not 1",
        bad + ":4: requestdistribution: 'exponential' is not a request distribution this harness "
              "has (supported: uniform, zipfian, latest, hotspot)",
        bad + ":5: readprportion: unknown property (did you mean readproportion?)"}) {
    EXPECT_NE(o.output.find(want), std::string::npos) << want << "\n" << o.output;
  }
  EXPECT_FALSE(fs::exists(dir + "/out")) << "nothing runs until every file is valid";
  const testing_util::ProcessResult typo =
      RunBench(STATELAB_BENCH_BIN, "--workload " + good + " -p recordcont=5");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("-p: recordcont: unknown property (did you mean recordcount?)"),
            std::string::npos)
      << typo.output;
}

TEST(YcsbBinary, WorkloadRunRecordsItsDefinitionAndCompareRefusesAnother) {
  const std::string dir = TempRoot("bin");
  const std::string file = Write(dir, "tiny", "recordcount=50\noperationcount=40\n");
  auto run = [&](const std::string& out, const std::string& extra) {
    const testing_util::ProcessResult o =
        RunBench(STATELAB_BENCH_BIN, "--workload " + file +
                                         " --engines btree --modes "
                                         "inmemory --repetitions 1 --out " +
                                         out + extra);
    EXPECT_EQ(o.exit_code, 0) << o.output;
    Result<harness::Baseline> b =
        harness::ParseBaseline(util::ReadFile(out + "/baseline.json").value(), out);
    EXPECT_TRUE(b.ok()) << b.error().ToString();
    return b.ok() ? *b : harness::Baseline{};
  };
  const harness::Baseline a = run(dir + "/a", "");
  ASSERT_EQ(a.benchmarks.size(), 1u);
  EXPECT_EQ(a.benchmarks[0].name, "ycsb/tiny/run/btree/inmemory/operations=40,records=50");
  const boost::json::object& tiny = a.workloads.at("tiny").as_object();
  EXPECT_EQ(tiny.at("file").as_string(), file);
  EXPECT_EQ(tiny.at("properties").as_object().at("recordcount").as_string(), "50");
  EXPECT_EQ(tiny.at("properties").as_object().at("readproportion").as_string(), "0.95");
  EXPECT_EQ(tiny.at("file_sha256").as_string().size(), 64u);
  EXPECT_TRUE(reports::CheckSameWorkloads(a, a).ok());
  const harness::Baseline b = run(dir + "/b", " -p fieldlength=10");
  const Status refused = reports::CheckSameWorkloads(a, b);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("tiny ("), std::string::npos) << refused.ToString();
}

}  // namespace
}  // namespace statelab::bench
