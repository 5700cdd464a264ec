#pragma once
// The worker fleet's shared state in PostgreSQL (schema/sql/004_worker.sql):
// the task ledger with leases and stored replies (G4), the daily token
// ledger (G6), settings and the control log (G7).
//
// Every method is one short transaction and BLOCKS on the database: call
// them from a WorkPool thread, never from the worker's event loop. They throw
// pg::Error (connection problems) or pqxx exceptions; the caller retries.
//
// A task's life in the ledger:
//
//   claim()   inserts the task (or takes over an expired lease) and mirrors
//             the request into public.architect_in; a task already answered
//             comes back as `replied` with the stored reply, one leased by a
//             live replica as `leased`.
//   reserve() reserves tokens in today's row of the fleet's ledger, only if
//             used + reserved + n stays within the daily budget.
//   finish()  stores the reply (and escalation), settles the reservation with
//             what the providers reported, mirrors the reply into
//             public.architect_out, and drops the lease -- all at once,
//             BEFORE the reply is published, so a crash after it never runs
//             the chain again (the redelivered request re-publishes it).
//   release() gives the task back unanswered (handed to architect_retry).
//
// Leases are renewed by renew() (the sync loop, every second) while a task
// runs. A replica that dies stops renewing; once its lease has expired the
// next claim() takes the task over and charges the dead run's reservation as
// spent (its calls may have cost tokens nobody reported), so the fleet can
// over-count after a crash but never under-count.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas/pg/pool.hpp"

namespace atlas::worker {

struct ClaimResult {
  enum class Kind { claimed, replied, leased };
  Kind kind = Kind::claimed;
  // claimed: how many claims the task has had (1 the first time), and when
  // the fleet first saw it (TASK_DEADLINE_S counts from there).
  int claims = 0;
  std::chrono::system_clock::time_point first_seen{};
  std::int64_t charged_from_previous_owner = 0;  // a dead run's reservation
  // replied: the stored reply and, for a failed run, its escalation.
  std::string reply;
  std::optional<std::string> escalation;
  // leased: who holds the lease and for how much longer.
  std::string owner;
  std::chrono::milliseconds lease_left{0};
};

struct Reservation {
  bool ok = false;
  std::int64_t used = 0;      // today's ledger after the attempt
  std::int64_t reserved = 0;
};

struct FinishRecord {
  std::string task_id;
  std::string reply_id;
  nlohmann::json reply;                      // the reply envelope
  std::optional<nlohmann::json> escalation;  // failed runs
  std::string state;                         // done | error | budget_exceeded
  std::string status;                        // the reply's metadata.status
  std::string model;
  std::int64_t charged = 0;                  // tokens the run is charged
  std::optional<double> cost_usd;
  nlohmann::json attempts = nlohmann::json::array();
  nlohmann::json timings = nlohmann::json::object();
};

struct FinishResult {
  // False when another replica stored a reply first (it took the task over
  // after this one lost its lease): publish `stored_reply` instead.
  bool stored = true;
  std::string stored_reply;
  std::optional<std::string> stored_escalation;
};

struct ControlEvent {
  std::int64_t seq = 0;
  std::string task_id;
  std::string command;
  std::string data;  // the request envelope as JSON text
  std::string received_by;
};

struct SyncRequest {
  std::int64_t after_seq = 0;           // control events already seen
  std::vector<std::string> running;     // task ids whose lease to renew
  int inflight = 0;
  nlohmann::json info = nlohmann::json::object();  // version, chain, ... for atlas_workers
};

struct SyncResult {
  std::vector<ControlEvent> events;               // seq > after_seq, in order
  std::optional<std::int64_t> tokens_per_run;     // the set_budget setting, if any
  std::int64_t used_today = 0;                    // the fleet's ledger for today (UTC)
  std::int64_t reserved_today = 0;
  std::int64_t leases_renewed = 0;
};

class TaskLedger {
 public:
  // `lease`: how long a claim holds a task without renewal.
  TaskLedger(pg::Pool& pool, std::string worker_id, std::chrono::milliseconds lease);

  [[nodiscard]] const std::string& worker_id() const { return worker_id_; }
  [[nodiscard]] std::chrono::milliseconds lease() const { return lease_; }

  // `request_json`: the request envelope as it came off the bus.
  ClaimResult claim(const std::string& task_id, const std::string& request_json);

  // Reserves `tokens` for the task in today's row. Throws LeaseLost when this
  // replica no longer holds the task's lease (nothing is reserved then).
  Reservation reserve(const std::string& task_id, std::int64_t tokens, std::int64_t daily_budget);

  FinishResult finish(const FinishRecord& record);

  // Drops the lease without a reply (the request was handed to
  // architect_retry); the reservation is replaced by `charged` tokens.
  void release(const std::string& task_id, std::int64_t charged, const std::string& state);

  // Expires every lease this replica holds (shutdown past the grace period),
  // so other replicas take those tasks over at once.
  void release_all_leases();

  // A control request received from the bus: appended to the control log
  // once (by task_id); set_budget also updates the persistent setting.
  // Returns false when the request was already in the log.
  bool record_control(const std::string& task_id, const std::string& command,
                      const std::string& request_json,
                      std::optional<std::int64_t> tokens_per_run);

  // The sync loop's one round trip: renews leases, records this replica as
  // alive, and reads new control events, the budget setting and today's ledger.
  SyncResult sync(const SyncRequest& request);

  // The newest control event's seq (a new replica starts following from it).
  std::int64_t last_control_seq();

  struct LeaseLost : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

 private:
  pg::Pool& pool_;
  const std::string worker_id_;
  const std::chrono::milliseconds lease_;
};

}  // namespace atlas::worker
