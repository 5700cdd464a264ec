#include "atlas/rag/indexer.hpp"

#include <memory>

#include "atlas/rag/failure.hpp"

namespace atlas::rag {

Indexer::Indexer(Store& store, RagMetrics& metrics, Logger& logger, IndexerOptions options)
    : store_(store),
      metrics_(metrics),
      logger_(logger),
      options_(options),
      pool_("index", options.threads, options.max_queued_jobs, logger) {}

Indexer::~Indexer() { stop(); }

void Indexer::stop() {
  stopping_.store(true);
  pool_.stop();
}

std::optional<Uuid> Indexer::submit(EmbedRequest request) {
  auto place = pool_.reserve();
  if (!place) return std::nullopt;
  const Uuid id = Uuid::random_v4();
  store_.create_job(id, "http", JobState::queued, static_cast<int>(request.documents.size()));
  metrics_.jobs_queued.Increment();
  auto shared = std::make_shared<EmbedRequest>(std::move(request));
  place->post([this, id, shared] {
    metrics_.jobs_queued.Decrement();
    (void)run_job(id, shared->documents, shared->chunking);
  });
  return id;
}

bool Indexer::post_event_task(std::function<void()> task) {
  return pool_.post_unbounded(std::move(task));
}

JobOutcome Indexer::run_now(const Uuid& id, std::string_view origin,
                            const std::vector<Document>& documents, const ChunkOptions& chunking) {
  try {
    store_.create_job(id, origin, JobState::running, static_cast<int>(documents.size()));
  } catch (...) {
    const Failure failure = classify_current_exception();
    metrics_.error(failure.kind);
    logger_.error("could not record an indexing job",
                  {{"job_id", id.to_string()}, {"error", failure.reason}});
    JobOutcome outcome;
    outcome.state = JobState::failed;
    outcome.progress.documents = static_cast<int>(documents.size());
    outcome.progress.add_error("", failure.reason);
    outcome.retryable = failure.kind == FailureKind::unavailable ||
                        failure.kind == FailureKind::timeout;
    return outcome;
  }
  return run_job(id, documents, chunking);
}

JobOutcome Indexer::run_job(const Uuid& id, const std::vector<Document>& documents,
                            const ChunkOptions& chunking) {
  using Clock = std::chrono::steady_clock;
  metrics_.jobs_running.Increment();
  JobOutcome outcome;
  JobProgress& progress = outcome.progress;
  progress.documents = static_cast<int>(documents.size());
  const std::string job_id = id.to_string();

  const auto record = [&](JobState state) {
    try {
      store_.update_job(id, state, progress);
    } catch (...) {
      const Failure failure = classify_current_exception();
      metrics_.error(failure.kind);
      logger_.error("could not record job progress",
                    {{"job_id", job_id}, {"state", to_string(state)}, {"error", failure.reason}});
    }
  };
  record(JobState::running);
  const auto started = Clock::now();
  auto last_recorded = started;
  std::size_t bytes = 0;

  for (const Document& doc : documents) {
    if (stopping_.load()) {
      progress.add_error("", "interrupted: atlas-rag shut down before the job finished; "
                             "submit it again");
      outcome.interrupted = true;
      break;
    }
    try {
      const IndexOutcome result = store_.index_document(doc, chunking);
      if (result.result == IndexResult::indexed) {
        ++progress.documents_indexed;
        progress.chunks_written += result.chunks;
        metrics_.documents_indexed.Increment();
        metrics_.chunks_indexed.Increment(result.chunks);
        metrics_.indexed_bytes.Increment(static_cast<double>(doc.text.size()));
        bytes += doc.text.size();
      } else {
        ++progress.documents_unchanged;
        metrics_.documents_unchanged.Increment();
      }
    } catch (...) {
      const Failure failure = classify_current_exception();
      metrics_.documents_failed.Increment();
      metrics_.error(failure.kind);
      if (failure.kind == FailureKind::unavailable || failure.kind == FailureKind::timeout) {
        outcome.retryable = true;
      }
      logger_.warn("document not indexed",
                   {{"job_id", job_id}, {"source", doc.source}, {"error", failure.reason}});
      progress.add_error(doc.source, failure.reason);
    }
    if (Clock::now() - last_recorded >= options_.progress_interval) {
      record(JobState::running);
      last_recorded = Clock::now();
    }
  }

  outcome.state = progress.final_state();
  record(outcome.state);
  metrics_.jobs_running.Decrement();
  metrics_.job_finished(outcome.state);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  logger_.info("indexing job finished",
               {{"job_id", job_id},
                {"state", to_string(outcome.state)},
                {"documents", progress.documents},
                {"indexed", progress.documents_indexed},
                {"unchanged", progress.documents_unchanged},
                {"failed", progress.documents_failed},
                {"chunks", progress.chunks_written},
                {"bytes", bytes},
                {"elapsed_ms", elapsed.count()}});
  return outcome;
}

}  // namespace atlas::rag
