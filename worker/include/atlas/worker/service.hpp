#pragma once
// atlas-worker's running part: the consumer of architect_in and the
// asynchronous pipeline behind it (docs/worker.md).
//
// Threads, and what each may do:
//   - the consumer's poll thread (run() on the caller's thread): hands each
//     message to the event loop and returns at once;
//   - one event-loop thread (Boost.Asio io_context): owns every task's state
//     and every decision; never blocks. Timers (backoff, lease waits, the
//     sync loop) are asio timers on it;
//   - the HTTP client's thread (libcurl multi): every LLM and RAG call, each
//     completion posted back to the event loop;
//   - librdkafka's threads: delivery reports, posted back to the event loop;
//   - WORKER_DB_CONNECTIONS database threads: the blocking PostgreSQL calls
//     (TaskLedger), results posted back to the event loop.
// So one process holds thousands of tasks in flight on one thread of
// decisions, with no thread per task.
//
// Lifecycle: construct (connects nothing yet), run() until stop() from a
// signal handler thread; run() returns after the consumer has drained
// in-flight work (WORKER_SHUTDOWN_GRACE_S), stored offsets and closed, and the
// producer has flushed.
#include <memory>

#include <prometheus/registry.h>

#include "atlas/config.hpp"
#include "atlas/log.hpp"
#include "atlas/metrics.hpp"
#include "atlas/worker/worker_config.hpp"

namespace atlas::worker {

class WorkerService {
 public:
  // Creates the clients (Kafka producer and consumer, PostgreSQL pool, HTTP
  // client), registers the metrics and the readiness checks on `endpoints`.
  // Throws when a client cannot be created.
  WorkerService(WorkerConfig config, CommonConfig common, Logger& logger,
                ObservabilityEndpoints& endpoints);
  ~WorkerService();
  WorkerService(const WorkerService&) = delete;
  WorkerService& operator=(const WorkerService&) = delete;

  // Reads the shared settings (set_budget) and the control log position,
  // then consumes until stop(). Throws when the database cannot be reached
  // at start (the process exits non-zero and is restarted).
  void run();
  // Thread-safe; run() then finishes its in-flight work and returns.
  void stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atlas::worker
