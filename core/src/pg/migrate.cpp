#include "atlas/pg/migrate.hpp"

#include <pqxx/errorhandler>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include "atlas/pg/error.hpp"
#include "atlas/pg/pool.hpp"

namespace atlas::pg {
namespace {

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS public.atlas_schema_migrations (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  checksum   text        NOT NULL,  -- sha256 of the file, lowercase hex
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

constexpr const char* kSelectApplied =
    "SELECT version, name, checksum, applied_at::text FROM public.atlas_schema_migrations "
    "ORDER BY version";

// Server notices ("relation ... already exists, skipping", "wal_level is
// insufficient ...") go to the log instead of libpqxx's default, stderr.
class NoticesToLog final : public pqxx::errorhandler {
 public:
  NoticesToLog(pqxx::connection& conn, Logger& log) : pqxx::errorhandler(conn), log_(log) {}

  bool operator()(const char message[]) noexcept override {
    try {
      std::string text(message);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      if (text.starts_with("WARNING:")) {
        log_.warn("PostgreSQL warning during migration", {{"notice", text}});
      } else {
        log_.debug("PostgreSQL notice during migration", {{"notice", text}});
      }
    } catch (...) {
      // A notice must never break a migration.
    }
    return false;  // handled: not passed on to the default stderr handler
  }

 private:
  Logger& log_;
};

// Holds pg_advisory_lock(kMigrationLockKey) for its lifetime.
class MigrationLock {
 public:
  MigrationLock(pqxx::connection& conn, std::chrono::milliseconds timeout) : conn_(conn) {
    pqxx::nontransaction tx(conn_);
    tx.exec("SELECT set_config('lock_timeout', '" + std::to_string(timeout.count()) +
            "ms', false)");
    try {
      tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
    } catch (const pqxx::sql_error& e) {
      tx.exec("RESET lock_timeout");
      if (e.sqlstate() == "55P03") {  // lock_not_available
        throw Error(ErrorKind::migration,
                    "another process has held the Atlas migration lock for more than " +
                        std::to_string(timeout.count()) +
                        " ms: wait for it to finish, or find it with SELECT pid FROM pg_locks "
                        "WHERE locktype = 'advisory' AND objid = " +
                        std::to_string(kMigrationLockKey & 0xffffffff));
      }
      throw;
    }
    tx.exec("RESET lock_timeout");
    backend_pid_ = conn_.backendpid();
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

  ~MigrationLock() {
    try {
      if (conn_.is_open() && conn_.backendpid() == backend_pid_) {
        pqxx::nontransaction tx(conn_);
        tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
      }
    } catch (...) {
      // The server drops a session's advisory locks when the session ends.
    }
  }

  // libpqxx 6 may silently reconnect a broken connection when a transaction
  // begins; the lock would then be gone. Call inside each transaction.
  void check_still_held() const {
    if (conn_.backendpid() != backend_pid_) {
      throw Error(ErrorKind::connection_lost,
                  "the PostgreSQL connection was re-established during migration, so the "
                  "migration lock was lost: run the migrations again");
    }
  }

 private:
  pqxx::connection& conn_;
  int backend_pid_ = 0;
};

std::vector<AppliedMigration> read_applied(pqxx::transaction_base& tx) {
  std::vector<AppliedMigration> out;
  for (const auto& row : tx.exec(kSelectApplied)) {
    AppliedMigration a;
    a.version = row[0].as<int>();
    a.name = row[1].as<std::string>();
    a.checksum = row[2].as<std::string>();
    a.applied_at = row[3].as<std::string>();
    out.push_back(std::move(a));
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += "; ";
    out += item;
  }
  return out;
}

void apply_one(pqxx::connection& conn, const MigrationLock& lock, const Migration& m) {
  pqxx::work tx(conn, "atlas_migration");
  lock.check_still_held();
  tx.exec(m.sql, m.name);
  tx.exec_params(
      "INSERT INTO public.atlas_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
      m.version, m.name, m.checksum);
  tx.commit();
}

// Runs `body`, turning libpqxx failures into atlas::pg::Error that say what
// was being done.
template <class F>
auto translated(const std::string& doing, F&& body) {
  try {
    return body();
  } catch (const Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw Error(ErrorKind::connection_lost,
                "lost the PostgreSQL connection while " + doing + ": " + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    throw Error(ErrorKind::commit_unknown,
                "lost the PostgreSQL connection while committing (" + doing + "): " + e.what() +
                    " (run the migrations again: each file is idempotent)");
  } catch (const pqxx::sql_error& e) {
    throw Error(ErrorKind::migration,
                "PostgreSQL failed while " + doing + ": " + e.what() +
                    (e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")"));
  } catch (const pqxx::failure& e) {
    throw Error(ErrorKind::migration, "libpqxx failed while " + doing + ": " + e.what());
  }
}

}  // namespace

MigrationSummary migrate(pqxx::connection& conn, const std::vector<Migration>& migrations,
                         Logger& log, MigrateOptions options) {
  NoticesToLog notices(conn, log);
  return translated("taking the migration lock", [&] {
    MigrationLock lock(conn, options.lock_timeout);
    const auto plan = translated("reading atlas_schema_migrations", [&] {
      pqxx::work tx(conn, "atlas_migration_plan");
      lock.check_still_held();
      tx.exec(kCreateMigrationsTable);
      auto applied = read_applied(tx);
      tx.commit();
      return plan_migrations(migrations, applied);
    });
    if (!plan.problems.empty()) {
      throw Error(ErrorKind::migration, joined(plan.problems));
    }
    for (const auto& unknown : plan.unknown) {
      log.warn("database has a migration this binary does not know; it is newer than this binary",
               {{"migration", unknown.name}, {"version", unknown.version}});
    }

    MigrationSummary summary;
    summary.already_applied = plan.already_applied;
    for (const auto& m : plan.pending) {
      const auto started = std::chrono::steady_clock::now();
      translated("applying migration " + m.name + " (rolled back; fix the file and run again)",
                 [&] { apply_one(conn, lock, m); });
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      log.info("applied migration", {{"migration", m.name},
                                     {"checksum", m.checksum},
                                     {"duration_ms", elapsed.count()}});
      summary.applied.push_back(m.name);
    }
    if (summary.applied.empty()) {
      log.info("database schema is up to date",
               {{"migrations", summary.already_applied}});
    }
    return summary;
  });
}

MigrationSummary migrate(Pool& pool, const std::vector<Migration>& migrations, Logger& log,
                         MigrateOptions options) {
  auto lease = pool.lease();
  try {
    return migrate(lease.connection(), migrations, log, options);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::connection_lost || e.kind() == ErrorKind::commit_unknown) {
      lease.mark_broken();
    }
    throw;
  }
}

MigrationStatus status(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  return translated("reading atlas_schema_migrations", [&] {
    pqxx::read_transaction tx(conn, "atlas_migration_status");
    std::vector<AppliedMigration> applied;
    const auto exists =
        tx.exec1("SELECT to_regclass('public.atlas_schema_migrations') IS NOT NULL")[0].as<bool>();
    if (exists) applied = read_applied(tx);
    tx.commit();

    const auto plan = plan_migrations(migrations, applied);
    MigrationStatus s;
    s.applied = std::move(applied);
    for (const auto& m : plan.pending) s.pending.push_back(m.name);
    for (const auto& u : plan.unknown) s.unknown.push_back(u.name);
    s.problems = plan.problems;
    return s;
  });
}

MigrationStatus status(Pool& pool, const std::vector<Migration>& migrations) {
  auto lease = pool.lease();
  try {
    return status(lease.connection(), migrations);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::connection_lost) lease.mark_broken();
    throw;
  }
}

}  // namespace atlas::pg
