#include <doctest/doctest.h>

#include <random>
#include <string>

#include "atlas/utf8.hpp"
#include "atlas/worker/budget.hpp"
#include "atlas/worker/prompt.hpp"

using namespace atlas::worker;

namespace {

RagChunk chunk(std::string source, double similarity, std::string text) {
  return RagChunk{std::move(text), similarity, std::move(source)};
}

// By value: callers pass the temporary plan_prompt() returns.
PromptPlan plan_of(std::variant<PromptPlan, PromptTooLarge> v) {
  REQUIRE(std::holds_alternative<PromptPlan>(v));
  return std::get<PromptPlan>(std::move(v));
}

}  // namespace

TEST_CASE("worker prompt: the system prompt asks for a cited ADR") {
  const std::string_view s = architect_system_prompt();
  for (std::string_view section : {"## Context", "## Decision", "## Architecture", "## Data flow",
                                   "## Operations", "## Risks", "## Next steps", "## Sources"}) {
    CHECK(s.find(section) != std::string_view::npos);
  }
  CHECK(s.find("[n]") != std::string_view::npos);
  CHECK(s.find("infrastructure architect") != std::string_view::npos);
}

TEST_CASE("worker prompt: everything fits when the budget allows") {
  const std::vector<RagChunk> chunks = {chunk("docs/ci.md#2", 0.9, "Use GitHub Actions."),
                                        chunk("docs/k8s.md", 0.8, "Deploy with Helm.")};
  const PromptPlan plan = plan_of(plan_prompt("Design a minimal CI pipeline", chunks, {}));
  const Prompt& p = plan.prompt;
  CHECK(p.system == architect_system_prompt());
  CHECK(p.user.find("Design a minimal CI pipeline") != std::string::npos);
  CHECK(p.user.find(R"(<source id="1" path="docs/ci.md#2" similarity="0.90">)") != std::string::npos);
  CHECK(p.user.find(R"(<source id="2" path="docs/k8s.md" similarity="0.80">)") != std::string::npos);
  CHECK(p.user.find("Deploy with Helm.") != std::string::npos);
  CHECK(p.chunks.size() == 2);
  CHECK(p.chunks_dropped == 0);
  CHECK_FALSE(p.last_chunk_truncated);
  CHECK(p.estimated_tokens == estimate_prompt_tokens(p.system, p.user));
  CHECK(plan.max_output_tokens == 4096);
  CHECK(plan.reservation == p.estimated_tokens + 4096);
  const LlmRequest r = to_llm_request(plan, 0.2);
  CHECK(r.max_output_tokens == 4096);
  CHECK(r.user == p.user);
}

TEST_CASE("worker prompt: no context says so") {
  const PromptPlan plan = plan_of(plan_prompt("Design X", {}, {}));
  CHECK(plan.prompt.user.find("No relevant context was retrieved") != std::string::npos);
  CHECK(plan.prompt.user.find("<source") == std::string::npos);
}

TEST_CASE("worker prompt: trimming keeps the best-ranked chunks and respects the budget") {
  std::vector<RagChunk> chunks;
  for (int i = 0; i < 20; ++i) {
    chunks.push_back(chunk("docs/file" + std::to_string(i) + ".md", 0.99 - i * 0.01,
                           "chunk" + std::to_string(i) + " " + std::string(3000, 'a' + i % 26)));
  }
  PromptLimits limits;
  limits.tokens_per_run = 8000;
  limits.max_output_tokens = 3000;
  const PromptPlan plan = plan_of(plan_prompt("Design a minimal CI pipeline", chunks, limits));
  const Prompt& p = plan.prompt;
  // The prompt estimate fits the prompt budget, and the whole run fits the per-run budget.
  CHECK(p.estimated_tokens <= limits.tokens_per_run - limits.max_output_tokens);
  CHECK(plan.reservation <= limits.tokens_per_run);
  CHECK(plan.max_output_tokens >= limits.max_output_tokens);
  // A prefix of the ranking was kept, in order; the rest were dropped.
  REQUIRE(!p.chunks.empty());
  CHECK(p.chunks.size() < chunks.size());
  CHECK(p.chunks.size() + p.chunks_dropped == chunks.size());
  for (std::size_t i = 0; i < p.chunks.size(); ++i) {
    CHECK(p.chunks[i].source == chunks[i].source);
    if (i + 1 < p.chunks.size()) CHECK(p.chunks[i].text == chunks[i].text);
  }
  CHECK(p.last_chunk_truncated);
  CHECK(p.chunks.back().text.size() < chunks[p.chunks.size() - 1].text.size());
  CHECK(p.user.find("chunk0 ") != std::string::npos);
  CHECK(p.user.find("chunk19 ") == std::string::npos);
}

TEST_CASE("worker prompt: trimming never splits a UTF-8 character") {
  // Random mixes of 1-, 2-, 3- and 4-byte characters, cut at many budgets.
  const std::string pieces[] = {"a", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                "\xE6\x97\xA5"};
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    std::string text;
    for (int i = 0; i < 4000; ++i) text += pieces[rng() % 6];
    PromptLimits limits;
    limits.tokens_per_run = 2000 + static_cast<std::int64_t>(rng() % 3000);
    limits.max_output_tokens = 500;
    const PromptPlan plan = plan_of(plan_prompt("Design", {chunk("docs/u.md", 0.9, text)}, limits));
    CAPTURE(limits.tokens_per_run);
    REQUIRE(plan.prompt.chunks.size() == 1);
    CHECK(plan.prompt.last_chunk_truncated);
    CHECK_FALSE(atlas::validate_utf8(plan.prompt.chunks[0].text).has_value());
    CHECK_FALSE(atlas::validate_utf8(plan.prompt.user).has_value());
    CHECK(plan.prompt.estimated_tokens <= limits.tokens_per_run - limits.max_output_tokens);
  }
}

TEST_CASE("worker prompt: a tiny room drops the chunk instead of keeping a sliver") {
  PromptLimits limits;
  limits.max_output_tokens = 1'000'000;  // the allowance is then half the run
  const PromptPlan empty = plan_of(plan_prompt("Design", {}, limits));
  // Leave about 10 tokens of prompt budget beyond the fixed part.
  limits.tokens_per_run = 2 * (empty.prompt.estimated_tokens + 10);
  const PromptPlan plan =
      plan_of(plan_prompt("Design", {chunk("docs/a.md", 0.9, std::string(5000, 'x'))}, limits));
  CHECK(plan.prompt.chunks.empty());
  CHECK(plan.prompt.chunks_dropped == 1);
  CHECK_FALSE(plan.prompt.last_chunk_truncated);
  // With room for min_chunk_tokens more, a cut chunk is kept.
  limits.tokens_per_run = 2 * (empty.prompt.estimated_tokens + 200);
  const PromptPlan roomier =
      plan_of(plan_prompt("Design", {chunk("docs/a.md", 0.9, std::string(5000, 'x'))}, limits));
  REQUIRE(roomier.prompt.chunks.size() == 1);
  CHECK(roomier.prompt.last_chunk_truncated);
}

TEST_CASE("worker prompt: a request too large for the budget cannot run") {
  PromptLimits limits;
  limits.tokens_per_run = 2000;
  limits.max_output_tokens = 1000;
  const auto result = plan_prompt(std::string(10'000, 'r'), {}, limits);
  REQUIRE(std::holds_alternative<PromptTooLarge>(result));
  const auto& too_large = std::get<PromptTooLarge>(result);
  CHECK(too_large.prompt_budget == 1000);
  CHECK(too_large.estimated_tokens > 1000);
  CHECK(too_large.message.find("TOKEN_BUDGET_PER_RUN=2000") != std::string::npos);
}

TEST_CASE("worker prompt: the completion allowance is at most half the run") {
  PromptLimits limits;
  limits.tokens_per_run = 4000;
  limits.max_output_tokens = 100'000;
  const PromptPlan plan = plan_of(plan_prompt("Design", {}, limits));
  CHECK(plan.max_output_tokens == 4000 - plan.prompt.estimated_tokens);
  CHECK(plan.reservation == 4000);
}

TEST_CASE("worker prompt: sources are escaped in the source element") {
  const auto& plan =
      plan_of(plan_prompt("Design", {chunk("a\"b<c>&\nd", 0.7, "text")}, PromptLimits{}));
  CHECK(plan.prompt.user.find(R"(path="a&quot;b&lt;c&gt;&amp; d")") != std::string::npos);
}

TEST_CASE("worker prompt: prefix_within_tokens cuts on UTF-8 boundaries") {
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  CHECK(prefix_within_tokens("abcdef", 1) == "abc");
  CHECK(prefix_within_tokens("abcdef", 0).empty());
  CHECK(prefix_within_tokens("ab" + euro, 3) == "ab");   // 1 + 3 > 3
  CHECK(prefix_within_tokens("ab" + euro, 4) == "ab" + euro);
  // Invalid bytes still make progress and are kept as single bytes.
  CHECK(prefix_within_tokens("\xFF\xFF", 1).size() == 1);
}
