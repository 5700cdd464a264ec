#include <doctest/doctest.h>

#include <string>

#include "atlas/worker/chain.hpp"

using namespace atlas::worker;
using namespace std::chrono_literals;

namespace {

const ModelRef kGpt41{Provider::openai, "gpt-4.1"};
const ModelRef kO3{Provider::openai, "o3"};
const ModelRef kO1Pro{Provider::openai, "o1-pro"};
const ModelRef kClaude{Provider::anthropic, "claude-sonnet-4-20250514"};

// A fake clock the test moves by hand.
struct FakeClock {
  TimePoint now{std::chrono::hours(1)};
  void advance(milliseconds d) { now += d; }
};

ChainOptions options(int max_attempts = 3) {
  ChainOptions o;
  o.llm_timeout = 120s;
  o.deadline = 300s;
  o.min_call_time = 1s;
  o.retry.max_attempts = max_attempts;
  o.retry.initial_backoff = 500ms;
  o.retry.max_backoff = 30s;
  o.retry.max_retry_after = 60s;
  return o;
}

atlas::JitterSource fixed_jitter(double value) {
  return [value] { return value; };
}

CallReport http_failure(int status, std::string_view body,
                        std::optional<milliseconds> retry_after = std::nullopt,
                        milliseconds latency = 100ms) {
  CallReport r;
  r.result = CallError{classify_http_error(status, body), status, std::nullopt};
  r.http_status = status;
  r.retry_after = retry_after;
  r.latency = latency;
  return r;
}

CallReport success(std::string text, std::int64_t prompt = 100, std::int64_t completion = 50) {
  Completion c;
  c.text = std::move(text);
  c.usage.prompt_tokens = prompt;
  c.usage.completion_tokens = completion;
  CallReport r;
  r.result = std::move(c);
  r.http_status = 200;
  r.latency = 2s;
  return r;
}

CallModel expect_call(ChainRun& run, TimePoint now, const ModelRef& model, int attempt) {
  Step step = run.next(now);
  REQUIRE(std::holds_alternative<CallModel>(step));
  const auto call = std::get<CallModel>(step);
  CHECK(call.model == model);
  CHECK(call.attempt == attempt);
  return call;
}

milliseconds expect_wait(ChainRun& run, TimePoint now) {
  Step step = run.next(now);
  REQUIRE(std::holds_alternative<Wait>(step));
  return std::get<Wait>(step).duration;
}

const std::string kQuota =
    R"({"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"You exceeded your current quota"}})";
const std::string kContext =
    R"({"error":{"type":"invalid_request_error","code":"context_length_exceeded","message":"maximum context length"}})";

}  // namespace

TEST_CASE("worker chain: 500 then 429 (retry-after 1) then success on the same model") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainRun run({kGpt41, kO3, kO1Pro}, options(), fixed_jitter(0.5), circuits, clock.now);

  expect_call(run, clock.now, kGpt41, 1);
  clock.advance(100ms);
  run.record(http_failure(500, R"({"error":{"type":"server_error","message":"oops"}})"), clock.now);
  // Full jitter: 0.5 * initial backoff.
  CHECK(expect_wait(run, clock.now) == 250ms);
  clock.advance(250ms);

  expect_call(run, clock.now, kGpt41, 2);
  clock.advance(100ms);
  run.record(http_failure(429, R"({"error":{"type":"requests","code":"rate_limit_exceeded"}})", 1s),
             clock.now);
  CHECK(expect_wait(run, clock.now) == 1000ms);  // Retry-After, not the jitter
  clock.advance(400ms);
  CHECK(expect_wait(run, clock.now) == 600ms);   // waking early waits for the rest
  clock.advance(600ms);

  expect_call(run, clock.now, kGpt41, 3);
  clock.advance(2s);
  run.record(success("# ADR"), clock.now);
  Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Done>(step));
  const Done& done = std::get<Done>(step);
  CHECK(done.model == kGpt41);
  CHECK(done.completion.text == "# ADR");
  CHECK(done.usage.total() == 150);

  const auto& attempts = run.attempts();
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[0].outcome == "retry_same_model");
  CHECK(attempts[0].reason == "server_error");
  CHECK(attempts[0].http_status == 500);
  CHECK(attempts[0].action == "retry");
  CHECK(attempts[1].reason == "rate_limited");
  CHECK(attempts[1].http_status == 429);
  CHECK(attempts[1].wait == std::optional<milliseconds>(1000ms));
  CHECK(attempts[1].retry_after == std::optional<milliseconds>(1000ms));
  CHECK(attempts[2].outcome == "ok");
  CHECK(attempts[2].latency == 2s);
  const auto json = attempts_to_json(attempts);
  CHECK(json.size() == 3);
  CHECK(json[1]["model"] == "openai:gpt-4.1");
  CHECK(json[1]["wait_ms"] == 1000);
  CHECK(json[2]["outcome"] == "ok");
  CHECK(circuits.state(Provider::openai, clock.now) == CircuitState::closed);
  // After Done, next() keeps answering Done.
  CHECK(std::holds_alternative<Done>(run.next(clock.now + 1h)));
}

TEST_CASE("worker chain: retries used up move to the next model") {
  FakeClock clock;
  CircuitBreakers circuits({10, 60s});
  ChainRun run({kGpt41, kClaude}, options(2), fixed_jitter(0.0), circuits, clock.now);
  expect_call(run, clock.now, kGpt41, 1);
  run.record(http_failure(503, ""), clock.now);
  expect_call(run, clock.now, kGpt41, 2);  // jitter 0: no wait
  run.record(http_failure(503, ""), clock.now);
  expect_call(run, clock.now, kClaude, 1);
  run.record(success("from claude"), clock.now);
  const Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Done>(step));
  CHECK(std::get<Done>(step).model == kClaude);
  REQUIRE(run.attempts().size() == 3);
  CHECK(run.attempts()[1].action == "next_model");
  CHECK(run.attempts()[1].stop == "attempts_exhausted");
}

TEST_CASE("worker chain: insufficient_quota is not retried, opens the circuit, moves on") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainRun run({kGpt41, kClaude}, options(), fixed_jitter(0.0), circuits, clock.now);
  expect_call(run, clock.now, kGpt41, 1);
  run.record(http_failure(429, kQuota), clock.now);
  CHECK(circuits.state(Provider::openai, clock.now) == CircuitState::open);
  expect_call(run, clock.now, kClaude, 1);
  CHECK(run.attempts()[0].outcome == "fail_permanent");
  CHECK(run.attempts()[0].reason == "insufficient_quota");
  CHECK(run.calls() == 2);
}

TEST_CASE("worker chain: insufficient_quota skips the provider's other models in the same run") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainRun run({kGpt41, kO3, kO1Pro}, options(), fixed_jitter(0.0), circuits, clock.now);
  expect_call(run, clock.now, kGpt41, 1);
  run.record(http_failure(429, kQuota), clock.now);
  const Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Failed>(step));
  const Failed& failed = std::get<Failed>(step);
  CHECK(failed.reason == FailReason::all_failed);  // one provider did fail for good
  CHECK(failed.calls == 1);
  // The cause, not the skips that followed it.
  CHECK(failed.last_error.find("openai:gpt-4.1: insufficient_quota (HTTP 429)") != std::string::npos);
  REQUIRE(run.attempts().size() == 3);
  CHECK(run.attempts()[1].outcome == "skipped");
  CHECK(run.attempts()[2].action == "stop");
}

TEST_CASE("worker chain: context_length_exceeded moves to the next model at once") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainRun run({kGpt41, kO3}, options(), fixed_jitter(0.9), circuits, clock.now);
  expect_call(run, clock.now, kGpt41, 1);
  run.record(http_failure(400, kContext), clock.now);
  expect_call(run, clock.now, kO3, 1);  // no wait, no second gpt-4.1 attempt
  CHECK(run.attempts()[0].outcome == "next_model");
  CHECK(run.attempts()[0].reason == "context_length_exceeded");
  CHECK(circuits.state(Provider::openai, clock.now) == CircuitState::closed);
}

TEST_CASE("worker chain: retry-after is honoured on the 2nd and 3rd attempts too") {
  FakeClock clock;
  CircuitBreakers circuits({10, 60s});
  ChainRun run({kGpt41}, options(4), fixed_jitter(0.0), circuits, clock.now);
  const milliseconds asked[] = {2000ms, 3000ms, 1000ms};
  for (int i = 0; i < 3; ++i) {
    expect_call(run, clock.now, kGpt41, i + 1);
    run.record(http_failure(429, "", asked[i]), clock.now);
    CHECK(expect_wait(run, clock.now) == asked[i]);
    clock.advance(asked[i] - 1ms);
    CHECK(expect_wait(run, clock.now) == 1ms);  // not a millisecond early
    clock.advance(1ms);
  }
  expect_call(run, clock.now, kGpt41, 4);
  run.record(success("ok"), clock.now);
  CHECK(std::holds_alternative<Done>(run.next(clock.now)));
}

TEST_CASE("worker chain: the deadline is reached mid-chain") {
  FakeClock clock;
  CircuitBreakers circuits({10, 60s});
  ChainOptions o = options(3);
  o.deadline = 10s;
  o.llm_timeout = 4s;
  ChainRun run({kGpt41, kClaude}, o, fixed_jitter(0.0), circuits, clock.now);
  CHECK(expect_call(run, clock.now, kGpt41, 1).timeout == 4s);
  clock.advance(4s);
  run.record(CallReport{CallError{classify_transport_error(TransportError::timeout), 0, {}}, 0,
                        std::nullopt, 4s},
             clock.now);
  CHECK(expect_call(run, clock.now, kGpt41, 2).timeout == 4s);
  clock.advance(4s);
  run.record(CallReport{CallError{classify_transport_error(TransportError::timeout), 0, {}}, 0,
                        std::nullopt, 4s},
             clock.now);
  // Only 2 s left: the call's timeout is cut to the deadline.
  CHECK(expect_call(run, clock.now, kGpt41, 3).timeout == 2s);
  clock.advance(2s);
  run.record(CallReport{CallError{classify_transport_error(TransportError::timeout), 0, {}}, 0,
                        std::nullopt, 2s},
             clock.now);
  const Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Failed>(step));
  CHECK(std::get<Failed>(step).reason == FailReason::deadline);
  CHECK(std::get<Failed>(step).calls == 3);
  CHECK(std::get<Failed>(step).last_error.find("timeout") != std::string::npos);
}

TEST_CASE("worker chain: a retry wait that would cross the deadline moves on") {
  FakeClock clock;
  CircuitBreakers circuits({10, 60s});
  ChainOptions o = options(3);
  o.deadline = 30s;
  ChainRun run({kGpt41, kClaude}, o, fixed_jitter(0.0), circuits, clock.now);
  expect_call(run, clock.now, kGpt41, 1);
  clock.advance(1s);
  run.record(http_failure(429, "", 45s), clock.now);  // asks for more than the time left
  expect_call(run, clock.now, kClaude, 1);
  CHECK(run.attempts()[0].stop == "deadline");
}

TEST_CASE("worker chain: a wait past the deadline ends the run") {
  FakeClock clock;
  CircuitBreakers circuits({10, 60s});
  ChainOptions o = options(3);
  o.deadline = 10s;
  ChainRun run({kGpt41}, o, fixed_jitter(0.0), circuits, clock.now);
  expect_call(run, clock.now, kGpt41, 1);
  clock.advance(3s);
  run.record(http_failure(429, "", 5s), clock.now);
  CHECK(expect_wait(run, clock.now) == 5s);
  clock.advance(6500ms);  // the driver's timer fired late: 0.5 s left
  const Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Failed>(step));
  CHECK(std::get<Failed>(step).reason == FailReason::deadline);
}

TEST_CASE("worker chain: an open circuit skips the provider for later runs") {
  FakeClock clock;
  CircuitBreakers circuits({5, 60s});
  {
    ChainRun first({kGpt41, kClaude}, options(), fixed_jitter(0.0), circuits, clock.now);
    expect_call(first, clock.now, kGpt41, 1);
    first.record(http_failure(401, R"({"error":{"type":"invalid_request_error","code":"invalid_api_key"}})"),
                 clock.now);
    expect_call(first, clock.now, kClaude, 1);
    first.record(success("a"), clock.now);
  }
  clock.advance(10s);
  ChainRun second({kGpt41, kClaude}, options(), fixed_jitter(0.0), circuits, clock.now);
  expect_call(second, clock.now, kClaude, 1);  // openai skipped without a call
  REQUIRE(second.attempts().size() == 1);
  CHECK(second.attempts()[0].outcome == "skipped");
  CHECK(second.attempts()[0].reason == "circuit_open");
  CHECK(to_json(second.attempts()[0])["outcome"] == "skipped");

  // After the cooldown a later run probes openai again.
  clock.advance(50s);
  ChainRun third({kGpt41, kClaude}, options(), fixed_jitter(0.0), circuits, clock.now);
  expect_call(third, clock.now, kGpt41, 1);
  third.record(success("b"), clock.now);
  CHECK(circuits.state(Provider::openai, clock.now) == CircuitState::closed);
}

TEST_CASE("worker chain: all circuits open gives all_circuits_open with a due time") {
  FakeClock clock;
  CircuitBreakers circuits({1, 60s});
  const Classification down{Outcome::fail_permanent, "unauthorized", ""};
  circuits.record_failure(Provider::openai, down, clock.now);
  circuits.record_failure(Provider::anthropic, down, clock.now + 20s);
  clock.advance(30s);
  ChainRun run({kGpt41, kO3, kClaude}, options(), fixed_jitter(0.0), circuits, clock.now);
  const Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Failed>(step));
  const Failed& failed = std::get<Failed>(step);
  CHECK(failed.reason == FailReason::all_circuits_open);
  CHECK(failed.calls == 0);
  REQUIRE(failed.retry_at.has_value());
  CHECK(*failed.retry_at == clock.now + 30s);  // openai re-closes first (opened at t, 60 s)
  CHECK(run.attempts().size() == 3);
  CHECK(to_string(failed.reason) == "all_circuits_open");
}

TEST_CASE("worker chain: consecutive retryable failures across runs open the circuit") {
  FakeClock clock;
  CircuitBreakers circuits({3, 60s});
  ChainRun run({kGpt41, kClaude}, options(5), fixed_jitter(0.0), circuits, clock.now);
  for (int i = 1; i <= 3; ++i) {
    expect_call(run, clock.now, kGpt41, i);
    run.record(http_failure(500, ""), clock.now);
  }
  // The third failure opened openai's circuit: the run moves on instead of a 4th attempt.
  expect_call(run, clock.now, kClaude, 1);
  CHECK(run.attempts()[3].outcome == "skipped");
}

TEST_CASE("worker chain: usage of failed calls is counted and guards the reservation") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainOptions o = options();
  o.run_token_limit = 6000;
  o.call_token_bound = 6000;
  ChainRun run({kO3, kGpt41}, o, fixed_jitter(0.0), circuits, clock.now);
  expect_call(run, clock.now, kO3, 1);
  Usage spent;
  spent.prompt_tokens = 1000;
  spent.completion_tokens = 5000;
  run.record(CallReport{CallError{Classification{Outcome::next_model, "empty_output", ""}, 200,
                                  spent},
                        200, std::nullopt, 1s},
             clock.now);
  const Step step = run.next(clock.now);
  REQUIRE(std::holds_alternative<Failed>(step));
  CHECK(std::get<Failed>(step).reason == FailReason::budget_exhausted);
  CHECK(std::get<Failed>(step).usage.total() == 6000);
}

TEST_CASE("worker chain: misuse is a logic error, not undefined behaviour") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainRun run({kGpt41}, options(), fixed_jitter(0.0), circuits, clock.now);
  CHECK_THROWS_AS(run.record(success("x"), clock.now), std::logic_error);
  expect_call(run, clock.now, kGpt41, 1);
  CHECK_THROWS_AS((void)run.next(clock.now), std::logic_error);
}

TEST_CASE("worker chain: offline entry answers without any circuit") {
  FakeClock clock;
  CircuitBreakers circuits;
  ChainRun run({ModelRef{}}, options(), fixed_jitter(0.0), circuits, clock.now);
  const CallModel call = expect_call(run, clock.now, ModelRef{Provider::offline, "offline"}, 1);
  CHECK(call.model.label() == "offline");
}
