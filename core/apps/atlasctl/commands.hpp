#pragma once
// atlasctl's commands. main.cpp parses the global options (--env-file, --help)
// and dispatches to one of these; each lives in its own cmd_<name>.cpp.
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/log.hpp"
#include "atlas/redact.hpp"

namespace atlas::ctl {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;    // runtime failure (broker or database unreachable, ...)
inline constexpr int kExitInvalid = 2;  // invalid input or usage

struct Context {
  const EnvSource& env;  // process environment plus --env-file
  Redactor& redactor;    // every secret configuration loads is registered here
  Logger& log;           // diagnostics on stderr
};

// The settings every service shares (KAFKA_*, DATABASE_URL), read from the
// command's environment; throws ConfigError listing every problem at once.
inline CommonConfig load_common_config(Context& ctx) {
  ConfigReader reader(ctx.env, ctx.redactor);
  CommonConfig common = CommonConfig::load(reader);
  reader.finish();
  return common;
}

// Each command takes the arguments after its name. "--help" anywhere prints
// the command's usage on stdout and returns 0.
int cmd_validate(const std::vector<std::string>& args, Context& ctx);
int cmd_publish(const std::vector<std::string>& args, Context& ctx);
int cmd_tail(const std::vector<std::string>& args, Context& ctx);
int cmd_migrate(const std::vector<std::string>& args, Context& ctx);
int cmd_dlq(const std::vector<std::string>& args, Context& ctx);
int cmd_status(const std::vector<std::string>& args, Context& ctx);
int cmd_doctor(const std::vector<std::string>& args, Context& ctx);
int cmd_budget(const std::vector<std::string>& args, Context& ctx);
int cmd_trace(const std::vector<std::string>& args, Context& ctx);
int cmd_heartbeat(const std::vector<std::string>& args, Context& ctx);
int cmd_flush_cache(const std::vector<std::string>& args, Context& ctx);

}  // namespace atlas::ctl
