#pragma once
// The benchmark catalogue (docs/harness.md, "Catalogue"): every cell of every tier, generated
// from AllEngines x durability modes x parameters, so an engine added to the list gets every
// cell without new benchmark code. Cells of an engine and mode that cannot open, and cells whose
// API does not exist yet, are recorded as skipped with the reason.
// Thread-safety: build on one thread.

#include "bench/cell.h"

namespace statelab::bench {

// Probes every selected engine in every selected mode, then adds the cells of every tier.
void BuildCatalogue(Catalogue& cat);

// One function per tier file (workloads/tier_*.cc).
void AddRawAndEngineTiers(Catalogue& cat);  // A0 (raw structures, null engine floor), A1
void AddPrimitiveTier(Catalogue& cat);      // B
void AddIndexedTier(Catalogue& cat);        // C
void AddContentionTier(Catalogue& cat);     // D
void AddDurabilityTiers(Catalogue& cat);    // durability, recovery, memory
void AddScenarioTiers(Catalogue& cat);      // scenario, ycsb
void AddPeerTier(Catalogue& cat);           // peers in the B, A1, ycsb, D cells (docs/peers.md)

}  // namespace statelab::bench
