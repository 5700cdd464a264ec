#include "atlas/log.hpp"

#include <chrono>
#include <ctime>
#include <optional>

namespace atlas {
namespace {

std::string utc_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "json") return LogFormat::json;
  if (text == "text") return LogFormat::text;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

Logger::Logger(std::string component, LogLevel level, LogFormat format, const Redactor* redactor)
    : Logger(std::move(component), level, format, redactor, [](std::string_view line) {
        std::string out(line);
        out.push_back('\n');
        std::fwrite(out.data(), 1, out.size(), stderr);
      }) {}

Logger::Logger(std::string component, LogLevel level, LogFormat format, const Redactor* redactor,
               Sink sink)
    : component_(std::move(component)),
      level_(level),
      format_(format),
      redactor_(redactor),
      sink_(std::move(sink)) {}

void Logger::log(LogLevel level, std::string_view message, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  std::string line;
  if (format_ == LogFormat::json) {
    nlohmann::ordered_json obj;
    obj["ts"] = utc_timestamp();
    obj["level"] = to_string(level);
    obj["component"] = component_;
    obj["msg"] = std::string(message);
    if (fields.is_object()) {
      if (auto it = fields.find("task_id"); it != fields.end()) obj["task_id"] = *it;
      for (const auto& [key, value] : fields.items()) {
        if (key != "task_id") obj[key] = value;
      }
    }
    // Invalid UTF-8 in a field is replaced rather than thrown: a log line must
    // never take the process down.
    line = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = utc_timestamp() + " " + std::string(to_string(level)) + " " + component_ + ": " +
           std::string(message);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        line += " " + key + "=" +
                (value.is_string() ? value.get<std::string>()
                                   : value.dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace));
      }
    }
  }
  if (redactor_ != nullptr) line = redactor_->redact(line);
  std::lock_guard lock(mutex_);
  sink_(line);
}

}  // namespace atlas
