#include "engines/core/search_index.h"

#include <algorithm>
#include <boost/json/value.hpp>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>

#include "engines/api/record_keys.h"

namespace statelab::search {

namespace {

using record_keys::kEventKeyBytes;
using record_keys::kEventPrefix;
using record_keys::kRunPrefix;
using record_keys::kTraceKeyBytes;
using record_keys::kTracePrefix;

bool IsPlainName(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Strings and member names of a JSON value; path (when not null) is the value's path and is
// restored before returning.
void Walk(const boost::json::value& v, std::string* path, FieldFn fn) {
  const std::string_view here = path ? std::string_view(*path) : std::string_view();
  if (const boost::json::string* s = v.if_string()) {
    fn(here, *s, FieldKind::kText);
  } else if (const boost::json::object* o = v.if_object()) {
    for (const auto& member : *o) {
      fn(here, member.key(), FieldKind::kName);
      const size_t n = path ? path->size() : 0;
      if (path) {
        if (IsPlainName(member.key())) {
          path->append(".").append(member.key());
        } else {
          path->append("[\"").append(member.key()).append("\"]");
        }
      }
      Walk(member.value(), path, fn);
      if (path) path->resize(n);
    }
  } else if (const boost::json::array* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      const size_t n = path ? path->size() : 0;
      if (path) path->append("[").append(std::to_string(i)).append("]");
      Walk((*a)[i], path, fn);
      if (path) path->resize(n);
    }
  }
}

// Walks value under field name `name` (the root of its paths).
void WalkRoot(const boost::json::value& v, std::string_view name, bool with_paths, FieldFn fn) {
  if (!with_paths) return Walk(v, nullptr, fn);
  std::string path(name);
  Walk(v, &path, fn);
}

void WalkMembers(const Value& v, std::initializer_list<std::string_view> names, bool with_paths,
                 FieldFn fn) {
  const auto* doc = std::get_if<boost::json::value>(&v);
  const boost::json::object* o = doc ? doc->if_object() : nullptr;
  if (o == nullptr) return;
  for (std::string_view name : names) {
    if (const boost::json::value* m = o->if_contains(name)) WalkRoot(*m, name, with_paths, fn);
  }
}

// A KV or state value: strings are text, JSON is walked, other scalars are not text.
void ScalarOrJson(const Value& v, std::string_view name, bool with_paths, FieldFn fn) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    fn(with_paths ? name : std::string_view(), *s, FieldKind::kText);
  } else if (const auto* j = std::get_if<boost::json::value>(&v)) {
    WalkRoot(*j, name, with_paths, fn);
  }
}

TimestampUs IntMember(const Value& v, std::string_view name) noexcept {
  const auto* doc = std::get_if<boost::json::value>(&v);
  const boost::json::object* o = doc ? doc->if_object() : nullptr;
  const boost::json::value* m = o ? o->if_contains(name) : nullptr;
  if (m == nullptr) return 0;
  if (m->is_int64()) return m->get_int64();
  if (m->is_uint64()) return static_cast<TimestampUs>(m->get_uint64());
  return 0;
}

// The sorted distinct terms of one document state, with their frequencies.
class TermList {
 public:
  void Build(Tag tag, std::string_view user_key, const Value* v) {
    text_.clear();
    spans_.clear();
    counts_.clear();
    if (v == nullptr) return;
    ForEachField(tag, user_key, *v, false, [&](std::string_view, std::string_view text, FieldKind) {
      Tokenize(text, [&](std::string_view term, size_t) {
        spans_.emplace_back(static_cast<uint32_t>(text_.size()),
                            static_cast<uint32_t>(term.size()));
        text_.append(term);
      });
    });
    auto term = [&](const std::pair<uint32_t, uint32_t>& s) {
      return std::string_view(text_).substr(s.first, s.second);
    };
    std::sort(spans_.begin(), spans_.end(),
              [&](const auto& a, const auto& b) { return term(a) < term(b); });
    for (const auto& s : spans_) {
      if (!counts_.empty() && counts_.back().first == term(s)) {
        ++counts_.back().second;
      } else {
        counts_.emplace_back(term(s), 1);
      }
    }
  }
  uint32_t length() const noexcept { return static_cast<uint32_t>(spans_.size()); }
  const std::vector<std::pair<std::string_view, uint32_t>>& counts() const noexcept {
    return counts_;
  }

 private:
  std::string text_;                                  // the lowercased terms, concatenated
  std::vector<std::pair<uint32_t, uint32_t>> spans_;  // (offset, size) of each token in text_
  std::vector<std::pair<std::string_view, uint32_t>> counts_;
};

}  // namespace

bool IsDocument(Tag tag, std::string_view user_key) noexcept {
  if (user_key.empty() || user_key.size() > kMaxDocKeyBytes) return false;
  switch (tag) {
    case Tag::kKv:
    case Tag::kState:
    case Tag::kJson:
      return true;
    case Tag::kEvent:
      return user_key.size() == kEventKeyBytes && user_key.starts_with(kEventPrefix);
    case Tag::kTrace:
      return user_key.size() == kTraceKeyBytes && user_key.starts_with(kTracePrefix);
    case Tag::kRun:
      return user_key.size() > kRunPrefix.size() && user_key.starts_with(kRunPrefix);
    default:
      return false;
  }
}

void ForEachField(Tag tag, std::string_view user_key, const Value& v, bool with_paths, FieldFn fn) {
  auto named = [&](std::string_view name) { return with_paths ? name : std::string_view(); };
  switch (tag) {
    case Tag::kKv:
    case Tag::kState:
      fn(named("key"), user_key, FieldKind::kText);
      ScalarOrJson(v, "value", with_paths, fn);
      return;
    case Tag::kJson:
      fn(named("id"), user_key, FieldKind::kText);
      if (const auto* j = std::get_if<boost::json::value>(&v)) WalkRoot(*j, "$", with_paths, fn);
      return;
    case Tag::kEvent:
      WalkMembers(v, {"type", "payload"}, with_paths, fn);
      return;
    case Tag::kTrace:
      WalkMembers(v, {"body", "tags", "metadata"}, with_paths, fn);
      return;
    case Tag::kRun:
      fn(named("name"), user_key.substr(kRunPrefix.size()), FieldKind::kText);
      WalkMembers(v, {"status", "tags", "metadata"}, with_paths, fn);
      return;
    default:
      return;
  }
}

TimestampUs DocTime(Tag tag, const Value& v) noexcept {
  switch (tag) {
    case Tag::kEvent:
    case Tag::kTrace:
      return IntMember(v, "timestamp_us");
    case Tag::kRun:
      return IntMember(v, "created_at_us");
    default:
      return 0;
  }
}

std::string DocName(Tag tag, std::string_view user_key) {
  switch (tag) {
    case Tag::kEvent: {
      if (user_key.size() != kEventKeyBytes) return std::string(user_key);
      uint64_t seq = 0;
      for (size_t i = 1; i < kEventKeyBytes; ++i)
        seq = (seq << 8) | static_cast<uint8_t>(user_key[i]);
      return std::to_string(seq);
    }
    case Tag::kTrace:
      return std::string(user_key.substr(kTracePrefix.size()));
    case Tag::kRun:
      return std::string(user_key.substr(kRunPrefix.size()));
    default:
      return std::string(user_key);
  }
}

std::string DocUserKey(Tag tag, std::string_view name) {
  switch (tag) {
    case Tag::kEvent: {
      uint64_t seq = 0;
      auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), seq);
      if (ec != std::errc() || end != name.data() + name.size() || name.empty()) return {};
      std::string key(kEventPrefix);
      for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(seq >> shift));
      return key;
    }
    case Tag::kTrace:
      return std::string(kTracePrefix).append(name);
    case Tag::kRun:
      return std::string(kRunPrefix).append(name);
    default:
      return std::string(name);
  }
}

Value EncodeDocStats(uint32_t length, TimestampUs time) {
  char buf[12];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(length >> (8 * i));
  const auto t = static_cast<uint64_t>(time);
  for (int i = 0; i < 8; ++i) buf[4 + i] = static_cast<char>(t >> (8 * i));
  return Value(Bytes{std::string(buf, sizeof(buf))});  // fits the small-string buffer
}

bool DecodeDocStats(const Value& v, uint32_t* length, TimestampUs* time) noexcept {
  const auto* b = std::get_if<Bytes>(&v);
  if (b == nullptr || b->data.size() != 12) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(b->data.data());
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | p[i];
  uint64_t t = 0;
  for (int i = 11; i >= 4; --i) t = (t << 8) | p[i];
  *length = n;
  *time = static_cast<TimestampUs>(t);
  return true;
}

void DiffDocument(Tag tag, std::string_view user_key, DocState before, DocState after,
                  EmitFn emit) {
  if (!IsDocument(tag, user_key)) return;
  thread_local TermList old_terms, new_terms;  // commit scratch: no allocation once warm
  thread_local std::string key;
  old_terms.Build(tag, user_key, before.value);
  new_terms.Build(tag, user_key, after.value);
  const bool same_expiry = before.expire_at_us == after.expire_at_us;
  auto posting = [&](std::string_view term) -> std::string_view {
    key.clear();
    key.push_back(kPostingPrefix);
    key.append(term).push_back('\0');
    key.push_back(static_cast<char>(tag));
    key.append(user_key);
    return key;
  };
  const auto& a = old_terms.counts();
  const auto& b = new_terms.counts();
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      emit(posting(a[i++].first), nullptr, 0);
      continue;
    }
    const bool unchanged =
        i < a.size() && a[i].first == b[j].first && a[i].second == b[j].second && same_expiry;
    if (i < a.size() && a[i].first == b[j].first) ++i;
    if (!unchanged) {
      const Value tf(static_cast<int64_t>(b[j].second));
      emit(posting(b[j].first), &tf, after.expire_at_us);
    }
    ++j;
  }
  key.clear();
  key.push_back(kDocPrefix);
  key.push_back(static_cast<char>(tag));
  key.append(user_key);
  if (new_terms.length() > 0) {
    const TimestampUs t = DocTime(tag, *after.value);
    if (old_terms.length() == new_terms.length() && same_expiry &&
        DocTime(tag, *before.value) == t) {
      return;
    }
    const Value stats = EncodeDocStats(new_terms.length(), t);
    emit(key, &stats, after.expire_at_us);
  } else if (old_terms.length() > 0) {
    emit(key, nullptr, 0);
  }
}

}  // namespace statelab::search
