#include "atlas/router/slack_events.hpp"

#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/router/json_input.hpp"
#include "atlas/router/text.hpp"

namespace atlas::router {
namespace {

// Message subtypes that are still a person writing something new.
bool is_new_message_subtype(std::string_view subtype) {
  return subtype.empty() || subtype == "thread_broadcast" || subtype == "file_share";
}

// What translate_slack_event reads from a payload; every field is "" when
// absent or not a string, as if read from the parsed document: when a key
// repeats, its last value counts (nlohmann's parser keeps the last).
struct SlackEvent {
  std::string type, channel_type, subtype, bot_id, user, channel, ts, thread_ts, text, team;
};
struct SlackPayload {
  std::string type, challenge, event_id, team_id;
  bool has_event = false;  // "event" is an object
  SlackEvent event;
  std::vector<std::string> authorization_users;  // authorizations[].user_id (non-empty strings)
  std::vector<std::string> authed_users;         // authed_users[] (strings)
};

// Reads a SlackPayload with nlohmann's SAX parser: one pass over the body,
// no document built, the strings it keeps moved out of the lexer. Webhooks
// are the router's hot path, and building and freeing the document was most
// of a Slack event's cost in the I/O thread (docs/benchmarks.md).
class SlackPayloadReader {
 public:
  using json = nlohmann::json;

  explicit SlackPayloadReader(SlackPayload& out) : out_(out) {}

  [[nodiscard]] bool top_is_object() const { return top_is_object_; }

  bool null() { return scalar(nullptr); }
  bool boolean(bool) { return scalar(nullptr); }
  bool number_integer(json::number_integer_t) { return scalar(nullptr); }
  bool number_unsigned(json::number_unsigned_t) { return scalar(nullptr); }
  bool number_float(json::number_float_t, const json::string_t&) { return scalar(nullptr); }
  bool binary(json::binary_t&) { return scalar(nullptr); }
  bool string(json::string_t& value) { return scalar(&value); }

  bool start_object(std::size_t) {
    Context next = Context::other;
    if (stack_.empty()) {
      top_is_object_ = true;
      next = Context::top;
    } else {
      begin_value();
      const Frame& parent = stack_.back();
      if (parent.context == Context::top && parent.key == "event") {
        out_.has_event = true;
        next = Context::event;
      } else if (parent.context == Context::authorizations) {
        next = Context::authorization;
      }
    }
    stack_.push_back(Frame{next, {}});
    return true;
  }
  bool end_object() {
    if (stack_.back().context == Context::authorization && !authorization_user_.empty()) {
      out_.authorization_users.push_back(std::move(authorization_user_));
    }
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    Context next = Context::other;
    if (!stack_.empty()) {  // else the top is not an object
      begin_value();
      const Frame& parent = stack_.back();
      if (parent.context == Context::top && parent.key == "authorizations") {
        next = Context::authorizations;
      } else if (parent.context == Context::top && parent.key == "authed_users") {
        next = Context::authed_users;
      }
    }
    stack_.push_back(Frame{next, {}});
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool key(json::string_t& name) {
    stack_.back().key = std::move(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  enum class Context { top, event, authorizations, authorization, authed_users, other };
  struct Frame {
    Context context;
    std::string key;  // the object's current key
  };

  std::string* top_field(std::string_view key) {
    if (key == "type") return &out_.type;
    if (key == "challenge") return &out_.challenge;
    if (key == "event_id") return &out_.event_id;
    if (key == "team_id") return &out_.team_id;
    return nullptr;
  }
  std::string* event_field(std::string_view key) {
    SlackEvent& e = out_.event;
    if (key == "type") return &e.type;
    if (key == "channel_type") return &e.channel_type;
    if (key == "subtype") return &e.subtype;
    if (key == "bot_id") return &e.bot_id;
    if (key == "user") return &e.user;
    if (key == "channel") return &e.channel;
    if (key == "ts") return &e.ts;
    if (key == "thread_ts") return &e.thread_ts;
    if (key == "text") return &e.text;
    if (key == "team") return &e.team;
    return nullptr;
  }
  // A top-level key's new value replaces whatever an earlier one held.
  void clear_top_container(std::string_view key) {
    if (key == "event") {
      out_.event = {};
      out_.has_event = false;
    } else if (key == "authorizations") {
      out_.authorization_users.clear();
    } else if (key == "authed_users") {
      out_.authed_users.clear();
    }
  }

  // A new value starts under the current key of the innermost container:
  // whatever an earlier value of that key left is dropped. Returns the string
  // field the key names, if any.
  std::string* begin_value() {
    const Frame& frame = stack_.back();
    std::string* field = nullptr;
    switch (frame.context) {
      case Context::top:
        field = top_field(frame.key);
        clear_top_container(frame.key);
        break;
      case Context::event:
        field = event_field(frame.key);
        break;
      case Context::authorizations:  // a new entry
        authorization_user_.clear();
        break;
      case Context::authorization:
        if (frame.key == "user_id") field = &authorization_user_;
        break;
      case Context::authed_users:
      case Context::other:
        break;
    }
    if (field != nullptr) field->clear();
    return field;
  }

  // A string (value != nullptr) or any other scalar.
  bool scalar(json::string_t* value) {
    if (stack_.empty()) return true;  // the top is not an object
    if (stack_.back().context == Context::authed_users) {
      if (value != nullptr) out_.authed_users.push_back(std::move(*value));
      return true;
    }
    std::string* field = begin_value();
    if (field != nullptr && value != nullptr) *field = std::move(*value);
    return true;
  }

  SlackPayload& out_;
  std::vector<Frame> stack_;
  std::string authorization_user_;  // of the authorizations entry being read
  bool top_is_object_ = false;
};

// Atlas's own user ids, from the payload's authorizations (current) and
// authed_users (deprecated) lists.
std::set<std::string, std::less<>> own_users(SlackPayload& payload) {
  std::set<std::string, std::less<>> users;
  for (auto& id : payload.authorization_users) users.insert(std::move(id));
  for (auto& id : payload.authed_users) users.insert(std::move(id));
  return users;
}

Reject missing(std::string_view field) {
  return Reject{400, std::string(field) + " is missing or not a valid identifier"};
}

WebhookDecision translate_event_callback(SlackPayload& payload) {
  if (!payload.has_event) return Reject{400, "event_callback has no event object"};
  SlackEvent& event = payload.event;
  const std::string& event_id = payload.event_id;
  if (!is_safe_identifier(event_id)) return missing("event_id");
  std::string team = std::move(payload.team_id);
  if (team.empty()) team = std::move(event.team);
  if (!is_safe_identifier(team)) return missing("team_id");

  const std::string& type = event.type;
  if (type == "message") {
    if (event.channel_type != "im") {
      return Ignore{"message outside a direct message (mentions arrive as app_mention)"};
    }
  } else if (type != "app_mention") {
    return Ignore{"event type '" + type + "' is not handled"};
  }

  // Loop guards: nothing a bot wrote, Atlas included, becomes a chat.
  const std::string& subtype = event.subtype;
  if (!event.bot_id.empty() || subtype == "bot_message") {
    return Ignore{"message from a bot"};
  }
  if (!is_new_message_subtype(subtype)) {
    return Ignore{"message subtype '" + subtype + "' is not a new message"};
  }
  const auto bots = own_users(payload);
  const std::string& user = event.user;
  if (!is_safe_identifier(user)) return Ignore{"message without a user"};
  if (bots.count(user) != 0) return Ignore{"message from Atlas itself"};

  const std::string& channel = event.channel;
  if (!is_safe_identifier(channel)) return missing("event.channel");
  const std::string& ts = event.ts;
  if (!is_safe_identifier(ts)) return missing("event.ts");
  std::string& thread_ts = event.thread_ts;
  if (thread_ts.empty()) thread_ts = ts;
  if (!is_safe_identifier(thread_ts)) return missing("event.thread_ts");

  std::string text = strip_slack_mentions(event.text, bots);
  if (text.empty()) return Ignore{"message has no request after the mention"};

  Accept accept;
  accept.chat.text = std::move(text);
  // One key per post: Slack's retries of an event repeat its event_id and its
  // (channel, ts), and the same post arriving as a second event (app_mention
  // and message.channels) has another event_id but the same (channel, ts). So
  // the post's key alone catches both, and costs the shared dedupe table one
  // row per webhook instead of two.
  accept.dedupe_keys = {dedupe_key({"slack", "message", team, channel, ts})};
  accept.what = "slack " + type;
  // Built member by member: an initializer list copies every value twice.
  nlohmann::json::object_t origin;
  origin.emplace("kind", "slack");
  origin.emplace("team", std::move(team));
  origin.emplace("channel", channel);
  origin.emplace("thread_ts", std::move(thread_ts));
  origin.emplace("user", user);
  origin.emplace("event_id", event_id);
  accept.chat.origin = std::move(origin);
  accept.ack = AckStyle::empty_ok;
  return accept;
}

}  // namespace

WebhookDecision translate_slack_event(std::string_view body) {
  if (std::string error = hostile_json_error(body); !error.empty()) return Reject{400, error};
  SlackPayload payload;
  SlackPayloadReader reader(payload);
  if (!nlohmann::json::sax_parse(body.begin(), body.end(), &reader)) {
    return Reject{400, "body is not valid JSON"};
  }
  if (!reader.top_is_object()) return Reject{400, "body is not a JSON object"};
  const std::string& type = payload.type;
  if (type == "url_verification") {
    const std::string& challenge = payload.challenge;
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
