#include "gates/rules.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

#include "gates/metrics.h"
#include "util/json.h"
#include "util/markdown.h"
#include "util/regex.h"

namespace statelab::gates {

namespace json = boost::json;
using util::AsBool;
using util::AsNumber;
using util::AsString;
using util::FindPath;
using util::Join;

std::string_view RuleKindName(RuleKind k) {
  switch (k) {
    case RuleKind::kThreshold:
      return "threshold";
    case RuleKind::kRatio:
      return "ratio";
    case RuleKind::kMetricRatio:
      return "metric_ratio";
    case RuleKind::kRegression:
      return "regression";
  }
  return "unknown";
}

namespace {

bool Contains(const std::vector<std::string>& xs, const std::string& x) {
  return xs.empty() || std::find(xs.begin(), xs.end(), x) != xs.end();
}

}  // namespace

bool Selector::Matches(const harness::BenchmarkResult& b) const {
  if (!Contains(tiers, b.tier) || !Contains(groups, b.group) || !Contains(ops, b.op) ||
      !Contains(engines, b.engine)) {
    return false;
  }
  if (!threads.empty() && std::find(threads.begin(), threads.end(), b.threads) == threads.end()) {
    return false;
  }
  for (const auto& [key, value] : params) {
    auto it = b.params.find(key);
    if (it == b.params.end() || it->second != value) return false;
  }
  if (compiled && !std::regex_search(b.name, *compiled)) return false;
  for (const auto& m : has) {
    if (!MetricValue(b, m).has_value()) return false;
  }
  return true;
}

std::string Selector::Describe() const {
  std::string out;
  auto add = [&](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += " ";
    out += std::string(k) + "=" + v;
  };
  add("tier", Join(tiers, "|"));
  add("group", Join(groups, "|"));
  add("op", Join(ops, "|"));
  add("engine", Join(engines, "|"));
  std::vector<std::string> t;
  for (int64_t x : threads) t.push_back(std::to_string(x));
  add("threads", Join(t, "|"));
  for (const auto& [key, value] : params) add(key, harness::ParamText(value));
  add("name~", name_regex);
  add("has", Join(has, "|"));
  return out.empty() ? "(any benchmark)" : out;
}

std::optional<int> SuiteRank(std::string_view suite) {
  for (std::size_t i = 0; i < std::size(kSuites); ++i) {
    if (kSuites[i] == suite) return static_cast<int>(i);
  }
  return std::nullopt;
}

const Rule* RuleSet::Find(std::string_view id) const {
  for (const auto& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

namespace {

// Reads rules from a parsed gates.json; every problem is InvalidArgument "<source>: <where>:
// <problem>". Not synchronized; one per file.
class RuleReader {
 public:
  explicit RuleReader(std::string_view source) : source_(source) {}

  Status Fail(const std::string& where, const std::string& problem) const {
    return Status::InvalidArgument(source_ + ": " + where + ": " + problem);
  }

  Status OnlyKeys(const json::object& o, const std::string& where,
                  std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : o) {
      if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
        return Fail(where, "unknown key \"" + std::string(kv.key()) + "\"");
      }
    }
    return Status::OK();
  }

  // A string or an array of strings.
  Status ReadStrings(const json::value& v, const std::string& where,
                     std::vector<std::string>* out) {
    if (v.is_string()) {
      out->emplace_back(v.get_string());
      return Status::OK();
    }
    if (!v.is_array()) return Fail(where, "expected string or array of strings");
    for (const auto& e : v.get_array()) {
      if (!e.is_string()) return Fail(where, "expected string or array of strings");
      out->emplace_back(e.get_string());
    }
    return Status::OK();
  }

  Status ReadSelector(const json::value& v, const std::string& where, gates::Selector* s) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    STATELAB_RETURN_IF_ERROR(
        OnlyKeys(o, where,
                 {"tier", "group", "op", "engine", "threads", "params", "name_regex", "has"}));
    for (const auto& [key, out] : {std::pair{"tier", &s->tiers}, std::pair{"group", &s->groups},
                                   std::pair{"op", &s->ops}, std::pair{"engine", &s->engines}}) {
      if (auto it = o.find(key); it != o.end()) {
        STATELAB_RETURN_IF_ERROR(ReadStrings(it->value(), where + "." + key, out));
      }
    }
    if (auto it = o.find("threads"); it != o.end()) {
      const json::value& t = it->value();
      auto one = [&](const json::value& e) {
        if (!e.is_int64() || e.get_int64() < 1) {
          return Fail(where + ".threads", "expected int >= 1");
        }
        s->threads.push_back(e.get_int64());
        return Status::OK();
      };
      if (t.is_array()) {
        for (const auto& e : t.get_array()) STATELAB_RETURN_IF_ERROR(one(e));
      } else {
        STATELAB_RETURN_IF_ERROR(one(t));
      }
    }
    if (auto it = o.find("has"); it != o.end()) {
      STATELAB_RETURN_IF_ERROR(ReadStrings(it->value(), where + ".has", &s->has));
      for (const auto& m : s->has) {
        if (!IsKnownMetric(m)) return Fail(where + ".has", "unknown metric \"" + m + "\"");
      }
    }
    if (auto it = o.find("params"); it != o.end()) {
      if (!it->value().is_object()) return Fail(where + ".params", "expected object");
      // Typed as in baseline.json, so 1 and 1.0 match.
      for (const auto& kv : it->value().get_object()) {
        const std::string key(kv.key());
        if (kv.value().is_string()) {
          s->params[key] = std::string(kv.value().get_string());
        } else if (const auto n = AsNumber(&kv.value())) {
          s->params[key] = *n;
        } else {
          std::string field = where + ".params.";
          field += key;
          return Fail(field, "expected number or string");
        }
      }
    }
    if (auto it = o.find("name_regex"); it != o.end()) {
      if (!it->value().is_string()) return Fail(where + ".name_regex", "expected string");
      s->name_regex = std::string(it->value().get_string());
      Result<std::regex> re = util::CompileRegex(s->name_regex);
      if (!re) return Fail(where + ".name_regex", std::string(re.error().message()));
      s->compiled = std::make_shared<const std::regex>(std::move(*re));
    }
    return Status::OK();
  }

  Status ReadMetric(const json::object& o, std::string_view key, const std::string& where,
                    std::string* out) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) {
      return Fail(where + "." + std::string(key), "missing or not a string");
    }
    *out = std::string(it->value().get_string());
    if (!IsKnownMetric(*out))
      return Fail(where + "." + std::string(key), "unknown metric \"" + *out + "\"");
    return Status::OK();
  }

  Status ReadOperand(const json::value& v, const std::string& where, gates::Operand* op) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    STATELAB_RETURN_IF_ERROR(OnlyKeys(o, where, {"select", "metric"}));
    auto sel = o.find("select");
    if (sel == o.end()) return Fail(where + ".select", "missing");
    STATELAB_RETURN_IF_ERROR(ReadSelector(sel->value(), where + ".select", &op->select));
    return ReadMetric(o, "metric", where, &op->metric);
  }

  Status ReadThresholds(const json::value& v, const std::string& where, Direction d,
                        gates::Thresholds* t) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    STATELAB_RETURN_IF_ERROR(OnlyKeys(o, where, {"target", "acceptable", "red_flag", "basis"}));
    const auto target = AsNumber(FindPath(o, "target"));
    const auto red = AsNumber(FindPath(o, "red_flag"));
    if (!target) return Fail(where + ".target", "missing or not a number");
    // Every rule must be able to fail: a gate without a red flag is a defect.
    if (!red)
      return Fail(where + ".red_flag", "missing or not a number (every rule must be able to fail)");
    t->target = *target;
    t->red_flag = *red;
    if (auto it = o.find("acceptable"); it != o.end() && !it->value().is_null()) {
      t->acceptable = AsNumber(&it->value());
      if (!t->acceptable) return Fail(where + ".acceptable", "expected number or null");
    }
    t->basis = AsString(FindPath(o, "basis")).value_or("");
    // Order: target is the best, red flag the worst, acceptable between them. A warn band between
    // target and red flag is required, so a value drifting towards the red flag warns before it
    // fails instead of flipping between pass and fail.
    auto not_worse = [&](double a, double b) { return d == Direction::kMax ? a <= b : a >= b; };
    if (!not_worse(t->target, t->red_flag)) {
      return Fail(where, "target must not be worse than red_flag for this direction");
    }
    if (t->target == t->red_flag) {
      return Fail(where,
                  "no warn band: target equals red_flag (the target must be strictly better, so "
                  "a value between them warns before it fails)");
    }
    if (t->acceptable &&
        !(not_worse(t->target, *t->acceptable) && not_worse(*t->acceptable, t->red_flag))) {
      return Fail(where, "acceptable must lie between target and red_flag");
    }
    return Status::OK();
  }

  Status ReadScope(const json::value& v, const std::string& where, gates::Rule* r) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    STATELAB_RETURN_IF_ERROR(OnlyKeys(o, where, {"engines", "modes"}));
    auto list = [&](std::string_view key, bool* all, std::vector<std::string>* out) {
      auto it = o.find(key);
      if (it == o.end()) return Fail(where + "." + std::string(key), "missing (use \"*\" for all)");
      if (it->value().is_string() && it->value().get_string() == "*") {
        *all = true;
        return Status::OK();
      }
      *all = false;
      STATELAB_RETURN_IF_ERROR(ReadStrings(it->value(), where + "." + std::string(key), out));
      if (out->empty()) return Fail(where + "." + std::string(key), "empty list");
      return Status::OK();
    };
    STATELAB_RETURN_IF_ERROR(list("engines", &r->all_engines, &r->engines));
    return list("modes", &r->all_modes, &r->modes);
  }

  Status ReadRule(const json::value& v, std::size_t index, gates::Rule* r) {
    std::string where = "rules[" + std::to_string(index) + "]";
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    auto id = AsString(FindPath(o, "id"));
    if (!id || id->empty()) return Fail(where + ".id", "missing or not a string");
    r->id = *id;
    where = "rule \"" + r->id + "\"";
    STATELAB_RETURN_IF_ERROR(OnlyKeys(o, where,
                                      {"id",
                                       "family",
                                       "description",
                                       "source",
                                       "suite",
                                       "kind",
                                       "select",
                                       "metric",
                                       "denominator_metric",
                                       "numerator",
                                       "denominator",
                                       "join_on",
                                       "direction",
                                       "unit",
                                       "thresholds",
                                       "scope",
                                       "reference_only",
                                       "min_cores",
                                       "alpha",
                                       "min_timer_multiple",
                                       "run_metric"}));
    r->family = AsString(FindPath(o, "family")).value_or("");
    r->description = AsString(FindPath(o, "description")).value_or("");
    r->source = AsString(FindPath(o, "source")).value_or("");
    if (r->family.empty()) return Fail(where + ".family", "missing");
    if (r->description.empty()) return Fail(where + ".description", "missing");
    const std::string kind = AsString(FindPath(o, "kind")).value_or("");
    if (kind == "threshold") {
      r->kind = RuleKind::kThreshold;
    } else if (kind == "ratio") {
      r->kind = RuleKind::kRatio;
    } else if (kind == "metric_ratio") {
      r->kind = RuleKind::kMetricRatio;
    } else if (kind == "regression") {
      r->kind = RuleKind::kRegression;
    } else {
      return Fail(where + ".kind",
                  "unknown kind \"" + kind + "\" (threshold, ratio, metric_ratio, regression)");
    }
    const std::string dir = AsString(FindPath(o, "direction")).value_or("");
    if (dir == "max") {
      r->direction = Direction::kMax;
    } else if (dir == "min") {
      r->direction = Direction::kMin;
    } else {
      return Fail(where + ".direction", "expected \"max\" (lower is better) or \"min\"");
    }
    r->unit = AsString(FindPath(o, "unit")).value_or("");
    if (r->unit.empty()) return Fail(where + ".unit", "missing");

    if (r->kind == RuleKind::kRatio) {
      if (o.contains("select") || o.contains("metric")) {
        return Fail(where, "a ratio rule uses numerator/denominator, not select/metric");
      }
      if (!o.contains("numerator") || !o.contains("denominator")) {
        return Fail(where, "a ratio rule needs numerator and denominator");
      }
      STATELAB_RETURN_IF_ERROR(ReadOperand(o.at("numerator"), where + ".numerator", &r->numerator));
      STATELAB_RETURN_IF_ERROR(
          ReadOperand(o.at("denominator"), where + ".denominator", &r->denominator));
      if (auto it = o.find("join_on"); it != o.end()) {
        STATELAB_RETURN_IF_ERROR(ReadStrings(it->value(), where + ".join_on", &r->join_on));
      } else {
        r->join_on = {"engine", "mode"};
      }
      for (const auto& k : r->join_on) {
        if (k != "engine" && k != "mode" && k != "params" && k != "op" && k != "group") {
          return Fail(where + ".join_on", "unknown join key \"" + k + "\"");
        }
      }
    } else {
      if (!o.contains("select")) return Fail(where + ".select", "missing");
      STATELAB_RETURN_IF_ERROR(ReadSelector(o.at("select"), where + ".select", &r->select));
      STATELAB_RETURN_IF_ERROR(ReadMetric(o, "metric", where, &r->metric));
      if (r->kind == RuleKind::kMetricRatio) {
        STATELAB_RETURN_IF_ERROR(
            ReadMetric(o, "denominator_metric", where, &r->denominator_metric));
      }
    }
    if (o.contains("min_timer_multiple")) {
      const auto m = AsNumber(FindPath(o, "min_timer_multiple"));
      if (r->kind != RuleKind::kMetricRatio) {
        return Fail(where + ".min_timer_multiple", "only a metric_ratio rule takes it");
      }
      if (!m || *m <= 0) return Fail(where + ".min_timer_multiple", "expected a positive number");
      r->min_timer_multiple = *m;
    }
    if (!o.contains("thresholds")) return Fail(where + ".thresholds", "missing");
    STATELAB_RETURN_IF_ERROR(
        ReadThresholds(o.at("thresholds"), where + ".thresholds", r->direction, &r->thresholds));
    if (!o.contains("scope")) return Fail(where + ".scope", "missing");
    STATELAB_RETURN_IF_ERROR(ReadScope(o.at("scope"), where + ".scope", r));
    const auto ref = AsBool(FindPath(o, "reference_only"));
    if (!ref) return Fail(where + ".reference_only", "missing or not a bool");
    r->reference_only = *ref;
    const auto cores = FindPath(o, "min_cores");
    if (cores == nullptr || !cores->is_int64() || cores->get_int64() < 1) {
      return Fail(where + ".min_cores", "missing or not an int >= 1");
    }
    r->min_cores = static_cast<int>(cores->get_int64());
    if (const json::value* suite = FindPath(o, "suite"); suite != nullptr) {
      const auto name = AsString(suite);
      if (!name || !SuiteRank(*name)) {
        return Fail(where + ".suite", "expected \"quick\", \"standard\" or \"full\"");
      }
      r->suite = *name;
    }
    if (const json::value* m = FindPath(o, "run_metric"); m != nullptr) {
      const auto name = AsString(m);
      if (!name || (*name != "time" && *name != "instructions")) {
        return Fail(where + ".run_metric", "expected \"time\" or \"instructions\"");
      }
      r->run_metric = *name;
    }
    if (auto a = AsNumber(FindPath(o, "alpha"))) {
      if (*a <= 0 || *a >= 1) return Fail(where + ".alpha", "must be in (0, 1)");
      r->alpha = *a;
    }
    return Status::OK();
  }

 private:
  std::string source_;
};

}  // namespace

Result<RuleSet> ParseRules(std::string_view text, std::string_view source) {
  STATELAB_ASSIGN_OR_RETURN(const json::value root, util::ParseJsonExact(text, source));
  RuleReader rr(source);
  if (!root.is_object()) return rr.Fail("(top level)", "expected object");
  const auto& o = root.get_object();
  STATELAB_RETURN_IF_ERROR(
      rr.OnlyKeys(o, "(top level)", {"schema_version", "description", "rules"}));
  RuleSet rs;
  rs.path = std::string(source);
  rs.schema_version = AsString(FindPath(o, "schema_version")).value_or("");
  if (rs.schema_version != "1") return rr.Fail("schema_version", "expected \"1\"");
  const json::value* rules = FindPath(o, "rules");
  if (rules == nullptr || !rules->is_array()) {
    return rr.Fail("rules", "missing or not an array");
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rules->get_array().size(); ++i) {
    Rule r;
    STATELAB_RETURN_IF_ERROR(rr.ReadRule(rules->get_array()[i], i, &r));
    if (!ids.insert(r.id).second) return rr.Fail("rule \"" + r.id + "\"", "duplicate id");
    rs.rules.push_back(std::move(r));
  }
  return rs;
}

Result<RuleSet> LoadRules(const std::string& path) {
  STATELAB_ASSIGN_OR_RETURN(const std::string text, util::ReadFile(path));
  return ParseRules(text, path);
}

}  // namespace statelab::gates
