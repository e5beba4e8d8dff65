// The JSON document operations: Get, Set, DeleteAt, ApplyPatch, each atomic through the undo log.

#include "engines/core/json_doc.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <exception>
#include <string>
#include <utility>

#include "engines/core/json_edit.h"
#include "engines/core/json_text.h"

namespace statelab::json_doc {
namespace internal {
namespace {

using boost::json::array;
using boost::json::key_value_pair;
using boost::json::object;
using boost::json::value;

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

// Inserts a member at position `pos` of `o` (boost::json::object only appends, so a member that
// was not last is restored by rebuilding; this runs only on rollback).
void InsertMemberAt(object& o, std::string_view key, value v, size_t pos) {
  if (pos >= o.size()) {
    o.emplace(key, std::move(v));
    return;
  }
  object rebuilt(o.storage());
  rebuilt.reserve(o.size() + 1);
  key_value_pair* const at = o.begin() + pos;
  for (key_value_pair* kv = o.begin(); kv != at; ++kv) {
    rebuilt.emplace(kv->key(), std::move(kv->value()));
  }
  rebuilt.emplace(key, std::move(v));
  for (key_value_pair* kv = at; kv != o.end(); ++kv) {
    rebuilt.emplace(kv->key(), std::move(kv->value()));
  }
  o = std::move(rebuilt);
}

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

}  // namespace

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

void UndoLog::Rollback(value& doc) noexcept {
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

Status CheckLimitsOrRollback(value& doc, UndoLog& log) {
  Status st = CheckLimits(doc);
  if (!st.ok()) log.Rollback(doc);
  return st;
}

namespace {

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

}  // namespace
}  // namespace internal

namespace {

using boost::json::value;
using internal::CheckLimitsOrRollback;
using internal::DeleteOne;
using internal::Find;
using internal::FromException;
using internal::SetOne;
using internal::UndoLog;

}  // namespace

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

}  // namespace statelab::json_doc
