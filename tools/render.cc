#include "tools/render.h"

#include "engines/primitives/database.h"
#include "tools/protocol.h"

namespace statelab::cli {

namespace bj = boost::json;

bj::object EventToJson(const Event& e) {
  bj::object o = event_log::EncodeEvent(e).as_object();
  o["version"] = e.version;
  return o;
}

bj::array EventsToJson(const std::vector<Event>& events) {
  bj::array a;
  for (const Event& e : events) a.emplace_back(EventToJson(e));
  return a;
}

bj::object TraceToReply(const Trace& t) {
  bj::object o = TraceToJson(t).as_object();
  o["version"] = t.version;
  return o;
}

bj::array TracesToJson(const std::vector<Trace>& traces) {
  bj::array a;
  for (const Trace& t : traces) a.emplace_back(TraceToReply(t));
  return a;
}

bj::object RunInfoToJson(const RunInfo& info) {
  bj::object o;
  // The stored record's shape; a record read back from the store always encodes.
  if (Result<Value> rec = internal::EncodeRunRecord(info, false); rec.ok()) {
    o = std::get<bj::value>(*rec).as_object();
    o.erase("deleting");
  }
  o["version"] = info.version;
  return o;
}

bj::array RunsToJson(const std::vector<RunInfo>& runs) {
  bj::array a;
  for (const RunInfo& r : runs) a.emplace_back(RunInfoToJson(r));
  return a;
}

bj::object CollectionToJson(const CollectionInfo& c) {
  return {{"name", c.name},
          {"dimension", c.dimension},
          {"metric", MetricName(c.metric)},
          {"version", c.version}};
}

bj::object RecoveryReportToJson(const RecoveryReport& r) {
  bj::array open_runs;
  for (const RunId& id : r.open_runs) open_runs.emplace_back(id.ToString());
  bj::array losses;
  for (const RecoveryLoss& l : r.losses) {
    bj::array records;
    for (const RecoveryLoss::Record& rec : l.records) {
      records.push_back(bj::object{
          {"version", rec.version}, {"run_id", rec.run.ToString()}, {"verified", rec.verified}});
    }
    losses.push_back(bj::object{{"what", l.what},
                                {"file", l.file},
                                {"offset", l.offset},
                                {"bytes", l.bytes},
                                {"after_version", l.after},
                                {"before_version", l.before},
                                {"records_lost", l.records_lost},
                                {"records", std::move(records)}});
  }
  return {{"policy", r.policy},
          {"snapshot_used", r.snapshot_used},
          {"snapshot_version", r.snapshot_version},
          {"recovered_version", r.recovered_version},
          {"records_replayed", r.records_replayed},
          {"bytes_truncated", r.bytes_truncated},
          {"records_skipped", r.records_skipped},
          {"losses", std::move(losses)},
          {"open_runs", std::move(open_runs)},
          {"time_ms", r.time_ms},
          {"notes", StringsToJson(r.notes)}};
}

bj::array StringsToJson(const std::vector<std::string>& v) {
  bj::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

Result<bj::object> RunViewToJson(RunView& view) {
  bj::object o{{"run_id", view.run().ToString()},
               {"as_of", view.as_of()},
               {"from_history", view.from_history()}};
  STATELAB_RETURN_IF_ERROR(
      view.db().Read(view.run(), [&](Database<BTreeEngine>::Handle& h) -> Status {
        // Each of KV, state and JSON is one scan of its tag: user key, value, version.
        const std::pair<Tag, std::string_view> keyed[] = {
            {Tag::kKv, "key"}, {Tag::kState, "name"}, {Tag::kJson, "doc_id"}};
        for (const auto& [tag, key_field] : keyed) {
          const std::string_view key_name = key_field;  // a local, not a binding: captured below
          bj::array& a = o[TagName(tag)].emplace_array();
          STATELAB_RETURN_IF_ERROR(
              h.raw().Scan(tag, "", [&](std::string_view k, const Value& v, Version ver) {
                a.emplace_back(
                    bj::object{{key_name, k}, {"value", ValueToProtocol(v)}, {"version", ver}});
                return true;
              }));
        }
        STATELAB_ASSIGN_OR_RETURN(const uint64_t events, h.events().Len());
        STATELAB_ASSIGN_OR_RETURN(const std::vector<Event> all, h.events().ReadRange(0, events));
        o["events"] = EventsToJson(all);
        STATELAB_ASSIGN_OR_RETURN(const uint64_t traces, h.traces().Count());
        bj::array& t = o["traces"].emplace_array();
        for (uint64_t i = 0; i < traces; ++i) {
          STATELAB_ASSIGN_OR_RETURN(const Trace tr, h.traces().Get(trace_store::FormatId(i)));
          t.emplace_back(TraceToReply(tr));
        }
        return Status::OK();
      }));
  return o;
}

}  // namespace statelab::cli
