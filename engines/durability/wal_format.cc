#include "engines/durability/wal_format.h"

#include <algorithm>
#include <cstdio>

#include "engines/durability/codec.h"
#include "engines/durability/crc32c.h"

namespace statelab::wal {
namespace {
enum class Op : uint8_t { kPut = 1, kDelete = 2 };

void PutRun(std::string* out, const RunId& r) {
  out->append(reinterpret_cast<const char*>(r.bytes.data()), r.bytes.size());
}
bool ReadRun(codec::Reader& r, RunId* run) {
  std::string_view b;
  if (!r.Raw(16, &b)) return false;
  std::memcpy(run->bytes.data(), b.data(), 16);
  return true;
}
}  // namespace

std::string SegmentName(Version first_version) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.wal", static_cast<unsigned long long>(first_version));
  return buf;
}

bool ParseSegmentName(std::string_view name, Version* first_version) {
  if (name.size() != 24 || name.substr(20) != ".wal") return false;
  Version v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<Version>(c - '0');
  }
  *first_version = v;
  return true;
}

namespace {
constexpr std::string_view kSegmentMagic("STLBWAL\n", 8);
}  // namespace

std::string EncodeSegmentHeader(uint64_t file_bytes) {
  std::string out(kSegmentMagic);
  codec::PutU32(&out, kSegmentFormat);
  codec::PutU64(&out, file_bytes);
  codec::PutU32(&out, crc32c::Value(out));
  return out;
}

SegmentHeader ParseSegmentHeader(std::string_view data) {
  SegmentHeader h;
  // A file cut inside its magic is a damaged segment, not a format 1 one.
  if (!data.starts_with(kSegmentMagic) && (data.empty() || !kSegmentMagic.starts_with(data))) {
    return h;
  }
  h.first_frame = kSegmentHeaderBytes;
  h.kind = SegmentKind::kDamagedHeader;
  if (data.size() < kSegmentHeaderBytes ||
      codec::LoadU32(data.data() + 8) != kSegmentFormat ||
      crc32c::Value(data.substr(0, kSegmentHeaderBytes - 4)) !=
          codec::LoadU32(data.data() + kSegmentHeaderBytes - 4)) {
    return h;
  }
  h.kind = SegmentKind::kPreallocated;
  h.file_bytes = codec::LoadU64(data.data() + 12);
  return h;
}

uint64_t LogEnd(std::string_view data, const SegmentHeader& h) {
  if (h.kind == SegmentKind::kLegacy) return data.size();
  uint64_t off = std::min<uint64_t>(h.first_frame, data.size());
  Frame f;
  while (ParseFrame(data, off, &f)) off += f.size;
  const auto zero = [](std::string_view s) {
    return s.find_first_not_of('\0') == std::string_view::npos;
  };
  if (zero(data.substr(off))) return off;
  uint64_t end = data.size();
  while (end > off && data[end - 1] == '\0') --end;  // never written: not part of the log
  // Valid frames after the damage are part of the log even where their last bytes are zeros (a
  // CRC ending in 0x00): trimming into one would make a record written whole look torn.
  for (uint64_t at = FindNextFrame(data, off + 1); at < end; at = FindNextFrame(data, at)) {
    while (ParseFrame(data, at, &f)) at += f.size;
    end = std::max(end, at);
  }
  return end;
}

void EncodeCommit(Version v, const TxnState& t, std::string* out) {
  const size_t start = out->size();
  out->append(kHeaderBytes, '\0');  // length filled in below
  (*out)[start + 4] = static_cast<char>(RecordType::kCommit);
  (*out)[start + 5] = static_cast<char>(kFormatVersion);
  codec::PutU64(out, v);
  PutRun(out, t.run);
  codec::PutU64(out, static_cast<uint64_t>(t.now_us));
  codec::PutU8(out, static_cast<uint8_t>(t.lifecycle));
  PutRun(out, t.lifecycle == Lifecycle::kNone ? RunId{} : t.lifecycle_run);
  codec::PutU32(out, static_cast<uint32_t>(t.writes.size()));
  for (const WriteEntry& w : t.writes) {
    codec::PutBytes(out, w.key.view());
    if (w.kind == WriteKind::kDelete) {
      codec::PutU8(out, static_cast<uint8_t>(Op::kDelete));
      continue;
    }
    codec::PutU8(out, static_cast<uint8_t>(Op::kPut));
    codec::PutU64(out, static_cast<uint64_t>(w.expire_at_us));
    codec::EncodeValue(w.value, out);
  }
  const size_t payload = out->size() - start - kHeaderBytes;
  codec::StoreU32(out->data() + start, static_cast<uint32_t>(payload));
  const uint32_t crc = crc32c::Value(std::string_view(*out).substr(start));
  codec::PutU32(out, crc);
}

void SetCommitVersion(Version v, char* frame, size_t size) {
  for (size_t i = 0; i < 8; ++i) frame[kHeaderBytes + i] = static_cast<char>(v >> (8 * i));
  const uint32_t crc = crc32c::Value(std::string_view(frame, size - kTrailerBytes));
  codec::StoreU32(frame + size - kTrailerBytes, crc);
}

bool DecodeCommit(std::string_view payload, CommitRecord* out) {
  codec::Reader r(payload);
  TxnState& t = out->txn;
  t.writes.clear();
  t.reads.clear();
  uint8_t lifecycle;
  uint32_t n;
  if (!r.U64(&out->version) || !ReadRun(r, &t.run) || !r.I64(&out->timestamp_us) ||
      !r.U8(&lifecycle) || lifecycle > static_cast<uint8_t>(Lifecycle::kRunEnd) ||
      !ReadRun(r, &t.lifecycle_run) || !r.U32(&n)) {
    return false;
  }
  if (out->version == 0) return false;
  t.lifecycle = static_cast<Lifecycle>(lifecycle);
  t.now_us = out->timestamp_us;
  t.snapshot = out->version - 1;
  if (n > r.remaining()) return false;  // each write takes more than one byte
  t.writes.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    uint8_t op;
    // A key is run + tag + at most kMaxUserKeyBytes.
    if (!r.Bytes(&key) || key.size() < kKeyPrefixBytes ||
        key.size() > kKeyPrefixBytes + kMaxUserKeyBytes || !r.U8(&op)) {
      return false;
    }
    WriteEntry& w = t.writes.emplace_back();
    w.key.AssignEncoded(key);
    if (op == static_cast<uint8_t>(Op::kDelete)) {
      w.kind = WriteKind::kDelete;
      continue;
    }
    if (op != static_cast<uint8_t>(Op::kPut)) return false;
    w.kind = WriteKind::kPut;
    if (!r.I64(&w.expire_at_us) || !codec::DecodeValue(r, &w.value)) return false;
  }
  return r.ok() && r.remaining() == 0;
}

bool ParseFrame(std::string_view data, uint64_t offset, Frame* out) {
  if (offset > data.size() || data.size() - offset < kHeaderBytes + kTrailerBytes) return false;
  const char* p = data.data() + offset;
  const uint64_t len = codec::LoadU32(p);
  if (static_cast<uint8_t>(p[4]) != static_cast<uint8_t>(RecordType::kCommit) ||
      static_cast<uint8_t>(p[5]) != kFormatVersion) {
    return false;
  }
  const uint64_t size = kHeaderBytes + len + kTrailerBytes;
  if (size > data.size() - offset) return false;
  const uint32_t want = codec::LoadU32(p + kHeaderBytes + len);
  if (crc32c::Value(std::string_view(p, kHeaderBytes + len)) != want) return false;
  out->offset = offset;
  out->size = size;
  out->type = RecordType::kCommit;
  out->payload = std::string_view(p + kHeaderBytes, len);
  return true;
}

uint64_t FindNextFrame(std::string_view data, uint64_t from) {
  Frame f;
  for (uint64_t off = from; off + kHeaderBytes + kTrailerBytes <= data.size(); ++off) {
    if (ParseFrame(data, off, &f)) return off;
  }
  return std::string_view::npos;
}

}  // namespace statelab::wal
