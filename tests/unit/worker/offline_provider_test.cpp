#include <doctest/doctest.h>

#include "atlas/utf8.hpp"
#include "atlas/worker/budget.hpp"
#include "atlas/worker/offline_provider.hpp"

using namespace atlas::worker;

namespace {
Prompt make_prompt(std::string request, std::vector<RagChunk> chunks) {
  auto v = plan_prompt(request, chunks, PromptLimits{});
  REQUIRE(std::holds_alternative<PromptPlan>(v));
  return std::get<PromptPlan>(std::move(v)).prompt;
}
}  // namespace

TEST_CASE("worker offline: an ADR skeleton that cites the retrieved sources") {
  const Prompt p = make_prompt("Design a minimal CI pipeline for a Kubernetes service",
                               {{"Use GitHub Actions with caching.", 0.91, "docs/ci.md#2"},
                                {"Helm charts live in deploy/.", 0.72, "docs/k8s.md"}});
  const Completion c = offline_complete(p);
  CHECK(c.model == "offline");
  CHECK(c.text.rfind("# Design a minimal CI pipeline for a Kubernetes service\n", 0) == 0);
  for (std::string_view section : {"## Status", "## Context", "## Decision", "## Architecture",
                                   "## Data flow", "## Operations", "## Risks", "## Next steps",
                                   "## Sources"}) {
    CAPTURE(section);
    CHECK(c.text.find(section) != std::string::npos);
  }
  CHECK(c.text.find("[1] `docs/ci.md#2` (similarity 0.91)") != std::string::npos);
  CHECK(c.text.find("[2] `docs/k8s.md` (similarity 0.72)") != std::string::npos);
  CHECK(c.text.find("CI pipeline:") != std::string::npos);           // hint from "CI"
  CHECK(c.text.find("Kubernetes workloads") != std::string::npos);   // hint from "Kubernetes"
  CHECK(c.text.find("offline provider") != std::string::npos);       // says what it is
  CHECK_FALSE(atlas::validate_utf8(c.text).has_value());
}

TEST_CASE("worker offline: deterministic output and usage, marked offline") {
  const Prompt p = make_prompt("Design a cache", {{"Redis notes", 0.8, "docs/redis.md"}});
  const Completion a = offline_complete(p);
  const Completion b = offline_complete(p);
  CHECK(a.text == b.text);
  CHECK(a.usage == b.usage);
  CHECK(a.usage.offline);
  CHECK(a.usage.reported);
  CHECK(a.usage.prompt_tokens == p.estimated_tokens);
  CHECK(a.usage.completion_tokens == estimate_tokens(a.text));
  CHECK(a.usage.to_json()["offline"] == true);
}

TEST_CASE("worker offline: no context and a multi-line request") {
  const Prompt p = make_prompt("Line one\nline two", {});
  const Completion c = offline_complete(p);
  CHECK(c.text.rfind("# Line one line two\n", 0) == 0);
  CHECK(c.text.find("> Line one\n> line two") != std::string::npos);
  CHECK(c.text.find("No relevant context was retrieved") != std::string::npos);
  CHECK(c.text.find("None retrieved.") != std::string::npos);
}
