#pragma once
// What the router decides about one incoming webhook, as plain values. The
// translators (slack_events, slack_commands, github_webhooks) turn raw bodies
// into a WebhookDecision; the HTTP adapter only carries it out:
//
//   Accept   -> claim the dedupe keys, publish the chat (durable), then answer
//               acknowledge(); a duplicate is answered the same way, not republished
//   Respond  -> answer at once, publish nothing (url_verification, ping, ssl_check, usage)
//   Ignore   -> 200 with the reason, publish nothing (bot messages, other events)
//   Reject   -> 4xx/5xx with a short reason, publish nothing
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/envelope.hpp"
#include "atlas/uuid.hpp"

namespace atlas::router {

// A chat to publish on architect_in: the text and metadata.origin (where the
// reply goes). Origins:
//   Slack event:   {"kind":"slack","team","channel","thread_ts","user","event_id"}
//   Slack command: {"kind":"slack","team","channel","user","response_url","command"}
//   GitHub:        {"kind":"github","repo":"owner/name","issue_number":N,
//                   "installation_id":N?,"comment_id":N?}
struct ChatRequest {
  std::string text;
  nlohmann::json origin;
};

// How an accepted webhook is answered once its chat is durable.
enum class AckStyle {
  empty_ok,              // 200, empty body (Slack events, GitHub)
  slack_ephemeral_task,  // 200 {"response_type":"ephemeral","text":"Atlas is on it: task <id>"}
};

struct Accept {
  ChatRequest chat;
  // Keys that identify this request and its redeliveries; if any was seen
  // within the dedupe window the request is a duplicate. The first is the
  // primary key the task id is derived from (webhook_task_id).
  std::vector<std::string> dedupe_keys;
  AckStyle ack = AckStyle::empty_ok;
  std::string what;  // for logs: "slack app_mention", "github issue_comment created"
};

struct Respond {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string reason;  // for logs: "url_verification", "ping", ...
};

struct Ignore {
  std::string reason;  // logged and returned: "message from a bot"
};

// Why a request was refused, for the webhooks_total{outcome} label.
enum class RejectKind {
  malformed,      // 400: the body or a header is unusable
  bad_signature,  // 401: missing, malformed or wrong signature
  stale,          // 401: Slack timestamp outside the replay window
  unavailable,    // 503: the source is not configured
};

struct Reject {
  int status = 400;
  std::string reason;  // short, never contains a secret
  RejectKind kind = RejectKind::malformed;
};

using WebhookDecision = std::variant<Accept, Respond, Ignore, Reject>;

// The webhooks_total{outcome} label: accepted | answered | ignored | rejected.
[[nodiscard]] std::string_view outcome_label(const WebhookDecision& decision);

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// {"error": reason} with the status; {"ignored": reason} with 200; a Respond as is.
[[nodiscard]] HttpAnswer answer(const Reject& reject);
[[nodiscard]] HttpAnswer answer(const Ignore& ignore);
[[nodiscard]] HttpAnswer answer(const Respond& respond);
// The answer once the chat is durable (also for a duplicate, with the task id
// of the first delivery when known).
[[nodiscard]] HttpAnswer acknowledge(const Accept& accept, const Uuid& task_id);

// The slash-command acknowledgement body.
[[nodiscard]] std::string slack_ephemeral_body(std::string_view text);

// The chat's task id: UUID v5 of the primary dedupe key, so a redelivered
// webhook that slips past the dedupe store (a crash between publish and
// claim) carries the same task id and is absorbed downstream (G2, G4).
[[nodiscard]] Uuid webhook_task_id(const Accept& accept);

// The chat envelope to publish for an accepted webhook, serialized.
[[nodiscard]] std::string chat_envelope(const Accept& accept, const Uuid& task_id);

// Joins dedupe key parts with ':' ("slack:message:T1:C1:1700000000.000100").
[[nodiscard]] std::string dedupe_key(std::initializer_list<std::string_view> parts);

// Identifiers from webhooks (ids, ts, channel names) used in dedupe keys and
// origins: 1..256 printable ASCII characters without spaces.
[[nodiscard]] bool is_safe_identifier(std::string_view text);

}  // namespace atlas::router
