// The sticky partitioner (core/include/atlas/kafka/sticky_partitioner.hpp):
// one partition per window, the next available one after it, always a
// partition the topic has. Time and availability are passed in.
#include <doctest/doctest.h>

#include <set>

#include "atlas/kafka/sticky_partitioner.hpp"

using atlas::kafka::StickyPartitioner;
using namespace std::chrono_literals;

namespace {

const auto kStart = StickyPartitioner::Clock::time_point(100s);
auto all_available = [](std::int32_t) { return true; };

}  // namespace

TEST_CASE("sticky partitioner: records of one window share a partition, the next window moves on") {
  StickyPartitioner partitioner(5ms, /*first=*/2);
  const std::int32_t first = partitioner.pick(6, kStart, all_available);
  CHECK(first == 3);  // the rotation starts after `first`
  CHECK(partitioner.pick(6, kStart + 1ms, all_available) == first);
  CHECK(partitioner.pick(6, kStart + 4ms, all_available) == first);
  const std::int32_t second = partitioner.pick(6, kStart + 5ms, all_available);
  CHECK(second == 4);
  CHECK(partitioner.pick(6, kStart + 9ms, all_available) == second);
  // Every partition gets its turn, in order, then it starts over.
  std::vector<std::int32_t> turns;
  for (int window = 2; window <= 7; ++window) {
    turns.push_back(partitioner.pick(6, kStart + window * 5ms, all_available));
  }
  CHECK(turns == std::vector<std::int32_t>{5, 0, 1, 2, 3, 4});
}

TEST_CASE("sticky partitioner: partitions without a leader are skipped") {
  StickyPartitioner partitioner(5ms, 0);
  auto only_even = [](std::int32_t p) { return p % 2 == 0; };
  std::set<std::int32_t> picked;
  for (int window = 0; window < 12; ++window) {
    picked.insert(partitioner.pick(6, kStart + window * 5ms, only_even));
  }
  CHECK(picked == std::set<std::int32_t>{0, 2, 4});

  // The current partition losing its leader ends the window at once.
  StickyPartitioner sticky(1h, 0);
  const std::int32_t before = sticky.pick(6, kStart, all_available);
  CHECK(before == 1);
  auto all_but_1 = [](std::int32_t p) { return p != 1; };
  CHECK(sticky.pick(6, kStart + 1ms, all_but_1) == 2);

  // The only partition with a leader is kept past its window.
  auto only_3 = [](std::int32_t p) { return p == 3; };
  StickyPartitioner lone(5ms, 2);
  CHECK(lone.pick(6, kStart, only_3) == 3);
  CHECK(lone.pick(6, kStart + 10ms, only_3) == 3);
  CHECK(lone.pick(6, kStart + 20ms, only_3) == 3);
}

TEST_CASE("sticky partitioner: with no partition available it keeps the window's partition") {
  // librdkafka places records queued before the leaders were known all at
  // once; they stay together.
  StickyPartitioner partitioner(5ms, 4);
  auto none = [](std::int32_t) { return false; };
  const std::int32_t first = partitioner.pick(6, kStart, none);
  CHECK(first == 5);
  for (int i = 0; i < 10; ++i) CHECK(partitioner.pick(6, kStart + 1ms, none) == first);
  // Past the window it moves on, always to a partition the topic has.
  for (int window = 0; window < 10; ++window) {
    const std::int32_t p = partitioner.pick(3, kStart + 5ms + window * 5ms, none);
    CHECK(p >= 0);
    CHECK(p < 3);
  }
}

TEST_CASE("sticky partitioner: a smaller partition count moves a current partition into range") {
  StickyPartitioner partitioner(1h, /*first=*/10);
  CHECK(partitioner.pick(12, kStart, all_available) == 11);
  // The window has not ended, but the topic now reports 4 partitions.
  CHECK(partitioner.pick(4, kStart + 1ms, all_available) == 0);  // 11 % 4 = 3, then the next
  CHECK(partitioner.pick(4, kStart + 2ms, all_available) == 0);
}
