#pragma once
// The retry scheduler: consumes architect_retry (consumer group
// atlas-router-retry), holds each record until its atlas-due-at, then
// re-produces its value byte for byte to its atlas-target-topic (default: the
// original topic; only architect_in and architect_out are accepted) with
// atlas-attempts kept, and completes the offset once Kafka acknowledged the
// re-injection. This serves the router's own failed deliveries and the
// requests the worker hands back (target architect_in).
//
// Waiting holds no thread: the records sit in a DueQueue on a strand, and one
// timer wakes at the earliest due time. Memory is bounded by the consumer's
// max_inflight (RETRY_MAX_HELD): at that many held records the consumer
// pauses its partitions, so further records stay in Kafka, uncommitted, until
// some fall due. An unusable record (no target, a target outside the allowed
// topics, an unreadable atlas-attempts) goes to architect_dlq instead.
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "atlas/config.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/log.hpp"
#include "atlas/router/failure_decision.hpp"
#include "atlas/router/metrics.hpp"
#include "atlas/router/publisher.hpp"
#include "atlas/router/retry_schedule.hpp"

namespace atlas::router {

struct RetrySchedulerOptions {
  std::string group_id = "atlas-router-retry";
  std::string topic_retry = "architect_retry";
  std::string topic_out = "architect_out";  // where escalations go
  std::set<std::string, std::less<>> allowed_targets = {"architect_in", "architect_out"};
  std::size_t max_held = 10'000;
  FailureSettings failure;
  std::chrono::milliseconds shutdown_grace{2'000};
};

class RetryScheduler {
 public:
  RetryScheduler(const KafkaSettings& kafka, RetrySchedulerOptions options, Publisher& publisher,
                 boost::asio::thread_pool& work, RouterMetrics& metrics, Logger& logger);
  ~RetryScheduler();
  RetryScheduler(const RetryScheduler&) = delete;
  RetryScheduler& operator=(const RetryScheduler&) = delete;

  void run();   // the consumer's poll loop, until stop()
  void stop();  // stops the consumer; held records stay uncommitted (redelivered)
  [[nodiscard]] kafka::ConsumerStats stats() const { return consumer_.stats(); }
  [[nodiscard]] const std::string& group_id() const { return options_.group_id; }
  [[nodiscard]] std::size_t held() const { return held_.load(); }

 private:
  struct Held {
    ConsumedRecord record;
    kafka::Completion done;
  };
  using HeldPtr = std::shared_ptr<Held>;

  void handle(kafka::Message message, kafka::Completion done);
  void arm();      // on the strand
  void on_timer(); // on the strand
  void reinject(const HeldPtr& item);

  RetrySchedulerOptions options_;
  Publisher& publisher_;
  boost::asio::thread_pool& work_;
  RouterMetrics& metrics_;
  Logger& logger_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> strand_;
  boost::asio::steady_timer timer_;   // strand only
  DueQueue<HeldPtr> queue_;            // strand only
  std::atomic<std::size_t> held_{0};
  std::atomic<bool> stopping_{false};
  kafka::Consumer consumer_;
};

}  // namespace atlas::router
