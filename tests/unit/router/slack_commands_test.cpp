#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "atlas/router/slack_commands.hpp"

using atlas::router::Accept;
using atlas::router::Reject;
using atlas::router::Respond;
using atlas::router::translate_slack_command;
using nlohmann::json;

namespace {

const std::string kBase =
    "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705"
    "&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fatlas"
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678"
    "&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456";

}  // namespace

TEST_CASE("router slack commands: a command with text becomes a chat acknowledged with the task id") {
  const auto d = translate_slack_command(kBase + "&text=design+a+CI+pipeline+%26+CD");
  REQUIRE(std::holds_alternative<Accept>(d));
  const auto& a = std::get<Accept>(d);
  CHECK(a.chat.text == "design a CI pipeline & CD");
  CHECK(a.chat.origin == json{{"kind", "slack"},
                              {"team", "T0001"},
                              {"channel", "C2147483705"},
                              {"user", "U2147483697"},
                              {"command", "/atlas"},
                              {"response_url", "https://hooks.slack.com/commands/1234/5678"}});
  CHECK(a.dedupe_keys == std::vector<std::string>{"slack:command:13345224609.738474920.8088930838d88f008e0"});
  CHECK(a.ack == atlas::router::AckStyle::slack_ephemeral_task);

  const auto id = atlas::router::webhook_task_id(a);
  const auto answer = atlas::router::acknowledge(a, id);
  CHECK(answer.status == 200);
  CHECK(answer.content_type == "application/json");
  CHECK(json::parse(answer.body) ==
        json{{"response_type", "ephemeral"}, {"text", "Atlas is on it: task " + id.to_string()}});
}

TEST_CASE("router slack commands: ssl_check is answered 200 with an empty body") {
  const auto d = translate_slack_command("ssl_check=1&token=abc");
  REQUIRE(std::holds_alternative<Respond>(d));
  CHECK(std::get<Respond>(d).status == 200);
  CHECK(std::get<Respond>(d).body.empty());
}

TEST_CASE("router slack commands: no text or 'help' answers an ephemeral usage hint and publishes nothing") {
  for (const std::string suffix : {"&text=", "", "&text=+++", "&text=help"}) {
    CAPTURE(suffix);
    const auto d = translate_slack_command(kBase + suffix);
    REQUIRE(std::holds_alternative<Respond>(d));
    const auto body = json::parse(std::get<Respond>(d).body);
    CHECK(body["response_type"] == "ephemeral");
    CHECK(body["text"].get<std::string>().rfind("Usage: /atlas <architecture request>", 0) == 0);
  }
}

TEST_CASE("router slack commands: malformed forms, bad UTF-8 and missing fields are 400") {
  const auto status = [](const std::string& body) {
    const auto d = translate_slack_command(body);
    return std::holds_alternative<Reject>(d) ? std::get<Reject>(d).status : 0;
  };
  CHECK(status(kBase + "&text=100%") == 400);
  CHECK(status(kBase + "&text=%zz") == 400);
  CHECK(status(kBase + "&text=%C3%28") == 400);  // invalid UTF-8 after decoding
  CHECK(status("text=hello&channel_id=C1&trigger_id=T") == 400);              // no command
  CHECK(status("text=hello&command=%2Fatlas&trigger_id=T") == 400);           // no channel
  CHECK(status("text=hello&command=%2Fatlas&channel_id=C1") == 400);          // no trigger
  CHECK(status("text=hello&command=%2Fatlas&channel_id=C+1&trigger_id=T") == 400);
}
