// statelab-report: writes the reports of one run folder and/or regenerates results/INDEX.md, or
// folds `perf script` output into flame-graph stacks.
// Exit: 0 written, 2 usage, 3 bad input (missing or malformed baseline.json, unwritable folder).

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "gates/run_facts.h"
#include "harness/baseline.h"
#include "reports/fleet_report.h"
#include "reports/index.h"
#include "reports/merge.h"
#include "reports/perf_fold.h"
#include "reports/run_report.h"
#include "util/cli_args.h"
#include "util/json.h"

namespace {

using namespace statelab;
using util::Fail;
using util::kExitBadInput;
using util::kExitOk;
using util::kExitUsage;

constexpr char kTool[] = "statelab-report";

constexpr char kUsage[] =
    "usage: statelab-report RUN_DIR [--attach-servers FILE] [--no-plots] [--gnuplot PATH]\n"
    "                       [--index RESULTS_DIR]\n"
    "       statelab-report --index RESULTS_DIR\n"
    "       statelab-report --fold-perf PERF_SCRIPT_TXT --out FILE\n"
    "       statelab-report merge OUT_DIR PART_DIR...\n"
    "       statelab-report fleet OUT_FILE RUN_DIR... [--base K]\n"
    "\n"
    "RUN_DIR must contain baseline.json (and gates.json from statelab-gate, when evaluated).\n"
    "Writes RUN_DIR/SUMMARY.md, environment.md, facade_tax.md, ab_engines.md,\n"
    "redis_comparison.md and plots/ (*.dat, *.gp, and *.svg when gnuplot is available).\n"
    "\n"
    "  --attach-servers FILE  first store FILE (the RESP server figures the bench runner\n"
    "                       measured) as the `servers` section of RUN_DIR/baseline.json\n"
    "  --index RESULTS_DIR  regenerate RESULTS_DIR/INDEX.md from RESULTS_DIR/run_*/\n"
    "  --no-plots           do not write plots/\n"
    "  --gnuplot PATH       gnuplot binary (default: $STATELAB_GNUPLOT or gnuplot on PATH)\n"
    "  --fold-perf FILE     fold `perf script` output (FILE, or - for stdin) into one line\n"
    "                       per unique stack, `comm;root;...;leaf count`, for flamegraph.pl;\n"
    "                       written to --out FILE\n"
    "  merge OUT_DIR PART_DIR...  merge the part folders of a split fleet run\n"
    "                       (statelab-bench --shard I/N, scripts/fleet.sh; docs/fleet.md) into\n"
    "                       OUT_DIR/baseline.json; refused unless every part has the same machine\n"
    "                       fingerprint, commit, suite, seed and shard count; the cells of a part\n"
    "                       that did not finish are listed in skipped[] with the reason\n"
    "  fleet OUT_FILE RUN_DIR... [--base K]  the runs of one commit on several machines\n"
    "                       (fleet.sh --same-suite) side by side in OUT_FILE (markdown): median\n"
    "                       per cell per machine and ratios to the K-th run's machine (default 1)\n"
    "  --help               this text\n"
    "\n"
    "Exit codes: 0 written, 2 usage error, 3 bad input or unwritable output.\n";

// --fold-perf IN --out OUT ("-": standard input).
int FoldPerf(const std::string& in_path, const std::string& out_path) {
  std::ifstream file;
  if (in_path != "-") {
    file.open(in_path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "statelab-report: bad input: %s: cannot open\n", in_path.c_str());
      return kExitBadInput;
    }
  }
  Result<std::string> folded = reports::FoldPerfScript(in_path == "-" ? std::cin : file);
  if (!folded.ok()) {
    std::fprintf(stderr, "statelab-report: bad input: %s: %s\n", in_path.c_str(),
                 std::string(folded.error().message()).c_str());
    return kExitBadInput;
  }
  if (Status written = util::WriteFile(out_path, *folded); !written.ok()) {
    std::fprintf(stderr, "statelab-report: bad input: %s\n",
                 std::string(written.message()).c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

// merge OUT_DIR PART_DIR...: exit 0 also when a part did not finish (skipped[] names its cells;
// the gate fails them as missing), 3 when the parts do not belong together.
int Merge(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "statelab-report: merge needs OUT_DIR and at least one PART_DIR\n%s",
                 kUsage);
    return kExitUsage;
  }
  Result<reports::MergeOutcome> merged =
      reports::MergeParts(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  if (!merged.ok()) return Fail(kTool, "cannot merge", merged.error(), kExitBadInput);
  std::printf("report: merged %d of %d parts: %zu results, %zu skipped; wrote %s\n",
              merged->parts_complete, merged->parts_complete + merged->parts_incomplete,
              merged->results, merged->skipped, merged->path.c_str());
  for (const auto& n : merged->notes) std::printf("note: %s\n", n.c_str());
  return kExitOk;
}

// fleet OUT_FILE RUN_DIR... [--base K]
int FleetReport(int argc, char** argv) {
  std::vector<std::string> dirs;
  size_t base = 0;
  for (int i = 3; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--base" && i + 1 < argc) {
      const std::string_view k = argv[++i];
      const auto parsed = std::from_chars(k.data(), k.data() + k.size(), base);
      if (parsed.ec != std::errc() || parsed.ptr != k.data() + k.size() || base == 0) {
        std::fprintf(stderr, "statelab-report: fleet --base: '%s' is not a run number\n",
                     argv[i]);
        return kExitUsage;
      }
      --base;  // 1-based on the command line
    } else {
      dirs.emplace_back(a);
    }
  }
  if (argc < 4 || dirs.empty()) {
    std::fprintf(stderr, "statelab-report: fleet needs OUT_FILE and at least one RUN_DIR\n%s",
                 kUsage);
    return kExitUsage;
  }
  std::vector<gates::RunFile> runs;
  for (const std::string& d : dirs) {
    Result<gates::RunFile> run = gates::LoadRunFile(d + "/baseline.json");
    if (!run.ok()) return Fail(kTool, "bad input", run.error(), kExitBadInput);
    runs.push_back(std::move(*run));
  }
  Result<std::string> md = reports::RenderFleetReport(runs, base);
  if (!md.ok()) return Fail(kTool, "bad input", md.error(), kExitBadInput);
  if (Status s = util::WriteFile(argv[2], *md); !s.ok()) {
    return Fail(kTool, "bad input", s, kExitBadInput);
  }
  std::printf("report: wrote %s (%zu machines)\n", argv[2], runs.size());
  return kExitOk;
}

int Run(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "merge") return Merge(argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "fleet") return FleetReport(argc, argv);
  util::CliArgs args;
  if (auto exit_code = util::ParseCommandLine(kTool, kUsage, argc, argv,
                                              {{"index", true},
                                               {"attach-servers", true},
                                               {"no-plots", false},
                                               {"gnuplot", true},
                                               {"fold-perf", true},
                                               {"out", true}},
                                              &args)) {
    return *exit_code;
  }
  if (args.Has("fold-perf") || args.Has("out")) {
    if (!args.Has("fold-perf") || !args.Has("out") || !args.positionals().empty() ||
        args.Has("index") || args.Has("attach-servers") || args.Has("no-plots") ||
        args.Has("gnuplot")) {
      std::fprintf(stderr,
                   "statelab-report: --fold-perf FILE needs --out FILE and nothing else\n%s",
                   kUsage);
      return kExitUsage;
    }
    return FoldPerf(*args.Value("fold-perf"), *args.Value("out"));
  }
  if (args.positionals().size() > 1 || (args.positionals().empty() && !args.Has("index"))) {
    std::fprintf(stderr, "statelab-report: expected one RUN_DIR and/or --index RESULTS_DIR\n%s",
                 kUsage);
    return kExitUsage;
  }
  if (args.Has("attach-servers") && args.positionals().empty()) {
    std::fprintf(stderr, "statelab-report: --attach-servers needs a RUN_DIR\n%s", kUsage);
    return kExitUsage;
  }
  if (auto file = args.Value("attach-servers")) {
    Result<boost::json::value> servers = util::LoadJsonFile(*file);
    if (!servers.ok()) return Fail(kTool, "bad input", servers.error(), kExitBadInput);
    if (!servers->is_object()) {
      std::fprintf(stderr, "statelab-report: bad input: %s: not a JSON object\n", file->c_str());
      return kExitBadInput;
    }
    if (Status s =
            harness::AttachServers(args.positionals()[0] + "/baseline.json", servers->get_object());
        !s.ok()) {
      std::fprintf(stderr, "statelab-report: bad input: %.*s (from %s)\n",
                   static_cast<int>(s.message().size()), s.message().data(), file->c_str());
      return kExitBadInput;
    }
  }
  if (!args.positionals().empty()) {
    reports::ReportOptions opt;
    opt.plots = !args.Has("no-plots");
    opt.gnuplot = args.Value("gnuplot").value_or("");
    Result<reports::ReportOutcome> outcome = reports::WriteRunReport(args.positionals()[0], opt);
    if (!outcome.ok()) return Fail(kTool, "bad input", outcome.error(), kExitBadInput);
    std::printf("report: wrote %zu files in %s\n", outcome->written.size(),
                args.positionals()[0].c_str());
    for (const auto& n : outcome->notes) std::printf("note: %s\n", n.c_str());
  }
  if (auto results = args.Value("index")) {
    Result<int> runs = reports::WriteIndex(*results);
    if (!runs.ok()) return Fail(kTool, "bad input", runs.error(), kExitBadInput);
    std::printf("report: %s/INDEX.md lists %d runs\n", results->c_str(), *runs);
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return util::RunTool(kTool, Run, argc, argv); }
