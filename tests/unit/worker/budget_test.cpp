#include <doctest/doctest.h>

#include "atlas/worker/budget.hpp"

using namespace atlas::worker;

TEST_CASE("worker budget: the estimator is a pessimistic bytes/3 for ASCII, 1 per other byte") {
  CHECK(estimate_tokens("") == 0);
  CHECK(estimate_tokens("a") == 1);
  CHECK(estimate_tokens("abc") == 1);
  CHECK(estimate_tokens("abcd") == 2);
  CHECK(estimate_tokens(std::string(3000, 'x')) == 1000);
  CHECK(estimate_tokens("\xE6\x97\xA5\xE6\x9C\xAC") == 6);  // two CJK characters, 3 bytes each
  CHECK(estimate_tokens("ab\xC3\xA9") == 3);               // "abé": 1 + 2
  // Sub-additive: estimating pieces never under-counts the whole.
  CHECK(estimate_tokens("aaaa") + estimate_tokens("bb") >= estimate_tokens("aaaabb"));
  CHECK(estimate_prompt_tokens("abc", "abc") ==
        kRequestOverheadTokens + 2 * kMessageOverheadTokens + 2);
}

TEST_CASE("worker budget: reservations at the boundaries of both limits") {
  const DailyLedger today{200'000, 38'000};  // 238,000 committed of 250,000
  SUBCASE("exactly what is left fits") {
    const auto d = decide_reservation(12'000, 12'000, today, 250'000);
    CHECK(d.ok);
    CHECK(d.limit == BudgetLimit::none);
    CHECK(d.available == 12'000);
  }
  SUBCASE("one token more does not") {
    const auto d = decide_reservation(12'001, 13'000, today, 250'000);
    CHECK_FALSE(d.ok);
    CHECK(d.limit == BudgetLimit::daily);
    CHECK(d.available == 12'000);
    CHECK(d.requested == 12'001);
    CHECK(d.message.find("DAILY_TOKEN_BUDGET") != std::string::npos);
  }
  SUBCASE("the per-run limit is checked first and is inclusive") {
    CHECK(decide_reservation(5'000, 5'000, {}, 250'000).ok);
    const auto d = decide_reservation(5'001, 5'000, {}, 250'000);
    CHECK_FALSE(d.ok);
    CHECK(d.limit == BudgetLimit::per_run);
    CHECK(d.message.find("TOKEN_BUDGET_PER_RUN") != std::string::npos);
  }
  SUBCASE("an over-spent day has nothing available, not a negative amount") {
    const auto d = decide_reservation(1, 10, DailyLedger{260'000, 0}, 250'000);
    CHECK_FALSE(d.ok);
    CHECK(d.available == 0);
  }
  SUBCASE("a zero daily budget refuses everything") {
    CHECK_FALSE(decide_reservation(1, 10, {}, 0).ok);
  }
  CHECK(to_string(BudgetLimit::daily) == "daily");
}

TEST_CASE("worker budget: settling replaces the reservation with the reported usage") {
  Usage below;
  below.prompt_tokens = 3'000;
  below.completion_tokens = 1'000;
  const auto s1 = settle(12'000, below);
  CHECK(s1.charged == 4'000);
  CHECK(s1.released == 8'000);
  CHECK(s1.overrun == 0);

  Usage above;
  above.prompt_tokens = 9'000;
  above.completion_tokens = 4'500;
  const auto s2 = settle(12'000, above);
  CHECK(s2.charged == 13'500);
  CHECK(s2.released == 0);
  CHECK(s2.overrun == 1'500);

  Usage exact;
  exact.prompt_tokens = 12'000;
  CHECK(settle(12'000, exact).released == 0);
  CHECK(settle(12'000, exact).overrun == 0);
}

TEST_CASE("worker budget: unreported usage is charged the whole reservation") {
  Usage unknown;
  unknown.reported = false;
  const auto s = settle(12'000, unknown);
  CHECK(s.charged == 12'000);
  CHECK(s.released == 0);
  // Partly reported (a failed call said 20,000, the answer said nothing): the larger.
  Usage partial;
  partial.prompt_tokens = 20'000;
  partial.reported = false;
  CHECK(settle(12'000, partial).charged == 20'000);
}

TEST_CASE("worker budget: usage sums keep the parts apart") {
  Usage a;
  a.prompt_tokens = 10;
  a.cached_tokens = 4;
  a.completion_tokens = 20;
  a.reasoning_tokens = 5;
  Usage b = a;
  b.reported = false;
  a += b;
  CHECK(a.prompt_tokens == 20);
  CHECK(a.cached_tokens == 8);
  CHECK(a.completion_tokens == 40);
  CHECK(a.reasoning_tokens == 10);
  CHECK(a.total() == 60);
  CHECK_FALSE(a.reported);
  const auto j = a.to_json();
  CHECK(j["total_tokens"] == 60);
  CHECK(j["reported"] == false);
  CHECK_FALSE(j.contains("offline"));
}
