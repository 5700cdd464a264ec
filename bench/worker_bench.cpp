// Benchmark of atlas-worker (issue 3): tasks per second, CPU time per task,
// peak memory and per-task latency of ONE worker process with
// WORKER_MAX_INFLIGHT=1024 while the fakes answer after 2 s. The aim is at
// least 300 tasks/s on the 2-core development machine.
//
//   worker_bench                     # both phases, 6000 tasks each; prints a Markdown section
//   worker_bench --write-docs        # ... and replaces "## atlas-worker" in docs/benchmarks.md
//   worker_bench --rag-delay-ms 20   # one phase only, with that RAG delay
//   worker_bench --tasks 2000 --db-connections 16 --env WORKER_LEASE_S=60 --pg-stats
//
// What runs: a private PostgreSQL (PgFixture), atlas-devbus (DevbusFixture),
// atlas-fake --delay-ms 2000 (FakeUpstream) and the built bin/atlas-worker
// (WorkerProcess), all as separate processes, as the e2e tests run them.
//
// Each task waits for TWO delayed answers, one after the other: the RAG query
// (the prompt needs its chunks), then the LLM call. So the run has two phases
// on the same stack:
//   1. "RAG 2 s": every RAG and LLM answer after 2 s, as the issue says. A
//      task takes >= 4 s, so 1024 in flight allow at most 256 tasks/s: the
//      300/s aim cannot be met in this phase by any pipeline; it shows how
//      close the worker gets to its ceiling.
//   2. "RAG 20 ms": the LLM still after 2 s, RAG after 20 ms (atlas-rag's
//      measured p95, see the RAG gateway section of docs/benchmarks.md). The
//      ceiling is 1024 / 2.02 s = 507 tasks/s; the aim applies here.
// In each phase the benchmark publishes N chats to architect_in as fast as
// the producer takes them (a bounded window of unacknowledged sends) and
// counts the replies on architect_out with a light consumer of its own.
//
// Measured per phase, from the first publish to the last reply:
//   - tasks/s overall and over the steady middle (10 % to 90 % of the replies);
//   - CPU seconds of the worker (utime + stime, /proc/PID/stat) per task, and
//     of the fake, devbus, PostgreSQL and this program for context;
//   - the worker's peak resident memory (VmHWM of /proc/PID/status);
//   - p50/p95/p99 of the replies' metadata.timings.total_ms (intake to the
//     answer) and its steps, and of publish-to-reply as this program sees it;
//   - replies whose status is not "done" and duplicate replies (both must be 0);
//   - the fake's simultaneously waiting requests (near 1024 when the worker
//     keeps its in-flight slots busy).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/http/client.hpp"
#include "atlas/kafka/consumer.hpp"
#include "atlas/kafka/producer.hpp"
#include "atlas/log.hpp"
#include "atlas/uuid.hpp"
#include "bench_support.hpp"

#ifdef ATLAS_BENCH_HAS_TEST_SUPPORT
// DevbusFixture reports a bad exit through doctest when a test runs; this
// program is not a test, but the support library needs doctest's
// implementation linked in (is_running_in_test stays false).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "devbus_fixture.hpp"
#include "fake_upstream.hpp"
#include "pg_fixture.hpp"
#include "test_paths.hpp"
#include "worker_harness.hpp"
#endif

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

using atlas::bench::fixed;
using atlas::bench::load_average;
using atlas::bench::percentile;
using atlas::bench::read_file;

// atlas-rag's query_chat p95 on the development machine (docs/benchmarks.md).
constexpr std::int64_t kRealisticRagDelayMs = 20;

struct Options {
  std::size_t tasks = 6000;
  std::size_t window = 2000;       // unacknowledged produce() calls at most
  int max_inflight = 1024;         // WORKER_MAX_INFLIGHT
  int db_connections = 0;          // WORKER_DB_CONNECTIONS; 0: the worker's default
  std::int64_t delay_ms = 2000;    // atlas-fake --delay-ms
  std::vector<std::int64_t> rag_delays;  // one phase each; empty: {delay_ms, 20}
  bool pg_stats = false;           // pg_stat_statements: print the costliest statements
  int fake_threads = 2;            // atlas-fake --threads
  std::chrono::seconds timeout{0}; // per phase; 0: derived from tasks
  std::map<std::string, std::string> extra_env;
  bool write_docs = false;
  std::string output;              // docs/benchmarks.md by default
};

const char* kUsage =
    "usage: worker_bench [--tasks N] [--window N] [--max-inflight N] [--db-connections N]\n"
    "                    [--delay-ms N] [--rag-delay-ms N] [--fake-threads N] [--timeout-s N]\n"
    "                    [--env KEY=VALUE]... [--pg-stats] [--write-docs] [--output FILE]\n";

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  atlas::bench::Args args(argc, argv);
  while (args.next()) {
    const std::string& a = args.flag();
    if (a == "--tasks") {
      o.tasks = std::stoul(args.value());
    } else if (a == "--window") {
      o.window = std::max<std::size_t>(1, std::stoul(args.value()));
    } else if (a == "--max-inflight") {
      o.max_inflight = std::stoi(args.value());
    } else if (a == "--db-connections") {
      o.db_connections = std::stoi(args.value());
    } else if (a == "--delay-ms") {
      o.delay_ms = std::stoll(args.value());
    } else if (a == "--rag-delay-ms") {
      o.rag_delays = {std::stoll(args.value())};
    } else if (a == "--pg-stats") {
      o.pg_stats = true;
    } else if (a == "--fake-threads") {
      o.fake_threads = std::stoi(args.value());
    } else if (a == "--timeout-s") {
      o.timeout = std::chrono::seconds(std::stoll(args.value()));
    } else if (a == "--env") {
      const std::string kv = args.value();
      const std::size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--env needs KEY=VALUE");
      o.extra_env[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--write-docs") {
      o.write_docs = true;
    } else if (a == "--output") {
      o.output = args.value();
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return std::nullopt;
    } else {
      args.reject();
    }
  }
  if (o.rag_delays.empty()) o.rag_delays = {o.delay_ms, kRealisticRagDelayMs};
  if (o.tasks == 0) throw std::invalid_argument("--tasks must be at least 1");
  if (o.timeout.count() == 0) {
    // Generous: 60 tasks/s would still finish.
    o.timeout = std::chrono::seconds(120 + static_cast<std::int64_t>(o.tasks / 60));
  }
  return o;
}

#ifdef ATLAS_BENCH_HAS_TEST_SUPPORT
// Everything below drives the stack through the test support library.

// ---- /proc ------------------------------------------------------------------

// utime + stime of `pid` in seconds; nullopt when the process is gone.
std::optional<double> cpu_seconds(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name (field 2) is in parentheses and may hold spaces.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  // Field 3 (state) is the first after ')'; utime is field 14, stime 15.
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::stoull(field);
    if (n == 15) stime = std::stoull(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

pid_t parent_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string state;
  pid_t ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

// A line "Name:   value kB" of /proc/PID/status, in MiB.
double status_mib(pid_t pid, const std::string& name) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) {
      std::istringstream value(line.substr(name.size() + 1));
      double kb = 0;
      value >> kb;
      return kb / 1024.0;
    }
  }
  return 0;
}

// The children of `parent` whose command name is `comm`.
std::vector<pid_t> children_named(pid_t parent, const std::string& comm) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const pid_t pid = std::stoi(name);
    std::string c = read_file("/proc/" + name + "/comm");
    while (!c.empty() && c.back() == '\n') c.pop_back();
    if (c == comm && parent_of(pid) == parent) found.push_back(pid);
  }
  return found;
}

// CPU seconds of the PostgreSQL postmaster and its children (the backends of
// the worker's pooled connections live for the whole run).
double postgres_cpu(pid_t postmaster) {
  if (postmaster <= 0) return 0;
  double total = cpu_seconds(postmaster).value_or(0);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const pid_t pid = std::stoi(name);
    if (parent_of(pid) == postmaster) total += cpu_seconds(pid).value_or(0);
  }
  return total;
}

// Busy and total jiffies of the whole machine (first line of /proc/stat).
std::pair<double, double> machine_jiffies() {
  std::istringstream in(read_file("/proc/stat"));
  std::string cpu;
  in >> cpu;
  double total = 0;
  double idle = 0;
  for (int n = 0; n < 8; ++n) {
    double v = 0;
    in >> v;
    total += v;
    if (n == 3 || n == 4) idle += v;  // idle, iowait
  }
  return {total - idle, total};
}

// A TCP port of 127.0.0.1 free right now (the kernel's pick for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// ---- time ---------------------------------------------------------------------

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---- replies --------------------------------------------------------------------

// One phase's requests and what the benchmark keeps of their replies. The
// consumer thread records; the main thread reads once the phase is over.
struct Phase {
  std::int64_t rag_delay_ms = 0;
  std::vector<std::string> ids;
  std::vector<std::string> values;
  std::vector<Clock::time_point> published;  // when each was handed to the producer

  std::mutex mutex;
  std::vector<int> seen;                          // replies per task
  std::vector<Clock::time_point> at;              // first replies' arrivals, in order
  std::map<std::string, std::vector<double>> timings;  // metadata.timings.<key> of first replies
  std::vector<double> end_to_end_ms;              // publish to arrival, this program's clocks
  std::vector<double> after_answer_ms;            // end_to_end - since_published: finish + reply
  std::map<std::string, std::size_t> not_done;    // status -> count
  std::size_t duplicates = 0;
  std::atomic<std::size_t> first_replies{0};
};

// Finds the phase and index of a request by task_id. Built before anything
// is published, read-only afterwards (so the consumer thread may read it).
using RequestIndex = std::unordered_map<std::string, std::pair<Phase*, std::size_t>>;

struct Counter {
  const RequestIndex* index = nullptr;
  std::atomic<std::size_t> other{0};  // replies to requests of no phase (the warm-up)

  void record(const std::string& value) {
    const Clock::time_point now = Clock::now();
    const json reply = json::parse(value, nullptr, false);
    const json* metadata = nullptr;
    if (reply.is_object() && reply.contains("metadata") && reply["metadata"].is_object()) {
      metadata = &reply["metadata"];
    }
    const std::string parent = metadata ? metadata->value("parent_id", "") : "";
    const auto it = index->find(parent);
    if (it == index->end()) {
      other.fetch_add(1);
      return;
    }
    Phase& phase = *it->second.first;
    const std::size_t i = it->second.second;
    std::lock_guard lock(phase.mutex);
    if (phase.seen[i]++ > 0) {
      ++phase.duplicates;
      return;
    }
    phase.at.push_back(now);
    const double e2e = std::chrono::duration<double, std::milli>(now - phase.published[i]).count();
    phase.end_to_end_ms.push_back(e2e);
    const std::string status = metadata->value("status", "");
    if (status != "done") ++phase.not_done[status.empty() ? "(none)" : status];
    if (metadata->contains("timings") && (*metadata)["timings"].is_object()) {
      for (const auto& [key, ms] : (*metadata)["timings"].items()) {
        if (ms.is_number()) phase.timings[key].push_back(ms.get<double>());
      }
      const json& since = (*metadata)["timings"].value("since_published_ms", json());
      if (since.is_number()) phase.after_answer_ms.push_back(e2e - since.get<double>());
    }
    phase.first_replies.fetch_add(1);
  }
};

// ---- the processes ----------------------------------------------------------------

// CPU seconds of every process of the stack, read together.
struct CpuSample {
  double worker = 0, fake = 0, devbus = 0, postgres = 0, self = 0;
  std::pair<double, double> machine;
};

struct Pids {
  pid_t worker = -1, fake = -1, devbus = -1, postmaster = -1;

  CpuSample sample() const {
    CpuSample s;
    s.worker = cpu_seconds(worker).value_or(0);
    s.fake = fake > 0 ? cpu_seconds(fake).value_or(0) : 0;
    s.devbus = cpu_seconds(devbus).value_or(0);
    s.postgres = postgres_cpu(postmaster);
    s.self = cpu_seconds(getpid()).value_or(0);
    s.machine = machine_jiffies();
    return s;
  }
};

// What one phase measured.
struct Result {
  std::int64_t rag_delay_ms = 0;
  double ceiling = 0;
  std::size_t tasks = 0, answered = 0, publish_errors = 0, duplicates = 0, not_done = 0;
  std::string not_done_text;
  double publish_s = 0, elapsed_s = 0, steady = 0, overall = 0;
  double best_second = 0, worst_second = 0;
  CpuSample cpu;  // deltas over the phase
  double machine_busy = 0;
  double peak_rss_mib = 0;
  std::map<std::string, std::vector<double>> timings;
  std::vector<double> end_to_end_ms, after_answer_ms;
  std::int64_t fake_peak = 0, fake_calls = 0;
  double fake_mean = 0;
  std::string load_before, load_after;

  [[nodiscard]] bool clean() const {
    return answered == tasks && not_done == 0 && duplicates == 0 && publish_errors == 0;
  }
  [[nodiscard]] double per_task_ms(double cpu_s) const {
    return answered > 0 ? cpu_s * 1000.0 / double(answered) : 0;
  }
  [[nodiscard]] double p(const std::string& key, double q) const {
    const auto it = timings.find(key);
    return it == timings.end() ? 0 : percentile(it->second, q);
  }
};

// Publishes the phase's requests, waits for their replies, measures.
Result run_phase(Phase& phase, const Options& opts, atlas::kafka::Producer& producer,
                 atlas::test::FakeUpstream& fake, atlas::test::PgFixture& pg, const Pids& pids) {
  Result r;
  r.rag_delay_ms = phase.rag_delay_ms;
  r.tasks = phase.ids.size();
  r.ceiling = double(opts.max_inflight) * 1000.0 /
              double(std::max<std::int64_t>(1, opts.delay_ms + phase.rag_delay_ms));
  r.load_before = load_average();

  fake.reset();  // statistics (max_inflight) count this phase only
  if (phase.rag_delay_ms != opts.delay_ms) {
    // The RAG endpoint's normal answer, after its own delay.
    fake.script({{"path", "/v1/query_chat"}, {"action", "default"},
                 {"delay_ms", phase.rag_delay_ms}, {"times", -1}});
  }
  if (opts.pg_stats) pg.psql("SELECT pg_stat_statements_reset()");
  std::cerr << "worker_bench: phase RAG " << phase.rag_delay_ms << " ms: publishing "
            << r.tasks << " chats\n";

  // The fake's waiting requests, sampled twice a second.
  std::atomic<bool> sampling{true};
  std::vector<double> fake_samples;
  std::thread sampler([&] {
    while (sampling.load()) {
      try {
        fake_samples.push_back(fake.stats().value("inflight", 0.0));
      } catch (const std::exception&) {
        // a missed sample is harmless
      }
      std::this_thread::sleep_for(500ms);
    }
  });

  const CpuSample before = pids.sample();
  const Clock::time_point start = Clock::now();
  {
    std::deque<std::future<atlas::kafka::DeliveryResult>> window;
    for (std::size_t i = 0; i < r.tasks; ++i) {
      if (window.size() >= opts.window) {
        if (!window.front().get().ok) ++r.publish_errors;
        window.pop_front();
      }
      phase.published[i] = Clock::now();
      window.push_back(
          producer.produce_async({"architect_in", phase.ids[i], phase.values[i], {}, std::nullopt}));
    }
    while (!window.empty()) {
      if (!window.front().get().ok) ++r.publish_errors;
      window.pop_front();
    }
  }
  r.publish_s = seconds(Clock::now() - start);
  std::cerr << "worker_bench: published in " << fixed(r.publish_s, 2) << " s ("
            << r.publish_errors << " errors); waiting for the replies\n";

  const Clock::time_point give_up = start + opts.timeout;
  Clock::time_point last_progress = Clock::now();
  while (phase.first_replies.load() < r.tasks - r.publish_errors && Clock::now() < give_up) {
    std::this_thread::sleep_for(20ms);
    if (Clock::now() - last_progress >= 5s) {
      last_progress = Clock::now();
      std::cerr << "worker_bench: " << phase.first_replies.load() << " replies after "
                << fixed(seconds(last_progress - start), 1) << " s\n";
    }
  }
  const Clock::time_point stopped = Clock::now();
  const CpuSample after = pids.sample();
  r.cpu.worker = after.worker - before.worker;
  r.cpu.fake = after.fake - before.fake;
  r.cpu.devbus = after.devbus - before.devbus;
  r.cpu.postgres = after.postgres - before.postgres;
  r.cpu.self = after.self - before.self;
  r.machine_busy = (after.machine.first - before.machine.first) /
                   std::max(1.0, after.machine.second - before.machine.second);
  r.peak_rss_mib = status_mib(pids.worker, "VmHWM");
  r.load_after = load_average();
  sampling = false;
  sampler.join();
  try {
    const json stats = fake.stats();
    r.fake_peak = stats.value("max_inflight", 0);
    r.fake_calls = stats.value("calls", 0);
  } catch (const std::exception& e) {
    std::cerr << "worker_bench: cannot read the fake's statistics: " << e.what() << "\n";
  }
  if (const std::size_t n = fake_samples.size(); n >= 4) {
    // The middle half of the samples: the fill-up and the drain left out.
    double sum = 0;
    for (std::size_t i = n / 4; i < n * 3 / 4; ++i) sum += fake_samples[i];
    r.fake_mean = sum / double(n * 3 / 4 - n / 4);
  }
  // A duplicate would arrive within moments of the first reply.
  std::this_thread::sleep_for(2s);
  if (opts.pg_stats) {
    std::cerr << "worker_bench: the costliest statements (pg_stat_statements; server time, "
                 "lock waits included): calls, total, mean, statement\n"
              << pg.psql("SELECT rpad(calls::text, 8) || rpad(round(total_exec_time)::text || ' ms', 10) || "
                         "rpad(round(mean_exec_time::numeric, 3)::text || ' ms', 12) || "
                         "left(regexp_replace(query, '\\s+', ' ', 'g'), 150) "
                         "FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15")
              << "\n";
  }

  std::lock_guard lock(phase.mutex);
  r.answered = phase.at.size();
  r.duplicates = phase.duplicates;
  for (const auto& [status, n] : phase.not_done) {
    r.not_done += n;
    r.not_done_text += (r.not_done_text.empty() ? "" : ", ") + status + ": " + std::to_string(n);
  }
  r.timings = phase.timings;
  r.end_to_end_ms = phase.end_to_end_ms;
  r.after_answer_ms = phase.after_answer_ms;
  r.elapsed_s = r.answered > 0 ? seconds(phase.at.back() - start) : seconds(stopped - start);
  r.overall = double(r.answered) / r.elapsed_s;
  if (r.answered >= 20) {
    const std::size_t lo = r.answered / 10;
    const std::size_t hi = r.answered * 9 / 10;
    r.steady = double(hi - lo) / std::max(1e-6, seconds(phase.at[hi] - phase.at[lo]));
  }
  // Replies in each whole second; the best and worst second of the middle
  // (the first seconds cannot have replies, the last is partial).
  std::vector<double> per_second(static_cast<std::size_t>(r.elapsed_s) + 1, 0);
  for (const auto& t : phase.at) {
    per_second[std::min(per_second.size() - 1, static_cast<std::size_t>(seconds(t - start)))] += 1;
  }
  const std::size_t skip = static_cast<std::size_t>((opts.delay_ms + phase.rag_delay_ms) / 1000) + 1;
  if (per_second.size() > skip + 2) {
    const auto first = per_second.begin() + static_cast<std::ptrdiff_t>(skip);
    const auto last = per_second.end() - 1;
    r.best_second = *std::max_element(first, last);
    r.worst_second = *std::min_element(first, last);
  }
  return r;
}

// ---- the report -------------------------------------------------------------------------

std::string three(const std::vector<double>& v) {
  return fixed(percentile(v, 50), 0) + " / " + fixed(percentile(v, 95), 0) + " / " +
         fixed(percentile(v, 99), 0);
}

std::string report(const Options& opts, const std::vector<Result>& results) {
  const std::string db_connections =
      opts.db_connections > 0 ? std::to_string(opts.db_connections) : "8 (default)";
  std::string extra_env;
  for (const auto& [k, v] : opts.extra_env) extra_env += ", `" + k + "=" + v + "`";
  std::ostringstream s;
  s << "## atlas-worker (`bench/worker_bench.cpp`)\n\n"
    << "One `atlas-worker` process (RelWithDebInfo build) with `WORKER_MAX_INFLIGHT="
    << opts.max_inflight << "`, `WORKER_DB_CONNECTIONS=" << db_connections
    << "`, `DAILY_TOKEN_BUDGET` out of reach, `LOG_LEVEL=warn`" << extra_env
    << "; a private PostgreSQL 15 (fsync and synchronous_commit off), `atlas-devbus` (librdkafka "
       "mock cluster, 6 partitions per topic) and `atlas-fake --delay-ms "
    << opts.delay_ms
    << "`: all on the same 2 cores, shared with other engineers' builds and tests. Per phase, "
    << opts.tasks
    << " chat requests are published at once (the producer's acknowledgements bounded to "
    << opts.window
    << " outstanding) after a warm-up, and the replies counted on `architect_out`. A task is a "
       "claim transaction, a RAG query, a reservation transaction, one LLM call (gpt-4.1), a "
       "finish transaction and the reply; the RAG query and the LLM call come one after the "
       "other, so with 1024 in flight the ceiling is 1024 / (RAG delay + LLM delay).\n\n"
    << "- **RAG 2 s** is the issue's setting (every fake answer after 2 s): a task takes at least "
       "4 s, the ceiling is 256 tasks/s, and the aim of 300 tasks/s is out of reach for any "
       "pipeline; the phase shows how close the worker comes to its ceiling.\n"
    << "- **RAG 20 ms** keeps the LLM at 2 s and answers RAG after 20 ms, the p95 of the real "
       "`atlas-rag` measured above: ceiling 507 tasks/s. The aim applies to this phase.\n\n";

  std::vector<std::string> columns = {"measure"};
  for (const Result& r : results) {
    columns.push_back("RAG " + (r.rag_delay_ms >= 1000
                                    ? fixed(double(r.rag_delay_ms) / 1000.0, 0) + " s"
                                    : std::to_string(r.rag_delay_ms) + " ms"));
  }
  s << atlas::bench::table_header(columns);
  // One row: `name`, then `f` of each phase's result.
  const auto row = [&](const std::string& name, const std::function<std::string(const Result&)>& f) {
    std::vector<std::string> cells = {name};
    for (const Result& r : results) cells.push_back(f(r));
    s << atlas::bench::table_row(cells);
  };
  row("ceiling (1024 in flight / both delays)",
      [](const Result& r) { return fixed(r.ceiling, 0) + " tasks/s"; });
  row("tasks answered", [](const Result& r) {
    return std::to_string(r.answered) + " / " + std::to_string(r.tasks) +
           (r.answered == r.tasks ? "" : " (**time-out**)");
  });
  row("**tasks/s, steady** (10 % to 90 % of the replies)",
      [](const Result& r) { return "**" + fixed(r.steady, 1) + "**"; });
  row("tasks/s, overall (first publish to last reply)",
      [](const Result& r) { return fixed(r.overall, 1) + " in " + fixed(r.elapsed_s, 1) + " s"; });
  row("replies in one second, best / worst (middle)", [](const Result& r) {
    return fixed(r.best_second, 0) + " / " + fixed(r.worst_second, 0);
  });
  row("**worker CPU per task** (utime + stime)", [](const Result& r) {
    return "**" + fixed(r.per_task_ms(r.cpu.worker), 2) + " ms** (" +
           fixed(100.0 * r.cpu.worker / r.elapsed_s, 0) + " % of a core)";
  });
  row("**worker peak memory** (VmHWM, since start)",
      [](const Result& r) { return "**" + fixed(r.peak_rss_mib, 0) + " MiB**"; });
  row("intake to answer, `timings.total_ms` p50 / p95 / p99", [](const Result& r) {
    const auto it = r.timings.find("total_ms");
    return (it == r.timings.end() ? std::string("-") : three(it->second)) + " ms";
  });
  row("... of which claim / RAG / LLM, p50", [](const Result& r) {
    return fixed(r.p("claim_ms", 50), 0) + " / " + fixed(r.p("rag_ms", 50), 0) + " / " +
           fixed(r.p("llm_ms", 50), 0) + " ms";
  });
  row("after the answer: finish, reply, delivery, p50 / p95 / p99",
      [](const Result& r) { return three(r.after_answer_ms) + " ms"; });
  row("publish to reply p50 / p95 / p99 (all published at once)",
      [](const Result& r) { return three(r.end_to_end_ms) + " ms"; });
  row("replies not `status: done`", [](const Result& r) {
    return std::to_string(r.not_done) + (r.not_done_text.empty() ? "" : " (" + r.not_done_text + ")");
  });
  row("duplicate replies", [](const Result& r) { return std::to_string(r.duplicates); });
  row("fake: requests waiting at once, peak / mean (middle)", [](const Result& r) {
    return std::to_string(r.fake_peak) + " / " + fixed(r.fake_mean, 0);
  });
  row("CPU per task: fake / devbus / PostgreSQL / benchmark", [](const Result& r) {
    return fixed(r.per_task_ms(r.cpu.fake), 2) + " / " + fixed(r.per_task_ms(r.cpu.devbus), 2) +
           " / " + fixed(r.per_task_ms(r.cpu.postgres), 2) + " / " +
           fixed(r.per_task_ms(r.cpu.self), 2) + " ms";
  });
  row("machine busy (2 cores); load average before, after", [](const Result& r) {
    return fixed(100.0 * r.machine_busy, 0) + " %; " + r.load_before + ", " + r.load_after;
  });

  const Result* fast = nullptr;
  for (const Result& r : results) {
    if (r.ceiling >= 300.0 && (!fast || r.rag_delay_ms < fast->rag_delay_ms)) fast = &r;
  }
  s << "\nAim: at least 300 tasks/s from one worker, every reply `done`, none duplicated: ";
  if (fast) {
    const bool met = fast->clean() && fast->steady >= 300.0;
    s << "**" << (met ? "met" : "NOT met") << "** (" << fixed(fast->steady, 0)
      << " tasks/s steady with RAG at " << fast->rag_delay_ms << " ms).";
  } else {
    s << "no phase here has a ceiling above 300 tasks/s.";
  }
  for (const Result& r : results) {
    if (r.ceiling < 300.0) {
      s << " With RAG at " << fixed(double(r.rag_delay_ms) / 1000.0, 1) << " s: "
        << fixed(r.steady, 0) << " tasks/s, " << fixed(100.0 * r.steady / r.ceiling, 0)
        << " % of its ceiling.";
    }
  }
  s << "\n\n"
    << "Reproduce: `./scripts/build.sh` (the benchmarks are built with everything, never run by "
       "`./scripts/test.sh`), then `build/bin/worker_bench` (about two minutes; prints this "
       "section) or `build/bin/worker_bench --write-docs` (also replaces this section). "
       "`--tasks N`, `--rag-delay-ms N` (one phase), `--db-connections N`, `--env KEY=VALUE` "
       "(any worker variable) and `--pg-stats` (the costliest SQL statements by "
       "`pg_stat_statements`, lock waits included) help profiling; `--help` lists the rest. "
       "Other engineers' work on the machine moves every figure by tens of percent: compare "
       "runs made back to back.\n\n"
    << "What limited the worker, found with this benchmark (`--pg-stats`, `perf record -g -p "
       "<worker pid>`, `/_fake/stats`), and what was changed:\n\n"
    << "1. **Flow control came in waves.** The consumer pauses at its `max_inflight` and "
       "resumes at half of it; the worker gave it `WORKER_MAX_INFLIGHT`, so the running tasks "
       "drained from 1024 to 512 before more were fetched, and then started together, their "
       "database transactions queueing in bursts. The fake saw 620-810 requests waiting on "
       "average instead of ~1024. Now the consumer's limit is twice `WORKER_MAX_INFLIGHT` and "
       "the worker starts at most `WORKER_MAX_INFLIGHT` tasks, the rest wait in a queue "
       "(no lease, offset uncompleted) and start as running tasks finish "
       "(`worker/src/service.cpp`, `waiting`).\n"
    << "2. **The fleet's daily token row was a lock convoy.** Every reservation and settlement "
       "updates the one `atlas_token_ledger` row of the day; each did an `INSERT ... ON CONFLICT "
       "DO NOTHING` (which waits for the lock holder too) and then its `UPDATE`, and `finish` "
       "settled before its two other statements, holding the row lock across them. "
       "`pg_stat_statements` showed 60 s of waits on that row in a 40 s run. Now each is one "
       "conditional upsert, the last statement before `COMMIT` (`worker/src/ledger.cpp`).\n\n"
    << "Measured back to back on the same machine: RAG 2 s went from 157-162 tasks/s (before "
       "both changes) to 194 (ledger change) and about 238 (both; the ceiling is 256); RAG 20 ms "
       "from 273 (ledger change alone) to 400-415 (both). `WORKER_DB_CONNECTIONS` 4, 16 and 32 "
       "gave 412, 389 and 400 tasks/s with RAG at 20 ms: the pool size is not the limit, the two "
       "cores are (the machine is 90-100 % busy during that phase, and a task costs about 3.5 ms "
       "of CPU in all: worker, PostgreSQL, fake).\n\n"
    << "Done since the first profile: the HTTP client (`core/src/http/client.cpp`) runs on "
       "libcurl's socket interface with epoll, so a wake-up costs in proportion to the sockets "
       "that are ready instead of walking all ~1024 transfers (about 8-20 % less worker CPU per "
       "task, measured back to back). What remains, for later work: (a) PostgreSQL spends about "
       "as much CPU per task as the worker: three transactions of two to four statements each; "
       "fewer round trips (one statement per transaction with CTEs) would cut it. (b) The sync loop renews the lease of every running "
       "task each second: one `UPDATE` of ~1024 rows a second at this load (about 1 s of server "
       "time in a 30 s run); renewing only leases past half their time would remove most of it.\n";
  return s.str();
}
#endif  // ATLAS_BENCH_HAS_TEST_SUPPORT

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> opts;
  try {
    opts = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "worker_bench: " << e.what() << "\n" << kUsage;
    return 2;
  }
  if (!opts) return 0;
#ifndef ATLAS_BENCH_HAS_TEST_SUPPORT
  std::cerr << "worker_bench: built without the test support library (ATLAS_BUILD_TESTS=OFF); "
               "it needs PgFixture, DevbusFixture, FakeUpstream and WorkerProcess\n";
  return 2;
#else
  if (opts->output.empty()) opts->output = atlas::test::source_dir() + "/docs/benchmarks.md";
  atlas::Logger logger("worker_bench", atlas::LogLevel::warn);

  // --- the stack ------------------------------------------------------------------------
  std::cerr << "worker_bench: starting PostgreSQL, atlas-devbus, atlas-fake\n";
  atlas::test::PgFixture pg("worker_bench");
  atlas::test::DevbusFixture bus;
  atlas::test::FakeUpstreamOptions fake_options;
  fake_options.delay_ms = opts->delay_ms;
  fake_options.threads = opts->fake_threads;
  fake_options.max_calls = 1000;  // the benchmark reads statistics, not recorded calls
  atlas::test::FakeUpstream fake(fake_options);
  if (opts->pg_stats) {
    // pg_stat_statements loads at server start; the worker is not up yet.
    pg.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    pg.stop();
    pg.start();
    pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  }

  std::map<std::string, std::string> env =
      atlas::test::worker_env(bus.bootstrap(), pg.url(), fake.base_url());
  env["WORKER_MAX_INFLIGHT"] = std::to_string(opts->max_inflight);
  env["DAILY_TOKEN_BUDGET"] = "1000000000000";  // the budget never refuses
  // At warn the worker does not log its "atlas-worker starting" line, which
  // WorkerProcess::wait_ready() reads the metrics port from: give it a port
  // and ask /readyz directly.
  env["LOG_LEVEL"] = "warn";
  const int metrics_port = free_port();
  env["METRICS_PORT"] = std::to_string(metrics_port);
  env["WORKER_ID"] = "bench-worker";
  if (opts->db_connections > 0) env["WORKER_DB_CONNECTIONS"] = std::to_string(opts->db_connections);
  for (const auto& [k, v] : opts->extra_env) env[k] = v;

  std::cerr << "worker_bench: starting atlas-worker\n";
  atlas::test::WorkerProcess worker("bench", env);
  const auto ready = [&] {
    atlas::http::Client client;
    atlas::http::ClientRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(metrics_port) + "/readyz";
    request.timeout = 2s;
    const auto response = client.send(std::move(request)).get();
    return response.transport_ok() && response.status == 200;
  };
  if (!atlas::test::wait_until([&] { return !worker.process().running() || ready(); }, 60s,
                               100ms) ||
      !worker.process().running()) {
    std::cerr << "worker_bench: atlas-worker did not become ready\n" << worker.log() << "\n";
    return 1;
  }
  Pids pids;
  pids.worker = worker.process().pid();
  pids.devbus = bus.process().pid();
  if (const auto found = children_named(getpid(), "atlas-fake"); !found.empty()) {
    pids.fake = found.front();
  }
  {
    std::istringstream in(read_file(pg.data_dir() + "/postmaster.pid"));
    in >> pids.postmaster;
  }

  // --- requests of every phase and the reply counter -------------------------------------------
  std::vector<std::unique_ptr<Phase>> phases;
  RequestIndex index;
  for (const std::int64_t rag_delay : opts->rag_delays) {
    auto phase = std::make_unique<Phase>();
    phase->rag_delay_ms = rag_delay;
    phase->ids.resize(opts->tasks);
    phase->values.resize(opts->tasks);
    phase->published.resize(opts->tasks);
    phase->seen.assign(opts->tasks, 0);
    for (std::size_t i = 0; i < opts->tasks; ++i) {
      phase->values[i] = atlas::test::make_chat_json(
          "Design a CI pipeline for service " + std::to_string(i) +
              ": build, test and deploy to Kubernetes with canary releases",
          phase->ids[i]);
      index.emplace(phase->ids[i], std::make_pair(phase.get(), i));
    }
    phases.push_back(std::move(phase));
  }
  Counter counter;
  counter.index = &index;
  atlas::kafka::ConsumerOptions counter_options;
  counter_options.group_id = "worker-bench-" + atlas::Uuid::random_v4().to_string();
  counter_options.topics = {"architect_out"};
  counter_options.client_id = "worker-bench";
  counter_options.max_inflight = 100'000;
  counter_options.auto_offset_reset = "earliest";
  atlas::test::ConsumerThread consumer(
      bus.settings(), counter_options, logger,
      [&counter](atlas::kafka::Message message, atlas::kafka::Completion done) {
        counter.record(message.value);
        done();
      });
  atlas::kafka::Producer producer(bus.settings(), "worker-bench", logger);

  // --- warm-up ----------------------------------------------------------------------------
  // A reply to a warm-up request means the worker's consumer is assigned (a
  // single member of the group gets every partition at once), its database
  // and HTTP connections are open, and the counter reads architect_out.
  std::cerr << "worker_bench: warm-up (the first group join takes a few seconds)\n";
  constexpr std::size_t kWarmUp = 12;
  for (std::size_t i = 0; i < kWarmUp; ++i) {
    std::string id;
    const std::string value = atlas::test::make_chat_json("warm-up " + std::to_string(i), id);
    const auto result = producer.produce_sync({"architect_in", id, value, {}, std::nullopt}, 30s);
    if (!result.ok) {
      std::cerr << "worker_bench: warm-up publish failed: " << result.error << "\n";
      return 1;
    }
  }
  if (!atlas::test::wait_until([&] { return counter.other.load() >= kWarmUp; }, 60s, 50ms)) {
    std::cerr << "worker_bench: no warm-up replies within 60 s\n" << worker.log() << "\n";
    return 1;
  }

  // --- the phases -----------------------------------------------------------------------------
  std::vector<Result> results;
  for (auto& phase : phases) {
    results.push_back(run_phase(*phase, *opts, producer, fake, pg, pids));
    const Result& r = results.back();
    std::cerr << "worker_bench: RAG " << r.rag_delay_ms << " ms: " << r.answered << " replies, "
              << fixed(r.steady, 1) << " tasks/s steady, " << fixed(r.per_task_ms(r.cpu.worker), 2)
              << " ms worker CPU per task\n";
  }
  consumer.stop();

  const std::string section = report(*opts, results);
  std::cout << section;
  bool clean = true;
  for (const Result& r : results) clean = clean && r.clean();
  if (opts->write_docs) {
    atlas::bench::write_section(opts->output, "## atlas-worker", section);
    std::cerr << "worker_bench: wrote the atlas-worker section of " << opts->output << "\n";
  }
  if (!clean) {
    const std::string log = worker.log();
    std::cerr << "worker_bench: the run was not clean (missing, failed or duplicate replies); "
                 "the worker's last log lines:\n"
              << log.substr(log.size() > 4000 ? log.size() - 4000 : 0) << "\n";
  }
  return clean ? 0 : 1;
#endif
}
