#pragma once
// Markdown building blocks for gates.md and the report writers: a table that escapes its cells,
// and joins. Plain values and pure functions; not synchronized.

#include <string>
#include <string_view>
#include <vector>

namespace statelab::util {

// Escapes '|' and newlines so a cell never breaks its table row.
std::string EscapeCell(std::string_view s);

std::string Join(const std::vector<std::string>& xs, std::string_view sep);

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // A GitHub-flavoured table; "_(none)_" when there are no rows.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace statelab::util
