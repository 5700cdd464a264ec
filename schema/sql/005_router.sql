-- 005_router.sql: what atlas-router keeps in PostgreSQL besides the public
-- channel tables (docs/router.md).
--
--   router_webhook_dedupe  one row per webhook dedupe key ("slack:event:Ev123",
--                          "github:delivery:<hook>:<delivery>", ...), shared by
--                          every router replica, so a webhook redelivered to any
--                          replica is answered 200 and not published twice.
--                          state 'claimed': a replica is making the request
--                          durable; 'published': it is on the bus (or in
--                          public.architect_in for the inbox relay). Rows live
--                          ROUTER_DEDUPE_TTL_S (24 h by default, never less than
--                          the 10 minutes Slack and GitHub retry within) and are
--                          pruned by the router's housekeeping.
--   router_dlq_replays     dead letters `atlasctl dlq replay` has re-injected,
--                          by their coordinates in the dead-letter topic, so
--                          `dlq list` and dead_letter_count leave them out.
--
-- Purged dead letters are not stored here: `atlasctl dlq purge` commits the
-- offsets of the consumer group atlas-dlq-admin (see docs/router.md).
-- Idempotent, like every migration.

CREATE TABLE IF NOT EXISTS public.router_webhook_dedupe (
  dedupe_key text        PRIMARY KEY,
  task_id    uuid        NOT NULL,  -- the chat published for the request
  state      text        NOT NULL DEFAULT 'claimed' CHECK (state IN ('claimed', 'published')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS router_webhook_dedupe_expires_at_idx
  ON public.router_webhook_dedupe (expires_at);
COMMENT ON TABLE public.router_webhook_dedupe IS
  'atlas-router: webhook dedupe keys shared by every replica (Slack event ids and message ts, GitHub deliveries); expired rows are pruned.';

CREATE TABLE IF NOT EXISTS public.router_dlq_replays (
  topic       text        NOT NULL,  -- the dead-letter topic (KAFKA_TOPIC_DLQ)
  "partition" integer     NOT NULL,
  "offset"    bigint      NOT NULL,
  replayed_to text        NOT NULL,  -- the topic the record was re-injected into
  replayed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, "partition", "offset")
);
COMMENT ON TABLE public.router_dlq_replays IS
  'atlas-router / atlasctl dlq: dead letters re-injected by `atlasctl dlq replay`, hidden from `dlq list` and dead_letter_count.';
