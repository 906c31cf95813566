-- The role matrix: every function of the schema, with what a public reader, an officer of another
-- department and an admin may do with it. A function added without a row here fails the first test.
-- Per role:
--   no       not executable (no EXECUTE privilege)
--   yes      executable; reads nothing of any department (pure), or, for a probed function, sees
--            the other department's task
--   rls      executable and runs with the caller's rights: table privileges and row-level security
--            decide what it reads and writes
--   trigger  a trigger function (PostgreSQL refuses to call it directly)
--   denied   executable, but refuses the other department's task with 42501
--   hidden   executable, and sees nothing of the other department's task (false, empty, or "does
--            not exist")
-- Functions that run as the owner (SECURITY DEFINER) and are executable by a reader or an officer
-- must have a probe: a query that returns true when the caller saw the other department's task.
-- Probes run as each role in a subtransaction that is rolled back. The other department's task is
-- task 31 of 思明区市场监督管理局 (66); the officer is 思明区卫生健康局's (65).
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(9);
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;

CREATE ROLE supervise_test_reader;
CREATE ROLE supervise_test_health;
CREATE ROLE supervise_test_admin;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (65, '350203-WJ', '厦门市思明区卫生健康局', 'health', 4, '350203'),
    (66, '350203-SC', '厦门市思明区市场监督管理局', 'market', 4, '350203');
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (651, 65, 'HC-01', '公共场所卫生的检查', 'public_health'),
    (661, 66, 'SC-03', '食品经营的检查', 'food_safety');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350203', 'MA' || lpad(n::text, 6, '0')), '思明测试企业' || n, '350203' FROM generate_series(1, 20) n;
INSERT INTO inspector (id, department_id, name, badge_no)
SELECT 6500 + n, 65, '卫健' || n, 'WJ-' || n FROM generate_series(1, 4) n
UNION ALL SELECT 6600 + n, 66, '市监' || n, 'SC-' || n FROM generate_series(1, 4) n;
INSERT INTO plan (id, department_id, year, title, approved_on)
SELECT p.id, p.dep, extract(year FROM current_date)::integer, p.title, date_trunc('year', current_date)::date
  FROM (VALUES (2, 65, '卫健年度计划'), (3, 66, '思明市监年度计划')) p(id, dep, title);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size)
SELECT t.id, t.plan, t.dep, t.title, d0, (d0 + interval '1 year - 1 day')::date, d0, 5
  FROM (SELECT date_trunc('year', current_date)::date AS d0) y,
       (VALUES (21, 2, 65, '公共场所卫生抽查'), (31, 3, 66, '思明食品经营抽查'),
               (32, 3, 66, '思明食品经营复查'), (33, 3, 66, '思明食品经营补充抽查')) t(id, plan, dep, title);
INSERT INTO task_item (task_id, item_id) VALUES (21, 651), (31, 661), (32, 661), (33, 661);
-- subject 1 was checked for task 32: the limits exclude it from task 31
INSERT INTO inspection (task_id, uscc, department_id, inspected_on)
SELECT 32, uscc_build('91', '350203', 'MA000001'), 66, date_trunc('year', current_date)::date + 1;
SELECT draw(31, seed_from('role matrix')) AS d \gset
-- a joint-check scenario led by 66, with 65 as partner
INSERT INTO joint_scenario (id, name, lead_department_id) VALUES (71, '公共场所综合查一次', 66);
INSERT INTO joint_scenario_item (scenario_id, item_id) VALUES (71, 661), (71, 651);
SELECT min(uscc)::text AS t1 FROM draw_target WHERE draw_id = :d \gset
-- 66's listing and key item with a coverage cycle (the credit record's probes)
UPDATE check_item SET key_supervision = true, coverage_years = 3 WHERE id = 661;
SELECT list_dishonest(uscc_build('91', '350203', 'MA000003'), 66, '严重违法失信（角色矩阵）') AS e66 \gset

-- after the check: a clue of 66's, and a case 65 transferred to 66 (the health officer cannot
-- accept it for 66)
SELECT record_clue(66, uscc_build('91', '350203', 'MA000002'), 'complaint', '投诉：过期食品') AS c66 \gset
SELECT record_clue(65, uscc_build('91', '350203', 'MA000003'), 'hotline', '12345：卫生问题') AS c65 \gset
SELECT transfer_case(66, '涉及食品经营，移送市场监管', clue_id => :c65) AS x65 \gset

SELECT grant_public_reader('supervise_test_reader');
SELECT grant_department_officer('supervise_test_health', ARRAY[65]);
SELECT grant_admin('supervise_test_admin');

CREATE TEMP TABLE matrix (fn text PRIMARY KEY, reader text, officer text, admin text, probe text);
INSERT INTO matrix (fn, reader, officer, admin) VALUES
    -- the code type and pure helpers
    ('uscc_in(cstring)', 'yes', 'yes', 'yes'), ('uscc_out(uscc)', 'yes', 'yes', 'yes'),
    ('uscc_recv(internal)', 'yes', 'yes', 'yes'), ('uscc_send(uscc)', 'yes', 'yes', 'yes'),
    ('uscc(text)', 'yes', 'yes', 'yes'), ('text(uscc)', 'yes', 'yes', 'yes'),
    ('uscc_is_valid(text)', 'yes', 'yes', 'yes'), ('uscc_invalid_reason(text)', 'yes', 'yes', 'yes'),
    ('uscc_region(uscc)', 'yes', 'yes', 'yes'), ('uscc_authority(uscc)', 'yes', 'yes', 'yes'),
    ('uscc_category(uscc)', 'yes', 'yes', 'yes'), ('uscc_org_code(uscc)', 'yes', 'yes', 'yes'),
    ('uscc_org_code_is_valid(uscc)', 'yes', 'yes', 'yes'),
    ('uscc_lt(uscc,uscc)', 'yes', 'yes', 'yes'), ('uscc_le(uscc,uscc)', 'yes', 'yes', 'yes'),
    ('uscc_eq(uscc,uscc)', 'yes', 'yes', 'yes'), ('uscc_ne(uscc,uscc)', 'yes', 'yes', 'yes'),
    ('uscc_ge(uscc,uscc)', 'yes', 'yes', 'yes'), ('uscc_gt(uscc,uscc)', 'yes', 'yes', 'yes'),
    ('uscc_cmp(uscc,uscc)', 'yes', 'yes', 'yes'), ('uscc_sortsupport(internal)', 'yes', 'yes', 'yes'),
    ('uscc_hash(uscc)', 'yes', 'yes', 'yes'), ('uscc_hash_extended(uscc,bigint)', 'yes', 'yes', 'yes'),
    ('uscc_build(text,text,text)', 'yes', 'yes', 'yes'),
    ('acting_role()', 'yes', 'yes', 'yes'), ('today()', 'yes', 'yes', 'yes'),
    ('seed_from(text)', 'yes', 'yes', 'yes'), ('random_seed()', 'yes', 'yes', 'yes'),
    ('draw_digest(text,bytea)', 'yes', 'yes', 'yes'),
    ('population_agg_sfunc(bytea,uscc,text,double precision)', 'yes', 'yes', 'yes'),
    ('population_agg_sfunc(bytea,uscc,text,double precision,bytea)', 'yes', 'yes', 'yes'),
    ('population_agg_combine(bytea,bytea)', 'yes', 'yes', 'yes'),
    ('population_agg_final(bytea)', 'yes', 'yes', 'yes'),
    ('population_agg(uscc,text,double precision)', 'yes', 'yes', 'yes'),
    ('population_agg(uscc,text,double precision,bytea)', 'yes', 'yes', 'yes'),
    ('draw_part_agg_sfunc(bytea,uscc,text,double precision,bytea,bytea,text[],double precision[])', 'yes', 'yes', 'yes'),
    ('draw_part_agg_final(bytea)', 'yes', 'yes', 'yes'),
    ('draw_part_agg(uscc,text,double precision,bytea,bytea,text[],double precision[])', 'yes', 'yes', 'yes'),
    ('draw_part_population(bytea)', 'yes', 'yes', 'yes'),
    ('population_strata(bytea)', 'yes', 'yes', 'yes'), ('population_rows(bytea)', 'yes', 'yes', 'yes'),
    ('draw_select(bytea,bytea,text,text[],integer[])', 'yes', 'yes', 'yes'),
    ('rfc3797_select(integer,integer,text)', 'yes', 'yes', 'yes'),
    ('sample_agg(text,double precision,integer,bytea)', 'yes', 'yes', 'yes'),
    ('sample_agg_sfunc(bytea,text,double precision,integer,bytea)', 'yes', 'yes', 'yes'),
    ('sample_agg_combine(bytea,bytea)', 'yes', 'yes', 'yes'),
    ('sample_agg_final(bytea)', 'yes', 'yes', 'yes'),
    ('stratum_k(bigint,numeric,integer)', 'yes', 'yes', 'yes'),
    ('match_compute(bytea,uscc[],bigint[],boolean[],date[],date,boolean,uscc[],bigint[],uscc[],bigint[],integer,text)', 'yes', 'yes', 'yes'),
    ('match_role(boolean,date,date,boolean)', 'yes', 'yes', 'yes'),
    ('limit_lock_key(integer,text,text)', 'yes', 'yes', 'yes'),
    ('limits_check_counts(integer,bigint,text,bigint,integer,bigint,text[],bigint[])', 'yes', 'yes', 'yes'),
    ('limits_reason(text,text[])', 'yes', 'yes', 'yes'),
    ('visit_group(date,date)', 'yes', 'yes', 'yes'), ('visit_summary(date,date,bigint,bigint)', 'yes', 'yes', 'yes'),
    ('sample_regions()', 'yes', 'yes', 'yes'), ('sample_hash(bigint,integer,integer)', 'yes', 'yes', 'yes'),
    ('sample_subjects(bigint,integer)', 'yes', 'yes', 'yes'),
    ('public_view_names()', 'yes', 'yes', 'yes'),
    ('task_public(text,text,boolean,date)', 'yes', 'yes', 'yes'),
    ('message_value(text)', 'yes', 'yes', 'yes'), ('message_text(text)', 'yes', 'yes', 'yes'),
    ('restoring()', 'yes', 'yes', 'yes'),
    -- shared data and the caller's own access, read with the caller's rights
    ('is_workday(date)', 'rls', 'rls', 'rls'), ('add_workdays(date,integer)', 'rls', 'rls', 'rls'),
    ('workdays_between(date,date)', 'rls', 'rls', 'rls'), ('add_workdays_provisional(date,integer)', 'rls', 'rls', 'rls'),
    ('calendar_cache_info()', 'rls', 'rls', 'rls'),
    ('draw_publication(bigint)', 'rls', 'rls', 'rls'),
    ('is_superior(bigint,bigint)', 'rls', 'rls', 'rls'),
    ('limited_checks_of(uscc)', 'rls', 'rls', 'rls'),
    ('limited_checks_among(uscc[],integer,bigint,text[],bigint[])', 'rls', 'rls', 'rls'),
    ('limit_profile_of(bigint)', 'rls', 'rls', 'rls'),
    ('limit_conflicts_of(uscc,bigint,integer)', 'rls', 'rls', 'rls'),
    ('limits_subject_budget()', 'yes', 'yes', 'yes'),
    ('publication_rule_for(text)', 'rls', 'rls', 'rls'), ('publication_deadline(text,date)', 'rls', 'rls', 'rls'),
    ('publication_due(text,date)', 'rls', 'rls', 'rls'),
    ('my_department_ids()', 'rls', 'rls', 'rls'), ('is_admin()', 'rls', 'rls', 'rls'),
    ('visit_lead_department(bigint[])', 'rls', 'rls', 'rls'), ('visit_plan(integer)', 'rls', 'rls', 'rls'),
    ('plan_visits(integer)', 'rls', 'rls', 'rls'),
    ('record_visit_result(bigint,bigint,text,date,date,text)', 'rls', 'rls', 'rls'),
    ('inspection_for_act(bigint,text)', 'rls', 'rls', 'rls'),
    ('record_item_result(bigint,bigint,text,text,text)', 'rls', 'rls', 'rls'),
    ('record_notice_served(bigint,date,text)', 'rls', 'rls', 'rls'),
    ('result_notice(bigint)', 'rls', 'rls', 'rls'),
    -- trigger functions
    ('calendar_invalidate()', 'trigger', 'trigger', 'trigger'), ('shipped_row_guard()', 'trigger', 'trigger', 'trigger'),
    ('task_check_plan()', 'trigger', 'trigger', 'trigger'), ('draw_record_guard()', 'trigger', 'trigger', 'trigger'),
    ('draw_kept_guard()', 'trigger', 'trigger', 'trigger'),
    ('publication_after_calendar_change()', 'trigger', 'trigger', 'trigger'),
    ('limits_check_targets()', 'trigger', 'trigger', 'trigger'), ('limits_on_cancel()', 'trigger', 'trigger', 'trigger'),
    ('limits_check_inspection()', 'trigger', 'trigger', 'trigger'),
    ('publication_published_guard()', 'trigger', 'trigger', 'trigger'),
    ('restore_copy()', 'trigger', 'trigger', 'trigger'), ('restore_copy_end()', 'trigger', 'trigger', 'trigger'),
    ('task_frozen_by_draw()', 'no', 'no', 'no'), ('subject_drawn_code_guard()', 'no', 'no', 'no'),
    ('draw_record_publication()', 'trigger', 'trigger', 'trigger'), ('task_check_filing()', 'trigger', 'trigger', 'trigger'),
    ('draw_record_refuse_merged()', 'trigger', 'trigger', 'trigger'), ('visit_follow_uscc()', 'trigger', 'trigger', 'trigger'),
    ('publication_after_change()', 'trigger', 'trigger', 'trigger'),
    ('visit_result_count_after_change()', 'no', 'no', 'no'),
    ('inspection_bound_to_draw()', 'trigger', 'trigger', 'trigger'), ('inspection_item_check()', 'trigger', 'trigger', 'trigger'),
    ('notice_service_check()', 'trigger', 'trigger', 'trigger'),
    ('audit_match()', 'no', 'no', 'no'), ('audit_row()', 'no', 'no', 'no'), ('audit_log_refuse()', 'no', 'no', 'no'),
    -- internals: nobody calls them but the extension's own functions
    ('draw_targets_insert(bigint,uscc[],text[],integer[])', 'no', 'no', 'no'),
    ('assignments_insert(bigint,bigint,uscc[],bigint[])', 'no', 'no', 'no'),
    ('publication_upsert(text,bigint,bigint,date)', 'no', 'no', 'no'),
    ('set_access(regrole,text,boolean,bigint[])', 'no', 'no', 'no'),
    ('apply_access(regrole)', 'no', 'no', 'no'),
    ('publication_sync(text,bigint[])', 'no', 'no', 'no'), ('publication_sync_tasks(bigint[])', 'no', 'no', 'no'),
    ('publication_source(text,bigint[])', 'no', 'no', 'no'),
    ('audit_match_entry(bigint,bigint,bigint,jsonb)', 'no', 'no', 'no'),
    ('population_collect(text,boolean,boolean,text)', 'no', 'no', 'no'),
    ('eligibility_query(bigint)', 'no', 'no', 'no'), ('eligibility_parts(bigint)', 'no', 'no', 'no'),
    ('limits_check_drawn(bigint,uscc[])', 'no', 'no', 'no'),
    ('limit_lock(bigint,uscc,bigint,integer[])', 'no', 'no', 'no'),
    ('limit_conflicts_all(uscc,bigint,integer)', 'no', 'no', 'no'),
    ('visit_results_of(bigint[],uscc[],bigint[],integer[])', 'no', 'no', 'no'),
    ('generate_sample(bigint,integer)', 'no', 'no', 'no'),
    ('bulk_insert_paths()', 'no', 'no', 'no'),
    ('excluded_codes(text)', 'no', 'no', 'no'),
    ('relation_population(bigint,regclass,boolean,boolean,bytea,text)', 'no', 'no', 'no'),
    -- admins' tools
    ('load_subjects(regclass,boolean)', 'no', 'no', 'rls'),
    ('publication_recompute()', 'no', 'no', 'rls'),
    ('load_calendar(integer,jsonb,text,boolean)', 'no', 'no', 'rls'),
    ('set_calendar_day(date,text,text,text)', 'no', 'no', 'rls'),
    ('grant_public_reader(regrole)', 'no', 'no', 'yes'), ('revoke_public_reader(regrole)', 'no', 'no', 'yes'),
    ('grant_department_officer(regrole,bigint[])', 'no', 'no', 'yes'),
    ('revoke_department_officer(regrole,bigint[])', 'no', 'no', 'yes'),
    ('grant_admin(regrole)', 'no', 'no', 'yes'), ('revoke_admin(regrole)', 'no', 'no', 'yes'),
    ('mark_published(text,bigint,date)', 'no', 'rls', 'rls'),
    -- the credit record (97_credit.sql)
    ('coverage_cycle(integer,date)', 'yes', 'yes', 'yes'), ('coverage_cycles(integer,date,date)', 'yes', 'yes', 'yes'),
    ('dishonesty_require_department(bigint,text)', 'rls', 'rls', 'rls'),
    ('dishonesty_entry_guard()', 'no', 'no', 'no');

-- the probed functions: what each role sees of task 31 (66's), its draw and its subjects
INSERT INTO matrix (fn, reader, officer, admin, probe) VALUES
    ('task_limit_profile(bigint)', 'denied', 'denied', 'yes',
     'SELECT count(*) > 0 FROM supervise.task_limit_profile(31)'),
    ('limit_conflicts(uscc,bigint,integer)', 'denied', 'denied', 'yes',
     $$SELECT count(*) > 0 FROM supervise.limit_conflicts(supervise.uscc_build('91', '350203', 'MA000001'), 31)$$),
    ('exclusion_reason(uscc,bigint)', 'denied', 'denied', 'yes',
     $$SELECT supervise.exclusion_reason(supervise.uscc_build('91', '350203', 'MA000001'), 31) IS NOT NULL$$),
    ('excluded_subjects(bigint)', 'denied', 'denied', 'yes',
     'SELECT count(*) > 0 FROM supervise.excluded_subjects(31)'),
    ('eligible_population(bigint)', 'denied', 'denied', 'yes',
     'SELECT count(*) > 0 FROM supervise.eligible_population(31)'),
    ('require_task_access(bigint,text)', 'denied', 'denied', 'yes',
     $$SELECT supervise.require_task_access(31, 'draw')::text = ''$$),
    ('require_task_visible(bigint)', 'denied', 'denied', 'yes',
     $$SELECT supervise.require_task_visible(31)::text = ''$$),
    ('acting_with_all_rights()', 'hidden', 'hidden', 'yes', 'SELECT supervise.acting_with_all_rights()'),
    ('acting_department_ids()', 'hidden', 'hidden', 'hidden', 'SELECT 66 = ANY (supervise.acting_department_ids())'),
    ('acts_for_department(bigint)', 'hidden', 'hidden', 'yes', 'SELECT supervise.acts_for_department(66)'),
    ('may_act_on_task(bigint)', 'hidden', 'hidden', 'yes', 'SELECT supervise.may_act_on_task(31)'),
    ('may_see_task(bigint)', 'hidden', 'hidden', 'yes', 'SELECT supervise.may_see_task(31)'),
    ('participating_task_ids(bigint[])', 'no', 'hidden', 'yes',
     'SELECT 31 = ANY (supervise.participating_task_ids(ARRAY[66]::bigint[]))'),
    ('limits_describe_check(text,bigint,bigint,bigint,date)', 'denied', 'hidden', 'yes',
     $$SELECT supervise.limits_describe_check('draw', 1, 31, 66, current_date) IS NOT NULL$$),
    ('limits_explain_conflict(text,text,text,bigint,bigint,bigint,date)', 'hidden', 'hidden', 'yes',
     $$SELECT supervise.limits_explain_conflict('same_category_this_year', 'food_safety', 'draw', 1, 31, 66, current_date) LIKE '%思明食品经营抽查%'$$),
    ('draw(bigint,bytea,text)', 'no', 'denied', 'yes',
     $$SELECT supervise.draw(33, supervise.seed_from('probe')) IS NOT NULL$$),
    ('draw(bigint,bytea,regclass,text)', 'denied', 'denied', 'yes',
     $$SELECT supervise.draw(33, supervise.seed_from('probe'), NULL::regclass) IS NOT NULL$$),
    ('cancel_draw(bigint,text)', 'no', 'denied', 'yes',
     format($$SELECT supervise.cancel_draw(%s, 'probe')::text = ''$$, :d)),
    ('match_inspectors(bigint)', 'no', 'denied', 'yes',
     format('SELECT supervise.match_inspectors(%s) > 0', :d)),
    ('assign_inspector(bigint,uscc,bigint,text)', 'no', 'denied', 'yes',
     format($$SELECT supervise.assign_inspector(%s, %L, 6601, 'probe')::text = ''$$, :d, :'t1')),
    ('draw_population(bigint)', 'denied', 'hidden', 'yes',
     format('SELECT count(*) > 0 FROM supervise.draw_population(%s)', :d)),
    ('verify_draw(bigint)', 'denied', 'hidden', 'yes',
     format('SELECT supervise.verify_draw(%s)', :d)),
    ('merge_tasks(bigint[],text)', 'denied', 'hidden', 'yes',
     'SELECT supervise.merge_tasks(ARRAY[33, 21]::bigint[]) IS NOT NULL'),
    ('scenario_ids_of(bigint[])', 'no', 'hidden', 'yes',
     'SELECT 71 = ANY (supervise.scenario_ids_of(ARRAY[66]::bigint[]))'),
    ('scenario_task(bigint,text,date,date,bigint,text,numeric,integer,bigint,integer,text)', 'no', 'denied', 'yes',
     $$SELECT supervise.scenario_task(71, 'probe', current_date, current_date) IS NOT NULL$$),
    -- the credit record: run with the caller's rights, refuse another department's list and item
    ('list_dishonest(uscc,bigint,text,date,text,text)', 'no', 'denied', 'yes',
     $$SELECT supervise.list_dishonest(supervise.uscc_build('91', '350203', 'MA000004'), 66, 'probe') IS NOT NULL$$),
    ('delist_dishonest(bigint,text,date)', 'no', 'denied', 'yes',
     format($$SELECT supervise.delist_dishonest(%s, 'probe')::text = ''$$, :e66)),
    ('uncovered_subjects(bigint,date)', 'no', 'denied', 'yes',
     'SELECT count(*) > 0 FROM supervise.uncovered_subjects(661)'),
    -- after the check: clues and transfers of 66 (the transfer 65 made to 66 is accepted by 66 only)
    ('require_department_access(bigint,text)', 'denied', 'denied', 'yes',
     $$SELECT supervise.require_department_access(66, 'probe')::text = ''$$),
    ('record_clue(bigint,uscc,text,text,date)', 'no', 'denied', 'yes',
     format($$SELECT supervise.record_clue(66, %L, 'other', 'probe') IS NOT NULL$$, :'t1')),
    ('clue_task(bigint,text,date,date,bigint[])', 'no', 'denied', 'yes',
     format('SELECT supervise.clue_task(%s) IS NOT NULL', :c66)),
    ('close_clue(bigint,text,date)', 'no', 'denied', 'yes',
     format($$SELECT supervise.close_clue(%s, 'probe')::text = ''$$, :c66)),
    ('transfer_case(bigint,text,bigint,bigint,date)', 'no', 'denied', 'yes',
     format($$SELECT supervise.transfer_case(65, 'probe', clue_id => %s) IS NOT NULL$$, :c66)),
    ('accept_transfer(bigint,date)', 'no', 'denied', 'yes',
     format($$SELECT supervise.accept_transfer(%s)::text = ''$$, :x65));

CREATE TEMP VIEW fns AS
SELECT p.oid, p.oid::regprocedure::text AS fn, p.prosecdef, p.prorettype = 'trigger'::regtype AS is_trigger
  FROM pg_proc p WHERE p.pronamespace = 'supervise'::regnamespace;

SELECT set_eq('SELECT fn FROM fns', 'SELECT fn FROM matrix',
              'every function of the schema has a row in the role matrix (a new function needs a decision)');

CREATE TEMP VIEW roles (role, col) AS
VALUES ('supervise_test_reader'::name, 'reader'), ('supervise_test_health', 'officer'), ('supervise_test_admin', 'admin');
CREATE TEMP VIEW decided AS
SELECT r.role, r.col, m.fn, CASE r.col WHEN 'reader' THEN m.reader WHEN 'officer' THEN m.officer ELSE m.admin END AS want, m.probe
  FROM matrix m CROSS JOIN roles r;

SELECT is_empty($$SELECT d.fn, d.want, has_function_privilege(d.role, f.oid, 'EXECUTE') AS executable
                    FROM decided d JOIN fns f USING (fn)
                   WHERE d.col = 'reader' AND (d.want <> 'no') <> has_function_privilege(d.role, f.oid, 'EXECUTE')$$,
                'public reader: exactly the functions marked executable are executable');
SELECT is_empty($$SELECT d.fn, d.want, has_function_privilege(d.role, f.oid, 'EXECUTE') AS executable
                    FROM decided d JOIN fns f USING (fn)
                   WHERE d.col = 'officer' AND (d.want <> 'no') <> has_function_privilege(d.role, f.oid, 'EXECUTE')$$,
                'officer of another department: exactly the functions marked executable are executable');
SELECT is_empty($$SELECT d.fn, d.want, has_function_privilege(d.role, f.oid, 'EXECUTE') AS executable
                    FROM decided d JOIN fns f USING (fn)
                   WHERE d.col = 'admin' AND (d.want <> 'no') <> has_function_privilege(d.role, f.oid, 'EXECUTE')$$,
                'admin: exactly the functions marked executable are executable');

SELECT is_empty($$SELECT f.fn FROM fns f JOIN matrix m USING (fn)
                   WHERE f.prosecdef AND NOT f.is_trigger AND m.probe IS NULL
                     AND (m.reader <> 'no' OR m.officer <> 'no')$$,
                'every function that runs as the owner and a reader or officer may call is probed');
SELECT is_empty($$SELECT fn, col, want FROM decided WHERE want IN ('denied', 'hidden') AND probe IS NULL$$,
                'every denied or hidden decision has a probe');

-- run a probe as a role, in a subtransaction rolled back afterwards (SET LOCAL ROLE with it)
CREATE FUNCTION pg_temp.probe(r name, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    saw boolean;
    st  text;
    m   text;
BEGIN
    BEGIN
        EXECUTE format('SET LOCAL ROLE %I', r);
        EXECUTE q INTO saw;
        RAISE EXCEPTION USING ERRCODE = 'SV999', MESSAGE = CASE WHEN saw THEN 'saw' ELSE 'nothing' END;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
    END;
    RETURN CASE WHEN st = 'SV999' AND m = 'saw' THEN 'yes'
                WHEN st = 'SV999' THEN 'hidden'
                WHEN st = '42501' THEN 'denied'
                WHEN m LIKE '% does not exist' THEN 'hidden'
                ELSE 'error ' || st || ': ' || m END;
END
$$;
CREATE TEMP TABLE outcome AS
SELECT d.col, d.fn, d.want, pg_temp.probe(d.role, d.probe) AS got
  FROM decided d WHERE d.probe IS NOT NULL AND d.want <> 'no';

SELECT is_empty($$SELECT fn, want, got FROM outcome WHERE col = 'reader' AND want <> got$$,
                'public reader: every probe as decided');
SELECT is_empty($$SELECT fn, want, got FROM outcome WHERE col = 'officer' AND want <> got$$,
                'officer of another department: every probe as decided');
SELECT is_empty($$SELECT fn, want, got FROM outcome WHERE col = 'admin' AND want <> got$$,
                'admin: every probe as decided');

SELECT * FROM finish();
ROLLBACK;
