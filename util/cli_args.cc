#include "util/cli_args.h"

#include <cstdio>
#include <exception>

namespace statelab::util {

int RunTool(const char* tool, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return kExitBadInput;
  }
}

int Fail(std::string_view tool, std::string_view context, const Status& status, int exit_code) {
  // The message already names the file or flag; codes without one print their name.
  const std::string what =
      status.message().empty() ? status.ToString() : std::string(status.message());
  std::fprintf(stderr, "%.*s: %.*s%s%s\n", static_cast<int>(tool.size()), tool.data(),
               static_cast<int>(context.size()), context.data(), context.empty() ? "" : ": ",
               what.c_str());
  return exit_code;
}

Status CliArgs::Parse(int argc, char** argv, const std::vector<FlagSpec>& specs) {
  bool only_positionals = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positionals || arg.size() < 2 || arg.rfind("--", 0) != 0) {
      if (!only_positionals && arg.size() > 1 && arg[0] == '-' && arg != "-") {
        return Status::InvalidArgument("unknown flag '" + arg +
                                       "' (flags are spelled --name; see --help)");
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
    if (spec == nullptr)
      return Status::InvalidArgument("unknown flag '--" + name + "' (see --help)");
    if (!spec->takes_value) {
      if (inline_value) return Status::InvalidArgument("flag '--" + name + "' takes no value");
      values_[name] = "";
      continue;
    }
    if (inline_value) {
      values_[name] = *inline_value;
    } else if (i + 1 < argc) {
      values_[name] = argv[++i];
    } else {
      return Status::InvalidArgument("flag '--" + name + "' needs a value");
    }
  }
  return Status::OK();
}

std::optional<int> ParseCommandLine(std::string_view tool, const char* usage, int argc, char** argv,
                                    std::vector<FlagSpec> specs, CliArgs* args) {
  specs.push_back({"help", false});
  if (Status parsed = args->Parse(argc, argv, specs); !parsed.ok()) {
    Fail(tool, "", parsed, kExitUsage);
    std::fputs(usage, stderr);
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::fputs(usage, stdout);
    return kExitOk;
  }
  return std::nullopt;
}

std::optional<std::string> CliArgs::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

}  // namespace statelab::util
