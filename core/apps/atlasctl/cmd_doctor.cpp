// atlasctl doctor: checks what a fleet needs, from here, and says what to fix.
//
//   configuration  the shared variables and the worker's, validated by the
//                  worker's own loader (so doctor refuses what the worker would)
//   kafka, topics  brokers answer; architect_in/out/retry/dlq and docs.added exist
//   database       DATABASE_URL accepts a connection; migrations are applied
//   rag            RAG_URL answers POST /v1/query_chat
//   <provider> key one cheap authenticated call per configured key:
//                  GET {OPENAI_BASE_URL}/models, GET {ANTHROPIC_BASE_URL}/v1/models
//
// Never prints a secret: provider errors are reported by status and error
// code only (OpenAI's 401 message quotes part of the key), and every line
// goes through the redactor that knows the configured secrets.
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/http/client.hpp"
#include "atlas/kafka/admin.hpp"
#include "atlas/kafka/error.hpp"
#include "atlas/pg/migrate.hpp"
#include "atlas/pg/migration.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/worker/worker_config.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "services.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl doctor [--format table|json] [--timeout SECONDS]\n"
    "\n"
    "Checks, from this machine and with this environment (use the services' own\n"
    "environment or --env-file), everything a fleet needs, and says what to fix:\n"
    "  configuration  KAFKA_*, DATABASE_URL and the worker's variables (LLM_CHAIN, keys,\n"
    "                 budgets, RAG_*), validated exactly as atlas-worker does at start-up\n"
    "  kafka          a broker of KAFKA_BROKERS answers\n"
    "  topics         architect_in, architect_out, architect_retry, architect_dlq, docs.added\n"
    "  database       DATABASE_URL accepts a connection\n"
    "  migrations     every migration of this build is applied\n"
    "  rag            RAG_URL answers POST /v1/query_chat\n"
    "  <provider> key for each configured key, one cheap call: GET {OPENAI_BASE_URL}/models,\n"
    "                 GET {ANTHROPIC_BASE_URL}/v1/models, GET {OPENAI_COMPATIBLE_BASE_URL}/models\n"
    "Secrets are never printed.\n"
    "  --format table|json   output (default table)\n"
    "  --timeout SECONDS     per check (default 5)\n"
    "\n"
    "Exit status: 0 nothing failed (warnings allowed); 1 some check failed; 2 usage.\n";

enum class Verdict { ok, warn, fail };

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::warn: return "warn";
    case Verdict::fail: return "FAIL";
  }
  return "FAIL";
}

struct Check {
  std::string name;
  Verdict verdict = Verdict::ok;
  std::string detail;
  std::string fix;  // what to do; empty when nothing
};

// The "code" (OpenAI) or "error.type" (Anthropic) of an error body, never its
// message: OpenAI's 401 message quotes the first and last characters of the key.
std::string error_code(const std::string& body) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) return "";
  const auto error = doc.find("error");
  if (error == doc.end() || !error->is_object()) return "";
  for (const char* key : {"code", "type"}) {
    if (auto it = error->find(key); it != error->end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return "";
}

// One provider key, one GET. `variable` names the key, `url_variable` the base.
Check provider_check(http::Client& client, const std::string& name, const std::string& variable,
                     const std::string& url_variable, const std::string& url,
                     http::HeaderList headers, const std::vector<std::string>& chain_models,
                     std::chrono::milliseconds timeout) {
  Check c{name + " key", Verdict::ok, "", ""};
  http::ClientRequest request;
  request.method = "GET";
  request.url = url;
  request.headers = std::move(headers);
  request.timeout = timeout;
  const http::ClientResponse r = client.send(std::move(request)).get();
  const std::string where = "GET " + url;
  if (!r.transport_ok()) {
    c.verdict = Verdict::fail;
    c.detail = where + ": " + transport_error(r);
    c.fix = "check " + url_variable + " and that this host may reach it (proxy, firewall, "
            "the NetworkPolicy egress allowlist)";
    return c;
  }
  const std::string code = error_code(r.body);
  const std::string status = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
  if (r.status == 200) {
    c.detail = variable + " accepted (" + where + ")";
    // Which of the chain's models this key is not offered.
    const auto doc = nlohmann::json::parse(r.body, nullptr, false);
    std::set<std::string> offered;
    if (doc.is_object() && doc.contains("data") && doc["data"].is_array()) {
      for (const auto& m : doc["data"]) {
        if (m.is_object() && m.contains("id") && m["id"].is_string()) offered.insert(m["id"].get<std::string>());
      }
    }
    std::string missing;
    for (const auto& m : chain_models) {
      if (!offered.empty() && offered.count(m) == 0) missing += (missing.empty() ? "" : ", ") + m;
    }
    if (!missing.empty()) {
      c.verdict = Verdict::warn;
      c.detail += "; not listed for this key: " + missing;
      c.fix = "the chain skips to the next model when one is not found; fix LLM_CHAIN or the "
              "key's project access";
    }
    return c;
  }
  if (r.status == 401 || r.status == 403) {
    c.verdict = Verdict::fail;
    c.detail = variable + " rejected: " + status + " (" + where + ")";
    c.fix = r.status == 401
                ? variable + " is wrong, revoked or for another organisation: put a valid key in " +
                      variable + " (or " + variable + "_FILE) and restart the workers "
                      "(docs/operations.md, Rotating keys)"
                : variable + " has no access to this API or project: check the key's permissions";
    return c;
  }
  if (r.status == 429) {
    const bool quota = code == "insufficient_quota";
    c.verdict = quota ? Verdict::fail : Verdict::warn;
    c.detail = variable + " accepted but limited: " + status;
    c.fix = quota ? "billing: add credit to the account of " + variable + " or use another key"
                  : "rate limited right now; the chain retries with backoff";
    return c;
  }
  c.verdict = r.status >= 500 ? Verdict::warn : Verdict::fail;
  c.detail = where + ": " + status;
  c.fix = r.status >= 500 ? "the provider has trouble; the chain retries and falls back"
                          : "check " + url_variable + ": it should be the API's base URL";
  return c;
}

}  // namespace

int cmd_doctor(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  double timeout_s = 5;
  if (const auto stop = read_args(args, "doctor", kUsage, &format,
                                  seconds_option("--timeout", timeout_s, 0.1, 300))) {
    return *stop;
  }
  const auto timeout = to_millis(timeout_s);
  std::vector<Check> checks;

  // --- configuration: the worker's own loader, so the verdicts agree --------
  ConfigReader reader(ctx.env, ctx.redactor);
  const CommonConfig common = CommonConfig::load(reader);
  const worker::WorkerConfig worker = worker::WorkerConfig::load(reader);
  try {
    reader.finish();
    std::string chain;
    for (const auto& m : worker.chain) chain += (chain.empty() ? "" : ",") + m.label();
    checks.push_back({"configuration", Verdict::ok, "valid; LLM chain " + chain, ""});
  } catch (const ConfigError& e) {
    for (const auto& problem : e.problems()) {
      checks.push_back({"configuration", Verdict::fail, problem,
                        "correct the variable named here (docs/configuration.md)"});
    }
  }
  if (worker.offline_fallback) {
    checks.push_back({"llm chain", Verdict::warn,
                      "no LLM API key: the OFFLINE provider answers (deterministic skeleton specs, "
                      "model \"offline\")",
                      "set OPENAI_API_KEY (or ANTHROPIC_API_KEY and LLM_CHAIN) for real models"});
  }

  // --- Kafka and its topics ------------------------------------------------
  try {
    kafka::Admin admin(common.kafka, "atlasctl-doctor", ctx.log);
    const kafka::ClusterInfo cluster = admin.describe_cluster(timeout);
    checks.push_back({"kafka", Verdict::ok,
                      std::to_string(cluster.brokers.size()) + " broker(s) answered at " +
                          common.kafka.brokers,
                      ""});
    std::string present;
    for (const std::string& topic : {common.kafka.topic_in, common.kafka.topic_out,
                                     common.kafka.topic_retry, common.kafka.topic_dlq,
                                     std::string("docs.added")}) {
      const kafka::TopicInfo* info = cluster.topic(topic);
      if (info == nullptr || !info->error.empty() || info->partitions == 0) {
        const bool optional = topic == "docs.added";
        checks.push_back(
            {"topics", optional ? Verdict::warn : Verdict::fail,
             "topic " + topic + " is missing" + (info && !info->error.empty() ? ": " + info->error : ""),
             "create it (kafka-topics.sh --create --topic " + topic +
                 " --partitions 6; docker/docker-compose.min.yml's kafka-init lists them all)" +
                 (optional ? "; only atlas-rag's docs.added consumer needs it" : "")});
      } else {
        present += (present.empty() ? "" : ", ") + topic + " (" + std::to_string(info->partitions) + ")";
      }
    }
    if (!present.empty()) checks.push_back({"topics", Verdict::ok, present, ""});
  } catch (const std::exception& e) {
    checks.push_back({"kafka", Verdict::fail, e.what(),
                      "check KAFKA_BROKERS (" + common.kafka.brokers +
                          "), that the brokers are up and reachable from here, and the "
                          "KAFKA_PROPERTY_* security settings (SASL, TLS)"});
  }

  // --- PostgreSQL and the migrations ---------------------------------------
  try {
    pg::Pool pool(common.database_url,
                  {.size = 1,
                   .connect_timeout = std::chrono::duration_cast<std::chrono::seconds>(timeout) +
                                      std::chrono::seconds(1)});
    try {
      pool.ping(timeout);
      checks.push_back({"database", Verdict::ok, "connected to " + pool.display_name(), ""});
      const pg::MigrationStatus st = pg::status(pool, pg::embedded_migrations());
      if (st.up_to_date()) {
        checks.push_back({"migrations", Verdict::ok,
                          std::to_string(st.applied.size()) + " applied, none pending", ""});
      } else {
        std::string pending;
        for (const auto& p : st.pending) pending += (pending.empty() ? "" : ", ") + p;
        for (const auto& p : st.problems) pending += (pending.empty() ? "" : "; ") + p;
        checks.push_back({"migrations", Verdict::fail, "not up to date: " + pending,
                          "run atlasctl migrate (every service also applies them at start-up)"});
      }
      if (!st.unknown.empty()) {
        checks.push_back({"migrations", Verdict::warn,
                          std::to_string(st.unknown.size()) +
                              " applied migration(s) unknown to this atlasctl (a newer release?)",
                          "use the atlasctl of the deployed release"});
      }
    } catch (const std::exception& e) {
      checks.push_back({"database", Verdict::fail, pool.redact(e.what()),
                        "check DATABASE_URL (" + pool.display_name() +
                            "): host, port, user and password, ?sslmode=require when the server "
                            "wants TLS, and that the server accepts connections from here"});
    }
  } catch (const std::exception& e) {
    checks.push_back({"database", Verdict::fail, e.what(), "check DATABASE_URL's syntax"});
  }

  // --- RAG and the provider keys (HTTP) -----------------------------------
  http::ClientOptions options;
  options.connect_timeout = timeout;
  options.user_agent = "atlasctl-doctor";
  http::Client client(options);
  {
    http::ClientRequest request;
    request.method = "POST";
    request.url = worker.rag_url + "/v1/query_chat";
    request.headers = {{"content-type", "application/json"}};
    request.body = R"({"query":"atlas doctor","top_k":1})";
    request.timeout = timeout;
    const http::ClientResponse r = client.send(std::move(request)).get();
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (!r.transport_ok()) {
      checks.push_back({"rag", Verdict::fail,
                        "POST " + worker.rag_url + "/v1/query_chat: " + transport_error(r),
                        "start atlas-rag or set RAG_URL; meanwhile the workers fail open (specs "
                        "without sources)"});
    } else if (r.status == 200 && body.is_array()) {
      checks.push_back({"rag", Verdict::ok,
                        worker.rag_url + " answered /v1/query_chat (" + std::to_string(body.size()) +
                            " chunk(s) for a test query)",
                        ""});
    } else {
      std::string reason = body.is_object() && body.contains("error") ? cell(body["error"]) : "";
      checks.push_back({"rag", Verdict::fail,
                        "POST " + worker.rag_url + "/v1/query_chat: HTTP " + std::to_string(r.status) +
                            (reason.empty() ? "" : ": " + first_line(reason, 120)),
                        "curl " + worker.rag_url + "/readyz names the failing dependency "
                        "(docs/operations.md, AtlasRagErrors)"});
    }
  }
  auto chain_models = [&](worker::Provider p) {
    std::vector<std::string> models;
    for (const auto& m : worker.chain) {
      if (m.provider == p) models.push_back(m.model);
    }
    return models;
  };
  if (worker.openai.api_key) {
    checks.push_back(provider_check(client, "openai", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                                    worker.openai.base_url + "/models",
                                    {{"authorization", "Bearer " + *worker.openai.api_key}},
                                    chain_models(worker::Provider::openai), timeout));
  }
  if (worker.anthropic.api_key) {
    checks.push_back(provider_check(client, "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                                    worker.anthropic.base_url + "/v1/models",
                                    {{"x-api-key", *worker.anthropic.api_key},
                                     {"anthropic-version", "2023-06-01"}},
                                    chain_models(worker::Provider::anthropic), timeout));
  }
  if (!chain_models(worker::Provider::openai_compatible).empty()) {
    http::HeaderList headers;
    if (worker.openai_compatible.api_key) {
      headers.emplace_back("authorization", "Bearer " + *worker.openai_compatible.api_key);
    }
    checks.push_back(provider_check(client, "openai-compatible", "OPENAI_COMPATIBLE_API_KEY",
                                    "OPENAI_COMPATIBLE_BASE_URL",
                                    worker.openai_compatible.base_url + "/models", std::move(headers),
                                    chain_models(worker::Provider::openai_compatible), timeout));
  }

  // --- report ----------------------------------------------------------------
  bool failed = false;
  for (auto& c : checks) {
    c.detail = ctx.redactor.redact(c.detail);
    c.fix = ctx.redactor.redact(c.fix);
    failed = failed || c.verdict == Verdict::fail;
  }
  if (format == Format::json) {
    nlohmann::json out = {{"ok", !failed}, {"checks", nlohmann::json::array()}};
    for (const auto& c : checks) {
      out["checks"].push_back({{"check", c.name},
                               {"status", c.verdict == Verdict::fail ? "fail" : to_string(c.verdict)},
                               {"detail", c.detail},
                               {"fix", c.fix}});
    }
    print_json(out);
  } else {
    Table table({"CHECK", "STATUS", "DETAIL"});
    for (const auto& c : checks) table.add({c.name, to_string(c.verdict), c.detail});
    table.print();
    bool header = false;
    for (const auto& c : checks) {
      if (c.fix.empty()) continue;
      if (!header) std::printf("\nwhat to do:\n");
      header = true;
      std::printf("  - %s: %s\n", c.name.c_str(), c.fix.c_str());
    }
    std::printf("\n%s\n", failed ? "doctor: some checks FAILED" : "doctor: nothing failed");
  }
  return failed ? kExitError : kExitOk;
}

}  // namespace atlas::ctl
