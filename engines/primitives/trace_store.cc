#include "engines/primitives/trace_store.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "engines/api/record_keys.h"
#include "engines/core/json_doc.h"

namespace statelab {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::string_view kKindNames[] = {"tool_call", "decision", "query",
                                           "thought",   "error",    "custom"};
static_assert(std::size(kKindNames) == std::variant_size_v<TraceBody>);

constexpr std::string_view kRecordPrefix = record_keys::kTracePrefix;
constexpr std::string_view kTypePrefix = "y";
constexpr std::string_view kTagPrefix = "g";
constexpr std::string_view kParentPrefix = "p";
constexpr std::string_view kTimePrefix = "m";
constexpr uint64_t kSignBit = uint64_t{1} << 63;

Status Bad(std::string_view field, std::string_view what) {
  return Status::InvalidArgument(std::string(field) + ": " + std::string(what));
}

// JSON -> field conversions, each with the wording of its type error.
bool Convert(const value& v, std::string* out) {
  if (!v.is_string()) return false;
  *out = v.get_string();
  return true;
}
std::string_view Expected(std::string*) { return "must be a string"; }
bool Convert(const value& v, int64_t* out) {
  boost::system::error_code ec;
  *out = v.to_number<int64_t>(ec);
  return !ec;
}
std::string_view Expected(int64_t*) { return "must be an integer"; }
bool Convert(const value& v, double* out) {
  boost::system::error_code ec;
  *out = v.to_number<double>(ec);
  return !ec;
}
std::string_view Expected(double*) { return "must be a number"; }
bool Convert(const value& v, bool* out) {
  if (!v.is_bool()) return false;
  *out = v.get_bool();
  return true;
}
std::string_view Expected(bool*) { return "must be a boolean"; }
bool Convert(const value& v, value* out) {
  *out = v;
  return true;
}
std::string_view Expected(value*) { return "must be JSON"; }
bool Convert(const value& v, object* out) {
  if (!v.is_object()) return false;
  *out = v.get_object();
  return true;
}
std::string_view Expected(object*) { return "must be an object"; }
bool Convert(const value& v, std::vector<std::string>* out) {
  if (!v.is_array()) return false;
  out->clear();
  for (const value& e : v.get_array()) {
    if (!e.is_string()) return false;
    out->emplace_back(e.get_string());
  }
  return true;
}
std::string_view Expected(std::vector<std::string>*) { return "must be an array of strings"; }

// Reads the members of one JSON object; errors name "<where>.<key>".
class Reader {
 public:
  Reader(const object& o, std::string_view where) : o_(o), where_(where) {}

  template <class T>
  Status Get(std::string_view key, T* out) {
    const value* v = o_.if_contains(key);
    if (v == nullptr) return Bad(Field(key), "missing");
    if (!Convert(*v, out)) return Bad(Field(key), Expected(out));
    return Status::OK();
  }
  // Absent (or null, except for JSON fields, where null is a value) gives nullopt.
  template <class T>
  Status Get(std::string_view key, std::optional<T>* out) {
    out->reset();
    const value* v = o_.if_contains(key);
    if (v == nullptr || (v->is_null() && !std::is_same_v<T, value>)) return Status::OK();
    T x;
    if (!Convert(*v, &x)) return Bad(Field(key), Expected(&x));
    out->emplace(std::move(x));
    return Status::OK();
  }

 private:
  std::string Field(std::string_view key) const { return where_ + "." + std::string(key); }

  const object& o_;
  std::string where_;
};

template <class T>
void PutOptional(object& o, std::string_view key, const std::optional<T>& v) {
  if (v) o[key] = value(*v);
}
void PutOptional(object& o, std::string_view key, const std::optional<std::string>& v) {
  if (v) o[key] = boost::json::string(*v);
}

array StringArray(const std::vector<std::string>& v) {
  array a;
  a.reserve(v.size());
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

// Per-type fields, in declaration order (see the JSON note in trace_store.h).
void AddFields(object& o, const trace::ToolCall& b) {
  o["tool"] = b.tool;
  o["arguments"] = b.arguments;
  PutOptional(o, "result", b.result);
  PutOptional(o, "duration_us", b.duration_us);
}
void AddFields(object& o, const trace::Decision& b) {
  o["question"] = b.question;
  o["options"] = StringArray(b.options);
  o["chosen"] = b.chosen;
  PutOptional(o, "reasoning", b.reasoning);
}
void AddFields(object& o, const trace::Query& b) {
  o["query_kind"] = b.kind;
  o["query"] = b.query;
  PutOptional(o, "results_count", b.results_count);
}
void AddFields(object& o, const trace::Thought& b) {
  o["content"] = b.content;
  PutOptional(o, "confidence", b.confidence);
}
void AddFields(object& o, const trace::Error& b) {
  o["error_kind"] = b.kind;
  o["message"] = b.message;
  o["recoverable"] = b.recoverable;
}
void AddFields(object& o, const trace::Custom& b) {
  o["name"] = b.name;
  o["data"] = b.data;
}

Status ReadFields(Reader& r, trace::ToolCall* b) {
  STATELAB_RETURN_IF_ERROR(r.Get("tool", &b->tool));
  STATELAB_RETURN_IF_ERROR(r.Get("arguments", &b->arguments));
  STATELAB_RETURN_IF_ERROR(r.Get("result", &b->result));
  return r.Get("duration_us", &b->duration_us);
}
Status ReadFields(Reader& r, trace::Decision* b) {
  STATELAB_RETURN_IF_ERROR(r.Get("question", &b->question));
  STATELAB_RETURN_IF_ERROR(r.Get("options", &b->options));
  STATELAB_RETURN_IF_ERROR(r.Get("chosen", &b->chosen));
  return r.Get("reasoning", &b->reasoning);
}
Status ReadFields(Reader& r, trace::Query* b) {
  STATELAB_RETURN_IF_ERROR(r.Get("query_kind", &b->kind));
  STATELAB_RETURN_IF_ERROR(r.Get("query", &b->query));
  return r.Get("results_count", &b->results_count);
}
Status ReadFields(Reader& r, trace::Thought* b) {
  STATELAB_RETURN_IF_ERROR(r.Get("content", &b->content));
  return r.Get("confidence", &b->confidence);
}
Status ReadFields(Reader& r, trace::Error* b) {
  STATELAB_RETURN_IF_ERROR(r.Get("error_kind", &b->kind));
  STATELAB_RETURN_IF_ERROR(r.Get("message", &b->message));
  return r.Get("recoverable", &b->recoverable);
}
Status ReadFields(Reader& r, trace::Custom* b) {
  STATELAB_RETURN_IF_ERROR(r.Get("name", &b->name));
  return r.Get("data", &b->data);
}

// Decodes alternative I of TraceBody.
template <size_t I>
Result<TraceBody> DecodeBody(Reader& r) {
  std::variant_alternative_t<I, TraceBody> b;
  STATELAB_RETURN_IF_ERROR(ReadFields(r, &b));
  return TraceBody(std::in_place_index<I>, std::move(b));
}

Status CheckFields(const trace::ToolCall& b) {
  if (b.tool.empty()) return Bad("body.tool", "must not be empty");
  if (b.duration_us && *b.duration_us < 0) return Bad("body.duration_us", "must be >= 0");
  return Status::OK();
}
Status CheckFields(const trace::Query& b) {
  if (b.results_count && *b.results_count < 0) return Bad("body.results_count", "must be >= 0");
  return Status::OK();
}
Status CheckFields(const trace::Thought& b) {
  if (b.confidence && !(*b.confidence >= 0.0 && *b.confidence <= 1.0)) {
    return Bad("body.confidence", "must be in [0, 1]");
  }
  return Status::OK();
}
Status CheckFields(const trace::Custom& b) {
  if (b.name.empty()) return Bad("body.name", "must not be empty");
  return Status::OK();
}
Status CheckFields(const trace::Decision&) { return Status::OK(); }
Status CheckFields(const trace::Error&) { return Status::OK(); }

std::string TimeKeyBytes(TimestampUs ts) {
  std::string k;
  AppendBigEndian64(k, static_cast<uint64_t>(ts) ^ kSignBit);  // negative times sort first
  return k;
}

}  // namespace

std::string_view TraceKindName(TraceKind k) noexcept { return kKindNames[static_cast<size_t>(k)]; }

Result<TraceKind> ParseTraceKind(std::string_view name) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (kKindNames[i] == name) return static_cast<TraceKind>(i);
  }
  return Status::InvalidArgument(
      "kind: unknown trace kind '" + std::string(name) +
      "' (expected tool_call, decision, query, thought, error or custom)");
}

value TraceBodyToJson(const TraceBody& b) {
  object o;
  o["kind"] = TraceKindName(KindOf(b));
  std::visit([&](const auto& x) { AddFields(o, x); }, b);
  return o;
}

Result<TraceBody> TraceBodyFromJson(const value& v) {
  if (!v.is_object()) return Bad("body", "must be an object");
  Reader r(v.get_object(), "body");
  std::string kind;
  STATELAB_RETURN_IF_ERROR(r.Get("kind", &kind));
  Result<TraceKind> k = ParseTraceKind(kind);
  if (!k.ok()) return Bad("body.kind", k.status().message());
  switch (*k) {
    case TraceKind::kToolCall:
      return DecodeBody<0>(r);
    case TraceKind::kDecision:
      return DecodeBody<1>(r);
    case TraceKind::kQuery:
      return DecodeBody<2>(r);
    case TraceKind::kThought:
      return DecodeBody<3>(r);
    case TraceKind::kError:
      return DecodeBody<4>(r);
    case TraceKind::kCustom:
      return DecodeBody<5>(r);
  }
  return Bad("body.kind", "unknown");
}

value TraceToJson(const Trace& t) {
  object o;
  o["id"] = t.id;
  o["parent_id"] = t.parent_id ? value(*t.parent_id) : value(nullptr);
  o["timestamp_us"] = t.timestamp_us;
  o["tags"] = StringArray(t.tags);
  o["metadata"] = t.metadata;
  o["body"] = TraceBodyToJson(t.body);
  return o;
}

Result<Trace> TraceFromJson(const value& v) {
  if (!v.is_object()) return Bad("trace", "must be an object");
  Reader r(v.get_object(), "trace");
  Trace t;
  STATELAB_RETURN_IF_ERROR(r.Get("id", &t.id));
  STATELAB_RETURN_IF_ERROR(r.Get("parent_id", &t.parent_id));
  STATELAB_RETURN_IF_ERROR(r.Get("timestamp_us", &t.timestamp_us));
  STATELAB_RETURN_IF_ERROR(r.Get("tags", &t.tags));
  STATELAB_RETURN_IF_ERROR(r.Get("metadata", &t.metadata));
  value body;
  STATELAB_RETURN_IF_ERROR(r.Get("body", &body));
  STATELAB_ASSIGN_OR_RETURN(t.body, TraceBodyFromJson(body));
  return t;
}

namespace trace_store {

std::string RecordKey(std::string_view id) { return std::string(kRecordPrefix).append(id); }

std::string TypePrefix(TraceKind k) {
  std::string p(kTypePrefix);
  p.push_back(static_cast<char>(k));
  return p;
}

std::string TagPrefix(std::string_view tag) {
  std::string p(kTagPrefix);
  AppendLengthPrefixed16(p, tag);
  return p;
}

std::string ParentPrefix(std::string_view parent_id) {
  return std::string(kParentPrefix).append(parent_id);
}

std::string TimeScanPrefix(TimestampUs start, TimestampUs end) {
  const std::string lo = TimeKeyBytes(start);
  const std::string hi = TimeKeyBytes(end - 1);
  const size_t common = std::mismatch(lo.begin(), lo.end(), hi.begin()).first - lo.begin();
  return std::string(kTimePrefix).append(lo, 0, common);
}

TimestampUs TimeOfTimeKey(std::string_view key) {
  return static_cast<TimestampUs>(LoadBigEndian64(key.substr(kTimePrefix.size())) ^ kSignBit);
}

std::vector<std::string> IndexKeys(const Trace& t) {
  std::vector<std::string> keys;
  keys.reserve(3 + t.tags.size());
  keys.push_back(TypePrefix(KindOf(t.body)).append(t.id));
  for (const std::string& tag : t.tags) keys.push_back(TagPrefix(tag).append(t.id));
  keys.push_back(t.parent_id ? ParentPrefix(*t.parent_id).append(t.id)
                             : std::string(kRootPrefix).append(t.id));
  keys.push_back(std::string(kTimePrefix).append(TimeKeyBytes(t.timestamp_us)).append(t.id));
  return keys;
}

std::string FormatId(uint64_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(kTraceIdBytes, '0');
  for (size_t i = kTraceIdBytes; i-- > 0; n >>= 4) id[i] = kHex[n & 15];
  return id;
}

Status CheckId(std::string_view field, std::string_view id) {
  const bool ok = id.size() == kTraceIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (!ok) return Bad(field, "must be a trace id (16 lowercase hex digits)");
  return Status::OK();
}

Status CheckTag(std::string_view field, std::string_view tag) {
  if (tag.empty()) return Bad(field, "must not be empty");
  if (tag.size() > kMaxTraceTagBytes) {
    return Bad(field, std::to_string(tag.size()) + " bytes exceeds limit " +
                          std::to_string(kMaxTraceTagBytes) + " bytes");
  }
  return Status::OK();
}

Status CheckTags(const std::vector<std::string>& tags) {
  if (tags.size() > kMaxTraceTags) {
    return Bad("tags", std::to_string(tags.size()) + " tags exceeds limit " +
                           std::to_string(kMaxTraceTags));
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    STATELAB_RETURN_IF_ERROR(CheckTag("tags[" + std::to_string(i) + "]", tags[i]));
  }
  return Status::OK();
}

Status CheckBody(const TraceBody& b) {
  return std::visit([](const auto& x) { return CheckFields(x); }, b);
}

Status CheckStored(const value& stored) {
  Status s = json_doc::CheckLimits(stored);
  if (!s.ok()) return Bad("trace", s.message());
  return Status::OK();
}

std::vector<std::string> NormalizeTags(std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

Result<Trace> DecodeStored(const Value& v, std::string_view id, Version version) {
  const auto* doc = std::get_if<value>(&v);
  Result<Trace> t = doc ? TraceFromJson(*doc) : Result<Trace>(Bad("trace", "must be JSON"));
  if (!t.ok() || t->id != id) {
    uint64_t n = 0;
    std::from_chars(id.data(), id.data() + id.size(), n, 16);
    return Status::Corruption("trace record (offset = trace number)", n);
  }
  t->version = version;
  return t;
}

}  // namespace trace_store
}  // namespace statelab
