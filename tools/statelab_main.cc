// The `statelab` command: a JSON-lines shell over any engine, a RESP server (serve), and offline
// tools for a data directory (inspect, replay, diff, verify, wal dump). Usage and exit codes:
// docs/cli.md (serve: docs/resp.md).

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/registry/engine_list.h"
#include "tools/offline.h"
#include "tools/resp/server.h"
#include "tools/shell.h"
#include "util/cli_args.h"

namespace statelab::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

using util::CliArgs;
using util::FlagSpec;

struct Command {
  std::string_view name;  // one or two words ("wal dump")
  std::string_view usage;
  std::string_view help;
  std::vector<FlagSpec> flags;  // besides --help
  size_t positionals;
  int (*run)(const CliArgs& args);
};

void PrintLine(std::string_view line) { std::cout << line << '\n'; }

// Help lines of the flags every database command shares, after --partitions.
constexpr std::string_view kDurabilityFlagsHelp =
    "  --wal-segment-bytes N    roll to a new WAL segment past N bytes (default 67108864)\n"
    "  --snapshot-wal-bytes N   snapshot once N WAL bytes were written since the last one\n"
    "                           (default 67108864; 0 = never)\n"
    "  --snapshot-interval-s N  snapshot every N seconds if anything was written (default 0 =\n"
    "                           never)\n"
    "  --no-close-snapshot      do not write a snapshot when the database closes\n"
    "  --recovery P             strict | truncate-tail | skip-corrupt: what opening does with\n"
    "                           damaged or missing history (default strict; docs/durability.md)";

// Help text with @ENGINES@ replaced by the names of AllEngines ("btree | sharded | ...") and
// @DURABILITY@ by the help of the durability flags shell and serve share.
std::string WithEngineNames(std::string_view help) {
  std::string names;
  for (std::string_view n : AllEngines::names)
    names += (names.empty() ? "" : " | ") + std::string(n);
  std::string out(help);
  for (size_t at = out.find("@ENGINES@"); at != std::string::npos; at = out.find("@ENGINES@")) {
    out.replace(at, 9, names);
  }
  constexpr std::string_view kDurability = "@DURABILITY@";
  if (const size_t at = out.find(kDurability); at != std::string::npos) {
    out.replace(at, kDurability.size(), kDurabilityFlagsHelp);
  }
  return out;
}

// A flag's value as an unsigned number up to `max` into *out (left alone when the flag is absent);
// InvalidArgument when it is not one.
template <class T>
Status FlagNumber(const CliArgs& args, const std::string& name, T max, T* out) {
  const std::optional<std::string> v = args.Value(name);
  if (!v) return Status::OK();
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n > max) {
    return Status::InvalidArgument("--" + name + ": '" + *v + "' is not an integer in 0.." +
                                   std::to_string(max));
  }
  *out = static_cast<T>(n);
  return Status::OK();
}

const Command* FindByName(std::string_view name);

int Usage(std::string_view command, std::string_view error) {
  std::cerr << "statelab " << command << ": " << error << "\nusage: " << FindByName(command)->usage
            << '\n';
  return kExitUsage;
}

// Prints a failed command's error; the exit code.
int ReportExit(const Status& s) {
  if (s.ok()) return kExitOk;
  std::cerr << "statelab: " << s.ToString() << '\n';
  return kExitError;
}

// --recovery P: the policy an open uses (shell, serve) or whose verdict to give (inspect,
// verify); *out unchanged without the flag (default strict).
Status RecoveryFlag(const CliArgs& args, RecoveryPolicy* out) {
  const std::optional<std::string> v = args.Value("recovery");
  if (!v) return Status::OK();
  Result<RecoveryPolicy> p = ParseRecoveryPolicy(*v);
  if (!p.ok()) return Status::InvalidArgument("--" + std::string(p.error().message()));
  *out = *p;
  return Status::OK();
}

// The database flags `shell` and `serve` share; InvalidArgument when one is wrong.
Result<DbOptions> DbOptionsFromFlags(const CliArgs& args) {
  if (!args.Has("engine") || !args.Has("mode")) {
    return Status::InvalidArgument("--engine and --mode are required");
  }
  DbOptions opts;
  opts.engine = *args.Value("engine");
  opts.dir = args.Value("dir").value_or("");
  Result<DurabilityMode> mode = ParseMode(*args.Value("mode"));
  if (!mode.ok()) return Status::InvalidArgument("--mode: " + std::string(mode.error().message()));
  opts.mode = *mode;
  if (opts.mode != DurabilityMode::kInMemory && opts.dir.empty()) {
    return Status::InvalidArgument("--dir is required in buffered and strict mode");
  }
  constexpr uint32_t kU32Max = std::numeric_limits<uint32_t>::max();
  constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
  STATELAB_RETURN_IF_ERROR(FlagNumber(args, "interval-ms", kU32Max, &opts.buffered_interval_ms));
  STATELAB_RETURN_IF_ERROR(FlagNumber(args, "partitions", kU32Max, &opts.partitions));
  STATELAB_RETURN_IF_ERROR(FlagNumber(args, "wal-segment-bytes", kU64Max, &opts.wal_segment_bytes));
  if (opts.wal_segment_bytes == 0) {
    return Status::InvalidArgument("--wal-segment-bytes: must be at least 1");
  }
  STATELAB_RETURN_IF_ERROR(
      FlagNumber(args, "snapshot-wal-bytes", kU64Max, &opts.snapshot_wal_bytes));
  STATELAB_RETURN_IF_ERROR(
      FlagNumber(args, "snapshot-interval-s", kU32Max, &opts.snapshot_interval_s));
  if (args.Has("no-close-snapshot")) opts.snapshot_on_close = false;
  STATELAB_RETURN_IF_ERROR(RecoveryFlag(args, &opts.recovery_policy));
  return opts;
}

// The flags DbOptionsFromFlags reads, for both commands' flag lists.
std::vector<FlagSpec> DbFlags() {
  return {{"engine", true},
          {"mode", true},
          {"dir", true},
          {"interval-ms", true},
          {"partitions", true},
          {"wal-segment-bytes", true},
          {"snapshot-wal-bytes", true},
          {"snapshot-interval-s", true},
          {"no-close-snapshot", false},
          {"recovery", true}};
}

// With `extra` appended: a command's flag list.
std::vector<FlagSpec> DbFlagsAnd(std::vector<FlagSpec> extra) {
  std::vector<FlagSpec> all = DbFlags();
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

int RunShellCommand(const CliArgs& args) {
  Result<DbOptions> opts = DbOptionsFromFlags(args);
  if (!opts.ok()) return Usage("shell", opts.error().message());
  Result<std::unique_ptr<Db>> db = Db::Open(*opts);
  if (!db.ok()) {
    std::cerr << "statelab shell: cannot open: " << db.error().ToString() << '\n';
    return kExitError;
  }
  Shell shell(std::move(db).value());
  return RunShell(shell, STDIN_FILENO, std::cout, std::cerr);
}

int RunServeCommand(const CliArgs& args) {
  Result<DbOptions> opts = DbOptionsFromFlags(args);
  if (!opts.ok()) return Usage("serve", opts.error().message());
  DbOptions& db = *opts;
  db.search_index = false;  // RESP offers no search: writes skip the index
  resp::ServerOptions server;
  uint32_t port = static_cast<uint32_t>(server.port);
  uint32_t threads = static_cast<uint32_t>(server.threads);
  uint32_t idle_s = static_cast<uint32_t>(server.idle_timeout.count());
  Status flags = FlagNumber(args, "port", uint32_t{65535}, &port);
  if (flags.ok()) flags = FlagNumber(args, "threads", uint32_t{256}, &threads);
  if (flags.ok()) flags = FlagNumber(args, "max-clients", size_t{1} << 20, &server.max_clients);
  if (flags.ok()) flags = FlagNumber(args, "idle-timeout", uint32_t{1} << 30, &idle_s);
  if (!flags.ok()) return Usage("serve", flags.message());
  if (threads == 0) return Usage("serve", "--threads: must be at least 1");
  server.port = static_cast<int>(port);
  server.threads = static_cast<int>(threads);
  server.idle_timeout = std::chrono::seconds(idle_s);
  server.bind = args.Value("bind").value_or(server.bind);
  server.password = args.Value("password").value_or("");
  server.strict_acks = args.Has("strict-acks");
  const Status s = resp::Serve(db, server, [&](int port) {
    std::cout << "statelab serve: listening on " << server.bind << ':' << port << " (engine "
              << db.engine << ", mode " << ModeName(db.mode) << ")" << std::endl;
  });
  if (!s.ok()) {
    std::cerr << "statelab serve: " << s.ToString() << '\n';
    return kExitError;
  }
  return kExitOk;
}

int RunInspectCommand(const CliArgs& args) {
  RecoveryPolicy policy = RecoveryPolicy::kStrict;
  if (Status s = RecoveryFlag(args, &policy); !s.ok()) return Usage("inspect", s.message());
  return ReportExit(Inspect(args.positionals()[0], PrintLine, policy));
}
int RunReplayCommand(const CliArgs& args) {
  return ReportExit(Replay(args.positionals()[0], args.positionals()[1], PrintLine));
}
int RunDiffCommand(const CliArgs& args) {
  return ReportExit(
      Diff(args.positionals()[0], args.positionals()[1], args.positionals()[2], PrintLine));
}
int RunVerifyCommand(const CliArgs& args) {
  RecoveryPolicy policy = RecoveryPolicy::kStrict;
  if (Status s = RecoveryFlag(args, &policy); !s.ok()) return Usage("verify", s.message());
  Result<bool> clean = Verify(args.positionals()[0], PrintLine, policy);
  if (!clean.ok()) return ReportExit(clean.status());
  return *clean ? kExitOk : kExitError;
}
int RunWalDumpCommand(const CliArgs& args) {
  Version from = 0;
  if (Status s = FlagNumber(args, "from", std::numeric_limits<Version>::max(), &from); !s.ok()) {
    return Usage("wal dump", s.message());
  }
  return ReportExit(WalDump(args.positionals()[0], from, PrintLine));
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"shell",
       "statelab shell --engine E --mode inmemory|buffered|strict [--dir D] [--interval-ms N] "
       "[--partitions N] [--wal-segment-bytes N] [--snapshot-wal-bytes N] "
       "[--snapshot-interval-s N] [--no-close-snapshot] [--recovery P]",
       "Reads JSON requests, one per line, on stdin and writes one JSON reply per request on\n"
       "stdout, in request order, until EOF or {\"op\":\"close\"}. Requests are pipelined: each\n"
       "runs as soon as it is read, and replies are written once no more input is at hand, so\n"
       "consecutive writes share syncs. The protocol is in docs/cli.md.\n"
       "  --engine E               @ENGINES@\n"
       "  --mode M                 inmemory | buffered | strict (what an acknowledged write\n"
       "                           survives)\n"
       "  --dir D                  data directory (required unless inmemory)\n"
       "  --interval-ms N          buffered mode: sync interval (default 100)\n"
       "  --partitions N           shards (sharded) or workers (shared_nothing); 0 = engine\n"
       "                           default\n"
       "@DURABILITY@",
       DbFlags(),
       0,
       RunShellCommand},
      {"serve",
       "statelab serve --engine E --mode inmemory|buffered|strict [--port P] [--bind ADDR] "
       "[--threads N] [--dir D] [--password PW] [--max-clients N] [--idle-timeout S] "
       "[--interval-ms N] [--strict-acks] [--partitions N] [--wal-segment-bytes N] "
       "[--snapshot-wal-bytes N] [--snapshot-interval-s N] [--no-close-snapshot] [--recovery P]",
       "A RESP2 (Redis protocol) server over TCP until SIGTERM, SIGINT or SHUTDOWN; redis-cli\n"
       "and redis-benchmark work against it. Redis database N is the run 'resp-dbN'. A reply\n"
       "to a write is sent once the write is as durable as --mode promises. docs/resp.md.\n"
       "  --engine E               @ENGINES@\n"
       "  --mode M                 inmemory | buffered | strict\n"
       "  --port P                 TCP port (default 6379; 0 = any free port, printed on stdout)\n"
       "  --bind ADDR              IPv4 address to listen on (default 127.0.0.1)\n"
       "  --threads N              epoll worker threads (default 1)\n"
       "  --dir D                  data directory (required unless inmemory)\n"
       "  --password PW            clients must AUTH with PW first\n"
       "  --max-clients N          connections beyond N get an error and are closed (default\n"
       "                           10000)\n"
       "  --idle-timeout S         close connections idle for S seconds (default 300; 0 = never)\n"
       "  --interval-ms N          buffered mode: sync interval (default 100)\n"
       "  --strict-acks            buffered mode: reply to a write once it is fdatasync'ed, as\n"
       "                           strict\n"
       "  --partitions N           shards (sharded) or workers (shared_nothing); 0 = engine\n"
       "                           default\n"
       "@DURABILITY@",
       DbFlagsAnd({{"port", true},
                   {"bind", true},
                   {"threads", true},
                   {"password", true},
                   {"max-clients", true},
                   {"idle-timeout", true},
                   {"strict-acks", false}}),
       0,
       RunServeCommand},
      {"inspect",
       "statelab inspect D [--recovery P]",
       "Runs, counts per primitive, WAL segments and sizes, snapshots and what recovery would\n"
       "do, for any engine's directory. Reads the files only; never changes them.\n"
       "  --recovery P   strict | truncate-tail | skip-corrupt: the policy whose open to\n"
       "                 predict (default strict; docs/durability.md)",
       {{"recovery", true}},
       1,
       RunInspectCommand},
      {"replay",
       "statelab replay D RUN",
       "The read-only view of run RUN (a run name) as of its end, rebuilt from recorded history:\n"
       "KV, state, JSON, events and traces, one JSON line each. Opens D through normal recovery\n"
       "(as any open would: a torn WAL tail is cut); no other process may have D open.",
       {},
       2,
       RunReplayCommand},
      {"diff",
       "statelab diff D RUN_A RUN_B",
       "The differences between two runs, one JSON line each: KV, JSON and state keys added,\n"
       "removed or modified, and events by sequence. Opens D like replay does.",
       {},
       3,
       RunDiffCommand},
      {"verify",
       "statelab verify D [--recovery P]",
       "Checks the CRC of every WAL record and snapshot and every run's event chain; prints\n"
       "the first problem of each file with its offset and what open does about it (open's\n"
       "own verdict: its recovery run without changing a file). Never changes a file.\n"
       "  --recovery P   strict | truncate-tail | skip-corrupt: the policy open runs under\n"
       "                 (default strict; docs/durability.md)\n"
       "Exit: 0 clean, 1 problems found, 2 usage.",
       {{"recovery", true}},
       1,
       RunVerifyCommand},
      {"wal dump",
       "statelab wal dump D [--from N]",
       "One JSON line per WAL record (every root, oldest first): file, offset, size, version,\n"
       "run, timestamp, lifecycle marker and writes. Never changes a file.\n"
       "  --from N   skip records older than version N",
       {{"from", true}},
       1,
       RunWalDumpCommand},
  };
  return kCommands;
}

const Command* FindByName(std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void PrintOverview(std::ostream& out) {
  out << "statelab: a JSON-lines shell and a RESP server over any engine, and offline tools for\n"
         "a data directory.\n"
         "\nCommands:\n";
  for (const Command& c : Commands()) out << "  " << c.usage << '\n';
  out << "\nEvery command takes --help. Exit codes: 0 ok, 1 error (verify: problems found),\n"
         "2 usage. Protocol and output formats: docs/cli.md.\n";
}

// The command named by argv[1] (and argv[2] for two-word names); *words receives its length.
const Command* FindCommand(int argc, char** argv, int* words) {
  for (const Command& c : Commands()) {
    const size_t space = c.name.find(' ');
    if (space == std::string_view::npos) {
      if (c.name == argv[1]) {
        *words = 1;
        return &c;
      }
    } else if (argc > 2 && c.name.substr(0, space) == argv[1] &&
               c.name.substr(space + 1) == argv[2]) {
      *words = 2;
      return &c;
    }
  }
  return nullptr;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintOverview(std::cerr);
    return kExitUsage;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    PrintOverview(std::cout);
    return kExitOk;
  }
  int words = 0;
  const Command* c = FindCommand(argc, argv, &words);
  if (c == nullptr) {
    std::cerr << "statelab: unknown command '" << first << "'\n\n";
    PrintOverview(std::cerr);
    return kExitUsage;
  }
  std::vector<FlagSpec> flags = c->flags;
  flags.push_back({"help", false});
  CliArgs args;
  // CliArgs skips argv[0]: hand it the command's last word in that slot.
  if (Status s = args.Parse(argc - words, argv + words, flags); !s.ok()) {
    return Usage(c->name, s.message());
  }
  if (args.Has("help")) {
    std::cout << "usage: " << c->usage << "\n\n" << WithEngineNames(c->help) << '\n';
    return kExitOk;
  }
  if (args.positionals().size() != c->positionals) {
    return Usage(c->name, "expected " + std::to_string(c->positionals) + " argument(s), got " +
                              std::to_string(args.positionals().size()));
  }
  return c->run(args);
}

}  // namespace
}  // namespace statelab::cli

int main(int argc, char** argv) {
  try {
    return statelab::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statelab: error: %s\n", e.what());
    return 1;
  }
}
