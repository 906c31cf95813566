-- a subject's visits through the BRIN index on visit.uscc (operator class uscc_minmax_ops): the
-- index gives exactly the rows a sequential scan gives, for every subject, and the planner uses it
BEGIN;
CREATE EXTENSION supervise;
\o /dev/null
\set ON_ERROR_STOP 1
\i test/fixtures/fill.sql
\o
SELECT plan(5);
SET search_path = supervise, public;
SELECT is((SELECT opcname::text FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
            WHERE a.amname = 'brin' AND c.opcintype = 'supervise.uscc'::regtype AND c.opcdefault),
          'uscc_minmax_ops', 'uscc has a default BRIN operator class');
SELECT ok((SELECT count(*) FROM visit) > 0, 'the fill made visits');
SELECT brin_summarize_new_values('supervise.visit_uscc_brin') >= 0 AS summarised \gset
ANALYZE visit;
CREATE TEMP TABLE by_seqscan AS SELECT s.uscc, array_agg(v.id ORDER BY v.id) AS ids
  FROM subject s LEFT JOIN visit v ON v.uscc = s.uscc GROUP BY s.uscc;
SET enable_seqscan = off;
SET enable_indexscan = off;
SELECT is((SELECT count(*) FROM by_seqscan b
            WHERE b.ids IS DISTINCT FROM (SELECT array_agg(v.id ORDER BY v.id) FROM visit v WHERE v.uscc = b.uscc)
              AND NOT (b.ids = ARRAY[NULL]::bigint[] AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.uscc = b.uscc))),
          0::bigint, 'through the BRIN index every subject gets exactly its visits');
SELECT ok((SELECT count(*) FROM visit WHERE uscc > (SELECT min(uscc) FROM visit) AND uscc <= (SELECT max(uscc) FROM visit))
          = (SELECT count(*) FROM visit) - (SELECT count(*) FROM visit WHERE uscc = (SELECT min(uscc) FROM visit)),
          'range conditions through the index agree with equality');
RESET enable_seqscan; RESET enable_indexscan;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; o text := ''; BEGIN FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP o := o || r || E'\n'; END LOOP; RETURN o; END $$;
SET enable_seqscan = off;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM supervise.visit WHERE uscc = %L', (SELECT uscc FROM supervise.visit LIMIT 1))),
               'Bitmap Index Scan on visit_uscc_brin', 'a lookup by code can use the BRIN index');
SELECT * FROM finish();
ROLLBACK;
