#include <doctest/doctest.h>

#include "atlas/control.hpp"
#include "atlas/router/failure_decision.hpp"

using namespace std::chrono_literals;
using atlas::router::ConsumedRecord;
using atlas::router::DeadLetter;
using atlas::router::decide_failure;
using atlas::router::Failure;
using atlas::router::FailureSettings;
using atlas::router::Reinject;
using atlas::router::RetryRecord;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000));
const atlas::Uuid kRequestId = *atlas::Uuid::parse("6f1c2a52-3f55-4d5b-9f43-2d0f5d0f7a11");

atlas::RetryPolicy policy(double jitter = 0.5) {
  atlas::RetryOptions o;
  o.max_attempts = 3;
  o.initial_backoff = 1000ms;
  o.multiplier = 2.0;
  return atlas::RetryPolicy(o, [jitter] { return jitter; });
}

ConsumedRecord reply_record() {
  const auto request = atlas::make_chat("design", {{"kind", "slack"}, {"channel", "C1"}}, kRequestId);
  const auto reply = atlas::make_reply(request, atlas::MsgType::spec, "# ADR", atlas::Status::done);
  ConsumedRecord r;
  r.topic = "architect_out";
  r.partition = 2;
  r.offset = 77;
  r.key = reply.kafka_key();
  r.value = atlas::serialize(reply);
  r.headers = {{"traceparent", "00-1-2-01"}};
  return r;
}

// The record as the retry scheduler re-injects it, consumed again from architect_out.
ConsumedRecord reconsumed(const atlas::kafka::Record& produced, std::int64_t offset) {
  ConsumedRecord r;
  r.topic = produced.topic;
  r.partition = 0;
  r.offset = offset;
  r.key = produced.key;
  r.value = produced.value;
  r.headers = produced.headers;
  return r;
}

const std::set<std::string, std::less<>> kTargets = {"architect_in", "architect_out"};

}  // namespace

TEST_CASE("router failure: a retryable failure goes to architect_retry with a due time and the value intact") {
  const auto record = reply_record();
  const auto d = decide_failure(record, Failure{true, std::nullopt, "HTTP 500 from Slack"}, policy(),
                                FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<RetryRecord>(d));
  const auto& retry = std::get<RetryRecord>(d);
  CHECK(retry.record.topic == "architect_retry");
  CHECK(retry.record.value == record.value);  // byte for byte
  CHECK(retry.record.key == record.key);
  CHECK(retry.wait == 500ms);  // jitter 0.5 of the 1 s ceiling
  CHECK(retry.headers.attempts == 1);
  CHECK(retry.headers.due_at == kNow + 500ms);
  CHECK(retry.headers.target_topic == std::optional<std::string>("architect_out"));
  CHECK(retry.headers.original_topic == "architect_out");
  CHECK(retry.headers.original_partition == 2);
  CHECK(retry.headers.original_offset == 77);
  CHECK(retry.headers.error_class == "delivery_failed");
  CHECK(retry.record.headers.front().first == "traceparent");
}

TEST_CASE("router failure: Retry-After is honoured for the due time") {
  const auto d = decide_failure(reply_record(), Failure{true, 2000ms, "HTTP 429: Slack rate limit"},
                                policy(), FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<RetryRecord>(d));
  CHECK(std::get<RetryRecord>(d).headers.due_at == kNow + 2000ms);
}

TEST_CASE("router failure: three failed attempts end in the DLQ with an escalation") {
  const FailureSettings settings;
  const Failure failure{true, std::nullopt, "HTTP 500 from Slack"};
  auto record = reply_record();
  // Attempt 1 fails -> retry; re-injected; attempt 2 fails -> retry; attempt 3 fails -> DLQ.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const auto d = decide_failure(record, failure, policy(), settings, kNow);
    REQUIRE(std::holds_alternative<RetryRecord>(d));
    CHECK(std::get<RetryRecord>(d).headers.attempts == attempt);
    const auto reinject = atlas::router::plan_reinjection(
        reconsumed(std::get<RetryRecord>(d).record, 100 + attempt), kTargets, settings, kNow + 1s);
    REQUIRE(std::holds_alternative<Reinject>(reinject));
    const auto& back = std::get<Reinject>(reinject).record;
    CHECK(back.topic == "architect_out");
    record = reconsumed(back, 200 + attempt);
  }
  const auto d = decide_failure(record, failure, policy(), settings, kNow + 5s);
  REQUIRE(std::holds_alternative<DeadLetter>(d));
  const auto& dl = std::get<DeadLetter>(d);
  CHECK(dl.record.topic == "architect_dlq");
  CHECK(dl.record.value == reply_record().value);
  CHECK(dl.headers.attempts == 3);
  CHECK(dl.headers.original_offset == 77);  // where it first failed
  CHECK_FALSE(dl.headers.due_at);
  CHECK_FALSE(dl.headers.target_topic);
  CHECK(dl.reason == "gave up after 3 attempts: HTTP 500 from Slack");
  REQUIRE(dl.escalation);
  const auto& esc = *dl.escalation;
  CHECK(esc.msg_type == atlas::MsgType::control);
  const auto reply = atlas::parse_envelope(reply_record().value).value();
  CHECK(esc.content == atlas::router::escalation_content(dl.reason, reply.task_id, 3, "HTTP 500 from Slack"));
  CHECK(esc.parent_id() == reply.task_id);
  CHECK(atlas::parse_control(esc).ok());
  CHECK(atlas::parse_envelope(atlas::serialize(esc)).ok());
}

TEST_CASE("router failure: a permanent failure is dead-lettered at once") {
  const auto d = decide_failure(reply_record(), Failure{false, std::nullopt, "Slack error channel_not_found"},
                                policy(), FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<DeadLetter>(d));
  const auto& dl = std::get<DeadLetter>(d);
  CHECK(dl.headers.attempts == 1);
  CHECK(dl.reason == "permanent failure after 1 attempt: Slack error channel_not_found");
  CHECK(dl.escalation);
  const auto outcome = atlas::router::DeliveryOutcome{atlas::router::Permanent{"x", false}};
  const auto f = atlas::router::failure_from(outcome, 2);
  REQUIRE(f);
  CHECK_FALSE(f->retryable);
  CHECK(f->delivered_parts == 2);
  CHECK_FALSE(atlas::router::failure_from(atlas::router::DeliveryOutcome{atlas::router::Delivered{}}));
}

TEST_CASE("router failure: garbage atlas-attempts dead-letters instead of looping") {
  auto record = reply_record();
  record.headers.emplace_back("atlas-attempts", "lots");
  const auto d = decide_failure(record, Failure{true, std::nullopt, "HTTP 503"}, policy(), FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<DeadLetter>(d));
  CHECK(std::get<DeadLetter>(d).reason.find("unreadable") != std::string::npos);
  CHECK(std::get<DeadLetter>(d).headers.attempts == 3);
}

TEST_CASE("router failure: a value that is not an envelope is dead-lettered without an escalation") {
  auto record = reply_record();
  record.value = "\xff not json";
  const auto d = decide_failure(record, Failure{false, std::nullopt, "bad"}, policy(), FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<DeadLetter>(d));
  CHECK_FALSE(std::get<DeadLetter>(d).escalation);
  CHECK_FALSE(std::get<DeadLetter>(d).escalation_skipped.empty());
  CHECK(std::get<DeadLetter>(d).record.value == record.value);
}

TEST_CASE("router reinjection: missing due-at is due now - bad or foreign targets are dead-lettered") {
  ConsumedRecord r = reply_record();
  r.topic = "architect_retry";
  r.headers = {{"atlas-attempts", "1"}, {"atlas-target-topic", "architect_in"}};
  CHECK(atlas::router::due_time(r, kNow) == kNow);
  const auto ok = atlas::router::plan_reinjection(r, kTargets, FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<Reinject>(ok));
  CHECK(std::get<Reinject>(ok).record.topic == "architect_in");
  CHECK_FALSE(std::get<Reinject>(ok).problems.empty());
  const auto back = atlas::parse_failure_headers(std::get<Reinject>(ok).record.headers, 3);
  CHECK(back.headers.attempts == 1);
  CHECK_FALSE(back.headers.due_at);
  CHECK_FALSE(back.headers.target_topic);

  r.headers = {{"atlas-attempts", "1"}, {"atlas-target-topic", "__consumer_offsets"}};
  const auto foreign = atlas::router::plan_reinjection(r, kTargets, FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<DeadLetter>(foreign));
  CHECK(std::get<DeadLetter>(foreign).headers.error_class == "invalid_input");

  r.headers = {{"atlas-attempts", "1"}};
  CHECK(std::holds_alternative<DeadLetter>(atlas::router::plan_reinjection(r, kTargets, FailureSettings{}, kNow)));
  r.headers = {{"atlas-attempts", "x"}, {"atlas-target-topic", "architect_in"}};
  CHECK(std::holds_alternative<DeadLetter>(atlas::router::plan_reinjection(r, kTargets, FailureSettings{}, kNow)));
  // Falls back to the original topic when the target is missing.
  r.headers = {{"atlas-attempts", "1"}, {"atlas-original-topic", "architect_out"}};
  const auto fallback = atlas::router::plan_reinjection(r, kTargets, FailureSettings{}, kNow);
  REQUIRE(std::holds_alternative<Reinject>(fallback));
  CHECK(std::get<Reinject>(fallback).record.topic == "architect_out");
}

TEST_CASE("router dlq replay: back to the original topic with fresh attempts") {
  const auto d = decide_failure(reply_record(), Failure{false, std::nullopt, "HTTP 404"}, policy(),
                                FailureSettings{}, kNow);
  const auto& dl = std::get<DeadLetter>(d);
  const auto replay = atlas::router::replay_dead_letter(reconsumed(dl.record, 5), kTargets);
  REQUIRE(replay);
  CHECK(replay->topic == "architect_out");
  CHECK(replay->value == reply_record().value);
  CHECK(replay->headers == atlas::kafka::Headers{{"traceparent", "00-1-2-01"}});
  ConsumedRecord bare = reply_record();
  bare.headers.clear();
  CHECK_FALSE(atlas::router::replay_dead_letter(bare, kTargets));
}
