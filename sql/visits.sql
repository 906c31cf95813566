-- supervise visits: plan_visits groups each subject's drawn tasks into the fewest visits whose
-- tasks share a day; the views; results against a visit seen by every department; re-runs.
SET search_path = supervise, public;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
BEGIN;
-- visit ids in messages start from 1 (the rest is rolled back at the end)
SELECT setval('visit_id_seq', 1, false) IS NOT NULL AS restarted;
-- departments (ids fixed so the output does not depend on other tests), items, subjects
INSERT INTO department (id, code, name, system, level, region) VALUES
    (9101, 'V-SCJG', '市场监管局', 'market', 4, '110108'),
    (9102, 'V-STHJ', '生态环境局', 'ecology', 4, '110108'),
    (9103, 'V-WHZF', '文化执法大队', 'culture', 4, '110108'),
    (9104, 'V-WSJK', '卫生健康委', 'health', 4, '110108');
INSERT INTO check_item (id, department_id, code, name, category, legal_basis) VALUES
    (9201, 9101, 'M1', '营业执照公示情况', 'v-license', '《企业信息公示暂行条例》第十条'),
    (9202, 9101, 'M2', '年度报告公示情况', 'v-annual', '《企业信息公示暂行条例》第八条'),
    (9203, 9101, 'M3', '食品经营许可', 'v-food', '《食品安全法》第三十五条'),
    (9204, 9101, 'M4', '计量器具', 'v-metrology', '《计量法》第九条'),
    (9205, 9101, 'M5', '价格公示', 'v-price', '《价格法》第十三条'),
    (9211, 9102, 'E1', '排污许可', 'v-discharge', '《排污许可管理条例》第二条'),
    (9212, 9102, 'E2', '危险废物贮存', 'v-waste', '《固体废物污染环境防治法》第七十九条'),
    (9221, 9103, 'C1', '营业性演出', 'v-show', '《营业性演出管理条例》第六条'),
    (9222, 9103, 'C2', '网吧经营', 'v-netbar', '《互联网上网服务营业场所管理条例》第七条'),
    (9223, 9103, 'C3', '出版物经营', 'v-publish', '《出版管理条例》第三十五条'),
    (9231, 9104, 'H1', '公共场所卫生', 'v-hygiene', '《公共场所卫生管理条例》第三条'),
    (9232, 9104, 'H2', '生活饮用水', 'v-water', '《生活饮用水卫生监督管理办法》第五条');
INSERT INTO subject (uscc, name, region) VALUES
    ('91350100M000100Y43', 'S1 甲公司', '350100'),
    ('91110000600037341L', 'S2 乙公司', '110000'),
    ('91620105L015101280', 'S3 丙公司', '620105'),
    ('9144030071526726XG', 'S4 丁公司', '440300'),
    ('92340602MA2PBQAH7E', 'S5 戊个体户', '340602'),
    ('91310230MA1K314J7C', 'S6 己公司', '310230'),
    ('914403001922038216', 'S7 庚公司', '440300');
-- tasks of 2024 (T1..T5 in March, T6..T9 in April, T10 in 2025)
INSERT INTO task (id, department_id, kind, title, period_start, period_end) VALUES
    (9301, 9101, 'special', 'T1 market',  '2024-03-01', '2024-03-10'),
    (9302, 9102, 'special', 'T2 ecology', '2024-03-05', '2024-03-15'),
    (9303, 9103, 'special', 'T3 culture', '2024-03-12', '2024-03-20'),
    (9304, 9104, 'special', 'T4 health all year', '2024-01-01', '2024-12-31'),
    (9305, 9103, 'special', 'T5 culture', '2024-03-10', '2024-03-20'),
    (9306, 9102, 'special', 'T6 ecology', '2024-04-01', '2024-04-30'),
    (9307, 9104, 'special', 'T7 health',  '2024-04-10', '2024-05-10'),
    (9309, 9101, 'special', 'T9 market',  '2024-04-01', '2024-04-20'),
    (9310, 9101, 'special', 'T10 market 2025', '2025-03-01', '2025-03-10');
INSERT INTO task_item (task_id, item_id) VALUES
    (9301, 9201), (9301, 9202), (9302, 9211), (9303, 9221), (9304, 9231),
    (9305, 9222), (9305, 9223), (9306, 9212), (9307, 9232),
    (9309, 9203), (9309, 9204), (9309, 9205), (9310, 9201);
-- a joint task: T6 (ecology) and T7 (health) merged; the initiator is ecology
SELECT merge_tasks(ARRAY[9306, 9307]::bigint[]) AS joint_task_id \gset
-- draws, recorded as the draw code records them (the subjects are given, to test the grouping)
CREATE FUNCTION pg_temp.drawn(task bigint, codes text[], cancelled boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE d bigint := 9400 + (SELECT count(*) FROM supervise.draw_record WHERE id > 9400) + 1;
BEGIN
    INSERT INTO supervise.draw_record (id, task_id, algorithm, seed, seed_source, population_size,
                                       population_digest, allocation, target_count, population)
    VALUES (d, task, 'sha256-v1', supervise.seed_from('visits test ' || task), 'given', cardinality(codes),
            sha256(''), '[]', cardinality(codes), '');
    INSERT INTO supervise.draw_target (draw_id, uscc, stratum, rank)
    SELECT d, c::supervise.uscc, 'all', r FROM unnest(codes) WITH ORDINALITY u(c, r);
    IF cancelled THEN
        PERFORM supervise.cancel_draw(d, 'test: drawn again');
    END IF;
    RETURN d;
END $$;
-- S1: T1 [03-01,03-10] and T2 [03-05,03-15] overlap: one visit [03-05,03-10];
--     the joint task [04-10,04-30] and T9 [04-01,04-20]: one visit led by the joint initiator
-- S2: the chain T1 [03-01,03-10], T2 [03-05,03-15], T3 [03-12,03-20]: two visits
-- S3: T1 inside T4 (all year): one visit [03-01,03-10]
-- S4: T1 [03-01,03-10] and T5 [03-10,03-20] share only 03-10: one visit on that day
-- S5: T3 only: one visit, the task's period
-- S6: only in a cancelled draw of T3, and in 2025: no visit in 2024
-- S7: in the joint task only
SELECT pg_temp.drawn(9301, ARRAY['91350100M000100Y43', '91110000600037341L', '91620105L015101280', '9144030071526726XG']) > 0 AS drawn;
SELECT pg_temp.drawn(9302, ARRAY['91350100M000100Y43', '91110000600037341L']) > 0 AS drawn;
SELECT pg_temp.drawn(9303, ARRAY['91310230MA1K314J7C', '92340602MA2PBQAH7E'], cancelled => true) > 0 AS drawn;
SELECT pg_temp.drawn(9303, ARRAY['91110000600037341L', '92340602MA2PBQAH7E']) > 0 AS drawn;
SELECT pg_temp.drawn(9304, ARRAY['91620105L015101280']) > 0 AS drawn;
SELECT pg_temp.drawn(9305, ARRAY['9144030071526726XG']) > 0 AS drawn;
SELECT pg_temp.drawn(:joint_task_id, ARRAY['91350100M000100Y43', '914403001922038216']) > 0 AS drawn;
SELECT pg_temp.drawn(9309, ARRAY['91350100M000100Y43']) > 0 AS drawn;
SELECT pg_temp.drawn(9310, ARRAY['91310230MA1K314J7C']) > 0 AS drawn;

SELECT count(*) AS would_be_made FROM visit_plan(2024);
SELECT plan_visits(2024) AS visits;
-- task ids are shown as names (T1, ..., J = the joint task)
CREATE TEMP VIEW shown AS
SELECT v.visit_id, s.name AS subject, v.lead_department_id AS lead, v.department_ids, v.item_ids,
       v.window_start, v.window_end,
       ARRAY(SELECT CASE WHEN t = :joint_task_id THEN 'J' ELSE 'T' || (t - 9300) END
               FROM unnest(v.task_ids) t ORDER BY t) AS tasks
  FROM v_joint_visits v JOIN subject s ON s.uscc = v.uscc;
SELECT subject, lead, department_ids, item_ids, window_start, window_end, tasks
  FROM shown ORDER BY subject, window_start;
-- nothing for 2025 was planned by the 2024 run; 2025 has its own
SELECT count(*) AS visits_2025 FROM v_joint_visits WHERE year = 2025;
SELECT plan_visits(2025) AS visits_2025, plan_visits(2023) AS visits_2023;
-- the comprehensive checklist of S1's April visit (joint task and T9), by department then item
SELECT c.department_id, c.department_name, c.item_code, c.item_name, c.category, c.legal_basis, c.lead_department
  FROM v_visit_checklist c JOIN shown s USING (visit_id)
 WHERE s.subject = 'S1 甲公司' AND s.window_start = '2024-04-10'
 ORDER BY c.department_id, c.item_code;
-- the visit_task view: one row per task
SELECT s.subject, count(*) AS tasks, count(DISTINCT vt.draw_id) AS draws
  FROM visit_task vt JOIN shown s USING (visit_id) GROUP BY s.subject ORDER BY s.subject;

-- re-running is idempotent: same visits, same ids, same count
CREATE TEMP VIEW stored AS
SELECT visit_id AS id, year, uscc, lead_department_id, window_start, window_end, task_ids, draw_ids FROM v_joint_visits;
CREATE TEMP TABLE before AS SELECT * FROM stored;
SELECT plan_visits(2024) AS visits;
SELECT count(*) AS changed FROM (
    (SELECT * FROM before EXCEPT SELECT * FROM stored)
    UNION ALL
    (SELECT * FROM stored EXCEPT SELECT * FROM before)) d;

-- results on S1's March visit by two departments, each seen by both (结果互认)
SELECT visit_id AS s1_march FROM shown WHERE subject = 'S1 甲公司' AND window_start = '2024-03-05' \gset
SELECT visit_id AS s2_march FROM shown WHERE subject = 'S2 乙公司' AND window_start = '2024-03-05' \gset
SELECT record_visit_result(:s1_march, 9101, 'no_problem', '2024-03-08', '2024-03-06') AS written;
SELECT record_visit_result(:s1_march, 9102, 'corrected', '2024-03-09', '2024-03-06', '排污口标识不全') AS written;
SELECT department_id, department_name, 'T' || (task_id - 9300) AS task, inspected_on, result_code, result_name,
       problem_found, result_on, note, recorded
  FROM v_visit_results WHERE visit_id = :s1_march ORDER BY department_id;
-- a department corrects its result: the row is updated, not duplicated
SELECT record_visit_result(:s1_march, 9101, 'not_disclosed', '2024-03-09', '2024-03-06') AS written;
SELECT department_id, result_code, result_on FROM v_visit_results WHERE visit_id = :s1_march ORDER BY department_id;
SELECT count(*) AS inspections FROM inspection WHERE uscc = '91350100M000100Y43';
-- the joint visit: one record per department writes its row of the joint task
SELECT visit_id AS s1_april FROM shown WHERE subject = 'S1 甲公司' AND window_start = '2024-04-10' \gset
SELECT record_visit_result(:s1_april, 9104, 'no_problem', '2024-04-15') AS written;
SELECT department_id, CASE WHEN task_id = :joint_task_id THEN 'J' ELSE 'T' || (task_id - 9300) END AS task,
       result_code, recorded
  FROM v_visit_results WHERE visit_id = :s1_april ORDER BY department_id, task;

-- errors
SELECT record_visit_result(:s1_march, 9103, 'no_problem', '2024-03-08');
SELECT record_visit_result(:s1_march, 9101, 'all_fine', '2024-03-08');
SELECT record_visit_result(:s1_march, 9101, 'no_problem', '2024-03-06', '2024-03-08');
SELECT record_visit_result(:s1_march, 9101, 'no_problem', '2024-03-20', '2024-03-12');
SELECT record_visit_result(-1, 9101, 'no_problem', '2024-03-08');
SELECT record_visit_result(:s1_march, 9101, NULL, '2024-03-08');

-- a visit with results is kept on re-run, the others are remade around it.
-- S2 gets a new health task T8 [03-08,03-12]; its March visit {T1,T2} has a result, so T8 cannot
-- join it: T8 and T3 share 03-12 and become one visit; the old {T3} visit is replaced.
SELECT record_visit_result(:s2_march, 9102, 'no_problem', '2024-03-07') AS written;
INSERT INTO task (id, department_id, kind, title, period_start, period_end) VALUES
    (9308, 9104, 'special', 'T8 health', '2024-03-08', '2024-03-12');
INSERT INTO task_item VALUES (9308, 9231);
SELECT pg_temp.drawn(9308, ARRAY['91110000600037341L']) > 0 AS drawn;
SELECT plan_visits(2024) AS visits;
SELECT subject, lead, window_start, window_end, tasks, visit_id = :s2_march AS same_id
  FROM shown WHERE subject = 'S2 乙公司' ORDER BY window_start;
-- S1's visits kept their ids (one has results, the other was made again)
SELECT count(*) AS s1_same_ids FROM shown s JOIN before b ON b.id = s.visit_id WHERE s.subject = 'S1 甲公司';
-- without the result the March visit of S2 would have taken T8
SELECT count(*) FROM inspection WHERE uscc = '91110000600037341L';
DELETE FROM inspection WHERE uscc = '91110000600037341L';
SELECT plan_visits(2024) AS visits;
SELECT subject, window_start, window_end, tasks FROM shown WHERE subject = 'S2 乙公司' ORDER BY window_start;

-- a cancelled draw drops its targets on the next run
SELECT cancel_draw(id, 'test: wrong directory') FROM draw_record WHERE task_id = 9305 AND cancelled_at IS NULL;
SELECT plan_visits(2024) AS visits;
SELECT subject, window_start, window_end, tasks FROM shown WHERE subject = 'S4 丁公司';
-- what visits are made of is kept once per set of tasks; a set no visit uses is gone
SELECT count(*) AS task_sets, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM visit v WHERE v.task_set_id = s.id)) AS unused
  FROM visit_task_set s;
SELECT count(*) AS visits, count(DISTINCT task_set_id) AS their_task_sets FROM visit;
-- a result on a visit whose draw was cancelled is refused until it is planned again
SELECT visit_id AS s3_visit FROM shown WHERE subject = 'S3 丙公司' \gset
SELECT cancel_draw(id, 'test: wrong directory') FROM draw_record WHERE task_id = 9304 AND cancelled_at IS NULL;
SELECT record_visit_result(:s3_visit, 9104, 'no_problem', '2024-03-05');

-- the report: per department and month, visits planned and done, entries saved by merging
SELECT department_id, department_name, month, visits_planned, visits_done, visits_led, task_subject_pairs, entries_saved
  FROM v_visit_report WHERE department_id BETWEEN 9101 AND 9104 ORDER BY department_id, month;

-- the window function on its own, and a bad period
SELECT s, e, visit_group(s, e) OVER (ORDER BY e) AS g
  FROM (VALUES (date '2024-01-01', date '2024-01-10'), ('2024-01-05', '2024-01-15'), ('2024-01-12', '2024-01-20'),
               ('2024-01-20', '2024-01-20'), (NULL, '2024-01-02')) v(s, e) ORDER BY e, s;
SELECT visit_group(s, e) OVER () FROM (VALUES (date '2024-01-10', date '2024-01-01')) v(s, e);
SELECT plan_visits(NULL) IS NULL AS null_year;
ROLLBACK;
