#pragma once
// A minimal command-line parser shared by statelab-gate, statelab-compare and statelab-report:
// `--flag value`, `--flag=value`, boolean `--flag`, positionals, and a clear message for an
// unknown flag or a missing value (the caller exits 2).

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace statelab::gates {

struct FlagSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
};

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
