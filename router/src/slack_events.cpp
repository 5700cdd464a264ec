#include "atlas/router/slack_events.hpp"

#include "atlas/router/json_input.hpp"
#include "atlas/router/text.hpp"

namespace atlas::router {
namespace {

// Message subtypes that are still a person writing something new.
bool is_new_message_subtype(std::string_view subtype) {
  return subtype.empty() || subtype == "thread_broadcast" || subtype == "file_share";
}

// Atlas's own user ids, from the payload's authorizations (current) and
// authed_users (deprecated) lists.
std::set<std::string, std::less<>> own_users(const nlohmann::json& payload) {
  std::set<std::string, std::less<>> users;
  if (const auto it = payload.find("authorizations"); it != payload.end() && it->is_array()) {
    for (const auto& auth : *it) {
      if (auto id = string_field(auth, "user_id"); !id.empty()) users.insert(std::move(id));
    }
  }
  if (const auto it = payload.find("authed_users"); it != payload.end() && it->is_array()) {
    for (const auto& id : *it) {
      if (id.is_string()) users.insert(id.get<std::string>());
    }
  }
  return users;
}

Reject missing(std::string_view field) {
  return Reject{400, std::string(field) + " is missing or not a valid identifier"};
}

WebhookDecision translate_event_callback(const nlohmann::json& payload) {
  const auto* event = object_field(payload, "event");
  if (event == nullptr) return Reject{400, "event_callback has no event object"};
  const std::string event_id = string_field(payload, "event_id");
  if (!is_safe_identifier(event_id)) return missing("event_id");
  std::string team = string_field(payload, "team_id");
  if (team.empty()) team = string_field(*event, "team");
  if (!is_safe_identifier(team)) return missing("team_id");

  const std::string type = string_field(*event, "type");
  if (type == "message") {
    if (string_field(*event, "channel_type") != "im") {
      return Ignore{"message outside a direct message (mentions arrive as app_mention)"};
    }
  } else if (type != "app_mention") {
    return Ignore{"event type '" + type + "' is not handled"};
  }

  // Loop guards: nothing a bot wrote, Atlas included, becomes a chat.
  const std::string subtype = string_field(*event, "subtype");
  if (!string_field(*event, "bot_id").empty() || subtype == "bot_message") {
    return Ignore{"message from a bot"};
  }
  if (!is_new_message_subtype(subtype)) {
    return Ignore{"message subtype '" + subtype + "' is not a new message"};
  }
  const auto bots = own_users(payload);
  const std::string user = string_field(*event, "user");
  if (!is_safe_identifier(user)) return Ignore{"message without a user"};
  if (bots.count(user) != 0) return Ignore{"message from Atlas itself"};

  const std::string channel = string_field(*event, "channel");
  if (!is_safe_identifier(channel)) return missing("event.channel");
  const std::string ts = string_field(*event, "ts");
  if (!is_safe_identifier(ts)) return missing("event.ts");
  std::string thread_ts = string_field(*event, "thread_ts");
  if (thread_ts.empty()) thread_ts = ts;
  if (!is_safe_identifier(thread_ts)) return missing("event.thread_ts");

  std::string text = strip_slack_mentions(string_field(*event, "text"), bots);
  if (text.empty()) return Ignore{"message has no request after the mention"};

  Accept accept;
  accept.chat.text = std::move(text);
  accept.chat.origin = {{"kind", "slack"},       {"team", team},         {"channel", channel},
                        {"thread_ts", thread_ts}, {"user", user},         {"event_id", event_id}};
  // One key per post: Slack's retries of an event repeat its event_id and its
  // (channel, ts), and the same post arriving as a second event (app_mention
  // and message.channels) has another event_id but the same (channel, ts). So
  // the post's key alone catches both, and costs the shared dedupe table one
  // row per webhook instead of two.
  accept.dedupe_keys = {dedupe_key({"slack", "message", team, channel, ts})};
  accept.ack = AckStyle::empty_ok;
  accept.what = "slack " + type;
  return accept;
}

}  // namespace

WebhookDecision translate_slack_event(std::string_view body) {
  auto input = parse_json_object(body);
  if (!input.ok()) return Reject{400, input.error};
  const nlohmann::json& payload = input.value;
  const std::string type = string_field(payload, "type");
  if (type == "url_verification") {
    const std::string challenge = string_field(payload, "challenge");
    if (challenge.empty() || challenge.size() > 1024) {
      return Reject{400, "url_verification without a usable challenge"};
    }
    return Respond{200, "application/json", nlohmann::json{{"challenge", challenge}}.dump(),
                   "url_verification"};
  }
  if (type == "event_callback") return translate_event_callback(payload);
  if (type.empty()) return Reject{400, "body has no type field"};
  if (type == "app_rate_limited") return Ignore{"Slack reports this app is rate limited"};
  return Ignore{"Slack payload type '" + type + "' is not handled"};
}

std::string strip_slack_mentions(std::string_view text,
                                 const std::set<std::string, std::less<>>& bot_users) {
  std::string out;
  out.reserve(text.size());
  bool leading = true;  // only mentions and spaces seen so far
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "<@") == 0) {
      const auto close = text.find('>', i);
      if (close != std::string_view::npos) {
        std::string_view inside = text.substr(i + 2, close - i - 2);  // "U123" or "U123|name"
        const std::string_view id = inside.substr(0, inside.find('|'));
        if ((leading && bot_users.empty()) || bot_users.count(id) != 0) {
          i = close + 1;
          continue;
        }
      }
    }
    const char c = text[i];
    if (leading && !is_ascii_space(c)) leading = false;
    out.push_back(c);
    ++i;
  }
  return std::string(trim(unescape_slack_text(out)));
}

}  // namespace atlas::router
