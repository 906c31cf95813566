-- Limits on repeated checks (SPEC §4): once a year per category, superior first, exemptions,
-- clue tasks, cancelled draws, joint tasks, inactive subjects, overrides and the reports.
-- One transaction, rolled back; savepoints keep it going past the expected errors.
SET search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2025-12-01';
SET timezone = 'Asia/Shanghai';
BEGIN;
INSERT INTO department (id, code, name, system, level, region) VALUES
    (801, 'L-SAMR-35',     '福建省市场监督管理局',   'market',  2, '35'),
    (802, 'L-SAMR-3502',   '厦门市市场监督管理局',   'market',  3, '3502'),
    (803, 'L-SAMR-350203', '思明区市场监督管理局',   'market',  4, '350203'),
    (804, 'L-SAMR-350102', '鼓楼区市场监督管理局',   'market',  4, '350102'),
    (805, 'L-EE-3502',     '厦门市生态环境局',       'ecology', 3, '3502'),
    (806, 'L-EE-350203',   '思明区生态环境局',       'ecology', 4, '350203'),
    (807, 'L-SAMR-3501',   '福州市市场监督管理局',   'market',  3, '3501');
INSERT INTO check_item (id, department_id, code, name, category, limit_exempt, exempt_reason) VALUES
    (81, 803, 'F1', '食品经营检查', 'food_safety', false, NULL),
    (82, 802, 'R1', '登记事项检查', 'registration', false, NULL),
    (83, 806, 'P1', '排污许可检查', 'pollution_permit', true, 'environment'),
    (84, 805, 'E1', '排放报告检查', 'emission_report', false, NULL),
    (85, 807, 'R1', '登记事项检查', 'registration', false, NULL),
    (86, 803, 'C1', '告知承诺核查', 'commitment', true, 'commitment'),
    (87, 804, 'F1', '食品经营检查', 'food_safety', false, NULL),
    (88, 801, 'Q1', '产品质量检查', 'product_quality', false, NULL),
    (89, 806, 'E1', '排放报告检查', 'emission_report', false, NULL);
-- subjects S01..S19, all in 思明区 except S12 (鼓楼区); S13 is deregistered
INSERT INTO subject (uscc, name, region, status)
SELECT uscc_build('91', CASE WHEN i = 12 THEN '350102' ELSE '350203' END, 'MA0000' || lpad(i::text, 2, '0')),
       '测试企业' || i, CASE WHEN i = 12 THEN '350102' ELSE '350203' END,
       CASE WHEN i = 13 THEN 'deregistered' ELSE 'active' END
  FROM generate_series(1, 19) i;
CREATE TEMP TABLE s AS
SELECT i, uscc_build('91', CASE WHEN i = 12 THEN '350102' ELSE '350203' END, 'MA0000' || lpad(i::text, 2, '0')) AS uscc
  FROM generate_series(1, 19) i;
CREATE FUNCTION pg_temp.s(integer) RETURNS uscc LANGUAGE sql AS 'SELECT uscc FROM s WHERE i = $1';
INSERT INTO task (id, department_id, kind, title, period_start, period_end, sample_ratio) VALUES
    (8025, 803, 'temporary', '2025 食品抽查',            '2025-12-01', '2025-12-31', 1),
    (8026, 803, 'temporary', '2026 食品抽查',            '2026-03-01', '2026-06-30', 1),
    (8027, 803, 'temporary', '2026 一月食品检查',        '2026-01-01', '2026-01-31', 1),
    (8030, 802, 'temporary', '2026 市级登记检查',        '2026-02-01', '2026-02-28', 1),
    (8031, 805, 'temporary', '2026 市级排放报告检查',    '2026-02-01', '2026-02-28', 1),
    (8032, 806, 'temporary', '2026 区级排放报告检查',    '2026-04-01', '2026-04-30', 1),
    (8033, 807, 'temporary', '2026 福州登记检查',        '2026-02-01', '2026-02-28', 1),
    (8034, 804, 'temporary', '2026 鼓楼食品检查',        '2026-04-01', '2026-04-30', 1),
    (8035, 801, 'special',   '2026 省级产品质量专项',    '2026-02-01', '2026-02-28', 1),
    (8040, 806, 'temporary', '2026 排污许可检查',        '2026-02-01', '2026-02-28', 1),
    (8041, 803, 'temporary', '2026 排污许可与承诺检查',  '2026-05-01', '2026-05-31', 1),
    (8050, 803, 'clue',      '2026 投诉举报核查',        '2026-02-01', '2026-02-28', 1),
    (8060, 802, 'temporary', '2026 联合检查',            '2026-07-01', '2026-07-31', 1);
INSERT INTO task_item (task_id, item_id) VALUES
    (8025, 81), (8026, 81), (8027, 81), (8030, 82), (8031, 84), (8032, 89), (8033, 85), (8034, 87),
    (8035, 88), (8040, 83), (8041, 83), (8041, 86), (8050, 81), (8060, 83), (8060, 82);
-- the limit profile of a task
SELECT task_id, year, limited, categories, departments, superiors, systems
  FROM task_limit_profile(8026)
UNION ALL SELECT task_id, year, limited, categories, departments, superiors, systems FROM task_limit_profile(8041)
UNION ALL SELECT task_id, year, limited, categories, departments, superiors, systems FROM task_limit_profile(8050)
UNION ALL SELECT task_id, year, limited, categories, departments, superiors, systems FROM task_limit_profile(8060);

-- before any check nothing is excluded but the inactive subject
SELECT s.i, exclusion_reason(s.uscc, 8026) FROM s WHERE exclusion_reason(s.uscc, 8026) IS NOT NULL;

-- year boundary: checked on Dec 31 counts for 2025, on Jan 1 for 2026
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9001, 8025, pg_temp.s(1), 803, '2025-12-31'),
    (9002, 8027, pg_temp.s(2), 803, '2026-01-01');
SELECT s.i, exclusion_reason(s.uscc, 8026) AS for_2026, exclusion_reason(s.uscc, 8025) AS for_2025
  FROM s WHERE s.i IN (1, 2) ORDER BY s.i;

-- superior first: the city market department (厦门市) checked S04 for registration; the county
-- market department of 思明区 excludes it, the county ecology department (another system) does not
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9003, 8030, pg_temp.s(4), 802, '2026-02-10');
SELECT exclusion_reason(pg_temp.s(4), 8026) AS county_market, exclusion_reason(pg_temp.s(4), 8032) AS county_ecology;
-- the city ecology department checked S05: the county market task is another system (not
-- excluded); the county ecology task shares the category too, and same_category comes first
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9004, 8031, pg_temp.s(5), 805, '2026-02-10');
SELECT exclusion_reason(pg_temp.s(5), 8026) AS county_market, exclusion_reason(pg_temp.s(5), 8032) AS county_ecology;
SELECT reason, category, task_id, department_id, checked_on, source FROM limit_conflicts(pg_temp.s(5), 8032);
-- a superior in another region (福州市) excludes its own county (鼓楼区), not 思明区
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9005, 8033, pg_temp.s(6), 807, '2026-02-10'),
    (9006, 8033, pg_temp.s(12), 807, '2026-02-11');
SELECT exclusion_reason(pg_temp.s(6), 8026) AS siming, exclusion_reason(pg_temp.s(12), 8034) AS gulou;
-- the province excludes every county of its system
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9007, 8035, pg_temp.s(7), 801, '2026-02-10');
SELECT exclusion_reason(pg_temp.s(7), 8026) AS siming_market, exclusion_reason(pg_temp.s(7), 8034) AS gulou_market,
       exclusion_reason(pg_temp.s(7), 8032) AS siming_ecology;

-- exempt items neither are limited nor count: S08 checked twice for pollution permits
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9008, 8040, pg_temp.s(8), 806, '2026-02-10'),
    (9009, 8041, pg_temp.s(8), 803, '2026-05-10');
SELECT exclusion_reason(pg_temp.s(8), 8026) AS food, exclusion_reason(pg_temp.s(8), 8040) AS permit,
       exclusion_reason(pg_temp.s(2), 8041) AS all_exempt_task;

-- clue tasks are never limited and do not count
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES
    (9010, 8050, pg_temp.s(2), 803, '2026-02-10'),
    (9011, 8050, pg_temp.s(9), 803, '2026-02-10');
SELECT exclusion_reason(pg_temp.s(2), 8050) AS clue_task, exclusion_reason(pg_temp.s(9), 8026) AS after_clue;

-- inactive comes first, also for clue and exempt tasks
SELECT exclusion_reason(pg_temp.s(13), 8026) AS limited, exclusion_reason(pg_temp.s(13), 8050) AS clue,
       exclusion_reason(pg_temp.s(13), 8041) AS exempt;

-- joint task: exempt pollution permit (ecology) + limited registration (city market): limited only
-- through registration and the city market department's superiors
SELECT s.i, exclusion_reason(s.uscc, 8060) FROM s WHERE exclusion_reason(s.uscc, 8060) IS NOT NULL ORDER BY s.i;

-- unknown task or subject
SAVEPOINT sp;
SELECT exclusion_reason(pg_temp.s(1), 999999);
ROLLBACK TO sp;
SELECT exclusion_reason(uscc_build('91', '350203', 'MA000099'), 8026);
ROLLBACK TO sp;

-- recording an inspection that breaks the rule is refused and names the earlier check
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9012, 8026, pg_temp.s(2), 803, '2026-03-05');
ROLLBACK TO sp;
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9012, 8026, pg_temp.s(4), 803, '2026-03-05');
ROLLBACK TO sp;
-- an override is granted with a reason (not blank), kept, and used by the inspection
\set VERBOSITY terse
INSERT INTO limit_override (task_id, uscc, department_id, reason) VALUES (8026, pg_temp.s(2), 803, ' ');
\set VERBOSITY default
ROLLBACK TO sp;
INSERT INTO limit_override (task_id, uscc, department_id, reason)
VALUES (8026, pg_temp.s(2), 803, '《食品安全法》第一百一十条：发现问题后复查');
SELECT task_id, uscc = pg_temp.s(2) AS s02, reason, granted_by = current_user AS by_me, overridden_check, used_at, inspection_id
  FROM v_limit_overrides;
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9012, 8026, pg_temp.s(2), 803, '2026-03-05');
SELECT task_id, uscc = pg_temp.s(2) AS s02, reason, overridden_check, used_at IS NOT NULL AS used, inspection_id
  FROM v_limit_overrides;
SELECT year, category, uscc = pg_temp.s(2) AS s02, checks, task_ids, department_ids, overridden FROM v_repeat_checks;
-- an update that moves an inspection into a conflict is checked too
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9013, 8026, pg_temp.s(3), 803, '2026-03-05');
SAVEPOINT sp;
UPDATE inspection SET uscc = pg_temp.s(1) WHERE id = 9002;   -- fine: S01's check was in 2025
UPDATE inspection SET task_id = 8026, uscc = pg_temp.s(4) WHERE id = 9011;  -- S04: the city checked it
ROLLBACK TO sp;
-- inspected in another year than its task: counted (and checked) in the year it was made
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9014, 8025, pg_temp.s(3), 803, '2026-01-02');
ROLLBACK TO sp;

-- draws (this year's tasks: a task is drawn in its own year), on subjects S15..S19 only
SELECT extract(year FROM current_date)::integer AS y \gset
INSERT INTO directory (id, department_id, name) VALUES (801, 803, '思明区测试名录');
INSERT INTO directory_member (directory_id, uscc) SELECT 801, uscc FROM s WHERE i BETWEEN 15 AND 19;
INSERT INTO task (id, department_id, kind, title, period_start, period_end, approved_on, sample_ratio, directory_id) VALUES
    (8070, 803, 'temporary', '本年食品抽查', make_date(:y, 3, 1), make_date(:y, 6, 30), make_date(:y, 1, 2), 1, 801),
    (8071, 803, 'temporary', '本年一月食品检查', make_date(:y, 1, 10), make_date(:y, 1, 31), make_date(:y, 1, 2), 1, NULL);
INSERT INTO task_item (task_id, item_id) VALUES (8070, 81), (8071, 81);
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9020, 8071, pg_temp.s(15), 803, make_date(:y, 1, 15));
-- ratio 1 takes every eligible subject of the directory: S15 was checked for food this year
SELECT s.i FROM eligible_population(8070) e JOIN s ON s.uscc = e.uscc ORDER BY 1;
SELECT draw(8070, seed_from('limits test')) IS NOT NULL AS drawn;
SELECT s.i FROM draw_target t JOIN draw_record r ON r.id = t.draw_id JOIN s ON s.uscc = t.uscc
 WHERE r.task_id = 8070 ORDER BY 1;
-- S16 is now taken for food safety this year by a draw, for any department; not for another category
SELECT exclusion_reason(pg_temp.s(16), 8071) AS same_category, exclusion_reason(pg_temp.s(16), 8032) AS other_category;
-- what draw() reads (candidates less the excluded codes, merged in C) is eligible_population()
SELECT (SELECT count(*) FROM excluded_subjects(8071) x WHERE x.reason <> 'inactive') AS limited,
       population_collect(p.candidates, false, false, p.excluded)
         = (SELECT population_agg(e.uscc, 'all', NULL) FROM eligible_population(8071) e) AS same_population
  FROM eligibility_parts(8071) p;
SELECT reason, category, task_id, department_id, source FROM limit_conflicts(pg_temp.s(16), 8071);
-- an inspection of a drawn target is within the draw; of the same subject for another task it is
-- checked (the message names the draw, whose id and date vary: terse)
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9021, 8070, pg_temp.s(16), 803, make_date(:y, 3, 10));
SAVEPOINT d1;
\set VERBOSITY terse
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9022, 8071, pg_temp.s(17), 803, make_date(:y, 1, 20));
ROLLBACK TO d1;
-- every drawn target is checked: a draw from a population that ignores the limits fails
CREATE OR REPLACE FUNCTION eligibility_parts(task_id bigint, OUT candidates text, OUT excluded text) LANGUAGE sql
    AS $q$SELECT 'SELECT s.uscc, s.credit_class, 1::float8 FROM supervise.subject s WHERE s.uscc = ANY (ARRAY[pg_temp.s(17), pg_temp.s(18)])', NULL$q$;
-- (the targets' checks read subject by subject and in one pass over the year's checks)
DO $$
DECLARE
    way text;
BEGIN
    FOREACH way IN ARRAY ARRAY['per_subject', 'year_scan'] LOOP
        PERFORM set_config('supervise.limits_lookup', way, true);
        BEGIN
            PERFORM supervise.draw(8071, supervise.seed_from('ignores the limits'));
        EXCEPTION WHEN exclusion_violation THEN
            RAISE NOTICE '%: refused: %', way, regexp_replace(SQLERRM, 'draw \d+', 'draw N');
        END;
    END LOOP;
    PERFORM set_config('supervise.limits_lookup', 'auto', true);
END
$$;
ROLLBACK TO d1;
-- cancelled draws do not count: S17 is free again, S16 was inspected within the draw and stays taken
SELECT cancel_draw(id, '抽取范围有误') FROM draw_record WHERE task_id = 8070;
SELECT exclusion_reason(pg_temp.s(17), 8071) AS s17_cancelled, exclusion_reason(pg_temp.s(16), 8071) AS s16_inspected;
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on) VALUES (9022, 8071, pg_temp.s(17), 803, make_date(:y, 1, 20));
ROLLBACK TO d1;
\set VERBOSITY default
-- checks per subject: S02 had the food check of January, the clue check and the overridden one;
-- S08 two exempt checks; S16 was drawn and inspected (one check)
SELECT year, s.i, checks, clue_checks, departments FROM v_checks_per_subject v JOIN s ON s.uscc = v.uscc
 WHERE s.i IN (2, 8) AND year = 2026 ORDER BY year, s.i;
SELECT year = :y AS this_year, s.i, checks, clue_checks, departments FROM v_checks_per_subject v JOIN s ON s.uscc = v.uscc
 WHERE s.i = 16;

-- the set-based rule agrees with exclusion_reason on every subject and task here
SELECT t.id AS task_id, count(*) AS disagreements
  FROM task t CROSS JOIN s
  LEFT JOIN LATERAL excluded_subjects(t.id) x ON x.uscc = s.uscc
 WHERE t.id BETWEEN 8000 AND 8099
   AND exclusion_reason(s.uscc, t.id) IS DISTINCT FROM x.reason
 GROUP BY t.id ORDER BY 1;

ROLLBACK;
