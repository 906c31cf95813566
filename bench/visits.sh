#!/usr/bin/env bash
# plan_visits over 1,000,000 drawn targets of 20 tasks (x SUPERVISE_BENCH_SCALE, default 0.1),
# against sorting the same rows by subject and date in SQL, measured in the same run.
# Runs inside a cluster with the extension created (bench/run.sh). The draws are written straight
# into draw_record / draw_target (draw() is not what is measured here, and 20 real draws of 50,000
# would take longer than the measurement).
set -euo pipefail
scale=${SUPERVISE_BENCH_SCALE:-0.1}
psql -X -q -v ON_ERROR_STOP=1 -v scale="$scale" <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_visits CASCADE;
CREATE SCHEMA bench_visits;
SET search_path = supervise, bench_visits, public;
-- a valid code from a number: '91' || region || 9 digits || GB 32100 check character
CREATE FUNCTION bench_visits.mk_uscc(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  WITH b AS (SELECT '91110108' || lpad(n::text, 9, '0') AS body)
  SELECT body || substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
         ((31 - (SELECT sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(body, i, 1)) - 1)
                            * ((3 ^ (i - 1))::numeric % 31)) FROM generate_series(1, 17) i)::int % 31) % 31) + 1, 1)
    FROM b
$$;
SELECT greatest(1, round(50000 * :scale))::int AS per_task, greatest(4, round(250000 * :scale))::int AS population \gset
-- 10 departments, 20 tasks (two per department) with 1-3 items each, periods of 3-13 weeks in 2024
INSERT INTO department (id, code, name, system, level, region)
SELECT 800 + i, 'B' || i, 'bench department ' || i, 'sys' || i, 4, '110108' FROM generate_series(1, 10) i;
INSERT INTO check_item (id, department_id, code, name, category)
SELECT 8000 + i, 800 + 1 + (i - 1) % 10, 'I' || i, 'bench item ' || i, 'bench-cat-' || i FROM generate_series(1, 40) i;
INSERT INTO task (id, department_id, kind, title, period_start, period_end)
SELECT 8000 + i, 800 + 1 + (i - 1) % 10, 'special', 'bench task ' || i,
       date '2024-01-01' + (i * 53) % 300, date '2024-01-01' + (i * 53) % 300 + 20 + (i * 29) % 70
  FROM generate_series(1, 20) i;
-- a department's two tasks hold different items (categories), so the limits on repeated checks
-- (limits branch) let both draw the same subject
INSERT INTO task_item (task_id, item_id)
SELECT 8000 + i, 8000 + (i - 1) % 10 + 1 + 10 * CASE WHEN i <= 10 THEN k ELSE 3 END
  FROM generate_series(1, 20) i, generate_series(0, CASE WHEN i <= 10 THEN i % 3 ELSE 0 END) k;
INSERT INTO subject (uscc, name, region)
SELECT bench_visits.mk_uscc(n), 'bench subject ' || n, '110108' FROM generate_series(1, :population) n;
CREATE TABLE bench_visits.pop AS SELECT row_number() OVER (ORDER BY uscc) - 1 AS n, uscc FROM subject WHERE name LIKE 'bench subject %';
CREATE INDEX ON bench_visits.pop (n);
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest,
                         allocation, target_count, population)
SELECT 8000 + i, 8000 + i, 'sha256-v1', seed_from('bench ' || i), 'given', :population, sha256(''), '[]', :per_task, ''
  FROM generate_series(1, 20) i;
-- each task draws per_task distinct subjects: k -> (k * 7919 + i * 104729) mod population
INSERT INTO draw_target (draw_id, uscc, stratum, rank)
SELECT 8000 + i, p.uscc, 'all', k + 1
  FROM generate_series(1, 20) i CROSS JOIN generate_series(0, :per_task - 1) k
  JOIN bench_visits.pop p ON p.n = (k::bigint * 7919 + i * 104729) % :population;
VACUUM ANALYZE;

CREATE FUNCTION bench_visits.explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
CREATE FUNCTION bench_visits.ms(q text, runs int, setup text DEFAULT NULL) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'Infinity'; dt float8;
BEGIN
    FOR r IN 1 .. runs LOOP
        IF setup IS NOT NULL THEN EXECUTE setup; END IF;
        t0 := clock_timestamp();
        EXECUTE q;
        dt := extract(epoch FROM clock_timestamp() - t0) * 1000;
        best := least(best, dt);
    END LOOP;
    RETURN best;
END $$;

\set rows 'SELECT dt.uscc, t.id AS task_id, d.id AS draw_id, t.period_start, t.period_end FROM supervise.draw_record d JOIN supervise.task t ON t.id = d.task_id JOIN supervise.draw_target dt ON dt.draw_id = d.id WHERE d.cancelled_at IS NULL AND t.period_start >= date ''2024-01-01'' AND t.period_start < date ''2025-01-01'''
SELECT count(*) AS targets FROM draw_target WHERE draw_id > 8000 \gset
SELECT bench_visits.ms('SELECT count(*) FROM (' || :'rows' || ' ORDER BY dt.uscc, t.period_start, t.period_end OFFSET 0) s', 3) AS sort_ms \gset
SELECT bench_visits.ms('CREATE TABLE bench_visits.sorted AS ' || :'rows' || ' ORDER BY dt.uscc, t.period_start, t.period_end', 3,
                       'DROP TABLE IF EXISTS bench_visits.sorted') AS store_ms \gset
SELECT bench_visits.ms('SELECT count(*) FROM supervise.visit_plan(2024)', 3) AS compute_ms \gset
SELECT bench_visits.ms('SELECT supervise.plan_visits(2024)', 3, 'TRUNCATE supervise.visit, supervise.visit_task_set') AS plan_ms \gset
SELECT count(*) AS visits FROM visit v JOIN visit_task_set s ON s.id = v.task_set_id WHERE s.year = 2024 \gset
SELECT bench_visits.ms('SELECT supervise.plan_visits(2024)', 3) AS replan_ms \gset
-- one subject's visits, as an inspector or an app looks them up (the BRIN index on visit.uscc):
-- right after plan_visits, and once autovacuum (here: brin_summarize_new_values) has summarised
SELECT uscc AS probe FROM supervise.visit ORDER BY id DESC LIMIT 1 OFFSET 1000 \gset
ANALYZE supervise.visit;
SELECT round(correlation::numeric, 3) AS corr FROM pg_stats WHERE schemaname = 'supervise' AND tablename = 'visit' AND attname = 'uscc' \gset
\echo 'visits: physical order of visit by code: correlation' :corr
SELECT bench_visits.ms(format('SELECT count(*) FROM supervise.v_joint_visits WHERE uscc = %L', :'probe'), 3) AS lookup_ms \gset
SELECT brin_summarize_new_values('supervise.visit_uscc_brin') AS summarised \gset
SELECT string_agg(p, ' ') AS lookup_plan FROM (SELECT regexp_replace(x, '^\s+(->\s+)?', '') AS p
  FROM bench_visits.explain(format('SELECT count(*) FROM supervise.visit WHERE uscc = %L', :'probe')) x
 WHERE x ~ 'Scan') s \gset
\echo 'visits: lookup plan on visit:' :lookup_plan
SELECT bench_visits.ms(format('SELECT count(*) FROM supervise.v_joint_visits WHERE uscc = %L', :'probe'), 3) AS lookup2_ms \gset
\echo visits: :targets drawn targets over 20 tasks -> :visits visits
SELECT format('visits: plan_visits(%s targets) vs sorting them = %sx  (%s ms vs %s ms baseline)',
              :targets, round((:plan_ms / :sort_ms)::numeric, 2), round(:plan_ms::numeric), round(:sort_ms::numeric)) AS line
\gset
\echo :line
SELECT format('visits: visit_plan(%s targets), grouping without writing, vs sorting them = %sx  (%s ms vs %s ms baseline)',
              :targets, round((:compute_ms / :sort_ms)::numeric, 2), round(:compute_ms::numeric), round(:sort_ms::numeric)) AS line
\gset
\echo :line
SELECT format('visits: plan_visits(%s targets) vs sorting and storing them = %sx  (%s ms vs %s ms baseline)',
              :targets, round((:plan_ms / :store_ms)::numeric, 2), round(:plan_ms::numeric), round(:store_ms::numeric)) AS line
\gset
\echo :line
SELECT format('visits: one subject''s visits (v_joint_visits WHERE uscc = ...): %s ms after plan_visits, %s ms once the BRIN ranges are summarised', :lookup_ms, :lookup2_ms) AS line \gset
\echo :line
SELECT format('visits: plan_visits re-run, nothing changed, vs sorting = %sx  (%s ms vs %s ms baseline)',
              round((:replan_ms / :sort_ms)::numeric, 2), round(:replan_ms::numeric), round(:sort_ms::numeric)) AS line
\gset
\echo :line
-- leave nothing behind (draw data is kept by triggers, also in replica mode: disable them by
-- name for the bench's own rows)
SET session_replication_role = replica;
ALTER TABLE draw_record DISABLE TRIGGER draw_record_guard;
ALTER TABLE draw_target DISABLE TRIGGER draw_target_guard;
TRUNCATE visit, visit_task_set;
DELETE FROM draw_target WHERE draw_id > 8000;
DELETE FROM draw_record WHERE id > 8000;
DELETE FROM task_item WHERE task_id > 8000;
DELETE FROM task WHERE id > 8000;
DELETE FROM check_item WHERE id > 8000;
DELETE FROM subject WHERE name LIKE 'bench subject %';
DELETE FROM department WHERE id > 800 AND id <= 810;
ALTER TABLE draw_record ENABLE ALWAYS TRIGGER draw_record_guard;
ALTER TABLE draw_target ENABLE ALWAYS TRIGGER draw_target_guard;
RESET session_replication_role;
DROP SCHEMA bench_visits CASCADE;
SQL
