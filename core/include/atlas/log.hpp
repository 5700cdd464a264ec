#pragma once
// Structured logging: one JSON object a line (LOG_FORMAT=json, the default) or
// a readable line (LOG_FORMAT=text), on stderr. A Logger is owned by main and
// passed by reference; there is no global logger. Every message and field
// value passes through the Redactor, so secrets never reach the log.
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atlas/redact.hpp"

namespace atlas {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
enum class LogFormat { json, text };

// Parses "debug|info|warn|warning|error"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);
std::optional<LogFormat> parse_log_format(std::string_view text);
std::string_view to_string(LogLevel level);

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;  // line without '\n'

  // Writes to stderr. `component` names the binary ("atlas-worker").
  Logger(std::string component, LogLevel level = LogLevel::info,
         LogFormat format = LogFormat::json, const Redactor* redactor = nullptr);
  // Writes each finished line to `sink` (tests capture lines this way).
  Logger(std::string component, LogLevel level, LogFormat format, const Redactor* redactor,
         Sink sink);

  void set_level(LogLevel level) { level_ = level; }
  [[nodiscard]] bool enabled(LogLevel level) const { return level >= level_; }

  // `fields` must be a JSON object (or null); a "task_id" field is kept as is
  // and printed right after the message so it is easy to grep.
  void log(LogLevel level, std::string_view message, const nlohmann::json& fields = nullptr);
  void debug(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::warn, m, f); }
  void error(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::error, m, f); }

 private:
  std::string component_;
  LogLevel level_;
  LogFormat format_;
  const Redactor* redactor_;
  Sink sink_;
  std::mutex mutex_;
};

}  // namespace atlas
