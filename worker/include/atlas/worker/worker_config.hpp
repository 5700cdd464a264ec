#pragma once
// atlas-worker configuration (DESIGN section 8), read through ConfigReader so
// every problem names its variable and secrets are registered for redaction.
// Shared settings (Kafka, DATABASE_URL, logging) are CommonConfig's.
//
// Variables beyond DESIGN's table (all optional, with defaults):
//   OPENAI_COMPATIBLE_BASE_URL (http://127.0.0.1:11434/v1), OPENAI_COMPATIBLE_API_KEY
//   OPENAI_RESPONSES_MODELS    models served only by /responses (o1-pro,o3-pro,...)
//   LLM_MAX_OUTPUT_TOKENS (4096), LLM_TEMPERATURE (0.2, non-reasoning models only)
//   LLM_BACKOFF_INITIAL_S (0.5), LLM_BACKOFF_MAX_S (30), LLM_RETRY_AFTER_MAX_S (60)
//   LLM_CIRCUIT_FAILURES (5), LLM_CIRCUIT_COOLDOWN_S (60)
//   LLM_PRICES / LLM_PRICES_FILE (price overrides, see prices.hpp)
//   RAG_TIMEOUT_S (10), RAG_CACHE_SIZE (1024 queries), RAG_CACHE_TTL_S (86400)
//   WORKER_SHUTDOWN_GRACE_S (30), WORKER_ID (default: main uses hostname-pid-random)
//   METRICS_HOST (0.0.0.0)         address of the /metrics, /healthz, /readyz server
//   WORKER_LEASE_S (30)            how long a claimed task stays leased without renewal
//   WORKER_DB_CONNECTIONS (8)      PostgreSQL connections (and database threads)
//   WORKER_MAX_RETRY_HANDOFFS (10) times a request may wait in architect_retry
//                                  for an open circuit before it fails for good
//
// The chain: LLM_CHAIN when set (a "${OPENAI_MODEL}" in it is replaced), else
// openai:${OPENAI_MODEL},openai:o3,openai:o1-pro when OPENAI_API_KEY is set,
// else `offline` with offline_fallback = true (main announces it loudly).
// Every chain entry needs its provider's key (OPENAI_API_KEY,
// ANTHROPIC_API_KEY); openai-compatible works without one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/retry_policy.hpp"
#include "atlas/worker/chain.hpp"
#include "atlas/worker/circuit_breaker.hpp"
#include "atlas/worker/model_ref.hpp"
#include "atlas/worker/prices.hpp"
#include "atlas/worker/prompt.hpp"
#include "atlas/worker/provider.hpp"
#include "atlas/worker/rag_client_logic.hpp"

namespace atlas::worker {

struct WorkerConfig {
  // Providers.
  ProviderEndpoint openai{"https://api.openai.com/v1", std::nullopt};
  ProviderEndpoint anthropic{"https://api.anthropic.com", std::nullopt};
  ProviderEndpoint openai_compatible{"http://127.0.0.1:11434/v1", std::nullopt};
  std::string openai_model = "gpt-4.1";
  std::vector<std::string> openai_responses_models = default_responses_only_models();

  // The chain.
  std::vector<ModelRef> chain;
  bool offline_fallback = false;  // no key and no LLM_CHAIN: the chain is `offline`
  milliseconds llm_timeout{120'000};
  int llm_max_attempts = 3;
  milliseconds task_deadline{300'000};
  milliseconds backoff_initial{500};
  milliseconds backoff_max{30'000};
  milliseconds retry_after_max{60'000};
  CircuitOptions circuit;
  std::int64_t max_output_tokens = 4096;
  double temperature = 0.2;

  // Budget.
  std::int64_t tokens_per_run = 12000;
  std::int64_t daily_token_budget = 250000;
  PriceTable prices = PriceTable::defaults();

  // RAG.
  std::string rag_url = "http://127.0.0.1:8501";
  RagFilter rag_filter;
  milliseconds rag_timeout{10'000};
  std::size_t rag_cache_size = 1024;
  milliseconds rag_cache_ttl{86'400'000};

  // Process.
  int max_inflight = 64;
  int metrics_port = 8000;
  std::string metrics_host = "0.0.0.0";  // METRICS_HOST: the address /metrics binds to
  milliseconds shutdown_grace{30'000};
  std::string worker_id;  // empty: main derives hostname-pid-random
  milliseconds lease{30'000};
  int db_connections = 8;
  int max_retry_handoffs = 10;

  // Reads and validates every worker variable; problems are recorded on
  // `reader` (call reader.finish() after loading everything).
  static WorkerConfig load(ConfigReader& reader);

  [[nodiscard]] const ProviderEndpoint& endpoint(Provider provider) const;
  [[nodiscard]] RetryOptions retry_options() const;
  [[nodiscard]] ChainOptions chain_options() const;
  // Per-run limits; `tokens_per_run` is the current value (set_budget may
  // have changed it since start-up).
  [[nodiscard]] PromptLimits prompt_limits(std::int64_t current_tokens_per_run) const;
};

}  // namespace atlas::worker
