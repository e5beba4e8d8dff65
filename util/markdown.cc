#include "util/markdown.h"

namespace statelab::util {

std::string EscapeCell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& xs, std::string_view sep) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty()) out += sep;
    out += x;
  }
  return out;
}

std::string Table::Render() const {
  if (rows_.empty()) return "_(none)_\n";
  std::string md = "|";
  for (const auto& h : header_) md.append(" ").append(EscapeCell(h)).append(" |");
  md += "\n|";
  for (std::size_t i = 0; i < header_.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& row : rows_) {
    md += "|";
    for (std::size_t i = 0; i < header_.size(); ++i) {
      md.append(" ").append(i < row.size() ? EscapeCell(row[i]) : std::string()).append(" |");
    }
    md += "\n";
  }
  return md;
}

}  // namespace statelab::util
