#pragma once
// The router's PostgreSQL statements (schema/sql/001, 003, 005), each one
// round trip on a pooled connection. Every call blocks: run them on the
// router's work pool, never on an HTTP I/O thread or a Kafka callback.
// Errors propagate as atlas::pg::Error or pqxx exceptions.
//
// Webhook dedupe (router_webhook_dedupe), shared by every replica:
//   claim()    claims the request's keys for its task id; a key already held
//              by an unexpired 'published' row makes the request a duplicate.
//              Keys held only by 'claimed' rows (another replica is making the
//              same request durable right now, or crashed doing so) do not:
//              the request is published again with the same task id, which
//              downstream absorbs (G2, G4), so G1 never depends on another
//              replica finishing.
//   confirm()  after the request is durable: its keys become 'published'.
//   release()  when it could not be made durable: our 'claimed' rows go, so
//              the sender's retry is not mistaken for a duplicate.
//   prune()    deletes expired keys (housekeeping).
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/pg/pool.hpp"
#include "atlas/uuid.hpp"

namespace atlas::router {

struct ClaimResult {
  bool duplicate = false;
  std::optional<std::string> published_task_id;  // the first delivery's task id, when duplicate
};

class RouterStore {
 public:
  explicit RouterStore(pg::Pool& pool) : pool_(pool) {}

  ClaimResult claim(const std::vector<std::string>& keys, const Uuid& task_id,
                    std::chrono::seconds ttl);
  void confirm(const std::vector<std::string>& keys);
  void release(const std::vector<std::string>& keys, const Uuid& task_id);
  // Deletes up to `limit` expired keys; returns how many.
  std::size_t prune(std::size_t limit);

  // The Slack fallback (G1 when Kafka is slow): the request becomes a row of
  // public.architect_in with relayed_at NULL, which the inbox relay publishes.
  // True when the row is there afterwards (inserted now or already present).
  bool insert_unrelayed_request(const Uuid& task_id, std::string_view envelope_json);
  // The request reached Kafka after all: stamp its row so the relay skips it.
  void mark_relayed(const Uuid& task_id);

  // G2: architect_out gets each message once (the worker may have written it).
  // True when this call inserted the row.
  bool record_reply(const std::string& task_id, std::string_view envelope_json);

  pg::Pool& pool() { return pool_; }

 private:
  pg::Pool& pool_;
};

// ["a","b"] as JSON text: lists travel to SQL as one jsonb parameter
// (jsonb_array_elements_text), since libpqxx 6 has no array parameters.
[[nodiscard]] std::string json_text_array(const std::vector<std::string>& items);

}  // namespace atlas::router
