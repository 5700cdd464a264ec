// The pure pieces the router's adapters add: why a webhook was refused (the
// webhooks_total{outcome} label), the exported series and their labels, the
// operational settings and the JSON lists handed to SQL.
#include <doctest/doctest.h>

#include <prometheus/text_serializer.h>

#include "atlas/router/dedupe_batcher.hpp"
#include "atlas/router/ingress.hpp"
#include "atlas/router/ingress_service.hpp"
#include "atlas/router/metrics.hpp"
#include "atlas/router/router_config.hpp"
#include "atlas/router/signature.hpp"
#include "atlas/router/store.hpp"

using namespace atlas::router;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

atlas::http::HeaderList slack_headers(const std::string& secret, std::int64_t ts,
                                      const std::string& body) {
  const std::string t = std::to_string(ts);
  return {{"X-Slack-Request-Timestamp", t}, {"X-Slack-Signature", slack_signature(secret, t, body)}};
}

RouterConfig load(std::map<std::string, std::string> vars, std::vector<std::string>& problems) {
  const auto env = atlas::EnvSource::from_map(std::move(vars));
  atlas::Redactor redactor;
  atlas::ConfigReader reader(env, redactor);
  RouterConfig c = RouterConfig::load(reader);
  try {
    reader.finish();
  } catch (const atlas::ConfigError& e) {
    problems = e.problems();
  }
  return c;
}

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("router ingress: a refusal says why - stale, bad signature, unavailable, malformed") {
  IngressSecrets secrets{std::string("s3cret"), std::nullopt};
  const std::string body = R"({"type":"event_callback"})";
  const std::int64_t now_s = 1'700'000'000;

  const auto stale = decide_webhook(Route::slack_events, secrets, body,
                                    slack_headers("s3cret", now_s - 301, body), kNow);
  REQUIRE(std::holds_alternative<Reject>(stale));
  CHECK(std::get<Reject>(stale).status == 401);
  CHECK(std::get<Reject>(stale).kind == RejectKind::stale);

  const auto forged = decide_webhook(Route::slack_events, secrets, body,
                                     slack_headers("other", now_s, body), kNow);
  REQUIRE(std::holds_alternative<Reject>(forged));
  CHECK(std::get<Reject>(forged).kind == RejectKind::bad_signature);

  const auto missing = decide_webhook(Route::slack_commands, secrets, body, {}, kNow);
  REQUIRE(std::holds_alternative<Reject>(missing));
  CHECK(std::get<Reject>(missing).kind == RejectKind::bad_signature);

  const auto github = decide_webhook(Route::github_webhook, secrets, body, {}, kNow);
  REQUIRE(std::holds_alternative<Reject>(github));
  CHECK(std::get<Reject>(github).status == 503);
  CHECK(std::get<Reject>(github).kind == RejectKind::unavailable);

  const auto broken = decide_webhook(Route::slack_events, secrets, "{oops",
                                     slack_headers("s3cret", now_s, "{oops"), kNow);
  REQUIRE(std::holds_alternative<Reject>(broken));
  CHECK(std::get<Reject>(broken).status == 400);
  CHECK(std::get<Reject>(broken).kind == RejectKind::malformed);

  CHECK(webhook_source(Route::slack_events) == "slack_events");
  CHECK(webhook_source(Route::slack_commands) == "slack_commands");
  CHECK(webhook_source(Route::github_webhook) == "github");
}

TEST_CASE("router metrics: the contract's series exist at zero with their labels") {
  prometheus::Registry registry;
  RouterMetrics metrics(registry);
  metrics.webhook(kSourceGithub, "accepted");
  metrics.delivery("slack", "delivered");
  metrics.retry_reinjected("architect_out");
  metrics.dead_letter("delivery_failed");
  metrics.consumer_lag("atlas-router", 7);
  metrics.dead_letter_count.Set(3);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  for (const char* series : {
           R"(atlas_webhooks_total{outcome="accepted",source="github"} 1)",
           R"(atlas_webhooks_total{outcome="stale",source="slack_events"} 0)",
           R"(atlas_webhooks_total{outcome="bad_signature",source="slack_commands"} 0)",
           R"(atlas_webhook_seconds_bucket{source="github",le="0.025"} 0)",
           R"(atlas_inbox_relayed_total 0)",
           R"(atlas_deliveries_total{channel="slack",outcome="delivered"} 1)",
           R"(atlas_deliveries_total{channel="none",outcome="skipped"} 0)",
           R"(atlas_delivery_seconds_count{channel="github"} 0)",
           R"(atlas_retries_scheduled_total{component="router"} 0)",
           R"(atlas_retries_reinjected_total{target_topic="architect_out"} 1)",
           R"(atlas_escalations_total{component="router"} 0)",
           R"(atlas_dead_letters_total{component="router",error_class="delivery_failed"} 1)",
           R"(atlas_dead_letters_total{component="router",error_class="invalid_input"} 0)",
           R"(dead_letter_count 3)",
           R"(atlas_consumer_lag_messages{component="router",group="atlas-router"} 7)"}) {
    INFO(series);
    CHECK(text.find(series) != std::string::npos);
  }
}

TEST_CASE("router config: operational settings have defaults and bounds") {
  std::vector<std::string> problems;
  const RouterConfig d = load({}, problems);
  CHECK(problems.empty());
  CHECK(d.tuning.ack_timeout == std::chrono::milliseconds(2500));
  CHECK(d.tuning.dedupe_ttl == std::chrono::hours(24));
  CHECK(d.tuning.inbox_relay);
  CHECK(d.tuning.relay_poll == std::chrono::milliseconds(500));
  CHECK(d.tuning.retry_max_held == 10'000);

  problems.clear();
  const RouterConfig c = load({{"ROUTER_ACK_TIMEOUT_S", "1.5"},
                               {"ROUTER_INBOX_RELAY", "false"},
                               {"RETRY_MAX_HELD", "50"}},
                              problems);
  CHECK(problems.empty());
  CHECK(c.tuning.ack_timeout == std::chrono::milliseconds(1500));
  CHECK_FALSE(c.tuning.inbox_relay);
  CHECK(c.tuning.retry_max_held == 50);

  problems.clear();
  load({{"ROUTER_DEDUPE_TTL_S", "60"},
        {"DELIVERY_RETRY_INITIAL_S", "5"},
        {"DELIVERY_RETRY_MAX_S", "1"},
        {"ROUTER_MAX_CONNECTIONS", "0"}},
       problems);
  CHECK(mentions(problems, "ROUTER_DEDUPE_TTL_S"));
  CHECK(mentions(problems, "DELIVERY_RETRY_MAX_S is smaller than DELIVERY_RETRY_INITIAL_S"));
  CHECK(mentions(problems, "ROUTER_MAX_CONNECTIONS"));
}

TEST_CASE("router store: array parameters are PostgreSQL array literals, every element quoted and escaped") {
  using atlas::router::pg_array_literal;
  CHECK(pg_array_literal({}) == "{}");
  CHECK(pg_array_literal({"slack:message:T1:C1:1.2"}) == R"({"slack:message:T1:C1:1.2"})");
  // Quotes and backslashes escaped; commas, braces and NULL stay text inside quotes.
  CHECK(pg_array_literal({"a\"b", "c\\d", "e,{f}", "NULL"}) == R"({"a\"b","c\\d","e,{f}","NULL"})");
}

TEST_CASE("router dedupe: a claim's verdict from the rows holding the keys it did not get") {
  const atlas::Uuid mine = atlas::Uuid::v5(atlas::kAtlasNamespace, "webhook:slack:event:Ev1");
  const atlas::Uuid other = atlas::Uuid::v5(atlas::kAtlasNamespace, "webhook:slack:event:Ev2");

  SUBCASE("every key claimed: fresh") {
    const ClaimResult r = judge_claim({}, mine, {});
    CHECK_FALSE(r.duplicate);
  }
  SUBCASE("a published row of the same task: a redelivery, duplicate") {
    const ClaimResult r = judge_claim({"slack:event:Ev1"}, mine,
                                      {{"slack:event:Ev1", HeldKey{"published", mine.to_string()}}});
    CHECK(r.duplicate);
    CHECK(r.published_task_id == mine.to_string());
  }
  SUBCASE("the same post through another event (another task), even unfinished: duplicate") {
    const ClaimResult r =
        judge_claim({"slack:message:T1:C1:1.2"}, mine,
                    {{"slack:message:T1:C1:1.2", HeldKey{"claimed", other.to_string()}}});
    CHECK(r.duplicate);
    CHECK(r.published_task_id == other.to_string());
  }
  SUBCASE("an unfinished claim of the same task is taken over, not a duplicate (G1)") {
    const ClaimResult r = judge_claim({"slack:event:Ev1"}, mine,
                                      {{"slack:event:Ev1", HeldKey{"claimed", mine.to_string()}}});
    CHECK_FALSE(r.duplicate);
  }
  SUBCASE("a key whose row expired meanwhile holds nothing back") {
    const ClaimResult r = judge_claim({"slack:event:Ev1"}, mine, {});
    CHECK_FALSE(r.duplicate);
  }
}

TEST_CASE("router dedupe: requests sharing a key are not claimed in the same batch") {
  const std::vector<std::string> a = {"k1", "k2"};
  const std::vector<std::string> b = {"k3"};
  const std::vector<std::string> c = {"k2", "k4"};  // shares k2 with a
  const std::vector<std::string> d = {"k5"};
  CHECK(pick_batch({&a, &b, &c, &d}, 10) == std::vector<std::size_t>{0, 1, 3});
  CHECK(pick_batch({&a, &b, &c, &d}, 2) == std::vector<std::size_t>{0, 1});
  CHECK(pick_batch({&c, &a}, 10) == std::vector<std::size_t>{0});
  CHECK(pick_batch({}, 10).empty());
  // No key shared: every request in order, up to max_batch.
  CHECK(pick_batch({&a, &b, &d}, 10) == std::vector<std::size_t>{0, 1, 2});
  CHECK(pick_batch({&a, &b, &d}, 2) == std::vector<std::size_t>{0, 1});
  // A request that repeats its own key clashes with no one.
  const std::vector<std::string> twice = {"k6", "k6"};
  CHECK(pick_batch({&a, &twice, &b}, 10) == std::vector<std::size_t>{0, 1, 2});
  CHECK(pick_batch({&a, &twice, &c}, 10) == std::vector<std::size_t>{0, 1});
}

TEST_CASE("router dedupe: a request whose key the batch confirms waits for the next batch") {
  const std::vector<std::string> a = {"k1"};
  const std::vector<std::string> b = {"k2", "k3"};  // k3 is being confirmed
  const std::vector<std::string> c = {"k4"};
  CHECK(pick_batch({&a, &b, &c}, 10, {"k3", "k9"}) == std::vector<std::size_t>{0, 2});
  CHECK(pick_batch({&b}, 10, {"k3"}).empty());
  CHECK(pick_batch({&b}, 10, {}) == std::vector<std::size_t>{0});
}
