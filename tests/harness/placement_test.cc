#include "harness/placement.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "harness/pinning.h"

namespace statelab::harness {
namespace {

// A thread pinned to one PU is observed only there.
TEST(PlacementTest, PinnedThreadIsObservedOnItsPu) {
  const Topology& topo = Topology::Get();
  if (!topo.ok() || topo.PinOrder().empty()) GTEST_SKIP() << topo.error();
  std::vector<PuSampleCount> seen;
  PinResult pin;
  std::thread([&] {
    pin = topo.PinCurrentThread(topo.PinOrder().size() - 1);
    PuSamples s;
    for (int i = 0; i < 100; ++i) s.Sample();
    seen = s.ToBaseline();
  }).join();
  ASSERT_TRUE(pin.pinned) << pin.reason;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].pu_os_index, pin.pu.pu_os_index);
  EXPECT_EQ(seen[0].samples, 100);
}

// A named thread that burns CPU between two snapshots is reported with its name and time; an
// excluded or idle one is not.
TEST(PlacementTest, OtherThreadsAreThoseThatRan) {
  std::atomic<int> phase{0};
  std::thread busy([&] {
    (void)pthread_setname_np(pthread_self(), "placement-busy");
    phase.store(1);
    while (phase.load() == 1) {
    }
  });
  while (phase.load() != 1) std::this_thread::yield();
  const auto before = SnapshotTasks();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto after = SnapshotTasks();
  phase.store(2);
  busy.join();
  const std::vector<ObservedThread> others = OtherThreads(before, after, {gettid()});
  bool found = false;
  for (const ObservedThread& t : others) {
    EXPECT_NE(t.tid, gettid());
    if (t.name == "placement-busy") {
      found = true;
      EXPECT_GT(t.cpu_ms, 0.0);
      EXPECT_GE(t.last_pu_os_index, 0);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace statelab::harness
