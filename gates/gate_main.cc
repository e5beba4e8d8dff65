// statelab-gate: evaluates gates/gates.json against one baseline.json (and optionally a previous
// one) and writes gates.json (verdicts) and gates.md. Exit: 0 no failure, 1 a red flag or
// regression failed, 2 usage, 3 bad input (unreadable or malformed file, unwritable output).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gates/cli_args.h"
#include "gates/gate_eval.h"
#include "gates/json_util.h"
#include "gates/rules.h"
#include "gates/run_facts.h"

#ifndef STATELAB_SOURCE_DIR
#define STATELAB_SOURCE_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using namespace statelab::gates;

constexpr char kUsage[] =
    "usage: statelab-gate BASELINE.json [--previous PREVIOUS.json] [--rules gates.json]\n"
    "                     [--out DIR] [--allow-cross-machine] [--quiet]\n"
    "\n"
    "Evaluates the gate rules against BASELINE.json and writes DIR/gates.json (verdicts) and\n"
    "DIR/gates.md. DIR defaults to the folder of BASELINE.json.\n"
    "\n"
    "  --previous FILE        an earlier baseline.json; enables the regression rules\n"
    "  --rules FILE           rule file (default: $STATELAB_GATES, ./gates/gates.json, or the\n"
    "                         source tree's gates/gates.json)\n"
    "  --out DIR              where to write gates.json and gates.md\n"
    "  --allow-cross-machine  let regressions against another machine's baseline fail\n"
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

int Run(int argc, char** argv) {
  CliArgs args;
  std::string error;
  if (!args.Parse(argc, argv,
                  {{"previous", true},
                   {"rules", true},
                   {"out", true},
                   {"allow-cross-machine", false},
                   {"quiet", false},
                   {"help", false}},
                  &error)) {
    std::fprintf(stderr, "statelab-gate: %s\n", error.c_str());
    return kExitUsage;
  }
  if (args.Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positionals().size() != 1) {
    std::fprintf(stderr, "statelab-gate: expected exactly one BASELINE.json (got %zu)\n%s",
                 args.positionals().size(), kUsage);
    return kExitUsage;
  }
  const std::string baseline_path = args.positionals()[0];
  const std::string rules_path = args.Value("rules").value_or(DefaultRules());

  RuleSet rules;
  if (!LoadRules(rules_path, &rules, &error)) {
    std::fprintf(stderr, "statelab-gate: bad input: %s\n", error.c_str());
    return kExitBadInput;
  }
  RunFile run;
  if (!LoadRunFile(baseline_path, &run, &error)) {
    std::fprintf(stderr, "statelab-gate: bad input: %s\n", error.c_str());
    return kExitBadInput;
  }
  RunFile previous;
  const bool has_previous = args.Has("previous");
  if (has_previous && !LoadRunFile(*args.Value("previous"), &previous, &error)) {
    std::fprintf(stderr, "statelab-gate: bad input: %s\n", error.c_str());
    return kExitBadInput;
  }
  GateOptions options;
  options.allow_cross_machine = args.Has("allow-cross-machine");
  const GateReport report = EvaluateGates(rules, run, has_previous ? &previous : nullptr, options);

  fs::path out_dir = args.Value("out").value_or(fs::path(baseline_path).parent_path().string());
  if (out_dir.empty()) out_dir = ".";
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  const std::string json_path = (out_dir / "gates.json").string();
  const std::string md_path = (out_dir / "gates.md").string();
  if (!WriteFile(json_path, JsonFileText(GateReportToJson(report)), &error) ||
      !WriteFile(md_path, GateReportToMarkdown(report), &error)) {
    std::fprintf(stderr, "statelab-gate: cannot write output: %s\n", error.c_str());
    return kExitBadInput;
  }

  if (!args.Has("quiet")) {
    if (!report.reference_match) {
      std::printf("note: not reference hardware; reference-only rules are advisory (warn)\n");
    }
    if (report.cross_machine) {
      std::printf("note: previous baseline is from a different machine (%s)\n",
                  report.cross_machine_reason.c_str());
    }
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

int main(int argc, char** argv) { return RunTool("statelab-gate", Run, argc, argv); }
