#include "atlas/router/dedupe.hpp"

#include <algorithm>

namespace atlas::router {

TtlSet::TtlSet(std::chrono::milliseconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(std::max<std::size_t>(1, max_entries)) {}

bool TtlSet::contains(std::string_view key, Clock::time_point now) const {
  const auto it = expiry_.find(key);
  return it != expiry_.end() && it->second > now;
}

bool TtlSet::contains_any(const std::vector<std::string>& keys, Clock::time_point now) const {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const std::string& key) { return contains(key, now); });
}

void TtlSet::evict_front() {
  auto [expiry, key] = std::move(order_.front());
  order_.pop_front();
  const auto it = expiry_.find(key);
  if (it != expiry_.end() && it->second == expiry) expiry_.erase(it);
}

void TtlSet::prune(Clock::time_point now) {
  // All keys share one TTL, so insertion order is expiry order.
  while (!order_.empty() && order_.front().first <= now) evict_front();
}

bool TtlSet::insert(std::string_view key, Clock::time_point now) {
  prune(now);
  const Clock::time_point expires = now + ttl_;
  auto [it, inserted] = expiry_.try_emplace(std::string(key), expires);
  if (!inserted) return false;  // present and unexpired (prune removed the expired)
  order_.emplace_back(expires, it->first);
  while (expiry_.size() > max_entries_ && !order_.empty()) evict_front();
  // Stale order_ entries (erased keys) are bounded too.
  while (order_.size() > 2 * max_entries_) evict_front();
  return true;
}

void TtlSet::insert_all(const std::vector<std::string>& keys, Clock::time_point now) {
  for (const auto& key : keys) insert(key, now);
}

void TtlSet::erase(std::string_view key) {
  if (const auto it = expiry_.find(key); it != expiry_.end()) expiry_.erase(it);
}

}  // namespace atlas::router
