#pragma once
// TraceStore: immutable, structured reasoning traces. record, get, query_by_type, query_by_tag,
// children, query_by_time, tree, roots, count. A trace id is a per-run counter read and
// incremented in the recording transaction, written as 16 lowercase hex digits, so ids sort by
// creation (concurrent records in one run conflict on the counter and retry). The type, tag,
// parent (or root) and time indexes are ordinary keys written in the same transaction as the
// trace. Every query returns traces in index order: by id, except query_by_time (by timestamp,
// then id).
// TraceOps<P> works inside a transaction; TraceStore<E> is the facade.
// Thread-safety: TraceOps belongs to its transaction's thread; TraceStore is thread-safe.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engines/core/run_transaction.h"
#include "engines/primitives/facade_util.h"

namespace statelab {

inline constexpr size_t kMaxTraceTags = 64;
inline constexpr size_t kMaxTraceTagBytes = 256;
inline constexpr size_t kTraceIdBytes = 16;

// The trace types. JSON: an object whose `kind` names the type ("tool_call", "decision", "query",
// "thought", "error", "custom"); the other members are the fields below, except that Query::kind
// and Error::kind are written `query_kind` and `error_kind`. Absent optionals are omitted.
namespace trace {
struct ToolCall {
  std::string tool;  // non-empty
  boost::json::value arguments;
  std::optional<boost::json::value> result;
  std::optional<int64_t> duration_us;  // >= 0
};
struct Decision {
  std::string question;
  std::vector<std::string> options;
  std::string chosen;
  std::optional<std::string> reasoning;
};
struct Query {
  std::string kind;
  std::string query;
  std::optional<int64_t> results_count;  // >= 0
};
struct Thought {
  std::string content;
  std::optional<double> confidence;  // in [0, 1]
};
struct Error {
  std::string kind;
  std::string message;
  bool recoverable = false;
};
struct Custom {
  std::string name;  // non-empty
  boost::json::value data;
};
}  // namespace trace

using TraceBody = std::variant<trace::ToolCall, trace::Decision, trace::Query, trace::Thought,
                               trace::Error, trace::Custom>;
// In TraceBody's alternative order.
enum class TraceKind : uint8_t { kToolCall = 0, kDecision, kQuery, kThought, kError, kCustom };
inline TraceKind KindOf(const TraceBody& b) noexcept { return static_cast<TraceKind>(b.index()); }
std::string_view TraceKindName(TraceKind k) noexcept;  // "tool_call", ...
Result<TraceKind> ParseTraceKind(std::string_view name);

struct Trace {
  std::string id;
  std::optional<std::string> parent_id;
  TimestampUs timestamp_us = 0;
  TraceBody body;
  std::vector<std::string> tags;  // sorted, unique
  boost::json::object metadata;
  Version version = 0;  // commit version; 0 for this transaction's own records
};

// One node of tree(root): pre-order, children in id order; the root has depth 0.
struct TraceNode {
  Trace trace;
  uint32_t depth = 0;
};

struct Recorded {
  std::string id;
  Version version = 0;  // commit version (facade); 0 inside a transaction
};

// JSON forms. FromJson failures are InvalidArgument naming the field (e.g. "body.tool").
boost::json::value TraceBodyToJson(const TraceBody& b);
Result<TraceBody> TraceBodyFromJson(const boost::json::value& v);
// {id, parent_id (null for a root), timestamp_us, tags, metadata, body}; the stored form.
boost::json::value TraceToJson(const Trace& t);
Result<Trace> TraceFromJson(const boost::json::value& v);

namespace trace_store {

// Keys under Tag::kTrace (distinct first bytes): "c" -> id counter, "d" + id -> trace,
// "y" + kind byte + id, "g" + be16(len) + tag + id, "p" + parent id + id, "r" + id (roots),
// "m" + be64(timestamp with the sign bit flipped) + id: index entries (null values).
inline constexpr std::string_view kCounterKey = "c";
inline constexpr std::string_view kRootPrefix = "r";
std::string RecordKey(std::string_view id);
std::string TypePrefix(TraceKind k);
std::string TagPrefix(std::string_view tag);
std::string ParentPrefix(std::string_view parent_id);
// The time index prefix shared by every timestamp in [start, end) (start < end).
std::string TimeScanPrefix(TimestampUs start, TimestampUs end);
TimestampUs TimeOfTimeKey(std::string_view key);
// Every index key of a trace.
std::vector<std::string> IndexKeys(const Trace& t);
// The id an index key ends with.
inline std::string_view IdOfIndexKey(std::string_view key) {
  return key.substr(key.size() - kTraceIdBytes);
}

std::string FormatId(uint64_t n);
// InvalidArgument naming `field` unless `id` has the form FormatId writes.
Status CheckId(std::string_view field, std::string_view id);
Status CheckTag(std::string_view field, std::string_view tag);
// Field rules of the trace types, the tag limits and the JSON limits of the stored record.
Status CheckTags(const std::vector<std::string>& tags);
Status CheckBody(const TraceBody& b);
Status CheckStored(const boost::json::value& stored);
std::vector<std::string> NormalizeTags(std::vector<std::string> tags);
// Corruption for a stored record that does not decode.
Result<Trace> DecodeStored(const Value& v, std::string_view id, Version version);

}  // namespace trace_store

template <Partition P>
class TraceOps {
 public:
  explicit TraceOps(Txn<P>& t) noexcept : t_(t) {}

  // The parent must be a trace of this run (InvalidArgument naming parent_id otherwise).
  Result<Recorded> Record(const TraceBody& body, const std::vector<std::string>& tags = {},
                          const boost::json::object& metadata = {},
                          std::optional<std::string_view> parent_id = std::nullopt) {
    STATELAB_RETURN_IF_ERROR(trace_store::CheckBody(body));
    STATELAB_RETURN_IF_ERROR(trace_store::CheckTags(tags));
    if (parent_id) {
      STATELAB_RETURN_IF_ERROR(trace_store::CheckId("parent_id", *parent_id));
      Status s = t_.Get(Tag::kTrace, trace_store::RecordKey(*parent_id), nullptr);
      if (s.IsNotFound()) {
        return Status::InvalidArgument("parent_id: no trace " + std::string(*parent_id) +
                                       " in this run");
      }
      STATELAB_RETURN_IF_ERROR(s);
    }
    STATELAB_ASSIGN_OR_RETURN(uint64_t n, Count());
    Trace tr;
    tr.id = trace_store::FormatId(n);
    if (parent_id) tr.parent_id.emplace(*parent_id);
    tr.timestamp_us = t_.now();
    tr.body = body;
    tr.tags = trace_store::NormalizeTags(tags);
    tr.metadata = metadata;
    boost::json::value stored = TraceToJson(tr);
    STATELAB_RETURN_IF_ERROR(trace_store::CheckStored(stored));
    t_.Put(Tag::kTrace, trace_store::kCounterKey, static_cast<int64_t>(n + 1));
    t_.Put(Tag::kTrace, trace_store::RecordKey(tr.id), std::move(stored));
    for (const std::string& k : trace_store::IndexKeys(tr)) t_.Put(Tag::kTrace, k, Value());
    return Recorded{std::move(tr.id), 0};
  }
  // NotFound when absent.
  Result<Trace> Get(std::string_view id) {
    STATELAB_RETURN_IF_ERROR(trace_store::CheckId("id", id));
    Value v;
    Version ver = 0;
    STATELAB_RETURN_IF_ERROR(t_.Get(Tag::kTrace, trace_store::RecordKey(id), &v, &ver));
    return trace_store::DecodeStored(v, id, ver);
  }
  Result<std::vector<Trace>> QueryByType(TraceKind kind) {
    return ByIndex(trace_store::TypePrefix(kind));
  }
  Result<std::vector<Trace>> QueryByTag(std::string_view tag) {
    STATELAB_RETURN_IF_ERROR(trace_store::CheckTag("tag", tag));
    return ByIndex(trace_store::TagPrefix(tag));
  }
  // NotFound when `id` is not a trace of this run.
  Result<std::vector<Trace>> Children(std::string_view id) {
    STATELAB_RETURN_IF_ERROR(Get(id).status());
    return ByIndex(trace_store::ParentPrefix(id));
  }
  // Traces with start <= timestamp_us < end; InvalidArgument when start > end.
  Result<std::vector<Trace>> QueryByTime(TimestampUs start, TimestampUs end) {
    if (start > end) {
      return Status::InvalidArgument("start_us: " + std::to_string(start) + " exceeds end_us " +
                                     std::to_string(end));
    }
    if (start == end) return std::vector<Trace>{};
    std::vector<std::string> ids;
    auto in_range = [&](std::string_view k, const Value&, Version) {
      const TimestampUs ts = trace_store::TimeOfTimeKey(k);
      if (ts >= end) return false;
      if (ts >= start) ids.emplace_back(trace_store::IdOfIndexKey(k));
      return true;
    };
    STATELAB_RETURN_IF_ERROR(
        t_.Scan(Tag::kTrace, trace_store::TimeScanPrefix(start, end), in_range));
    return GetAll(ids);
  }
  // The root and all its descendants; NotFound when the root is absent.
  Result<std::vector<TraceNode>> Tree(std::string_view root) {
    STATELAB_RETURN_IF_ERROR(trace_store::CheckId("root", root));
    std::vector<TraceNode> out;
    std::vector<std::pair<std::string, uint32_t>> pending{{std::string(root), 0}};
    while (!pending.empty()) {
      auto [id, depth] = std::move(pending.back());
      pending.pop_back();
      STATELAB_ASSIGN_OR_RETURN(Trace tr, Get(id));
      STATELAB_ASSIGN_OR_RETURN(std::vector<std::string> kids,
                                IdsUnder(trace_store::ParentPrefix(id)));
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) pending.emplace_back(*it, depth + 1);
      out.push_back(TraceNode{std::move(tr), depth});
    }
    return out;
  }
  // Traces without a parent.
  Result<std::vector<Trace>> Roots() { return ByIndex(std::string(trace_store::kRootPrefix)); }
  // Traces are never deleted one by one, so the id counter is the count.
  Result<uint64_t> Count() {
    Value v;
    Status s = t_.Get(Tag::kTrace, trace_store::kCounterKey, &v);
    if (s.IsNotFound()) return uint64_t{0};
    STATELAB_RETURN_IF_ERROR(s);
    const auto* n = std::get_if<int64_t>(&v);
    if (n == nullptr || *n < 0) return Status::Corruption("trace counter", 0);
    return static_cast<uint64_t>(*n);
  }

 private:
  // Scan callbacks must not call back into the transaction: collect ids, then read.
  Result<std::vector<std::string>> IdsUnder(const std::string& prefix) {
    std::vector<std::string> ids;
    STATELAB_RETURN_IF_ERROR(
        t_.Scan(Tag::kTrace, prefix, [&](std::string_view k, const Value&, Version) {
          ids.emplace_back(trace_store::IdOfIndexKey(k));
          return true;
        }));
    return ids;
  }
  Result<std::vector<Trace>> GetAll(const std::vector<std::string>& ids) {
    std::vector<Trace> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) {
      STATELAB_ASSIGN_OR_RETURN(Trace tr, Get(id));
      out.push_back(std::move(tr));
    }
    return out;
  }
  Result<std::vector<Trace>> ByIndex(const std::string& prefix) {
    STATELAB_ASSIGN_OR_RETURN(std::vector<std::string> ids, IdsUnder(prefix));
    return GetAll(ids);
  }

  Txn<P>& t_;
};

template <Engine E>
class TraceStore {
 public:
  using P = typename E::Partition;
  explicit TraceStore(E& e) noexcept : e_(e) {}

  // Concurrent records in one run conflict on the id counter and retry per o.retry.
  Result<Recorded> Record(const RunId& run, const TraceBody& body,
                          const std::vector<std::string>& tags = {},
                          const boost::json::object& metadata = {},
                          std::optional<std::string_view> parent_id = std::nullopt,
                          const TxnOptions& o = {}) {
    return WriteOp(e_, run, o, [&](Txn<P>& t) {
      return TraceOps<P>(t).Record(body, tags, metadata, parent_id);
    });
  }
  Result<Trace> Get(const RunId& run, std::string_view id) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).Get(id); });
  }
  Result<std::vector<Trace>> QueryByType(const RunId& run, TraceKind kind) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).QueryByType(kind); });
  }
  Result<std::vector<Trace>> QueryByTag(const RunId& run, std::string_view tag) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).QueryByTag(tag); });
  }
  Result<std::vector<Trace>> Children(const RunId& run, std::string_view id) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).Children(id); });
  }
  Result<std::vector<Trace>> QueryByTime(const RunId& run, TimestampUs start, TimestampUs end) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).QueryByTime(start, end); });
  }
  Result<std::vector<TraceNode>> Tree(const RunId& run, std::string_view root) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).Tree(root); });
  }
  Result<std::vector<Trace>> Roots(const RunId& run) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).Roots(); });
  }
  Result<uint64_t> Count(const RunId& run) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return TraceOps<P>(t).Count(); });
  }

 private:
  E& e_;
};

}  // namespace statelab
