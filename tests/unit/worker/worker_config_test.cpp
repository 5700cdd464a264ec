#include <doctest/doctest.h>

#include <fstream>

#include "process.hpp"

#include "atlas/worker/worker_config.hpp"

using atlas::ConfigReader;
using atlas::EnvSource;
using atlas::Redactor;
using namespace atlas::worker;
using namespace std::chrono_literals;

namespace {

struct Loaded {
  WorkerConfig config;
  std::vector<std::string> problems;
};

Loaded load(std::map<std::string, std::string> vars) {
  EnvSource env = EnvSource::from_map(std::move(vars));
  Redactor redactor;
  ConfigReader reader(env, redactor);
  Loaded out{WorkerConfig::load(reader), {}};
  try {
    reader.finish();
  } catch (const atlas::ConfigError& e) {
    out.problems = e.problems();
  }
  return out;
}

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("worker config: defaults with an OpenAI key") {
  const auto l = load({{"OPENAI_API_KEY", "sk-test-abcdefghijkl"}});
  REQUIRE(l.problems.empty());
  const WorkerConfig& c = l.config;
  CHECK_FALSE(c.offline_fallback);
  REQUIRE(c.chain.size() == 3);
  CHECK(c.chain[0] == ModelRef{Provider::openai, "gpt-4.1"});
  CHECK(c.chain[1] == ModelRef{Provider::openai, "o3"});
  CHECK(c.chain[2] == ModelRef{Provider::openai, "o1-pro"});
  CHECK(c.openai.base_url == "https://api.openai.com/v1");
  CHECK(c.anthropic.base_url == "https://api.anthropic.com");
  CHECK(c.llm_timeout == 120s);
  CHECK(c.llm_max_attempts == 3);
  CHECK(c.task_deadline == 300s);
  CHECK(c.tokens_per_run == 12000);
  CHECK(c.daily_token_budget == 250000);
  CHECK(c.rag_url == "http://127.0.0.1:8501");
  CHECK(c.rag_filter.top_k == 15);
  CHECK(c.rag_filter.relevancy_threshold == doctest::Approx(0.65));
  CHECK(c.rag_filter.collapse_by_file);
  CHECK(c.max_inflight == 64);
  CHECK(c.metrics_port == 8000);
  CHECK(c.prices.find("gpt-4.1").has_value());
  CHECK(c.retry_options().max_attempts == 3);
  CHECK(c.retry_options().deadline == 300s);
  CHECK(c.chain_options().llm_timeout == 120s);
  CHECK(c.prompt_limits(5000).tokens_per_run == 5000);
}

TEST_CASE("worker config: OPENAI_MODEL feeds the default chain") {
  const auto l = load({{"OPENAI_API_KEY", "sk-test-abcdefghijkl"}, {"OPENAI_MODEL", "gpt-4o"}});
  REQUIRE(l.problems.empty());
  CHECK(l.config.chain[0] == ModelRef{Provider::openai, "gpt-4o"});
}

TEST_CASE("worker config: no key and no LLM_CHAIN means the offline chain, recorded") {
  const auto l = load({});
  REQUIRE(l.problems.empty());
  CHECK(l.config.offline_fallback);
  REQUIRE(l.config.chain.size() == 1);
  CHECK(l.config.chain[0].provider == Provider::offline);
}

TEST_CASE("worker config: an explicit LLM_CHAIN is parsed") {
  const auto l = load({{"OPENAI_API_KEY", "sk-test-abcdefghijkl"},
                       {"ANTHROPIC_API_KEY", "sk-ant-abcdefghijkl"},
                       {"OPENAI_MODEL", "gpt-4.1-mini"},
                       {"LLM_CHAIN", " openai:${OPENAI_MODEL}, anthropic:claude-sonnet-4-20250514 ,"
                                     "openai-compatible:llama3.1:8b,offline"}});
  REQUIRE(l.problems.empty());
  const auto& chain = l.config.chain;
  REQUIRE(chain.size() == 4);
  CHECK(chain[0] == ModelRef{Provider::openai, "gpt-4.1-mini"});
  CHECK(chain[1] == ModelRef{Provider::anthropic, "claude-sonnet-4-20250514"});
  CHECK(chain[2] == ModelRef{Provider::openai_compatible, "llama3.1:8b"});
  CHECK(chain[3] == ModelRef{Provider::offline, "offline"});
  CHECK(chain[2].label() == "openai-compatible:llama3.1:8b");
  CHECK_FALSE(l.config.offline_fallback);
}

TEST_CASE("worker config: LLM_CHAIN errors name LLM_CHAIN and say what to write") {
  const auto l = load({{"OPENAI_API_KEY", "sk-test-abcdefghijkl"},
                       {"LLM_CHAIN", "azure:gpt-4,openai:,gpt-4.1"}});
  REQUIRE(l.problems.size() == 3);
  CHECK(mentions(l.problems, "LLM_CHAIN entry 'azure:gpt-4': unknown provider 'azure'"));
  CHECK(mentions(l.problems, "LLM_CHAIN entry 'openai:' has no model"));
  CHECK(mentions(l.problems, "LLM_CHAIN entry 'gpt-4.1' has no provider"));
}

TEST_CASE("worker config: a chain entry without its provider's key names the key variable") {
  const auto l = load({{"LLM_CHAIN", "anthropic:claude-sonnet-4-20250514,openai:o3,openai:o1-pro"}});
  REQUIRE(l.problems.size() == 2);  // one per provider
  CHECK(mentions(l.problems, "ANTHROPIC_API_KEY is not set"));
  CHECK(mentions(l.problems, "OPENAI_API_KEY is not set"));
  // openai-compatible and offline need no key.
  CHECK(load({{"LLM_CHAIN", "openai-compatible:qwen2.5,offline"}}).problems.empty());
}

TEST_CASE("worker config: only an Anthropic key and no LLM_CHAIN asks for LLM_CHAIN") {
  const auto l = load({{"ANTHROPIC_API_KEY", "sk-ant-abcdefghijkl"}});
  REQUIRE(l.problems.size() == 1);
  CHECK(mentions(l.problems, "set LLM_CHAIN"));
  CHECK(mentions(l.problems, "OPENAI_API_KEY"));
}

TEST_CASE("worker config: keys come from NAME_FILE too and are registered as secrets") {
  const atlas::test::TempDir dir("atlas-worker-config");
  const std::string path = dir.file("openai_key");
  std::ofstream(path) << "sk-from-file-0123456789\n";
  EnvSource env = EnvSource::from_map({{"OPENAI_API_KEY_FILE", path}});
  Redactor redactor;
  ConfigReader reader(env, redactor);
  const WorkerConfig c = WorkerConfig::load(reader);
  CHECK_NOTHROW(reader.finish());
  CHECK(c.openai.api_key == std::optional<std::string>("sk-from-file-0123456789"));
  CHECK(redactor.redact("key=sk-from-file-0123456789") == "key=[REDACTED]");
}

TEST_CASE("worker config: malformed numbers name their variable") {
  const auto l = load({{"LLM_TIMEOUT_S", "soon"},
                       {"LLM_MAX_ATTEMPTS", "0"},
                       {"TOKEN_BUDGET_PER_RUN", "12k"},
                       {"RAG_RELEVANCY_THRESHOLD", "1.5"},
                       {"RAG_COLLAPSE_BY_FILE", "maybe"},
                       {"RAG_URL", "localhost:8501"},
                       {"METRICS_PORT", "70000"},
                       {"LLM_PRICES", "gpt-4.1=two/eight"}});
  CHECK(l.problems.size() == 8);
  for (auto var : {"LLM_TIMEOUT_S", "LLM_MAX_ATTEMPTS", "TOKEN_BUDGET_PER_RUN",
                   "RAG_RELEVANCY_THRESHOLD", "RAG_COLLAPSE_BY_FILE", "RAG_URL", "METRICS_PORT",
                   "LLM_PRICES"}) {
    CAPTURE(var);
    CHECK(mentions(l.problems, var));
  }
}

TEST_CASE("worker config: overrides of the additional variables") {
  const auto l = load({{"OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:8080/v1/"},
                       {"LLM_CHAIN", "openai-compatible:qwen"},
                       {"LLM_CIRCUIT_COOLDOWN_S", "2.5"},
                       {"LLM_CIRCUIT_FAILURES", "2"},
                       {"LLM_BACKOFF_INITIAL_S", "0.01"},
                       {"RAG_CACHE_TTL_S", "30"},
                       {"OPENAI_RESPONSES_MODELS", "o1-pro,my-pro"},
                       {"LLM_PRICES", "qwen=0.1/0.2"}});
  REQUIRE(l.problems.empty());
  CHECK(l.config.openai_compatible.base_url == "http://127.0.0.1:8080/v1");
  CHECK(l.config.circuit.cooldown == 2500ms);
  CHECK(l.config.circuit.failure_threshold == 2);
  CHECK(l.config.retry_options().initial_backoff == 10ms);
  CHECK(l.config.rag_cache_ttl == 30s);
  CHECK(l.config.openai_responses_models == std::vector<std::string>{"o1-pro", "my-pro"});
  CHECK(l.config.prices.find("qwen").has_value());
}

TEST_CASE("worker config: LLM_PRICES_FILE is read, and LLM_PRICES wins over it") {
  const atlas::test::TempDir dir("atlas-worker-prices");
  const std::string path = dir.file("prices.json");
  std::ofstream(path) << R"({"qwen": {"input": 1, "output": 2}, "gpt-4.1": {"input": 9, "output": 9}})";
  const auto l = load({{"LLM_PRICES_FILE", path}, {"LLM_PRICES", "gpt-4.1=3/12"}});
  REQUIRE(l.problems.empty());
  REQUIRE(l.config.prices.find("qwen").has_value());
  CHECK(l.config.prices.find("qwen")->output_per_mtok == doctest::Approx(2.0));
  CHECK(l.config.prices.find("gpt-4.1")->input_per_mtok == doctest::Approx(3.0));
  const auto missing = load({{"LLM_PRICES_FILE", dir.file("nope.json")}});
  REQUIRE(missing.problems.size() == 1);
  CHECK(mentions(missing.problems, "LLM_PRICES_FILE="));
}
