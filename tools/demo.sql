-- A year of 双随机、一公开 on a sample province. Run by tools/demo.sh (psql variable :subjects).
-- Each step prints what a department, an inspector or the disclosure site would see.
\pset footer off
\pset null '—'
\set ON_ERROR_STOP on
CREATE EXTENSION supervise;
SET search_path = supervise, public;

\echo
\echo '== 1. A sample province (福建省): departments of six systems, subjects, item lists, inspectors'
SELECT * FROM generate_sample(:subjects, seed => 2026);
SELECT credit_class AS "信用风险分类", count(*) AS subjects,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%"
  FROM subject GROUP BY credit_class ORDER BY 1;

\echo
\echo '== 2. Loading a file of subjects: bad rows are kept with their reason, never lost'
INSERT INTO subject_staging (uscc, name, credit_class)
VALUES ('91350211M00013FA1N', '厦门早期试点企业（旧码）', 'B'),
       ('91350203MA8TEST01', '少一位的代码', 'A'),
       (lower(uscc_build('91', '350203', 'MA34AB5C')::text), '小写录入的企业', 'A');
SELECT staged, inserted, rejected FROM load_subjects();
SELECT line, uscc, reason FROM subject_reject ORDER BY line;

\echo
\echo '== 3. The 2026 plans (年度抽查计划) of 思明区: market supervision and health, approved in February'
SELECT d.id AS market_id FROM department d WHERE d.code = 'SAMR-350203' \gset
SELECT d.id AS health_id FROM department d WHERE d.code = 'HC-350203' \gset
SELECT d.id AS city_market_id FROM department d WHERE d.code = 'SAMR-3502' \gset
INSERT INTO plan (department_id, year, title, approved_on) VALUES
    (:market_id, 2026, '思明区市场监督管理局2026年度双随机抽查计划', '2026-02-20'),
    (:health_id, 2026, '思明区卫生健康局2026年度双随机抽查计划', '2026-02-24');
SELECT p.id AS market_plan FROM plan p WHERE p.department_id = :market_id \gset
SELECT p.id AS health_plan FROM plan p WHERE p.department_id = :health_id \gset
-- market: food businesses of its dedicated directory, ratios by credit class (A 3%, B 5%, C 20%, D 100%)
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id)
SELECT :market_plan, :market_id, '食品经营者双随机抽查', '2026-04-01', '2026-06-30', '2026-03-06', dir.id
  FROM directory dir WHERE dir.department_id = :market_id
RETURNING id AS food_task \gset
INSERT INTO task_item (task_id, item_id)
SELECT :food_task, id FROM check_item WHERE department_id = :market_id AND code IN ('SC-01', 'SC-03');
INSERT INTO task_stratum (task_id, credit_class, ratio)
VALUES (:food_task, 'A', 0.03), (:food_task, 'B', 0.05), (:food_task, 'C', 0.20), (:food_task, 'D', 1.0);
-- health: public places hygiene over the same directory, a window that overlaps the market's
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id, sample_ratio)
SELECT :health_plan, :health_id, '公共场所卫生双随机抽查', '2026-05-11', '2026-07-31', '2026-03-09', dir.id, 0.05
  FROM directory dir WHERE dir.department_id = :market_id
RETURNING id AS health_task \gset
INSERT INTO task_item (task_id, item_id)
SELECT :health_task, id FROM check_item WHERE department_id = :health_id AND code = 'HC-01';
-- market: annual-report checks of all enterprises, by count
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
VALUES (:market_plan, :market_id, '企业年度报告公示信息抽查', '2026-07-01', '2026-09-30', '2026-03-06', 60)
RETURNING id AS report_task \gset
INSERT INTO task_item (task_id, item_id)
SELECT :report_task, id FROM check_item WHERE department_id = :market_id AND code = 'SC-02';
SELECT t.id, d.name AS department, t.title, t.period_start, t.period_end,
       coalesce(t.sample_ratio::text, t.sample_size::text,
                (SELECT string_agg(s.credit_class || ' ' || (s.ratio * 100)::numeric(5, 1) || '%', ', ' ORDER BY s.credit_class)
                   FROM task_stratum s WHERE s.task_id = t.id)) AS sampling
  FROM task t JOIN department d ON d.id = t.department_id ORDER BY t.id;
