#pragma once
// Pure JSON document operations behind JsonStore and the transaction commit path: path parsing,
// get / set / delete at a path, RFC 7386 merge patch, ordered atomic patches, document limits and
// canonical serialization. Every write returns the "conflict path" it occupies, so the commit path
// can decide path-level conflicts and rebase non-conflicting writes onto the newest committed
// document (rules in docs/json_paths.md).
//
// Every mutating function is atomic: on any error the document is left exactly as it was.
// A patch or value passed in must not alias the document being changed.
// Limits are checked on the resulting document by the functions that can grow it (Set, Merge,
// MergePatch, ApplyPatch with a set); DeleteAt can only shrink a document and does not check.
// One file per job: json_path.cc (Path), json_doc.cc (Get, Set, DeleteAt, ApplyPatch),
// json_merge_patch.cc, json_limits.cc (CheckLimits, SerializedSize), json_parse.cc (ParseJson),
// json_canonical.cc; json_text.h and json_edit.h are what they share.
// Namespace json_doc, not json: `json` is the project's alias for boost::json.
// Thread-safety: pure functions, thread-safe (a document must not be mutated concurrently).

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/api/status.h"

namespace statelab::json_doc {

// Limits on a resulting document (and on a path, for kMaxPathSegments). Each violation is an
// InvalidArgument whose message names the limit, e.g. "json document depth 101 exceeds limit 100".
inline constexpr size_t kMaxDocBytes = size_t{16} << 20;  // serialized, as boost::json::serialize
inline constexpr size_t kMaxDepth = 100;                  // nested containers; {} is depth 1
inline constexpr size_t kMaxPathSegments = 256;           // checked by Path::Parse
inline constexpr size_t kMaxArrayElements = 1'000'000;    // in any one array

struct PathSegment {
  enum Kind : uint8_t { kKey, kIndex };

  static PathSegment Key(std::string_view k) { return PathSegment{kKey, std::string(k), 0}; }
  static PathSegment Index(uint32_t i) { return PathSegment{kIndex, std::string(), i}; }

  friend bool operator==(const PathSegment& a, const PathSegment& b) {
    return a.kind == b.kind && (a.kind == kKey ? a.key == b.key : a.index == b.index);
  }

  Kind kind = kKey;
  std::string key;     // kKey only: any bytes (UTF-8 when parsed)
  uint32_t index = 0;  // kIndex only
};

// A parsed path. Canonical: two paths address the same location iff their segments are equal.
class Path {
 public:
  Path() = default;  // the root ($)
  // No limit check here; Parse enforces kMaxPathSegments on text from users.
  explicit Path(std::vector<PathSegment> segments) : segments_(std::move(segments)) {}

  // Grammar in docs/json_paths.md: optional `$`, then `.name`, `[index]`, `["any key"]`; a leading
  // name without `$` and dot is accepted (`a.b` == `$.a.b`). "" and "$" are the root. Errors are
  // InvalidArgument naming the byte offset and what was expected there.
  static Result<Path> Parse(std::string_view text);

  const std::vector<PathSegment>& segments() const { return segments_; }
  size_t size() const { return segments_.size(); }
  bool IsRoot() const { return segments_.empty(); }

  Path Child(std::string_view key) const;
  Path Child(uint32_t index) const;
  Path Prefix(size_t n) const;  // the first min(n, size()) segments

  // Canonical form: `$`, then `.name` where the key is a name, else `["..."]` with JSON escapes
  // (as boost::json::serialize writes strings), and `[3]`. Parse(ToString()) == *this.
  std::string ToString() const;

  // True iff `a` is a prefix of `b` (equal paths included; the root is a prefix of every path).
  static bool IsPrefix(const Path& a, const Path& b);
  // One is a prefix of the other. Siblings do not overlap; `$.a.b` and `$.a.bc` do not overlap.
  static bool Overlaps(const Path& a, const Path& b) { return IsPrefix(a, b) || IsPrefix(b, a); }

  friend bool operator==(const Path& a, const Path& b) { return a.segments_ == b.segments_; }

 private:
  std::vector<PathSegment> segments_;
};

// The value at `p`. NotFound (which does not allocate) if absent, including when the path runs
// through a scalar or uses a key on an array / an index on an object.
Result<const boost::json::value*> Get(const boost::json::value& doc, const Path& p);

// Writes `v` at `p`. Missing object members on the way are created as objects (only when every
// remaining segment is a key); index == size appends (last segment only); index > size, writing
// through a scalar, a key on an array or an index on an object are InvalidArgument naming the
// path. Returns the conflict path: `p`, or the array's path when the write appends (changes the
// array's length).
Result<Path> Set(boost::json::value& doc, const Path& p, boost::json::value v);

// Removes the value at `p`. NotFound if absent; InvalidArgument for the root (destroy the document
// instead). Object member order is preserved. Returns the conflict path: `p`, or the array's path
// when an element is removed (the array's length changes).
Result<Path> DeleteAt(boost::json::value& doc, const Path& p);

// RFC 7386, exactly: an object patch merges member by member (null deletes, a non-object target
// becomes {} first); any other patch (null, array, scalar) replaces the target. `target` is the
// whole document for the limit check.
Status MergePatch(boost::json::value& target, const boost::json::value& patch);

// RFC 7386 merge of `patch` into the value at `p`; an absent `p` is created as by Set, from an
// absent target (the patch with null members dropped). Returns the conflict path of the whole
// merge (`p`, or the array's path when creating `p` appends). If `write_paths` is given, it
// receives the finer paths the merge writes: one per patch leaf (a non-object member, null
// included, or an empty object), or just the returned path when creating `p` appended. Either
// answer is sound for conflict checks; the finer one lets merges of disjoint members commit
// concurrently.
Result<Path> Merge(boost::json::value& doc, const Path& p, const boost::json::value& patch,
                   std::vector<Path>* write_paths = nullptr);

struct PatchOp {
  enum Kind : uint8_t { kSet, kDelete };
  Kind kind = kSet;
  Path path;
  boost::json::value value;  // kSet only
};

// Applies `ops` in order, each seeing the result of the previous ones. Atomic: on any failure the
// document is unchanged. Limits are checked once, on the final document. Returns one conflict
// path per op. A failing op's InvalidArgument message is prefixed "patch op <i>: "; NotFound from
// a delete stays NotFound (without a message, so it does not say which op).
Result<std::vector<Path>> ApplyPatch(boost::json::value& doc, const std::vector<PatchOp>& ops);

// Checks the limits above in one walk without serializing, plus that the document serializes to
// valid JSON: no NaN or infinity, and every string and key is valid UTF-8. Reports the first of:
// depth, array size, serialized size, non-finite number, invalid UTF-8.
Status CheckLimits(const boost::json::value& doc);
// The same, also setting *serialized_bytes to SerializedSize(doc) (from the same walk).
Status CheckLimits(const boost::json::value& doc, uint64_t* serialized_bytes);

// The number of bytes boost::json::serialize(v) would produce, computed without serializing (the
// walk CheckLimits uses); exposed for tests and size accounting.
uint64_t SerializedSize(const boost::json::value& v);

// Parses JSON text strictly (RFC 8259: no comments, no trailing commas, valid UTF-8), reading
// every double with std::from_chars so that ParseJson(boost::json::serialize(v)) == v bit for bit.
// Use it wherever stored JSON is read back (WAL, snapshots, event payloads): Boost.JSON 1.81's own
// parser can be one ULP off for some doubles, which would change CanonicalJson and so event
// hashes after a restart. Numbers beyond the double range and nesting deeper than `max_depth`
// containers are InvalidArgument naming the byte offset.
Result<boost::json::value> ParseJson(std::string_view text, size_t max_depth = kMaxDepth);

// Canonical serialization for hashing: object keys sorted by byte order at every level, no
// whitespace, scalars written exactly as boost::json::serialize writes them (integers in decimal,
// doubles in Ryu shortest form such as 1E0 or 1.5E-3, strings with the escapes in
// docs/json_paths.md). Stable across runs and platforms.
std::string CanonicalJson(const boost::json::value& v);
// The same, appended to `out` (reusing its capacity and this thread's scratch: no allocation
// once warm). Not reentrant on one thread.
void AppendCanonicalJson(const boost::json::value& v, std::string& out);

}  // namespace statelab::json_doc
