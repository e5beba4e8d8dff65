#pragma once
// EventLog: an append-only, hash-chained log per run. append, read, read_range, head, len,
// read_by_type, verify_chain; no update, no delete. Sequences start at 0 and are contiguous: an
// append reads the head key in its transaction, so concurrent appends conflict and retry, and an
// aborted append leaves no trace (no sequence is burned). The hash encoding is in
// docs/event_hash.md.
// EventOps<P> works inside a transaction; EventLog<E> is the facade.
// Thread-safety: EventOps belongs to its transaction's thread; EventLog is thread-safe.

#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/api/record_keys.h"
#include "engines/core/json_arena.h"
#include "engines/core/run_transaction.h"
#include "engines/primitives/facade_util.h"

namespace statelab {

inline constexpr size_t kMaxEventTypeBytes = 256;

using EventHash = std::array<uint8_t, 32>;  // SHA-256

struct Event {
  Event() = default;
  // The payload allocates from `payload_storage` (an arena, for reads into a reused buffer).
  explicit Event(boost::json::storage_ptr payload_storage) : payload(std::move(payload_storage)) {}

  uint64_t sequence = 0;
  std::string type;
  boost::json::value payload;
  TimestampUs timestamp_us = 0;
  EventHash prev_hash{};
  EventHash hash{};
  Version version = 0;  // commit version; 0 for this transaction's own appends

  friend bool operator==(const Event&, const Event&) = default;
};

// An Event read into again and again without allocating once its arena has grown to the events'
// size: each read clears it and decodes the payload into the arena. event() is valid until the
// next read; a copy of it shares the arena (copy the payload with a storage of its own to keep it).
// Thread-safety: none; one owner thread.
class EventBuffer {
 public:
  const Event& event() const noexcept { return event_; }

 private:
  template <Engine E>
  friend class EventLog;
  Event* Clear() {
    event_.payload = nullptr;  // gives its memory back to the arena before the arena resets
    arena_.Reset();
    return &event_;
  }

  json_doc::Arena arena_;
  Event event_{arena_.storage()};
};

struct Appended {
  uint64_t sequence = 0;
  EventHash hash{};
  Version version = 0;  // commit version (facade); 0 inside a transaction
};

// Result of verify_chain. Valid iff first_bad is empty.
struct ChainReport {
  uint64_t length = 0;                // events in the log (per the head)
  std::optional<uint64_t> first_bad;  // first sequence whose record, link or hash is wrong
  std::string reason;                 // why first_bad is bad, e.g. "hash mismatch"
  bool valid() const noexcept { return !first_bad.has_value(); }
};

namespace event_log {

// Keys under Tag::kEvent: "e" + be64(sequence) -> event, "t" + be16(len) + type + be64(sequence)
// -> null (type index), "h" -> head {len, hash}. Distinct first bytes: no collisions.
using record_keys::kEventPrefix;
inline constexpr std::string_view kHeadKey = "h";
std::string EventKey(uint64_t sequence);
std::string TypeIndexPrefix(std::string_view type);
std::string TypeIndexKey(std::string_view type, uint64_t sequence);

// The exact bytes that are hashed (docs/event_hash.md) and their SHA-256.
std::string HashInput(uint64_t sequence, std::string_view type, const boost::json::value& payload,
                      TimestampUs timestamp_us, const EventHash& prev_hash);
// SHA-256 of HashInput(...), built in a per-thread buffer (no allocation once warm).
EventHash HashOf(uint64_t sequence, std::string_view type, const boost::json::value& payload,
                 TimestampUs timestamp_us, const EventHash& prev_hash);
EventHash ComputeHash(const Event& e);
std::string HashHex(const EventHash& h);

// InvalidArgument naming `type`: non-empty, at most kMaxEventTypeBytes, valid UTF-8.
Status CheckType(std::string_view type);
// CheckType, and InvalidArgument naming `payload` past the JSON limits of engines/core/json_doc.h.
// *payload_bytes (when not null): the payload's serialized size.
Status CheckAppend(std::string_view type, const boost::json::value& payload,
                   uint64_t* payload_bytes = nullptr);
// InvalidArgument naming `event` when the stored record exceeds kMaxValueBytes.
Status CheckRecordSize(const boost::json::value& stored);
// Whether a record with this type and a payload of this serialized size can exceed
// kMaxValueBytes (a bound on the other members: only then is CheckRecordSize needed).
bool RecordMayBeTooLarge(std::string_view type, uint64_t payload_bytes) noexcept;

// Stored form, also the export form read by the verifier in docs/event_hash.md: a JSON object
// {sequence, type, payload, timestamp_us, prev_hash, hash} with lowercase hex hashes. Decoding a
// malformed record is Corruption (offset = the sequence it was read at), and leaves *out as it
// was. The payload is copied with out->payload's storage.
boost::json::value EncodeEvent(const Event& e);
// The same from the fields, copying the payload once (the append path).
boost::json::value EncodeEvent(uint64_t sequence, std::string_view type,
                               const boost::json::value& payload, TimestampUs timestamp_us,
                               const EventHash& prev_hash, const EventHash& hash);
Status DecodeEvent(const Value& v, uint64_t sequence, Version version, Event* out);

struct Head {
  uint64_t len = 0;
  EventHash hash{};  // hash of event len-1; zeros when empty (the first prev_hash)
};
Value EncodeHead(const Head& h);
Result<Head> DecodeHead(const Value& v);

// Checks one event of a chain: its sequence, its link to `prev_hash` and its own hash. Returns
// the reason it is bad, or empty.
std::string_view CheckLink(const Event& e, uint64_t sequence, const EventHash& prev_hash);

}  // namespace event_log

template <Partition P>
class EventOps {
 public:
  explicit EventOps(Txn<P>& t) noexcept : t_(t) {}

  // The sequence and hash are final if the transaction commits.
  Result<Appended> Append(std::string_view type, const boost::json::value& payload) {
    uint64_t payload_bytes = 0;
    STATELAB_RETURN_IF_ERROR(event_log::CheckAppend(type, payload, &payload_bytes));
    STATELAB_ASSIGN_OR_RETURN(event_log::Head head, ReadHead());
    const uint64_t sequence = head.len;
    const TimestampUs now = t_.now();
    const EventHash hash = event_log::HashOf(sequence, type, payload, now, head.hash);
    boost::json::value stored =
        event_log::EncodeEvent(sequence, type, payload, now, head.hash, hash);
    if (event_log::RecordMayBeTooLarge(type, payload_bytes)) {
      STATELAB_RETURN_IF_ERROR(event_log::CheckRecordSize(stored));
    }
    t_.Put(Tag::kEvent, event_log::EventKey(sequence), std::move(stored));
    t_.Put(Tag::kEvent, event_log::TypeIndexKey(type, sequence), Value());
    t_.Put(Tag::kEvent, event_log::kHeadKey, event_log::EncodeHead({sequence + 1, hash}));
    return Appended{sequence, hash, 0};
  }
  // NotFoundSequence(sequence) when the sequence is beyond the log (or missing from it).
  // Decodes in place (the stored record is not copied); out->payload keeps its storage.
  Status Read(uint64_t sequence, Event* out) {
    Status decoded;
    Version ver = 0;
    auto decode = [&](const Value& v, TimestampUs) {
      decoded = event_log::DecodeEvent(v, sequence, 0, out);
    };
    Status s = t_.View(Tag::kEvent, event_log::EventKey(sequence), decode, &ver);
    if (s.IsNotFound()) return Status::NotFoundSequence(sequence);
    STATELAB_RETURN_IF_ERROR(s);
    out->version = ver;  // known once View returns
    return decoded;
  }
  Result<Event> Read(uint64_t sequence) {
    Event e;
    STATELAB_RETURN_IF_ERROR(Read(sequence, &e));
    return e;
  }
  // Events [start, end), clipped to the log; InvalidArgument when start > end.
  Result<std::vector<Event>> ReadRange(uint64_t start, uint64_t end) {
    if (start > end) {
      return Status::InvalidArgument("start: " + std::to_string(start) + " exceeds end " +
                                     std::to_string(end));
    }
    STATELAB_ASSIGN_OR_RETURN(event_log::Head head, ReadHead());
    std::vector<Event> out;
    for (uint64_t s = start; s < std::min(end, head.len); ++s) {
      STATELAB_ASSIGN_OR_RETURN(Event e, Read(s));
      out.push_back(std::move(e));
    }
    return out;
  }
  // The latest event; NotFound when the log is empty.
  Result<Event> Head() {
    STATELAB_ASSIGN_OR_RETURN(event_log::Head head, ReadHead());
    if (head.len == 0) return Status::NotFound();
    return Read(head.len - 1);
  }
  Result<uint64_t> Len() {
    STATELAB_ASSIGN_OR_RETURN(event_log::Head head, ReadHead());
    return head.len;
  }
  // Events of one type in sequence order, through the type index (no full scan).
  Result<std::vector<Event>> ReadByType(std::string_view type) {
    STATELAB_RETURN_IF_ERROR(event_log::CheckType(type));
    std::vector<uint64_t> seqs;
    STATELAB_RETURN_IF_ERROR(t_.Scan(Tag::kEvent, event_log::TypeIndexPrefix(type),
                                     [&](std::string_view k, const Value&, Version) {
                                       seqs.push_back(LoadBigEndian64(k.substr(k.size() - 8)));
                                       return true;
                                     }));
    std::vector<Event> out;
    out.reserve(seqs.size());
    for (uint64_t s : seqs) {
      STATELAB_ASSIGN_OR_RETURN(Event e, Read(s));
      out.push_back(std::move(e));
    }
    return out;
  }
  // Recomputes every hash and checks every link and the head; reports the first bad sequence.
  Result<ChainReport> VerifyChain() {
    STATELAB_ASSIGN_OR_RETURN(event_log::Head head, ReadHead());
    ChainReport report;
    report.length = head.len;
    uint64_t next = 0;
    EventHash prev{};
    Event e;
    auto fail = [&](uint64_t seq, std::string_view why) {
      report.first_bad = seq;
      report.reason = why;
      return false;
    };
    STATELAB_RETURN_IF_ERROR(t_.Scan(
        Tag::kEvent, event_log::kEventPrefix, [&](std::string_view k, const Value& v, Version ver) {
          const uint64_t key_seq = LoadBigEndian64(k.substr(event_log::kEventPrefix.size()));
          if (key_seq != next) return fail(next, "missing event");
          if (!event_log::DecodeEvent(v, key_seq, ver, &e).ok()) {
            return fail(key_seq, "malformed record");
          }
          if (std::string_view why = event_log::CheckLink(e, key_seq, prev); !why.empty()) {
            return fail(key_seq, why);
          }
          prev = e.hash;
          ++next;
          return true;
        }));
    if (report.valid() && next != head.len) {
      report.first_bad = std::min(next, head.len);
      report.reason = next < head.len ? "missing event" : "event beyond head";
    } else if (report.valid() && prev != head.hash) {
      report.first_bad = head.len - 1;
      report.reason = "head hash mismatch";
    }
    return report;
  }

 private:
  // Decodes the head in place (no copy of the stored value).
  Result<event_log::Head> ReadHead() {
    Result<event_log::Head> head = event_log::Head{};
    Status s = t_.View(Tag::kEvent, event_log::kHeadKey,
                       [&](const Value& v, TimestampUs) { head = event_log::DecodeHead(v); });
    if (s.IsNotFound()) return event_log::Head{};
    STATELAB_RETURN_IF_ERROR(s);
    return head;
  }

  Txn<P>& t_;
};

template <Engine E>
class EventLog {
 public:
  using P = typename E::Partition;
  explicit EventLog(E& e) noexcept : e_(e) {}

  // Concurrent appends to one run conflict on the head and retry per o.retry.
  Result<Appended> Append(const RunId& run, std::string_view type,
                          const boost::json::value& payload, const TxnOptions& o = {}) {
    return WriteOp(e_, run, o, [&](Txn<P>& t) { return EventOps<P>(t).Append(type, payload); });
  }
  Result<Event> Read(const RunId& run, uint64_t sequence) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).Read(sequence); });
  }
  // The same into a reused buffer: no allocation once the buffer has warmed up.
  Status Read(const RunId& run, uint64_t sequence, EventBuffer* out) {
    Event* e = out->Clear();
    return RunRead(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).Read(sequence, e); });
  }
  Result<std::vector<Event>> ReadRange(const RunId& run, uint64_t start, uint64_t end) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).ReadRange(start, end); });
  }
  Result<Event> Head(const RunId& run) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).Head(); });
  }
  Result<uint64_t> Len(const RunId& run) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).Len(); });
  }
  Result<std::vector<Event>> ReadByType(const RunId& run, std::string_view type) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).ReadByType(type); });
  }
  Result<ChainReport> VerifyChain(const RunId& run) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return EventOps<P>(t).VerifyChain(); });
  }

 private:
  E& e_;
};

}  // namespace statelab
