// The engine list: every listed engine opens by name behind the virtual wrapper, and an unknown
// name is refused with the names that would work.
#include "engines/registry/engine_list.h"

#include <gtest/gtest.h>

#include <string>

#include "engines/primitives/database.h"

namespace statelab {
namespace {

TEST(EngineList, EveryListedEngineOpensByName) {
  ASSERT_EQ(AllEngines::size, 3u);
  for (std::string_view name : AllEngines::names) {
    SCOPED_TRACE(std::string(name));
    DbOptions o;
    o.engine = std::string(name);
    auto db = Database<AnyEngine>::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->engine().name(), name);
    const RunId run = RunId::Random();
    ASSERT_TRUE((*db)->kv().Put(run, "k", int64_t{7}).ok());
    Value v;
    ASSERT_TRUE((*db)->kv().Get(run, "k", &v).ok());
    EXPECT_EQ(std::get<int64_t>(v), 7);
  }
}

TEST(EngineList, UnknownNameIsRefusedWithTheKnownOnes) {
  DbOptions o;
  o.engine = "lsm";
  auto db = Database<AnyEngine>::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kInvalidArgument);
  const std::string message = db.status().ToString();
  EXPECT_NE(message.find("lsm"), std::string::npos) << message;
  for (std::string_view name : AllEngines::names) {
    EXPECT_NE(message.find(name), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace statelab
