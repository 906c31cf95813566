-- Records cannot change behind the functions that keep them, and bad input is refused clearly:
-- a live draw freezes what it was made from; publishing and cancelling keep their rules on a
-- plain UPDATE; a drawn code stays; load_subjects() loads for an admin and survives repeated
-- lines; stratum_k, draw_select, sample_subjects and generate_sample refuse absurd arguments;
-- tasks lie in 2000-2200; results are not dated in the future; the public views withhold what
-- is marked confidential; tasks whose periods only touch are visited twice.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(62);
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2024-03-03';

-- ---- bad arguments (first: generate_sample wants an empty database) ----
SELECT throws_ok($$SELECT * FROM generate_sample(100, seed => NULL)$$, '22004',
                 'generate_sample needs a number of subjects and a seed, not NULL', 'generate_sample refuses a NULL seed');
SELECT throws_ok($$SELECT stratum_k(-1, 0.5, NULL)$$, '22023', NULL, 'stratum_k refuses n < 0');
SELECT throws_ok($$SELECT stratum_k(100, -0.5, NULL)$$, '22023', NULL, 'stratum_k refuses a negative ratio');
SELECT throws_ok($$SELECT stratum_k(100, 'NaN', NULL)$$, '22023', NULL, 'stratum_k refuses a NaN ratio');
SELECT throws_ok($$SELECT stratum_k(100, 1.5, NULL)$$, '22023', NULL, 'stratum_k refuses a ratio above 1');
SELECT throws_ok($$SELECT stratum_k(100, NULL, -3)$$, '22023', NULL, 'stratum_k refuses a negative size');
SELECT is(ARRAY[stratum_k(100, 0.07, NULL), stratum_k(10, NULL, 20), stratum_k(5, NULL, NULL), stratum_k(0, 0.5, NULL)],
          ARRAY[7, 10, 0, 0], 'stratum_k of good arguments is unchanged');
SET LOCAL statement_timeout = '5s';
SELECT throws_ok($$SELECT * FROM sample_subjects(9223372036854775807, 1) LIMIT 2$$, '22023', NULL,
                 'sample_subjects refuses an absurd size at once');
RESET statement_timeout;

-- ---- a small directory, two departments, a drawn task ----
INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'B', '鼓楼区卫生健康局', 'health', 4, '350102');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')), '测试企业' || n, '350102' FROM generate_series(1, 30) n;
CREATE TEMP TABLE code AS
SELECT n, uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')) AS uscc FROM generate_series(1, 40) n;
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (11, 1, 'SC-03', '食品经营的检查', 'food_safety'),
    (12, 1, 'SC-04', '产品质量的检查', 'product_quality'),
    (21, 2, 'HC-01', '公共场所卫生的检查', 'public_health');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, 2025, 'A 2025', '2025-01-06');
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (1, 1, 1, '食品抽查', '2025-03-03', '2025-06-30', '2025-02-10', 5);
INSERT INTO task_item VALUES (1, 11);
SELECT draw(1, seed_from('records')) AS d1 \gset

-- ---- 10: a live draw freezes what it was made from ----
SELECT throws_ok($$INSERT INTO task_item VALUES (1, 12)$$, '55000', NULL, 'no item added to a drawn task');
SET LOCAL row_security = off;
SELECT throws_ok($$INSERT INTO task_item VALUES (1, 12)$$, '55000', NULL,
                 'nor with row_security off: only a restore''s COPY passes (the restore triggers), not a session setting');
RESET row_security;
SELECT throws_ok($$DELETE FROM task_item WHERE task_id = 1$$, '55000', NULL, 'no item removed from a drawn task');
SELECT throws_ok($$UPDATE task SET kind = 'clue' WHERE id = 1$$, '55000', NULL, 'a drawn task does not become a clue task');
SELECT throws_ok($$UPDATE task SET sample_size = 20 WHERE id = 1$$, '55000', NULL, 'a drawn task keeps its sample size');
SELECT throws_ok($$UPDATE task SET directory_id = NULL, sample_ratio = 0.5, sample_size = NULL WHERE id = 1$$, '55000', NULL,
                 'a drawn task keeps its sampling');
SELECT throws_ok($$INSERT INTO task_stratum VALUES (1, 'A', 0.5)$$, '55000', NULL, 'no credit stratum added to a drawn task');
SELECT throws_ok($$UPDATE task SET period_start = '2024-03-03', period_end = '2024-06-30', plan_id = NULL WHERE id = 1$$, '55000', NULL,
                 'a drawn task stays in its year');
SELECT lives_ok($$UPDATE task SET title = '食品安全抽查', period_end = '2025-07-31' WHERE id = 1$$,
                'the title and the end of the period may still change');
SELECT lives_ok(format('SELECT cancel_draw(%s, %L)', :d1, 'items to add'), 'cancel the draw');
SELECT lives_ok($$INSERT INTO task_item VALUES (1, 12)$$, 'after the cancel, items may be added');
SELECT lives_ok($$DELETE FROM task_item WHERE task_id = 1 AND item_id = 12$$, '... and removed');
SELECT draw(1, seed_from('records 2')) AS d2 \gset

-- ---- 11: cancelling and publishing keep their rules on UPDATE ----
SELECT throws_ok(format('UPDATE draw_record SET cancelled_at = now() WHERE id = %s', :d2), '22023',
                 'a draw is cancelled only with a reason', 'UPDATE draw_record SET cancelled_at without a reason is refused');
SELECT throws_ok(format('UPDATE draw_record SET cancelled_at = now(), cancel_reason = %L WHERE id = %s', '  ', :d2), '22023',
                 NULL, '... and with a blank reason');
SELECT is((SELECT cancelled_at FROM draw_record WHERE id = :d2), NULL, 'the draw is still live');
CREATE ROLE supervise_test_officer_a;
SELECT grant_department_officer('supervise_test_officer_a', ARRAY[1]);
SELECT mark_published('plan', 1, '2025-01-10');
SET ROLE supervise_test_officer_a;
SELECT throws_ok($$UPDATE supervise.publication SET published_on = NULL WHERE kind = 'plan' AND object_id = 1$$, '55000', NULL,
                 'an officer cannot unpublish an item by UPDATE');
SELECT throws_ok($$UPDATE supervise.publication SET published_on = current_date + 30 WHERE kind = 'plan' AND object_id = 1$$, '22023',
                 NULL, 'an officer cannot date a publication in the future by UPDATE');
SELECT lives_ok($$UPDATE supervise.publication SET published_on = '2025-01-09' WHERE kind = 'plan' AND object_id = 1$$,
                'an officer may correct the date to another past day');
RESET ROLE;
SELECT throws_ok($$SELECT mark_published('plan', 1, current_date + 1)$$, '22023', NULL, 'mark_published still refuses a future date');
SELECT is((SELECT published_on FROM publication WHERE kind = 'plan' AND object_id = 1), DATE '2025-01-09', 'the item keeps its date');

-- ---- 12: a drawn code stays ----
SELECT uscc::text AS drawn FROM draw_target WHERE draw_id = :d2 ORDER BY uscc LIMIT 1 \gset
SELECT throws_ok(format('UPDATE subject SET uscc = %L WHERE uscc = %L', (SELECT uscc FROM code WHERE n = 40), :'drawn'), '23503', NULL,
                 'the code of a drawn subject cannot be changed');
SELECT throws_ok(format('DELETE FROM subject WHERE uscc = %L', :'drawn'), '23503', NULL, 'a drawn subject cannot be deleted');
SELECT uscc::text AS first_drawn FROM draw_target WHERE draw_id = :d1 ORDER BY uscc LIMIT 1 \gset
SELECT throws_ok(format('DELETE FROM subject WHERE uscc = %L', :'first_drawn'), '23503', NULL,
                 'nor one drawn only by a cancelled draw (the record is kept)');
SELECT lives_ok(format('UPDATE subject SET uscc = %L WHERE uscc = %L', (SELECT uscc FROM code WHERE n = 39),
                       (SELECT s.uscc FROM subject s WHERE NOT EXISTS (SELECT 1 FROM draw_target t WHERE t.uscc = s.uscc)
                         ORDER BY s.uscc DESC LIMIT 1)),
                'the code of a subject never drawn can be corrected');
SELECT is((SELECT count(*)::int FROM public_targets), 0, 'nothing published yet');

-- ---- 13: load_subjects for an admin, and with repeated lines ----
CREATE ROLE supervise_test_admin;
SELECT grant_admin('supervise_test_admin');
INSERT INTO subject_staging (uscc, name) VALUES ((SELECT uscc::text FROM code WHERE n = 31), '新企业31');
SET ROLE supervise_test_admin;
SELECT lives_ok($$SELECT * FROM supervise.load_subjects()$$, 'an admin loads the staged subjects');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM subject_staging), 0, 'and the staging table is emptied');
CREATE TEMP TABLE own_staging (LIKE subject_staging INCLUDING DEFAULTS);
ALTER TABLE own_staging ALTER COLUMN line DROP NOT NULL;
INSERT INTO own_staging (line, uscc, name) VALUES
    (1, (SELECT uscc::text FROM code WHERE n = 32), 'first'),
    (1, (SELECT uscc::text FROM code WHERE n = 32), 'second, same line'),
    (2, (SELECT uscc::text FROM code WHERE n = 33), 'a line'),
    (NULL, (SELECT uscc::text FROM code WHERE n = 33), 'no line'),
    (NULL, (SELECT uscc::text FROM code WHERE n = 34), 'no line 1'),
    (NULL, (SELECT uscc::text FROM code WHERE n = 34), 'no line 2');
SELECT results_eq($$SELECT staged, inserted, rejected FROM load_subjects('own_staging', empty_source => false)$$,
                  $$VALUES (6::bigint, 3::bigint, 3::bigint)$$, 'repeated and missing lines: one row per code loaded, the others rejected');
SELECT is((SELECT array_agg(name ORDER BY uscc) FROM subject WHERE uscc IN (SELECT uscc FROM code WHERE n BETWEEN 32 AND 34)),
          ARRAY['second, same line', 'a line', 'no line 2'], 'the row stored last wins among equal lines; a numbered line wins over none');
SELECT is((SELECT count(*)::int FROM subject_reject WHERE reason LIKE 'duplicate:%'), 3, 'the three others are kept as duplicates');

-- ---- 14: draw_select checks k against the population before allocating ----
SELECT throws_ok(format($$SELECT draw_select(population, seed, algorithm, '{all}', '{2147483647}') FROM draw_record WHERE id = %s$$, :d2),
                 '22023', 'cannot draw with sha256-v1', 'an absurd k is "fewer rows than k", not out of memory');

-- ---- 15: tasks lie in 2000-2200; results are not dated in the future ----
SELECT throws_ok($$INSERT INTO task (department_id, kind, title, period_start, period_end, sample_size)
                   VALUES (1, 'special', 'bc', '4713-01-01 BC', '4713-02-01 BC', 3)$$, '23514', NULL, 'a task in 4713 BC is refused');
SELECT throws_ok($$INSERT INTO task (department_id, kind, title, period_start, period_end, sample_size)
                   VALUES (1, 'special', 'far', '294276-01-01', '294276-02-01', 3)$$, '23514', NULL, 'a task in 294276 is refused');
SELECT throws_ok($$INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_size)
                   VALUES (1, 1, 'bc in a plan', '4713-01-01 BC', '4713-02-01 BC', 3)$$, '23514',
                 'new row for relation "task" violates check constraint "task period lies in the years 2000 to 2200"',
                 'a task of a plan in 4713 BC is refused by the range, not printed as another year');
SELECT throws_ok($$SELECT add_workdays('4713-01-01 BC', 1)$$, '22008', 'working days are not defined for the year 4713 BC',
                 'a year before the Common Era is named as such, not as year -4712');
SELECT throws_ok($$SELECT add_workdays('2200-12-30', 5)$$, '55000', 'holiday calendar for year 2200 is not loaded',
                 'a loadable year that is not loaded is still reported as before');

-- ---- 16: tasks whose periods only touch are two visits ----
-- (a subject added after task 1 was drawn, so that only tasks 3 and 4 have it)
INSERT INTO subject (uscc, name, region) VALUES ((SELECT uscc FROM code WHERE n = 35), '测试企业35', '350102');
INSERT INTO directory (id, department_id, name, kind) VALUES (1, 1, 'one subject', 'joint');
INSERT INTO directory_member VALUES (1, (SELECT uscc FROM code WHERE n = 35));
INSERT INTO task (id, department_id, kind, title, period_start, period_end, approved_on, sample_size, directory_id) VALUES
    (3, 1, 'special', 'March', '2025-03-01', '2025-03-31', '2025-02-10', 1, 1),
    (4, 2, 'special', 'April', '2025-04-01', '2025-04-30', '2025-02-10', 1, 1);
INSERT INTO task_item VALUES (3, 12), (4, 21);
SELECT draw(3, seed_from('march')), draw(4, seed_from('april'));
SELECT plan_visits(2025);
SELECT is((SELECT count(*)::int FROM visit WHERE uscc = (SELECT uscc FROM code WHERE n = 35)), 2,
          'a subject of two tasks whose periods only touch (31 March, 1 April) gets two visits');
SELECT is((SELECT array_agg(task_ids ORDER BY window_start) FROM v_joint_visits WHERE uscc = (SELECT uscc FROM code WHERE n = 35))::text,
          '{{3},{4}}', 'one visit per task');

-- results are not dated in the future
SELECT id AS v4 FROM visit WHERE uscc = (SELECT uscc FROM code WHERE n = 35) AND task_set_id IN (SELECT id FROM visit_task_set WHERE task_ids = '{4}') \gset
SELECT throws_ok(format($$SELECT record_visit_result(%s, 2, 'no_problem', current_date + 700, '2025-04-10')$$, :v4), '22023', NULL,
                 'a result dated two years ahead is refused');
SELECT lives_ok(format($$SELECT record_visit_result(%s, 2, 'no_problem', '2025-04-12', '2025-04-10')$$, :v4), 'a result of the past is recorded');

-- ---- 16: the public views withhold what is marked confidential ----
INSERT INTO plan (id, department_id, year, title, approved_on, confidential) VALUES
    (2, 1, 2025, 'trade secret plan', '2025-01-06', 'trade_secret'),
    (3, 1, 2025, 'private plan', '2025-01-06', 'personal_privacy');
SELECT mark_published('plan', 2, '2025-01-10'), mark_published('plan', 3, '2025-01-10');
SELECT results_eq($$SELECT plan_id, title, withheld FROM public_plans ORDER BY plan_id$$,
                  $$VALUES (1::bigint, 'A 2025'::text, NULL::text), (2, NULL, 'trade_secret'), (3, NULL, 'personal_privacy')$$,
                  'public_plans withholds the title of a plan marked trade_secret or personal_privacy');
UPDATE task SET confidential = 'trade_secret' WHERE id = 4;
SELECT mark_published('target_list', 4, current_date);
SELECT mark_published('result', (SELECT id FROM inspection WHERE task_id = 4), '2025-04-20');
SELECT results_eq($$SELECT task_title, withheld FROM public_targets WHERE task_id = 4$$,
                  $$VALUES (NULL::text, 'trade_secret'::text)$$, 'public_targets withholds the title of a task marked trade_secret');
SELECT results_eq($$SELECT task_title, subject_name FROM public_results WHERE task_id = 4$$,
                  $$VALUES (NULL::text, '测试企业35'::text)$$, 'public_results withholds the task title, not the subject''s name');
UPDATE task SET confidential = NULL WHERE id = 4;
SELECT is((SELECT task_title FROM public_targets WHERE task_id = 4), 'April', 'unmarked, public_targets shows the title');
SELECT is((SELECT task_title FROM public_results WHERE task_id = 4), 'April', 'unmarked, public_results shows the title');

-- ---- 15: a caller's value is quoted in a message whole up to 64 characters, else cut ----
CREATE FUNCTION pg_temp.message_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END $$;
SELECT is(message_value(repeat('é', 100)), repeat('é', 64) || '…', 'message_value cuts at 64 characters (not bytes) and marks the cut');
SELECT is(message_value(repeat('é', 64)), repeat('é', 64), 'a value of 64 characters is shown whole');
SELECT cmp_ok(length(pg_temp.message_of($$SELECT repeat('x', 1000000)::supervise.uscc$$)), '<', 200,
              'a megabyte that is not a code is not echoed whole');
SELECT cmp_ok(length(pg_temp.message_of($$SELECT supervise.draw(1, NULL, repeat('a', 1000000))$$)), '<', 200,
              'nor a megabyte of algorithm name');
SELECT cmp_ok(length(pg_temp.message_of($$SELECT supervise.mark_published(repeat('k', 1000000), 1, '2025-01-01')$$)), '<', 200,
              'nor a megabyte of publication kind');
SELECT cmp_ok(length(pg_temp.message_of(format($$SELECT supervise.record_visit_result(%s, 2, repeat('r', 1000000), '2025-04-12', '2025-04-10')$$, :v4))), '<', 200,
              'nor a megabyte of result code');
SELECT cmp_ok(length(pg_temp.message_of($$SELECT supervise.set_calendar_day('2025-01-01', repeat('w', 1000000))$$)), '<', 200,
              'nor a megabyte of calendar day kind');
INSERT INTO subject_staging (uscc, name, status) VALUES ((SELECT uscc::text FROM code WHERE n = 36), 'big status', repeat('s', 1000000));
SELECT is((SELECT rejected FROM load_subjects()), 1::bigint, 'a row with a megabyte of status is rejected');
SELECT cmp_ok((SELECT length(reason) FROM subject_reject WHERE name = 'big status'), '<', 200, 'and its reason quotes the status cut short');

SELECT * FROM finish();
ROLLBACK;
