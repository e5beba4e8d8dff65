#pragma once
// The per-run search index (docs/search.md): which stored keys are searchable documents, the text
// fields of each, the tokenizer, and the Tag::kSearch keys that index them. The index is derived
// at commit (IndexSearchWrites in txn_state.h) from the newest committed value of each written
// key, so it is logged, applied and recovered with the data it indexes.
//
// Layout (Tag::kSearch keys of the document's run; a document is (tag, user key)):
//   "p" + term + 0x00 + tag + user key  -> int64 term frequency (posting)
//   "d" + tag + user key                -> Bytes: u32 LE length in terms | i64 LE time (doc stats)
// Both carry the document's expiry, so an expired KV value leaves the index with it.
//
// Which records are documents comes from engines/api/record_keys.h, the layout the primitives
// write (the conformance search tests cover every primitive).
// Thread-safety: pure functions; the commit-side ones use thread-local scratch buffers.

#include <absl/functional/function_ref.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "engines/api/key.h"
#include "engines/api/types.h"
#include "engines/api/value.h"

namespace statelab::search {

// Longer tokens (hashes, base64 blobs) are dropped rather than indexed.
inline constexpr size_t kMaxTermBytes = 64;
// A posting key ("p" term 0x00 tag key) must fit kMaxUserKeyBytes; documents with longer user
// keys are not indexed.
inline constexpr size_t kMaxDocKeyBytes = kMaxUserKeyBytes - kMaxTermBytes - 3;
inline constexpr char kPostingPrefix = 'p';
inline constexpr char kDocPrefix = 'd';

inline bool IsTermByte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Calls fn(std::string_view term, size_t offset) for each token of `text`: maximal runs of ASCII
// letters, digits and non-ASCII bytes (so UTF-8 words stay whole), ASCII letters lowercased;
// tokens longer than kMaxTermBytes are skipped. No stemming, no stop words.
template <class F>
void Tokenize(std::string_view text, F&& fn) {
  char buf[kMaxTermBytes];
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsTermByte(static_cast<unsigned char>(text[i]))) ++i;
    const size_t start = i;
    size_t n = 0;
    bool too_long = false;
    for (; i < text.size() && IsTermByte(static_cast<unsigned char>(text[i])); ++i) {
      if (n == kMaxTermBytes) {
        too_long = true;
        continue;
      }
      char c = text[i];
      buf[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (n > 0 && !too_long) fn(std::string_view(buf, n), start);
  }
}

// Whether (tag, user key) is a searchable document: every KV, state and JSON key; events'
// "e" records; traces' "d" records; runs' "r/" records. Vectors, indexes, counters and the
// search index itself are not.
bool IsDocument(Tag tag, std::string_view user_key) noexcept;

// A text field of a document. kName: a JSON member name (indexed, never shown as a snippet).
enum class FieldKind : uint8_t { kText, kName };
// fn(path, text, kind) for every text field of a document's stored value: the key (KV, state,
// JSON) or name (runs), string values (numbers, booleans and bytes are not text), and JSON
// strings with their member names. Events: type and payload; traces: body, tags and metadata;
// runs: name, status, tags and metadata. `path` is empty unless with_paths.
using FieldFn = absl::FunctionRef<void(std::string_view path, std::string_view text, FieldKind)>;
void ForEachField(Tag tag, std::string_view user_key, const Value& v, bool with_paths, FieldFn fn);

// The time a document is filtered by: events and traces their timestamp_us, runs their
// created_at_us; 0 (no time) for the other primitives.
TimestampUs DocTime(Tag tag, const Value& v) noexcept;

// The key a user knows a document by (event: decimal sequence; trace: id; run: name; others: the
// key itself), and back. DocUserKey fails (empty) on a name that no document can have.
std::string DocName(Tag tag, std::string_view user_key);
std::string DocUserKey(Tag tag, std::string_view name);

// Doc stats value (see the layout above).
Value EncodeDocStats(uint32_t length, TimestampUs time);
// False when the value is not doc stats.
bool DecodeDocStats(const Value& v, uint32_t* length, TimestampUs* time) noexcept;

// One indexed state of a document: its stored value and expiry (value null: absent).
struct DocState {
  const Value* value = nullptr;
  TimestampUs expire_at_us = 0;
};
// emit(search user key, value or null for a delete, expire_at_us) for each kSearch write that
// moves the index of document (tag, user_key) from `before` to `after`. Postings whose term
// frequency and expiry do not change are not rewritten.
using EmitFn = absl::FunctionRef<void(std::string_view, const Value*, TimestampUs)>;
void DiffDocument(Tag tag, std::string_view user_key, DocState before, DocState after, EmitFn emit);

}  // namespace statelab::search
