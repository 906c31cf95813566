#!/usr/bin/env bash
# The credit record and a department's year at scale: 10,000,000 subjects and a year of checks
# (2,000,000 inspections by 20 departments, 200,000 disposals, 100,000 list entries, a publication
# item per result) x SUPERVISE_BENCH_SCALE (default 0.1). Measured in the same run against:
#   - one subject's record (v_subject_record WHERE uscc = ...) vs a primary-key lookup of the subject,
#     as the owner and as an officer, for the same codes;
#   - one department's year (v_department_year WHERE department_id = ... AND year = ...) vs counting
#     that department's inspections of the year;
#   - one key item's coverage (v_key_item_coverage) vs counting the active subjects of its region.
# Runs inside a cluster with the extension created (bench/run.sh). The rows are written straight
# into the tables in replica mode (no triggers, no foreign-key checks): loading is not what is measured.
set -euo pipefail
scale=${SUPERVISE_BENCH_SCALE:-0.1}
psql -X -q -v ON_ERROR_STOP=1 -v scale="$scale" <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_record CASCADE;
CREATE SCHEMA bench_record;
SET search_path = supervise, bench_record, public;
SELECT greatest(1000, round(10000000 * :scale))::bigint AS subjects,
       greatest(1000, round(2000000 * :scale))::bigint AS checks,
       greatest(10, round(100000 * :scale))::bigint AS listed \gset
\echo record: scale :scale - :subjects subjects, :checks inspections in 2025, :listed list entries
SET session_replication_role = replica;
INSERT INTO department (id, code, name, system, level, region)
SELECT 900 + i, 'R' || i, 'bench department ' || i, 'sys' || i, 4, '110108' FROM generate_series(1, 20) i;
INSERT INTO check_item (id, department_id, code, name, category, key_supervision, coverage_years)
SELECT 9000 + i, 900 + 1 + (i - 1) % 20, 'K' || i, 'bench item ' || i, 'bench-cat-' || i, i <= 20, CASE WHEN i <= 20 THEN 3 END
  FROM generate_series(1, 40) i;
-- 10 tasks a department in 2025; every fifth also holds an item of the next department (joint)
INSERT INTO task (id, department_id, kind, title, period_start, period_end)
SELECT 9000 + i, 900 + 1 + (i - 1) % 20, 'special', 'bench task ' || i,
       date '2025-01-01' + (i * 37) % 200, date '2025-01-01' + (i * 37) % 200 + 150
  FROM generate_series(1, 200) i;
INSERT INTO task_item (task_id, item_id)
SELECT 9000 + i, 9000 + 1 + (i - 1) % 20 + CASE WHEN i % 3 = 0 THEN 20 ELSE 0 END FROM generate_series(1, 200) i
UNION ALL
SELECT 9000 + i, 9000 + 1 + i % 20 FROM generate_series(1, 200) i WHERE i % 5 = 0;
INSERT INTO subject (uscc, name, region, credit_class)
SELECT uscc_build('91', '110108', lpad(n::text, 8, '0')), 'bench subject ' || n, '110108',
       (ARRAY['A', 'B', 'B', 'C'])[1 + n % 4]
  FROM generate_series(1, :subjects) n;
-- inspection k of task t: the subject (k * 7919 + t * 104729) mod subjects (distinct within a task)
CREATE TABLE bench_record.chk AS
SELECT 900000 + g AS id, 9000 + 1 + g % 200 AS task_id, 900 + 1 + g % 20 AS department_id,
       uscc_build('91', '110108', lpad((1 + ((g / 200) * 7919 + (g % 200) * 104729) % :subjects)::text, 8, '0')) AS uscc,
       date '2025-01-01' + (g * 13) % 360 AS day, g % 10 = 0 AS problem
  FROM generate_series(0, :checks - 1) g;
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT id, task_id, uscc, department_id, day, CASE WHEN problem THEN 'corrected' ELSE 'no_problem' END, day + 1
  FROM bench_record.chk;
INSERT INTO disposal (id, inspection_id, kind, decided_on)
SELECT id, id, 'order', day + 3 FROM bench_record.chk WHERE problem;
-- every task drew exactly what it checked (a draw record per task, its targets)
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest,
                         allocation, target_count, population)
SELECT t.id, t.id, 'sha256-v1', seed_from('bench ' || t.id), 'given', :subjects, sha256(''), '[]',
       (SELECT count(*) FROM bench_record.chk c WHERE c.task_id = t.id), ''
  FROM task t WHERE t.id > 9000 AND t.id <= 9200;
INSERT INTO draw_target (draw_id, uscc, stratum, rank)
SELECT task_id, uscc, 'all', row_number() OVER (PARTITION BY task_id ORDER BY id) FROM bench_record.chk;
INSERT INTO publication (kind, object_id, department_id, task_id, occurred_on, event_on, due_on, published_on)
SELECT 'result', id, department_id, task_id, day + 1, day + 1, day + 15, CASE WHEN id % 7 <> 0 THEN day + 10 END
  FROM bench_record.chk;
INSERT INTO dishonesty_entry (uscc, department_id, reason, listed_on)
SELECT uscc, department_id, 'bench listing', day + 20
  FROM (SELECT DISTINCT ON (uscc, department_id) * FROM bench_record.chk WHERE problem ORDER BY uscc, department_id, id) c
 ORDER BY id LIMIT :listed;
RESET session_replication_role;
VACUUM ANALYZE;

CREATE FUNCTION bench_record.explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
-- best of runs of: q run once for each code of the probe list ($1 in q)
CREATE FUNCTION bench_record.ms_each(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'Infinity'; c supervise.uscc; n bigint;
BEGIN
    FOR r IN 1 .. runs LOOP
        t0 := clock_timestamp();
        FOR c IN SELECT p.uscc FROM bench_record.probe p LOOP
            EXECUTE q INTO n USING c;
        END LOOP;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN best;
END $$;
-- the same with the query's plan kept (static SQL in PL/pgSQL, as an application's prepared statement)
CREATE FUNCTION bench_record.ms_each_kept(record boolean, runs int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'Infinity'; c supervise.uscc; n bigint;
BEGIN
    FOR r IN 1 .. runs LOOP
        t0 := clock_timestamp();
        FOR c IN SELECT p.uscc FROM bench_record.probe p LOOP
            IF record THEN
                SELECT count(*) INTO n FROM supervise.v_subject_record v WHERE v.uscc = c;
            ELSE
                SELECT count(*) INTO n FROM supervise.subject s WHERE s.uscc = c;
            END IF;
        END LOOP;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN best;
END $$;
CREATE FUNCTION bench_record.ms(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'Infinity';
BEGIN
    FOR r IN 1 .. runs LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN best;
END $$;
-- 500 subjects with a record (checked, some with disposals and listings), spread over the codes
CREATE TABLE bench_record.probe AS
SELECT DISTINCT ON (c.uscc) c.uscc FROM bench_record.chk c WHERE c.id % (:checks / 500) = 0 ORDER BY c.uscc LIMIT 500;
GRANT USAGE ON SCHEMA bench_record TO PUBLIC;
GRANT SELECT ON bench_record.probe TO PUBLIC;
SELECT count(*) AS probes, (SELECT count(*) FROM v_subject_record r WHERE r.uscc IN (SELECT uscc FROM bench_record.probe)) AS entries
  FROM bench_record.probe \gset
SELECT string_agg(DISTINCT regexp_replace(x, '^\s+(->\s+)?', ''), '; ') AS record_plan
  FROM bench_record.explain(format('SELECT * FROM supervise.v_subject_record WHERE uscc = %L', (SELECT min(uscc) FROM bench_record.probe))) x
 WHERE x ~ 'Scan' \gset
\echo 'record: plan of one subject''s record:' :record_plan

SELECT bench_record.ms_each('SELECT count(*) FROM supervise.subject WHERE uscc = $1', 5) AS pk_ms \gset
SELECT bench_record.ms_each('SELECT count(*) FROM (SELECT * FROM supervise.v_subject_record WHERE uscc = $1) r', 5) AS record_ms \gset
SELECT bench_record.ms_each_kept(false, 5) AS pk_kept_ms \gset
SELECT bench_record.ms_each_kept(true, 5) AS record_kept_ms \gset
DO $$ BEGIN CREATE ROLE supervise_bench_officer; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SELECT grant_department_officer('supervise_bench_officer', ARRAY[901]::bigint[]) \gset
GRANT EXECUTE ON FUNCTION bench_record.ms_each(text, int) TO supervise_bench_officer;
SET ROLE supervise_bench_officer;
SELECT bench_record.ms_each('SELECT count(*) FROM supervise.subject WHERE uscc = $1', 5) AS pk_officer_ms \gset
SELECT bench_record.ms_each('SELECT count(*) FROM (SELECT * FROM supervise.v_subject_record WHERE uscc = $1) r', 5) AS record_officer_ms \gset
RESET ROLE;
SELECT format('record: one subject''s record (v_subject_record, %s subjects, %s entries, each query planned) vs a primary-key lookup = %sx  (%s ms vs %s ms baseline, %s ms a subject)',
              :probes, :entries, round((:record_ms / :pk_ms)::numeric, 2), round(:record_ms::numeric, 1), round(:pk_ms::numeric, 1),
              round((:record_ms / :probes)::numeric, 3)) AS line \gset
\echo :line
SELECT format('record: the same with plans kept (prepared) = %sx  (%s ms vs %s ms baseline, %s ms a subject)',
              round((:record_kept_ms / :pk_kept_ms)::numeric, 2), round(:record_kept_ms::numeric, 1), round(:pk_kept_ms::numeric, 1),
              round((:record_kept_ms / :probes)::numeric, 3)) AS line \gset
\echo :line
SELECT format('record: the same as an officer (row-level security on subject) = %sx  (%s ms vs %s ms baseline)',
              round((:record_officer_ms / :pk_officer_ms)::numeric, 2), round(:record_officer_ms::numeric, 1), round(:pk_officer_ms::numeric, 1)) AS line \gset
\echo :line

SELECT count(*) AS dept_checks FROM inspection WHERE department_id = 905 AND inspected_on >= date '2025-01-01' AND inspected_on < date '2026-01-01' \gset
SELECT bench_record.ms($$SELECT count(*) FROM supervise.inspection WHERE department_id = 905 AND inspected_on >= date '2025-01-01' AND inspected_on < date '2026-01-01'$$, 5) AS count_ms \gset
SELECT bench_record.ms($$SELECT * FROM supervise.v_department_year WHERE department_id = 905 AND year = 2025$$, 5) AS year_ms \gset
SELECT format('record: one department''s year (v_department_year, %s checks) vs counting its checks of the year = %sx  (%s ms vs %s ms baseline)',
              :dept_checks, round((:year_ms / :count_ms)::numeric, 2), round(:year_ms::numeric, 1), round(:count_ms::numeric, 1)) AS line \gset
\echo :line
SELECT format('record: %s', (SELECT row(y.*)::text FROM v_department_year y WHERE department_id = 905 AND year = 2025)) AS line \gset
\echo :line

SELECT bench_record.ms($$SELECT count(*) FROM supervise.subject WHERE status = 'active' AND starts_with(region, '110108')$$, 3) AS scope_ms \gset
SELECT bench_record.ms($$SELECT * FROM supervise.v_key_item_coverage WHERE item_id = 9005$$, 3) AS cover_ms \gset
SELECT format('record: one key item''s coverage (v_key_item_coverage, %s subjects in scope) vs counting them = %sx  (%s ms vs %s ms baseline)',
              :subjects, round((:cover_ms / :scope_ms)::numeric, 2), round(:cover_ms::numeric), round(:scope_ms::numeric)) AS line \gset
\echo :line

-- leave nothing behind (the list is kept by triggers, also in replica mode: disable them by name
-- for the bench's own rows)
SELECT revoke_department_officer('supervise_bench_officer', NULL) \gset
DROP OWNED BY supervise_bench_officer;
DROP ROLE supervise_bench_officer;
SET session_replication_role = replica;
ALTER TABLE dishonesty_entry DISABLE TRIGGER dishonesty_entry_guard;
ALTER TABLE draw_record DISABLE TRIGGER draw_record_guard;
ALTER TABLE draw_target DISABLE TRIGGER draw_target_guard;
DELETE FROM dishonesty_entry WHERE department_id > 900 AND department_id <= 920;
DELETE FROM publication WHERE department_id > 900 AND department_id <= 920;
DELETE FROM draw_target WHERE draw_id > 9000 AND draw_id <= 9200;
DELETE FROM draw_record WHERE id > 9000 AND id <= 9200;
DELETE FROM disposal WHERE id >= 900000;
DELETE FROM inspection WHERE id >= 900000;
DELETE FROM task_item WHERE task_id > 9000 AND task_id <= 9200;
DELETE FROM task WHERE id > 9000 AND id <= 9200;
DELETE FROM check_item WHERE id > 9000 AND id <= 9040;
DELETE FROM subject WHERE name LIKE 'bench subject %';
DELETE FROM department WHERE id > 900 AND id <= 920;
ALTER TABLE dishonesty_entry ENABLE ALWAYS TRIGGER dishonesty_entry_guard;
ALTER TABLE draw_record ENABLE ALWAYS TRIGGER draw_record_guard;
ALTER TABLE draw_target ENABLE ALWAYS TRIGGER draw_target_guard;
RESET session_replication_role;
DROP SCHEMA bench_record CASCADE;
SQL
