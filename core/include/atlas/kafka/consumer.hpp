#pragma once
// Group consumer that processes many messages at once and commits offsets
// only up to the lowest unfinished message of each partition (DESIGN G8).
//
//   Consumer consumer(settings, {.group_id = "atlas-worker", .topics = {...}}, logger);
//   std::thread t([&] { consumer.run(handler); });   // or run() on main's thread
//   ... consumer.stop(); t.join();
//
// The handler runs on the poll thread for each message and must not block:
// it hands the work elsewhere and calls the Completion when the work is done,
// from any thread. Completions travel back to the poll thread, which updates
// the OffsetTracker and stores the committable offsets; librdkafka commits
// stored offsets every auto.commit.interval.ms, on rebalance and on close.
//
// Flow control: when `max_inflight` messages are unfinished every assigned
// partition is paused, and resumed once half of them are done; the poll loop
// keeps calling rd_kafka_consumer_poll meanwhile, so the member stays in the
// group. Rebalances use an eager assignor: revoked partitions have their
// committable offsets stored and committed, then their tracking is dropped
// (late completions for them are ignored; the new owner redelivers).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/kafka/message.hpp"
#include "atlas/log.hpp"

namespace atlas::kafka {

struct ConsumerOptions {
  std::string group_id;             // required
  std::vector<std::string> topics;  // required
  std::string client_id = "atlas";
  std::size_t max_inflight = 64;    // at least 1
  std::string auto_offset_reset = "earliest";  // where a group with no offset starts
  // How long run() waits for in-flight messages after stop() before closing.
  std::chrono::milliseconds shutdown_grace{10000};
  // Upper bound of one rd_kafka_consumer_poll; completions interrupt it.
  std::chrono::milliseconds poll_timeout{100};
};

struct ConsumerStats {
  std::size_t assigned_partitions = 0;
  std::size_t inflight = 0;      // messages handed out and not completed
  bool paused = false;           // intake paused at max_inflight (or shutting down)
  std::uint64_t polls = 0;       // rd_kafka_consumer_poll calls so far
  std::uint64_t messages = 0;    // messages handed to the handler
  std::uint64_t rebalances = 0;  // assignments and revocations
  // Sum over assigned partitions of high watermark - position, refreshed at
  // most once a second; -1 while some partition has not been fetched yet.
  std::int64_t lag = 0;
};

class Consumer {
 public:
  using Handler = std::function<void(Message message, Completion done)>;

  // Validates the options and creates the client (not yet subscribed).
  // Throws KafkaConfigError / KafkaError. `logger` must outlive the Consumer
  // and every Completion it hands out.
  Consumer(const KafkaSettings& settings, ConsumerOptions options, Logger& logger);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Subscribes and runs the poll loop on the calling thread until stop(),
  // then shuts down in order: pause intake, wait up to shutdown_grace for
  // in-flight messages, store offsets, close (commits, leaves the group).
  // Call at most once. Throws KafkaError when the subscription fails.
  void run(const Handler& handler);

  // Asks run() to finish. Thread-safe and cheap (sets an atomic flag); may be
  // called before run(), which then returns at once.
  void stop() noexcept;

  // A snapshot for metrics and tests; safe from any thread.
  [[nodiscard]] ConsumerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atlas::kafka
