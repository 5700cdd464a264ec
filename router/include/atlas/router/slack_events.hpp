#pragma once
// Slack Events API payloads (POST /slack/events) to decisions. The body has
// already passed the signature check; it is still parsed as hostile input.
//
//   url_verification                 -> Respond {"challenge": ...}
//   event_callback + app_mention     -> Accept (mention stripped)
//   event_callback + message in a DM -> Accept (channel_type "im")
//   messages with bot_id, subtype bot_message or another subtype (edits,
//   joins, ...), or from Atlas's own user (authorizations[].user_id,
//   authed_users) -> Ignore, so replies never loop
//   other types and events           -> Ignore with the reason
//   bad JSON, missing required fields-> Reject 400
// Dedupe key: "slack:message:<team>:<channel>:<ts>", one per post (Slack's
// retries of an event repeat its channel and ts, and an app_mention and a
// message event for the same post share them).
#include <set>
#include <string>
#include <string_view>

#include "atlas/router/webhook.hpp"

namespace atlas::router {

[[nodiscard]] WebhookDecision translate_slack_event(std::string_view body);

// Removes user mentions ("<@U123>", "<@U123|atlas>") of `bot_users` anywhere
// in the text (or, when Atlas's ids are unknown, the mentions leading the
// text), decodes Slack's &lt; &gt; &amp; escapes, and trims white space.
[[nodiscard]] std::string strip_slack_mentions(std::string_view text,
                                               const std::set<std::string, std::less<>>& bot_users);

}  // namespace atlas::router
