#include "gates/rules.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

#include "gates/json_util.h"
#include "gates/markdown.h"
#include "gates/metrics.h"

namespace statelab::gates {

namespace json = boost::json;

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
  if (!Contains(tiers, b.tier) || !Contains(groups, b.group) || !Contains(ops, b.op)) return false;
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
  std::vector<std::string> t;
  for (int64_t x : threads) t.push_back(std::to_string(x));
  add("threads", Join(t, "|"));
  for (const auto& [key, value] : params) add(key, harness::ParamText(value));
  add("name~", name_regex);
  add("has", Join(has, "|"));
  return out.empty() ? "(any benchmark)" : out;
}

const Rule* RuleSet::Find(std::string_view id) const {
  for (const auto& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

namespace {

class RuleReader {
 public:
  explicit RuleReader(std::string_view source) : source_(source) {}

  bool Fail(const std::string& where, const std::string& problem) {
    if (error_.empty()) error_ = source_ + ": " + where + ": " + problem;
    return false;
  }
  const std::string& error() const { return error_; }

  bool OnlyKeys(const json::object& o, const std::string& where,
                std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : o) {
      if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
        return Fail(where, "unknown key \"" + std::string(kv.key()) + "\"");
      }
    }
    return true;
  }

  // A string or an array of strings.
  bool ReadStrings(const json::value& v, const std::string& where, std::vector<std::string>* out) {
    if (v.is_string()) {
      out->emplace_back(v.get_string());
      return true;
    }
    if (!v.is_array()) return Fail(where, "expected string or array of strings");
    for (const auto& e : v.get_array()) {
      if (!e.is_string()) return Fail(where, "expected string or array of strings");
      out->emplace_back(e.get_string());
    }
    return true;
  }

  bool ReadSelector(const json::value& v, const std::string& where, gates::Selector* s) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    if (!OnlyKeys(o, where, {"tier", "group", "op", "threads", "params", "name_regex", "has"})) {
      return false;
    }
    if (auto it = o.find("tier");
        it != o.end() && !ReadStrings(it->value(), where + ".tier", &s->tiers)) {
      return false;
    }
    if (auto it = o.find("group");
        it != o.end() && !ReadStrings(it->value(), where + ".group", &s->groups)) {
      return false;
    }
    if (auto it = o.find("op");
        it != o.end() && !ReadStrings(it->value(), where + ".op", &s->ops)) {
      return false;
    }
    if (auto it = o.find("threads"); it != o.end()) {
      const json::value& t = it->value();
      auto one = [&](const json::value& e) {
        if (!e.is_int64() || e.get_int64() < 1)
          return Fail(where + ".threads", "expected int >= 1");
        s->threads.push_back(e.get_int64());
        return true;
      };
      if (t.is_array()) {
        for (const auto& e : t.get_array()) {
          if (!one(e)) return false;
        }
      } else if (!one(t)) {
        return false;
      }
    }
    if (auto it = o.find("has"); it != o.end()) {
      if (!ReadStrings(it->value(), where + ".has", &s->has)) return false;
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
          return Fail(where + ".params." + key, "expected number or string");
        }
      }
    }
    if (auto it = o.find("name_regex"); it != o.end()) {
      if (!it->value().is_string()) return Fail(where + ".name_regex", "expected string");
      s->name_regex = std::string(it->value().get_string());
      try {
        s->compiled = std::make_shared<const std::regex>(s->name_regex);
      } catch (const std::regex_error& e) {
        return Fail(where + ".name_regex", std::string("invalid regex: ") + e.what());
      }
    }
    return true;
  }

  bool ReadMetric(const json::object& o, std::string_view key, const std::string& where,
                  std::string* out) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) {
      return Fail(where + "." + std::string(key), "missing or not a string");
    }
    *out = std::string(it->value().get_string());
    if (!IsKnownMetric(*out))
      return Fail(where + "." + std::string(key), "unknown metric \"" + *out + "\"");
    return true;
  }

  bool ReadOperand(const json::value& v, const std::string& where, gates::Operand* op) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    if (!OnlyKeys(o, where, {"select", "metric"})) return false;
    auto sel = o.find("select");
    if (sel == o.end()) return Fail(where + ".select", "missing");
    return ReadSelector(sel->value(), where + ".select", &op->select) &&
           ReadMetric(o, "metric", where, &op->metric);
  }

  bool ReadThresholds(const json::value& v, const std::string& where, Direction d,
                      gates::Thresholds* t) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    if (!OnlyKeys(o, where, {"target", "acceptable", "red_flag", "basis"})) return false;
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
    // Order: target is the best, red flag the worst, acceptable between them.
    auto not_worse = [&](double a, double b) { return d == Direction::kMax ? a <= b : a >= b; };
    if (!not_worse(t->target, t->red_flag)) {
      return Fail(where, "target must not be worse than red_flag for this direction");
    }
    if (t->acceptable &&
        !(not_worse(t->target, *t->acceptable) && not_worse(*t->acceptable, t->red_flag))) {
      return Fail(where, "acceptable must lie between target and red_flag");
    }
    return true;
  }

  bool ReadScope(const json::value& v, const std::string& where, gates::Rule* r) {
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    if (!OnlyKeys(o, where, {"engines", "modes"})) return false;
    auto list = [&](std::string_view key, bool* all, std::vector<std::string>* out) {
      auto it = o.find(key);
      if (it == o.end()) return Fail(where + "." + std::string(key), "missing (use \"*\" for all)");
      if (it->value().is_string() && it->value().get_string() == "*") {
        *all = true;
        return true;
      }
      *all = false;
      if (!ReadStrings(it->value(), where + "." + std::string(key), out)) return false;
      if (out->empty()) return Fail(where + "." + std::string(key), "empty list");
      return true;
    };
    return list("engines", &r->all_engines, &r->engines) && list("modes", &r->all_modes, &r->modes);
  }

  bool ReadRule(const json::value& v, std::size_t index, gates::Rule* r) {
    std::string where = "rules[" + std::to_string(index) + "]";
    if (!v.is_object()) return Fail(where, "expected object");
    const auto& o = v.get_object();
    auto id = AsString(FindPath(o, "id"));
    if (!id || id->empty()) return Fail(where + ".id", "missing or not a string");
    r->id = *id;
    where = "rule \"" + r->id + "\"";
    if (!OnlyKeys(o, where,
                  {"id", "family", "description", "source", "kind", "select", "metric",
                   "denominator_metric", "numerator", "denominator", "join_on", "direction", "unit",
                   "thresholds", "scope", "reference_only", "min_cores", "alpha",
                   "min_timer_multiple"})) {
      return false;
    }
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
      if (!ReadOperand(o.at("numerator"), where + ".numerator", &r->numerator) ||
          !ReadOperand(o.at("denominator"), where + ".denominator", &r->denominator)) {
        return false;
      }
      if (auto it = o.find("join_on"); it != o.end()) {
        if (!ReadStrings(it->value(), where + ".join_on", &r->join_on)) return false;
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
      if (!ReadSelector(o.at("select"), where + ".select", &r->select)) return false;
      if (!ReadMetric(o, "metric", where, &r->metric)) return false;
      if (r->kind == RuleKind::kMetricRatio &&
          !ReadMetric(o, "denominator_metric", where, &r->denominator_metric)) {
        return false;
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
    if (!ReadThresholds(o.at("thresholds"), where + ".thresholds", r->direction, &r->thresholds)) {
      return false;
    }
    if (!o.contains("scope")) return Fail(where + ".scope", "missing");
    if (!ReadScope(o.at("scope"), where + ".scope", r)) return false;
    const auto ref = AsBool(FindPath(o, "reference_only"));
    if (!ref) return Fail(where + ".reference_only", "missing or not a bool");
    r->reference_only = *ref;
    const auto cores = FindPath(o, "min_cores");
    if (cores == nullptr || !cores->is_int64() || cores->get_int64() < 1) {
      return Fail(where + ".min_cores", "missing or not an int >= 1");
    }
    r->min_cores = static_cast<int>(cores->get_int64());
    if (auto a = AsNumber(FindPath(o, "alpha"))) {
      if (*a <= 0 || *a >= 1) return Fail(where + ".alpha", "must be in (0, 1)");
      r->alpha = *a;
    }
    return true;
  }

 private:
  std::string source_;
  std::string error_;
};

}  // namespace

bool ParseRules(std::string_view text, std::string_view source, RuleSet* out, std::string* error) {
  json::value root;
  if (!ParseJson(text, source, &root, error)) return false;
  RuleReader rr(source);
  auto fail = [&]() {
    *error = rr.error();
    return false;
  };
  if (!root.is_object()) {
    rr.Fail("(top level)", "expected object");
    return fail();
  }
  const auto& o = root.get_object();
  if (!rr.OnlyKeys(o, "(top level)",
                   {"schema_version", "description", "engines_under_test", "rules"})) {
    return fail();
  }
  RuleSet rs;
  rs.path = std::string(source);
  rs.schema_version = AsString(FindPath(o, "schema_version")).value_or("");
  if (rs.schema_version != "1") {
    rr.Fail("schema_version", "expected \"1\"");
    return fail();
  }
  if (!o.contains("engines_under_test") ||
      !rr.ReadStrings(o.at("engines_under_test"), "engines_under_test", &rs.engines_under_test)) {
    rr.Fail("engines_under_test", "missing");
    return fail();
  }
  const json::value* rules = FindPath(o, "rules");
  if (rules == nullptr || !rules->is_array()) {
    rr.Fail("rules", "missing or not an array");
    return fail();
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rules->get_array().size(); ++i) {
    Rule r;
    if (!rr.ReadRule(rules->get_array()[i], i, &r)) return fail();
    if (!ids.insert(r.id).second) {
      rr.Fail("rule \"" + r.id + "\"", "duplicate id");
      return fail();
    }
    rs.rules.push_back(std::move(r));
  }
  *out = std::move(rs);
  return true;
}

bool LoadRules(const std::string& path, RuleSet* out, std::string* error) {
  std::string text;
  if (!ReadFile(path, &text, error)) return false;
  return ParseRules(text, path, out, error);
}

}  // namespace statelab::gates
