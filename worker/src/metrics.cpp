#include "atlas/worker/metrics.hpp"

namespace atlas::worker {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries kRunBuckets{0.25, 0.5, 1,  2,  3,   5,   7.5,
                                                          10,   15,  20, 30, 60, 120, 300, 600};
const prometheus::Histogram::BucketBoundaries kCallBuckets{0.1, 0.25, 0.5, 1,  2,  3,  5,
                                                           7.5, 10,   20,  30, 60, 120};

}  // namespace

WorkerMetrics::WorkerMetrics(prometheus::Registry& r)
    : daily_budget(BuildGauge()
                       .Name("atlas_daily_token_budget")
                       .Help("DAILY_TOKEN_BUDGET: tokens the whole fleet may settle per UTC day")
                       .Register(r)
                       .Add({})),
      daily_used(BuildGauge()
                     .Name("atlas_daily_tokens_used")
                     .Help("Tokens the whole fleet settled today (UTC), from the PostgreSQL ledger")
                     .Register(r)
                     .Add({})),
      daily_reserved(BuildGauge()
                         .Name("atlas_daily_tokens_reserved")
                         .Help("Tokens reserved today by runs still in progress (fleet-wide)")
                         .Register(r)
                         .Add({})),
      budget_per_run(BuildGauge()
                         .Name("atlas_token_budget_per_run")
                         .Help("Current per-run token budget (TOKEN_BUDGET_PER_RUN or set_budget)")
                         .Register(r)
                         .Add({})),
      inflight(BuildGauge()
                   .Name("atlas_tasks_inflight")
                   .Help("Requests this process is working on now")
                   .Register(r)
                   .Add({})),
      max_inflight(BuildGauge()
                       .Name("atlas_worker_max_inflight")
                       .Help("WORKER_MAX_INFLIGHT: the most requests this process takes at once")
                       .Register(r)
                       .Add({})),
      rag_cache_entries(BuildGauge()
                            .Name("atlas_worker_rag_cache_entries")
                            .Help("Queries held in the worker's RAG fail-open cache")
                            .Register(r)
                            .Add({})),
      consumer_lag(BuildGauge()
                       .Name("atlas_consumer_lag_messages")
                       .Help("Messages behind the high watermark on the partitions assigned to "
                             "this process; -1 while unknown")
                       .Register(r)
                       .Add({{"component", "worker"}, {"group", "atlas-worker"}})),
      tokens_(BuildCounter()
                  .Name("atlas_tokens_total")
                  .Help("Tokens charged to the budget as providers reported them, by model and kind")
                  .Register(r)),
      reasoning_tokens_(BuildCounter()
                            .Name("atlas_reasoning_tokens_total")
                            .Help("Reasoning tokens (a subset of output tokens)")
                            .Register(r)),
      cached_tokens_(BuildCounter()
                         .Name("atlas_cached_input_tokens_total")
                         .Help("Cached prompt tokens (a subset of input tokens)")
                         .Register(r)),
      run_seconds_(BuildHistogram()
                       .Name("atlas_run_seconds")
                       .Help("Time from taking a chat request to publishing its reply")
                       .Register(r)),
      tasks_(BuildCounter()
                 .Name("atlas_tasks_total")
                 .Help("Requests finished by this process, by outcome")
                 .Register(r)),
      llm_attempts_(BuildCounter()
                        .Name("atlas_llm_attempts_total")
                        .Help("LLM calls by what the chain did after them")
                        .Register(r)),
      llm_attempt_seconds_(BuildHistogram()
                               .Name("atlas_llm_attempt_seconds")
                               .Help("Duration of one LLM call")
                               .Register(r)),
      fallbacks_(BuildCounter()
                     .Name("atlas_llm_fallbacks_total")
                     .Help("Times the chain left a model for the next one")
                     .Register(r)),
      circuit_open_(BuildGauge()
                        .Name("atlas_llm_circuit_open")
                        .Help("1 while the provider's circuit is open, else 0")
                        .Register(r)),
      cost_(BuildCounter()
                .Name("atlas_llm_cost_usd_total")
                .Help("Estimated spend in US dollars (usage x LLM_PRICES)")
                .Register(r)),
      rag_requests_(BuildCounter()
                        .Name("atlas_worker_rag_requests_total")
                        .Help("Calls to RAG_URL /v1/query_chat by outcome")
                        .Register(r)),
      rag_fallbacks_(BuildCounter()
                         .Name("atlas_worker_rag_fallback_total")
                         .Help("RAG failures answered from the cache or with no context")
                         .Register(r)),
      control_(BuildCounter()
                   .Name("atlas_control_commands_total")
                   .Help("Control messages handled, by command")
                   .Register(r)),
      dead_letters_(BuildCounter()
                        .Name("atlas_dead_letters_total")
                        .Help("Messages this process published to architect_dlq, by error class")
                        .Register(r)),
      escalations_(BuildCounter()
                       .Name("atlas_escalations_total")
                       .Help("escalate controls this process published")
                       .Register(r)) {
  for (Provider p : {Provider::openai, Provider::anthropic, Provider::openai_compatible}) {
    circuit_open(p, false);
  }
  for (const char* outcome : {"done", "error", "budget_exceeded", "replayed", "handed_to_retry",
                              "invalid"}) {
    tasks_.Add({{"outcome", outcome}});
  }
  rag_requests_.Add({{"outcome", "ok"}});
  rag_requests_.Add({{"outcome", "error"}});
  escalations_.Add({{"component", "worker"}});
}

void WorkerMetrics::tokens(const std::string& model, const Usage& usage) {
  tokens_.Add({{"model", model}, {"kind", "input"}}).Increment(static_cast<double>(usage.prompt_tokens));
  tokens_.Add({{"model", model}, {"kind", "output"}})
      .Increment(static_cast<double>(usage.completion_tokens));
  if (usage.reasoning_tokens > 0) {
    reasoning_tokens_.Add({{"model", model}}).Increment(static_cast<double>(usage.reasoning_tokens));
  }
  if (usage.cached_tokens > 0) {
    cached_tokens_.Add({{"model", model}}).Increment(static_cast<double>(usage.cached_tokens));
  }
}

void WorkerMetrics::run_seconds(const std::string& status, double seconds) {
  run_seconds_.Add({{"status", status}}, kRunBuckets).Observe(seconds);
}

void WorkerMetrics::task(const std::string& outcome) { tasks_.Add({{"outcome", outcome}}).Increment(); }

void WorkerMetrics::llm_attempt(const ModelRef& model, const std::string& outcome, double seconds) {
  const std::string provider(to_string(model.provider));
  llm_attempts_.Add({{"provider", provider}, {"model", model.model}, {"outcome", outcome}}).Increment();
  llm_attempt_seconds_.Add({{"provider", provider}, {"model", model.model}}, kCallBuckets)
      .Observe(seconds);
}

void WorkerMetrics::fallback(const ModelRef& from) {
  fallbacks_.Add({{"from_model", from.model}}).Increment();
}

void WorkerMetrics::circuit_open(Provider provider, bool open) {
  circuit_open_.Add({{"provider", std::string(to_string(provider))}}).Set(open ? 1.0 : 0.0);
}

void WorkerMetrics::cost(const std::string& model, double usd) {
  cost_.Add({{"model", model}}).Increment(usd);
}

void WorkerMetrics::rag_request(bool ok) {
  rag_requests_.Add({{"outcome", ok ? "ok" : "error"}}).Increment();
}

void WorkerMetrics::rag_fallback(bool from_cache) {
  rag_fallbacks_.Add({{"source", from_cache ? "cache" : "none"}}).Increment();
}

void WorkerMetrics::control(const std::string& command) {
  control_.Add({{"command", command}}).Increment();
}

void WorkerMetrics::dead_letter(const std::string& error_class) {
  dead_letters_.Add({{"component", "worker"}, {"error_class", error_class}}).Increment();
}

void WorkerMetrics::escalation() { escalations_.Add({{"component", "worker"}}).Increment(); }

}  // namespace atlas::worker
