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
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--format") {
      format = parse_format(flag_value(args, i, "--format"));
    } else if (a == "--wait") {
      wait_s = flag_seconds(args, i, "--wait", 0.1, 600);
    } else {
      std::fprintf(stderr, "atlasctl flush-cache: unknown argument '%s'\n\n%s", a.c_str(), kUsage);
      return kExitInvalid;
    }
  }
  ConfigReader reader(ctx.env, ctx.redactor);
  const CommonConfig common = CommonConfig::load(reader);
  reader.finish();

  ControlRoundTrip trip(common.kafka, ctx.log);
  const ControlResult result =
      trip.run({{"command", "flush_cache"}},
               std::chrono::milliseconds(static_cast<std::int64_t>(wait_s * 1000)),
               [](const std::vector<ControlReply>& replies) { return !replies.empty(); });
  if (!result.error.empty()) {
    std::fprintf(stderr, "atlasctl flush-cache: %s\n", ctx.redactor.redact(result.error).c_str());
    return kExitError;
  }
  if (result.replies.empty()) {
    std::fprintf(stderr,
                 "atlasctl flush-cache: no reply to %s within %.1f s: is atlas-worker running and "
                 "consuming %s? (atlasctl status)\n",
                 result.task_id.c_str(), wait_s, common.kafka.topic_in.c_str());
    return kExitError;
  }
  const nlohmann::json& reply = result.replies.front().envelope;
  const nlohmann::json content = reply.value("content", nlohmann::json::object());
  const std::string status = reply.value("metadata", nlohmann::json::object()).value("status", "");
  if (format == Format::json) {
    print_json({{"task_id", result.task_id}, {"status", status}, {"reply", reply}});
  } else {
    std::printf("flush_cache %s: %s from %s; every replica drops its RAG cache within 5 s\n",
                result.task_id.c_str(), status.c_str(),
                cell(content.is_object() ? content.value("worker_id", nlohmann::json()) : nlohmann::json()).c_str());
  }
  return status == "ok" ? kExitOk : kExitError;
}

}  // namespace atlas::ctl
