#include "atlas/router/failure_decision.hpp"

#include <algorithm>

#include "atlas/control.hpp"

namespace atlas::router {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// The failure headers for a new failure of `record`: the original
// coordinates survive re-injections (they name where the message first failed).
FailureHeaders base_headers(const ConsumedRecord& record, const ParsedFailureHeaders& prior) {
  FailureHeaders h;
  if (!prior.headers.original_topic.empty()) {
    h.original_topic = prior.headers.original_topic;
    h.original_partition = prior.headers.original_partition;
    h.original_offset = prior.headers.original_offset;
  } else {
    h.original_topic = record.topic;
    h.original_partition = record.partition;
    h.original_offset = record.offset;
  }
  h.attempts = prior.headers.attempts;
  h.error_class = prior.headers.error_class;
  h.error = prior.headers.error;
  h.component = prior.headers.component;
  h.failed_at = prior.headers.failed_at;
  h.delivered_parts = prior.headers.delivered_parts;
  return h;
}

DeadLetter make_dead_letter(const ConsumedRecord& record, FailureHeaders h, std::string reason,
                            const FailureSettings& settings) {
  h.due_at.reset();
  h.target_topic.reset();
  DeadLetter dl;
  dl.record.topic = settings.dlq_topic;
  dl.record.key = record.key;
  dl.record.value = record.value;
  dl.record.headers = with_failure_headers(record.headers, h);
  dl.reason = std::move(reason);

  auto parsed = parse_envelope(record.value);
  if (!parsed.ok()) {
    dl.escalation_skipped = "the value is not a valid envelope (" + parsed.error().describe() +
                            "), so there is no task id to escalate";
  } else if (const auto id = Uuid::parse(parsed.value().task_id); !id) {
    dl.escalation_skipped = "the envelope's task_id is not a UUID";
  } else if (auto command = parse_control(parsed.value());
             command.ok() && std::holds_alternative<Escalate>(command.value())) {
    dl.escalation_skipped = "the failed message is itself an escalation";
  } else {
    dl.escalation = make_escalation(dl.reason, *id, h.attempts, h.error, parsed.value().origin());
  }
  dl.headers = std::move(h);
  return dl;
}

}  // namespace

std::optional<Failure> failure_from(const DeliveryOutcome& outcome, int delivered_parts) {
  if (const auto* retry = std::get_if<RetryLater>(&outcome)) {
    return Failure{true, retry->after, retry->reason, "delivery_failed", delivered_parts};
  }
  if (const auto* permanent = std::get_if<Permanent>(&outcome)) {
    return Failure{false, std::nullopt, permanent->reason, "delivery_failed", delivered_parts};
  }
  return std::nullopt;
}

nlohmann::json escalation_content(std::string_view reason, std::string_view failed_task_id,
                                  std::int64_t attempts, std::string_view last_error) {
  return {{"command", "escalate"},
          {"reason", std::string(reason)},
          {"failed_task_id", std::string(failed_task_id)},
          {"attempts", attempts},
          {"last_error", std::string(last_error)}};
}

FailureDecision decide_failure(const ConsumedRecord& record, const Failure& failure,
                               const RetryPolicy& policy, const FailureSettings& settings,
                               system_clock::time_point now) {
  const auto prior = parse_failure_headers(record.headers, settings.max_attempts);
  FailureHeaders h = base_headers(record, prior);
  h.attempts = prior.attempts_unreadable ? settings.max_attempts : prior.headers.attempts + 1;
  h.error_class = failure.error_class;
  h.error = failure.error;
  h.component = settings.component;
  h.failed_at = now;
  h.delivered_parts = std::max(prior.headers.delivered_parts, failure.delivered_parts);

  const std::string attempts_text = std::to_string(h.attempts) + " attempt" + (h.attempts == 1 ? "" : "s");
  std::string reason;
  if (prior.attempts_unreadable) {
    reason = "atlas-attempts was unreadable, so the record is not retried: " + failure.error;
  } else if (!failure.retryable) {
    reason = "permanent failure after " + attempts_text + ": " + failure.error;
  } else if (h.attempts >= settings.max_attempts) {
    reason = "gave up after " + attempts_text + ": " + failure.error;
  } else {
    const auto next = policy.next(h.attempts, milliseconds(0), failure.retry_after);
    if (next.retry) {
      RetryRecord retry;
      h.due_at = now + next.wait;
      h.target_topic = record.topic;
      retry.record.topic = settings.retry_topic;
      retry.record.key = record.key;
      retry.record.value = record.value;
      retry.record.headers = with_failure_headers(record.headers, h);
      retry.headers = std::move(h);
      retry.wait = next.wait;
      return retry;
    }
    reason = "retry policy stopped (" + std::string(to_string(next.stop)) + ") after " +
             attempts_text + ": " + failure.error;
  }
  return make_dead_letter(record, std::move(h), std::move(reason), settings);
}

system_clock::time_point due_time(const ConsumedRecord& retry_record, system_clock::time_point now) {
  const auto parsed = parse_failure_headers(retry_record.headers, 0);
  return parsed.headers.due_at.value_or(now);
}

ReinjectDecision plan_reinjection(const ConsumedRecord& retry_record,
                                  const std::set<std::string, std::less<>>& allowed_targets,
                                  const FailureSettings& settings, system_clock::time_point now) {
  auto parsed = parse_failure_headers(retry_record.headers, settings.max_attempts);
  FailureHeaders h = base_headers(retry_record, parsed);
  if (!parsed.headers.due_at) parsed.problems.emplace_back("atlas-due-at is missing or unreadable: due now");

  auto reject = [&](std::string reason) -> ReinjectDecision {
    h.error_class = "invalid_input";
    h.error = reason;
    h.component = settings.component;
    h.failed_at = now;
    return make_dead_letter(retry_record, h, std::move(reason), settings);
  };
  if (parsed.attempts_unreadable) {
    return reject("retry record has an unreadable atlas-attempts header: dead-lettered instead of "
                  "retried");
  }
  std::string target = parsed.headers.target_topic.value_or(parsed.headers.original_topic);
  if (target.empty()) return reject("retry record names no atlas-target-topic");
  if (allowed_targets.count(target) == 0) {
    return reject("atlas-target-topic '" + target.substr(0, 100) +
                  "' is not a topic the router re-injects into");
  }
  h.due_at.reset();
  h.target_topic.reset();
  Reinject out;
  out.record.topic = std::move(target);
  out.record.key = retry_record.key;
  out.record.value = retry_record.value;
  out.record.headers = with_failure_headers(retry_record.headers, h);
  out.problems = std::move(parsed.problems);
  return out;
}

std::optional<kafka::Record> replay_dead_letter(
    const ConsumedRecord& dead_letter, const std::set<std::string, std::less<>>& allowed_targets) {
  const auto parsed = parse_failure_headers(dead_letter.headers, 0);
  const std::string& topic = parsed.headers.original_topic;
  if (topic.empty() || allowed_targets.count(topic) == 0) return std::nullopt;
  kafka::Record record;
  record.topic = topic;
  record.key = dead_letter.key;
  record.value = dead_letter.value;
  record.headers = without_failure_headers(dead_letter.headers);
  return record;
}

}  // namespace atlas::router
