-- Who may act on, read and join whose tasks: the draw and limit functions run as the owner, so they
-- decide themselves. A market department (66) and a health department (65) of one district, the
-- city's market bureau (18, superior to 66) and another district's market department (67). An
-- officer of 66 may not put health's item into its task (a joint task needs health's consent), may
-- read the limits of its own tasks only, and is told of another department's confidential check
-- only that there was one. Tasks lie in the current year (draws and limits are per year).
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(41);
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_reader;
CREATE ROLE supervise_test_market;       -- officer of 66
CREATE ROLE supervise_test_health;       -- officer of 65
CREATE ROLE supervise_test_both;         -- officer of 66 and 65: acts for both
CREATE ROLE supervise_test_admin;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (18, '350200-SC', '厦门市市场监督管理局', 'market', 3, '3502'),
    (65, '350203-WJ', '厦门市思明区卫生健康局', 'health', 4, '350203'),
    (66, '350203-SC', '厦门市思明区市场监督管理局', 'market', 4, '350203'),
    (67, '350206-SC', '厦门市湖里区市场监督管理局', 'market', 4, '350206');
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (181, 18, 'SJ-01', '市局食品安全专项检查', 'food_city'),
    (651, 65, 'HC-01', '公共场所卫生的检查', 'public_health'),
    (661, 66, 'SC-03', '食品经营的检查', 'food_safety'),
    (671, 67, 'SC-03', '食品经营的检查', 'food_safety');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350203', 'MA' || lpad(n::text, 6, '0')), '思明测试企业' || n, '350203' FROM generate_series(1, 40) n;
CREATE TEMP TABLE s AS SELECT row_number() OVER (ORDER BY uscc) AS n, uscc FROM subject;
GRANT SELECT ON s TO PUBLIC;
INSERT INTO inspector (id, department_id, name, badge_no)
SELECT 6500 + n, 65, '卫健' || n, 'WJ-' || n FROM generate_series(1, 4) n
UNION ALL SELECT 6600 + n, 66, '市监' || n, 'SC-' || n FROM generate_series(1, 4) n;

CREATE TEMP TABLE y AS SELECT extract(year FROM current_date)::integer AS y,
                              date_trunc('year', current_date)::date AS d0;
GRANT SELECT ON y TO PUBLIC;
INSERT INTO plan (id, department_id, year, title, approved_on)
SELECT p.id, p.dep, y.y, p.title, y.d0 FROM y,
       (VALUES (1, 18, '市局年度计划'), (2, 65, '卫健年度计划'), (3, 66, '思明市监年度计划'), (4, 67, '湖里市监年度计划')) p(id, dep, title);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio, confidential)
SELECT t.id, t.plan, t.dep, t.title, y.d0, (y.d0 + interval '1 year - 1 day')::date, y.d0, t.ratio, t.conf FROM y,
       (VALUES (11, 1, 18, '市局保密专项', 0.5, 'state_secret'),
               (21, 2, 65, '公共场所卫生抽查', 0.5, NULL),
               (31, 3, 66, '思明食品经营抽查', 0.5, NULL),
               (32, 3, 66, '思明食品经营补充检查', 0.5, NULL),
               (41, 4, 67, '湖里保密食品抽查', 0.5, 'state_secret')) t(id, plan, dep, title, ratio, conf);
INSERT INTO task_item (task_id, item_id) VALUES (11, 181), (21, 651), (31, 661), (32, 661), (41, 671);
-- the city bureau checked subject 1 this year; 湖里 checked subject 2 (same category as 66's item)
INSERT INTO inspection (task_id, uscc, department_id, inspected_on)
SELECT 11, uscc, 18, (SELECT d0 FROM y) + 1 FROM s WHERE n = 1
UNION ALL SELECT 41, uscc, 67, (SELECT d0 FROM y) + 1 FROM s WHERE n = 2;

SELECT grant_public_reader('supervise_test_reader');
SELECT grant_department_officer('supervise_test_market', ARRAY[66]);
SELECT grant_department_officer('supervise_test_health', ARRAY[65]);
SELECT grant_department_officer('supervise_test_both', ARRAY[65, 66]);
SELECT grant_admin('supervise_test_admin');

-- ---- 1. a joint task needs every department's consent ----
SET LOCAL ROLE supervise_test_market;
SELECT lives_ok($$INSERT INTO supervise.task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio)
                  SELECT 33, 3, 66, '思明自拟联合任务', d0, (d0 + interval '1 year - 1 day')::date, d0, 0.1 FROM y$$,
                'officer of 66 creates a task of 66');
SELECT lives_ok('INSERT INTO supervise.task_item (task_id, item_id) VALUES (33, 661)', 'and adds its own item');
SELECT throws_ok('INSERT INTO supervise.task_item (task_id, item_id) VALUES (33, 651)', '42501', NULL,
                 'officer of 66 cannot add health''s item HC-01 to its task');
SELECT throws_ok('UPDATE supervise.task_item SET item_id = 651 WHERE task_id = 33', '42501', NULL,
                 'nor turn its own item into health''s');
SELECT throws_ok('SELECT supervise.merge_tasks(ARRAY[31, 21])', '22023', 'task 21 does not exist',
                 'nor merge health''s task, which it cannot see');
SELECT lives_ok($$SELECT supervise.draw(33, supervise.seed_from('66 alone'))$$, 'it draws its own task');
RESET ROLE;
SELECT is((SELECT array_agg(DISTINCT ci.department_id) FROM task_item ti JOIN check_item ci ON ci.id = ti.item_id WHERE ti.task_id = 33),
          ARRAY[66::bigint], 'the drawn task holds 66''s items only');
SELECT ok((SELECT count(*) FROM eligible_population(21)) = 40, 'health''s task keeps its whole eligible population');
SELECT is((SELECT count(*)::int FROM assignment a JOIN draw_record r ON r.id = a.draw_id WHERE r.task_id = 33 AND a.department_id = 65),
          0, 'no health inspector is on 66''s task');
SET LOCAL ROLE supervise_test_market;
SELECT lives_ok('SELECT supervise.match_inspectors((SELECT id FROM supervise.draw_record WHERE task_id = 33))',
                'officer of 66 matches inspectors for its task');
SELECT throws_ok($$SELECT supervise.assign_inspector((SELECT id FROM supervise.draw_record WHERE task_id = 33),
                       (SELECT uscc FROM supervise.draw_target WHERE draw_id = (SELECT id FROM supervise.draw_record WHERE task_id = 33) ORDER BY uscc LIMIT 1),
                       6501, 'hostile')$$, '22023', NULL,
                 'a health inspector cannot be assigned to 66''s task');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM assignment a JOIN draw_record r ON r.id = a.draw_id WHERE r.task_id = 33 AND a.department_id = 65),
          0, 'matching sent no health inspector');
-- consent: each department's own approved task, merged by a role that acts for both (or an admin)
SET LOCAL ROLE supervise_test_both;
SELECT lives_ok('SELECT supervise.merge_tasks(ARRAY[32, 21], ''思明市监卫健联合抽查'')', 'an officer of 66 and 65 merges their tasks');
SELECT is((SELECT count(*)::int FROM supervise.task_merge WHERE source_task_id IN (32, 21)), 2, 'and reads the merge');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT throws_ok($$INSERT INTO supervise.task_merge (joint_task_id, source_task_id, position) VALUES (31, 21, 2)$$, '42501', NULL,
                 'officer of 66 cannot record health''s task as merged into its own');
RESET ROLE;
SELECT is((SELECT array_agg(DISTINCT ci.department_id ORDER BY ci.department_id) FROM task_item ti JOIN check_item ci ON ci.id = ti.item_id
            WHERE ti.task_id = (SELECT merged_into FROM task WHERE id = 21)),
          ARRAY[65, 66]::bigint[], 'the joint task holds both departments'' items');
SET LOCAL ROLE supervise_test_health;
SELECT ok(EXISTS (SELECT 1 FROM supervise.task WHERE id = (SELECT merged_into FROM supervise.task WHERE id = 21)),
          'health''s officer sees the joint task it takes part in');
RESET ROLE;

-- ---- 2. the owner's functions answer only about tasks the caller may see ----
SET LOCAL ROLE supervise_test_reader;
SELECT throws_ok('SELECT count(*) FROM supervise.eligible_population(31)', '42501', NULL, 'public reader: eligible_population refused');
SELECT throws_ok('SELECT count(*) FROM supervise.excluded_subjects(31)', '42501', NULL, 'public reader: excluded_subjects refused');
SELECT throws_ok('SELECT * FROM supervise.task_limit_profile(11)', '42501', NULL, 'public reader: task_limit_profile refused');
SELECT throws_ok('SELECT * FROM supervise.limit_conflicts((SELECT uscc FROM s WHERE n = 1), 31)', '42501', NULL,
                 'public reader: limit_conflicts refused');
SELECT throws_ok('SELECT supervise.exclusion_reason((SELECT uscc FROM s WHERE n = 1), 31)', '42501', NULL,
                 'public reader: exclusion_reason refused');
SELECT throws_ok('SELECT supervise.limit_lock(31)', '42501', NULL, 'public reader cannot take the draw''s locks');
RESET ROLE;
SET LOCAL ROLE supervise_test_health;
SELECT throws_ok('SELECT count(*) FROM supervise.eligible_population(31)', '42501', 'permission denied to read task 31',
                 'officer of 65: 66''s eligible population refused (credit classes, risk levels)');
SELECT throws_ok('SELECT * FROM supervise.limit_conflicts((SELECT uscc FROM s WHERE n = 1), 11)', '42501', NULL,
                 'officer of 65: the city bureau''s secret task refused');
SELECT throws_ok('SELECT supervise.limit_lock(31)', '42501', NULL, 'officer of 65 cannot take the locks of 66''s draws');
RESET ROLE;
SET LOCAL ROLE supervise_test_market;
SELECT is((SELECT count(*)::int FROM supervise.eligible_population(31)),
          38 - (SELECT count(*)::int FROM supervise.draw_target t JOIN supervise.draw_record r ON r.id = t.draw_id WHERE r.task_id = 33),
          'officer of 66 reads its own task''s eligible population (less the two subjects checked and those its task 33 drew)');
SELECT is(supervise.exclusion_reason((SELECT uscc FROM s WHERE n = 1), 31), 'superior_checked_this_year',
          'officer of 66: the reason for subject 1');
SELECT row_eq($$SELECT reason, category, task_id, department_id, checked_on, source_id
                  FROM supervise.limit_conflicts((SELECT uscc FROM s WHERE n = 1), 31)$$,
              ROW('superior_checked_this_year'::text, 'food_city'::text, NULL::bigint, NULL::bigint, NULL::date, NULL::bigint),
              'officer of 66: the city bureau''s secret check shows its reason, not its task, department, date or id');
SELECT row_eq($$SELECT reason, task_id FROM supervise.limit_conflicts((SELECT uscc FROM s WHERE n = 2), 31)$$,
              ROW('same_category_this_year'::text, NULL::bigint),
              'officer of 66: 湖里''s check of the same kind shows its reason only');
SELECT throws_ok('SELECT * FROM supervise.task_limit_profile(11)', '42501', NULL, 'officer of 66: the city bureau''s task profile refused');
RESET ROLE;
SET LOCAL ROLE supervise_test_admin;
SELECT row_eq($$SELECT task_id, department_id FROM supervise.limit_conflicts((SELECT uscc FROM s WHERE n = 1), 31)$$,
              ROW(11::bigint, 18::bigint), 'admin: the conflict in full');
RESET ROLE;

-- ---- 4. a refusal tells an officer only what it may see ----
CREATE FUNCTION pg_temp.refusal(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text; d text; st text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, st = RETURNED_SQLSTATE;
    RETURN st || ': ' || m || ' / ' || coalesce(d, '');
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.refusal(text) TO PUBLIC;
CREATE TEMP TABLE said (who text, what text);
GRANT ALL ON said TO PUBLIC;
SET LOCAL ROLE supervise_test_market;
INSERT INTO said SELECT 'market', pg_temp.refusal($$INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
                                                   SELECT 31, uscc, 66, (SELECT d0 FROM y) + 5 FROM s WHERE n = 1$$);
INSERT INTO said SELECT 'market same kind', pg_temp.refusal($$INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
                                                   SELECT 31, uscc, 66, (SELECT d0 FROM y) + 5 FROM s WHERE n = 2$$);
RESET ROLE;
SET LOCAL ROLE supervise_test_admin;
INSERT INTO said SELECT 'admin', pg_temp.refusal($$INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
                                                  SELECT 31, uscc, 66, (SELECT d0 FROM y) + 5 FROM s WHERE n = 1$$);
RESET ROLE;
SELECT alike((SELECT what FROM said WHERE who = 'market'), '23P01: subject "%" may not be checked again for task 31: superior_checked_this_year / %',
            'officer of 66: its inspection of subject 1 is refused');
SELECT is((SELECT split_part(what, ' / ', 2) FROM said WHERE who = 'market'),
          'Earlier check: a check by a superior department this year.',
          'officer of 66: the detail names no task, title or department of the city bureau''s secret check');
SELECT is((SELECT split_part(what, ' / ', 2) FROM said WHERE who = 'market same kind'),
          'Earlier check: a check of the same kind (category "food_safety") by another department this year.',
          'officer of 66: 湖里''s secret check of the same kind is not named either');
SELECT ok((SELECT what FROM said WHERE who = 'admin') LIKE '%市局保密专项%',
          'admin: the detail names the earlier check in full');

-- ---- 5. no task is no permission ----
SELECT throws_ok($$SELECT supervise.require_task_access(NULL, 'draw')$$, '22004', 'task_id must not be NULL',
                 'require_task_access(NULL, ...) fails loudly');
SET LOCAL ROLE supervise_test_market;
SELECT throws_ok($$SELECT supervise.require_task_access(NULL, 'draw')$$, '22004', NULL, 'also for an officer');
SELECT throws_ok($$SELECT supervise.require_task_access(21, 'draw')$$, '42501', 'permission denied to draw task 21',
                 'an officer of 66 may not draw health''s task');
SELECT is(supervise.may_see_task(NULL), false, 'may_see_task(NULL) is false, not NULL');
SELECT is(supervise.may_act_on_task(NULL), false, 'may_act_on_task(NULL) is false, not NULL');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
