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

void load_tuning(ConfigReader& r, RouterTuning& t) {
  t.http_threads = static_cast<int>(r.integer("ROUTER_HTTP_THREADS", t.http_threads, 1, 64));
  t.max_connections = static_cast<std::size_t>(
      r.integer("ROUTER_MAX_CONNECTIONS", static_cast<std::int64_t>(t.max_connections), 1, 1'000'000));
  t.max_pending_webhooks = static_cast<std::size_t>(r.integer(
      "ROUTER_MAX_PENDING_WEBHOOKS", static_cast<std::int64_t>(t.max_pending_webhooks), 1, 1'000'000));
  t.read_timeout = r.seconds("ROUTER_READ_TIMEOUT_S", 10, 0.1, 300);
  t.ack_timeout = r.seconds("ROUTER_ACK_TIMEOUT_S", 2.5, 0.05, 60);
  t.dedupe_ttl = std::chrono::duration_cast<std::chrono::seconds>(
      r.seconds("ROUTER_DEDUPE_TTL_S", 86400, 600, 30 * 86400));
  t.worker_threads = static_cast<int>(r.integer("ROUTER_WORKER_THREADS", t.worker_threads, 1, 256));
  t.db_pool_size = static_cast<int>(r.integer("ROUTER_DB_POOL_SIZE", 0, 0, 512));
  t.startup_db_wait = r.seconds("ROUTER_STARTUP_DB_WAIT_S", 30, 0, 3600);
  t.inbox_relay = r.boolean("ROUTER_INBOX_RELAY", t.inbox_relay);
  t.relay_poll = r.seconds("ROUTER_RELAY_POLL_S", 0.5, 0.05, 60);
  t.relay_batch = static_cast<int>(r.integer("ROUTER_RELAY_BATCH", t.relay_batch, 1, 10'000));
  t.delivery_max_inflight = static_cast<std::size_t>(r.integer(
      "DELIVERY_MAX_INFLIGHT", static_cast<std::int64_t>(t.delivery_max_inflight), 1, 100'000));
  t.delivery_timeout = r.seconds("DELIVERY_TIMEOUT_S", 10, 0.1, 300);
  t.retry_initial_backoff = r.seconds("DELIVERY_RETRY_INITIAL_S", 0.5, 0.01, 3600);
  t.retry_max_backoff = r.seconds("DELIVERY_RETRY_MAX_S", 30, 0.01, 86400);
  if (t.retry_max_backoff < t.retry_initial_backoff) {
    r.problem("DELIVERY_RETRY_MAX_S is smaller than DELIVERY_RETRY_INITIAL_S: make the cap at "
              "least the first wait");
  }
  t.retry_max_held = static_cast<std::size_t>(
      r.integer("RETRY_MAX_HELD", static_cast<std::int64_t>(t.retry_max_held), 1, 10'000'000));
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

  load_tuning(r, c.tuning);

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
