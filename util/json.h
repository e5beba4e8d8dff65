#pragma once
// JSON and file helpers shared by the harness (baseline.json) and the gate, compare and report
// tools: whole-file read and atomic write, an exact JSON parser, the pretty printer of every JSON
// file they write, and typed views of possibly-missing values. These are the edges of the tools:
// every failure is a Status whose message names the file (and, for JSON syntax, the line and
// column), so a caller can print it and exit without a stack trace.
// Thread-safety: pure functions (file I/O aside); thread-safe.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::util {

// The whole file. IOError "<path>: cannot open: <why>" or "<path>: read error".
Result<std::string> ReadFile(const std::string& path);

// Writes `text` to `path` through a temporary file and a rename, so readers never see half a
// file. IOError naming the path.
Status WriteFile(const std::string& path, std::string_view text);

// Parses any JSON text with doubles converted exactly (boost::json 1.81's own parse can be 1 ulp
// off, so a file written and read back would not compare equal). InvalidArgument "<source>:
// malformed JSON at line L, column C: <why>" on syntax errors and "<source>: malformed JSON: no
// JSON document (empty input)" on empty or blank text.
Result<boost::json::value> ParseJsonExact(std::string_view text, std::string_view source);

// ReadFile, then ParseJsonExact with the path as the source.
Result<boost::json::value> LoadJsonFile(const std::string& path);

// Two-space indented JSON with one key per line; doubles in shortest round-trip form; non-finite
// doubles become null.
std::string PrettyJson(const boost::json::value& v);

// PrettyJson plus a trailing newline: the form of every JSON file the tools write.
std::string JsonFileText(const boost::json::value& v);

// Looks up a dotted path ("latency.p99_ns") in an object; nullptr when any step is missing.
const boost::json::value* FindPath(const boost::json::object& root, std::string_view dotted);

// Typed views of a possibly-missing value. A JSON null is "no value", never zero or false.
std::optional<double> AsNumber(const boost::json::value* v);
std::optional<bool> AsBool(const boost::json::value* v);
std::optional<std::string> AsString(const boost::json::value* v);
std::vector<std::string> AsStringList(const boost::json::value* v);

// A number as JSON, or null when absent or not finite.
boost::json::value NumberOrNull(const std::optional<double>& v);

}  // namespace statelab::util
