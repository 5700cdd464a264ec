-- 004_worker.sql: the worker fleet's shared state (DESIGN G4, G6, G7;
-- docs/worker.md explains how each table is used).
--
--   atlas_tasks          the task ledger: one row per request task_id. A
--                        replica claims a task by taking its lease (owner,
--                        lease_until) and renews it while the task runs; the
--                        finished reply is stored here before it is published,
--                        so a redelivered request re-publishes it and spends
--                        nothing (G4). Also what `atlasctl trace` reads.
--   atlas_token_ledger   tokens per UTC day for the whole fleet: settled use
--                        and outstanding reservations. A reservation is one
--                        conditional UPDATE, so the fleet never goes past the
--                        budget (G6).
--   atlas_settings       persistent settings changed by control commands
--                        (set_budget -> tokens_per_run), read by every replica
--                        at start and while it runs (G7).
--   atlas_control_events every control request a replica received, in order;
--                        each replica follows the log, so heartbeat and
--                        flush_cache reach all replicas within seconds (G7).
--   atlas_workers        replicas seen recently (heartbeats of the processes
--                        themselves), for `atlasctl status` and heartbeat replies.
--
-- Idempotent, like every migration.

CREATE TABLE IF NOT EXISTS public.atlas_tasks (
  task_id          uuid        PRIMARY KEY,
  state            text        NOT NULL DEFAULT 'running',  -- running | done | error | budget_exceeded | handed_to_retry
  owner            text,                                    -- worker id holding the lease
  lease_until      timestamptz,                             -- NULL: nobody holds it
  claims           integer     NOT NULL DEFAULT 0,          -- how many times a replica claimed it
  first_seen_at    timestamptz NOT NULL DEFAULT now(),      -- TASK_DEADLINE_S counts from here
  reserved_tokens  bigint      NOT NULL DEFAULT 0,          -- outstanding reservation of the run
  reserved_day     date,                                    -- the ledger row it is held in
  reply_id         uuid,                                    -- reply_task_id(task_id), once answered
  reply            jsonb,                                   -- the reply envelope, once answered
  escalation       jsonb,                                   -- the escalate control, for failed runs
  status           text,                                    -- the reply's metadata.status
  model            text,
  tokens           bigint      NOT NULL DEFAULT 0,          -- tokens charged to the run
  cost_usd         double precision,
  attempts         jsonb,                                   -- metadata.attempts of the reply
  timings          jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
COMMENT ON TABLE public.atlas_tasks IS
  'atlas-worker task ledger (G4): leases, stored replies, what each run spent.';
CREATE INDEX IF NOT EXISTS atlas_tasks_owner_idx ON public.atlas_tasks (owner) WHERE reply IS NULL;
CREATE INDEX IF NOT EXISTS atlas_tasks_created_at_idx ON public.atlas_tasks (created_at);

CREATE TABLE IF NOT EXISTS public.atlas_token_ledger (
  day        date        PRIMARY KEY,                -- UTC
  used       bigint      NOT NULL DEFAULT 0 CHECK (used >= 0),
  reserved   bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.atlas_token_ledger IS
  'atlas-worker daily token ledger (G6): settled tokens and outstanding reservations per UTC day.';

CREATE TABLE IF NOT EXISTS public.atlas_settings (
  key        text        PRIMARY KEY,
  value      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
COMMENT ON TABLE public.atlas_settings IS
  'Persistent settings changed by control commands (set_budget), read by every worker replica (G7).';

CREATE TABLE IF NOT EXISTS public.atlas_control_events (
  seq         bigserial   PRIMARY KEY,
  task_id     uuid        NOT NULL UNIQUE,            -- the control request's task_id
  command     text        NOT NULL,
  data        jsonb       NOT NULL,                   -- the whole request envelope
  received_by text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.atlas_control_events IS
  'Control requests in arrival order; every worker replica follows this log (G7).';

CREATE TABLE IF NOT EXISTS public.atlas_workers (
  worker_id   text        PRIMARY KEY,
  started_at  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  inflight    integer     NOT NULL DEFAULT 0,
  info        jsonb       NOT NULL DEFAULT '{}'::jsonb
);
COMMENT ON TABLE public.atlas_workers IS
  'Worker replicas and when each was last alive.';
