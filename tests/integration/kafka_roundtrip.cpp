// Producer and consumer against atlas-devbus: delivery reports, byte-exact
// round trip of key, value and headers, and errors reported, never dropped.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "devbus_fixture.hpp"
#include "process.hpp"

using namespace atlas::test;
using namespace std::chrono_literals;
using atlas::kafka::DeliveryResult;
using atlas::kafka::Message;
using atlas::kafka::Producer;
using atlas::kafka::Record;

namespace {

// Bytes that are not UTF-8, with a 0 byte in the middle.
std::string binary_bytes(const std::string& tag) {
  return std::string("\x00\xff\xfe\x80", 4) + tag + std::string("\x00\xc3\x28\x01", 4);
}

}  // namespace

TEST_CASE("kafka: delivery reports carry topic, partition and offset") {
  DevbusFixture bus;
  atlas::Logger logger("it_kafka_roundtrip", test_log_level(atlas::LogLevel::warn));
  Producer producer(bus.settings(), "it-producer", logger);

  // Explicit partition: offsets count up from 0 on a fresh cluster.
  for (std::int64_t i = 0; i < 3; ++i) {
    const auto r = producer.produce_sync({"architect_out", std::string("k"), "v", {}, 4}, 10s);
    REQUIRE_MESSAGE(r.ok, r.error);
    CHECK(r.topic == "architect_out");
    CHECK(r.partition == 4);
    CHECK(r.offset == i);
  }
  // Keyed: the partitioner picks a partition; the same key always lands on
  // the same one.
  const auto a = producer.produce_sync({"architect_in", std::string("task-1"), "v1", {}, {}}, 10s);
  const auto b = producer.produce_sync({"architect_in", std::string("task-1"), "v2", {}, {}}, 10s);
  REQUIRE(a.ok);
  REQUIRE(b.ok);
  CHECK(a.partition >= 0);
  CHECK(a.partition < 6);
  CHECK(b.partition == a.partition);
  CHECK(b.offset == a.offset + 1);

  // The callback runs on the producer's poll thread, not the caller's.
  std::promise<std::thread::id> callback_thread;
  producer.produce({"architect_in", {}, "x", {}, {}}, [&](const DeliveryResult& r) {
    CHECK(r.ok);
    callback_thread.set_value(std::this_thread::get_id());
  });
  auto f = callback_thread.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get() != std::this_thread::get_id());
}

TEST_CASE("kafka: a message is consumed with the same key, value and headers, byte for byte") {
  DevbusFixture bus;
  atlas::Logger logger("it_kafka_roundtrip", test_log_level(atlas::LogLevel::warn));
  Producer producer(bus.settings(), "it-producer", logger);

  std::vector<Record> sent = {
      {"architect_in", binary_bytes("key-1"), binary_bytes("value-1"),
       {{"atlas-error", binary_bytes("h")}, {"dup", "first"}, {"dup", "second"}, {"empty", ""}},
       {}},
      {"architect_in", std::nullopt, "no key", {}, 2},          // null key
      {"architect_in", std::string(), std::string(), {}, 3},    // empty key, empty value
      {"architect_in", std::string("big"), std::string(900 * 1024, '\xab'), {}, {}},
  };
  std::map<std::pair<int, std::int64_t>, std::size_t> where;  // (partition, offset) -> index
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto r = producer.produce_sync(sent[i], 10s);
    REQUIRE_MESSAGE(r.ok, r.error);
    where[{r.partition, r.offset}] = i;
  }

  std::mutex mu;
  std::vector<Message> received;
  ConsumerThread consumer(bus.settings(), {.group_id = "it-roundtrip", .topics = {"architect_in"}},
                          logger, [&](Message m, atlas::kafka::Completion done) {
                            done();
                            std::lock_guard lock(mu);
                            received.push_back(std::move(m));
                          });
  REQUIRE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        return received.size() >= sent.size();
      },
      30s));
  consumer.stop();

  std::lock_guard lock(mu);
  CHECK(received.size() == sent.size());
  for (const auto& m : received) {
    const auto it = where.find({m.partition, m.offset});
    REQUIRE_MESSAGE(it != where.end(), "unexpected message at ", m.partition, "/", m.offset);
    const Record& r = sent[it->second];
    CHECK(m.topic == r.topic);
    CHECK(m.key == r.key);
    CHECK(m.value == r.value);
    CHECK(m.headers == r.headers);
    CHECK(m.timestamp_ms.has_value());
  }
  const auto first = std::find_if(received.begin(), received.end(),
                                  [&](const Message& m) { return m.key == sent[0].key; });
  REQUIRE(first != received.end());
  REQUIRE(first->header("dup") != nullptr);
  CHECK(*first->header("dup") == "first");
  CHECK(first->header("missing") == nullptr);
}

TEST_CASE("kafka: errors come back through the delivery result, never dropped") {
  DevbusFixture bus;
  atlas::Logger logger("it_kafka_roundtrip", test_log_level(atlas::LogLevel::error));
  Producer producer(bus.settings(), "it-producer", logger);

  // Larger than message.max.bytes: refused locally, reported, no crash.
  const auto big =
      producer.produce_sync({"architect_in", std::string("k"), std::string(3 << 20, 'x'), {}, {}},
                            10s);
  CHECK_FALSE(big.ok);
  CHECK(big.error.find("too large") != std::string::npos);
  CHECK(big.topic == "architect_in");

  // A partition the topic does not have.
  const auto bad_partition = producer.produce_sync({"architect_in", {}, "v", {}, 99}, 30s);
  CHECK_FALSE(bad_partition.ok);
  CHECK_FALSE(bad_partition.error.empty());

  // The producer still works afterwards.
  const auto ok = producer.produce_sync({"architect_in", {}, "v", {}, 0}, 10s);
  CHECK(ok.ok);
}

TEST_CASE("kafka: flush waits for every callback; the destructor delivers what is queued") {
  DevbusFixture bus;
  atlas::Logger logger("it_kafka_roundtrip", test_log_level(atlas::LogLevel::warn));
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  auto count = [&](const DeliveryResult& r) { (r.ok ? ok : failed).fetch_add(1); };
  {
    Producer producer(bus.settings(), "it-producer", logger);
    for (int i = 0; i < 200; ++i) {
      producer.produce({"architect_out", "key-" + std::to_string(i), "v", {}, {}}, count);
    }
    CHECK(producer.flush(30s));
    CHECK(producer.pending() == 0);
    CHECK(ok.load() == 200);

    for (int i = 0; i < 100; ++i) {
      producer.produce({"architect_out", "key-" + std::to_string(i), "v", {}, {}}, count);
    }
    // No flush: the destructor must deliver (or fail) every one of them.
  }
  CHECK(ok.load() + failed.load() == 300);
  CHECK(ok.load() == 300);

  // produce_async works as a future.
  Producer producer(bus.settings(), "it-producer", logger);
  auto future = producer.produce_async({"architect_out", std::string("k"), "v", {}, 1});
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  const auto r = future.get();
  CHECK(r.ok);
  CHECK(r.partition == 1);
}

TEST_CASE("kafka: a sticky topic takes a window's records on one partition, keys kept") {
  DevbusFixture bus;
  atlas::Logger logger("it_kafka_roundtrip", test_log_level(atlas::LogLevel::warn));
  atlas::kafka::ProducerOptions options;
  options.sticky_topics = {"architect_in"};
  options.sticky_window = 1h;  // one window for the whole burst
  Producer producer(bus.settings(), "it-producer", logger, options);
  // As atlas-router does before it serves: the leaders are known, so the
  // first records do not land on a partition whose leader is still unknown.
  REQUIRE(producer.warm_up({"architect_in", "architect_out"}, 10s).empty());

  // Distinct keys that a key hash would spread over the 6 partitions.
  std::set<std::int32_t> sticky_partitions;
  std::set<std::int32_t> hashed_partitions;
  std::vector<std::future<DeliveryResult>> sticky;
  for (int i = 0; i < 60; ++i) {
    sticky.push_back(producer.produce_async(
        {"architect_in", "task-" + std::to_string(i), "v" + std::to_string(i), {}, {}}));
  }
  for (int i = 0; i < 60; ++i) {
    const auto r = producer.produce_sync(
        {"architect_out", "task-" + std::to_string(i), "v", {}, {}}, 10s);
    REQUIRE_MESSAGE(r.ok, r.error);
    hashed_partitions.insert(r.partition);
  }
  for (auto& f : sticky) {
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    const auto r = f.get();
    REQUIRE_MESSAGE(r.ok, r.error);
    sticky_partitions.insert(r.partition);
  }
  CHECK(sticky_partitions.size() == 1);
  CHECK(hashed_partitions.size() > 1);  // other topics are still placed by key

  // An explicit partition is honoured on a sticky topic too.
  const auto explicit_partition =
      producer.produce_sync({"architect_in", std::string("k"), "v", {}, 5}, 10s);
  REQUIRE(explicit_partition.ok);
  CHECK(explicit_partition.partition == 5);

  // The records keep their keys.
  std::mutex mu;
  std::map<std::string, std::string> value_by_key;
  ConsumerThread consumer(bus.settings(), {.group_id = "it-sticky", .topics = {"architect_in"}},
                          logger, [&](Message m, atlas::kafka::Completion done) {
                            done();
                            std::lock_guard lock(mu);
                            value_by_key[m.key.value_or("(null)")] = m.value;
                          });
  REQUIRE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        return value_by_key.size() >= 61;
      },
      30s));
  consumer.stop();
  std::lock_guard lock(mu);
  for (int i = 0; i < 60; ++i) {
    CHECK(value_by_key["task-" + std::to_string(i)] == "v" + std::to_string(i));
  }
}
