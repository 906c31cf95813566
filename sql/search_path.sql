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
SELECT count(*) AS sample_tables FROM supervise.generate_sample(300, 1);
INSERT INTO supervise.subject_staging (uscc, name, region, industry, credit_class, risk_level, status) VALUES
    ('91350100M000100Y43', ' 福州测试有限公司 ', '', ' 餐饮服务 ', 'a', '', ''),
    ('91350100m000100y43', '同一代码', NULL, NULL, 'c', '3', 'ACTIVE'),
    ('91350100M000100Y44', '校验位错误', NULL, NULL, NULL, NULL, NULL),
    ('', '没有代码', NULL, NULL, NULL, NULL, NULL),
    ('91350100M000100Y43', '最后一行', '350102', NULL, 'B', '2', 'suspended');
SELECT staged, inserted, updated, unchanged, rejected FROM supervise.load_subjects();
INSERT INTO supervise.plan (department_id, year, title, approved_on)
SELECT d.id, y, '鼓楼区' || y || '年度抽查计划', '2024-09-27'
  FROM supervise.department d, (VALUES (2024), (extract(year FROM current_date)::integer)) v(y)
 WHERE d.code OPERATOR(pg_catalog.=) 'SAMR-350102';
INSERT INTO supervise.task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size, directory_id)
SELECT p.id, p.department_id, p.title || '·食品经营', make_date(p.year, 10, 8), make_date(p.year, 12, 31), '2024-09-27', 5, dir.id
  FROM supervise.plan p JOIN supervise.directory dir ON dir.department_id OPERATOR(pg_catalog.=) p.department_id;
INSERT INTO supervise.task_item (task_id, item_id)
SELECT t.id, ci.id FROM supervise.task t JOIN supervise.check_item ci ON ci.department_id OPERATOR(pg_catalog.=) t.department_id
 WHERE ci.code OPERATOR(pg_catalog.=) ANY (ARRAY['SC-01', 'SC-03']);
SELECT supervise.draw(t.id, supervise.seed_from('search path test')) IS NOT NULL AS drawn
  FROM supervise.task t JOIN supervise.plan p ON p.id OPERATOR(pg_catalog.=) t.plan_id
 WHERE p.year OPERATOR(pg_catalog.=) extract(year FROM current_date)::integer;
SELECT count(*) AS targets FROM supervise.draw_target;
SELECT supervise.match_inspectors(r.id) AS assignments, supervise.verify_draw(r.id) AS verified FROM supervise.draw_record r;
INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT t.id, m.uscc, t.department_id, '2024-10-09', 'corrected', '2024-10-09'
  FROM supervise.task t JOIN supervise.plan p ON p.id OPERATOR(pg_catalog.=) t.plan_id
  JOIN LATERAL (SELECT dm.uscc FROM supervise.directory_member dm WHERE dm.directory_id OPERATOR(pg_catalog.=) t.directory_id
                 ORDER BY dm.uscc LIMIT 2) m ON true
 WHERE p.year OPERATOR(pg_catalog.=) 2024;
INSERT INTO supervise.disposal (inspection_id, kind, decided_on) SELECT i.id, 'order', '2024-10-10' FROM supervise.inspection i;
SELECT count(*) AS published FROM (
    SELECT supervise.mark_published(p.kind, p.object_id, p.due_on) FROM supervise.publication p
     WHERE p.due_on OPERATOR(pg_catalog.<) '2025-01-01'::date) x;
SELECT supervise.publication_deadline('result', '2024-09-27') AS result_due,
       supervise.publication_deadline('disposal', '2024-09-30') AS disposal_due,
       supervise.add_workdays('2024-09-30', 3) AS plus_3, supervise.workdays_between('2024-09-27', '2024-10-12') AS between,
       supervise.is_superior((SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'SAMR-3501'),
                             (SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'SAMR-350102')) AS city_over_county,
       supervise.is_superior((SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'EE-3501'),
                             (SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'SAMR-350102')) AS other_system,
       supervise.uscc_is_valid('91350100m000100y43') AS valid, supervise.uscc_is_valid('91350100M000100Y44') AS invalid;
SELECT (SELECT count(*) FROM supervise.public_plans) AS public_plans, (SELECT count(*) FROM supervise.public_tasks) AS public_tasks,
       (SELECT count(*) FROM supervise.public_results) AS public_results, (SELECT count(*) FROM supervise.public_targets) AS public_targets;
SELECT md5(string_agg(v::text, '|' ORDER BY v::text)) AS fp_views FROM (
    SELECT to_jsonb(x) - 'plan_id' FROM supervise.public_plans x UNION ALL
    SELECT to_jsonb(x) - '{task_id,plan_id,department_id,department_ids}'::text[] FROM supervise.public_tasks x UNION ALL
    SELECT to_jsonb(x) - '{result_id,task_id,department_id}'::text[] FROM supervise.public_results x) f(v) \gset
SET LOCAL search_path = pg_catalog, supervise;
SELECT md5(string_agg(x, '|' ORDER BY x)) AS fp_tables FROM (
    SELECT format('d %s %s %s %s %s', code, name, system, level, region) FROM department UNION ALL
    SELECT format('s %s %s %s %s %s %s %s', uscc, name, region, industry, credit_class, risk_level, status) FROM subject UNION ALL
    SELECT format('k %s %s %s %s', d.code, ci.code, ci.category, ci.limit_exempt) FROM check_item ci JOIN department d ON d.id = ci.department_id UNION ALL
    SELECT format('i %s %s %s %s', d.code, i.name, i.badge_no, i.active) FROM inspector i JOIN department d ON d.id = i.department_id UNION ALL
    SELECT format('c %s %s', i.badge_no, c.uscc) FROM inspector_conflict c JOIN inspector i ON i.id = c.inspector_id UNION ALL
    SELECT format('m %s %s', dir.name, m.uscc) FROM directory_member m JOIN directory dir ON dir.id = m.directory_id UNION ALL
    SELECT format('r %s %s', r.uscc, regexp_replace(r.reason, 'line [0-9]+', 'line N')) FROM subject_reject r UNION ALL
    SELECT format('t %s %s %s %s', t.title, t.period_start, t.period_end, t.approved_on) FROM task t UNION ALL
    SELECT format('g %s %s %s', dt.uscc, dt.stratum, dt.rank) FROM draw_target dt UNION ALL
    SELECT format('a %s %s %s', i.badge_no, a.uscc, a.department_id IS NOT NULL) FROM assignment a JOIN inspector i ON i.id = a.inspector_id UNION ALL
    SELECT format('x %s %s %s %s', d.population_size, encode(d.population_digest, 'hex'), d.allocation, d.target_count) FROM draw_record d UNION ALL
    SELECT format('n %s %s %s', i.uscc, i.result_code, i.result_on) FROM inspection i UNION ALL
    SELECT format('p %s %s %s %s %s %s', p.kind, p.occurred_on, p.event_on, p.due_on, p.provisional, p.published_on) FROM publication p
) f(x) \gset clean_
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
SELECT count(*) AS sample_tables FROM supervise.generate_sample(300, 1);
INSERT INTO supervise.subject_staging (uscc, name, region, industry, credit_class, risk_level, status) VALUES
    ('91350100M000100Y43', ' 福州测试有限公司 ', '', ' 餐饮服务 ', 'a', '', ''),
    ('91350100m000100y43', '同一代码', NULL, NULL, 'c', '3', 'ACTIVE'),
    ('91350100M000100Y44', '校验位错误', NULL, NULL, NULL, NULL, NULL),
    ('', '没有代码', NULL, NULL, NULL, NULL, NULL),
    ('91350100M000100Y43', '最后一行', '350102', NULL, 'B', '2', 'suspended');
SELECT staged, inserted, updated, unchanged, rejected FROM supervise.load_subjects();
INSERT INTO supervise.plan (department_id, year, title, approved_on)
SELECT d.id, y, '鼓楼区' || y || '年度抽查计划', '2024-09-27'
  FROM supervise.department d, (VALUES (2024), (extract(year FROM current_date)::integer)) v(y)
 WHERE d.code OPERATOR(pg_catalog.=) 'SAMR-350102';
INSERT INTO supervise.task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size, directory_id)
SELECT p.id, p.department_id, p.title || '·食品经营', make_date(p.year, 10, 8), make_date(p.year, 12, 31), '2024-09-27', 5, dir.id
  FROM supervise.plan p JOIN supervise.directory dir ON dir.department_id OPERATOR(pg_catalog.=) p.department_id;
INSERT INTO supervise.task_item (task_id, item_id)
SELECT t.id, ci.id FROM supervise.task t JOIN supervise.check_item ci ON ci.department_id OPERATOR(pg_catalog.=) t.department_id
 WHERE ci.code OPERATOR(pg_catalog.=) ANY (ARRAY['SC-01', 'SC-03']);
SELECT supervise.draw(t.id, supervise.seed_from('search path test')) IS NOT NULL AS drawn
  FROM supervise.task t JOIN supervise.plan p ON p.id OPERATOR(pg_catalog.=) t.plan_id
 WHERE p.year OPERATOR(pg_catalog.=) extract(year FROM current_date)::integer;
SELECT count(*) AS targets FROM supervise.draw_target;
SELECT supervise.match_inspectors(r.id) AS assignments, supervise.verify_draw(r.id) AS verified FROM supervise.draw_record r;
INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT t.id, m.uscc, t.department_id, '2024-10-09', 'corrected', '2024-10-09'
  FROM supervise.task t JOIN supervise.plan p ON p.id OPERATOR(pg_catalog.=) t.plan_id
  JOIN LATERAL (SELECT dm.uscc FROM supervise.directory_member dm WHERE dm.directory_id OPERATOR(pg_catalog.=) t.directory_id
                 ORDER BY dm.uscc LIMIT 2) m ON true
 WHERE p.year OPERATOR(pg_catalog.=) 2024;
INSERT INTO supervise.disposal (inspection_id, kind, decided_on) SELECT i.id, 'order', '2024-10-10' FROM supervise.inspection i;
SELECT count(*) AS published FROM (
    SELECT supervise.mark_published(p.kind, p.object_id, p.due_on) FROM supervise.publication p
     WHERE p.due_on OPERATOR(pg_catalog.<) '2025-01-01'::date) x;
SELECT supervise.publication_deadline('result', '2024-09-27') AS result_due,
       supervise.publication_deadline('disposal', '2024-09-30') AS disposal_due,
       supervise.add_workdays('2024-09-30', 3) AS plus_3, supervise.workdays_between('2024-09-27', '2024-10-12') AS between,
       supervise.is_superior((SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'SAMR-3501'),
                             (SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'SAMR-350102')) AS city_over_county,
       supervise.is_superior((SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'EE-3501'),
                             (SELECT id FROM supervise.department WHERE code OPERATOR(pg_catalog.=) 'SAMR-350102')) AS other_system,
       supervise.uscc_is_valid('91350100m000100y43') AS valid, supervise.uscc_is_valid('91350100M000100Y44') AS invalid;
SELECT (SELECT count(*) FROM supervise.public_plans) AS public_plans, (SELECT count(*) FROM supervise.public_tasks) AS public_tasks,
       (SELECT count(*) FROM supervise.public_results) AS public_results, (SELECT count(*) FROM supervise.public_targets) AS public_targets;
SELECT md5(string_agg(v::text, '|' ORDER BY v::text)) AS fp_views_2 FROM (
    SELECT to_jsonb(x) - 'plan_id' FROM supervise.public_plans x UNION ALL
    SELECT to_jsonb(x) - '{task_id,plan_id,department_id,department_ids}'::text[] FROM supervise.public_tasks x UNION ALL
    SELECT to_jsonb(x) - '{result_id,task_id,department_id}'::text[] FROM supervise.public_results x) f(v) \gset
SET LOCAL search_path = pg_catalog, supervise;
SELECT md5(string_agg(x, '|' ORDER BY x)) AS fp_tables FROM (
    SELECT format('d %s %s %s %s %s', code, name, system, level, region) FROM department UNION ALL
    SELECT format('s %s %s %s %s %s %s %s', uscc, name, region, industry, credit_class, risk_level, status) FROM subject UNION ALL
    SELECT format('k %s %s %s %s', d.code, ci.code, ci.category, ci.limit_exempt) FROM check_item ci JOIN department d ON d.id = ci.department_id UNION ALL
    SELECT format('i %s %s %s %s', d.code, i.name, i.badge_no, i.active) FROM inspector i JOIN department d ON d.id = i.department_id UNION ALL
    SELECT format('c %s %s', i.badge_no, c.uscc) FROM inspector_conflict c JOIN inspector i ON i.id = c.inspector_id UNION ALL
    SELECT format('m %s %s', dir.name, m.uscc) FROM directory_member m JOIN directory dir ON dir.id = m.directory_id UNION ALL
    SELECT format('r %s %s', r.uscc, regexp_replace(r.reason, 'line [0-9]+', 'line N')) FROM subject_reject r UNION ALL
    SELECT format('t %s %s %s %s', t.title, t.period_start, t.period_end, t.approved_on) FROM task t UNION ALL
    SELECT format('g %s %s %s', dt.uscc, dt.stratum, dt.rank) FROM draw_target dt UNION ALL
    SELECT format('a %s %s %s', i.badge_no, a.uscc, a.department_id IS NOT NULL) FROM assignment a JOIN inspector i ON i.id = a.inspector_id UNION ALL
    SELECT format('x %s %s %s %s', d.population_size, encode(d.population_digest, 'hex'), d.allocation, d.target_count) FROM draw_record d UNION ALL
    SELECT format('n %s %s %s', i.uscc, i.result_code, i.result_on) FROM inspection i UNION ALL
    SELECT format('p %s %s %s %s %s %s', p.kind, p.occurred_on, p.event_on, p.due_on, p.provisional, p.published_on) FROM publication p
) f(x) \gset planted_
SELECT :'clean_fp_tables' = :'planted_fp_tables' AS same_tables, :'fp_views' = :'fp_views_2' AS same_public_views;
ROLLBACK;
