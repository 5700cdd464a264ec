#pragma once
// A small fixed-size pool of libpqxx connections.
//
//   atlas::pg::Pool pool(database_url, {.size = 4});
//   pool.with_transaction([&](pqxx::work& tx) { tx.exec_params("INSERT ...", id); });
//   auto lease = pool.lease(std::chrono::seconds(2));   // or hold a connection yourself
//   pqxx::nontransaction(lease.connection()).exec("SELECT 1");
//
// Connections are opened lazily, when a lease finds no idle open one. A lease
// waits at most its timeout for a free connection. A connection found broken
// (pqxx::broken_connection while leased, !is_open(), or a server-side close
// noticed when it is handed out) is discarded and a fresh one opened for the
// next lease; the pool never retries a caller's work by itself.
//
// Thread-safe. The pool must outlive its leases.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/transaction>

#include "atlas/log.hpp"
#include "atlas/pg/error.hpp"

namespace atlas::pg {

struct PoolOptions {
  std::size_t size = 4;                             // connections at most
  std::chrono::seconds connect_timeout{5};          // unless the URL sets connect_timeout
  std::chrono::milliseconds lease_timeout{5000};    // default wait for a free connection
};

struct PoolStats {
  std::size_t size = 0;      // configured maximum
  std::size_t open = 0;      // connections currently open (idle or leased)
  std::size_t leased = 0;    // connections handed out right now
  std::uint64_t opened = 0;     // connections opened since start
  std::uint64_t discarded = 0;  // broken connections thrown away since start
};

class Pool {
 public:
  // A leased connection, returned to the pool on destruction. Move-only.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    [[nodiscard]] pqxx::connection& connection() { return *conn_; }
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

    // Tells the pool not to reuse this connection (say, after catching
    // pqxx::broken_connection yourself). Connections that are no longer open
    // are discarded anyway.
    void mark_broken() { broken_ = true; }

   private:
    friend class Pool;
    Lease(Pool* pool, std::size_t slot, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), slot_(slot), conn_(std::move(conn)) {}
    void release() noexcept;

    Pool* pool_;
    std::size_t slot_;
    std::unique_ptr<pqxx::connection> conn_;
    bool broken_ = false;
  };

  // Throws Error(config) when options.size is 0. Does not connect.
  explicit Pool(std::string conninfo, PoolOptions options = {});
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  // Waits up to `timeout` for a free connection, opening one if needed.
  // Throws Error(pool_exhausted) when none frees up in time, Error(connect)
  // when a connection cannot be opened.
  [[nodiscard]] Lease lease(std::chrono::milliseconds timeout);
  [[nodiscard]] Lease lease() { return lease(options_.lease_timeout); }

  // Runs f(pqxx::work&) on a leased connection and commits; returns what f
  // returns. A broken connection becomes Error(connection_lost) (nothing was
  // committed) or Error(commit_unknown) (it broke during COMMIT), and the
  // connection is discarded. Anything else f or the server throws (for
  // instance pqxx::unique_violation) propagates unchanged and rolls back.
  template <class F>
  auto with_transaction(F&& f) {
    using Result = std::invoke_result_t<F&, pqxx::work&>;
    Lease held = lease();
    try {
      pqxx::work tx(held.connection());
      if constexpr (std::is_void_v<Result>) {
        f(tx);
        tx.commit();
      } else {
        Result result = f(tx);
        tx.commit();
        return result;
      }
    } catch (const pqxx::broken_connection& e) {
      held.mark_broken();
      throw lost_connection_error(e);
    } catch (const pqxx::in_doubt_error& e) {
      held.mark_broken();
      throw in_doubt_error(e);
    } catch (const pqxx::failure& e) {
      // A backend killed mid-transaction may surface as an SQL error
      // ("terminating connection due to administrator command").
      if (held.connection().is_open()) throw;
      held.mark_broken();
      throw lost_connection_error(e);
    }
  }

  // Readiness check: leases a connection and runs SELECT 1. Throws Error
  // (connect, pool_exhausted or connection_lost) when the database is not usable.
  void ping(std::chrono::milliseconds timeout);
  // Start-up: ping() every 500 ms until it succeeds, for at most `wait`;
  // the first failure is logged once ("waiting for the database"). Throws
  // std::runtime_error naming the database (password masked) when `wait`
  // passes without an answer.
  void wait_until_reachable(std::chrono::milliseconds wait, Logger& logger);

  [[nodiscard]] PoolStats stats() const;
  // The connection string with its password masked, for logs.
  [[nodiscard]] const std::string& display_name() const { return display_; }
  // `text` with the connection string's password masked.
  [[nodiscard]] std::string redact(std::string_view text) const;

 private:
  struct Slot {
    std::unique_ptr<pqxx::connection> idle;  // null when never opened, discarded or leased
    bool leased = false;
  };

  [[nodiscard]] std::unique_ptr<pqxx::connection> open_connection() const;
  void give_back(std::size_t slot, std::unique_ptr<pqxx::connection> conn, bool broken) noexcept;
  [[nodiscard]] Error lost_connection_error(const std::exception& e) const;
  [[nodiscard]] Error in_doubt_error(const std::exception& e) const;

  const std::string conninfo_;  // with connect_timeout added
  const std::string display_;
  const PoolOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<Slot> slots_;
  std::uint64_t opened_ = 0;
  std::uint64_t discarded_ = 0;
};

}  // namespace atlas::pg
