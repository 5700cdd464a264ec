#include <doctest/doctest.h>

#include <chrono>
#include <set>

#include "atlas/retry_policy.hpp"

using namespace std::chrono_literals;
using atlas::RetryOptions;
using atlas::RetryPolicy;

namespace {
RetryPolicy policy_with(RetryOptions o, double jitter) {
  return RetryPolicy(o, [jitter] { return jitter; });
}
std::chrono::system_clock::time_point at(std::time_t t) {
  return std::chrono::system_clock::from_time_t(t);
}
}  // namespace

TEST_CASE("retry policy: jittered waits stay between 0 and min(max_backoff, initial*mult^(n-1))") {
  RetryOptions o;
  o.max_attempts = 10;
  o.initial_backoff = 100ms;
  o.multiplier = 2.0;
  o.max_backoff = 1000ms;
  // Upper edge of the jitter: the wait equals the ceiling.
  const auto high = policy_with(o, 0.999999);
  CHECK(high.next(1, 0ms).wait == 99ms);  // floor(100 * 0.999999)
  CHECK(high.next(2, 0ms).wait == 199ms);
  CHECK(high.next(3, 0ms).wait == 399ms);
  CHECK(high.next(4, 0ms).wait == 799ms);
  CHECK(high.next(5, 0ms).wait == 999ms);  // capped by max_backoff
  CHECK(high.next(9, 0ms).wait == 999ms);
  // Lower edge: full jitter may retry at once.
  const auto low = policy_with(o, 0.0);
  for (int n = 1; n < 10; ++n) CHECK(low.next(n, 0ms).wait == 0ms);
  // A real jitter source never leaves the bounds.
  RetryPolicy real(o, atlas::make_jitter_source(42));
  for (int n = 1; n < 10; ++n) {
    for (int i = 0; i < 200; ++i) {
      const auto d = real.next(n, 0ms);
      REQUIRE(d.retry);
      CHECK(d.wait >= 0ms);
      CHECK(d.wait <= real.backoff_ceiling(n));
    }
  }
}

TEST_CASE("retry policy: jitter is spread, not constant") {
  RetryOptions o;
  o.max_attempts = 5;
  o.initial_backoff = 10'000ms;
  RetryPolicy p(o, atlas::make_jitter_source(7));
  std::set<long> seen;
  for (int i = 0; i < 50; ++i) seen.insert(p.next(1, 0ms).wait.count());
  CHECK(seen.size() > 40);
}

TEST_CASE("retry policy: stops after max_attempts") {
  RetryOptions o;
  o.max_attempts = 3;
  const auto p = policy_with(o, 0.5);
  CHECK(p.next(1, 0ms).retry);
  CHECK(p.next(2, 0ms).retry);
  const auto d = p.next(3, 0ms);
  CHECK_FALSE(d.retry);
  CHECK(d.stop == RetryPolicy::Stop::attempts_exhausted);
  CHECK(atlas::to_string(d.stop) == "attempts_exhausted");
}

TEST_CASE("retry policy: a wait that would reach the deadline stops instead") {
  RetryOptions o;
  o.max_attempts = 100;
  o.deadline = 10'000ms;
  o.initial_backoff = 1000ms;
  const auto p = policy_with(o, 0.999);
  CHECK(p.next(1, 8'000ms).retry);  // 8000 + 999 < 10000
  const auto d = p.next(1, 9'500ms);  // 9500 + 999 >= 10000
  CHECK_FALSE(d.retry);
  CHECK(d.stop == RetryPolicy::Stop::deadline);
  // A server's Retry-After counts against the deadline too.
  CHECK(p.next(1, 0ms, 9'000ms).retry);
  CHECK(p.next(1, 2'000ms, 9'000ms).stop == RetryPolicy::Stop::deadline);
}

TEST_CASE("retry policy: Retry-After is honoured exactly and capped") {
  RetryOptions o;
  o.max_attempts = 5;
  o.initial_backoff = 100ms;
  o.max_retry_after = 5'000ms;
  const auto p = policy_with(o, 0.0);
  auto d = p.next(1, 0ms, 2'000ms);
  CHECK(d.retry);
  CHECK(d.wait == 2'000ms);  // longer than any jittered backoff would be
  CHECK_FALSE(d.retry_after_capped);
  // ... on every attempt, not only the first.
  CHECK(p.next(3, 0ms, 1'500ms).wait == 1'500ms);
  d = p.next(1, 0ms, 120'000ms);
  CHECK(d.wait == 5'000ms);
  CHECK(d.retry_after_capped);
}

TEST_CASE("parse_retry_after: milliseconds, seconds, HTTP dates, garbage") {
  const auto now = at(1'445'412'480);  // Wed, 21 Oct 2015 07:28:00 GMT
  using atlas::parse_retry_after;
  CHECK(parse_retry_after("1500", std::nullopt, now) == 1500ms);
  CHECK(parse_retry_after(std::nullopt, "2", now) == 2000ms);
  CHECK(parse_retry_after(std::nullopt, " 0.25 ", now) == 250ms);
  CHECK(parse_retry_after("800", "20", now) == 800ms);        // retry-after-ms wins
  CHECK(parse_retry_after("nonsense", "3", now) == 3000ms);   // falls back to retry-after
  CHECK(parse_retry_after(std::nullopt, "Wed, 21 Oct 2015 07:28:10 GMT", now) == 10'000ms);
  CHECK(parse_retry_after(std::nullopt, "Wednesday, 21-Oct-15 07:28:05 GMT", now) == 5'000ms);
  CHECK(parse_retry_after(std::nullopt, "Wed Oct 21 07:28:03 2015", now) == 3'000ms);
  CHECK(parse_retry_after(std::nullopt, "Wed, 21 Oct 2015 07:00:00 GMT", now) == 0ms);  // past
  CHECK_FALSE(parse_retry_after(std::nullopt, "-5", now));
  CHECK_FALSE(parse_retry_after(std::nullopt, "soon", now));
  CHECK_FALSE(parse_retry_after(std::nullopt, "", now));
  CHECK_FALSE(parse_retry_after("inf", "nan", now));
  CHECK_FALSE(parse_retry_after(std::nullopt, "Wed, 41 Foo 2015 07:28:10 GMT", now));
  // Absurd values are clamped, never overflow.
  const auto huge = parse_retry_after(std::nullopt, "1e300", now);
  REQUIRE(huge);
  CHECK(*huge > 0ms);
  RetryOptions o;
  o.max_retry_after = 60'000ms;
  CHECK(policy_with(o, 0).next(1, 0ms, huge).wait == 60'000ms);
}
