// RFC 7386 merge patch at a path (Merge, MergePatch), atomic through the undo log.

#include <algorithm>
#include <boost/json/object.hpp>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "engines/core/json_doc.h"
#include "engines/core/json_edit.h"
#include "engines/core/json_text.h"

namespace statelab::json_doc {
namespace {

using boost::json::array;
using boost::json::key_value_pair;
using boost::json::object;
using boost::json::value;
using internal::CheckLimitsOrRollback;
using internal::FindMutable;
using internal::FromException;
using internal::Segments;
using internal::SetOne;
using internal::UndoLog;

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

}  // namespace

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

}  // namespace statelab::json_doc
