// atlas-rag against a real PostgreSQL: the gateway runs in-process (the same
// Gateway object main() runs) on a free port, and is driven over HTTP with
// the project's client and with scripts/index_repo.sh.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "atlas/http/client.hpp"
#include "atlas/rag/gateway.hpp"
#include "devbus_fixture.hpp"
#include "pg_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

atlas::test::PgFixture& shared_server() {
  static atlas::test::PgFixture pg;
  return pg;
}

// A fresh database on `pg` for one test.
std::string fresh_database(atlas::test::PgFixture& pg) {
  static std::atomic<int> counter{0};
  const std::string name = "rag_" + std::to_string(++counter);
  pg.psql("CREATE DATABASE " + name);
  return pg.url_for(name);
}

atlas::rag::RagConfig test_config(const std::string& database_url) {
  atlas::rag::RagConfig c;
  c.common.database_url = database_url;
  c.host = "127.0.0.1";
  c.port = 0;
  c.docs_consumer = false;
  c.startup_db_wait = 10s;
  return c;
}

struct Reply {
  int status = 0;
  json body;
  atlas::http::ClientResponse raw;
};

// The gateway plus an HTTP client pointed at it.
class Rag {
 public:
  explicit Rag(atlas::rag::RagConfig config)
      : logger_("it_rag_gateway", atlas::test::test_log_level(atlas::LogLevel::warn)),
        gateway_(std::move(config), logger_) {
    gateway_.start();
    url_ = "http://127.0.0.1:" + std::to_string(gateway_.port());
  }

  [[nodiscard]] const std::string& url() const { return url_; }
  atlas::rag::Gateway& gateway() { return gateway_; }

  Reply call(const std::string& method, const std::string& path, const std::string& body = "") {
    atlas::http::ClientRequest request;
    request.method = method;
    request.url = url_ + path;
    request.body = body;
    request.timeout = 30s;
    if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
    Reply reply;
    reply.raw = client_.send(std::move(request)).get();
    REQUIRE_MESSAGE(reply.raw.transport_ok(), reply.raw.error_message);
    reply.status = reply.raw.status;
    reply.body = json::parse(reply.raw.body, nullptr, false);
    return reply;
  }

  Reply query(const json& request) { return call("POST", "/v1/query_chat", request.dump()); }

  // Posts a batch and waits for its job to finish; returns the job.
  json index(const json& batch, const std::string& query_string = "") {
    const Reply posted = call("POST", "/v1/embed_batch" + query_string, batch.dump());
    REQUIRE_MESSAGE(posted.status == 202, posted.raw.body);
    return wait_for_job(posted.body.at("job_id").get<std::string>());
  }

  json wait_for_job(const std::string& id) {
    json job;
    REQUIRE(atlas::test::wait_until(
        [&] {
          const Reply r = call("GET", "/v1/jobs/" + id);
          job = r.body;
          return r.status == 200 && (job["state"] == "done" || job["state"] == "failed");
        },
        60s, 20ms));
    return job;
  }

 private:
  atlas::Logger logger_;
  atlas::rag::Gateway gateway_;
  atlas::http::Client client_;
  std::string url_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Lower-cased plain words of `text`: whitespace-separated tokens that, once
// stripped of surrounding punctuation, are letters only (so identifiers such as
// -DATLAS_WERROR, which the full-text parser splits differently, are left out).
std::vector<std::string> words_of(const std::string& text, std::size_t min_length) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string token;
  const std::string punctuation = ",.;:!?()[]{}\"'`*";
  while (in >> token) {
    const std::size_t b = token.find_first_not_of(punctuation);
    const std::size_t e = token.find_last_not_of(punctuation);
    if (b == std::string::npos) continue;
    std::string word = token.substr(b, e - b + 1);
    if (word.size() < min_length) continue;
    if (!std::all_of(word.begin(), word.end(),
                     [](unsigned char c) { return std::isalpha(c) != 0; })) {
      continue;
    }
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back(word);
  }
  return out;
}

// Runs scripts/index_repo.sh with `args`; returns (exit code, stdout).
std::pair<int, std::string> run_index_repo(const std::vector<std::string>& args) {
  atlas::test::TempDir logs("it-rag-index");
  std::vector<std::string> argv = {atlas::test::source_dir() + "/scripts/index_repo.sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  atlas::test::ChildProcess child("/bin/bash", argv, {}, logs.path());
  const auto status = child.wait_for_exit(120s);
  REQUIRE_MESSAGE(status.has_value(), "index_repo.sh did not finish: " << child.stderr_text());
  INFO("index_repo.sh stderr: " << child.stderr_text());
  REQUIRE(status->exited);
  return {status->code, child.stdout_text()};
}

std::int64_t chunk_count(atlas::test::PgFixture& pg, const std::string& url) {
  const std::string db = url.substr(url.rfind('/') + 1);
  pqxx::connection conn(pg.url_for(db));
  pqxx::work tx(conn);
  return tx.exec1("SELECT count(*) FROM rag_chunks")[0].as<std::int64_t>();
}

std::vector<std::string> sources_of(const json& results) {
  std::vector<std::string> out;
  for (const auto& r : results) out.push_back(r.at("source").get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("rag: index_repo.sh indexes docs/; queries find the right document; re-indexing "
          "changes nothing") {
  auto& pg = shared_server();
  const std::string db = fresh_database(pg);
  Rag rag(test_config(db));
  const fs::path docs = fs::path(atlas::test::source_dir()) / "docs";

  const auto [code, out] = run_index_repo({"-j", "-q", "-u", rag.url(), "-p", "docs/", docs.string()});
  REQUIRE_MESSAGE(code == 0, out);
  const json summary = json::parse(out);
  CHECK(summary["ok"] == true);
  CHECK(summary["files"].get<int>() > 0);
  CHECK(summary["documents_failed"] == 0);
  CHECK(summary["documents_indexed"] == summary["files"]);
  const std::int64_t chunks = chunk_count(pg, db);
  CHECK(chunks == summary["chunks_written"].get<std::int64_t>());
  CHECK(chunks >= summary["files"].get<std::int64_t>());

  // Every text file under docs/, as the script saw it.
  std::map<std::string, std::string> files;  // source -> text
  for (const auto& entry : fs::recursive_directory_iterator(docs)) {
    if (!entry.is_regular_file()) continue;
    const std::string text = read_file(entry.path());
    if (text.find('\0') != std::string::npos) continue;
    files["docs/" + fs::relative(entry.path(), docs).generic_string()] = text;
  }
  REQUIRE(files.size() == summary["files"].get<std::size_t>());

  SUBCASE("a query of words from one document returns that document first, with its path") {
    const std::set<std::string> stop = {"between", "through", "because", "should", "before",
                                        "during", "against", "further", "having", "itself",
                                        "themselves", "yourself", "ourselves", "myself"};
    int checked = 0;
    for (const auto& [source, text] : files) {
      if (source.size() < 3 || source.substr(source.size() - 3) != ".md") continue;
      // Words from the start of the document (all in its first chunk) that
      // no other document contains.
      std::set<std::string> elsewhere;
      for (const auto& [other, other_text] : files) {
        if (other == source) continue;
        for (auto& w : words_of(other_text, 6)) elsewhere.insert(w);
      }
      std::vector<std::string> unique;
      // Cut at the last space before byte 500, so no word is cut in half.
      const std::string head = text.substr(0, text.rfind(' ', 500));
      for (const auto& w : words_of(head, 6)) {
        if (!elsewhere.count(w) && !stop.count(w) &&
            std::find(unique.begin(), unique.end(), w) == unique.end()) {
          unique.push_back(w);
        }
        if (unique.size() == 4) break;
      }
      if (unique.size() < 2) continue;
      std::string query;
      for (const auto& w : unique) query += (query.empty() ? "" : " ") + w;
      INFO("document " << source << ", query '" << query << "'");
      const Reply r = rag.query({{"query", query}, {"top_k", 5}});
      REQUIRE(r.status == 200);
      REQUIRE(r.body.is_array());
      REQUIRE(!r.body.empty());
      CHECK(r.body[0]["source"] == source);
      CHECK(r.body[0]["similarity"].get<double>() >= 0.85);  // every term matched
      CHECK(text.find(r.body[0]["text"].get<std::string>().substr(0, 40)) != std::string::npos);
      for (std::size_t i = 1; i < r.body.size(); ++i) {
        CHECK(r.body[i - 1]["similarity"].get<double>() >= r.body[i]["similarity"].get<double>());
      }
      ++checked;
    }
    CHECK(checked >= 1);
  }

  SUBCASE("a query with no word of the corpus returns an empty array") {
    const Reply r = rag.query({{"query", "zqxjvw pflurbnix"}, {"top_k", 5}});
    CHECK(r.status == 200);
    CHECK(r.body == json::array());
    // Only stop words: nothing searchable, still a valid empty answer.
    const Reply stop = rag.query({{"query", "the and of"}, {"top_k", 5}});
    CHECK(stop.status == 200);
    CHECK(stop.body == json::array());
  }

  SUBCASE("indexing the same directory again leaves the chunk count unchanged") {
    const auto [again_code, again_out] =
        run_index_repo({"-j", "-q", "-u", rag.url(), "-p", "docs/", docs.string()});
    REQUIRE(again_code == 0);
    const json again = json::parse(again_out);
    CHECK(again["documents_unchanged"] == summary["files"]);
    CHECK(again["documents_indexed"] == 0);
    CHECK(again["chunks_written"] == 0);
    CHECK(chunk_count(pg, db) == chunks);
  }

  SUBCASE("collapse_by_file returns one chunk per file") {
    // A word found in many chunks of several files.
    const json plain = rag.query({{"query", "atlas"}, {"top_k", 100}}).body;
    const std::vector<std::string> all = sources_of(plain);
    const std::set<std::string> distinct(all.begin(), all.end());
    REQUIRE(distinct.size() >= 2);
    REQUIRE(all.size() > distinct.size());  // without collapsing some file repeats
    const Reply collapsed = rag.query({{"query", "atlas"}, {"top_k", 100}, {"collapse_by_file", true}});
    REQUIRE(collapsed.status == 200);
    const std::vector<std::string> one_each = sources_of(collapsed.body);
    const std::set<std::string> collapsed_files(one_each.begin(), one_each.end());
    CHECK(collapsed_files.size() == one_each.size());
    // Every file of the plain answer is there; when the plain answer was cut
    // by top_k, the collapsed one may also reach files beyond it.
    CHECK(std::includes(collapsed_files.begin(), collapsed_files.end(), distinct.begin(),
                        distinct.end()));
    if (all.size() < 100) CHECK(collapsed_files == distinct);
  }

  SUBCASE("relevancy_threshold drops weaker chunks; top_k bounds the answer") {
    const json all = rag.query({{"query", "atlas kafka"}, {"top_k", 100}}).body;
    REQUIRE(all.size() >= 2);
    const double cut = all[all.size() / 2]["similarity"].get<double>();
    const json kept =
        rag.query({{"query", "atlas kafka"}, {"top_k", 100}, {"relevancy_threshold", cut}}).body;
    CHECK(!kept.empty());
    for (const auto& r : kept) CHECK(r["similarity"].get<double>() >= cut);
    CHECK(rag.query({{"query", "atlas kafka"}, {"top_k", 1}}).body.size() == 1);
  }
}

TEST_CASE("rag: re-indexing a changed source replaces its chunks; text round-trips byte for byte") {
  auto& pg = shared_server();
  const std::string db = fresh_database(pg);
  Rag rag(test_config(db));

  std::string first;
  for (int i = 0; i < 40; ++i) first += "Paragraph " + std::to_string(i) + " mentions the zebrafish registry.\n\n";
  json job = rag.index(json::array({{{"source", "notes/r.md"}, {"text", first}}}),
                       "?chunk_size=300&chunk_overlap=50");
  CHECK(job["state"] == "done");
  CHECK(job["documents_indexed"] == 1);
  const std::int64_t first_chunks = chunk_count(pg, db);
  CHECK(first_chunks == job["chunks_written"].get<std::int64_t>());
  CHECK(first_chunks > 3);
  CHECK(rag.query({{"query", "zebrafish"}, {"top_k", 3}}).body.size() == 3);

  const std::string second = "Now only one short note about the quokka\tcolony: \"quoted\", a back\\slash, "
                             "caf\xC3\xA9 and \xF0\x9F\x98\x80.";
  job = rag.index(json::array({{{"source", "notes/r.md"}, {"text", second}}}),
                  "?chunk_size=300&chunk_overlap=50");
  CHECK(job["documents_indexed"] == 1);
  CHECK(chunk_count(pg, db) == 1);
  CHECK(rag.query({{"query", "zebrafish"}, {"top_k", 3}}).body == json::array());
  const json found = rag.query({{"query", "quokka colony"}, {"top_k", 3}}).body;
  REQUIRE(found.size() == 1);
  CHECK(found[0]["source"] == "notes/r.md");
  CHECK(found[0]["text"] == second);  // tabs, quotes, backslashes, UTF-8 intact
  CHECK(found[0]["similarity"].get<double>() >= 0.85);

  // The same text again: unchanged, nothing written.
  job = rag.index(json::array({{{"source", "notes/r.md"}, {"text", second}}}),
                  "?chunk_size=300&chunk_overlap=50");
  CHECK(job["documents_unchanged"] == 1);
  CHECK(job["chunks_written"] == 0);
  // The same text with other chunking options is indexed again.
  job = rag.index(json::array({{{"source", "notes/r.md"}, {"text", second}}}));
  CHECK(job["documents_indexed"] == 1);
  CHECK(chunk_count(pg, db) == 1);
}

TEST_CASE("rag: the manual's string form names sources with SOURCE lines") {
  auto& pg = shared_server();
  Rag rag(test_config(fresh_database(pg)));
  const json job = rag.index(json::array({
      "SOURCE: manual/a.md (Chunk 2/2)\nThe second half mentions the narwhal migration.",
      "SOURCE: manual/a.md (Chunk 1/2)\nThe first half mentions the axolotl habitat.",
      "A string without a source line about the pangolin.",
  }));
  CHECK(job["state"] == "done");
  CHECK(job["documents"] == 2);
  const json a = rag.query({{"query", "axolotl narwhal"}, {"top_k", 5}}).body;
  REQUIRE(a.size() == 1);
  CHECK(a[0]["source"] == "manual/a.md");
  CHECK(a[0]["similarity"].get<double>() >= 0.85);
  const json p = rag.query({{"query", "pangolin"}, {"top_k", 5}}).body;
  REQUIRE(p.size() == 1);
  CHECK(p[0]["source"].get<std::string>().rfind("text:", 0) == 0);
}

TEST_CASE("rag: bad requests are 400 with a reason; unknown jobs 404") {
  auto& pg = shared_server();
  Rag rag(test_config(fresh_database(pg)));
  const std::vector<std::pair<std::string, std::string>> bad_queries = {
      {"not json", "body is not valid JSON"},
      {R"({"top_k": 5})", "\"query\" is required"},
      {R"({"query": "x", "top_k": 0})", "\"top_k\" must be an integer from 1 to 100"},
      {R"({"query": "x", "top_k": 101})", "\"top_k\" must be an integer from 1 to 100"},
      {R"({"query": "x", "relevancy_threshold": 2})", "relevancy_threshold"},
      {R"({"query": ")" + std::string(5000, 'q') + R"("})", "the limit is 4096"},
  };
  for (const auto& [body, reason] : bad_queries) {
    INFO("body: " << body.substr(0, 60));
    const Reply r = rag.call("POST", "/v1/query_chat", body);
    CHECK(r.status == 400);
    CHECK(r.body["error"].get<std::string>().find(reason) != std::string::npos);
  }
  const std::vector<std::pair<std::string, std::string>> bad_batches = {
      {"[]", "the batch is empty"},
      {R"({"source": "a", "text": "b"})", "body must be a JSON array"},
      {R"([{"source": "a"}])", "\"text\" must be a string"},
      {R"([5])", "neither a string nor"},
  };
  for (const auto& [body, reason] : bad_batches) {
    INFO("body: " << body);
    const Reply r = rag.call("POST", "/v1/embed_batch", body);
    CHECK(r.status == 400);
    CHECK(r.body["error"].get<std::string>().find(reason) != std::string::npos);
  }
  const Reply overlap = rag.call("POST", "/v1/embed_batch?chunk_size=100&chunk_overlap=100", R"(["x"])");
  CHECK(overlap.status == 400);
  CHECK(overlap.body["error"].get<std::string>().find("must be smaller than chunk size") != std::string::npos);

  CHECK(rag.call("GET", "/v1/jobs/not-a-uuid").status == 400);
  const Reply missing = rag.call("GET", "/v1/jobs/0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK(missing.status == 404);
  CHECK(rag.call("GET", "/v1/query_chat").status == 405);
}

TEST_CASE("rag: a full job queue is 503 with Retry-After, and the HTTP threads never wait on "
          "the database") {
  auto& pg = shared_server();
  const std::string db = fresh_database(pg);
  atlas::rag::RagConfig config = test_config(db);
  config.index_threads = 1;
  config.max_queued_jobs = 1;
  Rag rag(config);

  // Hold a lock that every document write needs.
  pqxx::connection locker(pg.url_for(db.substr(db.rfind('/') + 1)));
  auto lock = std::make_unique<pqxx::work>(locker);
  lock->exec0("LOCK TABLE rag_sources IN ACCESS EXCLUSIVE MODE");

  const json batch = json::array({{{"source", "q/1.md"}, {"text", "first document about herons"}}});
  const Reply first = rag.call("POST", "/v1/embed_batch", batch.dump());
  REQUIRE(first.status == 202);
  const std::string first_id = first.body["job_id"];
  REQUIRE(atlas::test::wait_until(
      [&] { return rag.call("GET", "/v1/jobs/" + first_id).body["state"] == "running"; }, 10s));

  const Reply second = rag.call("POST", "/v1/embed_batch", batch.dump());
  REQUIRE(second.status == 202);  // waits in the queue
  const Reply third = rag.call("POST", "/v1/embed_batch", batch.dump());
  CHECK(third.status == 503);
  CHECK(third.raw.header("retry-after") == std::optional<std::string>("5"));
  CHECK(third.body["error"].get<std::string>().find("indexing queue is full") != std::string::npos);

  // The indexing thread is stuck on the database; HTTP still answers at once.
  const auto before = std::chrono::steady_clock::now();
  CHECK(rag.call("GET", "/healthz").status == 200);
  CHECK(std::chrono::steady_clock::now() - before < 1s);

  lock->commit();
  lock.reset();
  CHECK(rag.wait_for_job(first_id)["state"] == "done");
  const json second_job = rag.wait_for_job(second.body["job_id"]);
  CHECK(second_job["state"] == "done");
  CHECK(second_job["documents_unchanged"] == 1);
  const std::string metrics = rag.gateway().endpoints().render_metrics();
  CHECK(metrics.find("atlas_rag_jobs_rejected_total 1") != std::string::npos);
}

TEST_CASE("rag: an unavailable database is 503, never 200 []; /readyz follows it; it recovers") {
  atlas::test::PgFixture pg;  // its own server: this test stops it
  Rag rag(test_config(pg.url()));
  REQUIRE(rag.index(json::array({{{"source", "d.md"}, {"text", "the okapi sleeps"}}}))["state"] ==
          "done");
  CHECK(rag.call("GET", "/readyz").status == 200);

  // The fixture runs with synchronous_commit off: flush before the crash.
  pg.psql("CHECKPOINT");
  pg.stop();
  const Reply down = rag.query({{"query", "okapi"}, {"top_k", 3}});
  CHECK(down.status == 503);
  CHECK(down.body.is_object());
  CHECK(down.body["error"].get<std::string>().find("database") != std::string::npos);
  CHECK(down.raw.header("retry-after").has_value());
  CHECK(rag.call("POST", "/v1/embed_batch", R"(["some text"])").status == 503);
  CHECK(rag.call("GET", "/v1/jobs/0f8fad5b-d9cb-469f-a165-70867728950e").status == 503);
  CHECK(atlas::test::wait_until([&] { return rag.call("GET", "/readyz").status == 503; }, 15s));
  const std::string metrics = rag.gateway().endpoints().render_metrics();
  CHECK(metrics.find("atlas_rag_queries_total{outcome=\"unavailable\"} 1") != std::string::npos);
  CHECK(metrics.find("atlas_rag_database_up 0") != std::string::npos);

  pg.start();
  CHECK(atlas::test::wait_until(
      [&] { return rag.query({{"query", "okapi"}, {"top_k", 3}}).status == 200; }, 30s, 100ms));
  CHECK(rag.query({{"query", "okapi"}, {"top_k", 3}}).body.size() == 1);
  CHECK(atlas::test::wait_until([&] { return rag.call("GET", "/readyz").status == 200; }, 15s));
}

#if __has_include("atlas/worker/rag_client_logic.hpp")
#include "atlas/worker/rag_client_logic.hpp"

TEST_CASE("rag: the worker's RAG client logic understands the gateway's answers") {
  auto& pg = shared_server();
  Rag rag(test_config(fresh_database(pg)));
  rag.index(json::array({{{"source", "docs/ci.md"},
                          {"text", "A minimal CI pipeline builds, tests and deploys each commit."}},
                         {{"source", "docs/other.md"}, {"text", "Kafka partitions and offsets."}}}));
  // Exactly the body the worker sends, and the worker's own parsing and filtering.
  const Reply reply = rag.call("POST", "/v1/query_chat",
                               atlas::worker::build_rag_query("Design a minimal CI pipeline", 15));
  REQUIRE(reply.status == 200);
  const atlas::worker::RagParse parsed = atlas::worker::parse_rag_response(reply.raw.body);
  REQUIRE(parsed.ok);
  CHECK(parsed.notes.empty());
  REQUIRE(parsed.chunks.size() == 1);
  CHECK(parsed.chunks[0].source == "docs/ci.md");
  const auto kept = atlas::worker::filter_chunks(parsed.chunks, atlas::worker::RagFilter{});
  REQUIRE(kept.size() == 1);  // 3 of 4 terms: above the default threshold 0.65
  CHECK(kept[0].similarity >= 0.65);
}
#endif

TEST_CASE("rag: a search past RAG_QUERY_TIMEOUT_S is cancelled and answered 503") {
  auto& pg = shared_server();
  const std::string db = fresh_database(pg);
  atlas::rag::RagConfig config = test_config(db);
  config.query_timeout = 500ms;
  Rag rag(config);
  rag.index(json::array({{{"source", "t.md"}, {"text", "the ibis wades"}}}));
  // A lock the search must wait for: the wait counts against statement_timeout.
  pqxx::connection locker(pg.url_for(db.substr(db.rfind('/') + 1)));
  pqxx::work lock(locker);
  lock.exec0("LOCK TABLE rag_chunks IN ACCESS EXCLUSIVE MODE");
  const auto before = std::chrono::steady_clock::now();
  const Reply r = rag.query({{"query", "ibis"}, {"top_k", 3}});
  const auto waited = std::chrono::steady_clock::now() - before;
  lock.commit();
  CHECK(r.status == 503);
  CHECK(r.body["error"] == "database: the statement timed out");
  CHECK(waited >= 400ms);
  CHECK(waited < 5s);
  CHECK(rag.query({{"query", "ibis"}, {"top_k", 3}}).body.size() == 1);
  const std::string metrics = rag.gateway().endpoints().render_metrics();
  CHECK(metrics.find("atlas_rag_queries_total{outcome=\"timeout\"} 1") != std::string::npos);
}

TEST_CASE("rag: tsvectors stay in the row; searches of 1 to 32 terms and more reuse their "
          "prepared statements and answer the same again") {
  auto& pg = shared_server();
  const std::string db = fresh_database(pg);
  atlas::rag::RagConfig config = test_config(db);
  config.query_threads = 1;  // one connection runs every search: statements are reused
  Rag rag(config);
  // 40 made-up words (no stop words, nothing for the stemmer to merge).
  std::vector<std::string> words;
  for (char a : std::string("bdfgk")) {
    for (char b : std::string("lmnprstz")) words.push_back(std::string("qu") + a + "o" + b + "ax");
  }
  REQUIRE(words.size() == 40);
  std::string all;
  for (const std::string& w : words) all += w + " ";
  rag.index(json::array({{{"source", "all.md"}, {"text", all}},
                         {{"source", "three.md"},
                          {"text", words[0] + " " + words[1] + " " + words[2]}},
                         {{"source", "other.md"}, {"text", "the okapi sleeps in the shade"}}}));

  // Migration 006: the tsvector column keeps MAIN storage (in the row).
  {
    pqxx::connection conn(pg.url_for(db.substr(db.rfind('/') + 1)));
    pqxx::work tx(conn);
    CHECK(tx.exec1("SELECT attstorage FROM pg_attribute WHERE attrelid = 'rag_chunks'::regclass "
                   "AND attname = 'tsv'")[0]
              .as<std::string>() == "m");
  }

  for (const std::size_t n : std::vector<std::size_t>{1, 2, 3, 5, 8, 13, 21, 32, 40}) {
    std::string q;
    for (std::size_t i = 0; i < n; ++i) q += words[i] + " ";
    for (const bool collapse : {false, true}) {
      INFO("terms " << n << " collapse " << collapse);
      const json request = {{"query", q}, {"top_k", 5}, {"collapse_by_file", collapse}};
      const Reply first = rag.query(request);
      REQUIRE(first.status == 200);
      REQUIRE(first.body.is_array());
      REQUIRE_FALSE(first.body.empty());
      // all.md has every term (similarity at least 0.85), three.md the first three.
      CHECK(first.body[0]["source"] == "all.md");
      CHECK(first.body[0]["similarity"].get<double>() >= 0.85);
      CHECK(sources_of(first.body) == std::vector<std::string>{"all.md", "three.md"});
      const Reply again = rag.query(request);
      CHECK(again.status == 200);
      CHECK(again.raw.body == first.raw.body);
    }
  }
}
