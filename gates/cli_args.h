#pragma once
// Command-line conventions shared by statelab-gate, statelab-compare and statelab-report: a
// minimal parser (`--flag value`, `--flag=value`, boolean `--flag`, positionals, and a clear
// message for an unknown flag or a missing value), the exit codes, and main()'s error guard.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace statelab::gates {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // a gate or a comparison found a failure or regression
inline constexpr int kExitUsage = 2;     // unknown flag, missing value, wrong arguments
inline constexpr int kExitBadInput = 3;  // missing or malformed file, unwritable output

// Returns run(argc, argv); an exception escaping it is printed as "<tool>: error: <what>" and
// exits kExitBadInput, never as a crash.
int RunTool(const char* tool, int (*run)(int, char**), int argc, char** argv);

struct FlagSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
};

// Not synchronized; one per command line.
class CliArgs {
 public:
  // False with `error` set on an unknown flag, a missing value or a value given to a boolean.
  [[nodiscard]] bool Parse(int argc, char** argv, const std::vector<FlagSpec>& specs,
                           std::string* error);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Value(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

}  // namespace statelab::gates
