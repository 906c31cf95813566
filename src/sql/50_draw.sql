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

-- population_agg: its state is the population of the rows seen so far (bytea, an expanded object
-- while it grows), and states combine by merging, so parallel workers and Citus workers build parts
CREATE FUNCTION @extschema@.population_agg_sfunc(bytea, @extschema@.uscc, text, double precision) RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_part_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.population_agg_sfunc(bytea, @extschema@.uscc, text, double precision, bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_part_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.population_agg_combine(bytea, bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_part_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.population_agg_final(bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_part_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision) (
    SFUNC = @extschema@.population_agg_sfunc,
    STYPE = bytea,
    COMBINEFUNC = @extschema@.population_agg_combine,
    FINALFUNC = @extschema@.population_agg_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision, excluded bytea) (
    SFUNC = @extschema@.population_agg_sfunc,
    STYPE = bytea,
    COMBINEFUNC = @extschema@.population_agg_combine,
    FINALFUNC = @extschema@.population_agg_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.population_agg_sfunc(bytea, @extschema@.uscc, text, double precision) IS 'transition function of population_agg';
COMMENT ON FUNCTION @extschema@.population_agg_sfunc(bytea, @extschema@.uscc, text, double precision, bytea) IS 'transition function of population_agg with excluded codes';
COMMENT ON FUNCTION @extschema@.population_agg_combine(bytea, bytea) IS
    'combine function of population_agg: a state is the compact population of the rows one process saw; states merge (draw_pop_merge) into the population of all of them, byte for byte';
COMMENT ON FUNCTION @extschema@.population_agg_final(bytea) IS 'final function of population_agg: the compact population (sorted, merged, serialised)';
COMMENT ON AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision) IS
    'the compact form of a draw population (code, stratum, weight) as recorded in draw_record.population: strata in name order, codes in order, each written as its step from the one before (1 to 13 bytes, about 3 for a directory of one region; + 8 for a weight); weights all NULL or all > 0; see doc/draw-algorithm.md, section 9. Combinable with a bytea state: runs in parallel workers and on Citus workers (doc/scale.md)';
COMMENT ON AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision, bytea) IS
    'population_agg less the codes in excluded (packed codes, 12 bytes each, in order, as excluded_codes() makes them; the same on every row): the excluded rows are left out where the rows are read, in each worker';

-- draw_part_agg: population_agg and, for a sha256-v1 draw, the candidates of its selection: the
-- rows whose digest lies below their stratum's bound (src/core/draw_part.h), so that the row
-- digests are computed where the rows are read; parts combine like populations
CREATE FUNCTION @extschema@.draw_part_agg_sfunc(bytea, @extschema@.uscc, text, double precision, bytea, bytea, text[], double precision[]) RETURNS bytea
    AS 'MODULE_PATHNAME', 'draw_part_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.draw_part_agg_final(bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'draw_part_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE @extschema@.draw_part_agg(@extschema@.uscc, text, double precision, excluded bytea, seed bytea, strata text[], fractions double precision[]) (
    SFUNC = @extschema@.draw_part_agg_sfunc,
    STYPE = bytea,
    COMBINEFUNC = @extschema@.population_agg_combine,
    FINALFUNC = @extschema@.draw_part_agg_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.draw_part_agg_sfunc(bytea, @extschema@.uscc, text, double precision, bytea, bytea, text[], double precision[]) IS
    'transition function of draw_part_agg';
COMMENT ON FUNCTION @extschema@.draw_part_agg_final(bytea) IS
    'final function of draw_part_agg: the draw part (population and candidates, merged and serialised)';
COMMENT ON AGGREGATE @extschema@.draw_part_agg(@extschema@.uscc, text, double precision, bytea, bytea, text[], double precision[]) IS
    'the part of a sha256-v1 draw that can be done where the rows are read: population_agg(code, stratum, weight, excluded) and the candidates of the selection with seed, the rows of each stratum in strata whose digest lies below 1.125 times its fraction in fractions (the ratio, or the sample size over the estimated rows) of the digest space; draw_select takes the part instead of the population and draws the same targets, from the candidates where they suffice (doc/scale.md). Seed NULL, or a weighted population: no candidates. Combinable with a bytea state: runs in parallel workers and on Citus workers';

CREATE FUNCTION @extschema@.draw_part_population(part bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'draw_part_population' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.draw_part_population(bytea) IS
    'the compact population of a draw part (draw_part_agg), as population_agg gives it for the same rows';

CREATE FUNCTION @extschema@.excluded_codes(query text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'excluded_codes' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.excluded_codes(text) IS
    'internal: the codes a query returns (one uscc column; NULLs skipped), packed (12 bytes each), sorted and without repeats: the excluded argument of population_agg. Runs the query as the caller, in a new snapshot';
REVOKE EXECUTE ON FUNCTION @extschema@.excluded_codes(text) FROM PUBLIC;

CREATE FUNCTION @extschema@.population_collect(query text, stratified boolean, weighted boolean, excluded text DEFAULT NULL)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_collect' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.population_collect(text, boolean, boolean, text) IS
    'internal: the compact population (as population_agg) of a query''s rows (uscc, stratum text, weight double precision), read in C straight from the executor, less the codes the query excluded returns (one uscc column; NULL: none), both run in one new snapshot; stratified = false puts every row in stratum "all", weighted = false ignores the weight. Runs the queries as the caller; draw() gives it eligibility_parts(task)';

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
    'runs a draw algorithm (sha256-v1, sha256-v1-weighted, rfc3797) over a compact population with k[i] targets from stratum strata[i] (strata not named: none); returns the population digest and the targets, stratum by stratum in rank order. draw() and verify_draw() both use it. Given a draw part (draw_part_agg) instead of a population, draws from its population the same targets, taking a stratum''s from its candidates when they are at least k[i]';

CREATE FUNCTION @extschema@.rfc3797_select(pool_size integer, k integer, key text) RETURNS integer[]
    AS 'MODULE_PATHNAME', 'rfc3797_select_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfc3797_select(integer, integer, text) IS
    'IETF RFC 3797 publicly verifiable selection: k distinct 1-based positions of a pool 1..pool_size in selection order; selection i uses MD5(i as 2 bytes big-endian || key || the same 2 bytes) modulo the positions left; key is built as the RFC says, e.g. ''9319./2.5.8.10.12./9.18.26.34.41.45./''; k <= 65536';

-- sample_agg: the same selection over any query; its state (bytea, the bounded heap) combines, so
-- parallel workers and Citus workers compute parts
CREATE FUNCTION @extschema@.sample_agg_sfunc(bytea, text, double precision, integer, bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'sample_part_sfunc' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.sample_agg_combine(bytea, bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'sample_part_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION @extschema@.sample_agg_final(bytea) RETURNS text[]
    AS 'MODULE_PATHNAME', 'sample_part_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE @extschema@.sample_agg(id text, weight double precision, k integer, seed bytea) (
    SFUNC = @extschema@.sample_agg_sfunc,
    STYPE = bytea,
    COMBINEFUNC = @extschema@.sample_agg_combine,
    FINALFUNC = @extschema@.sample_agg_final,
    PARALLEL = SAFE
);
COMMENT ON FUNCTION @extschema@.sample_agg_sfunc(bytea, text, double precision, integer, bytea) IS 'transition function of sample_agg';
COMMENT ON FUNCTION @extschema@.sample_agg_combine(bytea, bytea) IS 'combine function of sample_agg (merges two bounded heaps; a state from another process is checked first)';
COMMENT ON FUNCTION @extschema@.sample_agg_final(bytea) IS 'final function of sample_agg: the kept ids in rank order';
COMMENT ON AGGREGATE @extschema@.sample_agg(text, double precision, integer, bytea) IS
    'sha256-v1 selection of k ids with a 32-byte seed: the k smallest d = SHA-256(B || id), or with weights (all > 0) the k smallest -ln(u)/w; ids in rank order; NULL weights on every row = unweighted, a mix is an error; k and seed the same on every row. Independent of row order, of parallel workers and of where the rows are stored (its bytea state combines: Citus runs it on its workers)';

-- (the eligible population of a task: eligible_population() in src/sql/60_limits.sql, with the
-- limits on repeated checks it applies)

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
        OR (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL AND coalesce(btrim(cancel_reason), '') <> ''))
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
    -- code first: the one index serves a subject's draws (limits) and assignment's foreign key;
    -- a draw's targets are read by the unique index on (draw_id, stratum, rank)
    PRIMARY KEY (uscc, draw_id),
    CONSTRAINT "one target per rank in a stratum of a draw" UNIQUE (draw_id, stratum, rank),
    CONSTRAINT "draw target rank is positive" CHECK (rank > 0)
);
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
    FOREIGN KEY (draw_id, uscc) REFERENCES @extschema@.draw_target (draw_id, uscc),
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
        -- the one change allowed: cancelling with a reason, stamped with the real time and user (a
        -- cancel that logical replication applies keeps the time and user the origin stamped)
        IF NEW.cancel_reason IS NULL OR pg_catalog.btrim(NEW.cancel_reason) OPERATOR(pg_catalog.=) '' THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('a draw is cancelled only with a reason')),
                ERRCODE = 'invalid_parameter_value',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Draw %s was not cancelled.'), OLD.id),
                HINT    = pg_catalog.format(@extschema@.message_text('Cancel it with @extschema@.cancel_draw(draw_id, reason); the reason is kept with the draw.'));
        END IF;
        IF pg_catalog.current_setting('session_replication_role') OPERATOR(pg_catalog.<>) 'replica' THEN
            NEW.cancelled_at := pg_catalog.now();
            NEW.cancelled_by := @extschema@.acting_role();
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = pg_catalog.format(@extschema@.message_text('draw records cannot be changed or deleted')),
        ERRCODE = 'object_not_in_prerequisite_state',
        DETAIL  = pg_catalog.format(@extschema@.message_text('%s on draw %s was refused.'), TG_OP, OLD.id),
        HINT    = pg_catalog.format(@extschema@.message_text('A draw is kept as it was made. Cancel it with @extschema@.cancel_draw(draw_id, reason).'));
END
$$;
COMMENT ON FUNCTION @extschema@.draw_record_guard() IS
    'trigger (ENABLE ALWAYS): draw records are never changed or deleted; the only update allowed cancels a live draw with a non-blank reason (stamping the time and user, except when replication applies a cancel stamped at its origin)';
CREATE TRIGGER draw_record_guard BEFORE UPDATE OR DELETE ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_record_guard();

CREATE FUNCTION @extschema@.draw_kept_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = pg_catalog.format(@extschema@.message_text('%s cannot be changed or deleted'), TG_TABLE_NAME),
        ERRCODE = 'object_not_in_prerequisite_state',
        DETAIL  = pg_catalog.format(@extschema@.message_text('%s on %s was refused.'), TG_OP, TG_TABLE_NAME),
        HINT    = pg_catalog.format(@extschema@.message_text('A draw is kept as it was made. Cancel it with @extschema@.cancel_draw(draw_id, reason) and draw again.'));
END
$$;
COMMENT ON FUNCTION @extschema@.draw_kept_guard() IS 'trigger (ENABLE ALWAYS): refuses UPDATE, DELETE and TRUNCATE on kept draw data';
CREATE TRIGGER draw_target_guard BEFORE UPDATE OR DELETE ON @extschema@.draw_target
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_kept_guard();
CREATE TRIGGER draw_target_no_truncate BEFORE TRUNCATE ON @extschema@.draw_target
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.draw_kept_guard();
CREATE TRIGGER draw_record_no_truncate BEFORE TRUNCATE ON @extschema@.draw_record
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.draw_kept_guard();
-- The guards fire also with session_replication_role = replica (a superuser's way to switch off
-- ordinary triggers). A restore only inserts, so it never meets them; logical replication applies
-- only what the origin allowed (inserts and cancels). See doc/public-interface.md, section 4.
ALTER TABLE @extschema@.draw_record ENABLE ALWAYS TRIGGER draw_record_guard;
ALTER TABLE @extschema@.draw_record ENABLE ALWAYS TRIGGER draw_record_no_truncate;
ALTER TABLE @extschema@.draw_target ENABLE ALWAYS TRIGGER draw_target_guard;
ALTER TABLE @extschema@.draw_target ENABLE ALWAYS TRIGGER draw_target_no_truncate;

-- ---- what a live draw was made from is frozen ----------------------------------------------
-- A draw records its population and allocation, but they follow from the task: its items (the
-- kinds of check the limits compare), its kind (a clue task is never limited), its sampling
-- (ratio, size, credit strata), its directory, its department (superiors), its plan and the year
-- of its period. Changed after the draw, the task would contradict the recorded draw (public_tasks
-- would show items the draw was not limited by) and the once-a-year rule could be bypassed without
-- an override. So while a task has a live draw these are refused; cancel the draw to change them.
-- The rest of the task (title, dates within the year, approval, surprise, inspectors per target)
-- may still change. The task row is locked FOR SHARE, so a draw in progress (which holds it
-- FOR NO KEY UPDATE) finishes first and is seen. A restore, which inserts a drawn task's items and
-- strata after its draw, does not fire this trigger (src/sql/98_restore.sql).
CREATE FUNCTION @extschema@.task_frozen_by_draw() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids     bigint[];
    changed text;
    live    record;
BEGIN
    IF TG_TABLE_NAME = 'task' THEN
        SELECT string_agg(c.name, ', ' ORDER BY c.ord) INTO changed
          FROM (VALUES (1, pg_catalog.format(@extschema@.message_text('its kind')), OLD.kind IS DISTINCT FROM NEW.kind),
                       (2, pg_catalog.format(@extschema@.message_text('its department_id')), OLD.department_id IS DISTINCT FROM NEW.department_id),
                       (3, pg_catalog.format(@extschema@.message_text('its plan_id')), OLD.plan_id IS DISTINCT FROM NEW.plan_id),
                       (4, pg_catalog.format(@extschema@.message_text('its directory_id')), OLD.directory_id IS DISTINCT FROM NEW.directory_id),
                       (5, pg_catalog.format(@extschema@.message_text('its sample_ratio')), OLD.sample_ratio IS DISTINCT FROM NEW.sample_ratio),
                       (6, pg_catalog.format(@extschema@.message_text('its sample_size')), OLD.sample_size IS DISTINCT FROM NEW.sample_size),
                       (7, pg_catalog.format(@extschema@.message_text('the year of its period')),
                        extract(year FROM OLD.period_start) IS DISTINCT FROM extract(year FROM NEW.period_start))
               ) AS c(ord, name, differs)
         WHERE c.differs;
        IF changed IS NULL THEN
            RETURN NEW;
        END IF;
        ids := ARRAY[OLD.id];
    ELSE
        -- task_item or task_stratum: the task(s) the row leaves and joins
        IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
            RETURN NEW;
        END IF;
        changed := CASE TG_TABLE_NAME WHEN 'task_item' THEN pg_catalog.format(@extschema@.message_text('its items')) ELSE pg_catalog.format(@extschema@.message_text('its credit strata')) END;
        ids := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.task_id]
                          WHEN 'DELETE' THEN ARRAY[OLD.task_id]
                          ELSE ARRAY[OLD.task_id, NEW.task_id] END;
        PERFORM 1 FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.id FOR SHARE;
    END IF;
    SELECT d.id, d.task_id INTO live FROM @extschema@.draw_record d
     WHERE d.task_id = ANY (ids) AND d.cancelled_at IS NULL
     ORDER BY d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s has a live draw (draw %s): %s cannot be changed'), live.task_id, live.id, changed),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('What a draw was made from (the task''s items, credit strata, kind, sampling, directory, department, plan and year) is frozen while the draw is live, so that the task and its recorded draw agree.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Cancel the draw with a reason first: SELECT @extschema@.cancel_draw(%s, ''...''); then change the task and draw it again.'), live.id);
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION @extschema@.task_frozen_by_draw() IS
    'trigger on task, task_item and task_stratum: while a task has a live draw, its items, credit strata, kind, department, plan, directory, sample_ratio, sample_size and the year of its period cannot change (55000; cancel the draw first)';
-- (named to fire after task_check_plan and task_check_filing, which say more about a bad period)
CREATE TRIGGER task_frozen_by_draw BEFORE UPDATE OF kind, department_id, plan_id, directory_id, sample_ratio, sample_size, period_start
    ON @extschema@.task
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_frozen_by_draw();
CREATE TRIGGER task_frozen_by_draw BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.task_item
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_frozen_by_draw();
CREATE TRIGGER task_frozen_by_draw BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.task_stratum
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_frozen_by_draw();

-- ---- a drawn code is part of a record --------------------------------------------------------
-- draw_target, the recorded population and its digest name a target by its code. Changing the
-- code of a drawn subject (or deleting it) would drop it from the published target list and make
-- plan_visits plan a second visit for the old code; the code is refused instead.
CREATE FUNCTION @extschema@.subject_drawn_code_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.uscc OPERATOR(@extschema@.=) NEW.uscc THEN
        RETURN NEW;
    END IF;
    SELECT t.draw_id INTO d FROM @extschema@.draw_target t
     WHERE t.uscc OPERATOR(@extschema@.=) OLD.uscc ORDER BY t.draw_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE TG_OP WHEN 'DELETE'
                      THEN pg_catalog.format(@extschema@.message_text('subject "%s" was drawn (draw %s): its code cannot be deleted'), OLD.uscc, d)
                      ELSE pg_catalog.format(@extschema@.message_text('subject "%s" was drawn (draw %s): its code cannot be changed'), OLD.uscc, d) END,
            ERRCODE = 'foreign_key_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('A drawn code is part of the draw''s record: its population, digest and target list name the subject by it.')),
            HINT    = CASE TG_OP WHEN 'DELETE'
                      THEN pg_catalog.format(@extschema@.message_text('Keep the subject and set its status (e.g. deregistered) instead.'))
                      ELSE pg_catalog.format(@extschema@.message_text('Enter the corrected code as a new subject, and set the old one''s status (e.g. annulled).')) END;
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION @extschema@.subject_drawn_code_guard() IS
    'trigger on subject: the code of a subject that was ever drawn (draw_target, cancelled draws included) cannot be changed or deleted (23503)';
CREATE TRIGGER subject_drawn_code_guard BEFORE UPDATE OF uscc OR DELETE ON @extschema@.subject
    FOR EACH ROW EXECUTE FUNCTION @extschema@.subject_drawn_code_guard();
-- (trigger functions that run as the owner: nobody calls them, so nobody needs EXECUTE)
REVOKE EXECUTE ON FUNCTION @extschema@.task_frozen_by_draw(), @extschema@.subject_drawn_code_guard() FROM PUBLIC;

-- ---- draw(), cancel_draw(), verify_draw(), draw_population() ---------------------------------

-- k per stratum from an allocation: min(n, ceil(ratio x n)) in numeric, or min(n, size)
CREATE FUNCTION @extschema@.stratum_k(n bigint, ratio numeric, size integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF n < 0 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a stratum cannot have %s rows'), n),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('n is the number of eligible rows, 0 or more.'));
    END IF;
    IF ratio IS NOT NULL AND size IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a stratum is drawn by a ratio or by a size, not both (ratio %s, size %s)'), ratio, size),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (NaN is greater than every number, so it fails ratio <= 1)
    IF NOT (ratio > 0 AND ratio <= 1) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('sampling ratio %s is not in (0, 1]'), ratio),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    IF size < 0 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('sample size %s is negative'), size),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN CASE
        WHEN ratio IS NOT NULL THEN LEAST(n, pg_catalog.ceil(ratio OPERATOR(pg_catalog.*) n))::integer
        WHEN size IS NOT NULL THEN LEAST(n, size::bigint)::integer
        ELSE 0 END;
END
$$;
COMMENT ON FUNCTION @extschema@.stratum_k(bigint, numeric, integer) IS
    'targets of a stratum of n eligible rows: min(n, ceil(ratio x n)) in exact decimal arithmetic (ratios are minimums, 不低于), else min(n, size), else 0; refuses (22023) n < 0, a ratio outside (0, 1] or NaN, a negative size, and both a ratio and a size';

CREATE FUNCTION @extschema@.draw_targets_insert(draw_id bigint, uscc @extschema@.uscc[], stratum text[], rank integer[])
    RETURNS integer
    AS 'MODULE_PATHNAME', 'draw_targets_insert' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.draw_targets_insert(bigint, @extschema@.uscc[], text[], integer[]) IS
    'internal: writes the targets draw() selected into draw_target (code order, like COPY) for the draw it is recording in this transaction, doing the work of its insert triggers once for all rows: the draw row checked and locked for the foreign key, the limits re-check by limits_check_drawn. Falls back to INSERT (every trigger) when draw_target has other insert triggers, rules or row-level security. Returns the number of rows';

-- The population of a draw over a relation (draw(task_id, seed, population)): the relation's rows
-- (uscc, credit_class, weight) read by population_agg, which Citus runs on its workers and
-- PostgreSQL in parallel workers, less the codes the limits exclude (the rule of eligibility_parts)
-- and the codes of subjects known here as not active, which reach the workers as an argument.
CREATE FUNCTION @extschema@.relation_population(task_id bigint, population regclass, stratified boolean, weighted boolean,
                                                seed bytea, algorithm text)
    RETURNS bytea
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    who     name := @extschema@.acting_role();
    rel     record;
    col     record;
    parts   record;
    excl    bytea;
    pop     bytea;
    fstrata text[];
    fracs   double precision[];
BEGIN
    IF EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = relation_population.task_id AND t.directory_id IS NOT NULL) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s draws from its directory, not from a relation'), task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('A draw over a relation takes the relation as the task''s population: use a task without a directory, or draw(task_id, seed) to draw from the directory.'));
    END IF;
    SELECT n.nspname, c.relname, c.relrowsecurity, c.relkind,
           coalesce(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false) AS invoker
      INTO rel
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = population;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('relation with OID %s does not exist'), population::oid),
            ERRCODE = 'undefined_table';
    END IF;
    -- the columns: uscc, and credit_class and weight when the draw uses them
    FOR col IN SELECT x.name, x.type FROM (VALUES ('uscc', '@extschema@.uscc'::regtype, true),
                                                 ('credit_class', 'text'::regtype, stratified),
                                                 ('weight', 'double precision'::regtype, weighted)) x(name, type, needed)
                WHERE x.needed
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = population AND a.attname = col.name AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('relation %s has no column "%s"'), population, col.name),
                ERRCODE = 'undefined_column',
                HINT    = pg_catalog.format(@extschema@.message_text('A draw population relation has the columns uscc @extschema@.uscc and credit_class text (weight double precision for a weighted draw); a view can rename them.'));
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = population AND a.attname = col.name AND a.atttypid = col.type) THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('column "%s" of relation %s is not of type %s'), col.name, population, col.type),
                ERRCODE = 'datatype_mismatch',
                HINT    = pg_catalog.format(@extschema@.message_text('A view can cast it.'));
        END IF;
        -- draw() runs as the extension owner: the relation is read only if the caller may read it
        IF NOT pg_catalog.has_column_privilege(who, population, col.name, 'SELECT') THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied for relation %s'), population),
                ERRCODE = 'insufficient_privilege',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Role %s may not read its column %s.'), who, col.name);
        END IF;
    END LOOP;
    -- (read as the owner, a security_invoker view would check its tables' privileges for the owner,
    -- and a foreign table would use the owner's user mapping: not what the caller would get)
    IF (rel.invoker OR rel.relkind = 'f') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = who AND r.rolsuper) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE WHEN rel.invoker
                      THEN pg_catalog.format(@extschema@.message_text('relation %s is a security_invoker view'), population)
                      ELSE pg_catalog.format(@extschema@.message_text('relation %s is a foreign table'), population) END,
            ERRCODE = 'insufficient_privilege',
            DETAIL  = pg_catalog.format(@extschema@.message_text('A draw reads its population as the extension owner, which would not read it as the caller does.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Draw from a table, or a view without security_invoker.'));
    END IF;
    IF rel.relrowsecurity AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                           WHERE r.rolname = who AND (r.rolsuper OR r.rolbypassrls)) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('relation %s has row-level security'), population),
            ERRCODE = 'insufficient_privilege',
            DETAIL  = pg_catalog.format(@extschema@.message_text('A draw reads its population as the extension owner, which would not apply the policies the caller is under.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Draw from a relation without row-level security (for example a table of the rows the caller may draw).'));
    END IF;

    -- the codes left out: those the limits exclude, and subjects known here as not active
    SELECT * INTO parts FROM @extschema@.eligibility_parts(relation_population.task_id);
    excl := @extschema@.excluded_codes(
        $q$SELECT s.uscc FROM @extschema@.subject s WHERE s.status OPERATOR(pg_catalog.<>) 'active'$q$
        || coalesce(E'\nUNION ALL\n' || parts.excluded, ''));
    -- the fraction of each stratum expected to be drawn, for the candidates of a sha256-v1 draw:
    -- its ratio, or for a task by count its size over the rows the planner expects (none known: none)
    IF algorithm = 'sha256-v1' THEN
        IF stratified THEN
            SELECT pg_catalog.array_agg(s.credit_class ORDER BY s.credit_class),
                   pg_catalog.array_agg(s.ratio::double precision ORDER BY s.credit_class)
              INTO fstrata, fracs
              FROM @extschema@.task_stratum s WHERE s.task_id = relation_population.task_id;
        ELSE
            SELECT ARRAY['all'], ARRAY[coalesce(t.sample_ratio::double precision,
                                                t.sample_size / NULLIF(GREATEST(c.reltuples, 0), 0))]
              INTO fstrata, fracs
              FROM @extschema@.task t, pg_catalog.pg_class c
             WHERE t.id = relation_population.task_id AND c.oid = population;
        END IF;
    END IF;
    EXECUTE pg_catalog.format('SELECT @extschema@.draw_part_agg(p.uscc, %s, %s, $1, $2, $3, $4) FROM %I.%I p',
                              CASE WHEN stratified THEN 'p.credit_class' ELSE $q$'all'::text$q$ END,
                              CASE WHEN weighted THEN 'p.weight' ELSE 'NULL::double precision' END,
                              rel.nspname, rel.relname)
       INTO pop USING excl, seed, coalesce(fstrata, '{}'), coalesce(fracs, '{}');
    RETURN coalesce(pop, @extschema@.draw_part_agg_final(NULL));
END
$$;
COMMENT ON FUNCTION @extschema@.relation_population(bigint, regclass, boolean, boolean, bytea, text) IS
    'internal: the draw part (draw_part_agg) of a draw over a relation: its rows (uscc, credit_class or "all", weight or none), less the codes the limits exclude for the task (eligibility_parts) and those of subjects that are not active, and for sha256-v1 the candidates of the selection with seed (fractions from task_stratum, sample_ratio, or sample_size over the relation''s estimated rows), after checking the columns and that the acting role may read them. Refuses a task with a directory, and (unless the acting role is a superuser) a relation under row-level security, a security_invoker view and a foreign table';
REVOKE EXECUTE ON FUNCTION @extschema@.relation_population(bigint, regclass, boolean, boolean, bytea, text) FROM PUBLIC;

-- The date the rules that depend on the day take as today: current_date, or the superuser
-- setting supervise.today (tests and demos replay a year on any day; src/pg/supervise.c).
CREATE FUNCTION @extschema@.today() RETURNS date
    AS 'MODULE_PATHNAME', 'supervise_today'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.today() IS
    'the date taken as today by the check window of draw() and by v_task_progress: current_date, unless a superuser set supervise.today (YYYY-MM-DD) to replay a year on another day';

CREATE FUNCTION @extschema@.draw(task_id bigint, seed bytea, population regclass, algorithm text DEFAULT 'sha256-v1')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
    -- the population (megabytes) goes into queries as a parameter: a custom plan would copy it as
    -- a constant into every plan it makes (0.8 s a query at 10M subjects in the 12-byte format)
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    t           record;
    has_strata  boolean;
    weighted    boolean := (algorithm IS NOT DISTINCT FROM 'sha256-v1-weighted');
    pop         bytea;
    part        bytea;
    alloc       jsonb;
    strata      text[];
    ks          integer[];
    sel         record;
    parts       record;
    live        bigint;
    new_id      bigint;
    source      text := 'given';
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task_id must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown draw algorithm: "%s"'), @extschema@.message_value(algorithm)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('The algorithms are sha256-v1 (default), sha256-v1-weighted (weight = risk_level) and rfc3797.'));
    END IF;
    IF seed IS NOT NULL AND octet_length(seed) <> 32 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('seed must be 32 bytes, not %s'), octet_length(seed)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Use @extschema@.seed_from(text) to make a seed from a published text, or pass NULL for a random one.'));
    END IF;

    PERFORM @extschema@.require_task_access(draw.task_id, 'draw');
    -- the task row is locked, so two draws of one task queue up and the second sees the first
    SELECT tk.*, p.year AS plan_year INTO t
      FROM @extschema@.task tk LEFT JOIN @extschema@.plan p ON p.id = tk.plan_id
     WHERE tk.id = draw.task_id
       FOR NO KEY UPDATE OF tk;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), task_id),
            ERRCODE = 'undefined_object';
    END IF;
    IF t.approved_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s is not approved'), task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('A task is drawn after approval: set @extschema@.task.approved_on first.'));
    END IF;
    -- the check window: the targets are checked within the task's period (在任务期内完成检查),
    -- so a task whose period has ended is not drawn any more
    IF t.period_end < @extschema@.today() THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s cannot be drawn: its period ended on %s'), task_id, pg_catalog.to_char(t.period_end, 'YYYY-MM-DD')),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The task''s period is %s to %s; today is %s.'), pg_catalog.to_char(t.period_start, 'YYYY-MM-DD'), pg_catalog.to_char(t.period_end, 'YYYY-MM-DD'), pg_catalog.to_char(@extschema@.today(), 'YYYY-MM-DD')),
            HINT    = pg_catalog.format(@extschema@.message_text('The targets of a draw are checked within the task''s period. Extend the period (UPDATE @extschema@.task SET period_end = ...) or draw a new task.'));
    END IF;
    -- (the task trigger keeps a task inside its plan's year; checked again for rows loaded around it)
    IF t.plan_year IS NOT NULL AND t.plan_year <> extract(year FROM t.period_start)::integer THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s lies in the year %s, but its plan %s is for the year %s'), task_id, extract(year FROM t.period_start)::integer, t.plan_id, t.plan_year),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Put the task in a plan of its own year.'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task_item i WHERE i.task_id = draw.task_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s has no check items'), task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Add the task''s items to @extschema@.task_item before drawing.'));
    END IF;
    has_strata := EXISTS (SELECT 1 FROM @extschema@.task_stratum s WHERE s.task_id = draw.task_id);
    IF NOT has_strata AND t.sample_ratio IS NULL AND t.sample_size IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s has no sample_ratio, sample_size or strata'), task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Set sample_ratio or sample_size, or add per credit class ratios to @extschema@.task_stratum.'));
    END IF;
    SELECT d.id INTO live FROM @extschema@.draw_record d
     WHERE d.task_id = draw.task_id AND d.cancelled_at IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s is already drawn (draw %s)'), task_id, live),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('A task is drawn once. To draw again, cancel the draw with a reason: SELECT @extschema@.cancel_draw(%s, ''...'').'), live);
    END IF;

    IF seed IS NULL THEN
        seed := @extschema@.random_seed();
        source := 'random';
    END IF;

    -- the eligible population, in compact form: the limit locks first, then (a new statement, so a
    -- new snapshot in READ COMMITTED) the eligibility queries, read in C
    PERFORM @extschema@.limit_lock(draw.task_id);
    IF population IS NULL THEN
        SELECT * INTO parts FROM @extschema@.eligibility_parts(draw.task_id);
        pop := @extschema@.population_collect(parts.candidates, has_strata, weighted, parts.excluded);
    ELSE
        -- the part: the population and the candidates the workers kept (draw_select uses them)
        part := @extschema@.relation_population(draw.task_id, population, has_strata, weighted, seed, algorithm);
        pop := @extschema@.draw_part_population(part);
    END IF;

    -- the allocation: per credit class with a ratio, or one stratum "all"
    IF has_strata THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'stratum', c.stratum, 'n', c.n, 'ratio', c.ratio,
                   'k', @extschema@.stratum_k(c.n, c.ratio, NULL)) ORDER BY c.stratum)
          INTO alloc
          FROM (SELECT coalesce(ts.credit_class, ps.stratum) AS stratum, coalesce(ps.n, 0) AS n, ts.ratio
                  FROM (SELECT * FROM @extschema@.task_stratum x WHERE x.task_id = draw.task_id) ts
                  FULL JOIN @extschema@.population_strata(pop) ps ON ps.stratum = ts.credit_class) c;
    ELSE
        SELECT pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'stratum', 'all', 'n', coalesce(ps.n, 0), 'ratio', t.sample_ratio, 'size', t.sample_size,
                   'k', @extschema@.stratum_k(coalesce(ps.n, 0), t.sample_ratio, t.sample_size))))
          INTO alloc
          FROM (SELECT 1) one LEFT JOIN @extschema@.population_strata(pop) ps ON true;
    END IF;
    SELECT coalesce(pg_catalog.array_agg(a->>'stratum' ORDER BY a->>'stratum'), '{}'),
           coalesce(pg_catalog.array_agg((a->>'k')::integer ORDER BY a->>'stratum'), '{}')
      INTO strata, ks
      FROM pg_catalog.jsonb_array_elements(alloc) a;
    IF algorithm = 'rfc3797' AND EXISTS (SELECT 1 FROM pg_catalog.unnest(ks) x WHERE x > 65536) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('an rfc3797 draw takes at most 65536 targets per stratum')),
            ERRCODE = 'program_limit_exceeded',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The allocation is %s.'), alloc),
            HINT    = pg_catalog.format(@extschema@.message_text('Use the sha256-v1 algorithm for larger draws.'));
    END IF;

    sel := @extschema@.draw_select(coalesce(part, pop), seed, algorithm, strata, ks);
    part := NULL;

    INSERT INTO @extschema@.draw_record (task_id, algorithm, seed, seed_source, population_size, population_digest,
                                       allocation, target_count, population)
    VALUES (draw.task_id, algorithm, seed, source,
            (SELECT coalesce(sum(ps.n), 0) FROM @extschema@.population_strata(pop) ps),
            sel.population_digest, alloc, coalesce(pg_catalog.cardinality(sel.uscc), 0), pop)
    RETURNING id INTO new_id;
    -- the targets, in bulk (with the foreign key and limits checks once for all of them)
    PERFORM @extschema@.draw_targets_insert(new_id, coalesce(sel.uscc, '{}'), coalesce(sel.stratum, '{}'), coalesce(sel.rank, '{}'));

    -- (the trigger draw_record_publication adds the target list to the publication schedule)
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.draw(bigint, bytea, regclass, text) IS
    'draws the targets of an approved task as draw(task_id, seed) does, from the rows of a relation (uscc @extschema@.uscc, credit_class text, weight double precision for sha256-v1-weighted) instead of the task''s directory, less the codes the limits exclude and subjects not active; the same record, verify_draw, publication and matching. The relation may be a Citus distributed table: draw_part_agg (the population and the candidates of the selection) then runs on its workers (doc/scale.md). The acting role must be able to read the columns. NULL population: the task''s directory, as draw(task_id, seed)';

CREATE FUNCTION @extschema@.draw(task_id bigint, seed bytea DEFAULT NULL, algorithm text DEFAULT 'sha256-v1')
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
    RETURN @extschema@.draw(task_id, seed, NULL::regclass, algorithm);
COMMENT ON FUNCTION @extschema@.draw(bigint, bytea, text) IS
    'draws the targets of an approved task from its eligible population (eligibility_parts, read by population_collect), per credit class with task_stratum ratios or by sample_ratio / sample_size; records seed (random when NULL), population, digest and allocation in draw_record and the targets in draw_target; returns the draw id. Refused while the task has a live draw';

CREATE FUNCTION @extschema@.cancel_draw(draw_id bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d record;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a draw is cancelled only with a reason')),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Say why the draw is cancelled; the reason is kept with it.'));
    END IF;
    SELECT r.id, r.task_id, r.cancelled_at, r.cancel_reason INTO d FROM @extschema@.draw_record r WHERE r.id = cancel_draw.draw_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_task_access(d.task_id, 'cancel draws of');
    IF d.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is already cancelled'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The reason given was: %s'), @extschema@.message_value(d.cancel_reason));
    END IF;
    UPDATE @extschema@.draw_record r SET cancelled_at = pg_catalog.now(), cancelled_by = @extschema@.acting_role(), cancel_reason = reason
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
    SELECT r.population INTO pop FROM @extschema@.draw_record r WHERE r.id = draw_population.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    RETURN QUERY SELECT p.uscc, p.stratum, p.weight FROM @extschema@.population_rows(pop) p;
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
    SELECT * INTO r FROM @extschema@.draw_record d WHERE d.id = verify_draw.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    -- the allocation agrees with the recorded population and the rule for k
    IF EXISTS (SELECT 1
                 FROM pg_catalog.jsonb_array_elements(r.allocation) a
                 FULL JOIN @extschema@.population_strata(r.population) ps ON ps.stratum = a->>'stratum'
                WHERE a IS NULL
                   OR coalesce(ps.n, 0) <> (a->>'n')::bigint
                   OR (a->>'k')::integer IS DISTINCT FROM
                      @extschema@.stratum_k(coalesce(ps.n, 0), (a->>'ratio')::numeric, (a->>'size')::integer)) THEN
        RETURN false;
    END IF;
    SELECT coalesce(sum(ps.n), 0) INTO n_pop FROM @extschema@.population_strata(r.population) ps;
    IF n_pop <> r.population_size THEN
        RETURN false;
    END IF;
    SELECT coalesce(pg_catalog.array_agg(a->>'stratum'), '{}'), coalesce(pg_catalog.array_agg((a->>'k')::integer), '{}')
      INTO strata, ks
      FROM pg_catalog.jsonb_array_elements(r.allocation) a;
    sel := @extschema@.draw_select(r.population, r.seed, r.algorithm, strata, ks);
    IF sel.population_digest <> r.population_digest
       OR coalesce(pg_catalog.cardinality(sel.uscc), 0) <> r.target_count THEN
        RETURN false;
    END IF;
    -- the recorded targets are exactly the recomputed ones, with their strata and ranks
    RETURN NOT EXISTS (
        (SELECT u.uscc, u.stratum, u.rank FROM ROWS FROM (pg_catalog.unnest(sel.uscc), pg_catalog.unnest(sel.stratum), pg_catalog.unnest(sel.rank)) AS u(uscc, stratum, rank)
         EXCEPT ALL
         SELECT t.uscc, t.stratum, t.rank FROM @extschema@.draw_target t WHERE t.draw_id = verify_draw.draw_id)
        UNION ALL
        (SELECT t.uscc, t.stratum, t.rank FROM @extschema@.draw_target t WHERE t.draw_id = verify_draw.draw_id
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
