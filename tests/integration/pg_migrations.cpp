// The migration runner and schema/sql against a real PostgreSQL 15.
// One server for the file; each test case works in a database of its own.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "atlas/log.hpp"
#include "atlas/pg/error.hpp"
#include "atlas/pg/migrate.hpp"
#include "atlas/pg/pool.hpp"
#include "pg_fixture.hpp"

using atlas::pg::Migration;

namespace {

atlas::test::PgFixture& server() {
  static atlas::test::PgFixture pg;
  return pg;
}

// A new empty database on the shared server; returns its URL.
std::string fresh_database() {
  static std::atomic<int> counter{0};
  const std::string name = "migrations_" + std::to_string(counter.fetch_add(1));
  server().psql("CREATE DATABASE " + name);
  return server().url_for(name);
}

// Runs SQL on `url` and returns the first column of the first row ("" if none).
std::string query(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  const auto r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

// Every row, columns joined by '|', rows by '\n'.
std::string rows(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  std::string out;
  for (const auto& row : tx.exec(sql)) {
    if (!out.empty()) out += '\n';
    for (pqxx::row::size_type i = 0; i < row.size(); ++i) {
      if (i > 0) out += '|';
      out += row[i].is_null() ? "NULL" : row[i].as<std::string>();
    }
  }
  return out;
}

struct CapturedLog {
  std::vector<std::string> lines;
  std::mutex mutex;
  atlas::Logger logger{"test", atlas::LogLevel::debug, atlas::LogFormat::json, nullptr,
                       [this](std::string_view line) {
                         std::lock_guard lock(mutex);
                         lines.emplace_back(line);
                       }};
};

std::vector<std::string> names(const std::vector<Migration>& migrations) {
  std::vector<std::string> out;
  for (const auto& m : migrations) out.push_back(m.name);
  return out;
}

}  // namespace

TEST_CASE("pg migrations: running twice applies everything once, then nothing") {
  const auto url = fresh_database();
  const auto migrations = atlas::pg::embedded_migrations();
  CapturedLog log;
  pqxx::connection conn(url);

  const auto first = atlas::pg::migrate(conn, migrations, log.logger);
  CHECK(first.applied == names(migrations));
  CHECK(first.already_applied == 0);

  const auto second = atlas::pg::migrate(conn, migrations, log.logger);
  CHECK(second.applied.empty());
  CHECK(second.already_applied == migrations.size());

  // Through a pool too, and the rows record each file's checksum.
  atlas::pg::Pool pool(url, {.size = 1});
  const auto third = atlas::pg::migrate(pool, migrations, log.logger);
  CHECK(third.applied.empty());
  std::string expected;
  for (const auto& m : migrations) {
    expected += (expected.empty() ? "" : "\n") + std::to_string(m.version) + "|" + m.name + "|" +
                m.checksum;
  }
  CHECK(rows(url, "SELECT version, name, checksum FROM atlas_schema_migrations ORDER BY version") ==
        expected);
  // Server notices ("already exists, skipping") went to the log, not stderr.
  bool notice_logged = false;
  for (const auto& line : log.lines) {
    if (line.find("already exists") != std::string::npos) notice_logged = true;
  }
  CHECK(notice_logged);
}

TEST_CASE("pg migrations: each migration file is idempotent on its own") {
  const auto url = fresh_database();
  for (const auto& m : atlas::pg::embedded_migrations()) {
    CAPTURE(m.name);
    pqxx::connection conn(url);
    for (int run = 0; run < 2; ++run) {
      pqxx::work tx(conn);
      CHECK_NOTHROW(tx.exec(m.sql));
      tx.commit();
    }
  }
  CHECK(query(url, "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'architect_bus'") ==
        "2");
}

TEST_CASE("pg migrations: architect_in and architect_out match DESIGN section 5") {
  const auto url = fresh_database();
  CapturedLog log;
  pqxx::connection conn(url);
  (void)atlas::pg::migrate(conn, atlas::pg::embedded_migrations(), log.logger);

  for (const std::string table : {"architect_in", "architect_out"}) {
    CAPTURE(table);
    // architect_in also has relayed_at, the inbox relay's mark (003_inbox_relay.sql).
    CHECK(rows(url, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = '" + table +
                    "' ORDER BY ordinal_position") ==
          std::string("id|bigint|NO\n"
                      "task_id|uuid|NO\n"
                      "data|jsonb|NO\n"
                      "created_at|timestamp with time zone|NO") +
              (table == "architect_in" ? "\nrelayed_at|timestamp with time zone|YES" : ""));
    CHECK(query(url, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                     "'public." + table + "'::regclass AND contype = 'p'") == "PRIMARY KEY (id)");
    CHECK(query(url, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND "
                     "indexname = '" + table + "_created_at_idx'") == "1");

    // task_id is unique; id and created_at fill themselves in.
    const std::string insert = "INSERT INTO public." + table +
                               " (task_id, data) VALUES ('0b1c5a52-6d2e-4c55-9c1e-0f4b1c2d3e4f', "
                               "'{\"role\": \"architect\"}')";
    query(url, insert);
    CHECK_THROWS_AS(query(url, insert), pqxx::unique_violation);
    CHECK(query(url, "SELECT count(*) FROM public." + table + " WHERE id IS NOT NULL AND "
                     "created_at > now() - interval '1 minute'") == "1");
    // data is required; so is task_id, except that architect_in takes it from
    // the envelope (or makes one up) when a client inserts only data.
    CHECK_THROWS_AS(query(url, "INSERT INTO public." + table + " (task_id) VALUES "
                               "('1b1c5a52-6d2e-4c55-9c1e-0f4b1c2d3e4f')"),
                    pqxx::not_null_violation);
    if (table == "architect_out") {
      CHECK_THROWS_AS(query(url, "INSERT INTO public.architect_out (data) VALUES ('{}')"),
                      pqxx::not_null_violation);
    }
  }
  query(url, "INSERT INTO public.architect_in (data) VALUES "
             "('{\"task_id\": \"2b1c5a52-6d2e-4c55-9c1e-0f4b1c2d3e4f\"}'), ('{\"content\": \"x\"}')");
  CHECK(query(url, "SELECT count(*) FROM architect_in WHERE task_id = "
                   "'2b1c5a52-6d2e-4c55-9c1e-0f4b1c2d3e4f' AND relayed_at IS NULL") == "1");
  CHECK(query(url, "SELECT count(*) FROM architect_in WHERE data->>'content' = 'x' "
                   "AND data->>'task_id' = task_id::text") == "1");

  CHECK(rows(url, "SELECT schemaname || '.' || tablename FROM pg_publication_tables "
                  "WHERE pubname = 'architect_bus' ORDER BY 1") ==
        "public.architect_in\npublic.architect_out");
  CHECK(query(url, "SELECT pubinsert AND pubupdate AND pubdelete FROM pg_publication "
                   "WHERE pubname = 'architect_bus'") == "t");
}

TEST_CASE("pg migrations: tables made by the manual's Appendix A DDL are upgraded in place") {
  const auto url = fresh_database();
  // Appendix A, verbatim, plus two rows written by the old Python worker.
  query(url,
        "create publication architect_bus;"
        "create table public.architect_in  (data jsonb);"
        "create table public.architect_out (data jsonb);"
        "alter publication architect_bus add table public.architect_in, public.architect_out;"
        "insert into public.architect_in values "
        "('{\"task_id\": \"6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b\", \"content\": \"old\"}'),"
        "('{\"content\": \"no task id\"}');"
        "select 1");
  CapturedLog log;
  pqxx::connection conn(url);
  const auto summary = atlas::pg::migrate(conn, atlas::pg::embedded_migrations(), log.logger);
  CHECK(summary.applied.size() == atlas::pg::embedded_migrations().size());

  CHECK(rows(url, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                  "WHERE table_schema = 'public' AND table_name = 'architect_in' "
                  "ORDER BY column_name") ==
        "created_at|timestamp with time zone|NO\n"
        "data|jsonb|NO\n"
        "id|bigint|NO\n"
        "relayed_at|timestamp with time zone|YES\n"
        "task_id|uuid|NO");
  // Rows older than the relay are history: marked relayed, not sent again.
  CHECK(query(url, "SELECT count(*) FROM architect_in WHERE relayed_at IS NULL") == "0");
  CHECK(query(url, "SELECT task_id FROM architect_in WHERE data->>'content' = 'old'") ==
        "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b");
  CHECK(query(url, "SELECT count(DISTINCT task_id) FROM architect_in") == "2");
  CHECK(query(url, "SELECT count(DISTINCT id) FROM architect_in") == "2");
  CHECK_THROWS_AS(query(url, "INSERT INTO architect_in (task_id, data) VALUES "
                             "('6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', '{}')"),
                  pqxx::unique_violation);
  CHECK(query(url, "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'architect_bus'") ==
        "2");
}

TEST_CASE("pg migrations: concurrent migrate from several connections applies each file once") {
  const auto url = fresh_database();
  // 002 is deliberately NOT idempotent and slow: without the advisory lock a
  // second runner would try to create the table again and fail.
  auto migrations = atlas::pg::embedded_migrations();
  auto extra = atlas::pg::load_migrations(
      {{"901_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE lock_probe (id int);"},
       {"902_after.sql", "INSERT INTO lock_probe VALUES (1);"}});
  migrations.insert(migrations.end(), extra.begin(), extra.end());

  constexpr int kRunners = 4;
  std::barrier start(kRunners);
  std::vector<atlas::pg::MigrationSummary> summaries(kRunners);
  std::vector<std::string> errors(kRunners);
  std::vector<std::thread> threads;
  CapturedLog log;
  for (int i = 0; i < kRunners; ++i) {
    threads.emplace_back([&, i] {
      try {
        pqxx::connection conn(url);
        start.arrive_and_wait();
        summaries[static_cast<std::size_t>(i)] = atlas::pg::migrate(conn, migrations, log.logger);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();

  std::size_t applied_total = 0;
  for (int i = 0; i < kRunners; ++i) {
    CAPTURE(i);
    CHECK(errors[static_cast<std::size_t>(i)] == "");
    applied_total += summaries[static_cast<std::size_t>(i)].applied.size();
  }
  CHECK(applied_total == migrations.size());
  CHECK(query(url, "SELECT count(*) FROM atlas_schema_migrations") ==
        std::to_string(migrations.size()));
  CHECK(query(url, "SELECT count(*) FROM lock_probe") == "1");
  // The lock was released by every runner.
  CHECK(query(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0");
}

TEST_CASE("pg migrations: a changed applied file stops migrate, naming the file") {
  const auto url = fresh_database();
  CapturedLog log;
  pqxx::connection conn(url);
  const auto v1 = atlas::pg::load_migrations({{"001_t.sql", "CREATE TABLE IF NOT EXISTS t1 (a int);"}});
  (void)atlas::pg::migrate(conn, v1, log.logger);

  const auto edited = atlas::pg::load_migrations(
      {{"001_t.sql", "CREATE TABLE IF NOT EXISTS t1 (a int, b int);"},
       {"002_u.sql", "CREATE TABLE IF NOT EXISTS t2 (a int);"}});
  try {
    (void)atlas::pg::migrate(conn, edited, log.logger);
    FAIL("migrate accepted a changed migration");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.kind() == atlas::pg::ErrorKind::migration);
    const std::string message = e.what();
    CHECK(message.find("001_t.sql") != std::string::npos);
    CHECK(message.find("must never change") != std::string::npos);
  }
  // Nothing ran: neither the edit nor the new file, and 001 was not re-run.
  CHECK(query(url, "SELECT to_regclass('public.t2') IS NULL") == "t");
  CHECK(query(url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 't1'") ==
        "1");
  CHECK(query(url, "SELECT count(*) FROM atlas_schema_migrations") == "1");

  const auto st = atlas::pg::status(conn, edited);
  CHECK_FALSE(st.up_to_date());
  REQUIRE(st.problems.size() == 1);
  CHECK(st.problems[0].find("001_t.sql") != std::string::npos);
  CHECK(st.pending == std::vector<std::string>{"002_u.sql"});
}

TEST_CASE("pg migrations: a failing file is rolled back whole and not recorded") {
  const auto url = fresh_database();
  CapturedLog log;
  pqxx::connection conn(url);
  const auto files = atlas::pg::load_migrations(
      {{"001_ok.sql", "CREATE TABLE IF NOT EXISTS good (a int);"},
       {"002_bad.sql", "CREATE TABLE half (a int);\nSELECT no_such_column FROM good;"}});
  try {
    (void)atlas::pg::migrate(conn, files, log.logger);
    FAIL("migrate accepted failing SQL");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.kind() == atlas::pg::ErrorKind::migration);
    const std::string message = e.what();
    CHECK(message.find("002_bad.sql") != std::string::npos);
    CHECK(message.find("no_such_column") != std::string::npos);
  }
  CHECK(query(url, "SELECT to_regclass('public.good') IS NOT NULL") == "t");
  CHECK(query(url, "SELECT to_regclass('public.half') IS NULL") == "t");
  CHECK(rows(url, "SELECT name FROM atlas_schema_migrations") == "001_ok.sql");
  CHECK(query(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0");
  // The connection is still usable, with default settings.
  CHECK(query(url, "SELECT 1") == "1");
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec1("SHOW lock_timeout")[0].as<std::string>() == "0");
}

TEST_CASE("pg migrations: waiting for another runner's lock is bounded") {
  const auto url = fresh_database();
  pqxx::connection holder(url);
  {
    pqxx::nontransaction tx(holder);
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(atlas::pg::kMigrationLockKey) + ")");
  }
  CapturedLog log;
  pqxx::connection conn(url);
  const auto started = std::chrono::steady_clock::now();
  try {
    (void)atlas::pg::migrate(conn, atlas::pg::embedded_migrations(), log.logger,
                             {.lock_timeout = std::chrono::milliseconds(300)});
    FAIL("migrate ran while another session held the lock");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.kind() == atlas::pg::ErrorKind::migration);
    CHECK(std::string(e.what()).find("migration lock for more than 300 ms") != std::string::npos);
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::seconds(5));
  CHECK(query(url, "SELECT to_regclass('public.architect_in') IS NULL") == "t");

  // Once the holder lets go, the same connection migrates.
  {
    pqxx::nontransaction tx(holder);
    tx.exec("SELECT pg_advisory_unlock(" + std::to_string(atlas::pg::kMigrationLockKey) + ")");
  }
  CHECK(atlas::pg::migrate(conn, atlas::pg::embedded_migrations(), log.logger).applied.size() ==
        atlas::pg::embedded_migrations().size());
}

TEST_CASE("pg migrations: status lists applied and pending files without changing anything") {
  const auto url = fresh_database();
  const auto migrations = atlas::pg::embedded_migrations();
  pqxx::connection conn(url);

  const auto before = atlas::pg::status(conn, migrations);
  CHECK(before.applied.empty());
  CHECK(before.pending == names(migrations));
  CHECK_FALSE(before.up_to_date());
  CHECK(query(url, "SELECT to_regclass('public.atlas_schema_migrations') IS NULL") == "t");

  CapturedLog log;
  (void)atlas::pg::migrate(conn, migrations, log.logger);
  atlas::pg::Pool pool(url, {.size = 1});
  const auto after = atlas::pg::status(pool, migrations);
  CHECK(after.up_to_date());
  CHECK(after.pending.empty());
  REQUIRE(after.applied.size() == migrations.size());
  CHECK(after.applied[0].name == "001_channel_tables.sql");
  CHECK_FALSE(after.applied[0].applied_at.empty());

  // A database migrated by a newer binary: its extra version is reported.
  query(url, "INSERT INTO atlas_schema_migrations (version, name, checksum) "
             "VALUES (999, '999_future.sql', 'abc')");
  const auto newer = atlas::pg::status(conn, migrations);
  CHECK(newer.unknown == std::vector<std::string>{"999_future.sql"});
  CHECK(newer.up_to_date());
  CHECK(atlas::pg::migrate(conn, migrations, log.logger).applied.empty());
}
