#include <doctest/doctest.h>

#include "atlas/worker/circuit_breaker.hpp"

using namespace atlas::worker;
using namespace std::chrono_literals;

namespace {
const Classification kRetryable{Outcome::retry_same_model, "server_error", ""};
const Classification kPermanent{Outcome::fail_permanent, "unauthorized", ""};
const Classification kNextModel{Outcome::next_model, "context_length_exceeded", ""};
const TimePoint t0{};
}  // namespace

TEST_CASE("worker circuit: fail_permanent opens at once for the cooldown") {
  CircuitBreaker b({5, 60s});
  CHECK(b.allow(t0));
  b.record_failure(kPermanent, t0);
  CHECK(b.state(t0) == CircuitState::open);
  CHECK_FALSE(b.allow(t0 + 59s));
  REQUIRE(b.open_until().has_value());
  CHECK(*b.open_until() == t0 + 60s);
  CHECK(b.last_reason() == "unauthorized");
}

TEST_CASE("worker circuit: N consecutive retryable failures open it; a success resets the count") {
  CircuitBreaker b({3, 10s});
  b.record_failure(kRetryable, t0);
  b.record_failure(kRetryable, t0);
  b.record_success();
  b.record_failure(kRetryable, t0);
  b.record_failure(kRetryable, t0);
  CHECK(b.state(t0) == CircuitState::closed);
  CHECK(b.consecutive_failures() == 2);
  b.record_failure(kRetryable, t0);
  CHECK(b.state(t0) == CircuitState::open);
}

TEST_CASE("worker circuit: next_model outcomes do not count against the provider") {
  CircuitBreaker b({2, 10s});
  for (int i = 0; i < 10; ++i) b.record_failure(kNextModel, t0);
  CHECK(b.state(t0) == CircuitState::closed);
  CHECK(b.allow(t0));
}

TEST_CASE("worker circuit: half-open lets one probe through; its result decides") {
  CircuitBreaker b({1, 10s});
  b.record_failure(kPermanent, t0);
  CHECK(b.state(t0 + 10s) == CircuitState::half_open);
  CHECK(b.allow(t0 + 10s));        // the probe
  CHECK_FALSE(b.allow(t0 + 11s));  // others wait for it
  SUBCASE("success closes") {
    b.record_success();
    CHECK(b.state(t0 + 12s) == CircuitState::closed);
    CHECK(b.allow(t0 + 12s));
  }
  SUBCASE("failure re-opens for another cooldown") {
    b.record_failure(kRetryable, t0 + 12s);
    CHECK(b.state(t0 + 12s) == CircuitState::open);
    CHECK_FALSE(b.allow(t0 + 21s));
    CHECK(b.allow(t0 + 22s));
  }
  SUBCASE("a next_model answer shows the provider is up") {
    b.record_failure(kNextModel, t0 + 12s);
    CHECK(b.state(t0 + 12s) == CircuitState::closed);
  }
  SUBCASE("a probe that never reports is forgotten after a cooldown") {
    CHECK_FALSE(b.allow(t0 + 19s));
    CHECK(b.allow(t0 + 20s));
  }
}

TEST_CASE("worker circuit: breakers are per provider and offline never opens") {
  CircuitBreakers all({1, 30s});
  all.record_failure(Provider::openai, kPermanent, t0);
  CHECK_FALSE(all.allow(Provider::openai, t0 + 1s));
  CHECK(all.allow(Provider::anthropic, t0 + 1s));
  CHECK(all.state(Provider::openai, t0 + 1s) == CircuitState::open);
  CHECK(all.state(Provider::anthropic, t0 + 1s) == CircuitState::closed);
  CHECK(all.open_until(Provider::openai) == std::optional<TimePoint>(t0 + 30s));
  all.record_failure(Provider::offline, kPermanent, t0);
  CHECK(all.allow(Provider::offline, t0));
  CHECK(all.state(Provider::offline, t0) == CircuitState::closed);
}
