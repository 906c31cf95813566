-- Search-path safety: objects an unprivileged user plants in schema public (a fake = operator on
-- text, bigint, integer and date; fake lower, upper, btrim, starts_with, format, substr, length,
-- encode) with public put before pg_catalog in search_path change nothing the extension computes:
-- the same work is done once cleanly and once under the planted objects, and the results compared.
-- All in one rolled-back transaction; the planting role is created inside it.
SET datestyle = ISO, YMD;
\set SHOW_CONTEXT never
BEGIN;
-- ids come from sequences, which a rollback does not reset: run 2 starts from the same values
CREATE TEMP TABLE seqs AS
SELECT c.oid::regclass AS seq, pg_sequence_last_value(c.oid) AS last_value
  FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'supervise'::regnamespace;
SAVEPOINT clean;
-- ---- run 1: clean ----
\set run clean_
\i test/fixtures/search_path_workload.psql
ROLLBACK TO SAVEPOINT clean;
SELECT count(setval(seq, coalesce(last_value, 1), last_value IS NOT NULL)) > 0 AS sequences_reset FROM seqs;

-- ---- plant ----
CREATE ROLE supervise_test_planter;
GRANT CREATE ON SCHEMA public TO supervise_test_planter;   -- as in a database from before PG 15
SET LOCAL ROLE supervise_test_planter;
CREATE FUNCTION public.evil_eq(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.evil_eq(bigint, bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.evil_eq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.evil_eq(date, date) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.evil_ne(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.evil_eq);
CREATE OPERATOR public.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.evil_eq);
CREATE OPERATOR public.= (LEFTARG = date, RIGHTARG = date, FUNCTION = public.evil_eq);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_ne);
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
CREATE FUNCTION public.upper(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
CREATE FUNCTION public.btrim(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
CREATE FUNCTION public.starts_with(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
CREATE FUNCTION public.substr(text, integer, integer) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
CREATE FUNCTION public.length(text) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 0';
CREATE FUNCTION public.encode(bytea, text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''planted''';
RESET ROLE;
SET LOCAL search_path = public, pg_catalog, supervise;
-- the planted objects do take effect on SQL that is not pinned (so this test can fail)
SELECT 'a' = 'b' AS fake_equal, lower('ABC') AS fake_lower, starts_with('350102', '44') AS fake_starts_with,
       format('%s', 'x') AS fake_format, 7::bigint = 8::bigint AS fake_bigint_equal;

-- ---- run 2: under the planted objects ----
\set run planted_
\i test/fixtures/search_path_workload.psql
SELECT :'clean_fp_tables' = :'planted_fp_tables' AS same_tables, :'clean_fp_views' = :'planted_fp_views' AS same_public_views;
ROLLBACK;
