// Two consumer processes in one group share the six partitions of
// architect_in on atlas-devbus, and every produced message is processed
// exactly once. Each process (tests/tools/atlas-test-consumer) completes its
// messages out of order from worker threads.
#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <memory>
#include <map>
#include <set>
#include <sstream>

#include "atlas/kafka/producer.hpp"
#include "devbus_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"

using namespace atlas::test;
using namespace std::chrono_literals;

namespace {

struct Line {
  int partition = -1;
  std::int64_t offset = -1;
  std::string key;
};

std::vector<Line> read_lines(const std::string& path) {
  std::vector<Line> out;
  std::istringstream in(read_text_file(path));
  std::string text;
  while (std::getline(in, text)) {
    std::istringstream fields(text);
    Line line;
    if (fields >> line.partition >> line.offset >> line.key) out.push_back(line);
  }
  return out;
}

// "assigned N" from a status file, or -1.
int assigned(const std::string& path) {
  std::istringstream in(read_text_file(path));
  std::string word;
  int n = -1;
  if (in >> word >> n && word == "assigned") return n;
  return -1;
}

}  // namespace

TEST_CASE("kafka group: two consumer processes share six partitions and process each message once") {
  DevbusFixture bus;
  TempDir dir("atlas-it-group");
  auto start_consumer = [&](const std::string& name) {
    return std::make_unique<ChildProcess>(
        binary("atlas-test-consumer"),
        std::vector<std::string>{"--brokers", bus.bootstrap(), "--topic", "architect_in",
                                 "--group", "it-group", "--out", dir.file(name + ".out"),
                                 "--status", dir.file(name + ".status"), "--max-inflight", "8",
                                 "--delay-ms", "3",
                                 // The mock cluster holds a rebalance for a late joiner
                                 // until session.timeout.ms - 1 s: keep that short.
                                 "--property", "session.timeout.ms=6000"},
        std::map<std::string, std::string>{{"LOG_LEVEL", "warn"}}, dir.path());
  };
  auto a = start_consumer("a");
  auto b = start_consumer("b");

  // Both members hold partitions, six in all (the group has settled).
  const bool settled = wait_until(
      [&] {
        const int na = assigned(dir.file("a.status"));
        const int nb = assigned(dir.file("b.status"));
        return na > 0 && nb > 0 && na + nb == 6;
      },
      60s);
  REQUIRE_MESSAGE(settled, "a: ", read_text_file(dir.file("a.status")),
                  " b: ", read_text_file(dir.file("b.status")), "\n", a->stderr_text(),
                  b->stderr_text());

  constexpr int kMessages = 600;
  {
    atlas::Logger logger("it_kafka_consumer_group", test_log_level(atlas::LogLevel::warn));
    atlas::kafka::Producer producer(bus.settings(), "it-producer", logger);
    std::vector<std::future<atlas::kafka::DeliveryResult>> results;
    for (int i = 0; i < kMessages; ++i) {
      results.push_back(producer.produce_async(
          {"architect_in", "key-" + std::to_string(i), "value-" + std::to_string(i), {}, {}}));
    }
    for (auto& r : results) {
      REQUIRE(r.wait_for(30s) == std::future_status::ready);
      const auto result = r.get();
      REQUIRE_MESSAGE(result.ok, result.error);
    }
  }

  const bool all_seen = wait_until(
      [&] {
        return read_lines(dir.file("a.out")).size() + read_lines(dir.file("b.out")).size() >=
               kMessages;
      },
      60s);
  CHECK_MESSAGE(all_seen, a->stderr_text(), b->stderr_text());

  // Clean shutdown of both members.
  a->kill(SIGTERM);
  b->kill(SIGTERM);
  const auto sa = a->wait_for_exit(20s);
  const auto sb = b->wait_for_exit(20s);
  REQUIRE(sa.has_value());
  REQUIRE(sb.has_value());
  CHECK_MESSAGE(sa->ok(), sa->describe(), a->stderr_text());
  CHECK_MESSAGE(sb->ok(), sb->describe(), b->stderr_text());

  const auto lines_a = read_lines(dir.file("a.out"));
  const auto lines_b = read_lines(dir.file("b.out"));
  CHECK(!lines_a.empty());
  CHECK(!lines_b.empty());

  std::map<std::string, int> times;
  std::set<int> partitions_a;
  std::set<int> partitions_b;
  for (const auto& l : lines_a) {
    ++times[l.key];
    partitions_a.insert(l.partition);
  }
  for (const auto& l : lines_b) {
    ++times[l.key];
    partitions_b.insert(l.partition);
  }
  CHECK(times.size() == kMessages);
  for (int i = 0; i < kMessages; ++i) {
    const std::string key = "key-" + std::to_string(i);
    CHECK_MESSAGE(times[key] == 1, key, " processed ", times[key], " times");
  }
  // Each partition was consumed by exactly one member.
  for (const int p : partitions_a) CHECK_FALSE(partitions_b.contains(p));
  CHECK(partitions_a.size() + partitions_b.size() == 6);
}
