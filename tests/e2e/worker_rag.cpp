// The worker's RAG client and the reference gateway agree end to end
// (issues 3 and 5): atlas-rag indexes a document set with index_repo.sh, the
// worker queries it with RAG_URL, applies the relevancy threshold and
// collapse-by-file, and the retrieved chunks reach the model's prompt with
// their sources and metadata.rag.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "log_lines.hpp"
#include "test_paths.hpp"
#include "worker_stack.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using atlas::test::Stack;

namespace {

// The port from the "atlas-rag listening" log line, or 0.
int listening_port(const std::string& log) {
  return atlas::test::logged_port(log, "atlas-rag listening");
}

}  // namespace

TEST_CASE("worker + atlas-rag: indexed documents reach the prompt and metadata.rag names them") {
  Stack stack;
  atlas::test::TempDir dir("e2e-worker-rag");
  atlas::test::ChildProcess rag(atlas::test::binary("atlas-rag"), {},
                                {{"DATABASE_URL", stack.pg.url()},
                                 {"RAG_PORT", "0"},
                                 {"RAG_HOST", "127.0.0.1"},
                                 {"RAG_DOCS_CONSUMER", "false"},
                                 {"LOG_LEVEL", "info"}},
                                dir.path());
  int port = 0;
  REQUIRE_MESSAGE(atlas::test::wait_until(
                      [&] { return (port = listening_port(rag.stderr_text())) > 0; }, 30s),
                  rag.stderr_text());
  const std::string rag_url = "http://127.0.0.1:" + std::to_string(port);

  // Two files about the request, one that is not.
  atlas::test::TempDir docs("e2e-worker-rag-docs");
  std::ofstream(docs.file("ci.md"))
      << "# Continuous integration\n\nThe minimal CI pipeline runs on every push: it builds the "
         "code, runs the unit tests, caches dependencies and publishes a container image.\n";
  std::ofstream(docs.file("deploy.md"))
      << "# Deployment\n\nThe pipeline deploys the container image with a rolling update after "
         "the CI pipeline passes.\n";
  std::ofstream(docs.file("garden.md")) << "# Garden\n\nHeliotrope beds need full sun.\n";
  atlas::test::ChildProcess index("/bin/bash",
                                  {atlas::test::source_dir() + "/scripts/index_repo.sh", "-u",
                                   rag_url, "-p", "handbook/", docs.path()},
                                  {}, dir.path());
  const auto indexed = index.wait_for_exit(60s);
  REQUIRE(indexed.has_value());
  REQUIRE_MESSAGE(indexed->code == 0, index.stderr_text());

  stack.env["RAG_URL"] = rag_url;
  stack.start_worker("w1");
  const std::string id = stack.publish_chat("Design a minimal CI pipeline with a container image");
  const json reply = stack.await_replies(id).front();
  REQUIRE(reply["metadata"]["status"] == "done");
  const json& rag_meta = reply["metadata"]["rag"];
  CHECK(rag_meta["status"] == "ok");
  CHECK(rag_meta["cache_hit"] == false);
  const auto sources = rag_meta["sources"].get<std::vector<std::string>>();
  REQUIRE_FALSE(sources.empty());
  CHECK(sources.front() == "handbook/ci.md");
  CHECK(std::find(sources.begin(), sources.end(), "handbook/garden.md") == sources.end());
  // collapse_by_file: one chunk per file at most.
  CHECK(std::set<std::string>(sources.begin(), sources.end()).size() == sources.size());

  // The model saw the retrieved text with its source.
  const json calls = stack.fake.calls("/v1/chat/completions");
  REQUIRE(calls.size() == 1);
  const std::string prompt = calls[0]["body"]["messages"].dump();
  CHECK(prompt.find("caches dependencies") != std::string::npos);
  CHECK(prompt.find("handbook/ci.md") != std::string::npos);
  CHECK(prompt.find("Heliotrope") == std::string::npos);
}
