#include "atlas/rag/failure.hpp"

#include <exception>

#include <pqxx/except>

#include "atlas/pg/error.hpp"
#include "atlas/rag/bad_request.hpp"

namespace atlas::rag {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Failure classify_current_exception() {
  try {
    throw;
  } catch (const BadRequest& e) {
    return {FailureKind::bad_request, e.what()};
  } catch (const pg::Error& e) {
    // Pool errors are already redacted (no password in the message).
    const bool down = e.transient() || e.kind() == pg::ErrorKind::commit_unknown;
    return {down ? FailureKind::unavailable : FailureKind::internal,
            std::string("database: ") + e.what()};
  } catch (const pqxx::broken_connection&) {
    return {FailureKind::unavailable, "database: the connection was lost"};
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    if (state == "57014") {
      return {FailureKind::timeout, "database: the statement timed out"};
    }
    if (starts_with(state, "08") || starts_with(state, "53") || starts_with(state, "57P")) {
      return {FailureKind::unavailable, "database unavailable (SQLSTATE " + state + ")"};
    }
    // Statement text is not included: it may carry document text.
    return {FailureKind::internal, "database error (SQLSTATE " + state + ")"};
  } catch (const std::exception& e) {
    return {FailureKind::internal, e.what()};
  } catch (...) {
    return {FailureKind::internal, "unknown error"};
  }
}

int http_status(FailureKind kind) {
  switch (kind) {
    case FailureKind::bad_request: return 400;
    case FailureKind::unavailable: return 503;
    case FailureKind::timeout: return 503;
    case FailureKind::internal: return 500;
  }
  return 500;
}

std::string_view to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::bad_request: return "bad_request";
    case FailureKind::unavailable: return "unavailable";
    case FailureKind::timeout: return "timeout";
    case FailureKind::internal: return "internal";
  }
  return "internal";
}

}  // namespace atlas::rag
