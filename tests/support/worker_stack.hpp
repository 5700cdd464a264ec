#pragma once
// The stack a worker end-to-end test runs against: a private PostgreSQL,
// atlas-devbus, atlas-fake (OpenAI, Anthropic and RAG), a producer to
// architect_in, collectors of architect_out and architect_dlq, and any number
// of atlas-worker processes sharing one environment.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/envelope.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/uuid.hpp"
#include "devbus_fixture.hpp"
#include "fake_upstream.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"
#include "worker_harness.hpp"

namespace atlas::test {

using namespace std::chrono_literals;

// Everything one test needs, started in order.
struct Stack {
  explicit Stack(std::map<std::string, std::string> overrides = {},
                 atlas::test::FakeUpstreamOptions fake_options = {})
      : fake(fake_options),
        logger("e2e-worker", atlas::test::test_log_level(atlas::LogLevel::warn),
               atlas::LogFormat::json),
        producer(producer_settings(bus.settings()), "e2e-test", logger),
        out(bus.settings(), "architect_out", logger),
        dlq(bus.settings(), "architect_dlq", logger) {
    env = atlas::test::worker_env(bus.bootstrap(), pg.url(), fake.base_url());
    for (auto& [k, v] : overrides) env[k] = v;
  }

  static atlas::KafkaSettings producer_settings(atlas::KafkaSettings settings) {
    settings.properties["message.max.bytes"] = "4000000";
    return settings;
  }

  WorkerProcess& start_worker(const std::string& name) {
    workers.push_back(std::make_unique<WorkerProcess>(name, env));
    REQUIRE_MESSAGE(workers.back()->wait_ready(), workers.back()->log());
    return *workers.back();
  }

  // Starts `n` workers at once (so they form the group together), then waits
  // until each is ready.
  void start_workers(int n, const std::string& prefix = "w") {
    const std::size_t first = workers.size();
    for (int i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<WorkerProcess>(prefix + std::to_string(first + i + 1), env));
    }
    for (std::size_t i = first; i < workers.size(); ++i) {
      REQUIRE_MESSAGE(workers[i]->wait_ready(), workers[i]->log());
    }
  }

  // Publishes raw bytes to architect_in (acknowledged).
  void publish_raw(const std::string& value, std::optional<std::string> key = std::nullopt) {
    atlas::kafka::Record record{"architect_in", std::move(key), value, {}, std::nullopt};
    const auto result = producer.produce_sync(std::move(record), 30s);
    REQUIRE_MESSAGE(result.ok, result.error);
  }

  // Publishes a chat and returns its task_id.
  std::string publish_chat(const std::string& text) {
    std::string id;
    const std::string value = atlas::test::make_chat_json(text, id);
    publish_raw(value, id);
    return id;
  }

  std::string publish_control(const nlohmann::json& command) {
    const atlas::Uuid id = atlas::Uuid::random_v4();
    publish_raw(atlas::serialize(atlas::make_control(command, id, {{"kind", "cli"}})), id.to_string());
    return id.to_string();
  }

  // Waits for `n` replies to `id` and returns them.
  std::vector<nlohmann::json> await_replies(const std::string& id, std::size_t n = 1,
                                  std::chrono::milliseconds timeout = 60s) {
    const bool arrived = out.wait([&] { return out.replies_to(id).size() >= n; }, timeout);
    std::string logs;
    for (const auto& w : workers) logs += w->log().substr(w->log().size() > 6000 ? w->log().size() - 6000 : 0);
    REQUIRE_MESSAGE(arrived, "no reply to " << id << "\n" << logs);
    return out.replies_to(id);
  }

  std::string sql(const std::string& query) { return pg.psql(query); }

  atlas::test::PgFixture pg;
  atlas::test::DevbusFixture bus;
  atlas::test::FakeUpstream fake;
  atlas::Logger logger;
  atlas::kafka::Producer producer;
  TopicCollector out;
  TopicCollector dlq;
  std::map<std::string, std::string> env;
  std::vector<std::unique_ptr<WorkerProcess>> workers;
};

}  // namespace atlas::test
