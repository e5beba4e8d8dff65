#include "bench/flags.h"

#include <algorithm>
#include <charconv>
#include <regex>

#include "engines/peers/peer_list.h"
#include "engines/registry/engine_list.h"
#include "util/regex.h"

namespace statelab::bench {

namespace {

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

template <class T>
bool ParseNumber(std::string_view s, T* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string Known(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// Every engine label --engines accepts, in the order "all" expands to.
std::vector<std::string_view> KnownEngines() {
  std::vector<std::string_view> v;
  v.reserve(AllEngines::size + 2 + peers::kPeerNames.size());
  for (std::string_view n : AllEngines::names) v.push_back(n);
  v.push_back(kNullEngine);
  v.push_back(kDeviceEngine);
  for (std::string_view n : peers::kPeerNames) v.push_back(n);  // not insert(): GCC 12 warns
  return v;
}

Status CheckMembers(std::string_view flag, const std::vector<std::string>& got,
                    const std::vector<std::string_view>& known) {
  if (got.empty()) return Status::InvalidArgument(std::string(flag) + ": empty list");
  for (const std::string& g : got) {
    if (std::find(known.begin(), known.end(), g) == known.end()) {
      return Status::InvalidArgument(std::string(flag) + ": unknown value '" + g +
                                     "' (one of: " + Known(known) + ")");
    }
  }
  return Status::OK();
}

}  // namespace

std::string BenchOptions::SuiteLabel() const {
  return tiers.empty() && filter.empty() ? std::string(SuiteName(suite)) : "custom";
}

int BenchOptions::Repetitions() const {
  return repetitions.value_or(suite == Suite::kQuick ? 5 : 9);
}

double BenchOptions::MinTime() const {
  if (min_time) return *min_time;
  switch (suite) {
    case Suite::kQuick:
      return 0.02;
    case Suite::kStandard:
      return 0.1;
    case Suite::kFull:
      return 0.25;
  }
  return 0.1;
}

std::vector<int> BenchOptions::ThreadCounts() const {
  if (!threads.empty()) return threads;
  if (suite == Suite::kQuick) return {1, 2};
  return {1, 2, 4, 8};
}

std::vector<int> BenchOptions::DisjointThreadCounts() const {
  if (!threads.empty()) return threads;
  if (suite == Suite::kQuick) return {1, 2, 4};
  return {1, 2, 4, 8};
}

std::vector<int> BenchOptions::GroupCommitThreadCounts() const {
  if (!threads.empty()) return threads;
  if (suite == Suite::kQuick) return {1, 4, 16};
  return {1, 2, 4, 8, 16, 32, 64};
}

Status ParseBenchFlags(int argc, const char* const* argv, BenchOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto need = [&]() {
      if (has_value) return Status::OK();
      if (i + 1 >= argc) return Status::InvalidArgument(arg + ": missing value");
      value = argv[++i];
      return Status::OK();
    };
    auto flag_only = [&]() {
      return has_value ? Status::InvalidArgument(arg + ": takes no value") : Status::OK();
    };
    if (arg == "--help" || arg == "-h") {
      STATELAB_RETURN_IF_ERROR(flag_only());
      o->help = true;
    } else if (arg == "--describe") {
      STATELAB_RETURN_IF_ERROR(flag_only());
      o->describe = true;
    } else if (arg == "--list") {
      STATELAB_RETURN_IF_ERROR(flag_only());
      o->list = true;
    } else if (arg == "--engines") {
      STATELAB_RETURN_IF_ERROR(need());
      o->engines = SplitList(value);
      if (o->engines.size() == 1 && o->engines[0] == kAllEnginesWord) {
        const std::vector<std::string_view> all = KnownEngines();
        o->engines.assign(all.begin(), all.end());
      }
      STATELAB_RETURN_IF_ERROR(CheckMembers(arg, o->engines, KnownEngines()));
    } else if (arg == "--modes") {
      STATELAB_RETURN_IF_ERROR(need());
      o->modes = SplitList(value);
      std::vector<std::string_view> known;
      for (DurabilityMode m : kAllModes) known.push_back(ModeName(m));
      STATELAB_RETURN_IF_ERROR(CheckMembers(arg, o->modes, known));
    } else if (arg == "--tier") {
      STATELAB_RETURN_IF_ERROR(need());
      o->tiers = SplitList(value);
      STATELAB_RETURN_IF_ERROR(CheckMembers(arg, o->tiers, {std::begin(kTiers), std::end(kTiers)}));
    } else if (arg == "--suite") {
      STATELAB_RETURN_IF_ERROR(need());
      std::optional<Suite> s = ParseSuite(value);
      if (!s)
        return Status::InvalidArgument("--suite: unknown value '" + value +
                                       "' (quick, standard, full)");
      o->suite = *s;
    } else if (arg == "--filter") {
      STATELAB_RETURN_IF_ERROR(need());
      if (Result<std::regex> re = util::CompileRegex(value); !re.ok()) {
        return Status::InvalidArgument("--filter: " + std::string(re.error().message()));
      }
      o->filter = value;
    } else if (arg == "--repetitions") {
      STATELAB_RETURN_IF_ERROR(need());
      int n = 0;
      if (!ParseNumber(value, &n) || n < 1 || n > 1000) {
        return Status::InvalidArgument("--repetitions: '" + value +
                                       "' is not an integer in 1..1000");
      }
      o->repetitions = n;
    } else if (arg == "--threads") {
      STATELAB_RETURN_IF_ERROR(need());
      o->threads.clear();
      for (const std::string& t : SplitList(value)) {
        int n = 0;
        if (!ParseNumber(t, &n) || n < 1 || n > 256) {
          return Status::InvalidArgument("--threads: '" + t + "' is not an integer in 1..256");
        }
        o->threads.push_back(n);
      }
      if (o->threads.empty()) return Status::InvalidArgument("--threads: empty list");
    } else if (arg == "--cores") {
      STATELAB_RETURN_IF_ERROR(need());
      if (!ParseNumber(value, &o->cores) || o->cores < 1) {
        return Status::InvalidArgument("--cores: '" + value + "' is not a positive integer");
      }
    } else if (arg == "--seed") {
      STATELAB_RETURN_IF_ERROR(need());
      if (!ParseNumber(value, &o->seed)) {
        return Status::InvalidArgument("--seed: '" + value + "' is not an unsigned 64-bit integer");
      }
    } else if (arg == "--min-time") {
      STATELAB_RETURN_IF_ERROR(need());
      double t = 0;
      if (!ParseNumber(value, &t) || !(t > 0) || t > 60) {
        return Status::InvalidArgument("--min-time: '" + value +
                                       "' is not a number of seconds in (0, 60]");
      }
      o->min_time = t;
    } else if (arg == "--out") {
      STATELAB_RETURN_IF_ERROR(need());
      if (value.empty()) return Status::InvalidArgument("--out: empty path");
      o->out = value;
    } else if (arg == "--data-dir") {
      STATELAB_RETURN_IF_ERROR(need());
      if (value.empty()) return Status::InvalidArgument("--data-dir: empty path");
      o->data_dir = value;
    } else if (arg == "--label") {
      STATELAB_RETURN_IF_ERROR(need());
      o->label = value;
    } else if (arg == "--warning") {
      STATELAB_RETURN_IF_ERROR(need());
      o->warnings.push_back(value);
    } else if (arg == "--metric") {
      STATELAB_RETURN_IF_ERROR(need());
      if (value == "time") {
        o->metric = Metric::kTime;
      } else if (value == "instructions") {
        o->metric = Metric::kInstructions;
      } else {
        return Status::InvalidArgument("--metric: unknown value '" + value +
                                       "' (time, instructions)");
      }
    } else if (arg == "--instruction-ops") {
      STATELAB_RETURN_IF_ERROR(need());
      if (!ParseNumber(value, &o->instruction_ops) || o->instruction_ops < 1 ||
          o->instruction_ops > 100000000) {
        return Status::InvalidArgument("--instruction-ops: '" + value +
                                       "' is not an integer in 1..100000000");
      }
    } else if (arg == "--null-work") {
      STATELAB_RETURN_IF_ERROR(need());
      if (!ParseNumber(value, &o->null_work) || o->null_work > 100000000) {
        return Status::InvalidArgument("--null-work: '" + value +
                                       "' is not an integer in 0..100000000");
      }
    } else if (arg == "--workload") {
      STATELAB_RETURN_IF_ERROR(need());
      if (value.empty()) return Status::InvalidArgument("--workload: empty path");
      o->workload_files.push_back(value);
    } else if (arg == "-p") {
      STATELAB_RETURN_IF_ERROR(need());
      STATELAB_ASSIGN_OR_RETURN(workloads::PropertyOverride p, workloads::ParseOverride(value));
      o->properties.push_back(std::move(p));
    } else if (arg == "--shard") {
      STATELAB_RETURN_IF_ERROR(need());
      Result<ShardSpec> spec = ParseShard(value);
      if (!spec.ok()) return spec.status();
      o->shard = *spec;
    } else if (arg == "--reference-platform") {
      STATELAB_RETURN_IF_ERROR(need());
      o->reference_platform = value;
    } else {
      return Status::InvalidArgument("unknown flag '" + arg + "' (see --help)");
    }
  }
  if (o->workload_files.empty() && !o->properties.empty()) {
    return Status::InvalidArgument("-p: overrides a property of a --workload file; none given");
  }
  return Status::OK();
}

std::string BenchUsage() {
  const std::string engines =
      Known(std::vector<std::string_view>(AllEngines::names.begin(), AllEngines::names.end()));
  const std::string peer_names =
      Known(std::vector<std::string_view>(peers::kPeerNames.begin(), peers::kPeerNames.end()));
  std::string text = R"(statelab-bench: the benchmark catalogue over every engine x durability mode.

Usage: statelab-bench [flags]

  --suite quick|standard|full  which cells and sizes to run (default quick)
  --engines LIST       comma list of the engines of AllEngines (@ENGINES@),
                       null (the harness floor), device (the fdatasync floor), and the peers
                       (@PEERS@; docs/peers.md); "all" = every one of them;
                       default: every engine, null and device, no peer
  --modes LIST         comma list of inmemory, buffered, strict; default: all
  --tier LIST          comma list of @TIERS@;
                       default: all tiers of the suite
  --filter REGEX       run only cells whose name matches (ECMAScript, searched)
  --repetitions N      repetitions per cell (default 5 for quick, 9 otherwise)
  --threads LIST       thread counts of tier D and the group-commit cells (default: tier D 1,2
                       for quick, 1,2,4,8 otherwise; D disjoint put 1,2,4 for quick; group
                       commit 1,4,16 for quick, 1,2,4,8,16,32,64 otherwise)
  --cores N            pin to the first N PUs of the pinning order (physical cores first)
  --seed N             the run seed every generator derives from (default 1592614637)
  --min-time S         seconds per repetition of a loop cell (default 0.02 / 0.1 / 0.25)
  --out DIR            write DIR/baseline.json and Google Benchmark's DIR/gbench.json
  --data-dir DIR       where cells put their files (default: a fresh directory in TMPDIR)
  --label TEXT         appended to the run id
  --warning TEXT       an environment warning to record in baseline.json (repeatable)
  --metric time|instructions  time (default): Google Benchmark repetitions; instructions:
                       instructions per op of each single-threaded loop cell over a fixed op
                       count, from the hardware counters, else under valgrind's callgrind
                       (docs/compare.md, "Instruction counts")
  --instruction-ops N  ops per cell with --metric instructions (default 10000)
  --null-work N        TESTING ONLY: the null engine spins N iterations of a dependent arithmetic
                       chain per call (View, Scan, Commit), to test the verdict machinery
  --reference-platform FILE   default: gates/reference_platform.json of the source tree
  --workload FILE      run a YCSB CoreWorkload property file (repeatable) on every selected
                       engine, mode and peer, instead of the catalogue: cells
                       ycsb/<file stem>/run/<engine>/<mode>/... (docs/harness.md, "Workload
                       files"); a bad file exits 2 before anything runs
  -p NAME=VALUE        override a property of every --workload file (repeatable)
  --shard I/N          run only the I-th of N shards of the selection (1 <= I <= N): cells
                       dealt longest expected first, then by name, to the least loaded shard;
                       with --out also writes DIR/shard.json (docs/fleet.md)
  --list               print the selected and skipped cells and exit (of the shard with --shard)
  --describe           print the engines, peers, modes, tiers and suites of this build as JSON
  --help               this text

Cell names: <tier>/<group>/<op>/<engine>/<mode>[/<params>]; see docs/harness.md.
Exit codes: 0 every selected cell ran, 1 some cell failed (see skipped[] in baseline.json),
2 usage error, 3 output could not be written.
)";
  text.replace(text.find("@ENGINES@"), 9, engines);
  text.replace(text.find("@TIERS@"), 7,
               Known(std::vector<std::string_view>(std::begin(kTiers), std::end(kTiers))));
  text.replace(text.find("@PEERS@"), 7, peer_names);
  return text;
}

}  // namespace statelab::bench
