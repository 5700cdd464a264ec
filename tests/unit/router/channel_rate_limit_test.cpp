#include <doctest/doctest.h>

#include "atlas/router/channel_rate_limit.hpp"

using namespace std::chrono_literals;
using atlas::router::ChannelRateLimiter;

namespace {
const ChannelRateLimiter::Clock::time_point t0{std::chrono::seconds(1000)};
}

TEST_CASE("router rate limit: at most one message a second per channel") {
  ChannelRateLimiter limiter;
  CHECK(limiter.reserve("T:C1", t0) == t0);                 // first: at once
  CHECK(limiter.reserve("T:C1", t0) == t0 + 1s);            // second: a second later
  CHECK(limiter.reserve("T:C1", t0 + 100ms) == t0 + 2s);    // third: queued behind it
  CHECK(limiter.reserve("T:C2", t0) == t0);                 // other channels are independent
  CHECK(limiter.reserve("T:C1", t0 + 10s) == t0 + 10s);     // after a pause: at once again
  CHECK(limiter.reserve("T:C1", t0 + 10s + 500ms) == t0 + 11s);
}

TEST_CASE("router rate limit: hold() pushes a channel back for the server's Retry-After") {
  ChannelRateLimiter limiter;
  limiter.hold("T:C1", t0 + 30s);
  CHECK(limiter.next_free("T:C1") == t0 + 30s);
  CHECK(limiter.reserve("T:C1", t0) == t0 + 30s);
  limiter.hold("T:C1", t0 + 5s);  // never pulls a slot earlier
  CHECK(limiter.reserve("T:C1", t0) == t0 + 31s);
}

TEST_CASE("router rate limit: idle channels are forgotten, bounding memory") {
  ChannelRateLimiter limiter(1s, 100);
  for (int i = 0; i < 100; ++i) limiter.reserve("C" + std::to_string(i), t0);
  CHECK(limiter.size() == 100);
  limiter.reserve("new", t0 + 2s);  // over the bound: idle channels pruned first
  CHECK(limiter.size() == 1);
  CHECK_FALSE(limiter.next_free("C0"));
  limiter.prune(t0 + 10s);
  CHECK(limiter.size() == 0);
}
