#pragma once
// The LLM fallback chain as a state machine (DESIGN section 6). It decides;
// the asynchronous driver acts. The driver loops:
//
//   ChainRun run(chain, options, jitter, circuits, now);
//   for (;;) {
//     Step step = run.next(now);
//     CallModel -> send the call (timeout = step.timeout); when it completes,
//                  run.record(report, now) and loop
//     Wait      -> set a timer for step.duration, then loop
//     Done      -> publish the reply (step.completion, run.attempts())
//     Failed    -> error reply + escalate + dead letter, or (all_circuits_open)
//                  hand the request to architect_retry, due at step.retry_at
//   }
//
// Rules:
//  - one retry loop: a retry_same_model outcome retries the same model as
//    RetryPolicy says (full-jitter backoff, Retry-After honoured and capped on
//    every attempt, at most max_attempts calls per model);
//  - next model on next_model outcomes, retries used up, a wait that would
//    cross the deadline, or an open circuit (recorded as "skipped");
//  - fail_permanent opens the provider's circuit and moves on;
//  - one deadline for the whole chain: each call's timeout is
//    min(llm_timeout, time left); no call starts with less than
//    min_call_time left;
//  - if every entry was skipped because its circuit is open, the run fails
//    with all_circuits_open and retry_at = the earliest time a circuit lets a
//    probe through, so the request can wait in architect_retry instead of
//    holding an in-flight slot. (How often a request may be handed back is
//    the driver's business: the atlas-attempts header.)
//  - optional token guard: when the run's calls have already reported usage,
//    no call starts that could take the run past run_token_limit.
// Not thread-safe: one ChainRun per task, driven from one place at a time.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/retry_policy.hpp"
#include "atlas/worker/circuit_breaker.hpp"
#include "atlas/worker/clock.hpp"
#include "atlas/worker/model_ref.hpp"
#include "atlas/worker/provider.hpp"
#include "atlas/worker/usage.hpp"

namespace atlas::worker {

struct ChainOptions {
  milliseconds llm_timeout{120'000};   // LLM_TIMEOUT_S
  milliseconds deadline{300'000};      // TASK_DEADLINE_S, for the whole chain
  milliseconds min_call_time{1'000};   // don't start a call with less time left
  RetryOptions retry;                  // max_attempts = LLM_MAX_ATTEMPTS, backoff, Retry-After cap;
                                       // its deadline is replaced by `deadline`
  std::int64_t run_token_limit = 0;    // 0: no guard; else usually the reservation
  std::int64_t call_token_bound = 0;   // the most one call may spend (prompt + max output)
};

// --- steps --------------------------------------------------------------------

struct CallModel {
  ModelRef model;
  int attempt = 1;                     // of this model, from 1
  milliseconds timeout{0};
};

struct Wait {
  milliseconds duration{0};
};

struct Done {
  Completion completion;
  ModelRef model;                      // the chain entry that answered
  Usage usage;                         // every call of the run, failed ones included
};

enum class FailReason { all_failed, deadline, all_circuits_open, budget_exhausted };
[[nodiscard]] std::string_view to_string(FailReason reason);

struct Failed {
  FailReason reason = FailReason::all_failed;
  int calls = 0;                       // model calls made
  std::string last_error;              // "openai:gpt-4.1: rate_limited (HTTP 429): ..."
  std::optional<TimePoint> retry_at;   // all_circuits_open: earliest circuit probe
  Usage usage;                         // tokens the failed calls reported, if any
};

using Step = std::variant<CallModel, Wait, Done, Failed>;

// --- what the driver reports after each call -------------------------------

struct CallReport {
  CallResult result;                               // from parse_call / offline_complete / transport
  int http_status = 0;                             // 0 when no response arrived
  std::optional<milliseconds> retry_after;         // atlas::parse_retry_after(headers)
  milliseconds latency{0};
};

// One line of metadata.attempts.
struct AttemptRecord {
  ModelRef model;
  int attempt = 0;                     // of this model; 0 for a skipped entry
  std::string outcome;                 // ok | retry_same_model | next_model | fail_permanent | skipped
  std::string reason;                  // Classification::reason, "circuit_open", or "" when ok
  std::string detail;                  // sanitized provider message, if any
  std::string action;                  // done | retry | next_model | stop (nothing left to try)
  std::string stop;                    // why retries ended: attempts_exhausted | deadline
  int http_status = 0;
  milliseconds latency{0};
  std::optional<milliseconds> wait;    // before the retry, when action == retry
  std::optional<milliseconds> retry_after;  // what the server asked for
};

[[nodiscard]] nlohmann::json to_json(const AttemptRecord& attempt);
[[nodiscard]] nlohmann::json attempts_to_json(const std::vector<AttemptRecord>& attempts);

class ChainRun {
 public:
  // `circuits` must outlive the run. `start`: when the task's deadline began.
  ChainRun(std::vector<ModelRef> chain, ChainOptions options, JitterSource jitter,
           CircuitBreakers& circuits, TimePoint start);

  // What to do now. After Done or Failed it returns the same result again.
  // Throws std::logic_error if a call is outstanding (record() it first).
  [[nodiscard]] Step next(TimePoint now);

  // The result of the call last returned by next(). Throws std::logic_error
  // if no call is outstanding.
  void record(const CallReport& report, TimePoint now);

  [[nodiscard]] const std::vector<AttemptRecord>& attempts() const { return attempts_; }
  [[nodiscard]] TimePoint deadline_at() const { return deadline_at_; }
  [[nodiscard]] int calls() const { return calls_; }
  // Tokens reported by the run's calls so far (successful and failed).
  [[nodiscard]] const Usage& usage() const { return usage_; }

 private:
  void move_to_next_model();
  void add_usage(const Usage& usage);
  Step finish(Step step);
  [[nodiscard]] std::string describe_last_error() const;

  std::vector<ModelRef> chain_;
  ChainOptions options_;
  RetryPolicy policy_;
  CircuitBreakers& circuits_;
  TimePoint start_;
  TimePoint deadline_at_;

  std::size_t index_ = 0;        // current chain entry
  int model_attempts_ = 0;       // calls made to the current entry
  std::optional<TimePoint> wait_until_;
  bool call_outstanding_ = false;
  int calls_ = 0;
  Usage usage_;
  bool usage_seen_ = false;
  std::vector<AttemptRecord> attempts_;
  std::optional<Step> result_;
};

}  // namespace atlas::worker
