// statelab-gate: evaluates gates/gates.json against one baseline.json (and optionally a previous
// one) and writes gates.json (verdicts) and gates.md. Exit: 0 no failure, 1 a red flag or
// regression failed, 2 usage, 3 bad input (unreadable or malformed file, unwritable output).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "gates/gate_eval.h"
#include "gates/rules.h"
#include "gates/run_facts.h"
#include "util/cli_args.h"
#include "util/json.h"

#ifndef STATELAB_SOURCE_DIR
#define STATELAB_SOURCE_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using namespace statelab;
using namespace statelab::gates;
using util::CliArgs;
using util::Fail;
using util::JsonFileText;
using util::kExitBadInput;
using util::kExitOk;
using util::kExitUsage;
using util::WriteFile;

constexpr char kUsage[] =
    "usage: statelab-gate BASELINE.json [--previous PREVIOUS.json] [--rules gates.json]\n"
    "                     [--out DIR] [--allow-cross-machine] [--ci]\n"
    "                     [--metric time|instructions] [--quiet]\n"
    "\n"
    "Evaluates the gate rules against BASELINE.json and writes DIR/gates.json (verdicts) and\n"
    "DIR/gates.md. DIR defaults to the folder of BASELINE.json.\n"
    "\n"
    "  --previous FILE        an earlier baseline.json; enables the regression rules\n"
    "  --rules FILE           rule file (default: $STATELAB_GATES, ./gates/gates.json, or the\n"
    "                         source tree's gates/gates.json)\n"
    "  --out DIR              where to write gates.json and gates.md\n"
    "  --allow-cross-machine  let regressions against another machine's baseline fail\n"
    "  --ci                   CI mode: an expected cell that is missing fails (rules whose\n"
    "                         suite the run covers), and so does an empty baseline\n"
    "  --metric M             the run (and --previous) must have been measured with\n"
    "                         statelab-bench --metric M (time or instructions); rules apply to\n"
    "                         the runs of their run_metric only\n"
    "  --quiet                print only the one-line result\n"
    "  --help                 this text\n"
    "\n"
    "Exit codes: 0 no failure, 1 a red flag or regression failed, 2 usage error,\n"
    "3 bad input (missing or malformed file, unwritable output).\n";

std::string DefaultRules() {
  if (const char* env = std::getenv("STATELAB_GATES"); env != nullptr && *env != '\0') return env;
  if (fs::exists("gates/gates.json")) return "gates/gates.json";
  return std::string(STATELAB_SOURCE_DIR) + "/gates/gates.json";
}

constexpr char kTool[] = "statelab-gate";

int Run(int argc, char** argv) {
  CliArgs args;
  if (auto exit_code = ParseCommandLine(kTool, kUsage, argc, argv,
                                        {{"previous", true},
                                         {"rules", true},
                                         {"out", true},
                                         {"allow-cross-machine", false},
                                         {"ci", false},
                                         {"metric", true},
                                         {"quiet", false}},
                                        &args)) {
    return *exit_code;
  }
  if (args.positionals().size() != 1) {
    std::fprintf(stderr, "statelab-gate: expected exactly one BASELINE.json (got %zu)\n%s",
                 args.positionals().size(), kUsage);
    return kExitUsage;
  }
  const std::string baseline_path = args.positionals()[0];
  const std::string rules_path = args.Value("rules").value_or(DefaultRules());

  Result<RuleSet> rules = LoadRules(rules_path);
  if (!rules.ok()) return Fail(kTool, "bad input", rules.error(), kExitBadInput);
  Result<RunFile> run = LoadRunFile(baseline_path);
  if (!run.ok()) return Fail(kTool, "bad input", run.error(), kExitBadInput);
  std::optional<RunFile> previous;
  if (auto previous_path = args.Value("previous")) {
    Result<RunFile> loaded = LoadRunFile(*previous_path);
    if (!loaded.ok()) return Fail(kTool, "bad input", loaded.error(), kExitBadInput);
    previous = std::move(*loaded);
  }
  if (auto metric = args.Value("metric")) {
    if (*metric != "time" && *metric != "instructions") {
      return Fail(
          kTool, "",
          Status::InvalidArgument("--metric: expected time or instructions, got '" + *metric + "'"),
          kExitUsage);
    }
    for (const RunFile* r : {&*run, previous ? &*previous : nullptr}) {
      if (r != nullptr && RunMetric(r->baseline) != *metric) {
        return Fail(kTool, "bad input",
                    Status::InvalidArgument(r->path + ": measured with --metric " +
                                            RunMetric(r->baseline) + ", not " + *metric),
                    kExitBadInput);
      }
    }
  }
  GateOptions options;
  options.allow_cross_machine = args.Has("allow-cross-machine");
  options.ci = args.Has("ci");
  Result<std::vector<SkippedCell>> skipped = LoadSkippedCells(baseline_path);
  if (!skipped.ok()) return Fail(kTool, "bad input", skipped.error(), kExitBadInput);
  options.skipped = std::move(*skipped);
  const GateReport report = EvaluateGates(*rules, *run, previous ? &*previous : nullptr, options);

  fs::path out_dir = args.Value("out").value_or(fs::path(baseline_path).parent_path().string());
  if (out_dir.empty()) out_dir = ".";
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  const std::string json_path = (out_dir / "gates.json").string();
  const std::string md_path = (out_dir / "gates.md").string();
  Status written = WriteFile(json_path, JsonFileText(GateReportToJson(report)));
  if (written.ok()) written = WriteFile(md_path, GateReportToMarkdown(report));
  if (!written.ok()) return Fail(kTool, "cannot write output", written, kExitBadInput);

  if (!args.Has("quiet")) {
    if (!report.reference_match) {
      std::printf("note: not reference hardware; reference-only rules are advisory (warn)\n");
    }
    if (report.cross_machine) {
      std::printf("note: previous baseline is from a different machine (%s)\n",
                  report.cross_machine_reason.c_str());
    }
    if (report.ci) std::printf("note: CI mode: missing expected cells fail\n");
    for (const auto& v : report.verdicts) {
      if (v.status == VerdictStatus::kFail) {
        std::printf("FAIL %s  %s: %s\n", v.id.c_str(), v.subject.c_str(), v.reason.c_str());
      }
    }
  }
  std::printf("gates: %d pass, %d warn, %d fail, %d skip verdicts over %zu rules -> %s (%s)\n",
              report.Count(VerdictStatus::kPass), report.Count(VerdictStatus::kWarn),
              report.Count(VerdictStatus::kFail), report.Count(VerdictStatus::kSkip),
              report.rules.size(), report.ExitCode() == kExitOk ? "ok" : "FAILED", md_path.c_str());
  return report.ExitCode();
}

}  // namespace

int main(int argc, char** argv) { return util::RunTool(kTool, Run, argc, argv); }
