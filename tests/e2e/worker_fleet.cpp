// Several atlas-worker processes sharing one group, one ledger and one
// budget (issue 3): control commands reach every replica (G7), the fleet
// never spends past DAILY_TOKEN_BUDGET (G6), and a replica killed with
// SIGKILL mid-flight loses nothing and runs nothing twice beyond what it
// had in flight (G4, G5).
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "worker_stack.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using atlas::test::Stack;

namespace {

// The distinct reply task_ids of spec replies per request.
std::map<std::string, std::set<std::string>> reply_ids(const Stack& stack,
                                                       const std::vector<std::string>& requests) {
  std::map<std::string, std::set<std::string>> ids;
  for (const std::string& id : requests) {
    for (const json& reply : stack.out.replies_to(id)) {
      if (reply["msg_type"] == "spec") ids[id].insert(reply["task_id"].get<std::string>());
    }
  }
  return ids;
}

bool all_answered(const Stack& stack, const std::vector<std::string>& requests) {
  const auto ids = reply_ids(stack, requests);
  return ids.size() == requests.size();
}

std::string tail(const std::string& text) {
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

}  // namespace

TEST_CASE("worker fleet: heartbeat, set_budget and flush_cache reach every replica, including "
          "one started later") {
  Stack stack;
  stack.start_workers(3);

  const std::string heartbeat = stack.publish_control({{"command", "heartbeat"}});
  const std::vector<json> first = stack.await_replies(heartbeat, 1, 60s);
  const auto first_at = std::chrono::steady_clock::now();
  // Every replica answers from the control log within 5 s of the first answer.
  REQUIRE_MESSAGE(stack.out.wait([&] { return stack.out.replies_to(heartbeat).size() >= 3; }, 5s),
                  "heartbeat answers: " << stack.out.replies_to(heartbeat).size());
  CHECK(std::chrono::steady_clock::now() - first_at < 5s);
  std::set<std::string> replicas;
  std::set<std::string> reply_task_ids;
  for (const json& reply : stack.out.replies_to(heartbeat)) {
    CHECK(reply["msg_type"] == "control");
    CHECK(reply["metadata"]["status"] == "ok");
    replicas.insert(reply["content"]["worker_id"].get<std::string>());
    reply_task_ids.insert(reply["task_id"].get<std::string>());
  }
  CHECK(replicas.size() == 3);
  CHECK(reply_task_ids.size() == 3);

  const std::string budget = stack.publish_control({{"command", "set_budget"}, {"tokens_per_run", 3000}});
  CHECK(stack.await_replies(budget).front()["metadata"]["status"] == "ok");
  for (auto& worker : stack.workers) {
    CHECK_MESSAGE(atlas::test::wait_until(
                      [&] { return worker->metric("atlas_token_budget_per_run") == 3000.0; }, 5s),
                  worker->name());
  }
  // A replica started after the command takes the persistent setting at once.
  stack.start_workers(1);
  CHECK(stack.workers.back()->metric("atlas_token_budget_per_run") == 3000.0);

  const std::string flush = stack.publish_control({{"command", "flush_cache"}});
  CHECK(stack.await_replies(flush).front()["metadata"]["status"] == "ok");
  for (auto& worker : stack.workers) {
    CHECK_MESSAGE(atlas::test::wait_until(
                      [&] { return worker->log().find("RAG cache flushed") != std::string::npos; },
                      5s),
                  worker->name());
  }
}

TEST_CASE("worker fleet: three replicas and 200 concurrent requests never spend past "
          "DAILY_TOKEN_BUDGET") {
  constexpr int kBudget = 20000;
  Stack stack({{"DAILY_TOKEN_BUDGET", std::to_string(kBudget)}, {"LLM_MAX_OUTPUT_TOKENS", "300"}},
              {.delay_ms = 200});
  stack.start_workers(3);
  std::vector<std::string> requests;
  for (int i = 0; i < 200; ++i) {
    requests.push_back(stack.publish_chat("Design a minimal CI pipeline, variant " + std::to_string(i)));
  }
  REQUIRE_MESSAGE(stack.out.wait([&] { return all_answered(stack, requests); }, 180s),
                  tail(stack.workers[0]->log()));
  std::map<std::string, int> statuses;
  for (const auto& [id, ids] : reply_ids(stack, requests)) {
    CHECK(ids.size() == 1);
    statuses[stack.out.replies_to(id).front()["metadata"]["status"].get<std::string>()] += 1;
  }
  CHECK(statuses["done"] > 0);
  CHECK(statuses["budget_exceeded"] > 0);
  CHECK(statuses["done"] + statuses["budget_exceeded"] == 200);
  const json stats = stack.fake.stats();
  const int spent = stats["tokens"]["total"].get<int>();
  MESSAGE("tokens spent by the fake's count: " << spent << " of " << kBudget << "; done "
                                               << statuses["done"]);
  CHECK(spent <= kBudget);
  CHECK(spent > 0);
  const int used = std::stoi(stack.sql("SELECT coalesce(sum(used), 0) FROM atlas_token_ledger"));
  CHECK(used <= kBudget);
  CHECK(used >= spent);  // the ledger never under-counts what providers reported
  // Every worker served part of the load.
  int busy = 0;
  for (auto& worker : stack.workers) {
    const auto done = worker->metric("atlas_tasks_total{outcome=\"done\"}").value_or(0) +
                      worker->metric("atlas_tasks_total{outcome=\"budget_exceeded\"}").value_or(0);
    if (done > 0) ++busy;
  }
  CHECK(busy == 3);
}

TEST_CASE("worker fleet: kill -9 of one of three workers with 200 requests in flight: one reply id "
          "per request, model calls at most requests plus those in flight at the kill") {
  constexpr int kMaxInflight = 64;  // per worker: the most calls the killed one can have open
  Stack stack({{"WORKER_LEASE_S", "3"},
               {"DAILY_TOKEN_BUDGET", "100000000"},
               {"WORKER_MAX_INFLIGHT", std::to_string(kMaxInflight)}},
              {.delay_ms = 2000});
  stack.start_workers(3);
  std::vector<std::string> requests;
  for (int i = 0; i < 200; ++i) {
    requests.push_back(stack.publish_chat("Design a minimal CI pipeline, variant " + std::to_string(i)));
  }
  // Wait until the replicas are in the middle of their LLM calls (each
  // answered after 2 s), so the killed one dies with calls in flight.
  REQUIRE(atlas::test::wait_until(
      [&] { return stack.fake.count("/v1/chat/completions") >= 120; }, 60s, 50ms));
  // Kill the busiest replica.
  std::size_t victim = 0;
  double most = -1;
  for (std::size_t i = 0; i < stack.workers.size(); ++i) {
    const double inflight = stack.workers[i]->metric("atlas_tasks_inflight").value_or(0);
    if (inflight > most) most = inflight, victim = i;
  }
  const int inflight_at_kill = stack.fake.stats()["inflight"].get<int>();
  REQUIRE(stack.workers[victim]->process().kill(SIGKILL));
  REQUIRE(stack.workers[victim]->process().wait_for_exit(10s).has_value());
  MESSAGE("killed " << stack.workers[victim]->name() << " with " << most << " tasks in flight");

  const bool answered = stack.out.wait([&] { return all_answered(stack, requests); }, 240s);
  if (!answered) {
    const auto ids = reply_ids(stack, requests);
    std::string missing;
    for (const std::string& id : requests) if (!ids.count(id)) missing += id + " ";
    for (auto& worker : stack.workers) {
      std::ofstream("/tmp/atlas-fleet-" + worker->name() + ".log") << worker->log();
    }
    FAIL("unanswered: " << missing << " (worker logs in /tmp/atlas-fleet-*.log)");
  }
  std::this_thread::sleep_for(2s);  // late duplicates would show up now
  for (const auto& [id, ids] : reply_ids(stack, requests)) {
    CHECK_MESSAGE(ids.size() == 1, id);
    for (const json& reply : stack.out.replies_to(id)) CHECK(reply["metadata"]["status"] == "done");
  }
  const int llm_calls = stack.fake.count("/v1/chat/completions");
  MESSAGE("LLM calls: " << llm_calls << " for 200 requests; fake in-flight at the kill: "
                        << inflight_at_kill);
  CHECK(llm_calls >= 200);
  // Each task has at most one call open, and the killed worker ran at most
  // kMaxInflight tasks (it was running `most` when last scraped).
  CHECK(llm_calls <= 200 + kMaxInflight);
  CHECK(stack.sql("SELECT count(*) FROM atlas_tasks WHERE reply IS NOT NULL") == "200");
  CHECK(stack.sql("SELECT count(*) FROM architect_out") == "200");
}
