// atlasctl heartbeat: send the heartbeat control and print every worker
// replica's answer that arrives within --wait seconds. Each replica answers
// on its own (content.worker_id), so the list is the fleet that is alive and
// consuming right now.
#include <cstdio>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "commands.hpp"
#include "control_roundtrip.hpp"
#include "output.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl heartbeat [--wait SECONDS] [--expect N] [--format table|json]\n"
    "\n"
    "Publishes {\"command\":\"heartbeat\"} to architect_in and prints the answer of every\n"
    "atlas-worker replica arriving on architect_out within --wait seconds: its worker_id,\n"
    "tasks in flight, uptime, LLM chain and per-run token budget.\n"
    "  --wait SECONDS        how long to collect answers (default 5; replicas answer\n"
    "                        within about a second of each other)\n"
    "  --expect N            stop as soon as N replicas have answered\n"
    "  --format table|json   output (default table)\n"
    "\n"
    "Exit status: 0 when at least one replica answered (and --expect N were reached),\n"
    "1 when none did (or fewer than N), 2 usage or configuration error.\n";

}  // namespace

int cmd_heartbeat(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  double wait_s = 5;
  long expect = 0;
  const auto stop = read_args(args, "heartbeat", kUsage, &format,
                              [&](const std::vector<std::string>& a, std::size_t& i) {
                                if (a[i] == "--wait") {
                                  wait_s = flag_seconds(a, i, "--wait", 0.1, 600);
                                } else if (a[i] == "--expect") {
                                  expect = static_cast<long>(flag_integer(a, i, "--expect", 1, 100000));
                                } else {
                                  return ArgUse::unknown;
                                }
                                return ArgUse::taken;
                              });
  if (stop) return *stop;
  const CommonConfig common = load_common_config(ctx);

  const auto sent = send_control(ctx, "heartbeat", common.kafka, {{"command", "heartbeat"}}, wait_s,
                                 [expect](const std::vector<ControlReply>& replies) {
                                   return expect > 0 && static_cast<long>(replies.size()) >= expect;
                                 });
  if (!sent) return kExitError;
  const ControlResult& result = *sent;

  const bool enough = !result.replies.empty() &&
                      (expect == 0 || static_cast<long>(result.replies.size()) >= expect);
  if (format == Format::json) {
    nlohmann::json replicas = nlohmann::json::array();
    for (const auto& r : result.replies) {
      nlohmann::json content = r.envelope.value("content", nlohmann::json::object());
      if (!content.is_object()) content = nlohmann::json::object();
      content["after_ms"] = r.after.count();
      content["reply_task_id"] = r.envelope.value("task_id", "");
      replicas.push_back(std::move(content));
    }
    print_json({{"task_id", result.task_id}, {"answered", result.replies.size()}, {"replicas", replicas}});
  } else {
    Table table({"WORKER_ID", "STATUS", "INFLIGHT", "UPTIME_S", "TOKENS_PER_RUN", "CHAIN", "AFTER_MS"});
    for (const auto& r : result.replies) {
      const nlohmann::json content = r.envelope.value("content", nlohmann::json::object());
      if (!content.is_object()) continue;
      std::string chain;
      for (const auto& m : content.value("chain", nlohmann::json::array())) {
        chain += (chain.empty() ? "" : ",") + cell(m);
      }
      table.add({cell(content.value("worker_id", nlohmann::json())),
                 cell(content.value("status", nlohmann::json())),
                 cell(content.value("inflight", nlohmann::json())),
                 cell(content.value("uptime_s", nlohmann::json())),
                 cell(content.value("tokens_per_run", nlohmann::json())), chain,
                 std::to_string(r.after.count())});
    }
    if (!table.empty()) table.print();
    std::printf("%zu replica(s) answered heartbeat %s within %.1f s\n", result.replies.size(),
                result.task_id.c_str(), wait_s);
  }
  if (!enough) {
    const std::string what = result.replies.empty()
                                 ? "no worker answered"
                                 : "only " + std::to_string(result.replies.size()) + " of " +
                                       std::to_string(expect) + " replicas answered";
    std::fprintf(stderr, "atlasctl heartbeat: %s: %s\n", what.c_str(),
                 no_worker_hint(common.kafka).c_str());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace atlas::ctl
