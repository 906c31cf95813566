-- The standing list of joint-check scenarios (检查场景清单) and scenario_task: the joint task of a
-- scenario, initiated by its lead department (牵头单位), with the items of every partner
-- (协同单位); who may make it, what it refuses, and that the joint task draws and matches as any.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(36);
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_lead;
CREATE ROLE supervise_test_partner;
CREATE ROLE supervise_test_other;
CREATE ROLE supervise_test_reader;
CREATE ROLE supervise_test_admin;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'SC', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'WJ', '鼓楼区卫生健康局', 'health', 4, '350102'),
    (3, 'WL', '鼓楼区文化和旅游局', 'culture', 4, '350102');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')), '测试企业' || n, '350102' FROM generate_series(1, 60) n;
INSERT INTO check_item (id, department_id, code, name, category, active) VALUES
    (11, 1, 'SC-03', '食品经营的检查', 'food_safety', true),
    (12, 1, 'SC-05', '价格行为的检查', 'price', true),
    (21, 2, 'HC-01', '公共场所卫生的检查', 'public_health', true),
    (31, 3, 'WL-01', '娱乐场所的检查', 'entertainment', true),
    (32, 3, 'WL-09', '已停用的检查', 'old', false);
INSERT INTO inspector (id, department_id, name, badge_no)
SELECT 100 + n, 1, 'SC' || n, 'SC-' || n FROM generate_series(1, 4) n
UNION ALL SELECT 200 + n, 2, 'WJ' || n, 'WJ-' || n FROM generate_series(1, 4) n;
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, 2020, 'SC 2020', '2020-01-06'), (2, 2, 2020, 'WJ 2020', '2020-01-06');
SELECT grant_department_officer('supervise_test_lead', ARRAY[1]);
SELECT grant_department_officer('supervise_test_partner', ARRAY[2]);
SELECT grant_department_officer('supervise_test_other', ARRAY[3]);
SELECT grant_public_reader('supervise_test_reader');
SELECT grant_admin('supervise_test_admin');

-- ---- the list ----
SELECT throws_ok($$INSERT INTO joint_scenario (name, lead_department_id) VALUES ('x', 99)$$, '23503', NULL,
                 'a scenario of an unknown lead department is refused');
SELECT throws_ok($$INSERT INTO joint_scenario (name, lead_department_id) VALUES ('  ', 1)$$, '23514', NULL,
                 'a scenario without a name is refused');
SELECT throws_ok($$INSERT INTO joint_scenario (name, lead_department_id) VALUES (NULL, 1)$$, '23502', NULL,
                 'a scenario name is not NULL');
INSERT INTO joint_scenario (id, name, lead_department_id) VALUES
    (1, '餐饮服务综合查一次', 1),          -- market leads, health takes part
    (2, '只有本部门事项', 1),              -- items of one department
    (3, '没有事项', 1),
    (4, '含停用事项', 2);                  -- led by health, an inactive item
INSERT INTO joint_scenario_item (scenario_id, item_id) VALUES (1, 11), (1, 12), (1, 21), (2, 11), (2, 12), (4, 21), (4, 32);
SELECT throws_ok($$INSERT INTO joint_scenario_item (scenario_id, item_id) VALUES (1, 999)$$, '23503', NULL,
                 'an unknown item is refused');
SELECT throws_ok($$INSERT INTO joint_scenario_item (scenario_id, item_id) VALUES (99, 11)$$, '23503', NULL,
                 'an item of an unknown scenario is refused');
SELECT throws_ok($$INSERT INTO joint_scenario (name, lead_department_id) VALUES ('餐饮服务综合查一次', 1)$$, '23505', NULL,
                 'a lead department names a scenario once');
SELECT is((SELECT count(*) FROM audit_log WHERE object_kind IN ('joint_scenario', 'joint_scenario_item') AND action = 'create'),
          11::bigint, 'the list is audited');
SELECT results_eq($$SELECT object_kind, object_id, department_id, count(*) FROM audit_log
                     WHERE object_kind IN ('joint_scenario', 'joint_scenario_item') GROUP BY 1, 2, 3 ORDER BY 1, 2$$,
                  $$VALUES ('joint_scenario'::text, 1::bigint, 1::bigint, 1::bigint), ('joint_scenario', 2, 1, 1), ('joint_scenario', 3, 1, 1),
                           ('joint_scenario', 4, 2, 1), ('joint_scenario_item', 1, 1, 3), ('joint_scenario_item', 2, 1, 2),
                           ('joint_scenario_item', 4, 2, 2)$$,
                  'a scenario and its items are audited under the scenario, for its lead department');

-- who reads the list: the lead and partner departments' officers, each its own scenarios
SET ROLE supervise_test_partner;
SELECT is(ARRAY(SELECT id FROM joint_scenario ORDER BY id), ARRAY[1, 4]::bigint[], 'a partner reads the scenarios it takes part in');
SELECT is((SELECT count(*) FROM joint_scenario_item WHERE scenario_id = 1), 3::bigint, 'and all their items');
SELECT throws_ok($$INSERT INTO joint_scenario (name, lead_department_id) VALUES ('自定', 2)$$, '42501', NULL,
                 'an officer does not write the list');
RESET ROLE;
SET ROLE supervise_test_other;
SELECT is(ARRAY(SELECT id FROM joint_scenario ORDER BY id), ARRAY[4]::bigint[], 'another department reads only the scenario with its item');
RESET ROLE;
SET ROLE supervise_test_reader;
SELECT throws_ok('SELECT count(*) FROM supervise.joint_scenario', '42501', NULL, 'a public reader reads no scenario');
RESET ROLE;

-- ---- scenario_task: bad input, who may call it ----
SELECT count(*) AS tasks_before FROM task \gset
SELECT throws_ok($$SELECT scenario_task(NULL, 't', '2020-04-01', '2020-04-30')$$, '22004', 'scenario_id must not be NULL', 'NULL scenario');
SELECT throws_ok($$SELECT scenario_task(1, NULL, '2020-04-01', '2020-04-30')$$, '22004', 'title must not be NULL', 'NULL title');
SELECT throws_ok($$SELECT scenario_task(1, 't', NULL, '2020-04-30')$$, '22004', 'period_start must not be NULL', 'NULL period_start');
SELECT throws_ok($$SELECT scenario_task(99, 't', '2020-04-01', '2020-04-30')$$, '42704', 'joint scenario 99 does not exist', 'unknown scenario');
SELECT throws_ok($$SELECT scenario_task(2, 't', '2020-04-01', '2020-04-30')$$, '55000', 'joint scenario 2 has items of only one department',
                 'a scenario with the items of one department makes no joint task');
SELECT throws_ok($$SELECT scenario_task(3, 't', '2020-04-01', '2020-04-30')$$, '55000', 'joint scenario 3 has no items',
                 'a scenario without items makes no task');
SELECT throws_ok($$SELECT scenario_task(4, 't', '2020-04-01', '2020-04-30')$$, '55000', 'item 32 (WL-09) of joint scenario 4 is not active',
                 'a scenario with an inactive item makes no task');
SELECT throws_ok($$SELECT scenario_task(1, 't', '2020-04-01', '2020-04-30', plan_id => 2)$$, '22023',
                 'plan 2 is department 2''s, not the lead department 1''s', 'a plan of another department is refused');
SELECT throws_ok($$SELECT scenario_task(1, 't', '2020-04-01', '2020-04-30', plan_id => 99)$$, '23503', 'plan 99 does not exist',
                 'an unknown plan is refused');
SELECT throws_ok($$SELECT scenario_task(1, 't', '2020-04-01', '2020-04-30', inspector_scope => 'all')$$, '23514', NULL,
                 'an inspector_scope other than own or subordinate is refused');
SELECT throws_ok($$SELECT scenario_task(1, 't', '2020-04-30', '2020-04-01')$$, '23514', NULL, 'a period that ends before it starts is refused');
SELECT throws_ok($$SELECT scenario_task(1, 't', '2020-04-01', '2020-04-30', plan_id => 1, sample_ratio => 0.1, sample_size => 3)$$,
                 '23514', NULL, 'sampling by ratio and size at once is refused');
SET ROLE supervise_test_partner;
SELECT throws_ok($$SELECT supervise.scenario_task(1, 't', '2020-04-01', '2020-04-30')$$, '42501',
                 'permission denied to make a task of joint scenario 1', 'an officer of a partner department may not initiate the joint task');
RESET ROLE;
SET ROLE supervise_test_other;
SELECT throws_ok($$SELECT supervise.scenario_task(1, 't', '2020-04-01', '2020-04-30')$$, '42501', NULL,
                 'an officer of an unrelated department may not either');
RESET ROLE;
SET ROLE supervise_test_reader;
SELECT throws_ok($$SELECT supervise.scenario_task(1, 't', '2020-04-01', '2020-04-30')$$, '42501', NULL, 'a public reader may not call it');
RESET ROLE;
SELECT is((SELECT count(*) FROM task), :tasks_before::bigint, 'the refusals made no task');

-- ---- the lead department's officer makes it ----
SET ROLE supervise_test_lead;
SELECT supervise.scenario_task(1, '餐饮服务综合查一次（4月）', '2020-04-01', '2020-04-30', plan_id => 1, sample_size => 6,
                               inspector_scope => 'subordinate') AS t \gset
RESET ROLE;
SELECT is((SELECT row(department_id, kind, plan_id, period_start, period_end, sample_size, inspector_scope, inspectors_per_target)::text
             FROM task WHERE id = :t),
          row(1, 'planned', 1, date '2020-04-01', date '2020-04-30', 6, 'subordinate', 2)::text,
          'the joint task: initiated by the lead department, in its plan, with the arguments given');
SELECT is(ARRAY(SELECT item_id FROM task_item WHERE task_id = :t ORDER BY item_id), ARRAY[11, 12, 21]::bigint[],
          'with every item of the scenario, the partner''s too');
SELECT is((SELECT actor FROM audit_log WHERE object_kind = 'task' AND object_id = :t AND action = 'create'), 'supervise_test_lead'::name,
          'recorded in the audit trail under the lead''s officer');
SET ROLE supervise_test_partner;
SELECT is((SELECT count(*) FROM supervise.task WHERE id = :t), 1::bigint, 'the partner sees the joint task it takes part in');
RESET ROLE;
SET ROLE supervise_test_admin;
SELECT supervise.scenario_task(1, '临时联合检查', '2020-05-04', '2020-05-29', sample_size => 3) AS t2 \gset
RESET ROLE;
SELECT is((SELECT kind FROM task WHERE id = :t2), 'special', 'an admin may make it too; without a plan it is a special task');

-- it draws and matches as any joint task: both departments' inspectors on every target
UPDATE task SET approved_on = '2020-03-20' WHERE id = :t;
SET LOCAL supervise.today = '2020-04-01';   -- (the check window: the task's first day)
SET ROLE supervise_test_lead;
SELECT supervise.draw(:t, supervise.seed_from('scenario')) AS d \gset
SELECT is(supervise.match_inspectors(:d), 6 * 2 * 2, 'the lead''s officer draws it and matches both departments'' inspectors');
RESET ROLE;
SELECT is(ARRAY(SELECT DISTINCT department_id FROM assignment WHERE draw_id = :d ORDER BY 1), ARRAY[1, 2]::bigint[],
          'every department of the scenario sends its inspectors');

SELECT * FROM finish();
ROLLBACK;
