#pragma once
// Applies migrations (atlas/pg/migration.hpp) to a database, and reports
// which are applied. Used at start-up by every binary and by `atlasctl
// migrate`; status() by `atlasctl doctor`.
//
// migrate() holds a session advisory lock (kMigrationLockKey) while it works,
// so replicas starting together apply each file once, one after another.
// Applied versions are recorded in public.atlas_schema_migrations(version,
// name, checksum, applied_at).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "atlas/log.hpp"
#include "atlas/pg/migration.hpp"

namespace atlas::pg {

class Pool;

// pg_advisory_lock key: "ATLAS_MG" in ASCII.
inline constexpr std::int64_t kMigrationLockKey = 0x41544c41535f4d47;

struct MigrateOptions {
  // How long to wait for another process's migration lock before failing.
  std::chrono::milliseconds lock_timeout{60'000};
};

struct MigrationSummary {
  std::vector<std::string> applied;  // file names applied by this call, in order
  std::size_t already_applied = 0;   // files that were applied before
};

// Applies every pending migration of `migrations`, each in its own
// transaction. Throws Error(migration) naming the file when an applied file's
// checksum changed (nothing is applied then), when a file's SQL fails (that
// file is rolled back; earlier ones stay), or when the lock is not obtained
// within options.lock_timeout; pqxx::broken_connection when the connection
// drops. The connection is left with no lock held and default settings.
MigrationSummary migrate(pqxx::connection& conn, const std::vector<Migration>& migrations,
                         Logger& log, MigrateOptions options = {});
// The same on a leased connection (the lock is per session, so one connection
// is used throughout).
MigrationSummary migrate(Pool& pool, const std::vector<Migration>& migrations, Logger& log,
                         MigrateOptions options = {});

struct MigrationStatus {
  std::vector<AppliedMigration> applied;  // rows of atlas_schema_migrations, by version
  std::vector<std::string> pending;       // file names not applied yet
  std::vector<std::string> unknown;       // applied names with no file in this binary
  std::vector<std::string> problems;      // changed files (see plan_migrations)

  [[nodiscard]] bool up_to_date() const { return pending.empty() && problems.empty(); }
};

// Reads atlas_schema_migrations (absent table: nothing applied). Takes no lock
// and changes nothing.
MigrationStatus status(pqxx::connection& conn, const std::vector<Migration>& migrations);
MigrationStatus status(Pool& pool, const std::vector<Migration>& migrations);

}  // namespace atlas::pg
