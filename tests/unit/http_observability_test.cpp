#include <doctest/doctest.h>

#include <stdexcept>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "atlas/metrics.hpp"

TEST_CASE("http observability: metrics render the registry in Prometheus text format") {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter().Name("atlas_tokens_total").Help("Tokens").Register(*registry);
  family.Add({{"model", "gpt-4.1"}}).Increment(42);
  atlas::ObservabilityEndpoints endpoints(registry);
  const auto text = endpoints.render_metrics();
  CHECK(text.find("# TYPE atlas_tokens_total counter") != std::string::npos);
  CHECK(text.find("atlas_tokens_total{model=\"gpt-4.1\"} 42") != std::string::npos);
}

TEST_CASE("http observability: readiness is the conjunction of the checks") {
  atlas::ObservabilityEndpoints endpoints(std::make_shared<prometheus::Registry>());
  auto empty = endpoints.check_readiness();
  CHECK(empty.ready);
  CHECK(empty.body["status"] == "ready");

  bool kafka_ok = false;
  endpoints.add_readiness_check("kafka", [&kafka_ok] {
    return atlas::CheckResult{kafka_ok, kafka_ok ? "assigned 6 partitions" : "no partitions assigned"};
  });
  endpoints.add_readiness_check("postgres", [] { return atlas::CheckResult{true, "pool 4/4"}; });
  endpoints.add_readiness_check("broken", []() -> atlas::CheckResult { throw std::runtime_error("boom"); });

  auto report = endpoints.check_readiness();
  CHECK_FALSE(report.ready);
  CHECK(report.body["status"] == "not_ready");
  CHECK(report.body["failing"] == nlohmann::json::array({"kafka", "broken"}));
  CHECK(report.body["checks"]["postgres"]["ok"] == true);
  CHECK(report.body["checks"]["kafka"]["detail"] == "no partitions assigned");
  CHECK(report.body["checks"]["broken"]["detail"] == "check threw: boom");

  atlas::ObservabilityEndpoints healthy(std::make_shared<prometheus::Registry>());
  kafka_ok = true;
  healthy.add_readiness_check("kafka", [&kafka_ok] { return atlas::CheckResult{kafka_ok, "ok"}; });
  CHECK(healthy.check_readiness().ready);
  CHECK_THROWS_AS(healthy.add_readiness_check("empty", nullptr), std::invalid_argument);
}

TEST_CASE("observability: every scrape exports atlas_ready from the readiness checks") {
  atlas::ObservabilityEndpoints endpoints(std::make_shared<prometheus::Registry>());
  bool ok = true;
  endpoints.add_readiness_check("db", [&ok] { return atlas::CheckResult{ok, ok ? "up" : "down"}; });
  CHECK(endpoints.render_metrics().find("\natlas_ready 1\n") != std::string::npos);
  ok = false;
  CHECK(endpoints.render_metrics().find("\natlas_ready 0\n") != std::string::npos);
}
