#include "engines/primitives/run_index.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "engines/primitives/facade_util.h"

namespace statelab {

std::string_view RunStatusName(RunStatus s) noexcept {
  switch (s) {
    case RunStatus::kActive:
      return "active";
    case RunStatus::kPaused:
      return "paused";
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kCancelled:
      return "cancelled";
    case RunStatus::kArchived:
      return "archived";
  }
  return "unknown";
}

Result<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus s : kAllRunStatuses) {
    if (RunStatusName(s) == name) return s;
  }
  return Status::InvalidArgument(
      "status: must be one of active, paused, completed, failed, cancelled, archived; got '" +
      std::string(name) + "'");
}

bool IsAllowedTransition(RunStatus from, RunStatus to) noexcept {
  switch (from) {
    case RunStatus::kActive:
      return to == RunStatus::kCompleted || to == RunStatus::kFailed ||
             to == RunStatus::kCancelled || to == RunStatus::kPaused || to == RunStatus::kArchived;
    case RunStatus::kPaused:
      return to == RunStatus::kActive || to == RunStatus::kCancelled || to == RunStatus::kArchived;
    case RunStatus::kCompleted:
    case RunStatus::kFailed:
    case RunStatus::kCancelled:
      return to == RunStatus::kArchived;
    case RunStatus::kArchived:
      return false;
  }
  return false;
}

bool IsEnded(RunStatus s) noexcept { return s != RunStatus::kActive && s != RunStatus::kPaused; }

namespace internal {

namespace {
std::string Join(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a).append(b);
  return out;
}

Status BadRecord() { return Status::Corruption("meta run: run record", 0); }
}  // namespace

std::string RunRecordKey(std::string_view name) { return Join(kRunRecordPrefix, name); }
std::string RunIdKey(const RunId& id) { return Join("i/", id.ToString()); }
std::string RunStatusPrefix(RunStatus s) { return Join("s/", RunStatusName(s)).append(1, '/'); }
std::string RunStatusKey(RunStatus s, std::string_view name) {
  return RunStatusPrefix(s).append(name);
}
std::string RunTagPrefix(std::string_view tag) {
  std::string out = "t/";
  AppendLengthPrefixed16(out, tag);
  return out;
}
std::string RunTagKey(std::string_view tag, std::string_view name) {
  return RunTagPrefix(tag).append(name);
}
std::string RunChildPrefix(const RunId& parent) {
  return Join("c/", parent.ToString()).append(1, '/');
}
std::string RunChildKey(const RunId& parent, std::string_view name) {
  return RunChildPrefix(parent).append(name);
}
std::string RunDeletingKey(std::string_view name) { return Join(kRunDeletingPrefix, name); }

Status CheckRunTags(const std::vector<std::string>& tags) {
  for (const std::string& tag : tags) STATELAB_RETURN_IF_ERROR(CheckId("tag", tag, kMaxNameBytes));
  return Status::OK();
}

std::vector<std::string> SortedUnique(std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

Result<Value> EncodeRunRecord(const RunInfo& info, bool deleting) {
  boost::json::object o;
  o["run_id"] = info.id.ToString();
  o["name"] = info.name;
  if (info.parent) {
    o["parent_id"] = info.parent->ToString();
  } else {
    o["parent_id"] = nullptr;
  }
  o["status"] = RunStatusName(info.status);
  boost::json::array& tags = o["tags"].emplace_array();
  for (const std::string& t : info.tags) tags.emplace_back(t);
  o["metadata"] = info.metadata;
  o["created_at_us"] = info.created_at_us;
  o["updated_at_us"] = info.updated_at_us;
  o["deleting"] = deleting;
  boost::json::value record(std::move(o));
  if (Status s = json_doc::CheckLimits(record); !s.ok()) {
    return Status::InvalidArgument("metadata: " + std::string(s.message()));
  }
  return Value(std::move(record));
}

Status DecodeRunRecord(const Value& v, RunInfo* info, bool* deleting) {
  const auto* doc = std::get_if<boost::json::value>(&v);
  const boost::json::object* o = doc ? doc->if_object() : nullptr;
  if (o == nullptr) return BadRecord();
  auto str = [&](std::string_view k) -> const boost::json::string* {
    const boost::json::value* f = o->if_contains(k);
    return f ? f->if_string() : nullptr;
  };
  auto num = [&](std::string_view k) -> const int64_t* {
    const boost::json::value* f = o->if_contains(k);
    return f ? f->if_int64() : nullptr;
  };
  const boost::json::string* id = str("run_id");
  const boost::json::string* name = str("name");
  const boost::json::string* status = str("status");
  const boost::json::value* parent = o->if_contains("parent_id");
  const boost::json::value* tags = o->if_contains("tags");
  const boost::json::value* metadata = o->if_contains("metadata");
  const boost::json::value* del = o->if_contains("deleting");
  const int64_t* created = num("created_at_us");
  const int64_t* updated = num("updated_at_us");
  if (!id || !name || !status || !parent || !tags || !tags->is_array() || !metadata ||
      !metadata->is_object() || !del || !del->is_bool() || !created || !updated) {
    return BadRecord();
  }
  Result<RunId> rid = RunId::Parse(*id);
  Result<RunStatus> st = ParseRunStatus(*status);
  if (!rid.ok() || !st.ok()) return BadRecord();
  info->id = *rid;
  info->name = std::string(*name);
  info->status = *st;
  info->parent.reset();
  if (const boost::json::string* p = parent->if_string()) {
    Result<RunId> pid = RunId::Parse(*p);
    if (!pid.ok()) return BadRecord();
    info->parent = *pid;
  }
  info->tags.clear();
  for (const boost::json::value& t : tags->get_array()) {
    if (!t.is_string()) return BadRecord();
    info->tags.emplace_back(t.get_string());
  }
  info->metadata = metadata->get_object();
  info->created_at_us = *created;
  info->updated_at_us = *updated;
  *deleting = del->get_bool();
  return Status::OK();
}

}  // namespace internal
}  // namespace statelab
