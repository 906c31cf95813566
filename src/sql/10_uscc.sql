-- =====================================================================================
-- Type @extschema@.uscc: the unified social credit code (统一社会信用代码, GB 32100-2015).
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

CREATE OPERATOR CLASS @extschema@.uscc_minmax_ops DEFAULT FOR TYPE @extschema@.uscc USING brin AS
    OPERATOR 1 @extschema@.<,
    OPERATOR 2 @extschema@.<=,
    OPERATOR 3 @extschema@.=,
    OPERATOR 4 @extschema@.>=,
    OPERATOR 5 @extschema@.>,
    FUNCTION 1 pg_catalog.brin_minmax_opcinfo(internal),
    FUNCTION 2 pg_catalog.brin_minmax_add_value(internal, internal, internal, internal),
    FUNCTION 3 pg_catalog.brin_minmax_consistent(internal, internal, internal),
    FUNCTION 4 pg_catalog.brin_minmax_union(internal, internal, internal);
COMMENT ON OPERATOR CLASS @extschema@.uscc_minmax_ops USING brin IS 'default BRIN (min/max per block range) operator class of codes: a tiny index for tables written in code order, such as visit';

CREATE FUNCTION @extschema@.uscc_build(authority_category text, region text, org_body text) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_build_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uscc_build(text, text, text) IS
    'a valid code from its parts: authority and category (2 characters, e.g. 91), region code (6 digits), the 8-character organisation code body; appends the GB 11714 and GB 32100 check characters';
