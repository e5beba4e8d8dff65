#pragma once
// Txn<P>: the transaction handle primitives are written against. It reads one snapshot plus its
// own writes, records what it read for validation, and buffers writes until commit.
// Thread-safety: a Txn is used by one thread, inside one Engine::Execute call.

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/core/txn_state.h"

namespace statelab {

template <Partition P>
class Txn {
 public:
  Txn(P& p, TxnState& st) noexcept : p_(p), st_(st) {}
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  const RunId& run() const noexcept { return st_.run; }
  Version snapshot() const noexcept { return st_.snapshot; }
  TimestampUs now() const noexcept { return ResolveNow(st_.now_us); }
  TxnState& state() noexcept { return st_; }

  // Snapshot read plus own writes: calls fn(value, expire_at_us) in place (no copy; fn must not
  // call back into this transaction). NotFound (fn not called) when absent; *ver is the version
  // seen (0 = never existed, or an uncommitted own write).
  template <class F>
  Status View(Tag tag, std::string_view user_key, F&& fn, Version* ver = nullptr) {
    KeyBuf k(st_.run, tag, user_key);
    if (const WriteEntry* w = st_.FindWrite(k.view())) {
      if (ver) *ver = 0;
      if (w->kind == WriteKind::kDelete) return Status::NotFound();
      fn(w->value, w->expire_at_us);
      return Status::OK();
    }
    Version seen = 0;
    Status s = p_.View(st_.snapshot, k.view(), st_.now_us, fn, &seen);
    st_.RecordRead(k.view(), seen);
    if (ver) *ver = seen;
    return s;
  }
  // View copying the value into *out (null: only the status and version).
  Status Get(Tag tag, std::string_view user_key, Value* out, Version* ver = nullptr) {
    return View(tag, user_key, CopyInto{out}, ver);
  }
  // Version of the key as this transaction sees it, recorded as a read (for CAS).
  Version ReadVersion(Tag tag, std::string_view user_key) {
    Version v = 0;
    (void)Get(tag, user_key, nullptr, &v);
    return v;
  }

  void Put(Tag tag, std::string_view user_key, Value v, TimestampUs expire_at_us = 0) {
    KeyBuf k(st_.run, tag, user_key);
    WriteEntry& w = st_.UpsertWrite(k.view());
    w.kind = WriteKind::kPut;
    w.value = std::move(v);
    w.expire_at_us = expire_at_us;
    w.json_ops.clear();
    w.json_paths.clear();
  }
  void Delete(Tag tag, std::string_view user_key) {
    KeyBuf k(st_.run, tag, user_key);
    WriteEntry& w = st_.UpsertWrite(k.view());
    w.kind = WriteKind::kDelete;
    w.value = Value();
    w.expire_at_us = 0;
    w.json_ops.clear();
    w.json_paths.clear();
  }

  // Ordered scan of live keys under (tag, prefix) merged with own writes. fn(user_key, value,
  // version) -> keep going; version 0 marks an own uncommitted write. Keys seen join the read set
  // (no predicate lock: phantoms are allowed). fn must not call back into this transaction.
  template <class F>
  Status Scan(Tag tag, std::string_view prefix, F&& fn) {
    KeyBuf kp(st_.run, tag, prefix);
    const std::string_view pre = kp.view();
    std::vector<const WriteEntry*> mine;
    for (const WriteEntry& w : st_.writes) {
      if (w.key.view().substr(0, pre.size()) == pre) mine.push_back(&w);
    }
    std::sort(mine.begin(), mine.end(),
              [](const WriteEntry* a, const WriteEntry* b) { return a->key < b->key; });
    size_t wi = 0;
    bool stopped = false;
    auto emit_own = [&](const WriteEntry* w) -> bool {
      if (w->kind == WriteKind::kDelete) return true;
      return fn(w->key.user_key(), w->value, Version{0});
    };
    Status s = p_.Scan(st_.snapshot, pre, st_.now_us,
                       [&](std::string_view key, const Value& v, Version ver) -> bool {
                         while (wi < mine.size() && mine[wi]->key.view() < key) {
                           if (!emit_own(mine[wi++])) return !(stopped = true);
                         }
                         st_.RecordRead(key, ver);
                         if (wi < mine.size() && mine[wi]->key.view() == key) {
                           if (!emit_own(mine[wi++])) return !(stopped = true);
                           return true;
                         }
                         if (!fn(key.substr(kKeyPrefixBytes), v, ver)) return !(stopped = true);
                         return true;
                       });
    if (!s.ok()) return s;
    while (!stopped && wi < mine.size()) {
      if (!emit_own(mine[wi++])) break;
    }
    return Status::OK();
  }

  // JSON documents with path-level conflicts. JsonRead registers only `path` as read.
  Status JsonRead(Tag tag, std::string_view user_key, const json_doc::Path& path, Value* doc,
                  Version* ver) {
    return JsonRead(tag, user_key, std::span<const json_doc::Path>(&path, 1), doc, ver);
  }
  // The same registering `paths`; none when the caller registers only what it writes (through
  // JsonWritePath), as a merge does: it reads nothing but the paths it writes.
  Status JsonRead(Tag tag, std::string_view user_key, std::span<const json_doc::Path> paths,
                  Value* doc, Version* ver) {
    KeyBuf k(st_.run, tag, user_key);
    if (const WriteEntry* w = st_.FindWrite(k.view())) {
      if (ver) *ver = 0;
      if (w->kind == WriteKind::kDelete) return Status::NotFound();
      if (doc) *doc = w->value;
      return Status::OK();
    }
    Version seen = 0;
    Status s = ReadCopy(p_, st_.snapshot, k.view(), st_.now_us, doc, &seen);
    if (s.ok()) {
      for (const json_doc::Path& path : paths) st_.RecordPathRead(k.view(), seen, path);
    } else {
      st_.RecordRead(k.view(), seen);  // absence is a whole-key fact
    }
    if (ver) *ver = seen;
    return s;
  }
  // Records a path write: `doc` is the document after applying `op` (read-your-writes), and the
  // op is replayed on the newest document at commit if another transaction changed other paths.
  void JsonWritePath(Tag tag, std::string_view user_key, Version seen, boost::json::value doc,
                     JsonPathOp op, const json_doc::Path& conflict_path) {
    JsonWritePath(tag, user_key, seen, std::move(doc), std::move(op),
                  std::span<const json_doc::Path>(&conflict_path, 1));
  }
  // The same with one op that writes several disjoint paths (a merge writes one per patch leaf).
  void JsonWritePath(Tag tag, std::string_view user_key, Version seen, boost::json::value doc,
                     JsonPathOp op, std::span<const json_doc::Path> conflict_paths) {
    KeyBuf k(st_.run, tag, user_key);
    const bool existed = st_.FindWrite(k.view()) != nullptr;
    WriteEntry& w = st_.UpsertWrite(k.view());
    if (existed && w.kind == WriteKind::kPut) {
      // The document was (re)created in this transaction: it is a whole-value write.
      w.value = std::move(doc);
      return;
    }
    if (!existed || w.kind != WriteKind::kJsonPaths) {
      w.kind = WriteKind::kJsonPaths;
      w.json_ops.clear();
      w.json_paths.clear();
    }
    w.value = std::move(doc);
    w.json_ops.push_back(std::move(op));
    for (const json_doc::Path& path : conflict_paths) {
      w.json_paths.push_back(path);
      st_.RecordPathRead(k.view(), seen, path);
    }
  }

 private:
  P& p_;
  TxnState& st_;
};

}  // namespace statelab
