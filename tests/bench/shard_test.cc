// statelab-bench --shard I/N: the flag's syntax, the deal (deterministic, longest first, balanced,
// by name on ties) and KeepShard (the N shards hold the selection exactly once, in order).

#include "bench/shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace statelab::bench {
namespace {

TEST(Shard, ParsesIOverN) {
  Result<ShardSpec> s = ParseShard("2/3");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 3);
  for (const char* bad : {"0/2", "3/2", "1/0", "1", "1/", "/2", "a/2", "1/2x", "-1/2", ""}) {
    EXPECT_FALSE(ParseShard(bad).ok()) << bad;
  }
}

TEST(Shard, DealIsLongestFirstToTheLeastLoaded) {
  // 4 s and 3 s take one shard each; 2 s joins the 3 s one (5 s), "d" the 4 s one (5 s), and "e"
  // goes to the lowest index of two equal shards.
  const std::vector<DealItem> items = {{"e", 1}, {"a", 4}, {"c", 2}, {"b", 3}, {"d", 1}};
  const std::vector<int> shard = DealShards(items, 2);
  EXPECT_EQ(shard, (std::vector<int>{0, 0, 1, 1, 0}));
}

TEST(Shard, DealWithoutCostsIsByName) {
  const std::vector<DealItem> items = {{"c", 0}, {"a", 0}, {"b", 0}, {"d", 0}};
  // No costs: round-robin in name order.
  const std::vector<int> shard = DealShards(items, 2);
  EXPECT_EQ(std::count(shard.begin(), shard.end(), 0), 2);
  EXPECT_EQ(shard[1], 0);  // "a" first
  EXPECT_EQ(shard[2], 1);  // "b" second
}

TEST(Shard, DealDoesNotDependOnInputOrder) {
  std::vector<DealItem> items;
  for (int i = 0; i < 50; ++i) items.push_back({"cell" + std::to_string(i), (i * 7) % 5 * 0.1});
  const std::vector<int> forward = DealShards(items, 3);
  std::vector<DealItem> reversed(items.rbegin(), items.rend());
  std::vector<int> backward = DealShards(reversed, 3);
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(forward, backward);
}

CellKey Key(const std::string& op) {
  CellKey k;
  k.tier = "B";
  k.group = "kv";
  k.op = op;
  k.engine = "btree";
  k.mode = "inmemory";
  return k;
}

CellDef Cell(const std::string& op, Timing timing) {
  CellDef c;
  c.key = Key(op);
  c.timing = timing;
  c.make = [](const CellContext&) -> Result<std::unique_ptr<Fixture>> {
    return Status::InvalidArgument("not run");
  };
  return c;
}

TEST(Shard, ShardsHoldTheSelectionOnceInOrder) {
  RunnerConfig cfg;
  cfg.repetitions = 3;
  cfg.min_time = 0.01;
  std::vector<std::string> all;
  std::set<std::string> union_cells;
  std::set<size_t> union_orders;
  for (int i = 1; i <= 3; ++i) {
    Catalogue cat(CatalogueOptions{});
    for (const char* op : {"get", "put", "scan", "list", "delete"}) cat.Add(Cell(op, Timing::kLoop));
    cat.Add(Cell("contend", Timing::kSingleShot));
    cat.Skip(Key("vector"), Suite::kQuick, "no API");
    if (all.empty()) {
      for (const CellDef& c : cat.cells()) all.push_back(c.key.Name());
      all.push_back(cat.skipped()[0].key.Name());
    }
    const ShardPlan plan = KeepShard(cat, ShardSpec{i, 3}, cfg);
    EXPECT_EQ(plan.selection, all.size());
    ASSERT_EQ(plan.cells.size(), cat.cells().size());
    ASSERT_EQ(plan.skipped.size(), cat.skipped().size());
    for (size_t k = 0; k < plan.cells.size(); ++k) {
      EXPECT_EQ(plan.cells[k].name, cat.cells()[k].key.Name());
      EXPECT_EQ(all[plan.cells[k].order], plan.cells[k].name);
      if (k > 0) {
        EXPECT_LT(plan.cells[k - 1].order, plan.cells[k].order);
      }
      EXPECT_TRUE(union_cells.insert(plan.cells[k].name).second) << plan.cells[k].name;
      union_orders.insert(plan.cells[k].order);
    }
    for (const ShardCell& s : plan.skipped) {
      EXPECT_TRUE(union_cells.insert(s.name).second);
      union_orders.insert(s.order);
    }
    // The single-shot cell (the longest) opens shard 1.
    if (i == 1) {
      ASSERT_FALSE(plan.cells.empty());
      EXPECT_NE(std::find_if(plan.cells.begin(), plan.cells.end(),
                             [](const ShardCell& c) { return c.name.find("contend") != std::string::npos; }),
                plan.cells.end());
    }
  }
  EXPECT_EQ(union_cells.size(), all.size());
  EXPECT_EQ(union_orders.size(), all.size());
}

}  // namespace
}  // namespace statelab::bench
