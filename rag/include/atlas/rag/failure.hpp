#pragma once
// Errors classified once, at the boundary, into the few kinds the gateway
// answers differently (STYLE 5): the HTTP status, the metric label and the
// job error all come from here.
#include <string>
#include <string_view>

namespace atlas::rag {

enum class FailureKind {
  bad_request,  // the client's input: 400
  unavailable,  // the database is down, busy or dropped the connection: 503
  timeout,      // a statement ran past its statement_timeout: 503
  internal,     // anything else (a bug, an unexpected SQL error): 500
};

struct Failure {
  FailureKind kind = FailureKind::internal;
  std::string reason;  // for the client and the log; never contains a password
};

// Classifies the exception being handled: call it only inside a catch block.
// BadRequest -> bad_request; atlas::pg::Error that is transient() or
// commit_unknown, pqxx::broken_connection, and SQL states of classes 08
// (connection), 53 (resources) and 57P (shutdown) -> unavailable; SQL state
// 57014 (statement timeout) -> timeout; everything else -> internal.
[[nodiscard]] Failure classify_current_exception();

[[nodiscard]] int http_status(FailureKind kind);
[[nodiscard]] std::string_view to_string(FailureKind kind);

}  // namespace atlas::rag
