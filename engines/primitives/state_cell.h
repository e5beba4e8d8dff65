#pragma once
// StateCell: named, versioned cells for coordination. init, read, set, cas, delete, exists, list,
// transition (read-modify-write with a pure function, retried on conflict), transition_or_init.
// A cell's version is its key's commit version; a deleted cell keeps its tombstone's version (as
// KV does), so cas(name, 0, ...) on a deleted cell reports that version.
// StateOps<P> works inside a transaction; StateCell<E> is the facade.
// Thread-safety: StateOps belongs to its transaction's thread; StateCell is thread-safe.

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "engines/core/run_transaction.h"
#include "engines/primitives/facade_util.h"

namespace statelab {

// InvalidArgument naming `name`: non-empty, at most kMaxUserKeyBytes.
Status CheckCellName(std::string_view name);

// A transition function: Result<Value>(const Value& current). It must be pure (it may run once
// per conflict retry).
template <class F>
concept TransitionFn = std::invocable<const F&, const Value&> &&
    std::same_as<std::invoke_result_t<const F&, const Value&>, Result<Value>>;

template <Partition P>
class StateOps {
 public:
  explicit StateOps(Txn<P>& t) noexcept : t_(t) {}

  // AlreadyExists when the cell exists.
  Status Init(std::string_view name, Value v) {
    STATELAB_RETURN_IF_ERROR(CheckWrite(name, v));
    Status s = t_.Get(Tag::kState, name, nullptr);
    if (s.ok()) return Status::AlreadyExists("state cell " + std::string(name));
    if (!s.IsNotFound()) return s;
    t_.Put(Tag::kState, name, std::move(v));
    return Status::OK();
  }
  // NotFound when absent; *ver is 0 for this transaction's own writes.
  Status Read(std::string_view name, Value* out, Version* ver = nullptr) {
    STATELAB_RETURN_IF_ERROR(CheckCellName(name));
    return t_.Get(Tag::kState, name, out, ver);
  }
  Result<Versioned> Read(std::string_view name) {
    Versioned v;
    STATELAB_RETURN_IF_ERROR(Read(name, &v.value, &v.version));
    return v;
  }
  // Creates or overwrites (a blind write: it does not conflict with concurrent writers).
  Status Set(std::string_view name, Value v) {
    STATELAB_RETURN_IF_ERROR(CheckWrite(name, v));
    t_.Put(Tag::kState, name, std::move(v));
    return Status::OK();
  }
  // Writes only if the cell's version is `expected` (0 = never existed); otherwise
  // VersionMismatch{expected, actual}.
  Status Cas(std::string_view name, Version expected, Value v) {
    STATELAB_RETURN_IF_ERROR(CheckWrite(name, v));
    const Version actual = t_.ReadVersion(Tag::kState, name);
    if (actual != expected) return Status::VersionMismatch(expected, actual);
    t_.Put(Tag::kState, name, std::move(v));
    return Status::OK();
  }
  // Returns whether the cell existed.
  Result<bool> Delete(std::string_view name) {
    STATELAB_ASSIGN_OR_RETURN(bool existed, Exists(name));
    if (existed) t_.Delete(Tag::kState, name);
    return existed;
  }
  Result<bool> Exists(std::string_view name) {
    Status s = Read(name, nullptr);
    if (s.ok()) return true;
    if (s.IsNotFound()) return false;
    return s;
  }
  // Every cell name, in byte order.
  Result<std::vector<std::string>> List() {
    std::vector<std::string> names;
    STATELAB_RETURN_IF_ERROR(
        t_.Scan(Tag::kState, "", [&](std::string_view k, const Value&, Version) {
          names.emplace_back(k);
          return true;
        }));
    return names;
  }
  // Writes fn(current); NotFound when the cell is absent. The version is 0 (uncommitted).
  template <TransitionFn F>
  Result<Versioned> Transition(std::string_view name, const F& fn) {
    Value current;
    STATELAB_RETURN_IF_ERROR(Read(name, &current));
    return Apply(name, current, fn);
  }
  // As Transition, starting from `init` when the cell is absent: writes fn(current or init).
  template <TransitionFn F>
  Result<Versioned> TransitionOrInit(std::string_view name, const Value& init, const F& fn) {
    Value current;
    Status s = Read(name, &current);
    if (s.IsNotFound()) {
      current = init;
    } else if (!s.ok()) {
      return s;
    }
    return Apply(name, current, fn);
  }

 private:
  Status CheckWrite(std::string_view name, const Value& v) {
    STATELAB_RETURN_IF_ERROR(CheckCellName(name));
    return CheckValue("value", v);
  }
  template <class F>
  Result<Versioned> Apply(std::string_view name, const Value& current, const F& fn) {
    STATELAB_ASSIGN_OR_RETURN(Value next, fn(current));
    STATELAB_RETURN_IF_ERROR(Set(name, next));
    return Versioned{std::move(next), 0};
  }

  Txn<P>& t_;
};

template <Engine E>
class StateCell {
 public:
  using P = typename E::Partition;
  explicit StateCell(E& e) noexcept : e_(e) {}

  Result<Version> Init(const RunId& run, std::string_view name, Value v, const TxnOptions& o = {}) {
    return Write(run, o, [&](StateOps<P>& s) { return s.Init(name, v); });
  }
  Result<Versioned> Read(const RunId& run, std::string_view name) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return StateOps<P>(t).Read(name); });
  }
  Result<Version> Set(const RunId& run, std::string_view name, Value v, const TxnOptions& o = {}) {
    return Write(run, o, [&](StateOps<P>& s) { return s.Set(name, v); });
  }
  // A lost race retries and then reports VersionMismatch with the winner's version.
  Result<Version> Cas(const RunId& run, std::string_view name, Version expected, Value v,
                      const TxnOptions& o = {}) {
    return Write(run, o, [&](StateOps<P>& s) { return s.Cas(name, expected, v); });
  }
  Result<bool> Delete(const RunId& run, std::string_view name, const TxnOptions& o = {}) {
    bool existed = false;
    STATELAB_RETURN_IF_ERROR(Write(run, o, [&](StateOps<P>& s) -> Status {
                               STATELAB_ASSIGN_OR_RETURN(existed, s.Delete(name));
                               return Status::OK();
                             }).status());
    return existed;
  }
  Result<bool> Exists(const RunId& run, std::string_view name) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return StateOps<P>(t).Exists(name); });
  }
  Result<std::vector<std::string>> List(const RunId& run) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return StateOps<P>(t).List(); });
  }
  // Retries conflicts as every write does (o.retry, o.timeout): once they are spent, Conflict
  // with the attempts and the time spent. Returns the new value and its commit version.
  template <TransitionFn F>
  Result<Versioned> Transition(const RunId& run, std::string_view name, const F& fn,
                               const TxnOptions& o = {}) {
    return WriteOp(e_, run, o, [&](Txn<P>& t) { return StateOps<P>(t).Transition(name, fn); });
  }
  template <TransitionFn F>
  Result<Versioned> TransitionOrInit(const RunId& run, std::string_view name, const Value& init,
                                     const F& fn, const TxnOptions& o = {}) {
    return WriteOp(e_, run, o,
                   [&](Txn<P>& t) { return StateOps<P>(t).TransitionOrInit(name, init, fn); });
  }

 private:
  // f may run several times (conflict retries): it copies its inputs, never moves them.
  template <class F>
  Result<Version> Write(const RunId& run, const TxnOptions& o, F&& f) {
    return RunTransaction(
        e_, run,
        [&](Txn<P>& t) {
          StateOps<P> s(t);
          return f(s);
        },
        o);
  }

  E& e_;
};

}  // namespace statelab
