-- After the check: the check window of a draw, the progress of a joint task per department,
-- clues turned into clue tasks, and cases transferred between departments, with who may act.
-- A market department (66) and a health department (65) check together; 67 is another district's
-- market department that takes no part. The year is 2026 and supervise.today sets the day.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(64);
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_market;       -- officer of 66
CREATE ROLE supervise_test_health;       -- officer of 65
CREATE ROLE supervise_test_other;        -- officer of 67

INSERT INTO department (id, code, name, system, level, region) VALUES
    (65, '350203-WJ', '厦门市思明区卫生健康局', 'health', 4, '350203'),
    (66, '350203-SC', '厦门市思明区市场监督管理局', 'market', 4, '350203'),
    (67, '350206-SC', '厦门市湖里区市场监督管理局', 'market', 4, '350206');
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (651, 65, 'HC-01', '公共场所卫生的检查', 'public_health'),
    (661, 66, 'SC-03', '食品经营的检查', 'food_safety'),
    (662, 66, 'SC-04', '投诉举报核查', 'complaint_check');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350203', 'MA' || lpad(n::text, 6, '0')), '思明测试企业' || n, '350203' FROM generate_series(1, 30) n;
CREATE TEMP TABLE s AS SELECT row_number() OVER (ORDER BY uscc) AS n, uscc FROM subject;
GRANT SELECT ON s TO PUBLIC;
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES
    (2, 65, 2026, '卫健年度计划', '2026-01-20'), (3, 66, 2026, '思明市监年度计划', '2026-01-20');
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (21, 2, 65, '公共场所卫生抽查', '2026-03-01', '2026-06-30', '2026-02-01', 4),
    (31, 3, 66, '思明食品经营抽查', '2026-03-01', '2026-06-30', '2026-02-01', 4);
INSERT INTO task_item (task_id, item_id) VALUES (21, 651), (31, 661);
SELECT grant_department_officer('supervise_test_market', ARRAY[66]);
SELECT grant_department_officer('supervise_test_health', ARRAY[65]);
SELECT grant_department_officer('supervise_test_other', ARRAY[67]);
SELECT merge_tasks(ARRAY[31, 21]::bigint[], '思明食品和卫生联合抽查') AS j \gset

-- ---- the check window ----
SET supervise.today = '2026-07-01';
SELECT throws_ok(format($$SELECT supervise.draw(%s, supervise.seed_from('late'))$$, :j), '55000',
                 format('task %s cannot be drawn: its period ended on 2026-06-30', :j),
                 'a task whose period has ended is not drawn');
CREATE FUNCTION pg_temp.error_detail(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END $$;
SELECT is(pg_temp.error_detail(format($$SELECT supervise.draw(%s, supervise.seed_from('late'))$$, :j)),
          'The task''s period is 2026-03-01 to 2026-06-30; today is 2026-07-01.', 'the error gives the period and the day');
SELECT is((SELECT count(*) FROM draw_record), 0::bigint, 'the refused draw recorded nothing');
SELECT throws_ok($$SET supervise.today = '2026-02-30'$$, '22023', NULL, 'supervise.today is a date that exists');
SET ROLE supervise_test_market;
SELECT throws_ok($$SET supervise.today = '2026-02-10'$$, '42501', NULL,
                 'an officer cannot move supervise.today to draw a task whose period has ended');
SELECT throws_ok(format($$SELECT supervise.draw(%s, supervise.seed_from('late'))$$, :j), '55000', NULL,
                 'the officer of the initiating department cannot draw it either');
RESET ROLE;
SET supervise.today = '2026-06-30';
SELECT ok(draw(:j, seed_from('joint')) > 0, 'on the last day of the period the task is drawn');
SELECT id AS d FROM draw_record WHERE task_id = :j \gset
SELECT cancel_draw(:d, 'redrawn');
SELECT ok(draw(:j, seed_from('joint again')) > 0, 'cancel and redraw within the period as before');
SELECT id AS d FROM draw_record WHERE task_id = :j AND cancelled_at IS NULL \gset
SELECT count(*) AS drawn FROM draw_target WHERE draw_id = :d \gset

-- ---- task progress ----
SET supervise.today = '2026-04-01';
-- 65 checks every target (results for all), 66 checks two (a result for one); a check of a
-- subject not drawn is not counted
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT :j, t.uscc, 65, '2026-03-10', 'no_problem', '2026-03-12' FROM draw_target t WHERE t.draw_id = :d;
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT :j, t.uscc, 66, '2026-03-10', CASE WHEN t.rank = 1 THEN 'no_problem' END, CASE WHEN t.rank = 1 THEN date '2026-03-11' END
  FROM draw_target t WHERE t.draw_id = :d ORDER BY t.uscc LIMIT 2;
SELECT count(*) AS wr66 FROM inspection WHERE task_id = :j AND department_id = 66 AND result_code IS NOT NULL \gset
SELECT results_eq(format('SELECT department_id, drawn, inspected, with_result, unchecked, period_end, status FROM v_task_progress WHERE task_id = %s ORDER BY 1', :j),
                  format($$VALUES (65::bigint, %1$s::bigint, %1$s::bigint, %1$s::bigint, 0::bigint, date '2026-06-30', 'done'),
                                  (66::bigint, %1$s, 2, %2$s, %1$s - 2, date '2026-06-30', 'open')$$, :drawn, :wr66),
                  'per department of a joint task: drawn, inspected, with a result, unchecked; done and open');
SELECT is((SELECT count(*) FROM v_task_progress WHERE task_id IN (21, 31)), 0::bigint, 'the merged source tasks are not listed');
SELECT is((SELECT count(*) FROM v_unchecked_targets WHERE task_id = :j AND department_id = 66 AND draw_id = :d), (:drawn - 2)::bigint,
          'v_unchecked_targets lists the targets 66 has not checked');
SELECT is((SELECT count(*) FROM v_unchecked_targets WHERE department_id = 65), 0::bigint, '65 has none left');
SET supervise.today = '2026-07-01';
SELECT is((SELECT status FROM v_task_progress WHERE task_id = :j AND department_id = 66), 'overdue', 'the period ended with targets unchecked: overdue');
SELECT is((SELECT status FROM v_task_progress WHERE task_id = :j AND department_id = 65), 'done', 'all checked: done after the period too');
SET ROLE supervise_test_health;
SELECT is((SELECT count(*) FROM v_task_progress WHERE task_id = :j), 2::bigint, 'a partner department sees the joint task''s progress');
RESET ROLE;
SET ROLE supervise_test_other;
SELECT is((SELECT count(*) FROM v_task_progress), 0::bigint, 'another department sees no progress of tasks it takes no part in');
SELECT is((SELECT count(*) FROM v_unchecked_targets), 0::bigint, 'nor their unchecked targets');
RESET ROLE;

-- ---- clues ----
SET ROLE supervise_test_market;
SELECT record_clue(66, (SELECT uscc FROM s WHERE n = 20), 'complaint', '消费者投诉：销售过期食品', '2026-03-02') AS c1 \gset
SELECT is((SELECT status FROM clue WHERE id = :c1), 'open', 'a clue is recorded open');
SELECT throws_ok($$SELECT supervise.record_clue(66, NULL, 'complaint', 'x')$$, '22004', NULL, 'a clue needs a subject');
SELECT throws_ok(format($$SELECT supervise.record_clue(66, %L, 'email', 'x')$$, (SELECT uscc FROM s WHERE n = 20)), '22023',
                 'unknown clue source: "email"', 'an unknown source is refused');
SELECT throws_ok(format($$SELECT supervise.record_clue(66, %L, 'hotline', '  ')$$, (SELECT uscc FROM s WHERE n = 20)), '22023', NULL,
                 'a blank summary is refused');
SELECT throws_ok(format($$SELECT supervise.record_clue(66, %L, 'hotline', 'x')$$, uscc_build('91', '350203', 'MA999999')), '23503', NULL,
                 'a clue about an unknown subject is refused');
SELECT throws_ok(format($$SELECT supervise.record_clue(999, %L, 'hotline', 'x')$$, (SELECT uscc FROM s WHERE n = 20)), '23503',
                 'department 999 does not exist', 'an unknown department is refused');
SELECT throws_ok(format($$SELECT supervise.record_clue(65, %L, 'hotline', 'x')$$, (SELECT uscc FROM s WHERE n = 20)), '42501', NULL,
                 'an officer cannot record a clue for another department');
RESET ROLE;
SET ROLE supervise_test_health;
SELECT throws_ok(format('SELECT supervise.clue_task(%s)', :c1), '42501', NULL, 'another department''s officer cannot make the clue''s task');
SELECT is((SELECT count(*) FROM clue), 0::bigint, 'nor see the clue');
RESET ROLE;
SET ROLE supervise_test_market;
SELECT throws_ok('SELECT supervise.clue_task(NULL)', '22004', NULL, 'clue_task(NULL) is refused');
SELECT throws_ok('SELECT supervise.clue_task(-1)', '42704', 'clue -1 does not exist', 'an unknown clue is refused');
SELECT throws_ok(format('SELECT supervise.clue_task(%s, item_ids => ARRAY[651]::bigint[])', :c1), '23503', NULL,
                 'a clue task checks items of the clue''s department only');
SELECT clue_task(:c1, '投诉核查：过期食品', '2026-07-01', '2026-07-31', ARRAY[662]::bigint[]) AS ct \gset
SELECT results_eq(format('SELECT kind, department_id, period_start, period_end, approved_on FROM task WHERE id = %s', :ct),
                  $$VALUES ('clue', 66::bigint, date '2026-07-01', date '2026-07-31', date '2026-07-01')$$,
                  'clue_task makes an approved clue task of the clue''s department');
SELECT results_eq(format('SELECT status, task_id FROM clue WHERE id = %s', :c1), format('VALUES (%L, %s::bigint)', 'task', :ct),
                  'the clue follows: status task, with its task');
SELECT throws_ok(format('SELECT supervise.clue_task(%s)', :c1), '55000', NULL, 'a clue gets one task');
SELECT is(exclusion_reason((SELECT uscc FROM s WHERE n = 20), :ct), NULL, 'the clue task is not limited');
INSERT INTO inspection (task_id, uscc, department_id, inspected_on) VALUES (:ct, (SELECT uscc FROM s WHERE n = 20), 66, '2026-07-02');
SELECT results_eq(format('SELECT drawn, inspected, status FROM v_task_progress WHERE task_id = %s', :ct),
                  $$VALUES (0::bigint, 1::bigint, 'done')$$, 'a clue task has no draw: its progress counts the subject checked');
SELECT throws_ok(format($$SELECT supervise.close_clue(%s, '')$$, :c1), '22023', 'a clue is closed only with a reason', 'closing needs a reason');
SELECT throws_ok(format($$SELECT supervise.close_clue(%s, 'x', '2026-03-01')$$, :c1), '22023', NULL, 'not before it was received');
SELECT lives_ok(format($$SELECT supervise.close_clue(%s, '核查属实，已责令整改', '2026-07-03')$$, :c1), 'a clue with a task is closed');
SELECT results_eq(format('SELECT status, closed_on, close_reason FROM clue WHERE id = %s', :c1),
                  $$VALUES ('closed', date '2026-07-03', '核查属实，已责令整改')$$, 'closed with the day and the reason kept');
SELECT throws_ok(format($$SELECT supervise.close_clue(%s, 'again')$$, :c1), '55000', NULL, 'a closed clue is not closed again');

-- ---- case transfers ----
SELECT record_clue(66, (SELECT uscc FROM s WHERE n = 21), 'hotline', '12345：游泳池水质问题', '2026-08-03') AS c2 \gset
SELECT throws_ok(format($$SELECT supervise.transfer_case(65, 'x', clue_id => %s)$$, :c1), '55000', NULL, 'a closed clue is not transferred');
SELECT throws_ok(format($$SELECT supervise.transfer_case(66, '属本部门职责', clue_id => %s)$$, :c2), '22023',
                 'a case cannot be transferred to its own department 66', 'a transfer to the same department is refused');
SELECT throws_ok($$SELECT supervise.transfer_case(65, 'x')$$, '22023', NULL, 'a transfer comes from an inspection or a clue');
SELECT throws_ok(format($$SELECT supervise.transfer_case(65, 'x', inspection_id => 1, clue_id => %s)$$, :c2), '22023', NULL, 'not from both');
SELECT throws_ok($$SELECT supervise.transfer_case(65, 'x', inspection_id => -1)$$, '42704', 'inspection -1 does not exist', 'an unknown inspection is refused');
SELECT throws_ok(format($$SELECT supervise.transfer_case(999, 'x', clue_id => %s)$$, :c2), '23503', NULL, 'to an unknown department is refused');
SELECT throws_ok(format($$SELECT supervise.transfer_case(65, NULL, clue_id => %s)$$, :c2), '22023', NULL, 'a transfer needs a reason');
SELECT throws_ok(format($$SELECT supervise.transfer_case(NULL, 'x', clue_id => %s)$$, :c2), '22004', NULL, 'a transfer needs a receiving department');
RESET ROLE;
SET ROLE supervise_test_health;
SELECT throws_ok(format($$SELECT supervise.transfer_case(67, 'x', clue_id => %s)$$, :c2), '42501', NULL,
                 'another department''s officer cannot transfer for the sender');
RESET ROLE;
SET ROLE supervise_test_market;
SELECT transfer_case(65, '游泳池水质属卫生健康部门职责，依法移送', clue_id => :c2, transferred_on => '2026-08-04') AS x1 \gset
SELECT is((SELECT status FROM clue WHERE id = :c2), 'transferred', 'the transferred clue follows: status transferred');
SELECT throws_ok(format('SELECT supervise.clue_task(%s)', :c2), '55000', format('clue %s is transferred, not open', :c2),
                 'a transferred clue, which never had a task, gets no clue task');
SELECT throws_ok(format('SELECT supervise.accept_transfer(%s)', :x1), '42501', NULL, 'the sender cannot accept for the receiver');
RESET ROLE;
SET ROLE supervise_test_other;
SELECT is((SELECT count(*) FROM case_transfer), 0::bigint, 'a third department does not see the transfer');
SELECT throws_ok(format('SELECT supervise.accept_transfer(%s)', :x1), '42501', NULL, 'nor accept it');
RESET ROLE;
SET ROLE supervise_test_health;
SELECT results_eq(format('SELECT from_department_id, to_department_id, uscc::text, reason, accepted_on FROM case_transfer WHERE id = %s', :x1),
                  format($$VALUES (66::bigint, 65::bigint, %L, '游泳池水质属卫生健康部门职责，依法移送', NULL::date)$$, (SELECT uscc::text FROM s WHERE n = 21)),
                  'the receiving department sees the transfer, with the subject and the reason');
SELECT throws_ok(format($$SELECT supervise.accept_transfer(%s, '2026-08-01')$$, :x1), '22023', NULL, 'not accepted before it was made');
SELECT throws_ok('SELECT supervise.accept_transfer(-1)', '42704', 'case transfer -1 does not exist', 'an unknown transfer is refused');
SELECT throws_ok('SELECT supervise.accept_transfer(NULL)', '22004', NULL, 'accept_transfer(NULL) is refused');
SELECT lives_ok(format($$SELECT supervise.accept_transfer(%s, '2026-08-05')$$, :x1), 'the receiving department accepts');
SELECT throws_ok(format('SELECT supervise.accept_transfer(%s)', :x1), '55000', NULL, 'once');
RESET ROLE;
SET ROLE supervise_test_market;
SELECT results_eq(format($$SELECT accepted_on, accepted_by = 'supervise_test_health' FROM case_transfer WHERE id = %s$$, :x1),
                  $$VALUES (date '2026-08-05', true)$$, 'the sending department sees that it was accepted, and by whom');
-- from an inspection: the subject and department come from it
SELECT transfer_case(65, '检查中发现公共卫生问题，另案查处',
                     inspection_id => (SELECT id FROM inspection WHERE task_id = :ct)) AS x2 \gset
SELECT results_eq(format('SELECT from_department_id, uscc::text, inspection_id IS NOT NULL FROM case_transfer WHERE id = %s', :x2),
                  format('VALUES (66::bigint, %L, true)', (SELECT uscc::text FROM s WHERE n = 20)), 'a problem found in an inspection is transferred');
RESET ROLE;
SELECT is((SELECT count(*) FROM audit_log WHERE object_kind IN ('clue', 'case_transfer')), 8::bigint,
          'clues and transfers are in the audit trail (3 clue rows, 2 transfers, their updates)');
SELECT results_eq(format($$SELECT action, department_id FROM audit_log WHERE object_kind = 'case_transfer' AND object_id = %s ORDER BY id$$, :x1),
                  $$VALUES ('transfer'::text, 66::bigint), ('accept_transfer', 65)$$,
                  'a transfer is audited for the sender, its acceptance for the receiver');
SELECT results_eq(format($$SELECT kind, department_id, summary FROM v_subject_record WHERE uscc = %L AND kind = 'transfer'$$,
                         (SELECT uscc::text FROM s WHERE n = 21)),
                  $$VALUES ('transfer'::text, 66::bigint, 'to department 65: 游泳池水质属卫生健康部门职责，依法移送'::text)$$,
                  'a transfer is in the subject''s credit record');

SELECT * FROM finish();
ROLLBACK;
