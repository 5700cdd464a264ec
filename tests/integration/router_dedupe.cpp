// atlas::router::DedupeBatcher against a real PostgreSQL 15 with the embedded
// migrations: the verdicts of claims (fresh, duplicate, taken over), a
// redelivery meeting its confirmation in one batch, batches of concurrent claims, two batchers sharing the table like two replicas,
// and the storage migration 007 sets up (HOT confirmations, "C" collation).
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "atlas/log.hpp"
#include "atlas/pg/migrate.hpp"
#include "atlas/pg/migration.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/router/dedupe_batcher.hpp"
#include "atlas/router/store.hpp"
#include "atlas/uuid.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"

using namespace std::chrono_literals;
using atlas::Uuid;
using atlas::router::ClaimResult;
using atlas::router::DedupeBatcher;

namespace {

atlas::test::PgFixture& server() {
  static atlas::test::PgFixture pg("router_dedupe");
  static const bool migrated = [] {
    atlas::Logger logger("router_dedupe_test", atlas::LogLevel::warn);
    pqxx::connection conn(pg.url());
    (void)atlas::pg::migrate(conn, atlas::pg::embedded_migrations(), logger);
    return true;
  }();
  (void)migrated;
  return pg;
}

// One router replica's dedupe: its own connection pool and batcher.
struct Replica {
  explicit Replica(std::size_t max_batch = 500) : dedupe(pool, 3600s, logger, max_batch) {}
  atlas::Logger logger{"router_dedupe_test", atlas::LogLevel::warn};
  atlas::pg::Pool pool{server().url(), {.size = 3}};
  DedupeBatcher dedupe;
};

Uuid task(const std::string& name) { return Uuid::v5(atlas::kAtlasNamespace, "test:" + name); }

// Claims `keys` for `task_id` and waits for the verdict.
ClaimResult claim(DedupeBatcher& dedupe, std::vector<std::string> keys, const Uuid& task_id) {
  std::promise<std::optional<ClaimResult>> verdict;
  std::string error;
  dedupe.claim(std::move(keys), task_id, [&](std::optional<ClaimResult> r, const std::string& e) {
    error = e;
    verdict.set_value(r);
  });
  auto future = verdict.get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  const auto result = future.get();
  INFO("claim error: " << error);
  REQUIRE(result.has_value());
  return *result;
}

std::string state_of(const std::string& key) {
  return server().psql("SELECT state FROM router_webhook_dedupe WHERE dedupe_key = '" + key + "'");
}

}  // namespace

TEST_CASE("router dedupe: a fresh key is claimed; once confirmed a redelivery is a duplicate naming the first task") {
  Replica replica;
  DedupeBatcher& dedupe = replica.dedupe;
  const std::string key = "slack:message:T1:C1:1700000000.000001";

  const ClaimResult first = claim(dedupe, {key}, task("first"));
  CHECK_FALSE(first.duplicate);
  CHECK(state_of(key) == "claimed");

  dedupe.confirm({key});
  REQUIRE(atlas::test::wait_until([&] { return state_of(key) == "published"; }, 5s));

  // The same webhook again (same task id), and the same post under another
  // task id: both duplicates of the first.
  for (const Uuid& again : {task("first"), task("other")}) {
    const ClaimResult r = claim(dedupe, {key}, again);
    CHECK(r.duplicate);
    REQUIRE(r.published_task_id.has_value());
    CHECK(*r.published_task_id == task("first").to_string());
  }
}

TEST_CASE("router dedupe: a redelivery queued right behind its confirmation is a duplicate, never an error") {
  Replica replica;
  DedupeBatcher& dedupe = replica.dedupe;
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) keys.push_back("slack:event:behind:" + std::to_string(i));
  for (const std::string& k : keys) CHECK_FALSE(claim(dedupe, {k}, task(k)).duplicate);

  // Confirmation and redelivery queued back to back: they often meet in one
  // batch, where one statement may not change a row twice, so the claim
  // waits for the next batch and finds the row 'published'.
  std::mutex mutex;
  std::condition_variable all_in;
  int duplicates = 0;
  int answers = 0;
  std::vector<std::string> errors;
  for (const std::string& k : keys) {
    dedupe.confirm({k});
    dedupe.claim({k}, task(k), [&](std::optional<ClaimResult> r, const std::string& e) {
      std::lock_guard lock(mutex);
      if (!r) errors.push_back(e);
      if (r && r->duplicate && r->published_task_id == task(k).to_string()) ++duplicates;
      ++answers;
      all_in.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  REQUIRE(all_in.wait_for(lock, 30s, [&] { return answers == 60; }));
  CHECK(errors.empty());
  CHECK(duplicates == 60);
}

TEST_CASE("router dedupe: an unconfirmed claim of the same task is taken over; of another task it is a duplicate") {
  Replica replica;
  DedupeBatcher& dedupe = replica.dedupe;
  const std::string key = "github:delivery:1:takeover";

  CHECK_FALSE(claim(dedupe, {key}, task("takeover")).duplicate);
  // A replica that claimed and then crashed: the sender's retry (same task id)
  // is published again, another request holding the key is not.
  CHECK_FALSE(claim(dedupe, {key}, task("takeover")).duplicate);
  const ClaimResult other = claim(dedupe, {key}, task("someone else"));
  CHECK(other.duplicate);
  CHECK(other.published_task_id == task("takeover").to_string());
}

TEST_CASE("router dedupe: an expired key is claimed again") {
  Replica replica;
  DedupeBatcher& dedupe = replica.dedupe;
  const std::string key = "slack:command:expired";
  CHECK_FALSE(claim(dedupe, {key}, task("old")).duplicate);
  dedupe.confirm({key});
  REQUIRE(atlas::test::wait_until([&] { return state_of(key) == "published"; }, 5s));
  server().psql("UPDATE router_webhook_dedupe SET expires_at = now() - interval '1 second' "
                "WHERE dedupe_key = '" + key + "'");
  CHECK_FALSE(claim(dedupe, {key}, task("new")).duplicate);
  CHECK(server().psql("SELECT task_id FROM router_webhook_dedupe WHERE dedupe_key = '" + key + "'") ==
        task("new").to_string());
}

TEST_CASE("router dedupe: 400 concurrent claims from two batchers (two replicas), each key twice: one winner per key") {
  Replica replica_a(50);
  Replica replica_b(50);
  DedupeBatcher& a = replica_a.dedupe;
  DedupeBatcher& b = replica_b.dedupe;

  std::mutex mutex;
  std::condition_variable all_in;
  std::vector<int> fresh(200, 0);
  int answers = 0;
  int errors = 0;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 200; ++i) {
      DedupeBatcher& replica = (i + round) % 2 == 0 ? a : b;
      // Each key is claimed by two different requests (task ids), as when one
      // post reaches two replicas as two events.
      const std::string key = "race:" + std::to_string(i);
      replica.claim({key}, task(key + ":" + std::to_string(round)),
                    [&, i](std::optional<ClaimResult> r, const std::string&) {
                      std::lock_guard lock(mutex);
                      if (!r) {
                        ++errors;
                      } else if (!r->duplicate) {
                        ++fresh[static_cast<std::size_t>(i)];
                      }
                      ++answers;
                      all_in.notify_one();
                    });
    }
  }
  std::unique_lock lock(mutex);
  REQUIRE(all_in.wait_for(lock, 30s, [&] { return answers == 400; }));
  CHECK(errors == 0);
  for (int i = 0; i < 200; ++i) {
    INFO("key race:" << i);
    CHECK(fresh[static_cast<std::size_t>(i)] == 1);
  }
}

TEST_CASE("router dedupe: migration 007 - byte-order keys, and marking a claim published is a HOT update") {
  CHECK(server().psql("SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
                      "WHERE a.attrelid = 'public.router_webhook_dedupe'::regclass "
                      "AND a.attname = 'dedupe_key'") == "C");
  CHECK(server().psql("SELECT reloptions::text FROM pg_class WHERE oid = 'public.router_webhook_dedupe'::regclass") ==
        "{fillfactor=50}");

  const auto hot_updates = [] {
    return std::stol(server().psql("SELECT n_tup_hot_upd FROM pg_stat_user_tables "
                                   "WHERE relid = 'public.router_webhook_dedupe'::regclass"));
  };
  const auto updates = [] {
    return std::stol(server().psql("SELECT n_tup_upd FROM pg_stat_user_tables "
                                   "WHERE relid = 'public.router_webhook_dedupe'::regclass"));
  };
  Replica replica;
  DedupeBatcher& dedupe = replica.dedupe;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("hot:" + std::to_string(i));
  for (const std::string& k : keys) CHECK_FALSE(claim(dedupe, {k}, task(k)).duplicate);
  const long hot_before = hot_updates();
  const long updates_before = updates();
  dedupe.confirm(keys);
  REQUIRE(atlas::test::wait_until(
      [&] {
        return server().psql("SELECT count(*) FROM router_webhook_dedupe "
                             "WHERE dedupe_key LIKE 'hot:%' AND state = 'published'") == "100";
      },
      5s));
  // The statistics reach pg_stat_user_tables when the backend reports them
  // (at the latest within a second once idle).
  REQUIRE(atlas::test::wait_until([&] { return updates() - updates_before >= 100; }, 10s));
  const long hot = hot_updates() - hot_before;
  MESSAGE("HOT updates: " << hot << " of " << updates() - updates_before);
  CHECK(hot >= 90);  // the odd row may find its page full
}

TEST_CASE("router dedupe: keys with quotes and backslashes travel through the array parameters intact") {
  Replica replica;
  DedupeBatcher& dedupe = replica.dedupe;
  const std::string key = R"(github:issue:o"dd\repo,{x}:7)";
  CHECK_FALSE(claim(dedupe, {key}, task("odd")).duplicate);
  CHECK(server().psql("SELECT count(*) FROM router_webhook_dedupe WHERE dedupe_key = "
                      "'github:issue:o\"dd\\repo,{x}:7'") == "1");
  CHECK(claim(dedupe, {key}, task("odd 2")).duplicate);
}
