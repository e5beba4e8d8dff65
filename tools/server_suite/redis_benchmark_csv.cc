#include "tools/server_suite/redis_benchmark_csv.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace statelab::servers {

namespace {

Status CsvError(size_t line, std::string_view what) {
  return Status::InvalidArgument("csv line " + std::to_string(line) + ": " + std::string(what));
}

// A number as redis-benchmark prints it; "inf" is a rate over zero elapsed milliseconds.
std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || std::isnan(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::string LowerFirstWord(std::string_view s) {
  std::string word(s.substr(0, s.find(' ')));
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return word;
}

}  // namespace

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;  // the current field was quoted (so even "" is a field)
  size_t line = 1;
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
  };
  auto end_record = [&] {
    const bool blank = record.empty() && field.empty() && !quoted;
    end_field();
    if (!blank) records.push_back(std::move(record));
    record.clear();
    quoted = false;
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty() && !quoted) {
      quoted = true;
      const size_t start_line = line;
      for (++i;; ++i) {
        if (i == text.size()) return CsvError(start_line, "unterminated quoted field");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i];
      }
      const std::string_view rest = text.substr(i);
      if (!rest.empty() && rest[0] != ',' && rest[0] != '\n' && !rest.starts_with("\r\n") &&
          rest != "\r") {
        return CsvError(line, "text after a closing quote");
      }
      continue;
    }
    if (c == ',') {
      end_field();
      quoted = false;
    } else if (c == '\n') {
      end_record();
      ++line;
    } else if (!(c == '\r' && (i + 1 == text.size() || text[i + 1] == '\n'))) {
      field += c;
    }
    ++i;
  }
  if (!record.empty() || !field.empty() || quoted) end_record();
  return records;
}

Result<std::vector<BenchmarkRow>> ParseRedisBenchmarkCsv(std::string_view text) {
  STATELAB_ASSIGN_OR_RETURN(std::vector<std::vector<std::string>> records, ParseCsv(text));
  size_t test_col = 0, rps_col = 1;
  std::optional<size_t> p50_col, p99_col;
  size_t first = 0;
  if (!records.empty() && records[0][0] == "test") {
    const std::vector<std::string>& header = records[0];
    auto column = [&](std::string_view name) -> std::optional<size_t> {
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) return std::nullopt;
      return static_cast<size_t>(it - header.begin());
    };
    const std::optional<size_t> rps = column("rps");
    if (!rps) return Status::InvalidArgument("redis-benchmark csv: the header has no rps column");
    rps_col = *rps;
    p50_col = column("p50_latency_ms");
    p99_col = column("p99_latency_ms");
    first = 1;
  }
  std::vector<BenchmarkRow> rows;
  for (size_t r = first; r < records.size(); ++r) {
    const std::vector<std::string>& rec = records[r];
    const std::string where = "redis-benchmark csv row " + std::to_string(r + 1);
    const size_t needed = std::max({rps_col, p50_col.value_or(0), p99_col.value_or(0)}) + 1;
    if (rec.size() < needed) {
      return Status::InvalidArgument(where + ": " + std::to_string(rec.size()) +
                                     " fields, expected " + std::to_string(needed));
    }
    BenchmarkRow row;
    row.test = rec[test_col];
    row.op = LowerFirstWord(row.test);
    auto number = [&](size_t col, std::string_view name) -> Result<double> {
      if (std::optional<double> v = ParseNumber(rec[col])) return *v;
      return Status::InvalidArgument(where + " (" + row.test + "): " + std::string(name) + " '" +
                                     rec[col] + "' is not a number");
    };
    STATELAB_ASSIGN_OR_RETURN(row.ops_per_sec, number(rps_col, "rps"));
    if (p50_col) {
      STATELAB_ASSIGN_OR_RETURN(row.p50_ms, number(*p50_col, "p50_latency_ms"));
    }
    if (p99_col) {
      STATELAB_ASSIGN_OR_RETURN(row.p99_ms, number(*p99_col, "p99_latency_ms"));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace statelab::servers
