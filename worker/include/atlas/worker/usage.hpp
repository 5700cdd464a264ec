#pragma once
// Token usage as the provider reports it, and a model's answer.
//
// Usage is only ever what the provider said (DESIGN section 6): it is never
// estimated from characters. When a provider answers 200 without a usage
// object, `reported` is false and the budget ledger settles the run at the
// amount it reserved (budget.hpp), the conservative choice.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace atlas::worker {

struct Usage {
  std::int64_t prompt_tokens = 0;      // every input token, cached ones included
  std::int64_t completion_tokens = 0;  // every output token, reasoning ones included
  std::int64_t reasoning_tokens = 0;   // part of completion_tokens (hidden reasoning)
  std::int64_t cached_tokens = 0;      // part of prompt_tokens (read from a prompt cache)
  bool reported = true;  // false: the provider sent no usage (amounts are 0, not guessed)
  bool offline = false;  // computed by the offline provider, not billed by anyone

  [[nodiscard]] std::int64_t total() const { return prompt_tokens + completion_tokens; }
  // Sums amounts; the sum is `reported` only if both parts are, offline only if both are.
  Usage& operator+=(const Usage& other);
  // {"prompt_tokens","completion_tokens","reasoning_tokens","cached_tokens",
  //  "total_tokens","reported"} plus "offline": true for offline usage.
  [[nodiscard]] nlohmann::json to_json() const;
  friend bool operator==(const Usage&, const Usage&) = default;
};

struct Completion {
  std::string text;           // the Markdown answer
  Usage usage;
  std::string model;          // as the provider named it ("gpt-4.1-2025-04-14"); may be empty
  std::string finish_reason;  // "stop", "length", "end_turn", "max_tokens", ...
};

}  // namespace atlas::worker
