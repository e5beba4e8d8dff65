#pragma once
// One sample write to every data primitive of a run (kv, events, state, traces, json, vectors),
// and checks that a run holds all of them or nothing at all. Shared by the delete_run and
// atomicity cases.

#include <gtest/gtest.h>

#include "engines/primitives/database.h"

namespace statelab::testing_util {

inline constexpr std::string_view kSampleCollection = "emb";

// The vector collection the samples write into; it must exist before WriteSamples.
template <class Db>
Status CreateSampleCollection(Db& db, const RunId& run) {
  return db.vectors().CreateCollection(run, kSampleCollection, 3, VectorMetric::kCosine).status();
}

template <class H>
Status WriteSamples(H& h) {
  STATELAB_RETURN_IF_ERROR(h.kv().Put("k", "v"));
  STATELAB_RETURN_IF_ERROR(h.events().Append("created", boost::json::value{{"n", 1}}).status());
  STATELAB_RETURN_IF_ERROR(h.state().Init("cell", int64_t{1}));
  STATELAB_RETURN_IF_ERROR(h.traces().Record(trace::Thought{"thinking", 0.5}, {"t"}).status());
  STATELAB_RETURN_IF_ERROR(h.json().Create("doc", boost::json::value{{"a", 1}}));
  const float v[3] = {1, 2, 3};
  return h.vectors().Upsert(kSampleCollection, "v1", v, boost::json::object{{"m", 1}});
}

// Every sample is readable (present) or none is, through each primitive's own reads.
template <class Db>
void ExpectSamples(Db& db, const RunId& run, bool present) {
  Value v;
  Status kv = db.kv().Get(run, "k", &v);
  EXPECT_EQ(kv.ok(), present) << kv.ToString();
  if (!present) {
    EXPECT_TRUE(kv.IsNotFound()) << kv.ToString();
  }
  Result<uint64_t> events = db.events().Len(run);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(*events, present ? 1u : 0u);
  Result<bool> cell = db.state().Exists(run, "cell");
  ASSERT_TRUE(cell.ok()) << cell.status().ToString();
  EXPECT_EQ(*cell, present);
  Result<uint64_t> traces = db.traces().Count(run);
  ASSERT_TRUE(traces.ok()) << traces.status().ToString();
  EXPECT_EQ(*traces, present ? 1u : 0u);
  Result<std::vector<Trace>> tagged = db.traces().QueryByTag(run, "t");
  ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
  EXPECT_EQ(tagged->size(), present ? 1u : 0u);
  Result<bool> doc = db.json().Exists(run, "doc");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, present);
  Result<VectorEntry> vec = db.vectors().Get(run, kSampleCollection, "v1");
  EXPECT_EQ(vec.ok(), present) << vec.status().ToString();
  if (!present) {
    EXPECT_TRUE(vec.status().IsNotFound()) << vec.status().ToString();
  }
}

// Live keys of `run` under every tag, read through a raw transaction scan.
template <class Db>
size_t CountLiveKeys(Db& db, const RunId& run) {
  size_t n = 0;
  Status s = db.Read(run, [&](auto& h) -> Status {
    for (Tag tag : kAllTags) {
      STATELAB_RETURN_IF_ERROR(h.raw().Scan(tag, "", [&](std::string_view, const Value&, Version) {
        ++n;
        return true;
      }));
    }
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return n;
}

}  // namespace statelab::testing_util
