#pragma once
// File and JSON helpers shared by the gate, compare and report tools. These are the edges of the
// downstream tools: every failure comes back as `false` plus a message that names the file (and,
// for JSON, the line and column), so callers can print it and exit 3 without a stack trace.
// JSON is parsed by harness::ParseJsonExact and printed by harness::PrettyJson, as baseline.json
// is. Pure functions (file I/O aside); thread-safe.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace statelab::gates {

// Reads a whole file into `text`.
[[nodiscard]] bool ReadFile(const std::string& path, std::string* text, std::string* error);

// Writes `text` to `path` (via a temporary file and rename, so readers never see half a file).
[[nodiscard]] bool WriteFile(const std::string& path, std::string_view text, std::string* error);

// Parses JSON; on failure the message is harness::ParseJsonExact's "<source>: malformed JSON at
// line L, column C: <why>".
[[nodiscard]] bool ParseJson(std::string_view text, std::string_view source,
                             boost::json::value* out, std::string* error);

// Reads and parses a JSON file.
[[nodiscard]] bool LoadJsonFile(const std::string& path, boost::json::value* out,
                                std::string* error);

// harness::PrettyJson plus a trailing newline: the form of every JSON file the tools write.
std::string JsonFileText(const boost::json::value& v);

// Looks up a dotted path ("latency.p99_ns") in an object; nullptr when any step is missing.
const boost::json::value* FindPath(const boost::json::object& root, std::string_view dotted);

// Typed views of a possibly-missing value. A JSON null is "no value", never zero or false.
std::optional<double> AsNumber(const boost::json::value* v);
std::optional<bool> AsBool(const boost::json::value* v);
std::optional<std::string> AsString(const boost::json::value* v);
std::vector<std::string> AsStringList(const boost::json::value* v);

// A number as JSON, or null when absent.
boost::json::value NumberOrNull(const std::optional<double>& v);

}  // namespace statelab::gates
