#include "atlas/rag/docs_consumer.hpp"

#include <algorithm>
#include <utility>

#include "atlas/failure_headers.hpp"
#include "atlas/rag/doc_file.hpp"
#include "atlas/rag/docs_event.hpp"
#include "atlas/uuid.hpp"

namespace atlas::rag {
namespace {

kafka::ConsumerOptions consumer_options(const DocsConsumerOptions& o) {
  kafka::ConsumerOptions c;
  c.group_id = o.group_id;
  c.topics = {o.topic};
  c.client_id = "atlas-rag";
  c.max_inflight = std::max<std::size_t>(1, o.max_inflight);
  return c;
}

nlohmann::json where(const kafka::Message& m) {
  return {{"topic", m.topic}, {"partition", m.partition}, {"offset", m.offset}};
}

}  // namespace

DocsConsumer::DocsConsumer(const KafkaSettings& settings, DocsConsumerOptions options,
                           Indexer& indexer, RagMetrics& metrics, Logger& logger)
    : settings_(settings),
      options_(std::move(options)),
      indexer_(indexer),
      metrics_(metrics),
      logger_(logger),
      producer_(settings, "atlas-rag-dlq", logger),
      consumer_(settings, consumer_options(options_), logger) {}

DocsConsumer::~DocsConsumer() { stop(); }

void DocsConsumer::run() {
  consumer_.run([this](kafka::Message message, kafka::Completion done) {
    handle(std::move(message), std::move(done));
  });
}

void DocsConsumer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_wake_.notify_all();
  consumer_.stop();
}

bool DocsConsumer::wait_to_retry(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !stop_wake_.wait_for(lock, delay, [this] { return stopping_; });
}

void DocsConsumer::handle(kafka::Message message, kafka::Completion done) {
  // std::function wants a copyable task: share the move-only pieces.
  auto work = std::make_shared<std::pair<kafka::Message, kafka::Completion>>(std::move(message),
                                                                             std::move(done));
  const bool posted =
      indexer_.post_event_task([this, work] { process(work->first, work->second); });
  if (!posted) {
    // Shutting down: leave it uncompleted; the group redelivers it.
    logger_.info("docs.added event left for redelivery: shutting down", where(work->first));
  }
}

void DocsConsumer::process(const kafka::Message& message, kafka::Completion& done) {
  if (indexer_.stopping()) {
    // Shutting down: leave it uncompleted; the group redelivers it.
    logger_.info("docs.added event left for redelivery: shutting down", where(message));
    return;
  }
  const DocsEventResult parsed =
      parse_docs_event(message.value, options_.chunking, options_.limits.max_source_bytes,
                       options_.limits.max_text_bytes);
  if (!parsed.event) {
    dead_letter(message, "invalid_input", parsed.error, 1, done);
    return;
  }
  const DocsEvent& event = *parsed.event;
  Document doc{event.source, {}};
  if (event.text) {
    doc.text = *event.text;
  } else {
    DocFile file = read_doc_file(options_.docs_root, event.path, options_.limits.max_text_bytes);
    if (!file.text) {
      dead_letter(message, "invalid_input", file.error, 1, done);
      return;
    }
    doc.text = std::move(*file.text);
  }

  std::chrono::milliseconds backoff = options_.retry_initial;
  for (int attempt = 1;; ++attempt) {
    const Uuid job = Uuid::random_v4();
    const JobOutcome outcome = indexer_.run_now(job, "bus", {doc}, event.chunking);
    if (outcome.state == JobState::done) {
      metrics_.docs_events_indexed.Increment();
      nlohmann::json fields = where(message);
      fields["job_id"] = job.to_string();
      fields["source"] = doc.source;
      logger_.info("docs.added event indexed", fields);
      done();
      return;
    }
    if (outcome.interrupted) {
      logger_.info("docs.added event left for redelivery: shutting down", where(message));
      return;
    }
    const std::string error = outcome.progress.errors.empty()
                                  ? std::string("indexing failed")
                                  : outcome.progress.errors.front().error;
    if (!outcome.retryable) {
      dead_letter(message, "index_failed", error, attempt, done);
      return;
    }
    nlohmann::json fields = where(message);
    fields["attempt"] = attempt;
    fields["retry_in_ms"] = backoff.count();
    fields["error"] = error;
    logger_.warn("docs.added event not indexed: database unavailable; retrying", fields);
    if (indexer_.stopping() || !wait_to_retry(backoff)) {
      logger_.info("docs.added event left for redelivery: shutting down", where(message));
      return;
    }
    backoff = std::min(backoff * 2, options_.retry_max);
  }
}

void DocsConsumer::dead_letter(const kafka::Message& message, std::string_view error_class,
                               const std::string& error, int attempts, kafka::Completion& done) {
  nlohmann::json fields = where(message);
  fields["error_class"] = std::string(error_class);
  fields["error"] = error;
  logger_.warn("docs.added event refused; sending it to the dead-letter topic", fields);
  FailureHeaders failure;
  failure.attempts = attempts;
  failure.error_class = std::string(error_class);
  failure.error = std::string(error);
  failure.component = "atlas-rag";
  kafka::Record record = failure_record(message, settings_.topic_dlq, std::move(failure));
  auto completion = std::make_shared<kafka::Completion>(std::move(done));
  producer_.produce(std::move(record), [this, completion, fields](const kafka::DeliveryResult& r) {
    if (r.ok) {
      metrics_.docs_events_dead_lettered.Increment();
      (*completion)();
      return;
    }
    nlohmann::json f = fields;
    f["delivery_error"] = r.error;
    // Not completed: the event is consumed again after a restart or
    // rebalance instead of being lost.
    logger_.error("dead letter not published; the event will be redelivered", f);
  });
}

}  // namespace atlas::rag
