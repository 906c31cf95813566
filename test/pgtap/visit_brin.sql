-- a subject's visits through the BRIN index on visit.uscc (operator class uscc_minmax_ops): the
-- index gives exactly the rows a sequential scan gives, for every subject, and the planner uses it;
-- plan_visits leaves no block range of it unsummarised
BEGIN;
CREATE EXTENSION supervise;
\o /dev/null
\set ON_ERROR_STOP 1
\i test/fixtures/fill.sql
-- 4,000 more subjects and a task that draws 3,500 of them: visits enough to fill more than one
-- block range of the index (the first range is summarised when the index is built)
INSERT INTO supervise.subject (uscc, name, region, industry, credit_class, risk_level, status)
SELECT s.uscc::supervise.uscc, s.name, s.region, s.industry, s.credit_class, s.risk_level::smallint, 'active'
  FROM supervise.sample_subjects(4000, 9) s ON CONFLICT DO NOTHING;
INSERT INTO supervise.task (department_id, kind, title, period_start, period_end, approved_on, sample_size)
SELECT id, 'special', '产品质量专项检查', '2026-08-03', '2026-08-28', '2026-07-20', 3500 FROM supervise.department WHERE code = 'SAMR-350203';
INSERT INTO supervise.task_item (task_id, item_id)
SELECT t.id, i.id FROM supervise.task t JOIN supervise.check_item i ON i.department_id = t.department_id AND i.code = 'SC-04'
 WHERE t.title = '产品质量专项检查';
SELECT supervise.draw(id, supervise.seed_from('visit brin')) FROM supervise.task WHERE title = '产品质量专项检查';
SELECT supervise.plan_visits(2026);
\o
SELECT plan(6);
SET search_path = supervise, public;
SELECT is((SELECT opcname::text FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
            WHERE a.amname = 'brin' AND c.opcintype = 'supervise.uscc'::regtype AND c.opcdefault),
          'uscc_minmax_ops', 'uscc has a default BRIN operator class');
SELECT ok((SELECT pg_relation_size('supervise.visit') / 8192) > 16, 'the visits fill more than one block range of the index');
-- (brin_summarize_new_values returns how many ranges it had to summarise)
SELECT is(brin_summarize_new_values('supervise.visit_uscc_brin'), 0,
          'plan_visits summarised every block range it filled of the BRIN index on uscc');
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
