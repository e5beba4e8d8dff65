// The machine fingerprint: cpuinfo flags and microcode from text fixtures, the hypervisor name, the
// disk model behind a (fake) sysfs block entry, a fingerprint that is stable for the same facts and
// changes with each of them, and environment.machine as captured here.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "harness/environment.h"
#include "tests/harness/proc_fixtures.h"

namespace statelab::harness {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing_fixtures::KvmGuestFacts;
using testing_fixtures::ProcFixture;

TEST(Cpuinfo, FlagsSortedUniqueAndMicrocode) {
  const std::string x86 = ProcFixture("cpuinfo_x86.txt");
  const std::vector<std::string> flags = CpuFlags(x86);
  EXPECT_EQ(flags.size(), 105u) << "the first processor's flags, each once";
  EXPECT_TRUE(std::is_sorted(flags.begin(), flags.end()));
  EXPECT_TRUE(std::binary_search(flags.begin(), flags.end(), "hypervisor"));
  EXPECT_TRUE(std::binary_search(flags.begin(), flags.end(), "avx512f"));
  EXPECT_EQ(CpuinfoField(x86, "microcode"), "0x1");
  EXPECT_EQ(CpuinfoField(x86, "model name"), "Intel(R) Xeon(R) Processor");

  const std::string arm = ProcFixture("cpuinfo_arm64.txt");
  const std::vector<std::string> features = CpuFlags(arm);
  EXPECT_EQ(features.size(), 17u) << "arm64 calls them Features";
  EXPECT_TRUE(std::binary_search(features.begin(), features.end(), "asimd"));
  EXPECT_FALSE(CpuinfoField(arm, "microcode").has_value());
  EXPECT_TRUE(CpuFlags("processor : 0\n").empty());
}

TEST(Hypervisor, SignatureThenSysfsThenDetectVirt) {
  EXPECT_EQ(HypervisorName(true, "KVMKVMKVM", std::nullopt, std::string("kvm")), "KVMKVMKVM");
  EXPECT_EQ(HypervisorName(false, "", std::string("xen"), std::nullopt), "xen")
      << "Xen PV guests have no CPUID bit";
  EXPECT_EQ(HypervisorName(false, "", std::nullopt, std::string("kvm")), "kvm") << "arm64 guest";
  EXPECT_EQ(HypervisorName(true, "", std::nullopt, std::string("none")), "unknown");
  EXPECT_EQ(HypervisorName(false, "", std::nullopt, std::string("none")), "none");
  EXPECT_EQ(HypervisorName(false, "", std::nullopt, std::nullopt), "none");
}

// A fake sysfs: <root>/dev/block/<id> -> <root>/devices/.../<disk>[/<partition>].
class FakeSysfs {
 public:
  FakeSysfs() : root_(fs::temp_directory_path() / ("statelab_sysfs_" + std::to_string(getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "dev/block");
  }
  ~FakeSysfs() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  // A disk with optional device/<file> = text.
  fs::path Disk(const std::string& name, const std::string& file, const std::string& text) {
    const fs::path d = root_ / "devices" / name;
    fs::create_directories(d / "device");
    if (!file.empty()) std::ofstream(d / "device" / file) << text << "\n";
    return d;
  }
  fs::path Partition(const fs::path& disk, const std::string& name) {
    fs::create_directories(disk / name);
    std::ofstream(disk / name / "partition") << "1\n";
    return disk / name;
  }
  fs::path Link(const std::string& id, const fs::path& target) {
    const fs::path l = root_ / "dev/block" / id;
    fs::create_directory_symlink(target, l);
    return l;
  }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

TEST(BlockDeviceModel, PartitionsDiskModelsVirtioAndDeviceMapper) {
  FakeSysfs sys;
  const fs::path sda = sys.Disk("sda", "model", "Samsung SSD 870  ");
  EXPECT_EQ(BlockDeviceModel(sys.Link("8:1", sys.Partition(sda, "sda1"))), "Samsung SSD 870")
      << "a partition's disk, trimmed";
  const fs::path vda = sys.Disk("vda", "modalias", "virtio:d00000002v00001AF4");
  EXPECT_EQ(BlockDeviceModel(sys.Link("253:0", vda)), "virtio:d00000002v00001AF4");
  const fs::path nvme = sys.Disk("nvme0n1", "model", "INTEL SSDPE2KX010T8");
  const fs::path dm = sys.Disk("dm-0", "", "");
  fs::create_directories(dm / "slaves");
  fs::create_directory_symlink(sda, dm / "slaves/sda");
  fs::create_directory_symlink(nvme, dm / "slaves/nvme0n1");
  EXPECT_EQ(BlockDeviceModel(sys.Link("252:0", dm)), "INTEL SSDPE2KX010T8 + Samsung SSD 870");
  const fs::path zram = sys.Disk("zram0", "", "");
  EXPECT_EQ(BlockDeviceModel(sys.Link("251:0", zram)), "zram0");
  EXPECT_FALSE(BlockDeviceModel(sys.root() / "dev/block/0:42").has_value()) << "tmpfs, overlay";
}

TEST(MachineFingerprint, StableForTheSameFacts) {
  const json::object a = MachineJson(KvmGuestFacts());
  const json::object b = MachineJson(KvmGuestFacts());
  EXPECT_EQ(a, b);
  const std::string fp(a.at("fingerprint").as_string());
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(fp, MachineFingerprint(a)) << "the fingerprint field does not feed itself";
  EXPECT_EQ(ShortFingerprint(fp), fp.substr(0, 12));
  // Key order and extra keys do not matter; only kMachineFields do.
  json::object reordered;
  for (auto it = a.end(); it != a.begin();) {
    --it;
    reordered[it->key()] = it->value();
  }
  reordered["note"] = "ignored";
  EXPECT_EQ(MachineFingerprint(reordered), fp);
  // Every field is written, in canonical order, then the fingerprint.
  size_t i = 0;
  for (const auto& kv : a) {
    if (i < kMachineFields.size()) {
      EXPECT_EQ(kv.key(), kMachineFields[i]);
    }
    ++i;
  }
  EXPECT_EQ(i, kMachineFields.size() + 1);
}

TEST(MachineFingerprint, ChangesWithKernelCoresHypervisorAndEveryOtherField) {
  const std::string base(MachineJson(KvmGuestFacts()).at("fingerprint").as_string());
  auto fingerprint_with = [](auto change) {
    MachineFacts f = KvmGuestFacts();
    change(f);
    return std::string(MachineJson(f).at("fingerprint").as_string());
  };
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.kernel_release = "5.15.0"; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.cores = 64; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.pus = 128; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.hypervisor = "none"; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.microcode = "0x2b000603"; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.cpu_flags_count = 100; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.memory_gib = 256; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.storage_model = std::nullopt; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.governor = "performance x2"; }), base);
  EXPECT_NE(fingerprint_with([](MachineFacts& f) { f.cpu_model = "AMD EPYC 7B13"; }), base);
  // A string "2" is not the number 2.
  json::object typed = MachineJson(KvmGuestFacts());
  typed["cores"] = "2";
  EXPECT_NE(MachineFingerprint(typed), base);
}

TEST(MachineCapture, RecordedWithAFingerprintOfItsFields) {
  EnvironmentOptions options;
  options.data_dir = testing::TempDir();
  options.probe_perf = false;
  const json::object env = CaptureEnvironment(options, GitInfo{});
  const json::object& m = env.at("machine").as_object();
  EXPECT_EQ(m.at("fingerprint").as_string(), MachineFingerprint(m));
  EXPECT_EQ(m.at("kernel_release"), env.at("kernel").at("release"));
  EXPECT_EQ(m.at("cpu_model"), env.at("cpu").at("model"));
  EXPECT_EQ(m.at("cores"), env.at("cpu").at("cores"));
  EXPECT_TRUE(m.at("hypervisor").is_string()) << "always known: at worst \"unknown\"";
  if (env.at("virtualization").at("hypervisor_flag").as_bool()) {
    EXPECT_NE(m.at("hypervisor").as_string(), "none");
  }
  // Captured twice on one machine: the same fingerprint.
  EXPECT_EQ(CaptureEnvironment(options, GitInfo{}).at("machine").at("fingerprint"),
            m.at("fingerprint"));
}

}  // namespace
}  // namespace statelab::harness
