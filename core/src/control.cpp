#include "atlas/control.hpp"

#include <string>
#include <type_traits>

#include "envelope_rules.hpp"

namespace atlas {
namespace {

using envelope_rules::check_count;
using envelope_rules::check_uuid;
using envelope_rules::quoted_excerpt;
using envelope_rules::schema_error;
using envelope_rules::type_name;

// `field` of `content` must be a string; returns it or the error.
Checked<std::string> string_field(const nlohmann::json& content, const std::string& prefix,
                                  const char* field, std::string_view command) {
  const std::string path = prefix + "/" + field;
  const auto* it = envelope_rules::member(content, field);
  if (it == nullptr) {
    return schema_error(path, "missing: \"" + std::string(command) + "\" needs a string \"" +
                                  field + "\"");
  }
  if (!it->is_string()) {
    return schema_error(path, "must be a string, not " + std::string(type_name(*it)));
  }
  return it->get<std::string>();
}

Checked<ControlCommand> parse_set_budget(const nlohmann::json& content, const std::string& prefix) {
  const std::string path = prefix + "/tokens_per_run";
  const auto* it = envelope_rules::member(content, "tokens_per_run");
  if (it == nullptr) {
    return schema_error(path, "missing: set_budget needs \"tokens_per_run\", the new per-run "
                              "token budget (an integer > 0)");
  }
  if (auto error = check_count(*it, path, 1)) return *error;
  return ControlCommand{SetBudget{*envelope_rules::bounded_integer(*it, 1, kMaxEnvelopeInteger)}};
}

Checked<ControlCommand> parse_escalate(const nlohmann::json& content, const std::string& prefix) {
  Escalate escalate;
  auto reason = string_field(content, prefix, "reason", "escalate");
  if (!reason) return reason.error();
  escalate.reason = std::move(reason).value();

  const std::string id_path = prefix + "/failed_task_id";
  const auto* id = envelope_rules::member(content, "failed_task_id");
  if (id == nullptr) {
    return schema_error(id_path, "missing: escalate needs \"failed_task_id\", the task_id of the "
                                 "message that failed");
  }
  if (auto error = check_uuid(*id, id_path)) return *error;
  escalate.failed_task_id = id->get<std::string>();

  const std::string attempts_path = prefix + "/attempts";
  const auto* attempts = envelope_rules::member(content, "attempts");
  if (attempts == nullptr) {
    return schema_error(attempts_path, "missing: escalate needs \"attempts\", how many times the "
                                       "task was tried (an integer >= 0)");
  }
  if (auto error = check_count(*attempts, attempts_path, 0)) return *error;
  escalate.attempts = *envelope_rules::bounded_integer(*attempts, 0, kMaxEnvelopeInteger);

  auto last_error = string_field(content, prefix, "last_error", "escalate");
  if (!last_error) return last_error.error();
  escalate.last_error = std::move(last_error).value();
  return ControlCommand{std::move(escalate)};
}

}  // namespace

std::string_view command_name(const ControlCommand& command) {
  return kControlCommandNames[command.index()];
}

Checked<ControlCommand> parse_control_content(const nlohmann::json& content,
                                              std::string_view path_prefix) {
  const std::string prefix(path_prefix);
  if (!content.is_object()) {
    return schema_error(prefix, "a control message's content must be an object such as "
                                "{\"command\": \"heartbeat\"}, not " +
                                    std::string(type_name(content)));
  }
  const std::string command_path = prefix + "/command";
  const auto* it = envelope_rules::member(content, "command");
  if (it == nullptr) {
    return schema_error(command_path, "missing: name the command (flush_cache, heartbeat, "
                                      "set_budget or escalate)");
  }
  if (!it->is_string()) {
    return schema_error(command_path, "must be a string (flush_cache, heartbeat, set_budget or "
                                      "escalate), not " + std::string(type_name(*it)));
  }
  const auto& name = it->get_ref<const std::string&>();
  if (name == "flush_cache") return ControlCommand{FlushCache{}};
  if (name == "heartbeat") return ControlCommand{Heartbeat{}};
  if (name == "set_budget") return parse_set_budget(content, prefix);
  if (name == "escalate") return parse_escalate(content, prefix);
  return schema_error(command_path, "unknown control command " + quoted_excerpt(name) +
                                        ": use flush_cache, heartbeat, set_budget or escalate");
}

Checked<ControlCommand> parse_control(const Envelope& envelope) {
  if (envelope.msg_type != MsgType::control) {
    return schema_error("/msg_type", "expected a control message, got " +
                                         std::string(to_string(envelope.msg_type)));
  }
  return parse_control_content(envelope.content, "/content");
}

nlohmann::json to_json(const ControlCommand& command) {
  nlohmann::json content = {{"command", std::string(command_name(command))}};
  std::visit(
      [&content](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, SetBudget>) {
          content["tokens_per_run"] = c.tokens_per_run;
        } else if constexpr (std::is_same_v<T, Escalate>) {
          content["reason"] = c.reason;
          content["failed_task_id"] = c.failed_task_id;
          content["attempts"] = c.attempts;
          content["last_error"] = c.last_error;
        }
      },
      command);
  return content;
}

}  // namespace atlas
