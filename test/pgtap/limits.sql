-- Limits: the set-based rule (excluded_subjects, eligible_population) and the per-subject rule
-- (exclusion_reason) agree on every subject of a 3,000-subject sample province, for tasks of every
-- shape: single department, city and province level, joint with an exempt item, all exempt, clue,
-- with a directory, and a task of last year; over inspections (some breaking the rule, loaded with
-- triggers off as legacy data would be), live draws and a cancelled draw.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(7);

SELECT lives_ok($$SELECT * FROM supervise.generate_sample(3000, 1)$$, 'a sample province of 3,000 subjects');

CREATE TEMP TABLE lt (n integer PRIMARY KEY, task_id bigint);
CREATE FUNCTION pg_temp.dep(text) RETURNS bigint LANGUAGE sql AS 'SELECT id FROM supervise.department WHERE code = $1';
CREATE FUNCTION pg_temp.item(text, text) RETURNS bigint LANGUAGE sql
    AS 'SELECT i.id FROM supervise.check_item i JOIN supervise.department d ON d.id = i.department_id WHERE d.code = $1 AND i.code = $2';

SELECT lives_ok($$
    WITH y AS (SELECT extract(year FROM current_date)::integer AS y),
    t AS (
        INSERT INTO supervise.task (department_id, kind, title, period_start, period_end, approved_on, sample_ratio, directory_id)
        SELECT pg_temp.dep(v.dep), v.kind, v.title,
               make_date(y.y + v.dy, 2, 1), make_date(y.y + v.dy, 12, 31), make_date(y.y + v.dy, 1, 2), 0.02,
               CASE WHEN v.dir THEN (SELECT d.id FROM supervise.directory d WHERE d.department_id = pg_temp.dep(v.dep)) END
          FROM y, (VALUES
            (1, 'SAMR-350203', 'temporary', '思明区食品安全抽查', 0, false),
            (2, 'SAMR-3502',   'special',   '厦门市登记事项抽查', 0, false),
            (3, 'SAMR-35',     'special',   '福建省产品质量专项', 0, false),
            (4, 'SAMR-350203', 'temporary', '思明区年报与排污联合抽查', 0, false),
            (5, 'HC-350203',   'temporary', '思明区公共场所卫生抽查', 0, false),
            (6, 'SAMR-350203', 'clue',      '思明区投诉核查', 0, false),
            (7, 'SAMR-350206', 'temporary', '湖里区食品经营者抽查', 0, true),
            (8, 'EE-3502',     'special',   '厦门市固体废物检查', 0, false),
            (9, 'SAMR-350203', 'temporary', '思明区承诺核查与食品抽查', 0, false),
            (10, 'SAMR-350203', 'temporary', '思明区去年食品抽查', -1, false)
          ) v(n, dep, kind, title, dy, dir)
         ORDER BY v.n
        RETURNING id)
    INSERT INTO lt SELECT row_number() OVER (ORDER BY id), id FROM t;
    INSERT INTO supervise.task_item (task_id, item_id)
    SELECT lt.task_id, pg_temp.item(v.dep, v.code) FROM lt JOIN (VALUES
        (1, 'SAMR-350203', 'SC-03'), (2, 'SAMR-3502', 'SC-01'), (3, 'SAMR-35', 'SC-04'),
        (4, 'SAMR-350203', 'SC-02'), (4, 'EE-350203', 'EE-01'), (5, 'HC-350203', 'HC-01'),
        (6, 'SAMR-350203', 'SC-03'), (7, 'SAMR-350206', 'SC-03'), (8, 'EE-3502', 'EE-02'),
        (9, 'SAMR-350203', 'SC-05'), (9, 'SAMR-350203', 'SC-03'), (10, 'SAMR-350203', 'SC-03')
      ) v(n, dep, code) ON v.n = lt.n;
$$, 'ten tasks');

-- a fifth of the subjects checked, for a task picked by hash, on a day spread over the task's
-- year (task 10: Dec 31 of last year or Jan 1 of this one), some without a date; triggers off,
-- so the legacy data also holds checks that break the rule
SELECT lives_ok($$
    SET LOCAL session_replication_role = replica;
    INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
    SELECT lt.task_id, s.uscc,
           (SELECT min(i.department_id) FROM supervise.task_item ti JOIN supervise.check_item i ON i.id = ti.item_id
             WHERE ti.task_id = lt.task_id),
           CASE WHEN h % 17 = 0 THEN NULL
                WHEN lt.n = 10 THEN CASE WHEN h % 2 = 0 THEN make_date(y - 1, 12, 31) ELSE make_date(y, 1, 1) END
                ELSE make_date(y, 1 + (h % 12)::integer, 1 + (h % 28)::integer) END
      FROM (SELECT s.uscc, hashtextextended(s.uscc::text, 7) & 1023 AS h FROM supervise.subject s) s
      JOIN lt ON lt.n = 1 + (s.h / 5 % 10)::integer,
           LATERAL (SELECT extract(year FROM current_date)::integer AS y) y
     WHERE s.h % 5 = 0;
    RESET session_replication_role;
$$, 'inspections of a fifth of the subjects');

SELECT lives_ok($$
    SELECT supervise.draw(task_id, supervise.seed_from('pgtap ' || n)) FROM lt WHERE n IN (2, 5, 7) ORDER BY n;
    SELECT supervise.cancel_draw(r.id, '测试取消') FROM supervise.draw_record r JOIN lt ON lt.task_id = r.task_id WHERE lt.n = 2;
    SELECT supervise.draw(task_id, supervise.seed_from('pgtap again')) FROM lt WHERE n = 2;
$$, 'draws of three tasks, one cancelled and drawn again');

-- each rule computed once: per subject (30,000 calls) and set-based (one call per task)
ANALYZE;
CREATE TEMP TABLE per_subject AS
SELECT lt.n, s.uscc, supervise.exclusion_reason(s.uscc, lt.task_id) AS reason,
       t.directory_id IS NULL OR EXISTS (SELECT 1 FROM supervise.directory_member m
                                          WHERE m.directory_id = t.directory_id AND m.uscc = s.uscc) AS in_directory
  FROM lt JOIN supervise.task t ON t.id = lt.task_id CROSS JOIN supervise.subject s;
CREATE TEMP TABLE set_based AS SELECT lt.n, x.uscc, x.reason FROM lt, supervise.excluded_subjects(lt.task_id) x;
CREATE TEMP TABLE population AS SELECT lt.n, e.uscc FROM lt, supervise.eligible_population(lt.task_id) e;

-- the test is not vacuous: every reason occurs, for most tasks something is excluded
SELECT set_eq($$SELECT DISTINCT reason FROM set_based$$,
              ARRAY['inactive', 'same_category_this_year', 'superior_checked_this_year'],
              'every exclusion reason occurs in the sample');

SELECT is_empty($$
    SELECT p.n, p.uscc, p.reason AS per_subject, x.reason AS set_based
      FROM per_subject p FULL JOIN set_based x ON x.n = p.n AND x.uscc = p.uscc
     WHERE p.reason IS DISTINCT FROM x.reason$$,
    'excluded_subjects and exclusion_reason agree on every subject and task');

SELECT set_eq($$SELECT n, uscc::text FROM population$$,
              $$SELECT n, uscc::text FROM per_subject WHERE reason IS NULL AND in_directory$$,
    'the eligible population is exactly the subjects of the directory that exclusion_reason allows');

SELECT * FROM finish();
ROLLBACK;
