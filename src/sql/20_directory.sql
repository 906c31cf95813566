-- =====================================================================================
-- The two directories (两库) and the item list (一单): departments, subjects (检查对象名录库),
-- dedicated and joint directories (专用名录 / 联合监管对象名录), inspectors (执法检查人员名录库),
-- conflicts of interest (回避), spot-check items (随机抽查事项清单) and the result codes.
-- Constraint names are written as the rule they enforce, so a violation message reads as the rule.
-- =====================================================================================

CREATE TABLE @extschema@.department (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    system      text NOT NULL,
    level       smallint NOT NULL,
    region      text NOT NULL,
    allow_uncertified_second boolean NOT NULL DEFAULT false,
    CONSTRAINT "department code is unique" UNIQUE (code),
    CONSTRAINT "department code is not blank" CHECK (btrim(code) <> ''),
    CONSTRAINT "department name is not blank" CHECK (btrim(name) <> ''),
    CONSTRAINT "department system is a lower-case word like market" CHECK (system ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT "department level is 1 national .. 5 township" CHECK (level BETWEEN 1 AND 5),
    CONSTRAINT "department region has 0/2/4/6/6 digits for level 1..5" CHECK (
        region ~ '^[0-9]*$'
        AND length(region) = CASE level WHEN 1 THEN 0 WHEN 2 THEN 2 WHEN 3 THEN 4 ELSE 6 END)
);
COMMENT ON TABLE @extschema@.department IS
    'enforcement departments (执法部门): system = enforcement system (market, ecology, culture, ...), level 1 national, 2 province, 3 city, 4 county, 5 township; region = region-code prefix of the area it covers ('''' national, 2 digits province, 4 city, 6 county/township). A is superior to B when same system, A.level < B.level and B.region starts with A.region';
COMMENT ON COLUMN @extschema@.department.system IS 'enforcement system (执法系统): departments of one system form a hierarchy for the superior-first rule';
COMMENT ON COLUMN @extschema@.department.region IS 'region-code prefix: '''' national, 2 digits province, 4 city, 6 county (townships use their county''s 6 digits)';
COMMENT ON COLUMN @extschema@.department.allow_uncertified_second IS
    'matching may send the department''s staff without an enforcement certificate (inspector.badge_no NULL, 从事日常监管工作的人员) beside a certified inspector, never alone: every target keeps one certified inspector of the department';

CREATE TABLE @extschema@.subject (
    uscc            @extschema@.uscc PRIMARY KEY,
    name            text NOT NULL,
    region          text NOT NULL,
    industry        text,
    credit_class    text NOT NULL DEFAULT 'B',
    risk_level      smallint NOT NULL DEFAULT 2,
    status          text NOT NULL DEFAULT 'active',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "subject name is not blank" CHECK (btrim(name) <> ''),
    CONSTRAINT "subject region is a 6-digit region code" CHECK (region ~ '^[0-9]{6}$'),
    CONSTRAINT "subject credit_class is one of A B C D" CHECK (credit_class IN ('A', 'B', 'C', 'D')),
    CONSTRAINT "subject risk_level is 1 low .. 4 high" CHECK (risk_level BETWEEN 1 AND 4),
    CONSTRAINT "subject status is active or a known inactive status"
        CHECK (status IN ('active', 'suspended', 'liquidating', 'deregistered', 'revoked', 'annulled', 'moved_out'))
);
CREATE INDEX subject_active_class_idx ON @extschema@.subject (credit_class) WHERE status = 'active';
COMMENT ON TABLE @extschema@.subject IS
    'subject directory (检查对象名录库): every market subject by its unified social credit code; load in bulk with @extschema@.load_subjects()';
COMMENT ON COLUMN @extschema@.subject.region IS '6-digit region code where the subject is supervised (defaults to the code''s registration region when loaded)';
COMMENT ON COLUMN @extschema@.subject.credit_class IS 'credit and risk class of the market regulator (信用风险分类): A low risk, B general, C elevated, D high';
COMMENT ON COLUMN @extschema@.subject.risk_level IS 'industry or product risk grade: 1 low, 2 general, 3 elevated, 4 high';
COMMENT ON COLUMN @extschema@.subject.status IS 'active, or why not: suspended (停业), liquidating (清算), deregistered (注销), revoked (吊销), annulled (撤销), moved_out (迁出)';

CREATE TABLE @extschema@.directory (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    name            text NOT NULL,
    kind            text NOT NULL DEFAULT 'dedicated',
    description     text,
    CONSTRAINT "directory name is unique within its department" UNIQUE (department_id, name),
    CONSTRAINT "directory kind is dedicated or joint" CHECK (kind IN ('dedicated', 'joint'))
);
COMMENT ON TABLE @extschema@.directory IS
    'dedicated directories (专用名录) filtered by a department from the subject directory, and joint directories (联合监管对象名录) built for joint tasks';

CREATE TABLE @extschema@.directory_member (
    directory_id    bigint NOT NULL REFERENCES @extschema@.directory ON DELETE CASCADE,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    PRIMARY KEY (directory_id, uscc)
);
CREATE INDEX directory_member_uscc_idx ON @extschema@.directory_member (uscc);
-- one statistics entry per directory (up to 1,000), so that the planner knows how small a task's
-- directory is (a draw over 100 members is not planned as if it held the average directory)
ALTER TABLE @extschema@.directory_member ALTER COLUMN directory_id SET STATISTICS 1000;
COMMENT ON TABLE @extschema@.directory_member IS 'the subjects of a directory';

CREATE TABLE @extschema@.inspector (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    name            text NOT NULL,
    badge_no        text,
    active          boolean NOT NULL DEFAULT true,
    qualified_until date,
    CONSTRAINT "inspector badge_no is unique" UNIQUE (badge_no),
    CONSTRAINT "inspector name is not blank" CHECK (btrim(name) <> ''),
    CONSTRAINT "only a certified inspector has a qualified_until" CHECK (badge_no IS NOT NULL OR qualified_until IS NULL)
);
CREATE INDEX inspector_department_idx ON @extschema@.inspector (department_id) WHERE active;
COMMENT ON TABLE @extschema@.inspector IS
    'inspector directory (执法检查人员名录库): officers with enforcement qualification, per department; badge_no is the enforcement certificate number (执法证号)';
COMMENT ON COLUMN @extschema@.inspector.badge_no IS
    'the enforcement certificate number (执法证号); NULL for staff without a certificate (从事日常监管工作的人员), whom matching sends only beside a certified inspector, and only where the department allows it (department.allow_uncertified_second)';
COMMENT ON COLUMN @extschema@.inspector.qualified_until IS
    'last day the enforcement certificate (执法证) is valid; NULL = no end. Matching never picks an inspector whose certificate has lapsed on the task''s first day (period_start), and assign_inspector refuses one';

CREATE TABLE @extschema@.inspector_conflict (
    inspector_id    bigint NOT NULL REFERENCES @extschema@.inspector ON DELETE CASCADE,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    reason          text,
    PRIMARY KEY (inspector_id, uscc)
);
CREATE INDEX inspector_conflict_uscc_idx ON @extschema@.inspector_conflict (uscc);
COMMENT ON TABLE @extschema@.inspector_conflict IS
    'conflicts of interest (回避): the inspector is never matched to the subject';

CREATE TABLE @extschema@.check_item (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    code            text NOT NULL,
    name            text NOT NULL,
    category        text NOT NULL,
    legal_basis     text,
    key_supervision boolean NOT NULL DEFAULT false,
    limit_exempt    boolean NOT NULL DEFAULT false,
    exempt_reason   text,
    active          boolean NOT NULL DEFAULT true,
    coverage_years  integer,
    CONSTRAINT "check item code is unique within its department" UNIQUE (department_id, code),
    CONSTRAINT "check item category is not blank" CHECK (btrim(category) <> ''),
    CONSTRAINT "an exempt check item names its exemption" CHECK (
        (limit_exempt AND exempt_reason IN ('commitment', 'environment', 'work_safety', 'campaign', 'law'))
        OR (NOT limit_exempt AND exempt_reason IS NULL)),
    CONSTRAINT "a coverage cycle is 1 to 10 years, on a key item" CHECK (
        coverage_years IS NULL OR (coverage_years BETWEEN 1 AND 10 AND key_supervision))
);
COMMENT ON TABLE @extschema@.check_item IS
    'spot-check item list (随机抽查事项清单): per department, each item with its legal basis; key_supervision marks the key list (重点执法清单) that gets full coverage over a cycle';
COMMENT ON COLUMN @extschema@.check_item.category IS 'the "same kind of check" (同类检查) key of the once-a-year rule';
COMMENT ON COLUMN @extschema@.check_item.coverage_years IS
    'a key item (重点检查事项) with a coverage cycle (执法全覆盖的周期): every active subject of the department''s region is checked for it within this many calendar years (cycles count from 2000: see coverage_cycle); NULL = no cycle. v_key_item_coverage and uncovered_subjects report it';
COMMENT ON COLUMN @extschema@.check_item.limit_exempt IS
    'not limited by the once-a-year and superior-first rules; exempt_reason says why: commitment (告知承诺), environment, work_safety, campaign (state/provincial special campaign), law (a law provides otherwise)';

CREATE TABLE @extschema@.result_code (
    code            text PRIMARY KEY,
    name_zh         text NOT NULL,
    name_en         text NOT NULL,
    problem_found   boolean NOT NULL,
    sort_order      smallint NOT NULL,
    shipped         boolean NOT NULL DEFAULT false,
    modified        boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.result_code IS
    'check results (检查结果) of the market regulator; shipped rows come with the extension and can be renamed (pg_dump keeps the change), a DBA may add more';
COMMENT ON COLUMN @extschema@.result_code.shipped IS 'the row was installed by the extension (it can be changed, not deleted)';
COMMENT ON COLUMN @extschema@.result_code.modified IS 'a shipped row changed since installation; pg_dump keeps rows that are not shipped or modified';
INSERT INTO @extschema@.result_code (code, name_zh, name_en, problem_found, sort_order, shipped) VALUES
    ('no_problem',            '未发现问题',                       'no problem found',                                   false, 1, true),
    ('not_disclosed',         '未按规定公示应当公示的信息',         'information that must be disclosed was not',         true,  2, true),
    ('false_disclosure',      '公示信息隐瞒真实情况弄虚作假',       'disclosed information conceals facts or is false',   true,  3, true),
    ('unreachable',           '通过登记的住所（经营场所）无法联系', 'cannot be reached at the registered address',        true,  4, true),
    ('corrected',             '发现问题已责令改正',                 'problem found, correction ordered',                  true,  5, true),
    ('pending_followup',      '发现问题待后续处理',                 'problem found, follow-up pending',                   true,  6, true),
    ('no_relevant_business',  '未发现开展本次抽查涉及的经营活动',   'no business activity covered by this check',         false, 7, true),
    ('uncooperative',         '不配合检查情节严重',                 'seriously uncooperative',                            true,  8, true),
    ('closed_or_liquidating', '已关闭停业或正在组织清算',           'closed, suspended or in liquidation',                false, 9, true),
    ('deregistered',          '已注销',                             'deregistered',                                       false, 10, true),
    ('revoked',               '已被吊销',                           'business licence revoked',                           false, 11, true),
    ('annulled',              '已被撤销',                           'registration annulled',                              false, 12, true),
    ('moved_out',             '已迁出',                             'moved out of the jurisdiction',                      false, 13, true);

-- pg_dump keeps user data of extension tables only when they are registered
SELECT pg_catalog.pg_extension_config_dump('@extschema@.department', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.department_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.directory', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.directory_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.directory_member', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspector', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspector_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspector_conflict', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.check_item', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.check_item_id_seq', '');
CREATE TRIGGER result_code_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.result_code
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('code', 'Rename it instead (name_zh, name_en).');
-- (ENABLE ALWAYS: it also acts on a restore's rows, which run as replica; see 98_restore.sql)
ALTER TABLE @extschema@.result_code ENABLE ALWAYS TRIGGER result_code_guard;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.result_code', 'WHERE NOT shipped OR modified');

-- Department A is superior (上级) to B: same system, A.level < B.level, B.region starts with A.region.
-- plpgsql, which keeps its plan for the session: as a sql function (not inlined: its body is a
-- subquery) it was planned again in every statement that called it, about 0.05 ms each time.
CREATE FUNCTION @extschema@.is_superior(superior_id bigint, subordinate_id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM @extschema@.department a, @extschema@.department b
         WHERE a.id OPERATOR(pg_catalog.=) is_superior.superior_id AND b.id OPERATOR(pg_catalog.=) is_superior.subordinate_id
           AND a.system OPERATOR(pg_catalog.=) b.system AND a.level OPERATOR(pg_catalog.<) b.level
           AND pg_catalog.starts_with(b.region, a.region));
END
$$;
COMMENT ON FUNCTION @extschema@.is_superior(bigint, bigint) IS
    'true when the first department is superior (上级执法部门) to the second: same system, higher level (smaller number), and the second''s region lies within the first''s';
