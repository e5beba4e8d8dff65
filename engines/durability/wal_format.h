#pragma once
// The WAL record: framing and the commit payload (every byte: docs/wal_format.md).
//   frame  = u32 length | u8 type | u8 format version | payload[length] | u32 CRC32C
//   CRC32C covers the 6 header bytes and the payload. Little-endian throughout.
// One commit record per committed transaction; the run lifecycle marker (TxnState::lifecycle)
// travels inside it, so a marker and its transaction are durable together or not at all.
// The decoder is fuzzed (tests/fuzz/wal_record_fuzz.cc).
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "engines/api/status.h"
#include "engines/api/types.h"
#include "engines/core/txn_state.h"

namespace statelab::wal {

inline constexpr size_t kHeaderBytes = 6;   // length, type, format version
inline constexpr size_t kTrailerBytes = 4;  // CRC32C
inline constexpr uint8_t kFormatVersion = 1;
enum class RecordType : uint8_t { kCommit = 1 };

// Segment files: "<20-digit first version>.wal" under <root>/wal/.
std::string SegmentName(Version first_version);

// Segment header (segment format 2): magic "STLBWAL\n" | u32 segment format (2) | u64 the file's
// size at creation (header included; the file is preallocated to it and synced before any
// record is written) | u32 CRC32C of the 20 bytes before. Format 1 segments have no header.
inline constexpr size_t kSegmentHeaderBytes = 24;
inline constexpr uint32_t kSegmentFormat = 2;
std::string EncodeSegmentHeader(uint64_t file_bytes);
enum class SegmentKind { kLegacy, kPreallocated, kDamagedHeader };
struct SegmentHeader {
  SegmentKind kind = SegmentKind::kLegacy;
  uint64_t file_bytes = 0;   // kPreallocated: the size the file was created with
  uint64_t first_frame = 0;  // offset of the first frame
};
// Reads the header at the start of `data` (a prefix of the file, at least kSegmentHeaderBytes
// long when the file is). kLegacy: no magic (format 1, frames from offset 0); kDamagedHeader: the
// magic is there (or the file is cut inside it) but the rest fails its CRC (frames from
// kSegmentHeaderBytes). An empty file reads as kLegacy (format 1 created segments empty).
SegmentHeader ParseSegmentHeader(std::string_view data);
// Where the records of a segment end, `data` being a prefix of the file and `from` the first
// frame's offset. Legacy: data.size(). Preallocated: the first all-zero frame header reached by
// walking valid frames when only zeros follow it in `data` (the unwritten rest of the file);
// otherwise (damage, or a torn append) one past the last non-zero byte of `data`, or of the last
// valid frame after the damage if that ends later (its CRC may end in zero bytes).
uint64_t LogEnd(std::string_view data, const SegmentHeader& h);
// The first version a segment name stands for; false when `name` is not a segment name.
bool ParseSegmentName(std::string_view name, Version* first_version);

// Appends the framed commit record of `t` at version v (json path writes are logged as the
// materialized document).
void EncodeCommit(Version v, const TxnState& t, std::string* out);
// Rewrites the version of the one framed commit record `frame` (as EncodeCommit wrote it) and its
// CRC: a log that assigns versions under its own lock encodes the record before taking it.
void SetCommitVersion(Version v, char* frame, size_t size);

struct CommitRecord {
  Version version = 0;
  TimestampUs timestamp_us = 0;
  TxnState txn;  // run, lifecycle, lifecycle_run, writes (kPut / kDelete)
};
// Decodes a commit payload (frame already checked). False on any malformed byte.
bool DecodeCommit(std::string_view payload, CommitRecord* out);

// A frame found in a buffer.
struct Frame {
  uint64_t offset = 0;  // of the length field
  uint64_t size = 0;    // header + payload + trailer
  RecordType type = RecordType::kCommit;
  std::string_view payload;
};
// Checks the frame at data[offset]: header sane, fully inside `data`, CRC matches.
bool ParseFrame(std::string_view data, uint64_t offset, Frame* out);
// Offset of the first valid frame at or after `from` (resynchronizing after corruption), or
// std::string_view::npos.
uint64_t FindNextFrame(std::string_view data, uint64_t from);

}  // namespace statelab::wal
