-- 003_inbox_relay.sql: what the router's inbox relay needs from the public
-- architect_in table (DESIGN G2, G3; the manual's "Supabase path").
--
-- Any client may insert a request into public.architect_in with nothing but
-- its envelope, exactly as the manual's UI does:
--
--   INSERT INTO architect_in (data) VALUES ('{"task_id": "...", "role": "architect", ...}');
--
-- The relay (atlas-router) publishes such rows to the Kafka topic architect_in
-- and stamps them. The same table also mirrors messages that reached the topic
-- another way (publish_task.sh, webhooks): those rows are written already
-- stamped, so the relay never sends them back to the bus.
--
--   relayed_at  NULL: waiting for the relay; set: the message is on the bus
--               (relayed, or mirrored from the bus).
--
-- A BEFORE INSERT trigger fills task_id from data->>'task_id' when the client
-- left it out; when the envelope has no UUID task_id it gets a fresh one,
-- written into the envelope too, so table and message agree. Each unrelayed
-- insert sends NOTIFY architect_in_relay, which a relay LISTENs to (it polls
-- as well, so a missed notification only costs latency).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = 'architect_in'
                   AND column_name = 'relayed_at') THEN
    ALTER TABLE public.architect_in ADD COLUMN relayed_at timestamptz;
    -- Rows older than the relay are history, not a backlog to flood the bus with.
    UPDATE public.architect_in SET relayed_at = created_at;
  END IF;
END
$$;

-- The relay's work queue: only unrelayed rows, in insertion order.
CREATE INDEX IF NOT EXISTS architect_in_unrelayed_idx
  ON public.architect_in (id) WHERE relayed_at IS NULL;

CREATE OR REPLACE FUNCTION public.atlas_architect_in_fill_task_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.task_id IS NULL THEN
    IF jsonb_typeof(NEW.data) = 'object'
       AND NEW.data->>'task_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
      NEW.task_id := (NEW.data->>'task_id')::uuid;
    ELSE
      NEW.task_id := gen_random_uuid();
      IF jsonb_typeof(NEW.data) = 'object' THEN
        NEW.data := jsonb_set(NEW.data, '{task_id}', to_jsonb(NEW.task_id::text));
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION public.atlas_architect_in_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('architect_in_relay', '');
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS architect_in_fill_task_id ON public.architect_in;
CREATE TRIGGER architect_in_fill_task_id
  BEFORE INSERT ON public.architect_in
  FOR EACH ROW EXECUTE FUNCTION public.atlas_architect_in_fill_task_id();

DROP TRIGGER IF EXISTS architect_in_notify ON public.architect_in;
CREATE TRIGGER architect_in_notify
  AFTER INSERT ON public.architect_in
  FOR EACH ROW WHEN (NEW.relayed_at IS NULL)
  EXECUTE FUNCTION public.atlas_architect_in_notify();
