#pragma once
// RESP2 reply encoding: each function appends one reply (or an array header) to `out`, the
// connection's output buffer, which is written once per read batch.
// Thread-safety: pure functions over the caller's buffer.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace statelab::resp {

inline void AppendSimple(std::string* out, std::string_view s) {
  out->push_back('+');
  out->append(s);
  out->append("\r\n");
}
inline void AppendOk(std::string* out) { out->append("+OK\r\n"); }

// `msg` starts with the error code word Redis clients branch on ("ERR ...", "WRONGTYPE ...").
// CR and LF would end the line early, so they become spaces.
inline void AppendError(std::string* out, std::string_view msg) {
  out->push_back('-');
  for (char c : msg) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out->append("\r\n");
}

inline void AppendPrefixedInt(std::string* out, char prefix, int64_t v) {
  char buf[24];
  buf[0] = prefix;
  const auto r = std::to_chars(buf + 1, buf + sizeof buf, v);
  out->append(buf, r.ptr);
  out->append("\r\n");
}
inline void AppendInt(std::string* out, int64_t v) { AppendPrefixedInt(out, ':', v); }
inline void AppendArrayHeader(std::string* out, int64_t n) { AppendPrefixedInt(out, '*', n); }

inline void AppendBulk(std::string* out, std::string_view s) {
  AppendPrefixedInt(out, '$', static_cast<int64_t>(s.size()));
  out->append(s);
  out->append("\r\n");
}
inline void AppendNullBulk(std::string* out) { out->append("$-1\r\n"); }

}  // namespace statelab::resp
