#include "harness/environment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace statelab::harness {
namespace {

namespace json = boost::json;

const json::value& At(const json::object& o, const std::vector<std::string_view>& path) {
  const json::value* v = nullptr;
  const json::object* cur = &o;
  std::string so_far;
  for (std::string_view k : path) {
    so_far += '.';
    so_far += k;
    if (cur == nullptr) throw std::runtime_error("not an object before " + so_far);
    v = cur->if_contains(k);
    if (v == nullptr) throw std::runtime_error("missing " + so_far);
    cur = v->if_object();
  }
  return *v;
}

class EnvironmentCaptureTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    EnvironmentOptions options;
    options.data_dir = testing::TempDir();
    options.reference_platform_path = "/nonexistent/reference_platform.json";
    git_ = new GitInfo(CaptureGit(DefaultRepoRoot()));
    env_ = new json::object(CaptureEnvironment(options, *git_));
  }
  static void TearDownTestSuite() {
    delete env_;
    delete git_;
  }
  static json::object* env_;
  static GitInfo* git_;
};
json::object* EnvironmentCaptureTest::env_ = nullptr;
GitInfo* EnvironmentCaptureTest::git_ = nullptr;

// Every key documented in docs/baseline_schema.md "environment".
TEST_F(EnvironmentCaptureTest, ProducesDocumentedKeys) {
  const std::vector<std::vector<std::string_view>> keys = {
      {"hostname"},
      {"utc_time"},
      {"cpu", "model"},
      {"cpu", "vendor"},
      {"cpu", "sockets"},
      {"cpu", "cores"},
      {"cpu", "pus"},
      {"cpu", "numa_nodes"},
      {"cpu", "caches"},
      {"cpu", "topology_error"},
      {"memory", "total_bytes"},
      {"memory", "available_bytes"},
      {"governor", "summary"},
      {"governor", "counts"},
      {"governor", "all_performance"},
      {"turbo", "intel_no_turbo"},
      {"turbo", "cpufreq_boost"},
      {"turbo", "enabled"},
      {"smt", "active"},
      {"smt", "control"},
      {"kernel", "sysname"},
      {"kernel", "release"},
      {"kernel", "version"},
      {"kernel", "machine"},
      {"distro"},
      {"virtualization", "hypervisor_flag"},
      {"virtualization", "sys_vendor"},
      {"virtualization", "systemd_detect_virt"},
      {"virtualization", "is_vm"},
      {"thp", "enabled"},
      {"thp", "defrag"},
      {"aslr"},
      {"clocksource"},
      {"load_average", "before"},
      {"load_average", "after"},
      {"compiler", "id"},
      {"compiler", "version"},
      {"compiler", "flags"},
      {"compiler", "build_type"},
      {"compiler", "optimized"},
      {"compiler", "assertions"},
      {"storage", "data_dir"},
      {"storage", "device"},
      {"storage", "filesystem"},
      {"storage", "mount_point"},
      {"storage", "statfs_type"},
      {"perf", "available"},
      {"perf", "reason"},
      {"perf", "software_available"},
      {"reference_platform", "file"},
      {"reference_platform", "defined"},
      {"reference_platform", "match"},
      {"reference_platform", "reasons"},
      {"baseline_validity", "valid_as_baseline"},
      {"baseline_validity", "reasons"},
      {"warnings"},
      {"machine", "fingerprint"},
      {"noise", "before"},
      {"noise", "after"},
      {"noise", "steal_fraction"},
      {"noise", "cpu_pressure", "available"},
      {"noise", "cpu_pressure", "reason"},
      {"noise", "cpu_pressure", "some_fraction"},
      {"noise", "voluntary_context_switches"},
      {"noise", "involuntary_context_switches"},
  };
  for (std::string_view field : kMachineFields) {
    EXPECT_NO_THROW(At(*env_, {"machine", field})) << field;
  }
  for (const auto& k : keys) {
    EXPECT_NO_THROW(At(*env_, k)) << k.back();
  }
}

TEST_F(EnvironmentCaptureTest, ValuesAreSensibleOnLinux) {
  EXPECT_TRUE(At(*env_, {"kernel", "sysname"}).is_string());
  EXPECT_EQ(At(*env_, {"kernel", "sysname"}).as_string(), "Linux");
  EXPECT_TRUE(At(*env_, {"load_average", "after"}).is_null());
  EXPECT_TRUE(At(*env_, {"load_average", "before"}).is_object());
  EXPECT_TRUE(At(*env_, {"compiler", "flags"}).is_string());
  EXPECT_NE(At(*env_, {"compiler", "id"}).as_string(), "unknown");
  EXPECT_TRUE(At(*env_, {"warnings"}).is_array());
  EXPECT_FALSE(At(*env_, {"reference_platform", "defined"}).as_bool());
  EXPECT_FALSE(At(*env_, {"reference_platform", "match"}).as_bool());
  EXPECT_FALSE(At(*env_, {"reference_platform", "reasons"}).as_array().empty());
  const std::string utc(At(*env_, {"utc_time"}).as_string());
  EXPECT_EQ(utc.size(), 20u);
  EXPECT_EQ(utc.back(), 'Z');
  // Perf: unavailable must carry a reason.
  if (!At(*env_, {"perf", "available"}).as_bool()) {
    EXPECT_FALSE(At(*env_, {"perf", "reason"}).as_string().empty());
  }
  if (!At(*env_, {"cpu", "pus"}).is_null()) {
    EXPECT_GE(At(*env_, {"cpu", "pus"}).as_int64(), 1);
  }
  // The validity verdict agrees with the build this test runs in.
  const BuildInfo b = CurrentBuildInfo();
  const bool valid = At(*env_, {"baseline_validity", "valid_as_baseline"}).as_bool();
  EXPECT_EQ(valid, AssessBaselineValidity(b, *git_).valid_as_baseline);
}

TEST_F(EnvironmentCaptureTest, RunEndRecordsLoadAndNoise) {
  json::object env = *env_;
  RecordRunEnd(env);
  EXPECT_TRUE(At(env, {"load_average", "after"}).is_object());
  EXPECT_TRUE(At(env, {"noise", "after"}).is_object());
}

TEST(BaselineValidityTest, UnoptimizedAssertionsDirtyAreRefused) {
  BuildInfo good;
  good.build_type = "Release";
  good.optimized = true;
  good.assertions = false;
  const GitInfo clean{"abc", "main", false};
  EXPECT_TRUE(AssessBaselineValidity(good, clean).valid_as_baseline);
  EXPECT_TRUE(AssessBaselineValidity(good, clean).reasons.empty());

  BuildInfo debug = good;
  debug.build_type = "Debug";
  debug.optimized = false;
  debug.assertions = true;
  const GitInfo dirty{"abc", "main", true};
  const BaselineValidity v = AssessBaselineValidity(debug, dirty);
  EXPECT_FALSE(v.valid_as_baseline);
  ASSERT_EQ(v.reasons.size(), 3u);
  EXPECT_NE(v.reasons[0].find("unoptimized"), std::string::npos);
  EXPECT_NE(v.reasons[1].find("assertions"), std::string::npos);
  EXPECT_NE(v.reasons[2].find("dirty"), std::string::npos);

  const GitInfo unknown;  // No git: cannot prove the tree is clean.
  EXPECT_FALSE(AssessBaselineValidity(good, unknown).valid_as_baseline);
}

TEST(GitTest, NonRepositoryIsUnknown) {
  const GitInfo g = CaptureGit("/");
  EXPECT_EQ(g.commit, "unknown");
  EXPECT_EQ(g.branch, "unknown");
  EXPECT_FALSE(g.dirty.has_value());
}

json::object SampleEnv() {
  return json::object{
      {"cpu", json::object{{"model", "AMD EPYC 7763 64-Core Processor"},
                           {"vendor", "AuthenticAMD"},
                           {"cores", 8},
                           {"pus", 16}}},
      {"memory", json::object{{"total_bytes", 32LL << 30}}},
      {"virtualization", json::object{{"is_vm", false}}},
      {"smt", json::object{{"active", true}}},
      {"turbo", json::object{{"enabled", nullptr}}},
      {"kernel", json::object{{"release", "6.1.0-18-amd64"}}},
      {"governor", json::object{{"summary", "performance x16"},
                                {"counts", json::object{{"performance", 16}}},
                                {"all_performance", true}}},
  };
}

TEST(ReferencePlatformTest, MatchesAndMismatches) {
  const json::object env = SampleEnv();
  ReferenceMatch m = MatchReferenceSpec(
      env, json::parse(R"({"cpu_model_contains": "EPYC", "min_cores": 8, "hypervisor": false,
                           "governor": "performance", "kernel_release_prefix": "6.1",
                           "description": "CI box"})")
               .as_object());
  EXPECT_TRUE(m.defined);
  EXPECT_TRUE(m.match);
  EXPECT_TRUE(m.reasons.empty());

  m = MatchReferenceSpec(env, json::parse(R"({"cpu_model_contains": "Xeon", "min_cores": 16,
                                               "hypervisor": true})")
                                  .as_object());
  EXPECT_FALSE(m.match);
  EXPECT_EQ(m.reasons.size(), 3u);

  // Unknown on this machine (turbo null) or an unknown criterion never counts as a match.
  m = MatchReferenceSpec(env, json::parse(R"({"turbo": false})").as_object());
  EXPECT_FALSE(m.match);
  m = MatchReferenceSpec(env, json::parse(R"({"min_corez": 4})").as_object());
  EXPECT_FALSE(m.match);
  EXPECT_NE(m.reasons[0].find("min_corez"), std::string::npos);
}

TEST(ReferencePlatformTest, MissingOrMalformedFile) {
  ReferenceMatch m = MatchReferencePlatform(SampleEnv(), "/nonexistent/ref.json");
  EXPECT_FALSE(m.defined);
  EXPECT_FALSE(m.match);
  ASSERT_EQ(m.reasons.size(), 1u);
  EXPECT_NE(m.reasons[0].find("no reference platform defined"), std::string::npos);

  const std::string path = testing::TempDir() + "/ref_" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << "{not json";
  m = MatchReferencePlatform(SampleEnv(), path);
  EXPECT_FALSE(m.defined);
  EXPECT_FALSE(m.match);
  std::ofstream(path) << R"({"cpu_vendor": "AuthenticAMD", "min_pus": 16})";
  m = MatchReferencePlatform(SampleEnv(), path);
  EXPECT_TRUE(m.defined);
  EXPECT_TRUE(m.match);
  EXPECT_EQ(m.file, path);
  std::filesystem::remove(path);
}

TEST(WarningsTest, FlagsNoisyEnvironment) {
  json::object env = SampleEnv();
  env["load_average"] = json::object{{"before", json::object{{"one_min", 1.5}}}};
  env["turbo"] = json::object{{"enabled", true}};
  env["virtualization"] = json::object{{"is_vm", true}, {"systemd_detect_virt", "kvm"}};
  env["perf"] = json::object{{"available", false}, {"reason", "perf_event_open(instructions): x"}};
  env["baseline_validity"] =
      json::object{{"valid_as_baseline", false}, {"reasons", json::array{"git tree dirty"}}};
  const auto w = EnvironmentWarnings(env);
  auto has = [&](std::string_view s) {
    for (const auto& x : w) {
      if (x.find(s) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("turbo"));
  EXPECT_TRUE(has("SMT"));
  EXPECT_TRUE(has("load average 1.50"));
  EXPECT_TRUE(has("virtual machine (kvm)"));
  EXPECT_TRUE(has("perf counters unavailable"));
  EXPECT_TRUE(has("git tree dirty"));
  EXPECT_TRUE(has("reference platform"));
  EXPECT_FALSE(has("governor"));  // performance everywhere.
}

TEST(ParseHelpersTest, Basics) {
  EXPECT_EQ(BracketedChoice("always [madvise] never"), "madvise");
  EXPECT_FALSE(BracketedChoice("madvise").has_value());
  EXPECT_EQ(SummarizeGovernors({{"performance", 2}}), "performance x2");
  EXPECT_EQ(SummarizeGovernors({{"powersave", 1}, {"performance", 1}}),
            "performance x1, powersave x1");
  const std::string cpuinfo =
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n"
      "flags\t\t: fpu tsc hypervisor\n\nprocessor\t: 1\n";
  EXPECT_EQ(CpuinfoField(cpuinfo, "model name"), "Intel(R) Xeon(R) Processor");
  EXPECT_EQ(CpuinfoField(cpuinfo, "vendor_id"), "GenuineIntel");
  EXPECT_FALSE(CpuinfoField(cpuinfo, "microcode").has_value());
}

TEST(ParseHelpersTest, FindMountLongestPrefix) {
  const std::string mounts =
      "/dev/vda1 / ext4 rw 0 0\n"
      "tmpfs /tmp tmpfs rw 0 0\n"
      "/dev/vdb /data\\040disk xfs rw 0 0\n"
      "/dev/vdc /tmpfoo ext4 rw 0 0\n";
  auto m = FindMount(mounts, "/tmp/x");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->filesystem, "tmpfs");
  m = FindMount(mounts, "/tmpfoo/y");
  EXPECT_EQ(m->device, "/dev/vdc");
  m = FindMount(mounts, "/data disk/run");
  EXPECT_EQ(m->mount_point, "/data disk");
  EXPECT_EQ(m->filesystem, "xfs");
  m = FindMount(mounts, "/home/u");
  EXPECT_EQ(m->mount_point, "/");
}

TEST(RunIdTest, Format) {
  EXPECT_EQ(MakeRunId(0, "0123456789abcdef", ""), "run_1970-01-01_00-00-00_0123456789ab");
  EXPECT_EQ(MakeRunId(0, "unknown", "my label/x"), "run_1970-01-01_00-00-00_unknown_my-label-x");
  EXPECT_EQ(UtcIso8601(86400), "1970-01-02T00:00:00Z");
}

}  // namespace
}  // namespace statelab::harness
