-- match_inspectors / assign_inspector: the second random (执法检查人员随机匹配)
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(20);
SET search_path = supervise, public;

CREATE FUNCTION pg_temp.code(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i]) FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '91350100' || lpad(n::text, 9, '0') AS c, '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
INSERT INTO department (id, code, name, system, level, region) VALUES
    (901, 'SAMR-350100', 'market regulation', 'market', 3, '3501'),
    (902, 'CULT-350100', 'culture and tourism', 'culture', 3, '3501'),
    (903, 'ENV-350100', 'ecology and environment', 'ecology', 3, '3501');
INSERT INTO subject (uscc, name, region) SELECT pg_temp.code(g), 's' || g, '350100' FROM generate_series(1, 60) g;
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (9001, 901, 'M1', 'licence', 'licence'), (9002, 902, 'C1', 'performance permit', 'performance'),
    (9003, 903, 'E1', 'discharge permit', 'discharge');
INSERT INTO inspector (id, department_id, name, badge_no, active)
SELECT 9100 + g, 901, 'market ' || g, 'M-' || g, g <> 7 FROM generate_series(1, 7) g;  -- 6 active
INSERT INTO inspector (id, department_id, name, badge_no)
SELECT 9200 + g, 902, 'culture ' || g, 'C-' || g FROM generate_series(1, 3) g;
INSERT INTO inspector (id, department_id, name, badge_no) VALUES (9301, 903, 'env 1', 'E-1');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (9400, 901, extract(year FROM current_date)::int, 'p', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (9500, 9400, 901, 'joint', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 20),
    (9501, 9400, 901, 'with ecology', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 5);
INSERT INTO task_item VALUES (9500, 9001), (9500, 9002), (9501, 9001), (9501, 9003);
SELECT draw(9500, seed_from('match test')) AS d \gset
-- every target conflicts with culture inspector 9201 except three; market inspector 9101 with one target
INSERT INTO inspector_conflict (inspector_id, uscc) SELECT 9201, uscc FROM draw_target WHERE draw_id = :d AND rank > 3;
INSERT INTO inspector_conflict (inspector_id, uscc) SELECT 9101, uscc FROM draw_target WHERE draw_id = :d AND rank = 1;

SELECT throws_ok(format('SELECT assign_inspector(%s, %L, 9102, %L)', :d, pg_temp.code(999), 'x'), '22023', NULL,
                 'assign_inspector refuses a code that is not a target');
SELECT throws_ok(format('SELECT assign_inspector(%s, (SELECT uscc FROM draw_target WHERE draw_id = %s AND rank = 2), 9102, NULL)', :d, :d),
                 '22023', 'a direct assignment needs a reason', 'assign_inspector needs a reason');
SELECT throws_ok(format('SELECT assign_inspector(%s, (SELECT uscc FROM draw_target WHERE draw_id = %s AND rank = 1), 9101, %L)', :d, :d, 'x'),
                 '55000', NULL, 'assign_inspector refuses an inspector with a conflict');
SELECT throws_ok(format('SELECT assign_inspector(%s, (SELECT uscc FROM draw_target WHERE draw_id = %s AND rank = 2), 9107, %L)', :d, :d, 'x'),
                 '55000', NULL, 'assign_inspector refuses an inactive inspector');
SELECT throws_ok(format('SELECT assign_inspector(%s, (SELECT uscc FROM draw_target WHERE draw_id = %s AND rank = 2), 9301, %L)', :d, :d, 'x'),
                 '22023', NULL, 'assign_inspector refuses an inspector of a department without items in the task');
SELECT lives_ok(format('SELECT assign_inspector(%s, (SELECT uscc FROM draw_target WHERE draw_id = %s AND rank = 2), 9106, %L)', :d, :d,
                       'the only inspector who speaks the local dialect'),
                'a direct assignment with a reason is recorded');

SELECT is(match_inspectors(:d), 20 * 2 * 2 - 1, 'match_inspectors fills 2 inspectors per target per department, minus the one assigned by hand');
SELECT is((SELECT count(*) FROM (SELECT uscc, department_id FROM assignment WHERE draw_id = :d GROUP BY 1, 2 HAVING count(*) <> 2) x),
          0::bigint, 'every target has exactly 2 inspectors of each department');
SELECT is((SELECT count(*) FROM assignment a JOIN inspector_conflict c USING (inspector_id, uscc) WHERE a.draw_id = :d),
          0::bigint, 'no inspector is matched to a subject they have a conflict with');
SELECT is((SELECT count(*) FROM assignment a JOIN inspector i ON i.id = a.inspector_id
            WHERE a.draw_id = :d AND (NOT i.active OR i.department_id <> a.department_id)), 0::bigint,
          'only active inspectors of the right department');
SELECT ok((SELECT max(n) - min(n) <= 1 FROM (SELECT i.id, count(a.*) AS n FROM inspector i
             LEFT JOIN assignment a ON a.inspector_id = i.id AND a.draw_id = :d
            WHERE i.department_id = 901 AND i.active GROUP BY i.id) x),
          'market inspectors'' loads differ by at most one');
SELECT is((SELECT direct::text || ':' || reason FROM assignment WHERE draw_id = :d AND inspector_id = 9106
              AND uscc = (SELECT uscc FROM draw_target WHERE draw_id = :d AND rank = 2)),
          'true:the only inspector who speaks the local dialect', 'the hand-made assignment keeps its reason');
SELECT throws_ok(format('SELECT match_inspectors(%s)', :d), '55000', NULL, 'matching twice is refused');

-- reproducible: the same seed gives the same matching
CREATE TEMP TABLE first AS SELECT uscc, inspector_id FROM assignment WHERE draw_id = :d AND NOT direct;
DELETE FROM assignment WHERE draw_id = :d AND NOT direct;
SELECT is(match_inspectors(:d), 79, 'matching again after the matches were removed');
SELECT is((SELECT count(*) FROM ((SELECT uscc, inspector_id FROM first EXCEPT SELECT uscc, inspector_id FROM assignment WHERE draw_id = :d AND NOT direct)
                                  UNION ALL
                                  (SELECT uscc, inspector_id FROM assignment WHERE draw_id = :d AND NOT direct EXCEPT SELECT uscc, inspector_id FROM first)) x),
          0::bigint, 'the same draw matches the same inspectors');

-- too few: the ecology department has one inspector for two per target
SELECT draw(9501, seed_from('too few')) AS d2 \gset
SELECT throws_ok(format('SELECT match_inspectors(%s)', :d2), '55000',
                 'too few inspectors in department ENV-350100 (ecology and environment): 1 missing',
                 'too few inspectors: the error says how many are missing');
SELECT is((SELECT count(*) FROM assignment WHERE draw_id = :d2), 0::bigint, 'and nothing is half done');
-- a target where conflicts leave too few
INSERT INTO inspector (id, department_id, name, badge_no) VALUES (9302, 903, 'env 2', 'E-2');
INSERT INTO inspector_conflict (inspector_id, uscc) SELECT 9302, uscc FROM draw_target WHERE draw_id = :d2 AND rank = 1;
SELECT throws_like(format('SELECT match_inspectors(%s)', :d2),
                   'too few inspectors in department ENV-350100 (ecology and environment) for target % 1 missing',
                   'a target whose conflicts leave too few is named');
SELECT throws_ok('SELECT match_inspectors(-5)', '42704', 'draw -5 does not exist', 'unknown draw');
SELECT cancel_draw(:d2, 'test');
SELECT throws_ok(format('SELECT match_inspectors(%s)', :d2), '55000', NULL, 'a cancelled draw is not matched');

SELECT * FROM finish();
ROLLBACK;
