-- supervise.draw(task_id, seed, population regclass): a task's draw over the rows of any relation
-- records exactly what draw(task_id, seed) records over the same rows, serially and with parallel
-- workers; population_agg's states combine into the same bytes
SET search_path = supervise, public;
SET client_min_messages = warning;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
BEGIN;
ALTER SEQUENCE task_id_seq RESTART 301;
ALTER SEQUENCE draw_record_id_seq RESTART 401;
CREATE FUNCTION pg_temp.code(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i])
                          FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '91350100' || lpad(n::text, 9, '0') AS c, '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
INSERT INTO department (code, name, system, level, region)
VALUES ('SAMR-350100', 'Fuzhou market regulation', 'market', 3, '3501') RETURNING id AS dep \gset
-- 20,000 subjects in four classes, every tenth not active
INSERT INTO subject (uscc, name, region, credit_class, risk_level, status)
SELECT pg_temp.code(g::bigint * 7919 % 1000003), 'subject ' || g, '350100',
       (ARRAY['A', 'A', 'B', 'C', 'D'])[1 + g % 5], 1 + g % 4,
       CASE WHEN g % 10 = 0 THEN 'deregistered' ELSE 'active' END
  FROM generate_series(1, 20000) g;
INSERT INTO check_item (department_id, code, name, category) VALUES (:dep, 'F-01', 'food safety', 'food') RETURNING id AS item \gset
INSERT INTO plan (department_id, year, title, approved_on)
VALUES (:dep, extract(year FROM current_date)::int, 'annual plan', current_date) RETURNING id AS plan \gset
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
VALUES (:plan, :dep, 'earlier food checks', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 500)
RETURNING id AS t0 \gset
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on)
VALUES (:plan, :dep, 'graded food checks', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date)
RETURNING id AS t1 \gset
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
VALUES (:plan, :dep, 'weighted food checks', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 300)
RETURNING id AS t2 \gset
INSERT INTO task_item VALUES (:t0, :item), (:t1, :item), (:t2, :item);
INSERT INTO task_stratum VALUES (:t1, 'A', 0.03), (:t1, 'B', 0.07), (:t1, 'C', 0.1);
-- a live draw of the same category this year: its 500 targets are excluded from the other tasks
SELECT draw(:t0, seed_from('earlier')) IS NOT NULL AS earlier_drawn;

-- the relation: every subject's code, class and weight (the inactive ones too: they are left out)
CREATE TABLE public.national AS SELECT uscc, credit_class, risk_level::double precision AS weight FROM subject;
ALTER TABLE public.national SET (parallel_workers = 2);
ANALYZE public.national;

-- the same record from the directory and from the relation
SET max_parallel_workers_per_gather = 0;
SELECT draw(:t1, seed_from('2026 lottery')) AS d1 \gset
SELECT cancel_draw(:d1, 'drawn again over the relation');
SELECT draw(:t1, seed_from('2026 lottery'), population => 'public.national') AS d2 \gset
CREATE TEMP VIEW same AS
SELECT a.id AS a, b.id AS b, a.population = b.population AS population, a.population_digest = b.population_digest AS digest,
       a.population_size = b.population_size AS size, a.allocation = b.allocation AS allocation, a.target_count = b.target_count AS count,
       (SELECT array_agg(array[stratum, rank::text, uscc::text] ORDER BY stratum, rank) FROM draw_target WHERE draw_id = a.id)
     = (SELECT array_agg(array[stratum, rank::text, uscc::text] ORDER BY stratum, rank) FROM draw_target WHERE draw_id = b.id) AS targets,
       verify_draw(a.id) AS verify_a, verify_draw(b.id) AS verify_b
  FROM draw_record a, draw_record b;
SELECT * FROM same WHERE a = :d1 AND b = :d2;
SELECT population_size, target_count, allocation FROM draw_record WHERE id = :d2;

-- with parallel workers: the population is built in parts that combine into the same bytes
SELECT cancel_draw(:d2, 'drawn again with parallel workers');
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT population_agg(uscc, credit_class, NULL, '\x'::bytea) FROM public.national;
SELECT draw(:t1, seed_from('2026 lottery'), population => 'public.national') AS d3 \gset
SELECT * FROM same WHERE a = :d1 AND b = :d3;
-- population_agg in parallel = serially = population_collect
SELECT population_agg(uscc, credit_class, weight) AS par FROM public.national \gset
SET max_parallel_workers_per_gather = 0;
SELECT population_agg(uscc, credit_class, weight) = :'par' AS serial_same,
       population_collect('SELECT uscc, credit_class, weight FROM public.national', true, true) = :'par' AS collect_same
  FROM public.national;
SET max_parallel_workers_per_gather = 2;

-- weighted, by count
SET max_parallel_workers_per_gather = 0;
SELECT draw(:t2, seed_from('weighted'), 'sha256-v1-weighted') AS w1 \gset
SELECT cancel_draw(:w1, 'drawn again over the relation');
SET max_parallel_workers_per_gather = 2;
SELECT draw(:t2, seed_from('weighted'), population => 'public.national', algorithm => 'sha256-v1-weighted') AS w2 \gset
SELECT * FROM same WHERE a = :w1 AND b = :w2;
SELECT algorithm, population_size, target_count FROM draw_record WHERE id = :w2;

-- population_agg with excluded codes: the rows whose codes are excluded are left out
SELECT excluded_codes('SELECT uscc FROM supervise.subject WHERE credit_class = ''D''') AS xd \gset
SELECT octet_length(:'xd'::bytea) / 12 AS excluded,
       (SELECT sum(n) FROM population_strata(population_agg(uscc, credit_class, NULL, :'xd'::bytea))) AS rows_left,
       population_agg(uscc, credit_class, NULL, :'xd'::bytea)
         = population_collect('SELECT uscc, credit_class, NULL::float8 FROM public.national', true, false,
                              'SELECT uscc FROM supervise.subject WHERE credit_class = ''D''') AS same_as_collect
  FROM public.national;
-- no rows: the empty population; an empty relation draws nothing
SELECT encode(population_agg(uscc, credit_class, NULL), 'hex') FROM public.national WHERE false;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- bad input (the tasks drawn again would be refused first)
SELECT cancel_draw(:d3, 'tested'), cancel_draw(:w2, 'tested');
-- (a quoted name alone is taken as the algorithm of draw(task_id, seed, algorithm): name the argument)
SELECT draw(:t1, seed_from('x'), 'public.national');
SELECT draw(:t1, seed_from('x'), population => 'public.no_such_table');
CREATE TABLE public.codes_only (uscc supervise.uscc);
SELECT draw(:t2, seed_from('x'), population => 'public.codes_only', algorithm => 'sha256-v1-weighted');
SELECT draw(:t1, seed_from('x'), population => 'public.codes_only');
CREATE TABLE public.text_codes (uscc text, credit_class text);
SELECT draw(:t1, seed_from('x'), population => 'public.text_codes');
CREATE TABLE public.dup AS SELECT uscc, credit_class FROM subject UNION ALL SELECT uscc, credit_class FROM subject LIMIT 20001;
SELECT draw(:t1, seed_from('x'), population => 'public.dup');
CREATE TABLE public.null_class AS SELECT uscc, NULL::text AS credit_class FROM subject LIMIT 3;
SELECT draw(:t1, seed_from('x'), population => 'public.null_class');
INSERT INTO directory (department_id, name) VALUES (:dep, 'a directory') RETURNING id AS dir \gset
UPDATE task SET directory_id = :dir WHERE id = :t1;
SELECT draw(:t1, seed_from('x'), population => 'public.national');
SELECT population_agg(uscc, credit_class, NULL, '\x0102'::bytea) FROM public.national;
SELECT population_agg(uscc, credit_class, NULL, (SELECT substr(x, 13, 12) || substr(x, 1, 12)
                                                   FROM excluded_codes('SELECT uscc FROM supervise.subject LIMIT 2') x))
  FROM public.national;
SELECT population_agg(uscc, credit_class, CASE WHEN credit_class = 'A' THEN NULL ELSE weight END) FROM public.national;
SELECT population_agg_final('\x5350'::bytea);
-- no draw was recorded by any of these (the one live draw is the earlier one)
SELECT count(*) AS live_draws FROM draw_record WHERE cancelled_at IS NULL;
ROLLBACK;
