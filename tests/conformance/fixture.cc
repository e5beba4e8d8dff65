#include "tests/conformance/fixture.h"

#include <atomic>
#include <unistd.h>

namespace statelab::testing_util {

std::string MakeTempDir(const std::string& tag) {
  static std::atomic<int> n{0};
  auto p = std::filesystem::temp_directory_path() /
           ("statelab_" + tag + "_" + std::to_string(::getpid()) + "_" +
            std::to_string(n.fetch_add(1)));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

}  // namespace statelab::testing_util
