// atlasctl flush-cache: send the flush_cache control and wait for the worker
// that received it to confirm. Every replica drops its cached RAG answers
// within 5 s (it follows the shared control log, DESIGN G7).
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
    "usage: atlasctl flush-cache [--wait SECONDS] [--format table|json]\n"
    "\n"
    "Publishes {\"command\":\"flush_cache\"} to architect_in and waits for the \"ok\" reply on\n"
    "architect_out. Every atlas-worker replica then drops its RAG fail-open cache within\n"
    "5 s, so the next chats query RAG_URL afresh (useful after a large re-index).\n"
    "  --wait SECONDS        how long to wait for the reply (default 30)\n"
    "  --format table|json   output (default table)\n"
    "\n"
    "Exit status: 0 confirmed, 1 no reply in time (is atlas-worker running?), 2 usage.\n";

}  // namespace

int cmd_flush_cache(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  double wait_s = 30;
  if (const auto stop = read_args(args, "flush-cache", kUsage, &format,
                                  seconds_option("--wait", wait_s, 0.1, 600))) {
    return *stop;
  }
  const CommonConfig common = load_common_config(ctx);

  const auto answer = ask_worker(ctx, "flush-cache", common.kafka, {{"command", "flush_cache"}}, wait_s);
  if (!answer) return kExitError;
  if (format == Format::json) {
    print_json({{"task_id", answer->task_id}, {"status", answer->status}, {"reply", answer->reply}});
  } else {
    std::printf("flush_cache %s: %s from %s; every replica drops its RAG cache within 5 s\n",
                answer->task_id.c_str(), answer->status.c_str(), answer->worker_id.c_str());
  }
  return answer->status == "ok" ? kExitOk : kExitError;
}

}  // namespace atlas::ctl
