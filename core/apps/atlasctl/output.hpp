#pragma once
// What atlasctl's operator commands share for their arguments and output:
// the argument loop (read_args), the --format option, flag values, a
// plain-text table with aligned columns, and JSON printing that never fails
// on odd bytes. Header-only: each command's cmd_<name>.cpp includes what it uses.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/config.hpp"
#include "commands.hpp"

namespace atlas::ctl {

// --format: a table for people (default) or one JSON document for scripts.
enum class Format { table, json };

inline Format parse_format(const std::string& value) {
  if (value == "table") return Format::table;
  if (value == "json") return Format::json;
  throw ConfigError({"--format '" + value + "' is not known: use table or json"});
}

// The value after args[i] (advancing i), or a usage error naming the flag.
inline const std::string& flag_value(const std::vector<std::string>& args, std::size_t& i,
                                     std::string_view flag) {
  if (i + 1 >= args.size()) throw ConfigError({std::string(flag) + " needs a value"});
  return args[++i];
}

// A number of seconds after args[i] (fractions allowed), within [min, max].
inline double flag_seconds(const std::vector<std::string>& args, std::size_t& i,
                           std::string_view flag, double min, double max) {
  const std::string& text = flag_value(args, i, flag);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !(value >= min && value <= max)) {
    throw ConfigError({std::string(flag) + " '" + text + "' is not a number of seconds from " +
                       std::to_string(static_cast<long>(min)) + " to " +
                       std::to_string(static_cast<long>(max))});
  }
  return value;
}

// `text` as a whole number within [min, max], or a usage error naming `what`
// (a flag such as "--expect", or an operand such as "TOKENS").
inline long long parse_integer(const std::string& text, std::string_view what, long long min,
                               long long max) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end == nullptr || *end != '\0' || errno != 0 || value < min || value > max) {
    throw ConfigError({std::string(what) + " '" + text + "' is not a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max)});
  }
  return value;
}

// A whole number after args[i], within [min, max].
inline long long flag_integer(const std::vector<std::string>& args, std::size_t& i,
                              std::string_view flag, long long min, long long max) {
  return parse_integer(flag_value(args, i, flag), flag, min, max);
}

// A number of seconds from flag_seconds as a duration (whole milliseconds).
inline std::chrono::milliseconds to_millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// What a command's option handler did with one argument (see read_args).
enum class ArgUse {
  taken,    // understood, with its value if it has one (the handler advanced i)
  unknown,  // not an argument of this command
  invalid,  // understood but wrong; the handler printed why (exit 2)
};

// The argument loop every command shares. For each argument:
//   "--help" or "-h"  prints `usage` on stdout; the command exits 0
//   "--format"        sets *format (table|json), when `format` is not null
//   anything else     goes to `option(args, i)`
// An argument the handler does not know prints "atlasctl <command>: <unknown>
// argument '<arg>'" and the usage on stderr; the command exits 2. Usage errors
// in flag values (flag_value, flag_seconds, ...) throw ConfigError, which
// main() reports with exit 2. Returns the exit code to stop with, or nullopt
// when every argument was read.
using OptionHandler = std::function<ArgUse(const std::vector<std::string>& args, std::size_t& i)>;

inline std::optional<int> read_args(const std::vector<std::string>& args, const char* command,
                                    const char* usage, Format* format,
                                    const OptionHandler& option,
                                    const char* unknown = "unknown") {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return kExitOk;
    }
    if (format != nullptr && a == "--format") {
      *format = parse_format(flag_value(args, i, "--format"));
      continue;
    }
    const ArgUse use = option ? option(args, i) : ArgUse::unknown;
    if (use == ArgUse::invalid) return kExitInvalid;
    if (use == ArgUse::unknown) {
      std::fprintf(stderr, "atlasctl %s: %s argument '%s'\n\n%s", command, unknown, a.c_str(), usage);
      return kExitInvalid;
    }
  }
  return std::nullopt;
}

// The option handler of a command whose only option besides --format is one
// "FLAG SECONDS" (flag_seconds within [min, max]), e.g. status's --timeout.
inline OptionHandler seconds_option(const char* flag, double& seconds, double min, double max) {
  return [flag, &seconds, min, max](const std::vector<std::string>& args, std::size_t& i) {
    if (args[i] != flag) return ArgUse::unknown;
    seconds = flag_seconds(args, i, flag, min, max);
    return ArgUse::taken;
  };
}

// One JSON document on stdout (invalid UTF-8 replaced, never thrown on).
inline void print_json(const nlohmann::json& value) {
  const std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
}

// Display width of UTF-8 text, counted in code points (good enough for the
// ids, names and numbers atlasctl prints).
inline std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The first line of `text`, cut to at most `max` code points ("..." added
// when anything was dropped).
inline std::string first_line(std::string_view text, std::size_t max) {
  std::string_view line = text.substr(0, text.find('\n'));
  std::string out;
  std::size_t points = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto byte = static_cast<unsigned char>(line[i]);
    if ((byte & 0xC0) != 0x80) {
      if (points == max) break;
      ++points;
    }
    out += (byte == '\t' || byte == '\r') ? ' ' : line[i];
  }
  if (out.size() < line.size() || line.size() < text.size()) out += "...";
  return out;
}

// Columns separated by two spaces and padded to the widest cell; the last
// column is not padded, so lines carry no trailing blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  void add(std::vector<std::string> row) {
    row.resize(headers_.size());
    rows_.push_back(std::move(row));
  }
  [[nodiscard]] bool empty() const { return rows_.empty(); }

  [[nodiscard]] std::string render() const {
    std::vector<std::size_t> width(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = display_width(headers_[c]);
    for (const auto& row : rows_) {
      for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], display_width(row[c]));
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string text;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        text += cells[c];
        if (c + 1 < cells.size()) text.append(width[c] - display_width(cells[c]) + 2, ' ');
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    };
    line(headers_);
    for (const auto& row : rows_) line(row);
    return out;
  }

  void print() const {
    const std::string text = render();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A JSON scalar as table text: strings unquoted, null as "-".
inline std::string cell(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace atlas::ctl
