// Canonical JSON for hashing (CanonicalJson): keys sorted by byte order, no whitespace.

#include <algorithm>
#include <cstddef>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engines/core/json_doc.h"
#include "engines/core/json_text.h"

namespace statelab::json_doc {
namespace {

using boost::json::array;
using boost::json::key_value_pair;
using boost::json::value;
using internal::AppendQuoted;
using internal::ScalarFormatter;

}  // namespace

void AppendCanonicalJson(const value& v, std::string& out) {
  struct Frame {
    const value* v;
    size_t keys_begin;  // objects: this object's members in `keys`, sorted by byte order
    size_t keys_end;
    size_t next;  // objects: index into `keys`; arrays: element index
  };
  // Scratch reused by every call on this thread (event appends hash one document each): no
  // allocation once warm. An object's members sit above its parent's in `keys`, so popping a
  // frame truncates `keys` back to where the object began.
  thread_local std::vector<Frame> stack;
  thread_local std::vector<const key_value_pair*> keys;
  thread_local ScalarFormatter fmt;
  stack.clear();
  keys.clear();

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
        stack.push_back({&x, 0, 0, 0});
        break;
      case boost::json::kind::object: {
        out += '{';
        const size_t begin = keys.size();
        for (const key_value_pair& kv : x.get_object()) keys.push_back(&kv);
        // std::string_view compares as unsigned char: byte order, which is code point order.
        std::sort(keys.begin() + static_cast<std::ptrdiff_t>(begin), keys.end(),
                  [](const key_value_pair* a, const key_value_pair* b) {
                    return std::string_view(a->key()) < std::string_view(b->key());
                  });
        stack.push_back({&x, begin, keys.size(), begin});
        break;
      }
    }
  };

  emit(v);
  while (!stack.empty()) {
    Frame& f = stack.back();  // emit() may push and invalidate f, so f is not used after it
    if (f.v->is_object()) {
      if (f.next == f.keys_end) {
        out += '}';
        keys.resize(f.keys_begin);
        stack.pop_back();
        continue;
      }
      if (f.next > f.keys_begin) out += ',';
      const key_value_pair* kv = keys[f.next++];
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
  // A very deep or wide document must not pin its scratch for the thread's lifetime.
  constexpr size_t kKeepScratch = 4096;
  if (stack.capacity() > kKeepScratch) std::vector<Frame>().swap(stack);
  if (keys.capacity() > kKeepScratch) std::vector<const key_value_pair*>().swap(keys);
}

std::string CanonicalJson(const value& v) {
  std::string out;
  AppendCanonicalJson(v, out);
  return out;
}

}  // namespace statelab::json_doc
