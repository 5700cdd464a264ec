#include "atlas/router/dedupe_batcher.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include <pqxx/nontransaction>
#include <pqxx/result>

namespace atlas::router {
namespace {

// Claims every key of the batch in one statement (its own transaction) and
// returns the keys it did not get. A row is taken when it expired, or when it
// is an unfinished claim of the same task id (a redelivery of a request whose
// first copy never became durable). Keys are inserted in order, so two
// replicas claiming overlapping batches lock rows in the same order.
// $1 text[] keys, $2 uuid[] their task ids (same length), $3 the TTL in s.
constexpr const char* kClaimName = "router_dedupe_claim";
constexpr const char* kClaimBatch = R"SQL(
  WITH input AS (
    SELECT k, t FROM unnest($1::text[], $2::uuid[]) AS i(k, t)
  ), claimed AS (
    INSERT INTO public.router_webhook_dedupe AS d (dedupe_key, task_id, expires_at)
    SELECT k, t, now() + make_interval(secs => $3::double precision) FROM input ORDER BY k
    ON CONFLICT (dedupe_key) DO UPDATE
      SET task_id = EXCLUDED.task_id, state = 'claimed', created_at = now(),
          expires_at = EXCLUDED.expires_at
      WHERE d.expires_at < now() OR (d.state = 'claimed' AND d.task_id = EXCLUDED.task_id)
    RETURNING d.dedupe_key
  )
  SELECT k FROM input WHERE k NOT IN (SELECT dedupe_key FROM claimed)
)SQL";

// Who holds the keys a claim did not get. A statement of its own: it needs a
// snapshot that sees the rows other replicas committed during the claim.
// Not prepared: it runs only for duplicates, and planned each time it finds
// the rows through the primary key whatever the table's size was when a
// generic plan would have been made.
constexpr const char* kHeld = R"SQL(
  SELECT dedupe_key, state, task_id::text FROM public.router_webhook_dedupe
  WHERE dedupe_key = ANY ($1::text[]) AND expires_at >= now()
)SQL";

// Prepared and planned with its parameters on every execution (the confirm
// lane's plan_cache_mode), for the same reason as kHeld.
constexpr const char* kConfirmName = "router_dedupe_confirm";
constexpr const char* kConfirm = R"SQL(
  UPDATE public.router_webhook_dedupe SET state = 'published'
  WHERE dedupe_key = ANY ($1::text[]) AND state <> 'published'
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
    : pool_(pool),
      ttl_(ttl),
      logger_(logger),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      claim_lane_(pool, {{kClaimName, kClaimBatch}}, false),
      confirm_lane_(pool, {{kConfirmName, kConfirm}}, true) {
  claim_thread_ = std::thread([this] { run_claim_lane(); });
  confirm_thread_ = std::thread([this] { run_confirm_lane(); });
}

DedupeBatcher::~DedupeBatcher() { stop(); }

void DedupeBatcher::claim(std::vector<std::string> keys, const Uuid& task_id, Callback done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      claims_.push_back(Claim{std::move(keys), task_id, std::move(done)});
      claims_ready_.notify_one();
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
  confirms_ready_.notify_one();
}

void DedupeBatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  claims_ready_.notify_all();
  confirms_ready_.notify_all();
  if (claim_thread_.joinable()) claim_thread_.join();
  if (confirm_thread_.joinable()) confirm_thread_.join();
}

std::vector<DedupeBatcher::Claim> DedupeBatcher::take_batch() {
  const std::size_t window = std::min(claims_.size(), max_batch_);
  std::vector<const std::vector<std::string>*> keys;
  keys.reserve(window);
  for (std::size_t i = 0; i < window; ++i) keys.push_back(&claims_[i].keys);
  const std::vector<std::size_t> chosen = pick_batch(keys, max_batch_);
  std::vector<Claim> batch;
  batch.reserve(chosen.size());
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
  return batch;
}

// Connects and prepares before the first webhook, so the first claim and
// the first confirmation do not wait for that. A database that is down now
// is tried again on first use, which reports the error.
void DedupeBatcher::Lane::warm_up() {
  try {
    (void)connection();
  } catch (const std::exception&) {
    drop();
  }
}

void DedupeBatcher::run_claim_lane() {
  claim_lane_.warm_up();
  for (;;) {
    std::vector<Claim> batch;
    {
      std::unique_lock lock(mutex_);
      claims_ready_.wait(lock, [this] { return stopping_ || !claims_.empty(); });
      if (claims_.empty()) break;  // stopping, nothing left
      batch = take_batch();
    }
    run_claims(std::move(batch));
  }
  claim_lane_.drop();
}

void DedupeBatcher::run_confirm_lane() {
  confirm_lane_.warm_up();
  for (;;) {
    std::vector<std::string> keys;
    {
      std::unique_lock lock(mutex_);
      confirms_ready_.wait(lock, [this] { return stopping_ || !confirms_.empty(); });
      if (confirms_.empty()) break;  // stopping, nothing left
      // No waiting to gather more: a redelivery to another replica must find
      // the row 'published' as soon as possible. Batches still form, from the
      // keys that arrive while the previous statement runs.
      keys.swap(confirms_);
    }
    run_confirms(std::move(keys));
  }
  confirm_lane_.drop();
}

pqxx::connection& DedupeBatcher::Lane::connection() {
  if (!lease_) {
    lease_.emplace(pool_.lease(kClaimTimeout));
    pqxx::connection& conn = lease_->connection();
    // Bounded: a stuck database must not hold webhooks past Slack's 3 s; on
    // a time-out the batch is published without the fleet-wide check. The
    // connection is this lane's alone, so the setting stays with it.
    pqxx::nontransaction(conn).exec("SET statement_timeout = " + std::to_string(kClaimTimeout.count()));
    // A generic plan made while the table was small would scan it whole for
    // "= ANY($1)" for as long as the connection lives: plan such statements
    // with their parameters every time. The claim's plan does not depend on
    // the table's size (the primary key arbitrates ON CONFLICT): it is kept.
    if (custom_plans_) pqxx::nontransaction(conn).exec("SET plan_cache_mode = force_custom_plan");
    for (const auto& [name, sql] : statements_) conn.prepare(name, sql);
  }
  return lease_->connection();
}

void DedupeBatcher::Lane::drop() {
  if (!lease_) return;
  lease_->mark_broken();
  lease_.reset();
}

void DedupeBatcher::run_claims(std::vector<Claim> batch) {
  std::vector<std::string> keys;
  std::vector<std::string> tasks;
  std::set<std::string_view> all;
  for (const Claim& c : batch) {
    const std::string task = c.task_id.to_string();
    for (const std::string& k : c.keys) {
      if (all.insert(k).second) {  // pick_batch keeps other claims' keys apart; this drops a claim's repeats
        keys.push_back(k);
        tasks.push_back(task);
      }
    }
  }
  std::set<std::string> unclaimed;
  std::map<std::string, HeldKey> held;
  std::string error;
  try {
    pqxx::connection& conn = claim_lane_.connection();
    try {
      pqxx::nontransaction tx(conn);
      for (const auto& row : tx.exec_prepared(kClaimName, pg_array_literal(keys), pg_array_literal(tasks),
                                              static_cast<long long>(ttl_.count()))) {
        unclaimed.insert(row[0].as<std::string>());
      }
      if (!unclaimed.empty()) {
        const std::vector<std::string> list(unclaimed.begin(), unclaimed.end());
        for (const auto& row : tx.exec_params(kHeld, pg_array_literal(list))) {
          held[row[0].as<std::string>()] = HeldKey{row[1].as<std::string>(), row[2].as<std::string>()};
        }
      }
    } catch (const pqxx::broken_connection&) {
      claim_lane_.drop();
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
    pqxx::connection& conn = confirm_lane_.connection();
    try {
      pqxx::nontransaction tx(conn);
      tx.exec_prepared(kConfirmName, pg_array_literal(keys));
    } catch (const pqxx::broken_connection&) {
      confirm_lane_.drop();
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
