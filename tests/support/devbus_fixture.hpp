#pragma once
// A private atlas-devbus (librdkafka mock cluster, 3 brokers, the Atlas
// topics with 6 partitions each) for one test.
//
//   atlas::test::DevbusFixture bus;                 // ~50 ms
//   atlas::kafka::Producer producer(bus.settings(), "test", logger);
//   ...
//   CHECK(bus.stop().ok());                          // optional: the destructor does it
//
// Extra atlas-devbus flags (such as {"--topic", "g8:1"}) go to the constructor.
// The mock cluster delays the first join of a consumer group by about 3 s, and
// a member joining a group that is already running waits session.timeout.ms
// minus 1 s (44 s by default) for the rebalance: tests that rebalance a running
// group set session.timeout.ms=6000.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <thread>

#include "atlas/config.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/log.hpp"
#include "process.hpp"

namespace atlas::test {

class DevbusFixture {
 public:
  // Starts ATLAS_BIN_DIR/atlas-devbus and waits (up to 10 s) for its
  // bootstrap file. Throws std::runtime_error with its stderr when it fails.
  explicit DevbusFixture(std::vector<std::string> extra_args = {});
  // Stops it if still running; a non-zero exit fails the current test.
  ~DevbusFixture();
  DevbusFixture(const DevbusFixture&) = delete;
  DevbusFixture& operator=(const DevbusFixture&) = delete;

  // "127.0.0.1:PORT,127.0.0.1:PORT,127.0.0.1:PORT"
  [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
  // KafkaSettings pointing at this cluster (default topic names).
  [[nodiscard]] KafkaSettings settings() const;
  [[nodiscard]] const TempDir& dir() const { return dir_; }
  [[nodiscard]] ChildProcess& process() { return *process_; }

  // SIGTERM, then waits up to 10 s; returns how it exited (a timed-out wait
  // is reported as killed by SIGKILL after killing it).
  ExitStatus stop();

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string bootstrap_;
  std::optional<ExitStatus> stopped_;
};

// `fallback`, or the level named by ATLAS_TEST_LOG_LEVEL (debug, info, ...)
// when set, so a failing test can be rerun with more detail.
LogLevel test_log_level(LogLevel fallback);

// An atlas::kafka::Consumer running on its own thread for the duration of a
// test; stopped and joined on destruction.
class ConsumerThread {
 public:
  ConsumerThread(const KafkaSettings& settings, kafka::ConsumerOptions options, Logger& logger,
                 kafka::Consumer::Handler handler);
  ~ConsumerThread() { stop(); }
  ConsumerThread(const ConsumerThread&) = delete;
  ConsumerThread& operator=(const ConsumerThread&) = delete;

  [[nodiscard]] kafka::Consumer& consumer() { return consumer_; }
  [[nodiscard]] kafka::ConsumerStats stats() const { return consumer_.stats(); }
  // Waits until `n` partitions are assigned (the mock cluster takes ~3 s to
  // form a new group).
  bool wait_assigned(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // stop() and join; returns how long run() took to return after stop().
  std::chrono::milliseconds stop();

 private:
  kafka::Consumer consumer_;
  kafka::Consumer::Handler handler_;
  std::thread thread_;
};

}  // namespace atlas::test
