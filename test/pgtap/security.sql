-- Who may see and do what: a public reader, an officer of department A, an officer of B (which
-- takes part in A's joint task), a member of a group role that is C's officer, an admin, and the
-- append-only audit trail. Dates lie in 2020 (long past) or 2099 (far ahead), never "today".
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(68);
-- pgTAP keeps its state in temp tables of the session user; the roles below use them too
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_reader;
CREATE ROLE supervise_test_officer_a;
CREATE ROLE supervise_test_officer_b;
CREATE ROLE supervise_test_group_c;
CREATE ROLE supervise_test_member_c IN ROLE supervise_test_group_c;
CREATE ROLE supervise_test_admin;
CREATE ROLE supervise_test_nobody;

-- ---- data (as the owner) ----
INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'B', '鼓楼区生态环境局', 'ecology', 4, '350102'),
    (3, 'C', '台江区市场监督管理局', 'market', 4, '350103');
-- (items exempt from the limits on repeated checks: this test is about who sees what, and its
-- fixture checks and draws the same few subjects several times; the limits have their own tests)
INSERT INTO check_item (id, department_id, code, name, category, limit_exempt, exempt_reason) VALUES
    (11, 1, 'SC-01', '营业执照（登记事项）情况的检查', 'registration', true, 'law'),
    (12, 2, 'EE-03', '建设项目环评的检查', 'eia', true, 'environment'),
    (13, 3, 'SC-01', '营业执照（登记事项）情况的检查', 'registration', true, 'law');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA00000' || n), '测试企业' || n, '350102' FROM generate_series(1, 6) n;
CREATE TEMP TABLE s AS SELECT row_number() OVER (ORDER BY name) AS n, uscc FROM subject;
GRANT SELECT ON s TO PUBLIC;
INSERT INTO inspector (id, department_id, name, badge_no) VALUES
    (101, 1, '林志强', 'A-101'), (102, 1, '陈丽华', 'A-102'), (201, 2, '黄建国', 'B-201'), (301, 3, '张海燕', 'C-301');

INSERT INTO plan (id, department_id, year, title, approved_on, confidential) VALUES
    (1, 1, 2020, 'A 2020 plan', '2020-01-06', NULL),
    (2, 2, 2020, 'B 2020 plan', '2020-01-06', NULL),
    (3, 1, 2020, 'A secret plan', '2020-01-06', 'state_secret'),
    (4, 1, 2099, 'A 2099 plan with a surprise task', '2020-01-06', NULL),
    (5, 3, 2020, 'C 2020 plan', '2020-01-06', NULL);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, surprise, sample_ratio, confidential) VALUES
    (1, 1, 1, 'A task',                '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, NULL),
    (2, 1, 1, 'joint task A+B',        '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, NULL),
    (3, 2, 2, 'B task',                '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, NULL),
    (4, 4, 1, 'A surprise 2099',       '2099-03-01', '2099-06-30', '2020-02-10', true,  0.05, NULL),
    (5, 4, 1, 'A 2099, surprise later','2099-07-01', '2099-12-31', '2020-02-10', false, 0.05, NULL),
    (6, 1, 1, 'A surprise 2020',       '2020-04-01', '2020-04-30', '2020-03-02', true,  0.05, NULL),
    (7, 1, 1, 'A trade secret title',  '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, 'trade_secret'),
    (8, 1, 1, 'A state secret task',   '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, 'state_secret'),
    (9, 3, 1, 'task of a secret plan', '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, NULL),
    (10, 5, 3, 'C task',               '2020-03-02', '2020-06-30', '2020-02-10', false, 0.05, NULL);
INSERT INTO task_item (task_id, item_id) VALUES
    (1, 11), (2, 11), (2, 12), (3, 12), (4, 11), (5, 11), (6, 11), (7, 11), (8, 11), (9, 11), (10, 13);
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on, confidential) VALUES
    (1, 1, (SELECT uscc FROM s WHERE n = 1), 1, '2020-05-08', 'no_problem', '2020-05-08', NULL),
    (2, 2, (SELECT uscc FROM s WHERE n = 2), 2, '2020-05-08', 'corrected',  '2020-05-08', NULL),
    (3, 2, (SELECT uscc FROM s WHERE n = 2), 1, '2020-05-08', 'no_problem', '2020-05-08', NULL),
    (4, 1, (SELECT uscc FROM s WHERE n = 3), 1, '2020-05-08', 'no_problem', '2020-05-08', 'personal_privacy'),
    (5, 1, (SELECT uscc FROM s WHERE n = 4), 1, '2020-05-08', 'no_problem', '2020-05-08', 'state_secret'),
    (6, 6, (SELECT uscc FROM s WHERE n = 1), 1, '2020-04-10', 'no_problem', '2020-04-10', NULL),
    (7, 3, (SELECT uscc FROM s WHERE n = 3), 2, '2020-05-08', 'no_problem', '2020-05-08', NULL),
    (8, 1, (SELECT uscc FROM s WHERE n = 5), 1, '2020-05-08', 'no_problem', '2020-05-08', NULL);
INSERT INTO disposal (id, inspection_id, kind, decided_on) VALUES (1, 2, 'order', '2020-05-09'), (2, 1, 'order', '2020-05-09');

-- draws, recorded directly (draw() only draws tasks of the current year): a cancelled and a
-- live draw of task 1, one of the joint task 2, one of B's task 3
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest,
                         allocation, target_count, population) VALUES
    (1, 1, 'sha256-v1', seed_from('first'), 'given', 6, sha256('p'), '[]', 2, '\x00');
DO $$ BEGIN PERFORM supervise.cancel_draw(1, 'wrong directory'); END $$;
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest,
                         allocation, target_count, population) VALUES
    (2, 1, 'sha256-v1', seed_from('second'), 'given', 6, sha256('p'), '[]', 2, '\x00'),
    (3, 2, 'sha256-v1', seed_from('joint'), 'given', 6, sha256('p'), '[]', 2, '\x00'),
    (4, 3, 'sha256-v1', seed_from('b'), 'given', 6, sha256('p'), '[]', 1, '\x00');
INSERT INTO draw_target (draw_id, uscc, stratum, rank)
SELECT 1, uscc, 'all', n FROM s WHERE n IN (5, 6)
UNION ALL SELECT 2, uscc, 'all', n FROM s WHERE n IN (1, 3)
UNION ALL SELECT 3, uscc, 'all', 1 FROM s WHERE n = 2
UNION ALL SELECT 3, uscc, 'all', 2 FROM s WHERE n = 6
UNION ALL SELECT 4, uscc, 'all', 1 FROM s WHERE n = 3;
INSERT INTO assignment (draw_id, uscc, inspector_id, department_id)
SELECT 3, uscc, i, d FROM s, (VALUES (101, 1), (102, 1), (201, 2)) v(i, d) WHERE n = 2;
DO $$ BEGIN
    PERFORM supervise.publication_upsert('target_list', t, d, '2020-02-20') FROM (VALUES (1, 1), (2, 1), (3, 2)) v(t, d);
END $$;

-- publish everything that can be published in 2020; task 5 is published, then made a surprise task
DO $$ BEGIN
    PERFORM supervise.mark_published(p.kind, p.object_id, p.event_on + 3)
       FROM supervise.publication p WHERE p.event_on < '2021-01-01'
        AND (p.kind, p.object_id) NOT IN (('result', 8), ('target_list', 3));
END $$;
UPDATE task SET surprise = true WHERE id = 5;

DO $$ BEGIN
    PERFORM supervise.grant_public_reader('supervise_test_reader');
    PERFORM supervise.grant_department_officer('supervise_test_officer_a', ARRAY[1]);
    PERFORM supervise.grant_department_officer('supervise_test_officer_b', ARRAY[2]);
    PERFORM supervise.grant_department_officer('supervise_test_group_c', ARRAY[3]);
    PERFORM supervise.grant_admin('supervise_test_admin');
END $$;

-- ---- the public reader ----
SET LOCAL ROLE supervise_test_reader;
SELECT set_eq('SELECT title FROM supervise.public_plans',
              ARRAY['A 2020 plan', 'B 2020 plan', 'C 2020 plan'],
              'public reader: published plans, without the state secret and the plan with a surprise task not ended');
SELECT set_eq('SELECT task_id FROM supervise.public_tasks', ARRAY[1, 2, 3, 6, 7, 10]::bigint[],
              'public reader: published tasks; not the surprise tasks not ended (4, 5), state secrets (8) or tasks of a secret plan (9)');
SELECT is((SELECT count(*) FROM supervise.public_tasks WHERE task_id = 5), 0::bigint,
          'a published task made a surprise task stays hidden until it ends (2099)');
SELECT is((SELECT title FROM supervise.public_tasks WHERE task_id = 6), 'A surprise 2020',
          'a surprise task is shown once it has ended');
SELECT row_eq($$SELECT title, item_codes, item_names, withheld FROM supervise.public_tasks WHERE task_id = 7$$,
              ROW(NULL::text, NULL::text[], NULL::text[], 'trade_secret'::text),
              'a trade-secret task: title and items withheld, and why');
SELECT is((SELECT department_names FROM supervise.public_tasks WHERE task_id = 2),
          ARRAY['鼓楼区市场监督管理局', '鼓楼区生态环境局'], 'a joint task lists all its departments, initiator first');
SELECT is((SELECT item_codes FROM supervise.public_tasks WHERE task_id = 2), ARRAY['SC-01', 'EE-03'],
          'a joint task lists every department''s items');
SELECT set_eq('SELECT result_id FROM supervise.public_results', ARRAY[1, 2, 3, 4, 6, 7]::bigint[],
              'public reader: published results; not the state secret (5) or the unpublished one (8)');
SELECT row_eq($$SELECT subject_name, withheld, result_name FROM supervise.public_results WHERE result_id = 4$$,
              ROW(NULL::text, 'personal_privacy'::text, '未发现问题'::text),
              'a personal-privacy result: the result is shown, the subject''s name is withheld');
SELECT set_eq($$SELECT task_id, draw_id, uscc, seed_hex FROM supervise.public_targets$$,
              $$SELECT 1::bigint AS t, 2::bigint AS d, s.uscc::text AS u, encode(seed_from('second'), 'hex') AS h FROM s WHERE n IN (1, 3)
                UNION ALL
                SELECT 2, 3, s.uscc::text, encode(seed_from('joint'), 'hex') FROM s WHERE n IN (2, 6)$$,
              'public reader: targets of live, published draws with their seed (not the cancelled draw, not B''s unpublished list)');
SELECT throws_ok('SELECT * FROM supervise.plan', '42501', NULL, 'public reader cannot read the plan table');
SELECT throws_ok('SELECT * FROM supervise.inspector', '42501', NULL, 'public reader cannot read inspectors');
SELECT throws_ok('SELECT population FROM supervise.draw_record', '42501', NULL, 'public reader cannot read draw populations');
SELECT throws_ok('SELECT * FROM supervise.draw_population(2)', '42501', NULL, 'public reader cannot export a draw population');
SELECT throws_ok('SELECT * FROM supervise.v_publication_schedule', '42501', NULL, 'public reader cannot read the schedule');
SELECT throws_ok('SELECT * FROM supervise.v_audit_trail', '42501', NULL, 'public reader cannot read the audit trail');
SELECT throws_ok($$SELECT supervise.mark_published('result', 8, '2020-06-01')$$, '42501', NULL, 'public reader cannot publish');
SELECT throws_ok($$SELECT supervise.grant_admin('supervise_test_reader')$$, '42501', NULL, 'public reader cannot grant itself admin');
-- a function of the reader's own in a WHERE clause sees only the rows the view lets through
CREATE TEMP TABLE seen (task_id bigint, title text);
CREATE FUNCTION pg_temp.leak(bigint, text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
    AS $$ BEGIN INSERT INTO seen VALUES ($1, $2); RETURN true; END $$;
SELECT is((SELECT count(*) FROM supervise.public_tasks WHERE pg_temp.leak(task_id, title)), 6::bigint, 'leak probe runs');
SELECT is_empty($$SELECT * FROM seen WHERE task_id NOT IN (1, 2, 3, 6, 7, 10) OR title LIKE '%secret%'$$,
                'security_barrier: a cheap function in the reader''s WHERE clause sees no hidden row');
RESET ROLE;
-- the control: the same view without security_barrier leaks to the same probe
SELECT pg_get_viewdef('supervise.public_tasks') AS def \gset
CREATE TEMP VIEW public_tasks_no_barrier AS :def
GRANT SELECT ON public_tasks_no_barrier TO supervise_test_reader;
SET LOCAL ROLE supervise_test_reader;
DELETE FROM seen;
SELECT is((SELECT count(*) FROM public_tasks_no_barrier WHERE pg_temp.leak(task_id, title)), 6::bigint, 'control probe runs');
SELECT isnt_empty($$SELECT * FROM seen WHERE title LIKE '%secret%'$$,
                  'control: without security_barrier the probe sees hidden rows (so the test above can fail)');
RESET ROLE;

-- ---- officer of department A ----
SET LOCAL ROLE supervise_test_officer_a;
SELECT set_eq('SELECT id FROM supervise.plan', ARRAY[1, 3, 4]::bigint[], 'officer A: its own plans only');
SELECT set_eq('SELECT id FROM supervise.task', ARRAY[1, 2, 4, 5, 6, 7, 8, 9]::bigint[], 'officer A: its own tasks (incl. the joint one it initiated)');
SELECT set_eq('SELECT id FROM supervise.inspection', ARRAY[1, 2, 3, 4, 5, 6, 8]::bigint[],
              'officer A: its results and those of its joint task (2, by B); not B''s own task''s (7)');
SELECT set_eq('SELECT id FROM supervise.disposal', ARRAY[2]::bigint[], 'officer A: its own disposals only');
SELECT set_eq('SELECT id FROM supervise.inspector', ARRAY[101, 102]::bigint[], 'officer A: its own inspectors only');
SELECT set_eq('SELECT id FROM supervise.draw_record', ARRAY[1, 2, 3]::bigint[], 'officer A: draws of its tasks only');
SELECT is((SELECT count(*) FROM supervise.subject), 6::bigint, 'officer A reads the shared subject directory');
SELECT is((SELECT count(DISTINCT department_id) FROM supervise.publication), 1::bigint, 'officer A sees its own publication items only');
SELECT throws_ok($$INSERT INTO supervise.plan (department_id, year, title) VALUES (2, 2020, 'for B')$$,
                 '42501', NULL, 'officer A cannot make a plan for department B');
SELECT lives_ok($$INSERT INTO supervise.plan (id, department_id, year, title) VALUES (6, 1, 2020, 'A second plan')$$,
                'officer A makes a plan of its own');
SELECT lives_ok($$UPDATE supervise.plan SET approved_on = '2020-02-03' WHERE id = 6$$, 'officer A approves it');
SELECT is((SELECT count(*) FROM (SELECT 1 FROM supervise.publication WHERE kind = 'plan' AND object_id = 6) x), 1::bigint,
          'its publication item is made (by the owner-run trigger)');
WITH u AS (UPDATE supervise.plan SET title = 'hijacked' WHERE id = 2 RETURNING 1)
SELECT is(count(*), 0::bigint, 'officer A cannot change B''s plan (no row)') FROM u;
SELECT throws_ok($$INSERT INTO supervise.inspection (task_id, uscc, department_id) SELECT 3, uscc, 1 FROM s WHERE n = 6$$,
                 '42501', NULL, 'officer A cannot record a result for B''s task');
SELECT throws_ok($$INSERT INTO supervise.task (plan_id, department_id, title, period_start, period_end) VALUES (2, 1, 'x', '2020-03-01', '2020-03-02')$$,
                 '42501', NULL, 'officer A cannot put a task in B''s plan');
SELECT throws_ok($$SELECT supervise.mark_published('result', 7, '2020-06-01')$$, '42704', NULL,
                 'officer A cannot publish B''s result (it does not see the item)');
SELECT lives_ok($$SELECT supervise.mark_published('result', 8, '2020-06-01')$$, 'officer A publishes its own result');
SELECT throws_ok($$UPDATE supervise.publication SET due_on = '2099-01-01' WHERE kind = 'result' AND object_id = 8$$,
                 '42501', NULL, 'officer A cannot move a due date');
SELECT throws_ok('SELECT * FROM supervise.audit_log', '42501', NULL, 'officer A cannot read the audit log');
SELECT throws_ok($$SELECT supervise.grant_department_officer('supervise_test_officer_a', ARRAY[2])$$, '42501', NULL,
                 'officer A cannot give itself department B');
RESET ROLE;

-- ---- officer of department B, which takes part in A's joint task ----
SET LOCAL ROLE supervise_test_officer_b;
SELECT set_eq('SELECT id FROM supervise.task', ARRAY[2, 3]::bigint[], 'officer B: its task and the joint task it takes part in');
SELECT set_eq('SELECT id FROM supervise.plan', ARRAY[2]::bigint[], 'officer B: its own plan only');
SELECT set_eq('SELECT task_id FROM supervise.task_item', ARRAY[2, 2, 3]::bigint[], 'officer B: all items of the joint task');
SELECT set_eq('SELECT id FROM supervise.draw_record', ARRAY[3, 4]::bigint[], 'officer B: draws of the joint task and its own');
SELECT set_eq('SELECT inspector_id FROM supervise.assignment', ARRAY[101, 102, 201]::bigint[], 'officer B: the joint draw''s assignments');
SELECT set_eq('SELECT id FROM supervise.inspector', ARRAY[201]::bigint[], 'officer B: not A''s inspectors');
WITH u AS (UPDATE supervise.task SET title = 'hijacked' WHERE id = 2 RETURNING 1)
SELECT is(count(*), 0::bigint, 'officer B cannot change the joint task A initiated') FROM u;
SELECT lives_ok($$INSERT INTO supervise.inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on)
                  SELECT 9, 2, uscc, 2, '2020-05-20', 'no_problem', '2020-05-20' FROM s WHERE n = 6$$,
                'officer B records its own result in the joint task');
SELECT is((SELECT department_id FROM supervise.publication WHERE kind = 'result' AND object_id = 9), 2::bigint,
          'officer B sees the result''s publication item, its own');
RESET ROLE;

-- ---- a member of a group role that is C's officer ----
SET LOCAL ROLE supervise_test_member_c;
SELECT set_eq('SELECT id FROM supervise.plan', ARRAY[5]::bigint[], 'a member of C''s officer group role works for C');
RESET ROLE;

-- ---- admin ----
SET LOCAL ROLE supervise_test_admin;
SELECT is((SELECT count(*) FROM supervise.plan), 6::bigint, 'admin: every plan');
SELECT is((SELECT count(*) FROM supervise.inspector), 4::bigint, 'admin: every inspector');
SELECT lives_ok($$SELECT supervise.grant_public_reader('supervise_test_nobody')$$, 'admin grants public read access');
SELECT throws_ok($$INSERT INTO supervise.audit_log (actor, action, object_kind) VALUES ('x', 'forged', 'plan')$$,
                 '42501', NULL, 'admin cannot write the audit log');
SELECT lives_ok($$SELECT supervise.revoke_department_officer('supervise_test_officer_b')$$, 'admin revokes officer B');
SELECT is((SELECT count(*) FROM supervise.v_access WHERE role_name LIKE 'supervise_test_%'), 5::bigint,
          'admin sees the grants (reader, A, group C, admin, nobody)');
RESET ROLE;
SET LOCAL ROLE supervise_test_officer_b;
SELECT throws_ok('SELECT * FROM supervise.task', '42501', NULL, 'a revoked officer reads nothing');
RESET ROLE;
SET LOCAL ROLE supervise_test_nobody;
SELECT is((SELECT count(*) FROM supervise.public_plans), 3::bigint, 'the newly granted reader reads the public views');
RESET ROLE;

-- ---- the audit trail ----
SELECT set_eq($$SELECT action, object_kind, object_id FROM supervise.v_audit_trail WHERE actor = 'supervise_test_officer_a'$$,
              $$VALUES ('create', 'plan', 6::bigint), ('approve', 'plan', 6), ('publish', 'result', 8)$$,
              'the trail holds what officer A did, by name');
SELECT set_eq($$SELECT action, object_id FROM supervise.v_audit_trail WHERE object_kind = 'draw_record'$$,
              $$VALUES ('draw', 1::bigint), ('draw', 2), ('draw', 3), ('draw', 4), ('cancel_draw', 1), ('match', 3)$$,
              'draws, the cancellation and the match are in the trail');
SELECT is((SELECT detail -> 'cancel_reason' ->> 'new' FROM supervise.v_audit_trail WHERE action = 'cancel_draw'),
          'wrong directory', 'the cancellation keeps its reason');
SELECT is((SELECT count(*) FROM supervise.v_audit_trail
            WHERE action = 'draw' AND detail ? 'seed' AND detail ? 'population_digest' AND NOT detail ? 'population'),
          4::bigint, 'draw entries keep the seed and digest and leave the population out');
SELECT throws_ok('UPDATE supervise.audit_log SET actor = ''nobody''', '42501', NULL, 'the owner cannot update the trail');
SELECT throws_ok('DELETE FROM supervise.audit_log', '42501', NULL, 'the owner cannot delete from the trail');
SELECT throws_ok('TRUNCATE supervise.audit_log', '42501', NULL, 'the owner cannot truncate the trail');
SET LOCAL session_replication_role = replica;
SELECT throws_ok('DELETE FROM supervise.audit_log', '42501', NULL, 'not even with triggers off for replication');
RESET session_replication_role;

SELECT * FROM finish();
ROLLBACK;
