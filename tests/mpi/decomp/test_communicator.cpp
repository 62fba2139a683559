// SPDX-License-Identifier: BSD-3-Clause
// Communicator collectives and the block partition, at any rank count.
#include <gtest/gtest.h>

#include "npde/decomp/communicator.hpp"

namespace {

using npde::decomp::Communicator;

void check_reductions() {
  const auto c = Communicator::world();
  const int p = c.size(), r = c.rank();
  std::vector<double> v{double(r), 1.0, -2.0 * r};
  c.allreduce_sum(v.data(), v.size());
  EXPECT_DOUBLE_EQ(v[0], p * (p - 1) / 2.0);
  EXPECT_DOUBLE_EQ(v[1], double(p));
  EXPECT_DOUBLE_EQ(v[2], -double(p * (p - 1)));
  std::vector<float> f{1.5f};
  c.allreduce_sum(f.data(), 1);
  EXPECT_FLOAT_EQ(f[0], 1.5f * p);
  EXPECT_DOUBLE_EQ(c.max(double(r)), double(p - 1));
  EXPECT_DOUBLE_EQ(c.min(double(r)), 0.0);
  EXPECT_EQ(c.sum(static_cast<long long>(r + 1)), static_cast<long long>(p) * (p + 1) / 2);
  EXPECT_TRUE(c.any(r == p - 1));
  EXPECT_FALSE(c.any(false));
}

void check_exchange() {
  const auto c = Communicator::world();
  const int p = c.size(), r = c.rank();
  EXPECT_EQ(c.broadcast(r == 0 ? std::string("deck text\nwith lines") : std::string("ignored")),
            "deck text\nwith lines");
  EXPECT_EQ(c.broadcast(std::string()), "");
  const auto names = c.allgather(std::string(std::size_t(r), 'x'));  // rank 0 sends an empty string
  ASSERT_EQ(int(names.size()), p);
  for (int q = 0; q < p; ++q) EXPECT_EQ(names[q], std::string(std::size_t(q), 'x'));
  std::vector<double> mine(std::size_t(r + 1), double(r));
  const auto all = c.allgatherv(mine);
  ASSERT_EQ(all.size(), std::size_t(p * (p + 1) / 2));
  std::size_t k = 0;
  for (int q = 0; q < p; ++q)
    for (int i = 0; i <= q; ++i) EXPECT_EQ(all[k++], double(q));
}

void check_duplicate_is_separate() {
  const auto a = Communicator::world();
  const auto b = a;  // shares the handle
  EXPECT_EQ(a.native_handle(), b.native_handle());
  const auto s = Communicator::self();
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s.rank(), 0);
}

void check_block_range() {
  for (std::size_t n : {0u, 1u, 7u, 10u, 1001u})
    for (int size = 1; size <= 5; ++size) {
      std::size_t next = 0, smallest = n, largest = 0;
      for (int r = 0; r < size; ++r) {
        const auto range = npde::decomp::block_range(n, r, size);
        EXPECT_EQ(range.begin, next) << "contiguous blocks";
        next = range.end;
        smallest = std::min(smallest, range.size());
        largest = std::max(largest, range.size());
      }
      EXPECT_EQ(next, n) << "blocks cover everything";
      EXPECT_LE(largest - std::min(smallest, largest), 1u) << "balanced";
    }
}

}  // namespace

TEST(Communicator, Reductions) { check_reductions(); }
TEST(Communicator, BroadcastAndGather) { check_exchange(); }
TEST(Communicator, HandlesAndSelf) { check_duplicate_is_separate(); }
TEST(BlockRange, ContiguousBalancedComplete) { check_block_range(); }
