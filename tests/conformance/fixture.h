#pragma once
// The typed conformance fixture: every test case runs against every engine in AllEngines (plus
// the virtual wrapper over the first one) x every durability mode. New engines get every case by
// joining the engine list. A suite is declared with ENGINE_TEST_SUITE(Fixture, ModeSet::kAll)
// and its cases with ENGINE_TEST(Fixture, Name) { ... }, written like TYPED_TEST bodies
// (this->..., TestFixture, TypeParam::Engine; the mode is this->mode()).

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engines/primitives/database.h"
#include "engines/registry/engine_list.h"

namespace statelab::testing_util {

template <class E>
struct Config {
  using Engine = E;
};

// Which (engine, durability mode) pairs a suite runs on.
enum class ModeSet {
  kAll,       // every engine x {inmemory, buffered, strict}, plus the virtual wrapper in memory
  kDurable,   // every engine x {buffered, strict}
  kInMemory,  // every engine, in memory
};

// Base of every engine-typed fixture. The durability mode is a run-time value, set before SetUp,
// so a test body is compiled once per engine rather than once per engine x mode (docs/building.md).
class ModeTest : public ::testing::Test {
 public:
  DurabilityMode mode() const noexcept { return mode_; }
  void set_mode(DurabilityMode m) noexcept { mode_ = m; }

 private:
  DurabilityMode mode_ = DurabilityMode::kInMemory;
};

// Registers Body<Config<E>> as test `name` of suite "<suite>/<engine>_<mode>" for each pair of
// `modes` (the names TYPED_TEST gave them). Body::TestFixture is the suite's fixture.
template <template <class> class Body>
bool RegisterEngineTest(const char* suite, const char* name, ModeSet modes, const char* file,
                        int line) {
  auto add = [&]<class E>(DurabilityMode m) {
    using Fixture = typename Body<Config<E>>::TestFixture;
    const std::string suite_name =
        std::string(suite) + "/" + std::string(E::kName) + "_" + std::string(ModeName(m));
    ::testing::RegisterTest(suite_name.c_str(), name, nullptr, nullptr, file, line,
                            [m]() -> Fixture* {
                              auto* t = new Body<Config<E>>();
                              t->set_mode(m);
                              return t;
                            });
  };
  std::vector<DurabilityMode> list;
  if (modes != ModeSet::kDurable) list.push_back(DurabilityMode::kInMemory);
  if (modes != ModeSet::kInMemory) {
    list.push_back(DurabilityMode::kBuffered);
    list.push_back(DurabilityMode::kStrict);
  }
  for (DurabilityMode m : list) {
    AllEngines::ForEach([&]<class E>() { add.template operator()<E>(m); });
  }
  if (modes == ModeSet::kAll) add.template operator()<AnyEngine>(DurabilityMode::kInMemory);
  return true;
}

std::string MakeTempDir(const std::string& tag);

template <class C>
class EngineTest : public ModeTest {
 protected:
  using E = typename C::Engine;
  using Db = Database<E>;
  using P = typename E::Partition;
  using Handle = TxnHandle<P>;

  void SetUp() override {
    dir_ = MakeTempDir("conformance");
    opts_.mode = mode();
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
#define ASSERT_OK(expr)                                             \
  do {                                                              \
    auto&& _s = (expr);                                             \
    ASSERT_TRUE(_s.ok()) << ::statelab::testing_util::Describe(_s); \
  } while (0)
#define EXPECT_OK(expr)                                             \
  do {                                                              \
    auto&& _s = (expr);                                             \
    EXPECT_TRUE(_s.ok()) << ::statelab::testing_util::Describe(_s); \
  } while (0)

namespace statelab::testing_util {
inline std::string Describe(const Status& s) { return s.ToString(); }
template <class T>
std::string Describe(const Result<T>& r) {
  return r.status().ToString();
}
}  // namespace statelab::testing_util

// The suite's mode set, read by its ENGINE_TESTs.
#define ENGINE_TEST_SUITE(Fixture, modes) \
  [[maybe_unused]] constexpr ::statelab::testing_util::ModeSet Fixture##_modes = modes

// `Fixture` names a class template (`Fixture<C>`): it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ENGINE_TEST(Fixture, Name)                                           \
  template <class C>                                                         \
  class Fixture##_##Name##_Test : public Fixture<C> {                        \
   public:                                                                   \
    using TestFixture = Fixture<C>;                                          \
    using TypeParam = C;                                                     \
    void TestBody() override;                                                \
  };                                                                         \
  [[maybe_unused]] const bool Fixture##_##Name##_registered =                \
      ::statelab::testing_util::RegisterEngineTest<Fixture##_##Name##_Test>( \
          #Fixture, #Name, Fixture##_modes, __FILE__, __LINE__);             \
  template <class C>                                                         \
  void Fixture##_##Name##_Test<C>::TestBody()
// NOLINTEND(bugprone-macro-parentheses)
