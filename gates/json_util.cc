#include "gates/json_util.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace statelab::gates {

namespace json = boost::json;

bool ReadFile(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = path + ": read error";
    return false;
  }
  *text = ss.str();
  return true;
}

bool WriteFile(const std::string& path, std::string_view text, std::string* error) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *error = path + ": cannot write: " + std::strerror(errno);
      return false;
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      *error = path + ": write failed";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": cannot rename temporary file: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

bool ParseJson(std::string_view text, std::string_view source, json::value* out,
               std::string* error) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    *error = std::string(source) + ": empty file (expected a JSON document)";
    return false;
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    // Translate the byte offset of the failure into line and column for the message.
    const std::size_t at = std::min(consumed, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    *error = std::string(source) + ": invalid JSON at line " + std::to_string(line) + ", column " +
             std::to_string(col) + ": " + ec.message();
    return false;
  }
  *out = parser.release();
  return true;
}

bool LoadJsonFile(const std::string& path, json::value* out, std::string* error) {
  std::string text;
  if (!ReadFile(path, &text, error)) return false;
  return ParseJson(text, path, out, error);
}

namespace {

void Indent(std::string* os, int depth) { os->append(static_cast<std::size_t>(depth) * 2, ' '); }

void Pretty(const json::value& v, int depth, std::string* os) {
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        os->append("{}");
        return;
      }
      os->append("{\n");
      bool first = true;
      for (const auto& kv : o) {
        if (!first) os->append(",\n");
        first = false;
        Indent(os, depth + 1);
        os->append(json::serialize(json::value(kv.key())));
        os->append(": ");
        Pretty(kv.value(), depth + 1, os);
      }
      os->append("\n");
      Indent(os, depth);
      os->append("}");
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        os->append("[]");
        return;
      }
      // Arrays of scalars stay on one line; they are short (engine lists, reasons).
      bool scalars = true;
      for (const auto& e : a) scalars = scalars && !e.is_object() && !e.is_array();
      if (scalars) {
        os->append(json::serialize(v));
        return;
      }
      os->append("[\n");
      bool first = true;
      for (const auto& e : a) {
        if (!first) os->append(",\n");
        first = false;
        Indent(os, depth + 1);
        Pretty(e, depth + 1, os);
      }
      os->append("\n");
      Indent(os, depth);
      os->append("]");
      return;
    }
    default:
      os->append(json::serialize(v));
  }
}

}  // namespace

std::string PrettyJson(const json::value& v) {
  std::string out;
  Pretty(v, 0, &out);
  out.push_back('\n');
  return out;
}

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

std::string_view KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

json::value NumberOrNull(const std::optional<double>& v) {
  if (!v.has_value() || !std::isfinite(*v)) return nullptr;
  return *v;
}

}  // namespace statelab::gates
