#pragma once
// JsonStore: JSON documents addressed by a document id (1..1024 bytes), stored under Tag::kJson.
// create, get(path), set(path), delete_at_path, destroy, patch, merge(path), cas(path), exists,
// version. Path syntax and the limits are those of engines/core/json_doc.h; limits are checked on
// the resulting document, and nothing stored changes when an operation fails.
//
// Conflicts are path-level: get, set and delete_at_path read only their path, patch and merge
// only the paths they write (Txn::JsonRead / Txn::JsonWritePath), so two transactions editing
// non-overlapping paths of one document both commit (the later one is replayed on the newer
// document); overlapping paths (one a prefix of the other) conflict, and changing an array's
// length conflicts with every path through the array. A merge writes one path per patch leaf, so
// merges of disjoint members commit concurrently. create, destroy and set at the root are
// whole-value writes; cas reads the whole document (it checks its version).
// Thread-safety: JsonOps belongs to its transaction's thread; JsonStore is thread-safe.

#include <boost/json/value.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/core/json_doc.h"
#include "engines/core/run_transaction.h"
#include "engines/primitives/facade_util.h"
#include "engines/primitives/names.h"

namespace statelab {

// One step of JsonOps::Patch.
struct JsonPatchOp {
  enum class Kind : uint8_t { kSet, kDelete };
  Kind kind = Kind::kSet;
  std::string path;
  boost::json::value value;  // kSet only

  static JsonPatchOp Set(std::string path, boost::json::value v) {
    return {Kind::kSet, std::move(path), std::move(v)};
  }
  static JsonPatchOp Delete(std::string path) { return {Kind::kDelete, std::move(path), nullptr}; }
};

struct VersionedJson {
  boost::json::value value;
  Version version = 0;  // of the whole document
};

namespace internal {
Status CheckDocId(std::string_view id);
// Parses every op's path; InvalidArgument is prefixed "patch op <i>: ".
Result<std::vector<json_doc::PatchOp>> ParsePatch(const std::vector<JsonPatchOp>& ops);
}  // namespace internal

template <Partition P>
class JsonOps {
 public:
  explicit JsonOps(Txn<P>& t) noexcept : t_(t) {}

  // AlreadyExists when the document exists.
  Status Create(std::string_view id, const boost::json::value& doc) {
    STATELAB_RETURN_IF_ERROR(internal::CheckDocId(id));
    STATELAB_RETURN_IF_ERROR(json_doc::CheckLimits(doc));
    Status s = t_.Get(Tag::kJson, id, nullptr);
    if (s.ok()) return Status::AlreadyExists("doc_id: document exists");
    if (!s.IsNotFound()) return s;
    t_.Put(Tag::kJson, id, Value(doc));
    return Status::OK();
  }
  // The value at `path`; *ver is the document's version. NotFound when the document or the path
  // is absent.
  Status Get(std::string_view id, std::string_view path, boost::json::value* out,
             Version* ver = nullptr) {
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path p, json_doc::Path::Parse(path));
    boost::json::value doc;
    STATELAB_RETURN_IF_ERROR(ReadDoc(id, {&p, 1}, &doc, ver));
    STATELAB_ASSIGN_OR_RETURN(const boost::json::value* v, json_doc::Get(doc, p));
    if (out) *out = *v;
    return Status::OK();
  }
  // Creates missing object members on the way; an index equal to the array's size appends.
  Status Set(std::string_view id, std::string_view path, const boost::json::value& v) {
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path p, json_doc::Path::Parse(path));
    boost::json::value doc;
    Version seen = 0;
    STATELAB_RETURN_IF_ERROR(ReadDoc(id, {&p, 1}, &doc, &seen));
    return SetIn(id, p, seen, std::move(doc), v);
  }
  // NotFound when the path is absent; the root cannot be deleted (use Destroy).
  Status DeleteAt(std::string_view id, std::string_view path) {
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path p, json_doc::Path::Parse(path));
    boost::json::value doc;
    Version seen = 0;
    STATELAB_RETURN_IF_ERROR(ReadDoc(id, {&p, 1}, &doc, &seen));
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path conflict, json_doc::DeleteAt(doc, p));
    t_.JsonWritePath(Tag::kJson, id, seen, std::move(doc),
                     JsonPathOp{JsonPathOp::Kind::kDelete, p, nullptr}, conflict);
    return Status::OK();
  }
  // Returns whether the document existed.
  Result<bool> Destroy(std::string_view id) {
    STATELAB_ASSIGN_OR_RETURN(bool existed, Exists(id));
    if (existed) t_.Delete(Tag::kJson, id);
    return existed;
  }
  // Applies ops in order, atomically: all or none.
  Status Patch(std::string_view id, const std::vector<JsonPatchOp>& ops) {
    STATELAB_ASSIGN_OR_RETURN(std::vector<json_doc::PatchOp> parsed, internal::ParsePatch(ops));
    boost::json::value doc;
    Version seen = 0;
    STATELAB_RETURN_IF_ERROR(ReadForEdit(id, &doc, &seen));
    STATELAB_ASSIGN_OR_RETURN(std::vector<json_doc::Path> conflicts,
                              json_doc::ApplyPatch(doc, parsed));
    auto write = [&](size_t i, boost::json::value view) {
      json_doc::PatchOp& op = parsed[i];
      const auto kind =
          op.kind == json_doc::PatchOp::kSet ? JsonPathOp::Kind::kSet : JsonPathOp::Kind::kDelete;
      t_.JsonWritePath(Tag::kJson, id, seen, std::move(view),
                       JsonPathOp{kind, std::move(op.path), std::move(op.value)}, conflicts[i]);
    };
    // Each call replaces the transaction's view of the document: only the last one carries it.
    for (size_t i = 0; i + 1 < parsed.size(); ++i) write(i, boost::json::value());
    if (!parsed.empty()) write(parsed.size() - 1, std::move(doc));
    return Status::OK();
  }
  // RFC 7386 merge patch into the value at `path` (created when absent).
  Status Merge(std::string_view id, std::string_view path, const boost::json::value& patch) {
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path p, json_doc::Path::Parse(path));
    boost::json::value doc;
    Version seen = 0;
    STATELAB_RETURN_IF_ERROR(ReadForEdit(id, &doc, &seen));
    std::vector<json_doc::Path> written;
    STATELAB_RETURN_IF_ERROR(json_doc::Merge(doc, p, patch, &written).status());
    t_.JsonWritePath(Tag::kJson, id, seen, std::move(doc),
                     JsonPathOp{JsonPathOp::Kind::kMerge, p, patch}, written);
    return Status::OK();
  }
  // Set at `path` only if the document's version is `expected` (0: never existed; a destroyed
  // document's version is its tombstone's), else VersionMismatch{expected, actual}. On an absent
  // document only the root can be set (which creates it).
  Status Cas(std::string_view id, std::string_view path, Version expected,
             const boost::json::value& v) {
    STATELAB_RETURN_IF_ERROR(internal::CheckDocId(id));
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path p, json_doc::Path::Parse(path));
    Value cur;
    Version actual = 0;
    Status s = t_.Get(Tag::kJson, id, &cur, &actual);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (actual != expected) return Status::VersionMismatch(expected, actual);
    if (s.IsNotFound() && !p.IsRoot()) return s;
    boost::json::value doc;
    if (s.ok()) STATELAB_RETURN_IF_ERROR(TakeDoc(std::move(cur), &doc));
    return SetIn(id, p, actual, std::move(doc), v);
  }
  Result<bool> Exists(std::string_view id) {
    STATELAB_RETURN_IF_ERROR(internal::CheckDocId(id));
    Status s = t_.Get(Tag::kJson, id, nullptr);
    if (s.ok()) return true;
    if (s.IsNotFound()) return false;
    return s;
  }
  // The document's version: 0 if it never existed; a destroyed document's tombstone version.
  Result<Version> GetVersion(std::string_view id) {
    STATELAB_RETURN_IF_ERROR(internal::CheckDocId(id));
    return t_.ReadVersion(Tag::kJson, id);
  }

 private:
  static Status TakeDoc(Value v, boost::json::value* doc) {
    auto* d = std::get_if<boost::json::value>(&v);
    if (d == nullptr) return Status::Corruption("json document is not JSON", 0);
    *doc = std::move(*d);
    return Status::OK();
  }
  // The document, registering only `paths` as read (absence is a whole-document read).
  Status ReadDoc(std::string_view id, std::span<const json_doc::Path> paths,
                 boost::json::value* doc, Version* ver) {
    STATELAB_RETURN_IF_ERROR(internal::CheckDocId(id));
    Value v;
    STATELAB_RETURN_IF_ERROR(t_.JsonRead(Tag::kJson, id, paths, &v, ver));
    return TakeDoc(std::move(v), doc);
  }
  // For edits whose reads are exactly the paths they write, which JsonWritePath registers.
  Status ReadForEdit(std::string_view id, boost::json::value* doc, Version* seen) {
    return ReadDoc(id, {}, doc, seen);
  }
  // Writes `v` at `p` of `doc` (the document as this transaction sees it, read at `seen`).
  Status SetIn(std::string_view id, const json_doc::Path& p, Version seen, boost::json::value doc,
               const boost::json::value& v) {
    if (p.IsRoot()) {  // replaces the document: a whole-value write
      STATELAB_RETURN_IF_ERROR(json_doc::CheckLimits(v));
      t_.Put(Tag::kJson, id, Value(v));
      return Status::OK();
    }
    STATELAB_ASSIGN_OR_RETURN(json_doc::Path conflict, json_doc::Set(doc, p, v));
    t_.JsonWritePath(Tag::kJson, id, seen, std::move(doc), JsonPathOp{JsonPathOp::Kind::kSet, p, v},
                     conflict);
    return Status::OK();
  }

  Txn<P>& t_;
};

template <Engine E>
class JsonStore {
 public:
  using P = typename E::Partition;
  explicit JsonStore(E& e) noexcept : e_(e) {}

  Result<Version> Create(const RunId& run, std::string_view id, const boost::json::value& doc,
                         const TxnOptions& o = {}) {
    return Write(run, o, [&](JsonOps<P>& j) { return j.Create(id, doc); });
  }
  // Fast path: one snapshot, no read set.
  Result<VersionedJson> Get(const RunId& run, std::string_view id, std::string_view path = "$") {
    VersionedJson out;
    STATELAB_RETURN_IF_ERROR(RunRead(
        e_, run, [&](Txn<P>& t) { return JsonOps<P>(t).Get(id, path, &out.value, &out.version); }));
    return out;
  }
  Result<Version> Set(const RunId& run, std::string_view id, std::string_view path,
                      const boost::json::value& v, const TxnOptions& o = {}) {
    return Write(run, o, [&](JsonOps<P>& j) { return j.Set(id, path, v); });
  }
  Result<Version> DeleteAt(const RunId& run, std::string_view id, std::string_view path,
                           const TxnOptions& o = {}) {
    return Write(run, o, [&](JsonOps<P>& j) { return j.DeleteAt(id, path); });
  }
  // Returns whether the document existed.
  Result<bool> Destroy(const RunId& run, std::string_view id, const TxnOptions& o = {}) {
    bool existed = false;
    STATELAB_RETURN_IF_ERROR(Write(run, o, [&](JsonOps<P>& j) -> Status {
                               STATELAB_ASSIGN_OR_RETURN(existed, j.Destroy(id));
                               return Status::OK();
                             }).status());
    return existed;
  }
  Result<Version> Patch(const RunId& run, std::string_view id, const std::vector<JsonPatchOp>& ops,
                        const TxnOptions& o = {}) {
    return Write(run, o, [&](JsonOps<P>& j) { return j.Patch(id, ops); });
  }
  Result<Version> Merge(const RunId& run, std::string_view id, std::string_view path,
                        const boost::json::value& patch, const TxnOptions& o = {}) {
    return Write(run, o, [&](JsonOps<P>& j) { return j.Merge(id, path, patch); });
  }
  Result<Version> Cas(const RunId& run, std::string_view id, std::string_view path,
                      Version expected, const boost::json::value& v, const TxnOptions& o = {}) {
    return Write(run, o, [&](JsonOps<P>& j) { return j.Cas(id, path, expected, v); });
  }
  Result<bool> Exists(const RunId& run, std::string_view id) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return JsonOps<P>(t).Exists(id); });
  }
  Result<Version> GetVersion(const RunId& run, std::string_view id) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return JsonOps<P>(t).GetVersion(id); });
  }

 private:
  // f may run several times (conflict retries): it copies its inputs, never moves them.
  template <class F>
  Result<Version> Write(const RunId& run, const TxnOptions& o, F&& f) {
    return RunTransaction(
        e_, run,
        [&](Txn<P>& t) {
          JsonOps<P> j(t);
          return f(j);
        },
        o);
  }

  E& e_;
};

}  // namespace statelab
