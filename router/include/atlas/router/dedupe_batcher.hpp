#pragma once
// The fleet-wide webhook dedupe (router_webhook_dedupe, migrations 005 and
// 007) with group commit: claims of many concurrent requests share one SQL
// statement, and so do the "published" confirmations, so the database costs
// a round trip per batch instead of per webhook. Claims and confirmations run
// on two threads of their own, each with its own connection and prepared
// statements, so a batch of confirmations never delays the next claims. Each
// batch is whatever arrived while the previous statement ran: nothing waits
// to gather more.
// Callers are never blocked.
//
// A request's claim decides (judge_claim):
//   every key claimed by this request                   -> fresh: publish it
//   some key held by a row of another task id, or by a
//   'published' row                                     -> duplicate: answer 200, publish nothing
//   its own key held only by a 'claimed' row of the same
//   task id (a replica crashed or is still making the
//   same request durable)                               -> taken over: publish again (same
//                                                          task id, absorbed downstream)
// Two requests of one batch that share a key are not claimed together: the
// later one waits for the next batch, where it sees the first one's row.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "atlas/log.hpp"
#include "atlas/pg/pool.hpp"
#include "atlas/router/store.hpp"
#include "atlas/uuid.hpp"

namespace atlas::router {

// A row holding a key that a claim did not get.
struct HeldKey {
  std::string state;    // claimed | published
  std::string task_id;  // canonical UUID text
};

// The verdict for one request from the keys its claim did not get and the
// rows holding them (absent: the row expired or vanished meanwhile).
[[nodiscard]] ClaimResult judge_claim(const std::vector<std::string>& unclaimed_keys,
                                      const Uuid& task_id,
                                      const std::map<std::string, HeldKey>& held);

// Which requests (by index) go into one batch: in order, skipping any that
// shares a key with an earlier one in the batch, up to max_batch.
[[nodiscard]] std::vector<std::size_t> pick_batch(
    const std::vector<const std::vector<std::string>*>& keys, std::size_t max_batch);

class DedupeBatcher {
 public:
  // `claim` result: the verdict, or nullopt and the error when the database failed.
  using Callback = std::function<void(std::optional<ClaimResult>, const std::string& error)>;

  DedupeBatcher(pg::Pool& pool, std::chrono::seconds ttl, Logger& logger,
                std::size_t max_batch = 500);
  ~DedupeBatcher();  // stop()
  DedupeBatcher(const DedupeBatcher&) = delete;
  DedupeBatcher& operator=(const DedupeBatcher&) = delete;

  // `done` runs on the claim thread: keep it short (post real work elsewhere).
  void claim(std::vector<std::string> keys, const Uuid& task_id, Callback done);
  // Marks the keys 'published' (best effort; failures are logged).
  void confirm(std::vector<std::string> keys);
  // Runs what is queued, then ends the thread. Claims arriving later fail at once.
  void stop();

 private:
  struct Claim {
    std::vector<std::string> keys;
    Uuid task_id;
    Callback done;
  };
  // A connection of one thread (leased on first use, kept), with the
  // statement time-out and the prepared statements set up.
  class Lane {
   public:
    using Statements = std::vector<std::pair<const char*, const char*>>;  // name, SQL
    // custom_plans: plan_cache_mode = force_custom_plan on the connection.
    Lane(pg::Pool& pool, Statements statements, bool custom_plans)
        : pool_(pool), statements_(std::move(statements)), custom_plans_(custom_plans) {}
    pqxx::connection& connection();
    void warm_up();  // connection(), errors left for the first real use
    void drop();  // after an error, and at the end (its settings must not go back to the pool)

   private:
    pg::Pool& pool_;
    Statements statements_;  // prepared on each new connection
    bool custom_plans_;
    std::optional<pg::Pool::Lease> lease_;
  };
  void run_claim_lane();
  void run_confirm_lane();
  void run_claims(std::vector<Claim> batch);
  void run_confirms(std::vector<std::string> keys);
  // Takes up to max_batch_ claims from the front of claims_, minus those
  // sharing a key with an earlier one (they stay queued, in order).
  std::vector<Claim> take_batch();

  pg::Pool& pool_;
  std::chrono::seconds ttl_;
  Logger& logger_;
  std::size_t max_batch_;
  Lane claim_lane_;    // claim thread only
  Lane confirm_lane_;  // confirm thread only
  std::mutex mutex_;
  std::condition_variable claims_ready_;
  std::condition_variable confirms_ready_;
  std::deque<Claim> claims_;           // guarded by mutex_
  std::vector<std::string> confirms_;  // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  std::thread claim_thread_;
  std::thread confirm_thread_;
};

}  // namespace atlas::router
