#pragma once
// A tenacity-style retry policy shared by the LLM chain and reply delivery.
//
// It only decides; it never sleeps. The caller says how many attempts were
// made, how long ago the first one started (its own clock, so tests control
// time) and what the server asked for (Retry-After), and gets back "retry
// after W" or "stop, because ...". Randomness (the jitter) is injected too.
//
//   wait = retry_after ? min(retry_after, max_retry_after)           (honoured, capped)
//                      : uniform(0, min(max_backoff,
//                                       initial_backoff * multiplier^(n-1)))  (full jitter)
//   stop when n >= max_attempts, or when waiting would reach the deadline.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace atlas {

struct RetryOptions {
  int max_attempts = 3;                          // attempts in all, the first included
  std::chrono::milliseconds deadline{0};         // since the first attempt; 0 = none
  std::chrono::milliseconds initial_backoff{500};
  double multiplier = 2.0;
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds max_retry_after{60'000};  // cap on a server's Retry-After
};

// Uniform random numbers in [0, 1).
using JitterSource = std::function<double()>;

// A JitterSource backed by Boost.Random's mt19937_64, seeded from `seed`
// (std::random_device when nullopt). Not thread-safe: one per thread or owner.
JitterSource make_jitter_source(std::optional<std::uint64_t> seed = std::nullopt);

class RetryPolicy {
 public:
  enum class Stop { none, attempts_exhausted, deadline };

  struct Decision {
    bool retry = false;
    std::chrono::milliseconds wait{0};
    Stop stop = Stop::none;
    bool retry_after_capped = false;  // the server asked for more than max_retry_after
  };

  RetryPolicy(RetryOptions options, JitterSource jitter);

  // `attempts_made` >= 1: attempts finished so far. `elapsed`: time since the
  // first attempt started. `retry_after`: the server's requested wait, if any.
  [[nodiscard]] Decision next(int attempts_made, std::chrono::milliseconds elapsed,
                              std::optional<std::chrono::milliseconds> retry_after = std::nullopt) const;

  // The upper bound of the jittered wait after `attempts_made` attempts.
  [[nodiscard]] std::chrono::milliseconds backoff_ceiling(int attempts_made) const;

  [[nodiscard]] const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  JitterSource jitter_;
};

std::string_view to_string(RetryPolicy::Stop stop);

// Reads a server's requested wait from the value of `retry-after-ms`
// (milliseconds, OpenAI) or `retry-after` (delta-seconds, possibly
// fractional, or an HTTP-date, RFC 9110 section 10.2.3). retry-after-ms wins
// when both are present and valid. A date in the past means 0. Malformed or
// negative values are ignored (nullopt).
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::optional<std::string_view> retry_after_ms, std::optional<std::string_view> retry_after,
    std::chrono::system_clock::time_point now);

// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form); nullopt if malformed.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

}  // namespace atlas
