#include "atlas/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "atlas/text.hpp"

namespace atlas {
namespace {


std::string join_problems(const std::vector<std::string>& problems) {
  std::string out = "invalid configuration:";
  for (const auto& p : problems) out += "\n  - " + p;
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Parses the value part of a dotenv line (after '='). Returns nullopt when a
// quote is not closed.
std::optional<std::string> parse_env_value(std::string_view raw) {
  std::string v = std::string(trim(raw));
  if (v.empty()) return v;
  if (v.front() == '\'') {
    const auto end = v.find('\'', 1);
    if (end == std::string::npos) return std::nullopt;
    return v.substr(1, end - 1);
  }
  if (v.front() == '"') {
    std::string out;
    for (std::size_t i = 1; i < v.size(); ++i) {
      const char c = v[i];
      if (c == '"') return out;
      if (c == '\\' && i + 1 < v.size()) {
        const char n = v[++i];
        switch (n) {
          case 'n': out.push_back('\n'); break;
          case 't': out.push_back('\t'); break;
          case 'r': out.push_back('\r'); break;
          default: out.push_back(n); break;
        }
        continue;
      }
      out.push_back(c);
    }
    return std::nullopt;
  }
  // Unquoted: an inline comment starts at " #".
  if (const auto hash = v.find(" #"); hash != std::string::npos) v = trim(v.substr(0, hash));
  return v;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

EnvSource EnvSource::from_environ(char** envp) {
  EnvSource env;
  for (char** p = envp; p != nullptr && *p != nullptr; ++p) {
    std::string_view entry(*p);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.vars_.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

EnvSource EnvSource::from_map(std::map<std::string, std::string> vars) {
  EnvSource env;
  for (auto& [k, v] : vars) env.vars_.emplace(k, std::move(v));
  return env;
}

void EnvSource::load_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError({"--env-file " + path + ": cannot be read (does it exist?)"});
  std::string line;
  int lineno = 0;
  std::vector<std::string> problems;
  while (std::getline(in, line)) {
    ++lineno;
    std::string text = std::string(trim(line));
    if (text.empty() || text.front() == '#') continue;
    if (text.rfind("export ", 0) == 0) text = trim(text.substr(7));
    const auto eq = text.find('=');
    const std::string where = path + ":" + std::to_string(lineno);
    if (eq == std::string::npos) {
      problems.push_back(where + ": expected NAME=value");
      continue;
    }
    const std::string name = std::string(trim(text.substr(0, eq)));
    if (!valid_name(name)) {
      problems.push_back(where + ": '" + name + "' is not a valid variable name");
      continue;
    }
    auto value = parse_env_value(std::string_view(text).substr(eq + 1));
    if (!value) {
      problems.push_back(where + ": " + name + " has an unterminated quote");
      continue;
    }
    vars_.emplace(name, std::move(*value));  // emplace: the environment wins
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

std::optional<std::string> EnvSource::raw(std::string_view name) const {
  if (auto it = vars_.find(name); it != vars_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::string> ConfigReader::lookup(std::string_view name,
                                                std::initializer_list<std::string_view> aliases) {
  names_read_.emplace(name);
  if (auto v = env_.raw(name)) return v;
  for (auto alias : aliases) {
    names_read_.emplace(alias);
    if (auto v = env_.raw(alias)) return v;
  }
  return std::nullopt;
}

std::string ConfigReader::string(std::string_view name, std::string_view fallback,
                                 std::initializer_list<std::string_view> aliases) {
  auto v = lookup(name, aliases);
  if (!v || v->empty()) return std::string(fallback);
  return *v;
}

std::string ConfigReader::required(std::string_view name) {
  auto v = lookup(name, {});
  if (!v || trim(*v).empty()) {
    problem(std::string(name) + " is not set: it is required");
    return {};
  }
  return *v;
}

std::optional<std::string> ConfigReader::secret(std::string_view name,
                                                std::initializer_list<std::string_view> aliases) {
  if (auto v = lookup(name, aliases); v && !v->empty()) {
    redactor_.add_secret(*v);
    return v;
  }
  const std::string file_var = std::string(name) + "_FILE";
  auto path = lookup(file_var, {});
  if (!path || path->empty()) return std::nullopt;
  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    problem(file_var + "=" + *path + ": the file cannot be read");
    return std::nullopt;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string value = buf.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) {
    problem(file_var + "=" + *path + ": the file is empty");
    return std::nullopt;
  }
  redactor_.add_secret(value);
  return value;
}

std::int64_t ConfigReader::integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
  auto v = lookup(name, {});
  if (!v || trim(*v).empty()) return fallback;
  const std::string text = std::string(trim(*v));
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    problem(std::string(name) + "='" + text + "' is not a whole number");
    return fallback;
  }
  if (out < min || out > max) {
    problem(std::string(name) + "=" + text + " is out of range: use " + std::to_string(min) +
            ".." + std::to_string(max));
    return fallback;
  }
  return out;
}

double ConfigReader::number(std::string_view name, double fallback, double min, double max) {
  auto v = lookup(name, {});
  if (!v || trim(*v).empty()) return fallback;
  const std::string text = std::string(trim(*v));
  double out = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(out)) {
    problem(std::string(name) + "='" + text + "' is not a number");
    return fallback;
  }
  if (out < min || out > max) {
    std::ostringstream range;
    range << min << ".." << max;
    problem(std::string(name) + "=" + text + " is out of range: use " + range.str());
    return fallback;
  }
  return out;
}

bool ConfigReader::boolean(std::string_view name, bool fallback) {
  auto v = lookup(name, {});
  if (!v || trim(*v).empty()) return fallback;
  std::string text = std::string(trim(*v));
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  problem(std::string(name) + "='" + text + "' is not a boolean: use true or false");
  return fallback;
}

std::chrono::milliseconds ConfigReader::seconds(std::string_view name, double fallback_s,
                                                double min_s, double max_s) {
  const double s = number(name, fallback_s, min_s, max_s);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(s * 1000.0)));
}

std::string ConfigReader::choice(std::string_view name, std::string_view fallback,
                                 std::initializer_list<std::string_view> choices) {
  auto v = lookup(name, {});
  if (!v || trim(*v).empty()) return std::string(fallback);
  const std::string text = std::string(trim(*v));
  for (auto c : choices) {
    if (c == text) return text;
  }
  std::string allowed;
  for (auto c : choices) allowed += (allowed.empty() ? "" : "|") + std::string(c);
  problem(std::string(name) + "='" + text + "' is not one of " + allowed);
  return std::string(fallback);
}

std::vector<std::string> ConfigReader::list(std::string_view name, std::string_view fallback) {
  const std::string text = string(name, fallback);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = std::string(trim(std::string_view(text).substr(start, comma - start)));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::string ConfigReader::url(std::string_view name, std::string_view fallback) {
  std::string text = std::string(trim(string(name, fallback)));
  const bool http = text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0;
  const auto host_start = text.find("://");
  if (!http || host_start == std::string::npos || host_start + 3 >= text.size() ||
      text.find_first_of(" \t\n") != std::string::npos) {
    problem(std::string(name) + "='" + redact_url_password(text) +
            "' is not an http(s) URL: use e.g. http://host:port");
    return std::string(fallback);
  }
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

std::map<std::string, std::string> ConfigReader::with_prefix(std::string_view prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : env_.all()) {
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
      names_read_.emplace(std::string(prefix) + "*");
      out.emplace(name.substr(prefix.size()), value);
    }
  }
  return out;
}

void ConfigReader::finish() const {
  if (!problems_.empty()) throw ConfigError(problems_);
}

CommonConfig CommonConfig::load(ConfigReader& r) {
  CommonConfig c;
  c.kafka.brokers = trim(r.string("KAFKA_BROKERS", c.kafka.brokers));
  if (c.kafka.brokers.empty() || c.kafka.brokers.find(':') == std::string::npos) {
    r.problem("KAFKA_BROKERS='" + c.kafka.brokers +
              "' is not a broker list: set it to host:port[,host:port]");
  }
  c.kafka.topic_in = r.string("KAFKA_TOPIC_IN", c.kafka.topic_in);
  c.kafka.topic_out = r.string("KAFKA_TOPIC_OUT", c.kafka.topic_out, {"PUBSUB_TOPIC_OUT"});
  c.kafka.topic_retry = r.string("KAFKA_TOPIC_RETRY", c.kafka.topic_retry);
  c.kafka.topic_dlq = r.string("KAFKA_TOPIC_DLQ", c.kafka.topic_dlq);
  for (const auto& [suffix, value] : r.with_prefix("KAFKA_PROPERTY_")) {
    std::string property = suffix;
    std::replace(property.begin(), property.end(), '_', '.');
    std::transform(property.begin(), property.end(), property.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    // sasl.password and friends are secrets: keep them out of logs.
    if (property.find("password") != std::string::npos ||
        property.find("secret") != std::string::npos || property.find("key") != std::string::npos) {
      r.secret("KAFKA_PROPERTY_" + suffix);
    }
    c.kafka.properties[property] = value;
  }
  auto db = r.secret("DATABASE_URL", {"SUPABASE_DB_URL"});
  if (db) c.database_url = *db;
  if (c.database_url.rfind("postgresql://", 0) != 0 && c.database_url.rfind("postgres://", 0) != 0 &&
      c.database_url.find('=') == std::string::npos) {
    r.problem("DATABASE_URL='" + redact_url_password(c.database_url) +
              "' is not a PostgreSQL URL: use postgresql://user:password@host:5432/db");
  }
  const std::string level = r.choice("LOG_LEVEL", "info", {"debug", "info", "warn", "warning", "error"});
  c.log_level = parse_log_level(level).value_or(LogLevel::info);
  const std::string format = r.choice("LOG_FORMAT", "json", {"json", "text"});
  c.log_format = parse_log_format(format).value_or(LogFormat::json);
  return c;
}

std::vector<std::string> take_env_file_option(int argc, char** argv, EnvSource& env) {
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--env-file") {
      if (i + 1 >= argc) throw ConfigError({"--env-file needs a path: --env-file .env"});
      env.load_env_file(argv[++i]);
    } else if (arg.rfind("--env-file=", 0) == 0) {
      env.load_env_file(std::string(arg.substr(11)));
    } else {
      rest.emplace_back(arg);
    }
  }
  return rest;
}

std::optional<int> load_startup_config(int argc, char** argv, char** envp,
                                       std::string_view binary, std::string_view usage,
                                       Redactor& redactor,
                                       const std::function<void(ConfigReader&)>& load) {
  EnvSource env = EnvSource::from_environ(envp);
  try {
    const std::vector<std::string> args = take_env_file_option(argc, argv, env);
    for (const std::string& arg : args) {
      if (arg == "--help" || arg == "-h") {
        std::cout << usage;
        return 0;
      }
      std::cerr << binary << ": unknown argument '" << arg << "'\n\n" << usage;
      return 2;
    }
    ConfigReader reader(env, redactor);
    load(reader);
    reader.finish();
  } catch (const ConfigError& e) {
    std::cerr << binary << ": invalid configuration:\n";
    for (const std::string& problem : e.problems()) {
      std::cerr << "  - " << redactor.redact(problem) << "\n";
    }
    return 2;
  }
  return std::nullopt;
}

}  // namespace atlas
