#include "bench/describe.h"

#include <boost/json/array.hpp>

#include "bench/flags.h"
#include "engines/peers/peer_list.h"
#include "engines/registry/engine_list.h"
#include "harness/environment.h"

namespace statelab::bench {

namespace {

template <class List>
boost::json::array Names() {
  boost::json::array out;
  for (std::string_view n : List::names) out.emplace_back(n);
  return out;
}

// {name, kind, available, reason} for each peer of a list.
template <class List>
void AddPeers(std::string_view kind, boost::json::array* out) {
  List::ForEach([&]<class P>() {
    out->push_back({{"name", P::kName},
                    {"kind", kind},
                    {"available", P::kAvailable},
                    {"reason", P::kWhyNotAvailable}});
  });
}

}  // namespace

boost::json::object Describe() {
  boost::json::array peers;
  AddPeers<peers::KvPeers>("kv", &peers);
  AddPeers<peers::VectorPeers>("vector", &peers);
  boost::json::array modes;
  for (DurabilityMode m :
       {DurabilityMode::kInMemory, DurabilityMode::kBuffered, DurabilityMode::kStrict}) {
    modes.emplace_back(ModeName(m));
  }
  boost::json::array tiers;
  for (std::string_view t : kTiers) tiers.emplace_back(t);
  boost::json::array suites;
  for (Suite s : {Suite::kQuick, Suite::kStandard, Suite::kFull}) suites.emplace_back(SuiteName(s));
  return {{"schema_version", "1"},
          {"engines", Names<AllEngines>()},
          {"harness_engines", {kNullEngine, kDeviceEngine}},
          {"peers", std::move(peers)},
          {"modes", std::move(modes)},
          {"tiers", std::move(tiers)},
          {"suites", std::move(suites)},
          {"quiet_load_average", harness::kQuietLoadAverage}};
}

}  // namespace statelab::bench
