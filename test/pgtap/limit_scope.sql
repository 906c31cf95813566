-- Limits: the scope of the rule as written in v_limit_scope equals the scope computed for all tasks
-- at once from its definition (every task's non-exempt (category, item department) pairs with the
-- departments of all its items; no row for clue tasks or exempt items), v_limited_checks built on
-- it gives the same checks, and one subject's exclusion_reason() agrees with the set-based
-- excluded_subjects() on every subject of a 2,000-subject sample, for single, joint (two
-- departments, an exempt item), all-exempt, clue and superior tasks. It holds any rewrite of the
-- scope for speed to the same answers.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(16);

SELECT lives_ok($$SELECT * FROM supervise.generate_sample(2000, 1)$$, 'a sample province of 2,000 subjects');

CREATE TEMP TABLE st (n integer PRIMARY KEY, task_id bigint);
CREATE FUNCTION pg_temp.dep(text) RETURNS bigint LANGUAGE sql AS 'SELECT id FROM supervise.department WHERE code = $1';
CREATE FUNCTION pg_temp.item(text, text) RETURNS bigint LANGUAGE sql
    AS 'SELECT i.id FROM supervise.check_item i JOIN supervise.department d ON d.id = i.department_id WHERE d.code = $1 AND i.code = $2';

SELECT lives_ok($$
    WITH y AS (SELECT extract(year FROM current_date)::integer AS y),
    t AS (
        INSERT INTO supervise.task (department_id, kind, title, period_start, period_end, approved_on, sample_ratio)
        SELECT pg_temp.dep(v.dep), v.kind, v.title,
               make_date(y.y, 2, 1), make_date(y.y, 12, 31), make_date(y.y, 1, 2), 0.03
          FROM y, (VALUES
            (1, 'SAMR-350203', 'temporary', '思明区食品安全抽查'),
            (2, 'SAMR-3502',   'special',   '厦门市登记事项与食品抽查'),
            (3, 'SAMR-35',     'special',   '福建省产品质量专项'),
            (4, 'SAMR-350203', 'temporary', '思明区与湖里区食品及排污联合抽查'),
            (5, 'HC-350203',   'temporary', '思明区公共场所卫生抽查'),
            (6, 'SAMR-350203', 'clue',      '思明区投诉核查'),
            (7, 'EE-3502',     'special',   '厦门市固体废物检查'),
            (8, 'SAMR-350203', 'temporary', '思明区承诺核查与食品抽查')
          ) v(n, dep, kind, title)
         ORDER BY v.n
        RETURNING id)
    INSERT INTO st SELECT row_number() OVER (ORDER BY id), id FROM t;
    INSERT INTO supervise.task_item (task_id, item_id)
    SELECT st.task_id, pg_temp.item(v.dep, v.code) FROM st JOIN (VALUES
        (1, 'SAMR-350203', 'SC-03'), (2, 'SAMR-3502', 'SC-01'), (2, 'SAMR-3502', 'SC-03'), (3, 'SAMR-35', 'SC-04'),
        (4, 'SAMR-350203', 'SC-03'), (4, 'SAMR-350206', 'SC-03'), (4, 'EE-350203', 'EE-01'),
        (5, 'HC-350203', 'HC-01'), (6, 'SAMR-350203', 'SC-03'), (7, 'EE-3502', 'EE-02'),
        (8, 'SAMR-350203', 'SC-05'), (8, 'SAMR-350203', 'SC-03'), (8, 'SAMR-350203', 'SC-02')
      ) v(n, dep, code) ON v.n = st.n;
    -- a sixth of the subjects checked by a department of the task, for a task picked by hash
    SET LOCAL session_replication_role = replica;
    INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
    SELECT st.task_id, s.uscc,
           (SELECT x.a[1 + (s.h / 7 % cardinality(x.a))::integer]
              FROM (SELECT array_agg(i.department_id ORDER BY i.department_id) AS a
                      FROM supervise.task_item ti JOIN supervise.check_item i ON i.id = ti.item_id
                     WHERE ti.task_id = st.task_id) x),
           CASE WHEN s.h % 13 = 0 THEN NULL ELSE make_date(extract(year FROM current_date)::integer, 1 + (s.h % 12)::integer, 1) END
      FROM (SELECT s.uscc, hashtextextended(s.uscc::text, 11) & 1023 AS h FROM supervise.subject s) s
      JOIN st ON st.n = 1 + (s.h / 6 % 8)::integer
     WHERE s.h % 6 = 0;
    RESET session_replication_role;
    SELECT supervise.draw(task_id, supervise.seed_from('scope ' || n)) FROM st WHERE n IN (3, 5) ORDER BY n;
$$, 'eight tasks, inspections of a sixth of the subjects, two draws');

-- the scope as computed for all tasks at once
CREATE TEMP VIEW scope_all AS
SELECT DISTINCT t.id AS task_id, t.period_start, ci.category, ci.department_id AS item_department_id,
       d.departments AS task_departments
  FROM supervise.task t
  JOIN supervise.task_item ti ON ti.task_id = t.id
  JOIN supervise.check_item ci ON ci.id = ti.item_id
  JOIN (SELECT ti2.task_id, array_agg(DISTINCT ci2.department_id) AS departments
          FROM supervise.task_item ti2 JOIN supervise.check_item ci2 ON ci2.id = ti2.item_id
         GROUP BY ti2.task_id) d ON d.task_id = t.id
 WHERE t.kind <> 'clue' AND NOT ci.limit_exempt;

SELECT set_eq($$SELECT task_id, period_start, category, item_department_id, task_departments FROM supervise.v_limit_scope$$,
              $$SELECT * FROM scope_all$$,
              'v_limit_scope has the rows of the scope computed for all tasks at once');

SELECT bag_eq($$SELECT uscc::text, year, category, department_id, task_id, source, source_id FROM supervise.v_limited_checks$$,
    $$SELECT i.uscc::text, date_part('year', COALESCE(i.inspected_on, sc.period_start))::integer, sc.category,
             i.department_id, sc.task_id, 'inspection', i.id
        FROM supervise.inspection i
        JOIN scope_all sc ON sc.task_id = i.task_id
         AND (sc.item_department_id = i.department_id OR NOT (i.department_id = ANY (sc.task_departments)))
      UNION ALL
      SELECT dt.uscc::text, date_part('year', sc.period_start)::integer, sc.category, sc.item_department_id,
             sc.task_id, 'draw', dr.id
        FROM supervise.draw_target dt
        JOIN supervise.draw_record dr ON dr.id = dt.draw_id AND dr.cancelled_at IS NULL
        JOIN scope_all sc ON sc.task_id = dr.task_id$$,
    'v_limited_checks has the checks of the scope computed for all tasks at once');

-- one subject's checks as exclusion_reason reads them (through its index entries) are its rows of
-- v_limited_checks, an override used included
SELECT lives_ok($$
    INSERT INTO supervise.limit_override (task_id, uscc, department_id, reason, used_at)
    SELECT i.task_id, i.uscc, i.department_id, '法律另有规定', now() FROM supervise.inspection i ORDER BY i.id LIMIT 3$$,
    'three inspections with a used override');
SELECT bag_eq($$SELECT c.uscc::text, c.year, c.category, c.department_id, c.task_id, c.source, c.source_id, c.checked_on, c.overridden
                  FROM supervise.subject s, supervise.limited_checks_of(s.uscc) c$$,
              $$SELECT uscc::text, year, category, department_id, task_id, source, source_id, checked_on, overridden
                  FROM supervise.v_limited_checks$$,
    'limited_checks_of gives every subject its rows of v_limited_checks');

ANALYZE;
SELECT set_eq($$SELECT DISTINCT x.reason FROM st, supervise.excluded_subjects(st.task_id) x$$,
              ARRAY['inactive', 'same_category_this_year', 'superior_checked_this_year'],
              'every exclusion reason occurs in the sample');
SELECT is_empty($$
    WITH per_subject AS (
        SELECT st.n, s.uscc::text AS uscc, supervise.exclusion_reason(s.uscc, st.task_id) AS reason
          FROM st CROSS JOIN supervise.subject s),
    set_based AS (SELECT st.n, x.uscc::text AS uscc, x.reason FROM st, supervise.excluded_subjects(st.task_id) x)
    SELECT p.n, p.uscc, p.reason AS per_subject, x.reason AS set_based
      FROM per_subject p FULL JOIN set_based x ON x.n = p.n AND x.uscc = p.uscc
     WHERE p.reason IS DISTINCT FROM x.reason$$,
    'exclusion_reason and excluded_subjects agree on every subject and task');

-- A task with a directory: its members' checks are read one by one (few members) or in one pass
-- over the year's checks (many); supervise.limits_lookup forces either. Both give the members less
-- the subjects excluded_subjects() names, for every kind of task above.
SELECT lives_ok($$
    INSERT INTO supervise.directory (id, department_id, name) VALUES (9901, pg_temp.dep('SAMR-350203'), '限制范围测试名录');
    INSERT INTO supervise.directory_member (directory_id, uscc)
    SELECT 9901, s.uscc FROM supervise.subject s WHERE hashtextextended(s.uscc::text, 3) % 5 < 2;
    UPDATE supervise.task SET directory_id = 9901 WHERE id IN (SELECT task_id FROM st WHERE n IN (1, 2, 4, 7, 8));
    ANALYZE supervise.directory_member$$,
    'a directory of two fifths of the subjects for the five undrawn tasks');
CREATE TEMP TABLE want AS
SELECT st.n, m.uscc::text AS uscc
  FROM st JOIN supervise.task t ON t.id = st.task_id
  JOIN supervise.directory_member m ON m.directory_id = t.directory_id
  JOIN supervise.subject s ON s.uscc = m.uscc AND s.status = 'active'
 WHERE st.n IN (1, 2, 4, 7, 8)
EXCEPT
SELECT st.n, x.uscc::text FROM st, supervise.excluded_subjects(st.task_id) x WHERE st.n IN (1, 2, 4, 7, 8);
SELECT ok((SELECT count(*) FROM st JOIN supervise.excluded_subjects(st.task_id) x ON true
            JOIN supervise.directory_member m ON m.directory_id = 9901 AND m.uscc = x.uscc
           WHERE st.n IN (1, 2, 4, 7, 8) AND x.reason <> 'inactive') > 0,
          'some members are excluded by the limits');
SET supervise.limits_lookup = per_subject;
SELECT set_eq($$SELECT st.n, e.uscc::text FROM st, supervise.eligible_population(st.task_id) e WHERE st.n IN (1, 2, 4, 7, 8)$$,
              $$SELECT * FROM want$$,
              'subject by subject (per_subject): the eligible population is the members less the excluded');
SET supervise.limits_lookup = year_scan;
SELECT set_eq($$SELECT st.n, e.uscc::text FROM st, supervise.eligible_population(st.task_id) e WHERE st.n IN (1, 2, 4, 7, 8)$$,
              $$SELECT * FROM want$$,
              'in one pass (year_scan): the same');
RESET supervise.limits_lookup;
SELECT results_eq($$SELECT count(*) FILTER (WHERE p.excluded LIKE '%v_limited_checks%'), count(p.excluded)
                      FROM st, supervise.eligibility_parts(st.task_id) p WHERE st.n IN (1, 2, 4, 7, 8)$$,
                  $$VALUES (4::bigint, 4::bigint)$$,
                  'auto: 800 members against a few hundred checks are read in one pass (four limited tasks)');

SELECT lives_ok($$
    INSERT INTO supervise.directory (id, department_id, name) VALUES (9902, pg_temp.dep('SAMR-350203'), '五户名录');
    INSERT INTO supervise.directory_member (directory_id, uscc)
    SELECT 9902, s.uscc FROM supervise.subject s WHERE s.status = 'active' ORDER BY hashtextextended(s.uscc::text, 7) LIMIT 5;
    UPDATE supervise.task SET directory_id = 9902 WHERE id = (SELECT task_id FROM st WHERE n = 1)$$,
    'a directory of five members for the first task');
SELECT ok(supervise.limits_subject_budget() >= 5
          AND (SELECT p.excluded LIKE '%limited_checks_among%' FROM st, supervise.eligibility_parts(st.task_id) p WHERE st.n = 1),
          'auto: five members against a few hundred checks are read subject by subject');
SELECT throws_ok($$SET supervise.limits_lookup = 'sometimes'$$, '22023', NULL,
                 'supervise.limits_lookup takes only auto, per_subject or year_scan');

SELECT * FROM finish();
ROLLBACK;
