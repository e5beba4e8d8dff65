#include "tools/primitive_ops.h"

#include <boost/json/array.hpp>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "engines/core/json_doc.h"
#include "tools/render.h"

namespace statelab::cli {

namespace bj = boost::json;

namespace {

void PutVersioned(bj::object& out, const Value& v, Version ver) {
  out["value"] = ValueToProtocol(v);
  out["version"] = ver;
}

// Calls put(value) and returns OK, or returns the error.
template <class T, class F>
Status Emit(Result<T> r, F&& put) {
  if (!r.ok()) return std::move(r).error();
  put(*r);
  return Status::OK();
}

// The pure function of state.transition: {"add": number} adds to a number (int + int stays an
// int, overflow is an error); {"merge": object} applies an RFC 7386 merge patch to a JSON
// document (null or absent starts from {}).
struct TransitionSpec {
  bool add = true;
  bj::value operand;

  Result<Value> operator()(const Value& cur) const {
    if (!add) {
      bj::value doc = bj::object();
      if (const auto* d = std::get_if<bj::value>(&cur); d != nullptr && !d->is_null()) {
        doc = *d;
      } else if (!std::holds_alternative<std::monostate>(cur)) {
        return NotA("a JSON document");
      }
      STATELAB_RETURN_IF_ERROR(json_doc::MergePatch(doc, operand));
      STATELAB_RETURN_IF_ERROR(json_doc::CheckLimits(doc));
      return Value(std::move(doc));
    }
    const auto* ci = std::get_if<int64_t>(&cur);
    const auto* cd = std::get_if<double>(&cur);
    if (ci == nullptr && cd == nullptr) return NotA("a number");
    if (ci != nullptr && operand.is_int64()) {
      int64_t sum = 0;
      if (__builtin_add_overflow(*ci, operand.get_int64(), &sum)) {
        return Status::InvalidArgument("fn.add: the sum overflows int64");
      }
      return Value(sum);
    }
    return Value((ci ? static_cast<double>(*ci) : *cd) + operand.to_number<double>());
  }
  Status NotA(std::string_view what) const {
    return Status::InvalidArgument(std::string(add ? "fn.add" : "fn.merge") +
                                   ": the cell's current value is not " + std::string(what));
  }
};

TransitionSpec ParseTransition(RequestReader& r) {
  TransitionSpec spec;
  const bj::object fn = r.Obj("fn");
  RequestReader f(fn, r.Path("fn"));
  const std::optional<bj::value> add = f.OptJson("add");
  const std::optional<bj::value> merge = f.OptJson("merge");
  if (r.ok() && add.has_value() == merge.has_value()) {
    r.Fail("fn", "must hold exactly one of \"add\" (a number) or \"merge\" (an object)");
  } else if (add && (!add->is_number() || add->is_uint64())) {
    f.Fail("add", "must be a number (integers within the int64 range)");
  } else if (merge && !merge->is_object()) {
    f.Fail("merge", "must be an object");
  }
  r.Adopt(f.Finish());
  spec.add = add.has_value();
  spec.operand = add ? *add : merge.value_or(bj::value());
  return spec;
}

std::vector<JsonPatchOp> ParseJsonPatch(RequestReader& r) {
  std::vector<JsonPatchOp> ops;
  const bj::array* a = r.Array("ops");
  for (size_t i = 0; a != nullptr && i < a->size() && r.ok(); ++i) {
    const std::string where = r.Path("ops") + "[" + std::to_string(i) + "]";
    if (!(*a)[i].is_object()) {
      r.Adopt(Status::InvalidArgument(where + ": must be an object"));
      break;
    }
    RequestReader op(a->at(i).get_object(), where);
    const std::string kind = op.Str("op");
    const std::string path = op.Str("path");
    if (kind == "set") {
      ops.push_back(JsonPatchOp::Set(path, op.Json("value")));
    } else if (kind == "delete") {
      ops.push_back(JsonPatchOp::Delete(path));
    } else if (op.ok()) {
      op.Fail("op", "must be \"set\" or \"delete\"");
    }
    r.Adopt(op.Finish());
  }
  return ops;
}

using Parser = OpFn (*)(RequestReader&);
struct OpSpec {
  std::string_view name;
  bool writes;
  Parser parse;
};

// One entry per op; the parser reads the members, the closure it returns runs the op.
constexpr OpSpec kOps[] = {
    // ---- kv
    {"kv.put", true,
     [](RequestReader& r) -> OpFn {
       return [key = r.Str("key"), v = r.Val("value")](Handle& h, bj::object&) {
         return h.kv().Put(key, v);
       };
     }},
    {"kv.put_with_ttl", true,
     [](RequestReader& r) -> OpFn {
       const uint64_t ttl = r.U64("ttl_us");
       if (ttl > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
         r.Fail("ttl_us", "exceeds the int64 range");
       }
       return [key = r.Str("key"), v = r.Val("value"), ttl = std::chrono::microseconds(ttl)](
                  Handle& h, bj::object&) { return h.kv().PutWithTtl(key, v, ttl); };
     }},
    {"kv.get", false,
     [](RequestReader& r) -> OpFn {
       return [key = r.Str("key")](Handle& h, bj::object& out) -> Status {
         Value v;
         Version ver = 0;
         STATELAB_RETURN_IF_ERROR(h.kv().Get(key, &v, &ver));
         PutVersioned(out, v, ver);
         return Status::OK();
       };
     }},
    {"kv.exists", false,
     [](RequestReader& r) -> OpFn {
       return [key = r.Str("key")](Handle& h, bj::object& out) {
         return Emit(h.kv().Exists(key), [&](bool b) { out["exists"] = b; });
       };
     }},
    {"kv.delete", true,
     [](RequestReader& r) -> OpFn {
       return [key = r.Str("key")](Handle& h, bj::object& out) {
         return Emit(h.kv().Delete(key), [&](bool b) { out["existed"] = b; });
       };
     }},
    {"kv.cas", true,
     [](RequestReader& r) -> OpFn {
       return [key = r.Str("key"), expected = r.U64("expected_version"), v = r.Val("value")](
                  Handle& h, bj::object&) { return h.kv().Cas(key, expected, v); };
     }},
    {"kv.get_many", false,
     [](RequestReader& r) -> OpFn {
       return [keys = r.Strs("keys")](Handle& h, bj::object& out) -> Status {
         std::vector<std::string_view> views(keys.begin(), keys.end());
         std::vector<std::optional<Versioned>> got;
         STATELAB_RETURN_IF_ERROR(h.kv().GetMany(views, &got));
         bj::array& values = out["values"].emplace_array();
         for (const std::optional<Versioned>& g : got) {
           if (!g) {
             values.emplace_back(nullptr);
             continue;
           }
           bj::object o;
           PutVersioned(o, g->value, g->version);
           values.emplace_back(std::move(o));
         }
         return Status::OK();
       };
     }},
    {"kv.list", false,
     [](RequestReader& r) -> OpFn {
       return [prefix = r.OptStr("prefix").value_or("")](Handle& h, bj::object& out) -> Status {
         std::vector<std::string> keys;
         STATELAB_RETURN_IF_ERROR(h.kv().List(prefix, &keys));
         out["keys"] = StringsToJson(keys);
         return Status::OK();
       };
     }},
    {"kv.list_with_values", false,
     [](RequestReader& r) -> OpFn {
       return [prefix = r.OptStr("prefix").value_or("")](Handle& h, bj::object& out) -> Status {
         std::vector<KvEntry> entries;
         STATELAB_RETURN_IF_ERROR(h.kv().ListWithValues(prefix, &entries));
         bj::array& a = out["entries"].emplace_array();
         for (const KvEntry& e : entries) {
           bj::object o{{"key", e.key}};
           PutVersioned(o, e.value, e.version);
           a.emplace_back(std::move(o));
         }
         return Status::OK();
       };
     }},

    // ---- event
    {"event.append", true,
     [](RequestReader& r) -> OpFn {
       return [type = r.Str("type"), payload = r.Json("payload")](Handle& h, bj::object& out) {
         return Emit(h.events().Append(type, payload), [&](const Appended& a) {
           out["sequence"] = a.sequence;
           out["hash"] = event_log::HashHex(a.hash);
         });
       };
     }},
    {"event.read", false,
     [](RequestReader& r) -> OpFn {
       return [seq = r.U64("sequence")](Handle& h, bj::object& out) {
         return Emit(h.events().Read(seq), [&](const Event& e) { out["event"] = EventToJson(e); });
       };
     }},
    {"event.read_range", false,
     [](RequestReader& r) -> OpFn {
       return [start = r.U64("start"), end = r.U64("end")](Handle& h, bj::object& out) {
         return Emit(h.events().ReadRange(start, end),
                     [&](const std::vector<Event>& e) { out["events"] = EventsToJson(e); });
       };
     }},
    {"event.head", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) {
         return Emit(h.events().Head(), [&](const Event& e) { out["event"] = EventToJson(e); });
       };
     }},
    {"event.len", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) {
         return Emit(h.events().Len(), [&](uint64_t n) { out["len"] = n; });
       };
     }},
    {"event.read_by_type", false,
     [](RequestReader& r) -> OpFn {
       return [type = r.Str("type")](Handle& h, bj::object& out) {
         return Emit(h.events().ReadByType(type),
                     [&](const std::vector<Event>& e) { out["events"] = EventsToJson(e); });
       };
     }},
    {"event.verify_chain", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) {
         return Emit(h.events().VerifyChain(), [&](const ChainReport& c) {
           out["length"] = c.length;
           out["valid"] = c.valid();
           out["first_bad"] = c.first_bad ? bj::value(*c.first_bad) : bj::value(nullptr);
           out["reason"] = c.reason;
         });
       };
     }},

    // ---- state
    {"state.init", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name"), v = r.Val("value")](Handle& h, bj::object&) {
         return h.state().Init(name, v);
       };
     }},
    {"state.read", false,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name")](Handle& h, bj::object& out) -> Status {
         Value v;
         Version ver = 0;
         STATELAB_RETURN_IF_ERROR(h.state().Read(name, &v, &ver));
         PutVersioned(out, v, ver);
         return Status::OK();
       };
     }},
    {"state.set", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name"), v = r.Val("value")](Handle& h, bj::object&) {
         return h.state().Set(name, v);
       };
     }},
    {"state.cas", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name"), expected = r.U64("expected_version"), v = r.Val("value")](
                  Handle& h, bj::object&) { return h.state().Cas(name, expected, v); };
     }},
    {"state.delete", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name")](Handle& h, bj::object& out) {
         return Emit(h.state().Delete(name), [&](bool b) { out["existed"] = b; });
       };
     }},
    {"state.exists", false,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name")](Handle& h, bj::object& out) {
         return Emit(h.state().Exists(name), [&](bool b) { out["exists"] = b; });
       };
     }},
    {"state.list", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) {
         return Emit(h.state().List(),
                     [&](const std::vector<std::string>& n) { out["names"] = StringsToJson(n); });
       };
     }},
    {"state.transition", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name"), fn = ParseTransition(r)](Handle& h, bj::object& out) {
         return Emit(h.state().Transition(name, fn),
                     [&](const Versioned& v) { out["value"] = ValueToProtocol(v.value); });
       };
     }},
    {"state.transition_or_init", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("name"), init = r.Val("init"), fn = ParseTransition(r)](
                  Handle& h, bj::object& out) {
         return Emit(h.state().TransitionOrInit(name, init, fn),
                     [&](const Versioned& v) { out["value"] = ValueToProtocol(v.value); });
       };
     }},

    // ---- trace
    {"trace.record", true,
     [](RequestReader& r) -> OpFn {
       std::optional<TraceBody> body;
       if (bj::value j = r.Json("body"); r.ok()) {
         Result<TraceBody> b = TraceBodyFromJson(j);
         if (b.ok()) {
           body = std::move(b).value();
         } else {
           r.FailWith(b.error());
         }
       }
       return [body = std::move(body), tags = r.OptStrs("tags"), metadata = r.OptObj("metadata"),
               parent = r.OptStr("parent_id")](Handle& h, bj::object& out) {
         std::optional<std::string_view> parent_view;
         if (parent) parent_view = *parent;
         return Emit(h.traces().Record(*body, tags, metadata, parent_view),
                     [&](const Recorded& rec) { out["id"] = rec.id; });
       };
     }},
    {"trace.get", false,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("id")](Handle& h, bj::object& out) {
         return Emit(h.traces().Get(id), [&](const Trace& t) { out["trace"] = TraceToReply(t); });
       };
     }},
    {"trace.query_by_type", false,
     [](RequestReader& r) -> OpFn {
       TraceKind kind = TraceKind::kCustom;
       if (std::string name = r.Str("kind"); r.ok()) {
         Result<TraceKind> k = ParseTraceKind(name);
         if (k.ok()) {
           kind = *k;
         } else {
           r.FailWith(k.error());
         }
       }
       return [kind](Handle& h, bj::object& out) {
         return Emit(h.traces().QueryByType(kind),
                     [&](const std::vector<Trace>& t) { out["traces"] = TracesToJson(t); });
       };
     }},
    {"trace.query_by_tag", false,
     [](RequestReader& r) -> OpFn {
       return [tag = r.Str("tag")](Handle& h, bj::object& out) {
         return Emit(h.traces().QueryByTag(tag),
                     [&](const std::vector<Trace>& t) { out["traces"] = TracesToJson(t); });
       };
     }},
    {"trace.children", false,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("id")](Handle& h, bj::object& out) {
         return Emit(h.traces().Children(id),
                     [&](const std::vector<Trace>& t) { out["traces"] = TracesToJson(t); });
       };
     }},
    {"trace.query_by_time", false,
     [](RequestReader& r) -> OpFn {
       return [start = r.I64("start_us"), end = r.I64("end_us")](Handle& h, bj::object& out) {
         return Emit(h.traces().QueryByTime(start, end),
                     [&](const std::vector<Trace>& t) { out["traces"] = TracesToJson(t); });
       };
     }},
    {"trace.tree", false,
     [](RequestReader& r) -> OpFn {
       return [root = r.Str("root")](Handle& h, bj::object& out) {
         return Emit(h.traces().Tree(root), [&](const std::vector<TraceNode>& nodes) {
           bj::array& a = out["nodes"].emplace_array();
           for (const TraceNode& n : nodes) {
             a.emplace_back(bj::object{{"depth", n.depth}, {"trace", TraceToReply(n.trace)}});
           }
         });
       };
     }},
    {"trace.roots", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) {
         return Emit(h.traces().Roots(),
                     [&](const std::vector<Trace>& t) { out["traces"] = TracesToJson(t); });
       };
     }},
    {"trace.count", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) {
         return Emit(h.traces().Count(), [&](uint64_t n) { out["count"] = n; });
       };
     }},

    // ---- json
    {"json.create", true,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id"), doc = r.Json("doc")](Handle& h, bj::object&) {
         return h.json().Create(id, doc);
       };
     }},
    {"json.get", false,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id"), path = r.OptStr("path").value_or("$")](
                  Handle& h, bj::object& out) -> Status {
         bj::value v;
         Version ver = 0;
         STATELAB_RETURN_IF_ERROR(h.json().Get(id, path, &v, &ver));
         out["value"] = std::move(v);
         out["version"] = ver;
         return Status::OK();
       };
     }},
    {"json.set", true,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id"), path = r.Str("path"), v = r.Json("value")](
                  Handle& h, bj::object&) { return h.json().Set(id, path, v); };
     }},
    {"json.delete_at_path", true,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id"), path = r.Str("path")](Handle& h, bj::object&) {
         return h.json().DeleteAt(id, path);
       };
     }},
    {"json.destroy", true,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id")](Handle& h, bj::object& out) {
         return Emit(h.json().Destroy(id), [&](bool b) { out["existed"] = b; });
       };
     }},
    {"json.patch", true,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id"), ops = ParseJsonPatch(r)](Handle& h, bj::object&) {
         return h.json().Patch(id, ops);
       };
     }},
    {"json.merge", true,
     [](RequestReader& r) -> OpFn {
       return
           [id = r.Str("doc_id"), path = r.OptStr("path").value_or("$"), patch = r.Json("patch")](
               Handle& h, bj::object&) { return h.json().Merge(id, path, patch); };
     }},
    {"json.cas", true,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id"), path = r.OptStr("path").value_or("$"),
               expected = r.U64("expected_version"), v = r.Json("value")](Handle& h, bj::object&) {
         return h.json().Cas(id, path, expected, v);
       };
     }},
    {"json.exists", false,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id")](Handle& h, bj::object& out) {
         return Emit(h.json().Exists(id), [&](bool b) { out["exists"] = b; });
       };
     }},
    {"json.version", false,
     [](RequestReader& r) -> OpFn {
       return [id = r.Str("doc_id")](Handle& h, bj::object& out) {
         return Emit(h.json().GetVersion(id), [&](Version v) { out["version"] = v; });
       };
     }},

    // ---- vector
    {"vector.create_collection", true,
     [](RequestReader& r) -> OpFn {
       const std::string name = r.Str("collection");
       const uint64_t dim = r.U64("dimension");
       VectorMetric metric = VectorMetric::kCosine;
       if (std::string m = r.Str("metric"); r.ok()) {
         Result<VectorMetric> parsed = ParseMetric(m);
         if (parsed.ok()) {
           metric = *parsed;
         } else {
           r.FailWith(parsed.error());
         }
       }
       if (dim > kMaxVectorDimension) {
         r.Fail("dimension", "must be at most " + std::to_string(kMaxVectorDimension));
       }
       return [name, dim = static_cast<uint32_t>(dim), metric](Handle& h, bj::object&) {
         return h.vectors().CreateCollection(name, dim, metric);
       };
     }},
    {"vector.delete_collection", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection")](Handle& h, bj::object&) {
         return h.vectors().DeleteCollection(name);
       };
     }},
    {"vector.get_collection", false,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection")](Handle& h, bj::object& out) -> Status {
         CollectionInfo info;
         STATELAB_RETURN_IF_ERROR(h.vectors().GetCollection(name, &info));
         out["collection"] = CollectionToJson(info);
         return Status::OK();
       };
     }},
    {"vector.list_collections", false,
     [](RequestReader&) -> OpFn {
       return [](Handle& h, bj::object& out) -> Status {
         std::vector<CollectionInfo> infos;
         STATELAB_RETURN_IF_ERROR(h.vectors().ListCollections(&infos));
         bj::array& a = out["collections"].emplace_array();
         for (const CollectionInfo& c : infos) a.emplace_back(CollectionToJson(c));
         return Status::OK();
       };
     }},
    {"vector.upsert", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection"), key = r.Str("key"), values = r.Floats("vector"),
               metadata = r.OptJson("metadata").value_or(nullptr)](Handle& h, bj::object&) {
         return h.vectors().Upsert(name, key, values, metadata);
       };
     }},
    {"vector.get", false,
     [](RequestReader& r) -> OpFn {
       return
           [name = r.Str("collection"), key = r.Str("key")](Handle& h, bj::object& out) -> Status {
             VectorEntry e;
             STATELAB_RETURN_IF_ERROR(h.vectors().Get(name, key, &e));
             bj::array& v = out["vector"].emplace_array();
             for (float f : e.values) v.emplace_back(static_cast<double>(f));
             out["metadata"] = e.metadata;
             out["version"] = e.version;
             return Status::OK();
           };
     }},
    {"vector.delete", true,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection"), key = r.Str("key")](Handle& h, bj::object& out) {
         return Emit(h.vectors().Delete(name, key), [&](bool b) { out["existed"] = b; });
       };
     }},
    {"vector.count", false,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection")](Handle& h, bj::object& out) {
         return Emit(h.vectors().Count(name), [&](uint64_t n) { out["count"] = n; });
       };
     }},
    {"vector.list_keys", false,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection")](Handle& h, bj::object& out) -> Status {
         std::vector<std::string> keys;
         STATELAB_RETURN_IF_ERROR(h.vectors().ListKeys(name, &keys));
         out["keys"] = StringsToJson(keys);
         return Status::OK();
       };
     }},
    {"vector.search", false,
     [](RequestReader& r) -> OpFn {
       return [name = r.Str("collection"), query = r.Floats("query"), k = r.U64("k"),
               filter = r.OptObj("filter")](Handle& h, bj::object& out) -> Status {
         std::vector<SearchHit> hits;
         STATELAB_RETURN_IF_ERROR(h.vectors().Search(name, query, k, filter, &hits));
         bj::array& a = out["hits"].emplace_array();
         for (const SearchHit& hit : hits) {
           a.emplace_back(
               bj::object{{"key", hit.key}, {"score", hit.score}, {"metadata", hit.metadata}});
         }
         return Status::OK();
       };
     }},
};

}  // namespace

Result<PrimitiveOp> ParsePrimitiveOp(std::string_view op, RequestReader& r) {
  for (const OpSpec& spec : kOps) {
    if (spec.name != op) continue;
    OpFn fn = spec.parse(r);
    STATELAB_RETURN_IF_ERROR(r.Finish());
    return PrimitiveOp{spec.writes, std::move(fn)};
  }
  return Status::NotFound();
}

std::vector<std::string_view> PrimitiveOpNames() {
  std::vector<std::string_view> names;
  for (const OpSpec& spec : kOps) names.push_back(spec.name);
  return names;
}

}  // namespace statelab::cli
