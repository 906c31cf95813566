-- supervise.draw and friends: allocation, recording, verification, immutability, errors
SET search_path = supervise, public;
SET client_min_messages = warning;
-- one transaction, rolled back at the end; a failing statement rolls back only itself
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
BEGIN;
-- ids in messages do not depend on what ran before
ALTER SEQUENCE task_id_seq RESTART 101;
ALTER SEQUENCE draw_record_id_seq RESTART 201;
-- a valid code from a number: 91350100 + 9 digits + the GB 32100 check character
CREATE FUNCTION pg_temp.code(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i])
                          FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '91350100' || lpad(n::text, 9, '0') AS c, '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
INSERT INTO department (code, name, system, level, region)
VALUES ('SAMR-350100', 'Fuzhou market regulation', 'market', 3, '3501') RETURNING id AS dep \gset
-- 1000 subjects: A 1..400, B 401..700, C 701..900, D 901..1000; every tenth inactive
INSERT INTO subject (uscc, name, region, credit_class, risk_level, status)
SELECT pg_temp.code(g), 'subject ' || g, '350100',
       CASE WHEN g <= 400 THEN 'A' WHEN g <= 700 THEN 'B' WHEN g <= 900 THEN 'C' ELSE 'D' END,
       1 + g % 4, CASE WHEN g % 10 = 0 THEN 'deregistered' ELSE 'active' END
  FROM generate_series(1, 1000) g;
-- (an item exempt from the once-a-year rule, so that the draws below do not limit each other;
-- the limits have their own tests)
INSERT INTO check_item (department_id, code, name, category, limit_exempt, exempt_reason)
VALUES (:dep, 'SC-01', 'business licence display', 'licence', true, 'law') RETURNING id AS item \gset
INSERT INTO plan (department_id, year, title, approved_on)
VALUES (:dep, extract(year FROM current_date)::int, 'annual plan', current_date) RETURNING id AS plan \gset
-- a task drawn per credit class: A 3%, B 7%, C 10% (exactly 18 of 180), D not drawn
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on)
VALUES (:plan, :dep, 'graded check', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date)
RETURNING id AS t1 \gset
INSERT INTO task_item VALUES (:t1, :item);
INSERT INTO task_stratum VALUES (:t1, 'A', 0.03), (:t1, 'B', 0.07), (:t1, 'C', 0.1);

-- the eligible population: active subjects only
SELECT credit_class, count(*) FROM eligible_population(:t1) GROUP BY 1 ORDER BY 1;

SELECT draw(:t1, seed_from('2025 lottery 03 11 19 27 31 + 08')) AS d1 \gset
SELECT algorithm, encode(seed, 'hex') AS seed, seed_source, drawn_by = current_user AS by_me,
       population_size, encode(population_digest, 'hex') AS population_digest, target_count, cancelled_at
  FROM draw_record WHERE id = :d1;
SELECT jsonb_pretty(allocation) FROM draw_record WHERE id = :d1;
SELECT stratum, count(*), min(rank), max(rank) FROM draw_target WHERE draw_id = :d1 GROUP BY 1 ORDER BY 1;
-- the targets of class C in rank order (checked with tools/verify_draw.py)
SELECT rank, uscc FROM draw_target WHERE draw_id = :d1 AND stratum = 'C' ORDER BY rank;
SELECT verify_draw(:d1);
-- the export holds the eligible population as drawn
SELECT stratum, count(*), count(weight) AS weights FROM draw_population(:d1) GROUP BY 1 ORDER BY 1;
SELECT * FROM draw_population(:d1) ORDER BY stratum, uscc LIMIT 3;
-- the digest is SHA-256 of the export as "code,stratum\n" lines
SELECT sha256(convert_to(string_agg(uscc::text || ',' || stratum || E'\n', '' ORDER BY stratum COLLATE "C", uscc), 'UTF8'))
       = (SELECT population_digest FROM draw_record WHERE id = :d1) AS digest_is_sha256_of_lines
  FROM draw_population(:d1);
-- the same rows through sample_agg give the same targets
SELECT array_agg(uscc::text ORDER BY rank) = (SELECT sample_agg(uscc::text, NULL, 18, seed_from('2025 lottery 03 11 19 27 31 + 08'))
                                               FROM eligible_population(:t1) WHERE credit_class = 'C') AS sample_agg_agrees
  FROM draw_target WHERE draw_id = :d1 AND stratum = 'C';
SELECT seed_source, drawn_at IS NOT NULL AS has_time FROM v_draw_disclosure WHERE draw_id = :d1;

-- drawing twice is refused, with a hint to cancel
SELECT draw(:t1, seed_from('another'));

-- the record and its targets are kept as they are
UPDATE draw_record SET seed = seed_from('x') WHERE id = :d1;
UPDATE draw_record SET population_size = 1, cancelled_at = now(), cancelled_by = current_user, cancel_reason = 'x' WHERE id = :d1;
DELETE FROM draw_record WHERE id = :d1;
UPDATE draw_target SET rank = rank + 100 WHERE draw_id = :d1;
DELETE FROM draw_target WHERE draw_id = :d1;
TRUNCATE draw_target CASCADE;
TRUNCATE draw_record CASCADE;

-- cancelling: a reason is needed, it is kept, and only once
SELECT cancel_draw(:d1, '  ');
SELECT cancel_draw(:d1, NULL);
SELECT cancel_draw(-1, 'no such draw');
SELECT cancel_draw(:d1, 'the lottery result was announced late');
SELECT cancelled_at IS NOT NULL AS cancelled, cancelled_by = current_user AS by_me, cancel_reason FROM draw_record WHERE id = :d1;
SELECT cancel_draw(:d1, 'again');
SELECT count(*) AS targets_kept FROM draw_target WHERE draw_id = :d1;
SELECT verify_draw(:d1) AS cancelled_still_verifies;

-- same seed after the table is rewritten in another physical order: same targets
UPDATE subject SET updated_at = updated_at WHERE (substr(uscc::text, 9, 9))::int % 3 = 0;
SELECT ctid <> '(0,3)' AS third_row_moved FROM subject WHERE uscc = pg_temp.code(3);
SELECT draw(:t1, seed_from('2025 lottery 03 11 19 27 31 + 08')) AS d2 \gset
SELECT (SELECT population_digest FROM draw_record WHERE id = :d1) = (SELECT population_digest FROM draw_record WHERE id = :d2) AS same_digest,
       NOT EXISTS ((SELECT uscc, stratum, rank FROM draw_target WHERE draw_id = :d1
                    EXCEPT SELECT uscc, stratum, rank FROM draw_target WHERE draw_id = :d2)
                   UNION ALL
                   (SELECT uscc, stratum, rank FROM draw_target WHERE draw_id = :d2
                    EXCEPT SELECT uscc, stratum, rank FROM draw_target WHERE draw_id = :d1)) AS same_targets;
-- a different seed gives different targets
SELECT cancel_draw(:d2, 'test of another seed');
SELECT draw(:t1, seed_from('another seed')) AS d3 \gset
SELECT count(*) AS shared_targets_of_48 FROM draw_target a JOIN draw_target b USING (uscc)
 WHERE a.draw_id = :d1 AND b.draw_id = :d3;
SELECT verify_draw(:d3);

-- a NULL seed is drawn from the strong random source and recorded
SELECT cancel_draw(:d3, 'test of a random seed');
SELECT draw(:t1) AS d4 \gset
SELECT seed_source, octet_length(seed) FROM draw_record WHERE id = :d4;
SELECT verify_draw(:d4);

-- tampering by a superuser is found
ALTER TABLE draw_target DISABLE TRIGGER draw_target_guard;
UPDATE draw_target SET rank = 1000 WHERE draw_id = :d4 AND stratum = 'A' AND rank = 1;
UPDATE draw_target SET rank = 1 WHERE draw_id = :d4 AND stratum = 'A' AND rank = 2;
UPDATE draw_target SET rank = 2 WHERE draw_id = :d4 AND stratum = 'A' AND rank = 1000;
SELECT verify_draw(:d4) AS swapped_ranks;
UPDATE draw_target SET rank = 1000 WHERE draw_id = :d4 AND stratum = 'A' AND rank = 1;
UPDATE draw_target SET rank = 1 WHERE draw_id = :d4 AND stratum = 'A' AND rank = 2;
UPDATE draw_target SET rank = 2 WHERE draw_id = :d4 AND stratum = 'A' AND rank = 1000;
SELECT verify_draw(:d4) AS restored;
SELECT uscc AS c18 FROM draw_target WHERE draw_id = :d4 AND stratum = 'C' AND rank = 18 \gset
DELETE FROM draw_target WHERE draw_id = :d4 AND stratum = 'C' AND rank = 18;
SELECT verify_draw(:d4) AS deleted_target;
INSERT INTO draw_target VALUES (:d4, :'c18', 'C', 18);
SELECT verify_draw(:d4) AS target_put_back;
UPDATE draw_target SET uscc = pg_temp.code(999999) WHERE draw_id = :d4 AND stratum = 'B' AND rank = 5;
SELECT verify_draw(:d4) AS replaced_target;
ALTER TABLE draw_target ENABLE TRIGGER draw_target_guard;
ALTER TABLE draw_record DISABLE TRIGGER draw_record_guard;
UPDATE draw_record SET population_digest = sha256('x') WHERE id = :d3;
SELECT verify_draw(:d3) AS changed_digest;
UPDATE draw_record SET allocation = jsonb_set(allocation, '{0,k}', '12') WHERE id = :d1;
SELECT verify_draw(:d1) AS changed_allocation;
ALTER TABLE draw_record ENABLE TRIGGER draw_record_guard;
SELECT verify_draw(-1);

-- 7% of 100 is 7, not 8; a directory restricts the population
INSERT INTO directory (department_id, name) VALUES (:dep, 'catering') RETURNING id AS dir \gset
INSERT INTO directory_member SELECT :dir, pg_temp.code(g) FROM generate_series(1, 111) g;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio, directory_id)
VALUES (:plan, :dep, 'catering', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 0.07, :dir)
RETURNING id AS t2 \gset
INSERT INTO task_item VALUES (:t2, :item);
SELECT draw(:t2, seed_from('catering')) AS d5 \gset
SELECT allocation, population_size, target_count FROM draw_record WHERE id = :d5;
SELECT verify_draw(:d5);

-- by count: at most the population
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size, directory_id)
VALUES (:plan, :dep, 'by count', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 500, :dir)
RETURNING id AS t3 \gset
INSERT INTO task_item VALUES (:t3, :item);
SELECT draw(:t3, seed_from('count')) AS d6 \gset
SELECT allocation, target_count FROM draw_record WHERE id = :d6;

-- an empty population is a recorded draw of zero
INSERT INTO directory (department_id, name) VALUES (:dep, 'closed shops') RETURNING id AS dir2 \gset
INSERT INTO directory_member SELECT :dir2, pg_temp.code(g) FROM generate_series(10, 100, 10) g;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio, directory_id)
VALUES (:plan, :dep, 'closed', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 0.5, :dir2)
RETURNING id AS t4 \gset
INSERT INTO task_item VALUES (:t4, :item);
SELECT draw(:t4, seed_from('empty')) AS d7 \gset
SELECT allocation, population_size, target_count, encode(population_digest, 'hex') = encode(sha256(''), 'hex') AS digest_of_nothing
  FROM draw_record WHERE id = :d7;
SELECT verify_draw(:d7);
SELECT count(*) FROM draw_population(:d7);

-- weighted (weight = risk_level) and RFC 3797 draws record their algorithm and verify
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
VALUES (:plan, :dep, 'weighted', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 25)
RETURNING id AS t5 \gset
INSERT INTO task_item VALUES (:t5, :item);
SELECT draw(:t5, seed_from('weighted'), 'sha256-v1-weighted') AS d8 \gset
SELECT algorithm, target_count, verify_draw(id) FROM draw_record WHERE id = :d8;
SELECT stratum, count(*), count(weight), min(weight), max(weight) FROM draw_population(:d8) GROUP BY 1;
-- high-risk subjects (weight 4) are drawn more often than low-risk ones (weight 1)
SELECT s.risk_level, count(*) FROM draw_target t JOIN subject s USING (uscc) WHERE t.draw_id = :d8 GROUP BY 1 ORDER BY 1;
SELECT cancel_draw(:d8, 'now by RFC 3797');
SELECT draw(:t5, seed_from('weighted'), 'rfc3797') AS d9 \gset
SELECT algorithm, target_count, verify_draw(id) FROM draw_record WHERE id = :d9;
-- RFC 3797 over the population in code order, key = hex(seed) || '/' || stratum || '/'
SELECT array_agg(p.pos::int ORDER BY t.rank) = rfc3797_select(900, 25, encode(seed_from('weighted'), 'hex') || '/all/') AS rfc3797_positions
  FROM draw_target t
  JOIN (SELECT uscc, row_number() OVER (ORDER BY uscc) AS pos FROM draw_population(:d9)) p USING (uscc)
 WHERE t.draw_id = :d9;

-- errors
SELECT draw(:t5, '\x00'::bytea);
SELECT draw(:t5, NULL, 'sha512');
SELECT draw(NULL);
SELECT draw(-1);
INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_size)
VALUES (:plan, :dep, 'no items', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', 5)
RETURNING id AS t6 \gset
SELECT draw(:t6);
UPDATE task SET approved_on = current_date WHERE id = :t6;
SELECT draw(:t6);
INSERT INTO task_item VALUES (:t6, :item);
UPDATE task SET sample_size = NULL WHERE id = :t6;
SELECT draw(:t6);
INSERT INTO plan (department_id, year, title, approved_on)
VALUES (:dep, extract(year FROM current_date)::int - 1, 'last year''s plan', current_date - 365) RETURNING id AS oldplan \gset
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
VALUES (:oldplan, :dep, 'old', date_trunc('year', current_date) - interval '1 year', date_trunc('year', current_date) - interval '1 day', current_date - 365, 5)
RETURNING id AS t7 \gset
INSERT INTO task_item VALUES (:t7, :item);
-- the check window: a task whose period has ended (last year's) is not drawn any more
DO $$ BEGIN
  PERFORM supervise.draw(t.id, supervise.seed_from('late')) FROM supervise.task t WHERE t.title = 'old';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE WARNING 'refused (%): %', SQLSTATE, regexp_replace(regexp_replace(SQLERRM, '\d{4}-\d{2}-\d{2}', 'YYYY-MM-DD', 'g'), 'task \d+', 'task N');
END $$;

-- a task cannot be moved out of its plan's year
DO $$ BEGIN
  UPDATE supervise.task SET period_start = period_start + interval '1 year', period_end = period_end + interval '1 year'
   WHERE title = 'old';
EXCEPTION WHEN check_violation THEN RAISE WARNING 'refused: %', regexp_replace(regexp_replace(SQLERRM, '\d{4}', 'YYYY', 'g'), 'plan \d+', 'plan N'); END $$;
-- a ratio out of range is refused by the table
INSERT INTO task_stratum VALUES (:t6, 'A', 1.5);
INSERT INTO task_stratum VALUES (:t6, 'A', 0);
-- building blocks refuse bad input
SELECT draw_select('\x00'::bytea, seed_from('x'), 'sha256-v1', '{}', '{}');
SELECT draw_select(population, seed, algorithm, '{A}', '{-1}') FROM draw_record WHERE id = :d1;
SELECT draw_select(population, seed, algorithm, '{A,B}', '{1}') FROM draw_record WHERE id = :d1;
SELECT draw_select(population, seed, algorithm, '{E}', '{1}') FROM draw_record WHERE id = :d1;
SELECT draw_select(population, seed, algorithm, '{A}', '{1000}') FROM draw_record WHERE id = :d1;
SELECT population_agg(u, s, w) FROM (VALUES (pg_temp.code(1), 'A', 1.0), (pg_temp.code(2), 'A', NULL)) v(u, s, w);
SELECT population_agg(u, s, w) FROM (VALUES (pg_temp.code(1), 'A', 0.0)) v(u, s, w);
SELECT population_agg(u, s, NULL) FROM (VALUES (pg_temp.code(1), 'A'), (pg_temp.code(1), 'A')) v(u, s);
SELECT population_agg(u, s, NULL) FROM (VALUES (NULL::uscc, 'A')) v(u, s);
SELECT population_agg(u, s, NULL) FROM (VALUES (pg_temp.code(1), NULL)) v(u, s);
SELECT encode(population_agg(u, s, NULL), 'hex') FROM (VALUES (pg_temp.code(2), 'B'), (pg_temp.code(1), 'A')) v(u, s);
SELECT encode(draw_digest('91350100M000100Y43', seed_from('supervise test seed')), 'hex');
-- every reader of a population checks its bytes: a version 1 row is a 12-byte packing, and one in
-- the packing range can still be no valid code (00000001..., authority 0, region 000001): refused,
-- so it cannot be stored through CREATE TABLE AS either
SELECT * FROM population_rows('\x53504f5001000001014100000001000000000001000000000000'::bytea);
CREATE TEMP TABLE crafted AS SELECT * FROM population_rows('\x53504f5001000001014100000001000000000001000000000000'::bytea);
SELECT to_regclass('pg_temp.crafted') IS NULL AS nothing_stored;
-- (the packing of a valid code, 91350100000000000H, reads)
SELECT * FROM population_rows('\x53504f50010000010141000000010039e135d23b000000000000'::bytea);
-- a stratum name that is not UTF-8 (the byte ff) is refused, by population_strata too
SELECT * FROM population_strata('\x53504f500200000101ff0000000100000007f5c8ae93bc0e00'::bytea);
DO $$ BEGIN
  PERFORM * FROM supervise.population_rows('\x53504f500200000101ff0000000100000007f5c8ae93bc0e00'::bytea);
EXCEPTION WHEN character_not_in_repertoire THEN RAISE WARNING 'population_rows: 22021 %', SQLERRM; END $$;
SELECT * FROM population_strata('\x53504f500200000106'::bytea || convert_to('信用', 'UTF8') || '\x0000000100000007f5c8ae93bc0e00'::bytea);
ROLLBACK;
