// atlas-fake: a local stand-in for the outside world (OpenAI, Anthropic, the
// RAG gateway, Slack, GitHub) for end-to-end tests and benchmarks, scriptable
// over HTTP under /_fake/. See docs/testing-fakes.md; the pieces live in
// tests/tools/fake/*.hpp.
//
//   atlas-fake [--host 127.0.0.1] [--port 0] [--port-file PATH] [--delay-ms N]
//              [--threads 2] [--max-calls 100000]
//
// Writes the bound port to --port-file (write a temporary file, then rename)
// once listening, logs JSON lines to stderr (LOG_LEVEL=debug logs every
// request), and exits 0 on SIGTERM or SIGINT.
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "atlas/log.hpp"
#include "atlas/stop_signals.hpp"
#include "fake/app.hpp"

namespace {

constexpr const char* kUsage =
    "usage: atlas-fake [--host 127.0.0.1] [--port 0] [--port-file PATH] [--delay-ms N] "
    "[--threads 2] [--max-calls 100000]";

// A whole decimal number in [min, max], or nullopt.
std::optional<long long> parse_number(const std::string& text, long long min, long long max) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) return std::nullopt;
  return value;
}

struct Args {
  atlas::fake::FakeOptions options;
  std::string port_file;
};

// Parses the flags; on a bad flag prints what is wrong and returns nullopt.
std::optional<Args> parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "atlas-fake: " << flag << " needs a value\n" << kUsage << "\n";
      return std::nullopt;
    }
    const std::string value = argv[++i];
    const auto number = [&](long long min, long long max) {
      auto n = parse_number(value, min, max);
      if (!n) {
        std::cerr << "atlas-fake: " << flag << " must be a whole number from " << min << " to "
                  << max << ", got '" << value << "'\n";
      }
      return n;
    };
    if (flag == "--host") {
      args.options.host = value;
    } else if (flag == "--port") {
      const auto n = number(0, 65535);
      if (!n) return std::nullopt;
      args.options.port = static_cast<std::uint16_t>(*n);
    } else if (flag == "--port-file") {
      args.port_file = value;
    } else if (flag == "--delay-ms") {
      const auto n = number(0, 600'000);
      if (!n) return std::nullopt;
      args.options.delay_ms = *n;
    } else if (flag == "--threads") {
      const auto n = number(1, 64);
      if (!n) return std::nullopt;
      args.options.threads = static_cast<int>(*n);
    } else if (flag == "--max-calls") {
      const auto n = number(1, 10'000'000);
      if (!n) return std::nullopt;
      args.options.max_calls = static_cast<std::size_t>(*n);
    } else {
      std::cerr << "atlas-fake: unknown flag " << flag << "\n" << kUsage << "\n";
      return std::nullopt;
    }
  }
  return args;
}

// Writes `text` to `path` atomically: a reader sees no file or the whole port.
bool write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return false;
  const bool written = std::fputs(text.c_str(), f) >= 0;
  const bool closed = std::fclose(f) == 0;
  return written && closed && std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Each waiting request holds a socket: lift the soft descriptor limit to the
// hard one so thousands can wait (max_connections is 20000).
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

atlas::LogLevel log_level_from_env() {
  const char* level = std::getenv("LOG_LEVEL");
  if (level == nullptr || *level == '\0') return atlas::LogLevel::info;
  return atlas::parse_log_level(level).value_or(atlas::LogLevel::info);
}

}  // namespace

int main(int argc, char** argv) {
  atlas::StopSignals signals;  // before any thread starts
  const auto args = parse_args(argc, argv);
  if (!args) return 2;
  atlas::Logger logger("atlas-fake", log_level_from_env());
  raise_descriptor_limit();
  try {
    atlas::fake::FakeApp app(args->options, logger);
    app.start();
    if (!args->port_file.empty() && !write_atomically(args->port_file, std::to_string(app.port()))) {
      logger.error("cannot write the port file; check that its directory exists and is writable",
                   {{"port_file", args->port_file}});
      app.stop();
      return 1;
    }
    logger.info("atlas-fake ready", {{"host", args->options.host},
                                     {"port", app.port()},
                                     {"delay_ms", args->options.delay_ms},
                                     {"threads", args->options.threads}});
    const int sig = signals.wait();
    logger.info("stopping", {{"signal", atlas::stop_signal_name(sig)}});
    app.stop();
  } catch (const std::exception& e) {
    logger.error("atlas-fake failed", {{"error", e.what()}});
    return 1;
  }
  logger.info("stopped");
  return 0;
}
