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

struct RouterConfig {
  int port = 8080;                 // ROUTER_PORT: webhooks, /healthz, /readyz, /metrics (0: any free port)
  int delivery_max_attempts = 3;   // DELIVERY_MAX_ATTEMPTS: attempts in all, the first included
  SlackSettings slack;
  GithubSettings github;

  // Reads and validates the router's variables; problems are recorded on
  // `reader` (call reader.finish() after loading everything). The GitHub App
  // key is parsed here so a bad PEM stops the router at start-up.
  static RouterConfig load(ConfigReader& reader);
};

}  // namespace atlas::router
