#include "harness/perf_counters.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>

#include <cerrno>
#include <vector>

namespace statelab::harness {
namespace {

GroupRead Group(uint64_t enabled, uint64_t running, std::vector<uint64_t> values) {
  std::vector<uint64_t> words = {values.size(), enabled, running};
  words.insert(words.end(), values.begin(), values.end());
  auto r = ParseGroupRead(words);
  EXPECT_TRUE(r.has_value());
  return r.value_or(GroupRead{});
}

TEST(PerfParseTest, ParsesGroupLayout) {
  const std::vector<uint64_t> words = {5, 1000, 900, 11, 22, 33, 44, 55};
  auto r = ParseGroupRead(words);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->nr, 5u);
  EXPECT_EQ(r->time_enabled, 1000u);
  EXPECT_EQ(r->time_running, 900u);
  EXPECT_EQ(r->values[0], 11u);
  EXPECT_EQ(r->values[4], 55u);
}

TEST(PerfParseTest, RejectsMalformedGroupBuffers) {
  EXPECT_FALSE(ParseGroupRead(std::vector<uint64_t>{}).has_value());
  EXPECT_FALSE(ParseGroupRead(std::vector<uint64_t>{5, 10, 10, 1, 2}).has_value());  // Short.
  EXPECT_FALSE(ParseGroupRead(std::vector<uint64_t>{0, 10, 10}).has_value());        // nr = 0.
  EXPECT_FALSE(ParseGroupRead(std::vector<uint64_t>(3 + 100, 100)).has_value());     // nr huge.
  EXPECT_FALSE(ParseGroupRead(std::vector<uint64_t>{1, 10, 20, 1}).has_value());  // running>enabled
}

TEST(PerfParseTest, ParsesSingleLayout) {
  auto r = ParseSingleRead(std::vector<uint64_t>{7, 100, 100});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->value, 7u);
  EXPECT_FALSE(ParseSingleRead(std::vector<uint64_t>{7, 100}).has_value());
}

TEST(PerfScaleTest, EnabledTwiceRunningDoublesCounts) {
  EXPECT_EQ(ScaleCount(1000, 2000, 1000), 2000.0);
  EXPECT_EQ(ScaleCount(1000, 1000, 1000), 1000.0);
}

TEST(PerfScaleTest, NeverRunningIsUnavailableNotZero) {
  EXPECT_FALSE(ScaleCount(0, 1000, 0).has_value());
  EXPECT_FALSE(ScaleCount(0, 0, 0).has_value());
}

TEST(PerfScaleTest, GroupDeltaScalesEveryMember) {
  const GroupRead begin = Group(1000, 1000, {100, 200, 10, 20, 5});
  // Next interval: enabled +2000, running +1000 (multiplexed half the time).
  const GroupRead end = Group(3000, 2000, {1100, 2200, 20, 40, 6});
  const PerfSample s = HwDelta(begin, end);
  ASSERT_TRUE(s.hw_available) << s.reason;
  EXPECT_EQ(s.hw[kInstructions], 2000.0);
  EXPECT_EQ(s.hw[kCycles], 4000.0);
  EXPECT_EQ(s.hw[kBranchMisses], 20.0);
  EXPECT_EQ(s.hw[kL1dReadMisses], 40.0);
  EXPECT_EQ(s.hw[kLlcMisses], 2.0);
  EXPECT_EQ(s.hw_running_fraction, 0.5);
}

TEST(PerfScaleTest, GroupNeverScheduledHasNoValues) {
  const GroupRead begin = Group(1000, 500, {1, 2, 3, 4, 5});
  const GroupRead end = Group(5000, 500, {1, 2, 3, 4, 5});
  const PerfSample s = HwDelta(begin, end);
  EXPECT_FALSE(s.hw_available);
  EXPECT_FALSE(s.reason.empty());
  for (const auto& v : s.hw) EXPECT_FALSE(v.has_value());
  const Counters c = CountersPerOp(s, 100);
  EXPECT_FALSE(c.available);
  EXPECT_FALSE(c.instructions_per_op.has_value());
  EXPECT_FALSE(c.ipc.has_value());
}

TEST(PerfScaleTest, CountersPerOpAndIpc) {
  PerfSample s = HwDelta(Group(0, 0, {0, 0, 0, 0, 0}), Group(100, 100, {4000, 2000, 10, 30, 2}));
  s.sw[kTaskClock] = 5000.0;
  s.sw[kContextSwitches] = 3.0;
  const Counters c = CountersPerOp(s, 1000);
  EXPECT_TRUE(c.available);
  EXPECT_EQ(c.instructions_per_op, 4.0);
  EXPECT_EQ(c.cycles_per_op, 2.0);
  EXPECT_EQ(c.ipc, 2.0);
  EXPECT_EQ(c.branch_misses_per_op, 0.01);
  EXPECT_EQ(c.task_clock_ns_per_op, 5.0);
  EXPECT_EQ(c.context_switches, 3.0);
  EXPECT_FALSE(c.page_faults.has_value());  // Never set: absent, not 0.
}

TEST(PerfScaleTest, AccumulateKeepsMissingMissing) {
  PerfSample a = HwDelta(Group(0, 0, {0, 0, 0, 0, 0}), Group(100, 100, {10, 10, 1, 1, 1}));
  PerfSample b = HwDelta(Group(0, 0, {0, 0, 0, 0, 0}), Group(100, 50, {10, 10, 1, 1, 1}));
  a.sw[kPageFaults] = 1.0;
  PerfSample total = a;
  total.Accumulate(b);
  EXPECT_TRUE(total.hw_available);
  EXPECT_EQ(total.hw[kInstructions], 30.0);
  EXPECT_EQ(total.hw_running_fraction, 0.5);
  EXPECT_FALSE(total.sw[kPageFaults].has_value());  // b had none: no partial total.
  PerfSample none;
  none.reason = "refused";
  total.Accumulate(none);
  EXPECT_FALSE(total.hw_available);
  EXPECT_FALSE(total.hw[kInstructions].has_value());
}

// A perf_event_open that refuses hardware events (as this VM does) but opens software ones.
long RefuseHardware(perf_event_attr* attr, int pid, int cpu, int group_fd, unsigned long flags) {
  if (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE) {
    errno = ENOENT;
    return -1;
  }
  return SysPerfEventOpen(attr, pid, cpu, group_fd, flags);
}

long RefuseAll(perf_event_attr*, int, int, int, unsigned long) {
  errno = EACCES;
  return -1;
}

void ExpectNoHardwareNumbers(const PerfSample& s) {
  EXPECT_FALSE(s.hw_available);
  for (const auto& v : s.hw) EXPECT_FALSE(v.has_value());
  const Counters c = CountersPerOp(s, 1000);
  EXPECT_FALSE(c.available);
  EXPECT_FALSE(c.reason.empty());
  EXPECT_FALSE(c.instructions_per_op.has_value());
  EXPECT_FALSE(c.cycles_per_op.has_value());
  EXPECT_FALSE(c.ipc.has_value());
  EXPECT_FALSE(c.branch_misses_per_op.has_value());
  EXPECT_FALSE(c.l1d_misses_per_op.has_value());
  EXPECT_FALSE(c.llc_misses_per_op.has_value());
}

TEST(PerfUnavailableTest, HardwareRefusedStillGivesSoftwareCounters) {
  ThreadPerfCounters counters(&RefuseHardware);
  EXPECT_FALSE(counters.hardware_available());
  EXPECT_NE(counters.reason().find("instructions"), std::string::npos) << counters.reason();
  EXPECT_NE(counters.reason().find("No such file or directory"), std::string::npos);
  counters.Start();
  volatile uint64_t x = 0;
  for (int i = 0; i < 1'000'000; ++i) x = x + i;
  const PerfSample s = counters.Stop();
  ExpectNoHardwareNumbers(s);
  if (counters.any_software_available()) {
    ASSERT_TRUE(s.sw[kTaskClock].has_value());
    EXPECT_GT(*s.sw[kTaskClock], 0.0);
  }
}

TEST(PerfUnavailableTest, EverythingRefusedHasReasonAndNoNumbers) {
  ThreadPerfCounters counters(&RefuseAll);
  EXPECT_FALSE(counters.hardware_available());
  EXPECT_FALSE(counters.any_software_available());
  counters.Start();
  const PerfSample s = counters.Stop();
  ExpectNoHardwareNumbers(s);
  for (const auto& v : s.sw) EXPECT_FALSE(v.has_value());
  EXPECT_NE(s.reason.find("Permission denied"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("task-clock"), std::string::npos) << s.reason;
}

// The real syscall. On this project's VMs the hardware PMU is refused; elsewhere the counters
// must produce numbers.
TEST(PerfUnavailableTest, RealSyscallIsHonest) {
  ThreadPerfCounters counters;
  counters.Start();
  volatile uint64_t x = 0;
  for (int i = 0; i < 1'000'000; ++i) x = x + i;
  const PerfSample s = counters.Stop();
  if (counters.hardware_available()) {
    EXPECT_TRUE(s.hw_available) << s.reason;
    ASSERT_TRUE(s.hw[kInstructions].has_value());
    EXPECT_GT(*s.hw[kInstructions], 1'000'000.0);
  } else {
    ExpectNoHardwareNumbers(s);
    EXPECT_NE(s.reason.find("perf_event_open("), std::string::npos) << s.reason;
  }
  const PerfProbe probe = ProbePerfCounters();
  EXPECT_EQ(probe.available, counters.hardware_available());
  if (!probe.available) {
    EXPECT_FALSE(probe.reason.empty());
  }
}

TEST(PerfDescribeTest, NamesEventAndError) {
  const std::string s = DescribeOpenFailure("cycles", ENOENT);
  EXPECT_NE(s.find("cycles"), std::string::npos);
  EXPECT_NE(s.find("No such file or directory"), std::string::npos);
}

}  // namespace
}  // namespace statelab::harness
