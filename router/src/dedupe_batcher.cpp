#include "atlas/router/dedupe_batcher.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/result>

namespace atlas::router {
namespace {

// Claims every key of the batch in one statement (its own transaction) and
// returns the keys it did not get. A row is taken when it expired, or when it
// is an unfinished claim of the same task id (a redelivery of a request whose
// first copy never became durable). Keys are inserted in order, so two
// replicas claiming overlapping batches lock rows in the same order.
constexpr const char* kClaimBatch = R"SQL(
  WITH input AS (
    SELECT e->>'k' AS k, (e->>'t')::uuid AS t FROM jsonb_array_elements($1::jsonb) AS e
  ), claimed AS (
    INSERT INTO public.router_webhook_dedupe AS d (dedupe_key, task_id, expires_at)
    SELECT k, t, now() + make_interval(secs => $2::double precision) FROM input ORDER BY k
    ON CONFLICT (dedupe_key) DO UPDATE
      SET task_id = EXCLUDED.task_id, state = 'claimed', created_at = now(),
          expires_at = EXCLUDED.expires_at
      WHERE d.expires_at < now() OR (d.state = 'claimed' AND d.task_id = EXCLUDED.task_id)
    RETURNING d.dedupe_key
  )
  SELECT k FROM input WHERE k NOT IN (SELECT dedupe_key FROM claimed)
)SQL";

// Who holds the keys a claim did not get.
constexpr const char* kHeld = R"SQL(
  SELECT dedupe_key, state, task_id::text FROM public.router_webhook_dedupe
  WHERE dedupe_key IN (SELECT jsonb_array_elements_text($1::jsonb)) AND expires_at >= now()
)SQL";

constexpr const char* kConfirm = R"SQL(
  UPDATE public.router_webhook_dedupe SET state = 'published'
  WHERE dedupe_key IN (SELECT jsonb_array_elements_text($1::jsonb)) AND state <> 'published'
)SQL";

constexpr std::chrono::milliseconds kClaimTimeout{1000};

}  // namespace

ClaimResult judge_claim(const std::vector<std::string>& unclaimed_keys, const Uuid& task_id,
                        const std::map<std::string, HeldKey>& held) {
  ClaimResult result;
  for (const std::string& key : unclaimed_keys) {
    const auto it = held.find(key);
    if (it == held.end()) continue;  // expired or deleted meanwhile: nobody holds it
    const bool other_task = Uuid::parse(it->second.task_id) != task_id;
    if (it->second.state == "published" || other_task) {
      result.duplicate = true;
      if (!result.published_task_id) result.published_task_id = it->second.task_id;
    }
  }
  return result;
}

std::vector<std::size_t> pick_batch(const std::vector<const std::vector<std::string>*>& keys,
                                    std::size_t max_batch) {
  std::vector<std::size_t> out;
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < keys.size() && out.size() < max_batch; ++i) {
    const bool clash = std::any_of(keys[i]->begin(), keys[i]->end(),
                                   [&](const std::string& k) { return seen.count(k) != 0; });
    if (clash) continue;
    for (const std::string& k : *keys[i]) seen.insert(k);
    out.push_back(i);
  }
  return out;
}

DedupeBatcher::DedupeBatcher(pg::Pool& pool, std::chrono::seconds ttl, Logger& logger,
                             std::size_t max_batch)
    : pool_(pool), ttl_(ttl), logger_(logger), max_batch_(std::max<std::size_t>(1, max_batch)) {
  thread_ = std::thread([this] { run(); });
}

DedupeBatcher::~DedupeBatcher() { stop(); }

void DedupeBatcher::claim(std::vector<std::string> keys, const Uuid& task_id, Callback done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      claims_.push_back(Claim{std::move(keys), task_id, std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(std::nullopt, "the router is stopping");
}

void DedupeBatcher::confirm(std::vector<std::string> keys) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  confirms_.insert(confirms_.end(), std::make_move_iterator(keys.begin()),
                   std::make_move_iterator(keys.end()));
  wake_.notify_one();
}

void DedupeBatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DedupeBatcher::run() {
  for (;;) {
    std::vector<Claim> batch;
    std::vector<std::string> confirms;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !claims_.empty() || !confirms_.empty(); });
      if (claims_.empty() && confirms_.empty()) {  // stopping, nothing left
        lock.unlock();
        drop_connection();  // its statement_timeout must not go back to the pool
        return;
      }
      // Up to max_batch claims from the front, minus any sharing a key with
      // an earlier one: those stay queued, in order, for the next batch.
      const std::size_t window = std::min(claims_.size(), max_batch_);
      std::vector<const std::vector<std::string>*> keys;
      keys.reserve(window);
      for (std::size_t i = 0; i < window; ++i) keys.push_back(&claims_[i].keys);
      const std::vector<std::size_t> chosen = pick_batch(keys, max_batch_);
      std::deque<Claim> rest;
      std::size_t next = 0;
      for (std::size_t i = 0; i < window; ++i) {
        if (next < chosen.size() && chosen[next] == i) {
          batch.push_back(std::move(claims_[i]));
          ++next;
        } else {
          rest.push_back(std::move(claims_[i]));
        }
      }
      claims_.erase(claims_.begin(), claims_.begin() + static_cast<std::ptrdiff_t>(window));
      claims_.insert(claims_.begin(), std::make_move_iterator(rest.begin()),
                     std::make_move_iterator(rest.end()));
      confirms.swap(confirms_);
    }
    if (!batch.empty()) run_claims(std::move(batch));
    if (!confirms.empty()) run_confirms(std::move(confirms));
  }
}

pqxx::connection& DedupeBatcher::connection() {
  if (!lease_) {
    lease_.emplace(pool_.lease(kClaimTimeout));
    // Bounded: a stuck database must not hold webhooks past Slack's 3 s; on
    // a time-out the batch is published without the fleet-wide check. The
    // connection is the batcher's alone, so the setting stays with it.
    pqxx::nontransaction tx(lease_->connection());
    tx.exec("SET statement_timeout = " + std::to_string(kClaimTimeout.count()));
  }
  return lease_->connection();
}

void DedupeBatcher::drop_connection() {
  if (!lease_) return;
  lease_->mark_broken();
  lease_.reset();
}

void DedupeBatcher::run_claims(std::vector<Claim> batch) {
  nlohmann::json input = nlohmann::json::array();
  for (const Claim& c : batch) {
    const std::string task = c.task_id.to_string();
    std::set<std::string_view> own;
    for (const std::string& k : c.keys) {
      if (own.insert(k).second) input.push_back({{"k", k}, {"t", task}});
    }
  }
  std::set<std::string> unclaimed;
  std::map<std::string, HeldKey> held;
  std::string error;
  try {
    pqxx::connection& conn = connection();
    try {
      pqxx::nontransaction tx(conn);
      for (const auto& row : tx.exec_params(kClaimBatch, input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                            static_cast<long long>(ttl_.count()))) {
        unclaimed.insert(row[0].as<std::string>());
      }
      if (!unclaimed.empty()) {
        const std::vector<std::string> list(unclaimed.begin(), unclaimed.end());
        for (const auto& row : tx.exec_params(kHeld, json_text_array(list))) {
          held[row[0].as<std::string>()] = HeldKey{row[1].as<std::string>(), row[2].as<std::string>()};
        }
      }
    } catch (const pqxx::broken_connection&) {
      drop_connection();
      throw;
    }
  } catch (const std::exception& e) {
    error = pool_.redact(e.what());
  }
  for (Claim& c : batch) {
    if (!error.empty()) {
      c.done(std::nullopt, error);
      continue;
    }
    std::vector<std::string> mine;
    for (const std::string& k : c.keys) {
      if (unclaimed.count(k) != 0) mine.push_back(k);
    }
    c.done(judge_claim(mine, c.task_id, held), "");
  }
}

void DedupeBatcher::run_confirms(std::vector<std::string> keys) {
  try {
    pqxx::connection& conn = connection();
    try {
      pqxx::nontransaction tx(conn);
      tx.exec_params(kConfirm, json_text_array(keys));
    } catch (const pqxx::broken_connection&) {
      drop_connection();
      throw;
    }
  } catch (const std::exception& e) {
    // A key left 'claimed' only means a later redelivery of the same request
    // is published again with the same task id (absorbed downstream).
    logger_.warn("webhook dedupe keys not marked published",
                 {{"keys", keys.size()}, {"error", pool_.redact(e.what())}});
  }
}

}  // namespace atlas::router
