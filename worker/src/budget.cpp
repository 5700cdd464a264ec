#include "atlas/worker/budget.hpp"

#include <algorithm>

namespace atlas::worker {

std::int64_t estimate_tokens(std::string_view text) {
  std::int64_t ascii = 0;
  std::int64_t other = 0;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x80U) {
      ++ascii;
    } else {
      ++other;
    }
  }
  return (ascii + 2) / 3 + other;
}

std::int64_t estimate_prompt_tokens(std::string_view system, std::string_view user) {
  return kRequestOverheadTokens + 2 * kMessageOverheadTokens + estimate_tokens(system) +
         estimate_tokens(user);
}

std::string_view to_string(BudgetLimit limit) {
  switch (limit) {
    case BudgetLimit::none: return "none";
    case BudgetLimit::per_run: return "per_run";
    case BudgetLimit::daily: return "daily";
  }
  return "none";
}

ReserveDecision decide_reservation(std::int64_t reservation, std::int64_t tokens_per_run,
                                   const DailyLedger& today, std::int64_t daily_budget) {
  ReserveDecision d;
  d.requested = reservation;
  if (reservation > tokens_per_run) {
    d.limit = BudgetLimit::per_run;
    d.available = tokens_per_run;
    d.message = "the run needs " + std::to_string(reservation) +
                " tokens but TOKEN_BUDGET_PER_RUN is " + std::to_string(tokens_per_run) +
                ": raise it (set_budget) or shorten the request";
    return d;
  }
  const std::int64_t committed = std::max<std::int64_t>(0, today.used) +
                                 std::max<std::int64_t>(0, today.reserved);
  const std::int64_t left = std::max<std::int64_t>(0, daily_budget - committed);
  if (reservation > left) {
    d.limit = BudgetLimit::daily;
    d.available = left;
    d.message = "the daily token budget is spent: " + std::to_string(committed) + " of " +
                std::to_string(daily_budget) + " tokens used or reserved today and the run needs " +
                std::to_string(reservation) +
                ": wait for the next day's budget or raise DAILY_TOKEN_BUDGET";
    return d;
  }
  d.ok = true;
  d.available = left;
  return d;
}

Settlement settle(std::int64_t reserved, const Usage& usage) {
  Settlement s;
  s.charged = usage.reported ? usage.total() : std::max(reserved, usage.total());
  s.released = std::max<std::int64_t>(0, reserved - s.charged);
  s.overrun = std::max<std::int64_t>(0, s.charged - reserved);
  return s;
}

}  // namespace atlas::worker
