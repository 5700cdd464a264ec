#include "atlas/worker/chain.hpp"

#include <algorithm>
#include <stdexcept>

namespace atlas::worker {
namespace {

RetryOptions with_deadline(RetryOptions retry, milliseconds deadline) {
  retry.deadline = deadline;  // elapsed is measured from the chain's start
  return retry;
}

milliseconds ceil_ms(Clock::duration d) {
  return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(d));
}

}  // namespace

std::string_view to_string(FailReason reason) {
  switch (reason) {
    case FailReason::all_failed: return "all_failed";
    case FailReason::deadline: return "deadline";
    case FailReason::all_circuits_open: return "all_circuits_open";
    case FailReason::budget_exhausted: return "budget_exhausted";
  }
  return "all_failed";
}

nlohmann::json to_json(const AttemptRecord& a) {
  nlohmann::json j = {{"model", a.model.label()},
                      {"provider", to_string(a.model.provider)},
                      {"attempt", a.attempt},
                      {"outcome", a.outcome},
                      {"action", a.action},
                      {"http_status", a.http_status},
                      {"latency_ms", a.latency.count()}};
  if (!a.reason.empty()) j["reason"] = a.reason;
  if (!a.detail.empty()) j["error"] = a.detail;
  if (!a.stop.empty()) j["stop"] = a.stop;
  if (a.wait) j["wait_ms"] = a.wait->count();
  if (a.retry_after) j["retry_after_ms"] = a.retry_after->count();
  return j;
}

nlohmann::json attempts_to_json(const std::vector<AttemptRecord>& attempts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : attempts) out.push_back(to_json(a));
  return out;
}

ChainRun::ChainRun(std::vector<ModelRef> chain, ChainOptions options, JitterSource jitter,
                   CircuitBreakers& circuits, TimePoint start)
    : chain_(std::move(chain)),
      options_(std::move(options)),
      policy_(with_deadline(options_.retry, options_.deadline), std::move(jitter)),
      circuits_(circuits),
      start_(start),
      deadline_at_(start + options_.deadline) {}

void ChainRun::move_to_next_model() {
  ++index_;
  model_attempts_ = 0;
  wait_until_.reset();
}

void ChainRun::add_usage(const Usage& usage) {
  if (!usage_seen_) {
    usage_ = usage;
    usage_seen_ = true;
  } else {
    usage_ += usage;
  }
}

Step ChainRun::finish(Step step) {
  result_ = std::move(step);
  return *result_;
}

std::string ChainRun::describe_last_error() const {
  // The last call that failed says more than the skips that followed it.
  const AttemptRecord* last = nullptr;
  for (auto it = attempts_.rbegin(); it != attempts_.rend() && last == nullptr; ++it) {
    if (it->outcome != "ok" && it->outcome != "skipped") last = &*it;
  }
  for (auto it = attempts_.rbegin(); it != attempts_.rend() && last == nullptr; ++it) {
    if (it->outcome == "skipped") last = &*it;
  }
  if (last == nullptr) return "no model was called";
  std::string text = last->model.label() + ": " + last->reason;
  if (last->http_status != 0) text += " (HTTP " + std::to_string(last->http_status) + ")";
  if (!last->detail.empty()) text += ": " + last->detail;
  return text;
}

Step ChainRun::next(TimePoint now) {
  if (result_) return *result_;
  if (call_outstanding_) {
    throw std::logic_error("ChainRun::next: a call is outstanding; record() its result first");
  }
  if (wait_until_ && now < *wait_until_ && *wait_until_ < deadline_at_) {
    return Wait{ceil_ms(*wait_until_ - now)};
  }
  wait_until_.reset();

  const milliseconds remaining = std::chrono::floor<milliseconds>(deadline_at_ - now);
  if (remaining < options_.min_call_time || remaining <= milliseconds(0)) {
    Failed failed{FailReason::deadline, calls_,
                  "the task deadline (" + std::to_string(options_.deadline.count() / 1000) +
                      " s) passed; last error: " + describe_last_error(),
                  std::nullopt, usage_};
    return finish(std::move(failed));
  }

  while (index_ < chain_.size()) {
    const ModelRef& model = chain_[index_];
    if (!circuits_.allow(model.provider, now)) {
      AttemptRecord skipped;
      skipped.model = model;
      skipped.attempt = model_attempts_ + 1;
      skipped.outcome = "skipped";
      skipped.reason = "circuit_open";
      skipped.action = index_ + 1 < chain_.size() ? "next_model" : "stop";
      attempts_.push_back(std::move(skipped));
      move_to_next_model();
      continue;
    }
    if (options_.run_token_limit > 0 && usage_.total() > 0 &&
        usage_.total() + options_.call_token_bound > options_.run_token_limit) {
      Failed failed{FailReason::budget_exhausted, calls_,
                    "the run's calls already spent " + std::to_string(usage_.total()) +
                        " tokens; another call could exceed the " +
                        std::to_string(options_.run_token_limit) +
                        " reserved; last error: " + describe_last_error(),
                    std::nullopt, usage_};
      return finish(std::move(failed));
    }
    call_outstanding_ = true;
    ++model_attempts_;
    ++calls_;
    return CallModel{model, model_attempts_, std::min(options_.llm_timeout, remaining)};
  }

  if (calls_ == 0 && !chain_.empty()) {
    // Every entry was skipped: its circuit is open. Suggest when to try again.
    std::optional<TimePoint> earliest;
    for (const auto& model : chain_) {
      if (auto until = circuits_.open_until(model.provider)) {
        earliest = earliest ? std::min(*earliest, *until) : *until;
      }
    }
    const TimePoint soonest = now + std::chrono::seconds(1);
    const TimePoint retry_at = earliest ? std::max(*earliest, soonest) : soonest;
    Failed failed{FailReason::all_circuits_open, 0,
                  "every provider in LLM_CHAIN has its circuit open", retry_at, usage_};
    return finish(std::move(failed));
  }
  Failed failed{FailReason::all_failed, calls_,
                "every model in LLM_CHAIN failed; last error: " + describe_last_error(),
                std::nullopt, usage_};
  return finish(std::move(failed));
}

void ChainRun::record(const CallReport& report, TimePoint now) {
  if (!call_outstanding_) {
    throw std::logic_error("ChainRun::record: no call is outstanding");
  }
  call_outstanding_ = false;
  const ModelRef model = chain_[index_];
  AttemptRecord rec;
  rec.model = model;
  rec.attempt = model_attempts_;
  rec.http_status = report.http_status;
  rec.latency = report.latency;
  rec.retry_after = report.retry_after;

  if (const auto* completion = std::get_if<Completion>(&report.result)) {
    circuits_.record_success(model.provider);
    add_usage(completion->usage);
    rec.outcome = "ok";
    rec.action = "done";
    attempts_.push_back(std::move(rec));
    result_ = Done{*completion, model, usage_};
    return;
  }

  const CallError& error = std::get<CallError>(report.result);
  if (error.usage) add_usage(*error.usage);
  circuits_.record_failure(model.provider, error.classification, now);
  rec.outcome = std::string(to_string(error.classification.outcome));
  rec.reason = error.classification.reason;
  rec.detail = error.classification.detail;
  if (rec.http_status == 0) rec.http_status = error.http_status;
  const std::string move_on = index_ + 1 < chain_.size() ? "next_model" : "stop";

  if (error.classification.outcome == Outcome::retry_same_model) {
    const auto elapsed = std::chrono::duration_cast<milliseconds>(now - start_);
    const RetryPolicy::Decision d = policy_.next(model_attempts_, elapsed, report.retry_after);
    if (d.retry) {
      rec.action = "retry";
      rec.wait = d.wait;
      wait_until_ = now + d.wait;
      attempts_.push_back(std::move(rec));
      return;
    }
    rec.stop = std::string(to_string(d.stop));
  }
  rec.action = move_on;
  attempts_.push_back(std::move(rec));
  move_to_next_model();
}

}  // namespace atlas::worker
