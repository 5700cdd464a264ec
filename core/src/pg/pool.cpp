#include "atlas/pg/pool.hpp"

#include <poll.h>

#include <stdexcept>
#include <thread>

#include <pqxx/nontransaction>
#include <pqxx/result>

#include "atlas/pg/conninfo.hpp"

namespace atlas::pg {
namespace {

constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);

// libpq messages span lines ("...refused\n\tIs the server running..."); log
// lines and exception texts read better on one.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// A connection the server closed (pg_terminate_backend, restart, idle
// timeout) still reports is_open() until libpq reads from the socket. Reading
// what is pending, without a round trip, notices the close: the first read
// takes the server's farewell message, the next one the end of the stream.
bool still_usable(pqxx::connection& conn) noexcept {
  try {
    for (int reads = 0; reads < 4 && conn.is_open(); ++reads) {
      pollfd pending{conn.sock(), POLLIN, 0};
      if (::poll(&pending, 1, 0) <= 0) break;  // the server has said nothing since
      conn.get_notifs();                       // throws broken_connection at end of stream
    }
  } catch (...) {
    return false;
  }
  return conn.is_open();
}

}  // namespace

// --- Lease -------------------------------------------------------------------

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      slot_(other.slot_),
      conn_(std::move(other.conn_)),
      broken_(other.broken_) {}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = other.slot_;
    conn_ = std::move(other.conn_);
    broken_ = other.broken_;
  }
  return *this;
}

Pool::Lease::~Lease() { release(); }

void Pool::Lease::release() noexcept {
  if (pool_ == nullptr) return;
  pool_->give_back(slot_, std::move(conn_), broken_);
  pool_ = nullptr;
}

// --- Pool --------------------------------------------------------------------

Pool::Pool(std::string conninfo, PoolOptions options)
    : conninfo_(with_connect_timeout(conninfo, options.connect_timeout)),
      display_(redact_conninfo(conninfo, conninfo)),
      options_(options) {
  if (options_.size == 0) {
    throw Error(ErrorKind::config, "PostgreSQL pool size is 0: it must be at least 1");
  }
  slots_.resize(options_.size);
}

Pool::~Pool() = default;

std::string Pool::redact(std::string_view text) const { return redact_conninfo(text, conninfo_); }

std::unique_ptr<pqxx::connection> Pool::open_connection() const {
  try {
    return std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::connect, "cannot connect to PostgreSQL at " + display_ + ": " +
                                        one_line(redact(e.what())) +
                                        " (check DATABASE_URL and that the server is running "
                                        "and reachable)");
  }
}

Pool::Lease Pool::lease(std::chrono::milliseconds timeout) {
  std::size_t slot = kNoSlot;
  std::unique_ptr<pqxx::connection> conn;
  {
    std::unique_lock lock(mutex_);
    const auto pick = [&] {
      // An idle open connection first; otherwise a slot that has none yet.
      slot = kNoSlot;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].leased) continue;
        if (slots_[i].idle) {
          slot = i;
          return true;
        }
        if (slot == kNoSlot) slot = i;
      }
      return slot != kNoSlot;
    };
    if (!freed_.wait_for(lock, timeout, pick)) {
      throw Error(ErrorKind::pool_exhausted,
                  "no PostgreSQL connection free within " + std::to_string(timeout.count()) +
                      " ms (pool size " + std::to_string(slots_.size()) +
                      "): every connection is leased; look for long transactions or raise the "
                      "pool size");
    }
    slots_[slot].leased = true;
    conn = std::move(slots_[slot].idle);
  }

  // The slot is ours now; check or open its connection outside the lock so
  // other callers are not held up by a slow connect.
  bool discarded = false;
  if (conn && !still_usable(*conn)) {
    conn.reset();
    discarded = true;
  }
  bool opened = false;
  if (!conn) {
    try {
      conn = open_connection();
      opened = true;
    } catch (...) {
      std::lock_guard lock(mutex_);
      slots_[slot].leased = false;
      if (discarded) ++discarded_;
      freed_.notify_one();
      throw;
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (discarded) ++discarded_;
    if (opened) ++opened_;
  }
  return Lease(this, slot, std::move(conn));
}

void Pool::give_back(std::size_t slot, std::unique_ptr<pqxx::connection> conn,
                     bool broken) noexcept {
  const bool keep = conn && !broken && conn->is_open();
  std::unique_ptr<pqxx::connection> doomed;
  {
    std::lock_guard lock(mutex_);
    if (keep) {
      slots_[slot].idle = std::move(conn);
    } else {
      doomed = std::move(conn);
      ++discarded_;
    }
    slots_[slot].leased = false;
  }
  freed_.notify_one();
  // `doomed` (and `conn` if moved-from) close here, outside the lock.
}

void Pool::ping(std::chrono::milliseconds timeout) {
  Lease held = lease(timeout);
  try {
    pqxx::nontransaction tx(held.connection());
    tx.exec("SELECT 1");
  } catch (const pqxx::broken_connection& e) {
    held.mark_broken();
    throw lost_connection_error(e);
  } catch (const std::exception& e) {
    held.mark_broken();
    throw Error(ErrorKind::connection_lost,
                "PostgreSQL at " + display_ + " did not answer SELECT 1: " + one_line(redact(e.what())));
  }
}

void Pool::wait_until_reachable(std::chrono::milliseconds wait, Logger& logger) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool announced = false;
  for (;;) {
    try {
      ping(std::chrono::seconds(5));
      return;
    } catch (const std::exception& e) {
      const std::string reason = redact(e.what());
      if (std::chrono::steady_clock::now() >= deadline) {
        throw std::runtime_error("database " + display_ + " is not reachable (" + reason +
                                 "): check DATABASE_URL and that PostgreSQL is running");
      }
      if (!announced) {
        logger.warn("waiting for the database", {{"database", display_}, {"error", reason}});
        announced = true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats s;
  s.size = slots_.size();
  for (const auto& slot : slots_) {
    if (slot.leased) {
      ++s.leased;
      ++s.open;
    } else if (slot.idle) {
      ++s.open;
    }
  }
  s.opened = opened_;
  s.discarded = discarded_;
  return s;
}

Error Pool::lost_connection_error(const std::exception& e) const {
  return Error(ErrorKind::connection_lost,
               "lost the PostgreSQL connection to " + display_ + ": " + one_line(redact(e.what())) +
                   " (the transaction was rolled back; the connection is replaced on the next "
                   "lease)");
}

Error Pool::in_doubt_error(const std::exception& e) const {
  return Error(ErrorKind::commit_unknown,
               "lost the PostgreSQL connection to " + display_ + " during COMMIT: " +
                   one_line(redact(e.what())) +
                   " (the transaction may or may not have been committed; check before retrying)");
}

}  // namespace atlas::pg
