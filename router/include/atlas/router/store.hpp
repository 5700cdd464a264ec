#pragma once
// The router's PostgreSQL statements (schema/sql/001, 003, 005), each one
// round trip on a pooled connection. Every call blocks: run them on the
// router's work pool, never on an HTTP I/O thread or a Kafka callback.
// Errors propagate as atlas::pg::Error or pqxx exceptions.
//
// Claims and confirmations of webhook dedupe keys are batched by
// DedupeBatcher (dedupe_batcher.hpp); release() and prune() are here.
// Single statements run outside an explicit transaction (one round trip).
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/pg/pool.hpp"
#include "atlas/uuid.hpp"

namespace atlas::router {

// The verdict of a dedupe claim (DedupeBatcher).
struct ClaimResult {
  bool duplicate = false;
  std::optional<std::string> published_task_id;  // the first delivery's task id, when duplicate
};

class RouterStore {
 public:
  explicit RouterStore(pg::Pool& pool) : pool_(pool) {}

  // When a request could not be made durable: its 'claimed' keys go, so the
  // sender's retry is not mistaken for a duplicate.
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
  // Runs f(pqxx::transaction_base&) as one autocommitted statement on a leased
  // connection; a broken connection is discarded.
  template <class F>
  auto statement(F&& f);

  pg::Pool& pool_;
};

// {"a","b"} as a PostgreSQL array literal (each element quoted, '"' and '\'
// escaped): lists travel to SQL as one $1::text[] (uuid[], bigint[])
// parameter, since libpqxx 6 has no array parameters.
[[nodiscard]] std::string pg_array_literal(const std::vector<std::string>& items);

}  // namespace atlas::router
