#pragma once
// Webhook dedupe, front cache: a TTL set of dedupe keys for one router
// replica. It answers "seen recently?" without a database round trip for
// the common case (a sender retrying within seconds); the fleet-wide record
// is the table router_webhook_dedupe (migrations 005 and 007), which every
// replica claims keys in before publishing (DedupeBatcher). Memory is
// bounded: past max_entries the oldest keys go first. Time is passed in. Not
// thread-safe: guard it in the adapter.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace atlas::router {

inline constexpr std::chrono::hours kDedupeWindow{24};

class TtlSet {
 public:
  using Clock = std::chrono::steady_clock;

  TtlSet(std::chrono::milliseconds ttl, std::size_t max_entries);

  // Adds `key` (or renews it when expired). True when it was not present.
  bool insert(std::string_view key, Clock::time_point now);
  [[nodiscard]] bool contains(std::string_view key, Clock::time_point now) const;
  // True when any key is present (the request is a duplicate).
  [[nodiscard]] bool contains_any(const std::vector<std::string>& keys, Clock::time_point now) const;
  // Adds every key (after a successful publish).
  void insert_all(const std::vector<std::string>& keys, Clock::time_point now);
  void erase(std::string_view key);
  // Drops expired keys; insert() does this as it goes.
  void prune(Clock::time_point now);

  [[nodiscard]] std::size_t size() const { return expiry_.size(); }

 private:
  void evict_front();

  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  // Looked up by string_view without building a std::string.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::unordered_map<std::string, Clock::time_point, KeyHash, std::equal_to<>> expiry_;
  // Insertion order; every key appears once per insertion. Entries whose
  // expiry no longer matches the map (renewed or erased keys) are skipped.
  std::deque<std::pair<Clock::time_point, std::string>> order_;
};

}  // namespace atlas::router
