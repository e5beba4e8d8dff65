#include "bench/primitive_inputs.h"

#include <boost/json/object.hpp>

namespace statelab::bench {

boost::json::value EventPayload() {
  return boost::json::object{{"step", 1}, {"tool", "search"}, {"tokens", 128}, {"ok", true}};
}

boost::json::value NestedDocument(int depth) {
  boost::json::value v(int64_t{0});
  for (int d = depth; d >= 1; --d) {
    std::string key = "l";
    key += std::to_string(d);
    boost::json::object o;
    o[key] = std::move(v);
    v = std::move(o);
  }
  return v;
}

std::string NestedPath(int depth) {
  std::string p = "$";
  for (int d = 1; d <= depth; ++d) {
    p += ".l";
    p += std::to_string(d);
  }
  return p;
}

std::vector<std::vector<float>> RandomVectors(uint64_t count, uint32_t dim, uint64_t seed) {
  workloads::Xoshiro256 rng(seed);
  std::vector<std::vector<float>> out(count, std::vector<float>(dim));
  for (auto& v : out) {
    for (float& x : v) x = static_cast<float>(rng.NextDouble() * 2.0 - 1.0);
  }
  return out;
}

std::vector<Value> TextValues(uint64_t count, int words, uint64_t seed) {
  const std::vector<std::string> vocabulary = workloads::KeyNames("word", 2000, 4);
  workloads::ZipfianGenerator pick(vocabulary.size(), 0.9, seed);
  std::vector<Value> out;
  for (uint64_t i = 0; i < count; ++i) {
    std::string t;
    for (int w = 0; w < words; ++w) {
      if (w > 0) t += ' ';
      t += vocabulary[pick.Next()];
    }
    out.emplace_back(std::move(t));
  }
  return out;
}

SearchCorpus MakeSearchCorpus(uint64_t n, uint64_t seed) {
  SearchCorpus c;
  c.keys = workloads::KeyNames("doc", n, 6);
  c.values = TextValues(n, 12, seed);
  for (Value& q : TextValues(64, 2, seed + 1)) c.queries.push_back(std::get<std::string>(std::move(q)));
  return c;
}

std::string SearchCorpus::Text(uint64_t i) const {
  return keys[i] + ' ' + std::get<std::string>(values[i]);
}

Result<Value> IncrementCounter(const Value& current) {
  const int64_t* n = std::get_if<int64_t>(&current);
  return Value(n != nullptr ? *n + 1 : int64_t{0});
}

}  // namespace statelab::bench
