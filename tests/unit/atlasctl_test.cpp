// The pure parts of atlasctl's operator commands (core/apps/atlasctl/*.hpp):
// what a /readyz answer means, status's exit code, URL lists, the table and
// line formatting, and reading one sample of a Prometheus scrape.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../../core/apps/atlasctl/output.hpp"
#include "../../core/apps/atlasctl/services.hpp"
#include "atlas/config.hpp"
#include "atlas/redact.hpp"

using atlas::ctl::Readiness;
using atlas::ctl::ServiceState;

namespace {

atlas::http::ClientResponse answer(int status, std::string body) {
  atlas::http::ClientResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Readiness with_state(Readiness::State state) {
  Readiness r;
  r.state = state;
  return r;
}

}  // namespace

TEST_CASE("atlasctl status: a 200 from /readyz is ready, a 503 names its failing checks, no answer is down") {
  const Readiness ready = atlas::ctl::classify_readyz(answer(200, R"({"status":"ready","checks":{}})"));
  CHECK(ready.state == Readiness::State::ready);
  CHECK(ready.http_status == 200);

  const Readiness failing = atlas::ctl::classify_readyz(answer(
      503, R"({"status":"not_ready","checks":{"kafka":{"ok":false,"detail":"consumer not running"},)"
           R"("database":{"ok":true,"detail":"fine"}},"failing":["kafka"]})"));
  CHECK(failing.state == Readiness::State::not_ready);
  CHECK(failing.failing == std::vector<std::string>{"kafka"});
  CHECK(failing.detail == "failing: kafka (consumer not running)");

  // Not an Atlas answer at all: not ready, with the status.
  const Readiness odd = atlas::ctl::classify_readyz(answer(404, "<html>not found</html>"));
  CHECK(odd.state == Readiness::State::not_ready);
  CHECK(odd.detail == "HTTP 404 from /readyz");

  atlas::http::ClientResponse refused;
  refused.error = atlas::http::ErrorKind::connect;
  refused.error_message = "GET http://127.0.0.1:1/readyz: Failed to connect to 127.0.0.1 port 1";
  const Readiness down = atlas::ctl::classify_readyz(refused);
  CHECK(down.state == Readiness::State::down);
  CHECK(down.detail == "connect: Failed to connect to 127.0.0.1 port 1");
}

TEST_CASE("atlasctl status: replicas make a service ready, degraded or down, services the exit code") {
  using S = Readiness::State;
  CHECK(atlas::ctl::service_state({with_state(S::ready), with_state(S::ready)}) == ServiceState::ready);
  CHECK(atlas::ctl::service_state({with_state(S::ready), with_state(S::down)}) == ServiceState::degraded);
  CHECK(atlas::ctl::service_state({with_state(S::not_ready)}) == ServiceState::degraded);
  CHECK(atlas::ctl::service_state({with_state(S::down), with_state(S::down)}) == ServiceState::down);

  CHECK(atlas::ctl::status_exit_code({ServiceState::ready, ServiceState::ready, ServiceState::ready}) == 0);
  CHECK(atlas::ctl::status_exit_code({ServiceState::ready, ServiceState::degraded, ServiceState::ready}) == 3);
  CHECK(atlas::ctl::status_exit_code({ServiceState::down, ServiceState::degraded, ServiceState::ready}) == 4);
  CHECK(atlas::ctl::status_exit_code({ServiceState::degraded, ServiceState::down}) == 4);
}

TEST_CASE("atlasctl service URLs: defaults, lists, trailing slashes, and a malformed entry names its variable") {
  atlas::Redactor redactor;
  {
    const auto env = atlas::EnvSource::from_map({});
    atlas::ConfigReader reader(env, redactor);
    const auto targets = atlas::ctl::service_targets(reader);
    REQUIRE(targets.size() == 3);
    CHECK(targets[0].urls == std::vector<std::string>{"http://127.0.0.1:8000"});
    CHECK(targets[1].urls == std::vector<std::string>{"http://127.0.0.1:8080"});
    CHECK(targets[2].variable == "RAG_URL");
    CHECK_NOTHROW(reader.finish());
  }
  {
    const auto env = atlas::EnvSource::from_map(
        {{"ATLAS_WORKER_URL", "http://w1:8000/, https://w2:8000"}, {"ATLAS_ROUTER_URL", "router:8080"}});
    atlas::ConfigReader reader(env, redactor);
    const auto targets = atlas::ctl::service_targets(reader);
    CHECK(targets[0].urls == std::vector<std::string>{"http://w1:8000", "https://w2:8000"});
    try {
      reader.finish();
      FAIL("a URL without a scheme must be refused");
    } catch (const atlas::ConfigError& e) {
      REQUIRE(e.problems().size() == 2);  // the malformed entry, then the empty list
      CHECK(e.problems()[0].find("ATLAS_ROUTER_URL='router:8080'") != std::string::npos);
    }
  }
}

TEST_CASE("atlasctl table: columns aligned by code points, no trailing blanks") {
  atlas::ctl::Table table({"NAME", "STATE", "DETAIL"});
  table.add({"atlas-rag", "ready", ""});
  table.add({"größe", "down", "refused"});
  CHECK(table.render() ==
        "NAME       STATE  DETAIL\n"
        "atlas-rag  ready\n"
        "größe      down   refused\n");
}

TEST_CASE("atlasctl first_line: the first line, cut on a code point, marked when shortened") {
  CHECK(atlas::ctl::first_line("one line", 20) == "one line");
  CHECK(atlas::ctl::first_line("# Title\nbody", 20) == "# Title...");
  CHECK(atlas::ctl::first_line("ünïcødé text", 7) == "ünïcødé...");
  CHECK(atlas::ctl::first_line("a\tb", 10) == "a b");
  CHECK(atlas::ctl::first_line("", 10).empty());
}

TEST_CASE("atlasctl metric_value: one unlabelled sample of a scrape") {
  const std::string scrape =
      "# HELP atlas_token_budget_per_run Current per-run token budget\n"
      "# TYPE atlas_token_budget_per_run gauge\n"
      "atlas_token_budget_per_run_other 1\n"
      "atlas_token_budget_per_run 8000\n"
      "atlas_tasks_total{outcome=\"done\"} 3\n";
  CHECK(atlas::ctl::metric_value(scrape, "atlas_token_budget_per_run") == doctest::Approx(8000));
  CHECK_FALSE(atlas::ctl::metric_value(scrape, "atlas_daily_token_budget").has_value());
  CHECK_FALSE(atlas::ctl::metric_value(scrape, "atlas_tasks_total").has_value());  // labelled only
}

TEST_CASE("atlasctl flags: --format, whole numbers and seconds are checked, naming the flag") {
  CHECK(atlas::ctl::parse_format("json") == atlas::ctl::Format::json);
  CHECK_THROWS_AS(atlas::ctl::parse_format("yaml"), atlas::ConfigError);
  const std::vector<std::string> args = {"--expect", "3", "--wait", "2.5", "--n", "x", "--big", "99999999999999999999"};
  std::size_t i = 0;
  CHECK(atlas::ctl::flag_integer(args, i, "--expect", 1, 10) == 3);
  i = 2;
  CHECK(atlas::ctl::flag_seconds(args, i, "--wait", 0.1, 10) == doctest::Approx(2.5));
  i = 4;
  CHECK_THROWS_WITH_AS(atlas::ctl::flag_integer(args, i, "--n", 1, 10),
                       doctest::Contains("--n 'x' is not a whole number"), atlas::ConfigError);
  i = 6;
  CHECK_THROWS_AS(atlas::ctl::flag_integer(args, i, "--big", 1, 10), atlas::ConfigError);
  i = 7;
  CHECK_THROWS_WITH_AS(atlas::ctl::flag_value(args, i, "--last"), doctest::Contains("--last needs a value"),
                       atlas::ConfigError);
}
