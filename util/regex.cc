#include "util/regex.h"

#include <string>

namespace statelab::util {

Result<std::regex> CompileRegex(std::string_view pattern) {
  try {
    return std::regex(pattern.begin(), pattern.end());
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("invalid regular expression '" + std::string(pattern) +
                                   "': " + e.what());
  }
}

}  // namespace statelab::util
