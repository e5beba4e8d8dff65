#include "tools/protocol.h"

#include <algorithm>
#include <boost/json/string.hpp>
#include <cmath>
#include <limits>

namespace statelab::cli {

namespace {

constexpr std::string_view kBytesKey = "$bytes";
constexpr std::string_view kJsonKey = "$json";

// The one member of a {"$bytes": ...} / {"$json": ...} wrapper, or null.
const boost::json::value* Wrapped(const boost::json::value& j, std::string_view key) {
  const boost::json::object* o = j.if_object();
  if (o == nullptr || o->size() != 1) return nullptr;
  return o->if_contains(key);
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Result<std::string> DecodeBase64(std::string_view text, std::string_view field) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(std::string(field) + ": not base64 (" + std::string(why) + ")");
  };
  if (text.size() % 4 != 0) return bad("length is not a multiple of 4");
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    const int d = Base64Digit(text[i]);
    if (d < 0) return bad("invalid character at offset " + std::to_string(i));
    acc = (acc << 6) | static_cast<uint32_t>(d);
    if (i % 4 == 3) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>(acc >> 8));
      out.push_back(static_cast<char>(acc));
      acc = 0;
    }
  }
  if (pad == 1) {  // 3 digits: 18 bits, 2 bytes
    out.push_back(static_cast<char>(acc >> 10));
    out.push_back(static_cast<char>(acc >> 2));
  } else if (pad == 2) {  // 2 digits: 12 bits, 1 byte
    out.push_back(static_cast<char>(acc >> 4));
  }
  return out;
}

Result<Value> ValueFromProtocol(const boost::json::value& j, std::string_view field) {
  switch (j.kind()) {
    case boost::json::kind::null:
      return Value();
    case boost::json::kind::bool_:
      return Value(j.get_bool());
    case boost::json::kind::int64:
      return Value(j.get_int64());
    case boost::json::kind::uint64:
      return Status::InvalidArgument(std::string(field) + ": integer " +
                                     std::to_string(j.get_uint64()) + " exceeds the int64 range");
    case boost::json::kind::double_:
      return Value(j.get_double());
    case boost::json::kind::string:
      return Value(std::string(j.get_string()));
    case boost::json::kind::array:
      return Value(j);
    case boost::json::kind::object:
      break;
  }
  if (const boost::json::value* b = Wrapped(j, kBytesKey)) {
    if (!b->is_string()) {
      return Status::InvalidArgument(std::string(field) + ".$bytes: must be a base64 string");
    }
    STATELAB_ASSIGN_OR_RETURN(std::string data,
                              DecodeBase64(b->get_string(), std::string(field) + ".$bytes"));
    return Value(Bytes{std::move(data)});
  }
  if (const boost::json::value* doc = Wrapped(j, kJsonKey)) return Value(*doc);
  return Value(j);
}

boost::json::value ValueToProtocol(const Value& v) {
  if (const auto* doc = std::get_if<boost::json::value>(&v)) {
    // A document reads back as a document only when it is an array or an ordinary object.
    const bool plain =
        doc->is_array() || (doc->is_object() && Wrapped(*doc, kBytesKey) == nullptr &&
                            Wrapped(*doc, kJsonKey) == nullptr);
    if (plain) return *doc;
    return boost::json::object{{kJsonKey, *doc}};
  }
  return statelab::ValueToJson(v);  // bytes as {"$bytes": base64}, scalars as themselves
}

boost::json::object ErrorJson(const Status& s) {
  boost::json::object e;
  e["code"] = CodeName(s.code());
  std::string message(s.message());
  switch (s.code()) {
    case Code::kVersionMismatch:
      e["expected"] = s.a();
      e["actual"] = s.b();
      message = "expected version " + std::to_string(s.a()) + ", found " + std::to_string(s.b());
      break;
    case Code::kDimensionMismatch:
      e["expected"] = s.a();
      e["got"] = s.b();
      message = "expected dimension " + std::to_string(s.a()) + ", got " + std::to_string(s.b());
      break;
    case Code::kNotFound:
      if (s.has_sequence()) {
        e["sequence"] = s.a();
        message = "sequence " + std::to_string(s.a()) + " not found";
      } else if (message.empty()) {
        message = "not found";
      }
      break;
    case Code::kCorruption:
      e["file"] = s.message();
      e["offset"] = s.a();
      message = std::string(s.message()) + " is corrupt at offset " + std::to_string(s.a());
      break;
    default:
      if (message.empty()) {  // codes that carry no words (a miss never allocates): "not found"
        message = std::string(CodeName(s.code()));
        std::replace(message.begin(), message.end(), '_', ' ');
      }
  }
  e["message"] = message;
  return e;
}

RequestReader::RequestReader(const boost::json::object& o, std::string where)
    : o_(o), where_(std::move(where)) {}

std::string RequestReader::Path(std::string_view name) const {
  return where_.empty() ? std::string(name) : where_ + "." + std::string(name);
}

void RequestReader::Fail(std::string_view name, std::string_view what) {
  if (status_.ok()) status_ = Status::InvalidArgument(Path(name) + ": " + std::string(what));
}

void RequestReader::FailWith(const Status& s) {
  if (!status_.ok()) return;
  status_ = where_.empty() ? s : Status::InvalidArgument(where_ + "." + std::string(s.message()));
}

const boost::json::value* RequestReader::Member(std::string_view name, bool required) {
  used_.emplace(name);
  const boost::json::value* v = o_.if_contains(name);
  if (v == nullptr && required) Fail(name, "missing");
  return v;
}

std::string RequestReader::Str(std::string_view name) {
  if (Member(name, true) == nullptr) return {};
  return OptStr(name).value_or(std::string());
}

std::optional<std::string> RequestReader::OptStr(std::string_view name) {
  const boost::json::value* v = Member(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    Fail(name, "must be a string");
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::optional<uint64_t> RequestReader::OptU64(std::string_view name) {
  const boost::json::value* v = Member(name, false);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  Fail(name, "must be a non-negative integer");
  return std::nullopt;
}

uint64_t RequestReader::U64(std::string_view name) {
  if (Member(name, true) == nullptr) return 0;
  return OptU64(name).value_or(0);
}

int64_t RequestReader::I64(std::string_view name) {
  const boost::json::value* v = Member(name, true);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  Fail(name, "must be an integer in the int64 range");
  return 0;
}

Value RequestReader::Val(std::string_view name) {
  const boost::json::value* v = Member(name, true);
  if (v == nullptr) return Value();
  Result<Value> r = ValueFromProtocol(*v, Path(name));
  if (!r.ok()) {
    if (status_.ok()) status_ = std::move(r).error();
    return Value();
  }
  return std::move(r).value();
}

boost::json::value RequestReader::Json(std::string_view name) {
  const boost::json::value* v = Member(name, true);
  return v ? *v : boost::json::value();
}

std::optional<boost::json::value> RequestReader::OptJson(std::string_view name) {
  const boost::json::value* v = Member(name, false);
  if (v == nullptr) return std::nullopt;
  return *v;
}

boost::json::object RequestReader::OptObj(std::string_view name) {
  const boost::json::value* v = Member(name, false);
  if (v == nullptr) return {};
  if (!v->is_object()) {
    Fail(name, "must be an object");
    return {};
  }
  return v->get_object();
}

boost::json::object RequestReader::Obj(std::string_view name) {
  if (Member(name, true) == nullptr) return {};
  return OptObj(name);
}

std::vector<std::string> RequestReader::OptStrs(std::string_view name) {
  std::vector<std::string> out;
  const boost::json::value* v = Member(name, false);
  if (v == nullptr) return out;
  const boost::json::array* a = v->if_array();
  for (size_t i = 0; a != nullptr && i < a->size(); ++i) {
    if (!(*a)[i].is_string()) {
      a = nullptr;
      break;
    }
    out.emplace_back((*a)[i].get_string());
  }
  if (a == nullptr) Fail(name, "must be an array of strings");
  return out;
}

std::vector<std::string> RequestReader::Strs(std::string_view name) {
  if (Member(name, true) == nullptr) return {};
  return OptStrs(name);
}

std::vector<float> RequestReader::Floats(std::string_view name) {
  std::vector<float> out;
  const boost::json::value* v = Member(name, true);
  if (v == nullptr) return out;
  const boost::json::array* a = v->if_array();
  if (a == nullptr) {
    Fail(name, "must be an array of numbers");
    return out;
  }
  out.reserve(a->size());
  for (const boost::json::value& x : *a) {
    if (!x.is_number()) {
      Fail(name, "must be an array of numbers");
      return {};
    }
    const double d = x.to_number<double>();
    if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
      Fail(name, "component " + std::to_string(d) + " is outside the float32 range");
      return {};
    }
    out.push_back(static_cast<float>(d));
  }
  return out;
}

const boost::json::array* RequestReader::Array(std::string_view name) {
  const boost::json::value* v = Member(name, true);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) Fail(name, "must be an array");
  return v->if_array();
}

Status RequestReader::Finish() {
  if (!status_.ok()) return status_;
  for (const auto& member : o_) {
    if (!used_.contains(std::string_view(member.key()))) {
      Fail(member.key(), "unknown member (see docs/cli.md for this op's fields)");
      break;
    }
  }
  return status_;
}

}  // namespace statelab::cli
