#pragma once
// Prompt assembly: the architect's system prompt, the request, and the
// retrieved chunks with their sources, trimmed to fit the per-run budget.
//
// Budget split (TOKEN_BUDGET_PER_RUN = tokens the run may spend, prompt and
// completion together):
//   completion_allowance = min(max_output_tokens, tokens_per_run / 2)
//   prompt_budget        = tokens_per_run - completion_allowance
// The prompt (estimated with budget.hpp's estimator) must fit prompt_budget:
// chunks are taken best-ranked first; the first one that does not fit is cut
// on a UTF-8 boundary to the room left (if at least min_chunk_tokens remain)
// and every lower-ranked chunk is dropped. A request that does not fit even
// without chunks cannot run (PromptTooLarge -> a budget_exceeded reply).
// The model may then write up to
//   max_output_tokens_for_call = min(max_output_tokens, tokens_per_run - prompt_estimate)
// and the run reserves prompt_estimate + max_output_tokens_for_call, which
// is at most tokens_per_run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "atlas/worker/provider.hpp"
#include "atlas/worker/rag_client_logic.hpp"
#include "atlas/utf8.hpp"

namespace atlas::worker {

// The instructions for an infrastructure architect writing ADR-style Markdown.
[[nodiscard]] std::string_view architect_system_prompt();

struct PromptLimits {
  std::int64_t tokens_per_run = 12000;
  std::int64_t max_output_tokens = 4096;
  std::int64_t min_chunk_tokens = 32;  // a shorter cut chunk is dropped instead
};

struct Prompt {
  std::string system;
  std::string user;
  std::string request;                 // the request as given
  std::vector<RagChunk> chunks;        // kept, best first; the last may be cut
  std::size_t chunks_dropped = 0;
  bool last_chunk_truncated = false;
  std::int64_t estimated_tokens = 0;   // estimate_prompt_tokens(system, user)
};

struct PromptPlan {
  Prompt prompt;
  std::int64_t max_output_tokens = 0;  // what the model is allowed to write
  std::int64_t reservation = 0;        // prompt estimate + max_output_tokens
};

struct PromptTooLarge {
  std::int64_t estimated_tokens = 0;   // system + request, without any chunk
  std::int64_t prompt_budget = 0;
  std::string message;                 // names TOKEN_BUDGET_PER_RUN
};

// `ranked`: chunks best first (as filter_chunks returns them).
[[nodiscard]] std::variant<PromptPlan, PromptTooLarge> plan_prompt(
    std::string_view request, const std::vector<RagChunk>& ranked, const PromptLimits& limits);

// The request to send, from a plan.
[[nodiscard]] LlmRequest to_llm_request(const PromptPlan& plan, double temperature);

// The longest prefix of `text`, cut on a UTF-8 boundary, whose
// estimate_tokens() is at most `max_tokens`.
[[nodiscard]] std::string_view prefix_within_tokens(std::string_view text, std::int64_t max_tokens);

}  // namespace atlas::worker
