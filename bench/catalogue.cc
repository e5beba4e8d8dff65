#include "bench/catalogue.h"

#include "bench/catalogue_util.h"

namespace statelab::bench {

void BuildCatalogue(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() { cat.ProbeEngine<E>(); });
  AddRawAndEngineTiers(cat);
  AddPrimitiveTier(cat);
  AddIndexedTier(cat);
  AddContentionTier(cat);
  AddDurabilityTiers(cat);
  AddScenarioTiers(cat);
  AddPeerTier(cat);
}

}  // namespace statelab::bench
