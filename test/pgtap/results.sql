-- After the check: an inspection under a drawn task is of a drawn target (also through a joint
-- task), clue tasks and tasks without a draw are not bound, rows that break the rule load and are
-- listed; results per item with their measures, recorded by the inspecting department only, shown
-- in the comprehensive checklist; the result notice, served once, not before the check or its
-- result, not by another department; published disposals without their document numbers.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(69);
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_market;       -- officer of 1
CREATE ROLE supervise_test_health;       -- officer of 2
CREATE ROLE supervise_test_reader;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'B', '鼓楼区卫生健康局', 'health', 4, '350102');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')), '测试企业' || n, '350102' FROM generate_series(1, 30) n;
INSERT INTO check_item (id, department_id, code, name, category, legal_basis) VALUES
    (11, 1, 'SC-03', '食品经营的检查', 'food_safety', '《中华人民共和国食品安全法》第一百一十条'),
    (12, 1, 'SC-04', '产品质量的检查', 'product_quality', '《中华人民共和国产品质量法》第十五条'),
    (13, 1, 'SC-05', '计量器具的检查', 'metrology', '《中华人民共和国计量法》'),
    (14, 1, 'SC-06', '广告发布的检查', 'advertising', '《中华人民共和国广告法》'),
    (21, 2, 'HC-01', '公共场所卫生的检查', 'public_health', '《公共场所卫生管理条例》');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, 2025, 'A 2025', '2025-01-06'), (2, 2, 2025, 'B 2025', '2025-01-06');
INSERT INTO task (id, plan_id, department_id, kind, title, period_start, period_end, approved_on, sample_size, sample_ratio) VALUES
    (1, 1, 1, 'planned', '食品和产品质量抽查', '2025-03-03', '2025-06-30', '2025-02-10', 5, NULL),
    (2, NULL, 1, 'clue', '投诉线索核查', '2025-03-03', '2025-06-30', NULL, NULL, NULL),
    (3, 1, 1, 'planned', '计量器具全覆盖检查', '2025-03-03', '2025-06-30', '2025-02-10', NULL, 1),
    (4, 1, 1, 'planned', '广告专项', '2025-07-01', '2025-08-31', '2025-02-10', 4, NULL),
    (5, 2, 2, 'planned', '公共场所卫生专项', '2025-07-15', '2025-09-30', '2025-02-10', 4, NULL);
INSERT INTO task_item VALUES (1, 11), (1, 12), (2, 11), (3, 13), (4, 14), (5, 21);
ALTER SEQUENCE task_id_seq RESTART 100;
SET LOCAL supervise.today = '2025-03-03';   -- (the check window: a day of the task's period)
SELECT draw(1, seed_from('results')) AS d1 \gset
SELECT min(uscc)::text AS drawn FROM draw_target WHERE draw_id = :d1 \gset
SELECT max(uscc)::text AS drawn2 FROM draw_target WHERE draw_id = :d1 \gset
SELECT min(s.uscc)::text AS undrawn FROM subject s
 WHERE NOT EXISTS (SELECT 1 FROM draw_target t WHERE t.uscc = s.uscc) \gset
SELECT name AS undrawn_name FROM subject WHERE uscc = :'undrawn' \gset

-- ---- inspections bound to the draw ----
SELECT lives_ok(format($$INSERT INTO inspection (task_id, uscc, department_id, inspected_on) VALUES (1, %L, 1, '2025-03-10')$$, :'drawn'),
                'an inspection of a drawn target is recorded');
SELECT throws_ok(format($$INSERT INTO inspection (task_id, uscc, department_id, inspected_on) VALUES (1, %L, 1, '2025-03-10')$$, :'undrawn'),
                 '23514', format('subject %s (%s) was not drawn for task 1', :'undrawn', :'undrawn_name'),
                 'an inspection of a subject the live draw did not draw is refused, naming the subject');
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN d || ' / ' || h;
END
$$;
SELECT matches(pg_temp.error_of(format($$INSERT INTO inspection (task_id, uscc, department_id) VALUES (1, %L, 1)$$, :'undrawn')),
               format('draw %s .* draw_id = %s.*clue task', :d1, :d1), 'its detail and hint name the draw and say what to do');
SELECT throws_ok(format($$UPDATE inspection SET uscc = %L WHERE task_id = 1$$, :'undrawn'), '23514', NULL,
                 'an inspection is not moved to a subject that was not drawn');
SELECT lives_ok(format($$INSERT INTO inspection (task_id, uscc, department_id, inspected_on) VALUES (2, %L, 1, '2025-03-12')$$, :'undrawn'),
                'a clue task has no draw and is not bound');
SELECT lives_ok(format($$INSERT INTO inspection (task_id, uscc, department_id, inspected_on) VALUES (3, %L, 1, '2025-03-12')$$, :'undrawn'),
                'a task checked at 100% without a draw is not bound');
SELECT is_empty('SELECT * FROM v_unbound_inspections', 'no inspection breaks the rule');
-- a row that breaks the rule, as an older version or a restore (replica) loads it, is kept and listed
SET LOCAL session_replication_role = replica;
INSERT INTO inspection (task_id, uscc, department_id, inspected_on) VALUES (1, :'undrawn', 1, '2025-03-11');
RESET session_replication_role;
SELECT results_eq($$SELECT task_id, draw_id, uscc::text FROM v_unbound_inspections$$,
                  format($$VALUES (1::bigint, %s::bigint, %L::text)$$, :d1, :'undrawn'),
                  'a row loaded without the trigger (restore, older data) is listed in v_unbound_inspections');
SELECT lives_ok(format($$UPDATE subject SET uscc = uscc_build('91', '350102', 'MA999999') WHERE uscc = %L$$, :'undrawn'),
                'a subject''s new code cascades to such a row too (it moves nothing out of the draw)');
DELETE FROM inspection WHERE task_id = 1 AND uscc = uscc_build('91', '350102', 'MA999999');

-- a joint task: its sources are bound to its draw, and visits record results through it
SELECT merge_tasks(ARRAY[4, 5]::bigint[]) AS j \gset
SET LOCAL supervise.today = '2025-07-15';
SELECT draw(:j, seed_from('results joint')) AS dj \gset
SELECT min(uscc)::text AS jdrawn FROM draw_target WHERE draw_id = :dj \gset
SELECT min(s.uscc)::text AS jundrawn FROM subject s
 WHERE NOT EXISTS (SELECT 1 FROM draw_target t WHERE t.draw_id = :dj AND t.uscc = s.uscc) \gset
SELECT throws_ok(format($$INSERT INTO inspection (task_id, uscc, department_id) VALUES (%s, %L, 2)$$, :j, :'jundrawn'),
                 '23514', NULL, 'the joint task is bound to its draw');
SELECT throws_ok(format($$INSERT INTO inspection (task_id, uscc, department_id) VALUES (4, %L, 1)$$, :'jundrawn'),
                 '23514', format('subject %s (%s) was not drawn for task 4', :'jundrawn', (SELECT name FROM subject WHERE uscc = :'jundrawn')),
                 'a task merged into a joint task is bound to the joint task''s draw');
SELECT ok(plan_visits(2025) > 0, 'visits are planned');
SELECT id AS v FROM visit WHERE uscc = :'jdrawn' AND task_set_id IN (SELECT id FROM visit_task_set WHERE :j = ANY (task_ids)) \gset
SELECT is(record_visit_result(:v, 2, 'corrected', '2025-07-21', '2025-07-20', NULL), 1,
          'a joint visit records the result of a drawn target (its inspection is bound)');
SELECT id AS ij FROM inspection WHERE task_id = :j AND department_id = 2 \gset

-- ---- results per item ----
SELECT id AS i1 FROM inspection WHERE task_id = 1 AND uscc = :'drawn' \gset
UPDATE inspection SET result_code = 'corrected', result_on = '2025-03-20' WHERE id = :i1;
SELECT lives_ok(format($$SELECT record_item_result(%s, 11, 'corrected', 'rectify', '冷藏温度不符合要求')$$, :i1),
                'an item result with a measure is recorded');
SELECT lives_ok(format($$SELECT record_item_result(%s, 12, 'no_problem')$$, :i1), 'the measure defaults to none');
SELECT results_eq(format('SELECT item_id, result_code, measure FROM inspection_item WHERE inspection_id = %s ORDER BY item_id', :i1),
                  $$VALUES (11::bigint, 'corrected'::text, 'rectify'::text), (12, 'no_problem', 'none')$$, 'both items are kept');
SELECT lives_ok(format($$SELECT record_item_result(%s, 11, 'pending_followup', 'case')$$, :i1), 'a result is corrected');
SELECT is((SELECT measure || ' ' || note FROM inspection_item WHERE inspection_id = :i1 AND item_id = 11), 'case 冷藏温度不符合要求',
          'a correction replaces result and measure and keeps the note');
SELECT throws_ok(format($$SELECT record_item_result(%s, 13, 'no_problem')$$, :i1), '22023',
                 format('item 13 (计量器具的检查) is not an item of inspection %s', :i1), 'an item of another task is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 14, 'no_problem')$$, :ij), '22023',
                 format('item 14 (广告发布的检查) is not an item of inspection %s', :ij),
                 'another department''s item of a joint task is refused (each records its own)');
SELECT throws_ok($$SELECT record_item_result(-1, 11, 'no_problem')$$, '22023', 'inspection -1 does not exist', 'an unknown inspection is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 999, 'no_problem')$$, :i1), '22023', 'check item 999 does not exist',
                 'an unknown item is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 11, 'great')$$, :i1), '22023', 'unknown result code: "great"',
                 'an unknown result code is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 11, 'corrected', 'fine')$$, :i1), '22023', 'unknown measure: "fine"',
                 'an unknown measure is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 12, 'no_problem', 'rectify')$$, :i1), '22023',
                 'measure "rectify" does not follow from result "no_problem"', 'no measure follows from no problem');
SELECT throws_ok($$SELECT record_item_result(NULL, 11, 'no_problem')$$, '22004', NULL, 'a NULL inspection is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, NULL, 'no_problem')$$, :i1), '22004', NULL, 'a NULL item is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 11, NULL)$$, :i1), '22004', NULL, 'a NULL result is refused');
SELECT throws_ok(format($$SELECT record_item_result(%s, 11, 'corrected', NULL)$$, :i1), '22004', NULL, 'a NULL measure is refused');
SELECT throws_ok(format($$INSERT INTO inspection_item (inspection_id, item_id, result_code, measure) VALUES (%s, 12, 'corrected', 'fine')$$, :i1),
                 '23514', NULL, 'the table keeps measures to the fixed set');
SELECT is((SELECT count(*)::integer FROM audit_log WHERE object_kind = 'inspection_item' AND object_id = :i1 AND action = 'result' AND department_id = 1),
          3, 'every item result and correction is in the audit trail, as a result of the inspection');

-- the comprehensive checklist of the joint visit shows content, item, result and measure
SELECT lives_ok(format($$SELECT record_item_result(%s, 21, 'corrected', 'rectify')$$, :ij), 'the health department records its item');
SELECT results_eq(format($$SELECT item_id, result_code, result_name, measure, measure_name FROM v_visit_checklist WHERE visit_id = %s ORDER BY item_id$$, :v),
                  $$VALUES (14::bigint, NULL::text, NULL::text, NULL::text, NULL::text),
                           (21, 'corrected', '发现问题已责令改正', 'rectify', '责令改正')$$,
                  'v_visit_checklist shows each item''s result and measure (NULL until recorded)');

-- officers: each department records and serves its own
SELECT grant_department_officer('supervise_test_market', ARRAY[1]::bigint[]);
SELECT grant_department_officer('supervise_test_health', ARRAY[2]::bigint[]);
SELECT grant_public_reader('supervise_test_reader');
SET LOCAL ROLE supervise_test_health;
SELECT throws_ok(format($$SELECT supervise.record_item_result(%s, 21, 'corrected', 'rectify')$$, :i1), '22023', NULL,
                 'another department''s inspection the officer cannot see does not exist for it');
SELECT throws_ok(format($$INSERT INTO supervise.inspection_item (inspection_id, item_id, result_code) VALUES (%s, 12, 'no_problem')$$, :i1),
                 '42501', NULL, 'nor does row-level security let it write another department''s item result');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT throws_ok(format($$SELECT supervise.record_item_result(%s, 21, 'corrected', 'rectify')$$, :ij), '42501',
                 format('permission denied to record item results of inspection %s', :ij),
                 'the market officer sees the joint task''s health result (结果互认) but may not record it');
SELECT lives_ok(format($$SELECT supervise.record_item_result(%s, 12, 'no_problem')$$, :i1), 'an officer records its own department''s item');
SELECT is((SELECT count(*)::integer FROM supervise.inspection_item WHERE inspection_id = :ij), 1,
          'and reads the partner department''s item results of a joint task');
RESET ROLE;

-- ---- the result notice ----
SELECT result_notice(:i1) AS n1 \gset
SELECT is(:'n1'::jsonb -> 'subject', jsonb_build_object('uscc', :'drawn', 'name', (SELECT name FROM subject WHERE uscc = :'drawn')),
          'the notice names the subject and its code');
SELECT is(ARRAY[:'n1'::jsonb #>> '{department,name}', :'n1'::jsonb #>> '{task,title}', :'n1'::jsonb ->> 'inspected_on',
                :'n1'::jsonb ->> 'result_on', :'n1'::jsonb #>> '{result,name}'],
          ARRAY['鼓楼区市场监督管理局', '食品和产品质量抽查', '2025-03-10', '2025-03-20', '发现问题已责令改正'],
          'department, task, dates and result');
SELECT is(jsonb_path_query_array(:'n1'::jsonb, '$.items[*] ? (@.item_id == 11) .measure_name'), '["立案调查"]'::jsonb,
          'each item with its result and measure');
SELECT is(jsonb_array_length(:'n1'::jsonb -> 'items'), 2, 'every item of the department in the task');
SELECT ok(:'n1'::jsonb -> 'legal_basis' ? '《中华人民共和国食品安全法》第一百一十条', 'the legal basis of the items');
SELECT ok(:'n1'::jsonb ->> 'rights' LIKE '%陈述、申辩或者申请复核%', 'what the subject may do (陈述、申辩、复核)');
SELECT ok(:'n1'::jsonb -> 'next_steps' ->> 0 LIKE '%立案调查%', 'and what follows from the measures');
SELECT is(:'n1'::jsonb -> 'served', 'null'::jsonb, 'not served yet');
SELECT throws_ok($$SELECT result_notice(-1)$$, '22023', 'inspection -1 does not exist', 'no notice of an unknown inspection');
SELECT throws_ok($$SELECT result_notice(NULL)$$, '22004', NULL, 'nor of NULL');
SELECT id AS i3 FROM inspection WHERE task_id = 3 \gset
SELECT throws_ok(format('SELECT result_notice(%s)', :i3), '55000', NULL, 'nor of an inspection without a result');

-- ---- serving it ----
SELECT results_eq($$SELECT inspection_id FROM v_unserved_notices$$,
                  format('VALUES (%s::bigint), (%s)', :i1, :ij), 'v_unserved_notices: inspections with results, oldest first');
SELECT throws_ok(format($$SELECT record_notice_served(%s, '2025-03-09', 'direct')$$, :i1), '22023',
                 format('notice of inspection %s served on 2025-03-09 is before the inspection on 2025-03-10', :i1),
                 'a notice is not served before its inspection');
SELECT throws_ok(format($$SELECT record_notice_served(%s, '2025-03-15', 'direct')$$, :i1), '22023',
                 format('notice of inspection %s served on 2025-03-15 is before its result on 2025-03-20', :i1),
                 'nor before its result is formed');
SELECT throws_ok(format($$SELECT record_notice_served(%s, current_date + 1, 'direct')$$, :i1), '22023', NULL, 'nor in the future');
SELECT throws_ok(format($$SELECT record_notice_served(%s, '2025-03-21', 'fax')$$, :i1), '22023', 'unknown service method: "fax"',
                 'an unknown method is refused');
SELECT throws_ok(format($$SELECT record_notice_served(%s, NULL, 'mail')$$, :i1), '22004', NULL, 'a NULL day is refused');
SELECT throws_ok($$SELECT record_notice_served(NULL, '2025-03-21', 'mail')$$, '22004', NULL, 'a NULL inspection is refused');
SELECT throws_ok($$SELECT record_notice_served(-1, '2025-03-21', 'mail')$$, '22023', 'inspection -1 does not exist', 'an unknown inspection is refused');
SELECT throws_ok(format($$SELECT record_notice_served(%s, '2025-03-21', 'mail')$$, :i3), '55000', NULL,
                 'an inspection without a result has no notice to serve');
SET LOCAL ROLE supervise_test_market;
SELECT throws_ok(format($$SELECT supervise.record_notice_served(%s, '2025-07-22', 'mail')$$, :ij), '42501',
                 format('permission denied to serve the result notice of inspection %s', :ij),
                 'another department''s officer does not serve its notice');
SELECT lives_ok(format($$SELECT supervise.record_notice_served(%s, '2025-03-21', 'mail')$$, :i1), 'the inspecting department serves it');
RESET ROLE;
SELECT throws_ok(format($$SELECT record_notice_served(%s, '2025-03-22', 'direct')$$, :i1), '23505',
                 format('the result notice of inspection %s was already served on 2025-03-21', :i1), 'a notice is served once');
SELECT is(result_notice(:i1) -> 'served', '{"served_on": "2025-03-21", "method": "mail", "method_name": "邮寄送达"}'::jsonb,
          'the notice says when and how it was served');
SELECT results_eq($$SELECT inspection_id FROM v_unserved_notices$$, format('VALUES (%s::bigint)', :ij), 'and it leaves v_unserved_notices');
SELECT is((SELECT actor::text FROM audit_log WHERE object_kind = 'notice_service' AND object_id = :i1 AND action = 'serve_notice'),
          'supervise_test_market', 'serving is in the audit trail with the officer who recorded it');

-- ---- published disposals ----
INSERT INTO disposal (inspection_id, kind, decided_on, document_no) VALUES (:i1, 'order', '2025-03-25', '鼓市监责改〔2025〕1号')
RETURNING id AS x1 \gset
INSERT INTO disposal (inspection_id, kind, decided_on, document_no) VALUES (:ij, 'penalty', '2025-08-01', '鼓卫罚〔2025〕2号')
RETURNING id AS x2 \gset
SELECT mark_published('disposal', :x1, '2025-03-28');
SELECT name AS drawn_name FROM subject WHERE uscc = :'drawn' \gset
SET LOCAL ROLE supervise_test_reader;
SELECT results_eq($$SELECT disposal_id, uscc, subject_name, kind_name, decided_on FROM supervise.public_disposals$$,
                  format($$VALUES (%s::bigint, %L::text, %L::text, '责令'::text, '2025-03-25'::date)$$, :x1, :'drawn', :'drawn_name'),
                  'a public reader sees the published disposal, not the unpublished one');
SELECT is_empty($$SELECT 1 FROM pg_attribute WHERE attrelid = 'supervise.public_disposals'::regclass AND attname LIKE '%document%'$$,
                'public_disposals never shows a document number');
RESET ROLE;
UPDATE inspection SET confidential = 'trade_secret' WHERE id = :i1;
SELECT results_eq($$SELECT subject_name, withheld FROM public_disposals$$, $$VALUES (NULL::text, 'trade_secret'::text)$$,
                  'a trade secret withholds the subject''s name');
UPDATE task SET confidential = 'state_secret' WHERE id = 1;
SELECT is_empty($$SELECT * FROM public_disposals$$, 'a state secret''s disposals are not shown');
SELECT ok('supervise.public_disposals' = ANY (public_view_names()), 'public_disposals is one of the public views');

SELECT * FROM finish();
ROLLBACK;
