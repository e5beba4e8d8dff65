// SnapshotRegistry on its own: acquire / release on a thread's slot, the horizon (minimum over
// busy slots and the published version), counts per slot, threads sharing a slot, many threads
// acquiring and releasing while another computes the horizon, and the per-slot count limit.
#include "engines/core/snapshot_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

namespace statelab {
namespace {

// The slot word keeps a 16-bit count (engines/core/snapshot_registry.h, kCountBits).
constexpr int kMaxPerSlot = (1 << 16) - 1;

TEST(SnapshotRegistry, IdleRegistryHorizonIsThePublishedVersion) {
  SnapshotRegistry r;
  std::atomic<Version> visible{0};
  EXPECT_EQ(r.Horizon(visible), 0u);
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  visible = 42;
  EXPECT_EQ(r.Horizon(visible), 42u);
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
}

TEST(SnapshotRegistry, AcquireReturnsThePublishedVersionAndHoldsTheHorizon) {
  SnapshotRegistry r;
  std::atomic<Version> visible{7};
  const Version s = r.Acquire(visible);
  EXPECT_EQ(s, 7u);
  EXPECT_EQ(r.ActiveSnapshots(), 1u);
  visible = 20;  // commits go on
  EXPECT_EQ(r.Horizon(visible), 7u);
  r.Release();
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 20u);
}

TEST(SnapshotRegistry, NestedSnapshotsOnOneSlotKeepTheOldestUntilTheSlotEmpties) {
  SnapshotRegistry r;
  std::atomic<Version> visible{3};
  EXPECT_EQ(r.Acquire(visible), 3u);
  visible = 5;
  EXPECT_EQ(r.Acquire(visible), 5u);
  visible = 9;
  EXPECT_EQ(r.Acquire(visible), 9u);
  EXPECT_EQ(r.ActiveSnapshots(), 3u);
  visible = 12;
  EXPECT_EQ(r.Horizon(visible), 3u);
  // A slot keeps one minimum and a count: releasing does not say which snapshot ended, so the
  // minimum stays (conservatively) until the count reaches zero.
  r.Release();
  EXPECT_EQ(r.ActiveSnapshots(), 2u);
  EXPECT_EQ(r.Horizon(visible), 3u);
  r.Release();
  EXPECT_EQ(r.ActiveSnapshots(), 1u);
  EXPECT_EQ(r.Horizon(visible), 3u);
  r.Release();
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 12u);
  // The slot is idle again: a new snapshot starts a new minimum.
  EXPECT_EQ(r.Acquire(visible), 12u);
  visible = 13;
  EXPECT_EQ(r.Horizon(visible), 12u);
  r.Release();
  EXPECT_EQ(r.Horizon(visible), 13u);
}

TEST(SnapshotRegistry, RegistriesAreIndependent) {
  SnapshotRegistry a, b;
  std::atomic<Version> visible{4};
  EXPECT_EQ(a.Acquire(visible), 4u);
  visible = 10;
  EXPECT_EQ(a.Horizon(visible), 4u);
  EXPECT_EQ(b.Horizon(visible), 10u);
  EXPECT_EQ(b.ActiveSnapshots(), 0u);
  a.Release();
}

TEST(SnapshotRegistry, GuardReleasesOnScopeExit) {
  SnapshotRegistry r;
  std::atomic<Version> visible{6};
  {
    SnapshotGuard g(r, visible);
    EXPECT_EQ(g.version(), 6u);
    EXPECT_EQ(r.ActiveSnapshots(), 1u);
    visible = 8;
    EXPECT_EQ(r.Horizon(visible), 6u);
  }
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 8u);
}

// Two threads started one after the other get consecutive (so distinct) slots.
TEST(SnapshotRegistry, HorizonIsTheMinimumOverBusySlots) {
  SnapshotRegistry r;
  std::atomic<Version> visible{10};
  std::atomic<int> step{0};
  auto wait_for = [&step](int s) {
    for (int now = step.load(); now < s; now = step.load()) step.wait(now);
  };
  auto advance = [&step] {
    step.fetch_add(1);
    step.notify_all();
  };
  Version got_a = 0, got_b = 0;
  std::thread a([&] {
    got_a = r.Acquire(visible);  // at 10
    advance();                   // 1
    wait_for(3);
    r.Release();
    advance();  // 4
  });
  wait_for(1);
  visible = 15;
  std::thread b([&] {
    got_b = r.Acquire(visible);  // at 15
    advance();                   // 2
    wait_for(5);
    r.Release();
    advance();  // 6
  });
  wait_for(2);
  EXPECT_EQ(got_a, 10u);
  EXPECT_EQ(got_b, 15u);
  visible = 30;
  EXPECT_EQ(r.ActiveSnapshots(), 2u);
  EXPECT_EQ(r.Horizon(visible), 10u);
  advance();  // 3: a releases
  wait_for(4);
  EXPECT_EQ(r.ActiveSnapshots(), 1u);
  EXPECT_EQ(r.Horizon(visible), 15u);
  advance();  // 5: b releases
  wait_for(6);
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 30u);
  a.join();
  b.join();
}

// Slots are handed to threads round robin over 64 slots, so the 65th thread to take a slot after
// a given thread shares it. A shared slot keeps the older minimum while either thread holds a
// snapshot: the horizon stays safe (never above a held snapshot), only conservative.
TEST(SnapshotRegistry, ThreadsSharingASlotKeepTheOlderMinimum) {
  constexpr int kSlots = 64;
  SnapshotRegistry r;
  std::atomic<Version> visible{5};
  std::atomic<bool> first_holds{false}, release_first{false}, first_done{false};
  std::thread first([&] {
    EXPECT_EQ(r.Acquire(visible), 5u);
    first_holds = true;
    first_holds.notify_all();
    release_first.wait(false);
    r.Release();
    first_done = true;
    first_done.notify_all();
  });
  first_holds.wait(false);
  visible = 6;
  // 63 more threads, one at a time, each taking the next slot once.
  for (int i = 1; i < kSlots; ++i) {
    std::thread t([&] {
      (void)r.Acquire(visible);
      r.Release();
    });
    t.join();
  }
  EXPECT_EQ(r.ActiveSnapshots(), 1u);
  visible = 50;
  std::atomic<bool> last_holds{false}, release_last{false};
  std::thread last([&] {
    EXPECT_EQ(r.Acquire(visible), 50u);  // the first thread's slot
    last_holds = true;
    last_holds.notify_all();
    release_last.wait(false);
    r.Release();
  });
  last_holds.wait(false);
  EXPECT_EQ(r.ActiveSnapshots(), 2u);
  visible = 60;
  EXPECT_EQ(r.Horizon(visible), 5u);
  release_first = true;
  release_first.notify_all();
  first_done.wait(false);
  // The remaining snapshot reads at 50, and the shared slot still says 5: safe, conservative.
  EXPECT_EQ(r.ActiveSnapshots(), 1u);
  EXPECT_EQ(r.Horizon(visible), 5u);
  release_last = true;
  release_last.notify_all();
  last.join();
  first.join();
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 60u);
}

// Readers acquire and release while a committer publishes new versions and a collector computes
// horizons, as garbage collection would. Two checks of "no horizon exceeds a held snapshot":
//   - the collector publishes the highest horizon it has computed (what GC may have pruned to);
//     a snapshot Acquire returns must be at or above it;
//   - each reader publishes the version it holds (after Acquire returns, cleared before
//     Release); a horizon must be at or below every snapshot seen held after it was computed.
// (Horizons may go backwards: a snapshot that read `visible` before a horizon was computed can
// register its older minimum afterwards; Acquire then returns the newer version, which is safe.)
TEST(SnapshotRegistry, ConcurrentHorizonNeverExceedsAHeldSnapshot) {
  constexpr int kReaders = 4;
  constexpr int kRoundsPerReader = 200000;
  constexpr Version kNotHeld = std::numeric_limits<Version>::max();
  SnapshotRegistry r;
  std::atomic<Version> visible{1};
  std::array<std::atomic<Version>, kReaders> held;
  for (auto& h : held) h = kNotHeld;
  std::atomic<Version> pruned_to{0};  // the highest horizon computed so far
  std::atomic<int> readers_done{0};
  std::atomic<int> reader_errors{0}, below_horizon{0};

  std::vector<std::thread> readers;
  readers.reserve(kReaders);
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      Version last = 0;
      for (int round = 0; round < kRoundsPerReader; ++round) {
        const int depth = 1 + round % 3;  // nested snapshots on one slot too
        for (int d = 0; d < depth; ++d) {
          const Version s = r.Acquire(visible);
          if (s < pruned_to.load()) ++below_horizon;
          if (s < last || s > visible.load()) ++reader_errors;
          if (d == 0) held[i].store(s);
          last = s;
        }
        // Hold it for a while, so horizons are computed while it is held.
        for (int spin = 0; spin < 4; ++spin) {
          if (visible.load() < last) ++reader_errors;
        }
        held[i].store(kNotHeld);
        for (int d = 0; d < depth; ++d) r.Release();
      }
      readers_done.fetch_add(1);
    });
  }
  std::thread committer([&] {
    while (readers_done.load() < kReaders) visible.fetch_add(1);
  });

  uint64_t violations = 0, checks = 0;
  while (readers_done.load() < kReaders) {
    const Version h = r.Horizon(visible);
    if (h > pruned_to.load()) pruned_to.store(h);  // the only writer
    for (const auto& slot : held) {
      const Version s = slot.load();
      if (s == kNotHeld) continue;
      ++checks;
      if (h > s) ++violations;
    }
  }
  committer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(below_horizon.load(), 0);
  EXPECT_EQ(violations, 0u) << "of " << checks << " checks";
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), visible.load());
}

TEST(SnapshotRegistry, FullSlotCountsEveryHeldSnapshot) {
  SnapshotRegistry r;
  std::atomic<Version> visible{1};
  EXPECT_EQ(r.Acquire(visible), 1u);
  visible = 2;
  for (int i = 1; i < kMaxPerSlot; ++i) (void)r.Acquire(visible);
  EXPECT_EQ(r.ActiveSnapshots(), static_cast<size_t>(kMaxPerSlot));
  visible = 3;
  EXPECT_EQ(r.Horizon(visible), 1u);
  for (int i = 0; i < kMaxPerSlot; ++i) r.Release();
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 3u);
}

// One more snapshot than a slot's 16-bit count can hold.
TEST(SnapshotRegistry, SlotCountOverflowKeepsTheHorizon) {
  // The 65536th snapshot held on one slot must not carry into the minimum field (it once did:
  // the slot then read as idle and garbage collection could prune versions still being read).
  SnapshotRegistry r;
  std::atomic<Version> visible{1};
  EXPECT_EQ(r.Acquire(visible), 1u);
  visible = 2;
  for (int i = 0; i < kMaxPerSlot; ++i) (void)r.Acquire(visible);  // 65536 held
  visible = 3;
  EXPECT_EQ(r.Horizon(visible), 1u);
  EXPECT_EQ(r.ActiveSnapshots(), static_cast<size_t>(kMaxPerSlot) + 1);
  for (int i = 0; i <= kMaxPerSlot; ++i) r.Release();
  EXPECT_EQ(r.ActiveSnapshots(), 0u);
  EXPECT_EQ(r.Horizon(visible), 3u);
}

}  // namespace
}  // namespace statelab
