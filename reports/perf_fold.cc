#include "reports/perf_fold.h"

#include <algorithm>

namespace statelab::reports {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The frame of a frame line ("\t  7f12ab main+0x1 (/bin/x)" -> "main+0x1 (/bin/x)"), or false
// when the line is not blanks, lower-case hex digits and a space.
bool FrameText(std::string_view line, std::string_view* frame) {
  size_t i = 0;
  while (i < line.size() && IsBlank(line[i])) ++i;
  if (i == 0) return false;
  const size_t hex = i;
  while (i < line.size() && IsHexDigit(line[i])) ++i;
  if (i == hex || i == line.size() || line[i] != ' ') return false;
  *frame = line.substr(i + 1);
  return true;
}

// Drops a trailing " (dso)" whose dso holds no parenthesis, as awk's sub(/ \([^()]*\)$/, "").
std::string_view WithoutDso(std::string_view frame) {
  if (frame.empty() || frame.back() != ')') return frame;
  const size_t open = frame.rfind('(');
  if (open == std::string_view::npos || open == 0 || frame[open - 1] != ' ') return frame;
  const std::string_view dso = frame.substr(open + 1, frame.size() - open - 2);
  if (dso.find(')') != std::string_view::npos) return frame;
  return frame.substr(0, open - 1);
}

}  // namespace

void PerfFolder::AddLine(std::string_view line) {
  if (line.empty()) {
    EndSample();
    return;
  }
  if (!IsBlank(line[0])) {  // a sample's header line: "comm pid time: period event:"
    EndSample();
    comm_ = std::string(line.substr(0, line.find_first_of(" \t")));
    return;
  }
  std::string_view text;
  if (!FrameText(line, &text)) return;
  std::string frame(WithoutDso(text));
  std::replace(frame.begin(), frame.end(), ';', ':');
  // Frames arrive innermost first; the folded stack is root first.
  stack_ = stack_.empty() ? std::move(frame) : frame + ";" + stack_;
}

void PerfFolder::EndSample() {
  if (!stack_.empty()) ++counts_[comm_ + ";" + stack_];
  stack_.clear();
}

std::string PerfFolder::Finish() {
  EndSample();
  std::string out;
  for (const auto& [stack, count] : counts_) {
    out += stack + " " + std::to_string(count) + "\n";
  }
  return out;
}

Result<std::string> FoldPerfScript(std::istream& in) {
  PerfFolder folder;
  std::string line;
  while (std::getline(in, line)) folder.AddLine(line);
  if (in.bad()) return Status::IOError("reading perf script output failed");
  return folder.Finish();
}

}  // namespace statelab::reports
