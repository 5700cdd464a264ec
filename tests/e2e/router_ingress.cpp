// atlas-router's webhook ingress, driven from outside: the built binary
// against a private PostgreSQL and atlas-devbus. Signed Slack and GitHub
// webhooks become exactly one chat each on architect_in with the right
// origin; duplicates are answered 200 and not republished; forged, stale,
// malformed and oversized requests are refused and publish nothing; a
// request is durable (PostgreSQL) and answered even when Kafka is
// unreachable, and the inbox relay publishes it later (G1).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "atlas/malloc_tuning.hpp"
#include "router_harness.hpp"

using namespace atlas;
using namespace atlas::test;
using namespace atlas::test::router_e2e;

namespace {

// One PostgreSQL, one bus, one router and one reader of architect_in for
// every test in this file (each test uses ids of its own).
struct Env {
  Logger logger{"e2e-router-ingress", test_log_level(LogLevel::warn), LogFormat::json};
  PgFixture pg;
  DevbusFixture bus;
  RouterProcess router{router_env(pg.url(), bus.bootstrap())};
  TopicReader in{bus.settings(), "architect_in", logger};
  http::Client client;

  Env() { REQUIRE(in.wait_assigned()); }

  http::ClientResponse send(http::ClientRequest r) { return client.send(std::move(r)).get(); }
  std::string metrics() {
    http::ClientRequest r;
    r.url = router.url("/metrics");
    return send(std::move(r)).body;
  }
};

Env& env() {
  static Env e;
  return e;
}

}  // namespace

TEST_CASE("router ingress: a signed Slack app_mention becomes one chat on architect_in with its origin") {
  Env& e = env();
  const std::string body = slack_mention_event("EvSlack1", "C0CHAN1", "1700000000.000100",
                                               "design a minimal CI pipeline");
  const auto response = e.send(slack_request(e.router.url("/slack/events"), body));
  REQUIRE(response.status == 200);

  std::vector<json> chats;
  REQUIRE(wait_until(
      [&] {
        chats = e.in.matching([](const json& j) {
          return j["metadata"]["origin"].value("event_id", "") == "EvSlack1";
        });
        return !chats.empty();
      },
      10s));
  const json& chat = chats.front();
  CHECK(chat["msg_type"] == "chat");
  CHECK(chat["content"] == "design a minimal CI pipeline");  // the mention is stripped
  const json& origin = chat["metadata"]["origin"];
  CHECK(origin["kind"] == "slack");
  CHECK(origin["team"] == "T0001");
  CHECK(origin["channel"] == "C0CHAN1");
  CHECK(origin["thread_ts"] == "1700000000.000100");
  // Keyed by the task id.
  const auto on_bus = e.in.with_task(chat["task_id"].get<std::string>());
  REQUIRE(on_bus.size() == 1);
  CHECK(on_bus[0].key == chat["task_id"].get<std::string>());

  // The same event delivered again is answered 200 and not republished.
  {
    const auto again = e.send(slack_request(e.router.url("/slack/events"), body));
    CHECK(again.status == 200);
    // The same post as a second event (a "message" for the same ts) is a duplicate too.
    const std::string same_post = slack_mention_event("EvSlack1b", "C0CHAN1", "1700000000.000100",
                                                      "design a minimal CI pipeline");
    CHECK(e.send(slack_request(e.router.url("/slack/events"), same_post)).status == 200);
    std::this_thread::sleep_for(1500ms);
    CHECK(e.in.with_task(chat["task_id"].get<std::string>()).size() == 1);
    CHECK(e.in.matching([](const json& j) {
              return j["metadata"]["origin"].value("channel", "") == "C0CHAN1";
            }).size() == 1);
    CHECK(metric_value(e.metrics(), R"(atlas_webhooks_total{outcome="duplicate",source="slack_events"})") >= 2);
  }
}

TEST_CASE("router ingress: a GitHub /atlas comment becomes a chat with repo and issue; a redelivery is not republished") {
  Env& e = env();
  const std::string body = github_comment_event("octo/widgets", 12, "/atlas design a deploy pipeline");
  const auto response = e.send(github_request(e.router.url("/github/webhook"), "issue_comment",
                                              "delivery-0001", body));
  REQUIRE(response.status == 200);
  std::vector<json> chats;
  REQUIRE(wait_until(
      [&] {
        chats = e.in.matching([](const json& j) {
          return j["metadata"]["origin"].value("repo", "") == "octo/widgets";
        });
        return !chats.empty();
      },
      10s));
  const json& origin = chats.front()["metadata"]["origin"];
  CHECK(origin["kind"] == "github");
  CHECK(origin["issue_number"] == 12);
  CHECK(origin["installation_id"] == 777);
  CHECK(chats.front()["content"] == "design a deploy pipeline");

  // GitHub's "Redeliver" sends the same delivery id.
  CHECK(e.send(github_request(e.router.url("/github/webhook"), "issue_comment", "delivery-0001",
                              body)).status == 200);
  std::this_thread::sleep_for(1500ms);
  CHECK(e.in.matching([](const json& j) {
          return j["metadata"]["origin"].value("repo", "") == "octo/widgets";
        }).size() == 1);

  // ping is answered, and comments not addressed to Atlas are ignored.
  const auto ping = e.send(github_request(e.router.url("/github/webhook"), "ping", "delivery-ping",
                                          R"({"zen":"Keep it logically awesome."})"));
  CHECK(ping.status == 200);
  CHECK(ping.body.find("pong") != std::string::npos);
  const auto chatter = e.send(github_request(e.router.url("/github/webhook"), "issue_comment",
                                             "delivery-0002",
                                             github_comment_event("octo/widgets", 12, "looks good")));
  CHECK(chatter.status == 200);
  CHECK(chatter.body.find("ignored") != std::string::npos);
}

TEST_CASE("router ingress: slash commands are acknowledged with the task id; url_verification gets its challenge") {
  Env& e = env();
  const std::string form =
      "token=x&team_id=T0001&channel_id=C0CMD&user_id=U1&command=%2Fatlas"
      "&text=design+a+CI+pipeline&response_url=https%3A%2F%2Fhooks.slack.test%2Fr&trigger_id=trig.1";
  const auto ack = e.send(slack_request(e.router.url("/slack/commands"), form, unix_now(), kSlackSecret,
                                        "application/x-www-form-urlencoded"));
  REQUIRE(ack.status == 200);
  const json body = json::parse(ack.body);
  CHECK(body["response_type"] == "ephemeral");
  const std::string text = body["text"];
  const std::string task_id = text.substr(text.rfind(' ') + 1);
  REQUIRE(Uuid::parse(task_id).has_value());
  CHECK(wait_until([&] { return e.in.with_task(task_id).size() == 1; }, 10s));

  const auto challenge = e.send(slack_request(
      e.router.url("/slack/events"), R"({"type":"url_verification","challenge":"c-3b9f","token":"t"})"));
  CHECK(challenge.status == 200);
  CHECK(json::parse(challenge.body)["challenge"] == "c-3b9f");
}

TEST_CASE("router ingress: forged, stale, malformed, oversized and misrouted requests are refused and publish nothing") {
  Env& e = env();
  const std::size_t before = e.in.size();
  const std::string body = slack_mention_event("EvForged", "C0FORGE", "1700000001.000100", "hello");

  // Forged: signed with another secret.
  const auto forged = e.send(slack_request(e.router.url("/slack/events"), body, unix_now(), "not-the-secret"));
  CHECK(forged.status == 401);
  CHECK(forged.body.find(kSlackSecret) == std::string::npos);
  // Signed correctly, but the timestamp is 10 minutes old (a replay).
  CHECK(e.send(slack_request(e.router.url("/slack/events"), body, unix_now() - 600)).status == 401);
  // Missing signature headers.
  CHECK(e.send(post(e.router.url("/slack/events"), body, {{"Content-Type", "application/json"}})).status == 401);
  // GitHub with a wrong signature.
  auto gh = github_request(e.router.url("/github/webhook"), "issue_comment", "delivery-forged",
                           github_comment_event("octo/forged", 1, "/atlas hi"), "wrong-secret");
  CHECK(e.send(std::move(gh)).status == 401);
  // Signed but not JSON.
  CHECK(e.send(slack_request(e.router.url("/slack/events"), "{not json")).status == 400);
  // Larger than 1 MiB: refused before it is read.
  const std::string huge(1024 * 1024 + 10, 'x');
  CHECK(e.send(slack_request(e.router.url("/slack/events"), huge)).status == 413);
  // More header fields than allowed.
  http::HeaderList many;
  for (int i = 0; i < 150; ++i) many.emplace_back("X-Filler-" + std::to_string(i), "x");
  CHECK(e.send(post(e.router.url("/slack/events"), body, many)).status == 431);
  // Unknown route, wrong method.
  CHECK(e.send(post(e.router.url("/slack/nothing"), "{}", {})).status == 404);
  http::ClientRequest get;
  get.url = e.router.url("/slack/events");
  CHECK(e.send(std::move(get)).status == 405);

  std::this_thread::sleep_for(1500ms);
  CHECK(e.in.size() == before);
  const std::string metrics = e.metrics();
  CHECK(metric_value(metrics, R"(atlas_webhooks_total{outcome="bad_signature",source="slack_events"})") >= 2);
  CHECK(metric_value(metrics, R"(atlas_webhooks_total{outcome="stale",source="slack_events"})") >= 1);
  CHECK(metric_value(metrics, R"(atlas_webhooks_total{outcome="bad_signature",source="github"})") >= 1);
  CHECK(metric_value(metrics, R"(atlas_webhooks_total{outcome="malformed",source="slack_events"})") >= 1);
  CHECK(e.router.log().find(kSlackSecret) == std::string::npos);
}

TEST_CASE("router ingress: with Kafka unreachable a webhook is answered 200 once stored in PostgreSQL, and the relay publishes it (G1)") {
  Env& e = env();
  // A second replica whose Kafka never answers, on the same database.
  auto cut_off = router_env(e.pg.url(), "127.0.0.1:" + std::to_string(unused_loopback_port()));
  cut_off["ROUTER_ACK_TIMEOUT_S"] = "1";
  cut_off["ROUTER_INBOX_RELAY"] = "false";
  RouterProcess slow(cut_off, "router-no-kafka");

  const std::string body = slack_mention_event("EvKafkaDown", "C0DOWN", "1700000002.000100",
                                               "design a queue");
  const auto started = std::chrono::steady_clock::now();
  const auto response = e.send(slack_request(slow.url("/slack/events"), body));
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(response.status == 200);
  CHECK(took < 3s);  // within Slack's 3 s
  CHECK(took >= 900ms);  // it did wait for Kafka first

  // The row is there; the first router's relay publishes it to the topic.
  const std::string count = e.pg.psql(
      "SELECT count(*) FROM architect_in WHERE data->'metadata'->'origin'->>'event_id' = 'EvKafkaDown'");
  CHECK(count == "1");
  std::vector<json> chats;
  REQUIRE(wait_until(
      [&] {
        chats = e.in.matching([](const json& j) {
          return j["metadata"]["origin"].value("event_id", "") == "EvKafkaDown";
        });
        return !chats.empty();
      },
      10s));
  CHECK(chats.size() == 1);
  CHECK(wait_until(
      [&] {
        return e.pg.psql("SELECT count(*) FROM architect_in WHERE relayed_at IS NULL AND "
                         "data->'metadata'->'origin'->>'event_id' = 'EvKafkaDown'") == "0";
      },
      5s));
  // Redelivered to the other replica: a duplicate through the shared store.
  CHECK(e.send(slack_request(e.router.url("/slack/events"), body)).status == 200);
  std::this_thread::sleep_for(1s);
  CHECK(e.in.matching([](const json& j) {
          return j["metadata"]["origin"].value("event_id", "") == "EvKafkaDown";
        }).size() == 1);
  CHECK(slow.log().find("making it durable in PostgreSQL") != std::string::npos);
}

TEST_CASE("router ingress: /healthz, /readyz and /metrics are served") {
  Env& e = env();
  http::ClientRequest health;
  health.url = e.router.url("/healthz");
  CHECK(e.send(std::move(health)).status == 200);
  CHECK(wait_until(
      [&] {
        http::ClientRequest ready;
        ready.url = e.router.url("/readyz");
        return e.send(std::move(ready)).status == 200;
      },
      15s));
  const std::string accepted = R"(atlas_webhooks_total{outcome="accepted",source="slack_events"})";
  const double accepted_before = metric_value(e.metrics(), accepted);
  const auto response = e.send(slack_request(
      e.router.url("/slack/events"),
      slack_mention_event("EvMetrics1", "C0METRICS", "1700000000.000900", "design a metrics pipeline")));
  REQUIRE(response.status == 200);
  // Counted as the answer goes out: it may land a moment after the client has it.
  std::string metrics;
  CHECK(wait_until(
      [&] {
        metrics = e.metrics();
        return metric_value(metrics, accepted) == accepted_before + 1;
      },
      5s));
  CHECK(metrics.find("atlas_deliveries_total") != std::string::npos);
  CHECK(metrics.find("dead_letter_count") != std::string::npos);
  CHECK(metrics.find("atlas_consumer_lag_messages") != std::string::npos);
}

TEST_CASE("router binary: runs with its allocator tuning unless GLIBC_TUNABLES was given") {
  Env& e = env();
  // The router sets the variable and executes itself again (same pid), so
  // the running process's environment shows what glibc was started with.
  const std::string environ_block = read_text_file("/proc/" + std::to_string(e.router.process().pid()) + "/environ");
  std::vector<std::string> variables;
  for (std::size_t start = 0; start < environ_block.size();) {
    const std::size_t end = environ_block.find('\0', start);
    variables.push_back(environ_block.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const char* given = std::getenv("GLIBC_TUNABLES");  // a caller's value is kept
  const std::string expected = std::string("GLIBC_TUNABLES=") + (given ? given : kMallocTunables);
  CHECK(std::count(variables.begin(), variables.end(), expected) == 1);
}

TEST_CASE("router binary: bad configuration exits 2 naming the variable") {
  TempDir dir("e2e-router-config");
  atlas::test::ChildProcess router(
      binary("atlas-router"), {},
      {{"ROUTER_PORT", "70000"}, {"DELIVERY_MAX_ATTEMPTS", "zero"}, {"GITHUB_APP_ID", "abc"}},
      dir.path());
  const auto status = router.wait_for_exit(10s);
  REQUIRE(status.has_value());
  CHECK(status->code == 2);
  const std::string err = router.stderr_text();
  CHECK(err.find("ROUTER_PORT") != std::string::npos);
  CHECK(err.find("DELIVERY_MAX_ATTEMPTS") != std::string::npos);
  CHECK(err.find("GITHUB_APP_ID") != std::string::npos);
}
