-- match_inspectors / assign_inspector and the enforcement certificate (执法证: inspector.badge_no,
-- qualified_until), staff without one (department.allow_uncertified_second), and inspectors of
-- subordinate departments (task.inspector_scope = 'subordinate', 本级或下级执法人员)
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(34);
SET search_path = supervise, public;

CREATE FUNCTION pg_temp.code(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i]) FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '91350200' || lpad(n::text, 9, '0') AS c, '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
-- the first day of the tasks
SELECT make_date(extract(year FROM current_date)::int, 3, 1) AS d0 \gset
INSERT INTO department (id, code, name, system, level, region) VALUES
    (801, 'SC-3502', '厦门市市场监督管理局', 'market', 3, '3502'),
    (802, 'SC-350203', '思明区市场监督管理局', 'market', 4, '350203'),
    (803, 'SC-350206', '湖里区市场监督管理局', 'market', 4, '350206'),
    (804, 'WJ-350203', '思明区卫生健康局', 'health', 4, '350203'),
    (805, 'SC-3501', '福州市市场监督管理局', 'market', 3, '3501');
INSERT INTO subject (uscc, name, region) SELECT pg_temp.code(g), 's' || g, '350203' FROM generate_series(1, 200) g;
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (8001, 801, 'SC-1', '食品经营', 'food'), (8002, 804, 'WJ-1', '公共场所卫生', 'public_health'),
    (8003, 802, 'SC-2', '价格', 'price');
INSERT INTO inspector (id, department_id, name, badge_no, qualified_until) VALUES
    (8101, 801, '市1', 'S-1', NULL),                               -- no end
    (8102, 801, '市2', 'S-2', :'d0'::date + 30),
    (8103, 801, '市3', 'S-3', :'d0'::date - 1),                    -- lapsed the day before
    (8104, 801, '市4', 'S-4', :'d0'::date),                        -- valid through the first day
    (8105, 801, '市5', NULL, NULL), (8106, 801, '市6', NULL, NULL),  -- no certificate
    (8201, 802, '思明1', 'SM-1', NULL), (8202, 802, '思明2', 'SM-2', NULL),
    (8203, 802, '思明3', 'SM-3', :'d0'::date - 100),               -- lapsed
    (8204, 802, '思明4', 'SM-4', :'d0'::date + 400),
    (8301, 803, '湖里1', 'HL-1', NULL), (8302, 803, '湖里2', 'HL-2', NULL),
    (8501, 805, '福州1', 'FZ-1', NULL),                            -- another city: not a subordinate
    (8401, 804, '卫1', 'W-1', NULL), (8402, 804, '卫2', 'W-2', NULL), (8403, 804, '卫3', 'W-3', :'d0'::date - 1);
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (8900, 801, extract(year FROM current_date)::int, 'p', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size, inspector_scope) VALUES
    (8910, 8900, 801, 'own', :'d0', :'d0'::date + 30, current_date, 20, 'own'),
    (8911, 8900, 801, 'subordinate', :'d0', :'d0'::date + 30, current_date, 20, 'subordinate'),
    (8912, 8900, 801, 'both levels', :'d0', :'d0'::date + 30, current_date, 20, 'subordinate');
INSERT INTO task_item VALUES (8910, 8001), (8910, 8002), (8911, 8001), (8911, 8002), (8912, 8001), (8912, 8003);

SET LOCAL supervise.today = :'d0';   -- (the check window: the tasks' first day)
-- ---- the columns ----
SELECT throws_ok($$INSERT INTO inspector (department_id, name, badge_no, qualified_until) VALUES (801, 'x', NULL, '2030-01-01')$$,
                 '23514', NULL, 'staff without a certificate have no qualified_until');
SELECT throws_ok($$UPDATE task SET inspector_scope = 'all' WHERE id = 8910$$, '23514', NULL, 'inspector_scope other than own or subordinate is refused');
SELECT throws_ok($$UPDATE task SET inspector_scope = NULL WHERE id = 8910$$, '23502', NULL, 'inspector_scope is not NULL');
INSERT INTO task (id, department_id, kind, title, period_start, period_end) VALUES (8913, 801, 'special', 'default', :'d0', :'d0');
SELECT is((SELECT inspector_scope FROM task WHERE id = 8913), 'own', 'inspector_scope is own by default');
SELECT is(ARRAY[match_role(true, NULL, :'d0', false), match_role(true, :'d0', :'d0', false),
                match_role(true, :'d0'::date - 1, :'d0', true), match_role(false, NULL, :'d0', true),
                match_role(false, NULL, :'d0', false), match_role(NULL, NULL, :'d0', true),
                match_role(true, NULL, NULL, true)],
          ARRAY['any', 'any', 'none', 'second', 'none', NULL, NULL],
          'match_role: valid through the first day, lapsed the day before, staff without a certificate');

-- ---- lapsed certificates, over many seeds ----
-- each seed: draw, match, keep the assignments, cancel
CREATE TEMP TABLE seen (seed int, task_id bigint, uscc supervise.uscc, inspector_id bigint, department_id bigint);
DO $$
DECLARE
    d bigint;
    t bigint;
BEGIN
    FOR s IN 1 .. 15 LOOP
        FOREACH t IN ARRAY ARRAY[8910, 8911] LOOP
            d := supervise.draw(t, supervise.seed_from('certificate ' || s));
            PERFORM supervise.match_inspectors(d);
            INSERT INTO seen SELECT s, t, a.uscc, a.inspector_id, a.department_id FROM supervise.assignment a WHERE a.draw_id = d;
            PERFORM supervise.cancel_draw(d, 'test: next seed');
        END LOOP;
    END LOOP;
END $$;
SELECT is((SELECT count(*) FROM seen WHERE inspector_id IN (8103, 8203, 8403)), 0::bigint,
          'over 15 seeds and two scopes, no inspector whose certificate lapsed before the first day is matched');
SELECT is((SELECT count(*) FROM seen WHERE inspector_id IN (8105, 8106)), 0::bigint,
          'staff without a certificate are not matched where the department does not allow it');
SELECT ok((SELECT count(*) FROM seen WHERE inspector_id = 8104) > 0,
          'a certificate valid through the first day counts');
SELECT is((SELECT count(*) FROM (SELECT seed, task_id, uscc, department_id FROM seen GROUP BY 1, 2, 3, 4 HAVING count(*) <> 2) x),
          0::bigint, 'every target has 2 inspectors of each department, every time');

-- ---- scope own and subordinate ----
SELECT is((SELECT array_agg(DISTINCT i.department_id ORDER BY i.department_id) FROM seen s JOIN inspector i ON i.id = s.inspector_id
            WHERE s.task_id = 8910 AND s.department_id = 801), ARRAY[801::bigint],
          'scope own: the city''s items get the city''s inspectors only');
SELECT is((SELECT array_agg(DISTINCT i.department_id ORDER BY i.department_id) FROM seen s JOIN inspector i ON i.id = s.inspector_id
            WHERE s.task_id = 8911 AND s.department_id = 801), ARRAY[801, 802, 803]::bigint[],
          'scope subordinate: the city''s items get inspectors of the city and of both districts');
SELECT is((SELECT array_agg(DISTINCT i.department_id ORDER BY i.department_id) FROM seen s JOIN inspector i ON i.id = s.inspector_id
            WHERE s.task_id = 8911 AND s.department_id = 804), ARRAY[804::bigint],
          'scope subordinate: a department without subordinates keeps its own inspectors (another system is never a subordinate)');
SELECT is((SELECT count(*) FROM seen WHERE inspector_id = 8501), 0::bigint, 'another city''s inspectors are never matched');
SELECT ok((SELECT bool_and(spread <= 1) FROM (
             SELECT s.seed, max(n) - min(n) AS spread FROM (
               SELECT x.seed, i.id, count(y.*) AS n FROM (SELECT DISTINCT seed FROM seen) x
                 CROSS JOIN inspector i
                 LEFT JOIN seen y ON y.seed = x.seed AND y.inspector_id = i.id AND y.task_id = 8911 AND y.department_id = 801
                WHERE i.id IN (8101, 8102, 8104, 8201, 8202, 8204, 8301, 8302)
                GROUP BY x.seed, i.id) s GROUP BY s.seed) z),
          'scope subordinate: the load is spread evenly over the city''s and the districts'' inspectors (max - min <= 1, every seed)');

-- the same seed gives the same matching
CREATE TEMP TABLE again AS SELECT * FROM seen WHERE false;
DO $$
DECLARE
    d bigint;
BEGIN
    d := supervise.draw(8911, supervise.seed_from('certificate 7'));
    PERFORM supervise.match_inspectors(d);
    INSERT INTO again SELECT 7, 8911, a.uscc, a.inspector_id, a.department_id FROM supervise.assignment a WHERE a.draw_id = d;
    PERFORM supervise.cancel_draw(d, 'test: reproducible');
END $$;
SELECT set_eq('SELECT uscc, inspector_id, department_id FROM again',
              'SELECT uscc, inspector_id, department_id FROM seen WHERE seed = 7 AND task_id = 8911',
              'scope subordinate: the same seed gives the same matching');

-- items of the city and of a district, scope subordinate: the district's items take its own
-- inspectors first, and a district inspector goes to a target once
SELECT draw(8912, seed_from('both levels')) AS d2 \gset
INSERT INTO inspector_conflict (inspector_id, uscc) SELECT 8301, uscc FROM draw_target WHERE draw_id = :d2 AND rank <= 5;
SELECT is(match_inspectors(:d2), 20 * 2 * 2, 'items of the city and of a district: 2 inspectors each per target');
SELECT is((SELECT count(*) FROM (SELECT uscc FROM assignment WHERE draw_id = :d2 GROUP BY uscc HAVING count(DISTINCT inspector_id) <> 4) x),
          0::bigint, 'no inspector is on a target for both departments');
SELECT is((SELECT count(*) FROM assignment a JOIN inspector_conflict c USING (inspector_id, uscc) WHERE a.draw_id = :d2),
          0::bigint, 'scope subordinate: no inspector is matched to a subject they have a conflict with');
SELECT is((SELECT count(*) FROM assignment a JOIN inspector i ON i.id = a.inspector_id
            WHERE a.draw_id = :d2 AND a.department_id = 802 AND i.department_id <> 802), 0::bigint,
          'the district''s items get the district''s inspectors (it has no subordinates)');

-- ---- staff without a certificate where the department allows it ----
UPDATE department SET allow_uncertified_second = true WHERE id = 801;
TRUNCATE seen;
DO $$
DECLARE
    d bigint;
BEGIN
    FOR s IN 1 .. 10 LOOP
        d := supervise.draw(8910, supervise.seed_from('second ' || s));
        PERFORM supervise.match_inspectors(d);
        INSERT INTO seen SELECT s, 8910, a.uscc, a.inspector_id, a.department_id FROM supervise.assignment a WHERE a.draw_id = d;
        PERFORM supervise.cancel_draw(d, 'test: next seed');
    END LOOP;
END $$;
SELECT ok((SELECT count(*) FROM seen WHERE inspector_id IN (8105, 8106)) > 0, 'allowed: staff without a certificate are matched');
SELECT is((SELECT count(*) FROM (SELECT seed, uscc FROM seen s JOIN inspector i ON i.id = s.inspector_id
                                   WHERE s.department_id = 801 GROUP BY 1, 2 HAVING bool_and(i.badge_no IS NULL)) x),
          0::bigint, 'allowed: never without a certified inspector beside them');

-- ---- refusals ----
-- only lapsed and uncertified inspectors left in the city
UPDATE inspector SET qualified_until = :'d0'::date - 1 WHERE id IN (8101, 8102, 8104);
SELECT draw(8910, seed_from('all lapsed')) AS d3 \gset
SELECT throws_ok(format('SELECT match_inspectors(%s)', :d3), '55000',
                 format('no inspector of department SC-3502 (厦门市市场监督管理局) has an enforcement certificate valid on %s', :'d0'),
                 'no valid certificate left: refused, naming the day');
SELECT is((SELECT count(*) FROM assignment WHERE draw_id = :d3), 0::bigint, 'and nothing is assigned');
UPDATE department SET allow_uncertified_second = false WHERE id = 801;
SELECT throws_ok(format('SELECT match_inspectors(%s)', :d3), '55000', 'too few inspectors in department SC-3502 (厦门市市场监督管理局): 2 missing',
                 'lapsed certificates do not count toward the inspectors needed');
UPDATE inspector SET qualified_until = NULL WHERE id IN (8101, 8102, 8104);

-- assign_inspector
SELECT (SELECT uscc FROM draw_target WHERE draw_id = :d3 AND rank = 1) AS t1 \gset
SELECT throws_ok(format('SELECT assign_inspector(%s, %L, 8103, %L)', :d3, :'t1', 'x'), '55000',
                 format('the enforcement certificate of inspector 8103 lapsed on %s, before task 8910 starts on %s', :'d0', :'d0'),
                 'assign_inspector refuses a lapsed certificate');
SELECT throws_ok(format('SELECT assign_inspector(%s, %L, 8105, %L)', :d3, :'t1', 'x'), '55000', NULL,
                 'assign_inspector refuses staff without a certificate where the department does not allow it');
SELECT throws_ok(format('SELECT assign_inspector(%s, %L, 8201, %L)', :d3, :'t1', 'x'), '22023', NULL,
                 'assign_inspector refuses a district inspector for a task of scope own');
UPDATE department SET allow_uncertified_second = true WHERE id = 801;
SELECT lives_ok(format('SELECT assign_inspector(%s, %L, 8105, %L)', :d3, :'t1', 'trainee'),
                'allowed: staff without a certificate may be assigned by hand to an empty target');
SELECT throws_ok(format('SELECT assign_inspector(%s, %L, 8106, %L)', :d3, :'t1', 'x'), '55000',
                 'inspector 8106 has no enforcement certificate and would take the last place of ' || :'t1' || ' without a certified inspector',
                 'but not to the last place beside another uncertified one');
SELECT is(match_inspectors(:d3), 20 * 2 * 2 - 1, 'matching fills the rest');
SELECT is((SELECT count(*) FROM assignment a JOIN inspector i ON i.id = a.inspector_id
            WHERE a.draw_id = :d3 AND a.uscc = :'t1' AND a.department_id = 801 AND i.badge_no IS NOT NULL), 1::bigint,
          'the target assigned an uncertified inspector by hand gets a certified one');
SELECT cancel_draw(:d3, 'test') IS NULL AS cancelled \gset
SELECT draw(8911, seed_from('by hand')) AS d4 \gset
SELECT (SELECT uscc FROM draw_target WHERE draw_id = :d4 AND rank = 1) AS t4 \gset
SELECT lives_ok(format('SELECT assign_inspector(%s, %L, 8301, %L)', :d4, :'t4', 'local knowledge'),
                'scope subordinate: a district inspector may be assigned by hand');
SELECT is((SELECT department_id FROM assignment WHERE draw_id = :d4 AND inspector_id = 8301), 801::bigint,
          'for the city, the nearest superior department with items in the task');
SELECT throws_ok(format('SELECT assign_inspector(%s, %L, 8501, %L)', :d4, :'t4', 'x'), '22023', NULL,
                 'another city''s inspector is refused also with scope subordinate');

SELECT * FROM finish();
ROLLBACK;
