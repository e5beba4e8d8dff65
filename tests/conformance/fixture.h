#pragma once
// The typed conformance fixture: every test case runs against every engine in AllEngines (plus
// the virtual wrapper over the first one) x every durability mode. New engines get every case by
// joining the engine list.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engines/primitives/database.h"
#include "engines/registry/engine_list.h"

namespace statelab::testing_util {

template <class E, DurabilityMode M>
struct Config {
  using Engine = E;
  static constexpr DurabilityMode kMode = M;
};

template <class List>
struct ConfigTypes;
// Every engine x {inmemory, buffered, strict}, plus the virtual wrapper (in memory).
template <class... Es>
struct ConfigTypes<EngineList<Es...>> {
  using type = ::testing::Types<Config<Es, DurabilityMode::kInMemory>...,
                                Config<Es, DurabilityMode::kBuffered>...,
                                Config<Es, DurabilityMode::kStrict>...,
                                Config<AnyEngine, DurabilityMode::kInMemory>>;
};
using AllConfigs = typename ConfigTypes<AllEngines>::type;

struct ConfigName {
  template <class C>
  static std::string GetName(int) {
    std::string engine(C::Engine::kName);
    return engine + "_" + std::string(ModeName(C::kMode));
  }
};

std::string MakeTempDir(const std::string& tag);

template <class C>
class EngineTest : public ::testing::Test {
 protected:
  using E = typename C::Engine;
  using Db = Database<E>;
  using P = typename E::Partition;
  using Handle = TxnHandle<P>;

  void SetUp() override {
    dir_ = MakeTempDir("conformance");
    opts_.mode = C::kMode;
    opts_.dir = dir_;
    opts_.engine = std::string(AllEngines::names[0]);
    Reopen();
    run_ = RunId::Random();
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    db_.reset();
    auto r = Db::Open(opts_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
  }

  DbOptions opts_;
  std::string dir_;
  std::unique_ptr<Db> db_;
  RunId run_;
};

}  // namespace statelab::testing_util

// Assertion helpers that print the Status on failure.
#define ASSERT_OK(expr)                                      \
  do {                                                       \
    auto&& _s = (expr);                                      \
    ASSERT_TRUE(_s.ok()) << ::statelab::testing_util::Describe(_s); \
  } while (0)
#define EXPECT_OK(expr)                                      \
  do {                                                       \
    auto&& _s = (expr);                                      \
    EXPECT_TRUE(_s.ok()) << ::statelab::testing_util::Describe(_s); \
  } while (0)

namespace statelab::testing_util {
inline std::string Describe(const Status& s) { return s.ToString(); }
template <class T>
std::string Describe(const Result<T>& r) {
  return r.status().ToString();
}
}  // namespace statelab::testing_util
