#include "atlas/worker/worker_config.hpp"

#include <fstream>
#include <set>
#include <sstream>

namespace atlas::worker {
namespace {

constexpr std::string_view kDefaultChain = "openai:${OPENAI_MODEL},openai:o3,openai:o1-pro";

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string key_variable(Provider provider) {
  switch (provider) {
    case Provider::openai: return "OPENAI_API_KEY";
    case Provider::anthropic: return "ANTHROPIC_API_KEY";
    case Provider::openai_compatible: return "OPENAI_COMPATIBLE_API_KEY";
    case Provider::offline: break;
  }
  return {};
}

void load_chain(ConfigReader& r, WorkerConfig& c) {
  const std::string explicit_chain = r.string("LLM_CHAIN", "");
  const bool has_openai = c.openai.api_key.has_value();
  const bool has_anthropic = c.anthropic.api_key.has_value();
  if (explicit_chain.find_first_not_of(" \t,") == std::string::npos) {
    if (!has_openai && !has_anthropic) {
      c.chain = {ModelRef{Provider::offline, "offline"}};
      c.offline_fallback = true;
      return;
    }
    if (!has_openai) {
      r.problem(
          "LLM_CHAIN is not set and its default (openai:${OPENAI_MODEL},openai:o3,openai:o1-pro) "
          "needs OPENAI_API_KEY, which is not set: set OPENAI_API_KEY, or set LLM_CHAIN, e.g. "
          "LLM_CHAIN=anthropic:claude-sonnet-4-20250514");
      return;
    }
  }
  const std::string text = replace_all(
      explicit_chain.empty() ? std::string(kDefaultChain) : explicit_chain, "${OPENAI_MODEL}",
      c.openai_model);
  std::vector<std::string> entries;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) entries.push_back(item);
  ChainParse parsed = parse_llm_chain(entries);
  for (auto& p : parsed.problems) r.problem(std::move(p));
  std::set<Provider> reported;
  for (const auto& model : parsed.chain) {
    const bool needs_key = model.provider == Provider::openai || model.provider == Provider::anthropic;
    if (!needs_key || c.endpoint(model.provider).api_key || reported.count(model.provider) > 0) {
      continue;
    }
    reported.insert(model.provider);
    const std::string var = key_variable(model.provider);
    r.problem("LLM_CHAIN uses " + model.label() + " but " + var + " is not set: set " + var +
              " (or " + var + "_FILE), or remove the " + std::string(to_string(model.provider)) +
              " entries from LLM_CHAIN");
  }
  c.chain = std::move(parsed.chain);
}

void load_prices(ConfigReader& r, WorkerConfig& c) {
  const std::string inline_prices = r.string("LLM_PRICES", "");
  const std::string file = r.string("LLM_PRICES_FILE", "");
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      r.problem("LLM_PRICES_FILE=" + file + ": the file cannot be read");
    } else {
      std::ostringstream buf;
      buf << in.rdbuf();
      for (auto& p : c.prices.apply_overrides(buf.str(), "LLM_PRICES_FILE")) r.problem(std::move(p));
    }
  }
  // Inline prices win over the file.
  for (auto& p : c.prices.apply_overrides(inline_prices, "LLM_PRICES")) r.problem(std::move(p));
}

}  // namespace

WorkerConfig WorkerConfig::load(ConfigReader& r) {
  WorkerConfig c;
  c.openai.api_key = r.secret("OPENAI_API_KEY");
  c.openai.base_url = r.url("OPENAI_BASE_URL", c.openai.base_url);
  c.openai_model = r.string("OPENAI_MODEL", c.openai_model);
  if (c.openai_model.find_first_of(" \t,") != std::string::npos) {
    r.problem("OPENAI_MODEL='" + c.openai_model + "' is not a model name: use e.g. gpt-4.1");
  }
  c.anthropic.api_key = r.secret("ANTHROPIC_API_KEY");
  c.anthropic.base_url = r.url("ANTHROPIC_BASE_URL", c.anthropic.base_url);
  c.openai_compatible.api_key = r.secret("OPENAI_COMPATIBLE_API_KEY");
  c.openai_compatible.base_url =
      r.url("OPENAI_COMPATIBLE_BASE_URL", c.openai_compatible.base_url);
  c.openai_responses_models =
      r.list("OPENAI_RESPONSES_MODELS", join(default_responses_only_models()));

  load_chain(r, c);
  c.llm_timeout = r.seconds("LLM_TIMEOUT_S", 120, 1, 3600);
  c.llm_max_attempts = static_cast<int>(r.integer("LLM_MAX_ATTEMPTS", 3, 1, 20));
  c.task_deadline = r.seconds("TASK_DEADLINE_S", 300, 1, 86400);
  c.backoff_initial = r.seconds("LLM_BACKOFF_INITIAL_S", 0.5, 0, 600);
  c.backoff_max = r.seconds("LLM_BACKOFF_MAX_S", 30, 0, 3600);
  c.retry_after_max = r.seconds("LLM_RETRY_AFTER_MAX_S", 60, 0, 3600);
  c.circuit.failure_threshold = static_cast<int>(r.integer("LLM_CIRCUIT_FAILURES", 5, 1, 1000));
  c.circuit.cooldown = r.seconds("LLM_CIRCUIT_COOLDOWN_S", 60, 0, 86400);
  c.max_output_tokens = r.integer("LLM_MAX_OUTPUT_TOKENS", 4096, 1, 1'000'000);
  c.temperature = r.number("LLM_TEMPERATURE", 0.2, 0, 2);

  c.tokens_per_run = r.integer("TOKEN_BUDGET_PER_RUN", 12000, 1000, 100'000'000);
  c.daily_token_budget = r.integer("DAILY_TOKEN_BUDGET", 250000, 0, 1'000'000'000'000);
  load_prices(r, c);

  c.rag_url = r.url("RAG_URL", c.rag_url);
  c.rag_filter.top_k = static_cast<int>(r.integer("RAG_TOP_K", 15, 1, 1000));
  c.rag_filter.relevancy_threshold = r.number("RAG_RELEVANCY_THRESHOLD", 0.65, 0, 1);
  c.rag_filter.collapse_by_file = r.boolean("RAG_COLLAPSE_BY_FILE", true);
  c.rag_timeout = r.seconds("RAG_TIMEOUT_S", 10, 0.1, 600);
  c.rag_cache_size = static_cast<std::size_t>(r.integer("RAG_CACHE_SIZE", 1024, 1, 1'000'000));
  c.rag_cache_ttl = r.seconds("RAG_CACHE_TTL_S", 86400, 1, 30 * 86400);

  c.max_inflight = static_cast<int>(r.integer("WORKER_MAX_INFLIGHT", 64, 1, 100'000));
  c.metrics_port = static_cast<int>(r.integer("METRICS_PORT", 8000, 0, 65535));
  c.metrics_host = r.string("METRICS_HOST", c.metrics_host);
  c.shutdown_grace = r.seconds("WORKER_SHUTDOWN_GRACE_S", 30, 0, 3600);
  c.worker_id = r.string("WORKER_ID", "");
  c.lease = r.seconds("WORKER_LEASE_S", 30, 2, 3600);
  c.db_connections = static_cast<int>(r.integer("WORKER_DB_CONNECTIONS", 8, 1, 256));
  c.max_retry_handoffs = static_cast<int>(r.integer("WORKER_MAX_RETRY_HANDOFFS", 10, 0, 1000));
  return c;
}

const ProviderEndpoint& WorkerConfig::endpoint(Provider provider) const {
  switch (provider) {
    case Provider::anthropic: return anthropic;
    case Provider::openai_compatible: return openai_compatible;
    case Provider::openai:
    case Provider::offline: break;
  }
  return openai;
}

RetryOptions WorkerConfig::retry_options() const {
  RetryOptions o;
  o.max_attempts = llm_max_attempts;
  o.deadline = task_deadline;
  o.initial_backoff = backoff_initial;
  o.multiplier = 2.0;
  o.max_backoff = backoff_max;
  o.max_retry_after = retry_after_max;
  return o;
}

ChainOptions WorkerConfig::chain_options() const {
  ChainOptions o;
  o.llm_timeout = llm_timeout;
  o.deadline = task_deadline;
  o.retry = retry_options();
  return o;
}

PromptLimits WorkerConfig::prompt_limits(std::int64_t current_tokens_per_run) const {
  PromptLimits l;
  l.tokens_per_run = current_tokens_per_run;
  l.max_output_tokens = max_output_tokens;
  return l;
}

}  // namespace atlas::worker
