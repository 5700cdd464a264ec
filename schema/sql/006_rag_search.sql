-- 006_rag_search.sql: keep each chunk's tsvector in the row itself, so a
-- search reads one heap tuple per candidate instead of also following a TOAST
-- pointer (docs/rag.md, "Search latency").
--
-- A chunk of 1000 bytes has a tsvector of about 1.2 KB, so the row passes the
-- 2 KB at which PostgreSQL starts TOASTing, and with the default (EXTENDED)
-- storage the tsvector, the largest value, went to the TOAST table: every
-- candidate of a search cost a TOAST index lookup and a TOAST heap page on
-- top of its heap page, and that was 40-50 % of a search's time (measured
-- on the corpus of bench/rag_bench.cpp, 114,000 chunks). With MAIN storage
-- the tsvector stays in the row (compressed only when the row is still too
-- large) and the text, which only the few chunks returned need, is the value
-- moved out of line.
--
-- It applies to rows written from now on: indexing a source whose text
-- changed rewrites its rows (unchanged text is skipped), and
-- `VACUUM FULL public.rag_chunks` rewrites them all at once (it locks the
-- table while it runs). Idempotent, like every migration.

ALTER TABLE public.rag_chunks ALTER COLUMN tsv SET STORAGE MAIN;
