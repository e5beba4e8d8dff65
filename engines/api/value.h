#pragma once
// Values stored by every primitive: null, bool, int64, double, string, bytes or a JSON document.
// Thread-safety: value types.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/value.hpp>

#include "engines/api/status.h"

namespace statelab {

// Raw bytes, distinct from text so codecs and displays keep the difference.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

using ValueVariant = std::variant<std::monostate, bool, int64_t, double, std::string, Bytes,
                                  boost::json::value>;

// A variant with the conversions people expect: "text" is a string (not a bool), 7 is an int64.
struct Value : ValueVariant {
  using ValueVariant::ValueVariant;
  using ValueVariant::operator=;
  Value() noexcept = default;
  Value(const char* s) : ValueVariant(std::string(s)) {}       // NOLINT: implicit by design
  Value(std::string_view s) : ValueVariant(std::string(s)) {}  // NOLINT
  Value(int i) noexcept : ValueVariant(int64_t{i}) {}           // NOLINT
  const ValueVariant& variant() const noexcept { return *this; }
  friend bool operator==(const Value& a, const Value& b) { return a.variant() == b.variant(); }
};

enum class ValueType : uint8_t { kNull = 0, kBool, kInt, kDouble, kString, kBytes, kJson };
inline ValueType TypeOf(const Value& v) noexcept { return static_cast<ValueType>(v.index()); }
std::string_view ValueTypeName(ValueType t) noexcept;

// Approximate payload size used to enforce kMaxValueBytes (JSON: serialized size).
size_t ValueBytes(const Value& v);
// InvalidArgument naming `field` when the value exceeds kMaxValueBytes.
Status CheckValue(std::string_view field, const Value& v);

// A JSON rendering for displays, the CLI and search text (bytes as {"$bytes": base64}).
boost::json::value ValueToJson(const Value& v);

// A value together with the version it was read at.
struct Versioned {
  Value value;
  uint64_t version = 0;
};

}  // namespace statelab
