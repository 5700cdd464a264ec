#include "atlas/worker/circuit_breaker.hpp"

#include <algorithm>

namespace atlas::worker {

std::string_view to_string(CircuitState state) {
  switch (state) {
    case CircuitState::closed: return "closed";
    case CircuitState::open: return "open";
    case CircuitState::half_open: return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(CircuitOptions options) : options_(options) {
  options_.failure_threshold = std::max(1, options_.failure_threshold);
  options_.cooldown = std::max(milliseconds(0), options_.cooldown);
}

bool CircuitBreaker::allow(TimePoint now) {
  if (!open_) return true;
  if (now < open_until_) return false;
  // Half-open: one probe at a time; a probe silent for a cooldown is forgotten.
  if (probe_in_flight_ && now < probe_started_ + options_.cooldown) return false;
  probe_in_flight_ = true;
  probe_started_ = now;
  return true;
}

void CircuitBreaker::record_success() {
  open_ = false;
  probe_in_flight_ = false;
  failures_ = 0;
}

void CircuitBreaker::open(TimePoint now, std::string reason) {
  open_ = true;
  open_until_ = now + options_.cooldown;
  probe_in_flight_ = false;
  last_reason_ = std::move(reason);
}

void CircuitBreaker::record_failure(const Classification& failure, TimePoint now) {
  switch (failure.outcome) {
    case Outcome::fail_permanent:
      failures_ = 0;
      open(now, failure.reason);
      return;
    case Outcome::retry_same_model:
      if (open_) {
        // A failed probe (or a late report from before the circuit opened)
        // keeps it open for another cooldown.
        open(now, failure.reason);
        return;
      }
      if (++failures_ >= options_.failure_threshold) {
        failures_ = 0;
        open(now, failure.reason);
      }
      return;
    case Outcome::next_model:
      // The provider answered sensibly about this model: it is up.
      if (open_ && probe_in_flight_) record_success();
      return;
  }
}

CircuitState CircuitBreaker::state(TimePoint now) const {
  if (!open_) return CircuitState::closed;
  return now < open_until_ ? CircuitState::open : CircuitState::half_open;
}

std::optional<TimePoint> CircuitBreaker::open_until() const {
  if (!open_) return std::nullopt;
  return open_until_;
}

CircuitBreakers::CircuitBreakers(CircuitOptions options)
    : options_(options),
      breakers_{CircuitBreaker(options), CircuitBreaker(options), CircuitBreaker(options),
                CircuitBreaker(options)} {}

bool CircuitBreakers::allow(Provider provider, TimePoint now) {
  if (provider == Provider::offline) return true;
  std::lock_guard lock(mutex_);
  return breakers_[index(provider)].allow(now);
}

void CircuitBreakers::record_success(Provider provider) {
  if (provider == Provider::offline) return;
  std::lock_guard lock(mutex_);
  breakers_[index(provider)].record_success();
}

void CircuitBreakers::record_failure(Provider provider, const Classification& failure,
                                     TimePoint now) {
  if (provider == Provider::offline) return;
  std::lock_guard lock(mutex_);
  breakers_[index(provider)].record_failure(failure, now);
}

CircuitState CircuitBreakers::state(Provider provider, TimePoint now) const {
  if (provider == Provider::offline) return CircuitState::closed;
  std::lock_guard lock(mutex_);
  return breakers_[index(provider)].state(now);
}

std::optional<TimePoint> CircuitBreakers::open_until(Provider provider) const {
  if (provider == Provider::offline) return std::nullopt;
  std::lock_guard lock(mutex_);
  return breakers_[index(provider)].open_until();
}

}  // namespace atlas::worker
