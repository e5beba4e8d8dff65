// The shared command-line parser: flags with and without values, positionals, and the usage
// errors every tool reports with exit code 2.

#include "util/cli_args.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace statelab::util {
namespace {

Status ParseArgs(std::vector<std::string> words, CliArgs* args) {
  std::vector<char*> argv;
  std::string tool = "tool";
  argv.push_back(tool.data());
  for (std::string& w : words) argv.push_back(w.data());
  return args->Parse(static_cast<int>(argv.size()), argv.data(), {{"out", true}, {"quiet", false}});
}

TEST(CliArgsTest, FlagsValuesAndPositionals) {
  CliArgs args;
  ASSERT_TRUE(ParseArgs({"a.json", "--out", "dir", "--quiet", "--", "--b.json"}, &args).ok());
  EXPECT_EQ(args.Value("out"), "dir");
  EXPECT_TRUE(args.Has("quiet"));
  EXPECT_EQ(args.positionals(), (std::vector<std::string>{"a.json", "--b.json"}));
  CliArgs inline_value;
  ASSERT_TRUE(ParseArgs({"--out=x"}, &inline_value).ok());
  EXPECT_EQ(inline_value.Value("out"), "x");
}

TEST(CliArgsTest, UsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "unknown flag '--bogus' (see --help)"},
      {{"-q"}, "unknown flag '-q' (flags are spelled --name; see --help)"},
      {{"--quiet=1"}, "flag '--quiet' takes no value"},
      {{"--out"}, "flag '--out' needs a value"},
  };
  for (const auto& [words, message] : cases) {
    CliArgs args;
    const Status s = ParseArgs(words, &args);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << message;
    EXPECT_EQ(s.message(), message);
  }
}

}  // namespace
}  // namespace statelab::util
