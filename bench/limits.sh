#!/usr/bin/env bash
# Limits: computing a task's eligible population (active subjects minus those the limits on
# repeated checks exclude, with the limit locks taken) against a plain SQL hash anti-join of the
# same tables (active subjects minus every subject inspected this year), in the same run; and the
# draw's way of reading it (population_collect, the excluded codes merged in C) against the one
# anti-join query read the same way.
# Issue sizes at scale 1: 10,000,000 subjects, 2,000,000 inspections in the year (20%);
# SUPERVISE_BENCH_SCALE (default 0.1) scales both. Runs inside a cluster (bench/run.sh).
set -euo pipefail
scale=${SUPERVISE_BENCH_SCALE:-0.1}
n=$(python3 -c "print(int(10000000 * float('$scale')))")
db=limits_bench
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v n="$n" <<'SQL' >/dev/null
CREATE EXTENSION supervise;
SELECT * FROM supervise.generate_sample(:n, 1);
-- the task measured (思明区 food safety, no directory) and six others that checked subjects
CREATE TABLE bench_task (n integer PRIMARY KEY, task_id bigint);
WITH y AS (SELECT extract(year FROM current_date)::integer AS y),
v(n, dep, item, kind) AS (VALUES
    (1, 'SAMR-350203', 'SC-03', 'special'), (2, 'SAMR-350206', 'SC-03', 'special'), (3, 'SAMR-3502', 'SC-01', 'special'),
    (4, 'SAMR-35', 'SC-04', 'special'), (5, 'HC-350203', 'HC-01', 'special'), (6, 'SAMR-350203', 'SC-03', 'clue'),
    (7, 'SAMR-350102', 'SC-02', 'special')),
t AS (
    INSERT INTO supervise.task (department_id, kind, title, period_start, period_end, approved_on, sample_ratio)
    SELECT d.id, v.kind, 'bench ' || v.n, make_date(y.y, 1, 1), make_date(y.y, 12, 31), make_date(y.y - 1, 12, 1), 0.05
      FROM v JOIN supervise.department d ON d.code = v.dep, y ORDER BY v.n
    RETURNING id)
INSERT INTO bench_task SELECT row_number() OVER (ORDER BY id), id FROM t;
INSERT INTO supervise.task_item (task_id, item_id)
SELECT b.task_id, i.id FROM bench_task b JOIN (VALUES
    (1, 'SAMR-350203', 'SC-03'), (2, 'SAMR-350206', 'SC-03'), (3, 'SAMR-3502', 'SC-01'), (4, 'SAMR-35', 'SC-04'),
    (5, 'HC-350203', 'HC-01'), (6, 'SAMR-350203', 'SC-03'), (7, 'SAMR-350102', 'SC-02')) v(n, dep, code) ON v.n = b.n
  JOIN supervise.department d ON d.code = v.dep JOIN supervise.check_item i ON i.department_id = d.id AND i.code = v.code;
-- 20% of the subjects inspected this year, for tasks 2..7 (legacy load: triggers off)
SET session_replication_role = replica;
INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
SELECT b.task_id, s.uscc, t.department_id, make_date(extract(year FROM current_date)::integer, 1 + (s.h % 12)::integer, 1 + (s.h % 28)::integer)
  FROM (SELECT uscc, hashtextextended(uscc::text, 11) & 2147483647 AS h FROM supervise.subject) s
  JOIN bench_task b ON b.n = 2 + (s.h / 5 % 6)::integer
  JOIN supervise.task t ON t.id = b.task_id
 WHERE s.h % 5 = 0;
RESET session_replication_role;
VACUUM ANALYZE;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -At <<'SQL'
CREATE FUNCTION pg_temp.ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; runs float8[] := '{}'; c bigint;
BEGIN
    FOR i IN 1..5 LOOP
        t0 := clock_timestamp();
        EXECUTE q INTO c;
        runs := runs || extract(epoch FROM clock_timestamp() - t0) * 1000;
    END LOOP;
    RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY r) FROM unnest(runs) r);
END $$;
SELECT task_id AS t FROM bench_task WHERE n = 1 \gset
SELECT count(*) AS subjects, (SELECT count(*) FROM supervise.inspection) AS inspections FROM supervise.subject \gset
SELECT format('$q$SELECT count(*) FROM (SELECT s.uscc, s.credit_class, s.risk_level::float8 FROM supervise.subject s
                  WHERE s.status = ''active'' AND NOT EXISTS (SELECT 1 FROM supervise.inspection i WHERE i.uscc = s.uscc
                  AND i.inspected_on >= %L AND i.inspected_on < %L)) x$q$',
              make_date(extract(year FROM current_date)::integer, 1, 1), make_date(extract(year FROM current_date)::integer + 1, 1, 1)) AS baseline \gset
-- warm up both, then alternate
SELECT pg_temp.ms(:baseline) + pg_temp.ms('SELECT count(*) FROM supervise.eligible_population(' || :t || ')') IS NOT NULL AS warm \gset
SELECT pg_temp.ms('SELECT count(*) FROM supervise.eligible_population(' || :t || ')') AS mine \gset
SELECT pg_temp.ms(:baseline) AS base \gset
SELECT format('limits: eligible population of a task = %sx (%s ms vs %s ms baseline; %s subjects, %s inspections this year, eligible %s vs %s)',
              round((:mine / :base)::numeric, 2), round(:mine::numeric), round(:base::numeric), :subjects, :inspections,
              (SELECT count(*) FROM supervise.eligible_population(:t)), (SELECT count(*) FROM supervise.subject s WHERE s.status = 'active'
               AND NOT EXISTS (SELECT 1 FROM supervise.inspection i WHERE i.uscc = s.uscc)));
-- the draw reads the same population in C: candidates less the excluded codes, merged after the
-- sort (population_collect with eligibility_parts), against the one anti-join query read the same way
SELECT candidates AS cq, excluded AS xq FROM supervise.eligibility_parts(:t) \gset
SELECT pg_temp.ms(format('SELECT length(supervise.population_collect(%L, true, false, %L))', :'cq', :'xq')) AS merged \gset
SELECT pg_temp.ms(format('SELECT length(supervise.population_collect(%L, true, false))', supervise.eligibility_query(:t))) AS antijoin \gset
SELECT format('limits: the draw''s population, excluded codes merged in C, vs read through the anti-join = %sx (%s ms vs %s ms baseline; the same bytes: %s)',
              round((:merged / :antijoin)::numeric, 2), round(:merged::numeric), round(:antijoin::numeric),
              supervise.population_collect(:'cq', true, false, :'xq') = supervise.population_collect(supervise.eligibility_query(:t), true, false));
SQL
