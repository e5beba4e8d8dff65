#include "engines/primitives/search.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engines/core/search_index.h"

namespace statelab::internal {

namespace {

// Stops the search once the time or candidate budget is spent; remembers why.
class Budget {
 public:
  explicit Budget(const SearchOptions& o)
      : max_candidates_(o.max_candidates),
        deadline_(o.time_budget.count() > 0 ? std::chrono::steady_clock::now() + o.time_budget
                                            : std::chrono::steady_clock::time_point::max()) {}
  // Called before reading each posting: false when it must not be read.
  bool TakeCandidate() {
    if (reason_ != nullptr) return false;
    if (max_candidates_ > 0 && read_ == max_candidates_) {
      reason_ = "candidates";
      return false;
    }
    if ((read_ & 63) == 0 && OutOfTime()) return false;
    ++read_;
    return true;
  }
  bool OutOfTime() {
    if (reason_ == nullptr && std::chrono::steady_clock::now() > deadline_) reason_ = "time";
    return reason_ != nullptr;
  }
  bool stopped() const noexcept { return reason_ != nullptr; }
  void Report(SearchResult* out) const {
    out->postings_read = read_;
    out->truncated = reason_ != nullptr;
    out->truncated_reason = reason_ ? std::string_view(reason_) : std::string_view();
  }

 private:
  uint64_t max_candidates_;
  std::chrono::steady_clock::time_point deadline_;
  uint64_t read_ = 0;
  const char* reason_ = nullptr;
};

Status CheckOptions(const SearchOptions& o) {
  if (o.limit == 0 || o.limit > kMaxSearchLimit) {
    return Status::InvalidArgument("limit: must be 1.." + std::to_string(kMaxSearchLimit) +
                                   ", got " + std::to_string(o.limit));
  }
  for (Tag t : o.primitives) {
    if (t == Tag::kVector || t == Tag::kVectorConfig || t == Tag::kSearch) {
      return Status::InvalidArgument("primitives: " + std::string(TagName(t)) +
                                     " is not searchable (kv, event, state, trace, run, json)");
    }
  }
  if (o.start_us && o.end_us && *o.start_us >= *o.end_us) {
    return Status::InvalidArgument("end_us: must be greater than start_us");
  }
  return Status::OK();
}

double Idf(uint64_t n_docs, uint64_t df) {
  const double n = static_cast<double>(n_docs), d = static_cast<double>(df);
  return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
}

double Bm25(double idf, double tf, double doc_len, double avg_len) {
  return idf * tf * (kBm25K1 + 1) / (tf + kBm25K1 * (1 - kBm25B + kBm25B * doc_len / avg_len));
}

bool HasTerm(const std::vector<std::string>& terms, std::string_view t) {
  return std::binary_search(terms.begin(), terms.end(), t,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

// Cuts text to about kSnippetBytes around offset `at`, on UTF-8 character boundaries.
std::string Snippet(std::string_view text, size_t at) {
  if (text.size() <= kSnippetBytes) return std::string(text);
  size_t begin = at > kSnippetBytes / 4 ? at - kSnippetBytes / 4 : 0;
  size_t end = std::min(text.size(), begin + kSnippetBytes);
  auto continuation = [&](size_t i) {
    return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  };
  while (begin < end && continuation(begin)) ++begin;
  while (end < text.size() && end > begin && continuation(end)) --end;
  return std::string(text.substr(begin, end - begin));
}

std::vector<SearchField> MatchedFields(Tag tag, std::string_view user_key, const Value& v,
                                       const std::vector<std::string>& terms) {
  std::vector<SearchField> fields;
  search::ForEachField(
      tag, user_key, v, true,
      [&](std::string_view path, std::string_view text, search::FieldKind kind) {
        if (kind != search::FieldKind::kText || fields.size() == kMaxSnippetFields) {
          return;
        }
        size_t at = text.size();
        search::Tokenize(text, [&](std::string_view term, size_t offset) {
          if (at == text.size() && HasTerm(terms, term)) at = offset;
        });
        if (at != text.size()) fields.push_back({std::string(path), Snippet(text, at)});
      });
  return fields;
}

struct Candidate {
  double score = 0;
  uint32_t length = 0;
  bool excluded = false;  // filtered out (primitive, time) or without stats
};

}  // namespace

Result<SearchResult> KeywordSearch(std::string_view query, const SearchOptions& o, SearchScan scan,
                                   SearchGet get) {
  STATELAB_RETURN_IF_ERROR(CheckOptions(o));
  if (query.size() > kMaxQueryBytes) {
    return Status::InvalidArgument("query: at most " + std::to_string(kMaxQueryBytes) +
                                   " bytes, got " + std::to_string(query.size()));
  }
  std::vector<std::string> terms;
  search::Tokenize(query, [&](std::string_view t, size_t) { terms.emplace_back(t); });
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  if (terms.size() > kMaxQueryTerms) {
    return Status::InvalidArgument("query: at most " + std::to_string(kMaxQueryTerms) +
                                   " distinct terms, got " + std::to_string(terms.size()));
  }
  SearchResult out;
  Budget budget(o);
  if (terms.empty()) return out;

  // N and the average document length, over every indexed document of the run (filters do not
  // change scores).
  uint64_t total_length = 0;
  STATELAB_RETURN_IF_ERROR(
      scan(std::string_view(&search::kDocPrefix, 1), [&](std::string_view, const Value& v) {
        uint32_t len = 0;
        TimestampUs time = 0;
        if (search::DecodeDocStats(v, &len, &time)) {
          ++out.documents;
          total_length += len;
        }
        return true;
      }));
  const double avg_length =
      out.documents ? static_cast<double>(total_length) / static_cast<double>(out.documents) : 1;
  (void)budget.OutOfTime();

  absl::flat_hash_map<std::string, Candidate> candidates;  // tag byte + user key
  std::vector<std::pair<std::string, int64_t>> postings;
  std::string key;
  for (const std::string& term : terms) {
    if (budget.stopped()) break;
    key.assign(1, search::kPostingPrefix).append(term).push_back('\0');
    const size_t prefix_size = key.size();
    postings.clear();
    STATELAB_RETURN_IF_ERROR(scan(key, [&](std::string_view k, const Value& v) {
      if (!budget.TakeCandidate()) return false;
      const auto* tf = std::get_if<int64_t>(&v);
      if (tf != nullptr && k.size() > prefix_size + 1) {
        postings.emplace_back(k.substr(prefix_size), *tf);
      }
      return true;
    }));
    const double idf = Idf(out.documents, postings.size());
    for (const auto& [doc, tf] : postings) {
      const Tag tag = static_cast<Tag>(doc[0]);
      if (!o.primitives.empty() &&
          std::find(o.primitives.begin(), o.primitives.end(), tag) == o.primitives.end()) {
        continue;
      }
      auto [it, inserted] = candidates.try_emplace(doc);
      Candidate& c = it->second;
      if (inserted) {
        key.assign(1, search::kDocPrefix).append(doc);
        Value stats;
        TimestampUs time = 0;
        Status s = get(Tag::kSearch, key, &stats);
        if (!s.ok() && !s.IsNotFound()) return s;
        c.excluded = !s.ok() || !search::DecodeDocStats(stats, &c.length, &time) ||
                     ((o.start_us || o.end_us) && time == 0) ||
                     (o.start_us && time < *o.start_us) || (o.end_us && time >= *o.end_us);
      }
      if (!c.excluded) {
        c.score += Bm25(idf, static_cast<double>(tf), c.length, avg_length);
      }
    }
  }
  budget.Report(&out);

  std::vector<std::pair<const std::string*, double>> ranked;
  for (const auto& [doc, c] : candidates) {
    if (!c.excluded) ranked.emplace_back(&doc, c.score);
  }
  auto better = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : *a.first < *b.first;
  };
  const size_t n = std::min(ranked.size(), o.limit);
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(),
                    better);
  for (size_t i = 0; i < n; ++i) {
    const std::string& doc = *ranked[i].first;
    const Tag tag = static_cast<Tag>(doc[0]);
    const std::string_view user_key = std::string_view(doc).substr(1);
    SearchMatch& m = out.matches.emplace_back();
    m.primitive = tag;
    m.key = search::DocName(tag, user_key);
    m.score = ranked[i].second;
    m.keyword_rank = static_cast<uint32_t>(i + 1);
    Value v;
    Status s = get(tag, user_key, &v);
    if (s.ok()) {
      m.fields = MatchedFields(tag, user_key, v, terms);
    } else if (!s.IsNotFound()) {
      return s;
    }
  }
  return out;
}

Status CheckVectorQuery(const VectorQuery& q) {
  if (q.k == 0 || q.k > kMaxSearchLimit) {
    return Status::InvalidArgument("k: must be 1.." + std::to_string(kMaxSearchLimit) + ", got " +
                                   std::to_string(q.k));
  }
  return Status::OK();
}

SearchResult FuseRrf(SearchResult keyword, const std::vector<SearchHit>& vector_hits,
                     const VectorQuery& q, size_t limit) {
  struct Fused {
    std::string doc;  // tag byte + stored user key: the tie-break order
    SearchMatch match;
  };
  std::vector<Fused> fused;
  absl::flat_hash_map<std::string, size_t> index;
  auto add = [&](Tag tag, std::string_view user_key, SearchMatch&& m) -> SearchMatch& {
    std::string doc(1, static_cast<char>(tag));
    doc.append(user_key);
    auto [it, inserted] = index.try_emplace(doc, fused.size());
    if (inserted) fused.push_back({std::move(doc), std::move(m)});
    return fused[it->second].match;
  };
  for (SearchMatch& m : keyword.matches) {
    const uint32_t rank = m.keyword_rank;
    const Tag tag = m.primitive;
    std::string user_key = search::DocUserKey(tag, m.key);
    m.score = 0;
    SearchMatch& f = add(tag, user_key, std::move(m));
    f.score += 1.0 / (kRrfK + rank);
  }
  for (size_t i = 0; i < vector_hits.size(); ++i) {
    const SearchHit& h = vector_hits[i];
    Tag tag = q.key_primitive.value_or(Tag::kVector);
    std::string user_key = q.key_primitive ? search::DocUserKey(tag, h.key) : h.key;
    if (user_key.empty()) {
      tag = Tag::kVector;  // not a key of that primitive: the vector stands alone
      user_key = h.key;
    }
    SearchMatch m;
    m.primitive = tag;
    m.key = h.key;
    SearchMatch& f = add(tag, user_key, std::move(m));
    f.vector_rank = static_cast<uint32_t>(i + 1);
    f.score += 1.0 / (kRrfK + static_cast<double>(i + 1));
  }
  std::sort(fused.begin(), fused.end(), [](const Fused& a, const Fused& b) {
    return a.match.score != b.match.score ? a.match.score > b.match.score : a.doc < b.doc;
  });
  if (fused.size() > limit)
    fused.erase(fused.begin() + static_cast<std::ptrdiff_t>(limit), fused.end());
  keyword.matches.clear();
  for (Fused& f : fused) keyword.matches.push_back(std::move(f.match));
  return keyword;
}

}  // namespace statelab::internal
