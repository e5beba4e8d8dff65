// SlabArena and ArenaAllocator: blocks by 16-byte size class, reuse of freed blocks, large and
// over-aligned blocks outside the slabs, and the engines' map types running on an arena.
#include "engines/core/slab_arena.h"

#include <absl/container/btree_map.h>
#include <absl/container/node_hash_map.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <utility>

namespace statelab {
namespace {

TEST(SlabArena, BlocksAreDistinctAlignedAndFromOneSlab) {
  SlabArena a;
  std::set<uintptr_t> seen;
  for (int i = 0; i < 100; ++i) {
    void* p = a.Allocate(40, 8);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % SlabArena::kGranule, 0u);
    std::memset(p, 0xab, 40);
    EXPECT_TRUE(seen.insert(reinterpret_cast<uintptr_t>(p)).second);
  }
  EXPECT_EQ(a.slab_bytes(), SlabArena::kSlabBytes);  // 100 x 48 bytes fit one slab
}

TEST(SlabArena, FreedBlockIsReusedByItsSizeClassOnly) {
  SlabArena a;
  void* p = a.Allocate(100, 8);
  a.Deallocate(p, 100, 8);
  void* other_class = a.Allocate(200, 8);
  EXPECT_NE(other_class, p);
  EXPECT_EQ(a.Allocate(112, 8), p);  // 100 and 112 round to the same 16-byte class
}

TEST(SlabArena, LargeAndOverAlignedBlocksBypassTheSlabs) {
  SlabArena a;
  void* big = a.Allocate(SlabArena::kMaxBlock + 1, 8);
  void* aligned = a.Allocate(64, 64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % 64, 0u);
  EXPECT_EQ(a.slab_bytes(), 0u);
  a.Deallocate(big, SlabArena::kMaxBlock + 1, 8);
  a.Deallocate(aligned, 64, 64);
}

TEST(SlabArena, SlabsGrowWhenOneIsFull) {
  SlabArena a;
  for (size_t used = 0; used <= SlabArena::kSlabBytes; used += 1024) (void)a.Allocate(1024, 8);
  EXPECT_EQ(a.slab_bytes(), 2 * SlabArena::kSlabBytes);
}

TEST(ArenaAllocator, EngineMapsRunOnAnArena) {
  SlabArena a;
  using Node = std::pair<const std::string, int>;
  using Hash = absl::Hash<std::string>;
  absl::node_hash_map<std::string, int, Hash, std::equal_to<>, ArenaAllocator<Node>> hash(
      size_t{0}, Hash{}, std::equal_to<>{}, ArenaAllocator<Node>(&a));
  absl::btree_map<std::string, int, std::less<>, ArenaAllocator<Node>> tree{
      ArenaAllocator<Node>(&a)};
  constexpr int kKeys = 20000;
  for (int i = 0; i < kKeys; ++i) {
    hash.try_emplace("key-" + std::to_string(i), i);
    tree.try_emplace("key-" + std::to_string(i), i);
  }
  EXPECT_GT(a.slab_bytes(), 0u);
  ASSERT_EQ(hash.size(), size_t{kKeys});
  ASSERT_EQ(tree.size(), size_t{kKeys});
  for (int i = 0; i < kKeys; i += 97) {
    EXPECT_EQ(hash.at("key-" + std::to_string(i)), i);
    EXPECT_EQ(tree.at("key-" + std::to_string(i)), i);
  }
  EXPECT_EQ(tree.begin()->first, "key-0");
  EXPECT_EQ(hash.get_allocator(), ArenaAllocator<Node>(&a));
}

}  // namespace
}  // namespace statelab
