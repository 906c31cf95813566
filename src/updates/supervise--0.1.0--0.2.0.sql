-- supervise 0.1.0 -> 0.2.0. Applied by ALTER EXTENSION supervise UPDATE; test/scripts/upgrade.sh
-- checks that it leaves a 0.1.0 database with data exactly like a fresh 0.2.0 install, data and
-- function results unchanged.
\echo Use "ALTER EXTENSION supervise UPDATE TO '0.2.0'" to load this file. \quit

-- ---- draws: the eligible population read in C, a lighter audit entry ----
-- eligibility_query() writes the eligible-population query of a task (the one place eligibility is
-- decided); eligible_population() runs it; draw() hands it to population_collect(), which reads the
-- rows in C. audit_row() no longer converts a draw's population to JSON.

CREATE FUNCTION @extschema@.eligibility_query(task_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    dir bigint;
    members text := '';
    limits text := '';
BEGIN
    SELECT t.directory_id INTO dir FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligibility_query.task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', eligibility_query.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM @extschema@.task_limit_profile(eligibility_query.task_id);
    IF dir IS NOT NULL THEN
        members := pg_catalog.format($q$
   AND EXISTS (SELECT 1 FROM @extschema@.directory_member m
                WHERE m.directory_id OPERATOR(pg_catalog.=) %s
                  AND m.uscc OPERATOR(@extschema@.=) s.uscc)$q$, dir);
    END IF;
    IF p.limited THEN
        limits := pg_catalog.format($q$
   AND NOT EXISTS (
       SELECT 1 FROM @extschema@.v_limited_checks c
        WHERE c.uscc OPERATOR(@extschema@.=) s.uscc
          AND c.year OPERATOR(pg_catalog.=) %s
          AND c.task_id OPERATOR(pg_catalog.<>) %s
          AND (c.category OPERATOR(pg_catalog.=) ANY (%L::text[])
               OR c.department_id OPERATOR(pg_catalog.=) ANY (%L::bigint[])))$q$,
            p.year, p.task_id, p.categories, p.superiors);
    END IF;
    RETURN $q$SELECT s.uscc, s.credit_class, s.risk_level::double precision AS weight
  FROM @extschema@.subject s
 WHERE s.status OPERATOR(pg_catalog.=) 'active'$q$ || members || limits;
END
$$;

COMMENT ON FUNCTION @extschema@.eligibility_query(bigint) IS
    'internal: the query (uscc, credit_class, weight) of a task''s eligible population, with the task''s directory, year, categories and superiors written in: active subjects of its directory (all active subjects when it has none) that the limits on repeated checks do not exclude (the rule of exclusion_reason, as one anti-join). The one place eligibility is decided; eligible_population() and draw() run it after taking the task''s limit locks';

CREATE FUNCTION @extschema@.population_collect(query text, stratified boolean, weighted boolean) RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_collect' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.population_collect(text, boolean, boolean) IS
    'internal: the compact population (as population_agg) of a query''s rows (uscc, stratum text, weight double precision), read in C straight from the executor; stratified = false puts every row in stratum "all", weighted = false ignores the weight. Runs the query as the caller; draw() gives it eligibility_query(task)';

CREATE OR REPLACE FUNCTION @extschema@.eligible_population(task_id bigint)
RETURNS TABLE (uscc @extschema@.uscc, credit_class text, weight double precision)
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligible_population.task_id) THEN
        RAISE EXCEPTION 'task % does not exist', eligible_population.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.limit_lock(eligible_population.task_id);
    -- a new statement: in READ COMMITTED a new snapshot, taken after the locks
    RETURN QUERY EXECUTE @extschema@.eligibility_query(eligible_population.task_id);
END
$$;

ALTER FUNCTION @extschema@.eligible_population(bigint) SECURITY DEFINER;

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea DEFAULT NULL, algorithm text DEFAULT 'sha256-v1')
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

    -- the eligible population, in compact form: the limit locks first, then (a new statement, so a
    -- new snapshot in READ COMMITTED) the eligibility query, read in C
    PERFORM @extschema@.limit_lock(draw.task_id);
    pop := @extschema@.population_collect(@extschema@.eligibility_query(draw.task_id), has_strata, weighted);

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

ALTER FUNCTION @extschema@.draw(bigint, bytea, text) SECURITY DEFINER;

COMMENT ON FUNCTION @extschema@.draw(bigint, bytea, text) IS
    'draws the targets of an approved task from its eligible population (eligibility_query, read by population_collect), per credit class with task_stratum ratios or by sample_ratio / sample_size; records seed (random when NULL), population, digest and allocation in draw_record and the targets in draw_target; returns the draw id. Refused while the task has a live draw';

CREATE OR REPLACE FUNCTION @extschema@.audit_row() RETURNS trigger
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
    IF TG_TABLE_NAME = 'draw_record' THEN
        -- the population (megabytes for a large draw) stays out of the trail, and is not even
        -- converted: its digest and size are in the entry
        IF TG_OP <> 'INSERT' THEN OLD.population := NULL; END IF;
        IF TG_OP <> 'DELETE' THEN NEW.population := NULL; END IF;
    END IF;
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

REVOKE EXECUTE ON FUNCTION @extschema@.population_collect(text, boolean, boolean), @extschema@.eligibility_query(bigint) FROM PUBLIC;

-- ---- audit: limit overrides reach the audit trail ----
-- limit_override had no audit trigger, so granting an override (audit_row's 'override' branch) was
-- never logged. Now every change of an override is: granting it (action override), its use by an
-- inspection (update: overridden_check, used_at), withdrawing it (delete). object_id is the task
-- (an override has no id of its own), department_id the department it lets check again. No entries
-- are written for overrides granted before the update.

CREATE OR REPLACE FUNCTION @extschema@.audit_row() RETURNS trigger
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
    IF TG_TABLE_NAME = 'draw_record' THEN
        -- the population (megabytes for a large draw) stays out of the trail, and is not even
        -- converted: its digest and size are in the entry
        IF TG_OP <> 'INSERT' THEN OLD.population := NULL; END IF;
        IF TG_OP <> 'DELETE' THEN NEW.population := NULL; END IF;
    END IF;
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
        -- no id of its own: the object is the task (like its items); the department is the one
        -- the override lets check again. Granting is the act; its use by an inspection (the
        -- limits trigger sets overridden_check and used_at) is an update, withdrawing a delete.
        oid_ := (cur ->> 'task_id')::bigint;
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

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.limit_override
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
