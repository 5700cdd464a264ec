// Benchmark of atlas-rag: indexing throughput and /v1/query_chat latency
// percentiles with about 100,000 chunks stored. The gateway runs in-process
// (the same Gateway as the binary) on a private PostgreSQL (PgFixture) or on
// --database-url, and is driven over HTTP like a real client.
//
//   rag_bench                   # 100,000 chunks, 2,000 queries; updates docs/benchmarks.md
//   rag_bench --smoke           # a few thousand chunks; writes nothing
//   rag_bench --chunks N --queries N --database-url URL --no-write
//
// The corpus is synthetic and deterministic: documents of ~8 KB made of words
// drawn from a 20,000-word vocabulary with a Zipf distribution (so some words
// are in most chunks, most in few), and queries of 1 to 6 words drawn the
// same way, the worst case for an OR full-text query.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "atlas/http/client.hpp"
#include "atlas/rag/gateway.hpp"
#include "bench_support.hpp"

#ifdef ATLAS_BENCH_HAS_TEST_SUPPORT
#include "pg_fixture.hpp"
#include "test_paths.hpp"
#endif

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

using atlas::bench::fixed;
using atlas::bench::load_average;
using atlas::bench::percentile;

struct Options {
  std::size_t chunks = 100'000;
  std::size_t queries = 2'000;
  std::string database_url;  // empty: a private PgFixture
  bool write = true;
  std::string output;        // docs/benchmarks.md by default
};

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  atlas::bench::Args args(argc, argv);
  while (args.next()) {
    const std::string& a = args.flag();
    if (a == "--chunks") {
      o.chunks = std::stoul(args.value());
    } else if (a == "--queries") {
      o.queries = std::stoul(args.value());
    } else if (a == "--database-url") {
      o.database_url = args.value();
    } else if (a == "--output") {
      o.output = args.value();
    } else if (a == "--no-write") {
      o.write = false;
    } else if (a == "--smoke") {
      o.chunks = 3'000;
      o.queries = 100;
      o.write = false;
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: rag_bench [--chunks N] [--queries N] [--database-url URL] "
                   "[--output FILE] [--no-write] [--smoke]\n";
      return std::nullopt;
    } else {
      args.reject();
    }
  }
  return o;
}

// Pronounceable pseudo-words, distinct, deterministic.
std::vector<std::string> make_vocabulary(std::size_t n, std::mt19937_64& rng) {
  static const char* onsets[] = {"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r",
                                 "s", "t", "v", "z", "br", "cr", "dr", "gr", "pl", "st", "tr"};
  static const char* vowels[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou"};
  std::vector<std::string> words;
  std::set<std::string> seen;
  std::uniform_int_distribution<int> syllables(2, 4);
  while (words.size() < n) {
    std::string w;
    for (int s = syllables(rng); s > 0; --s) {
      w += onsets[rng() % std::size(onsets)];
      w += vowels[rng() % std::size(vowels)];
    }
    w += onsets[rng() % std::size(onsets)];
    if (seen.insert(w).second) words.push_back(w);
  }
  return words;
}

class Zipf {
 public:
  Zipf(std::size_t n, double s) {
    cdf_.reserve(n);
    double sum = 0;
    for (std::size_t k = 1; k <= n; ++k) cdf_.push_back(sum += 1.0 / std::pow(double(k), s));
    for (double& c : cdf_) c /= sum;
  }
  std::size_t operator()(std::mt19937_64& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::size_t(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

std::string make_document(const std::vector<std::string>& vocab, Zipf& zipf, std::mt19937_64& rng,
                          std::size_t bytes) {
  std::string doc;
  int in_sentence = 0;
  int in_paragraph = 0;
  while (doc.size() < bytes) {
    doc += vocab[zipf(rng)];
    if (++in_sentence >= 12 + int(rng() % 8)) {
      doc += ". ";
      in_sentence = 0;
      if (++in_paragraph >= 5) {
        doc += "\n\n";
        in_paragraph = 0;
      }
    } else {
      doc += ' ';
    }
  }
  return doc;
}

struct QueryStats {
  std::vector<double> ms;
  std::size_t results = 0;
  std::size_t empty = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> opts;
  try {
    opts = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rag_bench: " << e.what() << "\n";
    return 2;
  }
  if (!opts) return 0;

#ifdef ATLAS_BENCH_HAS_TEST_SUPPORT
  std::unique_ptr<atlas::test::PgFixture> pg;
  if (opts->database_url.empty()) {
    pg = std::make_unique<atlas::test::PgFixture>("rag_bench");
    opts->database_url = pg->url();
  }
  if (opts->output.empty()) opts->output = atlas::test::source_dir() + "/docs/benchmarks.md";
#endif
  if (opts->database_url.empty()) {
    std::cerr << "rag_bench: built without the test support library: pass --database-url\n";
    return 2;
  }
  if (opts->output.empty()) opts->output = "docs/benchmarks.md";

  atlas::Logger logger("rag_bench", atlas::LogLevel::warn);
  atlas::rag::RagConfig config;
  config.common.database_url = opts->database_url;
  config.host = "127.0.0.1";
  config.port = 0;
  config.docs_consumer = false;
  config.max_queued_jobs = 64;
  atlas::rag::Gateway gateway(config, logger);
  gateway.start();
  const std::string base = "http://127.0.0.1:" + std::to_string(gateway.port());
  atlas::http::Client client;
  const auto post = [&](const std::string& path, const std::string& body) {
    atlas::http::ClientRequest r;
    r.method = "POST";
    r.url = base + path;
    r.body = body;
    r.timeout = std::chrono::seconds(120);
    return client.send(std::move(r)).get();
  };

  // --- corpus and indexing -------------------------------------------------
  std::mt19937_64 rng(20261121);
  const std::vector<std::string> vocab = make_vocabulary(20'000, rng);
  Zipf zipf(vocab.size(), 1.0);
  constexpr std::size_t kDocBytes = 8'000;  // ~10 chunks of 1000 with 200 overlap
  constexpr std::size_t kDocsPerBatch = 100;
  std::size_t indexed_chunks = 0;
  std::size_t indexed_bytes = 0;
  std::size_t documents = 0;
  std::vector<std::string> jobs;
  const std::string load_before = load_average();
  const auto index_start = Clock::now();
  double generate_s = 0;
  while (indexed_chunks < opts->chunks) {
    const auto g0 = Clock::now();
    json batch = json::array();
    std::size_t batch_bytes = 0;
    for (std::size_t i = 0; i < kDocsPerBatch; ++i) {
      std::string doc = make_document(vocab, zipf, rng, kDocBytes);
      batch_bytes += doc.size();
      batch.push_back({{"source", "bench/doc-" + std::to_string(documents++) + ".md"},
                       {"text", std::move(doc)}});
    }
    const std::string body = batch.dump();
    generate_s += std::chrono::duration<double>(Clock::now() - g0).count();
    auto response = post("/v1/embed_batch", body);
    while (response.status == 503) {  // queue full: wait as a client would
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      response = post("/v1/embed_batch", body);
    }
    if (response.status != 202) {
      std::cerr << "rag_bench: embed_batch failed: " << response.status << " " << response.body
                << response.error_message << "\n";
      return 1;
    }
    jobs.push_back(json::parse(response.body)["job_id"]);
    indexed_bytes += batch_bytes;
    // ~10.9 chunks per 8 KB document at 1000/200; corrected from the jobs below.
    indexed_chunks += kDocsPerBatch * 10;
    if (jobs.size() % 20 == 0) {
      std::cerr << "rag_bench: " << documents << " documents queued\n";
    }
  }
  std::size_t chunks_written = 0;
  for (const std::string& id : jobs) {
    for (;;) {
      atlas::http::ClientRequest r;
      r.url = base + "/v1/jobs/" + id;
      const auto response = client.send(std::move(r)).get();
      const json job = json::parse(response.body, nullptr, false);
      if (job.is_object() && (job["state"] == "done" || job["state"] == "failed")) {
        if (job["state"] != "done") {
          std::cerr << "rag_bench: job failed: " << job.dump() << "\n";
          return 1;
        }
        chunks_written += job["chunks_written"].get<std::size_t>();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const double index_s =
      std::chrono::duration<double>(Clock::now() - index_start).count() - generate_s;
  const double mb_per_s = double(indexed_bytes) / 1e6 / index_s;
  std::cerr << "rag_bench: indexed " << documents << " documents, " << chunks_written
            << " chunks, " << fixed(double(indexed_bytes) / 1e6, 1) << " MB in "
            << fixed(index_s, 1) << " s: " << fixed(mb_per_s, 2) << " MB/s\n";
  {
    // Fresh statistics, as autovacuum would have them on a live system.
    pqxx::connection conn(opts->database_url);
    pqxx::nontransaction tx(conn);
    tx.exec0("VACUUM ANALYZE rag_chunks");
  }
  // --- queries ---------------------------------------------------------------
  const auto run_queries = [&](bool collapse) {
    QueryStats stats;
    std::mt19937_64 qrng(collapse ? 7 : 42);
    const std::size_t warmup = std::min<std::size_t>(50, opts->queries / 10);
    for (std::size_t i = 0; i < opts->queries + warmup; ++i) {
      std::string q;
      const int words = 1 + int(qrng() % 6);
      for (int w = 0; w < words; ++w) q += (q.empty() ? "" : " ") + vocab[zipf(qrng)];
      const std::string body =
          json{{"query", q}, {"top_k", 15}, {"collapse_by_file", collapse}}.dump();
      const auto t0 = Clock::now();
      const auto response = post("/v1/query_chat", body);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (response.status != 200) {
        std::cerr << "rag_bench: query failed: " << response.status << " " << response.body << "\n";
        std::exit(1);
      }
      if (i < warmup) continue;
      stats.ms.push_back(ms);
      const std::size_t n = json::parse(response.body).size();
      stats.results += n;
      if (n == 0) ++stats.empty;
    }
    return stats;
  };
  const QueryStats plain = run_queries(false);
  const QueryStats collapsed = run_queries(true);
  gateway.stop();

  const auto row = [&](const std::string& name, const QueryStats& s) {
    return atlas::bench::table_row({name, std::to_string(s.ms.size()),
                                    fixed(percentile(s.ms, 50), 2), fixed(percentile(s.ms, 95), 2),
                                    fixed(percentile(s.ms, 99), 2),
                                    fixed(*std::max_element(s.ms.begin(), s.ms.end()), 2),
                                    fixed(double(s.results) / double(s.ms.size()), 1)});
  };
  const double p95 = percentile(plain.ms, 95);
  const double p95_collapsed = percentile(collapsed.ms, 95);
  std::ostringstream section;
  section << "## RAG gateway (`bench/rag_bench.cpp`)\n\n"
          << "`atlas-rag` in-process on a private PostgreSQL 15 (fsync off), driven over HTTP "
             "on localhost. Synthetic corpus: " << documents << " documents of ~8 KB from a "
          << vocab.size() << "-word Zipf vocabulary, chunked 1000/200 into " << chunks_written
          << " chunks; queries of 1-6 words drawn from the same distribution, top_k 15, "
             "one at a time.\n\n"
          << "Indexing (`/v1/embed_batch`, batches of " << kDocsPerBatch << " documents, "
          << config.index_threads << " indexing threads): "
          << fixed(double(indexed_bytes) / 1e6, 1) << " MB in " << fixed(index_s, 1) << " s = **"
          << fixed(mb_per_s, 2) << " MB/s** (aim: >= 2 MB/s: "
          << (mb_per_s >= 2.0 ? "met" : "NOT met") << ").\n\n"
          << atlas::bench::table_header({"query_chat", "queries", "p50 ms", "p95 ms", "p99 ms",
                                         "max ms", "results/query"})
          << row("plain", plain) << row("collapse_by_file", collapsed) << "\n"
          << "Aim: p95 under 20 ms: plain " << (p95 < 20.0 ? "met" : "NOT met") << " ("
          << fixed(p95, 2) << " ms), collapse_by_file "
          << (p95_collapsed < 20.0 ? "met" : "NOT met") << " (" << fixed(p95_collapsed, 2)
          << " ms). Load average (2 cores) at the start " << load_before
          << ", at the end " << load_average()
          << ": other processes on the machine inflate every figure.\n";
  std::cout << section.str();
  if (opts->write) {
    atlas::bench::write_section(opts->output, "## RAG gateway", section.str());
    std::cerr << "rag_bench: wrote " << opts->output << "\n";
  }
  return 0;
}
