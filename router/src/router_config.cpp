#include "atlas/router/router_config.hpp"

#include <algorithm>
#include <cctype>

#include "atlas/router/github_app_jwt.hpp"

namespace atlas::router {
namespace {

bool all_digits(const std::string& text) {
  return !text.empty() && text.size() <= 20 &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

RouterConfig RouterConfig::load(ConfigReader& r) {
  RouterConfig c;
  c.port = static_cast<int>(r.integer("ROUTER_PORT", c.port, 0, 65535));
  c.delivery_max_attempts =
      static_cast<int>(r.integer("DELIVERY_MAX_ATTEMPTS", c.delivery_max_attempts, 1, 100));

  c.slack.signing_secret = r.secret("SLACK_SIGNING_SECRET");
  c.slack.bot_token = r.secret("SLACK_BOT_TOKEN");
  c.slack.api_url = r.url("SLACK_API_URL", c.slack.api_url);

  c.github.webhook_secret = r.secret("GITHUB_WEBHOOK_SECRET");
  c.github.token = r.secret("GITHUB_TOKEN");
  c.github.app_private_key = r.secret("GITHUB_APP_PRIVATE_KEY");
  const std::string app_id = r.string("GITHUB_APP_ID", "");
  if (!app_id.empty()) c.github.app_id = app_id;
  c.github.api_url = r.url("GITHUB_API_URL", c.github.api_url);

  if (c.github.app_id && !all_digits(*c.github.app_id)) {
    r.problem("GITHUB_APP_ID='" + *c.github.app_id +
              "' is not a GitHub App id: use the numeric App ID from the App's settings page");
  }
  if (c.github.app_id && !c.github.app_private_key) {
    r.problem("GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY is not: set it (or "
              "GITHUB_APP_PRIVATE_KEY_FILE) to the App's PEM private key");
  }
  if (c.github.app_private_key && !c.github.app_id) {
    r.problem("GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not: set GITHUB_APP_ID to "
              "the App's numeric id");
  }
  if (c.github.token && (c.github.app_id || c.github.app_private_key)) {
    r.problem("GITHUB_TOKEN and GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY are both set: keep one way "
              "of authenticating to GitHub (a token, or the App)");
  }
  if (c.github.app_private_key) {
    std::string error;
    if (!RsaPrivateKey::from_pem(*c.github.app_private_key, error)) {
      r.problem("GITHUB_APP_PRIVATE_KEY is not a usable RSA private key (" + error +
                "): paste the PEM file GitHub generated, BEGIN/END lines included");
    }
  }
  return c;
}

}  // namespace atlas::router
