#include "atlas/router/dedupe_batcher.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include <pqxx/nontransaction>
#include <pqxx/result>

namespace atlas::router {
namespace {

// One batch in one statement (its own transaction): marks the confirmed keys
// 'published', claims every key of the claims, and returns the keys it did not
// get. A row is taken when it expired, or when it is an unfinished claim of
// the same task id (a redelivery of a request whose first copy never became
// durable). Keys are inserted in order, so two replicas claiming overlapping
// batches lock rows in the same order. The confirmation runs although nothing
// reads it (PostgreSQL runs every data-modifying WITH to completion); no key
// is both confirmed and claimed (take_batch).
// $1 text[] keys, $2 uuid[] their task ids (same length), $3 the TTL in s,
// $4 text[] the keys to mark 'published'.
constexpr const char* kBatchName = "router_dedupe_batch";
constexpr const char* kBatch = R"SQL(
  WITH confirmed AS (
    UPDATE public.router_webhook_dedupe SET state = 'published'
    WHERE dedupe_key = ANY ($4::text[]) AND state <> 'published'
  ), input AS (
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

// The batcher's connection settings.
//
// The statement is prepared with one generic plan for the life of the
// connection. A generic plan made while the table was small would find the
// confirmed rows by scanning it whole for as long as the connection lives,
// and planning "= ANY($4)" with its parameters every time cost the backend as
// much as the update itself (docs/benchmarks.md): with sequential and bitmap
// scans off, the primary key's index scan is the only plan left. The claim's
// plan does not depend on the table's size (the primary key arbitrates
// ON CONFLICT).
//
// The commit does not wait for the disk (synchronous_commit off): a database
// crash can lose the last few hundred milliseconds of keys, and a redelivery
// of one of those requests is then published again with the same task id,
// absorbed downstream (G2, G4), as when the store is down. The request itself
// is durable in Kafka, or through the PostgreSQL fallback, which commits
// synchronously.
const std::vector<const char*> kSettings = {
    "SET synchronous_commit = off", "SET enable_seqscan = off", "SET enable_bitmapscan = off",
    "SET plan_cache_mode = force_generic_plan"};

// Who holds the keys a claim did not get. A statement of its own: it needs a
// snapshot that sees the rows other replicas committed during the claim.
// Not prepared: it runs only for duplicates, and planned each time it finds
// the rows through the primary key whatever the table's size was when a
// generic plan would have been made.
constexpr const char* kHeld = R"SQL(
  SELECT dedupe_key, state, task_id::text FROM public.router_webhook_dedupe
  WHERE dedupe_key = ANY ($1::text[]) AND expires_at >= now()
)SQL";

constexpr std::chrono::milliseconds kClaimTimeout{1000};

// A batch waits this long for more claims unless it has kFullEnough already:
// much of a statement's cost is fixed, so under load half a millisecond more
// per request buys larger batches (router_bench at 256 in flight: 40 keys a
// statement instead of 16) and less database CPU per webhook; when idle a
// request waits this long once.
constexpr std::chrono::microseconds kGather{500};
constexpr std::size_t kFullEnough = 64;

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
                                    std::size_t max_batch, const std::vector<std::string>& excluded) {
  std::vector<std::size_t> out;
  // Usually no key appears twice: one sort tells, and every request goes in.
  std::vector<std::string_view> all(excluded.begin(), excluded.end());
  for (const auto* claim : keys) all.insert(all.end(), claim->begin(), claim->end());
  std::sort(all.begin(), all.end());
  if (std::adjacent_find(all.begin(), all.end()) == all.end()) {
    out.resize(std::min(keys.size(), max_batch));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
  }
  std::set<std::string_view> seen(excluded.begin(), excluded.end());
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
      full_enough_(std::min(kFullEnough, max_batch_)) {
  thread_ = std::thread([this] { run(); });
}

DedupeBatcher::~DedupeBatcher() { stop(); }

void DedupeBatcher::claim(std::vector<std::string> keys, const Uuid& task_id, Callback done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      claims_.push_back(Claim{std::move(keys), task_id, std::move(done)});
      // Wake the thread when it may be idle, and when a gathering wait has
      // enough; not for every claim in between.
      const bool first = claims_.size() == 1 && confirms_.empty();
      if (first || claims_.size() == full_enough_) ready_.notify_one();
      return;
    }
  }
  done(std::nullopt, "the router is stopping");
}

void DedupeBatcher::confirm(std::vector<std::string> keys) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  const bool first = confirms_.empty() && claims_.empty();
  confirms_.insert(confirms_.end(), std::make_move_iterator(keys.begin()),
                   std::make_move_iterator(keys.end()));
  if (first) ready_.notify_one();
}

void DedupeBatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<DedupeBatcher::Claim> DedupeBatcher::take_batch(
    const std::vector<std::string>& confirming) {
  const std::size_t window = std::min(claims_.size(), max_batch_);
  std::vector<const std::vector<std::string>*> keys;
  keys.reserve(window);
  for (std::size_t i = 0; i < window; ++i) keys.push_back(&claims_[i].keys);
  const std::vector<std::size_t> chosen = pick_batch(keys, max_batch_, confirming);
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

void DedupeBatcher::run() {
  // Connects and prepares before the first webhook, so the first batch does
  // not wait for that. A database that is down now is tried again on first
  // use, which reports the error.
  try {
    (void)connection();
  } catch (const std::exception&) {
    drop_connection();
  }
  for (;;) {
    std::vector<Claim> claims;
    std::vector<std::string> confirms;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !claims_.empty() || !confirms_.empty(); });
      if (claims_.empty() && confirms_.empty()) break;  // stopping, nothing left
      // Batches form from what arrives while the previous statement runs,
      // and during a short gathering wait. Never longer: a redelivery to
      // another replica must find the row 'published' as soon as possible.
      ready_.wait_for(lock, kGather, [this] { return stopping_ || claims_.size() >= full_enough_; });
      confirms.swap(confirms_);
      claims = take_batch(confirms);
    }
    run_batch(std::move(claims), std::move(confirms));
  }
  drop_connection();
}

pqxx::connection& DedupeBatcher::connection() {
  if (!lease_) {
    lease_.emplace(pool_.lease(kClaimTimeout));
    pqxx::connection& conn = lease_->connection();
    // Bounded: a stuck database must not hold webhooks past Slack's 3 s; on
    // a time-out the batch is published without the fleet-wide check.
    pqxx::nontransaction(conn).exec("SET statement_timeout = " + std::to_string(kClaimTimeout.count()));
    for (const char* setting : kSettings) pqxx::nontransaction(conn).exec(setting);
    conn.prepare(kBatchName, kBatch);
  }
  return lease_->connection();
}

void DedupeBatcher::drop_connection() {
  if (!lease_) return;
  lease_->mark_broken();
  lease_.reset();
}

void DedupeBatcher::run_batch(std::vector<Claim> batch, std::vector<std::string> confirms) {
  std::vector<std::string> keys;
  std::vector<std::string> tasks;
  for (const Claim& c : batch) {
    const std::string task = c.task_id.to_string();
    for (auto k = c.keys.begin(); k != c.keys.end(); ++k) {
      // pick_batch keeps other claims' keys apart; this drops a claim's repeats.
      if (std::find(c.keys.begin(), k, *k) != k) continue;
      keys.push_back(*k);
      tasks.push_back(task);
    }
  }
  std::set<std::string> unclaimed;
  std::map<std::string, HeldKey> held;
  std::string error;
  try {
    pqxx::connection& conn = connection();
    try {
      pqxx::nontransaction tx(conn);
      for (const auto& row : tx.exec_prepared(kBatchName, pg_array_literal(keys),
                                              pg_array_literal(tasks),
                                              static_cast<long long>(ttl_.count()),
                                              pg_array_literal(confirms))) {
        unclaimed.insert(row[0].as<std::string>());
      }
      if (!unclaimed.empty()) {
        const std::vector<std::string> list(unclaimed.begin(), unclaimed.end());
        for (const auto& row : tx.exec_params(kHeld, pg_array_literal(list))) {
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
  if (!error.empty() && !confirms.empty()) {
    // A key left 'claimed' only means a later redelivery of the same request
    // is published again with the same task id (absorbed downstream).
    logger_.warn("webhook dedupe keys not marked published",
                 {{"keys", confirms.size()}, {"error", error}});
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

}  // namespace atlas::router
