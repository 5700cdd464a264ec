#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "atlas/config.hpp"
#include "atlas/log.hpp"

namespace fs = std::filesystem;
using atlas::ConfigError;
using atlas::ConfigReader;
using atlas::EnvSource;
using atlas::Redactor;

namespace {
fs::path write_temp(const std::string& name, const std::string& body) {
  const fs::path dir = fs::temp_directory_path() / ("atlas-config-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << body;
  return p;
}
std::string problems_of(const ConfigReader& r) {
  try {
    r.finish();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}
}  // namespace

TEST_CASE("config: defaults apply when nothing is set") {
  auto env = EnvSource::from_map({});
  Redactor red;
  ConfigReader r(env, red);
  const auto c = atlas::CommonConfig::load(r);
  CHECK(r.ok());
  CHECK(c.kafka.brokers == "127.0.0.1:9092");
  CHECK(c.kafka.topic_in == "architect_in");
  CHECK(c.kafka.topic_out == "architect_out");
  CHECK(c.kafka.topic_retry == "architect_retry");
  CHECK(c.kafka.topic_dlq == "architect_dlq");
  CHECK(c.database_url == "postgresql://localhost/atlas");
  CHECK(c.log_level == atlas::LogLevel::info);
  CHECK(c.log_format == atlas::LogFormat::json);
}

TEST_CASE("config: aliases PUBSUB_TOPIC_OUT and SUPABASE_DB_URL are accepted") {
  auto env = EnvSource::from_map(
      {{"PUBSUB_TOPIC_OUT", "replies"}, {"SUPABASE_DB_URL", "postgresql://u:pw@db:5432/x"}});
  Redactor red;
  ConfigReader r(env, red);
  const auto c = atlas::CommonConfig::load(r);
  CHECK(r.ok());
  CHECK(c.kafka.topic_out == "replies");
  CHECK(c.database_url == "postgresql://u:pw@db:5432/x");
}

TEST_CASE("config: every malformed value is reported, each naming its variable") {
  auto env = EnvSource::from_map({{"KAFKA_BROKERS", ""},
                                  {"LOG_LEVEL", "loud"},
                                  {"WORKER_MAX_INFLIGHT", "many"},
                                  {"RAG_TOP_K", "0"},
                                  {"RAG_RELEVANCY_THRESHOLD", "1.5"},
                                  {"RAG_COLLAPSE_BY_FILE", "maybe"},
                                  {"RAG_URL", "ftp://x"},
                                  {"DATABASE_URL", "mysql://root:hunter22@db/x"}});
  Redactor red;
  ConfigReader r(env, red);
  (void)atlas::CommonConfig::load(r);
  (void)r.integer("WORKER_MAX_INFLIGHT", 64, 1, 100'000);
  (void)r.integer("RAG_TOP_K", 15, 1, 100);
  (void)r.number("RAG_RELEVANCY_THRESHOLD", 0.65, 0.0, 1.0);
  (void)r.boolean("RAG_COLLAPSE_BY_FILE", true);
  (void)r.url("RAG_URL", "http://127.0.0.1:8501");
  CHECK_FALSE(r.ok());
  const std::string msg = problems_of(r);
  // KAFKA_BROKERS is empty -> falls back to default, which is valid; an
  // explicitly broken list is checked below.
  CHECK(msg.find("LOG_LEVEL='loud' is not one of") != std::string::npos);
  CHECK(msg.find("WORKER_MAX_INFLIGHT='many' is not a whole number") != std::string::npos);
  CHECK(msg.find("RAG_TOP_K=0 is out of range: use 1..100") != std::string::npos);
  CHECK(msg.find("RAG_RELEVANCY_THRESHOLD=1.5 is out of range") != std::string::npos);
  CHECK(msg.find("RAG_COLLAPSE_BY_FILE='maybe' is not a boolean") != std::string::npos);
  CHECK(msg.find("RAG_URL='ftp://x' is not an http(s) URL") != std::string::npos);
  CHECK(msg.find("DATABASE_URL=") != std::string::npos);
  // The password in the malformed URL never appears in the message.
  CHECK(msg.find("hunter22") == std::string::npos);
}

TEST_CASE("config: a broker list without a port names KAFKA_BROKERS and says what to do") {
  auto env = EnvSource::from_map({{"KAFKA_BROKERS", "localhost"}});
  Redactor red;
  ConfigReader r(env, red);
  (void)atlas::CommonConfig::load(r);
  const auto msg = problems_of(r);
  CHECK(msg.find("KAFKA_BROKERS='localhost' is not a broker list: set it to host:port") !=
        std::string::npos);
}

TEST_CASE("config: required variable missing is named") {
  auto env = EnvSource::from_map({});
  Redactor red;
  ConfigReader r(env, red);
  (void)r.required("SLACK_SIGNING_SECRET");
  CHECK(problems_of(r).find("SLACK_SIGNING_SECRET is not set") != std::string::npos);
}

TEST_CASE("config: NAME_FILE secrets are read, trimmed and redacted") {
  const auto path = write_temp("openai_key", "sk-test-abcdef123456\n");
  auto env = EnvSource::from_map({{"OPENAI_API_KEY_FILE", path.string()}});
  Redactor red;
  ConfigReader r(env, red);
  const auto key = r.secret("OPENAI_API_KEY");
  REQUIRE(key);
  CHECK(*key == "sk-test-abcdef123456");
  CHECK(red.redact("auth: Bearer sk-test-abcdef123456 ok") == "auth: Bearer [REDACTED] ok");
  CHECK(r.names_read().count("OPENAI_API_KEY_FILE") == 1);
}

TEST_CASE("config: an unreadable NAME_FILE is a problem naming the variable") {
  auto env = EnvSource::from_map({{"GITHUB_TOKEN_FILE", "/nonexistent/atlas/token"}});
  Redactor red;
  ConfigReader r(env, red);
  CHECK_FALSE(r.secret("GITHUB_TOKEN"));
  CHECK(problems_of(r).find("GITHUB_TOKEN_FILE=/nonexistent/atlas/token: the file cannot be read") !=
        std::string::npos);
}

TEST_CASE("config: --env-file loads values, the environment wins, quotes and comments work") {
  const auto path = write_temp("dev.env",
                               "# comment\n"
                               "export KAFKA_BROKERS=10.0.0.1:9092\n"
                               "LOG_LEVEL=debug  # inline\n"
                               "SLACK_BOT_TOKEN=\"xoxb-1\\n2\"\n"
                               "QUOTED='a # b'\n"
                               "\n");
  auto env = EnvSource::from_map({{"LOG_LEVEL", "warn"}});
  env.load_env_file(path.string());
  CHECK(env.raw("KAFKA_BROKERS") == "10.0.0.1:9092");
  CHECK(env.raw("LOG_LEVEL") == "warn");
  CHECK(env.raw("SLACK_BOT_TOKEN") == "xoxb-1\n2");
  CHECK(env.raw("QUOTED") == "a # b");
}

TEST_CASE("config: a malformed env file names the file and the line") {
  const auto path = write_temp("bad.env", "GOOD=1\nthis line has no equals\n1BAD=x\nOPEN=\"abc\n");
  auto env = EnvSource::from_map({});
  try {
    env.load_env_file(path.string());
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.find(path.string() + ":2: expected NAME=value") != std::string::npos);
    CHECK(msg.find(path.string() + ":3: '1BAD' is not a valid variable name") != std::string::npos);
    CHECK(msg.find(path.string() + ":4: OPEN has an unterminated quote") != std::string::npos);
  }
  CHECK_THROWS_AS(env.load_env_file("/nonexistent/atlas.env"), ConfigError);
}

TEST_CASE("config: KAFKA_PROPERTY_ passthrough maps names and redacts secrets") {
  auto env = EnvSource::from_map({{"KAFKA_PROPERTY_security_protocol", "SASL_SSL"},
                                  {"KAFKA_PROPERTY_sasl_password", "kafka-pass-123"}});
  Redactor red;
  ConfigReader r(env, red);
  const auto c = atlas::CommonConfig::load(r);
  CHECK(c.kafka.properties.at("security.protocol") == "SASL_SSL");
  CHECK(c.kafka.properties.at("sasl.password") == "kafka-pass-123");
  CHECK(red.redact("sasl.password=kafka-pass-123") == "sasl.password=[REDACTED]");
}

TEST_CASE("config: take_env_file_option strips the option and loads the file") {
  const auto path = write_temp("opt.env", "RAG_PORT=9999\n");
  std::string a0 = "atlas-rag", a1 = "--env-file", a2 = path.string(), a3 = "--other";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  EnvSource env;
  const auto rest = atlas::take_env_file_option(4, argv, env);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0] == "--other");
  CHECK(env.raw("RAG_PORT") == "9999");
  char* bad[] = {a0.data(), a1.data(), nullptr};
  CHECK_THROWS_AS(atlas::take_env_file_option(2, bad, env), ConfigError);
}

namespace {
// What load_startup_config printed and returned for one command line.
struct Startup {
  std::optional<int> exit_code;
  std::string out, err;
  bool loaded = false;  // the loader ran and finish() passed
};

Startup run_startup(std::vector<std::string> args, std::vector<std::string> environment) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::ostringstream out, err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  Startup result;
  Redactor redactor;
  result.exit_code = atlas::load_startup_config(
      static_cast<int>(args.size()), argv.data(), envp.data(), "atlas-test", "usage: atlas-test\n",
      redactor, [&](ConfigReader& reader) {
        (void)reader.secret("TEST_TOKEN");
        (void)reader.integer("TEST_PORT", 1, 1, 65535);
        if (reader.ok()) reader.problem("TEST_TOKEN is " + reader.string("TEST_ECHO", ""));
      });
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}
}  // namespace

TEST_CASE("config: load_startup_config answers --help, rejects arguments, lists problems") {
  const Startup help = run_startup({"atlas-test", "-h"}, {});
  CHECK(help.exit_code == 0);
  CHECK(help.out == "usage: atlas-test\n");
  CHECK(help.err.empty());

  const Startup unknown = run_startup({"atlas-test", "--bogus"}, {});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "atlas-test: unknown argument '--bogus'\n\nusage: atlas-test\n");

  const Startup bad = run_startup({"atlas-test"}, {"TEST_PORT=nope"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.rfind("atlas-test: invalid configuration:\n  - ", 0) == 0);
  CHECK(bad.err.find("TEST_PORT") != std::string::npos);

  // Problems are redacted: a secret read by the loader never reaches stderr.
  const Startup leak =
      run_startup({"atlas-test"}, {"TEST_TOKEN=s3cr3t-value", "TEST_ECHO=s3cr3t-value"});
  CHECK(leak.exit_code == 2);
  CHECK(leak.err.find("TEST_TOKEN is") != std::string::npos);
  CHECK(leak.err.find("s3cr3t-value") == std::string::npos);

  const Startup missing_file = run_startup({"atlas-test", "--env-file"}, {});
  CHECK(missing_file.exit_code == 2);
  CHECK(missing_file.err ==
        "atlas-test: invalid configuration:\n  - --env-file needs a path: --env-file .env\n");
}

TEST_CASE("redaction: URL passwords and registered secrets never survive") {
  Redactor red;
  red.add_secret("xoxb-secret-token");
  red.add_secret("abc");  // too short to mask safely: ignored
  CHECK(red.redact("postgresql://atlas:s3cr3t@db:5432/atlas") ==
        "postgresql://atlas:[REDACTED]@db:5432/atlas");
  CHECK(red.redact("token=xoxb-secret-token and xoxb-secret-token") ==
        "token=[REDACTED] and [REDACTED]");
  CHECK(red.redact("abc def") == "abc def");
  CHECK(atlas::redact_url_password("http://host/path") == "http://host/path");
  CHECK(atlas::redact_url_password("postgres://user@host/db") == "postgres://user@host/db");
}

TEST_CASE("logging: one JSON object a line, task_id kept, secrets redacted") {
  Redactor red;
  red.add_secret("sk-live-9999");
  std::vector<std::string> lines;
  atlas::Logger log("atlas-test", atlas::LogLevel::info, atlas::LogFormat::json, &red,
                    [&](std::string_view l) { lines.emplace_back(l); });
  log.debug("hidden");
  log.info("calling model", {{"task_id", "t-1"}, {"key", "sk-live-9999"}, {"bad", std::string("\xff")}});
  REQUIRE(lines.size() == 1);
  const auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["level"] == "info");
  CHECK(j["component"] == "atlas-test");
  CHECK(j["msg"] == "calling model");
  CHECK(j["task_id"] == "t-1");
  CHECK(j["key"] == "[REDACTED]");
  CHECK(lines[0].find('\n') == std::string::npos);
  CHECK(lines[0].find("sk-live-9999") == std::string::npos);
}
