-- 007_router_dedupe.sql: make the webhook dedupe table (migration 005)
-- cheaper per webhook, since every accepted webhook writes it twice (a claim,
-- then 'published') on the ingress hot path (docs/router.md, docs/benchmarks.md).
--
--   fillfactor 50    leaves room in each page for a second version of every
--                    row on it, so marking a claim 'published'
--                    is a HOT update (the new row version stays on its page
--                    and no index entry is added) instead of a new entry in
--                    both indexes.
--   COLLATE "C"      keys are ASCII identifiers ("slack:message:T1:C1:17..."):
--                    byte order is all the primary key needs, and it spares the
--                    locale's comparison on every index step when the database
--                    was created with another collation.
--
-- fillfactor applies to pages written from now on. The collation change
-- rewrites the table and its primary key once, under a lock; the table holds
-- at most ROUTER_DEDUPE_TTL_S (24 h) of keys. Idempotent, like every migration.

ALTER TABLE public.router_webhook_dedupe SET (fillfactor = 50);

DO $$
BEGIN
  IF (SELECT c.collname FROM pg_attribute a
        JOIN pg_collation c ON c.oid = a.attcollation
       WHERE a.attrelid = 'public.router_webhook_dedupe'::regclass
         AND a.attname = 'dedupe_key') IS DISTINCT FROM 'C' THEN
    ALTER TABLE public.router_webhook_dedupe ALTER COLUMN dedupe_key TYPE text COLLATE "C";
  END IF;
END
$$;
