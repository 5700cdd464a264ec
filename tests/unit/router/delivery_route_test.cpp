#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "atlas/router/delivery_route.hpp"

using atlas::router::GithubDestination;
using atlas::router::RecordOnly;
using atlas::router::SlackDestination;
using atlas::router::Undeliverable;
using nlohmann::json;

namespace {

const atlas::Uuid kRequestId = *atlas::Uuid::parse("6f1c2a52-3f55-4d5b-9f43-2d0f5d0f7a11");

atlas::Envelope reply_with_origin(json origin, std::string text = "# ADR-001\nUse GitHub Actions.") {
  const auto request = atlas::make_chat("design a CI pipeline", std::move(origin), kRequestId);
  return atlas::make_reply(request, atlas::MsgType::spec, std::move(text), atlas::Status::done);
}

}  // namespace

TEST_CASE("router delivery route: Slack replies go to the channel and thread of the request") {
  const auto route = atlas::router::route_delivery(reply_with_origin(
      {{"kind", "slack"}, {"team", "T1"}, {"channel", "C1"}, {"thread_ts", "1.2"}, {"user", "U1"}}));
  REQUIRE(std::holds_alternative<SlackDestination>(route));
  const auto& to = std::get<SlackDestination>(route);
  CHECK(to.channel == "C1");
  CHECK(to.thread_ts == std::optional<std::string>("1.2"));
  CHECK(to.channel_key() == "T1:C1");
  // A slash command has no thread: a top-level message in the channel.
  const auto command = atlas::router::route_delivery(reply_with_origin(
      {{"kind", "slack"}, {"team", "T1"}, {"channel", "C1"}, {"command", "/atlas"}}));
  REQUIRE(std::holds_alternative<SlackDestination>(command));
  CHECK_FALSE(std::get<SlackDestination>(command).thread_ts);
}

TEST_CASE("router delivery route: GitHub replies go to the issue, with the installation when known") {
  const auto route = atlas::router::route_delivery(reply_with_origin(
      {{"kind", "github"}, {"repo", "octo/hello"}, {"issue_number", 42}, {"installation_id", 7}}));
  REQUIRE(std::holds_alternative<GithubDestination>(route));
  const auto& to = std::get<GithubDestination>(route);
  CHECK(to.repo == "octo/hello");
  CHECK(to.issue_number == 42);
  CHECK(to.installation_id == std::optional<std::int64_t>(7));
}

TEST_CASE("router delivery route: cli, db, no origin, requests and control messages are recorded only") {
  CHECK(std::holds_alternative<RecordOnly>(atlas::router::route_delivery(reply_with_origin({{"kind", "cli"}}))));
  CHECK(std::holds_alternative<RecordOnly>(atlas::router::route_delivery(reply_with_origin({{"kind", "db"}}))));
  CHECK(std::holds_alternative<RecordOnly>(atlas::router::route_delivery(reply_with_origin(nullptr))));
  const auto request = atlas::make_chat("x", {{"kind", "slack"}, {"channel", "C1"}}, kRequestId);
  CHECK(std::holds_alternative<RecordOnly>(atlas::router::route_delivery(request)));
  // An escalation (control) is never posted: posting could fail and escalate again.
  const auto escalation = atlas::make_escalation("gave up", kRequestId, 3, "HTTP 500",
                                                 {{"kind", "slack"}, {"channel", "C1"}});
  CHECK(std::holds_alternative<RecordOnly>(atlas::router::route_delivery(escalation)));
}

TEST_CASE("router delivery route: origins with missing or unsafe fields are undeliverable") {
  for (const json& origin :
       {json{{"kind", "slack"}}, json{{"kind", "slack"}, {"channel", 5}},
        json{{"kind", "slack"}, {"channel", "C 1"}},
        json{{"kind", "slack"}, {"channel", "C1"}, {"thread_ts", "1 2"}},
        json{{"kind", "github"}, {"repo", "../x"}, {"issue_number", 1}},
        json{{"kind", "github"}, {"repo", "o/r"}},
        json{{"kind", "github"}, {"repo", "o/r"}, {"issue_number", "1"}},
        json{{"kind", "github"}, {"repo", "o/r"}, {"issue_number", 1}, {"installation_id", "x"}}}) {
    CAPTURE(origin);
    CHECK(std::holds_alternative<Undeliverable>(atlas::router::route_delivery(reply_with_origin(origin))));
  }
}
