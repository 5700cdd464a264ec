-- 002_rag.sql: the store of atlas-rag, the reference RAG gateway (DESIGN
-- section 7, docs/rag.md).
--
--   rag_sources  one row per indexed source (a file path or another name):
--                the SHA-256 of its text and the chunking it was cut with,
--                so re-indexing unchanged text is skipped;
--   rag_chunks   the chunks of every source, with a stored tsvector
--                (English configuration) under a GIN index for full-text
--                search; (source, chunk_index) is unique;
--   rag_jobs     background indexing jobs of /v1/embed_batch and docs.added:
--                state, counts and errors, read by GET /v1/jobs/{id}.
--
-- Re-indexing a source replaces its chunks in one transaction: the upsert of
-- its rag_sources row (which locks it) decides whether the text changed, then
-- its chunks are deleted and inserted again. Idempotent, like every migration.

CREATE TABLE IF NOT EXISTS public.rag_sources (
  source        text        PRIMARY KEY,
  content_hash  text        NOT NULL,  -- lowercase hex SHA-256 of the whole text
  chunk_size    integer     NOT NULL,  -- bytes; chunking options are part of "unchanged"
  chunk_overlap integer     NOT NULL,
  chunk_count   integer     NOT NULL DEFAULT 0,
  text_bytes    bigint      NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.rag_sources IS
  'atlas-rag: one row per indexed source, with the hash of its text (re-indexing unchanged text is skipped).';

CREATE TABLE IF NOT EXISTS public.rag_chunks (
  id           bigserial PRIMARY KEY,
  source       text      NOT NULL REFERENCES public.rag_sources (source) ON DELETE CASCADE,
  chunk_index  integer   NOT NULL,  -- 0-based position in the source
  text         text      NOT NULL,
  content_hash text      NOT NULL,  -- lowercase hex SHA-256 of text
  tsv          tsvector  GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED,
  CONSTRAINT rag_chunks_source_chunk_index_key UNIQUE (source, chunk_index)
);
CREATE INDEX IF NOT EXISTS rag_chunks_tsv_idx ON public.rag_chunks USING gin (tsv);
COMMENT ON TABLE public.rag_chunks IS
  'atlas-rag: chunks of every source, searched with full-text search (tsv, English configuration).';

CREATE TABLE IF NOT EXISTS public.rag_jobs (
  id                  uuid        PRIMARY KEY,
  state               text        NOT NULL DEFAULT 'queued'
                                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
  origin              text        NOT NULL DEFAULT 'http',  -- http (/v1/embed_batch) or bus (docs.added)
  documents           integer     NOT NULL DEFAULT 0,       -- sources in the job
  documents_indexed   integer     NOT NULL DEFAULT 0,       -- changed or new: chunks replaced
  documents_unchanged integer     NOT NULL DEFAULT 0,       -- same text and chunking: skipped
  documents_failed    integer     NOT NULL DEFAULT 0,
  chunks_written      integer     NOT NULL DEFAULT 0,
  errors              jsonb       NOT NULL DEFAULT '[]'::jsonb,  -- [{"source", "error"}], capped
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rag_jobs_state_idx ON public.rag_jobs (state);
CREATE INDEX IF NOT EXISTS rag_jobs_updated_at_idx ON public.rag_jobs (updated_at);
COMMENT ON TABLE public.rag_jobs IS
  'atlas-rag: indexing jobs (queued, running, done, failed) with their counts and errors.';
