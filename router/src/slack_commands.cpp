#include "atlas/router/slack_commands.hpp"

#include "atlas/router/form_decode.hpp"
#include "atlas/router/text.hpp"
#include "atlas/utf8.hpp"

namespace atlas::router {

std::string slack_command_usage(std::string_view command) {
  const std::string name = command.empty() ? std::string("/atlas") : std::string(command);
  return "Usage: " + name + " <architecture request>, for example: " + name +
         " design a minimal CI pipeline";
}

WebhookDecision translate_slack_command(std::string_view body) {
  auto decoded = decode_form(body);
  if (!decoded.ok()) return Reject{400, decoded.error};
  const FormFields& form = decoded.form;
  for (const auto& [name, value] : form.fields) {
    if (validate_utf8(name) || validate_utf8(value)) {
      return Reject{400, "form field is not valid UTF-8"};
    }
  }
  if (form.value("ssl_check") == "1") return Respond{200, "text/plain", "", "ssl_check"};

  const std::string command = form.value("command");
  if (!is_safe_identifier(command)) return Reject{400, "command is missing"};
  const std::string channel = form.value("channel_id");
  if (!is_safe_identifier(channel)) return Reject{400, "channel_id is missing"};
  const std::string trigger = form.value("trigger_id");
  if (!is_safe_identifier(trigger)) return Reject{400, "trigger_id is missing"};
  const std::string team = form.value("team_id");
  const std::string user = form.value("user_id");
  const std::string response_url = form.value("response_url");

  std::string text(trim(form.value("text")));
  if (text.empty() || text == "help") {
    return Respond{200, "application/json", slack_ephemeral_body(slack_command_usage(command)),
                   "slash command without a request"};
  }

  Accept accept;
  accept.chat.text = std::move(text);
  accept.chat.origin = {{"kind", "slack"},        {"team", team},     {"channel", channel},
                        {"user", user},           {"command", command},
                        {"response_url", response_url}};
  accept.dedupe_keys = {dedupe_key({"slack", "command", trigger})};
  accept.ack = AckStyle::slack_ephemeral_task;
  accept.what = "slack command " + command;
  return accept;
}

}  // namespace atlas::router
