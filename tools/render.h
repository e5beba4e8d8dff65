#pragma once
// JSON shapes of the results the command line prints (docs/cli.md): events, traces, runs,
// vector collections and recovery reports, as the shell replies and the offline commands show
// them. Each carries the version it was read at.
// Thread-safety: pure functions.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "engines/durability/durable_state.h"
#include "engines/primitives/event_log.h"
#include "engines/replay/replay.h"
#include "engines/primitives/run_index.h"
#include "engines/primitives/trace_store.h"
#include "engines/primitives/vector_store.h"

namespace statelab::cli {

boost::json::object EventToJson(const Event& e);
boost::json::array EventsToJson(const std::vector<Event>& events);
boost::json::object TraceToReply(const Trace& t);
boost::json::array TracesToJson(const std::vector<Trace>& traces);
// {run_id, name, parent_id, status, tags, metadata, created_at_us, updated_at_us, version}.
boost::json::object RunInfoToJson(const RunInfo& info);
boost::json::array RunsToJson(const std::vector<RunInfo>& runs);
boost::json::object CollectionToJson(const CollectionInfo& c);
boost::json::object RecoveryReportToJson(const RecoveryReport& r);
boost::json::array StringsToJson(const std::vector<std::string>& v);
// A replayed run: {run_id, as_of, from_history, kv: [{key, value, version}], state: [{name,
// value, version}], json: [{doc_id, value, version}], events: [...], traces: [...]}, read on one
// snapshot of the view.
Result<boost::json::object> RunViewToJson(RunView& view);

}  // namespace statelab::cli
