// The consumer's offset handling against atlas-devbus: commits never pass the
// lowest unfinished message (DESIGN G8), intake pauses at max_inflight while
// polling continues, a dropped Completion holds its offset, and completions
// from a revoked assignment cannot move the new owner's offsets.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "atlas/kafka/admin.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "devbus_fixture.hpp"
#include "process.hpp"

using namespace atlas::test;
using namespace std::chrono_literals;
using atlas::kafka::Completion;
using atlas::kafka::Message;

namespace {

// Messages handed to the handler whose Completions the test holds.
class Held {
 public:
  void add(Message m, Completion done) {
    std::lock_guard lock(mu_);
    ++received_;
    const std::size_t unfinished = received_ - completed_;
    if (unfinished > max_unfinished_) max_unfinished_ = unfinished;
    held_[{m.partition, m.offset}] = std::move(done);
  }
  // Completes one held message; false if it is not held.
  bool complete(int partition, std::int64_t offset) {
    Completion done;
    {
      std::lock_guard lock(mu_);
      const auto it = held_.find({partition, offset});
      if (it == held_.end()) return false;
      done = std::move(it->second);
      held_.erase(it);
      ++completed_;
    }
    done();
    return true;
  }
  std::size_t complete_all() {
    std::map<std::pair<int, std::int64_t>, Completion> all;
    {
      std::lock_guard lock(mu_);
      all.swap(held_);
      completed_ += all.size();
    }
    for (auto& [key, done] : all) done();
    return all.size();
  }
  // Destroys a held Completion without calling it.
  void drop(int partition, std::int64_t offset) {
    Completion dropped;
    std::lock_guard lock(mu_);
    dropped = std::move(held_.at({partition, offset}));
    held_.erase({partition, offset});
  }
  std::size_t received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::size_t held() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  bool holds(int partition, std::int64_t offset) const {
    std::lock_guard lock(mu_);
    return held_.contains({partition, offset});
  }
  std::size_t max_unfinished() const {
    std::lock_guard lock(mu_);
    return max_unfinished_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<int, std::int64_t>, Completion> held_;
  std::size_t received_ = 0;
  std::size_t completed_ = 0;
  std::size_t max_unfinished_ = 0;
};

void produce_n(atlas::kafka::Producer& producer, const std::string& topic, int partition, int n) {
  for (int i = 0; i < n; ++i) {
    const auto r = producer.produce_sync(
        {topic, "key-" + std::to_string(i), "value-" + std::to_string(i), {}, partition}, 10s);
    REQUIRE_MESSAGE(r.ok, r.error);
  }
}

// The group's committed offset of `topic`/`partition` (-1 when none), read
// from a separate client with rd_kafka_committed.
std::int64_t committed(atlas::kafka::Admin& admin, const std::string& group,
                       const std::string& topic, int partition) {
  for (const auto& p : admin.group_offsets(group, topic, 5s)) {
    if (p.partition == partition) return p.committed.value_or(-1);
  }
  return -1;
}

atlas::KafkaSettings fast_commits(atlas::KafkaSettings s) {
  s.properties["auto.commit.interval.ms"] = "100";
  if (const char* debug = std::getenv("ATLAS_TEST_KAFKA_DEBUG")) s.properties["debug"] = debug;
  return s;
}

}  // namespace

TEST_CASE("kafka G8: the committed offset never passes the lowest unfinished message") {
  DevbusFixture bus({"--topic", "g8:1"});
  atlas::Logger logger("it_kafka_offsets", test_log_level(atlas::LogLevel::warn));
  atlas::kafka::Producer producer(bus.settings(), "it-producer", logger);
  produce_n(producer, "g8", 0, 10);

  Held held;
  ConsumerThread consumer(fast_commits(bus.settings()),
                          {.group_id = "it-g8", .topics = {"g8"}, .max_inflight = 64}, logger,
                          [&](Message m, Completion done) { held.add(std::move(m), std::move(done)); });
  REQUIRE(wait_until([&] { return held.held() == 10; }, 30s));

  // Another thread finishes everything except offset 2, latest first.
  std::thread worker([&] {
    for (std::int64_t o = 9; o >= 0; --o) {
      if (o != 2) CHECK(held.complete(0, o));
    }
  });
  worker.join();

  atlas::kafka::Admin admin(bus.settings(), "it-admin", logger);
  CHECK(wait_until([&] { return committed(admin, "it-g8", "g8", 0) == 2; }, 10s));
  // Over many auto-commit intervals (100 ms each) it stays at 2.
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until) {
    CHECK(committed(admin, "it-g8", "g8", 0) == 2);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(consumer.stats().inflight == 1);

  CHECK(held.complete(0, 2));
  CHECK(wait_until([&] { return committed(admin, "it-g8", "g8", 0) == 10; }, 10s));
  consumer.stop();
  CHECK(committed(admin, "it-g8", "g8", 0) == 10);
}

TEST_CASE("kafka: intake pauses at max_inflight, polling continues, and resumes after completions") {
  DevbusFixture bus({"--topic", "pause:1"});
  atlas::Logger logger("it_kafka_offsets", test_log_level(atlas::LogLevel::warn));
  atlas::kafka::Producer producer(bus.settings(), "it-producer", logger);
  constexpr int kMessages = 12;
  produce_n(producer, "pause", 0, kMessages);

  Held held;
  ConsumerThread consumer(
      fast_commits(bus.settings()),
      {.group_id = "it-pause", .topics = {"pause"}, .max_inflight = 4, .poll_timeout = 50ms},
      logger, [&](Message m, Completion done) { held.add(std::move(m), std::move(done)); });
  REQUIRE(wait_until([&] { return held.held() == 4; }, 30s));
  CHECK(wait_until([&] { return consumer.stats().paused; }, 2s));

  // Paused: the poll loop keeps running (the member stays in the group) but
  // no fifth message arrives.
  const auto polls = consumer.stats().polls;
  CHECK(wait_until([&] { return consumer.stats().polls >= polls + 10; }, 5s));
  CHECK(held.received() == 4);
  CHECK(consumer.stats().assigned_partitions == 1);
  CHECK(consumer.stats().inflight == 4);

  // Finishing three (in-flight 1 <= 4/2) resumes intake; a helper then
  // completes whatever arrives, and at no point are more than 4 unfinished.
  CHECK(held.complete(0, 3));
  CHECK(held.complete(0, 1));
  CHECK(held.complete(0, 2));
  std::atomic<bool> done{false};
  std::thread completer([&] {
    while (!done.load()) {
      held.complete_all();
      std::this_thread::sleep_for(5ms);
    }
  });
  CHECK(wait_until([&] { return held.received() == kMessages; }, 20s));
  done.store(true);
  completer.join();
  held.complete_all();
  CHECK(held.max_unfinished() <= 4);
  CHECK(wait_until([&] { return !consumer.stats().paused; }, 5s));
  CHECK(consumer.stop() < 5s);
}

TEST_CASE("kafka: stop() is honoured while paused with work in flight") {
  DevbusFixture bus({"--topic", "stop:1"});
  atlas::Logger logger("it_kafka_offsets", test_log_level(atlas::LogLevel::error));
  atlas::kafka::Producer producer(bus.settings(), "it-producer", logger);
  produce_n(producer, "stop", 0, 5);

  Held held;
  ConsumerThread consumer(fast_commits(bus.settings()),
                          {.group_id = "it-stop",
                           .topics = {"stop"},
                           .max_inflight = 2,
                           .shutdown_grace = 300ms},
                          logger,
                          [&](Message m, Completion done) { held.add(std::move(m), std::move(done)); });
  REQUIRE(wait_until([&] { return held.held() == 2; }, 30s));
  CHECK(wait_until([&] { return consumer.stats().paused; }, 2s));
  CHECK(held.complete(0, 0));
  // Offset 1 never finishes: run() returns after the grace period and the
  // group's offset stays at 1 (the message is redelivered to the next owner).
  const auto took = consumer.stop();
  CHECK(took >= 250ms);
  CHECK(took < 5s);
  atlas::kafka::Admin admin(bus.settings(), "it-admin", logger);
  CHECK(committed(admin, "it-stop", "stop", 0) == 1);
  held.complete_all();  // after close: ignored, harmless
}

TEST_CASE("kafka: a Completion dropped without being called holds its offset and is logged") {
  DevbusFixture bus({"--topic", "drop:1"});
  std::mutex log_mu;
  std::vector<std::string> lines;
  atlas::Logger logger("it_kafka_offsets", test_log_level(atlas::LogLevel::warn),
                       atlas::LogFormat::json, nullptr, [&](std::string_view line) {
                         std::lock_guard lock(log_mu);
                         lines.emplace_back(line);
                       });
  atlas::kafka::Producer producer(bus.settings(), "it-producer", logger);
  produce_n(producer, "drop", 0, 4);

  Held held;
  ConsumerThread consumer(fast_commits(bus.settings()), {.group_id = "it-drop", .topics = {"drop"}},
                          logger,
                          [&](Message m, Completion done) { held.add(std::move(m), std::move(done)); });
  REQUIRE(wait_until([&] { return held.held() == 4; }, 30s));
  held.drop(0, 1);
  held.complete_all();

  atlas::kafka::Admin admin(bus.settings(), "it-admin", logger);
  CHECK(wait_until([&] { return committed(admin, "it-drop", "drop", 0) == 1; }, 10s));
  CHECK(wait_until(
      [&] {
        std::lock_guard lock(log_mu);
        return std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
          return l.find("dropped its Completion") != std::string::npos &&
                 l.find("\"offset\":1") != std::string::npos;
        });
      },
      5s));
  // The abandoned message does not block shutdown for the grace period.
  CHECK(consumer.stop() < 5s);
  CHECK(committed(admin, "it-drop", "drop", 0) == 1);
}

TEST_CASE("kafka: after a rebalance, completions from the revoked assignment change nothing") {
  DevbusFixture bus({"--topic", "rb:2"});
  atlas::Logger logger("it_kafka_offsets", test_log_level(atlas::LogLevel::warn));
  // The mock coordinator lets a running group rebalance only after
  // session.timeout.ms - 1 s: keep that short (the default is 45 s).
  atlas::KafkaSettings settings = fast_commits(bus.settings());
  settings.properties["session.timeout.ms"] = "6000";
  settings.properties["heartbeat.interval.ms"] = "500";
  atlas::kafka::Producer producer(bus.settings(), "it-producer", logger);
  produce_n(producer, "rb", 0, 2);
  produce_n(producer, "rb", 1, 2);
  atlas::kafka::Admin admin(bus.settings(), "it-admin", logger);

  // Member A takes both partitions and finishes offset 0 of each.
  Held first;   // A's first assignment
  Held second;  // everything delivered after the rebalance (A or B)
  std::atomic<bool> rebalanced{false};
  auto handler = [&](Message m, Completion done) {
    (rebalanced.load() ? second : first).add(std::move(m), std::move(done));
  };
  ConsumerThread a(settings, {.group_id = "it-rb", .topics = {"rb"}}, logger, handler);
  REQUIRE(wait_until([&] { return first.held() == 4; }, 30s));
  CHECK(first.complete(0, 0));
  CHECK(first.complete(1, 0));
  CHECK(wait_until([&] {
    return committed(admin, "it-rb", "rb", 0) == 1 && committed(admin, "it-rb", "rb", 1) == 1;
  }, 10s));

  // Member B joins: A's partitions are revoked, and offset 1 of each
  // partition is delivered again (to A or B) under a new assignment.
  rebalanced.store(true);
  ConsumerThread b(settings, {.group_id = "it-rb", .topics = {"rb"}}, logger, handler);
  REQUIRE(wait_until([&] { return second.held() == 2; }, 30s));
  CHECK(second.holds(0, 1));
  CHECK(second.holds(1, 1));
  CHECK(wait_until([&] {
    return a.stats().assigned_partitions == 1 && b.stats().assigned_partitions == 1;
  }, 10s));

  // The old processing of offset 1 finishes late: ignored by both members.
  CHECK(first.complete_all() == 2);
  const auto until = std::chrono::steady_clock::now() + 600ms;
  while (std::chrono::steady_clock::now() < until) {
    CHECK(committed(admin, "it-rb", "rb", 0) == 1);
    CHECK(committed(admin, "it-rb", "rb", 1) == 1);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(a.stats().inflight + b.stats().inflight == 2);

  // The new deliveries finish: now the offsets advance.
  CHECK(second.complete_all() == 2);
  CHECK(wait_until([&] {
    return committed(admin, "it-rb", "rb", 0) == 2 && committed(admin, "it-rb", "rb", 1) == 2;
  }, 10s));
}
