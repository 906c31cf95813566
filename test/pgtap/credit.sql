-- The credit record (信用记录归集), the list of seriously dishonest subjects (违法失信名单) with its
-- listing, removal and publication, key items' coverage cycles and a department's year.
-- Department 1 (market) and 2 (health) of 思明区; 3 of 湖里区. Dates lie in 2024 and 2025, never "today".
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(73);
-- pgTAP keeps its state in temp tables of the session user; the roles below use them too
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_market;
CREATE ROLE supervise_test_health;
CREATE ROLE supervise_test_reader;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'SM', '思明区市场监督管理局', 'market', 4, '350203'),
    (2, 'SH', '思明区卫生健康局', 'health', 4, '350203'),
    (3, 'HM', '湖里区市场监督管理局', 'market', 4, '350206');
INSERT INTO check_item (id, department_id, code, name, category, limit_exempt, exempt_reason, key_supervision) VALUES
    (11, 1, 'SC-01', '食品经营的检查', 'food', true, 'law', true),
    (12, 1, 'SC-02', '年度报告的检查', 'report', true, 'law', false),
    (21, 2, 'HC-01', '公共场所卫生的检查', 'hygiene', true, 'law', false);
-- subjects 1..6 in 思明区 (6 is not active), 7 in 湖里区
INSERT INTO subject (uscc, name, region, status)
SELECT uscc_build('91', CASE WHEN n = 7 THEN '350206' ELSE '350203' END, 'MA' || lpad(n::text, 6, '0')),
       '测试企业' || n, CASE WHEN n = 7 THEN '350206' ELSE '350203' END,
       CASE WHEN n = 6 THEN 'deregistered' ELSE 'active' END
  FROM generate_series(1, 7) n;
CREATE TEMP TABLE s AS
SELECT n, uscc_build('91', CASE WHEN n = 7 THEN '350206' ELSE '350203' END, 'MA' || lpad(n::text, 6, '0')) AS u
  FROM generate_series(1, 7) n;
GRANT SELECT ON s TO PUBLIC;
CREATE FUNCTION pg_temp.u(k integer) RETURNS uscc LANGUAGE sql STABLE AS $$ SELECT u FROM s WHERE n = k $$;

INSERT INTO plan (id, department_id, year, title, approved_on) VALUES
    (1, 1, 2025, '市监2025', '2025-02-10'), (2, 2, 2025, '卫健2025', '2025-02-10'), (3, 1, 2024, '市监2024', '2024-02-10');
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (1, 1, 1, '食品经营抽查', '2025-04-01', '2025-06-30', '2025-03-01', 3),
    (2, 2, 2, '公共场所卫生抽查', '2025-04-01', '2025-06-30', '2025-03-01', 3),
    (3, 1, 1, '食品和卫生联合抽查', '2025-05-01', '2025-07-31', '2025-03-01', 3),
    (4, 3, 1, '食品经营抽查2024', '2024-04-01', '2024-06-30', '2024-03-01', 3);
INSERT INTO task_item (task_id, item_id) VALUES (1, 11), (2, 21), (3, 12), (3, 21), (4, 11);
-- checks: subject 1 by market (task 1, result, disposal) and by health (task 2); subject 2 by
-- market in 2024 (task 4); subject 3 by market in the joint task 3
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on) VALUES
    (1, 1, pg_temp.u(1), 1, '2025-04-10', 'corrected', '2025-04-12'),
    (2, 2, pg_temp.u(1), 2, '2025-04-15', 'no_problem', '2025-04-15'),
    (3, 4, pg_temp.u(2), 1, '2024-05-06', 'no_problem', '2024-05-07'),
    (4, 3, pg_temp.u(3), 1, '2025-05-20', NULL, NULL),
    (5, 1, pg_temp.u(7), 1, '2025-04-11', 'no_problem', '2025-04-11');
INSERT INTO disposal (id, inspection_id, kind, decided_on, document_no) VALUES (1, 1, 'order', '2025-04-14', '思市监责改〔2025〕1号');

SELECT grant_department_officer('supervise_test_market', ARRAY[1]);
SELECT grant_department_officer('supervise_test_health', ARRAY[2]);
SELECT grant_public_reader('supervise_test_reader');

-- ---- listing: bad input changes nothing ----
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, NULL, '2025-05-01')$$, '22004', NULL, 'a listing without a reason is refused');
SELECT throws_ok($$SELECT list_dishonest(NULL, 1, '虚假登记', '2025-05-01')$$, '22004', NULL, 'a listing without a subject is refused');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), NULL, '虚假登记', '2025-05-01')$$, '22004', NULL, 'a listing without a department is refused');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '虚假登记', NULL)$$, '22004', NULL, 'a listing without a day is refused');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '  ', '2025-05-01')$$, '22023', NULL, 'a blank reason is refused');
SELECT throws_ok($$SELECT list_dishonest(uscc_build('91', '350203', 'MA999999'), 1, '虚假登记', '2025-05-01')$$,
                 '23503', NULL, 'a subject not in the directory is refused');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 99, '虚假登记', '2025-05-01')$$, '23503', NULL, 'an unknown department is refused');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '虚假登记', current_date + 1)$$, '22023', NULL, 'a listing day in the future is refused');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '虚假登记', '2025-05-01', NULL, 'secret')$$, '23514', NULL, 'an unknown confidentiality is refused');
SELECT is((SELECT count(*) FROM dishonesty_entry), 0::bigint, 'nothing was listed by the refused calls');

-- another department's officer may not list for the market department; a reader may not list at all
SET LOCAL ROLE supervise_test_health;
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '虚假登记', '2025-05-01')$$, '42501', NULL,
                 'an officer of another department cannot list for the market department');
RESET ROLE;
SET LOCAL ROLE supervise_test_reader;
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '虚假登记', '2025-05-01')$$, '42501', NULL, 'a public reader cannot list');
RESET ROLE;

SET LOCAL ROLE supervise_test_market;
SELECT lives_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '责令改正逾期不改正', '2025-05-01', '思市监列严〔2025〕1号')$$,
                'the market department lists subject 1');
SELECT throws_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '又一次', '2025-05-02')$$, '23505', NULL,
                 'a second listing by the same department while one is current is refused');
RESET ROLE;
SELECT id AS e1 FROM dishonesty_entry WHERE uscc = pg_temp.u(1) \gset
SELECT is((SELECT listed_by::text FROM dishonesty_entry WHERE id = :e1), 'supervise_test_market', 'the lister is recorded');
SET LOCAL ROLE supervise_test_health;
SELECT lives_ok($$SELECT list_dishonest(pg_temp.u(1), 2, '卫生许可造假', '2025-05-03')$$,
                'another department lists the same subject on its own list');
SELECT is((SELECT count(*) FROM dishonesty_entry), 2::bigint, 'an officer reads every department''s list (联合惩戒)');
RESET ROLE;

-- ---- publication items of listing and delisting ----
SELECT is((SELECT due_on FROM publication WHERE kind = 'listing' AND object_id = :e1),
          publication_deadline('listing', '2025-05-01'), 'a listing is a publication item due by publication_rule');
SELECT is((SELECT department_id FROM publication WHERE kind = 'listing' AND object_id = :e1), 1::bigint,
          'published by the listing department');
SELECT ok(EXISTS (SELECT 1 FROM publication_rule WHERE event = 'listing' AND shipped)
          AND EXISTS (SELECT 1 FROM publication_rule WHERE event = 'delisting' AND shipped), 'listing and delisting have rule rows');
UPDATE publication_rule SET amount = 3 WHERE event = 'listing';
SELECT is((SELECT due_on FROM publication WHERE kind = 'listing' AND object_id = :e1), add_workdays('2025-05-01', 3),
          'the amount is configurable and unpublished items follow it');
SET LOCAL ROLE supervise_test_reader;
SELECT is((SELECT count(*) FROM public_dishonesty_list), 0::bigint, 'an unpublished listing is not public');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT lives_ok($$SELECT mark_published('listing', (SELECT id FROM dishonesty_entry WHERE department_id = 1), '2025-05-06')$$,
                'the market officer publishes its listing');
RESET ROLE;
SET LOCAL ROLE supervise_test_reader;
SELECT results_eq($$SELECT uscc, subject_name, department_id, reason, listed_on, withheld FROM public_dishonesty_list$$,
                  $$VALUES (pg_temp.u(1)::text, '测试企业1', 1::bigint, '责令改正逾期不改正', DATE '2025-05-01', NULL::text)$$,
                  'a public reader sees the published current entry');
RESET ROLE;

-- ---- removal: only with a reason, by the listing department, never a delete ----
SELECT throws_ok(format($$SELECT delist_dishonest(%s, NULL, '2025-08-01')$$, :e1), '22023', NULL, 'a removal without a reason is refused');
SELECT throws_ok(format($$SELECT delist_dishonest(%s, ' ', '2025-08-01')$$, :e1), '22023', NULL, 'a removal with a blank reason is refused');
SELECT throws_ok($$SELECT delist_dishonest(NULL, '信用修复', '2025-08-01')$$, '22004', NULL, 'a removal without an entry is refused');
SELECT throws_ok($$SELECT delist_dishonest(999, '信用修复', '2025-08-01')$$, '42704', NULL, 'an unknown entry is refused');
SELECT throws_ok(format($$SELECT delist_dishonest(%s, '信用修复', '2025-04-01')$$, :e1), '22023', NULL, 'a removal before the listing is refused');
SELECT throws_ok(format($$SELECT delist_dishonest(%s, '信用修复', current_date + 1)$$, :e1), '22023', NULL, 'a removal in the future is refused');
SET LOCAL ROLE supervise_test_health;
SELECT throws_ok(format($$SELECT delist_dishonest(%s, '信用修复', '2025-08-01')$$, :e1), '42501', NULL,
                 'an officer of another department cannot remove the market department''s entry');
SELECT lives_ok(format($$UPDATE dishonesty_entry SET removed_on = '2025-08-01', removal_reason = 'x' WHERE id = %s$$, :e1),
                'nor change it directly: row-level security gives its UPDATE no row');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT throws_ok(format($$UPDATE dishonesty_entry SET removed_on = current_date + 1, removal_reason = '信用修复' WHERE id = %s$$, :e1),
                 '22023', NULL, 'a direct UPDATE of its own department cannot date a removal in the future');
SELECT throws_ok(format($$UPDATE dishonesty_entry SET removed_by = 'someone' WHERE id = %s$$, :e1), '42501', NULL,
                 'nor write who removed it');
SELECT throws_ok($$INSERT INTO dishonesty_entry (uscc, department_id, reason, listed_on, listed_by)
                   VALUES (pg_temp.u(2), 1, 'x', '2025-05-01', 'someone')$$, '42501', NULL, 'nor who listed');
RESET ROLE;
SELECT is((SELECT removed_on FROM dishonesty_entry WHERE id = :e1), NULL::date, 'the refused removals changed nothing');
SELECT throws_ok(format($$DELETE FROM dishonesty_entry WHERE id = %s$$, :e1), '55000', NULL, 'an entry is never deleted, even by the owner');
SELECT throws_ok($$TRUNCATE dishonesty_entry$$, '55000', NULL, 'nor truncated');
SET LOCAL session_replication_role = replica;
SELECT throws_ok(format($$DELETE FROM dishonesty_entry WHERE id = %s$$, :e1), '55000', NULL, 'nor deleted in replica mode');
RESET session_replication_role;
SELECT throws_ok(format($$UPDATE dishonesty_entry SET reason = '改了' WHERE id = %s$$, :e1), '55000', NULL, 'what a listing decided is not changed');
SET LOCAL ROLE supervise_test_market;
SELECT lives_ok(format($$SELECT delist_dishonest(%s, '信用修复：已改正并公示', '2025-08-01')$$, :e1), 'the market officer removes its entry with a reason');
SELECT throws_ok(format($$SELECT delist_dishonest(%s, '再次移出', '2025-08-02')$$, :e1), '55000', NULL, 'a removed entry is not removed again');
RESET ROLE;
SELECT throws_ok(format($$UPDATE dishonesty_entry SET removed_on = NULL, removal_reason = NULL WHERE id = %s$$, :e1), '55000', NULL,
                 'a removal is not cleared, even by the owner');
SELECT throws_ok(format($$UPDATE dishonesty_entry SET removal_reason = '别的理由' WHERE id = %s$$, :e1), '55000', NULL,
                 'nor its reason changed');
SELECT is((SELECT removed_by::text FROM dishonesty_entry WHERE id = :e1), 'supervise_test_market', 'the remover is recorded');
SELECT is((SELECT due_on FROM publication WHERE kind = 'delisting' AND object_id = :e1), publication_deadline('delisting', '2025-08-01'),
          'a removal is a publication item (delisting)');
SELECT is((SELECT count(*) FROM public_dishonesty_list), 0::bigint, 'a removed entry leaves the public list');
SELECT is((SELECT array_agg(action ORDER BY id) FROM audit_log WHERE object_kind = 'dishonesty_entry' AND object_id = :e1),
          ARRAY['list', 'delist'], 'listing and removal are in the audit trail as list and delist');
SET LOCAL ROLE supervise_test_market;
SELECT lives_ok($$SELECT list_dishonest(pg_temp.u(1), 1, '再次违法', '2025-09-01')$$, 'after a removal the subject can be listed again');
RESET ROLE;

-- ---- the subject's record from every department ----
SELECT results_eq($$SELECT kind, object_id, department_id, on_date FROM v_subject_record WHERE uscc = pg_temp.u(1)$$,
                  format($$VALUES ('check', 1::bigint, 1::bigint, DATE '2025-04-10'), ('result', 1, 1, '2025-04-12'),
                           ('disposal', 1, 1, '2025-04-14'), ('check', 2, 2, '2025-04-15'), ('result', 2, 2, '2025-04-15'),
                           ('listing', %1$s, 1, '2025-05-01'), ('listing', %1$s + 1, 2, '2025-05-03'),
                           ('delisting', %1$s, 1, '2025-08-01'), ('listing', %1$s + 2, 1, '2025-09-01')$$, :e1),
                  'a subject''s record: checks, results, disposals, listings and removals of every department, in date order');
SELECT is((SELECT count(*) FROM v_subject_record WHERE uscc = pg_temp.u(2)), 2::bigint, 'another subject''s record is its own');
-- the code reaches every branch through an index
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; t text := ''; BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r || E'\n'; END LOOP; RETURN t; END $$;
SET LOCAL enable_seqscan = off;     -- (tiny tables: the plan must be possible without a scan, asked below with it on too)
SELECT ok(pg_temp.plan_of(format($$SELECT * FROM v_subject_record WHERE uscc = %L$$, pg_temp.u(1))) !~ 'Seq Scan on (inspection|dishonesty_entry|case_transfer)',
          'the code is pushed into every branch of v_subject_record');
RESET enable_seqscan;
SELECT matches(pg_temp.plan_of(format($$SELECT * FROM v_subject_record WHERE uscc = %L$$, pg_temp.u(1))),
               'Index Cond: \(uscc = ', 'the branches filter by the code in an index condition');

-- an officer of another department sees the record, except state secrets and running surprise checks
UPDATE inspection SET confidential = 'state_secret' WHERE id = 1;
SET LOCAL ROLE supervise_test_health;
SELECT is((SELECT array_agg(kind || object_id ORDER BY on_date, kind) FROM v_subject_record WHERE uscc = pg_temp.u(1) AND kind IN ('check', 'result', 'disposal')),
          ARRAY['check2', 'result2'], 'another department does not see a check under a state secret');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT is((SELECT count(*) FROM v_subject_record WHERE uscc = pg_temp.u(1) AND department_id = 1 AND kind IN ('check', 'result', 'disposal')),
          3::bigint, 'its own department sees it');
RESET ROLE;
SET LOCAL ROLE supervise_test_reader;
SELECT throws_ok($$SELECT count(*) FROM v_subject_record$$, '42501', NULL, 'a public reader cannot read the record');
RESET ROLE;

-- ---- key items: coverage within a cycle ----
SELECT throws_ok($$UPDATE check_item SET coverage_years = 3 WHERE id = 12$$, '23514', NULL, 'only a key item has a coverage cycle');
SELECT throws_ok($$UPDATE check_item SET coverage_years = 0 WHERE id = 11$$, '23514', NULL, 'a cycle is at least a year');
UPDATE check_item SET coverage_years = 3 WHERE id = 11;
SELECT results_eq($$SELECT * FROM coverage_cycle(3, '2025-06-01')$$, $$VALUES (DATE '2024-01-01', DATE '2026-12-31')$$,
                  'cycles count from 2000');
SELECT results_eq($$SELECT item_id, department_id, in_scope, covered, uncovered FROM v_key_item_coverage WHERE cycle_start = '2024-01-01'$$,
                  $$VALUES (11::bigint, 1::bigint, 5::bigint, 2::bigint, 3::bigint)$$,
                  'coverage 2024-2026: 5 active subjects of the region, 2 checked for the item (2024 and 2025), 3 not');
SELECT results_eq($$SELECT uscc FROM uncovered_subjects(11, '2025-06-01')$$,
                  $$SELECT u FROM s WHERE n IN (3, 4, 5) ORDER BY u$$,
                  'uncovered_subjects lists them (not the inactive one, not another region''s, not a check of another item)');
SELECT is((SELECT count(*) FROM uncovered_subjects(11, '2027-03-01')), 5::bigint, 'a new cycle starts uncovered');
SELECT throws_ok($$SELECT * FROM uncovered_subjects(12)$$, '22023', NULL, 'an item without a cycle is refused');
SELECT throws_ok($$SELECT * FROM uncovered_subjects(NULL)$$, '22004', NULL, 'a NULL item is refused');
SELECT throws_ok($$SELECT * FROM uncovered_subjects(99)$$, '42704', NULL, 'an unknown item is refused');
SET LOCAL ROLE supervise_test_health;
SELECT throws_ok($$SELECT * FROM uncovered_subjects(11)$$, '42501', NULL, 'an officer of another department cannot list them');
SELECT is((SELECT count(*) FROM v_key_item_coverage), 0::bigint, 'nor read the coverage of another department''s items');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT is((SELECT count(*) FROM uncovered_subjects(11, '2025-06-01')), 3::bigint, 'the item''s department lists them');
RESET ROLE;

-- ---- a department's year ----
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (5, 1, 1, '年报抽查', '2025-09-01', '2025-12-31', '2025-08-01', 2);
INSERT INTO task_item (task_id, item_id) VALUES (5, 12);
SET LOCAL supervise.today = '2025-09-01';   -- (the check window: a day of the task's period)
SELECT draw(5, seed_from('credit')) AS d5 \gset
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on)
SELECT 6, 5, min(uscc), 1, DATE '2025-10-10' FROM draw_target WHERE draw_id = :d5;
SELECT results_eq($$SELECT tasks, drawn, inspected, completion_rate, joint_share, visits_saved FROM v_department_year
                     WHERE department_id = 1 AND year = 2025$$,
                  $$VALUES (3::bigint, 2::bigint, 4::bigint, 0.5000::numeric, 0.2500::numeric, 0::bigint)$$,
                  'market 2025: 3 tasks, 2 drawn, 4 checks, half the drawn checked, a quarter in a joint task');
SELECT results_eq($$SELECT publications_due, published_on_time, overdue FROM v_department_year WHERE department_id = 1 AND year = 2025$$,
                  $$SELECT count(*), count(*) FILTER (WHERE published_on <= due_on), count(*) FILTER (WHERE published_on IS NULL)
                      FROM publication WHERE department_id = 1 AND due_on BETWEEN '2025-01-01' AND '2025-12-31'$$,
                  'market 2025: its publication items due in the year, on time and overdue');
SELECT is((SELECT published_on_time FROM v_department_year WHERE department_id = 1 AND year = 2025), 1::bigint,
          'one of them published on time (the listing)');
SELECT results_eq($$SELECT year, tasks, inspected FROM v_department_year WHERE department_id = 1 AND year <= 2025 ORDER BY year$$,
                  $$VALUES (2024, 1::bigint, 1::bigint), (2025, 3, 4)$$,
                  'one row per year from the first with activity');
SET LOCAL ROLE supervise_test_health;
SELECT is((SELECT array_agg(DISTINCT department_id) FROM v_department_year), ARRAY[2::bigint], 'an officer sees its own departments'' years');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
