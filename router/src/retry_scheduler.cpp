#include "atlas/router/retry_scheduler.hpp"

#include <boost/asio/post.hpp>

#include "atlas/envelope.hpp"

namespace atlas::router {
namespace {

using SystemClock = std::chrono::system_clock;

kafka::ConsumerOptions consumer_options(const RetrySchedulerOptions& o) {
  kafka::ConsumerOptions c;
  c.group_id = o.group_id;
  c.topics = {o.topic_retry};
  c.client_id = "atlas-router-retry";
  c.max_inflight = o.max_held;
  c.shutdown_grace = o.shutdown_grace;
  return c;
}

}  // namespace

RetryScheduler::RetryScheduler(const KafkaSettings& kafka, RetrySchedulerOptions options,
                               Publisher& publisher, boost::asio::thread_pool& work,
                               RouterMetrics& metrics, Logger& logger)
    : options_(std::move(options)),
      publisher_(publisher),
      work_(work),
      metrics_(metrics),
      logger_(logger),
      strand_(boost::asio::make_strand(work.get_executor())),
      timer_(strand_),
      consumer_(kafka, consumer_options(options_), logger) {}

RetryScheduler::~RetryScheduler() { stop(); }

void RetryScheduler::run() {
  consumer_.run([this](kafka::Message message, kafka::Completion done) {
    handle(std::move(message), std::move(done));
  });
}

void RetryScheduler::stop() {
  stopping_ = true;
  consumer_.stop();
}

// On the consumer's poll thread: queue the record on the strand.
void RetryScheduler::handle(kafka::Message message, kafka::Completion done) {
  auto item = std::make_shared<Held>();
  item->record.topic = std::move(message.topic);
  item->record.partition = message.partition;
  item->record.offset = message.offset;
  item->record.key = std::move(message.key);
  item->record.value = std::move(message.value);
  item->record.headers = std::move(message.headers);
  item->done = std::move(done);
  ++held_;
  boost::asio::post(strand_, [this, item] {
    const auto due = due_time(item->record, SystemClock::now());
    queue_.push(due, item);
    arm();
  });
}

void RetryScheduler::arm() {
  const auto wait = queue_.time_until_next(SystemClock::now());
  if (!wait) return;  // nothing held: the next handle() arms the timer
  // Re-arming cancels the previous wait; its handler sees operation_aborted.
  timer_.expires_after(*wait);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    on_timer();
  });
}

void RetryScheduler::on_timer() {
  for (HeldPtr& item : queue_.pop_due(SystemClock::now())) {
    --held_;
    boost::asio::post(work_, [this, item] { reinject(item); });
  }
  arm();
}

void RetryScheduler::reinject(const HeldPtr& item) {
  ReinjectDecision decision = plan_reinjection(item->record, options_.allowed_targets,
                                               options_.failure, SystemClock::now());
  if (auto* plan = std::get_if<Reinject>(&decision)) {
    for (const std::string& problem : plan->problems) {
      logger_.warn("retry record repaired", {{"problem", problem},
                                             {"partition", item->record.partition},
                                             {"offset", item->record.offset}});
    }
    const std::string target = plan->record.topic;
    publisher_.publish(std::move(plan->record), [this, item, target](const kafka::DeliveryResult&) {
      metrics_.retry_reinjected(target);
      logger_.info("retry re-injected", {{"target_topic", target},
                                         {"key", item->record.key.value_or("")}});
      item->done();
    });
    return;
  }
  DeadLetter dl = std::move(std::get<DeadLetter>(decision));
  logger_.error("retry record unusable; dead-lettered",
                {{"reason", dl.reason}, {"partition", item->record.partition},
                 {"offset", item->record.offset}});
  auto escalation = std::make_shared<std::optional<Envelope>>(std::move(dl.escalation));
  const std::string error_class = dl.headers.error_class;
  publisher_.publish(std::move(dl.record), [this, item, escalation, error_class](
                                               const kafka::DeliveryResult&) {
    metrics_.dead_letter(error_class);
    if (!escalation->has_value()) {
      item->done();
      return;
    }
    kafka::Record record;
    record.topic = options_.topic_out;
    record.key = (*escalation)->kafka_key();
    record.value = serialize(**escalation);
    publisher_.publish(std::move(record), [this, item](const kafka::DeliveryResult&) {
      metrics_.escalations.Increment();
      item->done();
    });
  });
}

}  // namespace atlas::router
