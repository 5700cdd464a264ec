#pragma once
// "At most one message a second per channel" (Slack's chat.postMessage
// limit), as a next-allowed-time scheduler. reserve() books the earliest free
// slot for a channel and says when it is; the caller waits until then (on a
// timer, not a sleep in a callback). Time is passed in, so tests control it.
// The limit is per router replica: replicas do not share slots. Not
// thread-safe: one owner (the delivery loop) calls it.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace atlas::router {

class ChannelRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ChannelRateLimiter(std::chrono::milliseconds interval = std::chrono::seconds(1),
                              std::size_t max_channels = 100'000);

  // Books the channel's next slot: the returned time is >= now, and the
  // following reservation for the channel is at least `interval` later.
  Clock::time_point reserve(std::string_view channel, Clock::time_point now);

  // Pushes the channel's next free slot to at least `until` (the server asked
  // to wait: Retry-After).
  void hold(std::string_view channel, Clock::time_point until);

  // When the channel's next slot is free (nullopt: free now, never used or forgotten).
  [[nodiscard]] std::optional<Clock::time_point> next_free(std::string_view channel) const;

  // Forgets channels whose next slot is already free at `now`. reserve()
  // calls it when more than max_channels are tracked, which bounds memory.
  void prune(Clock::time_point now);

  [[nodiscard]] std::size_t size() const { return next_.size(); }

 private:
  std::chrono::milliseconds interval_;
  std::size_t max_channels_;
  std::unordered_map<std::string, Clock::time_point> next_;
};

}  // namespace atlas::router
