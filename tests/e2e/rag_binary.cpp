// The atlas-rag binary driven from outside: configuration errors, start-up
// without a database, serving and indexing with index_repo.sh, secrets kept
// out of the log, and a clean exit on SIGTERM.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "log_lines.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The port from the "atlas-rag listening" log line, or 0.
int listening_port(const std::string& log) {
  return atlas::test::logged_port(log, "atlas-rag listening");
}

std::map<std::string, std::string> base_env(const std::string& database_url) {
  return {{"DATABASE_URL", database_url}, {"RAG_PORT", "0"},      {"RAG_HOST", "127.0.0.1"},
          {"RAG_DOCS_CONSUMER", "false"}, {"LOG_FORMAT", "json"}, {"LOG_LEVEL", "info"}};
}

}  // namespace

TEST_CASE("atlas-rag binary: bad configuration exits 2 naming the variable") {
  atlas::test::TempDir dir("e2e-rag");
  auto env = base_env("postgresql://127.0.0.1:1/none");
  env["RAG_CHUNK_SIZE"] = "100";
  env["RAG_CHUNK_OVERLAP"] = "100";
  env["RAG_PORT"] = "99999";
  atlas::test::ChildProcess rag(atlas::test::binary("atlas-rag"), {}, env, dir.path());
  const auto status = rag.wait_for_exit(10s);
  REQUIRE(status.has_value());
  CHECK(status->exited);
  CHECK(status->code == 2);
  const std::string err = rag.stderr_text();
  CHECK(err.find("RAG_PORT") != std::string::npos);
  CHECK(err.find("RAG_CHUNK_OVERLAP") != std::string::npos);
  CHECK(err.find("must be smaller than chunk size") != std::string::npos);
}

TEST_CASE("atlas-rag binary: an unreachable database at start-up exits 1 saying what to check") {
  atlas::test::TempDir dir("e2e-rag");
  auto env = base_env("postgresql://atlas:hunter2secret@127.0.0.1:1/none");
  env["RAG_STARTUP_DB_WAIT_S"] = "1";
  atlas::test::ChildProcess rag(atlas::test::binary("atlas-rag"), {}, env, dir.path());
  const auto status = rag.wait_for_exit(20s);
  REQUIRE(status.has_value());
  CHECK(status->code == 1);
  const std::string err = rag.stderr_text();
  CHECK(err.find("check DATABASE_URL") != std::string::npos);
  CHECK(err.find("hunter2secret") == std::string::npos);
}

TEST_CASE("atlas-rag binary: serves, indexes with index_repo.sh, answers, stops on SIGTERM") {
  atlas::test::PgFixture pg;
  atlas::test::TempDir dir("e2e-rag");
  // A password in the URL (ignored by the fixture's trust auth) must never be logged.
  std::string url = pg.url();
  url.replace(url.find("postgres@"), 9, "postgres:s3cretpassw0rd@");
  atlas::test::ChildProcess rag(atlas::test::binary("atlas-rag"), {}, base_env(url), dir.path());
  int port = 0;
  REQUIRE_MESSAGE(atlas::test::wait_until(
                      [&] { return (port = listening_port(rag.stderr_text())) > 0; }, 20s),
                  rag.stderr_text());
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  atlas::http::Client client;
  const auto get = [&](const std::string& path) {
    atlas::http::ClientRequest r;
    r.url = base + path;
    return client.send(std::move(r)).get();
  };
  CHECK(get("/healthz").status == 200);
  CHECK(atlas::test::wait_until([&] { return get("/readyz").status == 200; }, 10s));

  atlas::test::TempDir docs("e2e-rag-docs");
  std::ofstream(docs.file("alpha.md")) << "The heliotrope garden plan lists perennial beds.\n";
  std::ofstream(docs.file("beta.txt")) << "Deployment notes for the lighthouse service.\n";
  std::ofstream(docs.file("image.bin"), std::ios::binary) << std::string("\x89PNG\0\0", 6);
  atlas::test::ChildProcess index(
      "/bin/bash",
      {atlas::test::source_dir() + "/scripts/index_repo.sh", "-u", base, "-p", "notes/", docs.path()},
      {}, dir.path());
  const auto indexed = index.wait_for_exit(60s);
  REQUIRE(indexed.has_value());
  INFO(index.stderr_text());
  CHECK(indexed->code == 0);
  CHECK(index.stdout_text().find("files: 2 sent in 1 batch(es), 1 skipped") != std::string::npos);
  CHECK(index.stdout_text().find("documents: 2 indexed, 0 unchanged, 0 failed") != std::string::npos);

  atlas::http::ClientRequest q;
  q.method = "POST";
  q.url = base + "/v1/query_chat";
  q.body = R"({"query": "heliotrope garden", "top_k": 3})";
  const auto answer = client.send(std::move(q)).get();
  REQUIRE(answer.status == 200);
  const json results = json::parse(answer.body);
  REQUIRE(results.size() == 1);
  CHECK(results[0]["source"] == "notes/alpha.md");
  const std::string metrics = get("/metrics").body;
  CHECK(metrics.find("atlas_rag_queries_total{outcome=\"ok\"} 1") != std::string::npos);

  REQUIRE(rag.kill(SIGTERM));
  const auto status = rag.wait_for_exit(15s);
  REQUIRE(status.has_value());
  CHECK(status->ok());
  const std::string log = rag.stderr_text();
  CHECK(log.find("atlas-rag stopped") != std::string::npos);
  CHECK(log.find("s3cretpassw0rd") == std::string::npos);
}
