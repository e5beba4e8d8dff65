#pragma once
// The editing steps of the JSON document operations (json_doc.cc) that the merge patch
// (json_merge_patch.cc) reuses: finding a value by path segments, the undo log that makes every
// mutating operation atomic, and one Set. Internal to engines/core; the API is json_doc.h.

#include <algorithm>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engines/api/status.h"
#include "engines/core/json_doc.h"

namespace statelab::json_doc::internal {

using Segments = std::vector<PathSegment>;

// The value at the first `n` segments, or nullptr.
const boost::json::value* Find(const boost::json::value& doc, const Segments& s, size_t n);
boost::json::value* FindMutable(boost::json::value& doc, const Segments& s, size_t n);

// Records how to reverse each primitive change. Entries hold paths, not pointers: later inserts
// may reallocate containers, but undoing in reverse order meets each entry in exactly the state
// it was recorded in, so the path resolves again. Callers build an entry's path and key and call
// Reserve() before they mutate, so recording after the change cannot throw.
// Thread-safety: one per operation, on one thread.
class UndoLog {
 public:
  enum Kind : uint8_t {
    kRestore,          // `where` is the changed value; swap `old` back
    kPopBack,          // `where` is an array that was appended to
    kEraseLastMember,  // `where` is an object that gained member `key` (last)
    kReinsertMember,   // `where` is an object that lost member `key` at `pos`
    kReinsertElement,  // `where` is an array that lost element `pos`
  };

  void Reserve() {
    if (entries_.size() == entries_.capacity()) {
      entries_.reserve(std::max<size_t>(8, 2 * entries_.capacity()));
    }
  }

  void Record(Kind kind, Segments&& where, std::string&& key, size_t pos,
              boost::json::value&& old) noexcept {
    entries_.push_back(
        Entry{kind, std::move(where), std::move(key), pos, boost::json::value(std::move(old))});
  }

  // Undoes every recorded change, newest first, and clears the log. Allocation failure while
  // undoing is fatal (noexcept): there is no state left to report from.
  void Rollback(boost::json::value& doc) noexcept;

 private:
  struct Entry {
    Kind kind;
    Segments where;
    std::string key;
    size_t pos;
    boost::json::value old;
  };

  std::vector<Entry> entries_;
};

// Set without the limit check; logs its one change. Each branch allocates before it mutates, so
// a throw leaves the document unchanged.
Result<Path> SetOne(boost::json::value& doc, const Path& p, boost::json::value v, UndoLog& log);

// CheckLimits(doc); on a violation `log` is rolled back first.
Status CheckLimitsOrRollback(boost::json::value& doc, UndoLog& log);

}  // namespace statelab::json_doc::internal
