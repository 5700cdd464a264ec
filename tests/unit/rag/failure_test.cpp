#include <doctest/doctest.h>

#include <pqxx/except>

#include "atlas/pg/error.hpp"
#include "atlas/rag/bad_request.hpp"
#include "atlas/rag/failure.hpp"

using atlas::rag::FailureKind;

namespace {
template <class E>
atlas::rag::Failure classify(E e) {
  try {
    throw e;
  } catch (...) {
    return atlas::rag::classify_current_exception();
  }
}
}  // namespace

TEST_CASE("failures: classified once into status codes") {
  CHECK(classify(atlas::rag::BadRequest("nope")).kind == FailureKind::bad_request);
  CHECK(classify(atlas::rag::BadRequest("nope")).reason == "nope");
  CHECK(classify(atlas::pg::Error(atlas::pg::ErrorKind::connect, "down")).kind ==
        FailureKind::unavailable);
  CHECK(classify(atlas::pg::Error(atlas::pg::ErrorKind::pool_exhausted, "busy")).kind ==
        FailureKind::unavailable);
  CHECK(classify(atlas::pg::Error(atlas::pg::ErrorKind::migration, "bad")).kind ==
        FailureKind::internal);
  CHECK(classify(pqxx::sql_error("cancel", "SELECT", "57014")).kind == FailureKind::timeout);
  CHECK(classify(pqxx::sql_error("gone", "SELECT", "08006")).kind == FailureKind::unavailable);
  CHECK(classify(pqxx::sql_error("shutdown", "SELECT", "57P01")).kind == FailureKind::unavailable);
  const auto syntax = classify(pqxx::sql_error("oops", "SELECT secret text", "42601"));
  CHECK(syntax.kind == FailureKind::internal);
  CHECK(syntax.reason.find("secret") == std::string::npos);  // statement text never leaks
  CHECK(classify(pqxx::broken_connection("lost")).kind == FailureKind::unavailable);
  CHECK(classify(std::runtime_error("x")).kind == FailureKind::internal);
  CHECK(classify(42).kind == FailureKind::internal);
  CHECK(atlas::rag::http_status(FailureKind::bad_request) == 400);
  CHECK(atlas::rag::http_status(FailureKind::unavailable) == 503);
  CHECK(atlas::rag::http_status(FailureKind::timeout) == 503);
  CHECK(atlas::rag::http_status(FailureKind::internal) == 500);
}
