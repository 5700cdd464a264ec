#include "atlas/router/channel_rate_limit.hpp"

#include <algorithm>

namespace atlas::router {

ChannelRateLimiter::ChannelRateLimiter(std::chrono::milliseconds interval, std::size_t max_channels)
    : interval_(std::max(interval, std::chrono::milliseconds(0))),
      max_channels_(std::max<std::size_t>(1, max_channels)) {}

ChannelRateLimiter::Clock::time_point ChannelRateLimiter::reserve(std::string_view channel,
                                                                  Clock::time_point now) {
  if (next_.size() >= max_channels_) prune(now);
  auto [it, inserted] = next_.try_emplace(std::string(channel), now);
  const Clock::time_point slot = inserted ? now : std::max(now, it->second);
  it->second = slot + interval_;
  return slot;
}

void ChannelRateLimiter::hold(std::string_view channel, Clock::time_point until) {
  auto [it, inserted] = next_.try_emplace(std::string(channel), until);
  if (!inserted) it->second = std::max(it->second, until);
}

std::optional<ChannelRateLimiter::Clock::time_point> ChannelRateLimiter::next_free(
    std::string_view channel) const {
  const auto it = next_.find(std::string(channel));
  if (it == next_.end()) return std::nullopt;
  return it->second;
}

void ChannelRateLimiter::prune(Clock::time_point now) {
  for (auto it = next_.begin(); it != next_.end();) {
    it = it->second <= now ? next_.erase(it) : std::next(it);
  }
}

}  // namespace atlas::router
