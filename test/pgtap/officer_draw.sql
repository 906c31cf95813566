-- Officers draw their own departments' tasks through the draw functions, never by writing the
-- draw tables; a joint task's matching reaches the partner department's inspectors although
-- row-level security hides them from the officer; others are refused with 42501.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(17);
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2020-01-06';

CREATE ROLE supervise_test_officer_a;
CREATE ROLE supervise_test_officer_b;
CREATE ROLE supervise_test_reader;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'B', '鼓楼区卫生健康局', 'health', 4, '350102');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')), '测试企业' || n, '350102' FROM generate_series(1, 60) n;
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (11, 1, 'SC-03', '食品经营的检查', 'food_safety'),
    (21, 2, 'HC-01', '公共场所卫生的检查', 'public_health');
INSERT INTO inspector (id, department_id, name, badge_no)
SELECT 100 + n, 1, 'A' || n, 'A-' || n FROM generate_series(1, 4) n
UNION ALL SELECT 200 + n, 2, 'B' || n, 'B-' || n FROM generate_series(1, 4) n;
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, 2020, 'A 2020', '2020-01-06'), (2, 2, 2020, 'B 2020', '2020-01-06');
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (1, 1, 1, 'joint task of A with B', '2020-03-02', '2020-06-30', '2020-02-10', 10),
    (2, 2, 2, 'B task', '2020-03-02', '2020-06-30', '2020-02-10', 5);
INSERT INTO task_item VALUES (1, 11), (1, 21), (2, 21);
SELECT grant_department_officer('supervise_test_officer_a', ARRAY[1]);
SELECT grant_department_officer('supervise_test_officer_b', ARRAY[2]);
SELECT grant_public_reader('supervise_test_reader');

-- officer B may not draw A's task; the public reader may not draw at all
SET ROLE supervise_test_officer_b;
SELECT throws_ok($$SELECT supervise.draw(1, supervise.seed_from('b'))$$, '42501', 'permission denied to draw task 1',
                 'officer B cannot draw a task initiated by A');
RESET ROLE;
SET ROLE supervise_test_reader;
SELECT throws_ok($$SELECT supervise.draw(1, supervise.seed_from('r'))$$, '42501', NULL, 'a public reader cannot draw');
RESET ROLE;

-- officer A draws and matches its joint task
SET ROLE supervise_test_officer_a;
SELECT throws_ok($$INSERT INTO supervise.draw_record (task_id, algorithm, seed, seed_source, population_size,
                       population_digest, allocation, target_count, population)
                   VALUES (1, 'sha256-v1', '\x00', 'given', 0, '\x00', '[]', 0, '\x00')$$, '42501', NULL,
                 'officer A cannot write a draw record by hand');
SELECT lives_ok($$SELECT supervise.draw(1, supervise.seed_from('officer a'))$$, 'officer A draws its own task');
SELECT is((SELECT count(*)::int FROM inspector WHERE department_id = 2), 0, 'RLS hides B''s inspectors from officer A');
SELECT lives_ok($$SELECT supervise.match_inspectors((SELECT id FROM supervise.draw_record WHERE task_id = 1))$$,
                'officer A matches inspectors for the joint task');
RESET ROLE;
SELECT is((SELECT drawn_by::text FROM draw_record WHERE task_id = 1), 'supervise_test_officer_a', 'the draw records officer A as drawn_by');
SELECT ok(verify_draw((SELECT id FROM draw_record WHERE task_id = 1)), 'the officer''s draw verifies');
SELECT is((SELECT count(*)::int FROM assignment a JOIN draw_record r ON r.id = a.draw_id WHERE r.task_id = 1 AND a.department_id = 2),
          20, 'B''s inspectors were matched too: 2 per target for 10 targets');
SELECT is((SELECT count(*)::int FROM audit_log WHERE action = 'draw' AND actor = 'supervise_test_officer_a'), 1,
          'the audit trail names officer A as the one who drew');

-- cancelling: not by B, by A with a reason kept with A's name
SET ROLE supervise_test_officer_b;
SELECT throws_ok($$SELECT supervise.cancel_draw((SELECT id FROM supervise.draw_record WHERE task_id = 1), 'b')$$, '42501', NULL,
                 'officer B cannot cancel A''s draw (it cannot even see it)');
SELECT lives_ok($$SELECT supervise.draw(2, supervise.seed_from('officer b'))$$, 'officer B draws its own task');
RESET ROLE;
CREATE TEMP TABLE b_draw AS SELECT id FROM draw_record WHERE task_id = 2;
GRANT SELECT ON b_draw TO PUBLIC;
SET ROLE supervise_test_officer_a;
SELECT throws_ok(format('SELECT supervise.match_inspectors(%s)', (SELECT id FROM b_draw)), '42501',
                 'permission denied to match inspectors for task 2', 'officer A cannot match inspectors for B''s draw');
SELECT throws_ok(format('SELECT supervise.assign_inspector(%s, %L, 101, %L)', (SELECT id FROM b_draw),
                        (SELECT uscc FROM supervise.subject ORDER BY uscc LIMIT 1), 'special case'), '42501', NULL,
                 'officer A cannot assign inspectors for B''s draw');
SELECT lives_ok($$SELECT supervise.cancel_draw((SELECT id FROM supervise.draw_record WHERE task_id = 1), 'wrong directory')$$,
                'officer A cancels its draw with a reason');
RESET ROLE;
SELECT is((SELECT cancelled_by::text || ': ' || cancel_reason FROM draw_record WHERE task_id = 1),
          'supervise_test_officer_a: wrong directory', 'the cancellation keeps who and why');
SELECT ok(NOT has_table_privilege('supervise_test_officer_a', 'supervise.draw_target', 'INSERT'),
          'officers have no INSERT on draw_target');

SELECT * FROM finish();
ROLLBACK;
