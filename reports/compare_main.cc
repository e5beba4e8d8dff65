// statelab-compare: diffs two baseline.json files. Exit: 0 no regression (or runs from different
// machines without --allow-cross-machine), 1 a regression, 2 usage, 3 bad input.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gates/run_facts.h"
#include "reports/compare.h"
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
    "\n"
    "One row per benchmark: old and new median ns/op, change %, two-sided Mann-Whitney U p-value\n"
    "over the repetitions, verdict (regression / improvement / unchanged / new / removed).\n"
    "A regression needs |change| > PCT and p < A. Geometric means per tier and per engine.\n"
    "\n"
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

int Run(int argc, char** argv) {
  util::CliArgs args;
  if (Status parsed = args.Parse(argc, argv,
                                 {{"threshold", true},
                                  {"alpha", true},
                                  {"allow-cross-machine", false},
                                  {"out", true},
                                  {"json", false},
                                  {"help", false}});
      !parsed.ok()) {
    return Fail(kTool, "", parsed, kExitUsage);
  }
  if (args.Has("help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positionals().size() != 2) {
    std::fprintf(stderr, "statelab-compare: expected OLD.json and NEW.json (got %zu arguments)\n%s",
                 args.positionals().size(), kUsage);
    return kExitUsage;
  }
  reports::CompareOptions opt;
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

  Result<gates::RunFile> old_run = gates::LoadRunFile(args.positionals()[0]);
  if (!old_run.ok()) return Fail(kTool, "bad input", old_run.error(), kExitBadInput);
  Result<gates::RunFile> new_run = gates::LoadRunFile(args.positionals()[1]);
  if (!new_run.ok()) return Fail(kTool, "bad input", new_run.error(), kExitBadInput);
  const reports::CompareResult result = reports::CompareBaselines(*old_run, *new_run, opt);
  const std::string md = reports::CompareToMarkdown(result);
  const std::string js = util::JsonFileText(reports::CompareToJson(result));
  if (auto out = args.Value("out")) {
    std::error_code ec;
    fs::create_directories(*out, ec);
    Status written = util::WriteFile((fs::path(*out) / "compare.md").string(), md);
    if (written.ok()) written = util::WriteFile((fs::path(*out) / "compare.json").string(), js);
    if (!written.ok()) return Fail(kTool, "cannot write output", written, kExitBadInput);
  }
  if (result.cross_machine) {
    std::fprintf(stderr, "statelab-compare: WARNING: cross-machine comparison (%s); %s\n",
                 result.cross_machine_reason.c_str(),
                 opt.allow_cross_machine ? "--allow-cross-machine given"
                                         : "regressions will not fail the comparison");
  }
  std::fputs(args.Has("json") ? js.c_str() : md.c_str(), stdout);
  return result.ExitCode();
}

}  // namespace

int main(int argc, char** argv) { return util::RunTool(kTool, Run, argc, argv); }
