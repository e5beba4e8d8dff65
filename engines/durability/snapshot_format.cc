#include "engines/durability/snapshot_format.h"

#include <cstdio>
#include <cstring>

#include "engines/api/key.h"
#include "engines/durability/codec.h"
#include "engines/durability/crc32c.h"

namespace statelab::snapshot {
namespace {
constexpr uint8_t kTombstone = 1;
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".snap";
}  // namespace

std::string FileName(Version v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "snapshot-%020llu.snap", static_cast<unsigned long long>(v));
  return buf;
}

bool ParseFileName(std::string_view name, Version* v) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return false;
  }
  Version x = 0;
  for (char c : name.substr(kPrefix.size(), 20)) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + static_cast<Version>(c - '0');
  }
  *v = x;
  return true;
}

void SnapshotBuilder::Add(std::string_view key, const VersionEntry& e) {
  Section& s = sections_[static_cast<uint8_t>(key[16])];
  ++s.count;
  ++entries_;
  codec::PutBytes(&s.bytes, key);
  codec::PutU64(&s.bytes, e.version);
  codec::PutU64(&s.bytes, static_cast<uint64_t>(e.expire_at_us));
  codec::PutU8(&s.bytes, e.tombstone ? kTombstone : 0);
  if (!e.tombstone) codec::EncodeValue(e.value, &s.bytes);
}

std::string SnapshotBuilder::Finish(const Header& h) const {
  std::string out(kMagic);
  codec::PutU32(&out, kFormatVersion);
  codec::PutU64(&out, h.version);
  codec::PutU64(&out, static_cast<uint64_t>(h.timestamp_us));
  codec::PutU64(&out, h.wal_start_segment);
  codec::PutU32(&out, static_cast<uint32_t>(h.runs.size()));
  for (const RunLife& r : h.runs) {
    out.append(reinterpret_cast<const char*>(r.run.bytes.data()), 16);
    codec::PutU64(&out, r.begin);
    codec::PutU64(&out, r.end);
  }
  // One section per primitive tag (kAllTags, ascending), empty ones included; any other tag
  // that has entries follows in ascending order too.
  std::vector<uint8_t> tags;
  for (int t = 0; t < 256; ++t) {
    bool known = false;
    for (Tag k : kAllTags) known |= static_cast<int>(k) == t;
    if (known || sections_[t].count > 0) tags.push_back(static_cast<uint8_t>(t));
  }
  codec::PutU32(&out, static_cast<uint32_t>(tags.size()));
  for (uint8_t t : tags) {
    codec::PutU8(&out, t);
    codec::PutU64(&out, sections_[t].count);
    codec::PutU64(&out, sections_[t].bytes.size());
    out.append(sections_[t].bytes);
  }
  codec::PutU32(&out, crc32c::Value(out));
  return out;
}

namespace {
// Parses everything after the magic; calls fn when non-empty. On failure *where is the offset
// (from the reader's start) of the entry or field that does not parse.
bool ParseBody(codec::Reader& r, Header* h, const EntryFn& fn, uint64_t* where) {
  const uint64_t total = r.remaining();
  *where = 0;
  auto fail = [&](uint64_t at) {
    *where = at;
    return false;
  };
  auto here = [&] { return total - r.remaining(); };
  uint32_t format, nruns, nsections;
  uint64_t ts;
  if (!r.U32(&format) || format != kFormatVersion || !r.U64(&h->version) || !r.U64(&ts) ||
      !r.U64(&h->wal_start_segment) || !r.U32(&nruns) || nruns > r.remaining() / 32) {
    return fail(here());
  }
  h->timestamp_us = static_cast<TimestampUs>(ts);
  h->runs.clear();
  for (uint32_t i = 0; i < nruns; ++i) {
    RunLife l;
    std::string_view b;
    if (!r.Raw(16, &b) || !r.U64(&l.begin) || !r.U64(&l.end)) return fail(here());
    std::memcpy(l.run.bytes.data(), b.data(), 16);
    h->runs.push_back(l);
  }
  if (!r.U32(&nsections)) return fail(here());
  int last_tag = -1;
  for (uint32_t i = 0; i < nsections; ++i) {
    const uint64_t section_at = here();
    uint8_t tag;
    uint64_t count, bytes;
    std::string_view body;
    if (!r.U8(&tag) || tag <= last_tag || !r.U64(&count) || !r.U64(&bytes) ||
        !r.Raw(bytes, &body)) {
      return fail(section_at);
    }
    last_tag = tag;
    const uint64_t body_at = here() - bytes;
    codec::Reader s(body);
    for (uint64_t n = 0; n < count; ++n) {
      const uint64_t entry_at = body_at + (bytes - s.remaining());
      std::string_view key;
      VersionEntry e;
      uint8_t flags;
      if (!s.Bytes(&key) || key.size() < kKeyPrefixBytes ||
          key.size() > kKeyPrefixBytes + kMaxUserKeyBytes || static_cast<uint8_t>(key[16]) != tag ||
          !s.U64(&e.version) || e.version == 0 || e.version > h->version ||
          !s.I64(&e.expire_at_us) || !s.U8(&flags) || flags > 1) {
        return fail(entry_at);
      }
      e.tombstone = flags == kTombstone;
      if (!e.tombstone && !codec::DecodeValue(s, &e.value)) return fail(entry_at);
      if (fn) fn(key, std::move(e));
    }
    if (s.remaining() != 0) return fail(body_at + (bytes - s.remaining()));
  }
  return r.remaining() == 0 || fail(here());
}
}  // namespace

Status ParseSnapshot(std::string_view data, std::string_view name, bool verify_crc, Header* header,
                     const EntryFn& fn) {
  if (data.size() < kMagic.size() + 4 || data.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption(name, 0);
  }
  const std::string_view body = data.substr(0, data.size() - 4);
  uint64_t where = 0;
  if (verify_crc && crc32c::Value(body) != codec::LoadU32(data.data() + body.size())) {
    // Where is the damage? The structure says when it no longer parses (the entry or field that
    // fails); a damaged byte that still parses (inside a value) cannot be placed: the CRC's offset.
    Header scratch;
    codec::Reader r(body.substr(kMagic.size()));
    if (!ParseBody(r, &scratch, {}, &where)) return Status::Corruption(name, kMagic.size() + where);
    return Status::Corruption(name, body.size());
  }
  // Validate first, then load: a snapshot is used whole or not at all.
  for (const EntryFn* f : {static_cast<const EntryFn*>(nullptr), &fn}) {
    if (f != nullptr && !*f) break;
    codec::Reader r(body.substr(kMagic.size()));
    if (!ParseBody(r, header, f ? *f : EntryFn(), &where)) {
      return Status::Corruption(name, kMagic.size() + where);
    }
  }
  return Status::OK();
}

void ForEachEntry(std::string_view data, const EntryFn& fn) {
  codec::Reader r(data.substr(kMagic.size(), data.size() - kMagic.size() - 4));
  Header h;
  uint64_t where;
  (void)ParseBody(r, &h, fn, &where);  // accepted by ParseSnapshot: parses whole
}

}  // namespace statelab::snapshot
