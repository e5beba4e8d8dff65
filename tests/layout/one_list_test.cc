// One source of truth for the engine list: AllEngines (engines/registry/engine_list.h). Everything
// else (gates, scripts, the server suite, help texts, tests) reads it, through `statelab-bench
// --describe` or the C++ list, so a new engine cannot be silently left out. This test fails when
// a hand-written list naming every engine appears anywhere in the code, scripts or data files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engines/registry/engine_list.h"

namespace statelab {
namespace {

namespace fs = std::filesystem;

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsListSeparator(char c) {
  return std::string_view(" \t\n\"'`,|;()[]{}").find(c) != std::string_view::npos;
}

// The offset where a run of engine names separated only by list punctuation (quotes, commas,
// bars, semicolons, brackets, spaces, newlines) first names every engine in `names`; npos if none.
size_t FindEngineList(std::string_view text, const std::set<std::string>& names) {
  std::set<std::string> run;
  size_t run_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordChar(text[i])) {
      if (!IsListSeparator(text[i])) run.clear();
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsWordChar(text[j])) ++j;
    const std::string word(text.substr(i, j - i));
    if (names.count(word)) {
      if (run.empty()) run_start = i;
      run.insert(word);
      if (run.size() == names.size()) return run_start;
    } else {
      run.clear();
    }
    i = j;
  }
  return std::string_view::npos;
}
bool HasEngineList(std::string_view text, const std::set<std::string>& names) {
  return FindEngineList(text, names) != std::string_view::npos;
}

// C++ line comments are prose, not lists read by code.
std::string_view CodePart(std::string_view line, bool cxx) {
  if (!cxx) return line;
  const auto c = line.find("//");
  return c == std::string_view::npos ? line : line.substr(0, c);
}

std::set<std::string> EngineNames() {
  std::set<std::string> out;
  for (std::string_view n : AllEngines::names) out.emplace(n);
  return out;
}

std::vector<std::string> FindLists(const fs::path& root) {
  const std::set<std::string> names = EngineNames();
  const std::set<std::string> skipped_dirs = {".git", "build", "results", "docs"};
  std::vector<std::string> found;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path& p = it->path();
    const std::string rel = fs::relative(p, root).generic_string();
    if (it->is_directory()) {
      if (skipped_dirs.count(p.filename().string()) || rel == "tests/fixtures") {
        it.disable_recursion_pending();
      }
      continue;
    }
    const std::string ext = p.extension().string();
    const bool cxx = ext == ".h" || ext == ".cc" || ext == ".in";
    if (!cxx && ext != ".sh" && ext != ".json" && ext != ".txt" && ext != ".py" &&
        p.filename() != "run") {
      continue;
    }
    // The file's code, comments dropped, so a list split over lines (a JSON array) is caught.
    std::ifstream in(p);
    std::string line, code;
    while (std::getline(in, line)) code.append(CodePart(line, cxx)).push_back('\n');
    const size_t at = FindEngineList(code, names);
    if (at != std::string::npos) {
      const auto n = std::count(code.begin(), code.begin() + static_cast<ptrdiff_t>(at), '\n') + 1;
      found.push_back(rel + ":" + std::to_string(n));
    }
  }
  return found;
}

TEST(OneEngineList, NoSecondHandWrittenList) {
  ASSERT_GE(AllEngines::size, 2u);
  for (const std::string& where : FindLists(STATELAB_SOURCE_DIR)) {
    ADD_FAILURE() << where << ": names every engine by hand; read AllEngines (C++) or "
                  << "`statelab-bench --describe` (scripts, data) instead";
  }
}

// The samples are built from the real names, so this file holds no list itself.
TEST(OneEngineList, TheDetectorCatchesListsNotProse) {
  const std::set<std::string> names = EngineNames();
  auto joined = [](std::string_view before, std::string_view sep, std::string_view after) {
    std::string out(before);
    for (size_t i = 0; i < AllEngines::size; ++i) {
      out += (i ? std::string(sep) : "") + std::string(AllEngines::names[i]);
    }
    return out + std::string(after);
  };
  EXPECT_TRUE(HasEngineList(joined(R"(  "engines": [")", R"(", ")", R"("],)"), names));
  EXPECT_TRUE(HasEngineList(joined(R"(  "engines": [\n    ")", "\",\n    \"", "\"\n  ]"), names));
  EXPECT_TRUE(HasEngineList(joined("[[ $e =~ ^(", "|", ")$ ]]"), names));
  EXPECT_TRUE(HasEngineList(joined("  --engine E   ", " | ", ""), names));
  EXPECT_FALSE(HasEngineList(joined("", " and then ", ""), names));
  EXPECT_FALSE(HasEngineList(std::string(AllEngines::names[0]), names));
  EXPECT_EQ(CodePart("x = 1;  // a comment", true), "x = 1;  ");
}

}  // namespace
}  // namespace statelab
