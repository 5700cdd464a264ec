#pragma once
// Token budget arithmetic (G6). The PostgreSQL ledger applies these rules
// atomically across the fleet; these functions are the rules.
//
// A run reserves tokens before any model call: its estimated prompt plus the
// completion it allows the model (max output tokens). After the run, the
// reservation is replaced by what the providers reported (settle()).
//
// The estimator exists only to size the reservation and trim the prompt; it
// is never used for accounting. It is deliberately pessimistic: one token per
// 3 ASCII bytes (tokenizers average about 4 for English, 3 for code) and one
// token per non-ASCII byte (a CJK character is 3 bytes and at most a few
// tokens), plus a fixed overhead per message for the chat framing.
#include <cstdint>
#include <string>
#include <string_view>

#include "atlas/worker/usage.hpp"

namespace atlas::worker {

inline constexpr std::int64_t kMessageOverheadTokens = 8;  // per message, role and framing
inline constexpr std::int64_t kRequestOverheadTokens = 16;  // per request

// ceil(ascii_bytes / 3) + non_ascii_bytes.
[[nodiscard]] std::int64_t estimate_tokens(std::string_view text);

// Estimate for a request made of a system and a user message.
[[nodiscard]] std::int64_t estimate_prompt_tokens(std::string_view system, std::string_view user);

enum class BudgetLimit { none, per_run, daily };
[[nodiscard]] std::string_view to_string(BudgetLimit limit);

// The fleet's token use today, as the ledger holds it.
struct DailyLedger {
  std::int64_t used = 0;      // settled tokens
  std::int64_t reserved = 0;  // outstanding reservations of running tasks
};

struct ReserveDecision {
  bool ok = false;
  BudgetLimit limit = BudgetLimit::none;  // which limit refused the reservation
  std::int64_t requested = 0;
  std::int64_t available = 0;             // what that limit still had
  std::string message;                    // for the budget_exceeded reply
};

// A reservation fits when reservation <= tokens_per_run and
// used + reserved + reservation <= daily_budget (both limits inclusive).
[[nodiscard]] ReserveDecision decide_reservation(std::int64_t reservation,
                                                 std::int64_t tokens_per_run,
                                                 const DailyLedger& today,
                                                 std::int64_t daily_budget);

struct Settlement {
  std::int64_t charged = 0;   // what the run counts as spent
  std::int64_t released = 0;  // reserved - charged when positive: given back
  std::int64_t overrun = 0;   // charged - reserved when positive: spent beyond the reservation
};

// Replaces a reservation with the reported usage. When the usage was not
// reported (a provider sent none), the run is charged its whole reservation:
// the ledger then over-counts rather than under-counts.
[[nodiscard]] Settlement settle(std::int64_t reserved, const Usage& usage);

}  // namespace atlas::worker
