-- Overrides of the limits on repeated checks reach the audit trail: granting one (as an admin)
-- writes exactly one entry, action override, with the task, the department it lets check again and
-- the row; its use by the inspection is an update naming the overridden check; withdrawing an unused
-- one is a delete. Dates lie in 2020.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(13);
-- pgTAP keeps its state in temp tables of the session user; the admin role below uses them too
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_override_admin;
SELECT grant_admin('supervise_test_override_admin');

-- ---- data (as the owner): two tasks of one department checking the same, limited item ----
INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102');
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (11, 1, 'SC-01', '营业执照（登记事项）情况的检查', 'registration');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA00000' || n), '测试企业' || n, '350102' FROM generate_series(1, 2) n;
CREATE TEMP TABLE s AS SELECT row_number() OVER (ORDER BY name) AS n, uscc FROM subject;
GRANT SELECT ON s TO PUBLIC;
INSERT INTO task (id, department_id, kind, title, period_start, period_end, approved_on, sample_ratio) VALUES
    (1, 1, 'temporary', 'registration check, spring', '2020-03-02', '2020-06-30', '2020-02-10', 0.05),
    (2, 1, 'temporary', 'registration check, autumn', '2020-09-01', '2020-11-30', '2020-08-10', 0.05);
INSERT INTO task_item (task_id, item_id) VALUES (1, 11), (2, 11);
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on) VALUES
    (1, 1, (SELECT uscc FROM s WHERE n = 1), 1, '2020-05-08', 'no_problem', '2020-05-08'),
    (2, 1, (SELECT uscc FROM s WHERE n = 2), 1, '2020-05-09', 'no_problem', '2020-05-09');

SELECT has_trigger('supervise', 'limit_override', 'audit', 'limit_override has an audit trigger');

-- the audit entries written after a mark
CREATE TEMP TABLE mark (step text PRIMARY KEY, id bigint);
GRANT SELECT ON mark TO PUBLIC;
CREATE FUNCTION pg_temp.set_mark(text) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO mark VALUES ($1, (SELECT coalesce(max(id), 0) FROM supervise.audit_log)) $$;

SELECT throws_ok($$INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
                   VALUES (2, (SELECT uscc FROM s WHERE n = 1), 1, '2020-09-15')$$,
                 '23P01', NULL, 'a second registration check of the year is refused without an override');

-- ---- granting an override: one entry ----
SELECT pg_temp.set_mark('grant');
SET LOCAL ROLE supervise_test_override_admin;
SELECT lives_ok($$INSERT INTO supervise.limit_override (task_id, uscc, department_id, reason)
                  VALUES (2, (SELECT uscc FROM s WHERE n = 1), 1, '举报反映登记住所与实际经营场所不一致')$$,
                'an admin grants an override');
RESET ROLE;
SELECT is(
    (SELECT string_agg(concat_ws(' ', action, object_kind, object_id, department_id, department_name, actor,
                                 session_actor = session_user), '; ' ORDER BY id)
       FROM supervise.v_audit_trail WHERE id > (SELECT id FROM mark WHERE step = 'grant')),
    'override limit_override 2 1 鼓楼区市场监督管理局 supervise_test_override_admin t',
    'granting an override writes exactly one audit entry: override of task 2 for department 1, by the admin');
SELECT is((SELECT detail FROM supervise.audit_log WHERE id > (SELECT id FROM mark WHERE step = 'grant')),
          (SELECT to_jsonb(o) FROM supervise.limit_override o WHERE o.task_id = 2),
          'the entry holds the override as granted (subject, reason, who, when)');
SELECT is((SELECT detail ->> 'reason' FROM supervise.audit_log
            WHERE action = 'override' AND object_kind = 'limit_override' AND object_id = 2),
          '举报反映登记住所与实际经营场所不一致', 'with its reason');

-- ---- using it: the inspection is recorded, the override marked used ----
SELECT pg_temp.set_mark('use');
SELECT lives_ok($$INSERT INTO supervise.inspection (id, task_id, uscc, department_id, inspected_on)
                  VALUES (3, 2, (SELECT uscc FROM s WHERE n = 1), 1, '2020-09-15')$$,
                'with the override the second check is recorded');
SELECT is(
    (SELECT string_agg(concat_ws(' ', action, object_kind, object_id, department_id), '; ' ORDER BY id)
       FROM supervise.v_audit_trail WHERE id > (SELECT id FROM mark WHERE step = 'use')),
    'update limit_override 2 1; create inspection 3 1',
    'recording it logs the use of the override (an update of it) and the inspection');
SELECT is((SELECT array_agg(k ORDER BY k) FROM supervise.audit_log a, jsonb_object_keys(a.detail) k
            WHERE a.id > (SELECT id FROM mark WHERE step = 'use') AND a.object_kind = 'limit_override'),
          ARRAY['overridden_check', 'used_at'], 'the update holds the columns the use set');
SELECT matches((SELECT detail -> 'overridden_check' ->> 'new' FROM supervise.audit_log a
                 WHERE a.id > (SELECT id FROM mark WHERE step = 'use') AND a.object_kind = 'limit_override'),
               '^.+: inspection 1 of task 1 ', 'and names the overridden check');

-- ---- withdrawing an unused override: a delete ----
INSERT INTO limit_override (task_id, uscc, department_id, reason)
VALUES (2, (SELECT uscc FROM s WHERE n = 2), 1, 'granted by mistake');
SELECT pg_temp.set_mark('withdraw');
SET LOCAL ROLE supervise_test_override_admin;
SELECT lives_ok($$DELETE FROM supervise.limit_override WHERE uscc = (SELECT uscc FROM s WHERE n = 2)$$,
                'an admin withdraws an unused override');
RESET ROLE;
SELECT is(
    (SELECT string_agg(concat_ws(' ', action, object_kind, object_id, department_id, actor, detail ->> 'reason'), '; ' ORDER BY id)
       FROM supervise.v_audit_trail WHERE id > (SELECT id FROM mark WHERE step = 'withdraw')),
    'delete limit_override 2 1 supervise_test_override_admin granted by mistake',
    'withdrawing it is logged as a delete with the row');

-- two overrides granted, one used, one withdrawn: all of it in the trail
SELECT is(
    (SELECT string_agg(action || ' ' || n, ', ' ORDER BY action)
       FROM (SELECT action, count(*) AS n FROM supervise.v_audit_trail WHERE object_kind = 'limit_override' GROUP BY 1) c),
    'delete 1, override 2, update 1',
    'every change of an override is in the audit trail');

SELECT * FROM finish();
ROLLBACK;
