#!/usr/bin/env bash
# add_workdays(d, 10) over 1,000,000 rows against `d + 14` over the same rows (target: at most 2x),
# and against a plain-SQL version that walks the calendar table day by day (target: at least
# 1000x slower than add_workdays; it is run on 1/100 of the rows and scaled, as printed).
# Also shows what a SET search_path clause would cost the C function (why it has none).
# Runs inside the bench cluster (bench/run.sh). Serial plans (no parallel workers), best of 5.
set -euo pipefail
scale=${SUPERVISE_BENCH_SCALE:-1}
rows=$(python3 -c "print(max(1000, int(1000000 * float('$scale'))))")
slow_rows=$((rows / 100))
db=supervise_bench_calendar
dropdb --if-exists $db >/dev/null 2>&1 || true
createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -v rows=$rows -v slow_rows=$slow_rows <<'SQL'
CREATE EXTENSION supervise;
SET max_parallel_workers_per_gather = 0;
-- days spread over 2019-2025 (+10 working days stays inside the loaded 2019-2026)
CREATE TABLE bench_days AS SELECT DATE '2019-01-01' + (i % 2550) AS d FROM generate_series(1, :rows) i;
CREATE TABLE bench_days_small AS SELECT d FROM bench_days LIMIT :slow_rows;
VACUUM ANALYZE bench_days;
VACUUM ANALYZE bench_days_small;
-- the plain-SQL baseline: walk forward one day at a time, looking each day up in calendar_day
CREATE FUNCTION bench_add_workdays_sql(day date, n integer) RETURNS date
    LANGUAGE sql STABLE
AS $$
    SELECT x::date
      FROM generate_series(day + 1, day + 3 * n + 30, interval '1 day') AS x
     WHERE coalesce((SELECT c.kind = 'work' FROM supervise.calendar_day c WHERE c.day = x::date),
                    extract(isodow FROM x) < 6)
     ORDER BY x
    OFFSET n - 1 LIMIT 1
$$;
-- the same C function, with a SET search_path clause
CREATE FUNCTION supervise.bench_add_workdays_set(date, integer) RETURNS date
    AS '$libdir/supervise', 'supervise_add_workdays'
    LANGUAGE C STABLE STRICT SET search_path = supervise, pg_temp;
-- correctness first
SELECT count(*) AS disagreements FROM bench_days_small
 WHERE supervise.add_workdays(d, 10) <> bench_add_workdays_sql(d, 10) \gset
\if :disagreements
  \echo 'calendar: plain-SQL baseline disagrees with add_workdays'
  \quit
\endif
CREATE FUNCTION pg_temp.best_ms(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best numeric := NULL; ms numeric;
BEGIN
    FOR i IN 1..5 LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        best := least(coalesce(best, ms), ms);
    END LOOP;
    RETURN round(best, 1);
END $$;
SELECT pg_temp.best_ms('SELECT max(d + 14) FROM bench_days') AS base \gset
SELECT pg_temp.best_ms('SELECT max(supervise.add_workdays(d, 10)) FROM bench_days') AS c \gset
SELECT pg_temp.best_ms('SELECT max(supervise.bench_add_workdays_set(d, 10)) FROM bench_days') AS cset \gset
SELECT pg_temp.best_ms('SELECT max(bench_add_workdays_sql(d, 10)) FROM bench_days_small') AS slow \gset
SELECT round(:c / :base, 2) AS r1, round(:slow * 100 / :c) AS r2, round(:cset / :c, 2) AS r3,
       round(:slow * 100) AS slow_scaled \gset
\echo 'calendar: add_workdays(d, 10) vs d + 14 over' :rows 'rows =' :r1'x ('  :c 'ms vs' :base 'ms baseline; target <= 2x)'
\echo 'calendar: plain-SQL calendar walk / add_workdays(d, 10) =' :r2'x ('  :c 'ms vs' :slow_scaled 'ms baseline; baseline run on' :slow_rows 'rows in' :slow 'ms and scaled x100; target >= 1000x)'
\echo 'calendar: add_workdays with SET search_path vs without =' :r3'x (' :cset 'ms vs' :c 'ms baseline)'
SQL
