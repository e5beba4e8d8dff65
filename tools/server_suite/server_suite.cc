#include "tools/server_suite/server_suite.h"

#include <stdlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "engines/api/options.h"
#include "engines/registry/engine_list.h"
#include "reports/run_report.h"
#include "tools/server_suite/multi_exec_load.h"
#include "tools/server_suite/process.h"
#include "tools/server_suite/redis_benchmark_csv.h"

namespace statelab::servers {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr DurabilityMode kModes[] = {DurabilityMode::kInMemory, DurabilityMode::kBuffered,
                                     DurabilityMode::kStrict};
constexpr std::string_view kSuites[] = {"quick", "standard", "full", kServerSuite};
constexpr int64_t kValueBytes = 3;  // the memory load's values: "xxx"
constexpr milliseconds kCliTimeout{30000};
constexpr milliseconds kStartTimeout{10000};  // until a server answers
constexpr milliseconds kPollInterval{100};

struct RedisPersistence {
  std::vector<std::string> args;
  std::string description;
};

// redis-server's persistence matching a durability mode, RDB snapshots off.
RedisPersistence PersistenceFor(DurabilityMode mode) {
  switch (mode) {
    case DurabilityMode::kInMemory:
      return {{"--save", "", "--appendonly", "no"}, "appendonly no"};
    case DurabilityMode::kBuffered:
      return {{"--save", "", "--appendonly", "yes", "--appendfsync", "everysec"},
              "appendonly yes, appendfsync everysec"};
    case DurabilityMode::kStrict:
      return {{"--save", "", "--appendonly", "yes", "--appendfsync", "always"},
              "appendonly yes, appendfsync always"};
  }
  return {};
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}

std::string Number(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

// `per key` to one decimal, as the report prints it.
double PerKey(int64_t growth, int64_t keys) {
  return std::round(static_cast<double>(growth) / static_cast<double>(keys) * 10) / 10;
}

// The `statelab serve` port from its first stdout line ("... listening on ADDR:PORT (...)").
std::optional<int> ListeningPort(const std::string& out) {
  const size_t at = out.find("listening on ");
  if (at == std::string::npos) return std::nullopt;
  const size_t space = out.find(' ', at + 13);
  const size_t colon = out.rfind(':', space);
  if (space == std::string::npos || colon == std::string::npos || colon < at) return std::nullopt;
  int port = 0;
  const auto [end, ec] = std::from_chars(out.data() + colon + 1, out.data() + space, port);
  if (ec != std::errc() || end != out.data() + space || port <= 0) return std::nullopt;
  return port;
}

// The first line of a program's error output, for a warning.
std::string FirstLine(std::string_view text) {
  text = text.substr(0, std::min(text.find('\n'), size_t{200}));
  return text.empty() ? "(no error output)" : std::string(text);
}

std::string ReadHead(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text(max_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(max_bytes));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

// `redis-cli --pipe` input: SET key:<i> xxx for i in [0, keys).
std::string SetCommands(int64_t keys) {
  std::string out;
  out.reserve(static_cast<size_t>(keys) * 40);
  for (int64_t i = 0; i < keys; ++i) {
    const std::string key = "key:" + std::to_string(i);
    out += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$3\r\nxxx\r\n";
  }
  return out;
}

// One run of the suite over a scratch directory. Thread-safety: not synchronized.
class Suite {
 public:
  struct Programs {
    std::string redis_server, redis_cli, redis_benchmark;
  };

  Suite(const SuiteOptions& options, Programs programs, fs::path dir, std::ostream& log)
      : options_(options), programs_(std::move(programs)), dir_(std::move(dir)), log_(log) {}

  // Per mode: redis-server, then each served engine.
  void Run(const std::vector<std::string>& engines, ServersReport* report) {
    report_ = report;
    for (const std::string& name : options_.modes) {
      const Result<DurabilityMode> mode = ParseMode(name);
      if (!mode.ok() || !RunRedis(*mode)) continue;
      for (const std::string& engine : engines) RunStatelab(engine, *mode);
    }
  }

  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void Warn(const std::string& text) {
    log_ << "WARNING: " << text << "\n";
    warnings_.push_back(text);
  }

  void ClearDir() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) fs::remove_all(entry.path(), ec);
  }

  // redis-cli -p PORT ARGS...: its stdout, or std::nullopt when it failed.
  std::optional<std::string> Cli(int port, std::vector<std::string> args,
                                 std::string_view input = {}, milliseconds timeout = kCliTimeout) {
    std::vector<std::string> argv = {programs_.redis_cli, "-h", "127.0.0.1", "-p",
                                     std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    Result<Captured> r = servers::Run(argv, input, timeout);
    if (!r.ok() || r->timed_out || r->exit_code != 0) return std::nullopt;
    return std::move(r->out);
  }

  // INFO memory's used_memory; 0 when the server does not report it.
  int64_t UsedMemory(int port) {
    const std::optional<std::string> info = Cli(port, {"info", "memory"});
    if (!info) return 0;
    const size_t at = info->find("used_memory:");
    if (at == std::string::npos) return 0;
    int64_t v = 0;
    const char* begin = info->data() + at + 12;
    std::from_chars(begin, info->data() + info->size(), v);
    return v;
  }

  // Up to kStartTimeout for PONG; false when the server exited or never answered.
  bool WaitForPing(int port, Process& server) {
    for (auto waited = milliseconds(0); waited < kStartTimeout; waited += kPollInterval) {
      const std::optional<std::string> pong = Cli(port, {"ping"});
      if (pong && pong->starts_with("PONG")) return true;
      if (server.TryWait()) return false;
      std::this_thread::sleep_for(kPollInterval);
    }
    return false;
  }

  // One row per client count, pipeline depth and test against 127.0.0.1:port.
  void Bench(const std::string& server, const std::string& engine, int port, std::string_view mode,
             const std::string& persistence) {
    const std::string who = server + (engine.empty() ? "" : " " + engine);
    std::vector<std::string> benchmark_tests = options_.tests;
    const bool multi = std::erase(benchmark_tests, kMultiExec) > 0;
    for (int64_t clients : options_.clients) {
      for (int64_t pipeline : options_.pipelines) {
        ServerResult row;
        row.server = server;
        row.engine = engine;
        row.mode = std::string(mode);
        row.persistence = persistence;
        row.clients = clients;
        row.pipeline = pipeline;
        row.requests = RequestCount(options_, mode, pipeline, clients);
        const std::string run = who + " (" + std::string(mode) + ", clients " + std::to_string(clients) +
                                ", pipeline " + std::to_string(pipeline) + ")";
        if (!benchmark_tests.empty()) RedisBenchmark(port, benchmark_tests, run, row);
        if (multi) MultiExec(port, run, row);
      }
    }
  }

  // redis-benchmark -t `tests` at `like`'s client count, pipeline and request count.
  void RedisBenchmark(int port, const std::vector<std::string>& tests, const std::string& run,
                      const ServerResult& like) {
    Result<Captured> r = servers::Run(
        {programs_.redis_benchmark, "-h", "127.0.0.1", "-p", std::to_string(port), "-t",
         Join(tests, ","), "-n", std::to_string(like.requests), "-r", "100000", "-c",
         std::to_string(like.clients), "-P", std::to_string(like.pipeline), "--csv"},
        {}, options_.benchmark_timeout);
    if (!r.ok()) {
      Warn("redis-benchmark: " + r.status().ToString());
      return;
    }
    // A run cut short still printed the rows of the tests it finished.
    if (r->timed_out) {
      Warn("redis-benchmark against " + run + " timed out");
    } else if (r->exit_code != 0) {
      Warn("redis-benchmark against " + run + " exited " + std::to_string(r->exit_code) + ": " +
           FirstLine(r->err));
    }
    Result<std::vector<BenchmarkRow>> rows = ParseRedisBenchmarkCsv(r->out);
    if (!rows.ok()) {
      Warn(std::string(rows.error().message()));
      return;
    }
    for (const BenchmarkRow& row : *rows) {
      if (std::find(tests.begin(), tests.end(), row.op) == tests.end()) continue;
      if (!std::isfinite(row.ops_per_sec)) {
        Warn("redis-benchmark against " + run + ": " + row.test +
             " finished within a millisecond, too fast to time (more requests)");
        continue;
      }
      auto ns = [](const std::optional<double>& ms) -> std::optional<int64_t> {
        if (!ms) return std::nullopt;
        return std::llround(*ms * 1e6);
      };
      Add(run, like, row.op, row.ops_per_sec, ns(row.p50_ms), ns(row.p99_ms));
    }
  }

  // The MULTI/EXEC pair through the suite's own client (redis-benchmark cannot send one).
  void MultiExec(int port, const std::string& run, const ServerResult& like) {
    MultiExecLoad load;
    load.port = port;
    load.clients = like.clients;
    load.pipeline = like.pipeline;
    load.transactions = like.requests;
    load.timeout = options_.benchmark_timeout;
    Result<MultiExecFigures> f = RunMultiExecLoad(load);
    if (!f.ok()) {
      Warn(run + ": " + f.status().ToString());
      return;
    }
    Add(run, like, std::string(kMultiExec), f->ops_per_sec, f->p50_ns, f->p99_ns);
  }

  void Add(const std::string& run, const ServerResult& like, const std::string& op,
           double ops_per_sec, std::optional<int64_t> p50_ns, std::optional<int64_t> p99_ns) {
    ServerResult result = like;
    result.op = op;
    result.ops_per_sec = ops_per_sec;
    result.p50_ns = p50_ns;
    result.p99_ns = p99_ns;
    report_->results.push_back(std::move(result));
    auto ms = [](const std::optional<int64_t>& ns) {
      return ns ? Number(static_cast<double>(*ns) / 1e6) : std::string("-");
    };
    log_ << run << ": " << op << " " << Number(ops_per_sec) << " ops/s, p50 " << ms(p50_ns)
         << " ms, p99 " << ms(p99_ns) << " ms\n";
  }

  // Loads options_.memory_keys keys into the emptied server and records the growth of its RSS
  // (and of INFO's used_memory) per key.
  void MeasureMemory(const std::string& server, const std::string& engine, int port, pid_t pid) {
    const int64_t keys = options_.memory_keys;
    (void)Cli(port, {"flushdb"});
    const std::optional<int64_t> before = RssBytes(pid);
    const int64_t used_before = UsedMemory(port);
    if (!Cli(port, {"--pipe"}, SetCommands(keys), options_.load_timeout)) {
      Warn(server + ": loading " + std::to_string(keys) + " keys failed");
      return;
    }
    const std::optional<int64_t> after = RssBytes(pid);
    const int64_t used_after = UsedMemory(port);
    if (!before || !after) return;
    MemoryResult m;
    m.server = server;
    m.engine = engine;
    m.keys = keys;
    m.value_bytes = kValueBytes;
    m.rss_before_bytes = *before;
    m.rss_after_bytes = *after;
    m.rss_bytes_per_key = PerKey(*after - *before, keys);
    m.used_memory_bytes_per_key = PerKey(used_after - used_before, keys);
    report_->memory.push_back(m);
    log_ << server << (engine.empty() ? "" : " " + engine) << ": " << (*after - *before) / keys
         << " bytes of RSS per key (" << keys << " keys)\n";
  }

  // False when no port was free: the whole mode is skipped.
  bool RunRedis(DurabilityMode mode) {
    const std::string mode_name(ModeName(mode));
    // Below Linux's ephemeral range (32768-60999): a port found free there can be taken by any
    // outgoing connection (another test's client) before redis-server binds it.
    const std::optional<int> port = FindFreePort(20000, 32767, 50);
    if (!port) {
      Warn("no free loopback port for redis-server (" + mode_name + ")");
      return false;
    }
    ClearDir();
    const RedisPersistence persistence = PersistenceFor(mode);
    std::vector<std::string> argv = {programs_.redis_server,
                                     "--port",
                                     std::to_string(*port),
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_.string(),
                                     "--daemonize",
                                     "no",
                                     "--logfile",
                                     (dir_ / "redis.log").string()};
    argv.insert(argv.end(), persistence.args.begin(), persistence.args.end());
    Result<Process> redis = Process::Start(argv, {});
    if (!redis.ok()) {
      Warn("redis-server did not start (" + mode_name + "): " + redis.error().ToString());
      return true;
    }
    if (WaitForPing(*port, *redis)) {
      Bench("redis", "", *port, mode_name, persistence.description);
      if (options_.suite == kServerSuite && mode == DurabilityMode::kInMemory) {
        MeasureMemory("redis", "", *port, redis->pid());
      }
    } else {
      Warn("redis-server did not answer on port " + std::to_string(*port) + " (" + mode_name + ")");
    }
    (void)Cli(*port, {"shutdown", "nosave"});
    if (!redis->WaitFor(milliseconds(5000))) redis->Stop(milliseconds(5000));
    return true;
  }

  void RunStatelab(const std::string& engine, DurabilityMode mode) {
    const std::string mode_name(ModeName(mode));
    const std::string what = "statelab serve (" + engine + ", " + mode_name + ")";
    ClearDir();
    const std::string out = (dir_ / "serve.out").string(), err = (dir_ / "serve.err").string();
    Result<Process> serve =
        Process::Start({options_.statelab_bin, "serve", "--engine", engine, "--mode", mode_name,
                        "--dir", (dir_ / "data").string(), "--port", "0", "--threads",
                        std::to_string(options_.serve_threads)},
                       {out, err});
    if (!serve.ok()) {
      Warn(what + " did not start: " + serve.error().ToString());
      return;
    }
    std::optional<int> port;
    for (auto waited = milliseconds(0); waited < kStartTimeout; waited += kPollInterval) {
      if ((port = ListeningPort(ReadHead(out, 4096))) || serve->TryWait()) break;
      std::this_thread::sleep_for(kPollInterval);
    }
    int exit_code = 0;
    if (port) {
      Bench("statelab", engine, *port, mode_name, "statelab serve --mode " + mode_name);
      if (mode == DurabilityMode::kInMemory) MeasureMemory("statelab", engine, *port, serve->pid());
      (void)Cli(*port, {"shutdown"});
      const std::optional<int> exited = serve->WaitFor(kCliTimeout);
      exit_code = exited ? *exited : serve->Stop(milliseconds(5000));
    } else {
      Warn(what + " did not start: " + ReadHead(err, 300));
      exit_code = serve->Stop(milliseconds(5000));
    }
    if (exit_code != 0) Warn(what + " exited " + std::to_string(exit_code));
  }

  const SuiteOptions& options_;
  const Programs programs_;
  const fs::path dir_;
  std::ostream& log_;
  ServersReport* report_ = nullptr;
  std::vector<std::string> warnings_;
};

}  // namespace

Status ValidateOptions(const SuiteOptions& o) {
  if (std::find(std::begin(kSuites), std::end(kSuites), o.suite) == std::end(kSuites)) {
    return Status::InvalidArgument("--suite: '" + o.suite +
                                   "' is not quick, standard, full or server");
  }
  for (const std::string& mode : o.modes) {
    if (!ParseMode(mode).ok()) {
      return Status::InvalidArgument("--modes: '" + mode + "' is not inmemory, buffered or strict");
    }
  }
  for (const std::string& test : o.tests) {
    if (std::find(std::begin(kKnownTests), std::end(kKnownTests), test) == std::end(kKnownTests)) {
      return Status::InvalidArgument("--tests: '" + test +
                                     "' is not set, get, incr, mset or multi");
    }
  }
  for (int64_t p : o.pipelines) {
    if (p < 1) return Status::InvalidArgument("--pipelines: every depth must be at least 1");
  }
  if (o.requests && *o.requests < 1) {
    return Status::InvalidArgument("--requests: must be at least 1");
  }
  for (int64_t c : o.clients) {
    if (c < 1) return Status::InvalidArgument("--clients: every count must be at least 1");
  }
  if (o.serve_threads < 1) return Status::InvalidArgument("--serve-threads: must be at least 1");
  if (o.memory_keys < 1) return Status::InvalidArgument("memory keys: must be at least 1");
  return Status::OK();
}

std::vector<std::string> ServedEngines(const SuiteOptions& options,
                                       std::vector<std::string>* not_served) {
  std::vector<std::string> served;
  if (options.suite != kServerSuite) return served;
  auto add = [&](std::string_view name) {
    if (std::find(served.begin(), served.end(), name) == served.end()) served.emplace_back(name);
  };
  const std::vector<std::string> requested =
      options.engines.empty() ? std::vector<std::string>{std::string(BTreeEngine::kName)}
                              : options.engines;
  for (const std::string& name : requested) {
    const auto& all = AllEngines::names;
    if (name == "all") {
      for (std::string_view e : all) add(e);
    } else if (std::find(all.begin(), all.end(), name) != all.end()) {
      add(name);
    } else {
      not_served->push_back(name);
    }
  }
  return served;
}

int64_t RequestCount(const SuiteOptions& options, std::string_view mode, int64_t pipeline,
                     int64_t clients) {
  const bool strict = mode == ModeName(DurabilityMode::kStrict);
  int64_t n = strict ? 10000 : 100000;
  if (options.requests) {
    n = *options.requests;
  } else if (options.suite != kServerSuite) {
    n = strict ? 2000 : 50000;
  } else if (pipeline == 1) {
    n = strict ? 500 : 20000;
  } else if (pipeline == 16) {
    n = strict ? 4000 : 50000;
  }
  // Many clients go several times faster: a run of the one-client count would last tens of
  // milliseconds, within a few ticks of redis-benchmark's millisecond clock.
  if (!options.requests && options.suite == kServerSuite && clients > 1) n *= 5;
  return (n + pipeline - 1) / pipeline * pipeline;
}

ServersReport RunServerSuite(const SuiteOptions& given, std::ostream& log) {
  SuiteOptions options = given;
  const bool server_suite = options.suite == kServerSuite;
  if (options.modes.empty()) {
    for (DurabilityMode m : kModes) options.modes.emplace_back(ModeName(m));
  }
  if (options.tests.empty()) {
    options.tests = server_suite ? std::vector<std::string>{"set", "get", "incr", "mset",
                                                            std::string(kMultiExec)}
                                 : std::vector<std::string>{"set", "get"};
  }
  if (options.pipelines.empty()) {
    options.pipelines =
        server_suite ? std::vector<int64_t>{1, 16, 64} : std::vector<int64_t>{1, 16};
  }
  if (options.clients.empty()) {
    options.clients = server_suite ? std::vector<int64_t>{1, 50} : std::vector<int64_t>{1};
  }

  ServersReport report;
  auto skip = [&](const std::string& reason) {
    report.available = false;
    report.reason = reason;
    log << "Redis comparison skipped: " << reason << "\n";
    return report;
  };
  Suite::Programs programs{reports::FindOnPath("redis-server"), reports::FindOnPath("redis-cli"),
                           reports::FindOnPath("redis-benchmark")};
  if (programs.redis_server.empty() || programs.redis_cli.empty() ||
      programs.redis_benchmark.empty()) {
    return skip(
        "redis-server, redis-cli or redis-benchmark is not installed (scripts/deps.sh --peers "
        "installs them)");
  }
  if (!server_suite && !options.tiers.empty() &&
      std::find(options.tiers.begin(), options.tiers.end(), "B") == options.tiers.end()) {
    return skip("the run has no B-tier kv get/put to compare with (--tier excluded B)");
  }
  std::vector<std::string> not_served;
  const std::vector<std::string> engines = ServedEngines(options, &not_served);
  if (!not_served.empty()) {
    std::vector<std::string> ours(AllEngines::names.begin(), AllEngines::names.end());
    log << "note: statelab serve runs the engines of AllEngines (" << Join(ours, ", ")
        << "); not served: " << Join(not_served, ", ") << "\n";
  }

  std::string scratch = (fs::temp_directory_path() / "statelab-servers-XXXXXX").string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    return skip("cannot create a scratch directory in " + fs::temp_directory_path().string());
  }
  Result<Captured> version = Run({programs.redis_server, "--version"}, {}, kCliTimeout);
  if (version.ok()) {
    const size_t at = version->out.find(" v=");
    if (at != std::string::npos) {
      report.version = version->out.substr(at + 3, version->out.find(' ', at + 3) - (at + 3));
    }
  }
  Suite suite(options, std::move(programs), scratch, log);
  suite.Run(engines, &report);
  std::error_code ec;
  fs::remove_all(scratch, ec);

  if (report.results.empty()) {
    const std::vector<std::string>& w = suite.warnings();
    return skip("redis-benchmark produced no results" +
                (w.empty() ? "" : " (" + Join(w, "; ") + ")"));
  }
  report.available = true;
  report.suite = options.suite;
  return report;
}

}  // namespace statelab::servers
