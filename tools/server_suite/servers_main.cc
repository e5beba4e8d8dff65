// statelab-servers: the Redis comparison and the server suite of scripts/bench_runner.sh
// (docs/resp.md): redis-server and `statelab serve` under redis-benchmark, written as the
// `servers` section for statelab-report --attach-servers.
// Exit: 0 written (also when Redis was skipped), 2 usage, 3 the file could not be written.

#include <signal.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "tools/server_suite/server_suite.h"
#include "util/cli_args.h"

namespace {

using namespace statelab;
using util::kExitBadInput;
using util::kExitOk;
using util::kExitUsage;

constexpr char kUsage[] =
    "usage: statelab-servers --out FILE [--suite quick|standard|full|server] [--engines LIST]\n"
    "                        [--modes LIST] [--tier LIST] [--tests LIST] [--pipelines LIST]\n"
    "                        [--requests N] [--clients LIST] [--serve-threads N]\n"
    "                        [--memory-keys N] [--statelab BIN]\n"
    "\n"
    "Per durability mode, starts redis-server with the matching persistence (inmemory:\n"
    "appendonly no; buffered: appendfsync everysec; strict: appendfsync always) and, in the\n"
    "server suite, `statelab serve` for each engine, runs redis-benchmark -c N -r 100000 --csv\n"
    "(and the suite's own MULTI/EXEC client) against each, and writes the results as the\n"
    "`servers` section of baseline.json\n"
    "(docs/baseline_schema.md#servers) to FILE. When nothing can be measured (redis not\n"
    "installed, no B tier, no result) FILE says so: available false, with the reason.\n"
    "\n"
    "  --out FILE           where the JSON goes (required)\n"
    "  --suite S            quick, standard, full (default quick: redis-server only, SET and GET\n"
    "                       at pipeline 1 and 16, 1 client) or server (statelab serve too; SET,\n"
    "                       GET, INCR, MSET, MULTI/EXEC at pipeline 1, 16, 64 with 1 and 50\n"
    "                       clients; memory per key in inmemory mode)\n"
    "  --engines LIST       server suite: engines to serve (default btree; all = every engine\n"
    "                       of AllEngines); names that are not engines are reported, not served\n"
    "  --modes LIST         inmemory, buffered, strict (default: all three)\n"
    "  --tier LIST          the bench run's tiers: a run without B is skipped (not in the\n"
    "                       server suite)\n"
    "  --tests LIST         among set, get, incr, mset (redis-benchmark tests) and multi (MULTI,\n"
    "                       SET, INCR, EXEC sent by this tool's client; one op = one transaction)\n"
    "  --pipelines LIST     pipeline depths\n"
    "  --requests N         requests per redis-benchmark run (default: per suite, mode and\n"
    "                       pipeline; strict ones are small since every batch waits for an\n"
    "                       fsync), rounded up to whole pipeline batches\n"
    "  --clients LIST       concurrent connections (redis-benchmark -c), a run each (default:\n"
    "                       server suite 1,50, otherwise 1)\n"
    "  --serve-threads N    statelab serve --threads (default 1)\n"
    "  --memory-keys N      keys loaded to measure memory per key (default\n"
    "                       $STATELAB_MEMORY_KEYS or 1000000)\n"
    "  --statelab BIN       the statelab binary (default: ../statelab next to this binary)\n"
    "  --list-engines       print the engines `--engines all` serves, one per line, and exit\n"
    "  --help               this text\n"
    "\n"
    "Exit codes: 0 FILE written (also when Redis was skipped), 2 usage error, 3 FILE could not\n"
    "be written.\n";

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// A whole decimal number >= 1; false when `text` is not one.
bool ParseCount(const std::string& text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && *out >= 1;
}

int UsageError(const std::string& error) {
  std::fprintf(stderr, "statelab-servers: %s\n%s", error.c_str(), kUsage);
  return kExitUsage;
}

int Run(int argc, char** argv) {
  util::CliArgs args;
  if (auto exit_code = util::ParseCommandLine("statelab-servers", kUsage, argc, argv,
                                              {{"out", true},
                                               {"suite", true},
                                               {"engines", true},
                                               {"modes", true},
                                               {"tier", true},
                                               {"tests", true},
                                               {"pipelines", true},
                                               {"requests", true},
                                               {"clients", true},
                                               {"serve-threads", true},
                                               {"memory-keys", true},
                                               {"statelab", true},
                                               {"list-engines", false}},
                                              &args)) {
    return *exit_code;
  }
  if (!args.positionals().empty())
    return UsageError("unexpected argument '" + args.positionals()[0] + "'");
  if (args.Has("list-engines")) {
    servers::SuiteOptions all;
    all.suite = std::string(servers::kServerSuite);
    all.engines = {"all"};
    std::vector<std::string> not_served;
    for (const std::string& e : servers::ServedEngines(all, &not_served)) std::cout << e << '\n';
    return kExitOk;
  }
  const std::optional<std::string> out = args.Value("out");
  if (!out || out->empty()) return UsageError("--out FILE is required");

  servers::SuiteOptions o;
  o.suite = args.Value("suite").value_or(o.suite);
  o.engines = SplitList(args.Value("engines").value_or(""));
  o.modes = SplitList(args.Value("modes").value_or(""));
  o.tiers = SplitList(args.Value("tier").value_or(""));
  o.tests = SplitList(args.Value("tests").value_or(""));
  for (auto [flag, list, what] :
       {std::tuple{"pipelines", &o.pipelines, "a depth"}, std::tuple{"clients", &o.clients, "a count"}}) {
    for (const std::string& item : SplitList(args.Value(flag).value_or(""))) {
      int64_t n = 0;
      if (!ParseCount(item, &n)) {
        return UsageError("--" + std::string(flag) + ": '" + item + "' is not " + what + " >= 1");
      }
      list->push_back(n);
    }
  }
  if (auto n = args.Value("requests")) {
    int64_t requests = 0;
    if (!ParseCount(*n, &requests))
      return UsageError("--requests: '" + *n + "' is not a count >= 1");
    o.requests = requests;
  }
  if (auto n = args.Value("serve-threads"); n && !ParseCount(*n, &o.serve_threads)) {
    return UsageError("--serve-threads: '" + *n + "' is not a count >= 1");
  }
  const char* env_keys = std::getenv("STATELAB_MEMORY_KEYS");
  if (auto keys = args.Value("memory-keys")) {
    if (!ParseCount(*keys, &o.memory_keys)) {
      return UsageError("--memory-keys: '" + *keys + "' is not a count >= 1");
    }
  } else if (env_keys != nullptr && *env_keys != '\0' && !ParseCount(env_keys, &o.memory_keys)) {
    return UsageError("STATELAB_MEMORY_KEYS: '" + std::string(env_keys) + "' is not a count >= 1");
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  o.statelab_bin =
      args.Value("statelab").value_or((self.parent_path().parent_path() / "statelab").string());
  if (Status s = servers::ValidateOptions(o); !s.ok()) {
    return UsageError(std::string(s.message()));
  }

  ::signal(SIGPIPE, SIG_IGN);  // a child that stops reading its input is an error, not a crash
  const servers::ServersReport report = servers::RunServerSuite(o, std::cout);
  if (Status s = servers::WriteServersFile(report, *out); !s.ok()) {
    std::fprintf(stderr, "statelab-servers: %s\n", std::string(s.message()).c_str());
    return kExitBadInput;
  }
  std::cout << "servers: wrote " << *out << " (" << report.results.size() << " results, "
            << report.memory.size() << " memory rows)" << std::endl;
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return util::RunTool("statelab-servers", Run, argc, argv); }
