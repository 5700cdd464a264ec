// atlas-router's inbox relay (G3), driven from outside: rows inserted into
// PostgreSQL architect_in with psql reach the architect_in topic within a
// second, exactly once, with two router replicas sharing the backlog; rows
// that are not envelopes are dead-lettered and stamped; rows already stamped
// (the worker's mirror of the bus) are never sent; both replicas exit 0 on
// SIGTERM.
#include <doctest/doctest.h>

#include <set>

#include "router_harness.hpp"

using namespace atlas;
using namespace atlas::test;
using namespace atlas::test::router_e2e;

namespace {

std::string chat_json(const std::string& task_id, const std::string& text) {
  return json{{"task_id", task_id},
              {"role", "architect"},
              {"msg_type", "chat"},
              {"content", text},
              {"metadata",
               {{"schema_ver", 1},
                {"tokens", 0},
                {"model", nullptr},
                {"parent_id", nullptr},
                {"status", "in_progress"},
                {"origin", {{"kind", "db"}}}}}}
      .dump();
}

// SQL string literal.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

struct Env {
  Logger logger{"e2e-router-relay", test_log_level(LogLevel::warn), LogFormat::json};
  PgFixture pg;
  DevbusFixture bus;
  RouterProcess first{router_env(pg.url(), bus.bootstrap()), "router-a"};
  RouterProcess second{router_env(pg.url(), bus.bootstrap()), "router-b"};
  TopicReader in{bus.settings(), "architect_in", logger};
  TopicReader dlq{bus.settings(), "architect_dlq", logger};

  Env() {
    REQUIRE(in.wait_assigned());
    REQUIRE(dlq.wait_assigned());
  }
};

Env& env() {
  static Env e;
  return e;
}

}  // namespace

TEST_CASE("router relay: a row inserted with psql reaches architect_in within 1 s, keyed by its task id") {
  Env& e = env();
  const std::string task_id = Uuid::random_v4().to_string();
  const auto started = std::chrono::steady_clock::now();
  e.pg.psql("INSERT INTO architect_in (data) VALUES (" + quoted(chat_json(task_id, "from the UI")) + ")");
  REQUIRE(wait_until([&] { return !e.in.with_task(task_id).empty(); }, 5s, 5ms));
  const auto latency = std::chrono::steady_clock::now() - started;
  // Includes starting psql and the reader's own fetch wait (up to 500 ms).
  MESSAGE("psql started -> seen by a consumer: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count() << " ms");
  CHECK(latency < 2s);
  const auto messages = e.in.with_task(task_id);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].key == task_id);
  CHECK(wait_until(
      [&] {
        return e.pg.psql("SELECT count(*) FROM architect_in WHERE task_id = '" + task_id +
                         "' AND relayed_at IS NOT NULL") == "1";
      },
      5s));
  // G3 itself: relayed_at is stamped once Kafka acknowledged the row, created_at
  // is the insert's time, both on the database's clock.
  const int relay_ms = std::stoi(
      e.pg.psql("SELECT round(extract(epoch FROM relayed_at - created_at) * 1000)::int "
                "FROM architect_in WHERE task_id = '" + task_id + "'"));
  MESSAGE("row inserted -> acknowledged on architect_in: " << relay_ms << " ms (first row)");
  CHECK(relay_ms < 1000);

  // And one row at a time, as a UI inserts them.
  for (int i = 0; i < 5; ++i) {
    const std::string id = Uuid::random_v4().to_string();
    e.pg.psql("INSERT INTO architect_in (data) VALUES (" + quoted(chat_json(id, "one more")) + ")");
    REQUIRE(wait_until(
        [&] {
          return e.pg.psql("SELECT count(*) FROM architect_in WHERE task_id = '" + id +
                           "' AND relayed_at IS NOT NULL") == "1";
        },
        5s, 5ms));
    const int ms = std::stoi(
        e.pg.psql("SELECT round(extract(epoch FROM relayed_at - created_at) * 1000)::int "
                  "FROM architect_in WHERE task_id = '" + id + "'"));
    MESSAGE("row inserted -> acknowledged on architect_in: " << ms << " ms");
    CHECK(ms < 1000);
  }
}

TEST_CASE("router relay: 200 rows with two replicas reach the topic exactly once each") {
  Env& e = env();
  std::set<std::string> ids;
  std::string values;
  for (int i = 0; i < 200; ++i) {
    const std::string id = Uuid::random_v4().to_string();
    ids.insert(id);
    if (!values.empty()) values += ",";
    values += "(" + quoted(chat_json(id, "bulk request " + std::to_string(i))) + ")";
  }
  e.pg.psql("INSERT INTO architect_in (data) VALUES " + values);
  REQUIRE(wait_until(
      [&] {
        std::size_t seen = 0;
        for (const auto& m : e.in.messages()) {
          const json j = json::parse(m.value, nullptr, false);
          if (j.is_object() && ids.count(j.value("task_id", "")) != 0) ++seen;
        }
        return seen >= ids.size();
      },
      20s));
  std::this_thread::sleep_for(1500ms);  // time for any second copy to show up
  std::map<std::string, int> copies;
  for (const auto& m : e.in.messages()) {
    const json j = json::parse(m.value, nullptr, false);
    if (j.is_object() && ids.count(j.value("task_id", "")) != 0) ++copies[j["task_id"]];
  }
  CHECK(copies.size() == ids.size());
  int duplicated = 0;
  for (const auto& [id, n] : copies) duplicated += n > 1 ? 1 : 0;
  CHECK(duplicated == 0);
  CHECK(e.pg.psql("SELECT count(*) FROM architect_in WHERE relayed_at IS NULL") == "0");
}

TEST_CASE("router relay: a row that is not an envelope is dead-lettered and stamped; stamped rows are never sent") {
  Env& e = env();
  const std::string bad_id = Uuid::random_v4().to_string();
  e.pg.psql("INSERT INTO architect_in (task_id, data) VALUES ('" + bad_id +
            "', '{\"task_id\":\"" + bad_id + "\",\"role\":\"architect\",\"msg_type\":\"chat\"}')");
  const std::string mirrored = Uuid::random_v4().to_string();
  e.pg.psql("INSERT INTO architect_in (data, relayed_at) VALUES (" +
            quoted(chat_json(mirrored, "already on the bus")) + ", now())");

  REQUIRE(wait_until([&] { return !e.dlq.with_task(bad_id).empty(); }, 10s));
  const auto dead = e.dlq.with_task(bad_id);
  CHECK(dead.size() == 1);
  const std::string* error_class = dead[0].header("atlas-error-class");
  REQUIRE(error_class != nullptr);
  CHECK(*error_class == "invalid_input");
  CHECK(dead[0].header("atlas-error") != nullptr);
  CHECK(wait_until(
      [&] {
        return e.pg.psql("SELECT count(*) FROM architect_in WHERE task_id = '" + bad_id +
                         "' AND relayed_at IS NOT NULL") == "1";
      },
      5s));
  std::this_thread::sleep_for(1500ms);
  CHECK(e.in.with_task(bad_id).empty());
  CHECK(e.in.with_task(mirrored).empty());
  CHECK(e.dlq.with_task(bad_id).size() == 1);
}

TEST_CASE("router relay: both replicas exit 0 on SIGTERM") {
  Env& e = env();
  const ExitStatus a = e.first.stop();
  const ExitStatus b = e.second.stop();
  CHECK_MESSAGE(a.ok(), a.describe() << "\n" << e.first.log());
  CHECK_MESSAGE(b.ok(), b.describe() << "\n" << e.second.log());
  CHECK(e.first.log().find("atlas-router stopped") != std::string::npos);
}
