// atlasctl budget show | set N: the fleet's token budget (DESIGN G6, G7).
//   show  today's ledger row (settled and reserved tokens), the daily budget
//         and the per-run budget in force, read from PostgreSQL and from the
//         worker's /metrics;
//   set   publishes the set_budget control and waits for the worker's "ok".
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "atlas/config.hpp"
#include "atlas/pg/pool.hpp"
#include "commands.hpp"
#include "control_roundtrip.hpp"
#include "output.hpp"
#include "services.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl budget show [--format table|json]\n"
    "       atlasctl budget set TOKENS [--wait SECONDS] [--format table|json]\n"
    "\n"
    "show  today's (UTC) fleet-wide token ledger from DATABASE_URL: tokens settled and\n"
    "      reserved by runs in progress, what is left of the daily budget, and the\n"
    "      per-run budget in force. The daily budget is the worker's own\n"
    "      (atlas_daily_token_budget on ATLAS_WORKER_URL/metrics), else DAILY_TOKEN_BUDGET\n"
    "      from this environment (default 250000).\n"
    "set   publishes {\"command\":\"set_budget\",\"tokens_per_run\":TOKENS} to architect_in and\n"
    "      waits for the worker's \"ok\" on architect_out. The setting is persistent: every\n"
    "      replica applies it within 5 s, also replicas started later, until the next set.\n"
    "      TOKENS: 1000 to 100000000, as for TOKEN_BUDGET_PER_RUN. The daily budget is\n"
    "      DAILY_TOKEN_BUDGET on the workers (change it and restart them).\n"
    "  --wait SECONDS        set: how long to wait for the reply (default 30)\n"
    "  --format table|json   output (default table)\n"
    "\n"
    "Exit status: 0 ok; 1 the database, the broker or the worker did not answer; 2 usage.\n";

struct Ledger {
  std::string day;
  std::int64_t used = 0;
  std::int64_t reserved = 0;
  std::optional<std::int64_t> per_run_setting;  // atlas_settings tokens_per_run
  std::string per_run_updated_at;
  std::string per_run_updated_by;
};

Ledger read_ledger(const std::string& database_url) {
  pg::Pool pool(database_url, {.size = 1, .connect_timeout = std::chrono::seconds(5)});
  return pool.with_transaction([](pqxx::work& tx) {
    Ledger l;
    const pqxx::row today = tx.exec1(
        "SELECT d::text, coalesce(t.used, 0), coalesce(t.reserved, 0)"
        "  FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS d) today"
        "  LEFT JOIN public.atlas_token_ledger t ON t.day = today.d");
    l.day = today[0].as<std::string>();
    l.used = today[1].as<std::int64_t>();
    l.reserved = today[2].as<std::int64_t>();
    const pqxx::result setting = tx.exec(
        "SELECT (value #>> '{}')::bigint, to_char(updated_at AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(updated_by, '')"
        "  FROM public.atlas_settings WHERE key = 'tokens_per_run'");
    if (!setting.empty() && !setting[0][0].is_null()) {
      l.per_run_setting = setting[0][0].as<std::int64_t>();
      l.per_run_updated_at = setting[0][1].as<std::string>();
      l.per_run_updated_by = setting[0][2].as<std::string>();
    }
    return l;
  });
}

int show(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  // --help was answered by cmd_budget; only --format is left.
  if (const auto stop = read_args(args, "budget show", kUsage, &format, nullptr)) return *stop;
  ConfigReader reader(ctx.env, ctx.redactor);
  const CommonConfig common = CommonConfig::load(reader);
  const std::int64_t env_daily = reader.integer("DAILY_TOKEN_BUDGET", 250000, 0, 1'000'000'000'000);
  const std::int64_t env_per_run = reader.integer("TOKEN_BUDGET_PER_RUN", 12000, 1000, 100'000'000);
  const std::vector<std::string> worker_urls =
      url_list(reader, "ATLAS_WORKER_URL", "http://127.0.0.1:8000");
  reader.finish();

  Ledger ledger;
  try {
    ledger = read_ledger(common.database_url);
  } catch (const pqxx::undefined_table&) {
    std::fprintf(stderr,
                 "atlasctl budget show: the worker's tables are missing in the database: run "
                 "atlasctl migrate (or start atlas-worker once)\n");
    return kExitError;
  }

  // The worker's own view of the daily and per-run budgets, when it answers.
  std::optional<double> worker_daily;
  std::optional<double> worker_per_run;
  std::string worker_source;
  const auto scraped = get_all({worker_urls.front() + "/metrics"}, std::chrono::seconds(3));
  if (scraped.front().transport_ok() && scraped.front().status == 200) {
    worker_daily = metric_value(scraped.front().body, "atlas_daily_token_budget");
    worker_per_run = metric_value(scraped.front().body, "atlas_token_budget_per_run");
    worker_source = worker_urls.front() + "/metrics";
  }
  const std::int64_t daily = worker_daily ? static_cast<std::int64_t>(*worker_daily) : env_daily;
  const std::string daily_source =
      worker_daily ? "atlas_daily_token_budget on " + worker_source
                   : "DAILY_TOKEN_BUDGET in this environment (the worker's /metrics did not answer)";
  const std::int64_t per_run = ledger.per_run_setting.value_or(env_per_run);
  const std::string per_run_source =
      ledger.per_run_setting
          ? "set_budget at " + ledger.per_run_updated_at + " (" + ledger.per_run_updated_by + ")"
          : "TOKEN_BUDGET_PER_RUN (no set_budget yet)";
  const std::int64_t remaining = std::max<std::int64_t>(0, daily - ledger.used - ledger.reserved);
  const double used_pct = daily > 0 ? 100.0 * static_cast<double>(ledger.used) / static_cast<double>(daily) : 0;

  if (format == Format::json) {
    nlohmann::json out = {{"day", ledger.day},
                          {"used", ledger.used},
                          {"reserved", ledger.reserved},
                          {"remaining", remaining},
                          {"daily_token_budget", daily},
                          {"daily_token_budget_source", daily_source},
                          {"used_percent", used_pct},
                          {"tokens_per_run", per_run},
                          {"tokens_per_run_source", per_run_source}};
    if (worker_per_run) out["worker_tokens_per_run"] = static_cast<std::int64_t>(*worker_per_run);
    print_json(out);
    return kExitOk;
  }
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f%%", used_pct);
  Table table({"FIELD", "VALUE", "SOURCE"});
  table.add({"day (UTC)", ledger.day, "atlas_token_ledger"});
  table.add({"used", std::to_string(ledger.used), "tokens settled today, fleet-wide"});
  table.add({"reserved", std::to_string(ledger.reserved), "held by runs in progress"});
  table.add({"daily budget", std::to_string(daily), daily_source});
  table.add({"remaining", std::to_string(remaining), "daily budget - used - reserved"});
  table.add({"used of daily", pct, "AtlasTokenBudget80 warns at 80%"});
  table.add({"per-run budget", std::to_string(per_run), per_run_source});
  if (worker_per_run && static_cast<std::int64_t>(*worker_per_run) != per_run) {
    table.add({"per-run (worker)", std::to_string(static_cast<std::int64_t>(*worker_per_run)),
               "atlas_token_budget_per_run on " + worker_source + " (not applied yet?)"});
  }
  table.print();
  return kExitOk;
}

int set(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  double wait_s = 30;
  std::optional<std::int64_t> tokens;
  const auto stop = read_args(
      args, "budget set", kUsage, &format,
      [&](const std::vector<std::string>& a, std::size_t& i) {
        if (a[i] == "--wait") {
          wait_s = flag_seconds(a, i, "--wait", 0.1, 600);
        } else if (!tokens && !a[i].empty() && a[i][0] != '-') {
          tokens = parse_integer(a[i], "TOKENS", 1000, 100'000'000);
        } else {
          return ArgUse::unknown;
        }
        return ArgUse::taken;
      },
      "unexpected");
  if (stop) return *stop;
  if (!tokens) {
    std::fprintf(stderr, "atlasctl budget set: give the new per-run budget in tokens\n\n%s", kUsage);
    return kExitInvalid;
  }
  const CommonConfig common = load_common_config(ctx);

  const auto answer = ask_worker(
      ctx, "budget set", common.kafka, {{"command", "set_budget"}, {"tokens_per_run", *tokens}},
      wait_s, ". The control stays on the topic and takes effect when a worker reads it.");
  if (!answer) return kExitError;
  if (format == Format::json) {
    print_json({{"task_id", answer->task_id}, {"tokens_per_run", *tokens}, {"status", answer->status},
                {"reply", answer->reply}});
  } else {
    std::printf("set_budget %s: tokens_per_run %lld, %s from %s; every replica applies it "
                "within 5 s\n",
                answer->task_id.c_str(), static_cast<long long>(*tokens), answer->status.c_str(),
                answer->worker_id.c_str());
  }
  return answer->status == "ok" ? kExitOk : kExitError;
}

}  // namespace

int cmd_budget(const std::vector<std::string>& args, Context& ctx) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  }
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitInvalid;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "show") return show(rest, ctx);
  if (args[0] == "set") return set(rest, ctx);
  std::fprintf(stderr, "atlasctl budget: unknown subcommand '%s' (show or set)\n\n%s", args[0].c_str(),
               kUsage);
  return kExitInvalid;
}

}  // namespace atlas::ctl
