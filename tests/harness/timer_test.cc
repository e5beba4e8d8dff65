#include "harness/timer.h"

#include <gtest/gtest.h>

#include <thread>

namespace statelab::harness {
namespace {

TEST(TimerTest, MonotonicAndMeasuresSleep) {
  const int64_t a = Timer::NowNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t b = Timer::NowNs();
  EXPECT_GE(b - a, 5'000'000);
}

TEST(TimerTest, OverheadIsPositiveAndSmall) {
  const double overhead = MeasureTimerOverheadNs(2000, 5);
  EXPECT_GT(overhead, 0.0);
  EXPECT_LT(overhead, 10'000.0);  // Generous: only catches a broken measurement.
}

}  // namespace
}  // namespace statelab::harness
