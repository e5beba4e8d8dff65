#include "tools/server_suite/servers_json.h"

#include "util/json.h"

namespace statelab::servers {

namespace json = boost::json;

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when there is none.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b = byte(0);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

json::value OptionalInt(const std::optional<int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
    }
  }
  return out;
}

json::object ToJson(const ServersReport& report) {
  json::object o;
  o["available"] = report.available;
  o["reason"] = ValidUtf8(report.reason);
  if (!report.available) {
    o["results"] = json::array();
    return o;
  }
  o["version"] = ValidUtf8(report.version);
  o["suite"] = ValidUtf8(report.suite);
  json::array results;
  for (const ServerResult& r : report.results) {
    results.emplace_back(json::object{{"server", ValidUtf8(r.server)},
                                      {"engine", ValidUtf8(r.engine)},
                                      {"op", ValidUtf8(r.op)},
                                      {"mode", ValidUtf8(r.mode)},
                                      {"persistence", ValidUtf8(r.persistence)},
                                      {"clients", r.clients},
                                      {"pipeline", r.pipeline},
                                      {"requests", r.requests},
                                      {"ops_per_sec", r.ops_per_sec},
                                      {"p50_ns", OptionalInt(r.p50_ns)},
                                      {"p99_ns", OptionalInt(r.p99_ns)}});
  }
  o["results"] = std::move(results);
  json::array memory;
  for (const MemoryResult& m : report.memory) {
    memory.emplace_back(json::object{{"server", ValidUtf8(m.server)},
                                     {"engine", ValidUtf8(m.engine)},
                                     {"keys", m.keys},
                                     {"value_bytes", m.value_bytes},
                                     {"rss_before_bytes", m.rss_before_bytes},
                                     {"rss_after_bytes", m.rss_after_bytes},
                                     {"rss_bytes_per_key", m.rss_bytes_per_key},
                                     {"used_memory_bytes_per_key", m.used_memory_bytes_per_key}});
  }
  o["memory"] = std::move(memory);
  return o;
}

Status WriteServersFile(const ServersReport& report, const std::string& path) {
  return util::WriteFile(path, util::JsonFileText(ToJson(report)));
}

}  // namespace statelab::servers
