#pragma once
// Per-provider circuit breakers (DESIGN section 6): a provider that fails for
// good (fail_permanent: bad key, no quota, invalid request) or fails
// `failure_threshold` times in a row with retryable errors is skipped by
// every task until its cooldown ends. Then one task may probe it (half-open):
// success closes the circuit, failure opens it for another cooldown.
//
//   closed --fail_permanent or N retryable failures--> open
//   open --cooldown over, next allow()--> half-open (one probe in flight)
//   half-open --success or a next_model answer--> closed
//   half-open --failure--> open
//
// next_model outcomes (context too long, model not found) say nothing about
// the provider's health: they leave a closed circuit's failure count alone
// and close a half-open one (the provider did answer). A probe that never
// reports back (its task died) is forgotten after a cooldown.
// Time is a parameter; nothing here reads a clock.
#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "atlas/worker/clock.hpp"
#include "atlas/worker/errors.hpp"
#include "atlas/worker/model_ref.hpp"

namespace atlas::worker {

struct CircuitOptions {
  int failure_threshold = 5;       // consecutive retryable failures that open it
  milliseconds cooldown{60'000};   // how long it stays open
};

enum class CircuitState { closed, open, half_open };
[[nodiscard]] std::string_view to_string(CircuitState state);

// One provider's breaker. Not thread-safe; CircuitBreakers locks.
class CircuitBreaker {
 public:
  explicit CircuitBreaker(CircuitOptions options = {});

  // May a call start now? In half-open, true once (the probe).
  [[nodiscard]] bool allow(TimePoint now);
  void record_success();
  void record_failure(const Classification& failure, TimePoint now);

  [[nodiscard]] CircuitState state(TimePoint now) const;
  // While open: when a probe becomes allowed.
  [[nodiscard]] std::optional<TimePoint> open_until() const;
  [[nodiscard]] int consecutive_failures() const { return failures_; }
  [[nodiscard]] const std::string& last_reason() const { return last_reason_; }

 private:
  void open(TimePoint now, std::string reason);

  CircuitOptions options_;
  bool open_ = false;
  TimePoint open_until_{};
  bool probe_in_flight_ = false;
  TimePoint probe_started_{};
  int failures_ = 0;
  std::string last_reason_;
};

// The breakers of every provider, shared by all tasks of a worker (owned by
// main). Thread-safe. The offline provider never opens.
class CircuitBreakers {
 public:
  explicit CircuitBreakers(CircuitOptions options = {});

  [[nodiscard]] bool allow(Provider provider, TimePoint now);
  void record_success(Provider provider);
  void record_failure(Provider provider, const Classification& failure, TimePoint now);

  [[nodiscard]] CircuitState state(Provider provider, TimePoint now) const;
  [[nodiscard]] std::optional<TimePoint> open_until(Provider provider) const;
  [[nodiscard]] const CircuitOptions& options() const { return options_; }

 private:
  static std::size_t index(Provider provider) { return static_cast<std::size_t>(provider); }

  CircuitOptions options_;
  mutable std::mutex mutex_;
  std::array<CircuitBreaker, 4> breakers_;
};

}  // namespace atlas::worker
