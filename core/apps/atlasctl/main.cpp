// atlasctl: the operator's command-line tool. This file only parses the
// global options and dispatches; each command lives in cmd_<name>.cpp.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "atlas/config.hpp"
#include "atlas/log.hpp"
#include "atlas/redact.hpp"
#include "commands.hpp"

extern char** environ;

namespace {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&, atlas::ctl::Context&);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"validate", atlas::ctl::cmd_validate, "check envelope files against the event schema"},
    {"publish", atlas::ctl::cmd_publish, "publish a chat request to architect_in, print its task_id"},
    {"tail", atlas::ctl::cmd_tail, "print architect_out messages as JSON lines (--follow)"},
    {"migrate", atlas::ctl::cmd_migrate, "apply the PostgreSQL migrations (schema/sql)"},
    {"dlq", atlas::ctl::cmd_dlq, "dead letters: list, replay ID|--all, purge"},
    {"status", atlas::ctl::cmd_status, "every service's /readyz (exit 0 ok, 3 degraded, 4 down)"},
    {"doctor", atlas::ctl::cmd_doctor, "check configuration, Kafka, database, RAG and LLM keys"},
    {"budget", atlas::ctl::cmd_budget, "token budget: show today's ledger, set the per-run budget"},
    {"trace", atlas::ctl::cmd_trace, "one task from the ledger: attempts, timings, tokens, cost"},
    {"heartbeat", atlas::ctl::cmd_heartbeat, "ask every worker replica to answer"},
    {"flush-cache", atlas::ctl::cmd_flush_cache, "make every worker drop its RAG cache"},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: atlasctl [--env-file FILE] COMMAND [ARGS...]\n"
               "\n"
               "Operate an Atlas fleet. Configuration comes from the environment\n"
               "(KAFKA_BROKERS, DATABASE_URL, ...), optionally from --env-file.\n"
               "\n"
               "commands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'atlasctl COMMAND --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  atlas::Redactor redactor;
  atlas::EnvSource env = atlas::EnvSource::from_environ(environ);
  std::vector<std::string> args;
  try {
    args = atlas::take_env_file_option(argc, argv, env);
  } catch (const atlas::ConfigError& e) {
    std::fprintf(stderr, "atlasctl: %s\n", e.what());
    return atlas::ctl::kExitInvalid;
  }
  if (args.empty()) {
    usage(stderr);
    return atlas::ctl::kExitInvalid;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    usage(stdout);
    return atlas::ctl::kExitOk;
  }
  // atlasctl talks to people: plain text logs unless LOG_FORMAT says otherwise.
  const auto format =
      atlas::parse_log_format(env.raw("LOG_FORMAT").value_or("text")).value_or(atlas::LogFormat::text);
  const auto level =
      atlas::parse_log_level(env.raw("LOG_LEVEL").value_or("warn")).value_or(atlas::LogLevel::warn);
  atlas::Logger log("atlasctl", level, format, &redactor);
  atlas::ctl::Context ctx{env, redactor, log};

  for (const auto& c : kCommands) {
    if (args[0] == c.name) {
      const std::vector<std::string> rest(args.begin() + 1, args.end());
      try {
        return c.run(rest, ctx);
      } catch (const atlas::ConfigError& e) {
        std::fprintf(stderr, "atlasctl %s: %s\n", c.name, redactor.redact(e.what()).c_str());
        return atlas::ctl::kExitInvalid;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "atlasctl %s: %s\n", c.name, redactor.redact(e.what()).c_str());
        return atlas::ctl::kExitError;
      }
    }
  }
  std::fprintf(stderr, "atlasctl: unknown command '%s'\n\n", args[0].c_str());
  usage(stderr);
  return atlas::ctl::kExitInvalid;
}
