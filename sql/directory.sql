-- The directory and plan schema: every constraint gives a message a DBA understands.
-- Everything runs in one transaction that is rolled back; savepoints keep it going past errors.
SET search_path = supervise, public;
BEGIN;
INSERT INTO department (id, code, name, system, level, region) VALUES
    (901, 'T-35', '福建省市场监督管理局', 'market', 2, '35'),
    (902, 'T-3502', '厦门市市场监督管理局', 'market', 3, '3502'),
    (903, 'T-350203', '思明区市场监督管理局', 'market', 4, '350203'),
    (904, 'T-E-3502', '厦门市生态环境局', 'ecology', 3, '3502'),
    (905, 'T-3501', '福州市市场监督管理局', 'market', 3, '3501'),
    (906, 'T-CN', '国家市场监督管理总局', 'market', 1, '');
SAVEPOINT s;
INSERT INTO department (code, name, system, level, region) VALUES ('X1', 'x', 'market', 6, '350203');
ROLLBACK TO s;
INSERT INTO department (code, name, system, level, region) VALUES ('X2', 'x', 'market', 3, '35');
ROLLBACK TO s;
INSERT INTO department (code, name, system, level, region) VALUES ('X3', 'x', 'Market Dept', 3, '3502');
ROLLBACK TO s;
INSERT INTO department (code, name, system, level, region) VALUES ('T-35', 'x', 'market', 2, '35');
ROLLBACK TO s;
INSERT INTO department (code, name, system, level, region) VALUES ('X4', ' ', 'market', 2, '35');
ROLLBACK TO s;
-- superior: same system, higher level, region prefix
SELECT a.code AS superior, b.code AS subordinate, is_superior(a.id, b.id)
  FROM department a, department b WHERE a.id BETWEEN 901 AND 906 AND b.id BETWEEN 901 AND 906 AND a.id <> b.id
   AND is_superior(a.id, b.id) ORDER BY 1, 2;
-- subjects
INSERT INTO subject (uscc, name, region, industry, credit_class) VALUES ('91350100M000100Y43', '测试企业', '350203', '餐饮服务', 'A');
SAVEPOINT s;
SAVEPOINT s;
INSERT INTO subject (uscc, name, region) VALUES ('91350211M00013FA1N', '试点企业', '350211');
ROLLBACK TO s;
INSERT INTO subject (uscc, name, region, credit_class, updated_at) VALUES ('91110000600037341L', '某企业', '110000', 'E', '2026-01-01');
ROLLBACK TO s;
INSERT INTO subject (uscc, name, region, updated_at) VALUES ('91110000600037341L', '某企业', '1100', '2026-01-01');
ROLLBACK TO s;
INSERT INTO subject (uscc, name, region, status, updated_at) VALUES ('91110000600037341L', '某企业', '110000', 'closed', '2026-01-01');
ROLLBACK TO s;
INSERT INTO subject (uscc, name, region, risk_level, updated_at) VALUES ('91110000600037341L', '某企业', '110000', 5, '2026-01-01');
ROLLBACK TO s;
INSERT INTO subject (uscc, name, region) VALUES ('91350100m000100y43', '重复', '350203');
ROLLBACK TO s;
-- inspectors, conflicts, directories
INSERT INTO inspector (id, department_id, name, badge_no) VALUES (9001, 903, '林志强', 'B-1');
SAVEPOINT s;
INSERT INTO inspector (department_id, name, badge_no) VALUES (903, '陈丽华', 'B-1');
ROLLBACK TO s;
INSERT INTO inspector (department_id, name, badge_no) VALUES (999, '陈丽华', 'B-2');
ROLLBACK TO s;
INSERT INTO inspector_conflict (inspector_id, uscc) VALUES (9001, '91110000600037341L');
ROLLBACK TO s;
INSERT INTO directory (id, department_id, name) VALUES (9001, 903, '食品经营者专用名录');
SAVEPOINT s;
INSERT INTO directory (department_id, name, kind) VALUES (903, '其他', 'private');
ROLLBACK TO s;
-- items: an exempt item names its exemption
INSERT INTO check_item (id, department_id, code, name, category) VALUES (9001, 903, 'SC-01', '登记事项', 'registration');
SAVEPOINT s;
INSERT INTO check_item (department_id, code, name, category, limit_exempt) VALUES (903, 'SC-02', '承诺', 'commitment', true);
ROLLBACK TO s;
INSERT INTO check_item (department_id, code, name, category, exempt_reason) VALUES (903, 'SC-02', '承诺', 'commitment', 'commitment');
ROLLBACK TO s;
INSERT INTO check_item (department_id, code, name, category, limit_exempt, exempt_reason) VALUES (903, 'SC-02', '承诺', 'commitment', true, 'commitment');
SAVEPOINT s;
-- plans and tasks
INSERT INTO plan (id, department_id, year, title) VALUES (9001, 903, 2026, '2026年度抽查计划');
SAVEPOINT s;
INSERT INTO plan (department_id, year, title) VALUES (903, 1999, '太早');
ROLLBACK TO s;
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, sample_ratio)
    VALUES (9001, 9001, 903, '食品经营抽查', '2026-04-01', '2026-06-30', 0.05);
SAVEPOINT s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end) VALUES (9001, 903, 't', '2026-06-30', '2026-04-01');
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end) VALUES (9001, 903, 't', '2026-12-01', '2027-01-31');
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end) VALUES (9001, 903, 't', '2025-04-01', '2025-04-30');
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_ratio) VALUES (9001, 903, 't', '2026-04-01', '2026-04-30', 0);
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_ratio) VALUES (9001, 903, 't', '2026-04-01', '2026-04-30', 1.5);
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_ratio, sample_size) VALUES (9001, 903, 't', '2026-04-01', '2026-04-30', 0.1, 10);
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_size) VALUES (9001, 903, 't', '2026-04-01', '2026-04-30', -1);
ROLLBACK TO s;
INSERT INTO task (department_id, title, period_start, period_end, sample_size) VALUES (903, 't', '2026-04-01', '2026-04-30', 3);
ROLLBACK TO s;
INSERT INTO task (department_id, kind, title, period_start, period_end, sample_size) VALUES (903, 'random', 't', '2026-04-01', '2026-04-30', 3);
ROLLBACK TO s;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, sample_size, inspectors_per_target) VALUES (9001, 903, 't', '2026-04-01', '2026-04-30', 3, 1);
ROLLBACK TO s;
UPDATE task SET period_start = '2025-12-01' WHERE id = 9001;
ROLLBACK TO s;
INSERT INTO task_stratum VALUES (9001, 'A', 0.03), (9001, 'D', 1);
SAVEPOINT s;
INSERT INTO task_stratum VALUES (9001, 'E', 0.1);
ROLLBACK TO s;
INSERT INTO task_stratum VALUES (9001, 'B', 0);
ROLLBACK TO s;
INSERT INTO task_stratum VALUES (9001, 'A', 0.5);
ROLLBACK TO s;
-- inspections and disposals
INSERT INTO inspection (id, task_id, uscc, department_id, inspected_on, result_code, result_on)
    VALUES (9001, 9001, '91350100M000100Y43', 903, '2026-05-06', 'corrected', '2026-05-08');
SAVEPOINT s;
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
    VALUES (9001, '91350100M000100Y43', 903, '2026-05-06', 'no_problem', '2026-05-08');
ROLLBACK TO s;
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code) VALUES (9001, '91350100M000100Y43', 905, '2026-05-06', 'no_problem');
ROLLBACK TO s;
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on) VALUES (9001, '91350100M000100Y43', 905, '2026-05-06', 'fine', '2026-05-06');
ROLLBACK TO s;
INSERT INTO inspection (task_id, uscc, department_id, inspected_on, result_code, result_on) VALUES (9001, '91350100M000100Y43', 905, '2026-05-06', 'no_problem', '2026-05-05');
ROLLBACK TO s;
INSERT INTO disposal (inspection_id, kind, decided_on) VALUES (9001, 'warning', '2026-05-10');
ROLLBACK TO s;
INSERT INTO disposal (inspection_id, kind, decided_on) VALUES (9001, 'order', '2026-05-10');
SELECT count(*) AS result_codes, count(*) FILTER (WHERE problem_found) AS with_problem FROM result_code;
-- shipped result codes: renamed (kept by pg_dump as modified), never deleted; new codes can be added
SAVEPOINT s;
DELETE FROM result_code WHERE code = 'no_problem';
ROLLBACK TO s;
UPDATE result_code SET name_en = 'no problems found' WHERE code = 'no_problem';
INSERT INTO result_code (code, name_zh, name_en, problem_found, sort_order) VALUES ('local_extra', '地方增设结果', 'local result', true, 99);
INSERT INTO result_code (code, name_zh, name_en, problem_found, sort_order) VALUES ('moved_out', '已迁出（异地）', 'moved out', false, 13);
SELECT code, name_zh, name_en, shipped, modified FROM result_code WHERE NOT shipped OR modified ORDER BY code;
ROLLBACK;
-- every table holding user data is registered for pg_dump, with its sequence
SELECT c.relname, c.relkind FROM pg_class c
 WHERE c.relnamespace = 'supervise'::regnamespace AND c.relkind IN ('r', 'S')
   AND c.relpersistence = 'p'
   AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'supervise')::oid[])
 ORDER BY 1;
