// Document limits (CheckLimits) and the serialized size, from one walk that never serializes.

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "engines/core/json_doc.h"
#include "engines/core/json_text.h"

namespace statelab::json_doc {
namespace {

using boost::json::array;
using boost::json::key_value_pair;
using boost::json::object;
using boost::json::value;
using internal::FromException;
using internal::QuotedSize;
using internal::ScalarFormatter;

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
  // Scratch reused by every walk on this thread (each JSON write is checked): no allocation
  // once warm; a deep document's stack is given back below.
  thread_local std::vector<Frame> stack;
  thread_local ScalarFormatter fmt;
  stack.clear();
  WalkResult r;

  // The path of the value being visited, rebuilt from the stack only when a violation is found.
  auto here = [&]() {
    std::vector<PathSegment> s;
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
  if (constexpr size_t kKeepScratch = 4096; stack.capacity() > kKeepScratch) {
    std::vector<Frame>().swap(stack);
  }
  return r;
}

}  // namespace

Status CheckLimits(const value& doc) { return CheckLimits(doc, nullptr); }

Status CheckLimits(const value& doc, uint64_t* serialized_bytes) {
  try {
    const WalkResult r = Walk(doc);
    if (serialized_bytes != nullptr) *serialized_bytes = r.bytes;
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

}  // namespace statelab::json_doc
