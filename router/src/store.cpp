#include "atlas/router/store.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/result>

namespace atlas::router {

std::string json_text_array(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ClaimResult RouterStore::claim(const std::vector<std::string>& keys, const Uuid& task_id,
                               std::chrono::seconds ttl) {
  // One statement: what was already there (prior, read from the statement's
  // snapshot) and what this call claimed. An unexpired row is left alone; an
  // expired one is taken over.
  static constexpr const char* kClaim = R"SQL(
    WITH input AS (
      SELECT DISTINCT k FROM jsonb_array_elements_text($1::jsonb) AS k
    ), prior AS (
      SELECT d.state, d.task_id
        FROM public.router_webhook_dedupe d JOIN input ON input.k = d.dedupe_key
       WHERE d.expires_at >= now()
    ), claimed AS (
      INSERT INTO public.router_webhook_dedupe AS d (dedupe_key, task_id, expires_at)
      SELECT k, $2::uuid, now() + make_interval(secs => $3::double precision) FROM input
      ON CONFLICT (dedupe_key) DO UPDATE
        SET task_id = EXCLUDED.task_id, state = 'claimed', created_at = now(),
            expires_at = EXCLUDED.expires_at
        WHERE d.expires_at < now()
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM claimed),
           (SELECT min(task_id::text) FROM prior WHERE state = 'published')
  )SQL";
  return pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec_params(kClaim, json_text_array(keys), task_id.to_string(),
                                          static_cast<long long>(ttl.count()));
    ClaimResult out;
    if (!r.empty() && !r[0][1].is_null()) {
      out.duplicate = true;
      out.published_task_id = r[0][1].as<std::string>();
    }
    return out;
  });
}

void RouterStore::confirm(const std::vector<std::string>& keys) {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params(
        "UPDATE public.router_webhook_dedupe SET state = 'published' "
        "WHERE dedupe_key IN (SELECT jsonb_array_elements_text($1::jsonb)) AND state <> 'published'",
        json_text_array(keys));
  });
}

void RouterStore::release(const std::vector<std::string>& keys, const Uuid& task_id) {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params(
        "DELETE FROM public.router_webhook_dedupe "
        "WHERE dedupe_key IN (SELECT jsonb_array_elements_text($1::jsonb)) "
        "AND state = 'claimed' AND task_id = $2::uuid",
        json_text_array(keys), task_id.to_string());
  });
}

std::size_t RouterStore::prune(std::size_t limit) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec_params(
        "DELETE FROM public.router_webhook_dedupe WHERE ctid IN ("
        "  SELECT ctid FROM public.router_webhook_dedupe WHERE expires_at < now() LIMIT $1)",
        static_cast<long long>(limit));
    return static_cast<std::size_t>(r.affected_rows());
  });
}

bool RouterStore::insert_unrelayed_request(const Uuid& task_id, std::string_view envelope_json) {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO public.architect_in (task_id, data, relayed_at) "
        "VALUES ($1::uuid, $2::jsonb, NULL) ON CONFLICT (task_id) DO NOTHING",
        task_id.to_string(), std::string(envelope_json));
  });
  return true;  // inserted, or a row with this task id was there already
}

void RouterStore::mark_relayed(const Uuid& task_id) {
  pool_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params(
        "UPDATE public.architect_in SET relayed_at = now() "
        "WHERE task_id = $1::uuid AND relayed_at IS NULL",
        task_id.to_string());
  });
}

bool RouterStore::record_reply(const std::string& task_id, std::string_view envelope_json) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    const pqxx::result r = tx.exec_params(
        "INSERT INTO public.architect_out (task_id, data) VALUES ($1::uuid, $2::jsonb) "
        "ON CONFLICT (task_id) DO NOTHING",
        task_id, std::string(envelope_json));
    return r.affected_rows() == 1;
  });
}

}  // namespace atlas::router
