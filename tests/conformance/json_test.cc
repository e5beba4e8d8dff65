// JsonStore: every operation, every documented error, limits, and path-level conflicts.
#include <boost/json/parse.hpp>
#include <cmath>
#include <functional>
#include <thread>

#include "tests/conformance/fixture.h"

namespace statelab::testing_util {
namespace {

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

template <class C>
class JsonConformance : public EngineTest<C> {
 protected:
  using H = typename EngineTest<C>::Handle;
  boost::json::value Doc(std::string_view id) {
    Result<VersionedJson> r = this->db_->json().Get(this->run_, id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->value : boost::json::value();
  }
  Version Ver(std::string_view id) { return *this->db_->json().GetVersion(this->run_, id); }
  TxnOptions NoRetry() {
    TxnOptions o;
    o.retry.max_retries = 0;
    return o;
  }
  // Runs `mine` in a transaction while `theirs` commits on another thread in the middle of it
  // (after mine has read and written); returns mine's outcome.
  template <class Mine, class Theirs>
  Result<Version> Interleave(Mine mine, Theirs theirs) {
    auto& db = *this->db_;
    return db.Transaction(
        this->run_,
        [&](H& h) -> Status {
          STATELAB_RETURN_IF_ERROR(mine(h));
          std::thread t([&] { EXPECT_OK(db.Transaction(this->run_, theirs)); });
          t.join();
          return Status::OK();
        },
        NoRetry());
  }
};
ENGINE_TEST_SUITE(JsonConformance, ModeSet::kAll);

ENGINE_TEST(JsonConformance, CreateGetExistsVersion) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  EXPECT_FALSE(*json.Exists(run, "d"));
  EXPECT_EQ(*json.GetVersion(run, "d"), 0u);
  EXPECT_TRUE(json.Get(run, "d").status().IsNotFound());
  Result<Version> v = json.Create(run, "d", J(R"({"a":{"b":[1,2,{"c":"x"}]},"k y":true})"));
  ASSERT_OK(v);
  EXPECT_TRUE(*json.Exists(run, "d"));
  EXPECT_EQ(*json.GetVersion(run, "d"), *v);
  Result<VersionedJson> whole = json.Get(run, "d");
  ASSERT_OK(whole);
  EXPECT_EQ(whole->value, J(R"({"a":{"b":[1,2,{"c":"x"}]},"k y":true})"));
  EXPECT_EQ(whole->version, *v);
  EXPECT_EQ(json.Get(run, "d", "$.a.b[2].c")->value, "x");
  EXPECT_EQ(json.Get(run, "d", "a.b[0]")->value, 1);
  EXPECT_EQ(json.Get(run, "d", R"($["k y"])")->value, true);
  EXPECT_TRUE(json.Get(run, "d", "$.a.nope").status().IsNotFound());
  EXPECT_TRUE(json.Get(run, "d", "$.a.b[3]").status().IsNotFound());
  Result<Version> dup = json.Create(run, "d", J("{}"));
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(*json.GetVersion(run, "d"), *v);
  // Any JSON value is a document.
  ASSERT_OK(json.Create(run, "scalar", 7));
  EXPECT_EQ(json.Get(run, "scalar")->value, 7);
}

ENGINE_TEST(JsonConformance, SetCreatesMembersAndAppends) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  ASSERT_OK(json.Create(run, "d", J(R"({"arr":[1]})")));
  ASSERT_OK(json.Set(run, "d", "$.a.b.c", 5));
  ASSERT_OK(json.Set(run, "d", "$.arr[1]", 2));  // index == size appends
  ASSERT_OK(json.Set(run, "d", "$.arr[0]", 0));
  EXPECT_EQ(this->Doc("d"), J(R"({"arr":[0,2],"a":{"b":{"c":5}}})"));
  ASSERT_OK(json.Set(run, "d", "$", J(R"({"fresh":1})")));  // the root replaces the document
  EXPECT_EQ(this->Doc("d"), J(R"({"fresh":1})"));
  EXPECT_TRUE(json.Set(run, "missing", "$.a", 1).status().IsNotFound());
  EXPECT_FALSE(*json.Exists(run, "missing"));
}

ENGINE_TEST(JsonConformance, BadWritesAreInvalidAndChangeNothing) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  ASSERT_OK(json.Create(run, "d", J(R"({"arr":[1],"s":"text"})")));
  const Version v = this->Ver("d");
  auto expect_invalid = [&](const Result<Version>& r, std::string_view needle) {
    ASSERT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(needle), std::string_view::npos) << r.status().ToString();
  };
  expect_invalid(json.Set(run, "d", "$.arr[5]", 1), "arr");  // index > size
  expect_invalid(json.Set(run, "d", "$.s.x", 1), "s");       // through a scalar
  expect_invalid(json.Set(run, "d", "$.arr.x", 1), "arr");   // a key on an array
  expect_invalid(json.Set(run, "d", "$.a[", 1), "offset");   // parse error
  expect_invalid(json.DeleteAt(run, "d", "$"), "$");         // the root
  std::string long_path = "$";
  for (int i = 0; i < 257; ++i) long_path += ".a";
  expect_invalid(json.Set(run, "d", long_path, 1), "256");
  boost::json::value deep = 1;
  for (int i = 0; i < 100; ++i) deep = boost::json::array{deep};  // depth 100: fits alone
  expect_invalid(json.Set(run, "d", "$.deep", deep), "depth");
  expect_invalid(json.Create(run, "deep", boost::json::array{deep}), "depth");
  const std::string big(json_doc::kMaxDocBytes, 'x');
  expect_invalid(json.Set(run, "d", "$.big", boost::json::string_view(big.data(), big.size())),
                 "16777216");
  expect_invalid(json.Set(run, "d", "$.nan", std::nan("")), "finite");
  expect_invalid(json.Create(run, "", J("{}")), "doc_id");
  expect_invalid(json.Create(run, std::string(1025, 'i'), J("{}")), "1024");
  EXPECT_EQ(json.Get(run, "", "$").status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(json.DeleteAt(run, "d", "$.nope").status().IsNotFound());
  EXPECT_EQ(this->Doc("d"), J(R"({"arr":[1],"s":"text"})"));
  EXPECT_EQ(this->Ver("d"), v);
  EXPECT_FALSE(*json.Exists(run, "deep"));
  ASSERT_OK(json.Create(run, std::string(1024, 'i'), J("{}")));
}

ENGINE_TEST(JsonConformance, DeleteAtPathAndDestroy) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  ASSERT_OK(json.Create(run, "d", J(R"({"a":1,"b":2,"arr":[1,2,3]})")));
  ASSERT_OK(json.DeleteAt(run, "d", "$.a"));
  ASSERT_OK(json.DeleteAt(run, "d", "$.arr[1]"));
  EXPECT_EQ(this->Doc("d"), J(R"({"b":2,"arr":[1,3]})"));
  const Version before = this->Ver("d");
  EXPECT_TRUE(*json.Destroy(run, "d"));
  EXPECT_FALSE(*json.Destroy(run, "d"));
  EXPECT_FALSE(*json.Exists(run, "d"));
  EXPECT_TRUE(json.Get(run, "d").status().IsNotFound());
  const Version tomb = this->Ver("d");
  EXPECT_GT(tomb, before);  // a destroyed document keeps its tombstone's version
  ASSERT_OK(json.Create(run, "d", J("[]")));
  EXPECT_EQ(this->Doc("d"), J("[]"));
}

ENGINE_TEST(JsonConformance, PatchIsOrderedAndAtomic) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  ASSERT_OK(json.Create(run, "d", J(R"({"a":1,"list":[]})")));
  ASSERT_OK(json.Patch(run, "d",
                       {JsonPatchOp::Set("$.b", J(R"({"c":1})")), JsonPatchOp::Set("$.b.d", 2),
                        JsonPatchOp::Delete("$.a"), JsonPatchOp::Set("$.list[0]", "x"),
                        JsonPatchOp::Set("$.list[1]", "y")}));
  EXPECT_EQ(this->Doc("d"), J(R"({"list":["x","y"],"b":{"c":1,"d":2}})"));
  const Version v = this->Ver("d");
  // The second op fails: the first one is not applied either.
  Result<Version> r =
      json.Patch(run, "d", {JsonPatchOp::Set("$.z", 1), JsonPatchOp::Set("$.list[9]", 1)});
  ASSERT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("patch op 1"), std::string_view::npos);
  r = json.Patch(run, "d", {JsonPatchOp::Set("$.z", 1), JsonPatchOp::Set("$..", 1)});
  ASSERT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("patch op 1"), std::string_view::npos);
  EXPECT_TRUE(json.Patch(run, "d", {JsonPatchOp::Set("$.z", 1), JsonPatchOp::Delete("$.nope")})
                  .status()
                  .IsNotFound());
  EXPECT_EQ(this->Doc("d"), J(R"({"list":["x","y"],"b":{"c":1,"d":2}})"));
  EXPECT_EQ(this->Ver("d"), v);
  EXPECT_TRUE(json.Patch(run, "missing", {JsonPatchOp::Set("$.a", 1)}).status().IsNotFound());
}

ENGINE_TEST(JsonConformance, MergeFollowsRfc7386) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  ASSERT_OK(json.Create(
      run, "d",
      J(R"({"title":"Goodbye!","author":{"given":"John","family":"Doe"},"tags":["a","b"],"content":"x"})")));
  // The RFC 7386 example.
  ASSERT_OK(json.Merge(
      run, "d", "$",
      J(R"({"title":"Hello!","phone":"+01-123","author":{"family":null},"tags":["e"]})")));
  EXPECT_EQ(
      this->Doc("d"),
      J(R"({"title":"Hello!","author":{"given":"John"},"tags":["e"],"content":"x","phone":"+01-123"})"));
  // At a path; an absent path is created (null members dropped).
  ASSERT_OK(json.Merge(run, "d", "$.author", J(R"({"age":40})")));
  ASSERT_OK(json.Merge(run, "d", "$.extra.deep", J(R"({"x":1,"y":null})")));
  EXPECT_EQ(json.Get(run, "d", "$.author")->value, J(R"({"given":"John","age":40})"));
  EXPECT_EQ(json.Get(run, "d", "$.extra")->value, J(R"({"deep":{"x":1}})"));
  // A non-object patch replaces the target.
  ASSERT_OK(json.Merge(run, "d", "$.author", 5));
  EXPECT_EQ(json.Get(run, "d", "$.author")->value, 5);
  boost::json::value deep = 1;
  for (int i = 0; i < 100; ++i) deep = boost::json::object{{"d", deep}};
  Result<Version> bad = json.Merge(run, "d", "$.x", deep);
  ASSERT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("depth"), std::string_view::npos);
  EXPECT_TRUE(json.Merge(run, "missing", "$", J("{}")).status().IsNotFound());
}

ENGINE_TEST(JsonConformance, CasChecksTheDocumentVersion) {
  auto json = this->db_->json();
  const RunId& run = this->run_;
  // Version 0: the document never existed; only the root can be set, which creates it.
  EXPECT_TRUE(json.Cas(run, "d", "$.a", 0, 1).status().IsNotFound());
  Result<Version> v1 = json.Cas(run, "d", "$", 0, J(R"({"a":1})"));
  ASSERT_OK(v1);
  Result<Version> stale = json.Cas(run, "d", "$.a", 0, 2);
  ASSERT_EQ(stale.status().code(), Code::kVersionMismatch);
  EXPECT_EQ(stale.status().a(), 0u);
  EXPECT_EQ(stale.status().b(), *v1);
  Result<Version> v2 = json.Cas(run, "d", "$.a", *v1, 2);
  ASSERT_OK(v2);
  EXPECT_EQ(this->Doc("d"), J(R"({"a":2})"));
  Result<Version> again = json.Cas(run, "d", "$.a", *v1, 3);
  ASSERT_EQ(again.status().code(), Code::kVersionMismatch);
  EXPECT_EQ(again.status().b(), *v2);
  EXPECT_EQ(json.Cas(run, "d", "$.a[", *v2, 3).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(json.Cas(run, "d", "$.a.b", *v2, 3).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(*json.Destroy(run, "d"));
  const Version tomb = this->Ver("d");
  EXPECT_EQ(json.Cas(run, "d", "$", 0, 1).status().b(), tomb);
  ASSERT_OK(json.Cas(run, "d", "$", tomb, J("[1]")));
  EXPECT_EQ(this->Doc("d"), J("[1]"));
}

ENGINE_TEST(JsonConformance, TransactionsReadTheirWritesAndAbortCleanly) {
  auto& db = *this->db_;
  using H = typename TestFixture::H;
  ASSERT_OK(db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.json().Create("d", J(R"({"a":1})")));
    STATELAB_RETURN_IF_ERROR(h.json().Set("d", "$.b", 2));
    STATELAB_RETURN_IF_ERROR(h.json().Merge("d", "$", J(R"({"c":3})")));
    boost::json::value v;
    STATELAB_RETURN_IF_ERROR(h.json().Get("d", "$.b", &v));
    EXPECT_EQ(v, 2);
    EXPECT_TRUE(*h.json().Exists("d"));
    return Status::OK();
  }));
  EXPECT_EQ(this->Doc("d"), J(R"({"a":1,"b":2,"c":3})"));
  Result<Version> failed = db.Transaction(this->run_, [&](H& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.json().Set("d", "$.a", 100));
    STATELAB_RETURN_IF_ERROR(h.json().Create("e", J("{}")));
    STATELAB_RETURN_IF_ERROR(h.json().Patch("d", {JsonPatchOp::Delete("$.b")}));
    return Status::InvalidArgument("abort on purpose");
  });
  EXPECT_EQ(failed.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(this->Doc("d"), J(R"({"a":1,"b":2,"c":3})"));
  EXPECT_FALSE(*db.json().Exists(this->run_, "e"));
}

ENGINE_TEST(JsonConformance, SiblingPathsCommitConcurrently) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::H;
  ASSERT_OK(db.json().Create(this->run_, "d", J(R"({"a":{"x":0},"b":0,"arr":[1,2]})")));
  // set vs set, delete vs set, patch vs merge, set inside an array element vs a sibling member.
  ASSERT_OK(this->Interleave([](H& h) { return h.json().Set("d", "$.a.x", 1); },
                             [](H& h) { return h.json().Set("d", "$.b", 1); }));
  ASSERT_OK(this->Interleave([](H& h) { return h.json().DeleteAt("d", "$.b"); },
                             [](H& h) { return h.json().Set("d", "$.a.y", 2); }));
  ASSERT_OK(this->Interleave(
      [](H& h) {
        return h.json().Patch("d", {JsonPatchOp::Set("$.p", 1), JsonPatchOp::Set("$.q", 1)});
      },
      [](H& h) { return h.json().Merge("d", "$", J(R"({"m":{"n":1}})")); }));
  ASSERT_OK(this->Interleave([](H& h) { return h.json().Set("d", "$.arr[0]", 10); },
                             [](H& h) { return h.json().Set("d", "$.c", 3); }));
  // Both sides create the same missing parent object with different members.
  ASSERT_OK(this->Interleave([](H& h) { return h.json().Set("d", "$.new.one", 1); },
                             [](H& h) { return h.json().Set("d", "$.new.two", 2); }));
  EXPECT_EQ(
      this->Doc("d"),
      J(R"({"a":{"x":1,"y":2},"arr":[10,2],"m":{"n":1},"p":1,"q":1,"c":3,"new":{"two":2,"one":1}})"));
}

ENGINE_TEST(JsonConformance, DisjointMergesCommitConcurrently) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::H;
  ASSERT_OK(db.json().Create(this->run_, "d", J(R"({"cfg":{"a":0,"b":0}})")));
  ASSERT_OK(this->Interleave([](H& h) { return h.json().Merge("d", "$", J(R"({"cfg":{"a":1}})")); },
                             [](H& h) { return h.json().Merge("d", "$.cfg", J(R"({"b":2})")); }));
  EXPECT_EQ(this->Doc("d"), J(R"({"cfg":{"a":1,"b":2}})"));
  // Merges writing the same member conflict.
  Result<Version> r =
      this->Interleave([](H& h) { return h.json().Merge("d", "$", J(R"({"cfg":{"a":5}})")); },
                       [](H& h) { return h.json().Merge("d", "$.cfg", J(R"({"a":6})")); });
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(this->Doc("d"), J(R"({"cfg":{"a":6,"b":2}})"));
}

ENGINE_TEST(JsonConformance, OverlappingPathsConflict) {
  auto& db = *this->db_;
  if (db.engine().serial_runs()) GTEST_SKIP() << "transactions of one run never interleave";
  using H = typename TestFixture::H;
  const boost::json::value start = J(R"({"a":{"x":0},"arr":[{"v":1},{"v":2}]})");
  struct Case {
    const char* name;
    std::function<Status(H&)> mine, theirs;
  };
  const std::vector<Case> cases = {
      {"same path", [](H& h) { return h.json().Set("d", "$.a.x", 1); },
       [](H& h) { return h.json().Set("d", "$.a.x", 2); }},
      {"theirs is a prefix", [](H& h) { return h.json().Set("d", "$.a.x", 1); },
       [](H& h) { return h.json().Set("d", "$.a", 2); }},
      {"mine is a prefix", [](H& h) { return h.json().DeleteAt("d", "$.a"); },
       [](H& h) { return h.json().Set("d", "$.a.y", 2); }},
      {"append vs element", [](H& h) { return h.json().Set("d", "$.arr[0].v", 9); },
       [](H& h) { return h.json().Set("d", "$.arr[2]", J("{}")); }},
      {"remove vs element", [](H& h) { return h.json().Set("d", "$.arr[1].v", 9); },
       [](H& h) { return h.json().DeleteAt("d", "$.arr[0]"); }},
      {"element vs remove", [](H& h) { return h.json().DeleteAt("d", "$.arr[1]"); },
       [](H& h) { return h.json().Set("d", "$.arr[0].v", 9); }},
      {"read path vs write",
       [](H& h) -> Status {
         boost::json::value v;
         STATELAB_RETURN_IF_ERROR(h.json().Get("d", "$.a.x", &v));
         return h.kv().Put("copy", v);
       },
       [](H& h) { return h.json().Set("d", "$.a.x", 7); }},
      {"destroy vs path", [](H& h) { return h.json().Set("d", "$.a.x", 1); },
       [](H& h) { return h.json().Destroy("d").status(); }},
  };
  for (const Case& c : cases) {
    ASSERT_OK(db.json().Destroy(this->run_, "d"));
    ASSERT_OK(db.json().Create(this->run_, "d", start));
    Result<Version> r = this->Interleave(c.mine, c.theirs);
    EXPECT_EQ(r.status().code(), Code::kConflict) << c.name;
  }
  // A path read does not conflict with writes elsewhere in the document.
  ASSERT_OK(db.json().Create(this->run_, "d", start));
  ASSERT_OK(this->Interleave(
      [](H& h) -> Status {
        boost::json::value v;
        STATELAB_RETURN_IF_ERROR(h.json().Get("d", "$.a.x", &v));
        return h.kv().Put("copy", v);
      },
      [](H& h) { return h.json().Set("d", "$.arr[0].v", 5); }));
}

ENGINE_TEST(JsonConformance, ConflictsAreRetriedToCompletion) {
  auto& db = *this->db_;
  using H = typename TestFixture::H;
  ASSERT_OK(db.json().Create(this->run_, "counter", J(R"({"n":0,"log":[]})")));
  TxnOptions o;
  o.retry.max_retries = 100000;
  std::vector<std::thread> ts;
  ts.reserve(4);
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        ASSERT_OK(db.Transaction(
            this->run_,
            [&](H& h) -> Status {
              boost::json::value n;
              STATELAB_RETURN_IF_ERROR(h.json().Get("counter", "$.n", &n));
              STATELAB_RETURN_IF_ERROR(h.json().Set("counter", "$.n", n.as_int64() + 1));
              std::string path = "$.w";
              path += std::to_string(i);
              return h.json().Set("counter", path, j);
            },
            o));
      }
    });
  }
  for (auto& t : ts) t.join();
  boost::json::value doc = this->Doc("counter");
  EXPECT_EQ(doc.at("n"), 200);
  for (const char* w : {"w0", "w1", "w2", "w3"}) EXPECT_EQ(doc.at(w), 49);
}

}  // namespace
}  // namespace statelab::testing_util
