#pragma once
// The fleet-wide webhook dedupe (router_webhook_dedupe, migrations 005 and
// 007) with group commit: the claims of many concurrent requests and the
// "published" confirmations of those that became durable share one SQL
// statement, so the database costs a round trip and a commit per batch
// instead of two per webhook. One thread runs the statements on a connection
// of its own with the statement prepared; each batch is whatever arrived
// while the previous statement ran, plus what arrives in a short gathering
// wait (500 us, cut short by 64 claims). Callers are never blocked.
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
// later one waits for the next batch, where it sees the first one's row. A
// claim of a key whose confirmation is in the batch waits likewise, and finds
// the key 'published' (one statement may not change a row twice).
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
// shares a key with an earlier one in the batch or with `excluded` (the keys
// the batch confirms), up to max_batch.
[[nodiscard]] std::vector<std::size_t> pick_batch(
    const std::vector<const std::vector<std::string>*>& keys, std::size_t max_batch,
    const std::vector<std::string>& excluded = {});

class DedupeBatcher {
 public:
  // `claim` result: the verdict, or nullopt and the error when the database failed.
  using Callback = std::function<void(std::optional<ClaimResult>, const std::string& error)>;

  DedupeBatcher(pg::Pool& pool, std::chrono::seconds ttl, Logger& logger,
                std::size_t max_batch = 500);
  ~DedupeBatcher();  // stop()
  DedupeBatcher(const DedupeBatcher&) = delete;
  DedupeBatcher& operator=(const DedupeBatcher&) = delete;

  // `done` runs on the batcher's thread: keep it short (post real work elsewhere).
  void claim(std::vector<std::string> keys, const Uuid& task_id, Callback done);
  // Marks the keys 'published' with the next batch (best effort; failures are logged).
  void confirm(std::vector<std::string> keys);
  // Runs what is queued, then ends the thread. Claims arriving later fail at once.
  void stop();

 private:
  struct Claim {
    std::vector<std::string> keys;
    Uuid task_id;
    Callback done;
  };
  void run();
  void run_batch(std::vector<Claim> claims, std::vector<std::string> confirms);
  // Takes up to max_batch_ claims from the front of claims_, minus those
  // sharing a key with an earlier one or with `confirming` (they stay
  // queued, in order).
  std::vector<Claim> take_batch(const std::vector<std::string>& confirming);
  // The batcher's connection (leased on first use, kept) with its settings
  // and prepared statement; reset after an error and at the end, so its
  // settings never go back to the pool.
  pqxx::connection& connection();
  void drop_connection();

  pg::Pool& pool_;
  std::chrono::seconds ttl_;
  Logger& logger_;
  std::size_t max_batch_;
  std::size_t full_enough_;  // claims that end a gathering wait
  std::optional<pg::Pool::Lease> lease_;  // the batcher's thread only
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Claim> claims_;           // guarded by mutex_
  std::vector<std::string> confirms_;  // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  std::thread thread_;
};

}  // namespace atlas::router
