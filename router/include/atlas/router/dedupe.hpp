#pragma once
// Webhook dedupe, front cache: a TTL set of dedupe keys for one router
// replica. It answers "seen recently?" without a database round trip for
// the common case (a sender retrying within seconds); the fleet-wide record
// is the table router_webhook_dedupe (migrations 005 and 007), which every
// replica claims keys in before publishing (DedupeBatcher). Memory is
// bounded: past max_entries the oldest keys go first. Time is passed in. Not
// thread-safe: guard it in the adapter.
//
// It keeps a 128-bit fingerprint of each key, not the key: a lookup or an
// insert then costs no string copy, no allocation for the text and no chase
// of a pointer to it (the set sits on every request's path; with the
// strings, a profile at 20,000 webhooks/s put 8% of the HTTP threads' time
// under it). Two
// keys sharing a fingerprint would make a new request look like a duplicate;
// with two independent 64-bit hashes and 100,000 keys that is about one
// chance in 10^33 per request. Keys are ids that Slack and GitHub assign,
// inside requests whose signature was checked, so nobody picks them to collide.
#include <chrono>
#include <cstddef>
#include <cstdint>
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

  struct Fingerprint {
    std::uint64_t first = 0;   // std::hash (MurmurHash2 in libstdc++)
    std::uint64_t second = 0;  // FNV-1a
    bool operator==(const Fingerprint&) const = default;
  };
  struct FingerprintHash {
    std::size_t operator()(const Fingerprint& f) const { return f.first; }
  };
  static Fingerprint fingerprint(std::string_view key);
  [[nodiscard]] bool contains(const Fingerprint& f, Clock::time_point now) const;
  bool insert(const Fingerprint& f, Clock::time_point now);

  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  std::unordered_map<Fingerprint, Clock::time_point, FingerprintHash> expiry_;
  // Insertion order; every key appears once per insertion. Entries whose
  // expiry no longer matches the map (renewed or erased keys) are skipped.
  std::deque<std::pair<Clock::time_point, Fingerprint>> order_;
};

}  // namespace atlas::router
