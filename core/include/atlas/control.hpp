#pragma once
// Control commands: the content of msg_type "control" envelopes (DESIGN
// section 3). The same rules validate_envelope applies, as typed values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "atlas/envelope.hpp"

namespace atlas {

// {"command":"flush_cache"}: drop the RAG cache.
struct FlushCache {
  friend bool operator==(const FlushCache&, const FlushCache&) = default;
};
// {"command":"heartbeat"}: every worker answers with status "ok".
struct Heartbeat {
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};
// {"command":"set_budget","tokens_per_run":N}: overrides TOKEN_BUDGET_PER_RUN; N > 0.
struct SetBudget {
  std::int64_t tokens_per_run = 0;
  friend bool operator==(const SetBudget&, const SetBudget&) = default;
};
// {"command":"escalate","reason":...,"failed_task_id":...,"attempts":N,"last_error":...}
struct Escalate {
  std::string reason;
  std::string failed_task_id;  // canonical UUID
  std::int64_t attempts = 0;
  std::string last_error;
  friend bool operator==(const Escalate&, const Escalate&) = default;
};

using ControlCommand = std::variant<FlushCache, Heartbeat, SetBudget, Escalate>;

// The command names, in the order of the variant.
inline constexpr std::string_view kControlCommandNames[] = {"flush_cache", "heartbeat",
                                                            "set_budget", "escalate"};

[[nodiscard]] std::string_view command_name(const ControlCommand& command);

// The command of a control envelope. Errors (path under "/content") for a
// non-control envelope or invalid content; extra fields are allowed and ignored
// (a heartbeat reply carries "replica", for instance).
[[nodiscard]] Checked<ControlCommand> parse_control(const Envelope& envelope);
// The same on the content object alone; error paths start with `path_prefix`.
[[nodiscard]] Checked<ControlCommand> parse_control_content(
    const nlohmann::json& content, std::string_view path_prefix = "/content");

// The content object for `command`.
[[nodiscard]] nlohmann::json to_json(const ControlCommand& command);

}  // namespace atlas
