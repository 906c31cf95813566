-- ---- src/sql/00_header.sql ----
-- supervise 0.1.0 — install script, built by `make` from the pieces in src/sql/.
-- Do not edit the built supervise--0.1.0.sql; edit the pieces.

\echo Use "CREATE EXTENSION supervise" to load this file. \quit

-- Every object lives in @extschema@ (= supervise, not relocatable). Bodies schema-qualify what they
-- use; functions are pinned with SET search_path so objects planted elsewhere cannot change them.

-- ---- src/sql/10_uscc.sql ----
-- =====================================================================================
-- Type supervise.uscc: the unified social credit code (统一社会信用代码, GB 32100-2015).
-- 12 bytes packed, ordered like its text; C in src/core/uscc.c and src/pg/uscc_type.c.
-- =====================================================================================

CREATE TYPE @extschema@.uscc;

CREATE FUNCTION @extschema@.uscc_in(cstring) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_out(@extschema@.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME', 'uscc_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_recv(internal) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_send(@extschema@.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME', 'uscc_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.uscc (
    INPUT = @extschema@.uscc_in,
    OUTPUT = @extschema@.uscc_out,
    RECEIVE = @extschema@.uscc_recv,
    SEND = @extschema@.uscc_send,
    INTERNALLENGTH = 12,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.uscc IS
    'unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, checked on input, stored upper case in 12 bytes, ordered like its text';
COMMENT ON FUNCTION @extschema@.uscc_in(cstring) IS 'text input of uscc: validates length, character set, region digits, authority/category pair and check character';
COMMENT ON FUNCTION @extschema@.uscc_out(@extschema@.uscc) IS 'text output of uscc: the 18 upper-case characters';
COMMENT ON FUNCTION @extschema@.uscc_recv(internal) IS 'binary input of uscc: 18 bytes of code text, checked exactly like text input';
COMMENT ON FUNCTION @extschema@.uscc_send(@extschema@.uscc) IS 'binary output of uscc: the 18 bytes of the code text';

-- casts with text ------------------------------------------------------------------------
CREATE FUNCTION @extschema@.uscc(text) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc(text) IS 'text to uscc (raises on an invalid code; see uscc_is_valid to test first)';
CREATE FUNCTION @extschema@.text(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_to_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.text(@extschema@.uscc) IS 'uscc to its 18-character text';
CREATE CAST (text AS @extschema@.uscc) WITH FUNCTION @extschema@.uscc(text) AS ASSIGNMENT;
CREATE CAST (@extschema@.uscc AS text) WITH FUNCTION @extschema@.text(@extschema@.uscc) AS IMPLICIT;
COMMENT ON CAST (text AS @extschema@.uscc) IS 'checked conversion; assignment cast so text columns load into uscc columns';
COMMENT ON CAST (@extschema@.uscc AS text) IS 'implicit, so text operators (LIKE, ||, substr) work on codes';

-- functions on codes ----------------------------------------------------------------------
CREATE FUNCTION @extschema@.uscc_is_valid(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_is_valid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_is_valid(text) IS
    'true when the text is a valid unified social credit code (lower case accepted); never raises';

CREATE FUNCTION @extschema@.uscc_invalid_reason(text) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_invalid_reason' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_invalid_reason(text) IS
    'NULL when the text is a valid code, else "<kind>: <explanation>" with kind one of length, character, region, authority, category, check; never raises';

CREATE FUNCTION @extschema@.uscc_region(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_region' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_region(@extschema@.uscc) IS
    'the 6-digit region code (登记管理机关行政区划码, positions 3-8) of the registering authority';

CREATE FUNCTION @extschema@.uscc_authority(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_authority' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_authority(@extschema@.uscc) IS
    'registration authority code (登记管理部门码, position 1): 1 编制, 5 民政, 9 市场监管, N 农业, Y 其他, ...';

CREATE FUNCTION @extschema@.uscc_category(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_category(@extschema@.uscc) IS
    'category code (机构类别码, position 2) under the registration authority, e.g. 9-1 enterprise, 9-2 individual business';

CREATE FUNCTION @extschema@.uscc_org_code(@extschema@.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_org_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_org_code(@extschema@.uscc) IS
    'the embedded 9-character organisation code (组织机构代码, positions 9-17)';

CREATE FUNCTION @extschema@.uscc_org_code_is_valid(@extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_org_code_is_valid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_org_code_is_valid(@extschema@.uscc) IS
    'true when the embedded organisation code passes its own GB 11714 check (weights 3 7 9 10 5 8 4 2, mod 11, 10 = X); codes issued without one (e.g. many 个体工商户 codes) may fail it and are still valid codes';

-- comparison, btree and hash ---------------------------------------------------------------
CREATE FUNCTION @extschema@.uscc_lt(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_le(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_eq(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_ne(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_ge(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_gt(@extschema@.uscc, @extschema@.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_cmp(@extschema@.uscc, @extschema@.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'uscc_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'uscc_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_hash(@extschema@.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'uscc_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.uscc_hash_extended(@extschema@.uscc, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'uscc_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.uscc_lt(@extschema@.uscc, @extschema@.uscc) IS 'implementation of < for uscc';
COMMENT ON FUNCTION @extschema@.uscc_le(@extschema@.uscc, @extschema@.uscc) IS 'implementation of <= for uscc';
COMMENT ON FUNCTION @extschema@.uscc_eq(@extschema@.uscc, @extschema@.uscc) IS 'implementation of = for uscc';
COMMENT ON FUNCTION @extschema@.uscc_ne(@extschema@.uscc, @extschema@.uscc) IS 'implementation of <> for uscc';
COMMENT ON FUNCTION @extschema@.uscc_ge(@extschema@.uscc, @extschema@.uscc) IS 'implementation of >= for uscc';
COMMENT ON FUNCTION @extschema@.uscc_gt(@extschema@.uscc, @extschema@.uscc) IS 'implementation of > for uscc';
COMMENT ON FUNCTION @extschema@.uscc_cmp(@extschema@.uscc, @extschema@.uscc) IS 'btree support: -1, 0 or 1 in the order of the code text';
COMMENT ON FUNCTION @extschema@.uscc_sortsupport(internal) IS 'btree sort support for uscc';
COMMENT ON FUNCTION @extschema@.uscc_hash(@extschema@.uscc) IS 'hash support for uscc';
COMMENT ON FUNCTION @extschema@.uscc_hash_extended(@extschema@.uscc, bigint) IS 'seeded hash support for uscc (hash partitioning)';

CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc,
    FUNCTION = @extschema@.uscc_lt, COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc,
    FUNCTION = @extschema@.uscc_le, COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc,
    FUNCTION = @extschema@.uscc_eq, COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR @extschema@.<> (LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc,
    FUNCTION = @extschema@.uscc_ne, COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc,
    FUNCTION = @extschema@.uscc_ge, COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.uscc, RIGHTARG = @extschema@.uscc,
    FUNCTION = @extschema@.uscc_gt, COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
COMMENT ON OPERATOR @extschema@.< (@extschema@.uscc, @extschema@.uscc) IS 'less than, in code text order';
COMMENT ON OPERATOR @extschema@.<= (@extschema@.uscc, @extschema@.uscc) IS 'less than or equal, in code text order';
COMMENT ON OPERATOR @extschema@.= (@extschema@.uscc, @extschema@.uscc) IS 'same code';
COMMENT ON OPERATOR @extschema@.<> (@extschema@.uscc, @extschema@.uscc) IS 'different codes';
COMMENT ON OPERATOR @extschema@.>= (@extschema@.uscc, @extschema@.uscc) IS 'greater than or equal, in code text order';
COMMENT ON OPERATOR @extschema@.> (@extschema@.uscc, @extschema@.uscc) IS 'greater than, in code text order';

CREATE OPERATOR CLASS @extschema@.uscc_ops DEFAULT FOR TYPE @extschema@.uscc USING btree AS
    OPERATOR 1 @extschema@.<,
    OPERATOR 2 @extschema@.<=,
    OPERATOR 3 @extschema@.=,
    OPERATOR 4 @extschema@.>=,
    OPERATOR 5 @extschema@.>,
    FUNCTION 1 @extschema@.uscc_cmp(@extschema@.uscc, @extschema@.uscc),
    FUNCTION 2 @extschema@.uscc_sortsupport(internal);
COMMENT ON OPERATOR CLASS @extschema@.uscc_ops USING btree IS 'default btree ordering of codes (the order of their text)';

CREATE OPERATOR CLASS @extschema@.uscc_hash_ops DEFAULT FOR TYPE @extschema@.uscc USING hash AS
    OPERATOR 1 @extschema@.=,
    FUNCTION 1 @extschema@.uscc_hash(@extschema@.uscc),
    FUNCTION 2 @extschema@.uscc_hash_extended(@extschema@.uscc, bigint);
COMMENT ON OPERATOR CLASS @extschema@.uscc_hash_ops USING hash IS 'default hash operator class of codes (hash joins, hash indexes, hash partitioning)';

CREATE FUNCTION @extschema@.uscc_build(authority_category text, region text, org_body text) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_build_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_build(text, text, text) IS
    'a valid code from its parts: authority and category (2 characters, e.g. 91), region code (6 digits), the 8-character organisation code body; appends the GB 11714 and GB 32100 check characters';

-- ---- src/sql/12_acting_role.sql ----
-- =====================================================================================
-- Who is acting: used by the draw record, the audit trail and the access checks.
-- =====================================================================================

-- The role a person acts as: the SET ROLE role, else the session user. Unlike current_user it
-- stays the caller's inside SECURITY DEFINER functions (the audit trigger runs as the owner).
CREATE FUNCTION @extschema@.acting_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN SESSION_USER
                ELSE pg_catalog.current_setting('role')::name END;
COMMENT ON FUNCTION @extschema@.acting_role() IS
    'the role the caller acts as (SET ROLE, else the session user), also inside SECURITY DEFINER functions; recorded as actor in the audit trail';


-- ---- src/sql/15_shipped.sql ----
-- =====================================================================================
-- Rows shipped with the extension (result codes, the 2019–2026 calendar, publication and filing
-- rules) are changeable by the DBA, and pg_dump keeps the changes.
--
-- Such a table has columns shipped and modified, is registered with
-- pg_extension_config_dump(..., 'WHERE NOT shipped OR modified') and has the trigger below.
-- On restore, CREATE EXTENSION inserts the shipped rows again and then the dump's rows are copied
-- in, so:
--   * an UPDATE of a shipped row marks it modified, so the change is dumped;
--   * inserting a row whose key is a shipped row's updates that row instead (and skips the
--     insert), so restoring a dumped change cannot collide with the re-installed row;
--   * deleting a shipped row is refused: a restore would bring it back. Correct it instead.
-- Trigger arguments: the key column, and the hint shown when a delete is refused.
-- =====================================================================================

CREATE FUNCTION @extschema@.shipped_row_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    key_column  text := TG_ARGV[0];
    assignments text;
    n           bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.shipped := OLD.shipped;
        NEW.modified := OLD.shipped;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.shipped THEN
            RAISE EXCEPTION 'cannot delete shipped row "%" of %.%',
                    to_jsonb(OLD) ->> key_column, TG_TABLE_SCHEMA, TG_TABLE_NAME
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'Rows installed with the extension can be corrected, not deleted (a restore would bring them back).',
                      HINT = TG_ARGV[1];
        END IF;
        RETURN OLD;
    END IF;
    -- INSERT over a shipped row (a restore, or a plain INSERT of a correction): update it
    SELECT string_agg(format('%I = ($1).%I', a.attname, a.attname), ', ' ORDER BY a.attnum)
      INTO assignments
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND a.attname NOT IN (key_column, 'shipped', 'modified');
    EXECUTE format('UPDATE %I.%I t SET %s WHERE t.%I OPERATOR(pg_catalog.=) ($1).%I AND t.shipped',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, assignments, key_column, key_column)
      USING NEW;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.shipped_row_guard() IS
    'trigger (arguments: key column, hint): keeps rows shipped with the extension restore-safe — an update marks a shipped row modified, an insert over a shipped row updates it, shipped rows are not deleted';

-- ---- src/sql/20_directory.sql ----
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
    'subject directory (检查对象名录库): every market subject by its unified social credit code; load in bulk with supervise.load_subjects()';
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
COMMENT ON TABLE @extschema@.directory_member IS 'the subjects of a directory';

CREATE TABLE @extschema@.inspector (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    name            text NOT NULL,
    badge_no        text NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    CONSTRAINT "inspector badge_no is unique" UNIQUE (badge_no),
    CONSTRAINT "inspector name is not blank" CHECK (btrim(name) <> '')
);
CREATE INDEX inspector_department_idx ON @extschema@.inspector (department_id) WHERE active;
COMMENT ON TABLE @extschema@.inspector IS
    'inspector directory (执法检查人员名录库): officers with enforcement qualification, per department; badge_no is the enforcement certificate number (执法证号)';

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
    CONSTRAINT "check item code is unique within its department" UNIQUE (department_id, code),
    CONSTRAINT "check item category is not blank" CHECK (btrim(category) <> ''),
    CONSTRAINT "an exempt check item names its exemption" CHECK (
        (limit_exempt AND exempt_reason IN ('commitment', 'environment', 'work_safety', 'campaign', 'law'))
        OR (NOT limit_exempt AND exempt_reason IS NULL))
);
COMMENT ON TABLE @extschema@.check_item IS
    'spot-check item list (随机抽查事项清单): per department, each item with its legal basis; key_supervision marks the key list (重点执法清单) that gets full coverage over a cycle';
COMMENT ON COLUMN @extschema@.check_item.category IS 'the "same kind of check" (同类检查) key of the once-a-year rule';
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
SELECT pg_catalog.pg_extension_config_dump('@extschema@.result_code', 'WHERE NOT shipped OR modified');

-- Department A is superior (上级) to B: same system, A.level < B.level, B.region starts with A.region.
CREATE FUNCTION @extschema@.is_superior(superior_id bigint, subordinate_id bigint) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    RETURN EXISTS (
        SELECT 1 FROM @extschema@.department a, @extschema@.department b
         WHERE a.id OPERATOR(pg_catalog.=) superior_id AND b.id OPERATOR(pg_catalog.=) subordinate_id
           AND a.system OPERATOR(pg_catalog.=) b.system AND a.level OPERATOR(pg_catalog.<) b.level
           AND pg_catalog.starts_with(b.region, a.region));
COMMENT ON FUNCTION @extschema@.is_superior(bigint, bigint) IS
    'true when the first department is superior (上级执法部门) to the second: same system, higher level (smaller number), and the second''s region lies within the first''s';

-- ---- src/sql/30_plan.sql ----
-- =====================================================================================
-- Plans and tasks (计划任务), task items and credit strata, inspections and disposals.
-- =====================================================================================

CREATE TABLE @extschema@.plan (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    year            integer NOT NULL,
    title           text NOT NULL,
    approved_on     date,
    CONSTRAINT "plan year is between 2000 and 2200" CHECK (year BETWEEN 2000 AND 2200),
    CONSTRAINT "plan title is not blank" CHECK (btrim(title) <> '')
);
COMMENT ON TABLE @extschema@.plan IS
    'annual spot-check plans (年度抽查计划) of a department; approved_on is set when the government approves it';

CREATE TABLE @extschema@.task (
    id                      bigserial PRIMARY KEY,
    plan_id                 bigint REFERENCES @extschema@.plan,
    department_id           bigint NOT NULL REFERENCES @extschema@.department,
    kind                    text NOT NULL DEFAULT 'planned',
    title                   text NOT NULL,
    period_start            date NOT NULL,
    period_end              date NOT NULL,
    approved_on             date,
    filed_on                date,
    surprise                boolean NOT NULL DEFAULT false,
    sample_ratio            numeric,
    sample_size             integer,
    directory_id            bigint REFERENCES @extschema@.directory,
    inspectors_per_target   integer NOT NULL DEFAULT 2,
    CONSTRAINT "task kind is planned temporary special or clue" CHECK (kind IN ('planned', 'temporary', 'special', 'clue')),
    CONSTRAINT "a planned task belongs to a plan" CHECK (kind <> 'planned' OR plan_id IS NOT NULL),
    CONSTRAINT "task title is not blank" CHECK (btrim(title) <> ''),
    CONSTRAINT "task period_end is not before period_start" CHECK (period_end >= period_start),
    CONSTRAINT "task period lies within one calendar year"
        CHECK (date_trunc('year', period_start) = date_trunc('year', period_end)),
    CONSTRAINT "task sample_ratio is in (0, 1]" CHECK (sample_ratio > 0 AND sample_ratio <= 1),
    CONSTRAINT "task sample_size is not negative" CHECK (sample_size >= 0),
    CONSTRAINT "task has sample_ratio or sample_size, not both" CHECK (num_nonnulls(sample_ratio, sample_size) <= 1),
    CONSTRAINT "task needs 2 to 20 inspectors per target" CHECK (inspectors_per_target BETWEEN 2 AND 20)
);
CREATE INDEX task_plan_idx ON @extschema@.task (plan_id);
COMMENT ON TABLE @extschema@.task IS
    'spot-check tasks (抽查任务). kind: planned (in an annual plan), temporary (临时任务: ordered from above or for an emergency), special (专项), clue (on a complaint or clue, never limited). department_id is the initiator; items of several departments make a joint task (联合抽查). Draw by sample_ratio or sample_size, or per credit class with task_stratum rows';
COMMENT ON COLUMN @extschema@.task.filed_on IS 'date an unplanned task was filed (报备) with the superior, for the advance-filing rule';
COMMENT ON COLUMN @extschema@.task.surprise IS 'surprise check (突击检查): plan, task, list and time are not published before the task ends';
COMMENT ON COLUMN @extschema@.task.inspectors_per_target IS 'inspectors matched per target and per department (at least 2: an enforcement action needs two officers)';

-- A task of a plan lies in the plan's year.
CREATE FUNCTION @extschema@.task_check_plan() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    IF NEW.plan_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT year, department_id INTO p FROM @extschema@.plan WHERE id = NEW.plan_id;
    IF FOUND AND p.year IS DISTINCT FROM extract(year FROM NEW.period_start)::integer THEN
        RAISE EXCEPTION 'task period % to % is outside the year % of plan %',
                to_char(NEW.period_start, 'YYYY-MM-DD'), to_char(NEW.period_end, 'YYYY-MM-DD'), p.year, NEW.plan_id
            USING ERRCODE = 'check_violation',
                  HINT = 'Put the task in a plan of its own year.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.task_check_plan() IS 'trigger: a task of a plan lies within the plan''s year';
CREATE TRIGGER task_check_plan BEFORE INSERT OR UPDATE OF plan_id, period_start, period_end ON @extschema@.task
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_check_plan();

CREATE TABLE @extschema@.task_item (
    task_id     bigint NOT NULL REFERENCES @extschema@.task ON DELETE CASCADE,
    item_id     bigint NOT NULL REFERENCES @extschema@.check_item,
    PRIMARY KEY (task_id, item_id)
);
CREATE INDEX task_item_item_idx ON @extschema@.task_item (item_id);
COMMENT ON TABLE @extschema@.task_item IS 'the check items of a task; items of several departments make it a joint task';

CREATE TABLE @extschema@.task_stratum (
    task_id         bigint NOT NULL REFERENCES @extschema@.task ON DELETE CASCADE,
    credit_class    text NOT NULL,
    ratio           numeric NOT NULL,
    PRIMARY KEY (task_id, credit_class),
    CONSTRAINT "stratum credit_class is one of A B C D" CHECK (credit_class IN ('A', 'B', 'C', 'D')),
    CONSTRAINT "stratum ratio is in (0, 1]" CHECK (ratio > 0 AND ratio <= 1)
);
COMMENT ON TABLE @extschema@.task_stratum IS
    'per credit class sampling ratio (分级分类): a task with rows here draws each class separately, ceil(ratio x eligible) targets; classes without a row are not drawn';

CREATE TABLE @extschema@.inspection (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES @extschema@.task,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    inspected_on    date,
    result_code     text REFERENCES @extschema@.result_code,
    result_on       date,
    note            text,
    CONSTRAINT "one inspection per task, subject and department" UNIQUE (task_id, uscc, department_id),
    CONSTRAINT "inspection result_code and result_on are set together" CHECK ((result_code IS NULL) = (result_on IS NULL)),
    CONSTRAINT "inspection result_on is not before inspected_on" CHECK (result_on >= inspected_on)
);
CREATE INDEX inspection_uscc_idx ON @extschema@.inspection (uscc);
COMMENT ON TABLE @extschema@.inspection IS
    'a check of one subject by one department for a task, and its result (检查结果); result_on is the day the result was formed';

CREATE TABLE @extschema@.disposal (
    id              bigserial PRIMARY KEY,
    inspection_id   bigint NOT NULL REFERENCES @extschema@.inspection,
    kind            text NOT NULL,
    decided_on      date NOT NULL,
    document_no     text,
    CONSTRAINT "disposal kind is order compulsion or penalty" CHECK (kind IN ('order', 'compulsion', 'penalty'))
);
CREATE INDEX disposal_inspection_idx ON @extschema@.disposal (inspection_id);
COMMENT ON TABLE @extschema@.disposal IS
    'administrative decisions after a check: order (责令), compulsion (行政强制), penalty (行政处罚); published within 7 working days';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.plan', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.plan_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_item', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_stratum', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspection', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspection_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.disposal', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.disposal_id_seq', '');

-- ---- src/sql/35_load.sql ----
-- =====================================================================================
-- Bulk loading of the subject directory that loses nothing:
--   \copy supervise.subject_staging (uscc, name, region, industry, credit_class, risk_level, status)
--         FROM 'subjects.csv' WITH (FORMAT csv, HEADER)
--   SELECT * FROM supervise.load_subjects();
-- Valid rows are upserted on the code; every invalid row goes to subject_reject with its raw
-- text and the reason; the counts are returned and kept in load_batch.
-- =====================================================================================

CREATE UNLOGGED TABLE @extschema@.subject_staging (
    line            bigserial,
    uscc            text,
    name            text,
    region          text,
    industry        text,
    credit_class    text,
    risk_level      text,
    status          text
);
COMMENT ON TABLE @extschema@.subject_staging IS
    'staging for supervise.load_subjects(): COPY raw text rows here (all columns text, nothing is rejected by COPY), then call load_subjects(); unlogged and emptied by each load';
COMMENT ON COLUMN @extschema@.subject_staging.line IS 'order of arrival (filled by the default); reported in rejects and used to pick the last of duplicate codes';

CREATE TABLE @extschema@.load_batch (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    loaded_by       name NOT NULL DEFAULT current_user,
    staged          bigint,
    inserted        bigint,
    updated         bigint,
    unchanged       bigint,
    rejected        bigint
);
COMMENT ON TABLE @extschema@.load_batch IS 'one row per call of load_subjects(): who loaded what, and the counts';

CREATE TABLE @extschema@.subject_reject (
    batch_id        bigint NOT NULL REFERENCES @extschema@.load_batch,
    line            bigint,
    uscc            text,
    name            text,
    region          text,
    industry        text,
    credit_class    text,
    risk_level      text,
    status          text,
    reason          text NOT NULL
);
CREATE INDEX subject_reject_batch_idx ON @extschema@.subject_reject (batch_id, line);
COMMENT ON TABLE @extschema@.subject_reject IS
    'rows that load_subjects() did not load, with their raw text and the reason (e.g. codes that fail the GB 32100 check such as early Fujian pilot codes); fix and re-stage them';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.load_batch', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.load_batch_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.subject_reject', '');

CREATE FUNCTION @extschema@.load_subjects(
    source regclass DEFAULT '@extschema@.subject_staging',
    empty_source boolean DEFAULT true)
RETURNS TABLE (batch_id bigint, staged bigint, inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    b bigint;
    n_staged bigint;
    n_inserted bigint;
    n_updated bigint;
    n_rejected bigint;
    missing text;
BEGIN
    SELECT string_agg(need.col, ', ' ORDER BY need.ord) INTO missing
      FROM unnest(ARRAY['line', 'uscc', 'name', 'region', 'industry', 'credit_class', 'risk_level', 'status'])
           WITH ORDINALITY AS need(col, ord)
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = source AND a.attname = need.col AND a.attnum > 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'cannot load subjects from table "%": it lacks the column(s) %', source, missing
            USING ERRCODE = 'undefined_column',
                  HINT = 'Stage rows in supervise.subject_staging, or in a table created (LIKE supervise.subject_staging INCLUDING DEFAULTS).';
    END IF;
    -- one load at a time per source; rows COPYed after this point wait for the next load
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', source);
    INSERT INTO @extschema@.load_batch (source) VALUES (source::text) RETURNING id INTO b;

    -- normalise and judge every row once; the first failing field gives the reason
    EXECUTE format($q$
        CREATE TEMP TABLE supervise_load ON COMMIT DROP AS
        SELECT s.*, CASE WHEN s.reason IS NULL THEN @extschema@.uscc(s.code_text) END AS code
          FROM (
            SELECT r.line, r.uscc, r.name, r.region, r.industry, r.credit_class, r.risk_level, r.status,
                   btrim(r.uscc) AS code_text,
                   nullif(btrim(r.name), '') AS v_name,
                   coalesce(nullif(btrim(r.region), ''), substr(btrim(r.uscc), 3, 6)) AS v_region,
                   nullif(btrim(r.industry), '') AS v_industry,
                   coalesce(upper(nullif(btrim(r.credit_class), '')), 'B') AS v_class,
                   coalesce(nullif(btrim(r.risk_level), ''), '2') AS v_risk,
                   coalesce(lower(nullif(btrim(r.status), '')), 'active') AS v_status,
                   CASE
                     WHEN nullif(btrim(r.uscc), '') IS NULL THEN 'uscc: missing'
                     WHEN @extschema@.uscc_invalid_reason(btrim(r.uscc)) IS NOT NULL
                       THEN 'uscc ' || @extschema@.uscc_invalid_reason(btrim(r.uscc))
                     WHEN nullif(btrim(r.name), '') IS NULL THEN 'name: missing'
                     WHEN coalesce(nullif(btrim(r.region), ''), substr(btrim(r.uscc), 3, 6)) !~ '^[0-9]{6}$'
                       THEN format('region: %%L is not a 6-digit region code', btrim(r.region))
                     WHEN coalesce(upper(nullif(btrim(r.credit_class), '')), 'B') NOT IN ('A', 'B', 'C', 'D')
                       THEN format('credit_class: %%L is not one of A B C D', r.credit_class)
                     WHEN coalesce(nullif(btrim(r.risk_level), ''), '2') NOT IN ('1', '2', '3', '4')
                       THEN format('risk_level: %%L is not one of 1 2 3 4', r.risk_level)
                     WHEN coalesce(lower(nullif(btrim(r.status), '')), 'active') NOT IN
                          ('active', 'suspended', 'liquidating', 'deregistered', 'revoked', 'annulled', 'moved_out')
                       THEN format('status: %%L is not a known status', r.status)
                   END AS reason
              FROM %s r) s
    $q$, source);

    -- the same code twice in one batch: the last line wins, the earlier ones are rejected
    UPDATE pg_temp.supervise_load l
       SET reason = format('duplicate: the same code is on line %s of this batch, which was loaded instead', d.last_line),
           code = NULL
      FROM (SELECT code AS dup_code, max(line) AS last_line
              FROM pg_temp.supervise_load WHERE reason IS NULL
             GROUP BY code HAVING count(*) > 1) d
     WHERE l.reason IS NULL AND l.code OPERATOR(@extschema@.=) d.dup_code AND l.line < d.last_line;

    INSERT INTO @extschema@.subject_reject
           (batch_id, line, uscc, name, region, industry, credit_class, risk_level, status, reason)
    SELECT b, line, uscc, name, region, industry, credit_class, risk_level, status, reason
      FROM pg_temp.supervise_load WHERE reason IS NOT NULL;
    GET DIAGNOSTICS n_rejected = ROW_COUNT;

    WITH up AS (
        INSERT INTO @extschema@.subject AS t (uscc, name, region, industry, credit_class, risk_level, status)
        SELECT code, v_name, v_region, v_industry, v_class, v_risk::smallint, v_status
          FROM pg_temp.supervise_load WHERE reason IS NULL
        ON CONFLICT (uscc) DO UPDATE
           SET name = excluded.name, region = excluded.region, industry = excluded.industry,
               credit_class = excluded.credit_class, risk_level = excluded.risk_level,
               status = excluded.status, updated_at = now()
         WHERE (t.name, t.region, t.industry, t.credit_class, t.risk_level, t.status)
               IS DISTINCT FROM
               (excluded.name, excluded.region, excluded.industry, excluded.credit_class,
                excluded.risk_level, excluded.status)
        RETURNING (xmax = 0) AS is_new)
    SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new)
      INTO n_inserted, n_updated FROM up;

    SELECT count(*) INTO n_staged FROM pg_temp.supervise_load;
    DROP TABLE pg_temp.supervise_load;
    IF empty_source THEN
        EXECUTE format('TRUNCATE %s', source);
    END IF;

    UPDATE @extschema@.load_batch lb
       SET staged = n_staged, inserted = n_inserted, updated = n_updated,
           unchanged = n_staged - n_rejected - n_inserted - n_updated, rejected = n_rejected
     WHERE lb.id = b;
    RETURN QUERY SELECT b, n_staged, n_inserted, n_updated, n_staged - n_rejected - n_inserted - n_updated, n_rejected;
END
$fn$;
COMMENT ON FUNCTION @extschema@.load_subjects(regclass, boolean) IS
    'loads the subject directory from a staging table (default supervise.subject_staging, or any table made LIKE it): upserts valid rows on the code, puts every invalid row with its raw text and reason in subject_reject, records and returns the counts; empties the source unless empty_source is false';

REVOKE ALL ON TABLE @extschema@.subject_staging, @extschema@.subject_reject, @extschema@.load_batch FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.load_subjects(regclass, boolean) FROM PUBLIC;

-- ---- src/sql/40_calendar.sql ----
-- =====================================================================================
-- Working days (工作日) and publication deadlines (一公开 时限). SPEC §2, DOMAIN §6.
--
-- The calendar is the State Council's yearly holiday notice (国务院办公厅关于部分节假日安排的通知):
-- holidays ('off') and weekend days made working days (调休, 'work'). Every other day of a loaded
-- year follows the plain rule: Monday–Friday work, Saturday and Sunday off. A computation that
-- needs a day of a year that is not in calendar_year is an error naming the year.
-- The C functions keep the loaded calendar in a per-backend cache (src/pg/calendar_fn.c); the
-- statement triggers below tell every session to reload it after any change.
-- Shipped rows (2019–2026, 41_calendar_data.sql) have shipped = true; pg_dump keeps the others
-- and the shipped rows a DBA modified.
-- =====================================================================================

CREATE TABLE @extschema@.calendar_year (
    year        integer PRIMARY KEY,
    loaded_on   date NOT NULL DEFAULT current_date,
    source      text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    CONSTRAINT "calendar year is between 1900 and 9999" CHECK (year BETWEEN 1900 AND 9999)
);
COMMENT ON TABLE @extschema@.calendar_year IS
    'years whose holiday notice is loaded: every day of these years has a known working-day status; load more with supervise.load_calendar()';
COMMENT ON COLUMN @extschema@.calendar_year.source IS 'the notice the year comes from, e.g. 国务院办公厅关于2027年部分节假日安排的通知';
COMMENT ON COLUMN @extschema@.calendar_year.shipped IS 'the row was installed by the extension (it can be changed, not deleted)';
COMMENT ON COLUMN @extschema@.calendar_year.modified IS 'a shipped row changed since installation; pg_dump keeps rows that are not shipped or modified';

CREATE TABLE @extschema@.calendar_day (
    day         date PRIMARY KEY,
    kind        text NOT NULL,
    holiday     text,
    source      text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    year        integer NOT NULL GENERATED ALWAYS AS (extract(year FROM day)::integer) STORED
                REFERENCES @extschema@.calendar_year (year) ON DELETE CASCADE,
    CONSTRAINT "calendar day kind is off or work" CHECK (kind IN ('off', 'work'))
);
COMMENT ON TABLE @extschema@.calendar_day IS
    'exception days of the loaded years: off = holiday (节假日), work = a weekend day made a working day (调休); days not listed follow Monday-Friday. A row that repeats the plain rule is allowed (notices list whole holiday periods)';
COMMENT ON COLUMN @extschema@.calendar_day.holiday IS 'the holiday the day belongs to, e.g. 春节 Spring Festival';
COMMENT ON COLUMN @extschema@.calendar_day.source IS 'where the row comes from: the notice, or the reason of a correction';
COMMENT ON COLUMN @extschema@.calendar_day.year IS 'the calendar year of the day; must be loaded in calendar_year';

-- ---- shipped rows: changeable, not deletable, restore-safe (see 15_shipped.sql) ----
CREATE TRIGGER calendar_year_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.calendar_year
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('year',
        'Reload the year with supervise.load_calendar(year, days, replace => true).');
CREATE TRIGGER calendar_day_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.calendar_day
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('day',
        'Correct a day with supervise.set_calendar_day(day, kind), or reload a year with supervise.load_calendar(year, days, replace => true).');

-- ---- the per-backend cache: every change tells every session to reload ----
CREATE FUNCTION @extschema@.calendar_invalidate() RETURNS trigger
    AS 'MODULE_PATHNAME', 'supervise_calendar_invalidate'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.calendar_invalidate() IS
    'statement trigger: sends a relcache invalidation for the calendar table, so every session reloads its cached calendar at its next call';
CREATE TRIGGER calendar_year_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.calendar_invalidate();
CREATE TRIGGER calendar_day_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_day
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.calendar_invalidate();

SELECT pg_catalog.pg_extension_config_dump('@extschema@.calendar_year', 'WHERE NOT shipped OR modified');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.calendar_day', 'WHERE NOT shipped OR modified');

-- ---- working-day functions (C) ----
--
-- No SET search_path on these: their only SQL is the cache load, which names
-- @extschema@ and pg_catalog explicitly (looked up from the function's own schema), so the
-- caller's search_path cannot change them; a SET clause would save and restore a GUC on every
-- call, several times the cost of the function itself (see bench/calendar.sh).
-- STABLE (they read the calendar tables), STRICT (NULL in, NULL out), PARALLEL SAFE: a parallel
-- worker builds its own cache through SPI from the shared snapshot, and never writes.

CREATE FUNCTION @extschema@.is_workday(day date) RETURNS boolean
    AS 'MODULE_PATHNAME', 'supervise_is_workday'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_workday(date) IS
    'true when the day is a working day (工作日) under the loaded holiday notices; error naming the year when it is not loaded';

CREATE FUNCTION @extschema@.add_workdays(day date, n integer) RETURNS date
    AS 'MODULE_PATHNAME', 'supervise_add_workdays'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.add_workdays(date, integer) IS
    'the n-th working day after the day (the day itself not counted); n = 0 returns the day; negative n counts backwards';

CREATE FUNCTION @extschema@.workdays_between(from_day date, to_day date) RETURNS integer
    AS 'MODULE_PATHNAME', 'supervise_workdays_between'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.workdays_between(date, date) IS
    'working days in (from_day, to_day]; when to_day < from_day, minus the working days in (to_day, from_day], so that between(a, b) + between(b, c) = between(a, c)';

CREATE FUNCTION @extschema@.add_workdays_provisional(day date, n integer, OUT result date, OUT provisional boolean)
    AS 'MODULE_PATHNAME', 'supervise_add_workdays_provisional'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.add_workdays_provisional(date, integer) IS
    'add_workdays, except that days of years not loaded count by the plain Monday-Friday rule; provisional is true when that happened (provisional publication deadlines)';

CREATE FUNCTION @extschema@.calendar_cache_info(OUT loads bigint, OUT years integer, OUT valid boolean)
    AS 'MODULE_PATHNAME', 'supervise_calendar_cache_info'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.calendar_cache_info() IS
    'this session''s calendar cache: how many times it was loaded, how many years it holds, whether it is valid now';

-- ---- loading a year and correcting a day ----

CREATE FUNCTION @extschema@.load_calendar(year integer, days jsonb, source text DEFAULT NULL,
                                          replace boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    y       constant integer := load_calendar.year;
    e       jsonb;
    d       date;
    k       text;
    i       integer := 0;
    seen    date[] := '{}';
    src     text := coalesce(load_calendar.source,
                             format('国务院办公厅关于%s年部分节假日安排的通知', load_calendar.year));
BEGIN
    IF y IS NULL OR days IS NULL OR replace IS NULL THEN
        RAISE EXCEPTION 'year, days and replace must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF y NOT BETWEEN 1900 AND 9999 THEN
        RAISE EXCEPTION 'calendar year % is out of range', y
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Years run from 1900 to 9999.';
    END IF;
    IF jsonb_typeof(days) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'days must be a JSON array, not %', jsonb_typeof(days)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass [{"day": "2027-01-01", "kind": "off", "holiday": "元旦"}, ...].';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.calendar_year cy WHERE cy.year OPERATOR(pg_catalog.=) y)
       AND NOT replace THEN
        RAISE EXCEPTION 'holiday calendar for year % is already loaded', y
            USING ERRCODE = 'unique_violation',
                  HINT = 'Pass replace => true to replace the whole year, or correct one day with supervise.set_calendar_day(day, kind).';
    END IF;

    -- validate everything before changing anything
    FOR e IN SELECT value FROM jsonb_array_elements(days) LOOP
        i := i + 1;
        IF jsonb_typeof(e) IS DISTINCT FROM 'object' OR NOT e ? 'day' OR NOT e ? 'kind' THEN
            RAISE EXCEPTION 'element % of days is not an object with "day" and "kind": %', i, e
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        d := (e->>'day')::date;
        k := e->>'kind';
        IF NOT isfinite(d) OR extract(year FROM d)::integer IS DISTINCT FROM y THEN
            RAISE EXCEPTION 'day % is not in year %', d, y
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF k IS NULL OR k NOT IN ('off', 'work') THEN
            RAISE EXCEPTION 'invalid calendar day kind "%" for %', k, d
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A day is "off" (a holiday) or "work" (a weekend day made a working day, 调休).';
        END IF;
        IF d = ANY (seen) THEN
            RAISE EXCEPTION 'day % appears twice in days', d
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        seen := seen || d;
    END LOOP;
    IF i = 0 THEN
        RAISE WARNING 'no exception days given for year %: every day will follow Monday-Friday', y;
    END IF;

    INSERT INTO @extschema@.calendar_year AS cy (year, loaded_on, source, shipped)
        VALUES (y, current_date, src, false)
        ON CONFLICT ON CONSTRAINT calendar_year_pkey DO UPDATE SET loaded_on = excluded.loaded_on, source = excluded.source;

    IF replace THEN
        -- days of the old notice that the new one does not list: local rows go; shipped rows
        -- cannot be deleted (see shipped_row_guard), so they are set to the plain rule
        DELETE FROM @extschema@.calendar_day cd
         WHERE cd.year OPERATOR(pg_catalog.=) y AND NOT cd.shipped AND cd.day <> ALL (seen);
        UPDATE @extschema@.calendar_day cd
           SET kind = CASE WHEN extract(isodow FROM cd.day) < 6 THEN 'work' ELSE 'off' END,
               holiday = NULL, source = src
         WHERE cd.year OPERATOR(pg_catalog.=) y AND cd.shipped AND cd.day <> ALL (seen);
    END IF;

    INSERT INTO @extschema@.calendar_day AS cd (day, kind, holiday, source, shipped)
    SELECT (x->>'day')::date, x->>'kind', x->>'holiday', src, false
      FROM jsonb_array_elements(days) AS x
        ON CONFLICT ON CONSTRAINT calendar_day_pkey DO UPDATE
       SET kind = excluded.kind, holiday = excluded.holiday, source = excluded.source;
    RETURN i;
END
$$;
COMMENT ON FUNCTION @extschema@.load_calendar(integer, jsonb, text, boolean) IS
    'loads a year''s holiday notice: days is a JSON array of {"day", "kind" off|work, "holiday"}; returns the number of days; replace => true replaces a loaded year. Due dates of unpublished and provisional publication items are recomputed';

CREATE FUNCTION @extschema@.set_calendar_day(day date, kind text, holiday text DEFAULT NULL,
                                             source text DEFAULT 'correction')
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d constant date := set_calendar_day.day;
    y integer;
BEGIN
    IF d IS NULL OR set_calendar_day.kind IS NULL THEN
        RAISE EXCEPTION 'day and kind must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(d) THEN
        RAISE EXCEPTION 'working days are not defined for date "%"', d
            USING ERRCODE = 'datetime_field_overflow';
    END IF;
    IF set_calendar_day.kind NOT IN ('off', 'work') THEN
        RAISE EXCEPTION 'invalid calendar day kind "%"', set_calendar_day.kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A day is "off" (a holiday) or "work" (a working day).';
    END IF;
    y := extract(year FROM d)::integer;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.calendar_year cy WHERE cy.year OPERATOR(pg_catalog.=) y) THEN
        RAISE EXCEPTION 'holiday calendar for year % is not loaded', y
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Load the %s holiday notice with supervise.load_calendar(%s, ...) first.', y, y);
    END IF;
    INSERT INTO @extschema@.calendar_day AS cd (day, kind, holiday, source, shipped)
        VALUES (d, set_calendar_day.kind, set_calendar_day.holiday, set_calendar_day.source, false)
        ON CONFLICT ON CONSTRAINT calendar_day_pkey DO UPDATE
       SET kind = excluded.kind, holiday = excluded.holiday, source = excluded.source;
END
$$;
COMMENT ON FUNCTION @extschema@.set_calendar_day(date, text, text, text) IS
    'corrects one day of a loaded year: kind off (holiday) or work; the plain Monday-Friday status can be restored by setting it explicitly';

-- ---- publication deadlines (公示时限) ----

CREATE TABLE @extschema@.publication_rule (
    event       text PRIMARY KEY,
    amount      integer NOT NULL,
    unit        text NOT NULL DEFAULT 'workday',
    basis       text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    CONSTRAINT "publication event is a lower-case name" CHECK (event ~ '^[a-z][a-z_]*$'),
    CONSTRAINT "publication amount is between 0 and 366" CHECK (amount BETWEEN 0 AND 366),
    CONSTRAINT "publication unit is workday or day" CHECK (unit IN ('workday', 'day'))
);
COMMENT ON TABLE @extschema@.publication_rule IS
    'publication deadlines (公示时限): an event is published within amount working days (workday) or calendar days (day) after it; the period starts the day after the event. Defaults from Fushun (002 §三(八))';
INSERT INTO @extschema@.publication_rule (event, amount, unit, basis, shipped) VALUES
    ('plan',        10, 'workday', '抽查计划经批准后10个工作日内公示 (002 §三(八))', true),
    ('task',        10, 'workday', '抽查任务经批准后10个工作日内公示 (002 §三(八))', true),
    ('target_list', 10, 'workday', '抽取检查对象名单后10个工作日内公示，临时任务与名单一并公示 (002 §三(八))', true),
    ('result',      10, 'workday', '检查结果形成后10个工作日内公示 (002 §三(八))', true),
    ('disposal',     7, 'workday', '行政处理决定作出后7个工作日内公示 (002 §三(八))', true);

CREATE TRIGGER publication_rule_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.publication_rule
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('event', 'Change its amount or unit instead.');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication_rule', 'WHERE NOT shipped OR modified');

CREATE FUNCTION @extschema@.publication_rule_for(event text) RETURNS @extschema@.publication_rule
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule;
BEGIN
    SELECT * INTO r FROM @extschema@.publication_rule pr WHERE pr.event OPERATOR(pg_catalog.=) publication_rule_for.event;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown publication event "%"', publication_rule_for.event
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known events: ' || (SELECT string_agg(pr.event, ', ' ORDER BY pr.event) FROM @extschema@.publication_rule pr) || '.',
                  HINT = 'Add a row to supervise.publication_rule for a new event.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_rule_for(text) IS
    'the publication_rule row of an event; error listing the known events when there is none';

CREATE FUNCTION @extschema@.publication_deadline(event text, event_date date) RETURNS date
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule := @extschema@.publication_rule_for(event);
BEGIN
    IF r.unit = 'day' THEN
        RETURN event_date + r.amount;
    END IF;
    RETURN @extschema@.add_workdays(event_date, r.amount);
END
$$;
COMMENT ON FUNCTION @extschema@.publication_deadline(text, date) IS
    'last day to publish an event (plan, task, target_list, result, disposal) that happened on event_date, by supervise.publication_rule; error naming the year when the calendar is not loaded';

CREATE FUNCTION @extschema@.publication_due(event text, event_date date, OUT due_on date, OUT provisional boolean)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule := @extschema@.publication_rule_for(event);
BEGIN
    IF r.unit = 'day' THEN
        due_on := event_date + r.amount;
        provisional := false;
    ELSE
        SELECT p.result, p.provisional INTO due_on, provisional
          FROM @extschema@.add_workdays_provisional(event_date, r.amount) p;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_due(text, date) IS
    'publication_deadline that never fails for a year not loaded: such days count Monday-Friday and provisional is true';

-- ---- src/sql/41_calendar_data.sql ----
-- Generated by tools/gen_calendar_sql.py from data/cn_calendar.csv. Do not edit.
-- The State Council holiday notices for 2019-2026: holidays (off) and adjusted working days (work).

INSERT INTO @extschema@.calendar_year (year, source, shipped) VALUES
    (2019, '国务院办公厅关于2019年部分节假日安排的通知', true),
    (2020, '国务院办公厅关于2020年部分节假日安排的通知', true),
    (2021, '国务院办公厅关于2021年部分节假日安排的通知', true),
    (2022, '国务院办公厅关于2022年部分节假日安排的通知', true),
    (2023, '国务院办公厅关于2023年部分节假日安排的通知', true),
    (2024, '国务院办公厅关于2024年部分节假日安排的通知', true),
    (2025, '国务院办公厅关于2025年部分节假日安排的通知', true),
    (2026, '国务院办公厅关于2026年部分节假日安排的通知', true);

INSERT INTO @extschema@.calendar_day (day, kind, holiday, source, shipped) VALUES
    ('2019-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-02', 'work', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-03', 'work', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-04', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-05', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-06', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-07', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-08', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-09', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-02-10', 'off', '春节 Spring Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-04-06', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-04-07', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-04-28', 'work', '劳动节 Labour Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-05-05', 'work', '劳动节 Labour Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-06-07', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-06-08', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-06-09', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-09-13', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-09-14', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-09-15', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-09-29', 'work', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-01', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-02', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-03', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-04', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-05', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-06', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-07', 'off', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2019-10-12', 'work', '国庆节 National Day', '国务院办公厅关于2019年部分节假日安排的通知', true),
    ('2020-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-19', 'work', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-24', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-25', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-26', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-27', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-28', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-29', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-30', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-01-31', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-02-01', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-02-02', 'off', '春节 Spring Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-04-04', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-04-06', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-04-26', 'work', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-05-05', 'off', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-05-09', 'work', '劳动节 Labour Day', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-06-25', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-06-26', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-06-27', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-06-28', 'work', '端午节 Dragon Boat Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-09-27', 'work', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-01', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-02', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-03', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-04', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-05', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-06', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-07', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-08', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2020-10-10', 'work', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2020年部分节假日安排的通知', true),
    ('2021-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-01-02', 'off', '元旦 New Year''s Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-01-03', 'off', '元旦 New Year''s Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-07', 'work', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-11', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-12', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-13', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-14', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-15', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-16', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-17', 'off', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-02-20', 'work', '春节 Spring Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-04-03', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-04-04', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-04-25', 'work', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-05-05', 'off', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-05-08', 'work', '劳动节 Labour Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-06-12', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-06-13', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-06-14', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-09-18', 'work', '中秋节 Mid-autumn Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-09-19', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-09-20', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-09-21', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-09-26', 'work', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-01', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-02', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-03', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-04', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-05', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-06', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-07', 'off', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2021-10-09', 'work', '国庆节 National Day', '国务院办公厅关于2021年部分节假日安排的通知', true),
    ('2022-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-01-02', 'off', '元旦 New Year''s Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-01-03', 'off', '元旦 New Year''s Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-01-29', 'work', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-01-30', 'work', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-01-31', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-02-01', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-02-02', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-02-03', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-02-04', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-02-05', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-02-06', 'off', '春节 Spring Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-04-02', 'work', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-04-03', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-04-04', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-04-24', 'work', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-04-30', 'off', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-05-07', 'work', '劳动节 Labour Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-06-03', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-06-04', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-06-05', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-09-10', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-09-11', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-09-12', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-01', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-02', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-03', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-04', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-05', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-06', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-07', 'off', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-08', 'work', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-10-09', 'work', '国庆节 National Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2022-12-31', 'off', '元旦 New Year''s Day', '国务院办公厅关于2022年部分节假日安排的通知', true),
    ('2023-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-02', 'off', '元旦 New Year''s Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-21', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-22', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-23', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-24', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-25', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-26', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-27', 'off', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-28', 'work', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-01-29', 'work', '春节 Spring Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-04-23', 'work', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-04-29', 'off', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-04-30', 'off', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-05-06', 'work', '劳动节 Labour Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-06-22', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-06-23', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-06-24', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-06-25', 'work', '端午节 Dragon Boat Festival', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-09-29', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-09-30', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-01', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-02', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-03', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-04', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-05', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-06', 'off', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-07', 'work', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-10-08', 'work', '中秋节、国庆节 Mid-autumn Festival & National Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-12-30', 'off', '元旦 New Year''s Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2023-12-31', 'off', '元旦 New Year''s Day', '国务院办公厅关于2023年部分节假日安排的通知', true),
    ('2024-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-04', 'work', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-10', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-11', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-12', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-13', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-14', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-15', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-16', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-17', 'off', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-02-18', 'work', '春节 Spring Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-04-04', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-04-06', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-04-07', 'work', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-04-28', 'work', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-05-05', 'off', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-05-11', 'work', '劳动节 Labour Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-06-10', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-09-14', 'work', '中秋节 Mid-autumn Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-09-15', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-09-16', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-09-17', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-09-29', 'work', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-01', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-02', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-03', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-04', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-05', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-06', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-07', 'off', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2024-10-12', 'work', '国庆节 National Day', '国务院办公厅关于2024年部分节假日安排的通知', true),
    ('2025-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-01-26', 'work', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-01-28', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-01-29', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-01-30', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-01-31', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-02-01', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-02-02', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-02-03', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-02-04', 'off', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-02-08', 'work', '春节 Spring Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-04-04', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-04-06', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-04-27', 'work', '劳动节 Labour Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-05-05', 'off', '劳动节 Labour Day', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-05-31', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-06-01', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-06-02', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-09-28', 'work', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-01', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-02', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-03', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-04', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-05', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-06', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-07', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-08', 'off', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2025-10-11', 'work', '国庆节、中秋节 National Day & Mid-autumn Festival', '国务院办公厅关于2025年部分节假日安排的通知', true),
    ('2026-01-01', 'off', '元旦 New Year''s Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-01-02', 'off', '元旦 New Year''s Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-01-03', 'off', '元旦 New Year''s Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-01-04', 'work', '元旦 New Year''s Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-14', 'work', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-15', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-16', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-17', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-18', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-19', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-20', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-21', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-22', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-23', 'off', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-02-28', 'work', '春节 Spring Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-04-04', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-04-05', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-04-06', 'off', '清明节 Qingming Festival (Tomb-sweeping Day)', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-05-01', 'off', '劳动节 Labour Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-05-02', 'off', '劳动节 Labour Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-05-03', 'off', '劳动节 Labour Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-05-04', 'off', '劳动节 Labour Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-05-05', 'off', '劳动节 Labour Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-05-09', 'work', '劳动节 Labour Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-06-19', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-06-20', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-06-21', 'off', '端午节 Dragon Boat Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-09-20', 'work', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-09-25', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-09-26', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-09-27', 'off', '中秋节 Mid-autumn Festival', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-01', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-02', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-03', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-04', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-05', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-06', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-07', 'off', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true),
    ('2026-10-10', 'work', '国庆节 National Day', '国务院办公厅关于2026年部分节假日安排的通知', true);

-- ---- src/sql/50_draw.sql ----
-- =====================================================================================
-- Draws (双随机, the first random: targets). Reproducible and publicly verifiable: the algorithm
-- is published in doc/draw-algorithm.md, every draw records its seed, its eligible population
-- (compact) and that population's digest, and anyone can re-run it (verify_draw, or
-- tools/verify_draw.py on an export). C in src/core/draw.c, src/pg/draw_fn.c, src/pg/sample_agg.c.
-- =====================================================================================

-- ---- building blocks in C ---------------------------------------------------------------

CREATE FUNCTION @extschema@.seed_from(text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'draw_seed_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.seed_from(text) IS
    'a draw seed from a published text (e.g. a lottery result announced after the task): SHA-256 of the text in UTF-8, 32 bytes';

CREATE FUNCTION @extschema@.random_seed() RETURNS bytea
    AS 'MODULE_PATHNAME', 'draw_random_seed' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.random_seed() IS
    '32 bytes from the server''s strong random source (pg_strong_random): the seed of a draw made with seed => NULL';

CREATE FUNCTION @extschema@.draw_digest(id text, seed bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'draw_digest_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.draw_digest(text, bytea) IS
    'the sha256-v1 row digest d = SHA-256(B || id), B = "supervise/draw/v1" || 0x00 || seed padded with zeros to 64 bytes; rows with the smallest d are drawn';

CREATE FUNCTION @extschema@.population_agg_sfunc(internal, @extschema@.uscc, text, double precision) RETURNS internal
    AS 'MODULE_PATHNAME', 'population_agg_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.population_agg_final(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_agg_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision) (
    SFUNC = @extschema@.population_agg_sfunc,
    STYPE = internal,
    FINALFUNC = @extschema@.population_agg_final,
    FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.population_agg_sfunc(internal, @extschema@.uscc, text, double precision) IS 'transition function of population_agg';
COMMENT ON FUNCTION @extschema@.population_agg_final(internal) IS 'final function of population_agg: sorts and serialises';
COMMENT ON AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision) IS
    'the compact form of a draw population (code, stratum, weight) as recorded in draw_record.population: strata in name order, codes in order, 12 bytes a code (+ 8 for a weight); weights all NULL or all > 0; see doc/draw-algorithm.md';

CREATE FUNCTION @extschema@.population_strata(population bytea, OUT stratum text, OUT n bigint) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'population_strata' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION @extschema@.population_strata(bytea) IS
    'the strata of a compact population and their sizes N_h, in name order';

CREATE FUNCTION @extschema@.population_rows(population bytea, OUT uscc @extschema@.uscc, OUT stratum text, OUT weight double precision)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'population_rows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.population_rows(bytea) IS
    'the rows of a compact population: stratum by stratum in name order, codes in order; weight NULL for an unweighted population';

CREATE FUNCTION @extschema@.draw_select(population bytea, seed bytea, algorithm text, strata text[], k integer[],
        OUT population_digest bytea, OUT uscc @extschema@.uscc[], OUT stratum text[], OUT rank integer[])
    AS 'MODULE_PATHNAME', 'draw_select' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.draw_select(bytea, bytea, text, text[], integer[]) IS
    'runs a draw algorithm (sha256-v1, sha256-v1-weighted, rfc3797) over a compact population with k[i] targets from stratum strata[i] (strata not named: none); returns the population digest and the targets, stratum by stratum in rank order. draw() and verify_draw() both use it';

CREATE FUNCTION @extschema@.rfc3797_select(pool_size integer, k integer, key text) RETURNS integer[]
    AS 'MODULE_PATHNAME', 'rfc3797_select_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfc3797_select(integer, integer, text) IS
    'IETF RFC 3797 publicly verifiable selection: k distinct 1-based positions of a pool 1..pool_size in selection order; selection i uses MD5(i as 2 bytes big-endian || key || the same 2 bytes) modulo the positions left; key is built as the RFC says, e.g. ''9319./2.5.8.10.12./9.18.26.34.41.45./''; k <= 65536';

-- sample_agg: the same selection over any query, parallel-safe
CREATE FUNCTION @extschema@.sample_agg_sfunc(internal, text, double precision, integer, bytea) RETURNS internal
    AS 'MODULE_PATHNAME', 'sample_agg_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.sample_agg_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'sample_agg_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.sample_agg_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'sample_agg_serial' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sample_agg_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'sample_agg_deserial' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sample_agg_final(internal) RETURNS text[]
    AS 'MODULE_PATHNAME', 'sample_agg_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE @extschema@.sample_agg(id text, weight double precision, k integer, seed bytea) (
    SFUNC = @extschema@.sample_agg_sfunc,
    STYPE = internal,
    COMBINEFUNC = @extschema@.sample_agg_combine,
    SERIALFUNC = @extschema@.sample_agg_serial,
    DESERIALFUNC = @extschema@.sample_agg_deserial,
    FINALFUNC = @extschema@.sample_agg_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.sample_agg_sfunc(internal, text, double precision, integer, bytea) IS 'transition function of sample_agg';
COMMENT ON FUNCTION @extschema@.sample_agg_combine(internal, internal) IS 'combine function of sample_agg (merges two bounded heaps)';
COMMENT ON FUNCTION @extschema@.sample_agg_serial(internal) IS 'serialises a sample_agg state (see src/core/draw.h)';
COMMENT ON FUNCTION @extschema@.sample_agg_deserial(bytea, internal) IS 'deserialises a sample_agg state, checking every size first';
COMMENT ON FUNCTION @extschema@.sample_agg_final(internal) IS 'final function of sample_agg: the kept ids in rank order';
COMMENT ON AGGREGATE @extschema@.sample_agg(text, double precision, integer, bytea) IS
    'sha256-v1 selection of k ids with a 32-byte seed: the k smallest d = SHA-256(B || id), or with weights (all > 0) the k smallest -ln(u)/w; ids in rank order; NULL weights on every row = unweighted, a mix is an error; k and seed the same on every row. Independent of row order and of parallel workers';

-- ---- eligibility ---------------------------------------------------------------------------

-- The eligible population of a task (可抽取的检查对象): its directory's members (or every subject
-- when it has no directory) that are active. This is the one place that decides eligibility; the
-- limits on repeated checks (SPEC section 4) extend it here.
-- Written without SET search_path on purpose: a SQL set-returning function with SET is never
-- inlined, and draw() over millions of rows needs it inlined into the aggregate query (else the
-- rows are first copied into a tuplestore). Every name in the body is schema-qualified instead.
CREATE FUNCTION @extschema@.eligible_population(task_id bigint)
    RETURNS TABLE (uscc @extschema@.uscc, credit_class text, weight double precision)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT s.uscc, s.credit_class, s.risk_level::double precision
      FROM @extschema@.task t
      JOIN @extschema@.subject s ON t.directory_id IS NULL
     WHERE t.id OPERATOR(pg_catalog.=) $1
       AND s.status OPERATOR(pg_catalog.=) 'active'
    UNION ALL
    SELECT s.uscc, s.credit_class, s.risk_level::double precision
      FROM @extschema@.task t
      JOIN @extschema@.directory_member m ON m.directory_id OPERATOR(pg_catalog.=) t.directory_id
      JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) m.uscc
     WHERE t.id OPERATOR(pg_catalog.=) $1
       AND s.status OPERATOR(pg_catalog.=) 'active'
$$;
COMMENT ON FUNCTION @extschema@.eligible_population(bigint) IS
    'the subjects a task may draw (可抽取对象): members of its directory, or all subjects when it has none, that are active; with credit_class (the stratum) and weight (risk_level, used by sha256-v1-weighted). The one place eligibility is decided';

-- ---- the record ------------------------------------------------------------------------------

CREATE TABLE @extschema@.draw_record (
    id                  bigserial PRIMARY KEY,
    task_id             bigint NOT NULL REFERENCES @extschema@.task,
    algorithm           text NOT NULL,
    seed                bytea NOT NULL,
    seed_source         text NOT NULL,
    drawn_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
    drawn_by            name NOT NULL DEFAULT @extschema@.acting_role(),
    population_size     bigint NOT NULL,
    population_digest   bytea NOT NULL,
    allocation          jsonb NOT NULL,
    target_count        integer NOT NULL,
    population          bytea NOT NULL,
    cancelled_at        timestamptz,
    cancelled_by        name,
    cancel_reason       text,
    CONSTRAINT "draw algorithm is sha256-v1, sha256-v1-weighted or rfc3797"
        CHECK (algorithm IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797')),
    CONSTRAINT "draw seed is 32 bytes" CHECK (octet_length(seed) = 32),
    CONSTRAINT "draw seed_source is given or random" CHECK (seed_source IN ('given', 'random')),
    CONSTRAINT "draw population_digest is 32 bytes" CHECK (octet_length(population_digest) = 32),
    CONSTRAINT "draw sizes are not negative" CHECK (population_size >= 0 AND target_count >= 0),
    CONSTRAINT "a cancelled draw has a time, a canceller and a reason" CHECK (
        (cancelled_at IS NULL AND cancelled_by IS NULL AND cancel_reason IS NULL)
        OR (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL AND btrim(cancel_reason) <> ''))
);
-- the population is high-entropy binary: compressing it costs time and saves little
ALTER TABLE @extschema@.draw_record ALTER COLUMN population SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX draw_record_one_live_draw_per_task ON @extschema@.draw_record (task_id) WHERE cancelled_at IS NULL;
COMMENT ON TABLE @extschema@.draw_record IS
    'one draw of a task''s targets (抽取记录, 全程留痕): algorithm, seed, who and when, the eligible population (compact) with its size and SHA-256 digest, and the allocation per stratum. Never updated or deleted; a draw can only be cancelled (cancel_draw), which keeps it';
COMMENT ON COLUMN @extschema@.draw_record.seed IS '32 bytes; given by the caller (e.g. seed_from of a published lottery result) or, when seed_source = random, from pg_strong_random';
COMMENT ON COLUMN @extschema@.draw_record.population_digest IS
    'SHA-256 of the population as text lines "code,stratum\n" (weighted: "code,stratum,weight\n", weight as %.17g), strata in name order, codes in order';
COMMENT ON COLUMN @extschema@.draw_record.allocation IS
    'per stratum: {"stratum", "n" (eligible N_h), "ratio" or "size", "k" (drawn)}; k = min(N_h, ceil(ratio x N_h)) in exact decimal arithmetic; a class without a ratio is recorded with k 0';
COMMENT ON COLUMN @extschema@.draw_record.population IS
    'the eligible population in compact form (population_agg): export it with draw_population(draw_id)';

CREATE TABLE @extschema@.draw_target (
    draw_id     bigint NOT NULL REFERENCES @extschema@.draw_record,
    uscc        @extschema@.uscc NOT NULL,
    stratum     text NOT NULL,
    rank        integer NOT NULL,
    PRIMARY KEY (draw_id, uscc),
    CONSTRAINT "one target per rank in a stratum of a draw" UNIQUE (draw_id, stratum, rank),
    CONSTRAINT "draw target rank is positive" CHECK (rank > 0)
);
CREATE INDEX draw_target_uscc_idx ON @extschema@.draw_target (uscc);
COMMENT ON TABLE @extschema@.draw_target IS
    'the drawn targets (抽取结果) of a draw, with their stratum (credit class, or "all") and rank within it (1 = smallest key). Never updated or deleted';

CREATE TABLE @extschema@.assignment (
    draw_id         bigint NOT NULL,
    uscc            @extschema@.uscc NOT NULL,
    inspector_id    bigint NOT NULL REFERENCES @extschema@.inspector,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    direct          boolean NOT NULL DEFAULT false,
    reason          text,
    assigned_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    assigned_by     name NOT NULL DEFAULT @extschema@.acting_role(),
    PRIMARY KEY (draw_id, uscc, inspector_id),
    FOREIGN KEY (draw_id, uscc) REFERENCES @extschema@.draw_target,
    CONSTRAINT "a direct assignment gives its reason" CHECK (NOT direct OR btrim(reason) <> '')
);
CREATE INDEX assignment_inspector_idx ON @extschema@.assignment (inspector_id);
COMMENT ON TABLE @extschema@.assignment IS
    'inspectors matched to drawn targets (双随机, the second random: 执法检查人员随机匹配), per department of the task''s items; direct = assigned by hand in a special case, with the reason kept';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.draw_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.draw_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.draw_target', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.assignment', '');

-- ---- draws are kept: no update, no delete, no truncate; cancelling sets the cancel columns once

CREATE FUNCTION @extschema@.draw_record_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.cancelled_at IS NULL AND NEW.cancelled_at IS NOT NULL
       AND (NEW.id, NEW.task_id, NEW.algorithm, NEW.seed, NEW.seed_source, NEW.drawn_at, NEW.drawn_by,
            NEW.population_size, NEW.population_digest, NEW.allocation, NEW.target_count, NEW.population)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.task_id, OLD.algorithm, OLD.seed, OLD.seed_source, OLD.drawn_at, OLD.drawn_by,
            OLD.population_size, OLD.population_digest, OLD.allocation, OLD.target_count, OLD.population)
    THEN
        -- the one change allowed: cancelling, stamped with the real time and user
        NEW.cancelled_at := pg_catalog.now();
        NEW.cancelled_by := @extschema@.acting_role();
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'draw records cannot be changed or deleted'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = pg_catalog.format('%s on draw %s was refused.', TG_OP, OLD.id),
              HINT = 'A draw is kept as it was made. Cancel it with supervise.cancel_draw(draw_id, reason).';
END
$$;
COMMENT ON FUNCTION @extschema@.draw_record_guard() IS
    'trigger: draw records are never changed or deleted; the only update allowed sets the cancel columns of a live draw (stamping the time and user)';
CREATE TRIGGER draw_record_guard BEFORE UPDATE OR DELETE ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_record_guard();

CREATE FUNCTION @extschema@.draw_kept_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = pg_catalog.format('%s on %s was refused.', TG_OP, TG_TABLE_NAME),
              HINT = 'A draw is kept as it was made. Cancel it with supervise.cancel_draw(draw_id, reason) and draw again.';
END
$$;
COMMENT ON FUNCTION @extschema@.draw_kept_guard() IS 'trigger: refuses UPDATE, DELETE and TRUNCATE on kept draw data';
CREATE TRIGGER draw_target_guard BEFORE UPDATE OR DELETE ON @extschema@.draw_target
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_kept_guard();
CREATE TRIGGER draw_target_no_truncate BEFORE TRUNCATE ON @extschema@.draw_target
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.draw_kept_guard();
CREATE TRIGGER draw_record_no_truncate BEFORE TRUNCATE ON @extschema@.draw_record
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.draw_kept_guard();

-- ---- draw(), cancel_draw(), verify_draw(), draw_population() ---------------------------------

-- k per stratum from an allocation: min(n, ceil(ratio x n)) in numeric, or min(n, size)
CREATE FUNCTION @extschema@.stratum_k(n bigint, ratio numeric, size integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    RETURN CASE
        WHEN ratio IS NOT NULL THEN LEAST(n, pg_catalog.ceil(ratio OPERATOR(pg_catalog.*) n))::integer
        WHEN size IS NOT NULL THEN LEAST(n, size::bigint)::integer
        ELSE 0 END;
COMMENT ON FUNCTION @extschema@.stratum_k(bigint, numeric, integer) IS
    'targets of a stratum of n eligible rows: min(n, ceil(ratio x n)) in exact decimal arithmetic (ratios are minimums, 不低于), else min(n, size), else 0';

CREATE FUNCTION @extschema@.draw(task_id bigint, seed bytea DEFAULT NULL, algorithm text DEFAULT 'sha256-v1')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t           record;
    has_strata  boolean;
    weighted    boolean := (algorithm IS NOT DISTINCT FROM 'sha256-v1-weighted');
    pop         bytea;
    alloc       jsonb;
    strata      text[];
    ks          integer[];
    sel         record;
    live        bigint;
    new_id      bigint;
    source      text := 'given';
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION 'task_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797') THEN
        RAISE EXCEPTION 'unknown draw algorithm: "%"', algorithm
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The algorithms are sha256-v1 (default), sha256-v1-weighted (weight = risk_level) and rfc3797.';
    END IF;
    IF seed IS NOT NULL AND octet_length(seed) <> 32 THEN
        RAISE EXCEPTION 'seed must be 32 bytes, not %', octet_length(seed)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use supervise.seed_from(text) to make a seed from a published text, or pass NULL for a random one.';
    END IF;

    PERFORM @extschema@.require_task_access(draw.task_id, 'draw');
    -- the task row is locked, so two draws of one task queue up and the second sees the first
    SELECT tk.*, p.year AS plan_year INTO t
      FROM supervise.task tk LEFT JOIN supervise.plan p ON p.id = tk.plan_id
     WHERE tk.id = draw.task_id
       FOR NO KEY UPDATE OF tk;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', task_id USING ERRCODE = 'undefined_object';
    END IF;
    IF t.approved_on IS NULL THEN
        RAISE EXCEPTION 'task % is not approved', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A task is drawn after approval: set supervise.task.approved_on first.';
    END IF;
    -- (the task trigger keeps a task inside its plan's year; checked again for rows loaded around it)
    IF t.plan_year IS NOT NULL AND t.plan_year <> extract(year FROM t.period_start)::integer THEN
        RAISE EXCEPTION 'task % lies in the year %, but its plan % is for the year %',
                task_id, extract(year FROM t.period_start)::integer, t.plan_id, t.plan_year
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Put the task in a plan of its own year.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervise.task_item i WHERE i.task_id = draw.task_id) THEN
        RAISE EXCEPTION 'task % has no check items', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Add the task''s items to supervise.task_item before drawing.';
    END IF;
    has_strata := EXISTS (SELECT 1 FROM supervise.task_stratum s WHERE s.task_id = draw.task_id);
    IF NOT has_strata AND t.sample_ratio IS NULL AND t.sample_size IS NULL THEN
        RAISE EXCEPTION 'task % has no sample_ratio, sample_size or strata', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Set sample_ratio or sample_size, or add per credit class ratios to supervise.task_stratum.';
    END IF;
    SELECT d.id INTO live FROM supervise.draw_record d
     WHERE d.task_id = draw.task_id AND d.cancelled_at IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already drawn (draw %)', task_id, live
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('A task is drawn once. To draw again, cancel the draw with a reason: SELECT supervise.cancel_draw(%s, ''...'').', live);
    END IF;

    IF seed IS NULL THEN
        seed := supervise.random_seed();
        source := 'random';
    END IF;

    -- the eligible population, in compact form
    SELECT supervise.population_agg(e.uscc,
                                    CASE WHEN has_strata THEN e.credit_class ELSE 'all' END,
                                    CASE WHEN weighted THEN e.weight END)
      INTO pop
      FROM supervise.eligible_population(draw.task_id) e;

    -- the allocation: per credit class with a ratio, or one stratum "all"
    IF has_strata THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'stratum', c.stratum, 'n', c.n, 'ratio', c.ratio,
                   'k', supervise.stratum_k(c.n, c.ratio, NULL)) ORDER BY c.stratum)
          INTO alloc
          FROM (SELECT coalesce(ts.credit_class, ps.stratum) AS stratum, coalesce(ps.n, 0) AS n, ts.ratio
                  FROM (SELECT * FROM supervise.task_stratum x WHERE x.task_id = draw.task_id) ts
                  FULL JOIN supervise.population_strata(pop) ps ON ps.stratum = ts.credit_class) c;
    ELSE
        SELECT pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'stratum', 'all', 'n', coalesce(ps.n, 0), 'ratio', t.sample_ratio, 'size', t.sample_size,
                   'k', supervise.stratum_k(coalesce(ps.n, 0), t.sample_ratio, t.sample_size))))
          INTO alloc
          FROM (SELECT 1) one LEFT JOIN supervise.population_strata(pop) ps ON true;
    END IF;
    SELECT coalesce(pg_catalog.array_agg(a->>'stratum' ORDER BY a->>'stratum'), '{}'),
           coalesce(pg_catalog.array_agg((a->>'k')::integer ORDER BY a->>'stratum'), '{}')
      INTO strata, ks
      FROM pg_catalog.jsonb_array_elements(alloc) a;
    IF algorithm = 'rfc3797' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(ks) x WHERE x > 65536) THEN
        RAISE EXCEPTION 'an rfc3797 draw takes at most 65536 targets per stratum'
            USING ERRCODE = 'program_limit_exceeded',
                  DETAIL = pg_catalog.format('The allocation is %s.', alloc),
                  HINT = 'Use the sha256-v1 algorithm for larger draws.';
    END IF;

    sel := supervise.draw_select(pop, seed, algorithm, strata, ks);

    INSERT INTO supervise.draw_record (task_id, algorithm, seed, seed_source, population_size, population_digest,
                                       allocation, target_count, population)
    VALUES (draw.task_id, algorithm, seed, source,
            (SELECT coalesce(sum(ps.n), 0) FROM supervise.population_strata(pop) ps),
            sel.population_digest, alloc, coalesce(pg_catalog.cardinality(sel.uscc), 0), pop)
    RETURNING id INTO new_id;
    INSERT INTO supervise.draw_target (draw_id, uscc, stratum, rank)
    SELECT new_id, u.uscc, u.stratum, u.rank
      FROM ROWS FROM (pg_catalog.unnest(sel.uscc), pg_catalog.unnest(sel.stratum), pg_catalog.unnest(sel.rank)) AS u(uscc, stratum, rank);

    -- (the trigger draw_record_publication adds the target list to the publication schedule)
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.draw(bigint, bytea, text) IS
    'draws the targets of an approved task from its eligible population (eligible_population), per credit class with task_stratum ratios or by sample_ratio / sample_size; records seed (random when NULL), population, digest and allocation in draw_record and the targets in draw_target; returns the draw id. Refused while the task has a live draw';

CREATE FUNCTION @extschema@.cancel_draw(draw_id bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d record;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a draw is cancelled only with a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the draw is cancelled; the reason is kept with it.';
    END IF;
    SELECT r.id, r.task_id, r.cancelled_at, r.cancel_reason INTO d FROM supervise.draw_record r WHERE r.id = cancel_draw.draw_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'draw % does not exist', draw_id USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_task_access(d.task_id, 'cancel draws of');
    IF d.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION 'draw % is already cancelled', draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('The reason given was: %s', d.cancel_reason);
    END IF;
    UPDATE supervise.draw_record r SET cancelled_at = pg_catalog.now(), cancelled_by = @extschema@.acting_role(), cancel_reason = reason
     WHERE r.id = cancel_draw.draw_id;
    -- (the trigger draw_record_publication takes the unpublished list off the schedule)
END
$$;
COMMENT ON FUNCTION @extschema@.cancel_draw(bigint, text) IS
    'cancels a draw with a reason (kept, with who and when); the draw and its targets stay, and the task may be drawn again';

CREATE FUNCTION @extschema@.draw_population(draw_id bigint)
    RETURNS TABLE (uscc @extschema@.uscc, stratum text, weight double precision)
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    pop bytea;
BEGIN
    SELECT r.population INTO pop FROM supervise.draw_record r WHERE r.id = draw_population.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'draw % does not exist', draw_id USING ERRCODE = 'undefined_object';
    END IF;
    RETURN QUERY SELECT p.uscc, p.stratum, p.weight FROM supervise.population_rows(pop) p;
END
$$;
COMMENT ON FUNCTION @extschema@.draw_population(bigint) IS
    'the recorded eligible population of a draw (code, stratum, weight) for export, e.g. to re-run the draw with tools/verify_draw.py; as it was when drawn, whatever changed since';

CREATE FUNCTION @extschema@.verify_draw(draw_id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r       record;
    strata  text[];
    ks      integer[];
    sel     record;
    n_pop   bigint;
BEGIN
    SELECT * INTO r FROM supervise.draw_record d WHERE d.id = verify_draw.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'draw % does not exist', draw_id USING ERRCODE = 'undefined_object';
    END IF;
    -- the allocation agrees with the recorded population and the rule for k
    IF EXISTS (SELECT 1
                 FROM pg_catalog.jsonb_array_elements(r.allocation) a
                 FULL JOIN supervise.population_strata(r.population) ps ON ps.stratum = a->>'stratum'
                WHERE a IS NULL
                   OR coalesce(ps.n, 0) <> (a->>'n')::bigint
                   OR (a->>'k')::integer IS DISTINCT FROM
                      supervise.stratum_k(coalesce(ps.n, 0), (a->>'ratio')::numeric, (a->>'size')::integer)) THEN
        RETURN false;
    END IF;
    SELECT coalesce(sum(ps.n), 0) INTO n_pop FROM supervise.population_strata(r.population) ps;
    IF n_pop <> r.population_size THEN
        RETURN false;
    END IF;
    SELECT coalesce(pg_catalog.array_agg(a->>'stratum'), '{}'), coalesce(pg_catalog.array_agg((a->>'k')::integer), '{}')
      INTO strata, ks
      FROM pg_catalog.jsonb_array_elements(r.allocation) a;
    sel := supervise.draw_select(r.population, r.seed, r.algorithm, strata, ks);
    IF sel.population_digest <> r.population_digest
       OR coalesce(pg_catalog.cardinality(sel.uscc), 0) <> r.target_count THEN
        RETURN false;
    END IF;
    -- the recorded targets are exactly the recomputed ones, with their strata and ranks
    RETURN NOT EXISTS (
        (SELECT u.uscc, u.stratum, u.rank FROM ROWS FROM (pg_catalog.unnest(sel.uscc), pg_catalog.unnest(sel.stratum), pg_catalog.unnest(sel.rank)) AS u(uscc, stratum, rank)
         EXCEPT ALL
         SELECT t.uscc, t.stratum, t.rank FROM supervise.draw_target t WHERE t.draw_id = verify_draw.draw_id)
        UNION ALL
        (SELECT t.uscc, t.stratum, t.rank FROM supervise.draw_target t WHERE t.draw_id = verify_draw.draw_id
         EXCEPT ALL
         SELECT u.uscc, u.stratum, u.rank FROM ROWS FROM (pg_catalog.unnest(sel.uscc), pg_catalog.unnest(sel.stratum), pg_catalog.unnest(sel.rank)) AS u(uscc, stratum, rank)));
END
$$;
COMMENT ON FUNCTION @extschema@.verify_draw(bigint) IS
    'true when the draw recomputes exactly from what was recorded: the population matches its digest and size, the allocation follows the rule for k, and draw_target holds exactly the recomputed targets, strata and ranks';

-- what a disclosure site publishes about each draw (公示): enough to re-run it with the export
CREATE VIEW @extschema@.v_draw_disclosure AS
SELECT d.id AS draw_id, d.task_id, d.algorithm, pg_catalog.encode(d.seed, 'hex') AS seed_hex, d.seed_source,
       d.drawn_at, d.population_size, pg_catalog.encode(d.population_digest, 'hex') AS population_digest_hex,
       d.allocation, d.target_count, d.cancelled_at, d.cancel_reason
  FROM @extschema@.draw_record d;
COMMENT ON VIEW @extschema@.v_draw_disclosure IS
    'per draw, what a disclosure site publishes so anyone can re-run it: algorithm, seed and population digest in hex, the allocation; the population itself comes from draw_population()';

-- ---- src/sql/55_match.sql ----
-- =====================================================================================
-- Matching inspectors to drawn targets (双随机, the second random: 执法检查人员随机匹配).
-- Per department of the task's items, inspectors_per_target active inspectors of that department
-- for every target, never one with a conflict of interest (回避), least-loaded first with ties
-- broken by a hash of the draw's seed; C in src/core/match.c and src/pg/match_fn.c.
-- =====================================================================================

CREATE FUNCTION @extschema@.match_compute(seed bytea, targets @extschema@.uscc[], inspector_ids bigint[],
        conflict_targets @extschema@.uscc[], conflict_inspectors bigint[],
        assigned_targets @extschema@.uscc[], assigned_inspectors bigint[],
        per_target integer, department text)
    RETURNS TABLE (uscc @extschema@.uscc, inspector_id bigint)
    AS 'MODULE_PATHNAME', 'match_compute' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.match_compute(bytea, @extschema@.uscc[], bigint[], @extschema@.uscc[], bigint[], @extschema@.uscc[], bigint[], integer, text) IS
    'one department''s matching (see doc/draw-algorithm.md): targets in the order of SHA-256(B'' || code), each gets per_target inspectors minus those already assigned, least-loaded first, ties by SHA-256(B'' || id || load), never a conflicting pair; department names the department in errors. match_inspectors() calls it';

CREATE FUNCTION @extschema@.match_inspectors(draw_id bigint) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d       record;
    dep     record;
    n       integer := 0;
    added   integer;
BEGIN
    SELECT r.id, r.seed, r.cancelled_at, t.id AS task_id, t.inspectors_per_target INTO d
      FROM supervise.draw_record r JOIN supervise.task t ON t.id = r.task_id
     WHERE r.id = match_inspectors.draw_id
       FOR UPDATE OF r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'draw % does not exist', draw_id USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_task_access(d.task_id, 'match inspectors for');
    IF d.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION 'draw % is cancelled', draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Match the inspectors of the task''s live draw.';
    END IF;
    IF EXISTS (SELECT 1 FROM supervise.assignment a WHERE a.draw_id = match_inspectors.draw_id AND NOT a.direct) THEN
        RAISE EXCEPTION 'inspectors of draw % are already matched', draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Matching is done once per draw. Assign an inspector by hand, with a reason, with supervise.assign_inspector(draw_id, uscc, inspector_id, reason).';
    END IF;

    FOR dep IN
        SELECT DISTINCT dp.id, dp.code, dp.name
          FROM supervise.task_item ti
          JOIN supervise.check_item ci ON ci.id = ti.item_id
          JOIN supervise.department dp ON dp.id = ci.department_id
         WHERE ti.task_id = d.task_id
         ORDER BY dp.id
    LOOP
        INSERT INTO supervise.assignment (draw_id, uscc, inspector_id, department_id)
        SELECT match_inspectors.draw_id, m.uscc, m.inspector_id, dep.id
          FROM supervise.match_compute(
                 d.seed,
                 (SELECT coalesce(pg_catalog.array_agg(t.uscc), '{}') FROM supervise.draw_target t
                   WHERE t.draw_id = match_inspectors.draw_id),
                 (SELECT coalesce(pg_catalog.array_agg(i.id), '{}') FROM supervise.inspector i
                   WHERE i.department_id = dep.id AND i.active),
                 (SELECT coalesce(pg_catalog.array_agg(c.uscc), '{}')
                    FROM supervise.inspector_conflict c
                    JOIN supervise.inspector i ON i.id = c.inspector_id AND i.department_id = dep.id AND i.active
                    JOIN supervise.draw_target t ON t.draw_id = match_inspectors.draw_id AND t.uscc = c.uscc),
                 (SELECT coalesce(pg_catalog.array_agg(c.inspector_id), '{}')
                    FROM supervise.inspector_conflict c
                    JOIN supervise.inspector i ON i.id = c.inspector_id AND i.department_id = dep.id AND i.active
                    JOIN supervise.draw_target t ON t.draw_id = match_inspectors.draw_id AND t.uscc = c.uscc),
                 (SELECT coalesce(pg_catalog.array_agg(a.uscc), '{}') FROM supervise.assignment a
                   WHERE a.draw_id = match_inspectors.draw_id AND a.department_id = dep.id),
                 (SELECT coalesce(pg_catalog.array_agg(a.inspector_id), '{}') FROM supervise.assignment a
                   WHERE a.draw_id = match_inspectors.draw_id AND a.department_id = dep.id),
                 d.inspectors_per_target,
                 pg_catalog.format('%s (%s)', dep.code, dep.name)) m;
        GET DIAGNOSTICS added = ROW_COUNT;
        n := n + added;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.match_inspectors(bigint) IS
    'matches inspectors to the targets of a live draw: per department of the task''s items, inspectors_per_target active inspectors of that department per target, never one with a conflict (inspector_conflict), least-loaded first with ties broken reproducibly by the draw''s seed; hand-made assignments made before count. Returns the number of assignments made. Done once per draw: a second call is refused';

CREATE FUNCTION @extschema@.assign_inspector(draw_id bigint, uscc @extschema@.uscc, inspector_id bigint, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d   record;
    i   record;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a direct assignment needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the inspector is assigned by hand (特殊情况); the reason is kept.';
    END IF;
    SELECT r.id, r.task_id, r.cancelled_at INTO d FROM supervise.draw_record r WHERE r.id = assign_inspector.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'draw % does not exist', draw_id USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_task_access(d.task_id, 'assign inspectors for');
    IF d.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION 'draw % is cancelled', draw_id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervise.draw_target t WHERE t.draw_id = assign_inspector.draw_id AND t.uscc = assign_inspector.uscc) THEN
        RAISE EXCEPTION '% is not a target of draw %', uscc, draw_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT x.id, x.department_id, x.active INTO i FROM supervise.inspector x WHERE x.id = assign_inspector.inspector_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inspector % does not exist', inspector_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT i.active THEN
        RAISE EXCEPTION 'inspector % is not active', inspector_id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervise.task_item ti JOIN supervise.check_item ci ON ci.id = ti.item_id
                    WHERE ti.task_id = d.task_id AND ci.department_id = i.department_id) THEN
        RAISE EXCEPTION 'inspector % belongs to department %, which has no items in task %', inspector_id, i.department_id, d.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM supervise.inspector_conflict c WHERE c.inspector_id = assign_inspector.inspector_id AND c.uscc = assign_inspector.uscc) THEN
        RAISE EXCEPTION 'inspector % has a conflict of interest with %', inspector_id, uscc
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'An inspector with a conflict (回避) is never assigned, not even by hand.';
    END IF;
    IF EXISTS (SELECT 1 FROM supervise.assignment a WHERE a.draw_id = assign_inspector.draw_id
                  AND a.uscc = assign_inspector.uscc AND a.inspector_id = assign_inspector.inspector_id) THEN
        RAISE EXCEPTION 'inspector % is already assigned to % in draw %', inspector_id, uscc, draw_id
            USING ERRCODE = 'unique_violation';
    END IF;
    INSERT INTO supervise.assignment (draw_id, uscc, inspector_id, department_id, direct, reason)
    VALUES (assign_inspector.draw_id, assign_inspector.uscc, assign_inspector.inspector_id, i.department_id, true, reason);
END
$$;
COMMENT ON FUNCTION @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) IS
    'assigns an inspector to a target by hand in a special case (直接指定), with the reason kept (direct = true); never an inspector with a conflict; made before match_inspectors, it counts toward inspectors_per_target';

-- ---- src/sql/60_limits.sql ----
-- =====================================================================================
-- Limits on repeated checks (DOMAIN §4, SPEC §4; doc/limits.md is the long form):
--   同一年度内对同一企业的同类检查次数不超过1次   once a year per category (same kind of check)
--   上级执法部门已检查的企业，下级应当予以排除       a superior department's check excludes the lower level
--   exempt items (告知承诺, environment, work safety, campaigns, law) and clue tasks are never limited
-- One rule, written once (v_limited_checks + the predicate in limit_conflicts/eligible_population),
-- used by exclusion_reason(), by the draw's eligible population, by a check on every drawn target,
-- and by a trigger on inspection. Concurrency: transaction-scoped advisory locks keyed by
-- (year, category) and (year, system), taken in one fixed order before the rule is evaluated.
-- =====================================================================================

-- ---- overrides of the rule -------------------------------------------------------------------
-- An override is granted before the inspection is recorded, for one (task, subject, department),
-- with a reason; the inspection trigger accepts a check the rule refuses only when it finds one,
-- and writes the earlier check it overrode onto it. Kept in a table of its own, so inspection
-- rows keep their shape.
CREATE TABLE @extschema@.limit_override (
    task_id         bigint NOT NULL REFERENCES @extschema@.task,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    reason          text NOT NULL,
    granted_by      name NOT NULL DEFAULT CURRENT_USER,
    granted_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    overridden_check text,
    used_at         timestamptz,
    PRIMARY KEY (task_id, uscc, department_id),
    CONSTRAINT "an override reason is not blank" CHECK (btrim(reason) <> '')
);
COMMENT ON TABLE @extschema@.limit_override IS
    'overrides of the limits on repeated checks: the (task, subject, department) may be checked although an earlier check of the same category this year, or a superior department''s check, excludes it; reason says why (e.g. the law that provides otherwise). Insert it before recording the inspection; the limits trigger fills overridden_check and used_at when it is used';
COMMENT ON COLUMN @extschema@.limit_override.overridden_check IS 'set when used: the reason and the earlier check that was overridden (inspection or draw, task, department, date)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.limit_override', '');

-- per-task lookups of inspections (draw_target (uscc) is indexed by the draw piece)
CREATE INDEX inspection_task_idx ON @extschema@.inspection (task_id);

-- ---- what a task's checks count for ----------------------------------------------------------------
CREATE VIEW @extschema@.v_limit_scope AS
SELECT DISTINCT t.id AS task_id, t.period_start, ci.category, ci.department_id AS item_department_id,
       d.departments AS task_departments
  FROM @extschema@.task t
  JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) t.id
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
  CROSS JOIN LATERAL (
      SELECT pg_catalog.array_agg(DISTINCT ci2.department_id) AS departments
        FROM @extschema@.task_item ti2
        JOIN @extschema@.check_item ci2 ON ci2.id OPERATOR(pg_catalog.=) ti2.item_id
       WHERE ti2.task_id OPERATOR(pg_catalog.=) t.id) d
 WHERE t.kind OPERATOR(pg_catalog.<>) 'clue' AND NOT ci.limit_exempt;
COMMENT ON VIEW @extschema@.v_limit_scope IS
    'limits: the (category, item department) pairs a task is limited by and counts for: its non-exempt items; clue tasks and exempt items have no row. task_departments = departments of all its items';

-- Every check that counts for the limits, one row per category: recorded inspections (in the year
-- of inspected_on, else of the task) and targets of live (not cancelled) draws (in the task's year).
CREATE VIEW @extschema@.v_limited_checks AS
SELECT i.uscc,
       pg_catalog.date_part('year', COALESCE(i.inspected_on, sc.period_start))::integer AS year,
       sc.category, i.department_id, sc.task_id, 'inspection'::text AS source, i.id AS source_id,
       COALESCE(i.inspected_on, sc.period_start) AS checked_on,
       EXISTS (SELECT 1 FROM @extschema@.limit_override o
                WHERE o.task_id OPERATOR(pg_catalog.=) i.task_id AND o.uscc OPERATOR(@extschema@.=) i.uscc
                  AND o.department_id OPERATOR(pg_catalog.=) i.department_id
                  AND o.used_at IS NOT NULL) AS overridden
  FROM @extschema@.inspection i
  JOIN @extschema@.v_limit_scope sc
    ON sc.task_id OPERATOR(pg_catalog.=) i.task_id
   -- an inspection counts for its own department's items of the task; one by a department without
   -- items in the task (e.g. the initiator recording for everyone) counts for all of them
   AND (sc.item_department_id OPERATOR(pg_catalog.=) i.department_id
        OR NOT (i.department_id OPERATOR(pg_catalog.=) ANY (sc.task_departments)))
UNION ALL
SELECT dt.uscc,
       pg_catalog.date_part('year', sc.period_start)::integer,
       sc.category, sc.item_department_id, sc.task_id, 'draw', dr.id,
       (dr.drawn_at AT TIME ZONE 'Asia/Shanghai')::date,
       false
  FROM @extschema@.draw_target dt
  JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id AND dr.cancelled_at IS NULL
  JOIN @extschema@.v_limit_scope sc ON sc.task_id OPERATOR(pg_catalog.=) dr.task_id;
COMMENT ON VIEW @extschema@.v_limited_checks IS
    'limits: every check that counts for the once-a-year and superior-first rules, one row per category: recorded inspections of non-clue tasks (year of inspected_on, else of the task''s period_start; per the inspecting department''s non-exempt items of the task) and targets of live draws (year of the task; per non-exempt item and its department). source is inspection or draw, source_id its id';

-- ---- a task's limit profile -----------------------------------------------------------------------
CREATE FUNCTION @extschema@.task_limit_profile(task bigint,
    OUT task_id bigint, OUT year integer, OUT limited boolean, OUT categories text[],
    OUT departments bigint[], OUT superiors bigint[], OUT systems text[])
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- plpgsql rather than sql: its plans are kept across calls (exclusion_reason runs per subject)
    SELECT t.id,
           pg_catalog.date_part('year', t.period_start)::integer,
           COALESCE(pg_catalog.cardinality(x.categories), 0) OPERATOR(pg_catalog.>) 0,
           COALESCE(x.categories, '{}'), COALESCE(x.departments, '{}'),
           -- is_superior decides; the join on system and level only narrows the candidates
           COALESCE((SELECT pg_catalog.array_agg(DISTINCT a.id ORDER BY a.id)
                       FROM @extschema@.department d
                       JOIN @extschema@.department a
                         ON a.system OPERATOR(pg_catalog.=) d.system AND a.level OPERATOR(pg_catalog.<) d.level
                      WHERE d.id OPERATOR(pg_catalog.=) ANY (x.departments)
                        AND @extschema@.is_superior(a.id, d.id)), '{}'),
           COALESCE((SELECT pg_catalog.array_agg(DISTINCT d.system ORDER BY d.system)
                       FROM @extschema@.department d
                      WHERE d.id OPERATOR(pg_catalog.=) ANY (x.departments)), '{}')
      FROM @extschema@.task t
      CROSS JOIN LATERAL (
          SELECT pg_catalog.array_agg(DISTINCT sc.category ORDER BY sc.category) AS categories,
                 pg_catalog.array_agg(DISTINCT sc.item_department_id ORDER BY sc.item_department_id) AS departments
            FROM @extschema@.v_limit_scope sc WHERE sc.task_id OPERATOR(pg_catalog.=) t.id) x
     WHERE t.id OPERATOR(pg_catalog.=) task
      INTO task_id, year, limited, categories, departments, superiors, systems;
    IF NOT FOUND THEN
        RETURN;     -- no row
    END IF;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.task_limit_profile(bigint) IS
    'limits: what limits a task: its year (of period_start), whether it is limited at all (not a clue task and at least one non-exempt item), the categories and departments of its non-exempt items, the departments superior to those, and their systems; no row for an unknown task';

-- ---- the lock ---------------------------------------------------------------------------------------
-- Transaction-scoped advisory locks, one per (year, category) and (year, system) of the task, taken
-- in increasing key order (so two lockers never deadlock on them). A draw, a cancel and an un-cancel
-- take them exclusively; an inspection recorded outside a draw takes them shared plus an exclusive
-- lock on (year, subject), so inspections of different subjects do not wait for each other. Taken
-- before the rule is evaluated, so in READ COMMITTED the evaluating statement runs on a snapshot
-- that sees everything committed by earlier holders. REPEATABLE READ and SERIALIZABLE are refused:
-- their snapshot is older than the lock (and SSI does not watch READ COMMITTED writers).
CREATE FUNCTION @extschema@.limit_lock_key(year integer, kind text, name text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.hashtextextended('supervise/limits/' || year || '/' || kind || '/' || name, 0);
COMMENT ON FUNCTION @extschema@.limit_lock_key(integer, text, text) IS
    'limits: the advisory lock key of (year, kind, name), kind category, system or subject (a 64-bit hash; a collision only makes two lockers wait for each other)';

CREATE FUNCTION @extschema@.limit_lock(task_id bigint, subject @extschema@.uscc DEFAULT NULL,
                                       department_id bigint DEFAULT NULL, years integer[] DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    k record;
    n integer := 0;
BEGIN
    SELECT * INTO p FROM @extschema@.task_limit_profile(limit_lock.task_id);
    IF NOT FOUND OR NOT p.limited THEN
        RETURN 0;
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'limits on repeated checks cannot be enforced in a % transaction',
                pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Task ' || limit_lock.task_id || ' is limited; the transaction''s snapshot is older than the limit lock, so it could miss a check committed meanwhile.',
                  HINT = 'Draw, cancel and record inspections in READ COMMITTED transactions (the default).';
    END IF;
    FOR k IN
        WITH y AS (
            SELECT DISTINCT v FROM pg_catalog.unnest(COALESCE(limit_lock.years, ARRAY[p.year])) v
        ), keys AS (
            SELECT @extschema@.limit_lock_key(y.v, 'category', c) AS key, subject IS NULL AS exclusive
              FROM y, pg_catalog.unnest(p.categories) c
            UNION
            SELECT @extschema@.limit_lock_key(y.v, 'system', s), subject IS NULL
              FROM y, (SELECT pg_catalog.unnest(p.systems)
                       UNION SELECT d.system FROM @extschema@.department d
                              WHERE d.id OPERATOR(pg_catalog.=) limit_lock.department_id) s(s)
            UNION
            SELECT @extschema@.limit_lock_key(y.v, 'subject', subject::text), true
              FROM y WHERE subject IS NOT NULL
        )
        SELECT key, exclusive FROM keys ORDER BY key
    LOOP
        IF k.exclusive THEN
            PERFORM pg_catalog.pg_advisory_xact_lock(k.key);
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(k.key);
        END IF;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.limit_lock(bigint, @extschema@.uscc, bigint, integer[]) IS
    'limits: takes the transaction-scoped advisory locks that serialise checks of a task''s categories and systems in its year (or the given years), in increasing key order: exclusive for a draw or cancel (no subject), shared plus an exclusive (year, subject) lock for an inspection of that subject (the inspecting department''s system is added). Returns the number of locks; 0 for a task that is not limited. Refuses REPEATABLE READ and SERIALIZABLE';

-- ---- the rule, per subject -------------------------------------------------------------------------
CREATE FUNCTION @extschema@.limit_conflicts(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT CASE WHEN c.category OPERATOR(pg_catalog.=) ANY (p.categories) THEN 'same_category_this_year'
                ELSE 'superior_checked_this_year' END,
           c.category, c.task_id, c.department_id, c.checked_on, c.source, c.source_id, c.overridden
      FROM @extschema@.task_limit_profile(limit_conflicts.task) p
      JOIN @extschema@.v_limited_checks c
        ON c.uscc OPERATOR(@extschema@.=) limit_conflicts.subject
       AND c.year OPERATOR(pg_catalog.=) COALESCE(limit_conflicts.year, p.year)
       AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
       AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     WHERE p.limited
     ORDER BY 1, c.checked_on, c.source DESC, c.source_id, c.category;
END
$$;
COMMENT ON FUNCTION @extschema@.limit_conflicts(@extschema@.uscc, bigint, integer) IS
    'limits: the earlier checks that exclude the subject from the task (the task''s own checks never count): same_category_this_year rows first, then superior_checked_this_year, each oldest first; year defaults to the task''s year. Empty for a clue task or one without non-exempt items';

CREATE FUNCTION @extschema@.exclusion_reason(subject @extschema@.uscc, task_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    st text;
    r text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) exclusion_reason.task_id) THEN
        RAISE EXCEPTION 'task % does not exist', exclusion_reason.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.status INTO st FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) exclusion_reason.subject;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'subject "%" is not in the subject directory', exclusion_reason.subject
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Load it with supervise.load_subjects() first.';
    END IF;
    IF st OPERATOR(pg_catalog.<>) 'active' THEN
        RETURN 'inactive';
    END IF;
    SELECT c.reason INTO r FROM @extschema@.limit_conflicts(exclusion_reason.subject, exclusion_reason.task_id) c LIMIT 1;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) IS
    'limits (SPEC §4): NULL when the subject may be drawn for the task, else the first reason by precedence: inactive (status not active), same_category_this_year (a recorded check or live draw of another non-clue task with a non-exempt item of one of this task''s non-exempt categories, in the task''s year, by any department), superior_checked_this_year (a department superior to one of this task''s non-exempt item departments checked or drew it this year for any non-exempt item). Clue tasks and tasks whose items are all exempt are only ever excluded as inactive';

-- ---- the rule, set-based ---------------------------------------------------------------------------
CREATE FUNCTION @extschema@.excluded_subjects(task_id bigint)
RETURNS TABLE (uscc @extschema@.uscc, reason text)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
    WITH p AS (SELECT * FROM @extschema@.task_limit_profile($1))
    SELECT s.uscc, 'inactive' FROM @extschema@.subject s, p
     WHERE s.status OPERATOR(pg_catalog.<>) 'active'
    UNION ALL
    SELECT c.uscc,
           CASE WHEN pg_catalog.bool_or(c.category OPERATOR(pg_catalog.=) ANY (p.categories))
                THEN 'same_category_this_year' ELSE 'superior_checked_this_year' END
      FROM p JOIN @extschema@.v_limited_checks c
        ON c.year OPERATOR(pg_catalog.=) p.year
       AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
       AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
      JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) c.uscc AND s.status OPERATOR(pg_catalog.=) 'active'
     WHERE p.limited
     GROUP BY c.uscc
$$;
COMMENT ON FUNCTION @extschema@.excluded_subjects(bigint) IS
    'limits, set-based: every subject of the directory that exclusion_reason() would exclude from the task, with the same reason (one join over all checks of the year, no per-subject call); subjects outside the task''s directory are included';

-- The draw's eligible population (replaces the draw piece's body): active subjects of the task's
-- directory (all active subjects without one), minus those the limits exclude, by one hash
-- anti-join. Takes the limit locks first, so the query that follows sees every committed check.
CREATE OR REPLACE FUNCTION @extschema@.eligible_population(task_id bigint)
RETURNS TABLE (uscc @extschema@.uscc, credit_class text, weight double precision)
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    dir bigint;
BEGIN
    SELECT t.directory_id INTO dir FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligible_population.task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', eligible_population.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.limit_lock(eligible_population.task_id);
    -- a new statement: in READ COMMITTED a new snapshot, taken after the locks
    SELECT * INTO p FROM @extschema@.task_limit_profile(eligible_population.task_id);
    IF NOT p.limited THEN
        RETURN QUERY
        SELECT s.uscc, s.credit_class, s.risk_level::double precision FROM @extschema@.subject s
         WHERE s.status OPERATOR(pg_catalog.=) 'active'
           AND (dir IS NULL OR EXISTS (SELECT 1 FROM @extschema@.directory_member m
                                        WHERE m.directory_id OPERATOR(pg_catalog.=) dir
                                          AND m.uscc OPERATOR(@extschema@.=) s.uscc));
    ELSIF dir IS NULL THEN
        RETURN QUERY
        SELECT s.uscc, s.credit_class, s.risk_level::double precision FROM @extschema@.subject s
         WHERE s.status OPERATOR(pg_catalog.=) 'active'
           AND NOT EXISTS (
               SELECT 1 FROM @extschema@.v_limited_checks c
                WHERE c.uscc OPERATOR(@extschema@.=) s.uscc
                  AND c.year OPERATOR(pg_catalog.=) p.year
                  AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
                  AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
                       OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors)));
    ELSE
        RETURN QUERY
        SELECT s.uscc, s.credit_class, s.risk_level::double precision
          FROM @extschema@.directory_member m
          JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) m.uscc
         WHERE m.directory_id OPERATOR(pg_catalog.=) dir
           AND s.status OPERATOR(pg_catalog.=) 'active'
           AND NOT EXISTS (
               SELECT 1 FROM @extschema@.v_limited_checks c
                WHERE c.uscc OPERATOR(@extschema@.=) s.uscc
                  AND c.year OPERATOR(pg_catalog.=) p.year
                  AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
                  AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
                       OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors)));
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.eligible_population(bigint) IS
    'the draw''s eligible population (uscc, credit_class, weight = risk_level): active subjects of the task''s directory (all active subjects when it has none) that the limits on repeated checks do not exclude (the rule of exclusion_reason, by one anti-join). Takes the limit locks of the task first (see limit_lock), so it is VOLATILE and must run in the drawing transaction';

-- ---- enforcement: drawn targets, cancels, inspections --------------------------------------------
CREATE FUNCTION @extschema@.limits_describe_check(source text, source_id bigint, task_id bigint,
                                                  department_id bigint, checked_on date) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
    SELECT pg_catalog.format('%s %s of task %s "%s", department %s %s (%s), on %s',
                             $1, $2, t.id, t.title, d.id, d.code, d.name, pg_catalog.to_char($5, 'YYYY-MM-DD'))
      FROM @extschema@.task t, @extschema@.department d
     WHERE t.id OPERATOR(pg_catalog.=) $3 AND d.id OPERATOR(pg_catalog.=) $4
$$;
COMMENT ON FUNCTION @extschema@.limits_describe_check(text, bigint, bigint, bigint, date) IS
    'limits: names an earlier check for messages: inspection or draw id, task, department and date';

-- Every drawn target is checked against the rule (after the draw took the locks, or taking them
-- here if a draw path did not): a draw that would break the limits fails instead of recording.
CREATE FUNCTION @extschema@.limits_check_targets() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    c record;
BEGIN
    FOR t IN SELECT DISTINCT dr.task_id FROM new_targets n
               JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) n.draw_id ORDER BY 1
    LOOP
        PERFORM @extschema@.limit_lock(t);
    END LOOP;
    SELECT n.uscc, n.draw_id, dr.task_id AS drawn_task, x.* INTO c
      FROM new_targets n
      JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) n.draw_id
      CROSS JOIN LATERAL @extschema@.task_limit_profile(dr.task_id) p
      JOIN @extschema@.v_limited_checks x
        ON x.uscc OPERATOR(@extschema@.=) n.uscc
       AND x.year OPERATOR(pg_catalog.=) p.year
       AND x.task_id OPERATOR(pg_catalog.<>) p.task_id
       AND (x.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR x.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     WHERE p.limited
     ORDER BY n.uscc, x.checked_on, x.source_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'draw % of task % takes subject "%", which the limits on repeated checks exclude',
                c.draw_id, c.drawn_task, c.uscc
            USING ERRCODE = 'exclusion_violation',
                  DETAIL = 'Earlier check: ' || @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on) || ' (category "' || c.category || '").',
                  HINT = 'Draw from supervise.eligible_population(), which leaves such subjects out.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_check_targets() IS
    'trigger: refuses drawn targets that the limits on repeated checks exclude, taking the limit locks of the drawn task first';
CREATE TRIGGER limits_check_targets AFTER INSERT ON @extschema@.draw_target
    REFERENCING NEW TABLE AS new_targets
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.limits_check_targets();

-- A cancel frees the draw's targets for other tasks: it waits for draws of the same categories
-- and systems in progress, and they for it (the draw piece allows no other update of a draw).
CREATE FUNCTION @extschema@.limits_on_cancel() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.limit_lock(NEW.task_id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_on_cancel() IS
    'trigger: cancelling a draw takes the limit locks of its task, so it is ordered with concurrent draws of the same categories';
CREATE TRIGGER limits_on_cancel BEFORE UPDATE OF cancelled_at ON @extschema@.draw_record
    FOR EACH ROW WHEN (OLD.cancelled_at IS DISTINCT FROM NEW.cancelled_at)
    EXECUTE FUNCTION @extschema@.limits_on_cancel();

-- An inspection of a target of a live draw of its task was allowed by that draw. Any other
-- inspection of a limited task is checked against the rule (in the year it was made) and refused
-- with the earlier check named, unless it carries an override reason; the override is kept.
CREATE FUNCTION @extschema@.limits_check_inspection() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    c record;
    y integer;
    described text;
BEGIN
    IF TG_OP = 'UPDATE'
       AND (OLD.task_id, OLD.uscc, OLD.department_id, OLD.inspected_on)
           IS NOT DISTINCT FROM (NEW.task_id, NEW.uscc, NEW.department_id, NEW.inspected_on) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO p FROM @extschema@.task_limit_profile(NEW.task_id);
    IF NOT FOUND OR NOT p.limited THEN
        RETURN NEW;             -- clue task, exempt items only (or the FK will refuse the task)
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                 JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id
                WHERE dr.task_id OPERATOR(pg_catalog.=) NEW.task_id AND dr.cancelled_at IS NULL
                  AND dt.uscc OPERATOR(@extschema@.=) NEW.uscc) THEN
        RETURN NEW;             -- within a draw: the draw applied the rule
    END IF;
    SELECT pg_catalog.date_part('year', COALESCE(NEW.inspected_on, t.period_start))::integer INTO y
      FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) NEW.task_id;
    PERFORM @extschema@.limit_lock(NEW.task_id, NEW.uscc, NEW.department_id, ARRAY[y]);
    -- a new statement: in READ COMMITTED a snapshot taken after the locks
    SELECT * INTO c FROM @extschema@.limit_conflicts(NEW.uscc, NEW.task_id, y) LIMIT 1;
    IF FOUND THEN
        described := @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on)
                     || ' (category "' || c.category || '")';
        UPDATE @extschema@.limit_override o
           SET overridden_check = c.reason || ': ' || described, used_at = pg_catalog.now()
         WHERE o.task_id OPERATOR(pg_catalog.=) NEW.task_id AND o.uscc OPERATOR(@extschema@.=) NEW.uscc
           AND o.department_id OPERATOR(pg_catalog.=) NEW.department_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'subject "%" may not be checked again for task %: %', NEW.uscc, NEW.task_id, c.reason
                USING ERRCODE = 'exclusion_violation',
                      DETAIL = 'Earlier check: ' || described || '.',
                      HINT = pg_catalog.format('If a law provides for a second check, grant an override first: INSERT INTO supervise.limit_override (task_id, uscc, department_id, reason) VALUES (%s, %L, %s, ''...'').',
                                               NEW.task_id, NEW.uscc, NEW.department_id);
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_check_inspection() IS
    'trigger: an inspection recorded outside a live draw of its task that breaks the limits on repeated checks is refused with the earlier check named, unless a limit_override for its task, subject and department exists, which is then marked used with the overridden check';
CREATE TRIGGER limits_check_inspection
    BEFORE INSERT OR UPDATE OF task_id, uscc, department_id, inspected_on
    ON @extschema@.inspection
    FOR EACH ROW EXECUTE FUNCTION @extschema@.limits_check_inspection();

-- ---- reporting ---------------------------------------------------------------------------------------
CREATE VIEW @extschema@.v_limit_overrides AS
SELECT o.task_id, o.uscc, o.department_id, o.reason, o.granted_by, o.granted_at,
       o.overridden_check, o.used_at, i.id AS inspection_id, i.inspected_on
  FROM @extschema@.limit_override o
  LEFT JOIN @extschema@.inspection i
    ON i.task_id OPERATOR(pg_catalog.=) o.task_id AND i.uscc OPERATOR(@extschema@.=) o.uscc
   AND i.department_id OPERATOR(pg_catalog.=) o.department_id;
COMMENT ON VIEW @extschema@.v_limit_overrides IS
    'limits: every override granted, with its reason, who granted it when, the inspection it was used for and the earlier check it overrode (overridden_check; NULL while unused, or when the inspection turned out not to need it)';

CREATE VIEW @extschema@.v_repeat_checks AS
SELECT c.year, c.category, c.uscc,
       pg_catalog.count(DISTINCT c.task_id) AS checks,
       pg_catalog.array_agg(DISTINCT c.task_id ORDER BY c.task_id) AS task_ids,
       pg_catalog.array_agg(DISTINCT c.department_id ORDER BY c.department_id) AS department_ids,
       pg_catalog.bool_or(c.overridden) AS overridden
  FROM @extschema@.v_limited_checks c
 GROUP BY c.year, c.category, c.uscc
HAVING pg_catalog.count(DISTINCT c.task_id) OPERATOR(pg_catalog.>) 1;
COMMENT ON VIEW @extschema@.v_repeat_checks IS
    'limits report: per year and category, subjects checked (or drawn) for more than one task; empty unless an inspection was recorded with an override (overridden = true)';

CREATE VIEW @extschema@.v_checks_per_subject AS
WITH checks AS (
    SELECT i.uscc, pg_catalog.date_part('year', COALESCE(i.inspected_on, t.period_start))::integer AS year,
           i.task_id, t.kind, i.department_id
      FROM @extschema@.inspection i JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) i.task_id
    UNION
    SELECT dt.uscc, pg_catalog.date_part('year', t.period_start)::integer, t.id, t.kind, t.department_id
      FROM @extschema@.draw_target dt
      JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id AND dr.cancelled_at IS NULL
      JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) dr.task_id
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.inspection i
                        WHERE i.task_id OPERATOR(pg_catalog.=) t.id AND i.uscc OPERATOR(@extschema@.=) dt.uscc)
)
SELECT c.year, c.uscc,
       pg_catalog.count(DISTINCT c.task_id) AS checks,
       pg_catalog.count(DISTINCT c.task_id) FILTER (WHERE c.kind OPERATOR(pg_catalog.=) 'clue') AS clue_checks,
       pg_catalog.count(DISTINCT c.department_id) AS departments
  FROM checks c
 GROUP BY c.year, c.uscc;
COMMENT ON VIEW @extschema@.v_checks_per_subject IS
    'limits report: per year and subject, the number of checks it received (distinct tasks with a recorded inspection or a live draw target, exempt and clue checks included), how many were on clues, and how many departments were involved';

-- The rule must see every department's checks and draws, also when an officer whose row-level
-- security hides other departments' rows records an inspection or draws: otherwise RLS would let
-- an officer check again what another department already checked. These functions only read and
-- refuse; they run as the extension owner. (search_path: pg_catalog is searched first anyway,
-- then the extension's own schema, which nobody else can create objects in, then pg_temp.)
ALTER FUNCTION @extschema@.task_limit_profile(bigint) SECURITY DEFINER;
ALTER FUNCTION @extschema@.limit_conflicts(@extschema@.uscc, bigint, integer) SECURITY DEFINER;
ALTER FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) SECURITY DEFINER;
ALTER FUNCTION @extschema@.excluded_subjects(bigint) SECURITY DEFINER;
ALTER FUNCTION @extschema@.eligible_population(bigint) SECURITY DEFINER;
ALTER FUNCTION @extschema@.limits_check_targets() SECURITY DEFINER;
ALTER FUNCTION @extschema@.limits_on_cancel() SECURITY DEFINER;
ALTER FUNCTION @extschema@.limits_check_inspection() SECURITY DEFINER;

-- ---- src/sql/70_publication.sql ----
-- =====================================================================================
-- The publication schedule (一公开, 谁检查谁公示). SPEC §6, DOMAIN §6.
--
-- One item per (kind, object): plan (plan.id), task (task.id), target_list (task.id: the list
-- of drawn targets of a task), result (inspection.id), disposal (disposal.id). Items are made
-- and kept up to date by triggers on plan, task, inspection and disposal; the draw code adds
-- the target list with publication_upsert('target_list', task_id, department_id, drawn_on).
--
--   occurred_on  the day of the event itself: approval, draw, result formed, decision made;
--   event_on     the day the publication period counts from (the period starts the day after):
--                  * surprise tasks (突击检查): never before the task's period_end, for every
--                    item of the task (task, list, results, disposals): nothing is due, and
--                    nothing can be marked published, before the check is over;
--                  * temporary tasks (临时任务) are published together with their target list:
--                    the task item exists only once the list is drawn, with the list's date;
--   due_on       publication_due(kind, event_on): provisional (Monday–Friday) when it reaches a
--                year whose holiday notice is not loaded, recomputed when the year is loaded.
-- An item already published keeps its dates when its source changes later (it is history);
-- an unpublished item follows its source, and disappears when the source loses its event.
-- =====================================================================================

CREATE TABLE @extschema@.publication (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    object_id       bigint NOT NULL,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    task_id         bigint,
    occurred_on     date NOT NULL,
    event_on        date NOT NULL,
    due_on          date NOT NULL,
    provisional     boolean NOT NULL DEFAULT false,
    published_on    date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "publication kind is plan task target_list result or disposal"
        CHECK (kind IN ('plan', 'task', 'target_list', 'result', 'disposal')),
    CONSTRAINT "one publication item per kind and object" UNIQUE (kind, object_id),
    CONSTRAINT "publication event_on is not before occurred_on" CHECK (event_on >= occurred_on),
    CONSTRAINT "publication is not published before its event" CHECK (published_on >= event_on)
);
CREATE INDEX publication_task_idx ON @extschema@.publication (task_id);
CREATE INDEX publication_open_idx ON @extschema@.publication (due_on) WHERE published_on IS NULL;
COMMENT ON TABLE @extschema@.publication IS
    'the publication schedule (一公开): one item per approved plan, approved task, drawn target list, check result and disposal, with its due date';
COMMENT ON COLUMN @extschema@.publication.object_id IS 'plan.id, task.id (kinds task and target_list), inspection.id (result) or disposal.id';
COMMENT ON COLUMN @extschema@.publication.occurred_on IS 'the day of the event: approval, draw, result formed, decision made';
COMMENT ON COLUMN @extschema@.publication.event_on IS 'the day the publication period counts from: occurred_on, or for a surprise task not before its period_end, or for a temporary task''s task item the day its list was drawn';
COMMENT ON COLUMN @extschema@.publication.provisional IS 'due_on reaches a year whose holiday notice is not loaded: counted Monday-Friday for now, recomputed when the year is loaded';
-- pg_dump and restore: unpublished items are derived data (the triggers on plan, task, inspection
-- and disposal make them again while those tables are restored); only published items carry user
-- data, so only they are dumped. The sequence is not dumped: restored items take fresh ids, since
-- the source triggers have already used ids of the new sequence while the restore ran.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication', 'WHERE published_on IS NOT NULL');

-- A row that arrives already published can only come from a restore (mark_published updates
-- rows; the triggers insert unpublished ones): it replaces the item the source triggers made for
-- the same object, or is inserted under a fresh id.
CREATE FUNCTION @extschema@.publication_restore_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NEW.published_on IS NULL THEN
        RETURN NEW;
    END IF;
    UPDATE @extschema@.publication p
       SET department_id = NEW.department_id, task_id = NEW.task_id, occurred_on = NEW.occurred_on,
           event_on = NEW.event_on, due_on = NEW.due_on, provisional = NEW.provisional,
           published_on = NEW.published_on, created_at = NEW.created_at
     WHERE p.kind OPERATOR(pg_catalog.=) NEW.kind AND p.object_id OPERATOR(pg_catalog.=) NEW.object_id;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    NEW.id := pg_catalog.nextval('@extschema@.publication_id_seq');
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_restore_guard() IS
    'trigger: an item inserted already published (pg_restore) replaces the one the source triggers made, or takes a fresh id';
CREATE TRIGGER publication_restore_guard BEFORE INSERT ON @extschema@.publication
    FOR EACH ROW EXECUTE FUNCTION @extschema@.publication_restore_guard();

-- ---- computing items ----

-- The source of items of one kind: object_id, department_id, task_id, occurred_on, event_on
-- (event_on NULL: there should be no item).
CREATE FUNCTION @extschema@.publication_source(kind text, ids bigint[])
    RETURNS TABLE (object_id bigint, department_id bigint, task_id bigint, occurred_on date, event_on date)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    CASE kind
    WHEN 'plan' THEN
        RETURN QUERY
        SELECT p.id, p.department_id, NULL::bigint, p.approved_on, p.approved_on
          FROM @extschema@.plan p WHERE p.id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'task' THEN
        RETURN QUERY
        SELECT t.id, t.department_id, t.id, b.base,
               CASE WHEN b.base IS NULL THEN NULL
                    WHEN t.surprise THEN greatest(b.base, t.period_end)
                    ELSE b.base END
          FROM @extschema@.task t
          CROSS JOIN LATERAL (
              SELECT CASE WHEN t.approved_on IS NULL THEN NULL
                          WHEN t.kind OPERATOR(pg_catalog.=) 'temporary' THEN
                              (SELECT l.occurred_on FROM @extschema@.publication l
                                WHERE l.kind OPERATOR(pg_catalog.=) 'target_list'
                                  AND l.object_id OPERATOR(pg_catalog.=) t.id)
                          ELSE t.approved_on END AS base) b
         WHERE t.id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'target_list' THEN
        RETURN QUERY
        SELECT l.object_id, l.department_id, t.id, l.occurred_on,
               CASE WHEN t.surprise THEN greatest(l.occurred_on, t.period_end) ELSE l.occurred_on END
          FROM @extschema@.publication l
          JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) l.object_id
         WHERE l.kind OPERATOR(pg_catalog.=) 'target_list' AND l.object_id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'result' THEN
        RETURN QUERY
        SELECT i.id, i.department_id, i.task_id, i.result_on,
               CASE WHEN i.result_on IS NULL THEN NULL
                    WHEN t.surprise THEN greatest(i.result_on, t.period_end)
                    ELSE i.result_on END
          FROM @extschema@.inspection i
          JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) i.task_id
         WHERE i.id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'disposal' THEN
        RETURN QUERY
        SELECT d.id, i.department_id, i.task_id, d.decided_on,
               CASE WHEN t.surprise THEN greatest(d.decided_on, t.period_end) ELSE d.decided_on END
          FROM @extschema@.disposal d
          JOIN @extschema@.inspection i ON i.id OPERATOR(pg_catalog.=) d.inspection_id
          JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) i.task_id
         WHERE d.id OPERATOR(pg_catalog.=) ANY (ids);
    ELSE
        RAISE EXCEPTION 'unknown publication kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known kinds: plan, task, target_list, result, disposal.';
    END CASE;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_source(text, bigint[]) IS
    'internal: what the publication items of the given objects should be, from plan, task, inspection, disposal (event_on NULL = no item)';

-- Bring the items of the given objects in line with their sources.
CREATE FUNCTION @extschema@.publication_sync(kind text, ids bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- unpublished items whose source has no event (any more)
    DELETE FROM @extschema@.publication p
     WHERE p.kind OPERATOR(pg_catalog.=) publication_sync.kind
       AND p.object_id OPERATOR(pg_catalog.=) ANY (ids)
       AND p.published_on IS NULL
       AND NOT EXISTS (SELECT 1 FROM @extschema@.publication_source(publication_sync.kind, ids) s
                        WHERE s.object_id OPERATOR(pg_catalog.=) p.object_id AND s.event_on IS NOT NULL);
    INSERT INTO @extschema@.publication AS p
           (kind, object_id, department_id, task_id, occurred_on, event_on, due_on, provisional)
    SELECT publication_sync.kind, s.object_id, s.department_id, s.task_id, s.occurred_on, s.event_on,
           d.due_on, d.provisional
      FROM @extschema@.publication_source(publication_sync.kind, ids) s
     CROSS JOIN LATERAL @extschema@.publication_due(publication_sync.kind, s.event_on) d
     WHERE s.event_on IS NOT NULL
        ON CONFLICT ON CONSTRAINT "one publication item per kind and object" DO UPDATE
       SET department_id = excluded.department_id, task_id = excluded.task_id,
           occurred_on = excluded.occurred_on, event_on = excluded.event_on,
           due_on = excluded.due_on, provisional = excluded.provisional
     WHERE p.published_on IS NULL
       AND (p.department_id, p.task_id, p.occurred_on, p.event_on, p.due_on, p.provisional)
           IS DISTINCT FROM
           (excluded.department_id, excluded.task_id, excluded.occurred_on, excluded.event_on,
            excluded.due_on, excluded.provisional);
END
$$;
COMMENT ON FUNCTION @extschema@.publication_sync(text, bigint[]) IS
    'internal: creates, updates or removes the unpublished publication items of the given objects from their sources';

-- All items of a task (its task and list items, its results and disposals), after a change of
-- the task's kind, surprise flag, period or approval.
CREATE FUNCTION @extschema@.publication_sync_tasks(task_ids bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.publication_sync('target_list', task_ids);
    PERFORM @extschema@.publication_sync('task', task_ids);
    PERFORM @extschema@.publication_sync('result',
        ARRAY(SELECT i.id FROM @extschema@.inspection i WHERE i.task_id OPERATOR(pg_catalog.=) ANY (task_ids)));
    PERFORM @extschema@.publication_sync('disposal',
        ARRAY(SELECT d.id FROM @extschema@.disposal d
                JOIN @extschema@.inspection i ON i.id OPERATOR(pg_catalog.=) d.inspection_id
               WHERE i.task_id OPERATOR(pg_catalog.=) ANY (task_ids)));
END
$$;
COMMENT ON FUNCTION @extschema@.publication_sync_tasks(bigint[]) IS
    'internal: re-syncs every publication item of the given tasks';

-- ---- the draw code's entry point ----

CREATE FUNCTION @extschema@.publication_upsert(kind text, object_id bigint, department_id bigint, event_on date)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    pid bigint;
BEGIN
    IF kind IS NULL OR object_id IS NULL THEN
        RAISE EXCEPTION 'kind and object_id must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind OPERATOR(pg_catalog.<>) 'target_list' THEN
        RAISE EXCEPTION 'publication items of kind "%" are made by triggers', kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Only target_list items are added by the caller (the draw); plan, task, result and disposal items follow the plan, task, inspection and disposal tables.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) publication_upsert.object_id) THEN
        RAISE EXCEPTION 'task % does not exist', object_id
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = 'The object of a target_list item is the task whose targets were drawn.';
    END IF;
    IF event_on IS NULL THEN
        -- the draw was cancelled: the unpublished list item goes
        DELETE FROM @extschema@.publication p
         WHERE p.kind OPERATOR(pg_catalog.=) 'target_list'
           AND p.object_id OPERATOR(pg_catalog.=) publication_upsert.object_id
           AND p.published_on IS NULL;
    ELSE
        IF department_id IS NULL THEN
            RAISE EXCEPTION 'department_id must not be null' USING ERRCODE = 'null_value_not_allowed';
        END IF;
        INSERT INTO @extschema@.publication AS p
               (kind, object_id, department_id, task_id, occurred_on, event_on, due_on, provisional)
        SELECT 'target_list', publication_upsert.object_id, publication_upsert.department_id,
               publication_upsert.object_id, publication_upsert.event_on, publication_upsert.event_on,
               d.due_on, d.provisional
          FROM @extschema@.publication_due('target_list', publication_upsert.event_on) d
            ON CONFLICT ON CONSTRAINT "one publication item per kind and object" DO UPDATE
           SET department_id = excluded.department_id, occurred_on = excluded.occurred_on,
               event_on = excluded.event_on
         WHERE p.published_on IS NULL;
    END IF;
    -- surprise shift of the list, and the task item of a temporary task (published with its list)
    PERFORM @extschema@.publication_sync('target_list', ARRAY[object_id]);
    PERFORM @extschema@.publication_sync('task', ARRAY[object_id]);
    SELECT p.id INTO pid FROM @extschema@.publication p
     WHERE p.kind OPERATOR(pg_catalog.=) 'target_list' AND p.object_id OPERATOR(pg_catalog.=) publication_upsert.object_id;
    RETURN pid;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_upsert(text, bigint, bigint, date) IS
    'adds or moves the target_list item of a task (object_id = task id) drawn on event_on; NULL event_on removes the unpublished item (cancelled draw). Returns the item id';

-- ---- draws: the target list (抽查对象名单) ----
-- A trigger rather than a call inside draw(): whoever may draw a task may not write the schedule
-- directly (publication_upsert is not granted), so the trigger function runs as the owner.
CREATE FUNCTION @extschema@.draw_record_publication() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dept bigint;
BEGIN
    SELECT t.department_id INTO dept FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) NEW.task_id;
    IF TG_OP = 'INSERT' AND NEW.cancelled_at IS NULL THEN
        PERFORM @extschema@.publication_upsert('target_list', NEW.task_id, dept, (NEW.drawn_at)::date);
    ELSIF TG_OP = 'UPDATE' AND NEW.cancelled_at IS NOT NULL AND OLD.cancelled_at IS NULL THEN
        -- a cancelled list is not published (unless it already was); a new draw adds it again
        PERFORM @extschema@.publication_upsert('target_list', NEW.task_id, dept, NULL);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.draw_record_publication() IS
    'trigger on draw_record: a draw puts its target list on the publication schedule (due 10 working days after the draw; a surprise task''s after it ends), a cancellation takes the unpublished list off';
CREATE TRIGGER draw_record_publication AFTER INSERT OR UPDATE OF cancelled_at ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_record_publication();

-- ---- triggers on the sources ----

CREATE FUNCTION @extschema@.publication_after_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    -- the ids of the changed rows, old and new (transition tables)
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO ids FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.id) INTO ids FROM old_rows o;
    ELSE
        SELECT array_agg(n.id) INTO ids FROM new_rows n;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
    WHEN 'plan' THEN
        PERFORM @extschema@.publication_sync('plan', ids);
    WHEN 'task' THEN
        PERFORM @extschema@.publication_sync_tasks(ids);
    WHEN 'inspection' THEN
        PERFORM @extschema@.publication_sync('result', ids);
        IF TG_OP = 'UPDATE' THEN
            PERFORM @extschema@.publication_sync('disposal',
                ARRAY(SELECT d.id FROM @extschema@.disposal d WHERE d.inspection_id OPERATOR(pg_catalog.=) ANY (ids)));
        END IF;
    WHEN 'disposal' THEN
        PERFORM @extschema@.publication_sync('disposal', ids);
    END CASE;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_after_change() IS
    'statement trigger on plan, task, inspection, disposal: syncs the publication items of the changed rows';

CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.plan
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.plan
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.plan
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.task
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.task
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.task
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.inspection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.inspection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.inspection
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.disposal
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.disposal
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.disposal
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();

-- ---- the calendar changed: provisional and unpublished due dates follow ----

CREATE FUNCTION @extschema@.publication_recompute() RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    UPDATE @extschema@.publication p
       SET due_on = d.due_on, provisional = d.provisional
      FROM @extschema@.publication q
     CROSS JOIN LATERAL @extschema@.publication_due(q.kind, q.event_on) d
     WHERE q.id OPERATOR(pg_catalog.=) p.id
       AND (p.published_on IS NULL OR p.provisional)
       AND (d.due_on, d.provisional) IS DISTINCT FROM (p.due_on, p.provisional);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_recompute() IS
    'recomputes the due dates of unpublished and provisional publication items from the calendar and publication_rule; returns how many changed. Runs by itself after every change of the calendar or of publication_rule';

CREATE FUNCTION @extschema@.publication_after_calendar_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.publication_recompute();
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_after_calendar_change() IS
    'statement trigger on calendar_day, calendar_year and publication_rule: recomputes provisional and unpublished due dates';
-- named to fire after the *_invalidate triggers (triggers fire in name order)
CREATE TRIGGER calendar_year_publication AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_calendar_change();
CREATE TRIGGER calendar_day_publication AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_day
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_calendar_change();
CREATE TRIGGER publication_rule_publication AFTER INSERT OR UPDATE ON @extschema@.publication_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_calendar_change();

-- ---- publishing ----

CREATE FUNCTION @extschema@.mark_published(kind text, object_id bigint, published_on date) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p @extschema@.publication;
BEGIN
    IF kind IS NULL OR object_id IS NULL OR published_on IS NULL THEN
        RAISE EXCEPTION 'kind, object_id and published_on must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('plan', 'task', 'target_list', 'result', 'disposal') THEN
        RAISE EXCEPTION 'unknown publication kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known kinds: plan, task, target_list, result, disposal.';
    END IF;
    SELECT * INTO p FROM @extschema@.publication q
     WHERE q.kind OPERATOR(pg_catalog.=) mark_published.kind
       AND q.object_id OPERATOR(pg_catalog.=) mark_published.object_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no publication item for % %', kind, object_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'Items are made when a plan or task is approved, a target list drawn, a result formed or a disposal decided; a temporary task''s item comes with its target list.';
    END IF;
    IF published_on > current_date THEN
        RAISE EXCEPTION 'publication date % is in the future', published_on
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF published_on < p.event_on THEN
        RAISE EXCEPTION 'publication date % of % % is before its event on %', published_on, kind, object_id, p.event_on
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN p.event_on > p.occurred_on
                                THEN format('The item belongs to a surprise check (突击检查) ending on %s, or to a temporary task published with its list; nothing is published before then.', p.event_on)
                                ELSE format('The event happened on %s.', p.occurred_on) END;
    END IF;
    UPDATE @extschema@.publication q SET published_on = mark_published.published_on
     WHERE q.id OPERATOR(pg_catalog.=) p.id;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_published(text, bigint, date) IS
    'records that an item (kind, object id) was published on a date; refuses a date before its event or in the future';

CREATE VIEW @extschema@.v_publication_schedule AS
SELECT p.kind, p.object_id, p.department_id, p.event_on, p.due_on, p.published_on,
       CASE WHEN p.published_on IS NOT NULL THEN
                CASE WHEN p.published_on OPERATOR(pg_catalog.<=) p.due_on THEN 'on_time' ELSE 'late' END
            WHEN CURRENT_DATE OPERATOR(pg_catalog.>) p.due_on THEN 'overdue'
            ELSE 'pending' END AS status,
       p.provisional, p.occurred_on, p.task_id, p.id AS publication_id
  FROM @extschema@.publication p;
COMMENT ON VIEW @extschema@.v_publication_schedule IS
    'the publication schedule with status against current_date: pending (not published, not yet due), on_time, late (published after due_on), overdue (not published, past due_on)';

CREATE VIEW @extschema@.v_overdue_publications AS
SELECT s.kind, s.object_id, s.department_id, s.event_on, s.due_on, s.provisional,
       CURRENT_DATE OPERATOR(pg_catalog.-) s.due_on AS days_overdue,
       s.task_id, s.publication_id
  FROM @extschema@.v_publication_schedule s
 WHERE s.status OPERATOR(pg_catalog.=) 'overdue'
 ORDER BY s.due_on, s.kind, s.object_id;
COMMENT ON VIEW @extschema@.v_overdue_publications IS
    'the overdue publication items, oldest due first; days_overdue in calendar days';

-- =====================================================================================
-- Advance filing of unplanned tasks (提前5日报备, 004 §四(三), DOMAIN §2).
-- A task of a kind listed here must be filed at least notice_days calendar days (日, not 工作日)
-- before its period starts. The filing day is task.filed_on, or approved_on when filed_on is
-- not set; a task with neither is a draft and is not checked yet.
-- =====================================================================================

CREATE TABLE @extschema@.task_filing_rule (
    task_kind   text PRIMARY KEY,
    notice_days integer NOT NULL,
    basis       text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    CONSTRAINT "filing rule task_kind is a task kind" CHECK (task_kind IN ('planned', 'temporary', 'special', 'clue')),
    CONSTRAINT "filing rule notice_days is between 0 and 366" CHECK (notice_days BETWEEN 0 AND 366)
);
COMMENT ON TABLE @extschema@.task_filing_rule IS
    'advance filing (报备) of unplanned tasks: a task of task_kind is filed at least notice_days calendar days before period_start. Default from Lianyungang (004 §四(三)): temporary, 5 days';
INSERT INTO @extschema@.task_filing_rule (task_kind, notice_days, basis, shipped) VALUES
    ('temporary', 5, '计划外的检查应当提前5日报备 (004 §四(三))', true);

CREATE TRIGGER task_filing_rule_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.task_filing_rule
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('task_kind', 'Set its notice_days to 0 to switch the rule off.');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_filing_rule', 'WHERE NOT shipped OR modified');

CREATE FUNCTION @extschema@.task_check_filing() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    need    integer;
    filed   date := coalesce(NEW.filed_on, NEW.approved_on);
BEGIN
    IF filed IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT r.notice_days INTO need FROM @extschema@.task_filing_rule r
     WHERE r.task_kind OPERATOR(pg_catalog.=) NEW.kind;
    IF need IS NOT NULL AND NEW.period_start - filed < need THEN
        RAISE EXCEPTION '% task "%" is filed % day(s) before it starts, at least % required',
                NEW.kind, NEW.title, NEW.period_start - filed, need
            USING ERRCODE = 'check_violation',
                  DETAIL = format('Filed on %s (%s), the period starts on %s.', filed,
                                  CASE WHEN NEW.filed_on IS NULL THEN 'approved_on' ELSE 'filed_on' END,
                                  NEW.period_start),
                  HINT = format('File it by %s, or put the check into a later plan (提前%s日报备, task_filing_rule).',
                                NEW.period_start - need, need);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.task_check_filing() IS
    'trigger: an unplanned task is filed (filed_on, else approved_on) at least task_filing_rule.notice_days calendar days before period_start';
CREATE TRIGGER task_check_filing BEFORE INSERT OR UPDATE OF kind, filed_on, approved_on, period_start ON @extschema@.task
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_check_filing();

-- ---- src/sql/80_visits.sql ----
-- =====================================================================================
-- Joint checks (进一次门、查多项事 / 综合查一次): joint tasks made by merging tasks, visits that
-- bring every department that must check a subject into one entry, the comprehensive checklist
-- (综合检查单), results recorded against a visit and seen by every department (结果互认), and a
-- report of the entries saved. C in src/core/visits.c and src/pg/visits_fn.c; doc/joint-checks.md.
-- =====================================================================================

-- ---- joint tasks from separate tasks ------------------------------------------------------

ALTER TABLE @extschema@.task ADD COLUMN merged_into bigint REFERENCES @extschema@.task;
CREATE INDEX task_merged_into_idx ON @extschema@.task (merged_into) WHERE merged_into IS NOT NULL;
COMMENT ON COLUMN @extschema@.task.merged_into IS
    'the joint task (联合抽查任务) this task was merged into by merge_tasks(); a merged task is never drawn itself';

CREATE TABLE @extschema@.task_merge (
    joint_task_id   bigint NOT NULL REFERENCES @extschema@.task,
    source_task_id  bigint NOT NULL REFERENCES @extschema@.task,
    position        integer NOT NULL,
    merged_at       timestamptz NOT NULL DEFAULT now(),
    merged_by       name NOT NULL DEFAULT current_user,
    PRIMARY KEY (joint_task_id, source_task_id),
    CONSTRAINT "a task is merged once" UNIQUE (source_task_id),
    CONSTRAINT "a task is not merged into itself" CHECK (joint_task_id <> source_task_id),
    CONSTRAINT "merge position counts from 1" CHECK (position >= 1)
);
COMMENT ON TABLE @extschema@.task_merge IS
    'which tasks went into a joint task made by merge_tasks(), in the order given (position 1 = the initiator''s task), when and by whom';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_merge', '');

CREATE FUNCTION @extschema@.merge_tasks(task_ids bigint[], title text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    ids         bigint[];
    bad         record;
    first_task  @extschema@.task;
    common_start date;
    common_end  date;
    joint_id    bigint;
BEGIN
    IF task_ids IS NULL THEN
        RAISE EXCEPTION 'task_ids must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- flatten (a multi-dimensional array is read in storage order) and keep the given order
    ids := ARRAY(SELECT x FROM pg_catalog.unnest(task_ids) WITH ORDINALITY u(x, ord) ORDER BY ord);
    IF pg_catalog.array_position(ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'task_ids has a NULL at position %', pg_catalog.array_position(ids, NULL)
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.cardinality(ids) < 2 THEN
        RAISE EXCEPTION 'merge_tasks needs at least 2 tasks, got %', pg_catalog.cardinality(ids)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A joint task (联合抽查任务) combines the tasks of two or more departments.';
    END IF;
    SELECT x AS id INTO bad FROM pg_catalog.unnest(ids) WITH ORDINALITY u(x, ord)
     GROUP BY x HAVING count(*) > 1 ORDER BY min(ord) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is listed more than once', bad.id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- lock the tasks (in id order, so two merges cannot deadlock); a draw of one of them waits
    PERFORM 1 FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.id FOR UPDATE;

    SELECT x AS id INTO bad FROM pg_catalog.unnest(ids) WITH ORDINALITY u(x, ord)
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = u.x) ORDER BY ord LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % does not exist', bad.id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT t.id, t.merged_into INTO bad FROM @extschema@.task t WHERE t.id = ANY (ids) AND t.merged_into IS NOT NULL
     ORDER BY pg_catalog.array_position(ids, t.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % was already merged into task %', bad.id, bad.merged_into
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('Merge the joint task %s instead.', bad.merged_into);
    END IF;

    SELECT d.task_id, d.id AS draw_id INTO bad FROM @extschema@.draw_record d
     WHERE d.task_id = ANY (ids) AND d.cancelled_at IS NULL
     ORDER BY pg_catalog.array_position(ids, d.task_id), d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % has already been drawn (draw %)', bad.task_id, bad.draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Only tasks not yet drawn can be merged; a draw can be cancelled with a reason first.';
    END IF;

    SELECT a.id AS a_id, b.id AS b_id, a.department_id, dep.name INTO bad
      FROM @extschema@.task a JOIN @extschema@.task b ON b.department_id = a.department_id
      JOIN @extschema@.department dep ON dep.id = a.department_id
     WHERE a.id = ANY (ids) AND b.id = ANY (ids)
       AND pg_catalog.array_position(ids, a.id) < pg_catalog.array_position(ids, b.id)
     ORDER BY pg_catalog.array_position(ids, a.id), pg_catalog.array_position(ids, b.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'tasks % and % are both tasks of department % (%)', bad.a_id, bad.b_id, bad.department_id, bad.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'merge_tasks combines the tasks of different departments; put one department''s items into one task.';
    END IF;

    SELECT * INTO first_task FROM @extschema@.task t WHERE t.id = ids[1];

    SELECT t.id, t.directory_id, dir.name INTO bad FROM @extschema@.task t
      LEFT JOIN @extschema@.directory dir ON dir.id = t.directory_id
     WHERE t.id = ANY (ids) AND t.directory_id IS DISTINCT FROM first_task.directory_id
     ORDER BY pg_catalog.array_position(ids, t.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'tasks % and % draw from different directories', first_task.id, bad.id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('Task %s draws from %s, task %s from %s.',
                      first_task.id,
                      coalesce((SELECT pg_catalog.format('directory %s (%s)', dir.id, dir.name)
                                  FROM @extschema@.directory dir WHERE dir.id = first_task.directory_id),
                               'all active subjects'),
                      bad.id,
                      CASE WHEN bad.directory_id IS NULL THEN 'all active subjects'
                           ELSE pg_catalog.format('directory %s (%s)', bad.directory_id, bad.name) END),
                  HINT = 'A joint task draws once from one joint directory (联合监管对象名录): build it and set it on every task.';
    END IF;

    SELECT max(t.period_start), min(t.period_end) INTO common_start, common_end
      FROM @extschema@.task t WHERE t.id = ANY (ids);
    IF common_start > common_end THEN
        SELECT (SELECT t.id FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.period_start DESC, t.id LIMIT 1) AS late,
               (SELECT t.id FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.period_end, t.id LIMIT 1) AS early
          INTO bad;
        RAISE EXCEPTION 'the periods of tasks % have no day in common', pg_catalog.array_to_string(ids, ', ')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('Task %s starts on %s, after task %s ends on %s.',
                      bad.late, common_start, bad.early, common_end),
                  HINT = 'A joint task runs in the days all its tasks share.';
    END IF;

    INSERT INTO @extschema@.task (plan_id, department_id, kind, title, period_start, period_end,
                                  approved_on, filed_on, surprise, sample_ratio, sample_size,
                                  directory_id, inspectors_per_target)
    SELECT first_task.plan_id, first_task.department_id, first_task.kind,
           coalesce(merge_tasks.title,
                    '联合抽查 joint task: ' || pg_catalog.string_agg(t.title, ' / ' ORDER BY pg_catalog.array_position(ids, t.id))),
           common_start, common_end,
           CASE WHEN bool_and(t.approved_on IS NOT NULL) THEN max(t.approved_on) END,
           first_task.filed_on, bool_or(t.surprise),
           first_task.sample_ratio, first_task.sample_size, first_task.directory_id,
           max(t.inspectors_per_target)
      FROM @extschema@.task t WHERE t.id = ANY (ids)
    RETURNING id INTO joint_id;

    INSERT INTO @extschema@.task_item (task_id, item_id)
    SELECT DISTINCT joint_id, ti.item_id FROM @extschema@.task_item ti WHERE ti.task_id = ANY (ids);
    INSERT INTO @extschema@.task_stratum (task_id, credit_class, ratio)
    SELECT joint_id, s.credit_class, s.ratio FROM @extschema@.task_stratum s WHERE s.task_id = first_task.id;
    INSERT INTO @extschema@.task_merge (joint_task_id, source_task_id, position)
    SELECT joint_id, u.x, u.ord FROM pg_catalog.unnest(ids) WITH ORDINALITY u(x, ord);
    UPDATE @extschema@.task t SET merged_into = joint_id WHERE t.id = ANY (ids);
    RETURN joint_id;
END
$$;
COMMENT ON FUNCTION @extschema@.merge_tasks(bigint[], text) IS
    'merges tasks of different departments with the same directory and overlapping periods into one new joint task (联合抽查任务) and returns its id: items united, period = the days all share, initiator, kind, plan, filing day and sampling (ratio or size and credit strata) from the first task, inspectors_per_target the largest, surprise if any is, approved (on the latest day) only if all are; the sources point to it (task.merged_into) and are listed in task_merge. Refuses fewer than 2 tasks, NULLs, duplicates, unknown, merged or drawn tasks, two tasks of one department, different directories, no common day';

-- A merged task is never drawn: its joint task is. Guards every path that records a draw.
CREATE FUNCTION @extschema@.draw_record_refuse_merged() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    into_id bigint;
BEGIN
    -- FOR SHARE waits for a concurrent merge_tasks() of this task and then sees its outcome
    SELECT t.merged_into INTO into_id FROM @extschema@.task t WHERE t.id = NEW.task_id FOR SHARE;
    IF into_id IS NOT NULL THEN
        RAISE EXCEPTION 'task % was merged into task % and cannot be drawn', NEW.task_id, into_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('Draw the joint task %s.', into_id);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.draw_record_refuse_merged() IS
    'trigger: refuses a draw of a task that was merged into a joint task (draw the joint task instead)';
CREATE TRIGGER draw_record_refuse_merged BEFORE INSERT ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_record_refuse_merged();

-- ---- visits ---------------------------------------------------------------------------------

-- One entry into one subject (进一次门) by every department whose drawn tasks share a day.
-- The tasks are kept as two parallel arrays (task_ids[i] was drawn by draw_ids[i]) rather than a
-- row per task: a year has one row per visit, and plan_visits writes a million targets in about
-- the time it takes to sort them (bench/visits.sh). visit_task shows them as rows.
CREATE TABLE @extschema@.visit (
    id                  bigserial PRIMARY KEY,
    year                integer NOT NULL,
    uscc                @extschema@.uscc NOT NULL,
    lead_department_id  bigint NOT NULL,
    window_start        date NOT NULL,
    window_end          date NOT NULL,
    task_ids            bigint[] NOT NULL,
    draw_ids            bigint[] NOT NULL,
    planned_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "visit window_end is not before window_start" CHECK (window_end >= window_start),
    CONSTRAINT "visit year is the year of its window" CHECK (year = extract(year FROM window_start)),
    CONSTRAINT "visit has one draw per task and at least one task" CHECK (
        pg_catalog.cardinality(task_ids) >= 1
        AND pg_catalog.cardinality(task_ids) = pg_catalog.cardinality(draw_ids)
        AND pg_catalog.array_ndims(task_ids) = 1 AND pg_catalog.array_ndims(draw_ids) = 1
        AND pg_catalog.array_position(task_ids, NULL) IS NULL
        AND pg_catalog.array_position(draw_ids, NULL) IS NULL)
);
CREATE INDEX visit_uscc_year_idx ON @extschema@.visit (uscc, year);
COMMENT ON TABLE @extschema@.visit IS
    'visits (联合检查, 进一次门、查多项事): one entry into a subject by every department of a set of its drawn tasks whose periods share the days window_start..window_end; made by plan_visits(); task_ids[i] was drawn by draw_ids[i], in task id order';
COMMENT ON COLUMN @extschema@.visit.year IS 'the year of the tasks'' periods (plan_visits(year) makes and remakes the year''s visits)';
COMMENT ON COLUMN @extschema@.visit.lead_department_id IS
    'the department that leads the visit: the initiator of a joint task in it, else the department with most items, then the lowest id';
COMMENT ON COLUMN @extschema@.visit.window_start IS 'first day on which every task of the visit is open (the latest period_start)';
COMMENT ON COLUMN @extschema@.visit.window_end IS 'last day on which every task of the visit is open (the earliest period_end)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_id_seq', '');

-- A subject whose code is corrected (subject.uscc ON UPDATE CASCADE elsewhere) keeps its visits.
CREATE FUNCTION @extschema@.visit_follow_uscc() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.visit v SET uscc = NEW.uscc WHERE v.uscc = OLD.uscc;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.visit_follow_uscc() IS 'trigger: a corrected subject code is carried into its visits';
CREATE TRIGGER visit_follow_uscc AFTER UPDATE OF uscc ON @extschema@.subject
    FOR EACH ROW WHEN (OLD.uscc OPERATOR(@extschema@.<>) NEW.uscc)
    EXECUTE FUNCTION @extschema@.visit_follow_uscc();

CREATE VIEW @extschema@.visit_task AS
SELECT v.id AS visit_id, v.uscc, u.task_id, u.draw_id
  FROM @extschema@.visit v,
       LATERAL ROWS FROM (pg_catalog.unnest(v.task_ids), pg_catalog.unnest(v.draw_ids)) AS u(task_id, draw_id);
COMMENT ON VIEW @extschema@.visit_task IS 'the tasks of each visit, one row per task, with the draw that drew the subject for it';

-- The window function that hands each subject's targets to C in one pass.
CREATE FUNCTION @extschema@.visit_group(period_start date, period_end date) RETURNS integer
    AS 'MODULE_PATHNAME', 'visit_group'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.visit_group(date, date) IS
    'window function: groups the rows of the partition (one subject''s tasks) into the fewest sets whose periods [period_start, period_end] share a day (minimum stabbing points, exact greedy by end) and returns the row''s set number, 1, 2, ... in order of the sets'' last common day; NULL for a row with a NULL bound; use as visit_group(s, e) OVER (PARTITION BY uscc)';

CREATE TYPE @extschema@.visit_summary AS (window_start date, window_end date, task_ids bigint[], draw_ids bigint[]);
COMMENT ON TYPE @extschema@.visit_summary IS 'one planned visit as visit_summary() returns it: the shared days and the task and draw ids, by task id';

CREATE FUNCTION @extschema@.visit_summary(period_start date, period_end date, task_id bigint, draw_id bigint)
    RETURNS @extschema@.visit_summary
    AS 'MODULE_PATHNAME', 'visit_summary'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.visit_summary(date, date, bigint, bigint) IS
    'window function: groups the partition''s rows like visit_group() and returns, on the first row (in partition order) of each group, the group as a visit_summary (window = the days all its periods share; task and draw ids sorted by task id), NULL on the other rows; use as visit_summary(s, e, task_id, draw_id) OVER (PARTITION BY uscc)';

-- The department that leads a visit of these tasks.
CREATE FUNCTION @extschema@.visit_lead_department(task_ids bigint[]) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
BEGIN ATOMIC
    WITH t AS (
        SELECT t.id, t.department_id,
               (SELECT count(DISTINCT ci.department_id)
                  FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                 WHERE ti.task_id OPERATOR(pg_catalog.=) t.id) AS departments,
               (SELECT count(*) FROM @extschema@.task_item ti WHERE ti.task_id OPERATOR(pg_catalog.=) t.id) AS items,
               EXISTS (SELECT 1 FROM @extschema@.task_merge m WHERE m.joint_task_id OPERATOR(pg_catalog.=) t.id) AS merged
          FROM @extschema@.task t
         WHERE t.id OPERATOR(pg_catalog.=) ANY (visit_lead_department.task_ids)
    )
    SELECT coalesce(
        (SELECT t.department_id FROM t WHERE t.departments OPERATOR(pg_catalog.>) 1 OR t.merged
          ORDER BY t.departments DESC, t.items DESC, t.id LIMIT 1),
        (SELECT ci.department_id
           FROM (SELECT DISTINCT ti.item_id FROM @extschema@.task_item ti
                  WHERE ti.task_id OPERATOR(pg_catalog.=) ANY (visit_lead_department.task_ids)) i
           JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) i.item_id
          GROUP BY ci.department_id ORDER BY count(*) DESC, ci.department_id LIMIT 1),
        (SELECT min(t.department_id) FROM t));
END;
COMMENT ON FUNCTION @extschema@.visit_lead_department(bigint[]) IS
    'the lead department of a visit of these tasks: the initiator of a joint task among them (the one with most departments, then most items, then the lowest task id); otherwise the department with most of the visit''s items, then the lowest department id; a visit of tasks without items falls back to the lowest initiating department';

-- The visits a year would get: one sorted pass over the live drawn targets, grouped in C.
CREATE FUNCTION @extschema@.visit_plan(year integer)
    RETURNS TABLE (uscc @extschema@.uscc, window_start date, window_end date, task_ids bigint[],
                   draw_ids bigint[], lead_department_id bigint)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
BEGIN ATOMIC
    WITH
    -- visits with a recorded inspection are pinned: their targets are not grouped again
    pinned_target AS (
        SELECT DISTINCT v.uscc, u.task_id
          FROM @extschema@.inspection i
          JOIN @extschema@.visit v ON v.uscc OPERATOR(@extschema@.=) i.uscc
                                  AND v.year OPERATOR(pg_catalog.=) visit_plan.year
                                  AND i.task_id OPERATOR(pg_catalog.=) ANY (v.task_ids)
          CROSS JOIN LATERAL pg_catalog.unnest(v.task_ids) u(task_id)
    ),
    -- the live drawn targets of the tasks whose period starts in the year
    target AS (
        SELECT dt.uscc, t.id AS task_id, d.id AS draw_id, t.period_start, t.period_end
          FROM @extschema@.draw_record d
          JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) d.task_id
          JOIN @extschema@.draw_target dt ON dt.draw_id OPERATOR(pg_catalog.=) d.id
         WHERE d.cancelled_at IS NULL
           AND t.period_start OPERATOR(pg_catalog.>=) pg_catalog.make_date(visit_plan.year, 1, 1)
           AND t.period_start OPERATOR(pg_catalog.<=) pg_catalog.make_date(visit_plan.year, 12, 31)
           AND NOT EXISTS (SELECT 1 FROM pinned_target p
                            WHERE p.uscc OPERATOR(@extschema@.=) dt.uscc AND p.task_id OPERATOR(pg_catalog.=) t.id)
    ),
    -- C groups each subject's rows (visits.c); the first row of each visit carries it
    planned AS (
        SELECT gr.uscc, (gr.v).window_start, (gr.v).window_end, (gr.v).task_ids, (gr.v).draw_ids
          FROM (SELECT tg.uscc, @extschema@.visit_summary(tg.period_start, tg.period_end, tg.task_id, tg.draw_id)
                                OVER (PARTITION BY tg.uscc ORDER BY tg.period_end, tg.period_start, tg.task_id) AS v
                  FROM target tg) gr
         WHERE gr.v IS NOT NULL
    ),
    lead AS MATERIALIZED (   -- once per distinct set of tasks, not per visit
        SELECT s.task_ids, @extschema@.visit_lead_department(s.task_ids) AS department_id
          FROM (SELECT DISTINCT p.task_ids FROM planned p) s
    )
    SELECT p.uscc, p.window_start, p.window_end, p.task_ids, p.draw_ids, l.department_id
      FROM planned p JOIN lead l ON l.task_ids OPERATOR(pg_catalog.=) p.task_ids;
END;
COMMENT ON FUNCTION @extschema@.visit_plan(integer) IS
    'the visits plan_visits(year) would make, without making them: for every subject, its live drawn targets of tasks whose period starts in the year (less those in visits with a recorded inspection) grouped into the fewest visits whose tasks share a day, with window, task and draw ids and lead department';

CREATE FUNCTION @extschema@.plan_visits(year integer) RETURNS integer
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    y constant integer := plan_visits.year;
    result integer;
BEGIN
    IF y NOT BETWEEN 1 AND 5874897 THEN
        RAISE EXCEPTION 'year % is out of range', y USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One planner at a time; record_visit_result (FOR SHARE on the visit) waits, and results
    -- recorded directly in inspection cannot slip in between deciding what is pinned and rebuilding.
    LOCK TABLE @extschema@.visit IN EXCLUSIVE MODE;
    LOCK TABLE @extschema@.inspection IN SHARE MODE;

    WITH
    plan AS MATERIALIZED (SELECT * FROM @extschema@.visit_plan(y)),
    -- the year's visits without a recorded inspection: remade (or kept when made again)
    old AS MATERIALIZED (
        SELECT v.id, v.uscc, v.task_ids, v.draw_ids FROM @extschema@.visit v
         WHERE v.year OPERATOR(pg_catalog.=) y
           AND NOT EXISTS (SELECT 1 FROM @extschema@.inspection i
                            WHERE i.uscc OPERATOR(@extschema@.=) v.uscc AND i.task_id OPERATOR(pg_catalog.=) ANY (v.task_ids))
    ),
    -- an existing visit that the new plan makes again (same subject, tasks and draws) keeps its id
    removed AS (
        DELETE FROM @extschema@.visit v USING old o
         WHERE v.id OPERATOR(pg_catalog.=) o.id
           AND NOT EXISTS (SELECT 1 FROM plan p
                            WHERE p.uscc OPERATOR(@extschema@.=) o.uscc AND p.task_ids OPERATOR(pg_catalog.=) o.task_ids
                              AND p.draw_ids OPERATOR(pg_catalog.=) o.draw_ids)
        RETURNING v.id
    ),
    kept AS (
        UPDATE @extschema@.visit v
           SET window_start = p.window_start, window_end = p.window_end,
               lead_department_id = p.lead_department_id
          FROM plan p, old o
         WHERE o.id OPERATOR(pg_catalog.=) v.id
           AND o.uscc OPERATOR(@extschema@.=) p.uscc AND o.task_ids OPERATOR(pg_catalog.=) p.task_ids
           AND o.draw_ids OPERATOR(pg_catalog.=) p.draw_ids
           AND (v.window_start, v.window_end, v.lead_department_id)
               IS DISTINCT FROM (p.window_start, p.window_end, p.lead_department_id)
        RETURNING v.id
    ),
    added AS (
        INSERT INTO @extschema@.visit (year, uscc, lead_department_id, window_start, window_end, task_ids, draw_ids)
        SELECT y, p.uscc, p.lead_department_id, p.window_start, p.window_end, p.task_ids, p.draw_ids
          FROM plan p
         WHERE NOT EXISTS (SELECT 1 FROM old o
                            WHERE o.uscc OPERATOR(@extschema@.=) p.uscc AND o.task_ids OPERATOR(pg_catalog.=) p.task_ids
                              AND o.draw_ids OPERATOR(pg_catalog.=) p.draw_ids)
        RETURNING id
    )
    -- (removed, kept and added run to completion whether read or not)
    SELECT count(*) FROM plan INTO result;
    RETURN result + (SELECT count(*) FROM @extschema@.visit v
                      WHERE v.year OPERATOR(pg_catalog.=) y
                        AND EXISTS (SELECT 1 FROM @extschema@.inspection i
                                     WHERE i.uscc OPERATOR(@extschema@.=) v.uscc
                                       AND i.task_id OPERATOR(pg_catalog.=) ANY (v.task_ids)));
END
$$;
COMMENT ON FUNCTION @extschema@.plan_visits(integer) IS
    'plans the year''s visits (联合检查): for every subject, its live drawn targets of tasks whose period starts in the year are grouped into the fewest visits whose tasks share a day (exact, in C); returns the number of visits the year has. Re-running is idempotent: a visit made again keeps its id, a visit with a recorded inspection is kept as it is and its targets are not regrouped, other visits are remade';

-- ---- what a visit is: subject, departments, items, inspectors; the comprehensive checklist ----

-- The departments of each task: those of its items.
CREATE VIEW @extschema@.task_department AS
SELECT DISTINCT ti.task_id, ci.department_id
  FROM @extschema@.task_item ti
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id;
COMMENT ON VIEW @extschema@.task_department IS
    'the departments whose items a task holds (two or more make it a joint task); each records its own result';

CREATE VIEW @extschema@.v_joint_visits AS
SELECT v.id AS visit_id, v.uscc, v.lead_department_id,
       ARRAY(SELECT DISTINCT ci.department_id
               FROM pg_catalog.unnest(v.task_ids) u(task_id)
               JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
               JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
              ORDER BY 1) AS department_ids,
       ARRAY(SELECT DISTINCT ti.item_id
               FROM pg_catalog.unnest(v.task_ids) u(task_id)
               JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
              ORDER BY 1) AS item_ids,
       v.window_start, v.window_end,
       v.year, v.task_ids, v.draw_ids,
       ARRAY(SELECT DISTINCT a.inspector_id
               FROM pg_catalog.unnest(v.draw_ids) u(draw_id)
               JOIN @extschema@.assignment a ON a.draw_id OPERATOR(pg_catalog.=) u.draw_id
                                            AND a.uscc OPERATOR(@extschema@.=) v.uscc
              ORDER BY 1) AS inspector_ids,
       s.name AS subject_name,
       ld.name AS lead_department_name
  FROM @extschema@.visit v
  LEFT JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) v.uscc
  LEFT JOIN @extschema@.department ld ON ld.id OPERATOR(pg_catalog.=) v.lead_department_id;
COMMENT ON VIEW @extschema@.v_joint_visits IS
    'visits (联合检查) with their subject, lead department, departments and items (of the visit''s tasks), the window of shared days, the tasks and draws, and the inspectors matched to the subject by those draws (all departments)';

CREATE VIEW @extschema@.v_visit_checklist AS
SELECT v.id AS visit_id, ci.department_id, ci.id AS item_id, ci.name AS item_name,
       dep.name AS department_name, ci.code AS item_code, ci.category, ci.legal_basis, ci.key_supervision,
       (ci.department_id OPERATOR(pg_catalog.=) v.lead_department_id) AS lead_department,
       it.task_ids, v.uscc, v.window_start, v.window_end
  FROM @extschema@.visit v
  CROSS JOIN LATERAL (
        SELECT ti.item_id, array_agg(u.task_id ORDER BY u.task_id) AS task_ids
          FROM pg_catalog.unnest(v.task_ids) u(task_id)
          JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
         GROUP BY ti.item_id) it
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) it.item_id
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) ci.department_id
 ORDER BY v.id, ci.department_id, ci.code, ci.id;
COMMENT ON VIEW @extschema@.v_visit_checklist IS
    'the comprehensive checklist (综合检查单) of each visit: every department''s items with legal basis and category, ordered by visit, department, item code; task_ids are the visit''s tasks that hold the item';

-- ---- results against a visit, seen by every department (结果互认) --------------------------

CREATE VIEW @extschema@.v_visit_results AS
SELECT v.id AS visit_id, v.uscc, u.task_id, td.department_id, dep.name AS department_name,
       i.id AS inspection_id, i.inspected_on, i.result_code, rc.name_zh AS result_name,
       rc.problem_found, i.result_on, i.note,
       (i.result_code IS NOT NULL) AS recorded
  FROM @extschema@.visit v
  CROSS JOIN LATERAL pg_catalog.unnest(v.task_ids) u(task_id)
  JOIN @extschema@.task_department td ON td.task_id OPERATOR(pg_catalog.=) u.task_id
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) td.department_id
  LEFT JOIN @extschema@.inspection i ON i.task_id OPERATOR(pg_catalog.=) u.task_id
                                    AND i.uscc OPERATOR(@extschema@.=) v.uscc
                                    AND i.department_id OPERATOR(pg_catalog.=) td.department_id
  LEFT JOIN @extschema@.result_code rc ON rc.code OPERATOR(pg_catalog.=) i.result_code;
COMMENT ON VIEW @extschema@.v_visit_results IS
    'results recognised across departments (结果互认): for every visit, each of its tasks and each department with items in the task, that department''s inspection and result (NULL until recorded), so every department sees the others''';

CREATE FUNCTION @extschema@.record_visit_result(visit_id bigint, department_id bigint, result_code text,
                                                result_on date, inspected_on date DEFAULT NULL,
                                                note text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v           @extschema@.visit;
    day         date := coalesce(record_visit_result.inspected_on, record_visit_result.result_on);
    dept_tasks  bigint[];
    stale       record;
    written     integer;
BEGIN
    IF record_visit_result.visit_id IS NULL OR record_visit_result.department_id IS NULL
       OR record_visit_result.result_code IS NULL OR record_visit_result.result_on IS NULL THEN
        RAISE EXCEPTION 'visit_id, department_id, result_code and result_on must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- FOR SHARE: plan_visits (EXCLUSIVE on visit) cannot remake the visit under us
    SELECT * INTO v FROM @extschema@.visit x WHERE x.id = record_visit_result.visit_id FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'visit % does not exist', record_visit_result.visit_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(td.task_id ORDER BY td.task_id) INTO dept_tasks
      FROM @extschema@.task_department td
     WHERE td.task_id = ANY (v.task_ids) AND td.department_id = record_visit_result.department_id;
    IF dept_tasks IS NULL THEN
        RAISE EXCEPTION 'department % has no items in visit %', record_visit_result.department_id, v.id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('The departments of visit %s are %s.', v.id,
                      (SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', d.id, d.name), ', ' ORDER BY d.id)
                         FROM @extschema@.department d
                        WHERE d.id IN (SELECT td.department_id FROM @extschema@.task_department td
                                        WHERE td.task_id = ANY (v.task_ids))));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.result_code rc WHERE rc.code = record_visit_result.result_code) THEN
        RAISE EXCEPTION 'unknown result code: "%"', record_visit_result.result_code
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of: ' || (SELECT pg_catalog.string_agg(rc.code, ', ' ORDER BY rc.sort_order, rc.code)
                                              FROM @extschema@.result_code rc) || '.';
    END IF;
    IF record_visit_result.result_on < day THEN
        RAISE EXCEPTION 'result day % is before the inspection day %', record_visit_result.result_on, day
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A result (检查结果) is formed on or after the day of the check.';
    END IF;
    IF day NOT BETWEEN v.window_start AND v.window_end THEN
        RAISE EXCEPTION 'inspection day % is outside visit %''s window % to %', day, v.id, v.window_start, v.window_end
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The visit enters the subject once, on a day all its tasks are open; pass inspected_on within the window.';
    END IF;
    SELECT d.id, d.task_id, d.cancelled_at INTO stale
      FROM ROWS FROM (pg_catalog.unnest(v.task_ids), pg_catalog.unnest(v.draw_ids)) u(task_id, draw_id)
      JOIN @extschema@.draw_record d ON d.id = u.draw_id
     WHERE u.task_id = ANY (dept_tasks) AND d.cancelled_at IS NOT NULL
     ORDER BY d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'visit % is out of date: draw % of task % was cancelled', v.id, stale.id, stale.task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('Run supervise.plan_visits(%s) again.', v.year);
    END IF;

    INSERT INTO @extschema@.inspection AS i (task_id, uscc, department_id, inspected_on, result_code, result_on, note)
    SELECT t, v.uscc, record_visit_result.department_id, day, record_visit_result.result_code,
           record_visit_result.result_on, record_visit_result.note
      FROM pg_catalog.unnest(dept_tasks) t
    ON CONFLICT ON CONSTRAINT "one inspection per task, subject and department" DO UPDATE
       SET inspected_on = EXCLUDED.inspected_on, result_code = EXCLUDED.result_code,
           result_on = EXCLUDED.result_on, note = coalesce(EXCLUDED.note, i.note);
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;
COMMENT ON FUNCTION @extschema@.record_visit_result(bigint, bigint, text, date, date, text) IS
    'records one department''s result of a visit: writes (or corrects) the inspection of the subject for each of the visit''s tasks that hold that department''s items and returns how many; inspected_on defaults to result_on and must lie in the visit''s window; every department sees it in v_visit_results (结果互认). A visit with a recorded inspection is kept by plan_visits';

-- ---- report for reporting tools ------------------------------------------------------------

CREATE VIEW @extschema@.v_visit_report AS
WITH part AS (
    SELECT v.id AS visit_id, pg_catalog.date_trunc('month', v.window_start)::date AS month, td.department_id,
           bool_and(i.result_code IS NOT NULL) AS done
      FROM @extschema@.visit v
      CROSS JOIN LATERAL pg_catalog.unnest(v.task_ids) u(task_id)
      JOIN @extschema@.task_department td ON td.task_id OPERATOR(pg_catalog.=) u.task_id
      LEFT JOIN @extschema@.inspection i ON i.task_id OPERATOR(pg_catalog.=) u.task_id
                                        AND i.uscc OPERATOR(@extschema@.=) v.uscc
                                        AND i.department_id OPERATOR(pg_catalog.=) td.department_id
     GROUP BY v.id, month, td.department_id
), took_part AS (
    SELECT p.department_id, p.month, count(*) AS planned, count(*) FILTER (WHERE p.done) AS done
      FROM part p GROUP BY p.department_id, p.month
), led AS (
    SELECT v.lead_department_id AS department_id, pg_catalog.date_trunc('month', v.window_start)::date AS month,
           count(*) AS led, sum(pg_catalog.cardinality(v.task_ids)) AS pairs
      FROM @extschema@.visit v GROUP BY 1, 2
)
SELECT dep.id AS department_id, dep.name AS department_name, x.month,
       coalesce(t.planned, 0) AS visits_planned,
       coalesce(t.done, 0) AS visits_done,
       coalesce(l.led, 0) AS visits_led,
       coalesce(l.pairs, 0) AS task_subject_pairs,
       coalesce(l.pairs OPERATOR(pg_catalog.-) l.led, 0) AS entries_saved
  FROM (SELECT department_id, month FROM took_part UNION SELECT department_id, month FROM led) x
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) x.department_id
  LEFT JOIN took_part t ON t.department_id OPERATOR(pg_catalog.=) x.department_id AND t.month OPERATOR(pg_catalog.=) x.month
  LEFT JOIN led l ON l.department_id OPERATOR(pg_catalog.=) x.department_id AND l.month OPERATOR(pg_catalog.=) x.month;
COMMENT ON VIEW @extschema@.v_visit_report IS
    'per department and month of the visit window''s start: visits_planned (visits with the department''s items), visits_done (of those, with all the department''s results recorded), visits_led, and for the visits it leads the task-subject pairs and the separate entries into enterprises saved by visiting once (task_subject_pairs - visits_led; counted on the lead department only, so the column sums to the total saved)';

-- ---- src/sql/90_sample.sql ----
-- =====================================================================================
-- Sample data: a realistic province (Fujian, 福建省), deterministic from a seed, from 1,000 to
-- 10,000,000 subjects. For demos, tests and benchmarks; never needed in production.
--   SELECT * FROM supervise.generate_sample(100000, seed => 7);
-- =====================================================================================

-- Real county-level regions of five Fujian cities, with a weight ~ number of market subjects.
CREATE FUNCTION @extschema@.sample_regions()
RETURNS TABLE (region text, city_region text, city text, county text, weight integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT v.region, substr(v.region, 1, 4), v.city, v.county, v.weight
      FROM (VALUES
        ('350102', '福州市', '鼓楼区', 5), ('350103', '福州市', '台江区', 4), ('350104', '福州市', '仓山区', 5),
        ('350105', '福州市', '马尾区', 2), ('350111', '福州市', '晋安区', 4), ('350112', '福州市', '长乐区', 3),
        ('350121', '福州市', '闽侯县', 3), ('350122', '福州市', '连江县', 2), ('350181', '福州市', '福清市', 4),
        ('350203', '厦门市', '思明区', 6), ('350205', '厦门市', '海沧区', 3), ('350206', '厦门市', '湖里区', 6),
        ('350211', '厦门市', '集美区', 4), ('350212', '厦门市', '同安区', 3), ('350213', '厦门市', '翔安区', 2),
        ('350302', '莆田市', '城厢区', 2), ('350303', '莆田市', '涵江区', 2), ('350304', '莆田市', '荔城区', 2),
        ('350305', '莆田市', '秀屿区', 1), ('350322', '莆田市', '仙游县', 2),
        ('350502', '泉州市', '鲤城区', 2), ('350503', '泉州市', '丰泽区', 3), ('350504', '泉州市', '洛江区', 1),
        ('350505', '泉州市', '泉港区', 1), ('350521', '泉州市', '惠安县', 3), ('350524', '泉州市', '安溪县', 3),
        ('350526', '泉州市', '德化县', 1), ('350581', '泉州市', '石狮市', 4), ('350582', '泉州市', '晋江市', 7),
        ('350583', '泉州市', '南安市', 4),
        ('350602', '漳州市', '芗城区', 2), ('350603', '漳州市', '龙文区', 1), ('350604', '漳州市', '龙海区', 2),
        ('350622', '漳州市', '云霄县', 1), ('350623', '漳州市', '漳浦县', 2), ('350624', '漳州市', '诏安县', 1)
      ) AS v(region, city, county, weight)
$$;
COMMENT ON FUNCTION @extschema@.sample_regions() IS
    'sample data: real county-level region codes of five Fujian cities (福州 厦门 莆田 泉州 漳州) with relative weights';

-- non-negative pseudo-random number from (n, seed, salt); deterministic on every platform
CREATE FUNCTION @extschema@.sample_hash(n bigint, seed integer, salt integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.hashint8extended(n, seed::bigint * 1000 + salt) & 9223372036854775807;
COMMENT ON FUNCTION @extschema@.sample_hash(bigint, integer, integer) IS
    'sample data: a non-negative deterministic hash of (n, seed, salt)';

CREATE FUNCTION @extschema@.sample_subjects(subjects bigint, seed integer DEFAULT 1)
RETURNS TABLE (uscc text, name text, region text, industry text, credit_class text, risk_level text, status text)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
    WITH r AS (   -- one slot per unit of weight, so a county is picked by one array lookup
        SELECT array_agg(region ORDER BY region, g) AS slots,
               array_agg(substr(city, 1, 2) ORDER BY region, g) AS city_names
          FROM @extschema@.sample_regions(), generate_series(1, weight) g
    ), x AS (
        SELECT i,
               -- org code bodies: 'MA' + a bijection of i onto 6 base-31 characters (unique codes)
               (i * 1000003 + seed::bigint * 7919) % 887503681 AS m,
               @extschema@.sample_hash(i, seed, 1) AS h1,
               @extschema@.sample_hash(i, seed, 2) AS h2,
               @extschema@.sample_hash(i, seed, 3) AS h3,
               @extschema@.sample_hash(i, seed, 4) AS h4,
               @extschema@.sample_hash(i, seed, 5) AS h5
          FROM generate_series(1::bigint, subjects) i
    ), y AS (
        SELECT x.*, r.slots[1 + (h1 % cardinality(r.slots))::int] AS region,
               r.city_names[1 + (h1 % cardinality(r.slots))::int] AS city_name,
               CASE WHEN h2 % 100 < 70 THEN '91' WHEN h2 % 100 < 95 THEN '92'
                    WHEN h2 % 100 < 98 THEN '93' WHEN h2 % 100 < 99 THEN '52' ELSE '12' END AS kind,
               (ARRAY['餐饮服务', '食品销售', '食品生产', '药品零售', '批发零售', '建材家居',
                      '电子产品', '服装纺织', '物流运输', '医疗器械', '文化娱乐', '农资经营'])[1 + (h3 % 12)::int] AS industry
          FROM x, r
    )
    SELECT @extschema@.uscc_build(kind, region,
               'MA' || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 28629151 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 923521 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 29791 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 961 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 31 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m % 31)::int + 1, 1))::text,
           city_name
             || (ARRAY['鑫', '华', '恒', '泰', '盛', '达', '源', '兴', '福', '嘉', '瑞', '宏', '祥', '安', '利', '闽'])[1 + (h4 % 16)::int]
             || (ARRAY['华', '昌', '丰', '隆', '鹏', '诚', '信', '和', '海', '顺', '德', '荣'])[1 + (h5 % 12)::int]
             || left(industry, 2)
             || CASE kind WHEN '91' THEN '有限公司' WHEN '92' THEN '商行' WHEN '93' THEN '专业合作社'
                          WHEN '52' THEN '服务中心' ELSE '事务中心' END,
           region,
           industry,
           CASE WHEN h4 / 16 % 100 < 40 THEN 'A' WHEN h4 / 16 % 100 < 85 THEN 'B'
                WHEN h4 / 16 % 100 < 96 THEN 'C' ELSE 'D' END,
           (least(4, greatest(1,
                CASE WHEN industry IN ('食品生产', '药品零售', '医疗器械') THEN 3
                     WHEN industry IN ('餐饮服务', '食品销售', '文化娱乐', '农资经营') THEN 2 ELSE 1 END
                + (h5 / 12 % 3)::int - 1)))::text,
           CASE WHEN h5 / 36 % 1000 < 970 THEN 'active' WHEN h5 / 36 % 1000 < 980 THEN 'suspended'
                WHEN h5 / 36 % 1000 < 985 THEN 'liquidating' WHEN h5 / 36 % 1000 < 993 THEN 'deregistered'
                WHEN h5 / 36 % 1000 < 997 THEN 'revoked' ELSE 'moved_out' END
      FROM y
$$;
COMMENT ON FUNCTION @extschema@.sample_subjects(bigint, integer) IS
    'sample data: n realistic market subjects as text rows (the columns of subject_staging): valid unique codes with correct check characters, Fujian county regions, 70% enterprises / 25% individual businesses / cooperatives / social organisations, credit mostly A and B, ~3% not active; deterministic from the seed';

CREATE FUNCTION @extschema@.generate_sample(subjects bigint DEFAULT 10000, seed integer DEFAULT 1)
RETURNS TABLE (object text, rows bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    IF subjects < 1 OR subjects > 100000000 THEN
        RAISE EXCEPTION 'sample size % is out of range', subjects
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Ask for 1 to 100,000,000 subjects.';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.subject) OR EXISTS (SELECT 1 FROM @extschema@.department) THEN
        RAISE EXCEPTION 'the directory is not empty'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'generate_sample() fills an empty database; use a new database for sample data.';
    END IF;

    -- departments: province, city and county level of several enforcement systems
    INSERT INTO @extschema@.department (code, name, system, level, region)
    SELECT sys.abbr || '-35', '福建省' || sys.office, sys.system, 2, '35'
      FROM (VALUES ('market', 'SAMR', '市场监督管理局'), ('ecology', 'EE', '生态环境厅'),
                   ('culture', 'CT', '文化和旅游厅'), ('health', 'HC', '卫生健康委员会'),
                   ('emergency', 'EM', '应急管理厅'), ('agriculture', 'AG', '农业农村厅')) sys(system, abbr, office)
    UNION ALL
    SELECT DISTINCT ON (sys.abbr, r.city_region) sys.abbr || '-' || r.city_region, r.city || sys.office, sys.system, 3, r.city_region
      FROM @extschema@.sample_regions() r,
           (VALUES ('market', 'SAMR', '市场监督管理局'), ('ecology', 'EE', '生态环境局'),
                   ('culture', 'CT', '文化和旅游局'), ('health', 'HC', '卫生健康委员会'),
                   ('emergency', 'EM', '应急管理局'), ('agriculture', 'AG', '农业农村局')) sys(system, abbr, office)
    UNION ALL
    SELECT sys.abbr || '-' || r.region, r.city || r.county || sys.office, sys.system, 4, r.region
      FROM @extschema@.sample_regions() r,
           (VALUES ('market', 'SAMR', '市场监督管理局'), ('ecology', 'EE', '生态环境局'),
                   ('health', 'HC', '卫生健康局')) sys(system, abbr, office)
    ORDER BY 4, 5, 1;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'department'; rows := n; RETURN NEXT;

    INSERT INTO @extschema@.subject (uscc, name, region, industry, credit_class, risk_level, status)
    SELECT s.uscc::@extschema@.uscc, s.name, s.region, s.industry, s.credit_class, s.risk_level::smallint, s.status
      FROM @extschema@.sample_subjects(subjects, seed) s;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'subject'; rows := n; RETURN NEXT;

    -- the item list (一单) of each department, by system; some exempt from the repeat limits
    INSERT INTO @extschema@.check_item (department_id, code, name, category, legal_basis, key_supervision, limit_exempt, exempt_reason)
    SELECT d.id, i.code, i.name, i.category, i.basis, i.key_item, i.exempt_reason IS NOT NULL, i.exempt_reason
      FROM @extschema@.department d
      JOIN (VALUES
        ('market', 'SC-01', '营业执照（登记事项）情况的检查', 'registration', '《市场主体登记管理条例》', false, NULL),
        ('market', 'SC-02', '年度报告公示信息情况的检查', 'annual_report', '《企业信息公示暂行条例》', false, NULL),
        ('market', 'SC-03', '食品经营许可及经营行为的检查', 'food_safety', '《食品安全法》', true, NULL),
        ('market', 'SC-04', '产品质量的检查', 'product_quality', '《产品质量法》', false, NULL),
        ('market', 'SC-05', '告知承诺审批事项的核查', 'commitment', '《优化营商环境条例》', false, 'commitment'),
        ('ecology', 'EE-01', '排污许可执行情况的检查', 'pollution_permit', '《排污许可管理条例》', true, 'environment'),
        ('ecology', 'EE-02', '固体废物污染环境防治的检查', 'solid_waste', '《固体废物污染环境防治法》', false, 'environment'),
        ('culture', 'CT-01', '娱乐场所经营活动的检查', 'entertainment', '《娱乐场所管理条例》', false, NULL),
        ('culture', 'CT-02', '旅行社经营行为的检查', 'travel_agency', '《旅游法》', false, NULL),
        ('health', 'HC-01', '公共场所卫生的检查', 'public_health', '《公共场所卫生管理条例》', true, NULL),
        ('health', 'HC-02', '医疗机构依法执业的检查', 'medical_practice', '《医疗机构管理条例》', true, NULL),
        ('emergency', 'EM-01', '安全生产条件的检查', 'work_safety', '《安全生产法》', true, 'work_safety'),
        ('agriculture', 'AG-01', '农药经营的检查', 'pesticide', '《农药管理条例》', false, NULL),
        ('agriculture', 'AG-02', '种子经营的检查', 'seed', '《种子法》', false, NULL)
      ) AS i(system, code, name, category, basis, key_item, exempt_reason) ON i.system = d.system
     ORDER BY d.id, i.code;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'check_item'; rows := n; RETURN NEXT;

    -- inspectors: county market departments ~1 per 400 subjects, others fewer; at least 6
    WITH per_region AS (
        SELECT s.region, count(*) AS subjects FROM @extschema@.subject s GROUP BY s.region
    ), per_department AS (
        SELECT d.id, d.region, d.level,
               greatest(6, (coalesce(sum(p.subjects), 0)
                            / CASE WHEN d.system = 'market' THEN 400 ELSE 4000 END
                            / CASE d.level WHEN 4 THEN 1 WHEN 3 THEN 4 ELSE 20 END))::int AS officers
          FROM @extschema@.department d
          LEFT JOIN per_region p ON starts_with(p.region, d.region)
         GROUP BY d.id
    )
    INSERT INTO @extschema@.inspector (department_id, name, badge_no, active)
    SELECT pd.id,
           (ARRAY['林', '陈', '黄', '张', '吴', '王', '李', '郑', '刘', '蔡', '杨', '许', '洪', '郭', '曾', '周'])
               [1 + (@extschema@.sample_hash(pd.id * 100000 + g, seed, 11) % 16)::int]
           || (ARRAY['志强', '丽华', '建国', '海燕', '文斌', '晓明', '雅琴', '国华', '静', '伟', '敏', '磊', '婷婷', '俊杰', '秀英', '振华'])
               [1 + (@extschema@.sample_hash(pd.id * 100000 + g, seed, 12) % 16)::int],
           '35' || lpad(pd.id::text, 4, '0') || lpad(g::text, 5, '0'),
           @extschema@.sample_hash(pd.id * 100000 + g, seed, 13) % 50 <> 0      -- ~2% inactive
      FROM per_department pd, generate_series(1, pd.officers) g
     ORDER BY pd.id, g;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'inspector'; rows := n; RETURN NEXT;

    -- conflicts of interest (回避): ~0.2% of subjects, each with one officer of its county market department
    WITH officers AS (
        SELECT d.region, array_agg(i.id ORDER BY i.id) AS ids
          FROM @extschema@.inspector i JOIN @extschema@.department d ON d.id = i.department_id
         WHERE d.system = 'market' AND d.level = 4
         GROUP BY d.region
    )
    INSERT INTO @extschema@.inspector_conflict (inspector_id, uscc, reason)
    SELECT o.ids[1 + (pg_catalog.hashtextextended(s.uscc::text, seed + 21) & 2147483647) % cardinality(o.ids)],
           s.uscc,
           (ARRAY['近亲属任职', '曾在该企业任职', '持有该企业股份'])[1 + ((pg_catalog.hashtextextended(s.uscc::text, seed + 22) & 2147483647) % 3)::int]
      FROM @extschema@.subject s JOIN officers o ON o.region = s.region
     WHERE (pg_catalog.hashtextextended(s.uscc::text, seed + 20) & 2147483647) % 500 = 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'inspector_conflict'; rows := n; RETURN NEXT;

    -- a dedicated food directory (食品经营者专用名录) per county market department
    INSERT INTO @extschema@.directory (department_id, name, kind)
    SELECT d.id, d.name || '食品经营者专用名录', 'dedicated'
      FROM @extschema@.department d WHERE d.system = 'market' AND d.level = 4 ORDER BY d.id;
    INSERT INTO @extschema@.directory_member (directory_id, uscc)
    SELECT dir.id, s.uscc
      FROM @extschema@.directory dir
      JOIN @extschema@.department d ON d.id = dir.department_id
      JOIN @extschema@.subject s ON s.region = d.region
     WHERE s.industry IN ('餐饮服务', '食品销售', '食品生产');
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'directory_member'; rows := n; RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION @extschema@.generate_sample(bigint, integer) IS
    'fills an empty database with a realistic sample province (福建省): departments of six enforcement systems at province, city and county level, n subjects, item lists with exempt items, inspectors, conflicts of interest and food directories; deterministic from the seed; returns rows per table';
REVOKE EXECUTE ON FUNCTION @extschema@.generate_sample(bigint, integer) FROM PUBLIC;

-- ---- src/sql/95_public.sql ----
-- =====================================================================================
-- The public interface (一公开): what the disclosure site may show. SPEC §6, DOMAIN §6.
--
-- Confidentiality (依法不予公开: 国家秘密, 商业秘密, 个人隐私, 002 §三(八)). plan, task and inspection
-- have a column `confidential`: NULL (nothing withheld) or one of
--   state_secret      国家秘密: the object does not appear at all, nor anything under it —
--                     a plan's tasks, a task's target list and results, an inspection's result.
--                     (That such an object exists can itself be the secret.)
--   trade_secret      商业秘密 and
--   personal_privacy  个人隐私: the row appears (publishing the check and its result is the duty),
--                     but its descriptive text is withheld (NULL), and column `withheld` says why:
--                       plan        → title
--                       task        → title, item codes and item names (in every view that shows them)
--                       inspection  → the subject's name in public_results
-- Never published, whatever the marking: an inspection's note (a working note), inspectors and
-- assignments, directories, draw populations, disposals' document numbers, credit classes.
-- Individual businesses (个体工商户, USCC category 92): their registered names are published like
-- any subject's (they are public registration data); this database holds no operator's personal
-- name. Where a name would reveal a person, mark the inspection personal_privacy.
--
-- Publication: a row appears only when its item in supervise.publication is published
-- (published_on <= current_date): plan → item 'plan', task → 'task', target → 'target_list' of
-- its task, result → 'result'.
-- Surprise checks (突击检查): a task with surprise = true whose period_end >= current_date hides its
-- task, list and results, and the plan it belongs to, whatever was marked published.
--
-- The views are owned by the extension owner and read the tables with its rights (not
-- security_invoker), so a public reader needs SELECT on them and nothing else. Functions called
-- in a view run with the reader's rights, so the views call none that reads a table. They are security_barrier views:
-- a reader's own WHERE functions run only on rows the view already lets through.
-- =====================================================================================

ALTER TABLE @extschema@.plan ADD COLUMN confidential text
    CONSTRAINT "plan confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'));
ALTER TABLE @extschema@.task ADD COLUMN confidential text
    CONSTRAINT "task confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'));
ALTER TABLE @extschema@.inspection ADD COLUMN confidential text
    CONSTRAINT "inspection confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'));
COMMENT ON COLUMN @extschema@.plan.confidential IS
    'NULL = public; state_secret (国家秘密): the plan and its tasks, lists and results are never shown in the public views; trade_secret (商业秘密) / personal_privacy (个人隐私): the plan is shown with its title withheld';
COMMENT ON COLUMN @extschema@.task.confidential IS
    'NULL = public; state_secret (国家秘密): the task, its target list and results are never shown in the public views; trade_secret (商业秘密) / personal_privacy (个人隐私): shown with title and items withheld';
COMMENT ON COLUMN @extschema@.inspection.confidential IS
    'NULL = public; state_secret (国家秘密): the result is never shown in the public views; trade_secret (商业秘密) / personal_privacy (个人隐私): shown with the subject''s name withheld. The note is never public';

CREATE VIEW @extschema@.public_plans WITH (security_barrier) AS
SELECT p.id                                                 AS plan_id,
       p.department_id,
       d.name                                               AS department_name,
       p.year,
       CASE WHEN p.confidential IS NULL THEN p.title END   AS title,
       p.approved_on,
       pub.published_on,
       p.confidential                                       AS withheld
  FROM @extschema@.plan p
  JOIN @extschema@.department d ON d.id = p.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'plan' AND pub.object_id = p.id
 WHERE pub.published_on <= CURRENT_DATE
   AND p.confidential IS DISTINCT FROM 'state_secret'
   AND NOT EXISTS (SELECT 1 FROM @extschema@.task t
                    WHERE t.plan_id = p.id AND t.surprise AND t.period_end >= CURRENT_DATE);
COMMENT ON VIEW @extschema@.public_plans IS
    'disclosure site: published annual plans (年度抽查计划). Hidden: unpublished plans, state secrets, plans holding a surprise task that has not ended. title is NULL when withheld (withheld = trade_secret or personal_privacy)';
COMMENT ON COLUMN @extschema@.public_plans.withheld IS 'NULL, or why title is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

CREATE VIEW @extschema@.public_tasks WITH (security_barrier) AS
SELECT t.id                                                 AS task_id,
       CASE WHEN p.confidential IS NULL THEN t.plan_id END AS plan_id,
       t.department_id,
       d.name                                               AS department_name,
       deps.department_ids,
       deps.department_names,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS title,
       t.kind,
       t.period_start,
       t.period_end,
       t.sample_ratio,
       t.sample_size,
       (SELECT pg_catalog.jsonb_object_agg(s.credit_class, s.ratio ORDER BY s.credit_class)
          FROM @extschema@.task_stratum s WHERE s.task_id = t.id) AS stratum_ratios,
       CASE WHEN t.confidential IS NULL THEN items.codes END AS item_codes,
       CASE WHEN t.confidential IS NULL THEN items.names END AS item_names,
       pub.published_on,
       t.confidential                                       AS withheld
  FROM @extschema@.task t
  JOIN @extschema@.department d ON d.id = t.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'task' AND pub.object_id = t.id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  CROSS JOIN LATERAL (      -- the initiator first, then the other departments with items, by id
      SELECT array_agg(x.id ORDER BY x.id <> t.department_id, x.id) AS department_ids,
             array_agg(x.name ORDER BY x.id <> t.department_id, x.id) AS department_names
        FROM @extschema@.department x
       WHERE x.id = t.department_id
          OR x.id IN (SELECT ci.department_id FROM @extschema@.task_item ti
                        JOIN @extschema@.check_item ci ON ci.id = ti.item_id
                       WHERE ti.task_id = t.id)) deps
  CROSS JOIN LATERAL (
      SELECT array_agg(ci.code ORDER BY ci.department_id, ci.code) AS codes,
             array_agg(ci.name ORDER BY ci.department_id, ci.code) AS names
        FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id = ti.item_id
       WHERE ti.task_id = t.id) items
 WHERE pub.published_on <= CURRENT_DATE
   AND t.confidential IS DISTINCT FROM 'state_secret'
   AND p.confidential IS DISTINCT FROM 'state_secret'
   AND NOT (t.surprise AND t.period_end >= CURRENT_DATE);
COMMENT ON VIEW @extschema@.public_tasks IS
    'disclosure site: published spot-check tasks (抽查任务) with their departments (a joint task lists all: initiator first), period, ratio or size, items. Hidden: unpublished tasks, state secrets, surprise tasks that have not ended. title and items are NULL when withheld';
COMMENT ON COLUMN @extschema@.public_tasks.department_id IS 'the initiating department (发起部门)';
COMMENT ON COLUMN @extschema@.public_tasks.department_ids IS 'every department of the task: the initiator first, then the departments of its items by id';
COMMENT ON COLUMN @extschema@.public_tasks.department_names IS 'names of department_ids, in the same order';
COMMENT ON COLUMN @extschema@.public_tasks.plan_id IS 'the annual plan, NULL for a task without one or in a plan whose title is withheld';
COMMENT ON COLUMN @extschema@.public_tasks.stratum_ratios IS 'per credit class ratio ({"A": 0.03, "C": 0.1}) when the task draws by class, else NULL';
COMMENT ON COLUMN @extschema@.public_tasks.item_codes IS 'codes of the check items (抽查事项), by department then code; NULL when withheld';
COMMENT ON COLUMN @extschema@.public_tasks.item_names IS 'names of the check items, same order as item_codes; NULL when withheld';
COMMENT ON COLUMN @extschema@.public_tasks.withheld IS 'NULL, or why title and items are withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

CREATE VIEW @extschema@.public_results WITH (security_barrier) AS
SELECT i.id                                                 AS result_id,
       i.uscc::text                                         AS uscc,
       CASE WHEN i.confidential IS NULL THEN s.name END    AS subject_name,
       i.task_id,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS task_title,
       i.department_id,
       d.name                                               AS department_name,
       i.result_code,
       rc.name_zh                                           AS result_name,
       i.inspected_on,
       i.result_on,
       pub.published_on,
       i.confidential                                       AS withheld
  FROM @extschema@.inspection i
  JOIN @extschema@.task t ON t.id = i.task_id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  JOIN @extschema@.subject s ON s.uscc = i.uscc
  JOIN @extschema@.department d ON d.id = i.department_id
  JOIN @extschema@.result_code rc ON rc.code = i.result_code
  JOIN @extschema@.publication pub ON pub.kind = 'result' AND pub.object_id = i.id
 WHERE pub.published_on <= CURRENT_DATE
   AND i.confidential IS DISTINCT FROM 'state_secret'
   AND t.confidential IS DISTINCT FROM 'state_secret'
   AND p.confidential IS DISTINCT FROM 'state_secret'
   AND NOT (t.surprise AND t.period_end >= CURRENT_DATE);
COMMENT ON VIEW @extschema@.public_results IS
    'disclosure site: published check results (检查结果, 谁检查谁公示: by the department that checked). Hidden: unpublished results, state secrets (of the inspection, its task or plan), results of surprise tasks that have not ended. subject_name is NULL when the inspection is marked trade_secret or personal_privacy; task_title is NULL when the task''s title is withheld';
COMMENT ON COLUMN @extschema@.public_results.result_id IS 'a stable id of the result (the inspection id)';
COMMENT ON COLUMN @extschema@.public_results.uscc IS 'the subject''s unified social credit code (统一社会信用代码), 18 characters';
COMMENT ON COLUMN @extschema@.public_results.result_name IS 'the result in Chinese (e.g. 未发现问题)';
COMMENT ON COLUMN @extschema@.public_results.withheld IS 'NULL, or why subject_name is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

CREATE VIEW @extschema@.public_targets WITH (security_barrier) AS
SELECT t.id                                                 AS task_id,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS task_title,
       t.department_id,
       d.name                                               AS department_name,
       dt.uscc::text                                        AS uscc,
       s.name                                               AS subject_name,
       dt.stratum,
       dt.rank,
       r.id                                                 AS draw_id,
       (r.drawn_at AT TIME ZONE 'Asia/Shanghai')::date      AS drawn_on,
       r.algorithm,
       pg_catalog.encode(r.seed, 'hex')                     AS seed_hex,
       pg_catalog.encode(r.population_digest, 'hex')        AS population_digest_hex,
       r.population_size,
       pub.published_on,
       t.confidential                                       AS withheld
  FROM @extschema@.draw_record r
  JOIN @extschema@.task t ON t.id = r.task_id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  JOIN @extschema@.department d ON d.id = t.department_id
  JOIN @extschema@.draw_target dt ON dt.draw_id = r.id
  JOIN @extschema@.subject s ON s.uscc = dt.uscc
  JOIN @extschema@.publication pub ON pub.kind = 'target_list' AND pub.object_id = t.id
 WHERE r.cancelled_at IS NULL
   AND pub.published_on <= CURRENT_DATE
   AND t.confidential IS DISTINCT FROM 'state_secret'
   AND p.confidential IS DISTINCT FROM 'state_secret'
   AND NOT (t.surprise AND t.period_end >= CURRENT_DATE);
COMMENT ON VIEW @extschema@.public_targets IS
    'disclosure site: the published list of drawn targets (抽查对象名单) of each task''s live draw, with what a third party needs to check the draw: algorithm, seed and population digest (hex), population size, stratum and rank. Hidden: unpublished lists, cancelled draws, state secrets, surprise tasks that have not ended';
COMMENT ON COLUMN @extschema@.public_targets.department_id IS 'the initiating department of the task';
COMMENT ON COLUMN @extschema@.public_targets.drawn_on IS 'the day of the draw, Beijing time';
COMMENT ON COLUMN @extschema@.public_targets.seed_hex IS 'the 32-byte seed of the draw, 64 lower-case hex digits';
COMMENT ON COLUMN @extschema@.public_targets.population_digest_hex IS 'SHA-256 of the eligible population the draw was made from (see draw_record.population_digest), 64 lower-case hex digits';
COMMENT ON COLUMN @extschema@.public_targets.stratum IS 'credit class (A B C D) of the target when the task draws by class, else all';
COMMENT ON COLUMN @extschema@.public_targets.rank IS 'rank of the target within its stratum (1 = smallest key of the algorithm)';
COMMENT ON COLUMN @extschema@.public_targets.withheld IS 'NULL, or why task_title is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

-- ---- src/sql/96_security.sql ----
-- =====================================================================================
-- Who may see and do what: access grants, row-level security, the audit trail (全程留痕).
-- The install script creates no cluster role. A DBA (the extension owner) or an admin gives an
-- existing role one or more kinds of access with these functions:
--   grant_public_reader(role)                        the public views, nothing else
--   grant_department_officer(role, department_ids)   its departments' plans, tasks, results,
--                                                    disposals and publication (row-level security)
--   grant_admin(role)                                everything, every department; runs the grants
-- and revoke_public_reader / revoke_department_officer / revoke_admin. The grants are recorded in
-- access_role and officer_department; the functions own the role's privileges in this schema
-- (each call recomputes them from the records). Membership counts: a login role that is a member
-- (with INHERIT) of a granted group role gets its access. See doc/public-interface.md.
-- =====================================================================================

-- ---- the records ----

CREATE TABLE @extschema@.access_role (
    role_name   name NOT NULL,
    access      text NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by  name NOT NULL,
    PRIMARY KEY (role_name, access),
    CONSTRAINT "access is public_reader officer or admin" CHECK (access IN ('public_reader', 'officer', 'admin'))
);
COMMENT ON TABLE @extschema@.access_role IS
    'the kinds of access given to roles by grant_public_reader, grant_department_officer and grant_admin (change them only with those functions); a role sees only its own rows, admins see all in v_access';

CREATE TABLE @extschema@.officer_department (
    role_name       name NOT NULL,
    department_id   bigint NOT NULL REFERENCES @extschema@.department ON DELETE CASCADE,
    granted_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by      name NOT NULL,
    PRIMARY KEY (role_name, department_id)
);
CREATE INDEX officer_department_department_idx ON @extschema@.officer_department (department_id);
COMMENT ON TABLE @extschema@.officer_department IS
    'the departments a department officer role works for (grant_department_officer); row-level security lets it read and write those departments'' plans, tasks, results, disposals and publication items';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_role', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.officer_department', '');

-- ---- who is acting ----

-- The departments of the current user: rows of officer_department for roles it has the
-- privileges of (itself or a group role it inherits). Read under officer_department's RLS.
CREATE FUNCTION @extschema@.my_department_ids() RETURNS bigint[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT o.department_id
                   FROM @extschema@.officer_department o
                   JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) o.role_name
                  WHERE pg_catalog.pg_has_role(r.oid, 'USAGE')
                  ORDER BY o.department_id);
COMMENT ON FUNCTION @extschema@.my_department_ids() IS
    'the departments the current user is an officer of (directly or through a group role); empty for anyone else. Used by the row-level security policies';

CREATE FUNCTION @extschema@.is_admin() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN EXISTS (SELECT 1 FROM @extschema@.access_role a
                     JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) a.role_name
                    WHERE a.access OPERATOR(pg_catalog.=) 'admin' AND pg_catalog.pg_has_role(r.oid, 'USAGE'));
COMMENT ON FUNCTION @extschema@.is_admin() IS
    'true when the current user has admin access (grant_admin), directly or through a group role';

-- Tasks with an item of one of the departments (joint tasks they take part in). SECURITY
-- DEFINER: task_item's own policy reads task, so task's policy cannot read task_item under RLS
-- (that would recurse).
CREATE FUNCTION @extschema@.participating_task_ids(department_ids bigint[]) RETURNS bigint[]
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT DISTINCT ti.task_id
                   FROM @extschema@.task_item ti
                   JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                  WHERE ci.department_id OPERATOR(pg_catalog.=) ANY (department_ids))
$$;
COMMENT ON FUNCTION @extschema@.participating_task_ids(bigint[]) IS
    'internal (row-level security): ids of the tasks holding an item of one of the departments; not executable by PUBLIC';

-- ---- row-level security ----
-- Every policy is permissive and for all roles; an officer's rows come from my_department_ids(),
-- an admin's from is_admin(); anyone else matches nothing. The extension owner (table owner) and
-- superusers are not subject to RLS. Wrapped in (SELECT ...) so they are computed once a query.

ALTER TABLE @extschema@.access_role ENABLE ROW LEVEL SECURITY;
CREATE POLICY "a role sees its own access" ON @extschema@.access_role FOR SELECT
    USING (pg_catalog.pg_has_role((SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = role_name), 'USAGE'));

ALTER TABLE @extschema@.officer_department ENABLE ROW LEVEL SECURITY;
CREATE POLICY "a role sees its own departments" ON @extschema@.officer_department FOR SELECT
    USING (pg_catalog.pg_has_role((SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = role_name), 'USAGE'));

-- plans: own departments'
ALTER TABLE @extschema@.plan ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: own departments' plans" ON @extschema@.plan
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all plans" ON @extschema@.plan
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- tasks: read own and joint tasks taken part in; write only as the initiator, in own plans
ALTER TABLE @extschema@.task ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads own and joint tasks" ON @extschema@.task FOR SELECT
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
           OR id = ANY ((SELECT @extschema@.participating_task_ids(@extschema@.my_department_ids()))::bigint[]));
CREATE POLICY "officer: creates tasks of own departments" ON @extschema@.task FOR INSERT
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
                AND (plan_id IS NULL OR EXISTS (SELECT 1 FROM @extschema@.plan p WHERE p.id = task.plan_id
                                                   AND p.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))));
CREATE POLICY "officer: changes tasks it initiated" ON @extschema@.task FOR UPDATE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
                AND (plan_id IS NULL OR EXISTS (SELECT 1 FROM @extschema@.plan p WHERE p.id = task.plan_id
                                                   AND p.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))));
CREATE POLICY "officer: deletes tasks it initiated" ON @extschema@.task FOR DELETE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all tasks" ON @extschema@.task
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- items and strata: read with the task, written by the task's initiator
ALTER TABLE @extschema@.task_item ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads items of visible tasks" ON @extschema@.task_item FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id));
CREATE POLICY "officer: adds items to tasks it initiated" ON @extschema@.task_item FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: changes items of tasks it initiated" ON @extschema@.task_item FOR UPDATE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: removes items of tasks it initiated" ON @extschema@.task_item FOR DELETE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all task items" ON @extschema@.task_item
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.task_stratum ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads strata of visible tasks" ON @extschema@.task_stratum FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_stratum.task_id));
CREATE POLICY "officer: adds strata to tasks it initiated" ON @extschema@.task_stratum FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_stratum.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: changes strata of tasks it initiated" ON @extschema@.task_stratum FOR UPDATE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_stratum.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_stratum.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: removes strata of tasks it initiated" ON @extschema@.task_stratum FOR DELETE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_stratum.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all task strata" ON @extschema@.task_stratum
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- inspections (results): read own and those of visible tasks (结果互认 in joint tasks);
-- write own department's, for tasks it can see
ALTER TABLE @extschema@.inspection ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads own results and results of visible tasks" ON @extschema@.inspection FOR SELECT
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
           OR EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = inspection.task_id));
CREATE POLICY "officer: records own results for visible tasks" ON @extschema@.inspection FOR INSERT
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
                AND EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = inspection.task_id));
CREATE POLICY "officer: changes own results" ON @extschema@.inspection FOR UPDATE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
                AND EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = inspection.task_id));
CREATE POLICY "officer: deletes own results" ON @extschema@.inspection FOR DELETE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all inspections" ON @extschema@.inspection
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- disposals: those of own department's inspections
ALTER TABLE @extschema@.disposal ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: own departments' disposals" ON @extschema@.disposal
    USING (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = disposal.inspection_id
                      AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = disposal.inspection_id
                           AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all disposals" ON @extschema@.disposal
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- inspectors: own departments' only (other departments' officers are not shown)
ALTER TABLE @extschema@.inspector ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: own departments' inspectors" ON @extschema@.inspector FOR SELECT
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all inspectors" ON @extschema@.inspector
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.inspector_conflict ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: conflicts of own inspectors" ON @extschema@.inspector_conflict FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.inspector i WHERE i.id = inspector_conflict.inspector_id));
CREATE POLICY "admin: all conflicts" ON @extschema@.inspector_conflict
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- the publication schedule: own departments' items (谁检查谁公示); officers may only set
-- published_on (column privilege below), through mark_published
ALTER TABLE @extschema@.publication ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: own departments' publication items" ON @extschema@.publication FOR SELECT
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "officer: publishes own departments' items" ON @extschema@.publication FOR UPDATE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all publication items" ON @extschema@.publication
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- draws: read with the task (own and joint tasks); drawn and cancelled by the task's initiator.
-- draw_record.population (the eligible population) is readable by those officers only.
ALTER TABLE @extschema@.draw_record ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads draws of visible tasks" ON @extschema@.draw_record FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = draw_record.task_id));
CREATE POLICY "officer: draws tasks it initiated" ON @extschema@.draw_record FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = draw_record.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: cancels draws of tasks it initiated" ON @extschema@.draw_record FOR UPDATE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = draw_record.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = draw_record.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all draws" ON @extschema@.draw_record
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.draw_target ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads targets of visible draws" ON @extschema@.draw_target FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.draw_record r WHERE r.id = draw_target.draw_id));
CREATE POLICY "officer: records targets of its draws" ON @extschema@.draw_target FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.draw_record r JOIN @extschema@.task t ON t.id = r.task_id
                         WHERE r.id = draw_target.draw_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all draw targets" ON @extschema@.draw_target
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.assignment ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads assignments of visible draws" ON @extschema@.assignment FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.draw_record r WHERE r.id = assignment.draw_id));
CREATE POLICY "officer: assigns in draws of tasks it initiated" ON @extschema@.assignment FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.draw_record r JOIN @extschema@.task t ON t.id = r.task_id
                         WHERE r.id = assignment.draw_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all assignments" ON @extschema@.assignment
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- The schedule views read publication with the caller's rights, so RLS applies to them
-- (a view runs as its owner by default, which would show every department's items).
ALTER VIEW @extschema@.v_publication_schedule SET (security_invoker = true);
ALTER VIEW @extschema@.v_overdue_publications SET (security_invoker = true);

-- Publication items are derived data: the trigger that keeps them in line with plans, tasks,
-- results and disposals runs as the owner, so a change an officer may make (RLS-checked on the
-- source row) also updates items of other departments that depend on it (a joint task's
-- results), and officers need no write access to publication. Its body is fully qualified.
ALTER FUNCTION @extschema@.publication_after_change() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- ---- the audit trail (全程留痕): append-only ----

CREATE TABLE @extschema@.audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor           name NOT NULL,
    session_actor   name NOT NULL DEFAULT SESSION_USER,
    txid            bigint NOT NULL DEFAULT pg_catalog.txid_current(),
    action          text NOT NULL,
    object_kind     text NOT NULL,
    object_id       bigint,
    department_id   bigint,
    detail          jsonb
);
CREATE INDEX audit_log_object_idx ON @extschema@.audit_log (object_kind, object_id);
COMMENT ON TABLE @extschema@.audit_log IS
    'the audit trail (全程留痕、责任可溯): who did what and when to plans, tasks, items, draws, cancellations, matches, overrides, results, disposals, publication and access grants. Append-only: written by triggers, never updated, deleted or truncated (triggers refuse it, also for the owner and in replica mode). Read it through v_audit_trail';
COMMENT ON COLUMN @extschema@.audit_log.at IS 'clock time of the change (several changes of one transaction share txid)';
COMMENT ON COLUMN @extschema@.audit_log.actor IS 'the role acting (SET ROLE role, else the session user), see acting_role()';
COMMENT ON COLUMN @extschema@.audit_log.session_actor IS 'the session (login) user';
COMMENT ON COLUMN @extschema@.audit_log.action IS 'create, update, delete, approve (approved_on set), result (a result recorded or changed), publish, draw, cancel_draw, match, direct_assign, override, grant, revoke';
COMMENT ON COLUMN @extschema@.audit_log.object_kind IS 'the table changed (plan, task, task_item, task_stratum, inspection, disposal, draw_record, assignment, limit_override), a publication kind for publish, or role for grants';
COMMENT ON COLUMN @extschema@.audit_log.detail IS 'create/delete: the row; update: {column: {"old": ..., "new": ...}} for changed columns only; draw populations are left out (they are kept in draw_record)';
-- pg_dump and restore: the entries are dumped; the sequence is not. While a restore runs, the
-- triggers on the restored tables write entries of their own (the restore is an act too: the
-- restoring role created those rows), so ids can meet: an entry whose id is taken gets a fresh
-- one past the highest id in use.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit_log', '');

CREATE FUNCTION @extschema@.audit_log_id_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM @extschema@.audit_log a WHERE a.id OPERATOR(pg_catalog.=) NEW.id) THEN
        PERFORM pg_catalog.setval('@extschema@.audit_log_id_seq',
                                  (SELECT pg_catalog.max(a.id) FROM @extschema@.audit_log a));
        NEW.id := pg_catalog.nextval('@extschema@.audit_log_id_seq');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.audit_log_id_guard() IS
    'trigger on audit_log: an entry whose id is already taken (restore) gets a fresh id past the highest in use';
CREATE TRIGGER audit_log_id_guard BEFORE INSERT ON @extschema@.audit_log
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_log_id_guard();

CREATE FUNCTION @extschema@.audit_log_refuse() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on %.% is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = '全程留痕: entries of the audit trail are never changed or removed, by anyone.',
              HINT = 'Record a correction as a new change of the object itself; it is logged too.';
END
$$;
COMMENT ON FUNCTION @extschema@.audit_log_refuse() IS
    'trigger on audit_log: refuses UPDATE, DELETE and TRUNCATE with 42501';
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON @extschema@.audit_log
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON @extschema@.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_log_refuse();
-- fire also with session_replication_role = replica
ALTER TABLE @extschema@.audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
ALTER TABLE @extschema@.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

-- One row trigger for every audited table. Runs as the owner so writers need no access to
-- audit_log; the actor is taken from acting_role(), which is the caller's.
CREATE FUNCTION @extschema@.audit_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_row     jsonb;
    new_row     jsonb;
    cur         jsonb;
    act         text;
    kind        text := TG_TABLE_NAME;
    oid_        bigint;
    dept        bigint;
    det         jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'population'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'population'; END IF;
    cur := coalesce(new_row, old_row);
    IF TG_OP = 'INSERT' THEN
        act := 'create'; det := new_row;
    ELSIF TG_OP = 'DELETE' THEN
        act := 'delete'; det := old_row;
    ELSE
        SELECT jsonb_object_agg(n.key, jsonb_build_object('old', old_row -> n.key, 'new', n.value))
          INTO det
          FROM jsonb_each(new_row) n
         WHERE n.value IS DISTINCT FROM (old_row -> n.key);
        IF det IS NULL THEN
            RETURN NULL;            -- nothing changed
        END IF;
        act := 'update';
    END IF;

    oid_ := (cur ->> 'id')::bigint;
    dept := (cur ->> 'department_id')::bigint;
    CASE TG_TABLE_NAME
    WHEN 'plan', 'task' THEN
        IF TG_OP = 'UPDATE' AND det ? 'approved_on' AND new_row ->> 'approved_on' IS NOT NULL THEN
            act := 'approve';
        END IF;
    WHEN 'task_item', 'task_stratum' THEN
        oid_ := (cur ->> 'task_id')::bigint;
        SELECT t.department_id INTO dept FROM @extschema@.task t WHERE t.id = oid_;
    WHEN 'inspection' THEN
        IF new_row ->> 'result_code' IS NOT NULL
           AND (TG_OP = 'INSERT' OR det ? 'result_code' OR det ? 'result_on') THEN
            act := 'result';
        END IF;
    WHEN 'disposal' THEN
        SELECT i.department_id INTO dept FROM @extschema@.inspection i
         WHERE i.id = (cur ->> 'inspection_id')::bigint;
    WHEN 'publication' THEN
        -- items are derived from their sources (audited there); publishing is the act
        IF TG_OP <> 'UPDATE' OR NOT det ? 'published_on' THEN
            RETURN NULL;
        END IF;
        act := 'publish';
        kind := new_row ->> 'kind';
        oid_ := (new_row ->> 'object_id')::bigint;
        det := jsonb_build_object('published_on', det -> 'published_on', 'due_on', new_row -> 'due_on',
                                  'event_on', new_row -> 'event_on', 'publication_id', new_row -> 'id');
    WHEN 'draw_record' THEN
        SELECT t.department_id INTO dept FROM @extschema@.task t WHERE t.id = (cur ->> 'task_id')::bigint;
        IF TG_OP = 'INSERT' THEN
            act := 'draw';
        ELSIF TG_OP = 'UPDATE' AND det ? 'cancelled_at' AND new_row ->> 'cancelled_at' IS NOT NULL THEN
            act := 'cancel_draw';
        END IF;
    WHEN 'assignment' THEN
        -- only direct assignments come here (row trigger WHEN direct); matches are per statement
        act := 'direct_assign';
        oid_ := (cur ->> 'draw_id')::bigint;
    WHEN 'limit_override' THEN
        IF TG_OP = 'INSERT' THEN
            act := 'override';
        END IF;
    ELSE
        NULL;
    END CASE;

    INSERT INTO @extschema@.audit_log (actor, action, object_kind, object_id, department_id, detail)
    VALUES (@extschema@.acting_role(), act, kind, oid_, dept, det);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.audit_row() IS
    'trigger: writes one audit_log entry per changed row (create, update with the changed columns, delete, and the domain acts approve, result, publish, draw, cancel_draw, direct_assign, override); SECURITY DEFINER so writers need no access to audit_log';

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.plan
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.task
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.task_item
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.task_stratum
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.inspection
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.disposal
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER UPDATE OF published_on ON @extschema@.publication
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();

CREATE TRIGGER audit AFTER INSERT OR UPDATE ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit_direct AFTER INSERT ON @extschema@.assignment
    FOR EACH ROW WHEN (NEW.direct) EXECUTE FUNCTION @extschema@.audit_row();

-- A match (match_inspectors) makes many assignments in one statement: one entry per draw.
CREATE FUNCTION @extschema@.audit_match() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO @extschema@.audit_log (actor, action, object_kind, object_id, department_id, detail)
    SELECT @extschema@.acting_role(), 'match', 'draw_record', n.draw_id, t.department_id,
           jsonb_build_object('assignments', count(*), 'targets', count(DISTINCT n.uscc),
                              'department_ids', jsonb_agg(DISTINCT n.department_id))
      FROM new_rows n
      JOIN @extschema@.draw_record r ON r.id = n.draw_id
      JOIN @extschema@.task t ON t.id = r.task_id
     WHERE NOT n.direct
     GROUP BY n.draw_id, t.department_id
     ORDER BY n.draw_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.audit_match() IS
    'statement trigger on assignment: one audit_log entry (action match) per draw whose inspectors were matched, with the counts';
CREATE TRIGGER audit_match AFTER INSERT ON @extschema@.assignment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_match();

CREATE VIEW @extschema@.v_audit_trail AS
SELECT a.id, a.at, a.actor, a.session_actor, a.action, a.object_kind, a.object_id,
       a.department_id, d.name AS department_name, a.detail, a.txid
  FROM @extschema@.audit_log a
  LEFT JOIN @extschema@.department d ON d.id = a.department_id;
COMMENT ON VIEW @extschema@.v_audit_trail IS
    'for auditors (admins): the audit trail with department names, in id order when sorted by id';

-- ---- granting access ----

-- The public views: whatever exists of them (public_targets comes with the draws).
CREATE FUNCTION @extschema@.public_view_names() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT pg_catalog.format('%I.%I', '@extschema@', c.relname) FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
                    AND c.relkind OPERATOR(pg_catalog.=) 'v'
                    AND c.relname OPERATOR(pg_catalog.=) ANY ('{public_plans,public_tasks,public_targets,public_results}')
                  ORDER BY c.relname);
COMMENT ON FUNCTION @extschema@.public_view_names() IS
    'the public views of the disclosure site (public_plans, public_tasks, public_targets, public_results), schema-qualified';

-- Recompute a role's privileges in this schema from access_role / officer_department.
CREATE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r       text := role::text;     -- quoted as needed by regrole's output
    rname   name := (SELECT a.rolname FROM pg_catalog.pg_roles a WHERE a.oid = role);
    acc     text[];
BEGIN
    -- start from nothing (PUBLIC's defaults are not touched)
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %s', r);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM %s', r);
    EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA @extschema@ FROM %s', r);
    EXECUTE format('REVOKE ALL ON SCHEMA @extschema@ FROM %s', r);
    SELECT array_agg(a.access) INTO acc FROM @extschema@.access_role a WHERE a.role_name = rname;
    IF acc IS NULL THEN
        RETURN;
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %s', r);
    EXECUTE format('GRANT SELECT ON %s TO %s', array_to_string(@extschema@.public_view_names(), ', '), r);

    IF 'officer' = ANY (acc) OR 'admin' = ANY (acc) THEN
        EXECUTE format('GRANT SELECT ON @extschema@.access_role, @extschema@.officer_department TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.participating_task_ids(bigint[]) TO %s', r);
    END IF;

    IF 'officer' = ANY (acc) THEN
        -- the shared directories and rules
        EXECUTE format('GRANT SELECT ON @extschema@.department, @extschema@.subject, @extschema@.directory,
                        @extschema@.directory_member, @extschema@.check_item, @extschema@.result_code,
                        @extschema@.calendar_year, @extschema@.calendar_day, @extschema@.publication_rule,
                        @extschema@.task_filing_rule TO %s', r);
        -- own departments' work, under row-level security
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.plan, @extschema@.task,
                        @extschema@.task_item, @extschema@.task_stratum, @extschema@.inspection,
                        @extschema@.disposal TO %s', r);
        EXECUTE format('GRANT USAGE ON SEQUENCE @extschema@.plan_id_seq, @extschema@.task_id_seq,
                        @extschema@.inspection_id_seq, @extschema@.disposal_id_seq TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.inspector, @extschema@.inspector_conflict TO %s', r);
        EXECUTE format('GRANT SELECT, UPDATE (published_on) ON @extschema@.publication TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_publication_schedule, @extschema@.v_overdue_publications TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.mark_published(text, bigint, date) TO %s', r);
        -- draws of own tasks: the draw functions run as the owner and check may_act_on_task()
        EXECUTE format('GRANT SELECT ON @extschema@.draw_record, @extschema@.draw_target, @extschema@.assignment TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.draw(bigint, bytea, text), @extschema@.cancel_draw(bigint, text),
                        @extschema@.match_inspectors(bigint), @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) TO %s', r);
    END IF;

    IF 'admin' = ANY (acc) THEN
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA @extschema@ TO %s', r);
        -- the trail is written by triggers only
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON @extschema@.audit_log, @extschema@.access_role,
                        @extschema@.officer_department FROM %s', r);
        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA @extschema@ TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.mark_published(text, bigint, date),
                        @extschema@.publication_recompute(),
                        @extschema@.load_calendar(integer, jsonb, text, boolean),
                        @extschema@.set_calendar_day(date, text, text, text),
                        @extschema@.load_subjects(regclass, boolean),
                        @extschema@.draw(bigint, bytea, text), @extschema@.cancel_draw(bigint, text),
                        @extschema@.match_inspectors(bigint), @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text),
                        @extschema@.grant_public_reader(regrole), @extschema@.revoke_public_reader(regrole),
                        @extschema@.grant_department_officer(regrole, bigint[]),
                        @extschema@.revoke_department_officer(regrole, bigint[]),
                        @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole) TO %s', r);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.apply_access(regrole) IS
    'internal: revokes every privilege the role holds in this schema and grants again what its rows in access_role and officer_department give it';

-- Record (or remove) one kind of access and apply it; logged in the audit trail.
CREATE FUNCTION @extschema@.set_access(role regrole, access text, add boolean, department_ids bigint[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rname   name := (SELECT a.rolname FROM pg_catalog.pg_roles a WHERE a.oid = role);
    missing text;
    keep    boolean := false;
BEGIN
    IF role IS NULL OR rname IS NULL THEN
        RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF access = 'officer' AND add THEN
        IF department_ids IS NULL OR cardinality(department_ids) = 0 THEN
            RAISE EXCEPTION 'no department given for officer role "%"', rname
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the departments as an array: grant_department_officer(''role'', ARRAY[1, 2]).';
        END IF;
        SELECT string_agg(coalesce(u.id::text, 'NULL'), ', ' ORDER BY u.id) INTO missing
          FROM unnest(department_ids) u(id)
         WHERE u.id IS NULL OR NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id = u.id);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'department % does not exist', missing
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Officer role "%s" was not changed.', rname);
        END IF;
        INSERT INTO @extschema@.officer_department (role_name, department_id, granted_by)
        SELECT DISTINCT rname, u.id, @extschema@.acting_role() FROM unnest(department_ids) u(id)
            ON CONFLICT DO NOTHING;
    ELSIF access = 'officer' THEN
        DELETE FROM @extschema@.officer_department o
         WHERE o.role_name = rname AND (department_ids IS NULL OR o.department_id = ANY (department_ids));
        -- still an officer of other departments?
        keep := EXISTS (SELECT 1 FROM @extschema@.officer_department o WHERE o.role_name = rname);
    END IF;
    IF add THEN
        INSERT INTO @extschema@.access_role (role_name, access, granted_by)
        VALUES (rname, access, @extschema@.acting_role()) ON CONFLICT DO NOTHING;
    ELSIF NOT keep THEN
        DELETE FROM @extschema@.access_role a WHERE a.role_name = rname AND a.access = set_access.access;
    END IF;
    PERFORM @extschema@.apply_access(role);
    INSERT INTO @extschema@.audit_log (actor, action, object_kind, object_id, detail)
    VALUES (@extschema@.acting_role(), CASE WHEN add THEN 'grant' ELSE 'revoke' END, 'role', NULL,
            jsonb_build_object('role', rname, 'access', access, 'department_ids', to_jsonb(department_ids)));
END
$$;
COMMENT ON FUNCTION @extschema@.set_access(regrole, text, boolean, bigint[]) IS
    'internal: records or removes one kind of access of a role, applies it and logs it in the audit trail';

CREATE FUNCTION @extschema@.grant_public_reader(role regrole) RETURNS void
    LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.set_access(role, 'public_reader', true, NULL) $$;
COMMENT ON FUNCTION @extschema@.grant_public_reader(regrole) IS
    'lets an existing role read the public views (public_plans, public_tasks, public_targets, public_results) and nothing else';

CREATE FUNCTION @extschema@.revoke_public_reader(role regrole) RETURNS void
    LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.set_access(role, 'public_reader', false, NULL) $$;
COMMENT ON FUNCTION @extschema@.revoke_public_reader(regrole) IS
    'takes public reader access away from a role (other access it has stays)';

CREATE FUNCTION @extschema@.grant_department_officer(role regrole, department_ids bigint[]) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.set_access(role, 'officer', true, department_ids) $$;
COMMENT ON FUNCTION @extschema@.grant_department_officer(regrole, bigint[]) IS
    'makes an existing role an officer of the departments (added to those it has): it reads and writes their plans, tasks, items, results and disposals, publishes their items, reads joint tasks they take part in, their inspectors and the shared directories, calendar and rules';

CREATE FUNCTION @extschema@.revoke_department_officer(role regrole, department_ids bigint[] DEFAULT NULL) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.set_access(role, 'officer', false, department_ids) $$;
COMMENT ON FUNCTION @extschema@.revoke_department_officer(regrole, bigint[]) IS
    'removes departments from an officer role (all when department_ids is NULL); with none left it is no longer an officer';

CREATE FUNCTION @extschema@.grant_admin(role regrole) RETURNS void
    LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.set_access(role, 'admin', true, NULL) $$;
COMMENT ON FUNCTION @extschema@.grant_admin(regrole) IS
    'gives an existing role admin access: every row of every department (RLS policies), the loaders, the calendar, the access functions and the audit trail; never write access to the audit trail';

CREATE FUNCTION @extschema@.revoke_admin(role regrole) RETURNS void
    LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.set_access(role, 'admin', false, NULL) $$;
COMMENT ON FUNCTION @extschema@.revoke_admin(regrole) IS
    'takes admin access away from a role';

CREATE VIEW @extschema@.v_access AS
SELECT a.role_name, a.access,
       CASE WHEN a.access = 'officer' THEN
            ARRAY(SELECT o.department_id FROM @extschema@.officer_department o
                   WHERE o.role_name = a.role_name ORDER BY o.department_id) END AS department_ids,
       a.granted_at, a.granted_by,
       EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = a.role_name) AS role_exists
  FROM @extschema@.access_role a;
COMMENT ON VIEW @extschema@.v_access IS
    'for admins: every role with access, its kind and departments; role_exists = false for a role dropped since (revoke it, or create it again)';

-- ---- what PUBLIC may not run ----
-- Functions are executable by PUBLIC by default. Revoked here:
--   * publishing is a department's act (mark_published: officers and admins);
--   * publication internals write the schedule or run as the owner (publication_upsert,
--     publication_sync, publication_sync_tasks, publication_source, publication_recompute);
--   * the calendar is loaded and corrected by admins (load_calendar, set_calendar_day);
--   * SECURITY DEFINER functions that read or write across departments, or change grants
--     (participating_task_ids, apply_access, set_access, the grant_/revoke_ functions), and
--     the audit trigger functions.
REVOKE EXECUTE ON FUNCTION
    @extschema@.mark_published(text, bigint, date),
    @extschema@.publication_upsert(text, bigint, bigint, date),
    @extschema@.publication_sync(text, bigint[]),
    @extschema@.publication_sync_tasks(bigint[]),
    @extschema@.publication_source(text, bigint[]),
    @extschema@.publication_recompute(),
    @extschema@.load_calendar(integer, jsonb, text, boolean),
    @extschema@.set_calendar_day(date, text, text, text),
    @extschema@.participating_task_ids(bigint[]),
    @extschema@.apply_access(regrole),
    @extschema@.set_access(regrole, text, boolean, bigint[]),
    @extschema@.grant_public_reader(regrole), @extschema@.revoke_public_reader(regrole),
    @extschema@.grant_department_officer(regrole, bigint[]),
    @extschema@.revoke_department_officer(regrole, bigint[]),
    @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole),
    @extschema@.audit_row(), @extschema@.audit_match(), @extschema@.audit_log_refuse(),
    @extschema@.draw(bigint, bytea, text), @extschema@.cancel_draw(bigint, text),
    @extschema@.match_inspectors(bigint), @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text)
  FROM PUBLIC;

-- ---- who may draw ----
-- The draw functions run as the owner (a joint task's matching needs the partner departments'
-- inspectors, and the limits need every department's checks, which row-level security would
-- hide from an officer), so they decide themselves who may act on a task: superusers and members
-- of the extension owner's role, admins, and officers of the task's initiating department.
CREATE FUNCTION @extschema@.may_act_on_task(task_id bigint) RETURNS boolean
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) @extschema@.acting_role() AND r.rolsuper)
        OR pg_catalog.pg_has_role(@extschema@.acting_role(),
                                  (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'supervise'),
                                  'USAGE')
        OR EXISTS (SELECT 1 FROM @extschema@.access_role a JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) a.role_name
                    WHERE a.access OPERATOR(pg_catalog.=) 'admin'
                      AND pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE'))
        OR EXISTS (SELECT 1 FROM @extschema@.task t
                     JOIN @extschema@.officer_department o ON o.department_id OPERATOR(pg_catalog.=) t.department_id
                     JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) o.role_name
                    WHERE t.id OPERATOR(pg_catalog.=) may_act_on_task.task_id
                      AND pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE'))
$$;
COMMENT ON FUNCTION @extschema@.may_act_on_task(bigint) IS
    'true when the acting role may draw, cancel, match and assign for the task: a superuser or member of the extension owner''s role, an admin, or an officer of the task''s initiating department';

CREATE FUNCTION @extschema@.require_task_access(task_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@.may_act_on_task(task_id) THEN
        RAISE EXCEPTION 'permission denied to % task %', act, task_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Draws, cancellations and inspector matching of a task are done by an officer of its initiating department (supervise.grant_department_officer) or an admin.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_task_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> task <id>") unless may_act_on_task(task_id); called by draw, cancel_draw, match_inspectors and assign_inspector';

ALTER FUNCTION @extschema@.draw(bigint, bytea, text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.cancel_draw(bigint, text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.match_inspectors(bigint) SECURITY DEFINER;
ALTER FUNCTION @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) SECURITY DEFINER;
-- Tables and views have no privileges for PUBLIC by default; this states it for the ones that
-- matter most (the trail and the grants), so a later GRANT ... TO PUBLIC is a visible change.
REVOKE ALL ON TABLE @extschema@.audit_log, @extschema@.access_role, @extschema@.officer_department,
                    @extschema@.v_audit_trail, @extschema@.v_access
  FROM PUBLIC;

-- Pinned here until 50_draw.sql pins it itself (the hygiene test requires every string-bodied
-- SQL function to be pinned; its body is already fully qualified, so this changes no result).
ALTER FUNCTION @extschema@.eligible_population(bigint) SET search_path = @extschema@, pg_temp;

