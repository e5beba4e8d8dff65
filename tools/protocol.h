#pragma once
// The JSON vocabulary of the statelab command line (docs/cli.md): how a Value travels as JSON,
// how an error is written, and a reader for the fields of a request object.
// Thread-safety: pure functions; a RequestReader belongs to one thread.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "engines/api/value.h"

namespace statelab::cli {

// Value <-> JSON, lossless both ways (docs/cli.md, "Values"): null, bool, string as themselves;
// an integer is an int, a number with a fraction or exponent a double; {"$bytes": base64} is
// bytes; {"$json": x} is the JSON document x; any other object or array is a JSON document.
// Rendering wraps a JSON document in {"$json": ...} only when it would read back as another type.
Result<Value> ValueFromProtocol(const boost::json::value& j, std::string_view field);
boost::json::value ValueToProtocol(const Value& v);

// Standard base64 (RFC 4648, with padding); InvalidArgument naming `field` on bad input.
Result<std::string> DecodeBase64(std::string_view text, std::string_view field);

// {"code": CodeName, "message": ...} plus the numbers some codes carry: version_mismatch
// {expected, actual}, dimension_mismatch {expected, got}, corruption {file, offset}, not_found
// {sequence} for a missing event.
boost::json::object ErrorJson(const Status& s);

// Reads the members of one request object. The first problem (missing member, wrong type) is
// kept and every later read returns a default, so a parser reads all its fields and checks
// status() once. Finish() also rejects members nobody read, so a misspelt optional field is an
// error rather than silently ignored. Messages name the member with its path ("ops[2].key").
// Thread-safety: belongs to one thread.
class RequestReader {
 public:
  // `where` prefixes member names in messages ("" at the top level, "ops[2]" inside a txn).
  RequestReader(const boost::json::object& o, std::string where);

  std::string Str(std::string_view name);
  std::optional<std::string> OptStr(std::string_view name);
  uint64_t U64(std::string_view name);
  std::optional<uint64_t> OptU64(std::string_view name);
  int64_t I64(std::string_view name);
  Value Val(std::string_view name);
  // Any JSON; `null` is a value (JSON documents may be null).
  boost::json::value Json(std::string_view name);
  std::optional<boost::json::value> OptJson(std::string_view name);
  boost::json::object Obj(std::string_view name);
  boost::json::object OptObj(std::string_view name);  // {} when absent
  std::vector<std::string> Strs(std::string_view name);
  std::vector<std::string> OptStrs(std::string_view name);  // [] when absent
  std::vector<float> Floats(std::string_view name);
  // The array itself, for members that hold nested requests.
  const boost::json::array* Array(std::string_view name);
  // Marks members the caller handles itself (e.g. "op", "id").
  void Skip(std::string_view name) { used_.emplace(name); }

  // Records a problem with member `name` (first one wins).
  void Fail(std::string_view name, std::string_view what);
  // Keeps `s` (a nested reader's Finish()) as the problem unless there is one already.
  void Adopt(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  // As Adopt, for an error whose message names the member relative to this object (ParseMetric's
  // "metric: ..."): the message gets this reader's path in front.
  void FailWith(const Status& s);
  bool ok() const noexcept { return status_.ok(); }
  const Status& status() const noexcept { return status_; }
  // status(), or InvalidArgument for the first member never read.
  Status Finish();
  std::string Path(std::string_view name) const;

 private:
  // The member, or null when absent (Fail()s when required); marks it read.
  const boost::json::value* Member(std::string_view name, bool required);

  const boost::json::object& o_;
  std::string where_;
  std::set<std::string, std::less<>> used_;
  Status status_;
};

}  // namespace statelab::cli
