#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "atlas/router/router_config.hpp"

using atlas::ConfigError;
using atlas::ConfigReader;
using atlas::EnvSource;
using atlas::Redactor;
using atlas::router::GithubAuthMode;
using atlas::router::RouterConfig;

namespace {

struct Loaded {
  RouterConfig config;
  std::vector<std::string> problems;
  std::string redacted_probe;
};

Loaded load(std::map<std::string, std::string> vars, const std::string& probe = "") {
  const auto env = EnvSource::from_map(std::move(vars));
  Redactor redactor;
  ConfigReader reader(env, redactor);
  Loaded out;
  out.config = RouterConfig::load(reader);
  try {
    reader.finish();
  } catch (const ConfigError& e) {
    out.problems = e.problems();
  }
  out.redacted_probe = redactor.redact(probe);
  return out;
}

std::string rsa_pem() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("router config: defaults with nothing set - sources disabled until their secret is set") {
  const auto l = load({});
  CHECK(l.problems.empty());
  CHECK(l.config.port == 8080);
  CHECK(l.config.delivery_max_attempts == 3);
  CHECK(l.config.slack.api_url == "https://slack.com/api");
  CHECK(l.config.github.api_url == "https://api.github.com");
  CHECK_FALSE(l.config.slack.ingress_enabled());
  CHECK_FALSE(l.config.slack.delivery_enabled());
  CHECK_FALSE(l.config.github.ingress_enabled());
  CHECK(l.config.github.auth_mode() == GithubAuthMode::none);
}

TEST_CASE("router config: values are read, URLs normalised, secrets registered for redaction") {
  const auto l = load({{"ROUTER_PORT", "0"},
                       {"DELIVERY_MAX_ATTEMPTS", "5"},
                       {"SLACK_SIGNING_SECRET", "slack-signing-secret"},
                       {"SLACK_BOT_TOKEN", "xoxb-1-2-3"},
                       {"SLACK_API_URL", "http://127.0.0.1:5000/api/"},
                       {"GITHUB_WEBHOOK_SECRET", "gh-hook-secret"},
                       {"GITHUB_TOKEN", "ghp_token_value"},
                       {"GITHUB_API_URL", "http://127.0.0.1:5001"}},
                      "x xoxb-1-2-3 ghp_token_value slack-signing-secret gh-hook-secret");
  CHECK(l.problems.empty());
  CHECK(l.config.port == 0);
  CHECK(l.config.delivery_max_attempts == 5);
  CHECK(l.config.slack.api_url == "http://127.0.0.1:5000/api");
  CHECK(l.config.slack.ingress_enabled());
  CHECK(l.config.github.auth_mode() == GithubAuthMode::token);
  CHECK(l.redacted_probe == "x [REDACTED] [REDACTED] [REDACTED] [REDACTED]");
}

TEST_CASE("router config: the GitHub App key can come from a file and must be an RSA PEM") {
  const std::string pem = rsa_pem();
  const auto path = std::filesystem::temp_directory_path() /
                    ("atlas_router_app_key_" + std::to_string(std::random_device{}()) + ".pem");
  {
    std::ofstream out(path);
    out << pem;
  }
  const auto ok = load({{"GITHUB_APP_ID", "123456"}, {"GITHUB_APP_PRIVATE_KEY_FILE", path.string()}});
  std::filesystem::remove(path);
  CHECK(ok.problems.empty());
  CHECK(ok.config.github.auth_mode() == GithubAuthMode::app);
  CHECK(ok.config.github.app_id == std::optional<std::string>("123456"));

  const auto bad = load({{"GITHUB_APP_ID", "123456"}, {"GITHUB_APP_PRIVATE_KEY", "-----BEGIN junk"}});
  CHECK(mentions(bad.problems, "GITHUB_APP_PRIVATE_KEY is not a usable RSA private key"));
}

TEST_CASE("router config: malformed and inconsistent values are problems naming the variable") {
  CHECK(mentions(load({{"ROUTER_PORT", "http"}}).problems, "ROUTER_PORT"));
  CHECK(mentions(load({{"ROUTER_PORT", "70000"}}).problems, "ROUTER_PORT"));
  CHECK(mentions(load({{"DELIVERY_MAX_ATTEMPTS", "0"}}).problems, "DELIVERY_MAX_ATTEMPTS"));
  CHECK(mentions(load({{"SLACK_API_URL", "slack.com/api"}}).problems, "SLACK_API_URL"));
  CHECK(mentions(load({{"GITHUB_APP_ID", "my-app"}, {"GITHUB_APP_PRIVATE_KEY", rsa_pem()}}).problems,
                 "GITHUB_APP_ID='my-app'"));
  CHECK(mentions(load({{"GITHUB_APP_ID", "1"}}).problems, "GITHUB_APP_PRIVATE_KEY is not"));
  CHECK(mentions(load({{"GITHUB_APP_PRIVATE_KEY", rsa_pem()}}).problems, "GITHUB_APP_ID is not"));
  CHECK(mentions(load({{"GITHUB_TOKEN", "ghp_x1234"}, {"GITHUB_APP_ID", "1"}, {"GITHUB_APP_PRIVATE_KEY", rsa_pem()}}).problems,
                 "both set"));
  // No problem quotes a secret.
  const auto l = load({{"GITHUB_APP_ID", "1"}, {"GITHUB_APP_PRIVATE_KEY", "-----BEGIN secret-material"}});
  CHECK_FALSE(mentions(l.problems, "secret-material"));
}
