#pragma once
// `perf script` text -> folded stacks (the input of flamegraph.pl): one line per unique stack,
// `comm;root;...;leaf count`. This is the fold bench_runner.sh --perf-record did in awk:
// - a line starting with neither a space nor a tab starts a sample; its first word is the comm;
// - a line of blanks, a hex address, a space and a frame is a frame, innermost first; the
//   frame's trailing " (dso)" is dropped and each ';' in it becomes ':' (';' separates frames);
// - an empty line (or the next sample, or the end) ends the sample; a sample without frames
//   counts nothing; every other line is ignored.
// Lines come out sorted by stack (byte order), so the output is deterministic.

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>

#include "engines/api/status.h"

namespace statelab::reports {

// Thread-safety: not synchronized; one folder per input stream.
class PerfFolder {
 public:
  // One line of `perf script` output, without its newline.
  void AddLine(std::string_view line);
  // Ends the input and returns the folded stacks, one "stack count\n" line each.
  std::string Finish();

 private:
  void EndSample();

  std::string comm_;
  std::string stack_;  // root first
  std::map<std::string, int64_t> counts_;
};

// Folds a whole `perf script` stream; IOError when reading it fails.
Result<std::string> FoldPerfScript(std::istream& in);

}  // namespace statelab::reports
