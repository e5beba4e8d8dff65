#pragma once
// The snapshot file (every byte: docs/snapshot_format.md):
//   header   = magic "STLBSNAP" | u32 format version | u64 commit version | i64 timestamp_us |
//              u64 WAL start segment | u32 run count | runs (run[16], u64 begin, u64 end)* |
//              u32 section count | u32 CRC32C of the header bytes before it
//   section  = u8 tag | u64 entry count | u64 section bytes | u32 CRC32C of those 17 bytes |
//              entries, in ascending tag order
//   entry    = u32 key length | key | u64 version | i64 expire_at_us | u8 flags | value |
//              u32 CRC32C of the entry's bytes before it (flags bit 0 = tombstone: no value)
//   trailer  = u32 CRC32C of every byte before it
// Format 1 (still read) has no header, section or entry CRC.
// The reader is fuzzed (tests/fuzz/snapshot_reader_fuzz.cc).
// Thread-safety: SnapshotBuilder belongs to one thread; ParseSnapshot is a pure function.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "engines/api/types.h"
#include "engines/core/version_chain.h"

namespace statelab::snapshot {

inline constexpr std::string_view kMagic = "STLBSNAP";
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint64_t kVersionOffset = 12;  // of the header's commit version

// "snapshot-<20-digit version>.snap" under <root>/snapshots/.
std::string FileName(Version v);
bool ParseFileName(std::string_view name, Version* v);

// Run lifecycle as of the snapshot: begin / end commit versions (0 = not (yet) seen).
struct RunLife {
  RunId run;
  Version begin = 0;
  Version end = 0;
};

struct Header {
  Version version = 0;
  TimestampUs timestamp_us = 0;
  Version wal_start_segment = 0;  // first WAL segment recovery reads from
  std::vector<RunLife> runs;
};

// Collects entries in any order, writes sections in ascending tag order.
class SnapshotBuilder {
 public:
  void Add(std::string_view key, const VersionEntry& e);
  // The complete file, trailer included.
  std::string Finish(const Header& h) const;
  uint64_t entries() const noexcept { return entries_; }

 private:
  struct Section {
    uint64_t count = 0;
    std::string bytes;
  };
  Section sections_[256];
  uint64_t entries_ = 0;
};

using EntryFn = std::function<void(std::string_view key, VersionEntry e)>;
// Validates the whole file (size, magic, format version, CRC unless verify_crc is false, section
// order, every entry) before calling `fn` for any entry; otherwise Corruption(name, offset): the
// offset of the header (8), section or entry that does not parse or fails its own CRC (format 2;
// with a whole-file CRC mismatch the structure is parsed to place the damage), or the trailer's
// offset when only the whole-file CRC fails (the trailer itself, or in format 1 a damaged byte
// that still parses). fn may be empty (validation only).
Status ParseSnapshot(std::string_view data, std::string_view name, bool verify_crc, Header* header,
                     const EntryFn& fn);
// The entries of a snapshot ParseSnapshot accepted, in file order, without its checks again
// (recovery validates once, then sizes the engine's tables and loads).
void ForEachEntry(std::string_view data, const EntryFn& fn);

}  // namespace statelab::snapshot
