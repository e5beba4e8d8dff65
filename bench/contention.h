#pragma once
// Pieces of the multi-threaded cells (tier D, group commit, multi-threaded YCSB): a commit that
// counts its conflicts (retries are the harness's, so they can be counted), and a single-shot
// fixture body that runs one warm-up / measure / drain cycle of per-thread bodies.
// Thread-safety: each ThreadBody belongs to one thread.

#include <string>
#include <thread>
#include <vector>

#include "bench/catalogue_util.h"
#include "bench/phases.h"

namespace statelab::bench {

// Ops that keep conflicting this many times in a row are given up (counted, never hidden).
inline constexpr uint32_t kMaxAttempts = 100000;

// Runs fn(Txn<P>&) as a transaction until it commits, retrying conflicts itself (the driver's own
// retries are off) so every abort is counted. The first other failure is kept in *error.
template <class Eng, class F>
OpOutcome CountedCommit(Eng& e, const RunId& run, F&& fn, Status* error) {
  TxnOptions o;
  o.retry.max_retries = 0;
  OpOutcome out;
  for (;;) {
    Result<Version> r = RunTransaction(e, run, fn, o);
    if (r.ok()) return out;
    if (!r.status().IsConflict()) {
      if (error->ok()) *error = r.status();
      out.committed = false;
      return out;
    }
    if (++out.aborts >= kMaxAttempts) {
      out.committed = false;
      return out;
    }
    std::this_thread::yield();
  }
}

// An op that cannot conflict (a read; a peer's write) counted as one committed op; the first
// failure is kept in *error.
inline OpOutcome CountedRead(const Status& s, Status* error, bool allow_missing = false) {
  if (s.ok() || (allow_missing && s.IsNotFound())) return OpOutcome{};
  if (error->ok()) *error = s;
  return OpOutcome{false, 0};
}

// Index of thread t's op i into a shared index stream: each thread walks it from its own offset.
inline uint32_t ThreadIndex(const std::vector<uint32_t>& idx, uint64_t i, int t) {
  return idx[(i + static_cast<uint64_t>(t) * 7919) & kIndexMask];
}

// One measured cycle with `threads` bodies made by make(thread_index, &error_slot), a Status per
// thread so no two threads write one: fills the record (ops, latency, pinning, per-thread counts,
// fairness); `spec`'s hooks run around the measured phase; fails the call if any thread saw an
// error.
template <class Make>
void RunBodies(Measure& m, int threads, PhaseSpec spec, Make&& make) {
  std::vector<Status> errors(threads);
  using Body = decltype(make(0, &errors[0]));
  std::vector<Body> bodies;
  bodies.reserve(threads);
  for (int t = 0; t < threads; ++t) bodies.push_back(make(t, &errors[t]));
  spec.warmup_seconds = m.config().cell.warmup_seconds;
  spec.measure_seconds = m.config().cell.measure_seconds;
  m.Once([&] { return RunPhases(m, spec, bodies); });
  for (const Status& e : errors) {
    if (!e.ok()) m.Fail(e.ToString());
  }
}

// RunBodies on our database, plus the engine's commits, conflicts and syncs per commit over the
// measured phase. measured_threads: as PhaseSpec's (0 = every thread makes the record).
template <class Eng, class Make>
void RunContended(Measure& m, Database<Eng>& db, int threads, Make&& make,
                  int measured_threads = 0) {
  EngineStats before, after;
  PhaseSpec spec;
  spec.measured_threads = measured_threads;
  spec.at_measure_start = [&] { before = db.Stats(); };
  spec.at_measure_end = [&] { after = db.Stats(); };
  RunBodies(m, threads, std::move(spec), make);
  const uint64_t commits = after.commits - before.commits;
  m.Extra("engine_commits", static_cast<double>(commits));
  m.Extra("engine_conflicts", static_cast<double>(after.conflicts - before.conflicts));
  m.Extra("engine_wal_syncs", static_cast<double>(after.wal_syncs - before.wal_syncs));
  if (db.mode() != DurabilityMode::kInMemory && commits > 0) {
    const auto syncs = static_cast<double>(after.wal_syncs - before.wal_syncs);
    m.Extra("syncs_per_commit", syncs / static_cast<double>(commits));
    if (syncs > 0) m.Extra("mean_group_size", static_cast<double>(commits) / syncs);
  }
}

}  // namespace statelab::bench
