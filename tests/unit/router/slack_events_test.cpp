#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "atlas/router/slack_events.hpp"

using atlas::router::Accept;
using atlas::router::Ignore;
using atlas::router::Reject;
using atlas::router::Respond;
using atlas::router::translate_slack_event;
using nlohmann::json;

namespace {

json mention_payload() {
  return json::parse(R"({
    "token": "XXYYZZ", "team_id": "T111", "api_app_id": "A111",
    "type": "event_callback", "event_id": "Ev0PV52K21", "event_time": 1515449522,
    "authorizations": [{"team_id": "T111", "user_id": "UATLAS", "is_bot": true}],
    "event": {"type": "app_mention", "user": "U222", "channel": "C333",
              "ts": "1515449522.000016", "event_ts": "1515449522.000016",
              "text": "<@UATLAS> design a minimal CI pipeline &amp; explain &lt;why&gt;"}
  })");
}

json dm_payload() {
  return json::parse(R"({
    "team_id": "T111", "type": "event_callback", "event_id": "Ev0DM",
    "authorizations": [{"user_id": "UATLAS", "is_bot": true}],
    "event": {"type": "message", "channel_type": "im", "user": "U222", "channel": "D444",
              "ts": "1700000000.000100", "text": "  an event-sourced ledger  "}
  })");
}

template <class T>
T as(const atlas::router::WebhookDecision& d) {  // a copy: callers pass temporaries
  REQUIRE(std::holds_alternative<T>(d));
  return std::get<T>(d);
}

}  // namespace

TEST_CASE("router slack events: url_verification answers the challenge") {
  const auto d = translate_slack_event(
      R"({"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})");
  const auto& r = as<Respond>(d);
  CHECK(r.status == 200);
  CHECK(json::parse(r.body) == json{{"challenge", "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}});
  CHECK(as<Reject>(translate_slack_event(R"({"type":"url_verification"})")).status == 400);
  CHECK(as<Reject>(translate_slack_event(R"({"type":"url_verification","challenge":42})")).status == 400);
}

TEST_CASE("router slack events: app_mention becomes a chat with the mention stripped and the thread kept") {
  const auto d = translate_slack_event(mention_payload().dump());
  const auto& a = as<Accept>(d);
  CHECK(a.chat.text == "design a minimal CI pipeline & explain <why>");
  CHECK(a.chat.origin == json{{"kind", "slack"},
                              {"team", "T111"},
                              {"channel", "C333"},
                              {"thread_ts", "1515449522.000016"},
                              {"user", "U222"},
                              {"event_id", "Ev0PV52K21"}});
  CHECK(a.dedupe_keys == std::vector<std::string>{"slack:message:T111:C333:1515449522.000016"});
  CHECK(a.ack == atlas::router::AckStyle::empty_ok);

  // In a thread: the reply goes to the thread's root.
  auto threaded = mention_payload();
  threaded["event"]["thread_ts"] = "1515449000.000001";
  CHECK(as<Accept>(translate_slack_event(threaded.dump())).chat.origin["thread_ts"] ==
        "1515449000.000001");
}

TEST_CASE("router slack events: the same post under another event_id has the same dedupe key and task id; another post does not") {
  const auto& first = as<Accept>(translate_slack_event(mention_payload().dump()));
  auto second_event = mention_payload();  // e.g. message.channels for the post app_mention announced
  second_event["event_id"] = "Ev0PV52K99";
  const auto& again = as<Accept>(translate_slack_event(second_event.dump()));
  CHECK(again.dedupe_keys == first.dedupe_keys);
  CHECK(atlas::router::webhook_task_id(again) == atlas::router::webhook_task_id(first));

  auto other_post = mention_payload();
  other_post["event"]["ts"] = "1515449523.000017";
  const auto& other = as<Accept>(translate_slack_event(other_post.dump()));
  CHECK(other.dedupe_keys != first.dedupe_keys);
  CHECK(atlas::router::webhook_task_id(other) != atlas::router::webhook_task_id(first));
}

TEST_CASE("router slack events: a direct message becomes a chat - channel messages are left to app_mention") {
  const auto& a = as<Accept>(translate_slack_event(dm_payload().dump()));
  CHECK(a.chat.text == "an event-sourced ledger");
  CHECK(a.chat.origin["channel"] == "D444");
  CHECK(a.chat.origin["thread_ts"] == "1700000000.000100");

  auto channel_msg = dm_payload();
  channel_msg["event"]["channel_type"] = "channel";
  CHECK(std::holds_alternative<Ignore>(translate_slack_event(channel_msg.dump())));
}

TEST_CASE("router slack events: bot messages, Atlas's own messages and edits are ignored (no loops)") {
  auto bot = dm_payload();
  bot["event"]["bot_id"] = "B999";
  CHECK(as<Ignore>(translate_slack_event(bot.dump())).reason == "message from a bot");

  auto bot_subtype = dm_payload();
  bot_subtype["event"]["subtype"] = "bot_message";
  CHECK(as<Ignore>(translate_slack_event(bot_subtype.dump())).reason == "message from a bot");

  auto own = dm_payload();
  own["event"]["user"] = "UATLAS";
  CHECK(as<Ignore>(translate_slack_event(own.dump())).reason == "message from Atlas itself");

  auto own_legacy = dm_payload();
  own_legacy.erase("authorizations");
  own_legacy["authed_users"] = {"UATLAS2"};
  own_legacy["event"]["user"] = "UATLAS2";
  CHECK(as<Ignore>(translate_slack_event(own_legacy.dump())).reason == "message from Atlas itself");

  auto edit = dm_payload();
  edit["event"]["subtype"] = "message_changed";
  CHECK(as<Ignore>(translate_slack_event(edit.dump())).reason.find("message_changed") != std::string::npos);

  auto broadcast = dm_payload();
  broadcast["event"]["subtype"] = "thread_broadcast";
  CHECK(std::holds_alternative<Accept>(translate_slack_event(broadcast.dump())));
}

TEST_CASE("router slack events: other events and payload types are ignored with the reason") {
  auto reaction = mention_payload();
  reaction["event"]["type"] = "reaction_added";
  CHECK(as<Ignore>(translate_slack_event(reaction.dump())).reason ==
        "event type 'reaction_added' is not handled");
  CHECK(std::holds_alternative<Ignore>(translate_slack_event(R"({"type":"app_rate_limited"})")));
  CHECK(std::holds_alternative<Ignore>(translate_slack_event(R"({"type":"block_actions"})")));
  auto empty = mention_payload();
  empty["event"]["text"] = "<@UATLAS>   ";
  CHECK(std::holds_alternative<Ignore>(translate_slack_event(empty.dump())));
}

TEST_CASE("router slack events: malformed bodies and fields of the wrong type are 400, never a crash") {
  for (std::string body :
       {std::string("not json"), std::string("[1,2]"), std::string("\"str\""), std::string("{}"),
        std::string("{\"type\":\"event_callback\"}"),
        std::string("{\"type\":\"event_callback\",\"event\":[],\"event_id\":\"E\"}"),
        std::string("{\"type\":\"event_callback\",\"event\":{\"type\":\"app_mention\",\"user\":\"U1\",\"text\":\"x\"},\"event_id\":\"E\",\"team_id\":\"T\"}"),
        std::string("{\"type\":42}"), std::string("{\"type\":\"event_callback\"") ,
        std::string("{\"a\":\"\xff\xfe\"}"), std::string(100, '[') + std::string(100, ']')}) {
    CAPTURE(body);
    const auto d = translate_slack_event(body);
    REQUIRE(std::holds_alternative<Reject>(d));
    CHECK(std::get<Reject>(d).status == 400);
  }
  auto wrong_types = mention_payload();
  wrong_types["event"]["text"] = 12;
  wrong_types["event"]["user"] = json::array();
  CHECK(std::holds_alternative<Ignore>(translate_slack_event(wrong_types.dump())));
  auto bad_channel = mention_payload();
  bad_channel["event"]["channel"] = json::object();
  CHECK(as<Reject>(translate_slack_event(bad_channel.dump())).reason.find("event.channel") != std::string::npos);
  auto spaces = mention_payload();
  spaces["event"]["channel"] = "C 333";
  CHECK(std::holds_alternative<Reject>(translate_slack_event(spaces.dump())));
}

// The payload is read in one pass (nlohmann's SAX interface), not parsed into
// a document: it must read what the document would have held.
TEST_CASE("router slack events: fields are read as a parsed document holds them - last repeat wins, nested look-alikes do not count") {
  // A repeated key: the last value counts, a non-string last value reads as absent.
  const std::string repeated = R"({"type":"event_callback","event_id":"Ev1","team_id":"T1",
    "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.1","text":"first",
             "text":"second","channel":"C2","user":"U9","user":{"id":"U1"}},
    "event_id":"Ev2"})";
  CHECK(as<Ignore>(translate_slack_event(repeated)).reason == "message without a user");
  const std::string repeated_ok = R"({"type":"event_callback","event_id":"Ev1","team_id":"T1",
    "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.1","text":"first",
             "text":"second","channel":"C2"},"event_id":"Ev2"})";
  const auto& a = as<Accept>(translate_slack_event(repeated_ok));
  CHECK(a.chat.text == "second");
  CHECK(a.chat.origin["channel"] == "C2");
  CHECK(a.chat.origin["event_id"] == "Ev2");

  // A second "event" replaces the first whole; a later non-object removes it.
  const std::string two_events = R"({"type":"event_callback","event_id":"E","team_id":"T",
    "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.1","text":"hello"},
    "event":{"type":"app_mention","user":"U1","ts":"1.1","text":"hello"}})";
  CHECK(as<Reject>(translate_slack_event(two_events)).reason.find("event.channel") !=
        std::string::npos);
  const std::string event_then_null = R"({"type":"event_callback","event_id":"E","team_id":"T",
    "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.1","text":"hello"},
    "event":null})";
  CHECK(as<Reject>(translate_slack_event(event_then_null)).reason ==
        "event_callback has no event object");

  // Fields of nested objects and of the top level do not stand in for the event's.
  const std::string decoys = R"({"type":"event_callback","event_id":"E","team_id":"T",
    "user":"U1","channel":"C1",
    "event":{"type":"app_mention","ts":"1.1","text":"hi","previous_message":{"user":"U1","channel":"C1"},
             "blocks":[{"type":"rich_text","user":"U1"}]}})";
  CHECK(as<Ignore>(translate_slack_event(decoys)).reason == "message without a user");

  // Atlas's ids: authorizations entries that are not objects, user ids that
  // are not strings, and nested look-alikes are skipped.
  const std::string own = R"({"type":"event_callback","event_id":"E","team_id":"T",
    "authorizations":["UX",{"user_id":7},{"team":{"user_id":"U1"}},{"user_id":"UBOT"}],
    "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.1","text":"<@UBOT> <@U7> go"}})";
  const auto& o = as<Accept>(translate_slack_event(own));
  CHECK(o.chat.text == "<@U7> go");  // only Atlas's own mention stripped
  const std::string replaced = R"({"type":"event_callback","event_id":"E","team_id":"T",
    "authorizations":[{"user_id":"U1"}],"authorizations":{"user_id":"U1"},
    "event":{"type":"app_mention","user":"U1","channel":"C1","ts":"1.1","text":"<@U5> go"}})";
  CHECK(as<Accept>(translate_slack_event(replaced)).chat.text == "go");  // U1 is not Atlas any more

  // Trailing bytes after the object, and a top level that is not an object.
  CHECK(as<Reject>(translate_slack_event(R"({"type":"url_verification","challenge":"c"} x)")).reason ==
        "body is not valid JSON");
  CHECK(as<Reject>(translate_slack_event(R"(["type","event_callback"])")).reason ==
        "body is not a JSON object");
}

TEST_CASE("router slack events: mention stripping keeps other people's mentions") {
  using atlas::router::strip_slack_mentions;
  const std::set<std::string, std::less<>> bots = {"UATLAS"};
  CHECK(strip_slack_mentions("<@UATLAS> hi", bots) == "hi");
  CHECK(strip_slack_mentions("<@UATLAS|atlas>   compare with <@U999>'s draft", bots) ==
        "compare with <@U999>'s draft");
  CHECK(strip_slack_mentions("please <@UATLAS> review", bots) == "please  review");
  // Atlas's ids unknown: leading mentions go, later ones stay.
  CHECK(strip_slack_mentions("<@U1> <@U2> design it for <@U3>", {}) == "design it for <@U3>");
  CHECK(strip_slack_mentions("a &amp;lt; b &lt; c", bots) == "a &lt; b < c");
  CHECK(strip_slack_mentions("<@UATLAS", bots) == "<@UATLAS");  // unterminated: left as text
}
