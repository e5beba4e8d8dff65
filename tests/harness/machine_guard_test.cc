// The cross-machine guard (gates::DifferentMachines, used by compare and the gates) over machine
// fingerprints, its fallback for baselines recorded before fingerprints, and INDEX.md's machine
// labels.

#include <gtest/gtest.h>

#include <filesystem>

#include "gates/run_facts.h"
#include "harness/environment.h"
#include "reports/index.h"
#include "tests/gates/test_util.h"
#include "tests/harness/proc_fixtures.h"
#include "util/json.h"

namespace statelab::gates {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using harness::testing_fixtures::KvmGuestFacts;
using statelab::testing_util::Fixture;
using statelab::testing_util::ReadAll;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

harness::Baseline RunOn(const std::string& host, const harness::MachineFacts& facts) {
  harness::Baseline b;
  b.environment = {{"hostname", host},
                   {"cpu", {{"model", facts.cpu_model.value_or("")}}},
                   {"machine", harness::MachineJson(facts)}};
  return b;
}

TEST(MachineGuard, SameFingerprintIsTheSameMachineWhateverTheHostname) {
  std::string why = "stale";
  EXPECT_FALSE(DifferentMachines(RunOn("ci-runner-1", KvmGuestFacts()),
                                 RunOn("ci-runner-2", KvmGuestFacts()), &why))
      << "identical CI runners with random hostnames compare";
  EXPECT_EQ(why, "");
}

TEST(MachineGuard, NamesEveryDifferingField) {
  // The case: same hostname and CPU model, another kernel, 64 cores, no hypervisor.
  harness::MachineFacts other = KvmGuestFacts();
  other.kernel_release = "5.15.0-91-generic";
  other.cores = 64;
  other.hypervisor = "none";
  std::string why;
  EXPECT_TRUE(DifferentMachines(RunOn("vm", KvmGuestFacts()), RunOn("vm", other), &why));
  EXPECT_NE(why.find("kernel_release \"6.18.44\" vs \"5.15.0-91-generic\""), std::string::npos)
      << why;
  EXPECT_NE(why.find("cores 2 vs 64"), std::string::npos) << why;
  EXPECT_NE(why.find("hypervisor \"KVMKVMKVM\" vs \"none\""), std::string::npos) << why;
  EXPECT_EQ(why.find("pus"), std::string::npos) << "equal fields are not named: " << why;
  EXPECT_EQ(why.find("hostname"), std::string::npos) << why;

  harness::MachineFacts unknown = KvmGuestFacts();
  unknown.storage_model = std::nullopt;
  EXPECT_TRUE(DifferentMachines(RunOn("vm", KvmGuestFacts()), RunOn("vm", unknown), &why));
  EXPECT_EQ(why, "storage_model \"virtio:d00000002v00001AF4\" vs null");
}

TEST(MachineGuard, AFingerprintWithoutKnownFieldDifferencesIsStillNamed) {
  harness::Baseline a = RunOn("vm", KvmGuestFacts());
  harness::Baseline b = RunOn("vm", KvmGuestFacts());
  b.environment["machine"].as_object()["fingerprint"] = "ffffffffffffffffffff";
  std::string why;
  EXPECT_TRUE(DifferentMachines(a, b, &why));
  EXPECT_NE(why.find("fingerprint "), std::string::npos) << why;
  EXPECT_NE(why.find("vs ffffffffffff"), std::string::npos) << why;
}

TEST(MachineGuard, OldBaselineWithoutFingerprintStillCompares) {
  // compare/old.json was written before fingerprints: hostname "ref-host", a Ryzen 7800X3D.
  const harness::Baseline old = ValueOf(LoadRunFile(Fixture("compare/old.json"))).baseline;
  ASSERT_EQ(ReadEnvironmentFacts(old.environment).machine_fingerprint, "");
  harness::MachineFacts same = KvmGuestFacts();
  same.cpu_model = ReadEnvironmentFacts(old.environment).cpu_model;
  std::string why;
  EXPECT_FALSE(DifferentMachines(old, RunOn("ref-host", same), &why)) << why;
  EXPECT_FALSE(DifferentMachines(RunOn("ref-host", same), old, &why)) << why;
  EXPECT_TRUE(DifferentMachines(old, RunOn("vm", KvmGuestFacts()), &why));
  EXPECT_NE(why.find("hostname \"ref-host\" vs \"vm\""), std::string::npos) << why;
  EXPECT_NE(why.find("cpu_model \"AMD Ryzen"), std::string::npos) << why;
}

TEST(MachineGuard, LabelIsTheShortFingerprintOrHostAndCpu) {
  const harness::Baseline run = RunOn("vm", KvmGuestFacts());
  const EnvironmentFacts facts = ReadEnvironmentFacts(run.environment);
  EXPECT_EQ(MachineLabel(facts), facts.machine_fingerprint.substr(0, 12));
  const harness::Baseline old = ValueOf(LoadRunFile(Fixture("compare/old.json"))).baseline;
  EXPECT_EQ(MachineLabel(ReadEnvironmentFacts(old.environment)),
            "ref-host, AMD Ryzen 7 7800X3D 8-Core Processor (no fingerprint)");
}

TEST(MachineIndex, RowsLabelledAndMachinesListed) {
  constexpr char kOld[] = "run_2024-04-01_09-30-00_0ff1ce5";
  constexpr char kNew[] = "run_2024-07-01_00-00-00_1234567";
  TempDir results;
  fs::create_directories(results / kOld);
  fs::copy(Fixture(std::string("runs/") + kOld + "/baseline.json"),
           results / (std::string(kOld) + "/baseline.json"));
  // The same run again, recorded with a fingerprint.
  json::value doc =
      ValueOf(util::LoadJsonFile(Fixture(std::string("runs/") + kOld + "/baseline.json")));
  doc.as_object()["run_id"] = kNew;
  doc.as_object()["created_utc"] = "2024-07-01T00:00:00Z";
  doc.as_object()["environment"].as_object()["machine"] = harness::MachineJson(KvmGuestFacts());
  fs::create_directories(results / kNew);
  ASSERT_TRUE(
      util::WriteFile(results / (std::string(kNew) + "/baseline.json"), util::JsonFileText(doc))
          .ok());

  EXPECT_EQ(ValueOf(reports::WriteIndex(results.path())), 2);
  const std::string md = ReadAll(results / "INDEX.md");
  const std::string fp = harness::ShortFingerprint(
      harness::MachineJson(KvmGuestFacts()).at("fingerprint").as_string());
  EXPECT_NE(md.find("| reference hardware | machine |"), std::string::npos) << md;
  EXPECT_NE(md.find("| yes | `" + fp + "` |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `ref-host, AMD Ryzen 7 7800X3D 8-Core Processor (no fingerprint)` |"),
            std::string::npos)
      << md;
  const auto machines = md.find("## Machines");
  ASSERT_NE(machines, std::string::npos) << md;
  EXPECT_NE(md.find("| `" + fp +
                        "` | 1 | Intel(R) Xeon(R) Processor | 2 / 2 | 24 GiB | 6.18.44 | "
                        "KVMKVMKVM | virtio:d00000002v00001AF4 | — |",
                    machines),
            std::string::npos)
      << md;
  EXPECT_LT(md.find("`" + fp + "`", machines),
            md.find("`ref-host, AMD Ryzen 7 7800X3D 8-Core Processor (no fingerprint)`", machines))
      << "machines in order of their newest run";
}

}  // namespace
}  // namespace statelab::gates
