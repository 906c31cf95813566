-- A year of 双随机、一公开 on a sample province. Run by tools/demo.sh (psql variables :subjects and,
-- optionally, :today, the day the demo takes as the day it runs: YYYY-MM-DD, default current_date).
-- Each step prints what a department, an inspector or the disclosure site would see.
--
-- The demo replays the last full year before the day it runs (the latest year whose holiday notice
-- is loaded, when that one is not): the same story on any day, 1 January and 31 December included,
-- with everything it publishes already public. The rules that depend on the day (a draw only
-- within the task's period, task progress) follow the story's clock: supervise.today, set at each
-- step to the day of the story (a superuser's setting; the demo runs as one).
\pset footer off
\pset null '—'
\set ON_ERROR_STOP on
\if :{?today}
\else
\set today ''
\endif
CREATE EXTENSION supervise;
SET search_path = supervise, public;
SELECT least(extract(year FROM coalesce(nullif(:'today', '')::date, current_date))::integer - 1,
             (SELECT max(year) FROM calendar_year)) AS y \gset
SELECT set_config('demo.year', :'y', false) IS NOT NULL AS year_set \gset
\echo '   the demo replays the year' :y

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
\echo '== 3. The plans of the year (年度抽查计划) of 思明区: market supervision and health, approved in February'
SELECT d.id AS market_id FROM department d WHERE d.code = 'SAMR-350203' \gset
SELECT d.id AS health_id FROM department d WHERE d.code = 'HC-350203' \gset
SELECT d.id AS city_market_id FROM department d WHERE d.code = 'SAMR-3502' \gset
INSERT INTO plan (department_id, year, title, approved_on) VALUES
    (:market_id, :y, '思明区市场监督管理局' || :y || '年度双随机抽查计划', make_date(:y, 2, 20)),
    (:health_id, :y, '思明区卫生健康局' || :y || '年度双随机抽查计划', make_date(:y, 2, 24));
SELECT p.id AS market_plan FROM plan p WHERE p.department_id = :market_id \gset
SELECT p.id AS health_plan FROM plan p WHERE p.department_id = :health_id \gset
-- market: food businesses of its dedicated directory, ratios by credit class (A 3%, B 5%, C 20%, D 100%)
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id)
SELECT :market_plan, :market_id, '食品经营者双随机抽查', make_date(:y, 4, 1), make_date(:y, 6, 30), make_date(:y, 3, 6), dir.id
  FROM directory dir WHERE dir.department_id = :market_id
RETURNING id AS food_task \gset
INSERT INTO task_item (task_id, item_id)
SELECT :food_task, id FROM check_item WHERE department_id = :market_id AND code IN ('SC-01', 'SC-03');
INSERT INTO task_stratum (task_id, credit_class, ratio)
VALUES (:food_task, 'A', 0.03), (:food_task, 'B', 0.05), (:food_task, 'C', 0.20), (:food_task, 'D', 1.0);
-- health: public places hygiene over the same directory, a window that overlaps the market's
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id, sample_ratio)
SELECT :health_plan, :health_id, '公共场所卫生双随机抽查', make_date(:y, 5, 11), make_date(:y, 7, 31), make_date(:y, 3, 9), dir.id, 0.05
  FROM directory dir WHERE dir.department_id = :market_id
RETURNING id AS health_task \gset
INSERT INTO task_item (task_id, item_id)
SELECT :health_task, id FROM check_item WHERE department_id = :health_id AND code = 'HC-01';
-- market: annual-report checks of the same businesses, by count, from June
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size, directory_id)
SELECT :market_plan, :market_id, '食品经营企业年度报告公示信息抽查', make_date(:y, 6, 1), make_date(:y, 9, 30), make_date(:y, 3, 6), 40, dir.id
  FROM directory dir WHERE dir.department_id = :market_id
RETURNING id AS report_task \gset
INSERT INTO task_item (task_id, item_id)
SELECT :report_task, id FROM check_item WHERE department_id = :market_id AND code = 'SC-02';
SELECT t.id, d.name AS department, t.title, t.period_start, t.period_end,
       coalesce(t.sample_ratio::text, t.sample_size::text,
                (SELECT string_agg(s.credit_class || ' ' || (s.ratio * 100)::numeric(5, 1) || '%', ', ' ORDER BY s.credit_class)
                   FROM task_stratum s WHERE s.task_id = t.id)) AS sampling
  FROM task t JOIN department d ON d.id = t.department_id ORDER BY t.id;

\echo
\echo '== 4. 综合查一次: the food and hygiene checks become one joint task (进一次门、查多项事)'
SELECT merge_tasks(ARRAY[:food_task, :health_task]::bigint[], '食品经营和公共场所卫生联合抽查') AS joint_task \gset
SELECT t.id, t.title, t.period_start, t.period_end, d.name AS initiator,
       (SELECT string_agg(DISTINCT dd.name, '、') FROM task_item ti JOIN check_item ci ON ci.id = ti.item_id
          JOIN department dd ON dd.id = ci.department_id WHERE ti.task_id = t.id) AS departments
  FROM task t JOIN department d ON d.id = t.department_id WHERE t.id = :joint_task;

\echo
\echo '== 4b. The standing list of joint-check scenarios (检查场景清单): its lead department (牵头单位) makes the joint task'
INSERT INTO joint_scenario (name, lead_department_id, description)
VALUES ('餐饮服务综合查一次', :market_id, '餐饮服务单位：食品经营、公共场所卫生') RETURNING id AS scenario \gset
INSERT INTO joint_scenario_item (scenario_id, item_id)
SELECT :scenario, id FROM check_item
 WHERE (department_id = :market_id AND code = 'SC-03') OR (department_id = :health_id AND code = 'HC-01');
SELECT scenario_task(:scenario, '餐饮服务综合查一次（秋季）', make_date(:y, 10, 12), make_date(:y, 11, 20), plan_id => :market_plan,
                     sample_size => 30, inspector_scope => 'subordinate') AS scenario_task \gset
SELECT t.id, t.title, t.period_start, t.period_end, d.name AS initiator, t.inspector_scope,
       (SELECT string_agg(DISTINCT dd.name, '、') FROM task_item ti JOIN check_item ci ON ci.id = ti.item_id
          JOIN department dd ON dd.id = ci.department_id WHERE ti.task_id = t.id) AS departments
  FROM task t JOIN department d ON d.id = t.department_id WHERE t.id = :scenario_task;

\echo
\echo '== 5. 双随机 (1): the targets, drawn from a published seed; anyone can re-run the draw'
-- the story's clock: the draws are made on 16 March, within the tasks' periods
SELECT set_config('supervise.today', make_date(:y, 3, 16)::text, false) AS story_day \gset
SELECT draw(:joint_task, seed_from(:y || '年3月16日 思明区联合抽查 公证摇号 福彩3D ' || :y || '068期 471')) AS joint_draw \gset
SELECT draw(:report_task, seed_from(:y || '年3月16日 思明区年报抽查 公证摇号 福彩3D ' || :y || '068期 471')) AS report_draw \gset
SELECT task_id, algorithm, seed_hex, population_size, population_digest_hex, target_count
  FROM v_draw_disclosure WHERE draw_id IN (:joint_draw, :report_draw) ORDER BY draw_id;
SELECT a.stratum AS "信用类", a.n AS eligible, a.ratio, a.k AS drawn
  FROM draw_record r, jsonb_to_recordset(r.allocation) AS a(stratum text, n int, ratio numeric, k int)
 WHERE r.id = :joint_draw ORDER BY 1;
SELECT verify_draw(:joint_draw) AS joint_draw_verifies, verify_draw(:report_draw) AS report_draw_verifies;
\echo '   (the same list from the raw population with the standalone script: tools/verify_draw.py, see doc/draw-algorithm.md)'

\echo
\echo '== 6. 双随机 (2): inspectors matched at random, two per department per target, conflicts avoided'
SELECT match_inspectors(:joint_draw) AS joint_assignments, match_inspectors(:report_draw) AS report_assignments;
SELECT d.name AS department, count(DISTINCT a.inspector_id) AS inspectors, count(*) AS assignments,
       min(per) AS min_load, max(per) AS max_load
  FROM (SELECT a.*, count(*) OVER (PARTITION BY a.draw_id, a.inspector_id) AS per FROM assignment a) a
  JOIN department d ON d.id = a.department_id GROUP BY d.name ORDER BY 1;

\echo
\echo '== 7. Joint visits: one visit per enterprise for the checks whose periods share a day'
SELECT plan_visits(:y) AS visits;
SELECT count(*) FILTER (WHERE cardinality(task_ids) > 1) AS "visits merging two tasks",
       count(*) AS visits, (SELECT count(*) FROM draw_target WHERE draw_id IN (:joint_draw, :report_draw)) AS "drawn targets"
  FROM v_joint_visits;
\echo '   a week of joint visits (from 1 June) and their 综合检查单:'
SELECT v.visit_id, v.window_start || '~' || v.window_end AS "window", v.subject_name, v.lead_department_name AS lead,
       c.department_name, string_agg(c.item_name, '；' ORDER BY c.item_code) AS checklist
  FROM v_joint_visits v JOIN v_visit_checklist c USING (visit_id)
 WHERE v.window_start <= make_date(:y, 6, 7) AND v.window_end >= make_date(:y, 6, 1) AND cardinality(v.department_ids) > 1
 GROUP BY v.visit_id, v.window_start, v.window_end, v.subject_name, v.lead_department_name, c.department_id, c.department_name
 ORDER BY v.visit_id, c.department_id LIMIT 12;

\echo
\echo '== 8. Results: each department records its own result on the shared visit (结果互认)'
SELECT count(*) AS results_recorded FROM (
    SELECT record_visit_result(v.visit_id, dep, CASE WHEN (v.visit_id + dep) % 7 = 0 THEN 'corrected' ELSE 'no_problem' END,
                               v.window_start + 3, v.window_start + 1)
      FROM v_joint_visits v, unnest(v.department_ids) AS dep
     -- (one check is never made: the market department's on the last joint visit; see step 9)
     WHERE NOT (dep = :market_id AND v.visit_id = (SELECT max(j.visit_id) FROM v_joint_visits j
                                                   WHERE cardinality(j.department_ids) > 1))) s;
SELECT visit_id, department_name, result_name, result_on FROM v_visit_results
 WHERE visit_id = (SELECT min(visit_id) FROM v_joint_visits WHERE cardinality(department_ids) > 1) ORDER BY department_name;
INSERT INTO disposal (inspection_id, kind, decided_on, document_no)
SELECT id, 'order', result_on + 2, '思市监责改〔' || :y || '〕' || row_number() OVER (ORDER BY id) || '号'
  FROM inspection WHERE result_code = 'corrected' AND department_id = :market_id;
\echo '   each item checked gets its result and measure, and the subject a result notice (检查结果告知书):'
SELECT count(record_item_result(i.id, ti.item_id, i.result_code, CASE WHEN rc.problem_found THEN 'rectify' ELSE 'none' END))
       AS item_results
  FROM inspection i JOIN result_code rc ON rc.code = i.result_code JOIN task_item ti ON ti.task_id = i.task_id
  JOIN check_item ci ON ci.id = ti.item_id AND ci.department_id = i.department_id;
SELECT jsonb_pretty(result_notice(min(id))) AS result_notice FROM inspection WHERE result_code = 'corrected';
\echo '   the once-a-year rule refuses a second check of the same kind outside a draw:'
DO $$
DECLARE u uscc; t bigint; d bigint; y integer := current_setting('demo.year')::integer;
BEGIN
    SELECT i.uscc, i.task_id, i.department_id INTO u, t, d FROM supervise.inspection i
      JOIN supervise.department dep ON dep.id = i.department_id
     WHERE dep.code = 'SAMR-350203'
       AND EXISTS (SELECT 1 FROM supervise.task_item ti JOIN supervise.check_item ci ON ci.id = ti.item_id
                    WHERE ti.task_id = i.task_id AND ci.code = 'SC-01')
     ORDER BY i.id LIMIT 1;
    INSERT INTO supervise.task (plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
    SELECT p.id, p.department_id, '重复检查（演示）', make_date(y, 10, 12), make_date(y, 10, 30), make_date(y, 9, 1), 1
      FROM supervise.plan p WHERE p.department_id = d RETURNING id INTO t;
    INSERT INTO supervise.task_item (task_id, item_id)
    SELECT t, ci.id FROM supervise.check_item ci WHERE ci.department_id = d AND ci.code = 'SC-01';
    INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on) VALUES (t, u, d, make_date(y, 10, 15));
    RAISE NOTICE 'accepted?! the rule did not apply';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'refused: %', SQLERRM;
END $$;

\echo
\echo '== 9. After the check (15 August): progress of each task, a clue checked directly, a case transferred'
SELECT set_config('supervise.today', make_date(:y, 8, 15)::text, false) AS story_day \gset
\echo '   在任务期内完成检查: per task and department (overdue: the period ended with targets unchecked)'
SELECT p.task_id, d.name AS department, p.drawn, p.inspected, p.with_result, p.unchecked, p.period_end, p.status
  FROM v_task_progress p JOIN department d ON d.id = p.department_id WHERE p.drawn > 0 ORDER BY p.task_id, d.name;
\echo '   a complaint (投诉举报) about a business: a clue task checks it directly (no draw, never limited)'
SELECT min(uscc) AS clue_subject FROM subject WHERE region = '350203' AND status = 'active' \gset
SELECT record_clue(:market_id, :'clue_subject', 'complaint', '消费者投诉：销售超过保质期的食品', make_date(:y, 8, 17)) AS clue_id \gset
SELECT clue_task(:clue_id, '投诉核查：超过保质期的食品', make_date(:y, 8, 18), make_date(:y, 9, 18),
                 ARRAY(SELECT id FROM check_item WHERE department_id = :market_id AND code = 'SC-01')) AS clue_task \gset
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
VALUES (:clue_task, :'clue_subject', :market_id, make_date(:y, 8, 19), 'corrected', make_date(:y, 8, 19));
\echo '   the check found a hygiene problem outside its items: 另案查处, handed to the health department, which accepts it'
SELECT transfer_case(:health_id, '检查中发现从业人员无健康证明、公共用品未消毒，属卫生健康部门职责，依法移送',
                     inspection_id => (SELECT id FROM inspection WHERE task_id = :clue_task), transferred_on => make_date(:y, 8, 20)) AS transfer_id \gset
SELECT accept_transfer(:transfer_id, make_date(:y, 8, 21));
SELECT close_clue(:clue_id, '核查属实，已责令改正；卫生问题已移送卫生健康部门', make_date(:y, 8, 21));
SELECT c.id AS clue, c.source, c.received_on, c.status, c.task_id, c.close_reason FROM clue c;
SELECT x.id AS transfer, f.name AS "from", t.name AS "to", x.transferred_on, x.accepted_on, x.reason
  FROM case_transfer x JOIN department f ON f.id = x.from_department_id JOIN department t ON t.id = x.to_department_id;
\echo '   a draw after the period has ended is refused:'
DO $$ BEGIN
    PERFORM supervise.cancel_draw(r.id, '演示：重新抽取') FROM supervise.draw_record r
      JOIN supervise.task t ON t.id = r.task_id WHERE t.title = '食品经营和公共场所卫生联合抽查';
    PERFORM supervise.draw(t.id) FROM supervise.task t WHERE t.title = '食品经营和公共场所卫生联合抽查';
    RAISE NOTICE 'drawn?! the check window did not apply';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RAISE NOTICE 'refused: %', SQLERRM;
END $$;

\echo
\echo '== 10. 一公开: the publication schedule in working days (调休 included), and what is overdue today'
SELECT count(*) AS marked_published FROM (
    SELECT mark_published('plan', id, approved_on + 5) FROM plan
    UNION ALL SELECT mark_published('task', :joint_task, make_date(:y, 3, 18))
    UNION ALL SELECT mark_published('task', :report_task, make_date(:y, 3, 26))
    UNION ALL SELECT mark_published('target_list', :joint_task, current_date)
    UNION ALL SELECT mark_published('result', p.object_id, p.due_on - 1)
                FROM publication p WHERE p.kind = 'result' AND p.object_id % 3 <> 0) s;
SELECT s.kind, d.name AS department, s.status, count(*) AS items, min(s.due_on) AS first_due, max(s.due_on) AS last_due
  FROM v_publication_schedule s JOIN department d ON d.id = s.department_id
 GROUP BY 1, 2, 3 ORDER BY 2, 1, 3;
SELECT kind, object_id, event_on, due_on, days_overdue FROM v_overdue_publications LIMIT 5;

\echo
\echo '== 11. The disclosure site: a role that can read the public views and nothing else'
CREATE ROLE disclosure_site LOGIN;
SELECT grant_public_reader('disclosure_site') \gset
SET ROLE disclosure_site;
\echo '   年度抽查计划'
SELECT department_name AS 部门, year AS 年度, title AS 计划, approved_on AS 批准, published_on AS 公示 FROM public_plans ORDER BY plan_id;
\echo '   抽查任务'
SELECT task_id, array_to_string(department_names, '、') AS 部门, title AS 任务, period_start || '至' || period_end AS 期间,
       published_on AS 公示 FROM public_tasks ORDER BY task_id;
\echo '   抽查对象名单（可验证：种子与名录摘要）'
SELECT task_id, uscc AS 统一社会信用代码, subject_name AS 名称, stratum, rank, left(seed_hex, 16) || '…' AS 种子,
       left(population_digest_hex, 16) || '…' AS 名录摘要
  FROM public_targets ORDER BY task_id, stratum, rank LIMIT 8;
\echo '   检查结果'
SELECT uscc AS 统一社会信用代码, subject_name AS 名称, department_name AS 检查部门, result_name AS 检查结果,
       result_on AS 结果日期, published_on AS 公示
  FROM public_results ORDER BY published_on, result_id LIMIT 8;
\echo '   anything else is refused:'
DO $$ BEGIN PERFORM count(*) FROM supervise.inspector; EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'refused: %', SQLERRM; END $$;
RESET ROLE;

\echo
\echo '== 11. The credit record (信用记录归集) and the list of seriously dishonest subjects (违法失信名单)'
SELECT coalesce((SELECT i.uscc FROM disposal x JOIN inspection i ON i.id = x.inspection_id ORDER BY x.id LIMIT 1),
                (SELECT i.uscc FROM inspection i ORDER BY i.id LIMIT 1)) AS listed_uscc \gset
SELECT list_dishonest(:'listed_uscc', :market_id, '责令改正逾期不改正，情节严重（演示）', make_date(:y, 11, 2),
                      format('思市监列严〔%s〕1号', :y)) AS entry \gset
SELECT count(*) AS listings_published FROM (SELECT mark_published('listing', :entry, make_date(:y, 11, 6))) s;
\echo '   the subject''s record from every department, in date order:'
SELECT on_date, kind, (SELECT d.name FROM department d WHERE d.id = r.department_id) AS department, summary
  FROM v_subject_record r WHERE r.uscc = :'listed_uscc';
\echo '   the public list (公示):'
SELECT uscc, subject_name, department_name, reason, listed_on, published_on FROM public_dishonesty_list;

\echo
\echo '== 12. A key item (重点检查事项) with a 3-year coverage cycle, and the department''s year (绩效考核)'
UPDATE check_item SET key_supervision = true, coverage_years = 3
 WHERE department_id = :market_id AND code = 'SC-01' RETURNING id AS key_item \gset
SELECT item_id, cycle_start, cycle_end, in_scope, covered, uncovered FROM v_key_item_coverage WHERE item_id = :key_item;
\echo '   the uncovered subjects become a dedicated directory for a task that reaches them:'
INSERT INTO directory (department_id, name, description)
VALUES (:market_id, format('食品经营重点事项未覆盖对象（%s周期）', (SELECT c.cycle_start || '—' || c.cycle_end FROM v_key_item_coverage c
          WHERE c.item_id = :key_item ORDER BY c.cycle_start DESC LIMIT 1)),
        format('uncovered_subjects(%s, %s)', :key_item, make_date(:y, 12, 1)))
RETURNING id AS cover_dir \gset
INSERT INTO directory_member (directory_id, uscc) SELECT :cover_dir, u.uscc FROM uncovered_subjects(:key_item, make_date(:y, 12, 1)) u;
SELECT count(*) AS directory_members FROM directory_member WHERE directory_id = :cover_dir;
SELECT d.name AS department, y.year, y.tasks, y.drawn, y.inspected, y.completion_rate, y.joint_share,
       y.visits_saved, y.publications_due, y.published_on_time, y.overdue
  FROM v_department_year y JOIN department d ON d.id = y.department_id
 WHERE y.department_id IN (:market_id, :health_id) AND y.year = :y ORDER BY d.name;
\echo
\echo '== done: a year of plans, draws, visits, results and publications; see README.md for more'
