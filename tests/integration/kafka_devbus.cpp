// atlas-devbus: starts, prints its bootstrap servers, pre-creates the Atlas
// topics, exits 0 on SIGTERM/SIGINT; bad flags get usage and exit 2.
#include <doctest/doctest.h>

#include <csignal>

#include "atlas/kafka/admin.hpp"
#include "atlas/kafka/error.hpp"
#include "devbus_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"

using namespace atlas::test;
using namespace std::chrono_literals;

TEST_CASE("devbus: prints bootstrap, creates the Atlas topics with 6 partitions, exits 0 on SIGTERM") {
  DevbusFixture bus;
  // stdout: exactly the bootstrap line, same as the file.
  CHECK(wait_until([&] { return !bus.process().stdout_text().empty(); }, 5s));
  CHECK(bus.process().stdout_text() == bus.bootstrap() + "\n");
  CHECK(bus.bootstrap().find("127.0.0.1:") == 0);

  atlas::Logger logger("it_kafka_devbus", test_log_level(atlas::LogLevel::error));
  atlas::kafka::Admin admin(bus.settings(), "it-admin", logger);
  const auto info = admin.describe_cluster(10s);
  CHECK(info.brokers.size() == 3);
  for (const char* name :
       {"architect_in", "architect_out", "architect_retry", "architect_dlq", "docs.added"}) {
    const auto* topic = info.topic(name);
    REQUIRE_MESSAGE(topic != nullptr, name);
    CHECK(topic->error.empty());
    CHECK_MESSAGE(topic->partitions == 6, name);
  }

  const auto status = bus.stop();
  CHECK_MESSAGE(status.ok(), status.describe());
  // The bootstrap file goes away with the cluster.
  CHECK_FALSE(file_exists(bus.dir().file("bootstrap")));
}

TEST_CASE("devbus: --brokers, --partitions and --topic NAME[:N]") {
  DevbusFixture bus({"--brokers", "1", "--partitions", "4", "--topic", "extra", "--topic=two:2"});
  atlas::Logger logger("it_kafka_devbus", test_log_level(atlas::LogLevel::error));
  atlas::kafka::Admin admin(bus.settings(), "it-admin", logger);
  const auto info = admin.describe_cluster(10s);
  CHECK(info.brokers.size() == 1);
  REQUIRE(info.topic("architect_in") != nullptr);
  CHECK(info.topic("architect_in")->partitions == 4);
  REQUIRE(info.topic("extra") != nullptr);
  CHECK(info.topic("extra")->partitions == 4);
  REQUIRE(info.topic("two") != nullptr);
  CHECK(info.topic("two")->partitions == 2);
}

TEST_CASE("devbus: exits 0 on SIGINT too") {
  DevbusFixture bus;
  bus.process().kill(SIGINT);
  const auto status = bus.process().wait_for_exit(10s);
  REQUIRE(status.has_value());
  CHECK_MESSAGE(status->ok(), status->describe());
}

TEST_CASE("devbus: --help says development and tests only; bad flags exit 2 with usage") {
  TempDir dir;
  {
    ChildProcess help(binary("atlas-devbus"), {"--help"}, {}, dir.path());
    const auto status = help.wait_for_exit(10s);
    REQUIRE(status.has_value());
    CHECK(status->ok());
    CHECK(help.stdout_text().find("DEVELOPMENT AND TESTS ONLY") != std::string::npos);
    CHECK(help.stdout_text().find("never a production component") != std::string::npos);
  }
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--bogus"},
                                             {"--brokers", "0"},
                                             {"--partitions", "many"},
                                             {"--topic", "bad name"},
                                             {"--topic", "t:0"},
                                             {"--bootstrap-file"}}) {
    ChildProcess bad(binary("atlas-devbus"), args, {}, dir.path());
    const auto status = bad.wait_for_exit(10s);
    REQUIRE(status.has_value());
    CHECK_MESSAGE(status->exited, args[0]);
    CHECK_MESSAGE(status->code == 2, args[0]);
    CHECK(bad.stderr_text().find("usage: atlas-devbus") != std::string::npos);
    CHECK(bad.stdout_text().empty());
  }
}

TEST_CASE("admin: an unreachable cluster is a clear error within the time-out") {
  atlas::KafkaSettings settings;
  settings.brokers = "127.0.0.1:1";  // nothing listens on port 1
  atlas::Logger logger("it_kafka_devbus", test_log_level(atlas::LogLevel::error));
  atlas::kafka::Admin admin(settings, "it-admin", logger);
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)admin.describe_cluster(500ms);
    FAIL("describe_cluster should have thrown");
  } catch (const atlas::kafka::KafkaError& e) {
    CHECK(std::string(e.what()).find("check KAFKA_BROKERS") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}
