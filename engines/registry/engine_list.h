#pragma once
// The one explicit list of engines. Every engine compiles in every build; code that wants all
// engines walks this list once (per run, not per operation). Adding an engine = one line here.
// Thread-safety: compile-time data and pure functions.

#include <array>
#include <memory>
#include <string_view>

#include "engines/btree/btree_engine.h"
#include "engines/registry/any_engine.h"
#include "engines/sharded/sharded_engine.h"
#include "engines/shared_nothing/shared_nothing_engine.h"

namespace statelab {

template <class... Es>
struct EngineList {
  static constexpr size_t size = sizeof...(Es);
  static constexpr std::array<std::string_view, sizeof...(Es)> names{Es::kName...};
  // Calls f.template operator()<E>() for each engine type, in order.
  template <class F>
  static void ForEach(F&& f) {
    (f.template operator()<Es>(), ...);
  }
};

using AllEngines = EngineList<BTreeEngine, ShardedEngine, SharedNothingEngine>;

// Opens an engine by name behind the virtual wrapper; InvalidArgument names the known engines.
Result<std::unique_ptr<AnyEngine>> OpenEngineByName(std::string_view name, const DbOptions& opts);

}  // namespace statelab
