#pragma once
// Helpers for the gate and report tests: fixture paths, temporary folders, child processes.
// In statelab::testing_util, not statelab::testing, which would shadow gtest's ::testing.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>

#include "engines/api/status.h"

#ifndef STATELAB_SOURCE_DIR
#error "STATELAB_SOURCE_DIR must be defined by the test's CMakeLists.txt"
#endif

namespace statelab::testing_util {

// The value of `r`; a failure of the calling test (with the error) and T{} when there is none.
template <class T>
T ValueOf(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

inline std::string SourcePath(const std::string& rel) {
  return std::string(STATELAB_SOURCE_DIR) + "/" + rel;
}
inline std::string Fixture(const std::string& rel) { return SourcePath("tests/fixtures/" + rel); }

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("statelab_test_" + std::to_string(rd()) + "_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};

// Runs a shell command, capturing its output and exit code.
inline ProcessResult RunCommand(const std::string& cmd) {
  ProcessResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string Quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace statelab::testing_util
