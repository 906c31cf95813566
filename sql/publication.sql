-- the publication schedule (一公开): items, due dates, surprise and temporary tasks, provisional
-- due dates, mark_published, the views, and the advance filing rule. All in one rolled-back
-- transaction, with explicit ids (sequences are shared with the other tests).
SET search_path = supervise, public;
SET datestyle = ISO, YMD;
\set SHOW_CONTEXT never
\set ON_ERROR_ROLLBACK on
BEGIN;
\set dept 900001
\set plan 900011
\set planned 900021
\set surprise 900022
\set temporary 900023
\set insp 900031
\set insp2 900032
INSERT INTO department (id, code, name, system, level, region)
    VALUES (:dept, 'pubtest-fs', '抚顺市市场监督管理局 (test)', 'market', 3, '2104');
INSERT INTO subject (uscc, name, region) VALUES ('91350100M000100Y43', 'publication test subject', '350100');
-- the items of this test, labelled by the title of their plan or task
CREATE TEMP VIEW items AS
SELECT s.kind, coalesce(p.title, t.title, it.title, dt.title) AS of, s.occurred_on, s.event_on,
       s.due_on, s.provisional, s.published_on
  FROM v_publication_schedule s
  LEFT JOIN plan p ON s.kind = 'plan' AND p.id = s.object_id
  LEFT JOIN task t ON s.kind IN ('task', 'target_list') AND t.id = s.object_id
  LEFT JOIN inspection i ON s.kind = 'result' AND i.id = s.object_id
  LEFT JOIN task it ON it.id = i.task_id
  LEFT JOIN disposal d ON s.kind = 'disposal' AND d.id = s.object_id
  LEFT JOIN inspection di ON di.id = d.inspection_id
  LEFT JOIN task dt ON dt.id = di.task_id
 WHERE s.department_id = :dept
 ORDER BY s.event_on, s.kind, 2;

-- a plan: no item until approved, then due 10 working days later
INSERT INTO plan (id, department_id, year, title) VALUES (:plan, :dept, 2025, 'plan 2025');
SELECT * FROM items;
UPDATE plan SET approved_on = '2025-09-30' WHERE id = :plan;
SELECT * FROM items;
-- a planned task, approved: due 10 working days after approval
INSERT INTO task (id, plan_id, department_id, kind, title, period_start, period_end, approved_on, sample_size)
    VALUES (:planned, :plan, :dept, 'planned', 'planned task', '2025-11-01', '2025-11-30', '2025-10-20', 5);
-- a surprise task (突击检查): its items count from the end of its period
INSERT INTO task (id, plan_id, department_id, kind, title, period_start, period_end, approved_on, surprise, sample_size)
    VALUES (:surprise, :plan, :dept, 'planned', 'surprise task', '2025-11-01', '2025-11-28', '2025-10-20', true, 5);
SELECT * FROM items;
-- the draws add their target lists
SELECT publication_upsert('target_list', :planned, :dept, '2025-10-24') IS NOT NULL AS added;
SELECT publication_upsert('target_list', :surprise, :dept, '2025-10-24') IS NOT NULL AS added;
SELECT * FROM items WHERE of <> 'plan 2025';
-- a temporary task (临时任务) is published together with its list: no task item before the draw
INSERT INTO task (id, department_id, kind, title, period_start, period_end, approved_on, sample_size)
    VALUES (:temporary, :dept, 'temporary', 'temporary task', '2025-12-10', '2025-12-20', '2025-12-01', 3);
SELECT count(*) AS temporary_items FROM items WHERE of = 'temporary task';
SELECT publication_upsert('target_list', :temporary, :dept, '2025-12-03') IS NOT NULL AS added;
SELECT * FROM items WHERE of = 'temporary task';
-- a cancelled draw removes the unpublished list, and with it the temporary task's item
SELECT publication_upsert('target_list', :temporary, :dept, NULL) IS NULL AS removed;
SELECT count(*) AS temporary_items FROM items WHERE of = 'temporary task';
SELECT publication_upsert('target_list', :temporary, :dept, '2025-12-04') IS NOT NULL AS added_again;
-- publication_upsert errors
SELECT publication_upsert('result', :planned, :dept, '2025-10-24');
SELECT publication_upsert('target_list', -1, :dept, '2025-10-24');
SELECT publication_upsert('target_list', :planned, NULL, '2025-10-24');
-- results: an item when the result is formed; it follows result_on until published
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on)
    VALUES (:insp, :planned, '91350100M000100Y43', :dept, '2025-11-05', 'corrected', '2025-11-06');
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on)
    VALUES (:insp2, :surprise, '91350100M000100Y43', :dept, '2025-11-05');
SELECT * FROM items WHERE kind = 'result';
UPDATE inspection SET result_code = 'no_problem', result_on = '2025-11-07' WHERE id = :insp2;
UPDATE inspection SET result_on = '2025-11-10' WHERE id = :insp;
SELECT * FROM items WHERE kind = 'result';
-- disposals: 7 working days
INSERT INTO disposal (id, inspection_id, kind, decided_on) VALUES (900041, :insp, 'penalty', '2025-11-12'), (900042, :insp2, 'order', '2025-11-12');
SELECT * FROM items WHERE kind = 'disposal';
-- a result withdrawn before publication: its item goes
UPDATE inspection SET result_code = NULL, result_on = NULL WHERE id = :insp2;
SELECT count(*) AS surprise_results FROM items WHERE kind = 'result' AND of = 'surprise task';
UPDATE inspection SET result_code = 'no_problem', result_on = '2025-11-07' WHERE id = :insp2;

-- mark_published and its errors
SELECT mark_published('plan', :plan, '2025-10-14');
SELECT mark_published('task', :planned, '2025-11-20');
SELECT mark_published('task', :surprise, '2025-11-20');
SELECT mark_published('task', :surprise, '2025-12-01');
SELECT mark_published('result', :insp, '2025-11-07');
SELECT mark_published('result', -1, '2025-11-07');
SELECT mark_published('verdict', :insp, '2025-11-07');
SELECT mark_published('result', :insp, NULL);
SELECT mark_published('result', :insp, '2999-01-01');
-- a published item keeps its dates when the source changes
UPDATE plan SET approved_on = '2025-10-09' WHERE id = :plan;
SELECT * FROM items WHERE kind = 'plan';
-- status: on_time, late, overdue (2025 items are past due); pending needs a due date in the future
SELECT kind, of, status FROM v_publication_schedule s JOIN items USING (kind, event_on, due_on)
 WHERE s.department_id = :dept AND kind IN ('plan', 'task') ORDER BY 1, 2;
SELECT kind, of, due_on FROM v_overdue_publications o JOIN items USING (kind, event_on, due_on)
 WHERE o.department_id = :dept LIMIT 4;

-- provisional due dates: the shipped calendar ends with 2026
INSERT INTO plan (department_id, year, title, approved_on) VALUES (:dept, 2026, 'plan 2026', '2026-12-24');
SELECT kind, of, event_on, due_on, provisional FROM items WHERE of = 'plan 2026';
-- loading 2027 (a made-up notice: 1 and 4 January off) recomputes it
SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "off"}, {"day": "2027-01-04", "kind": "off"}]');
SELECT kind, of, event_on, due_on, provisional FROM items WHERE of = 'plan 2026';
-- the same far ahead, where the status is pending for the next 75 years
SELECT load_calendar(2099, '[{"day": "2099-01-01", "kind": "off"}]');
INSERT INTO plan (department_id, year, title, approved_on) VALUES (:dept, 2099, 'plan 2099', '2099-12-24');
SELECT s.kind, s.due_on, s.provisional, s.status FROM v_publication_schedule s
  JOIN plan p ON s.kind = 'plan' AND p.id = s.object_id WHERE p.title = 'plan 2099';
SELECT load_calendar(2100, '[{"day": "2100-01-01", "kind": "off"}, {"day": "2100-01-04", "kind": "off"}]');
SELECT s.kind, s.due_on, s.provisional, s.status FROM v_publication_schedule s
  JOIN plan p ON s.kind = 'plan' AND p.id = s.object_id WHERE p.title = 'plan 2099';
-- a correction of a day moves unpublished due dates
SELECT set_calendar_day('2100-01-05', 'off', 'test');
SELECT s.kind, s.due_on, s.provisional FROM v_publication_schedule s
  JOIN plan p ON s.kind = 'plan' AND p.id = s.object_id WHERE p.title = 'plan 2099';
-- a rule change applies to items when publication_recompute() runs
UPDATE publication_rule SET amount = 5 WHERE event = 'plan';
SELECT publication_recompute() > 0 AS changed;
SELECT s.kind, s.due_on FROM v_publication_schedule s
  JOIN plan p ON s.kind = 'plan' AND p.id = s.object_id WHERE p.title = 'plan 2099';

-- the advance filing rule (提前5日报备): temporary tasks, 5 calendar days by default
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size)
    VALUES (:dept, 'temporary', 'late filing', '2025-12-10', '2025-12-20', '2025-12-06', 3);
INSERT INTO task (department_id, kind, title, period_start, period_end, filed_on, approved_on, sample_size)
    VALUES (:dept, 'temporary', 'filed early', '2025-12-10', '2025-12-20', '2025-12-05', '2025-12-08', 3)
    RETURNING title;
INSERT INTO task (department_id, kind, title, period_start, period_end, filed_on, sample_size)
    VALUES (:dept, 'temporary', 'filed late', '2025-12-10', '2025-12-20', '2025-12-06', 3);
INSERT INTO task (department_id, kind, title, period_start, period_end, sample_size)
    VALUES (:dept, 'temporary', 'draft', '2025-12-10', '2025-12-20', 3) RETURNING title;
UPDATE task SET approved_on = '2025-12-09' WHERE title = 'draft' AND department_id = :dept;
-- planned tasks are not limited
INSERT INTO task (plan_id, department_id, kind, title, period_start, period_end, approved_on, sample_size)
    VALUES (:plan, :dept, 'planned', 'planned late', '2025-12-10', '2025-12-20', '2025-12-09', 3) RETURNING title;
-- the number is a setting: a locality asking 7 days, and special tasks too; the shipped rule
-- can be changed, not deleted (a restore would bring it back)
UPDATE task_filing_rule SET notice_days = 7 WHERE task_kind = 'temporary';
UPDATE task SET approved_on = '2025-12-04' WHERE title = 'filed early' AND department_id = :dept;
INSERT INTO task_filing_rule (task_kind, notice_days) VALUES ('special', 3);
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size)
    VALUES (:dept, 'special', 'special late', '2025-12-10', '2025-12-20', '2025-12-08', 3);
INSERT INTO task_filing_rule (task_kind, notice_days) VALUES ('unplanned', 3);
DELETE FROM task_filing_rule WHERE task_kind = 'temporary';
SELECT task_kind, notice_days, shipped, modified FROM task_filing_rule ORDER BY 1;
DELETE FROM task_filing_rule WHERE task_kind = 'special';
ROLLBACK;
