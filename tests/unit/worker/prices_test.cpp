#include <doctest/doctest.h>

#include "atlas/worker/prices.hpp"

using namespace atlas::worker;

namespace {
Usage usage(std::int64_t prompt, std::int64_t completion, std::int64_t cached = 0) {
  Usage u;
  u.prompt_tokens = prompt;
  u.completion_tokens = completion;
  u.cached_tokens = cached;
  return u;
}
}  // namespace

TEST_CASE("worker prices: defaults cover the default chain and common models") {
  const PriceTable t = PriceTable::defaults();
  for (auto m : {"gpt-4.1", "o3", "o1-pro", "gpt-4o", "gpt-4o-mini", "claude-sonnet-4",
                 "claude-opus-4", "claude-3-5-haiku"}) {
    CAPTURE(m);
    CHECK(t.find(m).has_value());
  }
}

TEST_CASE("worker prices: cost of a run") {
  const PriceTable t = PriceTable::defaults();
  // gpt-4.1: 2 in, 8 out, 0.5 cached, per 1M.
  CHECK(t.cost_usd("gpt-4.1", usage(1'000'000, 0)) == doctest::Approx(2.0));
  CHECK(t.cost_usd("gpt-4.1", usage(0, 1'000'000)) == doctest::Approx(8.0));
  CHECK(t.cost_usd("gpt-4.1", usage(1000, 500)) == doctest::Approx(0.006));
  // Cached input is priced apart.
  CHECK(t.cost_usd("gpt-4.1", usage(1'000'000, 0, 1'000'000)) == doctest::Approx(0.5));
  // Dated names and longer names resolve by prefix at a '-' boundary.
  CHECK(t.cost_usd("gpt-4.1-2025-04-14", usage(1'000'000, 0)) == doctest::Approx(2.0));
  CHECK(t.cost_usd("gpt-4.1-mini", usage(1'000'000, 0)) == doctest::Approx(0.4));
  CHECK(t.cost_usd("claude-sonnet-4-20250514", usage(0, 1'000'000)) == doctest::Approx(15.0));
  CHECK(t.cost_usd("o1-pro-2025-03-19", usage(0, 1'000'000)) == doctest::Approx(600.0));
  CHECK_FALSE(t.cost_usd("llama3.1:8b", usage(10, 10)).has_value());
  Usage offline = usage(1000, 1000);
  offline.offline = true;
  CHECK(t.cost_usd("anything", offline) == std::optional<double>(0.0));
}

TEST_CASE("worker prices: overrides, inline and JSON, with problems naming the variable") {
  PriceTable t = PriceTable::defaults();
  CHECK(t.apply_overrides("gpt-4.1=3/12/1, llama3.1:8b=0/0", "LLM_PRICES").empty());
  CHECK(t.cost_usd("gpt-4.1", usage(1'000'000, 1'000'000)) == doctest::Approx(15.0));
  CHECK(t.cost_usd("llama3.1:8b", usage(5, 5)) == std::optional<double>(0.0));
  CHECK(t.apply_overrides(R"({"my-model": {"input": 1, "output": 2, "cached_input": 0.1}})",
                          "LLM_PRICES_FILE")
            .empty());
  REQUIRE(t.find("my-model").has_value());
  CHECK(t.find("my-model")->cached_input_per_mtok == std::optional<double>(0.1));

  const auto problems = t.apply_overrides("bad, x=1, y=a/b, z=-1/2, ok-model=1/2", "LLM_PRICES");
  CHECK(problems.size() == 4);
  for (const auto& p : problems) CHECK(p.rfind("LLM_PRICES entry", 0) == 0);
  CHECK(t.find("ok-model").has_value());
  CHECK(t.apply_overrides("{broken", "LLM_PRICES").size() == 1);
  CHECK(t.apply_overrides(R"({"m": {"input": "1"}})", "LLM_PRICES").size() == 1);
}
