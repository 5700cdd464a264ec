#pragma once
// Twelve-factor configuration: environment variables, an optional --env-file,
// and NAME_FILE for any secret (Docker/Kubernetes secrets). Values are read
// through ConfigReader, which types and validates them and collects every
// problem, naming the variable, so a binary can exit at start-up with one
// message listing all of them. Secrets are registered with the Redactor as
// they are read.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "atlas/log.hpp"
#include "atlas/redact.hpp"

namespace atlas {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Where configuration values come from. Precedence: the process environment,
// then the --env-file (so an exported variable overrides the file).
class EnvSource {
 public:
  EnvSource() = default;
  // Copies `envp` (a NULL-terminated "NAME=value" array such as environ).
  static EnvSource from_environ(char** envp);
  static EnvSource from_map(std::map<std::string, std::string> vars);

  // Reads a dotenv file: NAME=value lines, '#' comments, optional "export ",
  // single- or double-quoted values (double quotes understand \n \" \\).
  // Variables already set are not overwritten. Throws ConfigError naming the
  // file and line on a malformed line or an unreadable file.
  void load_env_file(const std::string& path);

  void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  [[nodiscard]] std::optional<std::string> raw(std::string_view name) const;
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& all() const { return vars_; }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

// Typed, validated access. Each getter records a problem (instead of
// throwing) when the value is malformed and returns the default, so that
// finish() can report every problem at once.
class ConfigReader {
 public:
  ConfigReader(const EnvSource& env, Redactor& redactor) : env_(env), redactor_(redactor) {}

  // A plain string; `aliases` are older names accepted when `name` is unset.
  std::string string(std::string_view name, std::string_view fallback,
                     std::initializer_list<std::string_view> aliases = {});
  // A required string: a problem is recorded when unset or empty.
  std::string required(std::string_view name);
  // A secret: NAME, or the contents of the file named by NAME_FILE (trailing
  // newlines trimmed). Registered with the Redactor. nullopt when neither is set.
  std::optional<std::string> secret(std::string_view name,
                                    std::initializer_list<std::string_view> aliases = {});
  std::int64_t integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  double number(std::string_view name, double fallback, double min, double max);
  bool boolean(std::string_view name, bool fallback);  // true/false/1/0/yes/no/on/off
  std::chrono::milliseconds seconds(std::string_view name, double fallback_s, double min_s,
                                    double max_s);  // accepts fractions: "2.5"
  // One of `choices`.
  std::string choice(std::string_view name, std::string_view fallback,
                     std::initializer_list<std::string_view> choices);
  // Comma-separated, items trimmed, empty items dropped.
  std::vector<std::string> list(std::string_view name, std::string_view fallback);
  // An http(s) URL; trailing '/' removed.
  std::string url(std::string_view name, std::string_view fallback);
  // Every variable whose name starts with `prefix`, with the prefix removed
  // (KAFKA_PROPERTY_sasl_username -> "sasl_username").
  std::map<std::string, std::string> with_prefix(std::string_view prefix);

  void problem(std::string message) { problems_.push_back(std::move(message)); }
  [[nodiscard]] bool ok() const { return problems_.empty(); }
  // Throws ConfigError listing every recorded problem, if any.
  void finish() const;

  // Names of every variable a getter asked for (the configuration reference
  // test compares these with docs/configuration.md).
  [[nodiscard]] const std::set<std::string>& names_read() const { return names_read_; }

 private:
  std::optional<std::string> lookup(std::string_view name,
                                    std::initializer_list<std::string_view> aliases);

  const EnvSource& env_;
  Redactor& redactor_;
  std::vector<std::string> problems_;
  std::set<std::string> names_read_;
};

// Settings every binary shares (DESIGN section 8).
struct KafkaSettings {
  std::string brokers = "127.0.0.1:9092";
  std::string topic_in = "architect_in";
  std::string topic_out = "architect_out";
  std::string topic_retry = "architect_retry";
  std::string topic_dlq = "architect_dlq";
  // KAFKA_PROPERTY_<name> passthrough; '_' in <name> becomes '.'
  // (KAFKA_PROPERTY_security_protocol -> security.protocol).
  std::map<std::string, std::string> properties;
};

struct CommonConfig {
  KafkaSettings kafka;
  std::string database_url = "postgresql://localhost/atlas";
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::json;

  static CommonConfig load(ConfigReader& reader);
};

// Splits argv into "--env-file PATH" (loaded into `env`) and the rest.
// Throws ConfigError when --env-file has no value or the file is bad.
std::vector<std::string> take_env_file_option(int argc, char** argv, EnvSource& env);

// The start-up dance every service binary shares (atlas-worker, atlas-router,
// atlas-rag), so their command lines behave the same:
//   - "--env-file PATH" is taken from argv (take_env_file_option);
//   - --help or -h prints `usage` to stdout: exit code 0;
//   - any other argument prints "<binary>: unknown argument '<arg>'", a blank
//     line and `usage` to stderr: exit code 2;
//   - `load` reads the configuration from a ConfigReader over `envp` and the
//     env file, then finish() is called;
//   - a ConfigError (bad env file or bad variables) prints
//     "<binary>: invalid configuration:" and each problem as "  - <problem>",
//     passed through `redactor`, to stderr: exit code 2.
// Returns nullopt when the configuration is loaded and the binary should run,
// otherwise the exit code main() should return.
[[nodiscard]] std::optional<int> load_startup_config(
    int argc, char** argv, char** envp, std::string_view binary, std::string_view usage,
    Redactor& redactor, const std::function<void(ConfigReader&)>& load);

}  // namespace atlas
