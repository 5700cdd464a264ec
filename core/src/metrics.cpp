#include "atlas/metrics.hpp"

#include <exception>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

namespace atlas {

struct ObservabilityEndpoints::State {
  std::shared_ptr<prometheus::Registry> registry;
  mutable std::mutex mutex;
  std::vector<std::pair<std::string, Check>> checks;  // guarded by mutex
  prometheus::Gauge* ready = nullptr;  // atlas_ready, refreshed on every scrape

  std::string render() const {
    ready->Set(readiness().ready ? 1.0 : 0.0);
    const prometheus::TextSerializer serializer;
    return serializer.Serialize(registry->Collect());
  }

  ReadinessReport readiness() const {
    std::vector<std::pair<std::string, Check>> snapshot;
    {
      std::lock_guard lock(mutex);
      snapshot = checks;
    }
    ReadinessReport report;
    nlohmann::json results = nlohmann::json::object();
    nlohmann::json failing = nlohmann::json::array();
    for (const auto& [name, check] : snapshot) {
      CheckResult result;
      try {
        result = check();
      } catch (const std::exception& e) {
        result = {false, std::string("check threw: ") + e.what()};
      } catch (...) {
        result = {false, "check threw a non-exception"};
      }
      results[name] = {{"ok", result.ok}, {"detail", result.detail}};
      if (!result.ok) {
        report.ready = false;
        failing.push_back(name);
      }
    }
    report.body = {{"status", report.ready ? "ready" : "not_ready"}, {"checks", std::move(results)}};
    if (!report.ready) report.body["failing"] = std::move(failing);
    return report;
  }
};

ObservabilityEndpoints::ObservabilityEndpoints(std::shared_ptr<prometheus::Registry> registry)
    : state_(std::make_shared<State>()) {
  if (!registry) throw std::invalid_argument("ObservabilityEndpoints needs a prometheus::Registry");
  state_->registry = std::move(registry);
  state_->ready = &prometheus::BuildGauge()
                       .Name("atlas_ready")
                       .Help("1 while /readyz would answer 200 (every readiness check passes), else 0")
                       .Register(*state_->registry)
                       .Add({});
}

void ObservabilityEndpoints::add_readiness_check(std::string name, Check check) {
  if (!check) throw std::invalid_argument("readiness check '" + name + "' is empty");
  std::lock_guard lock(state_->mutex);
  state_->checks.emplace_back(std::move(name), std::move(check));
}

void ObservabilityEndpoints::install(http::Server& server) {
  server.add_route("GET", "/metrics", [state = state_](const http::ServerRequest&, http::Responder respond) {
    http::ServerResponse response;
    response.status = 200;
    response.content_type = kPrometheusContentType;
    response.body = state->render();
    respond(std::move(response));
  });
  server.add_route("GET", "/healthz", [](const http::ServerRequest&, http::Responder respond) {
    respond(http::json_response(200, {{"status", "ok"}}));
  });
  server.add_route("GET", "/readyz", [state = state_](const http::ServerRequest&, http::Responder respond) {
    auto report = state->readiness();
    respond(http::json_response(report.ready ? 200 : 503, report.body));
  });
}

std::string ObservabilityEndpoints::render_metrics() const { return state_->render(); }

ReadinessReport ObservabilityEndpoints::check_readiness() const { return state_->readiness(); }

const std::shared_ptr<prometheus::Registry>& ObservabilityEndpoints::registry() const {
  return state_->registry;
}

namespace {

http::ServerOptions metrics_server_options(const MetricsServer::Options& options) {
  http::ServerOptions server;
  server.host = options.host;
  server.port = options.port;
  server.threads = options.threads;
  server.limits.max_body_bytes = 64u << 10;  // probes and scrapes send no body
  server.limits.max_connections = 256;
  server.limits.handler_timeout = std::chrono::seconds(5);
  return server;
}

}  // namespace

MetricsServer::MetricsServer(Options options, std::shared_ptr<prometheus::Registry> registry,
                             Logger* logger)
    : endpoints_(std::move(registry)), server_(metrics_server_options(options), logger) {
  endpoints_.install(server_);
}

MetricsServer::~MetricsServer() = default;

}  // namespace atlas
