#pragma once
// Consumes docs.added (consumer group atlas-rag) and indexes what each event
// names (docs_event.hpp), on the Indexer's threads.
//
// Outcomes, each before the event's offset may be committed (the Completion):
//   - indexed (job done): completed;
//   - invalid (not JSON, bad fields, a path outside ATLAS_RAG_DOCS_ROOT, an
//     unreadable or non-UTF-8 file, a document the store rejects): published
//     to the dead-letter topic (KAFKA_TOPIC_DLQ) with atlas-error-class
//     invalid_input (or index_failed) and the reason in atlas-error, then
//     completed once the broker acknowledged the dead letter. If the dead
//     letter cannot be published the event is left uncompleted, so it is
//     consumed again after a restart or rebalance rather than lost;
//   - the database unavailable: retried on the same thread with exponential
//     backoff (retry_initial .. retry_max) until it works or shutdown, when
//     the event stays uncompleted (redelivered later).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "atlas/config.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/rag/indexer.hpp"
#include "atlas/rag/metrics.hpp"
#include "atlas/rag/requests.hpp"

namespace atlas::rag {

struct DocsConsumerOptions {
  std::string topic = "docs.added";
  std::string group_id = "atlas-rag";
  std::string docs_root;  // ATLAS_RAG_DOCS_ROOT; empty: path events are refused
  std::size_t max_inflight = 4;
  ChunkOptions chunking;
  RequestLimits limits;  // source and text sizes (max_text_bytes also caps files)
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30'000};
};

class DocsConsumer {
 public:
  // Creates the consumer and the dead-letter producer (throws KafkaConfigError
  // or KafkaError). The references must outlive the DocsConsumer.
  DocsConsumer(const KafkaSettings& settings, DocsConsumerOptions options, Indexer& indexer,
               RagMetrics& metrics, Logger& logger);
  ~DocsConsumer();
  DocsConsumer(const DocsConsumer&) = delete;
  DocsConsumer& operator=(const DocsConsumer&) = delete;

  // Runs the poll loop on the calling thread until stop().
  void run();
  // Thread-safe; wakes retry waits too.
  void stop();

  [[nodiscard]] kafka::ConsumerStats stats() const { return consumer_.stats(); }

 private:
  void handle(kafka::Message message, kafka::Completion done);
  void process(const kafka::Message& message, kafka::Completion& done);
  void dead_letter(const kafka::Message& message, std::string_view error_class,
                   const std::string& error, int attempts, kafka::Completion& done);
  // Waits `delay` unless stop() is called first; false when stopping.
  bool wait_to_retry(std::chrono::milliseconds delay);

  KafkaSettings settings_;
  DocsConsumerOptions options_;
  Indexer& indexer_;
  RagMetrics& metrics_;
  Logger& logger_;
  kafka::Producer producer_;  // dead letters; destroyed after the consumer
  kafka::Consumer consumer_;
  std::mutex mutex_;
  std::condition_variable stop_wake_;
  bool stopping_ = false;
};

}  // namespace atlas::rag
