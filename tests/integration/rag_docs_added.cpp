// atlas-rag consuming docs.added from atlas-devbus, against a real PostgreSQL:
// events with inline text and with paths under ATLAS_RAG_DOCS_ROOT become
// findable; events it refuses go to the dead-letter topic with the reason.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/rag/gateway.hpp"
#include "devbus_fixture.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

json query(atlas::http::Client& client, std::uint16_t port, const std::string& text) {
  atlas::http::ClientRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/query_chat";
  request.body = json{{"query", text}, {"top_k", 5}}.dump();
  const auto response = client.send(std::move(request)).get();
  if (response.status != 200) return json();
  return json::parse(response.body);
}

}  // namespace

TEST_CASE("rag: docs.added events are indexed; refused events go to the dead-letter topic") {
  atlas::test::PgFixture pg;
  atlas::test::DevbusFixture bus;
  atlas::test::TempDir root("it-rag-docs-root");
  write_file(fs::path(root.path()) / "guide.md", "The capybara onboarding guide explains the setup.");
  fs::create_directory(fs::path(root.path()) / "sub");
  write_file(fs::path(root.path()) / "sub" / "binary.md", std::string("\xff\xfe bad", 6));
  fs::create_symlink("/etc/hostname", fs::path(root.path()) / "escape.md");

  atlas::Logger logger("it_rag_docs_added", atlas::test::test_log_level(atlas::LogLevel::warn));
  atlas::rag::RagConfig config;
  config.common.database_url = pg.url();
  config.common.kafka = bus.settings();
  config.host = "127.0.0.1";
  config.port = 0;
  config.docs_root = root.path();
  atlas::rag::Gateway gateway(config, logger);
  gateway.start();
  atlas::http::Client client;

  atlas::kafka::Producer producer(bus.settings(), "it-docs-producer", logger);
  const std::map<std::string, std::string> refused = {
      {"not-json", "this is not JSON"},
      {"escape", R"({"path": "../outside.md"})"},
      {"symlink", R"({"path": "escape.md"})"},
      {"not-utf8", R"({"path": "sub/binary.md"})"},
      {"missing", R"({"source": "x.md"})"},
  };
  const std::vector<std::pair<std::string, std::string>> events = {
      {"inline", R"({"source": "bus/inline.md", "text": "An inline note about the wombat burrow."})"},
      {"path", R"({"path": "./guide.md"})"},
  };
  for (const auto& [key, value] : events) {
    const auto r = producer.produce_sync({"docs.added", key, value, {}, {}}, 10s);
    REQUIRE_MESSAGE(r.ok, r.error);
  }
  for (const auto& [key, value] : refused) {
    const auto r = producer.produce_sync(
        {"docs.added", key, value, {{"trace", "keep-me"}}, {}}, 10s);
    REQUIRE_MESSAGE(r.ok, r.error);
  }

  // The consumer group's first join takes ~3 s on the mock cluster.
  json inline_hits;
  REQUIRE(atlas::test::wait_until(
      [&] {
        inline_hits = query(client, gateway.port(), "wombat burrow");
        return inline_hits.is_array() && !inline_hits.empty();
      },
      60s, 100ms));
  CHECK(inline_hits[0]["source"] == "bus/inline.md");
  CHECK(inline_hits[0]["text"] == "An inline note about the wombat burrow.");
  json path_hits;
  REQUIRE(atlas::test::wait_until(
      [&] {
        path_hits = query(client, gateway.port(), "capybara onboarding");
        return path_hits.is_array() && !path_hits.empty();
      },
      30s, 100ms));
  CHECK(path_hits[0]["source"] == "guide.md");

  // Every refused event is on architect_dlq, byte for byte, with the reason.
  std::mutex mutex;
  std::map<std::string, atlas::kafka::Message> dead;
  atlas::kafka::ConsumerOptions options;
  options.group_id = "it-dlq-reader";
  options.topics = {"architect_dlq"};
  atlas::kafka::Consumer dlq(bus.settings(), options, logger);
  std::thread reader([&] {
    dlq.run([&](atlas::kafka::Message m, atlas::kafka::Completion done) {
      {
        std::lock_guard lock(mutex);
        dead[m.key.value_or("")] = m;
      }
      done();
    });
  });
  const bool all_dead = atlas::test::wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return dead.size() >= refused.size();
      },
      60s, 100ms);
  dlq.stop();
  reader.join();
  REQUIRE(all_dead);
  for (const auto& [key, value] : refused) {
    INFO("event " << key);
    REQUIRE(dead.count(key) == 1);
    const atlas::kafka::Message& m = dead[key];
    CHECK(m.value == value);
    REQUIRE(m.header("atlas-error-class") != nullptr);
    CHECK(*m.header("atlas-error-class") == "invalid_input");
    CHECK(*m.header("atlas-original-topic") == "docs.added");
    CHECK(*m.header("atlas-component") == "atlas-rag");
    REQUIRE(m.header("atlas-error") != nullptr);
    CHECK(!m.header("atlas-error")->empty());
    REQUIRE(m.header("trace") != nullptr);
    CHECK(*m.header("trace") == "keep-me");
  }
  CHECK(dead["escape"].header("atlas-error")->find("ATLAS_RAG_DOCS_ROOT") != std::string::npos);
  CHECK(dead["symlink"].header("atlas-error")->find("outside ATLAS_RAG_DOCS_ROOT") !=
        std::string::npos);
  CHECK(dead["not-utf8"].header("atlas-error")->find("not UTF-8") != std::string::npos);

  // The counter moves in the delivery report, which may trail the reader.
  CHECK(atlas::test::wait_until(
      [&] {
        const std::string metrics = gateway.endpoints().render_metrics();
        return metrics.find("atlas_rag_docs_events_total{outcome=\"indexed\"} 2") !=
                   std::string::npos &&
               metrics.find("atlas_rag_docs_events_total{outcome=\"dead_lettered\"} 5") !=
                   std::string::npos;
      },
      10s));
  gateway.stop();
}
