// engines/core/layer_timing.h with the option on (this file is compiled with
// STATELAB_LAYER_TIMING=1 whatever the build's setting): probes add their scope's time to the
// calling thread's slot and Snapshot() sums every thread's slots.
#include "engines/core/layer_timing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace statelab::layer_timing {
namespace {

static_assert(kEnabled, "this test must be compiled with STATELAB_LAYER_TIMING");

TEST(LayerTiming, ProbesSumPerLayerAcrossThreads) {
  const Totals before = Snapshot();
  auto work = [] {
    STATELAB_LAYER_PROBE(kSync);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  { STATELAB_LAYER_PROBE(kValidate); }
  const Totals after = Snapshot();
  EXPECT_EQ(after.count[kSync] - before.count[kSync], 2u);
  EXPECT_GE(after.ns[kSync] - before.ns[kSync], 4'000'000u);
  EXPECT_EQ(after.count[kValidate] - before.count[kValidate], 1u);
  EXPECT_EQ(after.count[kApply], before.count[kApply]);
  EXPECT_EQ(kLayerNames[kSync], "sync");
}

}  // namespace
}  // namespace statelab::layer_timing
