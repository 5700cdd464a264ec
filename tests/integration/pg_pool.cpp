// atlas::pg::Pool against a real PostgreSQL 15: waiting, time-outs, broken
// connections, outages and error messages that keep the password out.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "atlas/pg/error.hpp"
#include "atlas/pg/pool.hpp"
#include "pg_fixture.hpp"

using namespace std::chrono_literals;
using atlas::pg::ErrorKind;
using atlas::pg::Pool;

namespace {

atlas::test::PgFixture& server() {
  static atlas::test::PgFixture pg;
  return pg;
}

int backend_pid(Pool::Lease& lease) {
  pqxx::nontransaction tx(lease.connection());
  return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, never listened).
class ClosedPort {
 public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  ~ClosedPort() { ::close(fd_); }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

atlas::pg::Error connect_error(const std::string& url) {
  Pool pool(url, {.size = 1, .connect_timeout = 2s});
  try {
    auto lease = pool.lease(1s);
  } catch (const atlas::pg::Error& e) {
    return e;
  }
  FAIL("connecting to " << url << " succeeded");
  return atlas::pg::Error(ErrorKind::config, "unreachable");
}

}  // namespace

TEST_CASE("pg pool: leases beyond the pool size wait for a free connection and succeed") {
  Pool pool(server().url(), {.size = 2});
  constexpr int kWorkers = 6;
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  std::atomic<int> succeeded{0};
  std::mutex pids_mutex;
  std::set<int> pids;
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&] {
      auto lease = pool.lease(10s);
      const int now = ++in_flight;
      int seen = most_in_flight.load();
      while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) {
      }
      const int pid = backend_pid(lease);
      pqxx::nontransaction(lease.connection()).exec("SELECT pg_sleep(0.1)");
      {
        std::lock_guard lock(pids_mutex);
        pids.insert(pid);
      }
      --in_flight;
      ++succeeded;
    });
  }
  for (auto& t : threads) t.join();

  CHECK(succeeded == kWorkers);
  CHECK(most_in_flight == 2);  // never more than the pool size, and the pool was used fully
  CHECK(pids.size() == 2);     // connections were reused, not reopened
  const auto stats = pool.stats();
  CHECK(stats.opened == 2);
  CHECK(stats.open == 2);
  CHECK(stats.leased == 0);
  CHECK(stats.discarded == 0);
}

TEST_CASE("pg pool: connections are opened lazily") {
  Pool pool(server().url(), {.size = 4});
  CHECK(pool.stats().open == 0);
  {
    auto a = pool.lease();
    CHECK(pool.stats().open == 1);
  }
  // The idle open connection is handed out again rather than a second one opened.
  {
    auto a = pool.lease();
    CHECK(pool.stats().opened == 1);
  }
}

TEST_CASE("pg pool: a lease that finds no free connection in time gets a clear error") {
  Pool pool(server().url(), {.size = 1});
  auto held = pool.lease();
  const auto started = std::chrono::steady_clock::now();
  try {
    auto second = pool.lease(150ms);
    FAIL("a second lease of a pool of one succeeded");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.kind() == ErrorKind::pool_exhausted);
    CHECK(e.transient());
    CHECK(std::string(e.what()).starts_with(
        "no PostgreSQL connection free within 150 ms (pool size 1)"));
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 150ms);
  CHECK(waited < 2s);
}

TEST_CASE("pg pool: a backend killed while idle is replaced on the next lease") {
  Pool pool(server().url(), {.size = 1});
  int killed = 0;
  {
    auto lease = pool.lease();
    killed = backend_pid(lease);
  }
  // The second argument makes pg_terminate_backend wait until the backend is gone.
  REQUIRE(server().psql("SELECT pg_terminate_backend(" + std::to_string(killed) + ", 5000)") ==
          "t");

  auto lease = pool.lease();
  const int fresh = backend_pid(lease);  // the first statement on the new lease just works
  CHECK(fresh != killed);
  CHECK(pool.stats().discarded == 1);
  CHECK(pool.stats().opened == 2);
}

TEST_CASE("pg pool: a connection that breaks during a transaction is discarded") {
  Pool pool(server().url(), {.size = 1});
  pool.with_transaction([&](pqxx::work& tx) { tx.exec("CREATE TABLE IF NOT EXISTS broken_probe (a int)"); });

  int killed = 0;
  try {
    pool.with_transaction([&](pqxx::work& tx) {
      tx.exec("INSERT INTO broken_probe VALUES (1)");
      killed = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
      server().psql("SELECT pg_terminate_backend(" + std::to_string(killed) + ", 5000)");
      tx.exec("INSERT INTO broken_probe VALUES (2)");
    });
    FAIL("the transaction survived its backend");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.kind() == ErrorKind::connection_lost);
    CHECK(e.transient());
  }
  const int pid = pool.with_transaction(
      [](pqxx::work& tx) { return tx.exec1("SELECT pg_backend_pid()")[0].as<int>(); });
  CHECK(pid != killed);
  CHECK(pool.stats().discarded == 1);
  CHECK(server().psql("SELECT count(*) FROM broken_probe") == "0");
}

TEST_CASE("pg pool: with_transaction commits, returns f's value, rolls back on exceptions") {
  Pool pool(server().url(), {.size = 2});
  pool.with_transaction([](pqxx::work& tx) {
    tx.exec("CREATE TABLE IF NOT EXISTS tx_probe (k text PRIMARY KEY)");
  });
  const auto inserted = pool.with_transaction([](pqxx::work& tx) {
    return tx.exec_params("INSERT INTO tx_probe VALUES ($1), ($2)", "a", "b").affected_rows();
  });
  CHECK(inserted == 2);
  CHECK(server().psql("SELECT string_agg(k, ',' ORDER BY k) FROM tx_probe") == "a,b");

  // The server's own error type reaches the caller, and the transaction is undone.
  CHECK_THROWS_AS(pool.with_transaction([](pqxx::work& tx) {
    tx.exec_params("INSERT INTO tx_probe VALUES ($1)", "c");
    tx.exec_params("INSERT INTO tx_probe VALUES ($1)", "a");
  }),
                  pqxx::unique_violation);
  CHECK_THROWS_AS(pool.with_transaction([](pqxx::work& tx) {
    tx.exec_params("INSERT INTO tx_probe VALUES ($1)", "d");
    throw std::logic_error("caller gave up");
  }),
                  std::logic_error);
  CHECK(server().psql("SELECT string_agg(k, ',' ORDER BY k) FROM tx_probe") == "a,b");
  CHECK(pool.stats().discarded == 0);  // SQL errors do not cost a connection
}

TEST_CASE("pg pool: ping reports an outage and recovers when the server is back") {
  Pool pool(server().url(), {.size = 2, .connect_timeout = 2s});
  CHECK_NOTHROW(pool.ping(2s));

  server().stop();
  try {
    pool.ping(2s);
    FAIL("ping succeeded with the server down");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.transient());
    CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
  }
  server().start();
  CHECK_NOTHROW(pool.ping(2s));
}

TEST_CASE("pg pool: wait_until_reachable returns once the database answers, and gives up after the wait with the password masked") {
  std::vector<std::string> lines;
  atlas::Logger logger("pg_pool_test", atlas::LogLevel::info, atlas::LogFormat::json,
                       nullptr, [&](std::string_view line) { lines.emplace_back(line); });
  const auto waiting = [&] {
    return std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
      return l.find("waiting for the database") != std::string::npos;
    });
  };

  Pool up(server().url(), {.size = 1});
  CHECK_NOTHROW(up.wait_until_reachable(2s, logger));
  CHECK(waiting() == 0);

  ClosedPort closed;
  const std::string secret = "TopS3cret-pw";
  Pool down("postgresql://atlas:" + secret + "@127.0.0.1:" + std::to_string(closed.port()) + "/atlas",
            {.size = 1, .connect_timeout = 1s});
  const auto started = std::chrono::steady_clock::now();
  try {
    down.wait_until_reachable(1200ms, logger);
    FAIL("wait_until_reachable returned with nothing listening");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find("is not reachable") != std::string::npos);
    CHECK(message.find("DATABASE_URL") != std::string::npos);
    CHECK(message.find(secret) == std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - started >= 1200ms);  // it kept trying for the whole wait
  CHECK(waiting() == 1);  // announced once, not on every attempt
  for (const std::string& line : lines) CHECK(line.find(secret) == std::string::npos);
}

TEST_CASE("pg pool: connection errors never show the password") {
  ClosedPort closed;
  const std::string secret = "TopS3cret-pw";

  SUBCASE("unreachable server") {
    const auto e = connect_error("postgresql://atlas:" + secret + "@127.0.0.1:" +
                                 std::to_string(closed.port()) + "/atlas");
    CHECK(e.kind() == ErrorKind::connect);
    const std::string message = e.what();
    CHECK(message.find(secret) == std::string::npos);
    CHECK(message.find("postgresql://atlas:[REDACTED]@127.0.0.1:" + std::to_string(closed.port())) !=
          std::string::npos);
    CHECK(message.find("DATABASE_URL") != std::string::npos);
  }
  SUBCASE("malformed URI that libpq echoes") {
    const auto e = connect_error("postgresql://atlas:" + secret + "@[::1/atlas");
    CHECK(std::string(e.what()).find(secret) == std::string::npos);
  }
  SUBCASE("percent-encoded password and a password parameter") {
    const auto e = connect_error("postgresql://atlas:TopS3cret%2Dpw@127.0.0.1:" +
                                 std::to_string(closed.port()) + "/atlas?password=Other-S3cret");
    const std::string message = e.what();
    CHECK(message.find("TopS3cret") == std::string::npos);
    CHECK(message.find("Other-S3cret") == std::string::npos);
  }
  SUBCASE("keyword/value connection string") {
    const auto e = connect_error("host=127.0.0.1 port=" + std::to_string(closed.port()) +
                                 " password=" + secret + " dbname=atlas");
    CHECK(std::string(e.what()).find(secret) == std::string::npos);
  }
}

TEST_CASE("pg pool: a pool of zero connections is a configuration error") {
  try {
    Pool pool(server().url(), {.size = 0});
    FAIL("a pool of size 0 was accepted");
  } catch (const atlas::pg::Error& e) {
    CHECK(e.kind() == ErrorKind::config);
  }
}
