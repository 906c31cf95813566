-- Bulk loading: valid rows upserted, every bad row kept with its reason, counts returned.
SET search_path = supervise, public;
BEGIN;
INSERT INTO subject_staging (uscc, name, region, industry, credit_class, risk_level, status) VALUES
    ('91350100M000100Y43', '福州测试有限公司', NULL, '餐饮服务', 'a', '3', NULL),    -- 1 loaded, class upper-cased, region from code
    ('91350211M00013FA1N', '厦门早期试点企业', '350211', NULL, NULL, NULL, NULL),    -- 2 real Fujian pilot code: check fails
    ('  9144030071526726xg ', '深圳某公司', '440300', NULL, 'B', NULL, 'Active'),      -- 3 spaces and lower case: loaded
    ('9111000060003IOZSV', '坏字母', NULL, NULL, NULL, NULL, NULL),                   -- 4 forbidden letters
    ('91350100M000100Y4', '短码', NULL, NULL, NULL, NULL, NULL),                      -- 5 17 characters
    (NULL, '无码', NULL, NULL, NULL, NULL, NULL),                                     -- 6 missing code
    ('121200004013590816', '  ', NULL, NULL, NULL, NULL, NULL),                       -- 7 blank name
    ('91110000600037341L', '北京某公司', '11000', NULL, NULL, NULL, NULL),            -- 8 bad region
    ('91310230MA1K314J7C', '上海某公司', NULL, NULL, 'E', NULL, NULL),                -- 9 bad class
    ('914403001922038216', '华为技术有限公司', NULL, NULL, NULL, 'high', NULL),       -- 10 bad risk level
    ('51100000500002862F', '中国自动化学会', NULL, NULL, NULL, NULL, 'closed'),       -- 11 bad status
    ('92340602MA2PBQAH7E', '个体户（旧名）', NULL, NULL, NULL, NULL, NULL),           -- 12 superseded by 13
    ('92340602ma2pbqah7e', '个体户', NULL, NULL, 'C', '2', 'suspended'),              -- 13 loaded
    ('91620105L015101280', '兰州某公司', NULL, NULL, NULL, NULL, NULL);               -- 14 loaded
SELECT staged, inserted, updated, unchanged, rejected FROM load_subjects();
SELECT line - min(line) OVER () + 1 AS row_no, uscc, name, reason FROM subject_reject ORDER BY line;
SELECT uscc, name, region, industry, credit_class, risk_level, status FROM subject ORDER BY uscc;
SELECT count(*) AS left_in_staging FROM subject_staging;
-- a second load: one changed row, one unchanged, one new, one bad
INSERT INTO subject_staging (uscc, name, credit_class) VALUES
    ('91350100M000100Y43', '福州测试有限公司', 'D'),
    ('9144030071526726XG', '深圳某公司', 'B'),
    ('91350100M000100Y56', '新企业', NULL),
    ('91350100M000100Y57', '错码', NULL);
SELECT staged, inserted, updated, unchanged, rejected FROM load_subjects();
SELECT uscc, credit_class, region FROM subject WHERE uscc IN ('91350100M000100Y43', '9144030071526726XG') ORDER BY 1;
SELECT staged, inserted, updated, unchanged, rejected FROM load_batch ORDER BY id;
-- a private staging table made like the shipped one, kept after the load
CREATE TEMP TABLE my_stage (LIKE subject_staging INCLUDING DEFAULTS);
INSERT INTO my_stage (uscc, name) VALUES ('121200004013590816', '天津某事业单位');
SELECT staged, inserted, rejected FROM load_subjects('my_stage', empty_source => false);
SELECT count(*) AS kept FROM my_stage;
-- a source without the needed columns is refused and nothing changes
CREATE TEMP TABLE wrong_stage (code text);
SAVEPOINT s;
SELECT * FROM load_subjects('wrong_stage');
ROLLBACK TO s;
SELECT count(*) AS batches FROM load_batch;
ROLLBACK;
