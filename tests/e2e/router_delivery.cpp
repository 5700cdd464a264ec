// atlas-router's reply delivery, retries, dead letters and escalation, and
// `atlasctl dlq`, driven from outside: the built router against a private
// PostgreSQL, atlas-devbus and bin/atlas-fake standing in for Slack's and
// GitHub's APIs. Replies are published on architect_out as the worker would.
#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "atlas/envelope.hpp"
#include "atlas/failure_headers.hpp"
#include "atlas/kafka/producer.hpp"
#include "fake_upstream.hpp"
#include "router_harness.hpp"

using namespace atlas;
using namespace atlas::test;
using namespace atlas::test::router_e2e;

namespace {

struct Env {
  Logger logger{"e2e-router-delivery", test_log_level(LogLevel::warn), LogFormat::json};
  PgFixture pg;
  DevbusFixture bus;
  FakeUpstream fake;
  RouterProcess router{environment()};
  TopicReader in{bus.settings(), "architect_in", logger};
  TopicReader out{bus.settings(), "architect_out", logger};
  TopicReader dlq{bus.settings(), "architect_dlq", logger};
  kafka::Producer producer{bus.settings(), "e2e-worker", logger};
  http::Client client;

  Env() {
    REQUIRE(in.wait_assigned());
    REQUIRE(out.wait_assigned());
    REQUIRE(dlq.wait_assigned());
  }

  std::map<std::string, std::string> environment() {
    auto env = router_env(pg.url(), bus.bootstrap());
    env["SLACK_BOT_TOKEN"] = "xoxb-e2e-bot-token";
    env["SLACK_API_URL"] = fake.base_url() + "/api";
    env["GITHUB_TOKEN"] = "ghp_e2etoken0123456789";
    env["GITHUB_API_URL"] = fake.base_url();
    env["DELIVERY_RETRY_INITIAL_S"] = "0.2";
    env["DELIVERY_RETRY_MAX_S"] = "1";
    return env;
  }

  // Publishes the worker's reply to a chat from `origin`; returns the reply.
  Envelope reply(const json& origin, const std::string& text) {
    const Envelope request = make_chat("a request", origin, Uuid::random_v4());
    Envelope reply = make_reply(request, MsgType::spec, text, Status::done);
    kafka::Record record;
    record.topic = "architect_out";
    record.key = reply.kafka_key();
    record.value = serialize(reply);
    const auto delivered = producer.produce_sync(std::move(record), 10s);
    REQUIRE(delivered.ok);
    return reply;
  }

  std::string metrics() {
    http::ClientRequest r;
    r.url = router.url("/metrics");
    return client.send(std::move(r)).get().body;
  }

  // Runs atlasctl with the test's bus and database; stdout, and the exit code in `code`.
  std::string atlasctl(const std::vector<std::string>& args, int& code) {
    TempDir dir("e2e-atlasctl");
    ChildProcess ctl(binary("atlasctl"), args,
                     {{"KAFKA_BROKERS", bus.bootstrap()}, {"DATABASE_URL", pg.url()}}, dir.path());
    const auto status = ctl.wait_for_exit(60s);
    code = status ? status->code : -1;
    INFO("atlasctl stderr: " << ctl.stderr_text());
    return ctl.stdout_text();
  }
};

Env& env() {
  static Env e;
  return e;
}

json slack_origin(const std::string& channel) {
  return {{"kind", "slack"}, {"team", "T0001"}, {"channel", channel}, {"thread_ts", "1700000000.000200"}};
}

json github_origin(const std::string& repo, int issue) {
  return {{"kind", "github"}, {"repo", repo}, {"issue_number", issue}};
}

// A fresh RSA key in PEM, as GitHub generates for an App.
std::string rsa_pem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Calls of the fake with the given path that it answered with `status`.
int answered(const json& calls, int status) {
  int n = 0;
  for (const auto& c : calls) n += c["status"] == status ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("router delivery: a Slack reply is posted once in the original thread and recorded in architect_out") {
  Env& e = env();
  const Envelope reply = e.reply(slack_origin("C0DELIV1"), "## ADR 1\nUse GitHub Actions.");
  json calls;
  REQUIRE(wait_until(
      [&] {
        calls = json::array();
        for (const auto& c : e.fake.calls("/api/chat.postMessage")) {
          if (c["body"].is_object() && c["body"].value("channel", "") == "C0DELIV1") calls.push_back(c);
        }
        return !calls.empty();
      },
      15s));
  std::this_thread::sleep_for(1s);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["body"]["thread_ts"] == "1700000000.000200");
  CHECK(calls[0]["body"]["text"].get<std::string>().find("Use GitHub Actions.") != std::string::npos);
  CHECK(calls[0]["headers"].contains("authorization"));
  CHECK(wait_until(
      [&] {
        return e.pg.psql("SELECT count(*) FROM architect_out WHERE task_id = '" + reply.task_id + "'") == "1";
      },
      5s));
  CHECK(metric_value(e.metrics(), R"(atlas_deliveries_total{channel="slack",outcome="delivered"})") >= 1);
}

TEST_CASE("router delivery: a GitHub reply becomes an issue comment") {
  Env& e = env();
  const Envelope reply = e.reply(github_origin("octo/widgets", 12), "Use three stages.");
  json calls;
  REQUIRE(wait_until([&] { return !(calls = e.fake.calls("/repos/octo/widgets/issues/12/comments")).empty(); },
                     15s));
  std::this_thread::sleep_for(500ms);
  calls = e.fake.calls("/repos/octo/widgets/issues/12/comments");
  REQUIRE(calls.size() == 1);
  const std::string body = calls[0]["body"]["body"];
  CHECK(body.find("Use three stages.") != std::string::npos);
  CHECK(body.find("<!-- atlas:reply task=" + reply.task_id) != std::string::npos);
  CHECK(calls[0]["status"] == 201);
}

TEST_CASE("router delivery: a fake that fails twice with 500 then succeeds gets the reply once") {
  Env& e = env();
  e.fake.script({{"path", "/repos/octo/flaky/*"}, {"status", 500}, {"times", 2},
                 {"body", {{"message", "Server Error"}}}});
  e.reply(github_origin("octo/flaky", 3), "Retry me.");
  json calls;
  REQUIRE(wait_until(
      [&] { return answered(calls = e.fake.calls("/repos/octo/flaky/*"), 201) == 1; }, 20s));
  std::this_thread::sleep_for(1s);
  calls = e.fake.calls("/repos/octo/flaky/*");
  CHECK(calls.size() == 3);
  CHECK(answered(calls, 500) == 2);
  CHECK(answered(calls, 201) == 1);
  CHECK(metric_value(e.metrics(), R"(atlas_retries_scheduled_total{component="router"})") >= 2);
}

TEST_CASE("router delivery: Slack's 429 with Retry-After: 2 is waited out") {
  Env& e = env();
  e.fake.script({{"path", "/api/chat.postMessage"},
                 {"status", 429},
                 {"headers", {{"retry-after", "2"}}},
                 {"body", {{"ok", false}, {"error", "ratelimited"}}},
                 {"times", 1}});
  e.reply(slack_origin("C0LIMIT"), "Slow down.");
  std::vector<json> calls;
  REQUIRE(wait_until(
      [&] {
        calls.clear();
        for (const auto& c : e.fake.calls("/api/chat.postMessage")) {
          if (c["body"].is_object() && c["body"].value("channel", "") == "C0LIMIT") calls.push_back(c);
        }
        return calls.size() >= 2;
      },
      20s));
  CHECK(calls[0]["status"] == 429);
  CHECK(calls[1]["status"] == 200);
  const auto waited = calls[1]["at_ms"].get<std::int64_t>() - calls[0]["at_ms"].get<std::int64_t>();
  MESSAGE("second attempt after " << waited << " ms");
  CHECK(waited >= 2000);
  std::this_thread::sleep_for(1s);
  int posts = 0;
  for (const auto& c : e.fake.calls("/api/chat.postMessage")) {
    posts += c["body"].is_object() && c["body"].value("channel", "") == "C0LIMIT" ? 1 : 0;
  }
  CHECK(posts == 2);
}

TEST_CASE("router delivery: a permanent failure (channel_not_found) is dead-lettered at once with an escalation") {
  Env& e = env();
  e.fake.script({{"path", "/api/chat.postMessage"}, {"preset", "slack_channel_not_found"}, {"times", 1}});
  const Envelope reply = e.reply(slack_origin("C0GONE"), "Nobody home.");
  REQUIRE(wait_until([&] { return !e.dlq.with_task(reply.task_id).empty(); }, 15s));
  const auto dead = e.dlq.with_task(reply.task_id);
  REQUIRE(dead.size() == 1);
  CHECK(*dead[0].header("atlas-attempts") == "1");
  CHECK(dead[0].header("atlas-error")->find("channel_not_found") != std::string::npos);
  CHECK(wait_until(
      [&] {
        return !e.out.matching([&](const json& j) {
                  return j["msg_type"] == "control" && j["content"].value("failed_task_id", "") == reply.task_id;
                }).empty();
      },
      10s));
}

TEST_CASE("router delivery: always failing -> dead letter and escalation after 3 attempts; atlasctl dlq list, replay once the fake recovers, purge") {
  Env& e = env();
  e.fake.script({{"path", "/repos/octo/broken/*"}, {"status", 502}, {"times", -1},
                 {"body", {{"message", "Server Error"}}}});
  const Envelope reply = e.reply(github_origin("octo/broken", 7), "This will need a replay.");
  REQUIRE(wait_until([&] { return !e.dlq.with_task(reply.task_id).empty(); }, 30s));
  const auto dead = e.dlq.with_task(reply.task_id);
  REQUIRE(dead.size() == 1);
  CHECK(*dead[0].header("atlas-attempts") == "3");
  CHECK(*dead[0].header("atlas-error-class") == "delivery_failed");
  CHECK(*dead[0].header("atlas-original-topic") == "architect_out");
  CHECK(dead[0].value == serialize(reply));  // the value byte for byte
  CHECK(e.fake.calls("/repos/octo/broken/*").size() == 3);

  std::vector<json> escalations;
  REQUIRE(wait_until(
      [&] {
        escalations = e.out.matching([&](const json& j) {
          return j["msg_type"] == "control" && j["content"].value("command", "") == "escalate" &&
                 j["content"].value("failed_task_id", "") == reply.task_id;
        });
        return !escalations.empty();
      },
      10s));
  CHECK(escalations.size() == 1);
  CHECK(escalations[0]["content"]["attempts"] == 3);
  CHECK(escalations[0]["metadata"]["status"] == "escalated");
  // dead_letter_count follows (housekeeping every 5 s).
  CHECK(wait_until([&] { return metric_value(e.metrics(), "dead_letter_count") >= 1; }, 15s));

  int code = -1;
  const json listed = json::parse(e.atlasctl({"dlq", "list", "--format", "json"}, code));
  REQUIRE(code == 0);
  std::string id;
  for (const auto& entry : listed) {
    if (entry["task_id"] == reply.task_id) id = entry["id"];
  }
  REQUIRE(!id.empty());
  const std::string table = e.atlasctl({"dlq", "list"}, code);
  CHECK(code == 0);
  CHECK(table.find(id) != std::string::npos);
  CHECK(table.find("delivery_failed") != std::string::npos);

  // The fake recovers; the replay is delivered once.
  e.fake.reset();
  const std::string replayed = e.atlasctl({"dlq", "replay", id}, code);
  CHECK(code == 0);
  CHECK(replayed.find("replayed " + id + " -> architect_out") != std::string::npos);
  REQUIRE(wait_until(
      [&] { return answered(e.fake.calls("/repos/octo/broken/*"), 201) == 1; }, 15s));
  std::this_thread::sleep_for(1s);
  CHECK(e.fake.calls("/repos/octo/broken/*").size() == 1);
  // Replaying it again is refused; it is hidden from list but shown with --all.
  e.atlasctl({"dlq", "replay", id}, code);
  CHECK(code == 1);
  const json after = json::parse(e.atlasctl({"dlq", "list", "--format", "json"}, code));
  for (const auto& entry : after) CHECK(entry["id"] != id);
  const json all = json::parse(e.atlasctl({"dlq", "list", "--all", "--format", "json"}, code));
  bool shown = false;
  for (const auto& entry : all) shown = shown || (entry["id"] == id && entry["replayed"] == true);
  CHECK(shown);

  // Purge: nothing is listed any more and the gauge drops to 0.
  const json purged = json::parse(e.atlasctl({"dlq", "purge", "--format", "json"}, code));
  CHECK(code == 0);
  CHECK(purged["purged"].get<int>() >= 1);
  CHECK(json::parse(e.atlasctl({"dlq", "list", "--all", "--format", "json"}, code)).empty());
  CHECK(wait_until([&] { return metric_value(e.metrics(), "dead_letter_count") == 0; }, 15s));
  CHECK(e.router.log().find("ghp_e2etoken0123456789") == std::string::npos);
  CHECK(e.router.log().find("xoxb-e2e-bot-token") == std::string::npos);
}

TEST_CASE("router retries: a request the worker hands to architect_retry is re-injected into architect_in when due, byte for byte") {
  Env& e = env();
  const Envelope request = make_chat("retry me later", {{"kind", "cli"}}, Uuid::random_v4());
  const auto now = std::chrono::system_clock::now();
  FailureHeaders h;
  h.original_topic = "architect_in";
  h.original_partition = 2;
  h.original_offset = 17;
  h.attempts = 1;
  h.error_class = "llm_unavailable";
  h.error = "HTTP 503 from OpenAI";
  h.component = "atlas-worker";
  h.failed_at = now;
  h.due_at = now + 1500ms;
  h.target_topic = "architect_in";
  kafka::Record record;
  record.topic = "architect_retry";
  record.key = request.task_id;
  record.value = serialize(request);
  record.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  record.headers = with_failure_headers(record.headers, h);
  REQUIRE(e.producer.produce_sync(std::move(record), 10s).ok);

  REQUIRE(wait_until([&] { return !e.in.with_task(request.task_id).empty(); }, 15s));
  const auto messages = e.in.with_task(request.task_id);
  REQUIRE(messages.size() == 1);
  const kafka::Message& m = messages[0];
  CHECK(m.value == serialize(request));
  CHECK(m.key == request.task_id);
  REQUIRE(m.header("atlas-attempts") != nullptr);
  CHECK(*m.header("atlas-attempts") == "1");
  CHECK(*m.header("atlas-original-offset") == "17");
  CHECK(m.header("atlas-due-at") == nullptr);
  CHECK(m.header("atlas-target-topic") == nullptr);
  CHECK(*m.header("traceparent") == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  REQUIRE(m.timestamp_ms.has_value());
  const auto due_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (now + 1500ms).time_since_epoch()).count();
  CHECK(*m.timestamp_ms >= due_ms - 5);  // not before it was due
  CHECK(metric_value(e.metrics(), R"(atlas_retries_reinjected_total{target_topic="architect_in"})") >= 1);
}

TEST_CASE("router delivery: SIGTERM exits 0") {
  Env& e = env();
  const ExitStatus status = e.router.stop();
  CHECK_MESSAGE(status.ok(), status.describe() << "\n" << e.router.log());
  const std::string log = e.router.log();
  CHECK(log.find("atlas-router stopped") != std::string::npos);
  if (const char* dump = std::getenv("ATLAS_TEST_DUMP_ROUTER_LOG"); dump != nullptr) MESSAGE(log);
}

TEST_CASE("router delivery: as a GitHub App, the JWT is exchanged for an installation token once and reused") {
  Env& e = env();
  REQUIRE(e.router.stop().ok());  // this router hands the consumer groups over
  auto environment = e.environment();
  environment.erase("GITHUB_TOKEN");
  environment["GITHUB_APP_ID"] = "123456";
  environment["GITHUB_APP_PRIVATE_KEY"] = rsa_pem();
  RouterProcess app(environment, "router-app");
  e.fake.reset();

  json origin = github_origin("octo/app", 5);
  origin["installation_id"] = 4242;
  e.reply(origin, "First reply.");
  e.reply(origin, "Second reply.");
  REQUIRE(wait_until(
      [&] { return answered(e.fake.calls("/repos/octo/app/issues/5/comments"), 201) == 2; }, 30s));
  const json tokens = e.fake.calls("/app/installations/4242/access_tokens");
  CHECK(tokens.size() == 1);
  CHECK(answered(tokens, 201) == 1);
  for (const auto& call : e.fake.calls("/repos/octo/app/issues/5/comments")) {
    CHECK(call["headers"].contains("authorization"));
  }
  const ExitStatus status = app.stop();
  CHECK_MESSAGE(status.ok(), status.describe() << "\n" << app.log());
  CHECK(app.log().find("BEGIN PRIVATE KEY") == std::string::npos);
}
