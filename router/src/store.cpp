#include "atlas/router/store.hpp"

#include <pqxx/nontransaction>
#include <pqxx/result>

namespace atlas::router {

std::string pg_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('"');
    for (const char c : item) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

template <class F>
auto RouterStore::statement(F&& f) {
  pg::Pool::Lease lease = pool_.lease();
  try {
    pqxx::nontransaction tx(lease.connection());
    return f(static_cast<pqxx::transaction_base&>(tx));
  } catch (const pqxx::broken_connection&) {
    lease.mark_broken();
    throw;
  }
}

void RouterStore::release(const std::vector<std::string>& keys, const Uuid& task_id) {
  statement([&](pqxx::transaction_base& tx) {
    tx.exec_params(
        "DELETE FROM public.router_webhook_dedupe "
        "WHERE dedupe_key = ANY ($1::text[]) "
        "AND state = 'claimed' AND task_id = $2::uuid",
        pg_array_literal(keys), task_id.to_string());
  });
}

std::size_t RouterStore::prune(std::size_t limit) {
  return statement([&](pqxx::transaction_base& tx) {
    const pqxx::result r = tx.exec_params(
        "DELETE FROM public.router_webhook_dedupe WHERE ctid IN ("
        "  SELECT ctid FROM public.router_webhook_dedupe WHERE expires_at < now() LIMIT $1)",
        static_cast<long long>(limit));
    return static_cast<std::size_t>(r.affected_rows());
  });
}

bool RouterStore::insert_unrelayed_request(const Uuid& task_id, std::string_view envelope_json) {
  statement([&](pqxx::transaction_base& tx) {
    tx.exec_params(
        "INSERT INTO public.architect_in (task_id, data, relayed_at) "
        "VALUES ($1::uuid, $2::jsonb, NULL) ON CONFLICT (task_id) DO NOTHING",
        task_id.to_string(), std::string(envelope_json));
  });
  return true;  // inserted, or a row with this task id was there already
}

void RouterStore::mark_relayed(const Uuid& task_id) {
  statement([&](pqxx::transaction_base& tx) {
    tx.exec_params(
        "UPDATE public.architect_in SET relayed_at = now() "
        "WHERE task_id = $1::uuid AND relayed_at IS NULL",
        task_id.to_string());
  });
}

bool RouterStore::record_reply(const std::string& task_id, std::string_view envelope_json) {
  return statement([&](pqxx::transaction_base& tx) {
    const pqxx::result r = tx.exec_params(
        "INSERT INTO public.architect_out (task_id, data) VALUES ($1::uuid, $2::jsonb) "
        "ON CONFLICT (task_id) DO NOTHING",
        task_id, std::string(envelope_json));
    return r.affected_rows() == 1;
  });
}

}  // namespace atlas::router
