// statelab-compare: diffs two baseline.json files (by time, or --metric instructions), or the
// pair folders of a paired A/B run (--paired). Exit: 0 no regression (or runs from different
// machines without --allow-cross-machine), 1 a regression, 2 usage, 3 bad input.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gates/run_facts.h"
#include "reports/compare.h"
#include "reports/instructions.h"
#include "reports/paired.h"
#include "util/cli_args.h"
#include "util/json.h"

namespace {

namespace fs = std::filesystem;
using namespace statelab;
using util::Fail;
using util::kExitBadInput;
using util::kExitOk;
using util::kExitUsage;

constexpr char kTool[] = "statelab-compare";

constexpr char kUsage[] =
    "usage: statelab-compare OLD.json NEW.json [--threshold PCT] [--alpha A]\n"
    "                        [--allow-cross-machine] [--out DIR] [--json]\n"
    "       statelab-compare --metric instructions OLD.json NEW.json [--threshold PCT (1)]\n"
    "       statelab-compare --paired A_DIR B_DIR [--threshold PCT (5)] [--alpha A (0.05)]\n"
    "                        [--looks L (1)] [--out DIR] [--json]\n"
    "\n"
    "One row per benchmark: old and new median ns/op, change %, two-sided Mann-Whitney U p-value\n"
    "over the repetitions, verdict (regression / improvement / unchanged / new / removed).\n"
    "A regression needs |change| > PCT and p < A. Geometric means per tier and per engine.\n"
    "\n"
    "  --metric time|instructions  time (default): the repetitions' ns per op; instructions:\n"
    "                         counters.instructions_per_op (statelab-bench --metric\n"
    "                         instructions), a regression is a change > PCT (default 1)\n"
    "  --paired               A_DIR and B_DIR hold pair_<i>/baseline.json of a paired A/B run\n"
    "                         (compare_baseline.sh --ab): per cell, an exact interval of the\n"
    "                         median of the ratios B/A at confidence 1 - A / (cells x L); a\n"
    "                         regression when it lies wholly above 1 + PCT/100 (default PCT 5)\n"
    "  --looks L              --paired: how many times the runner looks at the verdicts\n"
    "  --threshold PCT        minimum change in percent (default 10)\n"
    "  --alpha A              significance level (default 0.05)\n"
    "  --allow-cross-machine  let a regression fail even when hostname or CPU model differ\n"
    "  --out DIR              also write DIR/compare.md and DIR/compare.json\n"
    "  --json                 print JSON instead of markdown on stdout\n"
    "  --help                 this text\n"
    "\n"
    "Exit codes: 0 no regression (always 0 across machines unless --allow-cross-machine),\n"
    "1 regression, 2 usage error, 3 bad input (missing or malformed file).\n";

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

// Writes DIR/<stem>.md and DIR/<stem>.json for --out, prints one of them, returns `exit_code`.
int Emit(const util::CliArgs& args, const std::string& stem, const std::string& md,
         const std::string& js, int exit_code) {
  if (auto out = args.Value("out")) {
    std::error_code ec;
    fs::create_directories(*out, ec);
    Status written = util::WriteFile((fs::path(*out) / (stem + ".md")).string(), md);
    if (written.ok()) written = util::WriteFile((fs::path(*out) / (stem + ".json")).string(), js);
    if (!written.ok()) return Fail(kTool, "cannot write output", written, kExitBadInput);
  }
  std::fputs(args.Has("json") ? js.c_str() : md.c_str(), stdout);
  return exit_code;
}

int Run(int argc, char** argv) {
  util::CliArgs args;
  if (auto exit_code = util::ParseCommandLine(kTool, kUsage, argc, argv,
                                              {{"threshold", true},
                                               {"alpha", true},
                                               {"allow-cross-machine", false},
                                               {"out", true},
                                               {"json", false},
                                               {"metric", true},
                                               {"paired", false},
                                               {"looks", true}},
                                              &args)) {
    return *exit_code;
  }
  if (args.positionals().size() != 2) {
    std::fprintf(stderr, "statelab-compare: expected OLD.json and NEW.json (got %zu arguments)\n%s",
                 args.positionals().size(), kUsage);
    return kExitUsage;
  }
  const std::string metric = args.Value("metric").value_or("time");
  if (metric != "time" && metric != "instructions") {
    std::fprintf(stderr, "statelab-compare: --metric: unknown value '%s' (time, instructions)\n",
                 metric.c_str());
    return kExitUsage;
  }
  const bool paired = args.Has("paired");
  if (paired && metric != "time") {
    std::fprintf(stderr, "statelab-compare: --paired compares time only\n");
    return kExitUsage;
  }
  reports::CompareOptions opt;
  if (metric == "instructions") opt.threshold_pct = reports::InstructionOptions().threshold_pct;
  if (paired) opt.threshold_pct = reports::PairedOptions().threshold_pct;
  if (auto t = args.Value("threshold")) {
    if (!ParseDouble(*t, &opt.threshold_pct) || opt.threshold_pct < 0) {
      std::fprintf(stderr, "statelab-compare: --threshold needs a percentage >= 0, got '%s'\n",
                   t->c_str());
      return kExitUsage;
    }
  }
  if (auto a = args.Value("alpha")) {
    if (!ParseDouble(*a, &opt.alpha) || opt.alpha <= 0 || opt.alpha >= 1) {
      std::fprintf(stderr, "statelab-compare: --alpha needs a number in (0, 1), got '%s'\n",
                   a->c_str());
      return kExitUsage;
    }
  }
  opt.allow_cross_machine = args.Has("allow-cross-machine");

  if (paired) {
    Result<std::vector<gates::RunFile>> a = reports::LoadPairRuns(args.positionals()[0]);
    if (!a.ok()) return Fail(kTool, "bad input", a.error(), kExitBadInput);
    Result<std::vector<gates::RunFile>> b = reports::LoadPairRuns(args.positionals()[1]);
    if (!b.ok()) return Fail(kTool, "bad input", b.error(), kExitBadInput);
    reports::PairedOptions po;
    po.threshold_pct = opt.threshold_pct;
    po.alpha = opt.alpha;
    if (auto l = args.Value("looks")) {
      double looks = 0;
      if (!ParseDouble(*l, &looks) || looks < 1 || looks != std::floor(looks)) {
        std::fprintf(stderr, "statelab-compare: --looks needs an integer >= 1, got '%s'\n",
                     l->c_str());
        return kExitUsage;
      }
      po.looks = static_cast<int>(looks);
    }
    Result<reports::PairedResult> r = reports::ComparePaired(*a, *b, po);
    if (!r.ok()) return Fail(kTool, "bad input", r.error(), kExitBadInput);
    return Emit(args, "paired", reports::PairedToMarkdown(*r),
                util::JsonFileText(reports::PairedToJson(*r)), r->ExitCode());
  }

  Result<gates::RunFile> old_run = gates::LoadRunFile(args.positionals()[0]);
  if (!old_run.ok()) return Fail(kTool, "bad input", old_run.error(), kExitBadInput);
  Result<gates::RunFile> new_run = gates::LoadRunFile(args.positionals()[1]);
  if (!new_run.ok()) return Fail(kTool, "bad input", new_run.error(), kExitBadInput);
  if (Status s = reports::CheckSameWorkloads(old_run->baseline, new_run->baseline); !s.ok()) {
    return Fail(kTool, "cannot compare", s, kExitBadInput);
  }
  if (metric == "instructions") {
    const reports::InstructionResult r =
        reports::CompareInstructions(*old_run, *new_run, {opt.threshold_pct});
    if (r.Compared() == 0) {
      std::fprintf(stderr,
                   "statelab-compare: no benchmark has counters.instructions_per_op in both runs "
                   "(run statelab-bench --metric instructions)\n");
    }
    return Emit(args, "compare_instructions", reports::InstructionsToMarkdown(r),
                util::JsonFileText(reports::InstructionsToJson(r)), r.ExitCode());
  }
  const reports::CompareResult result = reports::CompareBaselines(*old_run, *new_run, opt);
  if (result.cross_machine) {
    std::fprintf(stderr, "statelab-compare: WARNING: cross-machine comparison (%s); %s\n",
                 result.cross_machine_reason.c_str(),
                 opt.allow_cross_machine ? "--allow-cross-machine given"
                                         : "regressions will not fail the comparison");
  }
  return Emit(args, "compare", reports::CompareToMarkdown(result),
              util::JsonFileText(reports::CompareToJson(result)), result.ExitCode());
}

}  // namespace

int main(int argc, char** argv) { return util::RunTool(kTool, Run, argc, argv); }
