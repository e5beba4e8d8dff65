#include "engines/durability/codec.h"

#include <bit>
#include <boost/json/value.hpp>

namespace statelab::codec {
namespace {

// Binary JSON kinds (one byte each, fixed forever).
enum class JsonKind : uint8_t {
  kNull = 0,
  kFalse = 1,
  kTrue = 2,
  kInt64 = 3,
  kUint64 = 4,
  kDouble = 5,
  kString = 6,
  kArray = 7,
  kObject = 8,
};
// Deeper than any valid document (limit 100): a bound for hostile input, not a format rule.
constexpr int kMaxJsonDepth = 128;

void EncodeJson(const boost::json::value& j, std::string* out) {
  switch (j.kind()) {
    case boost::json::kind::null:
      PutU8(out, uint8_t(JsonKind::kNull));
      return;
    case boost::json::kind::bool_:
      PutU8(out, uint8_t(j.get_bool() ? JsonKind::kTrue : JsonKind::kFalse));
      return;
    case boost::json::kind::int64:
      PutU8(out, uint8_t(JsonKind::kInt64));
      PutU64(out, static_cast<uint64_t>(j.get_int64()));
      return;
    case boost::json::kind::uint64:
      PutU8(out, uint8_t(JsonKind::kUint64));
      PutU64(out, j.get_uint64());
      return;
    case boost::json::kind::double_:
      PutU8(out, uint8_t(JsonKind::kDouble));
      PutU64(out, std::bit_cast<uint64_t>(j.get_double()));
      return;
    case boost::json::kind::string:
      PutU8(out, uint8_t(JsonKind::kString));
      PutBytes(out, j.get_string());
      return;
    case boost::json::kind::array:
      PutU8(out, uint8_t(JsonKind::kArray));
      PutU32(out, static_cast<uint32_t>(j.get_array().size()));
      for (const boost::json::value& e : j.get_array()) EncodeJson(e, out);
      return;
    case boost::json::kind::object:
      PutU8(out, uint8_t(JsonKind::kObject));
      PutU32(out, static_cast<uint32_t>(j.get_object().size()));
      for (const auto& kv : j.get_object()) {
        PutBytes(out, kv.key());
        EncodeJson(kv.value(), out);
      }
      return;
  }
}

bool DecodeJson(Reader& r, boost::json::value* out, int depth) {
  uint8_t kind;
  if (!r.U8(&kind)) return false;
  switch (static_cast<JsonKind>(kind)) {
    case JsonKind::kNull:
      *out = nullptr;
      return true;
    case JsonKind::kFalse:
      *out = false;
      return true;
    case JsonKind::kTrue:
      *out = true;
      return true;
    case JsonKind::kInt64: {
      int64_t v;
      if (!r.I64(&v)) return false;
      *out = v;
      return true;
    }
    case JsonKind::kUint64: {
      uint64_t v;
      if (!r.U64(&v)) return false;
      *out = v;
      return true;
    }
    case JsonKind::kDouble: {
      uint64_t v;
      if (!r.U64(&v)) return false;
      *out = std::bit_cast<double>(v);
      return true;
    }
    case JsonKind::kString: {
      std::string_view s;
      if (!r.Bytes(&s)) return false;
      *out = boost::json::string(s);
      return true;
    }
    case JsonKind::kArray: {
      uint32_t n;
      // Every element takes at least one byte: a count beyond the input is corrupt.
      if (depth >= kMaxJsonDepth || !r.U32(&n) || n > r.remaining()) return r.Fail();
      boost::json::array& a = out->emplace_array();
      a.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        if (!DecodeJson(r, &a.emplace_back(nullptr), depth + 1)) return false;
      }
      return true;
    }
    case JsonKind::kObject: {
      uint32_t n;
      if (depth >= kMaxJsonDepth || !r.U32(&n) || n > r.remaining()) return r.Fail();
      boost::json::object& o = out->emplace_object();
      o.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        std::string_view key;
        if (!r.Bytes(&key)) return false;
        boost::json::value v;
        if (!DecodeJson(r, &v, depth + 1)) return false;
        o[key] = std::move(v);  // a repeated key keeps the last value (never written by us)
      }
      return true;
    }
  }
  return r.Fail();
}

}  // namespace

void EncodeValue(const Value& v, std::string* out) {
  const ValueType t = TypeOf(v);
  PutU8(out, static_cast<uint8_t>(t));
  switch (t) {
    case ValueType::kNull:
      return;
    case ValueType::kBool:
      PutU8(out, std::get<bool>(v) ? 1 : 0);
      return;
    case ValueType::kInt:
      PutU64(out, static_cast<uint64_t>(std::get<int64_t>(v)));
      return;
    case ValueType::kDouble:
      PutU64(out, std::bit_cast<uint64_t>(std::get<double>(v)));
      return;
    case ValueType::kString:
      PutBytes(out, std::get<std::string>(v));
      return;
    case ValueType::kBytes:
      PutBytes(out, std::get<Bytes>(v).data);
      return;
    case ValueType::kJson:
      EncodeJson(std::get<boost::json::value>(v), out);
      return;
  }
}

bool DecodeValue(Reader& r, Value* out) {
  uint8_t t;
  if (!r.U8(&t)) return false;
  switch (static_cast<ValueType>(t)) {
    case ValueType::kNull:
      *out = Value();
      return true;
    case ValueType::kBool: {
      uint8_t b;
      if (!r.U8(&b) || b > 1) return r.Fail();
      *out = b == 1;
      return true;
    }
    case ValueType::kInt: {
      int64_t i;
      if (!r.I64(&i)) return false;
      *out = i;
      return true;
    }
    case ValueType::kDouble: {
      uint64_t u;
      if (!r.U64(&u)) return false;
      *out = std::bit_cast<double>(u);
      return true;
    }
    case ValueType::kString: {
      std::string_view s;
      if (!r.Bytes(&s)) return false;
      *out = std::string(s);
      return true;
    }
    case ValueType::kBytes: {
      std::string_view s;
      if (!r.Bytes(&s)) return false;
      *out = Bytes{std::string(s)};
      return true;
    }
    case ValueType::kJson: {
      boost::json::value j;
      if (!DecodeJson(r, &j, 0)) return false;
      *out = std::move(j);
      return true;
    }
  }
  return r.Fail();
}

}  // namespace statelab::codec
