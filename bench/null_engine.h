#pragma once
// NullEngine: satisfies the Engine concept and stores nothing: every read misses, a commit only
// hands out the next version. The catalogue runs the same bodies on it as on the real engines, so
// its numbers are the harness floor (loop, timer sampling, key handling, the transaction driver)
// and an engine's cost is what it adds on top. Ignores durability: its results say mode "n/a".
// For testing the verdict machinery only (--null-work, docs/compare.md), View, Scan and Commit can
// each spin a chosen number of iterations of a dependent arithmetic chain: a known amount of CPU
// work per op, in time and in instructions.
// Thread-safety: all methods are thread-safe; SetWork is meant to be called before a run.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "engines/api/engine.h"
#include "engines/core/txn_state.h"
#include "engines/durability/durable_state.h"

namespace statelab::bench {

class NullEngine {
 public:
  static constexpr std::string_view kName = "null";
  using Partition = NullEngine;

  // Iterations of the work chain per View, Scan and Commit (0 = none, the default).
  static void SetWork(uint64_t iterations) noexcept {
    work_.store(iterations, std::memory_order_relaxed);
  }
  static uint64_t work() noexcept { return work_.load(std::memory_order_relaxed); }

  static Result<std::unique_ptr<NullEngine>> Open(const DbOptions&) {
    return std::make_unique<NullEngine>();
  }

  template <class F>
  Status Execute(const RunId&, F&& fn) {
    return fn(*this);
  }
  template <class F>
  Status ForEachPartition(F&& fn) {
    return fn(*this);
  }
  Status WaitDurable(CommitTicket, bool) { return Status::OK(); }
  Status Flush() { return Status::OK(); }
  Status Snapshot() { return Status::OK(); }
  Status Close() { return Status::OK(); }
  DurabilityMode mode() const noexcept { return DurabilityMode::kInMemory; }
  bool serial_runs() const noexcept { return false; }
  EngineStats Stats() const {
    EngineStats s;
    s.commits = version_.load(std::memory_order_relaxed);
    return s;
  }
  TxnCounters& txn_counters() noexcept { return txn_counters_; }
  const RecoveryReport& recovery() const noexcept { return report_; }
  DurableState* durable_state(const RunId&) noexcept { return nullptr; }

  // Partition.
  Version AcquireSnapshot() noexcept { return version_.load(std::memory_order_acquire); }
  void ReleaseSnapshot() noexcept {}
  template <class F>
  Status View(Version, std::string_view, TimestampUs, F&&, Version* ver) noexcept {
    Spin();
    if (ver != nullptr) *ver = 0;
    return Status::NotFound();
  }
  template <class F>
  Status Scan(Version, std::string_view, TimestampUs, F&&) {
    Spin();
    return Status::OK();
  }
  Result<CommitTicket> Commit(TxnState&) {
    Spin();
    return CommitTicket{version_.fetch_add(1, std::memory_order_acq_rel) + 1, 0};
  }

 private:
  // Each step depends on the previous one (no overlap, no vectorizing) and the empty asm keeps the
  // compiler from folding the loop: cost grows linearly with the work setting.
  static void Spin() noexcept {
    const uint64_t n = work_.load(std::memory_order_relaxed);
    uint64_t x = n;
    for (uint64_t i = 0; i < n; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));
    }
  }

  static inline std::atomic<uint64_t> work_{0};
  std::atomic<Version> version_{0};
  RecoveryReport report_;
  TxnCounters txn_counters_;
};

static_assert(Engine<NullEngine>);

}  // namespace statelab::bench
