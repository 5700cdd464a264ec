#include "atlas/router/delivery_route.hpp"

#include "atlas/router/github_webhooks.hpp"
#include "atlas/router/json_input.hpp"
#include "atlas/router/webhook.hpp"

namespace atlas::router {
namespace {

DeliveryRoute slack_route(const nlohmann::json& origin) {
  SlackDestination d;
  d.team = string_field(origin, "team");
  d.channel = string_field(origin, "channel");
  if (!is_safe_identifier(d.channel)) return Undeliverable{"origin.channel is missing or invalid"};
  if (!d.team.empty() && !is_safe_identifier(d.team)) return Undeliverable{"origin.team is invalid"};
  if (auto ts = string_field(origin, "thread_ts"); !ts.empty()) {
    if (!is_safe_identifier(ts)) return Undeliverable{"origin.thread_ts is invalid"};
    d.thread_ts = std::move(ts);
  }
  return d;
}

DeliveryRoute github_route(const nlohmann::json& origin) {
  GithubDestination d;
  d.repo = string_field(origin, "repo");
  if (!is_valid_repo_full_name(d.repo)) return Undeliverable{"origin.repo is missing or not owner/name"};
  const auto number = integer_field(origin, "issue_number");
  if (!number || *number <= 0) return Undeliverable{"origin.issue_number is missing or invalid"};
  d.issue_number = *number;
  if (origin.contains("installation_id") && !origin["installation_id"].is_null()) {
    const auto id = integer_field(origin, "installation_id");
    if (!id || *id <= 0) return Undeliverable{"origin.installation_id is invalid"};
    d.installation_id = id;
  }
  return d;
}

}  // namespace

DeliveryRoute route_delivery(const Envelope& message) {
  if (message.msg_type == MsgType::control) {
    return RecordOnly{"control messages are recorded, not posted"};
  }
  if (!message.is_reply()) return RecordOnly{"not a reply (no parent_id)"};
  const auto kind = message.origin_kind();
  if (!kind) return RecordOnly{"no origin to deliver to"};
  if (*kind == OriginKind::cli || *kind == OriginKind::db) {
    return RecordOnly{"origin " + std::string(to_string(*kind)) + " is read from the bus or the table"};
  }
  if (!message.content.is_string() || message.text().empty()) {
    return Undeliverable{"reply has no text to post"};
  }
  const nlohmann::json origin = message.origin();
  return *kind == OriginKind::slack ? slack_route(origin) : github_route(origin);
}

}  // namespace atlas::router
