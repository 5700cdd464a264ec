#include <doctest/doctest.h>

#include <string>

#include "atlas/router/retry_schedule.hpp"

using namespace std::chrono_literals;
using atlas::router::DueQueue;

namespace {
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
}

TEST_CASE("router due queue: items come out when due, earliest first, ties in push order") {
  DueQueue<std::string> q;
  CHECK_FALSE(q.time_until_next(t0));
  q.push(t0 + 3s, "c");
  q.push(t0 + 1s, "a");
  q.push(t0 + 2s, "b1");
  q.push(t0 + 2s, "b2");
  CHECK(q.size() == 4);
  CHECK(q.next_due() == t0 + 1s);
  CHECK(q.time_until_next(t0) == 1000ms);
  CHECK(q.pop_due(t0).empty());
  CHECK(q.pop_due(t0 + 1s) == std::vector<std::string>{"a"});
  CHECK(q.pop_due(t0 + 2500ms) == std::vector<std::string>{"b1", "b2"});
  CHECK(q.time_until_next(t0 + 2500ms) == 500ms);
  CHECK(q.time_until_next(t0 + 10s) == 0ms);
  CHECK(q.pop_due(t0 + 10s) == std::vector<std::string>{"c"});
  CHECK(q.empty());
}

TEST_CASE("router due queue: waits round up and pop_due respects its batch limit") {
  DueQueue<int> q;
  q.push(t0 + 1500us, 1);
  CHECK(q.time_until_next(t0) == 2ms);  // never wakes early
  for (int i = 0; i < 10; ++i) q.push(t0, i);
  CHECK(q.pop_due(t0, 4).size() == 4);
  CHECK(q.size() == 7);
  // Many items in random order come out sorted.
  DueQueue<int> big;
  for (int i = 0; i < 1000; ++i) big.push(t0 + std::chrono::milliseconds((i * 7919) % 1000), (i * 7919) % 1000);
  const auto all = big.pop_due(t0 + 1s);
  REQUIRE(all.size() == 1000);
  CHECK(std::is_sorted(all.begin(), all.end()));
}
