#pragma once
// Where the primitives keep their searchable records, under their tags. Written down once here
// because two layers read it: the primitives that write these keys (engines/primitives/) and the
// search index that derives documents from them at commit (engines/core/search_index.h).
// Thread-safety: constants.

#include <cstddef>
#include <string_view>

namespace statelab::record_keys {

// Tag::kEvent: "e" + be64(sequence) -> event.
inline constexpr std::string_view kEventPrefix = "e";
inline constexpr size_t kEventKeyBytes = 9;
// Tag::kTrace: "d" + trace id (16 hex digits) -> trace record.
inline constexpr std::string_view kTracePrefix = "d";
inline constexpr size_t kTraceKeyBytes = 17;
// Tag::kRun: "r/" + run name -> run record.
inline constexpr std::string_view kRunPrefix = "r/";

}  // namespace statelab::record_keys
