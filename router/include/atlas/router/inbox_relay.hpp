#pragma once
// The inbox relay (DESIGN G3): rows that any client inserts into PostgreSQL
// public.architect_in with relayed_at NULL (the manual's Supabase path)
// reach the architect_in topic within a second, once, however many router
// replicas run.
//
// One thread per replica, holding one pooled connection that LISTENs on
// architect_in_relay (migration 003 NOTIFYs it on every unrelayed insert) and
// wakes at least every ROUTER_RELAY_POLL_S in case a notification was missed.
// Each batch is one transaction:
//
//   SELECT ... WHERE relayed_at IS NULL ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED
//   produce each row (key = task_id, acks=all) and wait for the acknowledgements
//   UPDATE ... SET relayed_at = now() for the acknowledged rows; COMMIT
//
// SKIP LOCKED lets replicas share the backlog without waiting on each other;
// a row is stamped in the same transaction that locked it, after Kafka
// acknowledged it, so it is published once (or, if a replica dies between the
// acknowledgement and the commit, once more with the same task id, which the
// workers absorb: G4). Rows whose data is not a valid envelope go to
// architect_dlq (atlas-error-class invalid_input) and are stamped too, so
// nothing loops and nothing is lost. Rows already stamped (the worker's
// mirror of bus messages) are never touched.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include <pqxx/connection>

#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/router/metrics.hpp"

namespace atlas::router {

inline constexpr const char* kInboxRelayChannel = "architect_in_relay";

struct InboxRelayOptions {
  std::string topic_in = "architect_in";
  std::string topic_dlq = "architect_dlq";
  std::chrono::milliseconds poll_interval{500};
  int batch_size = 100;
  std::chrono::milliseconds ack_timeout{30'000};  // per batch
  std::chrono::milliseconds max_backoff{10'000};  // after failures
};

class InboxRelay {
 public:
  InboxRelay(InboxRelayOptions options, pg::Pool& pool, kafka::Producer& producer,
             RouterMetrics& metrics, Logger& logger);
  ~InboxRelay();  // stop()
  InboxRelay(const InboxRelay&) = delete;
  InboxRelay& operator=(const InboxRelay&) = delete;

  void start();
  // Ends the thread after the batch in progress (at most ack_timeout).
  void stop();

  // Rows relayed by this replica so far (tests, logs).
  [[nodiscard]] std::uint64_t relayed() const { return relayed_.load(); }
  // True while the relay's connection is up and listening.
  [[nodiscard]] bool healthy() const { return healthy_.load(); }

 private:
  void run();
  // Relays one batch; returns the rows handled (0: nothing waiting) or -1
  // when some row could not be published (back off).
  int relay_batch(pqxx::connection& conn);
  // Sleeps up to `delay` unless stop() is called; false when stopping.
  bool pause(std::chrono::milliseconds delay);

  InboxRelayOptions options_;
  pg::Pool& pool_;
  kafka::Producer& producer_;
  RouterMetrics& metrics_;
  Logger& logger_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> healthy_{false};
  std::atomic<std::uint64_t> relayed_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace atlas::router
