-- Examples of every public function, aggregate and view, as a DBA, a reporting developer or an
-- inspector would run them. tools/gen_reference.sh puts each example, with its output from
-- expected/examples.out, under its object in doc/reference.md; test/scripts/examples_cover.sh fails
-- when a public object (tools/public_objects.sql says which are public) has no example here.
--
-- A line "-- example: OBJECT" starts the example of one object, named as tools/public_objects.sql
-- names it: supervise.name(argument types) for a function or aggregate, supervise.name for a view.
-- It runs to the next "-- example:", "-- setup:" or "-- cleanup:" line. A "-- setup: ..." section
-- makes data that the examples after it use; it is not shown in the reference. Outputs must not
-- depend on the day the test runs: the examples replay the year 2025, which is over.
--
-- setup: a database of its own (ids start at 1 whatever ran before), the extension, the session
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS supervise_examples;
DROP ROLE IF EXISTS disclosure_site, siming_market_officer, supervision_dba;
RESET client_min_messages;
CREATE DATABASE supervise_examples TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C';
\c supervise_examples
CREATE EXTENSION supervise;
SET search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2025-01-01';
SET datestyle = ISO, YMD;
SET timezone = 'Asia/Shanghai';
\set SHOW_CONTEXT never

-- example: supervise.generate_sample(bigint, integer)
-- a sample province (福建省) to try everything on: 5,000 subjects, the same for the same seed
SELECT * FROM generate_sample(5000, seed => 2025);

-- example: supervise.uscc(text)
-- text to the code type: lower case is accepted and stored upper case; a bad code is refused
SELECT uscc('91350100m000100y43');
SELECT uscc('91350211M00013FA1N');

-- example: supervise.text(supervise.uscc)
-- the code as text, e.g. to group by its first two characters (authority and category)
SELECT left(text(uscc), 2) AS kind, count(*) FROM subject GROUP BY 1 ORDER BY 1;

-- example: supervise.uscc_is_valid(text)
-- check codes before loading them; never raises
SELECT code, uscc_is_valid(code)
  FROM (VALUES ('91350100M000100Y43'), ('91350100m000100y43'), ('91350211M00013FA1N'),
               ('9111000060003IOZSV'), ('91350100M000100Y4')) AS v(code);

-- example: supervise.uscc_invalid_reason(text)
-- what is wrong with a code: NULL when nothing is
SELECT code, uscc_invalid_reason(code)
  FROM (VALUES ('9144030071526726XG'), ('91350211M00013FA1N'), ('9111000060003IOZSV'),
               ('91350100M000100Y4'), ('9135010AM000100Y43'), ('9735020371526726XH'),
               ('H135020371526726XU')) AS v(code);

-- example: supervise.uscc_region(supervise.uscc)
-- the region of the registering authority, positions 3-8 of the code
SELECT uscc_region('9144030071526726XG');
-- subjects per region of registration in 厦门市 (Xiamen, 3502)
SELECT uscc_region(s.uscc) AS region, r.county, count(*) AS subjects
  FROM subject s JOIN sample_regions() r ON r.region = uscc_region(s.uscc)
 WHERE r.city = '厦门市' GROUP BY 1, 2 ORDER BY 1;

-- example: supervise.uscc_authority(supervise.uscc)
-- 9 = market regulation (市场监管), 5 = civil affairs (民政), 1 = establishment offices (机构编制)
SELECT uscc_authority(uscc) AS authority, count(*) FROM subject GROUP BY 1 ORDER BY 1;

-- example: supervise.uscc_category(supervise.uscc)
-- under authority 9: 1 enterprise, 2 individual business (个体工商户), 3 farmers' cooperative
SELECT uscc_authority(uscc) AS authority, uscc_category(uscc) AS category, count(*)
  FROM subject GROUP BY 1, 2 ORDER BY 1, 2;

-- example: supervise.uscc_org_code(supervise.uscc)
-- the embedded organisation code (组织机构代码) of an enterprise
SELECT uscc_org_code('9144030071526726XG');

-- example: supervise.uscc_org_code_is_valid(supervise.uscc)
-- many individual business codes carry no checked organisation code and are still valid codes
SELECT code, uscc_org_code(code::uscc), uscc_org_code_is_valid(code::uscc)
  FROM (VALUES ('9144030071526726XG'), ('92350203MA2Y7KQL5P')) AS v(code);

-- example: supervise.uscc_build(text, text, text)
-- a valid code from its parts: both check characters are computed
SELECT uscc_build('91', '350203', 'MA34AB5C');
SELECT uscc_build('92', '350206', 'L0021367');

-- example: supervise.sample_subjects(bigint, integer)
-- rows shaped like subject_staging, e.g. to try a load; the same seed gives the same rows
SELECT * FROM sample_subjects(3, seed => 7) ORDER BY uscc;

-- example: supervise.sample_regions()
-- the counties the sample province is made of
SELECT city, count(*) AS counties, sum(weight) AS weight, min(region) || '..' || max(region) AS regions
  FROM sample_regions() GROUP BY city ORDER BY min(region);

-- example: supervise.sample_hash(bigint, integer, integer)
-- the generator's deterministic pseudo-random numbers: the same on every machine
SELECT n, sample_hash(n, 2025, 1) % 100 AS percent FROM generate_series(1, 3) n;

-- example: supervise.load_subjects(regclass, boolean)
-- a file of subjects is copied into subject_staging (\copy ... FROM 'subjects.csv' WITH (FORMAT csv, HEADER)),
-- then loaded: good rows go in, every bad row is kept with its reason
INSERT INTO subject_staging (uscc, name, region, industry, credit_class, status) VALUES
    ('91350203MA34AB5C0P', '厦门鹭江餐饮管理有限公司', '350203', '餐饮服务', 'b', 'active'),
    ('91350211M00013FA1N', '厦门早期试点企业', '350211', '批发零售', 'A', 'active'),
    ('91350203MA8TEST01', '少一位的代码', '350203', '食品销售', 'A', 'active'),
    ('92350206L00213674M', '湖里区阿明小吃店', '350206', '餐饮服务', 'X', 'active');
SELECT staged, inserted, updated, unchanged, rejected FROM load_subjects();
SELECT line - min(line) OVER () + 1 AS row_no, uscc, reason FROM subject_reject ORDER BY line;
SELECT uscc, name, region, credit_class, status FROM subject WHERE uscc = '91350203MA34AB5C0P';

-- example: supervise.is_superior(bigint, bigint)
-- the city's market department is superior to the district's, not to another system or city
SELECT a.name AS department, b.name AS other, is_superior(a.id, b.id)
  FROM department a, department b
 WHERE a.code = 'SAMR-3502' AND b.code IN ('SAMR-350203', 'EE-350203', 'SAMR-350102', 'SAMR-35')
 ORDER BY b.code;

-- example: supervise.is_workday(date)
-- National Day 2025: October 1-8 off, Sunday September 28 and Saturday October 11 worked (调休)
SELECT day, to_char(day, 'Dy') AS weekday, is_workday(day)
  FROM unnest('{2025-09-27,2025-09-28,2025-09-30,2025-10-01,2025-10-08,2025-10-09,2025-10-11}'::date[]) AS day;

-- example: supervise.add_workdays(date, integer)
-- the n-th working day after a day (the day itself not counted); negative n counts back
SELECT add_workdays('2025-09-30', 1) AS after_national_day,
       add_workdays('2025-01-24', 1) AS spring_festival_makeup_sunday,
       add_workdays('2025-10-09', -1) AS before,
       add_workdays('2025-10-04', 0) AS same_day;

-- example: supervise.workdays_between(date, date)
-- working days in (from, to]: 2025 had 248
SELECT workdays_between('2024-12-31', '2025-12-31') AS in_2025,
       workdays_between('2025-09-30', '2025-10-21') AS result_deadline_span;

-- example: supervise.add_workdays_provisional(date, integer)
-- 2027's holiday notice is not loaded yet: its days count Monday-Friday, and the answer says so
SELECT * FROM add_workdays_provisional('2026-12-24', 10);
SELECT * FROM add_workdays_provisional('2025-12-24', 10);

-- example: supervise.calendar_cache_info()
-- this session's cached calendar (filled at the first working-day call)
SELECT years, valid FROM calendar_cache_info();

-- example: supervise.publication_rule_for(text)
-- how long a department has to publish an event
SELECT amount, unit, basis FROM publication_rule_for('disposal');

-- example: supervise.publication_deadline(text, date)
-- every kind of event that happened on 2025-09-30: 10 working days, a disposal 7
SELECT event, publication_deadline(event, '2025-09-30') AS publish_by
  FROM publication_rule ORDER BY event;

-- example: supervise.publication_due(text, date)
-- like publication_deadline, but never fails for a year not loaded yet
SELECT * FROM publication_due('result', '2026-12-24');

-- example: supervise.load_calendar(integer, jsonb, text, boolean)
-- next year's notice comes out in the autumn; load it as a JSON array of days. Tried here in a
-- transaction with only New Year's Day (the real notice lists every holiday and makeup day)
BEGIN;
SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "off", "holiday": "元旦"}]',
                     source => '国务院办公厅关于2027年部分节假日安排的通知（示例：仅元旦）');
SELECT add_workdays('2026-12-31', 1);
ROLLBACK;

-- example: supervise.set_calendar_day(date, text, text, text)
-- a local correction: a day off for a typhoon (tried in a transaction and rolled back)
BEGIN;
SELECT set_calendar_day('2025-09-05', 'off', '台风停工（示例）', source => '厦门市人民政府通告');
SELECT is_workday('2025-09-05'), add_workdays('2025-09-04', 1);
ROLLBACK;

-- setup: the 2025 plans and tasks of 厦门市思明区 (Siming district, Xiamen). Department ids in the
-- sample: 66 思明区市场监督管理局, 65 思明区卫生健康局, 18 厦门市市场监督管理局; directory 10 is
-- the district market department's food directory (食品经营者专用名录)
INSERT INTO plan (department_id, year, title, approved_on) VALUES
    (66, 2025, '思明区市场监督管理局2025年度双随机抽查计划', '2025-02-20'),
    (65, 2025, '思明区卫生健康局2025年度双随机抽查计划', '2025-02-24');
-- task 1: food businesses, by credit class (A 3%, B 5%, C 20%, D all)
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id)
VALUES (1, 66, '食品经营者双随机抽查', '2025-04-01', '2025-06-30', '2025-03-06', 10);
INSERT INTO task_item (task_id, item_id)
SELECT 1, id FROM check_item WHERE department_id = 66 AND code IN ('SC-01', 'SC-03');
INSERT INTO task_stratum (task_id, credit_class, ratio) VALUES (1, 'A', 0.03), (1, 'B', 0.05), (1, 'C', 0.20), (1, 'D', 1.0);
-- task 2: public places hygiene in the same businesses, 5%
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id, sample_ratio)
VALUES (2, 65, '公共场所卫生双随机抽查', '2025-05-12', '2025-07-31', '2025-03-10', 10, 0.05);
INSERT INTO task_item (task_id, item_id) SELECT 2, id FROM check_item WHERE department_id = 65 AND code = 'HC-01';
-- task 3: annual reports of 20 of them
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id, sample_size)
VALUES (1, 66, '食品经营企业年度报告公示信息抽查', '2025-06-03', '2025-09-30', '2025-03-06', 10, 20);
INSERT INTO task_item (task_id, item_id) SELECT 3, id FROM check_item WHERE department_id = 66 AND code = 'SC-02';

-- example: supervise.merge_tasks(bigint[], text)
-- 综合查一次: the food and hygiene checks become one joint task (task 4), drawn once
SELECT merge_tasks(ARRAY[1, 2], '食品经营和公共场所卫生联合抽查') AS joint_task;
SELECT id, title, department_id AS initiator, period_start, period_end, approved_on FROM task WHERE id = 4;
SELECT id, merged_into FROM task WHERE id IN (1, 2) ORDER BY id;

-- example: supervise.task_department
-- the departments whose items a task holds: two or more make a joint task
SELECT t.id, t.title, array_agg(td.department_id ORDER BY td.department_id) AS departments
  FROM task t JOIN task_department td ON td.task_id = t.id
 WHERE t.merged_into IS NULL GROUP BY t.id ORDER BY t.id;

-- example: supervise.seed_from(text)
-- the seed of a draw from a text published in advance, e.g. the lottery result of the draw day
SELECT encode(seed_from('2025年3月17日 思明区联合抽查 福彩3D 2025070期 358'), 'hex') AS seed;

-- example: supervise.random_seed()
-- what draw() uses when no seed is given: 32 strong random bytes, recorded with the draw
SELECT octet_length(random_seed()) AS bytes, random_seed() <> random_seed() AS different_each_time;

-- example: supervise.draw_digest(text, bytea)
-- the sha256-v1 key of one subject under a seed: the smallest keys of a stratum are drawn
SELECT uscc, encode(draw_digest(uscc::text, seed_from('2025年3月17日 思明区联合抽查 福彩3D 2025070期 358')), 'hex') AS d
  FROM directory_member WHERE directory_id = 10 ORDER BY uscc LIMIT 3;

-- example: supervise.stratum_k(bigint, numeric, integer)
-- how many targets a stratum gets: ceil(ratio x N) in exact decimals (7% of 100 is 7), or the size
SELECT stratum_k(100, 0.07, NULL) AS "7% of 100", stratum_k(41, 0.05, NULL) AS "5% of 41",
       stratum_k(5, 1.0, NULL) AS "100% of 5", stratum_k(79, NULL, 20) AS "20 of 79", stratum_k(12, NULL, 20) AS "20 of 12";

-- example: supervise.eligible_population(bigint)
-- who the joint task can draw from: the active members of its directory, by credit class
SELECT credit_class, count(*) FROM eligible_population(4) GROUP BY 1 ORDER BY 1;

-- example: supervise.draw(bigint, bytea, text)
-- 双随机 (1): draw the joint task from the published seed; returns the draw id
SELECT draw(4, seed_from('2025年3月17日 思明区联合抽查 福彩3D 2025070期 358')) AS draw_id;
SELECT stratum, rank, t.uscc, s.name
  FROM draw_target t JOIN subject s USING (uscc) WHERE draw_id = 1 ORDER BY stratum, rank;

-- example: supervise.v_draw_disclosure
-- what the disclosure site publishes so that anyone can re-run the draw
SELECT draw_id, task_id, algorithm, seed_hex, population_size, left(population_digest_hex, 16) AS digest_start, target_count
  FROM v_draw_disclosure;
SELECT a.* FROM v_draw_disclosure d, jsonb_to_recordset(d.allocation) AS a(stratum text, n int, ratio numeric, k int)
 WHERE d.draw_id = 1;

-- example: supervise.verify_draw(bigint)
-- recompute the draw from its record: population, digest, allocation and targets
SELECT verify_draw(1);

-- example: supervise.draw_population(bigint)
-- the population as drawn, for export (e.g. to tools/verify_draw.py), whatever changed since
SELECT stratum, count(*), min(uscc) AS first_code FROM draw_population(1) GROUP BY 1 ORDER BY 1;

-- example: supervise.population_strata(bytea)
-- the strata and their sizes in a recorded population
SELECT p.* FROM draw_record r, population_strata(r.population) p WHERE r.id = 1;

-- example: supervise.population_rows(bytea)
-- the rows of a recorded population
SELECT p.* FROM draw_record r, population_rows(r.population) p WHERE r.id = 1 LIMIT 3;

-- example: supervise.population_agg(supervise.uscc, text, double precision)
-- the compact population of any query (codes as steps from the one before, 1 to 13 bytes), as draws record it
SELECT octet_length(population_agg(uscc, credit_class, NULL)) AS bytes,
       population_agg(uscc, credit_class, NULL) = (SELECT population FROM draw_record WHERE id = 1) AS same_as_draw_1
  FROM eligible_population(4);

-- example: supervise.draw_select(bytea, bytea, text, text[], integer[])
-- the selection itself, over a recorded population: the same targets as draw 1
-- (k per stratum as in the allocation above: A 1, B 3, C 2, D 5)
SELECT s.uscc = ARRAY(SELECT uscc FROM draw_target WHERE draw_id = 1 ORDER BY stratum, rank) AS same_targets,
       s.stratum, s.rank
  FROM draw_record r, draw_select(r.population, r.seed, r.algorithm, '{A,B,C,D}', '{1,3,2,5}') s
 WHERE r.id = 1;

-- example: supervise.sample_agg(text, double precision, integer, bytea)
-- the same selection as an aggregate over any query: 3 restaurants of 思明区, then weighted by risk
SELECT sample_agg(uscc::text, NULL, 3, seed_from('2025年3月17日 福彩3D 2025070期 358')) AS unweighted,
       sample_agg(uscc::text, risk_level, 3, seed_from('2025年3月17日 福彩3D 2025070期 358')) AS by_risk
  FROM subject WHERE region = '350203' AND industry = '餐饮服务' AND status = 'active';

-- example: supervise.rfc3797_select(integer, integer, text)
-- the IETF RFC 3797 method: the RFC's own example (section 6: a pool of 25, 16 selected) ...
SELECT rfc3797_select(25, 16, '9319./2.5.8.10.12./9.18.26.34.41.45./');
-- ... and 5 of the 79 food businesses from the numbers of two lottery draws
SELECT n AS selected, pos AS position, codes[pos] AS uscc
  FROM (SELECT array_agg(uscc ORDER BY uscc) AS codes FROM directory_member WHERE directory_id = 10) m,
       unnest(rfc3797_select(79, 5, '358./3.9.17.22.28.31./')) WITH ORDINALITY AS u(pos, n)
 ORDER BY n;

-- example: supervise.cancel_draw(bigint, text)
-- the annual-report task was drawn from the wrong lottery issue: the draw is cancelled with the
-- reason (kept, with the draw and its targets), then the task is drawn again
SELECT draw(3, seed_from('2025年3月17日 思明区年报抽查 福彩3D 2025069期 604')) AS draw_id;
SELECT cancel_draw(2, '种子误用2025069期开奖号码，按公告应为2025070期');
SELECT draw(3, seed_from('2025年3月17日 思明区年报抽查 福彩3D 2025070期 358')) AS draw_id;
SELECT draw_id, task_id, target_count, cancelled_at IS NOT NULL AS cancelled, cancel_reason
  FROM v_draw_disclosure WHERE task_id = 3 ORDER BY draw_id;

-- example: supervise.assign_inspector(bigint, supervise.uscc, bigint, text)
-- a special case: an inspector named by hand for one target, before the random matching
SELECT assign_inspector(3, '91350203MA14PQET62', 394, '年报财务数据专项核查，指定具有会计专业资质的执法人员');
SELECT a.uscc, i.name, i.badge_no, a.direct, a.reason
  FROM assignment a JOIN inspector i ON i.id = a.inspector_id WHERE a.draw_id = 3;

-- example: supervise.match_inspectors(bigint)
-- 双随机 (2): two inspectors of each department per target, load spread evenly, conflicts of
-- interest (回避) avoided: 黄振华 (392) is related to the owner of one of the drawn businesses
INSERT INTO inspector_conflict (inspector_id, uscc, reason) VALUES (392, '91350203MAHK9QPPXN', '近亲属任职');
SELECT match_inspectors(1) AS joint_task_assignments, match_inspectors(3) AS report_task_assignments;
SELECT a.draw_id, d.name AS department, count(*) AS assignments, count(DISTINCT a.inspector_id) AS inspectors,
       min(n) AS min_load, max(n) AS max_load
  FROM (SELECT *, count(*) OVER (PARTITION BY draw_id, inspector_id) AS n FROM assignment) a
  JOIN department d ON d.id = a.department_id
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS conflicting_assignments FROM assignment JOIN inspector_conflict USING (inspector_id, uscc);

-- example: supervise.bulk_insert_paths()
-- the draw's targets and the matched inspectors go in like COPY unless a trigger was added
SELECT relation, bulk, refusal FROM bulk_insert_paths() ORDER BY relation::text;
-- example: supervise.match_compute(bytea, supervise.uscc[], bigint[], boolean[], date[], date, boolean, supervise.uscc[], bigint[], supervise.uscc[], bigint[], integer, text)
-- one department's matching on its own, for a task that starts on 2025-04-01: inspector 102 may
-- not go to the first subject (回避), and the certificate of inspector 104 lapsed the day before
SELECT * FROM match_compute(seed_from('示例'), '{91350203MA14PQET62,91350203MA5CTYXG96}', '{101,102,103,104}',
                            '{t,t,t,t}', '{NULL,NULL,2025-12-31,2025-03-31}', '2025-04-01', false,
                            '{91350203MA14PQET62}', '{102}', '{}', '{}', 2, '思明区市场监督管理局')
 ORDER BY uscc, inspector_id;

-- example: supervise.match_role(boolean, date, date, boolean)
-- whom matching may send on a task that starts on 2025-04-01: a certificate valid through that day,
-- one that lapsed the day before, and staff without a certificate (从事日常监管工作的人员) where the
-- department allows them beside a certified inspector, and where it does not
SELECT match_role(true, '2025-04-01', '2025-04-01', false) AS valid_through_the_first_day,
       match_role(true, '2025-03-31', '2025-04-01', true) AS lapsed,
       match_role(false, NULL, '2025-04-01', true) AS uncertified_allowed,
       match_role(false, NULL, '2025-04-01', false) AS uncertified_not_allowed;

-- example: supervise.publication_upsert(text, bigint, bigint, date)
-- the lists were drawn in public on 2025-03-17 and entered later: their publication items count
-- from the day of the draw (the draw records keep the day they were entered)
SELECT publication_upsert('target_list', task_id, 66, '2025-03-17') > 0 AS moved
  FROM draw_record WHERE cancelled_at IS NULL ORDER BY task_id;
SELECT kind, object_id AS task_id, occurred_on, due_on FROM publication WHERE kind = 'target_list' ORDER BY object_id;

-- example: supervise.visit_group(date, date)
-- the grouping on its own, as a window function over one subject's checks: the fewest visits
-- such that the checks of a visit share a day
SELECT task, period_start, period_end, visit_group(period_start, period_end) OVER () AS visit
  FROM (VALUES ('文化执法 娱乐场所', date '2025-03-01', date '2025-05-20'),
               ('市场监管 登记事项', '2025-05-12', '2025-06-30'),
               ('卫生健康 公共场所', '2025-06-03', '2025-09-30'),
               ('生态环境 排污许可', '2025-07-01', '2025-07-31')) AS t(task, period_start, period_end)
 ORDER BY period_start;

-- example: supervise.visit_summary(date, date, bigint, bigint)
-- the same grouping with each visit's window and tasks, on the first row of the visit
SELECT (v).* FROM (
    SELECT visit_summary(period_start, period_end, task_id, draw_id) OVER () AS v
      FROM (VALUES (date '2025-03-01', date '2025-05-20', 11, 101), ('2025-05-12', '2025-06-30', 12, 102),
                   ('2025-06-03', '2025-09-30', 13, 103), ('2025-07-01', '2025-07-31', 14, 104))
           AS t(period_start, period_end, task_id, draw_id)) s
 WHERE v IS NOT NULL ORDER BY 1;

-- example: supervise.visit_plan(integer)
-- the visits plan_visits(2025) would make, without making them
SELECT count(*) AS visits, count(*) FILTER (WHERE cardinality(task_ids) > 1) AS visits_for_two_tasks,
       sum(cardinality(task_ids)) AS drawn_targets
  FROM visit_plan(2025);

-- example: supervise.plan_visits(integer)
-- 进一次门、查多项事: the 31 drawn targets of 2025 become 26 visits
SELECT plan_visits(2025) AS visits;

-- example: supervise.v_joint_visits
-- the visits that serve two tasks: one entry, the departments together, in the shared window
SELECT visit_id, subject_name, lead_department_name AS lead, department_ids, window_start, window_end, task_ids,
       cardinality(inspector_ids) AS inspectors
  FROM v_joint_visits WHERE cardinality(task_ids) > 1 ORDER BY visit_id;

-- example: supervise.visit_task
-- one row per task of a visit, with the draw that drew the subject for it
SELECT task_id, draw_id, count(*) AS visits FROM visit_task GROUP BY 1, 2 ORDER BY 1;

-- example: supervise.visit_lead_department(bigint[])
-- who leads a visit: the initiator of the joint task among its tasks
SELECT visit_lead_department(ARRAY[3, 4]) AS joint_and_report, visit_lead_department(ARRAY[3]) AS report_only;

-- example: supervise.v_visit_checklist
-- the comprehensive checklist (综合检查单) of a visit, department by department
SELECT c.department_name, c.item_code, c.item_name, c.legal_basis, c.task_ids
  FROM v_visit_checklist c JOIN visit v ON v.id = c.visit_id
 WHERE v.uscc = '91350203MAHK9QPPXN' ORDER BY c.department_id, c.item_code;

-- example: supervise.record_visit_result(bigint, bigint, text, date, date, text)
-- each department records its own result on the shared visit; it is written for every task of
-- the visit that holds the department's items (here the joint task and the annual-report task)
SELECT record_visit_result(v.id, 66, 'corrected', '2025-06-12', '2025-06-10', '未按规定公示食品经营许可证，已当场责令改正')
  FROM visit v WHERE v.uscc = '91350203MAHK9QPPXN';
SELECT record_visit_result(v.id, 65, 'no_problem', '2025-06-11', '2025-06-10')
  FROM visit v WHERE v.uscc = '91350203MAHK9QPPXN';
-- and the results of the other visits, as the inspectors report them (in visit order)
SELECT sum(written) AS inspections_written FROM (
    SELECT record_visit_result(v.visit_id, d, CASE WHEN v.visit_id % 5 = 0 THEN 'corrected' ELSE 'no_problem' END,
                               v.window_start + 9, v.window_start + 7) AS written
      FROM v_joint_visits v, unnest(ARRAY[65, 66]) d
     WHERE v.uscc <> '91350203MAHK9QPPXN'
       AND d IN (SELECT department_id FROM task_department WHERE task_id = ANY (v.task_ids))
     ORDER BY v.visit_id, d) r;

-- example: supervise.v_visit_results
-- 结果互认: every department sees the others' results on the visit
SELECT task_id, department_name, inspected_on, result_name, problem_found, result_on, note
  FROM v_visit_results r JOIN visit v ON v.id = r.visit_id
 WHERE v.uscc = '91350203MAHK9QPPXN' ORDER BY task_id, department_id;

-- example: supervise.record_item_result(bigint, bigint, text, text, text)
-- the comprehensive checklist (综合检查单) records a result and a measure for every item checked:
-- each department its own items, on its own inspection
SELECT i.department_id, ci.code, record_item_result(i.id, ci.id, i.result_code,
           CASE WHEN rc.problem_found THEN 'rectify' ELSE 'none' END,
           CASE WHEN rc.problem_found THEN '食品经营许可证未在经营场所显著位置悬挂' END) AS recorded
  FROM inspection i
  JOIN result_code rc ON rc.code = i.result_code
  JOIN task_item ti ON ti.task_id = i.task_id
  JOIN check_item ci ON ci.id = ti.item_id AND ci.department_id = i.department_id
 WHERE i.uscc = '91350203MAHK9QPPXN' ORDER BY i.task_id, i.department_id, ci.code;
-- a measure that does not follow from the result is refused
SELECT record_item_result(i.id, ti.item_id, 'no_problem', 'case')
  FROM inspection i JOIN task_item ti ON ti.task_id = i.task_id
  JOIN check_item ci ON ci.id = ti.item_id AND ci.department_id = i.department_id
 WHERE i.uscc = '91350203MAHK9QPPXN' ORDER BY i.id, ti.item_id LIMIT 1;
-- the checklist of the visit now shows each item's result and measure
SELECT c.department_name, c.item_code, c.item_name, c.result_name, c.measure_name
  FROM v_visit_checklist c JOIN visit v ON v.id = c.visit_id
 WHERE v.uscc = '91350203MAHK9QPPXN' ORDER BY c.department_id, c.item_code;

-- example: supervise.v_unbound_inspections
-- an inspection under a drawn task is of a drawn target (a subject not drawn is refused): nothing
-- here breaks the rule; rows that do (loaded before the rule, or restored) would be listed
SELECT count(*) AS unbound FROM v_unbound_inspections;
-- (an id given, so that the refused row takes no number from the sequence)
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on)
SELECT 1000, 4, s.uscc, 66, '2025-06-10' FROM subject s
 WHERE NOT EXISTS (SELECT 1 FROM draw_target t JOIN draw_record r ON r.id = t.draw_id
                    WHERE r.task_id = 4 AND r.cancelled_at IS NULL AND t.uscc = s.uscc)
 ORDER BY s.uscc LIMIT 1;

-- example: supervise.result_notice(bigint)
-- the result notice (检查结果告知书) of the market department's check: subject, department, task,
-- each item with its result and measure, legal basis, the subject's rights
SELECT jsonb_pretty(result_notice(i.id))
  FROM inspection i WHERE i.uscc = '91350203MAHK9QPPXN' AND i.department_id = 66 ORDER BY i.task_id LIMIT 1;

-- example: supervise.v_unserved_notices
-- results whose notice has not been served, oldest first
SELECT department_id, count(*) AS unserved, min(result_on) AS oldest_result
  FROM v_unserved_notices GROUP BY 1 ORDER BY 1;

-- example: supervise.record_notice_served(bigint, date, text)
-- the notices are handed over (直接送达) two days after the results; a notice is served once
SELECT i.id, record_notice_served(i.id, i.result_on + 2, 'direct')
  FROM inspection i WHERE i.uscc = '91350203MAHK9QPPXN' ORDER BY i.id;
SELECT record_notice_served(i.id, i.result_on + 3, 'mail')
  FROM inspection i WHERE i.uscc = '91350203MAHK9QPPXN' ORDER BY i.id LIMIT 1;
SELECT result_notice(i.id) -> 'served' AS served
  FROM inspection i WHERE i.uscc = '91350203MAHK9QPPXN' ORDER BY i.id LIMIT 1;

-- example: supervise.v_visit_report
-- per department and month: visits planned and done, and entries into businesses saved
SELECT department_name, month, visits_planned, visits_done, visits_led, task_subject_pairs, entries_saved
  FROM v_visit_report ORDER BY department_id, month;

-- setup: more checks of 2025 for the limits on repeated checks.
-- task 5: 思明区 market registration check in the autumn (item SC-01, like the joint task);
-- task 6: the city's product quality campaign, which inspected one of the district's food
-- businesses in August without a draw; task 7: a complaint (clue) about food safety
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, directory_id, sample_ratio) VALUES
    (66, 'special', '登记事项专项检查', '2025-10-13', '2025-11-28', '2025-09-22', 10, 0.1);
INSERT INTO task_item (task_id, item_id) SELECT 5, id FROM check_item WHERE department_id = 66 AND code = 'SC-01';
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size) VALUES
    (18, 'special', '厦门市产品质量专项检查', '2025-08-01', '2025-08-29', '2025-07-15', 30);
INSERT INTO task_item (task_id, item_id) SELECT 6, id FROM check_item WHERE department_id = 18 AND code = 'SC-04';
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
VALUES (6, '91350203MA5CTYXG96', 18, '2025-08-20', 'no_problem', '2025-08-22');
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size) VALUES
    (66, 'clue', '投诉举报核查：食品经营', '2025-10-20', '2025-10-31', '2025-10-17', 1);
INSERT INTO task_item (task_id, item_id) SELECT 7, id FROM check_item WHERE department_id = 66 AND code = 'SC-03';

-- example: supervise.task_limit_profile(bigint)
-- what limits a task: its year, categories, departments, their superiors and systems
SELECT * FROM task_limit_profile(5);
SELECT task_id, limited, categories FROM task_limit_profile(7);

-- example: supervise.v_limit_scope
-- the (category, department) pairs each task is limited by; a clue task has none
SELECT task_id, category, item_department_id, task_departments FROM v_limit_scope
 WHERE task_id IN (3, 4, 5, 7) ORDER BY task_id, category;

-- example: supervise.exclusion_reason(supervise.uscc, bigint)
-- may these subjects be drawn for the registration check (task 5) and on the complaint (task 7)?
SELECT s.uscc, s.name, exclusion_reason(s.uscc, 5) AS for_registration_check, exclusion_reason(s.uscc, 7) AS for_complaint
  FROM subject s
 WHERE s.uscc IN ('91350203MAG7GYQX8X', '91350203MA5CTYXG96', '91350203MA6PH9DU6J')
 ORDER BY s.uscc;

-- example: supervise.excluded_subjects(bigint)
-- everyone the registration check may not draw, and why (subjects outside its directory included)
SELECT e.reason, count(*), count(*) FILTER (WHERE m.uscc IS NOT NULL) AS in_its_directory
  FROM excluded_subjects(5) e LEFT JOIN directory_member m ON m.directory_id = 10 AND m.uscc = e.uscc
 GROUP BY 1 ORDER BY 1;

-- example: supervise.limit_conflicts(supervise.uscc, bigint, integer)
-- the earlier checks that exclude a subject from a task: inspections with their day, and draws
-- (a draw counts from the day it is made until it is cancelled)
SELECT reason, category, task_id, department_id, source, source_id,
       CASE source WHEN 'inspection' THEN checked_on END AS inspected_on
  FROM limit_conflicts('91350203MA5CTYXG96', 5);
SELECT reason, category, task_id, department_id, source, source_id,
       CASE source WHEN 'inspection' THEN checked_on END AS inspected_on
  FROM limit_conflicts('91350203MAG7GYQX8X', 5);

-- example: supervise.limits_describe_check(text, bigint, bigint, bigint, date)
-- an earlier check in words, as the error messages name it
SELECT limits_describe_check(source, source_id, task_id, department_id, checked_on)
  FROM limit_conflicts('91350203MA5CTYXG96', 5);

-- example: supervise.v_limited_checks
-- every check of 2025 that counts for the limits, by source and category
SELECT source, category, department_id, count(*) AS checks
  FROM v_limited_checks WHERE year = 2025 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- example: supervise.limit_lock_key(integer, text, text)
-- the advisory lock key of a (year, kind, name): what a draw of a registration check in 2025 locks
SELECT limit_lock_key(2025, 'category', 'registration') AS key,
       limit_lock_key(2025, 'system', 'market') AS system_key;

-- example: supervise.limit_lock(bigint, supervise.uscc, bigint, integer[])
-- take, in your own transaction, the locks a draw of task 5 takes (its category and its system),
-- or the ones an inspection of a subject takes; the clue task takes none
BEGIN;
SELECT limit_lock(5) AS locks_for_a_draw, limit_lock(5, '91350203MA6PH9DU6J', 66) AS locks_for_an_inspection,
       limit_lock(7) AS clue_task;
SELECT mode, count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY 1 ORDER BY 1;
COMMIT;

-- example: supervise.v_limit_overrides
-- a second registration check of a business this year is refused; granted an override with
-- its legal reason, it is recorded, and the override names the check it overrode
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
VALUES (5, '91350203MAG7GYQX8X', 66, '2025-10-15', 'no_problem', '2025-10-16');
INSERT INTO limit_override (task_id, uscc, department_id, reason)
VALUES (5, '91350203MAG7GYQX8X', 66, '举报反映登记住所与实际经营场所不一致，依《市场主体登记管理条例》再次核查');
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
VALUES (5, '91350203MAG7GYQX8X', 66, '2025-10-15', 'no_problem', '2025-10-16');
SELECT task_id, uscc, department_id, reason, inspected_on FROM v_limit_overrides;
SELECT overridden_check FROM v_limit_overrides;

-- example: supervise.v_repeat_checks
-- subjects checked twice for one kind of check in a year: only with an override
SELECT year, category, uscc, checks, task_ids, department_ids, overridden FROM v_repeat_checks;

-- example: supervise.v_checks_per_subject
-- how often subjects were checked in 2025 (drawn or inspected, by any task)
SELECT checks, count(*) AS subjects, sum(clue_checks) AS clue_checks, max(departments) AS max_departments
  FROM v_checks_per_subject WHERE year = 2025 GROUP BY 1 ORDER BY 1;

-- setup: written orders (责令改正通知书) after the checks that found problems
INSERT INTO disposal (inspection_id, kind, decided_on, document_no)
SELECT id, 'order', result_on + 3, '思市监责改〔2025〕' || row_number() OVER (ORDER BY id) || '号'
  FROM inspection WHERE result_code = 'corrected' AND department_id = 66 AND task_id = 4 ORDER BY id;

-- example: supervise.v_publication_schedule
-- 一公开: everything to publish, with its due date in working days; nothing published yet
SELECT kind, status, count(*) AS items, min(due_on) AS first_due, max(due_on) AS last_due
  FROM v_publication_schedule GROUP BY 1, 2 ORDER BY 1, 2;

-- example: supervise.mark_published(text, bigint, date)
-- the departments record the day each item went up on the disclosure site
SELECT mark_published('plan', 1, '2025-02-26'), mark_published('plan', 2, '2025-03-12'),
       mark_published('task', 4, '2025-03-20'), mark_published('task', 3, '2025-03-20'),
       mark_published('target_list', 4, '2025-03-28'), mark_published('target_list', 3, '2025-03-28');
-- the results of the joint task, a few of them a day late
SELECT count(*) AS published
  FROM (SELECT mark_published('result', object_id, CASE WHEN object_id % 10 = 3 THEN due_on + 1 ELSE due_on - 2 END)
          FROM publication WHERE kind = 'result' AND task_id = 4) p;
-- a day before the event is refused
SELECT mark_published('disposal', 1, '2025-05-01');
SELECT kind, status, count(*) AS items FROM v_publication_schedule GROUP BY 1, 2 ORDER BY 1, 2;

-- example: supervise.v_overdue_publications
-- what is overdue, oldest due first
SELECT kind, object_id, department_id, event_on, due_on
  FROM v_overdue_publications ORDER BY due_on, kind, object_id LIMIT 5;
SELECT kind, count(*) FROM v_overdue_publications GROUP BY 1 ORDER BY 1;

-- example: supervise.publication_recompute()
-- due dates follow calendar and rule changes by themselves; a run by hand finds nothing to change
SELECT publication_recompute() AS changed;

-- example: supervise.public_view_names()
-- the views a disclosure site reads
SELECT unnest(public_view_names()) AS public_view;

-- example: supervise.grant_public_reader(regrole)
-- the disclosure site's database role may read the public views and nothing else
CREATE ROLE disclosure_site LOGIN;
SELECT grant_public_reader('disclosure_site');
SET ROLE disclosure_site;
SELECT (SELECT count(*) FROM public_plans) AS plans, (SELECT count(*) FROM public_results) AS results;
SELECT count(*) FROM inspection;
RESET ROLE;

-- example: supervise.public_plans
-- the published annual plans (年度抽查计划), as the disclosure site reads them
SET ROLE disclosure_site;
SELECT department_name, year, title, approved_on, published_on FROM public_plans ORDER BY plan_id;
RESET ROLE;

-- example: supervise.public_tasks
-- the published tasks (抽查任务): a joint task lists every department, initiator first
SET ROLE disclosure_site;
SELECT task_id, department_names, title, period_start, period_end, sample_size, stratum_ratios, item_codes
  FROM public_tasks ORDER BY task_id;
RESET ROLE;

-- example: supervise.public_targets
-- the published list of targets (抽查对象名单), with what anyone needs to re-run the draw
SET ROLE disclosure_site;
SELECT uscc, subject_name, stratum, rank, algorithm, left(seed_hex, 16) AS seed_start, population_size
  FROM public_targets WHERE task_id = 4 ORDER BY stratum, rank LIMIT 5;
RESET ROLE;

-- example: supervise.draw_publication(bigint)
-- everything the disclosure site publishes for one draw, in one call: the files that
-- tools/verify_draw.html re-runs the draw from in a reader's browser
SELECT p->>'algorithm' AS algorithm, left(p->>'seed_hex', 16) AS seed_start,
       left(p->>'population_digest_hex', 16) AS digest_start, p->>'published_on' AS published_on,
       split_part(p->>'population_csv', E'\n', 2) AS first_population_line,
       array_length(string_to_array(rtrim(p->>'targets_csv', E'\n'), E'\n'), 1) - 1 AS targets
  FROM draw_publication(1) p;
-- not for the public reader: the population is not in the public views
SET ROLE disclosure_site;
SELECT draw_publication(1);
RESET ROLE;

-- example: supervise.public_results
-- the published results (检查结果): each department publishes its own
SET ROLE disclosure_site;
SELECT department_name, result_name, count(*) AS results, min(published_on), max(published_on)
  FROM public_results GROUP BY 1, 2 ORDER BY 1, 2;
SELECT uscc, subject_name, department_name, result_name, result_on, published_on
  FROM public_results WHERE uscc = '91350203MAHK9QPPXN' ORDER BY department_id;
RESET ROLE;

-- example: supervise.public_disposals
-- published disposals (处理结果), without their document numbers
SELECT count(mark_published('disposal', id, decided_on + 5)) AS published FROM disposal WHERE id <= 3;
SET ROLE disclosure_site;
SELECT uscc, subject_name, department_name, kind_name, decided_on, published_on
  FROM public_disposals ORDER BY disposal_id;
RESET ROLE;

-- setup: the credit record's examples follow the subject of the first disposal, its department and
-- the department's item it was checked for
SELECT i.uscc AS rec_uscc, i.department_id AS rec_dept, ti.item_id AS rec_item
  FROM disposal x JOIN inspection i ON i.id = x.inspection_id
  JOIN task_item ti ON ti.task_id = i.task_id JOIN check_item ci ON ci.id = ti.item_id AND ci.department_id = i.department_id
 ORDER BY x.id, ti.item_id LIMIT 1 \gset

-- example: supervise.list_dishonest(supervise.uscc, bigint, text, date, text, text)
-- the department puts the subject on its list of seriously dishonest subjects (列入违法失信名单); the
-- listing is due for publication; a second listing while the first is current is refused
SELECT list_dishonest(:'rec_uscc', :rec_dept, '责令改正逾期未改正，情节严重', '2025-09-15', '思市监列严〔2025〕3号') AS entry_id;
SELECT kind, object_id, event_on, due_on, status FROM v_publication_schedule WHERE kind = 'listing';
SELECT list_dishonest(:'rec_uscc', :rec_dept, '又一次', '2025-09-16');

-- example: supervise.public_dishonesty_list
-- the published current list (违法失信名单公示), as the disclosure site reads it
SELECT mark_published('listing', 1, '2025-09-19');
SET ROLE disclosure_site;
SELECT uscc, subject_name, department_name, reason, basis, listed_on, published_on FROM public_dishonesty_list;
RESET ROLE;

-- example: supervise.v_subject_record
-- the subject's credit record (信用记录归集): checks, results, disposals and list entries of every
-- department, in date order, found through an index for one code
SELECT on_date, kind, object_id, department_id, summary FROM v_subject_record WHERE uscc = :'rec_uscc';

-- example: supervise.delist_dishonest(bigint, text, date)
-- removal (移出, 信用修复) needs a reason; the entry stays, the removal is due for publication, and
-- nobody deletes an entry
SELECT delist_dishonest(1, ' ', '2025-12-01');
SELECT delist_dishonest(1, '信用修复：已改正并公示期满', '2025-12-01');
SELECT kind, on_date, summary FROM v_subject_record WHERE uscc = :'rec_uscc' AND kind IN ('listing', 'delisting');
SELECT kind, object_id, event_on, due_on FROM v_publication_schedule WHERE kind = 'delisting';
DELETE FROM dishonesty_entry WHERE id = 1;

-- example: supervise.coverage_cycle(integer, date)
-- coverage cycles (执法全覆盖的周期) are whole years counted from 2000
SELECT * FROM coverage_cycle(3, '2025-06-01');
SELECT * FROM coverage_cycle(1, '2025-06-01');

-- example: supervise.coverage_cycles(integer, date, date)
-- the cycles from one day's to another's, as v_key_item_coverage lists an item's
SELECT * FROM coverage_cycles(3, '2019-05-01', '2025-06-01');

-- example: supervise.v_key_item_coverage
-- the item becomes a key item (重点检查事项) to reach every active subject of the department's region
-- within 3 years; how far the 2024-2026 cycle got
UPDATE check_item SET key_supervision = true, coverage_years = 3 WHERE id = :rec_item;
SELECT item_id, department_id, cycle_start, cycle_end, in_scope, covered, uncovered
  FROM v_key_item_coverage WHERE item_id = :rec_item;

-- example: supervise.uncovered_subjects(bigint, date)
-- the subjects the key item has not reached in the cycle, to build a directory a task draws them from
SELECT credit_class, count(*) FROM uncovered_subjects(:rec_item, '2025-12-31') GROUP BY 1 ORDER BY 1;
INSERT INTO directory (department_id, name, description)
VALUES (:rec_dept, '重点事项未覆盖对象（2024-2026周期）', 'uncovered_subjects on 2025-12-31') RETURNING id AS cover_dir \gset
INSERT INTO directory_member (directory_id, uscc) SELECT :cover_dir, uscc FROM uncovered_subjects(:rec_item, '2025-12-31');
SELECT count(*) AS members FROM directory_member WHERE directory_id = :cover_dir;

-- example: supervise.v_department_year
-- the department's year for its annual assessment (纳入年度绩效考核)
SELECT * FROM v_department_year WHERE department_id = :rec_dept AND year = 2025;

-- example: supervise.revoke_public_reader(regrole)
-- the role loses its access to the public views
SELECT revoke_public_reader('disclosure_site');
SET ROLE disclosure_site;
SELECT count(*) FROM supervise.public_plans;
RESET ROLE;

-- example: supervise.grant_department_officer(regrole, bigint[])
-- an officer of 思明区市场监督管理局 sees its department's tasks and the joint task it takes part
-- in, and publishes its department's items
CREATE ROLE siming_market_officer LOGIN;
SELECT grant_department_officer('siming_market_officer', ARRAY[66]);
SET ROLE siming_market_officer;
SELECT id, department_id, title FROM task ORDER BY id;
SELECT mark_published('task', 5, '2025-10-10');
RESET ROLE;

-- example: supervise.acting_role()
-- the role a change is recorded under, also inside the SECURITY DEFINER draw functions
SET ROLE siming_market_officer;
SELECT acting_role(), current_user;
RESET ROLE;

-- example: supervise.my_department_ids()
-- the departments the current role works for (what row-level security lets it see)
SET ROLE siming_market_officer;
SELECT my_department_ids();
RESET ROLE;

-- example: supervise.may_act_on_task(bigint)
-- may the officer draw, cancel, match and assign for these tasks? Only its department's own
SET ROLE siming_market_officer;
SELECT id, title, may_act_on_task(id) FROM task WHERE id IN (3, 4, 5) ORDER BY id;
SELECT may_act_on_task(6) AS city_task;
RESET ROLE;

-- example: supervise.require_task_access(bigint, text)
-- the check the draw functions make first: silent when allowed, else an error
SET ROLE siming_market_officer;
SELECT require_task_access(5, 'draw');
SELECT require_task_access(6, 'draw');
RESET ROLE;

-- example: supervise.may_see_task(bigint)
-- may the officer read these tasks (their eligible population and limits)? Its department's own
-- tasks and joint tasks it takes part in; no task is never visible
SET ROLE siming_market_officer;
SELECT id, title, may_see_task(id) FROM task WHERE id IN (3, 4, 5) ORDER BY id;
SELECT may_see_task(6) AS city_task, may_see_task(NULL) AS no_task;
RESET ROLE;

-- example: supervise.require_task_visible(bigint)
-- the check the limits functions make first: silent when allowed, else an error
SET ROLE siming_market_officer;
SELECT require_task_visible(5);
SELECT count(*) FROM eligible_population(6);
RESET ROLE;

-- example: supervise.require_department_access(bigint, text)
-- the check the clue and transfer functions make first: silent when allowed, else an error
SET ROLE siming_market_officer;
SELECT require_department_access(66, 'record clues');
SELECT require_department_access(65, 'accept transfers');
RESET ROLE;

-- example: supervise.acting_with_all_rights()
-- asked inside the functions that run as the owner, about the caller: an admin, the owner, a
-- superuser
SELECT acting_with_all_rights() AS the_owner;
SET ROLE siming_market_officer;
SELECT acting_with_all_rights() AS an_officer;
RESET ROLE;

-- example: supervise.acting_department_ids()
-- the caller's departments, also inside the functions that run as the owner (where
-- my_department_ids() would answer for the owner)
SET ROLE siming_market_officer;
SELECT acting_department_ids(), my_department_ids();
RESET ROLE;

-- example: supervise.limits_explain_conflict(text, text, text, bigint, bigint, bigint, date)
-- what a refusal tells the caller of an earlier check: all of it for a check of a task it may see,
-- else only that there was one (an officer sees another department's checks without task or date)
SELECT limits_explain_conflict(reason, category, source, source_id, task_id, department_id, checked_on)
  FROM limit_conflicts('91350203MA5CTYXG96', 5);
SET ROLE siming_market_officer;
SELECT reason, task_id, limits_explain_conflict(reason, category, source, source_id, task_id, department_id, checked_on)
  FROM limit_conflicts('91350203MA5CTYXG96', 5);
RESET ROLE;

-- example: supervise.grant_admin(regrole)
-- the DBA's role sees and changes every department's rows, loads data and grants access
CREATE ROLE supervision_dba LOGIN;
SELECT grant_admin('supervision_dba');
SET ROLE supervision_dba;
SELECT count(*) AS tasks FROM task;
RESET ROLE;

-- example: supervise.is_admin()
-- true for a role with admin access (directly or through a group role)
SET ROLE supervision_dba;
SELECT is_admin();
RESET ROLE;
SET ROLE siming_market_officer;
SELECT is_admin();
RESET ROLE;

-- example: supervise.v_access
-- who has which access (for admins)
SELECT role_name, access, department_ids, role_exists FROM v_access ORDER BY role_name, access;

-- example: supervise.revoke_department_officer(regrole, bigint[])
-- take departments away from an officer (NULL: all of them); with none left it is no officer
SELECT revoke_department_officer('siming_market_officer', NULL);
SET ROLE siming_market_officer;
SELECT count(*) FROM supervise.task;
RESET ROLE;

-- example: supervise.revoke_admin(regrole)
-- admin access taken away again
SELECT revoke_admin('supervision_dba');
SELECT role_name, access FROM v_access ORDER BY role_name, access;

-- example: supervise.v_audit_trail
-- who did what (全程留痕): plans, tasks, draws, cancellations, matching, overrides, results, publication, grants
SELECT action, object_kind, count(*) FROM v_audit_trail GROUP BY 1, 2 ORDER BY 1, 2;
SELECT action, object_kind, object_id, department_name, detail #>> '{cancel_reason,new}' AS reason
  FROM v_audit_trail WHERE action = 'cancel_draw';
SELECT actor, action, object_kind, object_id, department_name FROM v_audit_trail WHERE actor = 'siming_market_officer';

-- setup: a directory that lives outside supervise (at national scale a Citus distributed table,
-- doc/scale.md; here a plain table of the same shape: code, credit class, weight), and a task of the
-- city's product quality campaign to draw from it
CREATE TABLE public.province_directory AS
SELECT uscc, credit_class, risk_level::double precision AS weight FROM subject WHERE status = 'active';
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size) VALUES
    (18, 'special', '产品质量专项检查（全省名录）', '2025-11-03', '2025-11-28', '2025-10-20', 12) RETURNING id AS province_task \gset
INSERT INTO task_item (task_id, item_id) SELECT :province_task, id FROM check_item WHERE department_id = 18 AND code = 'SC-04';

-- example: supervise.draw(bigint, bytea, regclass, text)
-- 双随机 at scale: a task's draw over the rows of any relation (name the argument: a quoted name alone
-- is read as the algorithm); the limits apply as to every draw: the subject the campaign inspected
-- in August is left out. The record, verify_draw and publication are those of any draw
SELECT draw(:province_task, seed_from('2025年10月27日 福彩3D 2025290期 614'), population => 'public.province_directory') AS province_draw \gset
SELECT population_size, target_count, allocation, verify_draw(id) FROM draw_record WHERE id = :province_draw;
SELECT count(*) AS directory_rows FROM public.province_directory;

-- example: supervise.population_agg(supervise.uscc, text, double precision, bytea)
-- the compact population less excluded codes (excluded_codes makes them from a query); a draw over a
-- relation runs it where the rows are (parallel workers, Citus workers): here it gives the draw's population
SELECT population_agg(d.uscc, 'all', NULL, x) = (SELECT population FROM draw_record WHERE id = :province_draw) AS same_as_the_draw
  FROM public.province_directory d,
       excluded_codes('SELECT uscc FROM supervise.inspection WHERE task_id = 6') x
 GROUP BY x;

-- example: supervise.draw_part_agg(supervise.uscc, text, double precision, bytea, bytea, text[], double precision[])
-- what a draw over a relation computes where the rows are read: the population and the candidates of
-- the selection with the draw's seed (here the rows whose digest lies in the lowest 1.125 x 25% of
-- all digests); draw_select takes the part and draws the same targets as the draw, from the candidates
SELECT draw_part_agg(d.uscc, 'all', NULL, x, (SELECT seed FROM draw_record WHERE id = :province_draw),
                     '{all}', '{0.25}') AS part
  FROM public.province_directory d,
       excluded_codes('SELECT uscc FROM supervise.inspection WHERE task_id = 6') x
 GROUP BY x \gset
SELECT (draw_select(:'part'::bytea, r.seed, r.algorithm, '{all}', ARRAY[(r.allocation->0->>'k')::int])).uscc
         = ARRAY(SELECT uscc FROM draw_target WHERE draw_id = r.id ORDER BY rank) AS same_targets
  FROM draw_record r WHERE r.id = :province_draw;

-- example: supervise.draw_part_population(bytea)
-- the population in a draw part: the draw's
SELECT draw_part_population(:'part'::bytea) = (SELECT population FROM draw_record WHERE id = :province_draw) AS same_population;

-- example: supervise.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text)
-- the standing list of joint-check scenarios (综合查一次检查场景清单) is kept by an admin: restaurants,
-- led by 思明区市场监督管理局 (66, 牵头单位) with 思明区卫生健康局 (65, 协同单位). The lead
-- department's officer makes the scenario's joint task for December, with every item of the list;
-- the district's inspectors and those of its subordinate departments may be sent
INSERT INTO joint_scenario (name, lead_department_id, description)
VALUES ('餐饮服务综合查一次', 66, '餐饮服务单位：食品经营许可与经营行为、公共场所卫生') RETURNING id AS scenario \gset
INSERT INTO joint_scenario_item (scenario_id, item_id)
SELECT :scenario, id FROM check_item WHERE (department_id, code) IN ((66, 'SC-01'), (66, 'SC-03'), (65, 'HC-01'));
SELECT grant_department_officer('siming_market_officer', ARRAY[66]);
SET ROLE siming_market_officer;
SELECT s.name, s.lead_department_id, array_agg(ci.department_id || ' ' || ci.code ORDER BY ci.department_id, ci.code) AS items
  FROM joint_scenario s JOIN joint_scenario_item si ON si.scenario_id = s.id JOIN check_item ci ON ci.id = si.item_id
 GROUP BY s.id;
SELECT scenario_task(:scenario, '餐饮服务综合查一次（12月）', '2025-12-01', '2025-12-19',
                     directory_id => 10, sample_size => 5, inspector_scope => 'subordinate') AS scenario_task \gset
SELECT t.department_id AS initiator, t.kind, t.period_start, t.period_end, t.inspector_scope,
       array_agg(ci.department_id || ' ' || ci.code ORDER BY ci.department_id, ci.code) AS items
  FROM task t JOIN task_item ti ON ti.task_id = t.id JOIN check_item ci ON ci.id = ti.item_id
 WHERE t.id = :scenario_task
 GROUP BY t.id;
RESET ROLE;
SELECT revoke_department_officer('siming_market_officer', NULL);
-- setup: after the check. 2025 as it stood on 1 August: the summer's tasks over, the annual-report
-- task under way
SET supervise.today = '2025-08-01';

-- example: supervise.today()
-- the day the check window of draw() and task progress take as today: current_date, or the day a
-- superuser sets in supervise.today (these examples replay 2025)
SELECT today(), current_setting('supervise.today') AS setting;

-- example: supervise.v_task_progress
-- 在任务期内完成检查: per task and department taking part, the drawn targets checked and left
SELECT task_id, department_id, drawn, inspected, with_result, unchecked, period_end, status
  FROM v_task_progress WHERE drawn > 0 ORDER BY task_id, department_id;

-- example: supervise.v_unchecked_targets
-- the drawn targets a department has not checked yet
SELECT task_id, draw_id, department_id, period_end, count(*) AS targets
  FROM v_unchecked_targets GROUP BY 1, 2, 3, 4 ORDER BY 1, 3;

-- example: supervise.record_clue(bigint, supervise.uscc, text, text, date)
-- a complaint (投诉举报) about a business, received by the market department (66)
SELECT record_clue(66, '91350203MAHK9QPPXN', 'complaint', '消费者投诉：销售超过保质期的食品', '2025-08-04') AS clue_id;

-- example: supervise.clue_task(bigint, text, date, date, bigint[])
-- a clue is checked directly (the draw is for 非线索性 checks): a clue task for its subject, no
-- draw and never limited; the clue's status follows
SELECT clue_task(1, '投诉核查：超过保质期的食品', '2025-08-05', '2025-08-29',
                 ARRAY(SELECT id FROM check_item WHERE department_id = 66 AND code = 'SC-03')) AS clue_task \gset
SELECT id, kind, department_id, title, period_start, period_end, approved_on FROM task WHERE id = :clue_task;
SELECT id, source, status, task_id FROM clue;

-- example: supervise.close_clue(bigint, text, date)
-- checked: the clue is closed with its reason
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
VALUES (:clue_task, '91350203MAHK9QPPXN', 66, '2025-08-06', 'corrected', '2025-08-06');
SELECT close_clue(1, '核查属实，已责令下架并整改', '2025-08-07');
SELECT id, status, closed_on, close_reason FROM clue WHERE id = 1;

-- example: supervise.transfer_case(bigint, text, bigint, bigint, date)
-- 另案查处 / 移送: a problem outside the items or the department's remit goes to the department it
-- belongs to, from a clue or from an inspection; a transferred clue's status follows
SELECT record_clue(66, (SELECT uscc FROM directory_member WHERE directory_id = 10 ORDER BY uscc LIMIT 1), 'hotline',
                   '12345：美容美发店使用未经消毒的器械', '2025-08-11') AS clue2 \gset
SELECT transfer_case(65, '属公共场所卫生监管职责，依法移送卫生健康部门', clue_id => :clue2, transferred_on => '2025-08-12') AS transfer_id;
SELECT transfer_case(65, '检查中发现店内公共用品未消毒，另案查处',
                     inspection_id => (SELECT id FROM inspection WHERE task_id = :clue_task), transferred_on => '2025-08-07') AS transfer_id;
SELECT id, from_department_id, to_department_id, uscc, inspection_id, clue_id, reason, transferred_on, accepted_on
  FROM case_transfer ORDER BY id;
SELECT id, status FROM clue ORDER BY id;

-- example: supervise.accept_transfer(bigint, date)
-- the receiving department records that it took the case on (受理)
SELECT accept_transfer(1, '2025-08-13');
SELECT id, to_department_id, transferred_on, accepted_on FROM case_transfer ORDER BY id;

-- cleanup: back to the regression database; the example database and roles go
\c :regress_db
DROP DATABASE supervise_examples;
DROP ROLE disclosure_site, siming_market_officer, supervision_dba;
