#pragma once
// Slack slash commands (POST /slack/commands, form-encoded) to decisions.
//
//   ssl_check=1                 -> Respond 200, empty body
//   "/atlas design a CI"        -> Accept, answered with an ephemeral
//                                  "Atlas is on it: task <id>"
//   "/atlas" or "/atlas help"   -> Respond with an ephemeral usage hint
//   malformed form, bad UTF-8, missing command/channel/trigger -> Reject 400
// Dedupe key: "slack:command:<trigger_id>".
#include <string>
#include <string_view>

#include "atlas/router/webhook.hpp"

namespace atlas::router {

[[nodiscard]] WebhookDecision translate_slack_command(std::string_view body);

// The ephemeral usage hint for `command` ("/atlas").
[[nodiscard]] std::string slack_command_usage(std::string_view command);

}  // namespace atlas::router
