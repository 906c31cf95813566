-- Demo: a week of joint visits with their checklists (paste into psql once draws exist; see doc/joint-checks.md)
\set week_start '2024-03-04'
SELECT supervise.plan_visits(extract(year FROM date :'week_start')::int) AS visits_planned;
-- the visits open that week with more than one department, and each one's 综合检查单
SELECT v.visit_id, v.window_start, v.window_end, v.subject_name, v.uscc,
       v.lead_department_name AS lead, c.department_name,
       string_agg(c.item_name || coalesce('（' || c.legal_basis || '）', ''), '；' ORDER BY c.item_code) AS checklist
  FROM supervise.v_joint_visits v
  JOIN supervise.v_visit_checklist c USING (visit_id)
 WHERE v.window_start <= date :'week_start' + 6 AND v.window_end >= date :'week_start'
   AND cardinality(v.department_ids) > 1
 GROUP BY v.visit_id, v.window_start, v.window_end, v.subject_name, v.uscc, v.lead_department_name,
          c.department_id, c.department_name
 ORDER BY v.window_start, v.visit_id, c.department_id;
-- what merging saved that month
SELECT department_name, visits_planned, visits_led, entries_saved
  FROM supervise.v_visit_report WHERE month = date_trunc('month', date :'week_start')::date ORDER BY department_id;
