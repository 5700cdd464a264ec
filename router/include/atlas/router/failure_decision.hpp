#pragma once
// What happens to a record whose processing failed, and to retry records
// when they fall due -- as values the Kafka adapter produces.
//
// decide_failure: attempts = atlas-attempts + 1. While attempts <
// max_attempts and the failure is retryable, a RetryRecord goes to
// architect_retry, due after the retry policy's wait (the server's
// Retry-After honoured, capped). Otherwise a DeadLetter goes to architect_dlq
// with an escalate control for architect_out (when the value is an envelope,
// so the failed task id is known).
//
// plan_reinjection: a due retry record goes back to its atlas-target-topic
// (which must be one of the allowed topics: the header is input too), with
// atlas-attempts kept so the next failure counts on, and atlas-due-at /
// atlas-target-topic removed. An unusable retry record is dead-lettered.
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "atlas/envelope.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/retry_policy.hpp"
#include "atlas/router/delivery_outcome.hpp"
#include "atlas/failure_headers.hpp"

namespace atlas::router {

// A record as consumed.
struct ConsumedRecord {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<std::string> key;
  std::string value;
  kafka::Headers headers;
};

// Why an attempt failed.
struct Failure {
  bool retryable = false;
  std::optional<std::chrono::milliseconds> retry_after;
  std::string error;                          // human-readable, no secrets
  std::string error_class = "delivery_failed";
  int delivered_parts = 0;                    // Slack parts posted before the failure
};

// The Failure for a delivery outcome; nullopt for Delivered.
[[nodiscard]] std::optional<Failure> failure_from(const DeliveryOutcome& outcome,
                                                  int delivered_parts = 0);

struct FailureSettings {
  int max_attempts = 3;                    // DELIVERY_MAX_ATTEMPTS
  std::string retry_topic = "architect_retry";
  std::string dlq_topic = "architect_dlq";
  std::string component = "atlas-router";
};

struct RetryRecord {
  kafka::Record record;                    // to retry_topic
  FailureHeaders headers;
  std::chrono::milliseconds wait{0};
};

struct DeadLetter {
  kafka::Record record;                    // to dlq_topic
  FailureHeaders headers;
  std::string reason;                      // "gave up after 3 attempts: HTTP 500 from Slack"
  // The escalate control to publish on architect_out, when the failed value
  // is an envelope; otherwise nullopt and escalation_skipped says why.
  std::optional<Envelope> escalation;
  std::string escalation_skipped;
};

using FailureDecision = std::variant<RetryRecord, DeadLetter>;

[[nodiscard]] FailureDecision decide_failure(const ConsumedRecord& record, const Failure& failure,
                                             const RetryPolicy& policy,
                                             const FailureSettings& settings,
                                             std::chrono::system_clock::time_point now);

// The escalate control content (DESIGN section 3):
// {"command":"escalate","reason","failed_task_id","attempts","last_error"}.
[[nodiscard]] nlohmann::json escalation_content(std::string_view reason,
                                                std::string_view failed_task_id,
                                                std::int64_t attempts,
                                                std::string_view last_error);

struct Reinject {
  kafka::Record record;                    // to the target topic
  std::vector<std::string> problems;       // repairs made while reading the headers
};

using ReinjectDecision = std::variant<Reinject, DeadLetter>;

// When a retry record falls due (atlas-due-at, or now if it is unreadable).
[[nodiscard]] std::chrono::system_clock::time_point due_time(const ConsumedRecord& retry_record,
                                                             std::chrono::system_clock::time_point now);

[[nodiscard]] ReinjectDecision plan_reinjection(const ConsumedRecord& retry_record,
                                                const std::set<std::string, std::less<>>& allowed_targets,
                                                const FailureSettings& settings,
                                                std::chrono::system_clock::time_point now);

// A dead letter sent back to its atlas-original-topic with every failure
// header removed (fresh attempts) -- `atlasctl dlq replay`. nullopt when the
// record does not say where it came from or the topic is not allowed.
[[nodiscard]] std::optional<kafka::Record> replay_dead_letter(
    const ConsumedRecord& dead_letter, const std::set<std::string, std::less<>>& allowed_targets);

}  // namespace atlas::router
