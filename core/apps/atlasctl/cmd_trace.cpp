// atlasctl trace TASK_ID: one request as the fleet recorded it. The task
// ledger row (public.atlas_tasks: state, lease, model, tokens, cost, every
// LLM attempt and the timings), and whether the request and its reply or
// escalation are mirrored in public.architect_in / architect_out (G2).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "atlas/config.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/uuid.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace atlas::ctl {
namespace {

constexpr const char* kUsage =
    "usage: atlasctl trace TASK_ID [--format table|json]\n"
    "\n"
    "Shows one request from DATABASE_URL: its task ledger row (state, owner and lease,\n"
    "claims, model, tokens, estimated cost, each LLM attempt with its outcome and\n"
    "duration, the timings), and whether the request (architect_in) and its reply or\n"
    "escalation (architect_out) are stored. TASK_ID is the request's task_id, as\n"
    "printed by atlasctl publish or found in a reply's metadata.parent_id.\n"
    "  --format table|json   output (default table)\n"
    "\n"
    "Exit status: 0 the ledger has the task; 1 it does not (not taken by a worker yet,\n"
    "or unknown) or the database did not answer; 2 usage.\n";

// A mirrored row: its id and when it was written, or nothing.
struct Mirror {
  std::string task_id;
  std::optional<std::int64_t> id;
  std::string created_at;
  std::string status;  // metadata.status of the stored envelope
};

constexpr const char* kTimestamp = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

std::string ts(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', " + kTimestamp + ")";
}

Mirror mirror(pqxx::work& tx, const std::string& table, const std::string& task_id) {
  Mirror m;
  m.task_id = task_id;
  const pqxx::result r = tx.exec_params(
      "SELECT id, " + ts("created_at") + ", coalesce(data #>> '{metadata,status}', '')"
      "  FROM public." + table + " WHERE task_id = $1::uuid",
      task_id);
  if (!r.empty()) {
    m.id = r[0][0].as<std::int64_t>();
    m.created_at = r[0][1].as<std::string>();
    m.status = r[0][2].as<std::string>();
  }
  return m;
}

nlohmann::json mirror_json(const Mirror& m) {
  if (!m.id) return {{"task_id", m.task_id}, {"stored", false}};
  return {{"task_id", m.task_id}, {"stored", true}, {"id", *m.id}, {"created_at", m.created_at},
          {"status", m.status}};
}

std::string mirror_text(const Mirror& m) {
  if (!m.id) return "not stored (" + m.task_id + ")";
  return "row " + std::to_string(*m.id) + " at " + m.created_at + " (" + m.task_id +
         (m.status.empty() ? "" : ", status " + m.status) + ")";
}

std::string field(const pqxx::field& f) { return f.is_null() ? "" : f.as<std::string>(); }

nlohmann::json jsonb(const pqxx::field& f) {
  if (f.is_null()) return nullptr;
  return nlohmann::json::parse(f.as<std::string>(), nullptr, false);
}

}  // namespace

int cmd_trace(const std::vector<std::string>& args, Context& ctx) {
  Format format = Format::table;
  std::optional<Uuid> task;
  const auto stop = read_args(
      args, "trace", kUsage, &format,
      [&](const std::vector<std::string>& a, std::size_t& i) {
        if (task || a[i].empty() || a[i][0] == '-') return ArgUse::unknown;
        task = Uuid::parse(a[i]);
        if (task) return ArgUse::taken;
        std::fprintf(stderr, "atlasctl trace: '%s' is not a task_id (a UUID such as "
                             "2f1c...-...)\n", a[i].c_str());
        return ArgUse::invalid;
      },
      "unexpected");
  if (stop) return *stop;
  if (!task) {
    std::fputs(kUsage, stderr);
    return kExitInvalid;
  }
  const CommonConfig common = load_common_config(ctx);

  const std::string id = task->to_string();
  pg::Pool pool(common.database_url, {.size = 1, .connect_timeout = std::chrono::seconds(5)});
  nlohmann::json row;  // null when the ledger has no row
  Mirror request, reply, escalation;
  try {
    pool.with_transaction([&](pqxx::work& tx) {
      const pqxx::result r = tx.exec_params(
          "SELECT state, coalesce(status, ''), coalesce(model, ''), tokens, cost_usd,"
          "       coalesce(owner, ''), " + ts("lease_until") + ", claims, reserved_tokens,"
          "       reply_id::text, attempts::text, timings::text, escalation::text, " +
          ts("first_seen_at") + ", " + ts("finished_at") + ", " + ts("updated_at") + ","
          "       extract(epoch FROM (finished_at - first_seen_at)) * 1000"
          "  FROM public.atlas_tasks WHERE task_id = $1::uuid",
          id);
      if (!r.empty()) {
        const pqxx::row x = r[0];
        row = {{"task_id", id},
               {"state", field(x[0])},
               {"status", field(x[1])},
               {"model", field(x[2])},
               {"tokens", x[3].as<std::int64_t>()},
               {"cost_usd", x[4].is_null() ? nlohmann::json() : nlohmann::json(x[4].as<double>())},
               {"owner", field(x[5])},
               {"lease_until", x[6].is_null() ? nlohmann::json() : nlohmann::json(field(x[6]))},
               {"claims", x[7].as<std::int64_t>()},
               {"reserved_tokens", x[8].as<std::int64_t>()},
               {"reply_id", x[9].is_null() ? nlohmann::json() : nlohmann::json(field(x[9]))},
               {"attempts", jsonb(x[10])},
               {"timings", jsonb(x[11])},
               {"escalation", jsonb(x[12])},
               {"first_seen_at", field(x[13])},
               {"finished_at", x[14].is_null() ? nlohmann::json() : nlohmann::json(field(x[14]))},
               {"updated_at", field(x[15])},
               {"elapsed_ms", x[16].is_null() ? nlohmann::json()
                                              : nlohmann::json(static_cast<std::int64_t>(x[16].as<double>()))}};
      }
      request = mirror(tx, "architect_in", id);
      reply = mirror(tx, "architect_out", reply_task_id(*task).to_string());
      escalation = mirror(tx, "architect_out", escalation_task_id(*task).to_string());
    });
  } catch (const pqxx::undefined_table&) {
    std::fprintf(stderr,
                 "atlasctl trace: the ledger tables are missing in the database: run atlasctl "
                 "migrate (or start atlas-worker once)\n");
    return kExitError;
  }

  if (format == Format::json) {
    print_json({{"task_id", id},
                {"ledger", row},
                {"architect_in", mirror_json(request)},
                {"architect_out", {{"reply", mirror_json(reply)}, {"escalation", mirror_json(escalation)}}}});
    return row.is_null() ? kExitError : kExitOk;
  }

  Table summary({"FIELD", "VALUE"});
  summary.add({"task_id", id});
  if (row.is_null()) {
    summary.add({"ledger", "no row: no worker has taken this task (yet)"});
  } else {
    summary.add({"state", cell(row["state"]) + (row["status"] == "" ? "" : " (reply status " + cell(row["status"]) + ")")});
    summary.add({"model", row["model"] == "" ? "-" : cell(row["model"])});
    summary.add({"tokens", cell(row["tokens"]) + (row["reserved_tokens"] != 0 ? " (reserved now: " + cell(row["reserved_tokens"]) + ")" : "")});
    summary.add({"cost_usd", cell(row["cost_usd"])});
    summary.add({"claims", cell(row["claims"]) + (row["owner"] == "" ? "" : " (last owner " + cell(row["owner"]) + ")")});
    if (!row["lease_until"].is_null()) summary.add({"lease_until", cell(row["lease_until"])});
    summary.add({"first_seen_at", cell(row["first_seen_at"])});
    summary.add({"finished_at", cell(row["finished_at"]) + (row["elapsed_ms"].is_null() ? "" : " (" + cell(row["elapsed_ms"]) + " ms after first seen)")});
    if (row["timings"].is_object()) {
      std::string t;
      for (const auto& [k, v] : row["timings"].items()) t += (t.empty() ? "" : " ") + k + "=" + cell(v);
      summary.add({"timings", t});
    }
    summary.add({"reply_id", cell(row["reply_id"])});
    if (row["escalation"].is_object()) {
      summary.add({"escalation", cell(row["escalation"].value("content", nlohmann::json::object()).value("reason", nlohmann::json()))});
    }
  }
  summary.add({"architect_in", mirror_text(request)});
  summary.add({"architect_out reply", mirror_text(reply)});
  if (escalation.id) summary.add({"architect_out escalation", mirror_text(escalation)});
  summary.print();

  if (!row.is_null() && row["attempts"].is_array() && !row["attempts"].empty()) {
    std::printf("\nLLM attempts:\n");
    Table attempts({"#", "PROVIDER", "MODEL", "OUTCOME", "HTTP", "DURATION_MS", "WAIT_MS", "ERROR"});
    int n = 0;
    for (const auto& a : row["attempts"]) {
      if (!a.is_object()) continue;
      attempts.add({std::to_string(++n), cell(a.value("provider", nlohmann::json())),
                    cell(a.value("model", nlohmann::json())), cell(a.value("outcome", nlohmann::json())),
                    cell(a.value("http_status", nlohmann::json())),
                    cell(a.value("duration_ms", nlohmann::json())), cell(a.value("wait_ms", nlohmann::json())),
                    first_line(cell(a.value("error", nlohmann::json())), 60)});
    }
    attempts.print();
  }
  if (row.is_null()) {
    std::fprintf(stderr, "atlasctl trace: %s is not in the task ledger%s\n", id.c_str(),
                 request.id ? " (the request is stored: is a worker consuming architect_in?)" : "");
    return kExitError;
  }
  return kExitOk;
}

}  // namespace atlas::ctl
