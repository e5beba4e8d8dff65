// Writes seed inputs for the fuzz targets: a small valid WAL segment and a valid snapshot (each
// prefixed with the mode byte the targets read first). Usage: fuzz_make_seeds <wal_dir> <snap_dir>
#include <boost/json/parse.hpp>
#include <fstream>
#include <string>

#include "engines/api/key.h"
#include "engines/durability/snapshot_format.h"
#include "engines/durability/wal_format.h"

int main(int argc, char** argv) {
  using namespace statelab;
  if (argc != 3) return 2;
  RunId run;
  run.bytes.fill(7);
  std::string wal(1, '\0');
  snapshot::SnapshotBuilder b;
  for (Version v = 1; v <= 3; ++v) {
    TxnState t;
    t.run = run;
    t.now_us = 1000 * static_cast<TimestampUs>(v);
    if (v == 1) {
      t.lifecycle = Lifecycle::kRunBegin;
      t.lifecycle_run = run;
    }
    t.writes.reserve(2);  // w and d stay valid
    WriteEntry& w = t.writes.emplace_back();
    w.key = Key(run, Tag::kKv, "k" + std::to_string(v));
    w.value = Value(boost::json::parse(R"({"a":[1,2.5,"s",null,true],"b":{"c":-1}})"));
    WriteEntry& d = t.writes.emplace_back();
    d.key = Key(run, Tag::kState, "cell");
    d.kind = v == 2 ? WriteKind::kDelete : WriteKind::kPut;
    d.value = Value(int64_t{42});
    wal::EncodeCommit(v, t, &wal);
    VersionEntry e;
    e.version = v;
    e.tombstone = v == 2;
    if (!e.tombstone) e.value = w.value;
    b.Add(w.key.view(), e);
  }
  snapshot::Header h;
  h.version = 3;
  h.runs.push_back({run, 1, 0});
  std::ofstream(std::string(argv[1]) + "/segment", std::ios::binary) << wal;
  // Segment format 2: header, the records, zeros up to the preallocated size.
  std::string prealloc = wal::EncodeSegmentHeader(wal.size() + 64) + wal.substr(1);
  prealloc.resize(wal.size() + 64, '\0');
  std::ofstream(std::string(argv[1]) + "/segment2", std::ios::binary) << '\0' + prealloc;
  std::ofstream(std::string(argv[2]) + "/snapshot", std::ios::binary) << '\0' + b.Finish(h);
  return 0;
}
