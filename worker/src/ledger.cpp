#include "atlas/worker/ledger.hpp"

#include <pqxx/pqxx>

namespace atlas::worker {

namespace {

// Today in UTC: the token ledger's day.
constexpr const char* kToday = "(now() AT TIME ZONE 'UTC')::date";

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string text = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) text += ',';
    text += ids[i];  // canonical UUIDs: no quoting needed
  }
  text += '}';
  return text;
}

// Gives back `reserved` tokens of `day` and charges `charged` instead.
//
// The day's ledger row is the one row every reservation and settlement of the
// whole fleet updates, and its lock is held until the transaction ends. So it
// is touched by one statement (an upsert: no separate INSERT ... DO NOTHING,
// which would wait for the lock holder too), and callers make it the LAST
// statement before COMMIT: the lock is then held for one round trip, not for
// the rest of the transaction's statements (bench/worker_bench.cpp measured
// the ledger row as the worker's bottleneck when it was taken early).
void settle_in_ledger(pqxx::work& tx, const std::string& day, std::int64_t reserved,
                      std::int64_t charged) {
  if (reserved == 0 && charged == 0) return;
  tx.exec_params0(
      "INSERT INTO public.atlas_token_ledger AS l (day, used) VALUES ($1::date, $3)"
      " ON CONFLICT (day) DO UPDATE"
      "   SET reserved = greatest(l.reserved - $2, 0), used = l.used + $3, updated_at = now()",
      day, reserved, charged);
}

}  // namespace

TaskLedger::TaskLedger(pg::Pool& pool, std::string worker_id, std::chrono::milliseconds lease)
    : pool_(pool), worker_id_(std::move(worker_id)), lease_(lease) {}

ClaimResult TaskLedger::claim(const std::string& task_id, const std::string& request_json) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    // The request's row in the public channel table (G2). It is on the bus
    // already, so the inbox relay must not send it again: relayed_at is set.
    tx.exec_params0(
        "INSERT INTO public.architect_in (task_id, data, relayed_at)"
        " VALUES ($1::uuid, $2::jsonb, now()) ON CONFLICT (task_id) DO NOTHING",
        task_id, request_json);

    ClaimResult result;
    const pqxx::result inserted = tx.exec_params(
        "INSERT INTO public.atlas_tasks (task_id, owner, lease_until, claims)"
        " VALUES ($1::uuid, $2, now() + $3 * interval '1 millisecond', 1)"
        " ON CONFLICT (task_id) DO NOTHING"
        " RETURNING extract(epoch FROM first_seen_at) * 1000",
        task_id, worker_id_, static_cast<std::int64_t>(lease_.count()));
    if (!inserted.empty()) {
      result.kind = ClaimResult::Kind::claimed;
      result.claims = 1;
      result.first_seen = std::chrono::system_clock::time_point(
          std::chrono::milliseconds(static_cast<std::int64_t>(inserted[0][0].as<double>())));
      return result;
    }

    // Someone saw it before: answered, running elsewhere, or abandoned.
    const pqxx::row row = tx.exec_params1(
        "SELECT reply::text, escalation::text, owner,"
        "       coalesce(extract(epoch FROM (lease_until - now())) * 1000, -1),"
        "       reserved_tokens, reserved_day::text, claims,"
        "       extract(epoch FROM first_seen_at) * 1000"
        "  FROM public.atlas_tasks WHERE task_id = $1::uuid FOR UPDATE",
        task_id);
    if (!row[0].is_null()) {
      result.kind = ClaimResult::Kind::replied;
      result.reply = row[0].as<std::string>();
      if (!row[1].is_null()) result.escalation = row[1].as<std::string>();
      return result;
    }
    const double lease_left_ms = row[3].as<double>();
    const std::string owner = row[2].is_null() ? std::string() : row[2].as<std::string>();
    if (lease_left_ms > 0 && owner != worker_id_) {
      result.kind = ClaimResult::Kind::leased;
      result.owner = owner;
      result.lease_left = std::chrono::milliseconds(static_cast<std::int64_t>(lease_left_ms));
      return result;
    }

    // Take it over. A previous run's reservation is charged in full: its
    // calls may have spent tokens that were never reported.
    const std::int64_t previous_reservation = row[4].as<std::int64_t>();
    tx.exec_params0(
        "UPDATE public.atlas_tasks"
        "   SET owner = $2, lease_until = now() + $3 * interval '1 millisecond',"
        "       claims = claims + 1, state = 'running', reserved_tokens = 0,"
        "       tokens = tokens + $4, updated_at = now()"
        " WHERE task_id = $1::uuid",
        task_id, worker_id_, static_cast<std::int64_t>(lease_.count()), previous_reservation);
    if (previous_reservation > 0 && !row[5].is_null()) {  // last: see settle_in_ledger
      settle_in_ledger(tx, row[5].as<std::string>(), previous_reservation, previous_reservation);
    }
    result.kind = ClaimResult::Kind::claimed;
    result.claims = row[6].as<int>() + 1;
    result.charged_from_previous_owner = previous_reservation;
    result.first_seen = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(static_cast<std::int64_t>(row[7].as<double>())));
    return result;
  });
}

Reservation TaskLedger::reserve(const std::string& task_id, std::int64_t tokens,
                                std::int64_t daily_budget) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    // The task row first: it is locked for the rest of the transaction, and
    // a replica that lost its lease learns it before touching the ledger.
    const pqxx::result owned = tx.exec_params(
        "UPDATE public.atlas_tasks"
        "   SET reserved_tokens = reserved_tokens + $3, reserved_day = " +
            std::string(kToday) +
            ", updated_at = now()"
            " WHERE task_id = $1::uuid AND owner = $2 AND reply IS NULL",
        task_id, worker_id_, tokens);
    if (owned.affected_rows() == 0) {
      throw LeaseLost("task " + task_id + " is no longer leased by " + worker_id_);
    }
    // One conditional upsert, the last statement before COMMIT (see
    // settle_in_ledger): the row lock serialises concurrent reservations of
    // the whole fleet, and the WHERE clauses are the budget (G6). The first
    // reservation of a day creates the row; a refused one changes nothing.
    const pqxx::result r = tx.exec_params(
        "INSERT INTO public.atlas_token_ledger AS l (day, reserved)"
        " SELECT " + std::string(kToday) + ", $1::bigint WHERE $1::bigint <= $2::bigint"
        " ON CONFLICT (day) DO UPDATE"
        "   SET reserved = l.reserved + excluded.reserved, updated_at = now()"
        "   WHERE l.used + l.reserved + excluded.reserved <= $2::bigint"
        " RETURNING l.used, l.reserved",
        tokens, daily_budget);
    Reservation reservation;
    if (!r.empty()) {
      reservation.ok = true;
      reservation.used = r[0][0].as<std::int64_t>();
      reservation.reserved = r[0][1].as<std::int64_t>();
      return reservation;
    }
    // Refused: undo the task's share too.
    tx.exec_params0(
        "UPDATE public.atlas_tasks SET reserved_tokens = reserved_tokens - $2"
        " WHERE task_id = $1::uuid",
        task_id, tokens);
    // No row yet when the day's first reservation is refused: nothing used.
    const pqxx::result today = tx.exec(
        "SELECT used, reserved FROM public.atlas_token_ledger WHERE day = " + std::string(kToday));
    if (!today.empty()) {
      reservation.used = today[0][0].as<std::int64_t>();
      reservation.reserved = today[0][1].as<std::int64_t>();
    }
    return reservation;
  });
}

FinishResult TaskLedger::finish(const FinishRecord& record) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    FinishResult result;
    const pqxx::row row = tx.exec_params1(
        "SELECT reply::text, escalation::text, owner, reserved_tokens, reserved_day::text"
        "  FROM public.atlas_tasks WHERE task_id = $1::uuid FOR UPDATE",
        record.task_id);
    if (!row[0].is_null()) {
      // Another replica answered first (it took over an expired lease).
      result.stored = false;
      result.stored_reply = row[0].as<std::string>();
      if (!row[1].is_null()) result.stored_escalation = row[1].as<std::string>();
      return result;
    }
    const bool still_owner = !row[2].is_null() && row[2].as<std::string>() == worker_id_;
    const std::string reply_text = record.reply.dump();
    tx.exec_params0(
        "UPDATE public.atlas_tasks"
        "   SET state = $2, reply_id = $3::uuid, reply = $4::jsonb, escalation = $5::jsonb,"
        "       status = $6, model = $7, tokens = tokens + $8, cost_usd = $9,"
        "       attempts = $10::jsonb, timings = $11::jsonb, owner = NULL, lease_until = NULL,"
        "       reserved_tokens = 0, finished_at = now(), updated_at = now()"
        " WHERE task_id = $1::uuid",
        record.task_id, record.state, record.reply_id, reply_text,
        record.escalation ? std::optional<std::string>(record.escalation->dump()) : std::nullopt,
        record.status, record.model.empty() ? std::optional<std::string>() : record.model,
        still_owner ? record.charged : std::int64_t{0}, record.cost_usd, record.attempts.dump(),
        record.timings.dump());
    // The reply's row in the public channel table (G2); the router's delivery
    // inserts the same row when it consumes the reply, whichever comes first.
    tx.exec_params0(
        "INSERT INTO public.architect_out (task_id, data) VALUES ($1::uuid, $2::jsonb)"
        " ON CONFLICT (task_id) DO NOTHING",
        record.reply_id, reply_text);
    // Settle only our own reservation (last: see settle_in_ledger). If another
    // replica took the task over, it has already charged our reservation in full.
    if (still_owner && !row[4].is_null()) {
      settle_in_ledger(tx, row[4].as<std::string>(), row[3].as<std::int64_t>(), record.charged);
    }
    return result;
  });
}

void TaskLedger::release(const std::string& task_id, std::int64_t charged,
                         const std::string& state) {
  pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec_params(
        "SELECT reserved_tokens, reserved_day::text FROM public.atlas_tasks"
        " WHERE task_id = $1::uuid AND owner = $2 AND reply IS NULL FOR UPDATE",
        task_id, worker_id_);
    if (r.empty()) return;  // not ours any more: the new owner settled it
    tx.exec_params0(
        "UPDATE public.atlas_tasks"
        "   SET state = $2, owner = NULL, lease_until = NULL, reserved_tokens = 0,"
        "       tokens = tokens + $3, updated_at = now()"
        " WHERE task_id = $1::uuid",
        task_id, state, charged);
    if (!r[0][1].is_null()) {  // last: see settle_in_ledger
      settle_in_ledger(tx, r[0][1].as<std::string>(), r[0][0].as<std::int64_t>(), charged);
    }
  });
}

void TaskLedger::release_all_leases() {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params0(
        "UPDATE public.atlas_tasks SET lease_until = now(), updated_at = now()"
        " WHERE owner = $1 AND reply IS NULL",
        worker_id_);
  });
}

bool TaskLedger::record_control(const std::string& task_id, const std::string& command,
                                const std::string& request_json,
                                std::optional<std::int64_t> tokens_per_run) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec_params(
        "INSERT INTO public.atlas_control_events (task_id, command, data, received_by)"
        " VALUES ($1::uuid, $2, $3::jsonb, $4) ON CONFLICT (task_id) DO NOTHING RETURNING seq",
        task_id, command, request_json, worker_id_);
    if (r.empty()) return false;
    if (tokens_per_run) {
      tx.exec_params0(
          "INSERT INTO public.atlas_settings (key, value, updated_at, updated_by)"
          " VALUES ('tokens_per_run', to_jsonb($1::bigint), now(), $2)"
          " ON CONFLICT (key) DO UPDATE"
          "   SET value = excluded.value, updated_at = now(), updated_by = excluded.updated_by",
          *tokens_per_run, worker_id_);
    }
    return true;
  });
}

SyncResult TaskLedger::sync(const SyncRequest& request) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    SyncResult result;
    tx.exec_params0(
        "INSERT INTO public.atlas_workers (worker_id, started_at, last_seen, inflight, info)"
        " VALUES ($1, now(), now(), $2, $3::jsonb)"
        " ON CONFLICT (worker_id) DO UPDATE"
        "   SET last_seen = now(), inflight = excluded.inflight, info = excluded.info",
        worker_id_, request.inflight, request.info.dump());
    if (!request.running.empty()) {
      const pqxx::result renewed = tx.exec_params(
          "UPDATE public.atlas_tasks SET lease_until = now() + $2 * interval '1 millisecond'"
          " WHERE owner = $1 AND reply IS NULL AND task_id = ANY($3::uuid[])",
          worker_id_, static_cast<std::int64_t>(lease_.count()), uuid_array(request.running));
      result.leases_renewed = renewed.affected_rows();
    }
    for (const auto& row : tx.exec_params(
             "SELECT seq, task_id::text, command, data::text, received_by"
             "  FROM public.atlas_control_events WHERE seq > $1 ORDER BY seq LIMIT 1000",
             request.after_seq)) {
      result.events.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(),
                               row[2].as<std::string>(), row[3].as<std::string>(),
                               row[4].as<std::string>()});
    }
    const pqxx::result setting = tx.exec(
        "SELECT (value #>> '{}')::bigint FROM public.atlas_settings WHERE key = 'tokens_per_run'");
    if (!setting.empty() && !setting[0][0].is_null()) {
      result.tokens_per_run = setting[0][0].as<std::int64_t>();
    }
    const pqxx::result today = tx.exec(
        "SELECT used, reserved FROM public.atlas_token_ledger WHERE day = " + std::string(kToday));
    if (!today.empty()) {
      result.used_today = today[0][0].as<std::int64_t>();
      result.reserved_today = today[0][1].as<std::int64_t>();
    }
    return result;
  });
}

std::int64_t TaskLedger::last_control_seq() {
  return pool_.with_transaction([&](pqxx::work& tx) {
    return tx.exec1("SELECT coalesce(max(seq), 0) FROM public.atlas_control_events")[0]
        .as<std::int64_t>();
  });
}

}  // namespace atlas::worker
