// Noise recording: the /proc parsers against captured text fixtures (tests/fixtures/proc), the sums
// over a cell's windows and the extra.noise_* keys, environment.noise at the start and end of a
// run.

#include "harness/noise.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "harness/environment.h"
#include "tests/harness/proc_fixtures.h"

namespace statelab::harness {
namespace {

namespace json = boost::json;
using testing_fixtures::ProcFixture;

TEST(ProcStat, StealIsTheEighthNumberAndTotalTheFirstEight) {
  // cpu  2357042 3659 140421 280137 8787 0 3423 8002 0 0
  const std::optional<CpuTicks> t = ParseProcStatCpu(ProcFixture("stat_kvm.txt"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->steal, 8002u);
  EXPECT_EQ(t->total, 2357042u + 3659 + 140421 + 280137 + 8787 + 0 + 3423 + 8002);
}

TEST(ProcStat, RejectsLinesWithoutSteal) {
  EXPECT_FALSE(ParseProcStatCpu(ProcFixture("stat_no_steal.txt")).has_value())
      << "a kernel before 2.6.11 has no steal column: unknown, not 0";
  EXPECT_FALSE(ParseProcStatCpu("cpu0 1 2 3 4 5 6 7 8\n").has_value()) << "not the aggregate line";
  EXPECT_FALSE(ParseProcStatCpu("cpu  1 2 3 x 5 6 7 8\n").has_value());
  EXPECT_FALSE(ParseProcStatCpu("").has_value());
}

TEST(CpuPressure, SomeLineAvg10AndTotal) {
  // some avg10=10.11 avg60=9.79 avg300=4.74 total=1168657244
  const std::optional<CpuPressure> p = ParseCpuPressure(ProcFixture("pressure_cpu.txt"));
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(p->some_avg10, 10.11);
  EXPECT_EQ(p->some_total_us, 1168657244u);
  // Kernels before 5.13 have no "full" line for cpu.
  const std::optional<CpuPressure> old =
      ParseCpuPressure(ProcFixture("pressure_cpu_some_only.txt"));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->some_total_us, 0u);
  EXPECT_FALSE(ParseCpuPressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").has_value());
  EXPECT_FALSE(ParseCpuPressure("some avg10=0.00 avg60=0.00\n").has_value()) << "no total";
}

TEST(CpuPressure, ReasonsNameTheCause) {
  EXPECT_NE(CpuPressureUnavailableReason(ENOENT).find("CONFIG_PSI"), std::string::npos);
  EXPECT_NE(CpuPressureUnavailableReason(EOPNOTSUPP).find("psi=0"), std::string::npos);
  EXPECT_NE(CpuPressureUnavailableReason(EACCES).find("Permission denied"), std::string::npos);
  EXPECT_NE(CpuPressureUnavailableReason(0).find("no \"some"), std::string::npos);
}

TEST(LoadAverage, FirstThreeNumbers) {
  const std::optional<LoadAverages> l = ParseLoadAverages(ProcFixture("loadavg.txt"));
  ASSERT_TRUE(l.has_value());
  EXPECT_DOUBLE_EQ(l->one_min, 2.14);
  EXPECT_DOUBLE_EQ(l->five_min, 1.84);
  EXPECT_DOUBLE_EQ(l->fifteen_min, 1.84);
  EXPECT_FALSE(ParseLoadAverages("1.0 2.0\n").has_value());
}

NoiseSample Sample(int64_t ns, uint64_t total, uint64_t steal, uint64_t stall_us, int64_t vol,
                   int64_t invol, double load) {
  NoiseSample s;
  s.monotonic_ns = ns;
  s.cpu = CpuTicks{total, steal};
  s.pressure = CpuPressure{1.0, stall_us};
  s.voluntary_context_switches = vol;
  s.involuntary_context_switches = invol;
  s.load = LoadAverages{load, 0, 0};
  return s;
}

TEST(SumNoise, RatiosOfSumsOverWindows) {
  const std::vector<NoiseWindow> w = {
      // 100 ticks, 10 stolen; 1 s with 0.1 s stalled; 3 + 1 switches.
      {Sample(0, 1000, 50, 0, 10, 5, 0.5), Sample(1'000'000'000, 1100, 60, 100'000, 13, 6, 0.7)},
      // 300 ticks, 0 stolen; 1 s with 0.3 s stalled; 1 + 2 switches.
      {Sample(2'000'000'000, 1500, 60, 200'000, 20, 8, 0.9),
       Sample(3'000'000'000, 1800, 60, 500'000, 21, 10, 1.1)},
  };
  const NoiseFigures f = SumNoise(w);
  ASSERT_TRUE(f.steal_fraction.has_value());
  EXPECT_DOUBLE_EQ(*f.steal_fraction, 10.0 / 400.0);
  ASSERT_TRUE(f.cpu_pressure_some_fraction.has_value());
  EXPECT_DOUBLE_EQ(*f.cpu_pressure_some_fraction, 0.4 / 2.0);
  EXPECT_EQ(f.voluntary_context_switches, 4);
  EXPECT_EQ(f.involuntary_context_switches, 3);
  EXPECT_EQ(f.load_one_min_before, 0.5) << "the first window's";
  EXPECT_EQ(f.load_one_min_after, 1.1) << "the last window's";

  std::map<std::string, double> extra;
  AddCellNoise(f, 2, extra);
  EXPECT_DOUBLE_EQ(extra.at("noise_steal_fraction"), 0.025);
  EXPECT_DOUBLE_EQ(extra.at("noise_cpu_pressure_some_fraction"), 0.2);
  EXPECT_DOUBLE_EQ(extra.at("noise_voluntary_context_switches_per_op"), 2.0);
  EXPECT_DOUBLE_EQ(extra.at("noise_involuntary_context_switches_per_op"), 1.5);
  EXPECT_DOUBLE_EQ(extra.at("noise_load_one_min_before"), 0.5);
  EXPECT_DOUBLE_EQ(extra.at("noise_load_one_min_after"), 1.1);
}

TEST(SumNoise, MissingSourcesAreAbsentNeverZero) {
  NoiseSample a = Sample(0, 1000, 50, 0, 10, 5, 0.5);
  NoiseSample b = Sample(1000, 1000, 50, 0, 10, 5, 0.5);
  a.pressure.reset();  // no PSI on this kernel
  const NoiseWindow w{a, b};
  const NoiseFigures f = SumNoise(std::span(&w, 1));
  EXPECT_FALSE(f.cpu_pressure_some_fraction.has_value());
  EXPECT_FALSE(f.steal_fraction.has_value()) << "no tick in the window says nothing";
  std::map<std::string, double> extra;
  AddCellNoise(f, 10, extra);
  EXPECT_EQ(extra.count("noise_cpu_pressure_some_fraction"), 0u);
  EXPECT_EQ(extra.count("noise_steal_fraction"), 0u);
  EXPECT_EQ(extra.at("noise_voluntary_context_switches_per_op"), 0.0);
  EXPECT_TRUE(SumNoise({}).load_one_min_before == std::nullopt);
}

TEST(SumNoise, CountersGoingBackwardsAreUnknown) {
  const NoiseWindow w{Sample(0, 2000, 50, 10, 1, 1, 0), Sample(10, 1000, 40, 5, 2, 2, 0)};
  const NoiseFigures f = SumNoise(std::span(&w, 1));
  EXPECT_FALSE(f.steal_fraction.has_value());
  EXPECT_FALSE(f.cpu_pressure_some_fraction.has_value());
}

TEST(NoiseSample, ReadsThisMachineAndRoundTripsThroughJson) {
  const NoiseSample s = SampleNoise();
  EXPECT_GT(s.monotonic_ns, 0);
  EXPECT_TRUE(s.cpu.has_value()) << "/proc/stat is on every Linux";
  EXPECT_TRUE(s.voluntary_context_switches.has_value());
  if (s.pressure_errno != 0) {
    EXPECT_FALSE(s.pressure.has_value());
  }
  const NoiseSample back = NoiseSampleFromJson(NoiseSampleJson(s));
  EXPECT_EQ(back.monotonic_ns, s.monotonic_ns);
  ASSERT_EQ(back.cpu.has_value(), s.cpu.has_value());
  if (s.cpu) {
    EXPECT_EQ(back.cpu->steal, s.cpu->steal);
  }
  ASSERT_EQ(back.pressure.has_value(), s.pressure.has_value());
  if (s.pressure) {
    EXPECT_EQ(back.pressure->some_total_us, s.pressure->some_total_us);
  }
  EXPECT_EQ(back.involuntary_context_switches, s.involuntary_context_switches);
}

TEST(RunEnd, FillsTheRunsNoise) {
  json::object env;
  env["noise"] = json::object{{"before", NoiseSampleJson(SampleNoise())}};
  RecordRunEnd(env);
  const json::object& n = env.at("noise").as_object();
  EXPECT_TRUE(n.at("after").is_object());
  EXPECT_TRUE(n.at("voluntary_context_switches").is_int64());
  EXPECT_TRUE(n.at("cpu_pressure").as_object().contains("some_fraction"));
  EXPECT_TRUE(env.at("load_average").at("after").is_object());
}

bool Warned(const json::object& env, std::string_view what) {
  for (const auto& w : env.at("warnings").as_array()) {
    if (w.as_string().find(what) != std::string::npos) return true;
  }
  return false;
}

TEST(RunEnd, WarnsWhenStealOrPressurePassTheLimits) {
  const NoiseSample quiet_start = Sample(0, 1000, 0, 0, 0, 0, 0);
  json::object quiet{{"noise", json::object{{"before", NoiseSampleJson(quiet_start)}}}};
  RecordRunEnd(quiet, Sample(1'000'000'000, 2000, 10, 50'000, 5, 5, 0));  // 1% stolen, 5% stall
  EXPECT_DOUBLE_EQ(quiet.at("noise").at("steal_fraction").as_double(), 0.01);
  EXPECT_DOUBLE_EQ(quiet.at("noise").at("cpu_pressure").at("some_fraction").as_double(), 0.05);
  EXPECT_FALSE(Warned(quiet, "steal time"));
  EXPECT_FALSE(Warned(quiet, "CPU pressure"));

  json::object noisy{{"noise", json::object{{"before", NoiseSampleJson(quiet_start)}}}};
  RecordRunEnd(noisy, Sample(1'000'000'000, 2000, 100, 300'000, 5, 5, 0));  // 10%, 30%
  EXPECT_TRUE(Warned(noisy, "steal time 10.0% of CPU time")) << json::serialize(noisy);
  EXPECT_TRUE(Warned(noisy, "waited for a CPU 30.0% of the run")) << json::serialize(noisy);
}

}  // namespace
}  // namespace statelab::harness
