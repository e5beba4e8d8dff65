#include "gates/json_util.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness/baseline.h"

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
  try {
    *out = harness::ParseJsonExact(text, source);
  } catch (const harness::BaselineError& e) {
    *error = e.what();
    return false;
  }
  return true;
}

bool LoadJsonFile(const std::string& path, json::value* out, std::string* error) {
  std::string text;
  if (!ReadFile(path, &text, error)) return false;
  return ParseJson(text, path, out, error);
}

std::string JsonFileText(const json::value& v) { return harness::PrettyJson(v) + "\n"; }

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

}  // namespace statelab::gates
