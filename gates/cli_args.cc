#include "gates/cli_args.h"

#include <cstdio>
#include <exception>

namespace statelab::gates {

int RunTool(const char* tool, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return kExitBadInput;
  }
}

bool CliArgs::Parse(int argc, char** argv, const std::vector<FlagSpec>& specs, std::string* error) {
  bool only_positionals = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positionals || arg.size() < 2 || arg.rfind("--", 0) != 0) {
      if (!only_positionals && arg.size() > 1 && arg[0] == '-' && arg != "-") {
        *error = "unknown flag '" + arg + "' (flags are spelled --name; see --help)";
        return false;
      }
      positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      *error = "unknown flag '--" + name + "' (see --help)";
      return false;
    }
    if (!spec->takes_value) {
      if (inline_value) {
        *error = "flag '--" + name + "' takes no value";
        return false;
      }
      values_[name] = "";
      continue;
    }
    if (inline_value) {
      values_[name] = *inline_value;
    } else if (i + 1 < argc) {
      values_[name] = argv[++i];
    } else {
      *error = "flag '--" + name + "' needs a value";
      return false;
    }
  }
  return true;
}

std::optional<std::string> CliArgs::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

}  // namespace statelab::gates
