#pragma once
// Migration files and the decision of what to apply: pure code, no database.
//
// Files live in schema/sql/ and are named NNN_description.sql (three digits,
// then letters, digits, '_' or '-'). They are embedded into the binary at
// build time (embedded_migrations()), so a deployed binary carries its
// schema. Each is applied once, in version order, in its own transaction, and
// recorded with the SHA-256 of its bytes; an applied file must never change.
// Files must not contain transaction control (BEGIN/COMMIT) or statements that
// cannot run in a transaction (CREATE INDEX CONCURRENTLY).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atlas::pg {

// A file as found on disk or embedded: its base name and its bytes.
struct MigrationFile {
  std::string name;  // "001_channel_tables.sql"
  std::string sql;
};

struct Migration {
  int version = 0;       // 1 for "001_..."
  std::string name;      // file name, "001_channel_tables.sql"
  std::string sql;
  std::string checksum;  // sha256 of sql, lowercase hex
};

// A row of atlas_schema_migrations.
struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;  // as the server printed it; informational
};

// Lowercase hex SHA-256 of `bytes` (OpenSSL EVP).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

// The version of a well-formed migration file name ("001_x.sql" -> 1), or
// nullopt when the name does not match NNN_description.sql.
[[nodiscard]] std::optional<int> parse_migration_version(std::string_view file_name);

// Validates names, computes checksums and sorts by version. Throws
// atlas::pg::Error (migration) naming the file for a malformed name, an empty
// file, or two files sharing a version.
[[nodiscard]] std::vector<Migration> load_migrations(std::vector<MigrationFile> files);

// The migrations compiled into this binary from schema/sql/, loaded as above.
[[nodiscard]] std::vector<Migration> embedded_migrations();
// The raw embedded files (generated at build time; see embed_migrations.cmake).
[[nodiscard]] std::vector<MigrationFile> embedded_migration_files();

// What migrate() would do against a database that has `applied`.
struct MigrationPlan {
  std::vector<Migration> pending;          // not applied yet, in version order
  std::size_t already_applied = 0;         // files whose version is recorded
  std::vector<AppliedMigration> unknown;   // recorded, but no such file here (newer schema)
  std::vector<std::string> problems;       // changed files: migrate() refuses to run
};

[[nodiscard]] MigrationPlan plan_migrations(const std::vector<Migration>& files,
                                            const std::vector<AppliedMigration>& applied);

}  // namespace atlas::pg
