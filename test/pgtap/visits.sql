-- pgTAP: joint checks — the interface of SPEC §5, labels and comments, SQLSTATEs of the errors,
-- and the visit grouping on generated data checked against its definition.
BEGIN;
CREATE EXTENSION supervise;
SET search_path = supervise, public;
SELECT plan(44);

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
SELECT columns_are('supervise', 'visit',
    ARRAY['id', 'year', 'uscc', 'lead_department_id', 'window_start', 'window_end', 'task_ids', 'draw_ids', 'planned_at'], 'visit columns');
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
                                'visit_lead_department', 'record_visit_result', 'draw_record_refuse_merged', 'visit_follow_uscc')
              AND obj_description(p.oid, 'pg_proc') IS NULL), NULL, 'every visits function has a comment');
SELECT is((SELECT array_agg(c.relname::text ORDER BY 1) FROM pg_class c
            WHERE c.relnamespace = 'supervise'::regnamespace
              AND c.relname IN ('visit', 'task_merge', 'visit_task', 'task_department', 'v_joint_visits',
                                'v_visit_checklist', 'v_visit_results', 'v_visit_report')
              AND obj_description(c.oid, 'pg_class') IS NULL), NULL, 'every visits table and view has a comment');
SELECT ok((SELECT count(*) = 3 FROM pg_extension e, unnest(e.extconfig) x(oid)
            WHERE e.extname = 'supervise' AND x.oid IN ('supervise.visit'::regclass, 'supervise.visit_id_seq'::regclass,
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

SELECT * FROM finish();
ROLLBACK;
