-- pgTAP: joint checks — the interface of doc/joint-checks.md, labels and comments, SQLSTATEs of the errors,
-- and the visit grouping on generated data checked against its definition.
BEGIN;
CREATE EXTENSION supervise;
SET search_path = supervise, public;
SELECT plan(102);

-- the interface
SELECT has_function('supervise', 'merge_tasks', ARRAY['bigint[]', 'text'], 'merge_tasks(bigint[], text)');
SELECT has_function('supervise', 'plan_visits', ARRAY['integer'], 'plan_visits(integer)');
SELECT has_function('supervise', 'visit_plan', ARRAY['integer'], 'visit_plan(integer)');
SELECT has_function('supervise', 'record_visit_result', ARRAY['bigint', 'bigint', 'text', 'date', 'date', 'text'], 'record_visit_result(...)');
SELECT function_returns('supervise', 'merge_tasks', ARRAY['bigint[]', 'text'], 'bigint', 'merge_tasks returns the joint task id');
SELECT function_returns('supervise', 'plan_visits', ARRAY['integer'], 'integer', 'plan_visits returns a count');
SELECT volatility_is('supervise', 'merge_tasks', ARRAY['bigint[]', 'text'], 'volatile', 'merge_tasks is volatile');
SELECT volatility_is('supervise', 'plan_visits', ARRAY['integer'], 'volatile', 'plan_visits is volatile');
SELECT volatility_is('supervise', 'visit_plan', ARRAY['integer'], 'stable', 'visit_plan is stable');
SELECT is_strict('supervise', 'plan_visits', ARRAY['integer'], 'plan_visits is strict');
SELECT isnt_strict('supervise', 'merge_tasks', ARRAY['bigint[]', 'text'], 'merge_tasks is not strict (it names a NULL)');
SELECT ok((SELECT prokind = 'w' FROM pg_proc WHERE oid = 'supervise.visit_group(date,date)'::regprocedure), 'visit_group is a window function');
SELECT ok((SELECT prokind = 'w' FROM pg_proc WHERE oid = 'supervise.visit_summary(date,date,bigint,bigint)'::regprocedure), 'visit_summary is a window function');
SELECT has_table('supervise', 'visit', 'table visit');
SELECT has_table('supervise', 'task_merge', 'table task_merge');
SELECT has_column('supervise', 'task', 'merged_into', 'task.merged_into');
SELECT has_table('supervise', 'visit_task_set', 'table visit_task_set');
SELECT columns_are('supervise', 'visit', ARRAY['id', 'uscc', 'task_set_id', 'planned_at'], 'visit columns');
SELECT columns_are('supervise', 'visit_task_set',
    ARRAY['id', 'year', 'task_ids', 'draw_ids', 'window_start', 'window_end', 'lead_department_id', 'visits'], 'visit_task_set columns');
SELECT is((SELECT array_agg(l.lanname::text ORDER BY p.proname) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid IN ('supervise.plan_visits(integer)'::regprocedure, 'supervise.visit_plan(integer)'::regprocedure)),
          ARRAY['c', 'c'], 'plan_visits and visit_plan are in C');
SELECT ok((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'supervise.v_joint_visits'::regclass AND attnum > 0)[1:7]
          = ARRAY['visit_id', 'uscc', 'lead_department_id', 'department_ids', 'item_ids', 'window_start', 'window_end'],
          'v_joint_visits starts with the SPEC columns in order');
SELECT ok((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'supervise.v_visit_checklist'::regclass AND attnum > 0)[1:4]
          = ARRAY['visit_id', 'department_id', 'item_id', 'item_name'],
          'v_visit_checklist starts with the SPEC columns in order');
SELECT has_view('supervise', 'v_visit_results', 'view v_visit_results');
SELECT has_view('supervise', 'v_visit_report', 'view v_visit_report');
-- every object of this piece has a comment
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
            WHERE p.pronamespace = 'supervise'::regnamespace
              AND p.proname IN ('merge_tasks', 'plan_visits', 'visit_plan', 'visit_group', 'visit_summary',
                                'visit_lead_department', 'record_visit_result', 'draw_record_refuse_merged', 'visit_follow_uscc',
                                'visit_results_of', 'visit_result_count_after_change')
              AND obj_description(p.oid, 'pg_proc') IS NULL), NULL, 'every visits function has a comment');
SELECT is((SELECT array_agg(c.relname::text ORDER BY 1) FROM pg_class c
            WHERE c.relnamespace = 'supervise'::regnamespace
              AND c.relname IN ('visit', 'visit_task_set', 'visit_result_count', 'task_merge', 'visit_task', 'task_department', 'v_joint_visits',
                                'v_visit_checklist', 'v_visit_results', 'v_visit_report')
              AND obj_description(c.oid, 'pg_class') IS NULL), NULL, 'every visits table and view has a comment');
SELECT ok((SELECT count(*) = 6 FROM pg_extension e, unnest(e.extconfig) x(oid)
            WHERE e.extname = 'supervise' AND x.oid IN ('supervise.visit'::regclass, 'supervise.visit_id_seq'::regclass,
                                                        'supervise.visit_result_count'::regclass,
                                                        'supervise.visit_task_set'::regclass, 'supervise.visit_task_set_id_seq'::regclass,
                                                        'supervise.task_merge'::regclass)), 'visit data is dumped by pg_dump');

-- SQLSTATEs
INSERT INTO department (id, code, name, system, level, region) VALUES
    (9801, 'T-A', 'A', 'market', 4, '110108'), (9802, 'T-B', 'B', 'ecology', 4, '110108');
INSERT INTO task (id, department_id, kind, title, period_start, period_end) VALUES
    (9811, 9801, 'special', 'a', '2024-03-01', '2024-03-31'),
    (9812, 9802, 'special', 'b', '2024-04-01', '2024-04-30'),
    (9813, 9802, 'special', 'c', '2024-03-15', '2024-04-15'),
    (9814, 9801, 'special', 'd', '2024-03-15', '2024-04-15');
SELECT throws_ok('SELECT supervise.merge_tasks(NULL)', '22004', NULL, 'NULL array: 22004');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811, NULL])', '22004', NULL, 'NULL element: 22004');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811])', '22023', NULL, 'one task: 22023');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811, 9811])', '22023', NULL, 'duplicate: 22023');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811, 1e12::bigint])', '22023', NULL, 'unknown task: 22023');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811, 9812])', '22023', 'the periods of tasks 9811, 9812 have no day in common', 'no common day: 22023');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811, 9814])', '22023', NULL, 'same department: 22023');
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest, allocation, target_count, population)
    VALUES (9821, 9813, 'sha256-v1', seed_from('t'), 'given', 0, sha256(''), '[]', 0, '');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9811, 9813])', '55000', 'task 9813 has already been drawn (draw 9821)', 'drawn: 55000');
SELECT lives_ok('SELECT supervise.cancel_draw(9821, ''test'')', 'the draw is cancelled');
SELECT isnt(merge_tasks(ARRAY[9811, 9813]), NULL, 'then the tasks merge');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[9813, 9812])', '55000', NULL, 'already merged: 55000');
SELECT throws_ok($$INSERT INTO supervise.draw_record (task_id, algorithm, seed, seed_source, population_size, population_digest, allocation, target_count, population)
                   VALUES (9811, 'sha256-v1', supervise.seed_from('u'), 'given', 0, sha256(''), '[]', 0, '')$$,
                 '55000', NULL, 'a merged task is not drawn: 55000');
SELECT throws_ok('SELECT supervise.record_visit_result(-5, 9801, ''no_problem'', ''2024-03-01'')', '22023', 'visit -5 does not exist', 'unknown visit: 22023');
SELECT throws_ok('SELECT supervise.record_visit_result(NULL, 9801, ''no_problem'', ''2024-03-01'')', '22004', NULL, 'NULL visit: 22004');
SELECT throws_ok($$SELECT visit_group(s, e) OVER () FROM (VALUES (date '2024-02-02', date '2024-02-01')) v(s, e)$$,
                 '22023', NULL, 'a period ending before it starts: 22023');
SELECT throws_ok('SELECT supervise.plan_visits(0)', '22023', 'year 0 is out of range', 'plan_visits(0): 22023');
SELECT throws_ok('SELECT * FROM supervise.visit_plan(5874898)', '22023', 'year 5874898 is out of range', 'visit_plan of a year past the dates: 22023');
SELECT is(plan_visits(NULL), NULL, 'plan_visits(NULL) is NULL (strict)');

-- the grouping on 300 generated subjects with 1-9 random periods each, checked against its
-- definition: every visit's periods share a day, and there are as many visits as a set of
-- pairwise disjoint periods has members (so no grouping can use fewer)
CREATE TEMP TABLE gen AS
SELECT s AS subject, k, d AS start, d + (hashint4(s * 100 + k + 7) & 1023) % 40 AS finish
  FROM generate_series(1, 300) s, generate_series(1, 1 + (hashint4(s) & 1023) % 9) k,
       LATERAL (SELECT date '2024-01-01' + (hashint4(s * 100 + k) & 1023) % 120 AS d) x;
CREATE TEMP TABLE grp AS
SELECT subject, k, start, finish, visit_group(start, finish) OVER (PARTITION BY subject) AS g FROM gen;
SELECT is((SELECT count(*) FROM (SELECT subject, g FROM grp GROUP BY subject, g HAVING max(start) > min(finish)) x),
          0::bigint, 'every generated visit has a common day');
SELECT is((SELECT count(*) FROM grp WHERE g IS NULL), 0::bigint, 'every generated period is in a visit');
-- disjoint witnesses: walk each subject's periods by end, take one that starts after the last taken end
WITH RECURSIVE ordered AS (
    SELECT subject, start, finish, row_number() OVER (PARTITION BY subject ORDER BY finish, start) AS n FROM gen
), walk AS (
    SELECT subject, n, finish AS last_end, 1 AS taken FROM ordered WHERE n = 1
    UNION ALL
    SELECT o.subject, o.n, CASE WHEN o.start > w.last_end THEN o.finish ELSE w.last_end END,
           w.taken + CASE WHEN o.start > w.last_end THEN 1 ELSE 0 END
      FROM walk w JOIN ordered o ON o.subject = w.subject AND o.n = w.n + 1
)
SELECT is((SELECT count(*) FROM (SELECT subject, max(taken) AS witnesses FROM walk GROUP BY subject) w
            JOIN (SELECT subject, max(g) AS visits FROM grp GROUP BY subject) v USING (subject)
           WHERE w.witnesses <> v.visits), 0::bigint,
          'each subject has as many visits as pairwise disjoint periods (the minimum)');
SELECT is((SELECT count(*) FROM (
              SELECT a.subject FROM gen a JOIN gen b ON a.subject = b.subject AND a.k < b.k
               WHERE (SELECT count(*) FROM grp WHERE grp.subject = a.subject) = 2
                 AND (a.start <= b.finish AND b.start <= a.finish)
                     <> ((SELECT max(g) FROM grp WHERE grp.subject = a.subject) = 1)) x),
          0::bigint, 'a subject with two periods gets one visit exactly when they overlap');
-- visit_summary agrees with visit_group
SELECT is((SELECT count(*) FROM (
              SELECT subject, visit_summary(start, finish, k, k * 10) OVER (PARTITION BY subject) AS v FROM gen) s
            WHERE v IS NOT NULL),
          (SELECT count(*) FROM (SELECT DISTINCT subject, g FROM grp) x), 'visit_summary makes one row per visit');

-- ---- plan_visits in C on generated draws, checked against its definition ----------------
-- 12 tasks of 6 departments in 2024 (each with an item of its own category, so the limits on
-- repeated checks let every draw in), 400 subjects, each task drawing about a third of them
INSERT INTO department (id, code, name, system, level, region)
SELECT 9850 + d, 'G-' || d, 'gen department ' || d, 'gen' || d, 4, '110108' FROM generate_series(1, 6) d;
INSERT INTO check_item (id, department_id, code, name, category)
SELECT 9860 + i, 9850 + 1 + i % 6, 'G' || i, 'gen item ' || i, 'gen-cat-' || i FROM generate_series(1, 12) i;
INSERT INTO task (id, department_id, kind, title, period_start, period_end)
SELECT 9860 + i, 9850 + 1 + i % 6, 'special', 'gen task ' || i,
       date '2024-01-01' + (hashint4(i) & 1023) % 300,
       date '2024-01-01' + (hashint4(i) & 1023) % 300 + (hashint4(i * 7) & 1023) % 60
  FROM generate_series(1, 12) i;
INSERT INTO task_item SELECT 9860 + i, 9860 + i FROM generate_series(1, 12) i;
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '110108', lpad(n::text, 8, '0')), 'gen subject ' || n, '110108' FROM generate_series(1, 400) n;
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest, allocation, target_count, population)
SELECT 9880 + i, 9860 + i, 'sha256-v1', seed_from('gen ' || i), 'given', 400, sha256(''), '[]', 0, '' FROM generate_series(1, 12) i;
INSERT INTO draw_target (draw_id, uscc, stratum, rank)
SELECT 9880 + i, uscc_build('91', '110108', lpad(n::text, 8, '0')), 'all', row_number() OVER (PARTITION BY i ORDER BY n)
  FROM generate_series(1, 12) i, generate_series(1, 400) n WHERE (hashint4(i * 1000 + n) & 1023) % 3 = 0;
CREATE TEMP VIEW gen_target AS
SELECT dt.uscc, t.id AS task_id, d.id AS draw_id, t.period_start, t.period_end
  FROM supervise.draw_target dt JOIN supervise.draw_record d ON d.id = dt.draw_id JOIN supervise.task t ON t.id = d.task_id
 WHERE d.task_id BETWEEN 9861 AND 9872 AND d.cancelled_at IS NULL;
CREATE TEMP VIEW gen_visit AS
SELECT v.visit_id, v.uscc, v.task_ids, v.draw_ids, v.window_start, v.window_end, v.lead_department_id
  FROM supervise.v_joint_visits v WHERE v.task_ids[1] BETWEEN 9861 AND 9872;

SELECT is((SELECT count(*) FROM visit_plan(2024) p WHERE p.task_ids[1] BETWEEN 9861 AND 9872),
          (SELECT count(*) FROM visit_plan(2024)), 'the preview has only the generated tasks'' visits');
CREATE TEMP TABLE gen_preview AS SELECT * FROM visit_plan(2024);
SELECT is((SELECT count(*) FROM visit), 0::bigint, 'visit_plan writes nothing');
SELECT is(plan_visits(2024), (SELECT count(*)::integer FROM gen_preview), 'plan_visits makes the visits visit_plan showed');
SELECT is_empty($$(SELECT uscc, task_ids, draw_ids, window_start, window_end, lead_department_id FROM gen_preview
                   EXCEPT SELECT uscc, task_ids, draw_ids, window_start, window_end, lead_department_id FROM gen_visit)
                  UNION ALL
                  (SELECT uscc, task_ids, draw_ids, window_start, window_end, lead_department_id FROM gen_visit
                   EXCEPT SELECT uscc, task_ids, draw_ids, window_start, window_end, lead_department_id FROM gen_preview)$$,
                'the stored visits are the preview''s');
SELECT set_eq($$SELECT uscc, task_id, draw_id FROM visit_task$$, $$SELECT uscc, task_id, draw_id FROM gen_target$$,
              'every live target is in a visit, and only live targets are');
SELECT is((SELECT count(*) FROM (SELECT uscc, task_id FROM visit_task GROUP BY 1, 2 HAVING count(*) > 1) x), 0::bigint,
          'no target is in two visits');
SELECT is_empty($$SELECT v.visit_id FROM gen_visit v
                   CROSS JOIN LATERAL (SELECT max(t.period_start) AS s, min(t.period_end) AS e
                                         FROM unnest(v.task_ids) u(id) JOIN supervise.task t ON t.id = u.id) w
                   WHERE w.s > w.e OR (w.s, w.e) <> (v.window_start, v.window_end)$$,
                'every visit''s tasks share its window, which is exactly the days they share');
SELECT is_empty($$SELECT v.visit_id FROM gen_visit v WHERE v.lead_department_id <> visit_lead_department(v.task_ids)$$,
                'every visit''s lead department is visit_lead_department of its tasks');
WITH RECURSIVE ordered AS (
    SELECT uscc, period_start AS s, period_end AS e, row_number() OVER (PARTITION BY uscc ORDER BY period_end, period_start) AS n FROM gen_target
), walk AS (
    SELECT uscc, n, e AS last_end, 1 AS taken FROM ordered WHERE n = 1
    UNION ALL
    SELECT o.uscc, o.n, CASE WHEN o.s > w.last_end THEN o.e ELSE w.last_end END, w.taken + CASE WHEN o.s > w.last_end THEN 1 ELSE 0 END
      FROM walk w JOIN ordered o ON o.uscc = w.uscc AND o.n = w.n + 1
)
SELECT is((SELECT count(*) FROM (SELECT uscc, max(taken) AS witnesses FROM walk GROUP BY uscc) w
            JOIN (SELECT uscc, count(*) AS visits FROM gen_visit GROUP BY uscc) v USING (uscc)
           WHERE w.witnesses <> v.visits), 0::bigint,
          'each subject has as many visits as pairwise disjoint periods (the fewest possible)');
SELECT is((SELECT count(*) FROM visit_task_set), (SELECT count(DISTINCT task_set_id) FROM visit),
          'one task set per distinct set of tasks, draws, window and lead; each used');

-- a re-run that changes nothing writes nothing: same rows, same row versions
CREATE TEMP TABLE gen_rows AS
SELECT 'v' AS t, id, ctid::text AS row_ctid, xmin::text AS row_xmin FROM visit
UNION ALL SELECT 's', id, ctid::text, xmin::text FROM visit_task_set;
SELECT is(plan_visits(2024), (SELECT count(*)::integer FROM gen_preview), 're-run: the same number of visits');
SELECT set_eq($$SELECT 'v' AS t, id, ctid::text AS row_ctid, xmin::text AS row_xmin FROM visit UNION ALL SELECT 's', id, ctid::text, xmin::text FROM visit_task_set$$,
              $$SELECT * FROM gen_rows$$, 're-run with nothing changed: no row written, deleted or moved');

-- a result pins its visit; a cancelled draw's other visits are remade; unused task sets go
CREATE TEMP TABLE gen_pin AS
SELECT visit_id AS id, uscc, task_ids[1] AS task FROM gen_visit WHERE cardinality(task_ids) >= 2 ORDER BY visit_id LIMIT 1;
SELECT lives_ok($$SELECT supervise.record_visit_result(p.id, (SELECT min(department_id) FROM supervise.task_department WHERE task_id = p.task),
                                                       'no_problem', v.window_end)
                    FROM gen_pin p JOIN gen_visit v ON v.visit_id = p.id$$,
                'a result recorded on a visit of two tasks');
CREATE TEMP TABLE gen_pinned AS SELECT v.* FROM gen_visit v JOIN gen_pin p ON p.id = v.visit_id;
SELECT lives_ok($$SELECT supervise.cancel_draw(d.id, 'test: redraw') FROM supervise.draw_record d JOIN gen_pin p ON p.task = d.task_id$$,
                'the draw of one of its tasks is cancelled');
SELECT ok(plan_visits(2024) > 0, 'planned again');
SELECT set_eq($$SELECT v.* FROM gen_visit v JOIN gen_pin p ON p.id = v.visit_id$$, $$SELECT * FROM gen_pinned$$,
              'the visit with a result is kept as it was (id, tasks, draws, window, lead)');
SELECT is((SELECT count(*) FROM gen_visit v, gen_pin p WHERE p.task = ANY (v.task_ids) AND v.visit_id <> p.id), 0::bigint,
          'no other visit has the cancelled draw''s task');
SELECT is((SELECT count(*) FROM visit_task vt JOIN gen_pin p ON p.uscc = vt.uscc AND p.task = vt.task_id), 1::bigint,
          'the pinned target is not grouped again');
SELECT is((SELECT count(*) FROM visit_task_set s WHERE NOT EXISTS (SELECT 1 FROM visit v WHERE v.task_set_id = s.id)), 0::bigint,
          'task sets no visit uses are removed');
SELECT set_eq($$SELECT vt.uscc, vt.task_id, vt.draw_id FROM visit_task vt, gen_pin p WHERE vt.visit_id <> p.id$$,
              $$SELECT g.uscc, g.task_id, g.draw_id FROM gen_target g, gen_pin p
                 WHERE NOT (g.uscc = p.uscc AND g.task_id = ANY ((SELECT task_ids FROM gen_pinned)::bigint[]))$$,
              'the other visits hold exactly the live targets outside the pinned visit');

-- ---- v_visit_report reads counts kept as results are recorded: checked against the report
-- computed from the visits and inspections themselves, after each kind of change ----
CREATE TEMP VIEW report_ref AS
WITH took_part AS (
    SELECT DISTINCT s.id AS task_set_id, date_trunc('month', s.window_start)::date AS month, u.task_id, td.department_id
      FROM supervise.visit_task_set s CROSS JOIN LATERAL unnest(s.task_ids) u(task_id)
      JOIN supervise.task_department td ON td.task_id = u.task_id
), part AS (
    SELECT v.id AS visit_id, tp.month, tp.department_id, bool_and(i.result_code IS NOT NULL) AS done
      FROM took_part tp JOIN supervise.visit v ON v.task_set_id = tp.task_set_id
      LEFT JOIN supervise.inspection i ON i.task_id = tp.task_id AND i.uscc = v.uscc AND i.department_id = tp.department_id
     GROUP BY v.id, tp.month, tp.department_id
), counts AS (
    SELECT p.department_id, p.month, 1 AS planned, CASE WHEN p.done THEN 1 ELSE 0 END AS done, 0 AS led, 0 AS pairs FROM part p
    UNION ALL
    SELECT s.lead_department_id, date_trunc('month', s.window_start)::date, 0, 0, 1, cardinality(s.task_ids)
      FROM supervise.visit v JOIN supervise.visit_task_set s ON s.id = v.task_set_id
)
SELECT c.department_id, c.month, sum(c.planned)::bigint AS visits_planned, sum(c.done)::bigint AS visits_done,
       sum(c.led)::bigint AS visits_led, sum(c.pairs)::bigint AS task_subject_pairs
  FROM counts c GROUP BY 1, 2;
CREATE TEMP VIEW report_got AS
SELECT department_id, month, visits_planned, visits_done, visits_led, task_subject_pairs FROM supervise.v_visit_report;
CREATE TEMP VIEW set_visits_wrong AS
SELECT s.id FROM supervise.visit_task_set s
 WHERE s.visits <> (SELECT count(*) FROM supervise.visit v WHERE v.task_set_id = s.id);
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: one result recorded, a draw cancelled and the year planned again');
SELECT is_empty('SELECT * FROM set_visits_wrong', 'report: each task set''s count of visits is its visits');
SELECT ok((SELECT count(*) FROM (SELECT s.id FROM visit_task_set s, unnest(s.task_ids) u(t) JOIN task_department td ON td.task_id = u.t
                                  GROUP BY s.id, td.department_id HAVING count(*) > 1) x) > 0,
          'report: some task set holds two tasks of one department (finished only with both results)');
-- results written directly: half the visits' targets with a result, a quarter without
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT vt.task_id, vt.uscc, t.department_id, s.window_start,
       CASE WHEN (hashtext(vt.uscc::text) + vt.task_id) % 4 IN (0, 1) THEN 'no_problem' END,
       CASE WHEN (hashtext(vt.uscc::text) + vt.task_id) % 4 IN (0, 1) THEN s.window_start END
  FROM visit_task vt JOIN visit v ON v.id = vt.visit_id JOIN visit_task_set s ON s.id = v.task_set_id
  JOIN task t ON t.id = vt.task_id
 WHERE (hashtext(vt.uscc::text) + vt.task_id) % 4 IN (0, 1, 2)
ON CONFLICT ON CONSTRAINT "one inspection per task, subject and department" DO NOTHING;
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after results inserted, some without a result');
SELECT ok((SELECT sum(visits_done) FROM report_got) > 0 AND (SELECT sum(visits_done) FROM report_got) < (SELECT sum(visits_planned) FROM report_got),
          'report: some visits finished, not all');
UPDATE inspection SET result_code = 'no_problem', result_on = inspected_on
 WHERE task_id BETWEEN 9861 AND 9872 AND result_code IS NULL AND id % 2 = 0;
UPDATE inspection SET result_code = NULL, result_on = NULL
 WHERE task_id BETWEEN 9861 AND 9872 AND result_code IS NOT NULL AND id % 7 = 0;
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after results set and taken back');
UPDATE inspection SET result_code = 'not_disclosed'
 WHERE task_id BETWEEN 9861 AND 9872 AND result_code = 'no_problem' AND id % 3 = 0;
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after results corrected (one code for another)');
DELETE FROM inspection WHERE task_id BETWEEN 9861 AND 9872 AND id % 5 = 0;
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after inspections deleted');
SELECT is_empty($$SELECT * FROM visit_result_count WHERE results <= 0$$, 'report: no count of 0 or less is kept');
-- a result through record_visit_result on a visit where the department has two tasks
SELECT lives_ok($$SELECT supervise.record_visit_result(v.id, td.department_id, 'no_problem', s.window_end)
                    FROM (SELECT s.id AS set_id, td.department_id FROM supervise.visit_task_set s, unnest(s.task_ids) u(t)
                            JOIN supervise.task_department td ON td.task_id = u.t
                           GROUP BY s.id, td.department_id HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 1) x
                    JOIN supervise.visit_task_set s ON s.id = x.set_id
                    JOIN supervise.task_department td ON td.department_id = x.department_id AND td.task_id = s.task_ids[1]
                    CROSS JOIN LATERAL (SELECT v.id FROM supervise.visit v WHERE v.task_set_id = s.id ORDER BY v.id LIMIT 3) v$$,
                'report: results recorded on visits for a department with two tasks in them');
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after record_visit_result');
-- visits planned after their targets' results: plan_visits counts them
TRUNCATE visit, visit_task_set;
SELECT is((SELECT count(*) FROM visit_result_count), 0::bigint, 'report: a TRUNCATE of visit leaves no count');
SELECT ok(plan_visits(2024) > 0, 'report: the year planned again after its results');
SELECT ok((SELECT count(*) FROM visit_result_count) > 0, 'report: plan_visits counted the results recorded before the visits');
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after planning visits of checked targets');
SELECT is_empty('SELECT * FROM set_visits_wrong', 'report: each task set''s count of visits after planning again');
SELECT ok(plan_visits(2024) > 0, 'report: planned once more');
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: planning again changes no count');
-- a TRUNCATE of inspection (with what references it) leaves no result counted
TRUNCATE inspection CASCADE;
SELECT is((SELECT count(*) FROM visit_result_count), 0::bigint, 'report: a TRUNCATE of inspection leaves no count');
SELECT set_eq('SELECT * FROM report_got', 'SELECT * FROM report_ref', 'report: after a TRUNCATE of inspection, no visit finished');
-- the matching refuses arrays of different lengths (an internal helper misused fails loudly)
SELECT throws_ok($$SELECT * FROM supervise.visit_results_of('{1,2}', '{}', '{1,2}', '{1,1}')$$, '2202E', NULL,
                 'visit_results_of: arrays of different lengths: 2202E');

-- the rows written in bulk are in every index (amcheck: each heap row has its index entry)
CREATE EXTENSION amcheck;
CREATE INDEX gen_visit_uscc ON supervise.visit (uscc);
DELETE FROM inspection WHERE task_id BETWEEN 9861 AND 9872;
TRUNCATE visit, visit_task_set;
SELECT ok(plan_visits(2024) > 0, 'planned into empty tables');
SELECT lives_ok($$SELECT bt_index_check('supervise.visit_pkey', true)$$, 'visit_pkey has an entry for every visit');
SELECT lives_ok($$SELECT bt_index_check('supervise.gen_visit_uscc', true)$$, 'an index added by a DBA is kept too');
SET LOCAL enable_seqscan = off;
SELECT is((SELECT count(*) FROM visit v, gen_pin p WHERE v.uscc = p.uscc),
          (SELECT count(*) FROM gen_visit v, gen_pin p WHERE v.uscc::text = p.uscc::text), 'the index finds a subject''s visits');
RESET enable_seqscan;
DROP INDEX supervise.gen_visit_uscc;

-- the same visits through SQL when visit has a trigger: the trigger sees every row
CREATE TEMP TABLE gen_fast AS SELECT uscc, task_ids, draw_ids, window_start, window_end, lead_department_id FROM gen_visit;
CREATE TEMP TABLE gen_fired (id bigint);
CREATE FUNCTION pg_temp.gen_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO gen_fired VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER gen_count AFTER INSERT ON supervise.visit FOR EACH ROW EXECUTE FUNCTION pg_temp.gen_count();
TRUNCATE visit, visit_task_set;
SELECT is(plan_visits(2024), (SELECT count(*)::integer FROM gen_fast), 'with a trigger on visit: the same number of visits');
SELECT is((SELECT count(*) FROM gen_fired), (SELECT count(*) FROM gen_fast), 'the trigger fired once per visit');
SELECT set_eq($$SELECT uscc, task_ids, draw_ids, window_start, window_end, lead_department_id FROM gen_visit$$,
              $$SELECT * FROM gen_fast$$, 'the same visits as the bulk writer made');
DROP TRIGGER gen_count ON supervise.visit;

-- the bulk writer checks constraints, unique keys and privileges like INSERT does
ALTER TABLE supervise.visit ADD CONSTRAINT gen_never CHECK (task_set_id < 0) NOT VALID;
TRUNCATE visit, visit_task_set;
SELECT throws_ok('SELECT supervise.plan_visits(2024)', '23514', NULL, 'a CHECK constraint on visit is checked: 23514');
ALTER TABLE supervise.visit DROP CONSTRAINT gen_never;
SELECT ok(plan_visits(2024) > 0, 'planned again without the constraint');
-- the next id handed out is one in use: the primary key refuses the new visit
DELETE FROM visit v USING gen_pin p WHERE v.uscc = p.uscc;
SELECT setval('supervise.visit_id_seq', (SELECT min(id) FROM supervise.visit), false) AS rewound \gset
SELECT throws_ok('SELECT supervise.plan_visits(2024)', '23505', NULL, 'a visit id taken twice: the primary key refuses it (23505)');
SELECT setval('supervise.visit_id_seq', (SELECT max(id) FROM supervise.visit)) AS restored \gset
-- a planner that may read, change and delete visits but not insert them
CREATE ROLE gen_planner BYPASSRLS;
GRANT USAGE ON SCHEMA supervise TO gen_planner;
GRANT SELECT ON ALL TABLES IN SCHEMA supervise TO gen_planner;
GRANT UPDATE, DELETE ON supervise.visit, supervise.inspection TO gen_planner;
GRANT INSERT, UPDATE, DELETE ON supervise.visit_task_set TO gen_planner;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA supervise TO gen_planner;
SET LOCAL ROLE gen_planner;
SELECT throws_ok('SELECT supervise.plan_visits(2024)', '42501', 'permission denied for table visit',
                 'without INSERT on visit: 42501 from the bulk writer');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
