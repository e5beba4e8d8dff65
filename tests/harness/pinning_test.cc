#include "harness/pinning.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

namespace statelab::harness {
namespace {

TEST(PinningTest, OrderPhysicalCoresFirstThenSiblings) {
  // Two cores with two PUs each, OS numbering interleaved as Linux often does (0,2 on core 0).
  std::vector<PuInfo> pus = {{0, 0, 0}, {2, 0, 1}, {1, 1, 0}, {3, 1, 1}};
  const auto order = OrderPhysicalFirst(pus);
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0].pu_os_index, 0);
  EXPECT_EQ(order[1].pu_os_index, 1);
  EXPECT_EQ(order[2].pu_os_index, 2);
  EXPECT_EQ(order[3].pu_os_index, 3);
  EXPECT_FALSE(order[1].smt_sibling());
  EXPECT_TRUE(order[2].smt_sibling());
}

TEST(PinningTest, PinsThreadToFirstPu) {
  const Topology& topo = Topology::Get();
  if (!topo.ok()) GTEST_SKIP() << "hwloc unavailable: " << topo.error();
  ASSERT_FALSE(topo.PinOrder().empty());
  PinResult r;
  int cpu_after = -1;
  std::thread([&] {
    r = topo.PinCurrentThread(0);
    cpu_after = sched_getcpu();
  }).join();
  ASSERT_TRUE(r.pinned) << r.reason;
  EXPECT_EQ(r.pu, topo.PinOrder()[0]);
  EXPECT_EQ(cpu_after, r.pu.pu_os_index);
  EXPECT_FALSE(r.Describe().empty());
}

TEST(PinningTest, OversubscriptionWrapsAndSaysSo) {
  const Topology& topo = Topology::Get();
  if (!topo.ok()) GTEST_SKIP() << "hwloc unavailable: " << topo.error();
  PinResult r;
  std::thread([&] { r = topo.PinCurrentThread(topo.PinOrder().size()); }).join();
  ASSERT_TRUE(r.pinned) << r.reason;
  EXPECT_TRUE(r.oversubscribed);
  EXPECT_EQ(r.pu, topo.PinOrder()[0]);
}

TEST(PinningTest, BaselineRecord) {
  PinResult ok;
  ok.pinned = true;
  ok.pu = {3, 1, 1};
  PinResult bad;
  bad.reason = "hwloc_set_cpubind: Invalid argument";
  Pinning p = ToBaselinePinning({ok});
  EXPECT_TRUE(p.pinned);
  ASSERT_EQ(p.threads.size(), 1u);
  EXPECT_EQ(p.threads[0].pu_os_index, 3);
  EXPECT_TRUE(p.threads[0].smt_sibling);
  p = ToBaselinePinning({ok, bad});
  EXPECT_FALSE(p.pinned);
  EXPECT_NE(p.reason.find("thread 1"), std::string::npos);
}

}  // namespace
}  // namespace statelab::harness
