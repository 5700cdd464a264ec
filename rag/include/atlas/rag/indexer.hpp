#pragma once
// Background indexing: jobs from /v1/embed_batch wait in a bounded queue and
// run on a few indexing threads; docs.added events run on the same threads
// (bounded by the Kafka consumer's max_inflight instead of the queue).
//
// A job indexes its documents one by one (each in its own transaction, see
// Store::index_document), keeps its rag_jobs row up to date (at most every
// progress_interval, and at the end), and ends `done`, or `failed` when any
// document failed; the errors name the documents.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/log.hpp"
#include "atlas/rag/documents.hpp"
#include "atlas/rag/job.hpp"
#include "atlas/rag/metrics.hpp"
#include "atlas/rag/requests.hpp"
#include "atlas/rag/store.hpp"
#include "atlas/work_pool.hpp"
#include "atlas/uuid.hpp"

namespace atlas::rag {

struct IndexerOptions {
  std::size_t threads = 2;                // indexing threads
  std::size_t max_queued_jobs = 16;       // embed_batch jobs waiting; more: 503
  std::chrono::milliseconds progress_interval{500};
};

struct JobOutcome {
  JobState state = JobState::done;
  JobProgress progress;
  // Some document failed because the database was unavailable or timed out:
  // running the job again later may succeed.
  bool retryable = false;
  // The job stopped early because the Indexer is shutting down.
  bool interrupted = false;
};

class Indexer {
 public:
  Indexer(Store& store, RagMetrics& metrics, Logger& logger, IndexerOptions options = {});
  ~Indexer();  // stop()
  Indexer(const Indexer&) = delete;
  Indexer& operator=(const Indexer&) = delete;

  // Blocks on the database: call it from a WorkPool thread. Reserves a place
  // in the queue, records the job (queued) and queues it. nullopt when the
  // queue is full (nothing recorded). Throws what Store throws when the job
  // cannot be recorded (the place is given back).
  std::optional<Uuid> submit(EmbedRequest request);

  // Runs `task` on an indexing thread, outside the queue limit. False when
  // stopping.
  bool post_event_task(std::function<void()> task);

  // Runs a job on the calling thread: records it (running, origin), indexes
  // the documents and records the outcome. Never throws: a job that cannot be
  // recorded at all is logged and reported as failed and retryable.
  JobOutcome run_now(const Uuid& id, std::string_view origin, const std::vector<Document>& documents,
                     const ChunkOptions& chunking);

  // Stops taking work and joins the threads. Jobs still queued are recorded
  // as failed without running, and a running job stops after its current
  // document (failed, "interrupted"): clients submit them again.
  void stop();
  [[nodiscard]] bool stopping() const { return stopping_.load(); }

  [[nodiscard]] std::size_t queued() const { return pool_.queued(); }

 private:
  JobOutcome run_job(const Uuid& id, const std::vector<Document>& documents,
                     const ChunkOptions& chunking);

  Store& store_;
  RagMetrics& metrics_;
  Logger& logger_;
  IndexerOptions options_;
  std::atomic<bool> stopping_{false};
  WorkPool pool_;
};

}  // namespace atlas::rag
