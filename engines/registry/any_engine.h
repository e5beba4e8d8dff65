#pragma once
// AnyEngine: the thin virtual wrapper for picking an engine by name at run time. It satisfies
// the same Engine concept, so one benchmark body runs both ways and the cost of the indirection
// is a measured ratio. One virtual call per partition operation; nothing else changes.
// Thread-safety: as the wrapped engine (all public methods thread-safe).

#include <absl/functional/function_ref.h>

#include <memory>
#include <string_view>

#include "engines/api/engine.h"
#include "engines/core/txn_state.h"
#include "engines/durability/durable_state.h"

namespace statelab {

class AnyPartition {
 public:
  using ViewFn = absl::FunctionRef<void(const Value&, TimestampUs)>;
  using ScanFn = absl::FunctionRef<bool(std::string_view, const Value&, Version)>;
  virtual ~AnyPartition() = default;
  virtual Version AcquireSnapshot() noexcept = 0;
  virtual void ReleaseSnapshot() noexcept = 0;
  virtual Status ViewErased(Version snap, std::string_view key, TimestampUs& now, ViewFn fn,
                            Version* ver) noexcept = 0;
  virtual Status ScanErased(Version snap, std::string_view prefix, TimestampUs& now, ScanFn fn) = 0;
  virtual Result<CommitTicket> Commit(TxnState& t) = 0;

  template <class F>
  Status View(Version snap, std::string_view key, TimestampUs& now, F&& fn, Version* ver) noexcept {
    return ViewErased(snap, key, now, ViewFn(fn), ver);
  }
  template <class F>
  Status Scan(Version snap, std::string_view prefix, TimestampUs& now, F&& fn) {
    return ScanErased(snap, prefix, now, ScanFn(fn));
  }
};

class AnyEngine {
 public:
  using Partition = AnyPartition;
  using PartitionFn = absl::FunctionRef<Status(AnyPartition&)>;
  static constexpr std::string_view kName = "any";

  // Opens the engine named by opts.engine (the names are in engines/registry/engine_list.h).
  static Result<std::unique_ptr<AnyEngine>> Open(const DbOptions& opts);
  virtual ~AnyEngine() = default;

  virtual std::string_view name() const noexcept = 0;
  virtual Status ExecuteErased(const RunId& run, PartitionFn fn) = 0;
  virtual Status ForEachPartitionErased(PartitionFn fn) = 0;
  virtual Status WaitDurable(CommitTicket t, bool force) = 0;
  virtual Status Flush() = 0;
  virtual Status Snapshot() = 0;
  virtual Status Close() = 0;
  virtual DurabilityMode mode() const = 0;
  virtual EngineStats Stats() const = 0;
  virtual TxnCounters& txn_counters() noexcept = 0;
  virtual bool serial_runs() const noexcept = 0;
  virtual const RecoveryReport& recovery() const = 0;
  virtual DurableState* durable_state(const RunId& run) noexcept = 0;

  template <class F>
  Status Execute(const RunId& run, F&& fn) {
    return ExecuteErased(run, PartitionFn(fn));
  }
  template <class F>
  Status ForEachPartition(F&& fn) {
    return ForEachPartitionErased(PartitionFn(fn));
  }
};

// Adapts one concrete partition; lives on the stack for one Execute call.
template <Partition P>
class PartitionAdapter final : public AnyPartition {
 public:
  explicit PartitionAdapter(P& p) noexcept : p_(p) {}
  Version AcquireSnapshot() noexcept override { return p_.AcquireSnapshot(); }
  void ReleaseSnapshot() noexcept override { p_.ReleaseSnapshot(); }
  Status ViewErased(Version snap, std::string_view key, TimestampUs& now, ViewFn fn,
                    Version* ver) noexcept override {
    return p_.View(snap, key, now, fn, ver);
  }
  Status ScanErased(Version snap, std::string_view prefix, TimestampUs& now, ScanFn fn) override {
    return p_.Scan(snap, prefix, now, fn);
  }
  Result<CommitTicket> Commit(TxnState& t) override { return p_.Commit(t); }

 private:
  P& p_;
};

template <Engine E>
class AnyEngineImpl final : public AnyEngine {
 public:
  explicit AnyEngineImpl(std::unique_ptr<E> e) noexcept : e_(std::move(e)) {}
  std::string_view name() const noexcept override { return E::kName; }
  Status ExecuteErased(const RunId& run, PartitionFn fn) override {
    return e_->Execute(run, [&](typename E::Partition& p) {
      PartitionAdapter<typename E::Partition> a(p);
      return fn(a);
    });
  }
  Status ForEachPartitionErased(PartitionFn fn) override {
    return e_->ForEachPartition([&](typename E::Partition& p) {
      PartitionAdapter<typename E::Partition> a(p);
      return fn(a);
    });
  }
  Status WaitDurable(CommitTicket t, bool force) override { return e_->WaitDurable(t, force); }
  Status Flush() override { return e_->Flush(); }
  Status Snapshot() override { return e_->Snapshot(); }
  Status Close() override { return e_->Close(); }
  const RecoveryReport& recovery() const override { return e_->recovery(); }
  DurableState* durable_state(const RunId& run) noexcept override { return e_->durable_state(run); }
  DurabilityMode mode() const override { return e_->mode(); }
  bool serial_runs() const noexcept override { return e_->serial_runs(); }
  EngineStats Stats() const override { return e_->Stats(); }
  TxnCounters& txn_counters() noexcept override { return e_->txn_counters(); }
  E& concrete() noexcept { return *e_; }

 private:
  std::unique_ptr<E> e_;
};

static_assert(Partition<AnyPartition>);
static_assert(Engine<AnyEngine>);

}  // namespace statelab
