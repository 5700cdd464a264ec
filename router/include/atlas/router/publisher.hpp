#pragma once
// Publishes the records the router's guarantees hang on -- retry records,
// dead letters, escalations, re-injected retries -- and only reports success
// once Kafka acknowledged them. A failed produce is tried again after a
// backoff (250 ms, doubling to 10 s) until it succeeds or stop() is called,
// so a short broker outage delays the source offset instead of losing the
// record (DESIGN section 4: "A dead letter is published and acknowledged
// before the source offset is stored"). A record abandoned at stop() never
// reports success: its source message stays uncommitted and is redelivered.
//
// `on_ack` runs on the work pool (not on the producer's poll thread), so it
// may publish the next record of a chain (dead letter -> escalation).
#include <atomic>
#include <chrono>
#include <functional>

#include <boost/asio/thread_pool.hpp>

#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"

namespace atlas::router {

class Publisher {
 public:
  using OnAck = std::function<void(const kafka::DeliveryResult&)>;

  Publisher(kafka::Producer& producer, boost::asio::thread_pool& work, Logger& logger);

  void publish(kafka::Record record, OnAck on_ack);
  // Abandons records waiting for another attempt; later publish() calls
  // produce once and do not retry.
  void stop() { stopping_ = true; }

 private:
  void attempt(std::shared_ptr<kafka::Record> record, std::shared_ptr<OnAck> on_ack,
               std::chrono::milliseconds backoff);

  kafka::Producer& producer_;
  boost::asio::thread_pool& work_;
  Logger& logger_;
  std::atomic<bool> stopping_{false};
};

}  // namespace atlas::router
