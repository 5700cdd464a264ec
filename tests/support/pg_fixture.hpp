#pragma once
// A private PostgreSQL server for one test process.
//
//   atlas::test::PgFixture pg;             // initdb + pg_ctl start, ~1-2 s
//   atlas::pg::Pool pool(pg.url());
//   CHECK(pg.psql("SELECT 1") == "1");
//
// The cluster lives in a fresh temp dir (removed afterwards), listens on a
// free TCP port of 127.0.0.1 and on a unix socket inside that dir, trusts
// local connections, and trades durability for speed (fsync, full-page writes
// and synchronous commit off). wal_level=logical so publications work. When
// the tests run as root the server runs as the `postgres` user (PostgreSQL
// refuses root). A watchdog stops the server and removes the dir should the
// test process die without running the destructor.
#include <atomic>
#include <string>

namespace atlas::test {

class PgFixture {
 public:
  // Starts the server and creates `database`. `extra_settings` are appended
  // to postgresql.conf after the fixture's own (one "name = value" a line),
  // so they override them: benchmarks size shared_buffers like a server.
  // Throws std::runtime_error with the server log when it cannot.
  explicit PgFixture(std::string database = "atlas", const std::string& extra_settings = "");
  PgFixture(const PgFixture&) = delete;
  PgFixture& operator=(const PgFixture&) = delete;
  ~PgFixture();  // pg_ctl stop -m immediate, then removes the temp dir

  // "postgresql://postgres@127.0.0.1:PORT/atlas"
  [[nodiscard]] const std::string& url() const { return url_; }
  // The same server, another database.
  [[nodiscard]] std::string url_for(const std::string& database) const;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& data_dir() const { return data_dir_; }
  [[nodiscard]] const std::string& bin_dir() const { return bin_dir_; }

  // Runs `sql` with psql -v ON_ERROR_STOP=1 (unaligned, tuples only) against
  // the fixture's database; returns stdout without trailing newlines. Throws
  // std::runtime_error with psql's stderr on failure. Thread-safe.
  std::string psql(const std::string& sql) const;

  // Stops the server (immediate shutdown: connections drop) and starts it
  // again on the same port, for tests of outages and reconnection.
  void stop();
  void start();

 private:
  void start_on_free_port();
  bool try_start(int port);
  // Runs a shell command line for the server (initdb, pg_ctl) from inside the
  // temp dir, as the `postgres` user when root; returns its exit status.
  int run_as_server_user(const std::string& command) const;
  std::string server_log_tail() const;

  std::string bin_dir_;
  std::string root_dir_;  // the temp dir
  std::string data_dir_;
  std::string database_;
  std::string url_;
  int port_ = 0;
  bool running_ = false;
  mutable std::atomic<unsigned> psql_counter_{0};
};

}  // namespace atlas::test
