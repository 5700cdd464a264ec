#pragma once
// The router's HTTP surface as pure decisions: which route a request names,
// and, for the webhook routes, the whole verify-then-translate step. The Beast
// adapter reads the request (within the limits below), calls these, and
// carries out the answer.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "atlas/http/headers.hpp"
#include "atlas/router/webhook.hpp"

namespace atlas::router {

// Limits where webhook input arrives (STYLE 8).
inline constexpr std::size_t kMaxWebhookBodyBytes = 1u << 20;  // 1 MiB: larger -> 413
inline constexpr std::size_t kMaxHeaderBytes = 16u << 10;       // request line + headers
inline constexpr std::size_t kMaxHeaderCount = 100;

enum class Route { slack_events, slack_commands, github_webhook, healthz, readyz, metrics };
[[nodiscard]] std::string_view to_string(Route route);

struct RouteMatch {
  std::optional<Route> route;  // set when the request may proceed
  int status = 200;            // 404 or 405 otherwise
  std::string reason;
  std::string allow;           // the Allow header for a 405
};

// `target` is the request target; a query string is ignored.
// POST /slack/events, POST /slack/commands, POST /github/webhook,
// GET|HEAD /healthz, /readyz, /metrics.
[[nodiscard]] RouteMatch match_route(std::string_view method, std::string_view target);

// The webhook secrets; an unset secret switches its routes off (503).
struct IngressSecrets {
  std::optional<std::string> slack_signing_secret;
  std::optional<std::string> github_webhook_secret;
};

// Verifies the signature over the raw body, then translates. 503 when the
// source is not configured, 401 on a bad signature (reason from the check),
// otherwise the translator's decision. `route` must be a webhook route
// (others are Reject 404).
[[nodiscard]] WebhookDecision decide_webhook(Route route, const IngressSecrets& secrets,
                                             std::string_view body,
                                             const http::HeaderList& headers,
                                             std::chrono::system_clock::time_point now);

}  // namespace atlas::router
