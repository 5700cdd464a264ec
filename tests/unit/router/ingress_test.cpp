#include <doctest/doctest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "atlas/router/ingress.hpp"
#include "atlas/router/signature.hpp"

using namespace std::chrono_literals;
using atlas::router::decide_webhook;
using atlas::router::IngressSecrets;
using atlas::router::match_route;
using atlas::router::Reject;
using atlas::router::Route;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
constexpr std::string_view kSlackSecret = "slack-signing-secret-123";
constexpr std::string_view kGithubSecret = "github-webhook-secret-456";

IngressSecrets secrets() {
  return {std::string(kSlackSecret), std::string(kGithubSecret)};
}

atlas::http::HeaderList slack_headers(std::string_view body, std::string ts = "1700000000") {
  return {{"X-Slack-Request-Timestamp", ts},
          {"X-Slack-Signature", atlas::router::slack_signature(kSlackSecret, ts, body)}};
}

int reject_status(const atlas::router::WebhookDecision& d) {
  return std::holds_alternative<Reject>(d) ? std::get<Reject>(d).status : 0;
}

const std::string kEvent = R"({"type":"event_callback","team_id":"T1","event_id":"Ev1",
  "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.2","text":"<@UB> design"}})";

}  // namespace

TEST_CASE("router ingress: routes, wrong methods 405 with Allow, unknown paths 404") {
  CHECK(match_route("POST", "/slack/events").route == Route::slack_events);
  CHECK(match_route("POST", "/slack/commands").route == Route::slack_commands);
  CHECK(match_route("POST", "/github/webhook?x=1").route == Route::github_webhook);
  CHECK(match_route("GET", "/healthz").route == Route::healthz);
  CHECK(match_route("HEAD", "/readyz").route == Route::readyz);
  CHECK(match_route("GET", "/metrics").route == Route::metrics);
  const auto wrong = match_route("GET", "/slack/events");
  CHECK_FALSE(wrong.route);
  CHECK(wrong.status == 405);
  CHECK(wrong.allow == "POST");
  CHECK(match_route("POST", "/metrics").status == 405);
  CHECK(match_route("POST", "/metrics").allow == "GET, HEAD");
  CHECK(match_route("GET", "/nope").status == 404);
  CHECK(match_route("POST", "/slack/events/").status == 404);
  CHECK(match_route("post", "/slack/events").status == 405);  // methods are case-sensitive
}

TEST_CASE("router ingress: a correctly signed Slack event is accepted") {
  const auto d = decide_webhook(Route::slack_events, secrets(), kEvent, slack_headers(kEvent), kNow);
  REQUIRE(std::holds_alternative<atlas::router::Accept>(d));
  CHECK(std::get<atlas::router::Accept>(d).chat.text == "design");
  CHECK(atlas::router::outcome_label(d) == "accepted");
}

TEST_CASE("router ingress: forged, stale and unsigned webhooks are 401 before any parsing") {
  // A forged body that is not even JSON still gets 401, not 400: nothing is parsed unverified.
  auto forged = slack_headers(kEvent);
  CHECK(reject_status(decide_webhook(Route::slack_events, secrets(), "garbage", forged, kNow)) == 401);
  CHECK(reject_status(decide_webhook(Route::slack_events, secrets(), kEvent, slack_headers(kEvent, "1699999000"), kNow)) == 401);
  CHECK(reject_status(decide_webhook(Route::slack_commands, secrets(), "text=x", {}, kNow)) == 401);
  CHECK(reject_status(decide_webhook(Route::github_webhook, secrets(), "{}", {{"X-GitHub-Event", "ping"}}, kNow)) == 401);
  const std::string body = R"({"zen":"z"})";
  const atlas::http::HeaderList gh = {{"X-GitHub-Event", "ping"}, {"X-GitHub-Delivery", "d1"},
                                      {"X-Hub-Signature-256", atlas::router::github_signature("wrong", body)}};
  const auto d = decide_webhook(Route::github_webhook, secrets(), body, gh, kNow);
  CHECK(reject_status(d) == 401);
  const auto answer = atlas::router::answer(std::get<Reject>(d));
  CHECK(answer.body.find(kGithubSecret) == std::string::npos);
  CHECK(nlohmann::json::parse(answer.body)["error"] == "X-Hub-Signature-256 does not match the body");
}

TEST_CASE("router ingress: a signed GitHub ping is answered") {
  const std::string body = R"({"zen":"z"})";
  const atlas::http::HeaderList gh = {{"x-github-event", "ping"}, {"x-github-delivery", "d1"},
                                      {"x-hub-signature-256", atlas::router::github_signature(kGithubSecret, body)}};
  const auto d = decide_webhook(Route::github_webhook, secrets(), body, gh, kNow);
  CHECK(atlas::router::outcome_label(d) == "answered");
}

TEST_CASE("router ingress: a source without its secret answers 503 naming the variable") {
  IngressSecrets none;
  const auto slack = decide_webhook(Route::slack_events, none, kEvent, slack_headers(kEvent), kNow);
  CHECK(reject_status(slack) == 503);
  CHECK(std::get<Reject>(slack).reason.find("SLACK_SIGNING_SECRET") != std::string::npos);
  const auto gh = decide_webhook(Route::github_webhook, none, "{}", {}, kNow);
  CHECK(reject_status(gh) == 503);
  CHECK(std::get<Reject>(gh).reason.find("GITHUB_WEBHOOK_SECRET") != std::string::npos);
  CHECK(reject_status(decide_webhook(Route::healthz, secrets(), "", {}, kNow)) == 404);
}

TEST_CASE("router webhook: answers and task ids") {
  using atlas::router::Accept;
  Accept a;
  a.chat = {"design", {{"kind", "slack"}, {"channel", "C1"}}};
  a.dedupe_keys = {"slack:event:Ev1", "slack:message:T:C:1"};
  const auto id = atlas::router::webhook_task_id(a);
  CHECK(id.version() == 5);
  CHECK(id == atlas::Uuid::v5(atlas::kAtlasNamespace, "webhook:slack:event:Ev1"));
  Accept b = a;
  b.dedupe_keys = {"slack:event:Ev2"};
  CHECK(atlas::router::webhook_task_id(b) != id);
  const auto ok = atlas::router::acknowledge(a, id);
  CHECK(ok.status == 200);
  CHECK(ok.body.empty());
  const auto ignored = atlas::router::answer(atlas::router::Ignore{"message from a bot"});
  CHECK(ignored.status == 200);
  CHECK(nlohmann::json::parse(ignored.body)["ignored"] == "message from a bot");
  const auto parsed = atlas::parse_envelope(atlas::router::chat_envelope(a, id));
  REQUIRE(parsed.ok());
  const auto& envelope = parsed.value();
  CHECK(envelope.task_id == id.to_string());
  CHECK(envelope.msg_type == atlas::MsgType::chat);
  CHECK(envelope.text() == "design");
  CHECK(envelope.origin() == a.chat.origin);
}
