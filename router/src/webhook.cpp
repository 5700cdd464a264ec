#include "atlas/router/webhook.hpp"

#include <algorithm>

namespace atlas::router {
namespace {

std::string error_body(std::string_view key, std::string_view reason) {
  return nlohmann::json{{std::string(key), std::string(reason)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view outcome_label(const WebhookDecision& decision) {
  struct Visitor {
    std::string_view operator()(const Accept&) const { return "accepted"; }
    std::string_view operator()(const Respond&) const { return "answered"; }
    std::string_view operator()(const Ignore&) const { return "ignored"; }
    std::string_view operator()(const Reject&) const { return "rejected"; }
  };
  return std::visit(Visitor{}, decision);
}

HttpAnswer answer(const Reject& reject) {
  return {reject.status, "application/json", error_body("error", reject.reason)};
}

HttpAnswer answer(const Ignore& ignore) {
  return {200, "application/json", error_body("ignored", ignore.reason)};
}

HttpAnswer answer(const Respond& respond) {
  return {respond.status, respond.content_type, respond.body};
}

std::string slack_ephemeral_body(std::string_view text) {
  return nlohmann::json{{"response_type", "ephemeral"}, {"text", std::string(text)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpAnswer acknowledge(const Accept& accept, const Uuid& task_id) {
  switch (accept.ack) {
    case AckStyle::slack_ephemeral_task:
      return {200, "application/json",
              slack_ephemeral_body("Atlas is on it: task " + task_id.to_string())};
    case AckStyle::empty_ok:
      break;
  }
  return {200, "text/plain", ""};
}

Uuid webhook_task_id(const Accept& accept) {
  const std::string primary = accept.dedupe_keys.empty() ? accept.chat.text
                                                         : accept.dedupe_keys.front();
  return Uuid::v5(kAtlasNamespace, "webhook:" + primary);
}

std::string chat_envelope(const Accept& accept, const Uuid& task_id) {
  return serialize_chat(accept.chat.text, accept.chat.origin, task_id);
}

std::string dedupe_key(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out.push_back(':');
    out.append(part);
  }
  return out;
}

bool is_safe_identifier(std::string_view text) {
  return !text.empty() && text.size() <= 256 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

}  // namespace atlas::router
