#include "engines/peers/fts5_peer.h"

#include <sqlite3.h>

#include <cctype>

namespace statelab::peers {

struct Fts5Peer::Impl {
  ~Impl() {
    sqlite3_finalize(search);
    sqlite3_close(db);
  }
  sqlite3* db = nullptr;
  sqlite3_stmt* search = nullptr;
  std::string match;  // the MATCH expression, reused
};

namespace {

Status SqliteError(sqlite3* db, std::string_view what) {
  return Status::IOError("sqlite " + std::string(what) + ": " +
                          (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

// `"t1" OR "t2" ...` over the query's tokens, split as the ascii tokenizer splits them (a token
// is quoted, so it is never read as an FTS5 operator).
void MatchExpression(std::string_view query, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < query.size()) {
    auto token_byte = [](unsigned char c) { return c >= 0x80 || std::isalnum(c) != 0; };
    while (i < query.size() && !token_byte(query[i])) ++i;
    const size_t start = i;
    while (i < query.size() && token_byte(query[i])) ++i;
    if (i == start) break;
    if (!out->empty()) out->append(" OR ");
    out->push_back('"');
    out->append(query.substr(start, i - start));
    out->push_back('"');
  }
}

}  // namespace

Fts5Peer::Fts5Peer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Fts5Peer::~Fts5Peer() = default;

Result<std::unique_ptr<Fts5Peer>> Fts5Peer::Build(std::span<const std::string> texts) {
  auto impl = std::make_unique<Impl>();
  if (sqlite3_open(":memory:", &impl->db) != SQLITE_OK) return SqliteError(impl->db, "open");
  char* err = nullptr;
  const char* schema =
      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
      "CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = 'ascii');"
      "BEGIN;";
  if (sqlite3_exec(impl->db, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Status::IOError(std::string("sqlite fts5 schema: ") + (err ? err : "?"));
    sqlite3_free(err);
    return s;
  }
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(impl->db, "INSERT INTO docs(rowid, body) VALUES (?1, ?2)", -1, &insert,
                         nullptr) != SQLITE_OK) {
    return SqliteError(impl->db, "prepare insert");
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i));
    sqlite3_bind_text(insert, 2, texts[i].data(), static_cast<int>(texts[i].size()),
                      SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) {
      Status s = SqliteError(impl->db, "insert");
      sqlite3_finalize(insert);
      return s;
    }
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  // FTS5's ORDER BY rank runs its bm25() for every match and keeps the best LIMIT rows.
  if (sqlite3_exec(impl->db, "COMMIT; INSERT INTO docs(docs) VALUES('optimize');", nullptr,
                   nullptr, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(impl->db,
                         "SELECT rowid FROM docs WHERE docs MATCH ?1 ORDER BY rank, rowid LIMIT ?2",
                         -1, &impl->search, nullptr) != SQLITE_OK) {
    return SqliteError(impl->db, "prepare search");
  }
  return std::unique_ptr<Fts5Peer>(new Fts5Peer(std::move(impl)));
}

std::string Fts5Peer::Settings() const {
  return std::string("sqlite ") + sqlite3_libversion() +
         ", fts5 tokenize=ascii, bm25 k1=1.2 b=0.75, in-memory, optimized";
}

Status Fts5Peer::Search(std::string_view query, size_t k, std::vector<int64_t>* ids) {
  ids->clear();
  MatchExpression(query, &impl_->match);
  if (impl_->match.empty()) return Status::OK();
  sqlite3_stmt* st = impl_->search;
  sqlite3_bind_text(st, 1, impl_->match.data(), static_cast<int>(impl_->match.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(k));
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) ids->push_back(sqlite3_column_int64(st, 0));
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? Status::OK() : SqliteError(impl_->db, "search");
}

}  // namespace statelab::peers
