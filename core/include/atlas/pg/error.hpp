#pragma once
// The one exception type the PostgreSQL adapter throws for its own failures
// (connecting, pool exhaustion, lost connections, migrations). Its message
// never contains a password: everything that might echo DATABASE_URL passes
// through redact_conninfo() first. SQL errors raised by the caller's own
// statements inside Pool::with_transaction are left as pqxx::sql_error (and
// subclasses such as pqxx::unique_violation) so callers can branch on them.
#include <stdexcept>
#include <string>
#include <string_view>

namespace atlas::pg {

enum class ErrorKind {
  config,           // malformed connection string or pool options
  connect,          // could not open a connection
  pool_exhausted,   // no connection free within the lease timeout
  connection_lost,  // the connection broke while in use; the transaction rolled back
  commit_unknown,   // the connection broke during COMMIT: the outcome is unknown
  migration,        // bad migration files, changed checksum, lock timeout, failed SQL
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  [[nodiscard]] ErrorKind kind() const { return kind_; }
  // True when trying again later may succeed (server down, pool busy,
  // connection dropped). commit_unknown is not transient: a retry could apply
  // the work twice unless the caller's statements are idempotent.
  [[nodiscard]] bool transient() const {
    return kind_ == ErrorKind::connect || kind_ == ErrorKind::pool_exhausted ||
           kind_ == ErrorKind::connection_lost;
  }

 private:
  ErrorKind kind_;
};

std::string_view to_string(ErrorKind kind);

}  // namespace atlas::pg
