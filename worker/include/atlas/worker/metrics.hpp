#pragma once
// Every series atlas-worker exports, declared in one place; docs/metrics.md
// is the reference (names, labels, meaning). Label values are bounded: the
// models and providers of LLM_CHAIN, and the fixed outcome names below.
#include <cstdint>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "atlas/worker/model_ref.hpp"
#include "atlas/worker/usage.hpp"

namespace atlas::worker {

class WorkerMetrics {
 public:
  explicit WorkerMetrics(prometheus::Registry& registry);

  // atlas_tokens_total{model,kind=input|output} and the reasoning/cached subsets.
  void tokens(const std::string& model, const Usage& usage);
  // atlas_run_seconds{status}
  void run_seconds(const std::string& status, double seconds);
  // atlas_tasks_total{outcome}
  void task(const std::string& outcome);
  // atlas_llm_attempts_total{provider,model,outcome} and atlas_llm_attempt_seconds.
  void llm_attempt(const ModelRef& model, const std::string& outcome, double seconds);
  void fallback(const ModelRef& from);
  void circuit_open(Provider provider, bool open);
  void cost(const std::string& model, double usd);
  void rag_request(bool ok);
  void rag_fallback(bool from_cache);
  void control(const std::string& command);
  void dead_letter(const std::string& error_class);
  void escalation();

  prometheus::Gauge& daily_budget;
  prometheus::Gauge& daily_used;
  prometheus::Gauge& daily_reserved;
  prometheus::Gauge& budget_per_run;
  prometheus::Gauge& inflight;
  prometheus::Gauge& max_inflight;
  prometheus::Gauge& rag_cache_entries;
  prometheus::Gauge& consumer_lag;

 private:
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Counter>& reasoning_tokens_;
  prometheus::Family<prometheus::Counter>& cached_tokens_;
  prometheus::Family<prometheus::Histogram>& run_seconds_;
  prometheus::Family<prometheus::Counter>& tasks_;
  prometheus::Family<prometheus::Counter>& llm_attempts_;
  prometheus::Family<prometheus::Histogram>& llm_attempt_seconds_;
  prometheus::Family<prometheus::Counter>& fallbacks_;
  prometheus::Family<prometheus::Gauge>& circuit_open_;
  prometheus::Family<prometheus::Counter>& cost_;
  prometheus::Family<prometheus::Counter>& rag_requests_;
  prometheus::Family<prometheus::Counter>& rag_fallbacks_;
  prometheus::Family<prometheus::Counter>& control_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Counter>& escalations_;
};

}  // namespace atlas::worker
