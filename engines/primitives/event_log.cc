#include "engines/primitives/event_log.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <cstdlib>
#include <memory>

#include "engines/core/json_doc.h"

namespace statelab::event_log {
namespace {

constexpr std::string_view kTypeIndexPrefix = "t";

void AppendBigEndian32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// The low `bytes` bytes of v, most significant first.
void StoreBigEndian(uint8_t* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<uint8_t>(v);
}

// The value of each lowercase hex digit; kNotHex for every other byte.
constexpr uint8_t kNotHex = 0xff;
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  t.fill(kNotHex);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  return t;
}();

bool ParseHashHex(const boost::json::value* v, EventHash* out) {
  if (v == nullptr || !v->is_string() || v->get_string().size() != 64) return false;
  const auto* s = reinterpret_cast<const uint8_t*>(v->get_string().data());
  for (size_t i = 0; i < out->size(); ++i) {
    const uint8_t hi = kHexValue[s[2 * i]];
    const uint8_t lo = kHexValue[s[2 * i + 1]];
    if ((hi | lo) > 15) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Lowercase hex of h into out[0, 64).
void WriteHex(const EventHash& h, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = kHex[h[i] >> 4];
    out[2 * i + 1] = kHex[h[i] & 15];
  }
}

// The stored form of a hash, built in place (no intermediate std::string).
boost::json::string HexString(const EventHash& h) {
  boost::json::string s;
  s.resize(2 * h.size());
  WriteHex(h, s.data());
  return s;
}

// Appends HashInput(...) to out: the canonical payload is written straight into it, its length
// patched in afterwards.
void AppendHashInput(std::string& out, uint64_t sequence, std::string_view type,
                     const boost::json::value& payload, TimestampUs timestamp_us,
                     const EventHash& prev_hash) {
  AppendBigEndian64(out, sequence);
  AppendBigEndian32(out, static_cast<uint32_t>(type.size()));
  out.append(type);
  const size_t length_at = out.size();
  out.append(4, '\0');
  json_doc::AppendCanonicalJson(payload, out);
  StoreBigEndian(reinterpret_cast<uint8_t*>(out.data() + length_at), out.size() - length_at - 4,
                 4);
  AppendBigEndian64(out, static_cast<uint64_t>(timestamp_us));  // two's complement
  out.append(reinterpret_cast<const char*>(prev_hash.data()), prev_hash.size());
}

template <class T>
bool ParseNumber(const boost::json::value* v, T* out) {
  if (v == nullptr) return false;
  boost::system::error_code ec;
  *out = v->to_number<T>(ec);
  return !ec;
}

Status Malformed(uint64_t sequence) {
  return Status::Corruption("event record (offset = sequence)", sequence);
}

}  // namespace

std::string EventKey(uint64_t sequence) {
  std::string k(kEventPrefix);
  AppendBigEndian64(k, sequence);
  return k;
}

std::string TypeIndexPrefix(std::string_view type) {
  std::string k(kTypeIndexPrefix);
  AppendLengthPrefixed16(k, type);
  return k;
}

std::string TypeIndexKey(std::string_view type, uint64_t sequence) {
  std::string k = TypeIndexPrefix(type);
  AppendBigEndian64(k, sequence);
  return k;
}

std::string HashInput(uint64_t sequence, std::string_view type, const boost::json::value& payload,
                      TimestampUs timestamp_us, const EventHash& prev_hash) {
  std::string out;
  AppendHashInput(out, sequence, type, payload, timestamp_us, prev_hash);
  return out;
}

EventHash HashOf(uint64_t sequence, std::string_view type, const boost::json::value& payload,
                 TimestampUs timestamp_us, const EventHash& prev_hash) {
  // OpenSSL 3 looks the algorithm up on every EVP_sha256()/EVP_Digest call (a lock and a
  // property query) and allocates a context: fetch once, keep a context per thread. The input
  // is built in a per-thread buffer and digested in one update.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 EVP_MD_CTX_free);
  thread_local std::string input;
  input.clear();
  AppendHashInput(input, sequence, type, payload, timestamp_us, prev_hash);
  EventHash h{};
  unsigned int n = 0;
  // These fail only on allocation failure inside OpenSSL; treat that like operator new.
  if (sha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex(ctx.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), input.data(), input.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), h.data(), &n) != 1) {
    std::abort();
  }
  // A huge payload must not pin its buffer for the thread's lifetime.
  if (constexpr size_t kKeepBytes = 64 << 10; input.capacity() > kKeepBytes) std::string().swap(input);
  return h;
}

EventHash ComputeHash(const Event& e) {
  return HashOf(e.sequence, e.type, e.payload, e.timestamp_us, e.prev_hash);
}

std::string HashHex(const EventHash& h) {
  std::string out(2 * h.size(), '\0');  // sized once: no capacity check per digit
  WriteHex(h, out.data());
  return out;
}

Status CheckType(std::string_view type) {
  if (type.empty()) return Status::InvalidArgument("type: must not be empty");
  if (type.size() > kMaxEventTypeBytes) {
    return Status::InvalidArgument("type: " + std::to_string(type.size()) +
                                   " bytes exceeds limit " + std::to_string(kMaxEventTypeBytes) +
                                   " bytes");
  }
  if (!json_doc::CheckLimits(boost::json::string(type)).ok()) {
    return Status::InvalidArgument("type: must be valid UTF-8");
  }
  return Status::OK();
}

Status CheckAppend(std::string_view type, const boost::json::value& payload,
                   uint64_t* payload_bytes) {
  STATELAB_RETURN_IF_ERROR(CheckType(type));
  Status s = json_doc::CheckLimits(payload, payload_bytes);
  if (!s.ok()) return Status::InvalidArgument("payload: " + std::string(s.message()));
  return Status::OK();
}

Status CheckRecordSize(const boost::json::value& stored) {
  const uint64_t n = json_doc::SerializedSize(stored);
  if (n > kMaxValueBytes) {
    return Status::InvalidArgument("event: record of " + std::to_string(n) +
                                   " bytes exceeds limit " + std::to_string(kMaxValueBytes) +
                                   " bytes");
  }
  return Status::OK();
}

bool RecordMayBeTooLarge(std::string_view type, uint64_t payload_bytes) noexcept {
  // Braces, commas, the six quoted member names with colons and the two quoted hex hashes take
  // under 256 bytes; the two integers at most 20 digits each; the type at most 6 bytes per byte
  // once escaped (\u00XX), plus its quotes.
  const uint64_t others = 256 + 2 * 20 + 6 * uint64_t{type.size()} + 2;
  return payload_bytes > kMaxValueBytes || kMaxValueBytes - payload_bytes < others;
}

boost::json::value EncodeEvent(const Event& e) {
  return EncodeEvent(e.sequence, e.type, e.payload, e.timestamp_us, e.prev_hash, e.hash);
}

boost::json::value EncodeEvent(uint64_t sequence, std::string_view type,
                               const boost::json::value& payload, TimestampUs timestamp_us,
                               const EventHash& prev_hash, const EventHash& hash) {
  // Member by member into a reserved object: the initializer-list form builds value_refs and
  // checks every key for duplicates. The member order is the stored (and exported) order.
  boost::json::object o;
  o.reserve(6);
  o.emplace("sequence", sequence);
  o.emplace("type", type);
  o.emplace("payload", payload);
  o.emplace("timestamp_us", timestamp_us);
  o.emplace("prev_hash", HexString(prev_hash));
  o.emplace("hash", HexString(hash));
  return boost::json::value(std::move(o));
}

Status DecodeEvent(const Value& v, uint64_t sequence, Version version, Event* out) {
  const auto* doc = std::get_if<boost::json::value>(&v);
  if (doc == nullptr || !doc->is_object()) return Malformed(sequence);
  const boost::json::object& o = doc->get_object();
  uint64_t seq = 0;
  TimestampUs timestamp_us = 0;
  EventHash prev_hash{};
  EventHash hash{};
  const boost::json::value* type = o.if_contains("type");
  const boost::json::value* payload = o.if_contains("payload");
  if (!ParseNumber(o.if_contains("sequence"), &seq) || type == nullptr || !type->is_string() ||
      payload == nullptr || !ParseNumber(o.if_contains("timestamp_us"), &timestamp_us) ||
      !ParseHashHex(o.if_contains("prev_hash"), &prev_hash) ||
      !ParseHashHex(o.if_contains("hash"), &hash)) {
    return Malformed(sequence);
  }
  out->sequence = seq;
  out->type.assign(type->get_string().data(), type->get_string().size());
  out->payload = *payload;  // assignment keeps out->payload's storage
  out->timestamp_us = timestamp_us;
  out->prev_hash = prev_hash;
  out->hash = hash;
  out->version = version;
  return Status::OK();
}

Value EncodeHead(const Head& h) {
  boost::json::object o;
  o.reserve(2);
  o.emplace("len", h.len);
  o.emplace("hash", HexString(h.hash));
  return boost::json::value(std::move(o));
}

Result<Head> DecodeHead(const Value& v) {
  const auto* doc = std::get_if<boost::json::value>(&v);
  Head h;
  if (doc == nullptr || !doc->is_object() ||
      !ParseNumber(doc->get_object().if_contains("len"), &h.len) ||
      !ParseHashHex(doc->get_object().if_contains("hash"), &h.hash)) {
    return Status::Corruption("event log head", 0);
  }
  return h;
}

std::string_view CheckLink(const Event& e, uint64_t sequence, const EventHash& prev_hash) {
  if (e.sequence != sequence) return "sequence mismatch";
  if (e.prev_hash != prev_hash) return "prev_hash mismatch";
  if (ComputeHash(e) != e.hash) return "hash mismatch";
  return {};
}

}  // namespace statelab::event_log
