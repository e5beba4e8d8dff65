// The perf-script fold (reports/perf_fold.h) against the output of the awk program it replaced, on
// a checked-in sample of real `perf script` text plus its edge cases, and `statelab-report
// --fold-perf`.

#include "reports/perf_fold.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/gates/test_util.h"

#ifndef STATELAB_REPORT_BIN
#error "STATELAB_REPORT_BIN must point at the built statelab-report"
#endif

namespace statelab::reports {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::Quoted;
using statelab::testing_util::ReadAll;
using statelab::testing_util::RunCommand;
using statelab::testing_util::TempDir;

std::string Fold(const std::string& text) {
  std::istringstream in(text);
  Result<std::string> folded = FoldPerfScript(in);
  EXPECT_TRUE(folded.ok()) << folded.status().ToString();
  return folded.ok() ? *folded : "";
}

TEST(PerfFold, MatchesTheAwkFoldOnTheFixture) {
  std::ifstream in(Fixture("perf/perf_script.txt"), std::ios::binary);
  ASSERT_TRUE(in);
  Result<std::string> folded = FoldPerfScript(in);
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_EQ(*folded, ReadAll(Fixture("perf/perf_script.folded")));
}

TEST(PerfFold, RootFirstCountedPerUniqueStack) {
  const std::string sample =
      "app 1 [000] 1.0: 1 cpu-clock:\n"
      "\t    30 leaf+0x1 (/bin/app)\n"
      "\t    20 mid (/bin/app)\n"
      "\t    10 main (/bin/app)\n"
      "\n";
  EXPECT_EQ(Fold(sample + sample + sample), "app;main;mid;leaf+0x1 3\n");
}

TEST(PerfFold, FrameTextRules) {
  EXPECT_EQ(Fold("a 1: x\n\t1 f;g (/lib (x))\n"), "a;f:g (/lib (x)) 1\n");
  EXPECT_EQ(Fold("a 1: x\n\t1 f(int) (/lib)\n"), "a;f(int) 1\n");
  EXPECT_EQ(Fold("a 1: x\n\t1 f(/lib)\n"), "a;f(/lib) 1\n");  // no space before the dso
  EXPECT_EQ(Fold("a 1: x\n\tAB f (/lib)\n"), "");             // not a frame line
  // Frames after an empty line start a new stack under the same comm, as in awk.
  EXPECT_EQ(Fold("a 1: x\n\t1 f (/lib)\n\n\t1 f (/lib)\n"), "a;f 2\n");
  EXPECT_EQ(Fold("long name 1: x\n\t1 f\n"), "long;f 1\n");  // the comm's first word
}

TEST(PerfFold, EmptyInputFoldsToNothing) { EXPECT_EQ(Fold(""), ""); }

TEST(ReportCli, FoldPerfWritesTheFoldedFile) {
  TempDir dir;
  const std::string bin = Quoted(STATELAB_REPORT_BIN);
  const std::string expected = ReadAll(Fixture("perf/perf_script.folded"));
  const std::string out = dir / "perf.folded";
  auto r = RunCommand(bin + " --fold-perf " + Quoted(Fixture("perf/perf_script.txt")) + " --out " +
                      Quoted(out));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadAll(out), expected);

  const std::string from_stdin = dir / "stdin.folded";
  r = RunCommand(bin + " --fold-perf - --out " + Quoted(from_stdin) + " < " +
                 Quoted(Fixture("perf/perf_script.txt")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadAll(from_stdin), expected);

  r = RunCommand(bin + " --fold-perf " + Quoted(dir / "missing.txt") + " --out " + Quoted(out));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("missing.txt: cannot open"), std::string::npos) << r.output;

  r = RunCommand(bin + " --fold-perf " + Quoted(Fixture("perf/perf_script.txt")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace statelab::reports
