#pragma once
// Observability endpoints every Atlas binary serves: GET /metrics (Prometheus
// text format over a prometheus::Registry), GET /healthz (liveness: 200 while
// the process runs) and GET /readyz (readiness: 200 only when every registered
// check passes, 503 naming the failing ones otherwise).
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   atlas::ObservabilityEndpoints endpoints(registry);
//   endpoints.add_readiness_check("kafka", [&state] { return state.kafka_check(); });
//   endpoints.install(server);                   // before server.start()
//
// Every scrape of /metrics also refreshes the gauge atlas_ready (1 when the
// readiness checks pass), so alerts can see readiness without probing.
//
// Binaries whose only HTTP surface is this (the worker on METRICS_PORT) use
// MetricsServer, which owns its own http::Server.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "atlas/http/server.hpp"

namespace atlas {

class Logger;

struct CheckResult {
  bool ok = false;
  std::string detail;  // shown in /readyz: what is wrong, or what is fine
};

struct ReadinessReport {
  bool ready = true;
  nlohmann::json body;  // {"status": "ready"|"not_ready", "checks": {...}, "failing": [...]}
};

class ObservabilityEndpoints {
 public:
  // A readiness check runs on an HTTP I/O thread for every /readyz request:
  // it must be cheap and must not block. Read state that the component keeps
  // up to date elsewhere (an atomic flag, the time of the last successful
  // poll) instead of calling the broker or the database from here. A check
  // that throws counts as failing.
  using Check = std::function<CheckResult()>;

  explicit ObservabilityEndpoints(std::shared_ptr<prometheus::Registry> registry);

  // Thread-safe; may be called before or after install().
  void add_readiness_check(std::string name, Check check);

  // Adds GET /metrics, /healthz and /readyz to `server` (before its start()).
  // The routes share this object's state, so it may be destroyed first.
  void install(http::Server& server);

  // What the endpoints serve, for callers and tests that have no server.
  [[nodiscard]] std::string render_metrics() const;
  [[nodiscard]] ReadinessReport check_readiness() const;

  [[nodiscard]] const std::shared_ptr<prometheus::Registry>& registry() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Content type of the Prometheus text exposition format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// An http::Server serving only the observability endpoints.
class MetricsServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8000;  // METRICS_PORT; 0 for an ephemeral port
    int threads = 1;
  };

  // Binds at once (throws std::runtime_error naming the port if it is taken).
  MetricsServer(Options options, std::shared_ptr<prometheus::Registry> registry,
                Logger* logger = nullptr);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  [[nodiscard]] ObservabilityEndpoints& endpoints() { return endpoints_; }
  [[nodiscard]] std::uint16_t port() const { return server_.port(); }
  void start() { server_.start(); }
  void stop() { server_.stop(); }

 private:
  ObservabilityEndpoints endpoints_;
  http::Server server_;
};

}  // namespace atlas
