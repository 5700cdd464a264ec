#pragma once
// Webhook dedupe, front cache: a TTL set of dedupe keys for one router
// replica. It answers "seen recently?" without a database round trip for
// the common case (Slack retrying within seconds); the fleet-wide record is
// PostgreSQL (proposed table below), which every replica consults before
// publishing. Memory is bounded: past max_entries the oldest keys go first.
// Time is passed in. Not thread-safe: guard it in the adapter.
//
// Proposed shared store (schema/sql, owned by the foundation):
//
//   CREATE TABLE IF NOT EXISTS router_webhook_dedupe (
//     dedupe_key  text PRIMARY KEY,             -- "slack:event:Ev123", "github:delivery:..."
//     task_id     uuid NOT NULL,                -- the chat published for it
//     state       text NOT NULL DEFAULT 'claimed' CHECK (state IN ('claimed', 'published')),
//     created_at  timestamptz NOT NULL DEFAULT now(),
//     expires_at  timestamptz NOT NULL           -- created_at + 24 h (>= the 10 min required)
//   );
//   CREATE INDEX IF NOT EXISTS router_webhook_dedupe_expires_at
//     ON router_webhook_dedupe (expires_at);
//
//   -- claim every key of a request in one statement; a key held by an
//   -- unexpired row is not taken, so fewer rows back means "duplicate":
//   INSERT INTO router_webhook_dedupe (dedupe_key, task_id, expires_at)
//   SELECT k, $2::uuid, now() + interval '24 hours' FROM unnest($1::text[]) AS k
//   ON CONFLICT (dedupe_key) DO UPDATE
//     SET task_id = EXCLUDED.task_id, state = 'claimed', created_at = now(),
//         expires_at = EXCLUDED.expires_at
//     WHERE router_webhook_dedupe.expires_at < now()
//   RETURNING dedupe_key;
//   -- after the Kafka ack: UPDATE ... SET state = 'published' WHERE dedupe_key = ANY($1);
//   -- when publishing fails: DELETE ... WHERE dedupe_key = ANY($1) AND state = 'claimed';
//   -- housekeeping: DELETE FROM router_webhook_dedupe WHERE expires_at < now() - interval '1 hour';
//
// A duplicate whose row is still 'claimed' (the first replica crashed before
// the ack) is published again: the task id is derived from the primary key
// (webhook_task_id), so the copy carries the same task_id and is absorbed
// downstream (G2, G4), and G1 holds.
#include <chrono>
#include <cstddef>
#include <deque>
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
  std::unordered_map<std::string, Clock::time_point> expiry_;
  // Insertion order; every key appears once per insertion. Entries whose
  // expiry no longer matches the map (renewed or erased keys) are skipped.
  std::deque<std::pair<Clock::time_point, std::string>> order_;
};

}  // namespace atlas::router
