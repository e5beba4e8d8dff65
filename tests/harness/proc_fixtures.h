#pragma once
// Shared by the noise and machine tests: the captured /proc texts of tests/fixtures/proc and one
// machine's facts (a 2-vCPU KVM guest like the CI VMs).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "harness/environment.h"

#ifndef STATELAB_SOURCE_DIR
#error "STATELAB_SOURCE_DIR must be defined by the test's CMakeLists.txt"
#endif

namespace statelab::harness::testing_fixtures {

inline std::string ProcFixture(const std::string& name) {
  std::ifstream in(std::string(STATELAB_SOURCE_DIR) + "/tests/fixtures/proc/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline MachineFacts KvmGuestFacts() {
  MachineFacts f;
  f.cpu_model = "Intel(R) Xeon(R) Processor";
  f.cpu_flags_sha256 = "0123456789abcdef";
  f.cpu_flags_count = 105;
  f.microcode = "0x1";
  f.cores = 2;
  f.pus = 2;
  f.memory_gib = 24;
  f.kernel_release = "6.18.44";
  f.hypervisor = "KVMKVMKVM";
  f.storage_model = "virtio:d00000002v00001AF4";
  f.governor = std::nullopt;  // no cpufreq in the guest
  return f;
}

}  // namespace statelab::harness::testing_fixtures
