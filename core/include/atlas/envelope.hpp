#pragma once
// The event envelope (DESIGN section 3, schema/events/envelope.schema.json):
// parse and validate raw bytes from the bus, serialize, and build requests,
// replies and escalations.
//
// parse_envelope() checks, in order: size (<= kMaxEnvelopeBytes), UTF-8, no
// byte order mark, nesting depth (<= kMaxEnvelopeDepth), JSON syntax, and then
// the schema rules (validate_envelope). It never throws: every input is either
// an Envelope or a ValidationError naming the JSON Pointer of the first
// problem. The schema rules match envelope.schema.json exactly; a test runs
// both over the same cases. Size, encoding and depth are limits on the bytes,
// outside what a JSON Schema can say.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "atlas/uuid.hpp"

namespace atlas {

inline constexpr std::size_t kMaxEnvelopeBytes = 1048576;  // 1 MiB
inline constexpr std::size_t kMaxEnvelopeDepth = 64;       // nested objects/arrays
inline constexpr std::int64_t kEnvelopeSchemaVersion = 1;
inline constexpr std::string_view kEnvelopeRole = "architect";
// Integers in the envelope (tokens, attempts, tokens_per_run) stay within the
// range a double holds exactly, so every JSON implementation reads them alike.
inline constexpr std::int64_t kMaxEnvelopeInteger = 9007199254740991;  // 2^53 - 1

enum class MsgType { chat, spec, control };
enum class Status { in_progress, done, error, ok, budget_exceeded, escalated };
enum class OriginKind { slack, github, cli, db };

[[nodiscard]] std::string_view to_string(MsgType type);
[[nodiscard]] std::string_view to_string(Status status);
[[nodiscard]] std::string_view to_string(OriginKind kind);
[[nodiscard]] std::optional<MsgType> parse_msg_type(std::string_view text);
[[nodiscard]] std::optional<Status> parse_status(std::string_view text);
[[nodiscard]] std::optional<OriginKind> parse_origin_kind(std::string_view text);

// What kind of problem made an envelope invalid. Everything but `schema` is
// found before the JSON is understood, so its path is "" (the whole document).
enum class ErrorClass { too_large, not_utf8, too_deep, not_json, schema };
[[nodiscard]] std::string_view to_string(ErrorClass error_class);

struct ValidationError {
  std::string path;     // JSON Pointer, "" for the whole document ("/metadata/schema_ver")
  std::string message;  // says what is wrong and what is expected; valid UTF-8
  ErrorClass error_class = ErrorClass::schema;

  // The path for people: "/" for the whole document.
  [[nodiscard]] std::string display_path() const { return path.empty() ? "/" : path; }
  // "invalid at /task_id: ..." (for logs and dead-letter headers).
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

// A value or the ValidationError that prevented it.
template <class T>
class Checked {
 public:
  // Implicit on purpose, so functions can `return value;` or `return error;`.
  Checked(T value) : state_(std::move(value)) {}                 // NOLINT
  Checked(ValidationError error) : state_(std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  // Only when ok().
  [[nodiscard]] const T& value() const& { return std::get<T>(state_); }
  [[nodiscard]] T& value() & { return std::get<T>(state_); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(state_)); }
  // Only when !ok().
  [[nodiscard]] const ValidationError& error() const { return std::get<ValidationError>(state_); }

 private:
  std::variant<T, ValidationError> state_;
};

struct Envelope {
  std::string task_id;                       // canonical UUID (either case)
  std::string role{kEnvelopeRole};           // always "architect"
  MsgType msg_type = MsgType::chat;
  nlohmann::json content;                    // string for chat/spec, object for control
  nlohmann::json metadata = nlohmann::json::object();  // schema_ver, status, origin, ...

  // Typed views of `metadata`. They never throw: a missing or mistyped field
  // reads as the default (validated envelopes have the right types).
  [[nodiscard]] std::int64_t schema_ver() const;        // 0 when missing
  [[nodiscard]] std::optional<Status> status() const;
  [[nodiscard]] std::optional<std::string> parent_id() const;  // null -> nullopt
  [[nodiscard]] nlohmann::json origin() const;           // the object, or null
  [[nodiscard]] std::optional<OriginKind> origin_kind() const;
  [[nodiscard]] std::int64_t tokens() const;             // 0 when missing
  [[nodiscard]] std::optional<std::string> model() const;
  // Replies (spec, or a control answer) carry the request's task_id in parent_id.
  [[nodiscard]] bool is_reply() const { return parent_id().has_value(); }
  // The chat/spec text; empty for control messages.
  [[nodiscard]] std::string_view text() const;
  // Kafka record key (DESIGN section 3): parent_id for replies, else task_id.
  [[nodiscard]] std::string kafka_key() const;

  friend bool operator==(const Envelope&, const Envelope&) = default;
};

using ParseResult = Checked<Envelope>;

// Raw bytes (a Kafka value, a file, an HTTP body) to a validated Envelope.
[[nodiscard]] ParseResult parse_envelope(std::string_view bytes) noexcept;

// The schema rules on an already parsed JSON document; nullopt when valid.
[[nodiscard]] std::optional<ValidationError> validate_envelope(const nlohmann::json& document);
// validate_envelope, then the conversion to Envelope.
[[nodiscard]] ParseResult envelope_from_json(const nlohmann::json& document);

// Compact JSON with the fields in the order task_id, role, msg_type, content,
// metadata. parse_envelope(serialize(e)) == e for every valid e. Strings that
// are not UTF-8 (never the case after parse_envelope) are written with U+FFFD.
[[nodiscard]] std::string serialize(const Envelope& envelope);
// serialize(make_chat(text, origin, task_id)), byte for byte, without
// building the envelope: the router's ingress writes one per webhook.
[[nodiscard]] std::string serialize_chat(std::string_view text, const nlohmann::json& origin,
                                         const Uuid& task_id);
[[nodiscard]] nlohmann::json to_json(const Envelope& envelope);

// --- builders -------------------------------------------------------------
// Each returns a valid envelope for valid arguments (non-empty text, origin an
// object with a known kind or null).

// A request from a person: status in_progress, tokens 0, model null,
// parent_id null, origin (when not null) says where the reply goes.
[[nodiscard]] Envelope make_chat(std::string text, nlohmann::json origin, const Uuid& task_id);

// A control request; `command` is the content object ({"command": "heartbeat"}).
[[nodiscard]] Envelope make_control(nlohmann::json command, const Uuid& task_id,
                                    nlohmann::json origin = nullptr);

// The reply to `request` (a validated envelope): task_id = reply_task_id(request),
// parent_id = request.task_id, origin copied from the request so the router can
// deliver it, the given status, tokens 0 and model null unless `extra_metadata`
// (an object: usage, cost_usd, attempts, rag, timings, tokens, model, ...) says
// otherwise. schema_ver, parent_id, origin and status are not taken from it.
[[nodiscard]] Envelope make_reply(const Envelope& request, MsgType msg_type,
                                  nlohmann::json content, Status status,
                                  const nlohmann::json& extra_metadata = nlohmann::json::object());

// The "escalate" control for a task that failed for good (delivery attempts
// used up, or the LLM deadline passed). Not a reply: task_id is
// escalation_task_id(failed_task_id), so the same failure escalates once;
// parent_id is failed_task_id to link it to the thread; status "escalated".
[[nodiscard]] Envelope make_escalation(std::string reason, const Uuid& failed_task_id,
                                       std::int64_t attempts, std::string last_error,
                                       nlohmann::json origin);

}  // namespace atlas
