#pragma once
// atlas-router configuration (DESIGN section 8), read through ConfigReader so
// every problem names its variable and secrets are registered for redaction.
//
// Each webhook source is switched on by its secret: without
// SLACK_SIGNING_SECRET the Slack routes answer 503 "slack webhooks are not
// configured: set SLACK_SIGNING_SECRET" (and the same for GitHub), so a
// mis-deployed router says what is missing instead of pretending the route
// does not exist. Delivery needs the matching credential (SLACK_BOT_TOKEN;
// GITHUB_TOKEN or the GitHub App); a reply whose credential is missing fails
// permanently and is dead-lettered with that reason.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "atlas/config.hpp"

namespace atlas::router {

struct SlackSettings {
  std::optional<std::string> signing_secret;  // SLACK_SIGNING_SECRET: enables /slack/*
  std::optional<std::string> bot_token;       // SLACK_BOT_TOKEN: enables delivery
  std::string api_url = "https://slack.com/api";

  [[nodiscard]] bool ingress_enabled() const { return signing_secret.has_value(); }
  [[nodiscard]] bool delivery_enabled() const { return bot_token.has_value(); }
};

// How the router authenticates to GitHub's REST API.
enum class GithubAuthMode { none, token, app };

struct GithubSettings {
  std::optional<std::string> webhook_secret;  // GITHUB_WEBHOOK_SECRET: enables /github/webhook
  std::optional<std::string> token;           // GITHUB_TOKEN (a PAT or fine-grained token)
  std::optional<std::string> app_id;          // GITHUB_APP_ID (digits)
  std::optional<std::string> app_private_key; // GITHUB_APP_PRIVATE_KEY (PEM), or _FILE
  std::string api_url = "https://api.github.com";

  [[nodiscard]] bool ingress_enabled() const { return webhook_secret.has_value(); }
  [[nodiscard]] GithubAuthMode auth_mode() const {
    if (token) return GithubAuthMode::token;
    if (app_id && app_private_key) return GithubAuthMode::app;
    return GithubAuthMode::none;
  }
};

// Limits and timings of the adapters (docs/router.md, "Configuration").
// Defaults suit one replica on a small machine; every one is bounded.
struct RouterTuning {
  // ROUTER_HTTP_THREADS: Beast I/O threads. More than the cores of a small
  // machine: they share the cores with the dedupe batcher and the Kafka
  // client (and, on one machine, the database), and the connections of a
  // thread that is preempted wait for it; with more threads fewer wait.
  // router_bench, 256 in flight on 2 cores: 2 threads 17,700-19,500/s,
  // 3 or 4 threads 19,200-21,100/s, 6 threads a longer p99.
  int http_threads = 4;
  std::size_t max_connections = 1024;              // ROUTER_MAX_CONNECTIONS: beyond it, 503
  std::size_t max_pending_webhooks = 4096;         // ROUTER_MAX_PENDING_WEBHOOKS: accepted, not yet durable
  std::chrono::milliseconds read_timeout{10'000};  // ROUTER_READ_TIMEOUT_S: whole request
  // ROUTER_ACK_TIMEOUT_S: how long an accepted webhook waits for Kafka's
  // acknowledgement before it is made durable in PostgreSQL instead (Slack
  // gives up after 3 s).
  std::chrono::milliseconds ack_timeout{2'500};
  std::chrono::seconds dedupe_ttl{24 * 3600};      // ROUTER_DEDUPE_TTL_S (at least 600)
  int worker_threads = 4;                          // ROUTER_WORKER_THREADS: database and delivery work
  int db_pool_size = 0;                            // ROUTER_DB_POOL_SIZE (0: worker_threads + 4)
  std::chrono::milliseconds startup_db_wait{30'000};  // ROUTER_STARTUP_DB_WAIT_S
  bool inbox_relay = true;                         // ROUTER_INBOX_RELAY
  std::chrono::milliseconds relay_poll{500};       // ROUTER_RELAY_POLL_S: poll when no NOTIFY came
  int relay_batch = 100;                           // ROUTER_RELAY_BATCH: rows per transaction
  std::size_t delivery_max_inflight = 64;          // DELIVERY_MAX_INFLIGHT: architect_out messages at once
  std::chrono::milliseconds delivery_timeout{10'000};  // DELIVERY_TIMEOUT_S: one Slack/GitHub call
  std::chrono::milliseconds retry_initial_backoff{500};  // DELIVERY_RETRY_INITIAL_S
  std::chrono::milliseconds retry_max_backoff{30'000};   // DELIVERY_RETRY_MAX_S
  std::size_t retry_max_held = 10'000;             // RETRY_MAX_HELD: retry records waiting in memory
};

struct RouterConfig {
  int port = 8080;                 // ROUTER_PORT: webhooks, /healthz, /readyz, /metrics (0: any free port)
  int delivery_max_attempts = 3;   // DELIVERY_MAX_ATTEMPTS: attempts in all, the first included
  SlackSettings slack;
  GithubSettings github;
  RouterTuning tuning;

  // Reads and validates the router's variables; problems are recorded on
  // `reader` (call reader.finish() after loading everything). The GitHub App
  // key is parsed here so a bad PEM stops the router at start-up.
  static RouterConfig load(ConfigReader& reader);
};

}  // namespace atlas::router
