// /metrics, /healthz and /readyz served over HTTP by MetricsServer, read back
// with the Atlas HTTP client.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "atlas/http/client.hpp"
#include "atlas/metrics.hpp"

using atlas::http::Client;
using atlas::http::ClientRequest;
using atlas::http::ClientResponse;

namespace {

ClientResponse get(Client& client, std::uint16_t port, const std::string& path) {
  ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + path;
  request.timeout = std::chrono::seconds(5);
  return client.send(std::move(request)).get();
}

atlas::MetricsServer::Options ephemeral() {
  atlas::MetricsServer::Options options;
  options.host = "127.0.0.1";
  options.port = 0;
  return options;
}

}  // namespace

TEST_CASE("http observability: /metrics exposes the registry's counters") {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& tokens = prometheus::BuildCounter()
                     .Name("atlas_tokens_total")
                     .Help("Tokens spent on LLM calls")
                     .Register(*registry);
  auto& dead = prometheus::BuildGauge().Name("dead_letter_count").Help("Dead letters").Register(*registry);
  atlas::MetricsServer server(ephemeral(), registry);
  server.start();
  tokens.Add({{"model", "gpt-4.1"}}).Increment(1234);
  dead.Add({}).Set(2);

  Client client;
  const auto response = get(client, server.port(), "/metrics");
  REQUIRE(response.error == atlas::http::ErrorKind::none);
  CHECK(response.status == 200);
  CHECK(response.header("content-type") == atlas::kPrometheusContentType);
  CHECK(response.body.find("# TYPE atlas_tokens_total counter") != std::string::npos);
  CHECK(response.body.find("atlas_tokens_total{model=\"gpt-4.1\"} 1234") != std::string::npos);
  CHECK(response.body.find("dead_letter_count 2") != std::string::npos);

  ClientRequest post;
  post.method = "POST";
  post.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics";
  const auto wrong = client.send(std::move(post)).get();
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET");
}

TEST_CASE("http observability: /healthz is 200 and /readyz follows the readiness checks") {
  atlas::MetricsServer server(ephemeral(), std::make_shared<prometheus::Registry>());
  std::atomic<bool> kafka_ready{false};
  server.endpoints().add_readiness_check("kafka", [&kafka_ready] {
    const bool ok = kafka_ready.load();
    return atlas::CheckResult{ok, ok ? "partitions assigned" : "waiting for partition assignment"};
  });
  server.endpoints().add_readiness_check("postgres", [] { return atlas::CheckResult{true, "pool ok"}; });
  server.start();
  Client client;

  const auto health = get(client, server.port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(nlohmann::json::parse(health.body) == nlohmann::json{{"status", "ok"}});

  const auto not_ready = get(client, server.port(), "/readyz");
  CHECK(not_ready.status == 503);
  const auto failing = nlohmann::json::parse(not_ready.body);
  CHECK(failing["status"] == "not_ready");
  CHECK(failing["failing"] == nlohmann::json::array({"kafka"}));
  CHECK(failing["checks"]["kafka"]["detail"] == "waiting for partition assignment");
  CHECK(failing["checks"]["postgres"]["ok"] == true);

  kafka_ready = true;
  const auto ready = get(client, server.port(), "/readyz");
  CHECK(ready.status == 200);
  const auto body = nlohmann::json::parse(ready.body);
  CHECK(body["status"] == "ready");
  CHECK(body["checks"]["kafka"]["ok"] == true);
  CHECK_FALSE(body.contains("failing"));
}

TEST_CASE("http observability: a busy port fails at construction with a clear message") {
  atlas::MetricsServer first(ephemeral(), std::make_shared<prometheus::Registry>());
  auto options = ephemeral();
  options.port = first.port();
  try {
    atlas::MetricsServer second(options, std::make_shared<prometheus::Registry>());
    FAIL("binding a port in use must throw");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find(std::to_string(first.port())) != std::string::npos);
    CHECK(message.find("in use") != std::string::npos);
  }
}
