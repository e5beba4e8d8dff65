// The layers of docs/architecture.md, enforced: every #include "folder/file.h" in the source tree
// must point into the including file's own folder or into a folder its layer may use. A new folder
// must be added here (and to docs/architecture.md) before it can hold code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace statelab {
namespace {

namespace fs = std::filesystem;

// An engine folder is any engines/<name>/ that is not one of the shared layers below, so a new
// engine needs no entry here; "engine" stands for all of them.
const std::set<std::string> kSharedEngineLayers = {
    "engines/api",      "engines/core",   "engines/durability", "engines/primitives",
    "engines/registry", "engines/replay", "engines/peers"};
constexpr char kEngine[] = "engine";

// Layer -> the layers it may include (besides its own folder). Listed bottom-up; nothing points up.
std::map<std::string, std::set<std::string>> AllowedIncludes() {
  const std::set<std::string> api = {"engines/api"};
  const std::set<std::string> durable = {"engines/api", "engines/core", "engines/durability"};
  std::set<std::string> engines_all = kSharedEngineLayers;
  engines_all.insert(kEngine);
  auto with = [](std::set<std::string> base, std::initializer_list<std::string> more) {
    base.insert(more);
    return base;
  };
  return {
      {"engines/api", {}},
      {"util", api},
      {"engines/core", api},
      {"engines/durability", {"engines/api", "engines/core"}},
      {kEngine, durable},
      {"engines/primitives", durable},
      {"engines/registry", with(durable, {kEngine})},
      {"engines/replay", with(durable, {"engines/primitives", kEngine})},
      {"engines/peers", with(durable, {"engines/registry", kEngine})},
      {"workloads", {"engines/api", "util"}},
      {"harness", {"engines/api", "util"}},
      {"bench", with(engines_all, {"util", "harness", "workloads"})},
      {"gates", {"engines/api", "util", "harness"}},
      {"reports", {"engines/api", "util", "harness", "gates"}},
      {"tools", with(engines_all, {"util", "harness", "gates", "reports"})},
  };
}

// The layer of a path relative to the root: "engines/<x>" for the shared engine layers, "engine"
// for an engine's folder, else the top folder ("tools" for tools/resp/...). Empty for tests/, which
// may include anything.
std::string LayerOf(const std::string& rel) {
  const auto slash = rel.find('/');
  if (slash == std::string::npos) return "";
  const std::string top = rel.substr(0, slash);
  if (top == "engines") {
    const auto second = rel.find('/', slash + 1);
    if (second == std::string::npos) return "";
    const std::string folder = rel.substr(0, second);
    return kSharedEngineLayers.count(folder) ? folder : kEngine;
  }
  return top == "tests" ? "" : top;
}

// Two files are in the same folder (an engine may include its own headers, not another engine's).
bool SameFolder(const std::string& a, const std::string& b) {
  return fs::path(a).parent_path() == fs::path(b).parent_path();
}

struct Violation {
  std::string file;
  int line;
  std::string include;
};

std::vector<Violation> Scan(const fs::path& root, std::vector<std::string>* unknown_folders) {
  const auto allowed = AllowedIncludes();
  const std::regex include_re(R"re(^\s*#\s*include\s+"([^"]+)")re");
  std::vector<Violation> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".h" && ext != ".cc" && ext != ".in") continue;
    const std::string rel = fs::relative(entry.path(), root).generic_string();
    if (rel.rfind("build", 0) == 0 || rel.rfind(".git", 0) == 0) continue;
    const std::string layer = LayerOf(rel);
    if (layer.empty()) continue;
    const auto rules = allowed.find(layer);
    if (rules == allowed.end()) {
      unknown_folders->push_back(rel);
      continue;
    }
    std::ifstream in(entry.path());
    std::string text;
    int line_no = 0;
    while (std::getline(in, text)) {
      ++line_no;
      std::smatch m;
      if (!std::regex_search(text, m, include_re)) continue;
      const std::string target = LayerOf(m[1].str());
      if (target.empty() || rules->second.count(target)) continue;
      if (target == layer && (layer != kEngine || SameFolder(rel, m[1].str()))) continue;
      out.push_back({rel, line_no, m[1].str()});
    }
  }
  return out;
}

TEST(Layers, NoIncludeRunsAgainstTheLayerOrder) {
  std::vector<std::string> unknown;
  const auto violations = Scan(STATELAB_SOURCE_DIR, &unknown);
  for (const auto& v : violations) {
    ADD_FAILURE() << v.file << ":" << v.line << ": includes \"" << v.include
                  << "\", a folder its layer may not use (docs/architecture.md, Layers)";
  }
  for (const auto& f : unknown) {
    ADD_FAILURE() << f << ": code in a folder with no layer (add it to docs/architecture.md and "
                  << "tests/layout/layers_test.cc)";
  }
}

// The check itself must be able to fail: a core header that reaches up into the primitives is
// caught, an engine that includes another engine is caught, and a harness file that includes
// engine code is caught.
TEST(Layers, TheCheckCatchesAnUpwardInclude) {
  const fs::path root =
      fs::temp_directory_path() / ("statelab_layers_" + std::to_string(::getpid()));
  fs::create_directories(root / "engines/core");
  fs::create_directories(root / "harness");
  fs::create_directories(root / "engines/lsm");
  std::ofstream(root / "engines/core/bad.h") << "#include \"engines/primitives/kv.h\"\n";
  std::ofstream(root / "engines/lsm/lsm_engine.h") << "#include \"engines/lsm/memtable.h\"\n"
                                                   << "#include \"engines/btree/btree_engine.h\"\n";
  std::ofstream(root / "harness/bad.cc") << "#include \"engines/core/version_chain.h\"\n"
                                         << "#include \"util/json.h\"\n";
  std::vector<std::string> unknown;
  const auto violations = Scan(root, &unknown);
  fs::remove_all(root);
  ASSERT_EQ(violations.size(), 3u);
  EXPECT_TRUE(unknown.empty());
  std::set<std::string> files;
  for (const auto& v : violations) files.insert(v.file);
  EXPECT_EQ(files, (std::set<std::string>{"engines/core/bad.h", "engines/lsm/lsm_engine.h",
                                          "harness/bad.cc"}));
}

}  // namespace
}  // namespace statelab
