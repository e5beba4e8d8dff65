#include "engines/core/json_doc.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

namespace statelab::json_doc {
namespace {

using boost::json::array;
using boost::json::key_value_pair;
using boost::json::object;
using boost::json::value;
using Segments = std::vector<PathSegment>;

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsName(std::string_view s) {
  if (s.empty() || !IsNameStart(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), IsNameChar);
}

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 (overlongs, surrogates and
// code points above U+10FFFF are ill-formed, as in RFC 3629).
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

// String escaping mirrors Boost.JSON's serializer exactly (so CanonicalJson and SerializedSize
// agree with boost::json::serialize): `"` and `\` get a backslash, \b \t \n \f \r their short
// escapes, other bytes below 0x20 become \u00xx (lowercase hex), everything else is copied raw.
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

// True if any of the 8 bytes in `w` needs a closer look: below 0x20, '"', '\\' or non-ASCII.
inline bool NeedsCloserLook(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  return ((w - kOnes * 0x20) | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | w) &
         kHigh;
}

// Serialized size of a quoted string; clears *utf8_ok when `s` is not valid UTF-8. Plain ASCII
// is skipped eight bytes at a time: this loop dominates CheckLimits.
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

// Formats numbers exactly as boost::json::serialize does; doubles go through Boost's own
// serializer (Ryu shortest form, e.g. 1E0) so the bytes cannot drift from serialize().
class ScalarFormatter {
 public:
  std::string_view Number(const value& v) {
    switch (v.kind()) {
      case boost::json::kind::int64:
        return {buf_, static_cast<size_t>(
                          std::to_chars(buf_, buf_ + sizeof buf_, v.get_int64()).ptr - buf_)};
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

 private:
  boost::json::serializer serializer_;
  char buf_[64];
};

const char* KindName(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a bool";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

// ---------------------------------------------------------------------------------------------
// Path parsing.

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
    Segments segs;
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

// ---------------------------------------------------------------------------------------------
// Navigation and the undo log.

// The value at the first `n` segments, or nullptr.
const value* Find(const value& doc, const Segments& s, size_t n) {
  const value* cur = &doc;
  for (size_t i = 0; i < n; ++i) {
    if (s[i].kind == PathSegment::kKey) {
      const object* o = cur->if_object();
      if (o == nullptr) return nullptr;
      auto it = o->find(s[i].key);
      if (it == o->end()) return nullptr;
      cur = &it->value();
    } else {
      const array* a = cur->if_array();
      if (a == nullptr || s[i].index >= a->size()) return nullptr;
      cur = &(*a)[s[i].index];
    }
  }
  return cur;
}

value* FindMutable(value& doc, const Segments& s, size_t n) {
  return const_cast<value*>(Find(doc, s, n));
}

// Inserts a member at position `pos` of `o` (boost::json::object only appends, so a member that
// was not last is restored by rebuilding; this runs only on rollback).
void InsertMemberAt(object& o, std::string_view key, value v, size_t pos) {
  if (pos >= o.size()) {
    o.emplace(key, std::move(v));
    return;
  }
  object rebuilt(o.storage());
  rebuilt.reserve(o.size() + 1);
  size_t i = 0;
  for (key_value_pair& kv : o) {
    if (i++ == pos) rebuilt.emplace(key, std::move(v));
    rebuilt.emplace(kv.key(), std::move(kv.value()));
  }
  o = std::move(rebuilt);
}

// Records how to reverse each primitive change. Entries hold paths, not pointers: later inserts
// may reallocate containers, but undoing in reverse order meets each entry in exactly the state
// it was recorded in, so the path resolves again. Callers build an entry's path and key and call
// Reserve() before they mutate, so recording after the change cannot throw.
class UndoLog {
 public:
  enum Kind : uint8_t {
    kRestore,          // `where` is the changed value; swap `old` back
    kPopBack,          // `where` is an array that was appended to
    kEraseLastMember,  // `where` is an object that gained member `key` (last)
    kReinsertMember,   // `where` is an object that lost member `key` at `pos`
    kReinsertElement,  // `where` is an array that lost element `pos`
  };

  void Reserve() {
    if (entries_.size() == entries_.capacity()) {
      entries_.reserve(std::max<size_t>(8, 2 * entries_.capacity()));
    }
  }

  void Record(Kind kind, Segments&& where, std::string&& key, size_t pos, value&& old) noexcept {
    entries_.push_back(Entry{kind, std::move(where), std::move(key), pos, value(std::move(old))});
  }

  // Allocation failure while undoing is fatal (noexcept): there is no state left to report from.
  void Rollback(value& doc) noexcept {
    for (auto e = entries_.rbegin(); e != entries_.rend(); ++e) {
      value* node = FindMutable(doc, e->where, e->where.size());
      if (node == nullptr) continue;  // unreachable: see the class comment
      switch (e->kind) {
        case kRestore:
          node->swap(e->old);
          break;
        case kPopBack:
          node->get_array().pop_back();
          break;
        case kEraseLastMember:
          node->get_object().stable_erase(e->key);
          break;
        case kReinsertMember:
          InsertMemberAt(node->get_object(), e->key, std::move(e->old), e->pos);
          break;
        case kReinsertElement: {
          array& a = node->get_array();
          a.insert(a.begin() + static_cast<std::ptrdiff_t>(e->pos), std::move(e->old));
          break;
        }
      }
    }
    entries_.clear();
  }

 private:
  struct Entry {
    Kind kind;
    Segments where;
    std::string key;
    size_t pos;
    value old;
  };

  std::vector<Entry> entries_;
};

Segments PrefixSegments(const Path& p, size_t n) {
  return Segments(p.segments().begin(), p.segments().begin() + static_cast<std::ptrdiff_t>(n));
}

Status WriteError(const Path& p, std::string_view what) {
  return Status::InvalidArgument("json path " + p.ToString() + ": " + std::string(what));
}

// Where a write at a path lands, found before anything is mutated.
struct WritePlan {
  enum Kind : uint8_t { kReplace, kAppend, kCreate };
  Kind kind;
  value* node;           // kReplace: the value at the path; kAppend: the array; kCreate: the object
  size_t first_missing;  // kCreate: the first segment that does not exist yet
};

Result<WritePlan> PlanWrite(value& doc, const Path& p) {
  const Segments& s = p.segments();
  value* cur = &doc;
  for (size_t i = 0; i < s.size(); ++i) {
    const PathSegment& seg = s[i];
    if (seg.kind == PathSegment::kKey) {
      if (object* o = cur->if_object()) {
        auto it = o->find(seg.key);
        if (it != o->end()) {
          cur = &it->value();
          continue;
        }
        for (size_t j = i + 1; j < s.size(); ++j) {
          if (s[j].kind == PathSegment::kIndex) {
            return WriteError(p, p.Prefix(j).ToString() +
                                     " does not exist and only object members are created on "
                                     "the way (an index needs an existing array)");
          }
        }
        return WritePlan{WritePlan::kCreate, cur, i};
      }
      if (cur->is_array()) {
        std::string member;
        AppendQuoted(member, seg.key);
        return WriteError(p, p.Prefix(i).ToString() + " is an array, so member " + member +
                                 " cannot be addressed (use an index)");
      }
      return WriteError(p, "cannot write through " + p.Prefix(i).ToString() + ", which is " +
                               KindName(*cur) + " (only objects and arrays have children)");
    }
    array* a = cur->if_array();
    if (a == nullptr) {
      if (cur->is_object()) {
        return WriteError(p, p.Prefix(i).ToString() + " is an object, so index [" +
                                 std::to_string(seg.index) + "] cannot be addressed (use [\"" +
                                 std::to_string(seg.index) + "\"] for a member named so)");
      }
      return WriteError(p, "cannot write through " + p.Prefix(i).ToString() + ", which is " +
                               KindName(*cur) + " (only objects and arrays have children)");
    }
    if (seg.index < a->size()) {
      cur = &(*a)[seg.index];
      continue;
    }
    const std::string where = p.Prefix(i).ToString() + " (size " + std::to_string(a->size()) + ")";
    if (seg.index == a->size()) {
      if (i + 1 == s.size()) return WritePlan{WritePlan::kAppend, cur, i};
      return WriteError(p, "index " + std::to_string(seg.index) + " is the end of " + where +
                               "; only the last segment may append");
    }
    return WriteError(p, "index " + std::to_string(seg.index) + " is out of range for " + where +
                             "; index == size appends");
  }
  return WritePlan{WritePlan::kReplace, cur, s.size()};
}

// Set without the limit check; logs its one change. Each branch allocates before it mutates, so
// a throw leaves the document unchanged.
Result<Path> SetOne(value& doc, const Path& p, value v, UndoLog& log) {
  Result<WritePlan> planned = PlanWrite(doc, p);
  if (!planned) return std::move(planned).error();
  const WritePlan plan = *planned;
  const Segments& s = p.segments();
  switch (plan.kind) {
    case WritePlan::kReplace: {
      Segments where = s;
      value nv(std::move(v), plan.node->storage());
      log.Reserve();
      plan.node->swap(nv);  // same storage: constant time, no throw; nv now holds the old value
      log.Record(UndoLog::kRestore, std::move(where), {}, 0, std::move(nv));
      return p;
    }
    case WritePlan::kAppend: {
      Path array_path = p.Prefix(s.size() - 1);
      Segments where = array_path.segments();
      log.Reserve();
      plan.node->get_array().push_back(std::move(v));
      log.Record(UndoLog::kPopBack, std::move(where), {}, 0, value());
      return array_path;
    }
    case WritePlan::kCreate: {
      const boost::json::storage_ptr& sp = plan.node->storage();
      Segments where = PrefixSegments(p, plan.first_missing);
      std::string key = s[plan.first_missing].key;
      value sub(std::move(v), sp);
      for (size_t j = s.size() - 1; j > plan.first_missing; --j) {
        value wrapper(boost::json::object_kind, sp);
        wrapper.get_object().emplace(s[j].key, std::move(sub));
        sub = std::move(wrapper);
      }
      log.Reserve();
      plan.node->get_object().emplace(key, std::move(sub));
      log.Record(UndoLog::kEraseLastMember, std::move(where), std::move(key), 0, value());
      return p;
    }
  }
  return p;
}

// Delete without a limit check (deleting only shrinks). `log` may be null when nothing can fail
// after the delete.
Result<Path> DeleteOne(value& doc, const Path& p, UndoLog* log) {
  const Segments& s = p.segments();
  if (s.empty()) return WriteError(p, "cannot delete the document root (destroy the document)");
  value* parent = FindMutable(doc, s, s.size() - 1);
  if (parent == nullptr) return Status::NotFound();
  const PathSegment& last = s.back();
  if (last.kind == PathSegment::kKey) {
    object* o = parent->if_object();
    if (o == nullptr) return Status::NotFound();
    auto it = o->find(last.key);
    if (it == o->end()) return Status::NotFound();
    if (log != nullptr) {
      Segments where = PrefixSegments(p, s.size() - 1);
      std::string key = last.key;
      log->Reserve();
      log->Record(UndoLog::kReinsertMember, std::move(where), std::move(key),
                  static_cast<size_t>(it - o->begin()), std::move(it->value()));
    }
    o->stable_erase(it);
    return p;
  }
  array* a = parent->if_array();
  if (a == nullptr || last.index >= a->size()) return Status::NotFound();
  Path array_path = p.Prefix(s.size() - 1);
  if (log != nullptr) {
    Segments where = array_path.segments();
    log->Reserve();
    log->Record(UndoLog::kReinsertElement, std::move(where), {}, last.index,
                std::move((*a)[last.index]));
  }
  a->erase(a->begin() + last.index);
  return array_path;
}

// Container nesting depth ({} is 1, a scalar 0), without recursion.
size_t Depth(const value& v) {
  struct Frame {
    const value* v;
    size_t next;
  };
  std::vector<Frame> stack;
  size_t max_depth = 0;
  auto enter = [&](const value& c) {
    if (c.is_object() || c.is_array()) {
      stack.push_back({&c, 0});
      max_depth = std::max(max_depth, stack.size());
    }
  };
  enter(v);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (const object* o = f.v->if_object()) {
      if (f.next == o->size()) {
        stack.pop_back();
        continue;
      }
      enter(o->begin()[f.next++].value());
    } else {
      const array& a = f.v->get_array();
      if (f.next == a.size()) {
        stack.pop_back();
        continue;
      }
      enter(a[f.next++]);
    }
  }
  return max_depth;
}

// MergePatch(absent, patch): the patch with null members dropped from its objects (RFC 7386
// turns a missing target into {} before merging an object patch). Recursion is bounded by the
// depth guard in Merge.
value MergeIntoNothing(const value& patch, const boost::json::storage_ptr& sp) {
  const object* po = patch.if_object();
  if (po == nullptr) return value(patch, sp);
  value out(boost::json::object_kind, sp);
  object& o = out.get_object();
  o.reserve(po->size());
  for (const key_value_pair& kv : *po) {
    if (!kv.value().is_null()) o.emplace(kv.key(), MergeIntoNothing(kv.value(), sp));
  }
  return out;
}

// RFC 7386 in place on `target`, which lives at `at`; every change is logged.
void MergeInPlace(value& target, Segments& at, const value& patch, UndoLog& log) {
  const object* po = patch.if_object();
  if (po == nullptr || !target.is_object()) {
    value nv =
        po == nullptr ? value(patch, target.storage()) : MergeIntoNothing(patch, target.storage());
    Segments where = at;
    log.Reserve();
    target.swap(nv);
    log.Record(UndoLog::kRestore, std::move(where), {}, 0, std::move(nv));
    return;
  }
  object& to = target.get_object();  // `target` itself never moves while its members change
  for (const key_value_pair& kv : *po) {
    auto it = to.find(kv.key());
    if (kv.value().is_null()) {
      if (it == to.end()) continue;
      Segments where = at;
      std::string key(kv.key());
      log.Reserve();
      log.Record(UndoLog::kReinsertMember, std::move(where), std::move(key),
                 static_cast<size_t>(it - to.begin()), std::move(it->value()));
      to.stable_erase(it);
    } else if (it == to.end()) {
      value nv = MergeIntoNothing(kv.value(), to.storage());
      Segments where = at;
      std::string key(kv.key());
      log.Reserve();
      to.emplace(key, std::move(nv));
      log.Record(UndoLog::kEraseLastMember, std::move(where), std::move(key), 0, value());
    } else {
      at.push_back(PathSegment::Key(kv.key()));
      MergeInPlace(it->value(), at, kv.value(), log);
      at.pop_back();
    }
  }
}

// Paths a merge of `patch` at `base` writes: each non-object member (null included) and each
// empty object, since a merge never reads or changes anything else below `base`.
void CollectMergeLeaves(const Path& base, const value& patch, std::vector<Path>* out) {
  const object* po = patch.if_object();
  if (po == nullptr || po->empty()) {
    out->push_back(base);
    return;
  }
  for (const key_value_pair& kv : *po) CollectMergeLeaves(base.Child(kv.key()), kv.value(), out);
}

Status FromException(const std::exception& e) {
  return Status::InvalidArgument(std::string("json operation failed: ") + e.what());
}

Status CheckLimitsOrRollback(value& doc, UndoLog& log) {
  Status st = CheckLimits(doc);
  if (!st.ok()) log.Rollback(doc);
  return st;
}

// One walk over a document: serialized size, depth, and the first of each kind of violation.
struct WalkResult {
  uint64_t bytes = 0;
  size_t max_depth = 0;
  size_t big_array_size = 0;  // 0: none over the limit
  std::string big_array_at;
  bool non_finite = false;
  std::string non_finite_at;
  bool bad_utf8 = false;
  std::string bad_utf8_at;
};

WalkResult Walk(const value& doc) {
  struct Frame {
    const value* v;
    size_t next;
  };
  std::vector<Frame> stack;
  stack.reserve(16);
  WalkResult r;
  ScalarFormatter fmt;

  // The path of the value being visited, rebuilt from the stack only when a violation is found.
  auto here = [&]() {
    Segments s;
    for (const Frame& f : stack) {
      if (const object* o = f.v->if_object()) {
        s.push_back(PathSegment::Key(o->begin()[f.next - 1].key()));
      } else {
        s.push_back(PathSegment::Index(static_cast<uint32_t>(f.next - 1)));
      }
    }
    return Path(std::move(s)).ToString();
  };
  auto note_utf8 = [&](bool ok) {
    if (!ok && !r.bad_utf8) {
      r.bad_utf8 = true;
      r.bad_utf8_at = here();
    }
  };
  auto visit = [&](const value& v) {
    switch (v.kind()) {
      case boost::json::kind::null:
        r.bytes += 4;
        break;
      case boost::json::kind::bool_:
        r.bytes += v.get_bool() ? 4 : 5;
        break;
      case boost::json::kind::int64:
      case boost::json::kind::uint64:
        r.bytes += fmt.Number(v).size();
        break;
      case boost::json::kind::double_:
        r.bytes += fmt.Number(v).size();
        if (!std::isfinite(v.get_double()) && !r.non_finite) {
          r.non_finite = true;
          r.non_finite_at = here();
        }
        break;
      case boost::json::kind::string: {
        bool ok = true;
        r.bytes += QuotedSize(v.get_string(), &ok);
        note_utf8(ok);
        break;
      }
      case boost::json::kind::array: {
        const size_t n = v.get_array().size();
        r.bytes += 2 + (n > 0 ? n - 1 : 0);
        if (n > kMaxArrayElements && r.big_array_size == 0) {
          r.big_array_size = n;
          r.big_array_at = here();
        }
        stack.push_back({&v, 0});
        r.max_depth = std::max(r.max_depth, stack.size());
        break;
      }
      case boost::json::kind::object: {
        const size_t n = v.get_object().size();
        r.bytes += 2 + (n > 0 ? n - 1 : 0);  // braces and commas; keys are added per member
        stack.push_back({&v, 0});
        r.max_depth = std::max(r.max_depth, stack.size());
        break;
      }
    }
  };

  visit(doc);
  while (!stack.empty()) {
    Frame& f = stack.back();  // visit() may push and invalidate f, so f is not used after it
    if (const object* o = f.v->if_object()) {
      if (f.next == o->size()) {
        stack.pop_back();
        continue;
      }
      const key_value_pair& kv = o->begin()[f.next++];
      bool ok = true;
      r.bytes += QuotedSize(kv.key(), &ok) + 1;  // the key and ':'
      note_utf8(ok);
      visit(kv.value());
    } else {
      const array& a = f.v->get_array();
      if (f.next == a.size()) {
        stack.pop_back();
        continue;
      }
      visit(a[f.next++]);
    }
  }
  return r;
}

// Builds values like boost::json::parser's handler, but re-reads each double from its text with
// std::from_chars (correctly rounded); Boost 1.81 can be one ULP off.
class ExactDoubleHandler {
 public:
  static constexpr std::size_t max_object_size = object::max_size();
  static constexpr std::size_t max_array_size = array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  boost::json::value_stack st;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(string_view s, error_code&) {
    number_.append(s.data(), s.size());  // only when a number spans write_some calls
    return true;
  }
  bool on_int64(std::int64_t i, string_view, error_code&) {
    number_.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, string_view, error_code&) {
    number_.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, string_view s, error_code& ec) {
    std::string_view text(s.data(), s.size());
    if (!number_.empty()) {
      number_.append(text);
      text = number_;
    }
    double exact = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), exact);
    if (err == std::errc() && end == text.data() + text.size()) {
      d = exact;
    } else if (std::isinf(d)) {
      ec = boost::json::error::exponent_overflow;  // JSON cannot carry it back out
      return false;
    }  // otherwise an underflow: keep Boost's (zero or subnormal) value
    number_.clear();
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  std::string number_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Path.

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
  return Path(PrefixSegments(*this, std::min(n, segments_.size())));
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

// ---------------------------------------------------------------------------------------------
// Operations.

Result<const value*> Get(const value& doc, const Path& p) {
  const value* v = Find(doc, p.segments(), p.size());
  if (v == nullptr) return Status::NotFound();
  return v;
}

Result<Path> Set(value& doc, const Path& p, value v) {
  UndoLog log;
  try {
    Result<Path> conflict = SetOne(doc, p, std::move(v), log);
    if (!conflict) return conflict;
    STATELAB_RETURN_IF_ERROR(CheckLimitsOrRollback(doc, log));
    return conflict;
  } catch (const std::exception& e) {
    log.Rollback(doc);
    return FromException(e);
  }
}

Result<Path> DeleteAt(value& doc, const Path& p) {
  try {
    return DeleteOne(doc, p, nullptr);
  } catch (const std::exception& e) {
    return FromException(e);  // DeleteOne throws only before it mutates
  }
}

Result<Path> Merge(value& doc, const Path& p, const value& patch, std::vector<Path>* write_paths) {
  UndoLog log;
  try {
    // The result is at least this deep (every patch object yields an object in the result), and
    // the guard bounds the recursion below.
    const size_t depth = p.size() + Depth(patch);
    if (depth > kMaxDepth) {
      return Status::InvalidArgument("json document depth " + std::to_string(depth) +
                                     " exceeds limit " + std::to_string(kMaxDepth));
    }
    Path conflict = p;
    if (value* target = FindMutable(doc, p.segments(), p.size())) {
      Segments at = p.segments();
      MergeInPlace(*target, at, patch, log);
    } else {
      Result<Path> created = SetOne(doc, p, MergeIntoNothing(patch, doc.storage()), log);
      if (!created) return created;
      conflict = std::move(*created);
    }
    STATELAB_RETURN_IF_ERROR(CheckLimitsOrRollback(doc, log));
    if (write_paths != nullptr) {
      write_paths->clear();
      if (conflict == p) {
        CollectMergeLeaves(p, patch, write_paths);
      } else {
        write_paths->push_back(conflict);
      }
    }
    return conflict;
  } catch (const std::exception& e) {
    log.Rollback(doc);
    return FromException(e);
  }
}

Status MergePatch(value& target, const value& patch) {
  return Merge(target, Path(), patch).status();
}

Result<std::vector<Path>> ApplyPatch(value& doc, const std::vector<PatchOp>& ops) {
  UndoLog log;
  try {
    std::vector<Path> conflicts;
    conflicts.reserve(ops.size());
    bool grows = false;
    for (size_t i = 0; i < ops.size(); ++i) {
      const PatchOp& op = ops[i];
      Result<Path> r = op.kind == PatchOp::kSet
                           ? SetOne(doc, op.path, value(op.value, doc.storage()), log)
                           : DeleteOne(doc, op.path, &log);
      if (!r) {
        log.Rollback(doc);
        const Status& st = r.error();
        if (st.code() != Code::kInvalidArgument) return st;
        return Status::InvalidArgument("patch op " + std::to_string(i) + ": " +
                                       std::string(st.message()));
      }
      grows |= op.kind == PatchOp::kSet;
      conflicts.push_back(std::move(*r));
    }
    if (grows) STATELAB_RETURN_IF_ERROR(CheckLimitsOrRollback(doc, log));
    return conflicts;
  } catch (const std::exception& e) {
    log.Rollback(doc);
    return FromException(e);
  }
}

Status CheckLimits(const value& doc) {
  try {
    const WalkResult r = Walk(doc);
    if (r.max_depth > kMaxDepth) {
      return Status::InvalidArgument("json document depth " + std::to_string(r.max_depth) +
                                     " exceeds limit " + std::to_string(kMaxDepth));
    }
    if (r.big_array_size > 0) {
      return Status::InvalidArgument(
          "json array size " + std::to_string(r.big_array_size) + " elements exceeds limit " +
          std::to_string(kMaxArrayElements) + " (at " + r.big_array_at + ")");
    }
    if (r.bytes > kMaxDocBytes) {
      return Status::InvalidArgument("json document size " + std::to_string(r.bytes) +
                                     " bytes exceeds limit " + std::to_string(kMaxDocBytes) +
                                     " bytes");
    }
    if (r.non_finite) {
      return Status::InvalidArgument("json document has a non-finite number (NaN or infinity) at " +
                                     r.non_finite_at + "; JSON cannot represent it");
    }
    if (r.bad_utf8) {
      return Status::InvalidArgument(
          "json document has a string or key that is not valid UTF-8 at " + r.bad_utf8_at);
    }
    return Status::OK();
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

uint64_t SerializedSize(const value& v) { return Walk(v).bytes; }

Result<value> ParseJson(std::string_view text, size_t max_depth) {
  try {
    boost::json::parse_options opt;
    opt.max_depth = max_depth;
    boost::json::basic_parser<ExactDoubleHandler> parser(opt);
    parser.handler().st.reset();
    boost::json::error_code ec;
    const size_t n = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && n < text.size()) ec = boost::json::error::extra_data;
    if (ec) {
      return Status::InvalidArgument("invalid json at offset " + std::to_string(n) + ": " +
                                     ec.message());
    }
    return parser.handler().st.release();
  } catch (const std::exception& e) {
    return FromException(e);
  }
}

std::string CanonicalJson(const value& v) {
  struct Frame {
    const value* v;
    std::vector<const key_value_pair*> keys;  // objects only, sorted by byte order
    size_t next;
  };
  std::vector<Frame> stack;
  std::string out;
  ScalarFormatter fmt;

  auto emit = [&](const value& x) {
    switch (x.kind()) {
      case boost::json::kind::null:
        out += "null";
        break;
      case boost::json::kind::bool_:
        out += x.get_bool() ? "true" : "false";
        break;
      case boost::json::kind::int64:
      case boost::json::kind::uint64:
      case boost::json::kind::double_:
        out += fmt.Number(x);
        break;
      case boost::json::kind::string:
        AppendQuoted(out, x.get_string());
        break;
      case boost::json::kind::array:
        out += '[';
        stack.push_back({&x, {}, 0});
        break;
      case boost::json::kind::object: {
        out += '{';
        std::vector<const key_value_pair*> keys;
        keys.reserve(x.get_object().size());
        for (const key_value_pair& kv : x.get_object()) keys.push_back(&kv);
        // std::string_view compares as unsigned char: byte order, which is code point order.
        std::sort(keys.begin(), keys.end(), [](const key_value_pair* a, const key_value_pair* b) {
          return std::string_view(a->key()) < std::string_view(b->key());
        });
        stack.push_back({&x, std::move(keys), 0});
        break;
      }
    }
  };

  emit(v);
  while (!stack.empty()) {
    Frame& f = stack.back();  // emit() may push and invalidate f, so f is not used after it
    if (f.v->is_object()) {
      if (f.next == f.keys.size()) {
        out += '}';
        stack.pop_back();
        continue;
      }
      if (f.next > 0) out += ',';
      const key_value_pair* kv = f.keys[f.next++];
      AppendQuoted(out, kv->key());
      out += ':';
      emit(kv->value());
    } else {
      const array& a = f.v->get_array();
      if (f.next == a.size()) {
        out += ']';
        stack.pop_back();
        continue;
      }
      if (f.next > 0) out += ',';
      emit(a[f.next++]);
    }
  }
  return out;
}

}  // namespace statelab::json_doc
