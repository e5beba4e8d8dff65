#pragma once
// SQLite FTS5 ranked by its bm25(): the keyword-search peer of our BM25 search (docs/peers.md).
// Same tokenization (FTS5's "ascii" tokenizer: runs of ASCII letters and digits and non-ASCII
// bytes, ASCII folded to lower case, as engines/core/search_index.h) and the same k1 = 1.2,
// b = 0.75; a query's terms are OR-ed as ours are. One difference remains: FTS5's IDF is
// ln((N - n + 0.5) / (n + 0.5)), floored at 1e-6, where ours adds 1 inside the log, so terms in
// half the documents or more weigh nothing there. The SQLite headers stay in the .cc.
// Thread-safety: build on one thread; Search from one thread at a time (one prepared statement).

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "engines/peers/peer_config.h"

namespace statelab::peers {

class Fts5Peer {
 public:
  static constexpr std::string_view kName = "sqlite_fts5";
  static constexpr bool kAvailable = config::kSqliteFts5;
  static constexpr std::string_view kWhyNotAvailable = config::kSqliteFts5WhyNot;

  // One document per text, id = its position; an in-memory database.
  static Result<std::unique_ptr<Fts5Peer>> Build(std::span<const std::string> texts);
  ~Fts5Peer();
  Fts5Peer(const Fts5Peer&) = delete;
  Fts5Peer& operator=(const Fts5Peer&) = delete;

  std::string Settings() const;
  // The k best documents for `query` (its terms OR-ed), best first; ties by lower id.
  Status Search(std::string_view query, size_t k, std::vector<int64_t>* ids);

 private:
  struct Impl;
  explicit Fts5Peer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace statelab::peers
