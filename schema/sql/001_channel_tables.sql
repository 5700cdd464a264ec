-- 001_channel_tables.sql: the channel tables of the manual's Appendix A, made
-- precise (DESIGN section 5).
--
-- The manual creates public.architect_in and public.architect_out with a single
-- column, data jsonb, and publishes both in the publication architect_bus so
-- Supabase Realtime (or any logical-replication client) sees every row. Atlas
-- keeps those names and adds what exactly-once mirroring needs (DESIGN G2, G3):
--
--   id          bigserial    insertion order; the inbox relay's cursor
--   task_id     uuid         the envelope's task_id, UNIQUE, so a message
--                            delivered twice is stored once
--   data        jsonb        the whole envelope, as it travels on the bus
--   created_at  timestamptz  when the row was written (retention, dashboards)
--
-- Idempotent, like every migration: running it again changes nothing, and on a
-- database created with the manual's original DDL (data jsonb only) it upgrades
-- the existing tables in place instead of failing.

-- 1. The tables, for a fresh database.
CREATE TABLE IF NOT EXISTS public.architect_in (
  id         bigserial   PRIMARY KEY,
  task_id    uuid        NOT NULL,
  data       jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT architect_in_task_id_key UNIQUE (task_id)
);
COMMENT ON TABLE public.architect_in IS
  'Atlas requests (DESIGN section 5): rows inserted here are relayed to the Kafka topic architect_in, and messages on that topic are mirrored here, once per task_id.';

CREATE TABLE IF NOT EXISTS public.architect_out (
  id         bigserial   PRIMARY KEY,
  task_id    uuid        NOT NULL,
  data       jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT architect_out_task_id_key UNIQUE (task_id)
);
COMMENT ON TABLE public.architect_out IS
  'Atlas replies and control answers (DESIGN section 5): every message on the Kafka topic architect_out, once per task_id.';

-- 2. Tables created by the manual's Appendix A DDL (data jsonb only) get the
--    missing columns and constraints. Old rows take the task_id of their
--    envelope when it is a UUID and a fresh one otherwise; if two old rows
--    carry the same task_id, adding the UNIQUE constraint fails naming it:
--    delete the duplicate and run the migrations again. On tables created by
--    step 1 every check below finds its column or constraint and does nothing.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['architect_in', 'architect_out'] LOOP
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = 'public' AND table_name = t AND column_name = 'id') THEN
      EXECUTE format('ALTER TABLE public.%I ADD COLUMN id bigserial', t);
    END IF;

    -- The primary key comes before any UPDATE below: a table in a publication
    -- accepts updates only once it has a replica identity, which the key gives.
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conrelid = format('public.%I', t)::regclass AND contype = 'p') THEN
      EXECUTE format('ALTER TABLE public.%I ADD PRIMARY KEY (id)', t);
    END IF;

    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = 'public' AND table_name = t
                     AND column_name = 'created_at') THEN
      EXECUTE format('ALTER TABLE public.%I ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()', t);
    END IF;

    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = 'public' AND table_name = t
                     AND column_name = 'task_id') THEN
      EXECUTE format('ALTER TABLE public.%I ADD COLUMN task_id uuid', t);
      EXECUTE format($upd$
        UPDATE public.%I
           SET task_id = CASE
                 WHEN data->>'task_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                 THEN (data->>'task_id')::uuid
                 ELSE gen_random_uuid()
               END
         WHERE task_id IS NULL$upd$, t);
      EXECUTE format('ALTER TABLE public.%I ALTER COLUMN task_id SET NOT NULL', t);
    END IF;

    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = 'public' AND table_name = t AND column_name = 'data'
                 AND is_nullable = 'YES') THEN
      EXECUTE format('ALTER TABLE public.%I ALTER COLUMN data SET NOT NULL', t);
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conrelid = format('public.%I', t)::regclass
                     AND conname = t || '_task_id_key') THEN
      EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I UNIQUE (task_id)', t, t || '_task_id_key');
    END IF;
  END LOOP;
END
$$;

-- 3. Time-range reads (retention, "what arrived in the last hour").
CREATE INDEX IF NOT EXISTS architect_in_created_at_idx ON public.architect_in (created_at);
CREATE INDEX IF NOT EXISTS architect_out_created_at_idx ON public.architect_out (created_at);

-- 4. The publication. CREATE PUBLICATION has no IF NOT EXISTS, and adding a
--    table that is already a member is an error, so both are checked first
--    (pg_publication_tables also lists the tables of a FOR ALL TABLES
--    publication, which need no adding). Publishing changes needs
--    wal_level = logical on the server; with a lower level PostgreSQL still
--    creates the publication and warns.
DO $$
DECLARE
  t text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'architect_bus') THEN
    CREATE PUBLICATION architect_bus;
  END IF;

  FOREACH t IN ARRAY ARRAY['architect_in', 'architect_out'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_publication_tables
                   WHERE pubname = 'architect_bus' AND schemaname = 'public' AND tablename = t) THEN
      EXECUTE format('ALTER PUBLICATION architect_bus ADD TABLE public.%I', t);
    END IF;
  END LOOP;
END
$$;
