#pragma once
// Shared pieces of the durability suites: a workload whose every commit touches four primitives
// with a checkable invariant, and file helpers.
//   Tick n (n = 1, 2, ...): kv "counter" = n, one event appended ("tick", {"n": n}),
//   state cell "last" = n, json document "doc" at $.n = n (a path write).
//   Invariant after any prefix of ticks: counter == event count == last == doc.n.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engines/durability/durable_state.h"
#include "engines/durability/env.h"
#include "engines/durability/wal_format.h"
#include "tests/common/thread_count.h"
#include "tests/conformance/fixture.h"

namespace statelab::testing_util {

// The run every workload writes to (fixed, so a reopened database finds it).
inline RunId WorkloadRun() {
  RunId r;
  for (int i = 0; i < 16; ++i) r.bytes[i] = static_cast<uint8_t>(0xA0 + i);
  return r;
}

// Extra writes of a tick (the randomized crash test varies them): "pad<j>" for j < keys in the
// primitive `in` (a kv key, a state cell, or member $.pad<j> of the json document "doc"), each a
// string of `bytes` bytes derived from (n, j), so a recovered pad proves its tick's value whole.
enum class PadPrimitive : uint8_t { kKv, kState, kJson };
struct TickMix {
  uint32_t keys = 0;
  uint32_t bytes = 0;
  PadPrimitive in = PadPrimitive::kKv;
};
inline const char* PadPrimitiveName(PadPrimitive p) {
  constexpr const char* kNames[] = {"kv", "state", "json"};
  return kNames[static_cast<int>(p)];
}
inline std::string PadValue(int64_t n, uint32_t j, uint32_t bytes) {
  std::string v(bytes, '\0');
  for (uint32_t i = 0; i < bytes; ++i) v[i] = static_cast<char>('a' + (n * 31 + j * 7 + i) % 26);
  return v;
}

// Commits tick n in one transaction.
template <class E>
Result<Version> CommitTick(Database<E>& db, int64_t n, const TxnOptions& o = {}, TickMix mix = {}) {
  using H = typename Database<E>::Handle;
  return db.Transaction(
      WorkloadRun(),
      [n, mix](H& h) -> Status {
        STATELAB_RETURN_IF_ERROR(h.kv().Put("counter", n));
        boost::json::object payload;
        payload["n"] = n;
        STATELAB_RETURN_IF_ERROR(h.events().Append("tick", payload).status());
        STATELAB_RETURN_IF_ERROR(h.state().Set("last", n));
        STATELAB_RETURN_IF_ERROR(n == 1 ? h.json().Create("doc", boost::json::object{{"n", n}})
                                        : h.json().Set("doc", "$.n", boost::json::value(n)));
        for (uint32_t j = 0; j < mix.keys; ++j) {
          const std::string key = "pad" + std::to_string(j);
          std::string pad = PadValue(n, j, mix.bytes);
          switch (mix.in) {
            case PadPrimitive::kKv:
              STATELAB_RETURN_IF_ERROR(h.kv().Put(key, std::move(pad)));
              break;
            case PadPrimitive::kState:
              STATELAB_RETURN_IF_ERROR(h.state().Set(key, std::move(pad)));
              break;
            case PadPrimitive::kJson:
              STATELAB_RETURN_IF_ERROR(h.json().Set("doc", "$." + key, boost::json::value(pad)));
              break;
          }
        }
        return Status::OK();
      },
      o);
}

struct TickState {
  int64_t counter = 0, events = 0, last = 0, doc = 0;
  Version counter_version = 0;
  std::string head_hash;
  bool consistent() const { return counter == events && counter == last && counter == doc; }
  friend bool operator==(const TickState&, const TickState&) = default;
};
inline std::ostream& operator<<(std::ostream& os, const TickState& s) {
  return os << "{counter " << s.counter << ", events " << s.events << ", last " << s.last
            << ", doc " << s.doc << ", counter_version " << s.counter_version << "}";
}

// Reads the workload's state (zeros when nothing was written).
template <class E>
TickState ReadTicks(Database<E>& db) {
  TickState s;
  const RunId run = WorkloadRun();
  Value v;
  if (db.kv().Get(run, "counter", &v, &s.counter_version).ok()) s.counter = std::get<int64_t>(v);
  if (auto len = db.events().Len(run); len.ok()) s.events = static_cast<int64_t>(*len);
  if (auto head = db.events().Head(run); head.ok()) s.head_hash = event_log::HashHex(head->hash);
  if (auto last = db.state().Read(run, "last"); last.ok()) s.last = std::get<int64_t>(last->value);
  if (auto doc = db.json().Get(run, "doc", "$.n"); doc.ok()) s.doc = doc->value.as_int64();
  return s;
}

// Whether every pad of `mix` holds the value of tick `counter` (tick 0: no pad at all).
template <class E>
bool PadsMatch(Database<E>& db, int64_t counter, TickMix mix) {
  for (uint32_t j = 0; j < mix.keys; ++j) {
    const std::string key = "pad" + std::to_string(j);
    Status s;
    std::string got;
    switch (mix.in) {
      case PadPrimitive::kKv: {
        Value v;
        s = db.kv().Get(WorkloadRun(), key, &v);
        if (s.ok() && std::holds_alternative<std::string>(v)) got = std::get<std::string>(v);
        break;
      }
      case PadPrimitive::kState: {
        auto r = db.state().Read(WorkloadRun(), key);
        s = r.status();
        if (r.ok() && std::holds_alternative<std::string>(r->value)) {
          got = std::get<std::string>(r->value);
        }
        break;
      }
      case PadPrimitive::kJson: {
        auto r = db.json().Get(WorkloadRun(), "doc", "$." + key);
        s = r.status();
        if (r.ok() && r->value.is_string()) got = std::string(r->value.as_string());
        break;
      }
    }
    if (counter == 0) {
      if (!s.IsNotFound()) return false;
      continue;
    }
    if (!s.ok() || got != PadValue(counter, j, mix.bytes)) return false;
  }
  return true;
}

inline std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    out.push_back(std::filesystem::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}
inline std::vector<std::string> ListNames(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> out;
  for (const auto& n : ListFiles(dir)) {
    if (n.ends_with(suffix) && n.find('/') == std::string::npos) out.push_back(n);
  }
  return out;
}
inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}
// Overwrites bytes in place (the file keeps its size, as damage to a preallocated segment).
inline void Overwrite(const std::string& path, uint64_t offset, std::string_view bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
// A WAL segment's bytes up to where its log ends (not the zeros it is preallocated with), as
// recovery reads them; frames start after the segment header.
inline std::string SegmentData(const std::string& path) {
  SegmentImage seg;
  EXPECT_TRUE(ReadSegment(Env::Default(), path, &seg).ok()) << path;
  return std::move(seg.data);
}
// Offsets of the valid frames of a WAL segment (its bytes, from the start), in order.
inline std::vector<wal::Frame> Frames(const std::string& data) {
  std::vector<wal::Frame> out;
  wal::Frame f;
  for (uint64_t off = wal::ParseSegmentHeader(data).first_frame; wal::ParseFrame(data, off, &f);
       off += f.size) {
    out.push_back(f);
  }
  return out;
}
inline bool HoldsRecords(const std::string& segment) {
  return !Frames(SegmentData(segment)).empty();
}
// The WAL root holding records: `dir` itself, or the one <dir>/<sub> (shared_nothing workers)
// whose wal/ has a non-empty segment.
inline std::string DataRoot(const std::string& dir) {
  std::vector<std::string> roots{dir};
  if (std::filesystem::exists(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (std::filesystem::exists(e.path() / "wal")) roots.push_back(e.path().string());
    }
  }
  std::sort(roots.begin() + 1, roots.end());
  for (const std::string& r : roots) {
    for (const std::string& n : ListNames(r + "/wal", ".wal")) {
      if (HoldsRecords(r + "/wal/" + n)) return r;
    }
  }
  return dir;
}
}  // namespace statelab::testing_util
