#include "engines/registry/engine_list.h"

#include <string>

namespace statelab {

Result<std::unique_ptr<AnyEngine>> OpenEngineByName(std::string_view name, const DbOptions& opts) {
  Result<std::unique_ptr<AnyEngine>> out = Status::InvalidArgument("");
  bool found = false;
  AllEngines::ForEach([&]<class E>() {
    if (found || E::kName != name) return;
    found = true;
    Result<std::unique_ptr<E>> e = E::Open(opts);
    if (!e.ok()) {
      out = std::move(e).error();
      return;
    }
    out = std::unique_ptr<AnyEngine>(new AnyEngineImpl<E>(std::move(e).value()));
  });
  if (!found) {
    std::string known;
    for (std::string_view n : AllEngines::names) known += (known.empty() ? "" : ", ") + std::string(n);
    return Status::InvalidArgument("engine: '" + std::string(name) + "' is not one of " + known);
  }
  return out;
}

}  // namespace statelab

namespace statelab {
Result<std::unique_ptr<AnyEngine>> AnyEngine::Open(const DbOptions& opts) {
  return OpenEngineByName(opts.engine, opts);
}
}  // namespace statelab
