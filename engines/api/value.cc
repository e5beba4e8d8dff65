#include "engines/api/value.h"

#include <boost/json/serialize.hpp>

#include "engines/api/types.h"

namespace statelab {

std::string_view ValueTypeName(ValueType t) noexcept {
  switch (t) {
    case ValueType::kNull: return "null";
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "int";
    case ValueType::kDouble: return "double";
    case ValueType::kString: return "string";
    case ValueType::kBytes: return "bytes";
    case ValueType::kJson: return "json";
  }
  return "unknown";
}

size_t ValueBytes(const Value& v) {
  switch (TypeOf(v)) {
    case ValueType::kString: return std::get<std::string>(v).size();
    case ValueType::kBytes: return std::get<Bytes>(v).data.size();
    case ValueType::kJson: return boost::json::serialize(std::get<boost::json::value>(v)).size();
    default: return 8;
  }
}

Status CheckValue(std::string_view field, const Value& v) {
  size_t n = ValueBytes(v);
  if (n > kMaxValueBytes) {
    return Status::InvalidArgument(std::string(field) + ": value of " + std::to_string(n) +
                                   " bytes exceeds limit " + std::to_string(kMaxValueBytes) +
                                   " bytes");
  }
  return Status::OK();
}

namespace {
std::string Base64(std::string_view in) {
  static constexpr char kAlpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlpha[(n >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out.push_back(kAlpha[(n >> 18) & 63]);
    out.push_back(kAlpha[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlpha[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}
}  // namespace

boost::json::value ValueToJson(const Value& v) {
  switch (TypeOf(v)) {
    case ValueType::kNull: return nullptr;
    case ValueType::kBool: return std::get<bool>(v);
    case ValueType::kInt: return std::get<int64_t>(v);
    case ValueType::kDouble: return std::get<double>(v);
    case ValueType::kString: return boost::json::string(std::get<std::string>(v));
    case ValueType::kBytes: {
      boost::json::object o;
      o["$bytes"] = Base64(std::get<Bytes>(v).data);
      return o;
    }
    case ValueType::kJson: return std::get<boost::json::value>(v);
  }
  return nullptr;
}

}  // namespace statelab
