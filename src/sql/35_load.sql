-- =====================================================================================
-- Bulk loading of the subject directory that loses nothing:
--   \copy @extschema@.subject_staging (uscc, name, region, industry, credit_class, risk_level, status)
--         FROM 'subjects.csv' WITH (FORMAT csv, HEADER)
--   SELECT * FROM @extschema@.load_subjects();
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
    'staging for @extschema@.load_subjects(): COPY raw text rows here (all columns text, nothing is rejected by COPY), then call load_subjects(); unlogged and emptied by each load';
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
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('cannot load subjects from table "%s": it lacks the column(s) %s'), source, missing),
            ERRCODE = 'undefined_column',
            HINT    = pg_catalog.format(@extschema@.message_text('Stage rows in @extschema@.subject_staging, or in a table created (LIKE @extschema@.subject_staging INCLUDING DEFAULTS).'));
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
                       THEN format('region: %%L is not a 6-digit region code', @extschema@.message_value(btrim(r.region)))
                     WHEN coalesce(upper(nullif(btrim(r.credit_class), '')), 'B') NOT IN ('A', 'B', 'C', 'D')
                       THEN format('credit_class: %%L is not one of A B C D', @extschema@.message_value(r.credit_class))
                     WHEN coalesce(nullif(btrim(r.risk_level), ''), '2') NOT IN ('1', '2', '3', '4')
                       THEN format('risk_level: %%L is not one of 1 2 3 4', @extschema@.message_value(r.risk_level))
                     WHEN coalesce(lower(nullif(btrim(r.status), '')), 'active') NOT IN
                          ('active', 'suspended', 'liquidating', 'deregistered', 'revoked', 'annulled', 'moved_out')
                       THEN format('status: %%L is not a known status', @extschema@.message_value(r.status))
                   END AS reason
              FROM %s r) s
    $q$, source);

    -- the same code twice in one batch: the last line wins, the earlier ones are rejected. Lines
    -- are not trusted to be unique (a table of one's own may repeat them or leave them NULL): of
    -- rows with the same line, the one stored last wins; a row without a line loses to any with one.
    UPDATE pg_temp.supervise_load l
       SET reason = CASE WHEN d.keep_line IS NULL
                         THEN 'duplicate: the same code is on a later row of this batch without a line number, which was loaded instead'
                         WHEN l.line IS NOT DISTINCT FROM d.keep_line
                         THEN format('duplicate: the same code is on another row with the same line %s, stored later, which was loaded instead', d.keep_line)
                         ELSE format('duplicate: the same code is on line %s of this batch, which was loaded instead', d.keep_line) END,
           code = NULL
      FROM (SELECT DISTINCT ON (x.code) x.code AS dup_code, x.line AS keep_line, x.ctid AS keep_row
              FROM pg_temp.supervise_load x
              JOIN (SELECT y.code FROM pg_temp.supervise_load y WHERE y.reason IS NULL
                     GROUP BY y.code HAVING count(*) > 1) g ON g.code OPERATOR(@extschema@.=) x.code
             WHERE x.reason IS NULL
             ORDER BY x.code, x.line DESC NULLS LAST, x.ctid DESC) d
     WHERE l.reason IS NULL AND l.code OPERATOR(@extschema@.=) d.dup_code AND l.ctid OPERATOR(pg_catalog.<>) d.keep_row;

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
        -- TRUNCATE is quicker, but needs its own privilege (an admin has DELETE, not TRUNCATE)
        IF pg_catalog.has_table_privilege(source, 'TRUNCATE') THEN
            EXECUTE format('TRUNCATE %s', source);
        ELSE
            EXECUTE format('DELETE FROM %s', source);
        END IF;
    END IF;

    UPDATE @extschema@.load_batch lb
       SET staged = n_staged, inserted = n_inserted, updated = n_updated,
           unchanged = n_staged - n_rejected - n_inserted - n_updated, rejected = n_rejected
     WHERE lb.id = b;
    RETURN QUERY SELECT b, n_staged, n_inserted, n_updated, n_staged - n_rejected - n_inserted - n_updated, n_rejected;
END
$fn$;
COMMENT ON FUNCTION @extschema@.load_subjects(regclass, boolean) IS
    'loads the subject directory from a staging table (default @extschema@.subject_staging, or any table made LIKE it): upserts valid rows on the code, puts every invalid row with its raw text and reason in subject_reject, records and returns the counts; empties the source unless empty_source is false';

REVOKE ALL ON TABLE @extschema@.subject_staging, @extschema@.subject_reject, @extschema@.load_batch FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.load_subjects(regclass, boolean) FROM PUBLIC;
