// The built atlas-worker driven from outside, one replica: atlas-devbus, a
// real PostgreSQL, and atlas-fake standing in for OpenAI (both endpoints),
// Anthropic and the RAG service (issue 3, "What it must show").
#include <doctest/doctest.h>

#include <librdkafka/rdkafka.h>

#include <csignal>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "atlas/envelope.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/uuid.hpp"
#include "devbus_fixture.hpp"
#include "fake_upstream.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"
#include "worker_harness.hpp"
#include "worker_stack.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using atlas::test::TopicCollector;
using atlas::test::WorkerProcess;
using atlas::test::Stack;

namespace {

// Commits offset 0 on every partition of architect_in for the group
// atlas-worker (what `kafka-consumer-groups --reset-offsets --to-earliest`
// does): joins the group while no worker is in it, then commits.
void reset_worker_offsets(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", bootstrap},
           {"group.id", "atlas-worker"},
           {"enable.auto.commit", "false"},
           {"session.timeout.ms", "6000"}}) {
    REQUIRE(rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) ==
            RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  REQUIRE_MESSAGE(rk != nullptr, error);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "architect_in", RD_KAFKA_PARTITION_UA);
  REQUIRE(rd_kafka_subscribe(rk, topics) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  const bool assigned = atlas::test::wait_until(
      [&] {
        if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100)) rd_kafka_message_destroy(m);
        rd_kafka_topic_partition_list_t* current = nullptr;
        if (rd_kafka_assignment(rk, &current) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
        const bool all = current->cnt == 6;
        rd_kafka_topic_partition_list_destroy(current);
        return all;
      },
      30s, 10ms);
  REQUIRE(assigned);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(6);
  for (int p = 0; p < 6; ++p) {
    rd_kafka_topic_partition_list_add(offsets, "architect_in", p)->offset = 0;
  }
  const rd_kafka_resp_err_t err = rd_kafka_commit(rk, offsets, 0);
  CHECK_MESSAGE(err == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(err));
  rd_kafka_topic_partition_list_destroy(offsets);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

// The attempts of a reply's metadata as "model:outcome" strings.
std::vector<std::string> attempt_summary(const json& reply) {
  std::vector<std::string> summary;
  for (const json& a : reply["metadata"]["attempts"]) {
    summary.push_back(a.value("model", "") + ":" + a.value("outcome", ""));
  }
  return summary;
}

// Milliseconds between the fake's n-th and m-th recorded call of `path`.
std::int64_t gap_ms(const json& calls, std::size_t n, std::size_t m) {
  return calls[m]["at_ms"].get<std::int64_t>() - calls[n]["at_ms"].get<std::int64_t>();
}

}  // namespace

TEST_CASE("worker: a chat from publish_task.sh gets one spec reply and rows in both channel tables; "
          "a redelivery re-publishes it without calling a model") {
  Stack stack;
  stack.start_worker("w1");
  // publish_task.sh is what a person runs (it calls atlasctl publish).
  atlas::test::TempDir dir("e2e-publish");
  atlas::test::ChildProcess publish(
      "/bin/bash",
      {atlas::test::source_dir() + "/scripts/publish_task.sh", "Design a minimal CI pipeline"},
      {{"KAFKA_BROKERS", stack.bus.bootstrap()},
       {"ATLASCTL", atlas::test::binary("atlasctl")},
       {"LOG_LEVEL", "warn"}},
      dir.path());
  const auto status = publish.wait_for_exit(30s);
  REQUIRE(status.has_value());
  REQUIRE_MESSAGE(status->ok(), publish.stderr_text());
  std::string id = publish.stdout_text();
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
  REQUIRE(atlas::is_uuid(id));

  const std::vector<json> replies = stack.await_replies(id);
  std::this_thread::sleep_for(1s);  // a second reply would have arrived by now
  REQUIRE(stack.out.replies_to(id).size() == 1);
  const json& reply = replies.front();
  const std::string reply_id = reply["task_id"];
  CHECK(reply_id == atlas::reply_task_id(*atlas::Uuid::parse(id)).to_string());
  CHECK(reply["msg_type"] == "spec");
  CHECK(reply["metadata"]["parent_id"] == id);
  CHECK(reply["metadata"]["status"] == "done");
  CHECK(reply["metadata"]["model"] == "gpt-4.1");
  CHECK(reply["content"].get<std::string>().find("# Architecture spec") != std::string::npos);
  const json& usage = reply["metadata"]["usage"];
  CHECK(usage["prompt_tokens"].get<int>() > 0);
  CHECK(reply["metadata"]["tokens"] == usage["total_tokens"]);
  CHECK(reply["metadata"]["tokens"] == stack.fake.stats()["tokens"]["total"]);
  CHECK(reply["metadata"]["cost_usd"].is_number());
  CHECK(attempt_summary(reply) == std::vector<std::string>{"openai:gpt-4.1:ok"});
  CHECK(reply["metadata"]["rag"]["status"] == "ok");
  CHECK(reply["metadata"]["rag"]["sources"].size() >= 1);
  CHECK(reply["metadata"]["timings"]["total_ms"].is_number());
  CHECK(atlas::parse_envelope(reply.dump()).ok());

  CHECK(stack.sql("SELECT count(*) FROM architect_in WHERE task_id = '" + id + "'") == "1");
  CHECK(stack.sql("SELECT count(*) FROM architect_out WHERE task_id = '" + reply_id + "'") == "1");
  CHECK(stack.sql("SELECT data->>'msg_type' FROM architect_out WHERE task_id = '" + reply_id + "'") ==
        "spec");
  CHECK(stack.sql("SELECT relayed_at IS NOT NULL FROM architect_in WHERE task_id = '" + id + "'") ==
        "t");
  CHECK(stack.sql("SELECT state || ' ' || tokens FROM atlas_tasks WHERE task_id = '" + id + "'") ==
        "done " + reply["metadata"]["tokens"].dump());
  const int calls_before = stack.fake.count("/v1/chat/completions");
  CHECK(calls_before == 1);

  // Redelivery: stop the worker, reset the group's offsets to the start,
  // start a new worker. It reads the request again and answers from the ledger.
  CHECK(stack.workers.front()->terminate().ok());
  reset_worker_offsets(stack.bus.bootstrap());
  WorkerProcess& again = stack.start_worker("w2");
  const std::vector<json> both = stack.await_replies(id, 2);
  std::set<std::string> ids;
  for (const json& r : both) ids.insert(r["task_id"]);
  CHECK(ids == std::set<std::string>{reply_id});
  CHECK(both.back()["content"] == reply["content"]);
  CHECK(stack.fake.count("/v1/chat/completions") == calls_before);
  CHECK(stack.sql("SELECT count(*) FROM architect_out WHERE task_id = '" + reply_id + "'") == "1");
  CHECK(again.metric("atlas_tasks_total{outcome=\"replayed\"}") == 1.0);
  CHECK(again.terminate().ok());
}

TEST_CASE("worker: the LLM chain retries, honours retry-after every time, and falls back as "
          "DESIGN section 6 says") {
  Stack stack;
  stack.start_worker("w1");

  SUBCASE("500, 429 retry-after 1, 500 on gpt-4.1: three attempts, then o3 answers") {
    stack.fake.script(json::array(
        {{{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_500"}},
         {{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_429_rate_limit"},
          {"headers", {{"retry-after", "1"}}}},
         {{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_500"}}}));
    const std::string id = stack.publish_chat("Design a minimal CI pipeline");
    const json reply = stack.await_replies(id).front();
    CHECK(reply["metadata"]["status"] == "done");
    CHECK(reply["metadata"]["model"] == "o3");
    CHECK(attempt_summary(reply) ==
          std::vector<std::string>{"openai:gpt-4.1:retry_same_model", "openai:gpt-4.1:retry_same_model",
                                   "openai:gpt-4.1:retry_same_model", "openai:o3:ok"});
    const json calls = stack.fake.calls("/v1/chat/completions");
    REQUIRE(calls.size() == 4);
    CHECK(gap_ms(calls, 1, 2) >= 1000);  // the 429's retry-after
    // o3 is a reasoning model: max_completion_tokens, developer role, no temperature.
    const json& o3 = calls[3]["body"];
    CHECK(o3["model"] == "o3");
    CHECK(o3.contains("max_completion_tokens"));
    CHECK_FALSE(o3.contains("max_tokens"));
    CHECK_FALSE(o3.contains("temperature"));
    CHECK(o3["messages"][0]["role"] == "developer");
  }

  SUBCASE("retry-after is honoured on every attempt, not only the first") {
    stack.fake.script(json::array(
        {{{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_429_rate_limit"},
          {"headers", {{"retry-after", "1"}}}},
         {{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"}, {"preset", "openai_429_rate_limit"},
          {"headers", {{"retry-after", "1"}}}}}));
    const std::string id = stack.publish_chat("Design a minimal CI pipeline");
    const json reply = stack.await_replies(id).front();
    CHECK(reply["metadata"]["model"] == "gpt-4.1");
    const json calls = stack.fake.calls("/v1/chat/completions");
    REQUIRE(calls.size() == 3);
    CHECK(gap_ms(calls, 0, 1) >= 1000);
    CHECK(gap_ms(calls, 1, 2) >= 1000);
    CHECK(reply["metadata"]["attempts"][1]["retry_after_ms"] == 1000);
  }

  SUBCASE("context_length_exceeded and model_not_found move on; o1-pro answers on /v1/responses") {
    stack.fake.script(json::array(
        {{{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"},
          {"preset", "openai_context_length_exceeded"}},
         {{"path", "/v1/chat/completions"}, {"model", "o3"}, {"preset", "openai_model_not_found"}}}));
    const std::string id = stack.publish_chat("Design a minimal CI pipeline");
    const json reply = stack.await_replies(id).front();
    CHECK(reply["metadata"]["status"] == "done");
    CHECK(reply["metadata"]["model"] == "o1-pro");
    CHECK(attempt_summary(reply) == std::vector<std::string>{"openai:gpt-4.1:next_model",
                                                             "openai:o3:next_model",
                                                             "openai:o1-pro:ok"});
    CHECK(stack.fake.count("/v1/chat/completions", "gpt-4.1") == 1);
    CHECK(stack.fake.count("/v1/chat/completions", "o1-pro") == 0);
    const json calls = stack.fake.calls("/v1/responses");
    REQUIRE(calls.size() == 1);
    const json& body = calls[0]["body"];
    CHECK(body["model"] == "o1-pro");
    CHECK(body["max_output_tokens"].is_number());
    CHECK_FALSE(body.contains("temperature"));
    CHECK_FALSE(body.contains("max_tokens"));
    CHECK(reply["metadata"]["usage"]["reasoning_tokens"].get<int>() > 0);
  }
}

TEST_CASE("worker: a 429 insufficient_quota is not retried; the chain moves to Anthropic") {
  Stack stack(std::map<std::string, std::string>{
      {"LLM_CHAIN", "openai:gpt-4.1,anthropic:claude-sonnet-4-5"}});
  stack.start_worker("w1");
  stack.fake.script({{"path", "/v1/chat/completions"}, {"model", "gpt-4.1"},
                     {"preset", "openai_429_insufficient_quota"}});
  const std::string id = stack.publish_chat("Design a minimal CI pipeline");
  const json reply = stack.await_replies(id).front();
  CHECK(reply["metadata"]["status"] == "done");
  CHECK(reply["metadata"]["model"] == "claude-sonnet-4-5");
  CHECK(attempt_summary(reply) == std::vector<std::string>{"openai:gpt-4.1:fail_permanent",
                                                           "anthropic:claude-sonnet-4-5:ok"});
  CHECK(stack.fake.count("/v1/chat/completions") == 1);
  const json calls = stack.fake.calls("/v1/messages");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["body"]["max_tokens"].is_number());
  CHECK(calls[0]["body"]["system"].is_string());
  // The circuit is open now: the next task skips OpenAI without calling it.
  const std::string next = stack.publish_chat("Design a small deployment pipeline");
  const json second = stack.await_replies(next).front();
  CHECK(attempt_summary(second) == std::vector<std::string>{"openai:gpt-4.1:skipped",
                                                            "anthropic:claude-sonnet-4-5:ok"});
  CHECK(stack.fake.count("/v1/chat/completions") == 1);
  CHECK(stack.workers.front()->metric("atlas_llm_circuit_open{provider=\"openai\"}") == 1.0);
}

TEST_CASE("worker: every model failing for good gives an error reply, an escalation and a dead "
          "letter with the attempts") {
  Stack stack(std::map<std::string, std::string>{
      {"LLM_CHAIN", "openai:gpt-4.1"}, {"LLM_MAX_ATTEMPTS", "2"}, {"LLM_CIRCUIT_FAILURES", "100"}});
  stack.start_worker("w1");
  stack.fake.script({{"path", "/v1/chat/completions"}, {"preset", "openai_500"}, {"times", -1}});
  const std::string id = stack.publish_chat("Design a minimal CI pipeline");
  const std::vector<json> replies = stack.await_replies(id, 2);
  json error_reply, escalation;
  for (const json& r : replies) (r["msg_type"] == "spec" ? error_reply : escalation) = r;
  REQUIRE(error_reply.is_object());
  REQUIRE(escalation.is_object());
  CHECK(error_reply["metadata"]["status"] == "error");
  CHECK(error_reply["metadata"]["attempts"].size() == 2);
  CHECK(escalation["content"]["command"] == "escalate");
  CHECK(escalation["content"]["failed_task_id"] == id);
  CHECK(escalation["content"]["attempts"] == 2);
  CHECK(escalation["metadata"]["status"] == "escalated");
  REQUIRE(stack.dlq.wait([&] { return !stack.dlq.all().empty(); }, 20s));
  const auto dead = stack.dlq.all().front();
  CHECK(dead.header("atlas-error-class") == "llm_unavailable");
  CHECK(dead.header("atlas-attempts") == "2");
  CHECK(dead.header("atlas-component") == "atlas-worker");
  CHECK(dead.value["task_id"] == id);
  CHECK(stack.workers.front()->metric("atlas_escalations_total{component=\"worker\"}") == 1.0);
}

TEST_CASE("worker: poison messages go to architect_dlq with the reason, and the worker keeps "
          "serving") {
  Stack stack;
  stack.start_worker("w1");
  stack.publish_raw("this is not JSON {");
  std::string spec_id;
  json spec = json::parse(atlas::test::make_chat_json("a spec on the request topic", spec_id));
  spec["msg_type"] = "spec";
  stack.publish_raw(spec.dump());
  stack.publish_raw(R"({"task_id": 42, "role": "architect"})");
  std::string big_id;
  const std::string big = atlas::test::make_chat_json(std::string(2u << 20, 'x'), big_id);
  stack.publish_raw(big, big_id);

  REQUIRE_MESSAGE(stack.dlq.wait([&] { return stack.dlq.all().size() >= 4; }, 30s),
                  stack.workers.front()->log());
  std::set<std::size_t> sizes;
  for (const auto& dead : stack.dlq.all()) {
    CHECK(dead.header("atlas-error-class") == "invalid_input");
    CHECK_FALSE(dead.header("atlas-error").empty());
    CHECK(dead.header("atlas-original-topic") == "architect_in");
    sizes.insert(dead.message.value.size());
  }
  CHECK(sizes.count(big.size()) == 1);  // the 2 MiB message kept byte for byte
  const std::string id = stack.publish_chat("Design a minimal CI pipeline");
  CHECK(stack.await_replies(id).front()["metadata"]["status"] == "done");
  CHECK(stack.workers.front()->process().running());
  CHECK(stack.workers.front()->metric("atlas_tasks_total{outcome=\"invalid\"}") == 4.0);
}

TEST_CASE("worker: with RAG down it answers from its cache where it has one, without context "
          "where it has none, and says which in metadata.rag") {
  Stack stack;
  stack.start_worker("w1");
  const std::string first = stack.publish_chat("Design a minimal CI pipeline");
  CHECK(stack.await_replies(first).front()["metadata"]["rag"]["status"] == "ok");

  stack.fake.set_down("/v1/query_chat", true);
  const std::string cached = stack.publish_chat("Design a minimal CI pipeline");
  const json from_cache = stack.await_replies(cached).front();
  CHECK(from_cache["metadata"]["status"] == "done");
  CHECK(from_cache["metadata"]["rag"]["status"] == "cached_fallback");
  CHECK(from_cache["metadata"]["rag"]["cache_hit"] == true);
  CHECK(from_cache["metadata"]["rag"]["sources"].size() >= 1);

  const std::string uncached = stack.publish_chat("Design a data warehouse");
  const json without = stack.await_replies(uncached).front();
  CHECK(without["metadata"]["status"] == "done");
  CHECK(without["metadata"]["rag"]["status"] == "unavailable_no_cache");
  CHECK(without["metadata"]["rag"]["sources"].empty());
  CHECK(without["metadata"]["rag"].contains("error"));

  // flush_cache drops the cache: the first query has no fallback any more.
  const std::string flush = stack.publish_control({{"command", "flush_cache"}});
  CHECK(stack.await_replies(flush).front()["metadata"]["status"] == "ok");
  REQUIRE(atlas::test::wait_until(
      [&] { return stack.workers.front()->log().find("RAG cache flushed") != std::string::npos; }, 10s));
  const std::string after_flush = stack.publish_chat("Design a minimal CI pipeline");
  CHECK(stack.await_replies(after_flush).front()["metadata"]["rag"]["status"] ==
        "unavailable_no_cache");
  CHECK(stack.workers.front()->metric("atlas_worker_rag_fallback_total{source=\"cache\"}") == 1.0);
  CHECK(stack.workers.front()->metric("atlas_worker_rag_fallback_total{source=\"none\"}") == 2.0);
}

TEST_CASE("worker: with every circuit open and the deadline far, the request waits in "
          "architect_retry instead of holding a slot") {
  Stack stack(std::map<std::string, std::string>{{"LLM_CHAIN", "openai:gpt-4.1"},
                                                 {"LLM_CIRCUIT_COOLDOWN_S", "30"}});
  stack.start_worker("w1");
  atlas::test::TopicCollector retry(stack.bus.settings(), "architect_retry", stack.logger);
  // A bad key opens OpenAI's circuit; the first request fails for good.
  stack.fake.script({{"path", "/v1/chat/completions"}, {"preset", "openai_401"}});
  const std::string first = stack.publish_chat("Design a minimal CI pipeline");
  CHECK(stack.await_replies(first, 2).front()["metadata"]["status"] != "done");
  // The next one finds the circuit open: handed to the retry topic, due when
  // the circuit lets a probe through.
  const auto before = std::chrono::system_clock::now();
  const std::string second = stack.publish_chat("Design a small deployment pipeline");
  REQUIRE(retry.wait([&] { return !retry.all().empty(); }, 30s));
  const auto record = retry.all().front();
  CHECK(record.value["task_id"] == second);
  CHECK(record.header("atlas-error-class") == "llm_unavailable");
  CHECK(record.header("atlas-target-topic") == "architect_in");
  CHECK(record.header("atlas-attempts") == "1");
  const auto due = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(std::stoll(record.header("atlas-due-at"))));
  CHECK(due > before + 20s);
  CHECK(due < before + 40s);
  CHECK(stack.out.replies_to(second).empty());
  CHECK(atlas::test::wait_until(
      [&] {
        return stack.sql("SELECT state || ' ' || (owner IS NULL) FROM atlas_tasks WHERE task_id = '" +
                         second + "'") == "handed_to_retry true";
      },
      10s));
  CHECK(stack.fake.count("/v1/chat/completions") == 1);
  CHECK(stack.workers.front()->metric("atlas_tasks_total{outcome=\"handed_to_retry\"}") == 1.0);
  CHECK(stack.workers.front()->metric("atlas_tasks_inflight") == 0.0);
}

TEST_CASE("worker: SIGTERM stops intake, lets in-flight tasks finish, and exits 0") {
  Stack stack({}, {.delay_ms = 1500});
  stack.start_worker("w1");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(stack.publish_chat("Design pipeline " + std::to_string(i)));
  REQUIRE(atlas::test::wait_until([&] { return stack.fake.count("/v1/chat/completions") == 5; }, 30s));
  const atlas::test::ExitStatus status = stack.workers.front()->terminate();
  CHECK_MESSAGE(status.ok(), status.describe());
  // Every reply was published before the exit (the collector may see it a little later).
  CHECK(stack.out.wait(
      [&] {
        for (const std::string& id : ids) if (stack.out.replies_to(id).size() != 1) return false;
        return true;
      },
      10s));
  CHECK(stack.sql("SELECT count(*) FROM atlas_tasks WHERE state = 'done'") == "5");
  const std::string log = stack.workers.front()->log();
  CHECK(log.find("atlas-worker stopped") != std::string::npos);
  CHECK(log.find("sk-test-0123456789abcdef") == std::string::npos);  // the key never reaches the log
  // Offsets were committed: a new worker does not answer them again.
  stack.start_worker("w2");
  std::this_thread::sleep_for(3s);
  for (const std::string& id : ids) CHECK(stack.out.replies_to(id).size() == 1);
  CHECK(stack.fake.count("/v1/chat/completions") == 5);
}

TEST_CASE("worker: an OpenAI-compatible server answers through its base URL; with no key at all "
          "the offline provider answers and the log says so") {
  SUBCASE("openai-compatible") {
    Stack stack(std::map<std::string, std::string>{
        {"LLM_CHAIN", "openai-compatible:llama3.1"}});
    stack.env["OPENAI_COMPATIBLE_BASE_URL"] = stack.fake.base_url() + "/v1";
    stack.env["OPENAI_COMPATIBLE_API_KEY"] = "local-key";
    stack.start_worker("w1");
    const std::string id = stack.publish_chat("Design a minimal CI pipeline");
    const json reply = stack.await_replies(id).front();
    CHECK(reply["metadata"]["status"] == "done");
    CHECK(reply["metadata"]["model"] == "llama3.1");
    CHECK(reply["metadata"]["provider"] == "openai-compatible");
    CHECK(stack.fake.count("/v1/chat/completions", "llama3.1") == 1);
  }
  SUBCASE("offline") {
    Stack stack;
    stack.env.erase("OPENAI_API_KEY");
    stack.env.erase("ANTHROPIC_API_KEY");
    stack.start_worker("w1");
    const std::string id = stack.publish_chat("Design a minimal CI pipeline");
    const json reply = stack.await_replies(id).front();
    CHECK(reply["metadata"]["status"] == "done");
    CHECK(reply["metadata"]["model"] == "offline");
    CHECK(reply["metadata"]["offline"] == true);
    CHECK(reply["metadata"]["usage"]["offline"] == true);
    CHECK(reply["content"].get<std::string>().find("docs/ci.md") != std::string::npos);
    CHECK(stack.fake.count("/v1/chat/completions") == 0);
    CHECK(stack.workers.front()->log().find("NO LLM API KEY CONFIGURED") != std::string::npos);
  }
}
