#pragma once
// Fresh temporary directories for the bench tests, all removed when the test program ends.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace statelab::testing_util {

// Removes every directory TempRoot made, after the last test.
class TempRoots : public ::testing::Environment {
 public:
  static TempRoots& Get() {
    static TempRoots* roots = [] {
      auto* r = new TempRoots;
      ::testing::AddGlobalTestEnvironment(r);  // gtest owns it
      return r;
    }();
    return *roots;
  }
  void TearDown() override {
    std::error_code ec;
    for (const std::string& p : made_) std::filesystem::remove_all(p, ec);
  }
  std::string Make(const std::string& tag) {
    static std::atomic<int> n{0};
    const auto p = std::filesystem::temp_directory_path() /
                   ("statelab_benchtest_" + tag + "_" + std::to_string(::getpid()) + "_" +
                    std::to_string(n.fetch_add(1)));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    made_.push_back(p.string());
    return p.string();
  }

 private:
  std::vector<std::string> made_;
};

inline std::string TempRoot(const std::string& tag) { return TempRoots::Get().Make(tag); }

}  // namespace statelab::testing_util
