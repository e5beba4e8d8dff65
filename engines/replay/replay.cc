#include "engines/replay/replay.h"

#include <boost/json/object.hpp>
#include <cstdio>
#include <map>

namespace statelab {

Result<std::unique_ptr<RunView>> RunView::Build(const RunId& run, Version as_of, bool from_history,
                                                const Entries& entries) {
  DbOptions o;
  o.mode = DurabilityMode::kInMemory;
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<BTreeEngine> e, BTreeEngine::Open(o));
  Version newest = as_of;
  for (const auto& [key, entry] : entries) {
    e->LoadEntry(key, entry);
    newest = std::max(newest, entry.version);
  }
  e->RestoreVersion(newest);
  e->SetReadOnly();
  std::unique_ptr<RunView> v(new RunView());
  v->run_ = run;
  v->as_of_ = as_of;
  v->from_history_ = from_history;
  v->db_ = std::make_unique<Database<BTreeEngine>>(std::move(e));
  return v;
}

std::string_view ChangeName(DiffEntry::Change c) noexcept {
  switch (c) {
    case DiffEntry::Change::kAdded:
      return "added";
    case DiffEntry::Change::kRemoved:
      return "removed";
    case DiffEntry::Change::kModified:
      return "modified";
  }
  return "unknown";
}

namespace {

using Listing = std::map<std::string, Value>;  // user key -> live value

Status ListTag(RunView& v, Tag tag, Listing* out) {
  using P = BTreeEngine::Partition;
  return RunRead(v.db().engine(), v.run(), [&](Txn<P>& t) {
    return t.Scan(tag, "", [&](std::string_view user, const Value& val, Version) {
      out->emplace(std::string(user), val);
      return true;
    });
  });
}

// Events keyed by zero-padded sequence (so map order is sequence order), as {type, payload}.
Status ListEvents(RunView& v, Listing* out) {
  STATELAB_ASSIGN_OR_RETURN(std::vector<Event> events,
                            v.db().events().ReadRange(v.run(), 0, UINT64_MAX));
  for (const Event& e : events) {
    char key[24];
    std::snprintf(key, sizeof key, "%020llu", static_cast<unsigned long long>(e.sequence));
    boost::json::object o{{"type", e.type}, {"payload", e.payload}};
    out->emplace(key, Value(boost::json::value(std::move(o))));
  }
  return Status::OK();
}

void Compare(const Listing& a, const Listing& b, bool numeric_keys, std::vector<DiffEntry>* out) {
  auto name = [&](const std::string& k) {
    return numeric_keys ? std::to_string(std::stoull(k)) : k;
  };
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out->push_back({DiffEntry::Change::kRemoved, name(ia->first), ia->second, std::nullopt});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out->push_back({DiffEntry::Change::kAdded, name(ib->first), std::nullopt, ib->second});
      ++ib;
    } else {
      if (!(ia->second == ib->second)) {
        out->push_back({DiffEntry::Change::kModified, name(ia->first), ia->second, ib->second});
      }
      ++ia;
      ++ib;
    }
  }
}

boost::json::array EntriesToJson(const std::vector<DiffEntry>& entries, bool events) {
  boost::json::array out;
  for (const DiffEntry& d : entries) {
    boost::json::object o;
    if (events) {
      o["sequence"] = std::stoull(d.key);
    } else {
      o["key"] = d.key;
    }
    o["change"] = ChangeName(d.change);
    if (d.before) o["before"] = ValueToJson(*d.before);
    if (d.after) o["after"] = ValueToJson(*d.after);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

boost::json::value RunDiff::ToJson() const {
  return boost::json::object{{"kv", EntriesToJson(kv, false)},
                             {"json", EntriesToJson(json, false)},
                             {"state", EntriesToJson(state, false)},
                             {"events", EntriesToJson(events, true)}};
}

Result<RunDiff> DiffViews(RunView& a, RunView& b) {
  RunDiff d;
  const std::pair<Tag, std::vector<DiffEntry>*> keyed[] = {
      {Tag::kKv, &d.kv}, {Tag::kJson, &d.json}, {Tag::kState, &d.state}};
  for (const auto& [tag, out] : keyed) {
    Listing la, lb;
    STATELAB_RETURN_IF_ERROR(ListTag(a, tag, &la));
    STATELAB_RETURN_IF_ERROR(ListTag(b, tag, &lb));
    Compare(la, lb, false, out);
  }
  Listing ea, eb;
  STATELAB_RETURN_IF_ERROR(ListEvents(a, &ea));
  STATELAB_RETURN_IF_ERROR(ListEvents(b, &eb));
  Compare(ea, eb, true, &d.events);
  return d;
}

}  // namespace statelab
