#include "util/json.h"

#include <unistd.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace statelab::util {

namespace json = boost::json;

namespace {

// boost::json 1.81 converts decimal text to double with up to 1 ulp of error. This handler builds
// the same value tree as boost::json::parse but converts every double from its text with
// std::from_chars (exact). One per parse.
class ExactHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    double exact = d;
    const char* begin = number_.data();
    const char* end = begin + number_.size();
    // from_chars takes no leading '+'; JSON has none. A result outside double range keeps d.
    auto [ptr, ec] = std::from_chars(begin, end, exact);
    st.push_double(ec == std::errc() && ptr == end ? exact : d);
    number_.clear();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::string number_;
};

void AppendNumber(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";  // JSON has no NaN/Inf; a strict reader then rejects it where a number is due.
    return;
  }
  char buf[64];
  // Shortest representation that parses back to the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  out.append(buf, end);
}

void Pretty(const json::value& v, std::string& out, int indent) {
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(level) * 2, ' ');
  };
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& kv : o) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        out += json::serialize(json::value(kv.key()));
        out += ": ";
        Pretty(kv.value(), out, indent + 1);
      }
      newline(indent);
      out += '}';
      return;
    }
    case json::kind::array: {
      const json::array& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& e : a) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        Pretty(e, out, indent + 1);
      }
      newline(indent);
      out += ']';
      return;
    }
    case json::kind::double_:
      AppendNumber(out, v.get_double());
      return;
    default:
      out += json::serialize(v);
      return;
  }
}

}  // namespace

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read error");
  return ss.str();
}

Status WriteFile(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError(path + ": cannot write: " + std::strerror(errno));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return Status::IOError(path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return Status::IOError(path + ": cannot rename temporary file: " + why);
  }
  return Status::OK();
}

Result<json::value> ParseJsonExact(std::string_view text, std::string_view source) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument(std::string(source) +
                                   ": malformed JSON: no JSON document (empty input)");
  }
  json::basic_parser<ExactHandler> parser{json::parse_options()};
  parser.handler().st.reset();
  json::error_code ec;
  const size_t at = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && at < text.size()) ec = json::error::extra_data;
  if (ec) {
    const std::string_view before = text.substr(0, at);
    const size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
    const size_t last_newline = before.rfind('\n');
    const size_t column = last_newline == std::string_view::npos ? at + 1 : at - last_newline;
    return Status::InvalidArgument(std::string(source) + ": malformed JSON at line " +
                                   std::to_string(line) + ", column " + std::to_string(column) +
                                   ": " + ec.message());
  }
  return parser.handler().st.release();
}

Result<json::value> LoadJsonFile(const std::string& path) {
  STATELAB_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return ParseJsonExact(text, path);
}

std::string PrettyJson(const json::value& v) {
  std::string out;
  Pretty(v, out, 0);
  return out;
}

std::string JsonFileText(const json::value& v) { return PrettyJson(v) + "\n"; }

const json::value* FindPath(const json::object& root, std::string_view dotted) {
  const json::object* obj = &root;
  const json::value* cur = nullptr;
  while (true) {
    const std::size_t dot = dotted.find('.');
    const std::string_view key = dotted.substr(0, dot);
    auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    if (dot == std::string_view::npos) return cur;
    if (!cur->is_object()) return nullptr;
    obj = &cur->get_object();
    dotted.remove_prefix(dot + 1);
  }
}

std::optional<double> AsNumber(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_double()) {
    const double d = v->get_double();
    if (!std::isfinite(d)) return std::nullopt;
    return d;
  }
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

std::optional<bool> AsBool(const json::value* v) {
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

std::optional<std::string> AsString(const json::value* v) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::vector<std::string> AsStringList(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& e : v->get_array()) {
    if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

json::value NumberOrNull(const std::optional<double>& v) {
  if (!v.has_value() || !std::isfinite(*v)) return nullptr;
  return *v;
}

}  // namespace statelab::util
