#include "tools/shell.h"

#include <poll.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <functional>
#include <ostream>
#include <utility>
#include <vector>

#include "engines/core/json_doc.h"
#include "engines/replay/replay.h"
#include "tools/primitive_ops.h"
#include "tools/protocol.h"
#include "tools/render.h"

namespace statelab::cli {

namespace bj = boost::json;

namespace {

// Runs a parsed run.* op. RunIndex retries its own transactions, so this runs once.
using RunOpFn = std::function<Status(Db& db, const TxnOptions& o, bj::object& out)>;

Status PutVersion(Result<Version> v, bj::object& out) {
  if (!v.ok()) return std::move(v).error();
  out["version"] = *v;
  return Status::OK();
}

Status PutRuns(Status s, const std::vector<RunInfo>& runs, bj::object& out) {
  if (s.ok()) out["runs"] = RunsToJson(runs);
  return s;
}

RunStatus ReadRunStatus(RequestReader& r) {
  const std::string name = r.Str("status");
  if (!r.ok()) return RunStatus::kActive;
  Result<RunStatus> s = ParseRunStatus(name);
  if (!s.ok()) {
    r.FailWith(s.error());
    return RunStatus::kActive;
  }
  return *s;
}

// "durability": "strict" makes a write (and all before it) fdatasync'ed before the reply, in
// buffered mode; reads ignore it.
TxnOptions ReadTxnOptions(RequestReader& r) {
  TxnOptions o;
  const std::optional<std::string> d = r.OptStr("durability");
  if (d == "strict") {
    o.durability = DurabilityOverride::kStrict;
  } else if (d && *d != "default") {
    r.Fail("durability", "must be \"strict\" or \"default\"");
  }
  return o;
}

struct RunOpSpec {
  std::string_view name;
  RunOpFn (*parse)(RequestReader&);
};

constexpr RunOpSpec kRunOps[] = {
    {"run.create",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run"), parent = r.OptStr("parent"), tags = r.OptStrs("tags"),
               metadata = r.OptObj("metadata")](Db& db, const TxnOptions& o,
                                                bj::object& out) -> Status {
         std::optional<std::string_view> parent_name;
         if (parent) parent_name = *parent;
         STATELAB_ASSIGN_OR_RETURN(RunId id,
                                   db.runs().CreateRun(name, parent_name, tags, metadata, o));
         STATELAB_ASSIGN_OR_RETURN(RunInfo info, db.runs().GetRun(name));
         out["run_id"] = id.ToString();
         out["version"] = info.version;  // the record's version: the creating commit
         return Status::OK();
       };
     }},
    {"run.get",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run")](Db& db, const TxnOptions&, bj::object& out) -> Status {
         STATELAB_ASSIGN_OR_RETURN(RunInfo info, db.runs().GetRun(name));
         out["run"] = RunInfoToJson(info);
         return Status::OK();
       };
     }},
    {"run.get_by_id",
     [](RequestReader& r) -> RunOpFn {
       RunId id;
       if (std::string text = r.Str("run_id"); r.ok()) {
         Result<RunId> parsed = RunId::Parse(text);
         if (parsed.ok()) {
           id = *parsed;
         } else {
           r.Fail("run_id", "must be a UUID (8-4-4-4-12 hex digits)");
         }
       }
       return [id](Db& db, const TxnOptions&, bj::object& out) -> Status {
         STATELAB_ASSIGN_OR_RETURN(RunInfo info, db.runs().GetRunById(id));
         out["run"] = RunInfoToJson(info);
         return Status::OK();
       };
     }},
    {"run.list",
     [](RequestReader&) -> RunOpFn {
       return [](Db& db, const TxnOptions&, bj::object& out) {
         std::vector<RunInfo> all;
         return PutRuns(db.runs().ListRuns(&all), all, out);
       };
     }},
    {"run.update_status",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run"), to = ReadRunStatus(r)](Db& db, const TxnOptions& o,
                                                           bj::object& out) {
         return PutVersion(db.runs().UpdateStatus(name, to, o), out);
       };
     }},
    {"run.add_tags",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run"), tags = r.Strs("tags")](Db& db, const TxnOptions& o,
                                                           bj::object& out) {
         return PutVersion(db.runs().AddTags(name, tags, o), out);
       };
     }},
    {"run.remove_tags",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run"), tags = r.Strs("tags")](Db& db, const TxnOptions& o,
                                                           bj::object& out) {
         return PutVersion(db.runs().RemoveTags(name, tags, o), out);
       };
     }},
    {"run.update_metadata",
     [](RequestReader& r) -> RunOpFn {
       MetadataUpdate mode = MetadataUpdate::kMerge;
       if (const std::optional<std::string> m = r.OptStr("mode"); m == "replace") {
         mode = MetadataUpdate::kReplace;
       } else if (m && *m != "merge") {
         r.Fail("mode", "must be \"merge\" or \"replace\"");
       }
       return [name = r.Str("run"), metadata = r.Obj("metadata"), mode](Db& db, const TxnOptions& o,
                                                                        bj::object& out) {
         return PutVersion(db.runs().UpdateMetadata(name, metadata, mode, o), out);
       };
     }},
    {"run.query_by_status",
     [](RequestReader& r) -> RunOpFn {
       return [status = ReadRunStatus(r)](Db& db, const TxnOptions&, bj::object& out) {
         std::vector<RunInfo> found;
         return PutRuns(db.runs().QueryByStatus(status, &found), found, out);
       };
     }},
    {"run.query_by_tag",
     [](RequestReader& r) -> RunOpFn {
       return [tag = r.Str("tag")](Db& db, const TxnOptions&, bj::object& out) {
         std::vector<RunInfo> found;
         return PutRuns(db.runs().QueryByTag(tag, &found), found, out);
       };
     }},
    {"run.children",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run")](Db& db, const TxnOptions&, bj::object& out) {
         std::vector<RunInfo> found;
         return PutRuns(db.runs().ChildRuns(name, &found), found, out);
       };
     }},
    {"run.replay",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run")](Db& db, const TxnOptions&, bj::object& out) -> Status {
         STATELAB_ASSIGN_OR_RETURN(RunInfo info, db.runs().GetRun(name));
         STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<RunView> view, ReplayRun(db, info.id));
         STATELAB_ASSIGN_OR_RETURN(out["view"], RunViewToJson(*view));
         return Status::OK();
       };
     }},
    {"run.diff",
     [](RequestReader& r) -> RunOpFn {
       return [a = r.Str("run_a"), b = r.Str("run_b")](Db& db, const TxnOptions&,
                                                       bj::object& out) -> Status {
         STATELAB_ASSIGN_OR_RETURN(RunInfo ia, db.runs().GetRun(a));
         STATELAB_ASSIGN_OR_RETURN(RunInfo ib, db.runs().GetRun(b));
         STATELAB_ASSIGN_OR_RETURN(RunDiff d, DiffRuns(db, ia.id, ib.id));
         out["diff"] = d.ToJson();
         return Status::OK();
       };
     }},
    {"run.delete",
     [](RequestReader& r) -> RunOpFn {
       return [name = r.Str("run")](Db& db, const TxnOptions& o, bj::object&) {
         return db.runs().DeleteRun(name, o);
       };
     }},
};

const RunOpSpec* FindRunOp(std::string_view op) {
  for (const RunOpSpec& spec : kRunOps) {
    if (spec.name == op) return &spec;
  }
  return nullptr;
}

bj::object StatsToJson(const EngineStats& s) {
  return {{"commits", s.commits},
          {"conflicts", s.conflicts},
          {"txn_retries", s.txn_retries},
          {"txn_gave_up", s.txn_gave_up},
          {"keys", s.keys},
          {"versions", s.versions},
          {"wal_appends", s.wal_appends},
          {"wal_syncs", s.wal_syncs},
          {"wal_bytes", s.wal_bytes},
          {"active_snapshots", s.active_snapshots},
          {"mode", ModeName(s.mode)}};
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == s.npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// The words a bare not_found gets here, at the edge (a miss in the engine carries no message, so
// it never allocates): the op, what the request named and, for a run's data, the run. A missing
// event names its sequence (Status::NotFoundSequence), which read_range does not name itself.
std::string DescribeNotFound(std::string_view op, const bj::object& req, const Status& s,
                             const std::string* run) {
  static constexpr std::string_view kNamed[] = {"run_a",      "run_b", "run_id", "parent",
                                                "collection", "key",   "name",   "doc_id",
                                                "path",       "id",    "root",   "sequence"};
  std::string what;
  auto add = [&](std::string_view part) { what.append(what.empty() ? "" : ", ").append(part); };
  if (s.has_sequence()) add("event " + std::to_string(s.a()));
  if (run == nullptr && op != "run.create") {  // run.create misses its parent, not its run
    if (const bj::value* v = req.if_contains("run"); v != nullptr && v->is_string()) {
      add("run '" + std::string(v->get_string()) + "'");
    }
  }
  for (std::string_view member : kNamed) {
    const bj::value* v = req.if_contains(member);
    if (v == nullptr || (member == "sequence" && s.has_sequence())) continue;
    add(std::string(member) + " " +
        (v->is_string() ? "'" + std::string(v->get_string()) + "'" : bj::serialize(*v)));
  }
  std::string out(op);
  out.append(": ").append(what).append(what.empty() ? "not found" : " not found");
  if (run != nullptr) out.append(" in run '").append(*run).append("'");
  return out;
}

// Names what a bare not_found could not find (see DescribeNotFound); other errors pass.
Status NameMissing(Status s, std::string_view op, const bj::object& req, const std::string* run,
                   bj::object& error_extra) {
  if (s.IsNotFound() && s.message().empty() && !error_extra.contains("message")) {
    error_extra["message"] = DescribeNotFound(op, req, s, run);
  }
  return s;
}

bj::object ReplyJson(bool ok, const std::optional<bj::value>& request_id) {
  bj::object reply;
  reply["ok"] = ok;
  if (request_id) reply["request_id"] = *request_id;
  return reply;
}

// Lines from a file descriptor, with a way to take only what is already at hand.
// Thread-safety: belongs to one thread.
class LineReader {
 public:
  enum class Got { kLine, kNone, kEof };
  explicit LineReader(int fd) : fd_(fd) {}

  // The next line (without its newline). wait=false: kNone when no whole line is buffered and
  // the descriptor has nothing to read right now. A last line without a newline counts.
  Got Next(bool wait, std::string* line) {
    for (;;) {
      if (const size_t nl = buf_.find('\n', pos_); nl != std::string::npos) {
        line->assign(buf_, pos_, nl - pos_);
        pos_ = nl + 1;
        return Got::kLine;
      }
      if (eof_) {
        if (pos_ == buf_.size()) return Got::kEof;
        line->assign(buf_, pos_);
        pos_ = buf_.size();
        return Got::kLine;
      }
      if (!wait) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return Got::kNone;  // POLLHUP counts: read() then sees EOF
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      char chunk[1 << 16];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
      } else {
        buf_.append(chunk, static_cast<size_t>(n));
      }
    }
  }

 private:
  int fd_;
  std::string buf_;
  size_t pos_ = 0;  // buf_ before pos_ has been returned
  bool eof_ = false;
};

// Replies queued at most before the shell writes them even though more input is at hand.
constexpr size_t kMaxQueued = 256;

}  // namespace

void Shell::Submit(std::string_view line, std::ostream& out) {
  line = Trim(line);
  if (line.empty()) return;
  Reply reply;
  Result<bj::value> req = json_doc::ParseJson(line);
  if (!req.ok()) {
    reply.status = Status::InvalidArgument("request: not valid JSON (" +
                                           std::string(req.error().message()) + ")");
  } else if (!req->is_object()) {
    reply.status = Status::InvalidArgument("request: must be a JSON object");
  } else {
    if (const bj::value* id = req->get_object().if_contains("request_id")) reply.request_id = *id;
    reply.status = Dispatch(req->get_object(), reply, out);
  }
  queue_.push_back(std::move(reply));
}

void Shell::Drain(std::ostream& out) {
  for (Reply& r : queue_) {
    if (r.status.ok() && r.ticket.durable_token != 0) {
      r.status = db_->WaitDurable(r.ticket, r.force);
    }
    bj::object reply = ReplyJson(r.status.ok(), r.request_id);
    if (r.status.ok()) {
      for (auto& member : r.result) reply[member.key()] = std::move(member.value());
    } else {
      bj::object error = ErrorJson(r.status);
      for (auto& member : r.error_extra) error[member.key()] = std::move(member.value());
      reply["error"] = std::move(error);
    }
    out << bj::serialize(reply) << '\n';
  }
  queue_.clear();
  out.flush();
}

Status Shell::Dispatch(const bj::object& req, Reply& reply, std::ostream& out) {
  RequestReader r(req, "");
  r.Skip("request_id");
  const std::string op = r.Str("op");
  STATELAB_RETURN_IF_ERROR(r.status());
  if (op == "txn") return HandleTxn(r, reply);
  if (const RunOpSpec* spec = FindRunOp(op)) {
    const TxnOptions o = ReadTxnOptions(r);
    RunOpFn fn = spec->parse(r);
    STATELAB_RETURN_IF_ERROR(r.Finish());
    return NameMissing(fn(*db_, o, reply.result), op, req, nullptr, reply.error_extra);
  }
  if (op == "flush" || op == "snapshot" || op == "close" || op == "recovery" || op == "stats") {
    STATELAB_RETURN_IF_ERROR(r.Finish());
    Drain(out);  // what they report or do covers every request before them
    if (op == "flush") return db_->Flush();
    if (op == "snapshot") return db_->Snapshot();
    if (op == "recovery") {
      reply.result["recovery"] = RecoveryReportToJson(db_->recovery());
    } else if (op == "stats") {
      reply.result["stats"] = StatsToJson(db_->Stats());
    } else {
      closed_ = true;
      return db_->Close();
    }
    return Status::OK();
  }
  const std::string run = r.Str("run");
  const TxnOptions o = ReadTxnOptions(r);
  Result<PrimitiveOp> parsed = ParsePrimitiveOp(op, r);
  if (!parsed.ok()) {
    if (!parsed.error().IsNotFound()) return std::move(parsed).error();
    return Status::InvalidArgument("op: unknown op '" + op + "' (the ops are in docs/cli.md)");
  }
  STATELAB_ASSIGN_OR_RETURN(const RunId id, ResolveRun(run, reply.error_extra));
  reply.force = o.durability == DurabilityOverride::kStrict;
  return NameMissing(Execute(id, parsed->writes, o, parsed->run, reply), op, req, &run,
                     reply.error_extra);
}

Status Shell::HandleTxn(RequestReader& r, Reply& reply) {
  const std::string run = r.Str("run");
  const TxnOptions o = ReadTxnOptions(r);
  const bj::array* ops = r.Array("ops");
  std::vector<PrimitiveOp> parsed;
  std::vector<std::string> names;
  bool writes = false;
  if (ops != nullptr && ops->empty()) r.Fail("ops", "must hold at least one op");
  for (size_t i = 0; ops != nullptr && i < ops->size() && r.ok(); ++i) {
    const std::string where = "ops[" + std::to_string(i) + "]";
    if (!(*ops)[i].is_object()) {
      r.Adopt(Status::InvalidArgument(where + ": must be an object"));
      break;
    }
    RequestReader sub((*ops)[i].get_object(), where);
    const std::string op = sub.Str("op");
    Result<PrimitiveOp> p =
        sub.ok() ? ParsePrimitiveOp(op, sub) : Result<PrimitiveOp>(sub.status());
    if (!p.ok()) {
      if (p.error().IsNotFound()) {
        std::string why = where + ".op: '";
        why.append(op).append(
            "' cannot run inside a txn (only kv, event, state, trace, json and vector ops can)");
        r.Adopt(Status::InvalidArgument(why));
      } else {
        r.Adopt(std::move(p).error());
      }
      break;
    }
    writes = writes || p->writes;
    parsed.push_back(std::move(p).value());
    names.push_back(op);
  }
  STATELAB_RETURN_IF_ERROR(r.Finish());
  STATELAB_ASSIGN_OR_RETURN(const RunId id, ResolveRun(run, reply.error_extra));

  std::optional<size_t> failed;  // the op that failed the transaction (not a commit conflict)
  bj::array results;
  reply.force = o.durability == DurabilityOverride::kStrict;
  Status s = Execute(
      id, writes, o,
      [&](Handle& h, bj::object&) -> Status {
        failed.reset();
        results.clear();
        for (size_t i = 0; i < parsed.size(); ++i) {
          bj::object one;
          if (Status st = parsed[i].run(h, one); !st.ok()) {
            failed = i;
            return st;
          }
          results.emplace_back(std::move(one));
        }
        return Status::OK();
      },
      reply);
  if (!s.ok()) {
    if (failed) {
      reply.error_extra["op_index"] = *failed;
      s = NameMissing(std::move(s), names[*failed], (*ops)[*failed].get_object(), &run,
                      reply.error_extra);
    }
    return s;
  }
  reply.result["results"] = std::move(results);
  return Status::OK();
}

Status Shell::Execute(const RunId& run, bool writes, const TxnOptions& o, const OpFn& fn,
                      Reply& reply) {
  auto body = [&](Handle& h) {
    reply.result.clear();  // a retried attempt starts over
    return fn(h, reply.result);
  };
  if (!writes) return db_->Read(run, body);
  Result<CommitTicket> t = db_->TransactionNoWait(run, body, o);
  if (!t.ok()) return std::move(t).error();
  reply.ticket = *t;
  reply.result["version"] = t->version;
  return Status::OK();
}

Result<RunId> Shell::ResolveRun(const std::string& name, bj::object& error_extra) {
  Result<RunInfo> info = db_->runs().GetRun(name);
  if (info.ok()) return info->id;
  if (info.error().IsNotFound()) {
    error_extra["message"] = "run: no run named '" + name + "' (create it with run.create)";
  }
  return std::move(info).error();
}

int RunShell(Shell& shell, int in, std::ostream& out, std::ostream& err) {
  // What open cut, skipped or bypassed is said before the first request (stdout is the protocol).
  if (const RecoveryReport& rep = shell.recovery(); !rep.notes.empty()) {
    err << "statelab shell: recovery: " << bj::serialize(RecoveryReportToJson(rep)) << '\n'
        << std::flush;
  }
  LineReader reader(in);
  std::string line;
  while (!shell.closed()) {
    // Wait for input only with no reply queued: replies go out as soon as no more input is at
    // hand, and requests read meanwhile (their commits queued behind one sync) go in one batch.
    const LineReader::Got got = reader.Next(shell.queued() == 0, &line);
    if (got == LineReader::Got::kEof) break;
    if (got == LineReader::Got::kNone) {
      shell.Drain(out);
      continue;
    }
    shell.Submit(line, out);
    if (shell.queued() >= kMaxQueued) shell.Drain(out);
  }
  shell.Drain(out);
  if (Status s = shell.Close(); !s.ok()) {
    err << "statelab shell: close failed: " << s.ToString() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace statelab::cli
