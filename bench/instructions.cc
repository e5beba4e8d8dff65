#include "bench/instructions.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

#include "util/json.h"

namespace statelab::bench {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTriggerPrefix = "desc: Trigger: Client Request: ";

// The first number after `key` at the start of a line of `text`.
std::optional<uint64_t> LineNumber(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with(key)) {
      line.remove_prefix(key.size());
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      uint64_t v = 0;
      auto r = std::from_chars(line.data(), line.data() + line.size(), v);
      if (r.ec == std::errc()) return v;
      return std::nullopt;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string NotCountable(const CellDef& cell) {
  if (cell.timing == Timing::kSingleShot) {
    return "--metric instructions: a single-shot (multi-threaded or phase) cell has no "
           "reproducible instruction count";
  }
  if (cell.key.threads > 1) {
    return "--metric instructions: a multi-threaded cell has no reproducible instruction count";
  }
  if (cell.key.mode == ModeName(DurabilityMode::kBuffered) ||
      cell.key.mode == ModeName(DurabilityMode::kStrict)) {
    // Measured: two runs of one binary differed by up to 3.7% on buffered put cells.
    return "--metric instructions: the engine's WAL thread runs during the measured region, so "
           "the count of a durable mode varies between runs";
  }
  return "";
}

void KeepCountable(Catalogue& cat) {
  std::vector<CellDef> keep;
  for (CellDef& c : cat.cells()) {
    if (std::string why = NotCountable(c); !why.empty()) {
      cat.skipped().push_back({std::move(c.key), std::move(why), false});
    } else {
      keep.push_back(std::move(c));
    }
  }
  cat.cells() = std::move(keep);
}

RunOutcome RunCounted(const std::vector<CellDef>& cells, const RunnerConfig& cfg, uint64_t ops,
                      bool dump) {
  RunOutcome out;
  for (size_t i = 0; i < cells.size(); ++i) {
    const CellDef& cell = cells[i];
    const std::string name = cell.key.Name();
    DirectRun r = RunDirect(cell, cfg, ops, 1);
    r.fixture.reset();
    std::error_code ec;  // every cell gets the same folder (RunDirect): empty it for the next
    fs::remove_all(MakeCellContext(cell, 0, cfg).data_dir, ec);
    if (dump) CALLGRIND_DUMP_STATS_AT(name.c_str());
    if (r.error.empty()) {
      out.results.push_back(std::move(r.result));
    } else {
      out.failed.push_back({cell.key, r.error, true});
    }
    if (cfg.progress) {
      std::printf("[%zu/%zu] %s  %s\n", i + 1, cells.size(), name.c_str(),
                  r.error.empty() ? "counted" : ("FAILED: " + r.error).c_str());
      std::fflush(stdout);
    }
  }
  return out;
}

Result<CallgrindDump> ParseCallgrindOut(std::string_view text, std::string_view source) {
  CallgrindDump d;
  std::optional<uint64_t> total = LineNumber(text, "totals:");
  if (!total) total = LineNumber(text, "summary:");
  if (!total) {
    return Status::InvalidArgument(std::string(source) + ": no 'totals:' or 'summary:' line");
  }
  d.instructions = *total;
  if (const size_t at = text.find(kTriggerPrefix); at != std::string_view::npos) {
    const size_t from = at + kTriggerPrefix.size();
    d.trigger = std::string(text.substr(from, text.find('\n', from) - from));
  }
  return d;
}

Result<std::map<std::string, uint64_t>> ReadCallgrindDumps(const std::string& dir) {
  std::map<std::string, uint64_t> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (!e.path().filename().string().starts_with("callgrind.out")) continue;
    STATELAB_ASSIGN_OR_RETURN(std::string text, util::ReadFile(e.path().string()));
    // Only the dumps after a cell count; the one at exit has no client-request trigger.
    if (text.find(kTriggerPrefix) == std::string::npos) continue;
    STATELAB_ASSIGN_OR_RETURN(CallgrindDump d, ParseCallgrindOut(text, e.path().string()));
    out[d.trigger] += d.instructions;
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  return out;
}

Result<int> RunUnderCallgrind(const std::vector<std::string>& args, const std::string& child_dir) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::IOError("cannot find this executable: " + ec.message());
  std::vector<std::string> argv = {"valgrind",
                                   "--tool=callgrind",
                                   "--quiet",
                                   "--instr-atstart=no",
                                   "--collect-atstart=no",
                                   "--callgrind-out-file=" + child_dir + "/callgrind.out",
                                   self.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const std::string prefix = std::string(kCallgrindChildEnv) + "=";
  std::string env_var = prefix + child_dir;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with(prefix)) envp.push_back(*e);
  }
  envp.push_back(env_var.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (const int err = posix_spawnp(&pid, "valgrind", nullptr, nullptr, cargv.data(), envp.data());
      err != 0) {
    return Status::IOError("cannot start valgrind (scripts/deps.sh installs it): " +
                           std::error_code(err, std::generic_category()).message());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return Status::IOError("waitpid on valgrind failed");
  if (!WIFEXITED(status)) return Status::IOError("the callgrind child died of a signal");
  return WEXITSTATUS(status);
}

Status ApplyDumps(const std::map<std::string, uint64_t>& dumps, std::string_view source,
                  std::vector<harness::BenchmarkResult>* results) {
  for (harness::BenchmarkResult& b : *results) {
    auto it = dumps.find(b.name);
    if (it == dumps.end()) return Status::InvalidArgument(b.name + ": no callgrind dump");
    int64_t ops = 0;
    for (const harness::Repetition& r : b.repetitions) ops += r.iterations;
    if (ops <= 0) return Status::InvalidArgument(b.name + ": no operation counted");
    b.counters.instructions_per_op = static_cast<double>(it->second) / static_cast<double>(ops);
    b.counters.reason =
        std::string(source) + (b.counters.reason.empty() ? "" : "; ") + b.counters.reason;
  }
  return Status::OK();
}

}  // namespace statelab::bench
