// The JSON file helpers: exact doubles, syntax errors that name the line and column, files that
// are written whole or not at all, and the typed views that never read a null as 0.

#include "util/json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>

namespace statelab::util {
namespace {

namespace json = boost::json;

TEST(ParseJsonExactTest, DoublesAreExact) {
  // Each is the correctly rounded double of its text (Boost.JSON 1.81 alone can be 1 ulp off).
  Result<json::value> v = ParseJsonExact("[0.1, 123456.789e-3, 5e-324]", "mem");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->at(0).as_double(), 0.1);
  EXPECT_EQ(v->at(1).as_double(), 123.456789);
  EXPECT_EQ(v->at(2).as_double(), 5e-324);
}

TEST(ParseJsonExactTest, ErrorsNameTheSourceLineAndColumn) {
  Result<json::value> v = ParseJsonExact("{\n  \"a\": nul\n}", "r.json");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), Code::kInvalidArgument);
  EXPECT_NE(v.error().message().find("r.json: malformed JSON at line 2, column "),
            std::string::npos)
      << v.error().ToString();
  v = ParseJsonExact("{} extra", "r.json");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("r.json: malformed JSON at line 1, column 4: "),
            std::string::npos)
      << v.error().ToString();
  v = ParseJsonExact(" \n\t", "empty.json");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message(), "empty.json: malformed JSON: no JSON document (empty input)");
}

TEST(PrettyJsonTest, RoundTripsAndWritesNonFiniteAsNull) {
  const json::value v = {{"a", 1.5}, {"b", json::array{1, "x", nullptr}}, {"c", json::object{}}};
  const std::string text = PrettyJson(v);
  EXPECT_EQ(text,
            "{\n  \"a\": 1.5,\n  \"b\": [\n    1,\n    \"x\",\n    null\n  ],\n  \"c\": {}\n}");
  EXPECT_EQ(*ParseJsonExact(text, "mem"), v);
  EXPECT_EQ(PrettyJson(json::value(std::nan(""))), "null");
  EXPECT_EQ(JsonFileText(json::value(1)), "1\n");
}

TEST(FileTest, WriteThenReadAndMissingFiles) {
  const std::string dir = ::testing::TempDir() + "/util_json_test_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/a.json";
  ASSERT_TRUE(WriteFile(path, "{\"k\": [1, 2]}").ok());
  ASSERT_TRUE(WriteFile(path, "{\"k\": [3]}").ok());  // replaces the file whole
  Result<json::value> v = LoadJsonFile(path);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (json::value{{"k", json::array{3}}}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temporaries

  Result<std::string> missing = ReadFile(dir + "/none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kIOError);
  EXPECT_NE(missing.error().message().find(dir + "/none.json: cannot open"), std::string::npos);
  Status unwritable = WriteFile(dir + "/no/such/dir/x.json", "1");
  EXPECT_EQ(unwritable.code(), Code::kIOError);
  EXPECT_NE(unwritable.message().find("x.json: cannot write"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(TypedViewTest, NullIsNoValue) {
  const json::value doc = {{"a", {{"b", 2}, {"n", nullptr}, {"s", "x"}, {"t", true}}},
                           {"list", json::array{"p", 1, "q"}}};
  const json::object& o = doc.as_object();
  EXPECT_EQ(AsNumber(FindPath(o, "a.b")), 2.0);
  EXPECT_FALSE(AsNumber(FindPath(o, "a.n")).has_value());
  EXPECT_FALSE(AsNumber(FindPath(o, "a.missing")).has_value());
  EXPECT_EQ(FindPath(o, "a.b.c"), nullptr);  // through a number
  EXPECT_EQ(AsString(FindPath(o, "a.s")), "x");
  EXPECT_EQ(AsBool(FindPath(o, "a.t")), true);
  EXPECT_FALSE(AsBool(FindPath(o, "a.n")).has_value());
  EXPECT_EQ(AsStringList(FindPath(o, "list")), (std::vector<std::string>{"p", "q"}));
  EXPECT_TRUE(NumberOrNull(std::nullopt).is_null());
  EXPECT_TRUE(NumberOrNull(std::nan("")).is_null());
  EXPECT_EQ(NumberOrNull(2.5), json::value(2.5));
}

}  // namespace
}  // namespace statelab::util
