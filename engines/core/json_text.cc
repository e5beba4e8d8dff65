#include "engines/core/json_text.h"

#include <charconv>
#include <cstring>

namespace statelab::json_doc::internal {
namespace {

using boost::json::value;

// The short escape of a byte Boost.JSON's serializer writes as \x, or 0.
char ShortEscape(unsigned char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

// True if any of the 8 bytes in `w` needs a closer look: below 0x20, '"', '\\' or non-ASCII.
inline bool NeedsCloserLook(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  return ((w - kOnes * 0x20) | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | w) &
         kHigh;
}

}  // namespace

size_t Utf8SeqLen(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return n;
}

void AppendQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending unescaped run, appended in one go
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (char e = ShortEscape(c)) {
      out.push_back('\\');
      out.push_back(e);
    } else {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// Plain ASCII is skipped eight bytes at a time: this loop dominates CheckLimits.
uint64_t QuotedSize(std::string_view s, bool* utf8_ok) {
  uint64_t n = 2 + s.size();
  size_t i = 0;
  while (i < s.size()) {
    if (s.size() - i >= 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!NeedsCloserLook(w)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20) {
        n += ShortEscape(c) ? 1 : 5;
      } else if (c == '"' || c == '\\') {
        n += 1;
      }
      ++i;
      continue;
    }
    const size_t len = Utf8SeqLen(s, i);
    if (len == 0) {
      *utf8_ok = false;
      ++i;
    } else {
      i += len;
    }
  }
  return n;
}

std::string_view ScalarFormatter::Number(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::int64:
      return {buf_, static_cast<size_t>(std::to_chars(buf_, buf_ + sizeof buf_, v.get_int64()).ptr -
                                        buf_)};
    case boost::json::kind::uint64:
      return {buf_, static_cast<size_t>(
                        std::to_chars(buf_, buf_ + sizeof buf_, v.get_uint64()).ptr - buf_)};
    default: {
      serializer_.reset(&v);
      boost::json::string_view out = serializer_.read(buf_, sizeof buf_);
      return {out.data(), out.size()};
    }
  }
}

Status FromException(const std::exception& e) {
  return Status::InvalidArgument(std::string("json operation failed: ") + e.what());
}

}  // namespace statelab::json_doc::internal
