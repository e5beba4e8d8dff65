#pragma once
// A std::regex from user text (a gate rule's name_regex, statelab-bench --filter) without an
// exception: std::regex has no way to validate a pattern except constructing it, which throws
// std::regex_error, so this is the one place outside main() that catches.
// Thread-safety: pure function; thread-safe.

#include <regex>
#include <string_view>

#include "engines/api/status.h"

namespace statelab::util {

// ECMAScript syntax. InvalidArgument "invalid regular expression '<pattern>': <why>".
Result<std::regex> CompileRegex(std::string_view pattern);

}  // namespace statelab::util
