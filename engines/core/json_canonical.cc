// Canonical JSON for hashing (CanonicalJson): keys sorted by byte order, no whitespace.

#include <algorithm>
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
