#pragma once
// Idempotent Kafka producer (enable.idempotence=true, acks=all). A send
// completes when the broker's delivery report arrives: only then is the
// message durable (DESIGN G1).
//
// Delivery callbacks run on the producer's own poll thread, one at a time;
// they must be quick and must not call flush() or destroy the Producer.
// Every produce() ends in exactly one callback, also when the message could
// not even be queued (queue full for too long, message too large, unknown
// partition): nothing is dropped silently.
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/log.hpp"

namespace atlas::kafka {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Record {
  std::string topic;
  std::optional<std::string> key;           // nullopt: no key (a null key, not an empty one)
  std::string value;                        // bytes, copied at produce()
  Headers headers;                          // bytes; repeated names are kept in order
  std::optional<std::int32_t> partition;    // nullopt: the partitioner picks (by key)
};

struct DeliveryResult {
  bool ok = false;
  std::string error;           // empty when ok; librdkafka's reason otherwise
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;    // the broker-assigned offset when ok
};

struct ProducerOptions {
  // How long produce() waits for room when librdkafka's queue is full
  // (queue.buffering.max.messages / .kbytes) before failing the message.
  std::chrono::milliseconds enqueue_timeout{5000};
  // How long the destructor waits for outstanding delivery reports.
  std::chrono::milliseconds close_timeout{10000};
  // Topics whose records (without an explicit partition) are placed by a
  // sticky partitioner instead of by key hash: one partition for each
  // sticky_window, then the next (sticky_partitioner.hpp). For topics whose
  // records are independent tasks; keys are still sent.
  std::vector<std::string> sticky_topics;
  std::chrono::milliseconds sticky_window{10};
};

class Producer {
 public:
  using DeliveryCallback = std::function<void(const DeliveryResult&)>;

  // Throws KafkaConfigError when a property is refused, KafkaError when the
  // client cannot be created. `logger` must outlive the Producer.
  Producer(const KafkaSettings& settings, std::string client_id, Logger& logger,
           ProducerOptions options = {});
  // Flushes (up to close_timeout); messages still undelivered after that are
  // purged and their callbacks run with an error, then the client is destroyed.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `record`; `on_delivery` runs once with the outcome. Thread-safe.
  void produce(Record record, DeliveryCallback on_delivery);
  // The same, as a future.
  std::future<DeliveryResult> produce_async(Record record);
  // Waits for the delivery report up to `timeout`. On time-out the result is
  // an error, but the message may still be delivered later.
  DeliveryResult produce_sync(Record record,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Waits until every produced message has had its callback run. Returns
  // false when `timeout` passed first.
  bool flush(std::chrono::milliseconds timeout);

  // Fetches the partition leaders of `topics` now, so the first message to
  // each is not held back while librdkafka learns them (hundreds of ms on a
  // fresh client). Returns the topics whose metadata could not be fetched
  // within `timeout` (each waits at most that long); blocks, so call it at
  // start-up, not from an event loop.
  std::vector<std::string> warm_up(const std::vector<std::string>& topics,
                                   std::chrono::milliseconds timeout);

  // Messages produced whose callback has not run yet.
  [[nodiscard]] std::size_t pending() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atlas::kafka
