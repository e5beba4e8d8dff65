#pragma once
// Command-line conventions shared by statelab-gate, statelab-compare, statelab-report and the
// statelab command: a minimal parser (`--flag value`, `--flag=value`, boolean `--flag`,
// positionals, and a clear message for an unknown flag or a missing value), the exit codes, and
// main()'s guard, the one place a tool catches an exception.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::util {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // a gate or a comparison found a failure or regression
inline constexpr int kExitUsage = 2;     // unknown flag, missing value, wrong arguments
inline constexpr int kExitBadInput = 3;  // missing or malformed file, unwritable output

// Returns run(argc, argv); an exception escaping it (std::bad_alloc, a Boost.JSON throw) is
// printed as "<tool>: error: <what>" and exits kExitBadInput, never as a crash.
int RunTool(const char* tool, int (*run)(int, char**), int argc, char** argv);

// Prints "<tool>: <context>: <message>" (without the context when it is empty) to stderr and
// returns `exit_code`: how a tool reports a failed Status.
int Fail(std::string_view tool, std::string_view context, const Status& status, int exit_code);

struct FlagSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
};

// Not synchronized; one per command line.
class CliArgs {
 public:
  // InvalidArgument on an unknown flag, a missing value or a value given to a boolean.
  Status Parse(int argc, char** argv, const std::vector<FlagSpec>& specs);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Value(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

// Parses `tool`'s command line against `specs` plus --help. nullopt: go on. Otherwise the exit code
// main() returns after printing the parse error and `usage` (kExitUsage) or, for --help, `usage`
// alone (kExitOk).
std::optional<int> ParseCommandLine(std::string_view tool, const char* usage, int argc, char** argv,
                                    std::vector<FlagSpec> specs, CliArgs* args);

}  // namespace statelab::util
