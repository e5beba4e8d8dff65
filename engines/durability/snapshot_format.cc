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
  const size_t start = s.bytes.size();
  ++s.count;
  ++entries_;
  codec::PutBytes(&s.bytes, key);
  codec::PutU64(&s.bytes, e.version);
  codec::PutU64(&s.bytes, static_cast<uint64_t>(e.expire_at_us));
  codec::PutU8(&s.bytes, e.tombstone ? kTombstone : 0);
  if (!e.tombstone) codec::EncodeValue(e.value, &s.bytes);
  codec::PutU32(&s.bytes, crc32c::Value(std::string_view(s.bytes).substr(start)));
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
  codec::PutU32(&out, crc32c::Value(out));  // the header's
  for (uint8_t t : tags) {
    const size_t start = out.size();
    codec::PutU8(&out, t);
    codec::PutU64(&out, sections_[t].count);
    codec::PutU64(&out, sections_[t].bytes.size());
    codec::PutU32(&out, crc32c::Value(std::string_view(out).substr(start)));
    out.append(sections_[t].bytes);
  }
  codec::PutU32(&out, crc32c::Value(out));
  return out;
}

namespace {
// Reads a u32 CRC32C at the reader and checks it against `covered` (when `check`).
bool CrcMatches(codec::Reader& r, std::string_view covered, bool check) {
  uint32_t crc;
  return r.U32(&crc) && (!check || crc == crc32c::Value(covered));
}

// Parses everything after the magic (`file` is the whole file; the reader starts after the
// magic); calls fn when non-empty. On failure *where is the offset (from the reader's start) of
// the entry or field that does not parse; in format 2 also of the header, section header or entry
// whose own CRC fails (checked when check_crc), so the damage is placed within that element.
bool ParseBody(std::string_view file, codec::Reader& r, Header* h, const EntryFn& fn,
               bool check_crc, uint64_t* where) {
  const uint64_t total = r.remaining();
  *where = 0;
  auto fail = [&](uint64_t at) {
    *where = at;
    return false;
  };
  auto here = [&] { return total - r.remaining(); };
  // Bytes of the file from reader offset `from` to the reader's position.
  auto since = [&](uint64_t from) {
    return file.substr(kMagic.size() + from, here() - from);
  };
  uint32_t format, nruns, nsections;
  uint64_t ts;
  if (!r.U32(&format) || (format != 1 && format != kFormatVersion)) return fail(0);
  const bool v2 = format == kFormatVersion;
  // Format 2 has a header CRC: a header that does not parse is damaged somewhere in it.
  auto header_fail = [&] { return fail(v2 ? 0 : here()); };
  if (!r.U64(&h->version) || !r.U64(&ts) || !r.U64(&h->wal_start_segment) || !r.U32(&nruns) ||
      nruns > r.remaining() / 32) {
    return header_fail();
  }
  h->timestamp_us = static_cast<TimestampUs>(ts);
  h->runs.clear();
  for (uint32_t i = 0; i < nruns; ++i) {
    RunLife l;
    std::string_view b;
    if (!r.Raw(16, &b) || !r.U64(&l.begin) || !r.U64(&l.end)) return header_fail();
    std::memcpy(l.run.bytes.data(), b.data(), 16);
    h->runs.push_back(l);
  }
  if (!r.U32(&nsections)) return header_fail();
  if (v2 && !CrcMatches(r, file.substr(0, kMagic.size() + here()), check_crc)) return fail(0);
  int last_tag = -1;
  for (uint32_t i = 0; i < nsections; ++i) {
    const uint64_t section_at = here();
    uint8_t tag;
    uint64_t count, bytes;
    std::string_view body;
    if (!r.U8(&tag) || !r.U64(&count) || !r.U64(&bytes) ||
        (v2 && !CrcMatches(r, since(section_at).substr(0, 17), check_crc)) || tag <= last_tag ||
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
      if (v2) {
        const uint64_t entry_bytes = (bytes - s.remaining()) - (entry_at - body_at);
        if (!CrcMatches(s, body.substr(entry_at - body_at, entry_bytes), check_crc)) {
          return fail(entry_at);
        }
      }
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
    if (!ParseBody(data, r, &scratch, {}, true, &where)) {
      return Status::Corruption(name, kMagic.size() + where);
    }
    return Status::Corruption(name, body.size());
  }
  // Validate first, then load: a snapshot is used whole or not at all.
  for (const EntryFn* f : {static_cast<const EntryFn*>(nullptr), &fn}) {
    if (f != nullptr && !*f) break;
    codec::Reader r(body.substr(kMagic.size()));
    if (!ParseBody(data, r, header, f ? *f : EntryFn(), verify_crc, &where)) {
      return Status::Corruption(name, kMagic.size() + where);
    }
  }
  return Status::OK();
}

void ForEachEntry(std::string_view data, const EntryFn& fn) {
  codec::Reader r(data.substr(kMagic.size(), data.size() - kMagic.size() - 4));
  Header h;
  uint64_t where = 0;
  // Accepted by ParseSnapshot already (CRCs included): parses whole, no CRC to check again.
  (void)ParseBody(data, r, &h, fn, false, &where);
}

}  // namespace statelab::snapshot
