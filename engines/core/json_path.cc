// JSON paths (docs/json_paths.md): the parser and the canonical form of Path.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include "engines/core/json_doc.h"
#include "engines/core/json_text.h"

namespace statelab::json_doc {
namespace {

using internal::AppendQuoted;
using internal::FromException;
using internal::Utf8SeqLen;

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsName(std::string_view s) {
  if (s.empty() || !IsNameStart(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), IsNameChar);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Quotes untrusted bytes for an error message: printable ASCII as is, the rest as \xNN, cut long.
std::string QuoteForMessage(std::string_view s) {
  static constexpr size_t kMaxShown = 80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > kMaxShown) out.append("...");
  out.push_back('"');
  return out;
}

class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  Result<Path> Run() {
    std::vector<PathSegment> segs;
    size_t count = 0;        // all segments, also those past the limit (for the message)
    size_t over_offset = 0;  // where the first segment past the limit starts
    auto add = [&](PathSegment s, size_t start) {
      if (++count > kMaxPathSegments) {
        if (count == kMaxPathSegments + 1) over_offset = start;
        return;
      }
      segs.push_back(std::move(s));
    };

    if (At('$')) {
      ++i_;
    } else if (i_ < text_.size() && IsNameStart(text_[i_])) {
      add(PathSegment::Key(Name()), 0);  // leading name without `$.`
    }
    while (i_ < text_.size()) {
      const size_t start = i_;
      if (At('.')) {
        ++i_;
        if (i_ >= text_.size() || !IsNameStart(text_[i_])) {
          return Error(i_, "expected a name ([A-Za-z_][A-Za-z0-9_-]*) after '.'");
        }
        add(PathSegment::Key(Name()), start);
      } else if (At('[')) {
        ++i_;
        if (i_ < text_.size() && IsDigit(text_[i_])) {
          uint32_t index = 0;
          if (Status st = Index(&index); !st.ok()) return st;
          if (!At(']')) return Error(i_, "expected ']' after the index");
          ++i_;
          add(PathSegment::Index(index), start);
        } else if (At('"')) {
          std::string key;
          if (Status st = Quoted(&key); !st.ok()) return st;
          if (!At(']')) return Error(i_, "expected ']' after the quoted key");
          ++i_;
          add(PathSegment::Key(key), start);
        } else {
          return Error(i_, "expected an index (0, 1, ...) or a quoted key (\"...\") after '['");
        }
      } else {
        return Error(i_, "expected '.', '[' or the end of the path");
      }
    }
    if (count > kMaxPathSegments) {
      return Error(over_offset, "json path segment count " + std::to_string(count) +
                                    " exceeds limit " + std::to_string(kMaxPathSegments));
    }
    return Path(std::move(segs));
  }

 private:
  bool At(char c) const { return i_ < text_.size() && text_[i_] == c; }

  Status Error(size_t offset, std::string_view what) const {
    return Status::InvalidArgument("invalid json path " + QuoteForMessage(text_) + " at offset " +
                                   std::to_string(offset) + ": " + std::string(what));
  }

  std::string_view Name() {
    const size_t b = i_;
    while (i_ < text_.size() && IsNameChar(text_[i_])) ++i_;
    return text_.substr(b, i_ - b);
  }

  Status Index(uint32_t* out) {
    const size_t b = i_;
    if (text_[i_] == '0' && i_ + 1 < text_.size() && IsDigit(text_[i_ + 1])) {
      return Error(b, "index has a leading zero");
    }
    uint64_t v = 0;
    while (i_ < text_.size() && IsDigit(text_[i_])) {
      v = v * 10 + static_cast<uint64_t>(text_[i_] - '0');
      if (v > UINT32_MAX) return Error(b, "index exceeds 4294967295");
      ++i_;
    }
    *out = static_cast<uint32_t>(v);
    return Status::OK();
  }

  static bool Hex4(std::string_view s, size_t at, uint32_t* out) {
    if (s.size() < at + 4) return false;
    uint32_t v = 0;
    for (size_t k = at; k < at + 4; ++k) {
      const char c = s[k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }

  // A JSON string starting at the opening quote; leaves i_ after the closing quote.
  Status Quoted(std::string* key) {
    const size_t open = i_++;
    while (true) {
      if (i_ >= text_.size()) {
        return Error(i_, "expected '\"' to close the key opened at offset " + std::to_string(open));
      }
      const auto c = static_cast<unsigned char>(text_[i_]);
      if (c == '"') {
        ++i_;
        return Status::OK();
      }
      if (c < 0x20) return Error(i_, "control character in a quoted key (escape it)");
      if (c >= 0x80) {
        const size_t len = Utf8SeqLen(text_, i_);
        if (len == 0) return Error(i_, "invalid UTF-8 in a quoted key");
        key->append(text_.substr(i_, len));
        i_ += len;
        continue;
      }
      if (c != '\\') {
        key->push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      const size_t esc = i_++;
      if (i_ >= text_.size()) return Error(esc, "unterminated escape");
      const char e = text_[i_++];
      switch (e) {
        case '"':
          key->push_back('"');
          break;
        case '\\':
          key->push_back('\\');
          break;
        case '/':
          key->push_back('/');
          break;
        case 'b':
          key->push_back('\b');
          break;
        case 'f':
          key->push_back('\f');
          break;
        case 'n':
          key->push_back('\n');
          break;
        case 'r':
          key->push_back('\r');
          break;
        case 't':
          key->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(text_, i_, &cp)) return Error(esc, "expected 4 hex digits after \\u");
          i_ += 4;
          if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error(esc, "unpaired low surrogate (\\uDC00-\\uDFFF must follow a high one)");
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (!(At('\\') && i_ + 1 < text_.size() && text_[i_ + 1] == 'u' &&
                  Hex4(text_, i_ + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)) {
              return Error(esc, "unpaired high surrogate (expected a \\uDC00-\\uDFFF escape next)");
            }
            i_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(*key, cp);
          break;
        }
        default:
          return Error(esc,
                       "invalid escape; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
      }
    }
  }

  std::string_view text_;
  size_t i_ = 0;
};

}  // namespace

Result<Path> Path::Parse(std::string_view text) {
  try {
    return PathParser(text).Run();
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

Path Path::Child(std::string_view key) const {
  Path out = *this;
  out.segments_.push_back(PathSegment::Key(key));
  return out;
}

Path Path::Child(uint32_t index) const {
  Path out = *this;
  out.segments_.push_back(PathSegment::Index(index));
  return out;
}

Path Path::Prefix(size_t n) const {
  const auto end = segments_.begin() + static_cast<std::ptrdiff_t>(std::min(n, segments_.size()));
  return Path(std::vector<PathSegment>(segments_.begin(), end));
}

std::string Path::ToString() const {
  std::string out = "$";
  for (const PathSegment& s : segments_) {
    if (s.kind == PathSegment::kIndex) {
      out += '[';
      out += std::to_string(s.index);
      out += ']';
    } else if (IsName(s.key)) {
      out += '.';
      out += s.key;
    } else {
      out += '[';
      AppendQuoted(out, s.key);
      out += ']';
    }
  }
  return out;
}

bool Path::IsPrefix(const Path& a, const Path& b) {
  if (a.segments_.size() > b.segments_.size()) return false;
  return std::equal(a.segments_.begin(), a.segments_.end(), b.segments_.begin());
}

}  // namespace statelab::json_doc
