#pragma once
// The bench binary's unit of work: one cell of the (engine x durability mode x benchmark x
// parameter) matrix, its name, the smallest suite that includes it, and the fixture that measures
// it. The catalogue (bench/catalogue.h) adds cells; cells of an engine and mode that cannot
// open are kept as skipped cells with the reason, never dropped.
// Thread-safety: a Catalogue is built on one thread before the run; cells are then read-only.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/engine.h"
#include "engines/api/options.h"
#include "harness/baseline.h"

namespace statelab::workloads {
struct CoreWorkload;  // workloads/core_workload.h
}  // namespace statelab::workloads

namespace statelab::bench {

enum class Suite : int { kQuick = 0, kStandard = 1, kFull = 2 };
std::string_view SuiteName(Suite s) noexcept;
std::optional<Suite> ParseSuite(std::string_view name) noexcept;

// The mode of a benchmark that ignores durability (raw structures, the device floor, the null
// engine).
inline constexpr std::string_view kModeNotApplicable = "n/a";
// Every durability mode, in the order cells are generated.
inline constexpr DurabilityMode kAllModes[] = {DurabilityMode::kInMemory, DurabilityMode::kBuffered,
                                               DurabilityMode::kStrict};
// Engine label of a benchmark that ran through the AnyEngine virtual wrapper over `engine`.
std::string VirtualLabel(std::string_view engine);
// "btree+any" -> "btree"; other labels unchanged.
std::string_view BaseEngine(std::string_view label) noexcept;

// What an engine label names (baseline.json `kind`): "engine" (ours, in AllEngines, also through
// the virtual wrapper), "peer" (engines/peers/peer_list.h) or "harness" (the null engine and the
// device floor).
std::string_view EngineKind(std::string_view label) noexcept;

// Identity of a cell: the fields of its baseline.json result.
struct CellKey {
  std::string tier;
  std::string group;
  std::string op;
  std::string engine;
  std::string mode;
  int threads = 1;
  harness::Params params;
  // Cells of a thread-count series (tier D, group commit) carry threads=N in their name.
  bool thread_series = false;

  // <tier>/<group>/<op>/<engine>/<mode>[/<k=v,...>] with params in key order (and threads=N
  // first for a thread series).
  std::string Name() const;
};

// "dim=128,k=10": params in key order; integral numbers without a fraction.
std::string ParamsSegment(const harness::Params& params);

// Per-call input to a fixture, fixed for the whole cell.
struct CellContext {
  std::string data_dir;  // this cell's directory: not created; the engine creates it if it must
  uint64_t seed = 0;     // derived from the run seed and the cell name
  double measure_seconds = 0;  // contention cells: length of the measured phase
  double warmup_seconds = 0;   // contention cells: length of the warm-up phase
};

class Measure;  // bench/measure.h

// What measures one cell. Created on the first call of the cell (outside any timed region),
// reused by its later calls (Google Benchmark's iteration estimates and repetitions), destroyed
// before the next cell starts.
class Fixture {
 public:
  virtual ~Fixture() = default;
  // One call: runs the operations the Measure asks for.
  virtual void Run(Measure& m) = 0;
  // Counters of the engine under test; nullopt for cells without one (raw, device).
  virtual std::optional<EngineStats> Stats() const { return std::nullopt; }
  // File operations the engine made since it opened (through bench/bench_env.h); nullopt for
  // cells without an engine.
  virtual std::optional<uint64_t> FileOps() const { return std::nullopt; }
};

using FixtureFactory = std::function<Result<std::unique_ptr<Fixture>>(const CellContext&)>;

// How Google Benchmark drives the cell.
enum class Timing : uint8_t {
  kLoop,        // a timed loop over iterations GB chooses (min_time)
  kManual,      // each operation reports its own timed part (setup inside it is not timed)
  kSingleShot,  // one call per repetition measures a whole phase (contention, memory)
};

struct CellDef {
  CellKey key;
  Suite suite = Suite::kQuick;  // smallest suite that runs it
  Timing timing = Timing::kLoop;
  FixtureFactory make;
  // Caps the run's repetitions for cells whose every repetition is expensive and stable (memory);
  // 0 = the run's count.
  int max_repetitions = 0;
  // Loop cells: exactly this many operations per repetition (YCSB operationcount); 0 = Google
  // Benchmark chooses from the minimum time.
  uint64_t iterations = 0;
};

struct SkippedCell {
  CellKey key;
  std::string reason;
  bool failed = false;  // the cell ran (or tried to) and failed, as opposed to a planned skip
};

// A YCSB workload file the catalogue runs (bench/ycsb.h), and the smallest suite that runs it.
struct YcsbWorkload {
  std::shared_ptr<const workloads::CoreWorkload> def;
  Suite suite = Suite::kQuick;
};

// A family of harness cells defined by a workload file, workloads/harness/<tier>/<group>/<op>
// .properties (bench/ycsb.h LoadHarnessWorkloads): cells <tier>/<group>/<op>/<engine>/<mode>/...
struct HarnessWorkload {
  std::string tier;
  std::string group;
  std::string op;
  std::shared_ptr<const workloads::CoreWorkload> def;
};

struct CatalogueOptions {
  Suite suite = Suite::kQuick;
  std::vector<std::string> engines;  // empty: every engine of AllEngines plus null and device,
                                     // no peer
  std::vector<std::string> modes;    // empty: every mode
  std::vector<std::string> tiers;    // empty: every tier
  std::optional<std::regex> filter;  // matched (std::regex_search) against the cell name
  std::vector<int> threads;          // thread counts of the D tier
  // Tier D disjoint put: threads plus counts above the core count (empty: threads).
  std::vector<int> disjoint_threads;
  std::vector<int> group_commit_threads;  // thread counts of durability/group_commit
  uint64_t seed = 0;
  std::string data_root;           // cells get subdirectories of it
  std::vector<YcsbWorkload> ycsb;  // the ycsb tier's workloads (core files or --workload files)
  std::vector<HarnessWorkload> harness;  // other tiers' cells defined by files (workloads/harness)
};

class Catalogue {
 public:
  explicit Catalogue(CatalogueOptions options);

  const CatalogueOptions& options() const noexcept { return options_; }
  Suite suite() const noexcept { return options_.suite; }
  bool EngineSelected(std::string_view label) const;
  bool TierSelected(std::string_view tier) const;
  // The selected modes, in kAllModes order.
  std::vector<DurabilityMode> Modes() const;

  // Records whether `engine` opens in `mode` ("" = it does); cells of an engine and mode that
  // does not open (through the virtual wrapper too) become skipped cells with that reason.
  void SetAvailability(std::string_view engine, DurabilityMode mode, std::string why_not);
  // Probes E once per selected mode: open in a scratch directory, close, remove the directory.
  template <Engine E>
  void ProbeEngine();

  // Adds a cell if the selection (suite, tier, engine, mode, filter) includes it; a cell of an
  // engine and mode that cannot open is recorded as skipped instead.
  void Add(CellDef def);
  // A cell of the matrix that cannot run here, with the reason; kept if selected.
  void Skip(CellKey key, Suite suite, std::string reason);

  std::vector<CellDef>& cells() noexcept { return cells_; }
  std::vector<SkippedCell>& skipped() noexcept { return skipped_; }

 private:
  bool Selected(const CellKey& key, Suite suite) const;
  std::string ScratchDir(std::string_view tag);

  CatalogueOptions options_;
  std::map<std::string, std::string> availability_;  // "<engine>|<mode>" -> why not ("" = ok)
  std::vector<CellDef> cells_;
  std::vector<SkippedCell> skipped_;
  int scratch_ = 0;
};

// Removes a directory tree when destroyed; the path is not created.
class TempDir {
 public:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

template <Engine E>
void Catalogue::ProbeEngine() {
  for (DurabilityMode mode : Modes()) {
    std::string why_not;
    {
      TempDir dir(ScratchDir(E::kName));
      DbOptions o;
      o.mode = mode;
      o.dir = dir.path();
      o.snapshot_on_close = false;
      Result<std::unique_ptr<E>> e = E::Open(o);
      if (!e.ok()) {
        why_not = "cannot open in this mode: " + e.status().ToString();
      } else if ((*e)->mode() != mode) {
        why_not = "engine reports mode " + std::string(ModeName((*e)->mode())) +
                  " when opened in " + std::string(ModeName(mode));
      } else if (Status c = (*e)->Close(); !c.ok()) {
        why_not = "close failed: " + c.ToString();
      }
    }
    SetAvailability(E::kName, mode, why_not);
  }
}

}  // namespace statelab::bench
