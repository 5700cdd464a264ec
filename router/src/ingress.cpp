#include "atlas/router/ingress.hpp"

#include "atlas/router/github_webhooks.hpp"
#include "atlas/router/signature.hpp"
#include "atlas/router/slack_commands.hpp"
#include "atlas/router/slack_events.hpp"

namespace atlas::router {
namespace {

std::optional<std::string_view> header_view(const http::HeaderList& headers,
                                            std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (http::iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Route route) {
  switch (route) {
    case Route::slack_events: return "/slack/events";
    case Route::slack_commands: return "/slack/commands";
    case Route::github_webhook: return "/github/webhook";
    case Route::healthz: return "/healthz";
    case Route::readyz: return "/readyz";
    case Route::metrics: return "/metrics";
  }
  return "";
}

RouteMatch match_route(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  struct Entry {
    std::string_view path;
    Route route;
    bool post;
  };
  static constexpr Entry kRoutes[] = {
      {"/slack/events", Route::slack_events, true},
      {"/slack/commands", Route::slack_commands, true},
      {"/github/webhook", Route::github_webhook, true},
      {"/healthz", Route::healthz, false},
      {"/readyz", Route::readyz, false},
      {"/metrics", Route::metrics, false},
  };
  for (const auto& entry : kRoutes) {
    if (entry.path != path) continue;
    const bool allowed = entry.post ? method == "POST" : (method == "GET" || method == "HEAD");
    if (allowed) return RouteMatch{entry.route, 200, "", ""};
    const std::string allow = entry.post ? "POST" : "GET, HEAD";
    return RouteMatch{std::nullopt, 405, std::string(path) + " accepts " + allow + " only", allow};
  }
  return RouteMatch{std::nullopt, 404, "no such route", ""};
}

WebhookDecision decide_webhook(Route route, const IngressSecrets& secrets, std::string_view body,
                               const http::HeaderList& headers,
                               std::chrono::system_clock::time_point now) {
  switch (route) {
    case Route::slack_events:
    case Route::slack_commands: {
      if (!secrets.slack_signing_secret) {
        return Reject{503, "slack webhooks are not configured: set SLACK_SIGNING_SECRET",
                      RejectKind::unavailable};
      }
      const auto check = verify_slack_signature(
          *secrets.slack_signing_secret, header_view(headers, "X-Slack-Request-Timestamp"),
          header_view(headers, "X-Slack-Signature"), body, now);
      if (!check.ok()) {
        return Reject{401, std::string(check.reason),
                      check.status == SignatureStatus::stale ? RejectKind::stale
                                                             : RejectKind::bad_signature};
      }
      return route == Route::slack_events ? translate_slack_event(body)
                                          : translate_slack_command(body);
    }
    case Route::github_webhook: {
      if (!secrets.github_webhook_secret) {
        return Reject{503, "github webhooks are not configured: set GITHUB_WEBHOOK_SECRET",
                      RejectKind::unavailable};
      }
      const auto check = verify_github_signature(*secrets.github_webhook_secret,
                                                 header_view(headers, "X-Hub-Signature-256"), body);
      if (!check.ok()) return Reject{401, std::string(check.reason), RejectKind::bad_signature};
      return translate_github_event(body, headers);
    }
    case Route::healthz:
    case Route::readyz:
    case Route::metrics:
      break;
  }
  return Reject{404, "not a webhook route"};
}

}  // namespace atlas::router
