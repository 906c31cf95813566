-- supervise 0.1.0 -> 0.2.0. Applied by ALTER EXTENSION supervise UPDATE; test/scripts/upgrade.sh
-- checks that it leaves a 0.1.0 database with data exactly like a fresh 0.2.0 install, data and
-- function results unchanged.
\echo Use "ALTER EXTENSION supervise UPDATE TO '0.2.0'" to load this file. \quit

-- ---- draws: the eligible population read in C, a lighter audit entry ----
-- eligibility_parts() writes the eligible-population queries of a task, candidates and excluded codes
-- (the one place eligibility is decided); eligibility_query() joins them and eligible_population()
-- runs it; draw() hands the parts to population_collect(), which reads the rows in C. audit_row() no longer converts a draw's population to JSON (in the audit section).

CREATE FUNCTION @extschema@.eligibility_parts(task_id bigint, OUT candidates text, OUT excluded text)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    dir bigint;
BEGIN
    SELECT t.directory_id INTO dir FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligibility_parts.task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', eligibility_parts.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM @extschema@.task_limit_profile(eligibility_parts.task_id);
    candidates := $q$SELECT s.uscc, s.credit_class, s.risk_level::double precision AS weight
  FROM @extschema@.subject s
 WHERE s.status OPERATOR(pg_catalog.=) 'active'$q$;
    IF dir IS NOT NULL THEN
        candidates := candidates || pg_catalog.format($q$
   AND EXISTS (SELECT 1 FROM @extschema@.directory_member m
                WHERE m.directory_id OPERATOR(pg_catalog.=) %s
                  AND m.uscc OPERATOR(@extschema@.=) s.uscc)$q$, dir);
    END IF;
    IF p.limited THEN
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.v_limited_checks c
 WHERE c.year OPERATOR(pg_catalog.=) %s
   AND c.task_id OPERATOR(pg_catalog.<>) %s
   AND (c.category OPERATOR(pg_catalog.=) ANY (%L::text[])
        OR c.department_id OPERATOR(pg_catalog.=) ANY (%L::bigint[]))$q$,
            p.year, p.task_id, p.categories, p.superiors);
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.eligibility_parts(bigint) IS
    'internal: the eligible population of a task as two queries, with the task''s directory, year, categories and superiors written in: candidates (uscc, credit_class, weight), the active subjects of its directory (all active subjects when it has none), and excluded (uscc), the subjects the limits on repeated checks exclude (the rule of exclusion_reason; NULL when the task is not limited). The one place eligibility is decided: eligibility_query() joins them, draw() hands them to population_collect()';

CREATE FUNCTION @extschema@.eligibility_query(task_id bigint) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    RETURN (SELECT p.candidates || CASE WHEN p.excluded IS NULL THEN '' ELSE pg_catalog.format($q$
   AND NOT EXISTS (SELECT 1 FROM (%s) x WHERE x.uscc OPERATOR(@extschema@.=) s.uscc)$q$, p.excluded) END
              FROM @extschema@.eligibility_parts(eligibility_query.task_id) p);

COMMENT ON FUNCTION @extschema@.eligibility_query(bigint) IS
    'internal: the query (uscc, credit_class, weight) of a task''s eligible population: eligibility_parts'' candidates without its excluded codes, as one anti-join. eligible_population() runs it after taking the task''s limit locks';

CREATE FUNCTION @extschema@.population_collect(query text, stratified boolean, weighted boolean, excluded text DEFAULT NULL)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'population_collect' LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.population_collect(text, boolean, boolean, text) IS
    'internal: the compact population (as population_agg) of a query''s rows (uscc, stratum text, weight double precision), read in C straight from the executor, less the codes the query excluded returns (one uscc column; NULL: none), both run in one new snapshot; stratified = false puts every row in stratum "all", weighted = false ignores the weight. Runs the queries as the caller; draw() gives it eligibility_parts(task)';

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
        RAISE EXCEPTION 'unknown draw algorithm: "%"', @extschema@.message_value(algorithm)
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
    'draws the targets of an approved task from its eligible population (eligibility_parts, read by population_collect), per credit class with task_stratum ratios or by sample_ratio / sample_size; records seed (random when NULL), population, digest and allocation in draw_record and the targets in draw_target; returns the draw id. Refused while the task has a live draw';

-- (audit_row() keeps the population out of the trail: its new body is in the audit section below)

REVOKE EXECUTE ON FUNCTION @extschema@.population_collect(text, boolean, boolean, text), @extschema@.eligibility_query(bigint),
    @extschema@.eligibility_parts(bigint) FROM PUBLIC;

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

-- ---- visits (plan_visits in C) ----
-- plan_visits and visit_plan are C functions now (src/pg/visits_fn.c): one query per input, the
-- grouping in C, only changes written, new visits by table_multi_insert. What a visit is made of
-- (tasks, draws, window, lead department) is kept once per year and set of tasks in the new table
-- visit_task_set; a visit row is (id, uscc, task_set_id, planned_at), indexed by id only. The
-- stored visits keep their ids and planned_at; each distinct (year, tasks, draws, window, lead)
-- becomes one task set. The views are replaced in place (same columns, same rows, their grants
-- kept). Roles given access before the update get the new table visit_task_set when their access
-- is next recomputed (grant_admin again; see README, Upgrades).

CREATE TABLE @extschema@.visit_task_set (
    id                  bigserial PRIMARY KEY,
    year                integer NOT NULL,
    task_ids            bigint[] NOT NULL,
    draw_ids            bigint[] NOT NULL,
    window_start        date NOT NULL,
    window_end          date NOT NULL,
    lead_department_id  bigint NOT NULL,
    visits              integer NOT NULL DEFAULT 0,
    CONSTRAINT "visit window_end is not before window_start" CHECK (window_end >= window_start),
    CONSTRAINT "a task set's visits are counted from 0" CHECK (visits >= 0),
    CONSTRAINT "visit year is the year of its window" CHECK (year = extract(year FROM window_start)),
    CONSTRAINT "visit has one draw per task and at least one task" CHECK (
        pg_catalog.cardinality(task_ids) >= 1
        AND pg_catalog.cardinality(task_ids) = pg_catalog.cardinality(draw_ids)
        AND pg_catalog.array_ndims(task_ids) = 1 AND pg_catalog.array_ndims(draw_ids) = 1
        AND pg_catalog.array_position(task_ids, NULL) IS NULL
        AND pg_catalog.array_position(draw_ids, NULL) IS NULL),
    CONSTRAINT "a task set is kept once" UNIQUE (year, task_ids, draw_ids, window_start, window_end, lead_department_id)
);

COMMENT ON TABLE @extschema@.visit_task_set IS
    'what visits (联合检查) are made of, once per year and set of drawn tasks: the tasks (task_ids[i] drawn by draw_ids[i], in task id order), the days window_start..window_end they share, the lead department; written by plan_visits(), which removes a set when no visit uses it any more. Never changed: a visit whose window or lead changes moves to another set';

COMMENT ON COLUMN @extschema@.visit_task_set.year IS 'the year of the tasks'' periods (plan_visits(year) makes and remakes the year''s visits)';

COMMENT ON COLUMN @extschema@.visit_task_set.lead_department_id IS
    'the department that leads the visits: the initiator of a joint task among the tasks, else the department with most items, then the lowest id (visit_lead_department)';

COMMENT ON COLUMN @extschema@.visit_task_set.window_start IS 'first day on which every task of the set is open (the latest period_start)';

COMMENT ON COLUMN @extschema@.visit_task_set.window_end IS 'last day on which every task of the set is open (the earliest period_end)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_task_set', '');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_task_set_id_seq', '');

-- the stored visits' task sets, then each visit points to its set
INSERT INTO @extschema@.visit_task_set (year, task_ids, draw_ids, window_start, window_end, lead_department_id)
SELECT v.year, v.task_ids, v.draw_ids, v.window_start, v.window_end, v.lead_department_id
  FROM @extschema@.visit v
 GROUP BY v.year, v.task_ids, v.draw_ids, v.window_start, v.window_end, v.lead_department_id
 ORDER BY min(v.id);
ALTER TABLE @extschema@.visit ADD COLUMN task_set_id bigint;
UPDATE @extschema@.visit v SET task_set_id = s.id
  FROM @extschema@.visit_task_set s
 WHERE (s.year, s.task_ids, s.draw_ids, s.window_start, s.window_end, s.lead_department_id)
       = (v.year, v.task_ids, v.draw_ids, v.window_start, v.window_end, v.lead_department_id);
ALTER TABLE @extschema@.visit ALTER COLUMN task_set_id SET NOT NULL;
UPDATE @extschema@.visit_task_set s SET visits = c.n
  FROM (SELECT v.task_set_id, count(*)::integer AS n FROM @extschema@.visit v GROUP BY v.task_set_id) c
 WHERE c.task_set_id = s.id;

-- the views and functions over visit's old columns read the task sets instead
CREATE OR REPLACE VIEW @extschema@.visit_task AS
SELECT v.id AS visit_id, v.uscc, u.task_id, u.draw_id
  FROM @extschema@.visit v
  JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id,
       LATERAL ROWS FROM (pg_catalog.unnest(s.task_ids), pg_catalog.unnest(s.draw_ids)) AS u(task_id, draw_id);

CREATE OR REPLACE VIEW @extschema@.v_joint_visits AS
SELECT v.id AS visit_id, v.uscc, s.lead_department_id,
       ARRAY(SELECT DISTINCT ci.department_id
               FROM pg_catalog.unnest(s.task_ids) u(task_id)
               JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
               JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
              ORDER BY 1) AS department_ids,
       ARRAY(SELECT DISTINCT ti.item_id
               FROM pg_catalog.unnest(s.task_ids) u(task_id)
               JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
              ORDER BY 1) AS item_ids,
       s.window_start, s.window_end,
       s.year, s.task_ids, s.draw_ids,
       ARRAY(SELECT DISTINCT a.inspector_id
               FROM pg_catalog.unnest(s.draw_ids) u(draw_id)
               JOIN @extschema@.assignment a ON a.draw_id OPERATOR(pg_catalog.=) u.draw_id
                                            AND a.uscc OPERATOR(@extschema@.=) v.uscc
              ORDER BY 1) AS inspector_ids,
       sub.name AS subject_name,
       ld.name AS lead_department_name
  FROM @extschema@.visit v
  JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
  LEFT JOIN @extschema@.subject sub ON sub.uscc OPERATOR(@extschema@.=) v.uscc
  LEFT JOIN @extschema@.department ld ON ld.id OPERATOR(pg_catalog.=) s.lead_department_id;

CREATE OR REPLACE VIEW @extschema@.v_visit_checklist AS
SELECT v.id AS visit_id, ci.department_id, ci.id AS item_id, ci.name AS item_name,
       dep.name AS department_name, ci.code AS item_code, ci.category, ci.legal_basis, ci.key_supervision,
       (ci.department_id OPERATOR(pg_catalog.=) s.lead_department_id) AS lead_department,
       it.task_ids, v.uscc, s.window_start, s.window_end
  FROM @extschema@.visit v
  JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
  CROSS JOIN LATERAL (
        SELECT ti.item_id, array_agg(u.task_id ORDER BY u.task_id) AS task_ids
          FROM pg_catalog.unnest(s.task_ids) u(task_id)
          JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
         GROUP BY ti.item_id) it
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) it.item_id
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) ci.department_id
 ORDER BY v.id, ci.department_id, ci.code, ci.id;

CREATE OR REPLACE VIEW @extschema@.v_visit_results AS
SELECT v.id AS visit_id, v.uscc, u.task_id, td.department_id, dep.name AS department_name,
       i.id AS inspection_id, i.inspected_on, i.result_code, rc.name_zh AS result_name,
       rc.problem_found, i.result_on, i.note,
       (i.result_code IS NOT NULL) AS recorded
  FROM @extschema@.visit v
  JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
  CROSS JOIN LATERAL pg_catalog.unnest(s.task_ids) u(task_id)
  JOIN @extschema@.task_department td ON td.task_id OPERATOR(pg_catalog.=) u.task_id
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) td.department_id
  LEFT JOIN @extschema@.inspection i ON i.task_id OPERATOR(pg_catalog.=) u.task_id
                                    AND i.uscc OPERATOR(@extschema@.=) v.uscc
                                    AND i.department_id OPERATOR(pg_catalog.=) td.department_id
  LEFT JOIN @extschema@.result_code rc ON rc.code OPERATOR(pg_catalog.=) i.result_code;

CREATE OR REPLACE VIEW @extschema@.v_visit_report AS
WITH part AS (
    SELECT v.id AS visit_id, pg_catalog.date_trunc('month', s.window_start)::date AS month, td.department_id,
           bool_and(i.result_code IS NOT NULL) AS done
      FROM @extschema@.visit v
      JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
      CROSS JOIN LATERAL pg_catalog.unnest(s.task_ids) u(task_id)
      JOIN @extschema@.task_department td ON td.task_id OPERATOR(pg_catalog.=) u.task_id
      LEFT JOIN @extschema@.inspection i ON i.task_id OPERATOR(pg_catalog.=) u.task_id
                                        AND i.uscc OPERATOR(@extschema@.=) v.uscc
                                        AND i.department_id OPERATOR(pg_catalog.=) td.department_id
     GROUP BY v.id, month, td.department_id
), took_part AS (
    SELECT p.department_id, p.month, count(*) AS planned, count(*) FILTER (WHERE p.done) AS done
      FROM part p GROUP BY p.department_id, p.month
), led AS (
    SELECT s.lead_department_id AS department_id, pg_catalog.date_trunc('month', s.window_start)::date AS month,
           count(*) AS led, sum(pg_catalog.cardinality(s.task_ids)) AS pairs
      FROM @extschema@.visit v JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
     GROUP BY 1, 2
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

CREATE OR REPLACE FUNCTION @extschema@.visit_plan(year integer)
    RETURNS TABLE (uscc @extschema@.uscc, window_start date, window_end date, task_ids bigint[],
                   draw_ids bigint[], lead_department_id bigint)
    AS 'MODULE_PATHNAME', 'visit_plan'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp;

COMMENT ON FUNCTION @extschema@.visit_plan(integer) IS
    'the visits plan_visits(year) would make, without making them: for every subject, its live drawn targets of tasks whose period starts in the year (less those in visits with a recorded inspection) grouped into the fewest visits whose tasks share a day, with window, task and draw ids and lead department; by subject, then window';

CREATE OR REPLACE FUNCTION @extschema@.plan_visits(year integer) RETURNS integer
    AS 'MODULE_PATHNAME', 'plan_visits'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp;

COMMENT ON FUNCTION @extschema@.plan_visits(integer) IS
    'plans the year''s visits (联合检查): for every subject, its live drawn targets of tasks whose period starts in the year are grouped into the fewest visits whose tasks share a day (exact, in C); returns the number of visits the year has. Re-running is idempotent and writes only what changed: a visit made again (same subject, tasks and draws) keeps its id, a visit with a recorded inspection is kept as it is and its targets are not regrouped, other visits are remade. Locks visit and visit_task_set (EXCLUSIVE) and inspection (SHARE) while it runs';

CREATE OR REPLACE FUNCTION @extschema@.record_visit_result(visit_id bigint, department_id bigint, result_code text,
                                                result_on date, inspected_on date DEFAULT NULL,
                                                note text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v           record;
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
    -- a result is recorded once it is formed: never dated after today
    IF record_visit_result.result_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'result day % is in the future', record_visit_result.result_on
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('Today is %s.', CURRENT_DATE),
                  HINT = 'Record a result (检查结果) on or after the day it is formed.';
    END IF;
    -- FOR SHARE: plan_visits (EXCLUSIVE on visit) cannot remake the visit under us
    SELECT x.id, x.uscc, s.year, s.window_start, s.window_end, s.task_ids, s.draw_ids INTO v
      FROM @extschema@.visit x JOIN @extschema@.visit_task_set s ON s.id = x.task_set_id
     WHERE x.id = record_visit_result.visit_id
       FOR SHARE OF x;
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
        RAISE EXCEPTION 'unknown result code: "%"', @extschema@.message_value(record_visit_result.result_code)
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

-- visit's old columns go (their CHECK constraints and the index visit_uscc_year_idx with them)
ALTER TABLE @extschema@.visit DROP COLUMN year, DROP COLUMN lead_department_id, DROP COLUMN window_start,
                              DROP COLUMN window_end, DROP COLUMN task_ids, DROP COLUMN draw_ids;

COMMENT ON TABLE @extschema@.visit IS
    'visits (联合检查, 进一次门、查多项事): one entry into a subject by every department of a set of its drawn tasks whose periods share days; made by plan_visits(). What the visit is made of is its task set (visit_task_set); v_joint_visits shows both. Indexed by id only, and task_set_id is not a foreign key: every index entry or check per row adds a third or more to the time plan_visits takes to write a year (doc/joint-checks.md); plan_visits, the only writer, removes a set only when no visit uses it';

COMMENT ON COLUMN @extschema@.visit.task_set_id IS 'the visit''s tasks, draws, window and lead department (visit_task_set.id)';

COMMENT ON COLUMN @extschema@.visit.planned_at IS 'when plan_visits() first made the visit (a visit made again keeps it)';


-- ---- a subject's visits through a BRIN index on visit.uscc ----
-- (after the visits section: visit has its 0.2.0 columns by now)
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

CREATE INDEX visit_uscc_brin ON @extschema@.visit USING brin (uscc) WITH (pages_per_range = 16, autosummarize = on);

COMMENT ON TABLE @extschema@.visit IS
    'visits (联合检查, 进一次门、查多项事): one entry into a subject by every department of a set of its drawn tasks whose periods share days; made by plan_visits(). What the visit is made of is its task set (visit_task_set); v_joint_visits shows both. Indexed by id (btree) and uscc (BRIN: visits are written in code order); task_set_id is not a foreign key: every btree entry or check per row adds a third or more to the time plan_visits takes to write a year (doc/joint-checks.md); plan_visits, the only writer, removes a set only when no visit uses it';




-- ---- draws: targets written in bulk, the limits re-check per draw, no custom plans of the population ----
CREATE FUNCTION @extschema@.limits_check_drawn(draw_id bigint, codes @extschema@.uscc[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    p record;
    c record;
BEGIN
    SELECT dr.task_id INTO t FROM @extschema@.draw_record dr WHERE dr.id OPERATOR(pg_catalog.=) limits_check_drawn.draw_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM @extschema@.limit_lock(t);
    SELECT * INTO p FROM @extschema@.task_limit_profile(t) x WHERE x.limited;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- (the task is a parameter, so the draw's own targets are left out before the join)
    SELECT u.uscc, x.* INTO c
      FROM pg_catalog.unnest(codes) u(uscc)
      JOIN @extschema@.v_limited_checks x ON x.uscc OPERATOR(@extschema@.=) u.uscc
     WHERE x.year OPERATOR(pg_catalog.=) p.year
       AND x.task_id OPERATOR(pg_catalog.<>) t
       AND (x.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR x.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     ORDER BY u.uscc, x.checked_on, x.source_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'draw % of task % takes subject "%", which the limits on repeated checks exclude',
                draw_id, t, c.uscc
            USING ERRCODE = 'exclusion_violation',
                  DETAIL = 'Earlier check: ' || @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on) || ' (category "' || c.category || '").',
                  HINT = 'Draw from supervise.eligible_population(), which leaves such subjects out.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) IS
    'internal: refuses new targets (codes) of a draw that the limits on repeated checks exclude, naming the earlier check; takes the limit locks of the drawn task first. Run by the trigger limits_check_targets and by draw()''s bulk write of its targets';

CREATE OR REPLACE FUNCTION @extschema@.limits_check_targets() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    d record;
BEGIN
    -- every drawn task's locks first, in one order
    FOR t IN SELECT DISTINCT dr.task_id FROM new_targets n
               JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) n.draw_id ORDER BY 1
    LOOP
        PERFORM @extschema@.limit_lock(t);
    END LOOP;
    FOR d IN SELECT n.draw_id, pg_catalog.array_agg(n.uscc) AS codes FROM new_targets n GROUP BY n.draw_id ORDER BY 1
    LOOP
        PERFORM @extschema@.limits_check_drawn(d.draw_id, d.codes);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@.draw_targets_insert(draw_id bigint, uscc @extschema@.uscc[], stratum text[], rank integer[])
    RETURNS integer
    AS 'MODULE_PATHNAME', 'draw_targets_insert' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.draw_targets_insert(bigint, @extschema@.uscc[], text[], integer[]) IS
    'internal: writes the targets draw() selected into draw_target (code order, like COPY) for the draw it is recording in this transaction, doing the work of its insert triggers once for all rows: the draw row checked and locked for the foreign key, the limits re-check by limits_check_drawn. Falls back to INSERT (every trigger) when draw_target has other insert triggers, rules or row-level security. Returns the number of rows';

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea DEFAULT NULL, algorithm text DEFAULT 'sha256-v1')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
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
        RAISE EXCEPTION 'task_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797') THEN
        RAISE EXCEPTION 'unknown draw algorithm: "%"', @extschema@.message_value(algorithm)
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
    -- new snapshot in READ COMMITTED) the eligibility queries, read in C
    PERFORM @extschema@.limit_lock(draw.task_id);
    SELECT * INTO parts FROM @extschema@.eligibility_parts(draw.task_id);
    pop := @extschema@.population_collect(parts.candidates, has_strata, weighted, parts.excluded);

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
    -- the targets, in bulk (with the foreign key and limits checks once for all of them)
    PERFORM @extschema@.draw_targets_insert(new_id, coalesce(sel.uscc, '{}'), coalesce(sel.stratum, '{}'), coalesce(sel.rank, '{}'));

    -- (the trigger draw_record_publication adds the target list to the publication schedule)
    RETURN new_id;
END
$$;


ALTER FUNCTION @extschema@.draw(bigint, bytea, text) SECURITY DEFINER;

ALTER FUNCTION @extschema@.limits_check_targets() SECURITY DEFINER;

ALTER FUNCTION @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) SECURITY DEFINER;

REVOKE EXECUTE ON FUNCTION @extschema@.draw_targets_insert(bigint, @extschema@.uscc[], text[], integer[]), @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) FROM PUBLIC;

-- ---- inspector matching: assignments written in bulk (assignments_insert: the foreign keys checked
-- and the audit entry written once per department instead of per row; audit_match_entry, the entry
-- the trigger audit_match and assignments_insert both write) ----

CREATE FUNCTION @extschema@.assignments_insert(draw_id bigint, department_id bigint, uscc @extschema@.uscc[],
        inspector_id bigint[])
    RETURNS integer
    AS 'MODULE_PATHNAME', 'assignments_insert' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.assignments_insert(bigint, bigint, @extschema@.uscc[], bigint[]) IS
    'internal: writes one department''s matches into assignment (in code order, like COPY), doing the work of its insert triggers once for all rows: the foreign keys checked (every code a target of the draw, the inspectors and the department locked FOR KEY SHARE) and audit_match''s entry (audit_match_entry). Falls back to INSERT (every trigger) when assignment has other insert triggers, rules or row-level security that applies. Returns the number of rows';

CREATE OR REPLACE FUNCTION @extschema@.match_inspectors(draw_id bigint) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d       record;
    dep     record;
    n       integer := 0;
    codes   @extschema@.uscc[];
    inspectors bigint[];
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
        -- the matches, in bulk (with the foreign keys' checks and the audit entry once for all)
        SELECT coalesce(pg_catalog.array_agg(m.uscc), '{}'), coalesce(pg_catalog.array_agg(m.inspector_id), '{}')
          INTO codes, inspectors
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
        n := n + @extschema@.assignments_insert(match_inspectors.draw_id, dep.id, codes, inspectors);
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION @extschema@.audit_match_entry(draw_id bigint, assignments bigint, targets bigint,
        department_ids jsonb) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.audit_log (actor, action, object_kind, object_id, department_id, detail)
    SELECT @extschema@.acting_role(), 'match', 'draw_record', r.id, t.department_id,
           jsonb_build_object('assignments', $2, 'targets', $3, 'department_ids', $4)
      FROM @extschema@.draw_record r
      JOIN @extschema@.task t ON t.id = r.task_id
     WHERE r.id = $1
$$;

COMMENT ON FUNCTION @extschema@.audit_match_entry(bigint, bigint, bigint, jsonb) IS
    'internal: the audit_log entry (action match) of assignments made by matching a draw''s inspectors, with their counts; written by the trigger audit_match, and by assignments_insert for the rows it writes in bulk';

CREATE OR REPLACE FUNCTION @extschema@.audit_match() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.audit_match_entry(n.draw_id, count(*), count(DISTINCT n.uscc),
                                          jsonb_agg(DISTINCT n.department_id))
       FROM new_rows n
      WHERE NOT n.direct
      GROUP BY n.draw_id
      ORDER BY n.draw_id;
    RETURN NULL;
END
$$;



ALTER FUNCTION @extschema@.match_inspectors(bigint) SECURITY DEFINER;

REVOKE EXECUTE ON FUNCTION @extschema@.assignments_insert(bigint, bigint, @extschema@.uscc[], bigint[]),
    @extschema@.audit_match_entry(bigint, bigint, bigint, jsonb) FROM PUBLIC;

-- ---- the compact population, format version 2 ------------------------------------------------------
-- population_agg and population_collect write version 2 (each code a step from the one before, about
-- 3 bytes a subject instead of 12); populations recorded by 0.1.0 stay in version 1, which is still read.
COMMENT ON AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision) IS
    'the compact form of a draw population (code, stratum, weight) as recorded in draw_record.population: strata in name order, codes in order, each written as its step from the one before (1 to 13 bytes, about 3 for a directory of one region; + 8 for a weight); weights all NULL or all > 0; see doc/draw-algorithm.md, section 9';

-- ---- limits: an inspection takes the limit locks before it asks whether a live draw covers it ----------
-- (a cancel of that draw in progress holds the locks; asked before them, the inspection could pass as
-- covered by a draw that was being cancelled; seen as a rare failure of test/scripts/limits_pgbench.sh)
CREATE OR REPLACE FUNCTION @extschema@.limits_check_inspection() RETURNS trigger
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
    SELECT pg_catalog.date_part('year', COALESCE(NEW.inspected_on, t.period_start))::integer INTO y
      FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) NEW.task_id;
    -- the locks first, then (new statements: in READ COMMITTED snapshots taken after the locks)
    -- whether a live draw covers the inspection and the rule: a cancel of that draw in progress
    -- holds the locks, so it is either committed by then (the draw no longer covers it) or waits
    PERFORM @extschema@.limit_lock(NEW.task_id, NEW.uscc, NEW.department_id, ARRAY[y]);
    IF EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                 JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id
                WHERE dr.task_id OPERATOR(pg_catalog.=) NEW.task_id AND dr.cancelled_at IS NULL
                  AND dt.uscc OPERATOR(@extschema@.=) NEW.uscc) THEN
        RETURN NEW;             -- within a draw: the draw applied the rule
    END IF;
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


ALTER FUNCTION @extschema@.limits_check_inspection() SECURITY DEFINER;

-- draw_target: the primary key on (uscc, draw_id) instead of (draw_id, uscc) plus an index on
-- (uscc); one index serves both, so a draw writes one index entry less per target
ALTER TABLE @extschema@.assignment DROP CONSTRAINT assignment_draw_id_uscc_fkey;
ALTER TABLE @extschema@.draw_target DROP CONSTRAINT draw_target_pkey;
ALTER TABLE @extschema@.draw_target ADD PRIMARY KEY (uscc, draw_id);
DROP INDEX @extschema@.draw_target_uscc_idx;
ALTER TABLE @extschema@.assignment ADD FOREIGN KEY (draw_id, uscc) REFERENCES @extschema@.draw_target (draw_id, uscc);





-- ---- records that change behind their functions; bad input ------------------------------------
-- A live draw freezes what it was made from (task_frozen_by_draw); a drawn subject's code stays
-- (subject_drawn_code_guard); a draw cancelled by UPDATE needs a reason (draw_record_guard and the
-- check constraint, which let a NULL reason through); published_on keeps mark_published's rules on
-- UPDATE (publication_published_guard); load_subjects() empties the source with DELETE when the
-- caller may not TRUNCATE, and survives repeated or missing line numbers; stratum_k, draw_select,
-- sample_subjects and generate_sample refuse absurd arguments; tasks lie in 2000-2200; a result is
-- not dated after today; assign_inspector waits for a match in progress; a caller's value is quoted
-- in messages through message_value (at most 64 characters).
CREATE FUNCTION @extschema@.message_value(value text) RETURNS text
    AS 'MODULE_PATHNAME', 'message_value_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.message_value(text) IS
    'internal: a value as quoted in a message (every message that quotes a caller''s text uses it): itself up to 64 characters, else its first 64 characters and "…"';

-- ---- what a live draw was made from is frozen ----------------------------------------------
-- A draw records its population and allocation, but they follow from the task: its items (the
-- kinds of check the limits compare), its kind (a clue task is never limited), its sampling
-- (ratio, size, credit strata), its directory, its department (superiors), its plan and the year
-- of its period. Changed after the draw, the task would contradict the recorded draw (public_tasks
-- would show items the draw was not limited by) and the once-a-year rule could be bypassed without
-- an override. So while a task has a live draw these are refused; cancel the draw to change them.
-- The rest of the task (title, dates within the year, approval, surprise, inspectors per target)
-- may still change. The task row is locked FOR SHARE, so a draw in progress (which holds it
-- FOR NO KEY UPDATE) finishes first and is seen. A restore inserts a drawn task's items and strata
-- after its draw: pg_dump and pg_restore run with row_security = off, which only roles that bypass
-- row-level security (owner, superuser) can use on these tables, and those inserts pass.
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
          FROM (VALUES (1, 'its kind', OLD.kind IS DISTINCT FROM NEW.kind),
                       (2, 'its department_id', OLD.department_id IS DISTINCT FROM NEW.department_id),
                       (3, 'its plan_id', OLD.plan_id IS DISTINCT FROM NEW.plan_id),
                       (4, 'its directory_id', OLD.directory_id IS DISTINCT FROM NEW.directory_id),
                       (5, 'its sample_ratio', OLD.sample_ratio IS DISTINCT FROM NEW.sample_ratio),
                       (6, 'its sample_size', OLD.sample_size IS DISTINCT FROM NEW.sample_size),
                       (7, 'the year of its period',
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
        IF TG_OP = 'INSERT' AND current_setting('row_security') = 'off' THEN
            RETURN NEW;         -- a restore (see above)
        END IF;
        changed := CASE TG_TABLE_NAME WHEN 'task_item' THEN 'its items' ELSE 'its credit strata' END;
        ids := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.task_id]
                          WHEN 'DELETE' THEN ARRAY[OLD.task_id]
                          ELSE ARRAY[OLD.task_id, NEW.task_id] END;
        PERFORM 1 FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.id FOR SHARE;
    END IF;
    SELECT d.id, d.task_id INTO live FROM @extschema@.draw_record d
     WHERE d.task_id = ANY (ids) AND d.cancelled_at IS NULL
     ORDER BY d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % has a live draw (draw %): % cannot be changed', live.task_id, live.id, changed
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'What a draw was made from (the task''s items, credit strata, kind, sampling, directory, department, plan and year) is frozen while the draw is live, so that the task and its recorded draw agree.',
                  HINT = format('Cancel the draw with a reason first: SELECT supervise.cancel_draw(%s, ''...''); then change the task and draw it again.', live.id);
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION @extschema@.task_frozen_by_draw() IS
    'trigger on task, task_item and task_stratum: while a task has a live draw, its items, credit strata, kind, department, plan, directory, sample_ratio, sample_size and the year of its period cannot change (55000; cancel the draw first); a restore (row_security = off) may insert its items and strata';
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
        RAISE EXCEPTION 'subject "%" was drawn (draw %): its code cannot be %', OLD.uscc, d,
                CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = 'A drawn code is part of the draw''s record: its population, digest and target list name the subject by it.',
                  HINT = CASE TG_OP WHEN 'DELETE'
                              THEN 'Keep the subject and set its status (e.g. deregistered) instead.'
                              ELSE 'Enter the corrected code as a new subject, and set the old one''s status (e.g. annulled).' END;
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

CREATE OR REPLACE FUNCTION @extschema@.draw_record_guard() RETURNS trigger
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
        -- the one change allowed: cancelling with a reason, stamped with the real time and user
        IF NEW.cancel_reason IS NULL OR pg_catalog.btrim(NEW.cancel_reason) OPERATOR(pg_catalog.=) '' THEN
            RAISE EXCEPTION 'a draw is cancelled only with a reason'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = pg_catalog.format('Draw %s was not cancelled.', OLD.id),
                      HINT = 'Cancel it with supervise.cancel_draw(draw_id, reason); the reason is kept with the draw.';
        END IF;
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
    'trigger: draw records are never changed or deleted; the only update allowed cancels a live draw with a non-blank reason (stamping the time and user)';

ALTER TABLE @extschema@.draw_record DROP CONSTRAINT "a cancelled draw has a time, a canceller and a reason";
ALTER TABLE @extschema@.draw_record ADD CONSTRAINT "a cancelled draw has a time, a canceller and a reason" CHECK (
        (cancelled_at IS NULL AND cancelled_by IS NULL AND cancel_reason IS NULL)
        OR (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL AND coalesce(btrim(cancel_reason), '') <> ''));

CREATE OR REPLACE FUNCTION @extschema@.stratum_k(n bigint, ratio numeric, size integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF n < 0 THEN
        RAISE EXCEPTION 'a stratum cannot have % rows', n
            USING ERRCODE = 'invalid_parameter_value', HINT = 'n is the number of eligible rows, 0 or more.';
    END IF;
    IF ratio IS NOT NULL AND size IS NOT NULL THEN
        RAISE EXCEPTION 'a stratum is drawn by a ratio or by a size, not both (ratio %, size %)', ratio, size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (NaN is greater than every number, so it fails ratio <= 1)
    IF NOT (ratio > 0 AND ratio <= 1) THEN
        RAISE EXCEPTION 'sampling ratio % is not in (0, 1]', ratio
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF size < 0 THEN
        RAISE EXCEPTION 'sample size % is negative', size
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN CASE
        WHEN ratio IS NOT NULL THEN LEAST(n, pg_catalog.ceil(ratio OPERATOR(pg_catalog.*) n))::integer
        WHEN size IS NOT NULL THEN LEAST(n, size::bigint)::integer
        ELSE 0 END;
END
$$;

COMMENT ON FUNCTION @extschema@.stratum_k(bigint, numeric, integer) IS
    'targets of a stratum of n eligible rows: min(n, ceil(ratio x n)) in exact decimal arithmetic (ratios are minimums, 不低于), else min(n, size), else 0; refuses (22023) n < 0, a ratio outside (0, 1] or NaN, a negative size, and both a ratio and a size';

CREATE OR REPLACE FUNCTION @extschema@.cancel_draw(draw_id bigint, reason text) RETURNS void
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
                  DETAIL = pg_catalog.format('The reason given was: %s', @extschema@.message_value(d.cancel_reason));
    END IF;
    UPDATE supervise.draw_record r SET cancelled_at = pg_catalog.now(), cancelled_by = @extschema@.acting_role(), cancel_reason = reason
     WHERE r.id = cancel_draw.draw_id;
    -- (the trigger draw_record_publication takes the unpublished list off the schedule)
END
$$;

ALTER FUNCTION @extschema@.cancel_draw(bigint, text) SECURITY DEFINER;

CREATE OR REPLACE FUNCTION @extschema@.load_calendar(year integer, days jsonb, source text DEFAULT NULL,
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
            RAISE EXCEPTION 'invalid calendar day kind "%" for %', @extschema@.message_value(k), d
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

CREATE OR REPLACE FUNCTION @extschema@.set_calendar_day(day date, kind text, holiday text DEFAULT NULL,
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
        RAISE EXCEPTION 'invalid calendar day kind "%"', @extschema@.message_value(set_calendar_day.kind)
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

CREATE OR REPLACE FUNCTION @extschema@.publication_rule_for(event text) RETURNS @extschema@.publication_rule
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule;
BEGIN
    SELECT * INTO r FROM @extschema@.publication_rule pr WHERE pr.event OPERATOR(pg_catalog.=) publication_rule_for.event;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown publication event "%"', @extschema@.message_value(publication_rule_for.event)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known events: ' || (SELECT string_agg(pr.event, ', ' ORDER BY pr.event) FROM @extschema@.publication_rule pr) || '.',
                  HINT = 'Add a row to supervise.publication_rule for a new event.';
    END IF;
    RETURN r;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.publication_source(kind text, ids bigint[])
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
        RAISE EXCEPTION 'unknown publication kind "%"', @extschema@.message_value(kind)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known kinds: plan, task, target_list, result, disposal.';
    END CASE;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.publication_upsert(kind text, object_id bigint, department_id bigint, event_on date)
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
        RAISE EXCEPTION 'publication items of kind "%" are made by triggers', @extschema@.message_value(kind)
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

CREATE OR REPLACE FUNCTION @extschema@.mark_published(kind text, object_id bigint, published_on date) RETURNS void
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
        RAISE EXCEPTION 'unknown publication kind "%"', @extschema@.message_value(kind)
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
    IF published_on < p.event_on THEN
        RAISE EXCEPTION 'publication date % of % % is before its event on %', published_on, kind, object_id, p.event_on
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN p.event_on > p.occurred_on
                                THEN format('The item belongs to a surprise check (突击检查) ending on %s, or to a temporary task published with its list; nothing is published before then.', p.event_on)
                                ELSE format('The event happened on %s.', p.occurred_on) END;
    END IF;
    -- (publication_published_guard refuses a date in the future)
    UPDATE @extschema@.publication q SET published_on = mark_published.published_on
     WHERE q.id OPERATOR(pg_catalog.=) p.id;
END
$$;

-- The rules of publishing hold however published_on is written (officers may UPDATE the column
-- under row-level security): a date is not in the future, and a published item stays published.
-- (Not before the item's event: the check constraint.)
CREATE FUNCTION @extschema@.publication_published_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NEW.published_on IS NULL AND OLD.published_on IS NOT NULL THEN
        RAISE EXCEPTION '% % was published on % and cannot be unpublished', OLD.kind, OLD.object_id, OLD.published_on
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A publication that happened stays recorded (全程留痕).',
                  HINT = 'To correct the date, publish it again with supervise.mark_published(kind, object_id, published_on).';
    END IF;
    IF NEW.published_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'publication date % is in the future', NEW.published_on
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_published_guard() IS
    'trigger on publication: published_on is never set back to NULL once set, nor to a day after today (the rules of mark_published, for every UPDATE)';
CREATE TRIGGER publication_published_guard BEFORE UPDATE OF published_on ON @extschema@.publication
    FOR EACH ROW EXECUTE FUNCTION @extschema@.publication_published_guard();

CREATE OR REPLACE FUNCTION @extschema@.task_check_filing() RETURNS trigger
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
                NEW.kind, @extschema@.message_value(NEW.title), NEW.period_start - filed, need
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

CREATE OR REPLACE FUNCTION @extschema@.load_subjects(
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

CREATE OR REPLACE FUNCTION @extschema@.sample_subjects(subjects bigint, seed integer DEFAULT 1)
RETURNS TABLE (uscc text, name text, region text, industry text, credit_class text, risk_level text, status text)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- (the rows are made in full before the first is returned, so a LIMIT does not bound the work)
    IF subjects < 0 OR subjects > 100000000 THEN
        RAISE EXCEPTION 'sample size % is out of range', subjects
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Ask for 0 to 100,000,000 subjects.';
    END IF;
    RETURN QUERY
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
      FROM y;
END
$$;

COMMENT ON FUNCTION @extschema@.sample_subjects(bigint, integer) IS
    'sample data: n realistic market subjects as text rows (the columns of subject_staging): valid unique codes with correct check characters, Fujian county regions, 70% enterprises / 25% individual businesses / cooperatives / social organisations, credit mostly A and B, ~3% not active; deterministic from the seed; 0 to 100,000,000 subjects';

CREATE OR REPLACE FUNCTION @extschema@.generate_sample(subjects bigint DEFAULT 10000, seed integer DEFAULT 1)
RETURNS TABLE (object text, rows bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    IF subjects IS NULL OR seed IS NULL THEN
        RAISE EXCEPTION 'generate_sample needs a number of subjects and a seed, not NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave out an argument to use its default: generate_sample(10000, seed => 1).';
    END IF;
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

ALTER TABLE @extschema@.task ADD CONSTRAINT "task period lies in the years 2000 to 2200"
    CHECK (period_start >= DATE '2000-01-01' AND period_end <= DATE '2200-12-31');

CREATE OR REPLACE FUNCTION @extschema@.task_check_plan() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    -- (a period outside 2000 to 2200 is refused by the check constraint, which says so)
    IF NEW.plan_id IS NULL OR NEW.period_start NOT BETWEEN DATE '2000-01-01' AND DATE '2200-12-31' THEN
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

COMMENT ON FUNCTION @extschema@.record_visit_result(bigint, bigint, text, date, date, text) IS
    'records one department''s result of a visit: writes (or corrects) the inspection of the subject for each of the visit''s tasks that hold that department''s items and returns how many; inspected_on defaults to result_on and must lie in the visit''s window; result_on is not after today; every department sees it in v_visit_results (结果互认). A visit with a recorded inspection is kept by plan_visits';

CREATE OR REPLACE FUNCTION @extschema@.assign_inspector(draw_id bigint, uscc @extschema@.uscc, inspector_id bigint, reason text)
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
    -- FOR UPDATE, as match_inspectors: a match in progress finishes first, and its rows are seen below
    SELECT r.id, r.task_id, r.cancelled_at INTO d FROM supervise.draw_record r WHERE r.id = assign_inspector.draw_id FOR UPDATE;
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
            USING ERRCODE = 'unique_violation',
                  DETAIL = (SELECT CASE WHEN a.direct THEN pg_catalog.format('Assigned by hand by %s at %s: %s', a.assigned_by, a.assigned_at, @extschema@.message_value(a.reason))
                                        ELSE pg_catalog.format('Matched by match_inspectors (%s at %s).', a.assigned_by, a.assigned_at) END
                              FROM supervise.assignment a WHERE a.draw_id = assign_inspector.draw_id
                               AND a.uscc = assign_inspector.uscc AND a.inspector_id = assign_inspector.inspector_id);
    END IF;
    INSERT INTO supervise.assignment (draw_id, uscc, inspector_id, department_id, direct, reason)
    VALUES (assign_inspector.draw_id, assign_inspector.uscc, assign_inspector.inspector_id, i.department_id, true, reason);
END
$$;

ALTER FUNCTION @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) SECURITY DEFINER;

-- ---- bulk inserts checked against the triggers they were written for: bulk_insert_paths() ----
CREATE FUNCTION @extschema@.bulk_insert_paths()
    RETURNS TABLE (relation regclass, bulk boolean, refusal text)
    AS 'MODULE_PATHNAME', 'bulk_insert_paths' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bulk_insert_paths() IS
    'for each table that draw() and match_inspectors() write like COPY (draw_target, assignment): whether that path is taken for the current user (bulk) or the rows go in by INSERT with every trigger run, and why (refusal: an INSERT trigger added or changed, rules, row-level security that applies, a volatile default). The bulk path does the work of the triggers it was written for and knows them by their whole definition, so a changed trigger is never skipped. For a DBA asking why a draw or a matching is slow; the owner''s and superusers'' only';
-- (it opens the tables for insertion: only for those who may write them)
REVOKE EXECUTE ON FUNCTION @extschema@.bulk_insert_paths() FROM PUBLIC;


-- ---- who may act on, read and join whose tasks ----
-- The functions that run as the owner ask about the acting role (acting_with_all_rights,
-- acting_department_ids): may_act_on_task as before; may_see_task (the tasks row-level security
-- lets an officer read) guards the limits functions (require_task_visible in task_limit_profile,
-- exclusion_reason, eligible_population), which a public reader or another department's officer
-- could call before. require_task_access refuses a NULL task (may_act_on_task(NULL) was NULL, and
-- NOT NULL let it pass; it is false now). participating_task_ids answers only for the acting
-- role's departments.
CREATE FUNCTION @extschema@.acting_with_all_rights() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
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
$$;

COMMENT ON FUNCTION @extschema@.acting_with_all_rights() IS
    'true when the acting role (acting_role()) is a superuser, a member of the extension owner''s role or an admin; asked by the functions that run as the owner';

CREATE FUNCTION @extschema@.acting_department_ids() RETURNS bigint[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT DISTINCT o.department_id
                   FROM @extschema@.officer_department o
                   JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) o.role_name
                  WHERE pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE')
                  ORDER BY o.department_id)
$$;

COMMENT ON FUNCTION @extschema@.acting_department_ids() IS
    'the departments the acting role (acting_role()) is an officer of, directly or through a group role; my_department_ids() for the functions that run as the owner';

CREATE OR REPLACE FUNCTION @extschema@.participating_task_ids(department_ids bigint[]) RETURNS bigint[]
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT DISTINCT ti.task_id
                   FROM @extschema@.task_item ti
                   JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                  WHERE ci.department_id OPERATOR(pg_catalog.=) ANY (department_ids)
                    AND (ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())
                         OR @extschema@.acting_with_all_rights()))
$$;

COMMENT ON FUNCTION @extschema@.participating_task_ids(bigint[]) IS
    'internal (row-level security): ids of the tasks holding an item of one of the departments, of those the acting role works for (every department for admins); not executable by PUBLIC';

CREATE OR REPLACE FUNCTION @extschema@.may_act_on_task(task_id bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT may_act_on_task.task_id IS NOT NULL
       AND (@extschema@.acting_with_all_rights()
            OR EXISTS (SELECT 1 FROM @extschema@.task t
                        WHERE t.id OPERATOR(pg_catalog.=) may_act_on_task.task_id
                          AND t.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())))
$$;
COMMENT ON FUNCTION @extschema@.may_act_on_task(bigint) IS
    'true when the acting role may draw, cancel, match and assign for the task: a superuser or member of the extension owner''s role, an admin, or an officer of the task''s initiating department; false for NULL';

CREATE FUNCTION @extschema@.may_see_task(task_id bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT may_see_task.task_id IS NOT NULL
       AND (@extschema@.acting_with_all_rights()
            OR EXISTS (SELECT 1 FROM @extschema@.task t
                        WHERE t.id OPERATOR(pg_catalog.=) may_see_task.task_id
                          AND (t.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())
                               OR EXISTS (SELECT 1 FROM @extschema@.task_item ti
                                            JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                                           WHERE ti.task_id OPERATOR(pg_catalog.=) t.id
                                             AND ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())))))
$$;

COMMENT ON FUNCTION @extschema@.may_see_task(bigint) IS
    'true when the acting role may see the task: a superuser or member of the extension owner''s role, an admin, or an officer of its initiating department or of a department with an item in it (a joint task it takes part in), as row-level security lets officers read tasks; false for NULL';

CREATE OR REPLACE FUNCTION @extschema@.require_task_access(task_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION 'task_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = pg_catalog.format('No task was given to %s.', coalesce(act, 'act on'));
    END IF;
    IF NOT @extschema@.may_act_on_task(task_id) THEN
        RAISE EXCEPTION 'permission denied to % task %', act, task_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Draws, cancellations and inspector matching of a task are done by an officer of its initiating department (supervise.grant_department_officer) or an admin.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.require_task_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> task <id>") unless may_act_on_task(task_id), and 22004 for a NULL task; called by draw, cancel_draw, match_inspectors and assign_inspector';

CREATE FUNCTION @extschema@.require_task_visible(task_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION 'task_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT @extschema@.may_see_task(task_id) THEN
        RAISE EXCEPTION 'permission denied to read task %', task_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A task''s eligible population and limits are read by officers of its departments (supervise.grant_department_officer) and admins.';
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.require_task_visible(bigint) IS
    'raises 42501 ("permission denied to read task <id>") unless may_see_task(task_id), and 22004 for a NULL task; called by the functions of the limits on repeated checks (task_limit_profile, exclusion_reason, eligible_population), which run as the owner';

-- limits: the owner's functions answer only about tasks the acting role may see; limit_conflicts
-- shows a check of a task it may not see without its task, department, date or id (the unmasked
-- rows are limit_conflicts_all, internal); a refusal's detail says of such a check only that there
-- was one (limits_explain_conflict), the full description going to the server log.
-- eligible_population is a read: it no longer takes the draw's limit locks (STABLE).
CREATE OR REPLACE FUNCTION @extschema@.task_limit_profile(task bigint,
    OUT task_id bigint, OUT year integer, OUT limited boolean, OUT categories text[],
    OUT departments bigint[], OUT superiors bigint[], OUT systems text[])
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- it runs as the owner: only about tasks the acting role may see
    PERFORM @extschema@.require_task_visible(task_limit_profile.task);
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
    'limits: what limits a task: its year (of period_start), whether it is limited at all (not a clue task and at least one non-exempt item), the categories and departments of its non-exempt items, the departments superior to those, and their systems; no row for an unknown task. Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE FUNCTION @extschema@.limit_conflicts_all(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
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
      FROM @extschema@.task_limit_profile(limit_conflicts_all.task) p
      JOIN @extschema@.v_limited_checks c
        ON c.uscc OPERATOR(@extschema@.=) limit_conflicts_all.subject
       AND c.year OPERATOR(pg_catalog.=) COALESCE(limit_conflicts_all.year, p.year)
       AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
       AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     WHERE p.limited
     ORDER BY 1, c.checked_on, c.source DESC, c.source_id, c.category;
END
$$;

COMMENT ON FUNCTION @extschema@.limit_conflicts_all(@extschema@.uscc, bigint, integer) IS
    'internal: the earlier checks that exclude the subject from the task (the task''s own checks never count): same_category_this_year rows first, then superior_checked_this_year, each oldest first; year defaults to the task''s year. Empty for a clue task or one without non-exempt items. Names checks of every department: used by the limits triggers and exclusion_reason; limit_conflicts() is what callers read';

CREATE OR REPLACE FUNCTION @extschema@.limit_conflicts(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT c.reason, c.category,
           CASE WHEN v.seen THEN c.task_id END, CASE WHEN v.seen THEN c.department_id END,
           CASE WHEN v.seen THEN c.checked_on END, c.source,
           CASE WHEN v.seen THEN c.source_id END, c.overridden
      FROM @extschema@.limit_conflicts_all(limit_conflicts.subject, limit_conflicts.task, limit_conflicts.year)
           WITH ORDINALITY c(reason, category, task_id, department_id, checked_on, source, source_id, overridden, ord)
     CROSS JOIN LATERAL (SELECT @extschema@.may_see_task(c.task_id) AS seen) v
     ORDER BY c.ord;
END
$$;

COMMENT ON FUNCTION @extschema@.limit_conflicts(@extschema@.uscc, bigint, integer) IS
    'limits: the earlier checks that exclude the subject from the task (the task''s own checks never count): same_category_this_year rows first, then superior_checked_this_year, each oldest first; year defaults to the task''s year. Empty for a clue task or one without non-exempt items. A check of a task the acting role may not see (may_see_task) shows only its reason, category, source and overridden (task_id, department_id, checked_on and source_id NULL); refused (42501) for a task it may not see';

CREATE OR REPLACE FUNCTION @extschema@.exclusion_reason(subject @extschema@.uscc, task_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    st text;
    r text;
BEGIN
    PERFORM @extschema@.require_task_visible(exclusion_reason.task_id);
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
    SELECT c.reason INTO r FROM @extschema@.limit_conflicts_all(exclusion_reason.subject, exclusion_reason.task_id) c LIMIT 1;
    RETURN r;
END
$$;

COMMENT ON FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) IS
    'limits (SPEC §4): NULL when the subject may be drawn for the task, else the first reason by precedence: inactive (status not active), same_category_this_year (a recorded check or live draw of another non-clue task with a non-exempt item of one of this task''s non-exempt categories, in the task''s year, by any department), superior_checked_this_year (a department superior to one of this task''s non-exempt item departments checked or drew it this year for any non-exempt item). Clue tasks and tasks whose items are all exempt are only ever excluded as inactive. Refused (42501) unless the acting role may see the task (may_see_task)';

COMMENT ON FUNCTION @extschema@.excluded_subjects(bigint) IS
    'limits, set-based: every subject of the directory that exclusion_reason() would exclude from the task, with the same reason (one join over all checks of the year, no per-subject call); subjects outside the task''s directory are included. Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE OR REPLACE FUNCTION @extschema@.eligible_population(task_id bigint)
RETURNS TABLE (uscc @extschema@.uscc, credit_class text, weight double precision)
    LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_task_visible(eligible_population.task_id);
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligible_population.task_id) THEN
        RAISE EXCEPTION 'task % does not exist', eligible_population.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a read: no limit lock (those are the writers'; draw() takes them before it reads)
    RETURN QUERY EXECUTE @extschema@.eligibility_query(eligible_population.task_id);
END
$$;

COMMENT ON FUNCTION @extschema@.eligible_population(bigint) IS
    'the draw''s eligible population (uscc, credit_class, weight = risk_level): active subjects of the task''s directory (all active subjects when it has none) that the limits on repeated checks do not exclude (the rule of exclusion_reason, by one anti-join), as of the statement''s snapshot. A read: it takes no lock, so it never holds up draws or inspections (draw() takes the limit locks and reads the population again under them). Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE FUNCTION @extschema@.limits_explain_conflict(reason text, category text, source text, source_id bigint,
                                                    task_id bigint, department_id bigint, checked_on date) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF @extschema@.may_see_task(limits_explain_conflict.task_id) THEN
        RETURN @extschema@.limits_describe_check(source, source_id, limits_explain_conflict.task_id,
                                                 limits_explain_conflict.department_id, checked_on)
               || ' (category "' || category || '")';
    END IF;
    RETURN CASE WHEN reason OPERATOR(pg_catalog.=) 'superior_checked_this_year'
                THEN 'a check by a superior department this year'
                ELSE pg_catalog.format('a check of the same kind (category "%s") by another department this year', category) END;
END
$$;

COMMENT ON FUNCTION @extschema@.limits_explain_conflict(text, text, text, bigint, bigint, bigint, date) IS
    'limits: the earlier check for a refusal''s message: the full description (limits_describe_check) when the acting role may see its task, else only "a check by a superior department this year" or "a check of the same kind (category ...) by another department this year"';

CREATE OR REPLACE FUNCTION @extschema@.limits_check_drawn(draw_id bigint, codes @extschema@.uscc[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    p record;
    c record;
BEGIN
    SELECT dr.task_id INTO t FROM @extschema@.draw_record dr WHERE dr.id OPERATOR(pg_catalog.=) limits_check_drawn.draw_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM @extschema@.limit_lock(t);
    SELECT * INTO p FROM @extschema@.task_limit_profile(t) x WHERE x.limited;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- (the task is a parameter, so the draw's own targets are left out before the join)
    SELECT u.uscc, x.* INTO c
      FROM pg_catalog.unnest(codes) u(uscc)
      JOIN @extschema@.v_limited_checks x ON x.uscc OPERATOR(@extschema@.=) u.uscc
     WHERE x.year OPERATOR(pg_catalog.=) p.year
       AND x.task_id OPERATOR(pg_catalog.<>) t
       AND (x.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR x.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     ORDER BY u.uscc, x.checked_on, x.source_id
     LIMIT 1;
    IF FOUND THEN
        IF NOT @extschema@.may_see_task(c.task_id) THEN
            RAISE LOG 'draw % of task % takes subject "%", which the limits on repeated checks exclude: earlier check %',
                draw_id, t, c.uscc,
                @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on) || ' (category "' || c.category || '")';
        END IF;
        RAISE EXCEPTION 'draw % of task % takes subject "%", which the limits on repeated checks exclude',
                draw_id, t, c.uscc
            USING ERRCODE = 'exclusion_violation',
                  DETAIL = 'Earlier check: ' || @extschema@.limits_explain_conflict(
                               CASE WHEN c.category OPERATOR(pg_catalog.=) ANY (p.categories) THEN 'same_category_this_year'
                                    ELSE 'superior_checked_this_year' END,
                               c.category, c.source, c.source_id, c.task_id, c.department_id, c.checked_on) || '.',
                  HINT = 'Draw from supervise.eligible_population(), which leaves such subjects out.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.limits_check_inspection() RETURNS trigger
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
    SELECT pg_catalog.date_part('year', COALESCE(NEW.inspected_on, t.period_start))::integer INTO y
      FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) NEW.task_id;
    -- the locks first, then (new statements: in READ COMMITTED snapshots taken after the locks)
    -- whether a live draw covers the inspection and the rule: a cancel of that draw in progress
    -- holds the locks, so it is either committed by then (the draw no longer covers it) or waits
    PERFORM @extschema@.limit_lock(NEW.task_id, NEW.uscc, NEW.department_id, ARRAY[y]);
    IF EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                 JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id
                WHERE dr.task_id OPERATOR(pg_catalog.=) NEW.task_id AND dr.cancelled_at IS NULL
                  AND dt.uscc OPERATOR(@extschema@.=) NEW.uscc) THEN
        RETURN NEW;             -- within a draw: the draw applied the rule
    END IF;
    SELECT * INTO c FROM @extschema@.limit_conflicts_all(NEW.uscc, NEW.task_id, y) LIMIT 1;
    IF FOUND THEN
        described := @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on)
                     || ' (category "' || c.category || '")';
        UPDATE @extschema@.limit_override o
           SET overridden_check = c.reason || ': ' || described, used_at = pg_catalog.now()
         WHERE o.task_id OPERATOR(pg_catalog.=) NEW.task_id AND o.uscc OPERATOR(@extschema@.=) NEW.uscc
           AND o.department_id OPERATOR(pg_catalog.=) NEW.department_id;
        IF NOT FOUND THEN
            -- the caller is told only what it may see of the earlier check; the log has all of it
            IF NOT @extschema@.may_see_task(c.task_id) THEN
                RAISE LOG 'subject "%" may not be checked again for task % by department %: %: earlier check %',
                    NEW.uscc, NEW.task_id, NEW.department_id, c.reason, described;
            END IF;
            RAISE EXCEPTION 'subject "%" may not be checked again for task %: %', NEW.uscc, NEW.task_id, c.reason
                USING ERRCODE = 'exclusion_violation',
                      DETAIL = 'Earlier check: ' || @extschema@.limits_explain_conflict(c.reason, c.category, c.source,
                                   c.source_id, c.task_id, c.department_id, c.checked_on) || '.',
                      HINT = pg_catalog.format('If a law provides for a second check, grant an override first: INSERT INTO supervise.limit_override (task_id, uscc, department_id, reason) VALUES (%s, %L, %s, ''...'').',
                                               NEW.task_id, NEW.uscc, NEW.department_id);
        END IF;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION @extschema@.limits_check_inspection() IS
    'trigger: an inspection recorded outside a live draw of its task that breaks the limits on repeated checks is refused with the earlier check named (as far as the acting role may see it: limits_explain_conflict; the full description goes to the server log), unless a limit_override for its task, subject and department exists, which is then marked used with the overridden check';

ALTER FUNCTION @extschema@.task_limit_profile(bigint) SECURITY DEFINER;

ALTER FUNCTION @extschema@.limit_conflicts_all(@extschema@.uscc, bigint, integer) SECURITY DEFINER;

ALTER FUNCTION @extschema@.limit_conflicts(@extschema@.uscc, bigint, integer) SECURITY DEFINER;

ALTER FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) SECURITY DEFINER;

ALTER FUNCTION @extschema@.eligible_population(bigint) SECURITY DEFINER;

ALTER FUNCTION @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) SECURITY DEFINER;

ALTER FUNCTION @extschema@.limits_check_inspection() SECURITY DEFINER;

REVOKE EXECUTE ON FUNCTION @extschema@.limit_lock(bigint, @extschema@.uscc, bigint, integer[]),
    @extschema@.limit_conflicts_all(@extschema@.uscc, bigint, integer) FROM PUBLIC;

-- an officer adds only its own departments' items to a task (another department's item makes a
-- joint task, which needs that department's consent: merge_tasks by a role acting for both)
DROP POLICY "officer: adds items to tasks it initiated" ON @extschema@.task_item;
DROP POLICY "officer: changes items of tasks it initiated" ON @extschema@.task_item;
CREATE POLICY "officer: adds own departments' items to tasks it initiated" ON @extschema@.task_item FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
                AND EXISTS (SELECT 1 FROM @extschema@.check_item ci WHERE ci.id = task_item.item_id
                               AND ci.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));

CREATE POLICY "officer: changes items of tasks it initiated" ON @extschema@.task_item FOR UPDATE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
                AND EXISTS (SELECT 1 FROM @extschema@.check_item ci WHERE ci.id = task_item.item_id
                               AND ci.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));

-- draws are kept also in replica mode: their guards are ENABLE ALWAYS (a cancel applied by
-- replication keeps its origin's stamps)
CREATE OR REPLACE FUNCTION @extschema@.draw_record_guard() RETURNS trigger
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
            RAISE EXCEPTION 'a draw is cancelled only with a reason'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = pg_catalog.format('Draw %s was not cancelled.', OLD.id),
                      HINT = 'Cancel it with supervise.cancel_draw(draw_id, reason); the reason is kept with the draw.';
        END IF;
        IF pg_catalog.current_setting('session_replication_role') OPERATOR(pg_catalog.<>) 'replica' THEN
            NEW.cancelled_at := pg_catalog.now();
            NEW.cancelled_by := @extschema@.acting_role();
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'draw records cannot be changed or deleted'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = pg_catalog.format('%s on draw %s was refused.', TG_OP, OLD.id),
              HINT = 'A draw is kept as it was made. Cancel it with supervise.cancel_draw(draw_id, reason).';
END
$$;

COMMENT ON FUNCTION @extschema@.draw_record_guard() IS
    'trigger (ENABLE ALWAYS): draw records are never changed or deleted; the only update allowed cancels a live draw with a non-blank reason (stamping the time and user, except when replication applies a cancel stamped at its origin)';

COMMENT ON FUNCTION @extschema@.draw_kept_guard() IS 'trigger (ENABLE ALWAYS): refuses UPDATE, DELETE and TRUNCATE on kept draw data';

ALTER TABLE @extschema@.draw_record ENABLE ALWAYS TRIGGER draw_record_guard;

ALTER TABLE @extschema@.draw_record ENABLE ALWAYS TRIGGER draw_record_no_truncate;

ALTER TABLE @extschema@.draw_target ENABLE ALWAYS TRIGGER draw_target_guard;

ALTER TABLE @extschema@.draw_target ENABLE ALWAYS TRIGGER draw_target_no_truncate;


-- merge_tasks by an officer: it reads and records merges of its own departments' tasks (a role
-- acting for every department of a joint task; before, only admins could record a merge). Roles
-- made officers before the update get task_merge when their access is recomputed.
CREATE OR REPLACE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
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
        -- joint tasks of its own departments' tasks (merge_tasks)
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.task_merge TO %s', r);
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

ALTER TABLE @extschema@.task_merge ENABLE ROW LEVEL SECURITY;

CREATE POLICY "officer: reads merges of visible joint tasks" ON @extschema@.task_merge FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_merge.joint_task_id));

CREATE POLICY "officer: merges own departments' tasks" ON @extschema@.task_merge FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_merge.source_task_id
                           AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
                AND EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_merge.joint_task_id
                               AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));

CREATE POLICY "admin: all merges" ON @extschema@.task_merge
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));




-- ---- one draw's files for the disclosure site (and its verification page, tools/verify_draw.html)
-- The list of targets appears here under the rules of public_targets (published, live, no state
-- secret, no surprise task before its end); otherwise the call is refused and says why. The
-- population goes further than the public views (it names every eligible subject and, in a draw by
-- credit class, its class), so the function runs with the caller's rights: an officer reads the
-- draw under row-level security, a public reader gets nothing (no right on draw_record).
CREATE FUNCTION @extschema@.draw_publication(draw_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
    SET extra_float_digits = 1
AS $$
DECLARE
    r       record;
    pop_csv text;
    tgt_csv text;
BEGIN
    SELECT d.id, d.task_id, d.algorithm, d.seed, d.drawn_at, d.population, d.population_size,
           d.population_digest, d.allocation, d.cancelled_at, d.cancel_reason,
           t.title, t.confidential, t.surprise, t.period_end, p.confidential AS plan_confidential,
           pub.published_on
      INTO r
      FROM supervise.draw_record d
      JOIN supervise.task t ON t.id = d.task_id
      LEFT JOIN supervise.plan p ON p.id = t.plan_id
      LEFT JOIN supervise.publication pub ON pub.kind = 'target_list' AND pub.object_id = t.id
     WHERE d.id = draw_publication.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'draw % does not exist', draw_id USING ERRCODE = 'undefined_object';
    END IF;
    IF r.confidential = 'state_secret' OR r.plan_confidential = 'state_secret' THEN
        RAISE EXCEPTION 'draw % is not published: its task or plan is a state secret', draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Task %s or its plan is marked state_secret (国家秘密); its target list is never published.', r.task_id);
    END IF;
    IF r.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION 'draw % is not published: it was cancelled', draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('The reason given was: %s', r.cancel_reason),
                  HINT = 'Publish the task''s live draw instead.';
    END IF;
    IF r.surprise AND r.period_end >= CURRENT_DATE THEN
        RAISE EXCEPTION 'draw % is not published: its task is a surprise check that has not ended', draw_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Task %s is a surprise check (突击检查) until %s.', r.task_id, r.period_end);
    END IF;
    IF r.published_on IS NULL OR r.published_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'draw % is not published: the target list of task % is not published', draw_id, r.task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN r.published_on IS NULL THEN 'No publication day is recorded for the list.'
                                ELSE pg_catalog.format('The list is published on %s.', r.published_on) END,
                  HINT = pg_catalog.format('Record the day it goes up with supervise.mark_published(''target_list'', %s, date).', r.task_id);
    END IF;
    -- the files as \copy ... CSV HEADER writes them (a stratum quoted when it holds a comma, quote
    -- or line break): codes in order within strata in byte order
    SELECT 'uscc,stratum,weight' || E'\n'
           || coalesce(pg_catalog.string_agg(
                  x.uscc::text || ',' || CASE WHEN x.stratum ~ '[",\r\n]' OR x.stratum = '' THEN '"' || pg_catalog.replace(x.stratum, '"', '""') || '"' ELSE x.stratum END || ',' || coalesce(x.weight::text, '') || E'\n',
                  '' ORDER BY x.n), '')
      INTO pop_csv
      FROM supervise.population_rows(r.population) WITH ORDINALITY AS x(uscc, stratum, weight, n);
    SELECT 'stratum,rank,uscc' || E'\n'
           || coalesce(pg_catalog.string_agg(
                  CASE WHEN dt.stratum ~ '[",\r\n]' OR dt.stratum = '' THEN '"' || pg_catalog.replace(dt.stratum, '"', '""') || '"' ELSE dt.stratum END || ',' || dt.rank || ',' || dt.uscc::text || E'\n',
                  '' ORDER BY dt.stratum COLLATE "C", dt.rank), '')
      INTO tgt_csv
      FROM supervise.draw_target dt WHERE dt.draw_id = draw_publication.draw_id;
    RETURN pg_catalog.jsonb_build_object(
        'draw_id', r.id,
        'task_id', r.task_id,
        'task_title', CASE WHEN r.confidential IS NULL THEN r.title END,
        'withheld', r.confidential,
        'drawn_on', (r.drawn_at AT TIME ZONE 'Asia/Shanghai')::date,
        'published_on', r.published_on,
        'algorithm', r.algorithm,
        'seed_hex', pg_catalog.encode(r.seed, 'hex'),
        'allocation', r.allocation,
        'population_size', r.population_size,
        'population_digest_hex', pg_catalog.encode(r.population_digest, 'hex'),
        'population_csv', pop_csv,
        'targets_csv', tgt_csv);
END
$$;
COMMENT ON FUNCTION @extschema@.draw_publication(bigint) IS
    'everything a disclosure site publishes for one draw, in one jsonb: algorithm, seed_hex, allocation, population_digest_hex, population_csv (as draw_population exported with CSV HEADER), targets_csv (stratum,rank,uscc), with task and days; tools/verify_draw.html re-runs the draw from it in a browser. Refused (55000) unless the list is public under the rules of public_targets; runs with the caller''s rights (not for public readers: the population is not in the public views)';



-- ---- draws at scale: population_agg and sample_agg with a bytea state and combine functions (parallel
-- workers and Citus workers compute parts), draw(task_id, seed, population regclass) over any relation;
-- draw(task_id, seed, algorithm) calls it
DROP AGGREGATE @extschema@.population_agg(@extschema@.uscc, text, double precision);
DROP FUNCTION @extschema@.population_agg_sfunc(internal, @extschema@.uscc, text, double precision);
DROP FUNCTION @extschema@.population_agg_final(internal);
DROP AGGREGATE @extschema@.sample_agg(text, double precision, integer, bytea);
DROP FUNCTION @extschema@.sample_agg_sfunc(internal, text, double precision, integer, bytea);
DROP FUNCTION @extschema@.sample_agg_combine(internal, internal);
DROP FUNCTION @extschema@.sample_agg_serial(internal);
DROP FUNCTION @extschema@.sample_agg_deserial(bytea, internal);
DROP FUNCTION @extschema@.sample_agg_final(internal);

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

CREATE FUNCTION @extschema@.excluded_codes(query text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'excluded_codes' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.excluded_codes(text) IS
    'internal: the codes a query returns (one uscc column; NULLs skipped), packed (12 bytes each), sorted and without repeats: the excluded argument of population_agg. Runs the query as the caller, in a new snapshot';
REVOKE EXECUTE ON FUNCTION @extschema@.excluded_codes(text) FROM PUBLIC;

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

-- The population of a draw over a relation (draw(task_id, seed, population)): the relation's rows
-- (uscc, credit_class, weight) read by population_agg, which Citus runs on its workers and
-- PostgreSQL in parallel workers, less the codes the limits exclude (the rule of eligibility_parts)
-- and the codes of subjects known here as not active, which reach the workers as an argument.
CREATE FUNCTION @extschema@.relation_population(task_id bigint, population regclass, stratified boolean, weighted boolean)
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
BEGIN
    IF EXISTS (SELECT 1 FROM supervise.task t WHERE t.id = relation_population.task_id AND t.directory_id IS NOT NULL) THEN
        RAISE EXCEPTION 'task % draws from its directory, not from a relation', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A draw over a relation takes the relation as the task''s population: use a task without a directory, or draw(task_id, seed) to draw from the directory.';
    END IF;
    SELECT n.nspname, c.relname, c.relrowsecurity, c.relkind,
           coalesce(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false) AS invoker
      INTO rel
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = population;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', population::oid USING ERRCODE = 'undefined_table';
    END IF;
    -- the columns: uscc, and credit_class and weight when the draw uses them
    FOR col IN SELECT x.name, x.type FROM (VALUES ('uscc', '@extschema@.uscc'::regtype, true),
                                                 ('credit_class', 'text'::regtype, stratified),
                                                 ('weight', 'double precision'::regtype, weighted)) x(name, type, needed)
                WHERE x.needed
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = population AND a.attname = col.name AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'relation % has no column "%"', population, col.name
                USING ERRCODE = 'undefined_column',
                      HINT = 'A draw population relation has the columns uscc supervise.uscc and credit_class text (weight double precision for a weighted draw); a view can rename them.';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = population AND a.attname = col.name AND a.atttypid = col.type) THEN
            RAISE EXCEPTION 'column "%" of relation % is not of type %', col.name, population, col.type
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'A view can cast it.';
        END IF;
        -- draw() runs as the extension owner: the relation is read only if the caller may read it
        IF NOT pg_catalog.has_column_privilege(who, population, col.name, 'SELECT') THEN
            RAISE EXCEPTION 'permission denied for relation %', population
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = pg_catalog.format('Role %s may not read its column %s.', who, col.name);
        END IF;
    END LOOP;
    -- (read as the owner, a security_invoker view would check its tables' privileges for the owner,
    -- and a foreign table would use the owner's user mapping: not what the caller would get)
    IF (rel.invoker OR rel.relkind = 'f') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = who AND r.rolsuper) THEN
        RAISE EXCEPTION 'relation % is %', population, CASE WHEN rel.invoker THEN 'a security_invoker view' ELSE 'a foreign table' END
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A draw reads its population as the extension owner, which would not read it as the caller does.',
                  HINT = 'Draw from a table, or a view without security_invoker.';
    END IF;
    IF rel.relrowsecurity AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                           WHERE r.rolname = who AND (r.rolsuper OR r.rolbypassrls)) THEN
        RAISE EXCEPTION 'relation % has row-level security', population
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A draw reads its population as the extension owner, which would not apply the policies the caller is under.',
                  HINT = 'Draw from a relation without row-level security (for example a table of the rows the caller may draw).';
    END IF;

    -- the codes left out: those the limits exclude, and subjects known here as not active
    SELECT * INTO parts FROM @extschema@.eligibility_parts(relation_population.task_id);
    excl := @extschema@.excluded_codes(
        $q$SELECT s.uscc FROM @extschema@.subject s WHERE s.status OPERATOR(pg_catalog.<>) 'active'$q$
        || coalesce(E'\nUNION ALL\n' || parts.excluded, ''));
    EXECUTE pg_catalog.format('SELECT @extschema@.population_agg(p.uscc, %s, %s, $1) FROM %I.%I p',
                              CASE WHEN stratified THEN 'p.credit_class' ELSE $q$'all'::text$q$ END,
                              CASE WHEN weighted THEN 'p.weight' ELSE 'NULL::double precision' END,
                              rel.nspname, rel.relname)
       INTO pop USING excl;
    RETURN coalesce(pop, @extschema@.population_agg_final(NULL));
END
$$;
COMMENT ON FUNCTION @extschema@.relation_population(bigint, regclass, boolean, boolean) IS
    'internal: the compact population of a draw over a relation: its rows (uscc, credit_class or "all", weight or none) by population_agg, less the codes the limits exclude for the task (eligibility_parts) and those of subjects that are not active, after checking the columns and that the acting role may read them. Refuses a task with a directory, and (unless the acting role is a superuser) a relation under row-level security, a security_invoker view and a foreign table';
REVOKE EXECUTE ON FUNCTION @extschema@.relation_population(bigint, regclass, boolean, boolean) FROM PUBLIC;

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
        RAISE EXCEPTION 'task_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797') THEN
        RAISE EXCEPTION 'unknown draw algorithm: "%"', @extschema@.message_value(algorithm)
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
    -- new snapshot in READ COMMITTED) the eligibility queries, read in C
    PERFORM @extschema@.limit_lock(draw.task_id);
    IF population IS NULL THEN
        SELECT * INTO parts FROM @extschema@.eligibility_parts(draw.task_id);
        pop := @extschema@.population_collect(parts.candidates, has_strata, weighted, parts.excluded);
    ELSE
        pop := @extschema@.relation_population(draw.task_id, population, has_strata, weighted);
    END IF;

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
    -- the targets, in bulk (with the foreign key and limits checks once for all of them)
    PERFORM @extschema@.draw_targets_insert(new_id, coalesce(sel.uscc, '{}'), coalesce(sel.stratum, '{}'), coalesce(sel.rank, '{}'));

    -- (the trigger draw_record_publication adds the target list to the publication schedule)
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.draw(bigint, bytea, regclass, text) IS
    'draws the targets of an approved task as draw(task_id, seed) does, from the rows of a relation (uscc supervise.uscc, credit_class text, weight double precision for sha256-v1-weighted) instead of the task''s directory, less the codes the limits exclude and subjects not active; the same record, verify_draw, publication and matching. The relation may be a Citus distributed table: population_agg then runs on its workers (doc/scale.md). The acting role must be able to read the columns. NULL population: the task''s directory, as draw(task_id, seed)';

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea DEFAULT NULL, algorithm text DEFAULT 'sha256-v1')
    RETURNS bigint
    LANGUAGE sql VOLATILE
    SET search_path = @extschema@, pg_temp
    RETURN @extschema@.draw(task_id, seed, NULL::regclass, algorithm);
ALTER FUNCTION @extschema@.draw(bigint, bytea, text) SECURITY DEFINER;


-- ---- dump and restore: rows come back as dumped, also under pg_restore -j ----
-- Restored rows fire no foreign-key checks and no ENABLE ORIGIN triggers (restore_copy, below);
-- the triggers that must act on them are ENABLE ALWAYS. Every publication item and audit entry is
-- dumped with its id and sequence, so the restore-time renumbering triggers go.
-- (ENABLE ALWAYS: it also acts on a restore's rows, which run as replica; see 98_restore.sql)
ALTER TABLE @extschema@.result_code ENABLE ALWAYS TRIGGER result_code_guard;
ALTER TABLE @extschema@.calendar_year ENABLE ALWAYS TRIGGER calendar_year_guard;
ALTER TABLE @extschema@.calendar_day ENABLE ALWAYS TRIGGER calendar_day_guard;
ALTER TABLE @extschema@.calendar_year ENABLE ALWAYS TRIGGER calendar_year_invalidate;
ALTER TABLE @extschema@.calendar_day ENABLE ALWAYS TRIGGER calendar_day_invalidate;
ALTER TABLE @extschema@.publication_rule ENABLE ALWAYS TRIGGER publication_rule_guard;
ALTER TABLE @extschema@.task_filing_rule ENABLE ALWAYS TRIGGER task_filing_rule_guard;

DROP TRIGGER publication_restore_guard ON @extschema@.publication;
DROP FUNCTION @extschema@.publication_restore_guard();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication_id_seq', '');

DROP TRIGGER audit_log_id_guard ON @extschema@.audit_log;
DROP FUNCTION @extschema@.audit_log_id_guard();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit_log_id_seq', '');

CREATE FUNCTION @extschema@.restore_copy() RETURNS trigger
    AS 'MODULE_PATHNAME', 'supervise_restore_copy'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_copy() IS
    'statement trigger before INSERT on every dumped table: a restore''s COPY FROM stdin (a superuser''s, row_security off) runs with session_replication_role = replica, so restored rows come back as dumped, without foreign-key checks and ENABLE ORIGIN triggers';
CREATE FUNCTION @extschema@.restore_copy_end() RETURNS trigger
    AS 'MODULE_PATHNAME', 'supervise_restore_copy_end'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_copy_end() IS
    'statement trigger after INSERT on every dumped table: sets session_replication_role back after a restore''s COPY';
CREATE FUNCTION @extschema@.restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'supervise_restoring'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.restoring() IS
    'internal: true while the current statement is a restore''s COPY into one of the extension''s tables (see restore_copy); for ENABLE ALWAYS triggers that must let restored rows through';

DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass
               FROM pg_catalog.pg_extension e, unnest(e.extconfig) AS cfg(oid)
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) cfg.oid
              WHERE e.extname OPERATOR(pg_catalog.=) 'supervise' AND c.relkind OPERATOR(pg_catalog.=) 'r'
              ORDER BY c.relname
    LOOP
        EXECUTE format('CREATE TRIGGER restore_copy BEFORE INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy()', t);
        EXECUTE format('CREATE TRIGGER restore_copy_end AFTER INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end()', t);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end', t);
    END LOOP;
END
$$;

-- ---- comments cite doc/, not files outside the repository ----
COMMENT ON FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) IS
    'limits (doc/limits.md): NULL when the subject may be drawn for the task, else the first reason by precedence: inactive (status not active), same_category_this_year (a recorded check or live draw of another non-clue task with a non-exempt item of one of this task''s non-exempt categories, in the task''s year, by any department), superior_checked_this_year (a department superior to one of this task''s non-exempt item departments checked or drew it this year for any non-exempt item). Clue tasks and tasks whose items are all exempt are only ever excluded as inactive. Refused (42501) unless the acting role may see the task (may_see_task)';

-- ---- a restore is recognised by the restore triggers, not by row_security = off ----
CREATE OR REPLACE FUNCTION @extschema@.task_frozen_by_draw() RETURNS trigger
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
          FROM (VALUES (1, 'its kind', OLD.kind IS DISTINCT FROM NEW.kind),
                       (2, 'its department_id', OLD.department_id IS DISTINCT FROM NEW.department_id),
                       (3, 'its plan_id', OLD.plan_id IS DISTINCT FROM NEW.plan_id),
                       (4, 'its directory_id', OLD.directory_id IS DISTINCT FROM NEW.directory_id),
                       (5, 'its sample_ratio', OLD.sample_ratio IS DISTINCT FROM NEW.sample_ratio),
                       (6, 'its sample_size', OLD.sample_size IS DISTINCT FROM NEW.sample_size),
                       (7, 'the year of its period',
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
        changed := CASE TG_TABLE_NAME WHEN 'task_item' THEN 'its items' ELSE 'its credit strata' END;
        ids := CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.task_id]
                          WHEN 'DELETE' THEN ARRAY[OLD.task_id]
                          ELSE ARRAY[OLD.task_id, NEW.task_id] END;
        PERFORM 1 FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.id FOR SHARE;
    END IF;
    SELECT d.id, d.task_id INTO live FROM @extschema@.draw_record d
     WHERE d.task_id = ANY (ids) AND d.cancelled_at IS NULL
     ORDER BY d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'task % has a live draw (draw %): % cannot be changed', live.task_id, live.id, changed
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'What a draw was made from (the task''s items, credit strata, kind, sampling, directory, department, plan and year) is frozen while the draw is live, so that the task and its recorded draw agree.',
                  HINT = format('Cancel the draw with a reason first: SELECT supervise.cancel_draw(%s, ''...''); then change the task and draw it again.', live.id);
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION @extschema@.task_frozen_by_draw() IS
    'trigger on task, task_item and task_stratum: while a task has a live draw, its items, credit strata, kind, department, plan, directory, sample_ratio, sample_size and the year of its period cannot change (55000; cancel the draw first)';

-- ---- enforcement certificates (执法证) in matching, inspectors of subordinate departments
-- (本级或下级执法人员), and the standing list of joint-check scenarios (检查场景清单) ----
ALTER TABLE @extschema@.department ADD COLUMN allow_uncertified_second boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.department.allow_uncertified_second IS
    'matching may send the department''s staff without an enforcement certificate (inspector.badge_no NULL, 从事日常监管工作的人员) beside a certified inspector, never alone: every target keeps one certified inspector of the department';
ALTER TABLE @extschema@.inspector ALTER COLUMN badge_no DROP NOT NULL;
ALTER TABLE @extschema@.inspector ADD COLUMN qualified_until date;
ALTER TABLE @extschema@.inspector ADD CONSTRAINT "only a certified inspector has a qualified_until"
    CHECK (badge_no IS NOT NULL OR qualified_until IS NULL);
COMMENT ON COLUMN @extschema@.inspector.badge_no IS
    'the enforcement certificate number (执法证号); NULL for staff without a certificate (从事日常监管工作的人员), whom matching sends only beside a certified inspector, and only where the department allows it (department.allow_uncertified_second)';
COMMENT ON COLUMN @extschema@.inspector.qualified_until IS
    'last day the enforcement certificate (执法证) is valid; NULL = no end. Matching never picks an inspector whose certificate has lapsed on the task''s first day (period_start), and assign_inspector refuses one';
ALTER TABLE @extschema@.task ADD COLUMN inspector_scope text NOT NULL DEFAULT 'own';
ALTER TABLE @extschema@.task ADD CONSTRAINT "task inspector_scope is own or subordinate"
    CHECK (inspector_scope IN ('own', 'subordinate'));
COMMENT ON COLUMN @extschema@.task.inspector_scope IS
    'whose inspectors matching picks for each department of the task''s items: own = that department''s; subordinate = that department''s and its subordinate departments'' (本级或下级执法人员, is_superior)';

DROP FUNCTION @extschema@.match_compute(bytea, @extschema@.uscc[], bigint[], @extschema@.uscc[], bigint[], @extschema@.uscc[], bigint[], integer, text);
CREATE FUNCTION @extschema@.match_compute(seed bytea, targets @extschema@.uscc[], inspector_ids bigint[],
        certified boolean[], qualified_until date[], first_day date, allow_uncertified_second boolean,
        conflict_targets @extschema@.uscc[], conflict_inspectors bigint[],
        assigned_targets @extschema@.uscc[], assigned_inspectors bigint[],
        per_target integer, department text)
    RETURNS TABLE (uscc @extschema@.uscc, inspector_id bigint)
    AS 'MODULE_PATHNAME', 'match_compute_certified' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.match_compute(bytea, @extschema@.uscc[], bigint[], boolean[], date[], date, boolean, @extschema@.uscc[], bigint[], @extschema@.uscc[], bigint[], integer, text) IS
    'one department''s matching (see doc/draw-algorithm.md): each inspector''s role from match_role(certified, qualified_until (NULL = no end), first_day, allow_uncertified_second); targets in the order of SHA-256(B'' || code), each gets per_target inspectors minus those already assigned, least-loaded first, ties by SHA-256(B'' || id || load), never a conflicting pair, never a lapsed certificate, and at least one certified inspector each; department names the department in errors. match_inspectors() calls it';

CREATE FUNCTION @extschema@.match_role(certified boolean, qualified_until date, first_day date,
        allow_uncertified_second boolean)
    RETURNS text
    AS 'MODULE_PATHNAME', 'match_role_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.match_role(boolean, date, date, boolean) IS
    'what matching may make of an inspector on a task starting on first_day (the rule of src/core/match.c that match_compute applies): any (a certificate valid that day; qualified_until NULL = no end), second (no certificate, and the department allows such staff beside a certified inspector), none (a certificate lapsed before first_day, or no certificate where the department does not allow it); NULL when certified, first_day or allow_uncertified_second is NULL';

CREATE OR REPLACE FUNCTION @extschema@.match_inspectors(draw_id bigint) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d       record;
    dep     record;
    n       integer := 0;
    pool    bigint[];
    ids     bigint[];
    certified boolean[];
    until   date[];
    codes   @extschema@.uscc[];
    inspectors bigint[];
BEGIN
    SELECT r.id, r.seed, r.cancelled_at, t.id AS task_id, t.inspectors_per_target, t.period_start, t.inspector_scope INTO d
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

    -- lowest level first: with scope subordinate a department's own items take its own
    -- inspectors before a superior department of the task draws on them
    FOR dep IN
        SELECT DISTINCT dp.id, dp.code, dp.name, dp.level, dp.allow_uncertified_second
          FROM supervise.task_item ti
          JOIN supervise.check_item ci ON ci.id = ti.item_id
          JOIN supervise.department dp ON dp.id = ci.department_id
         WHERE ti.task_id = d.task_id
         ORDER BY dp.level DESC, dp.id
    LOOP
        -- whose inspectors: the department's, and with scope subordinate its subordinates' (本级或下级)
        pool := ARRAY(SELECT x.id FROM supervise.department x
                       WHERE x.id = dep.id
                          OR (d.inspector_scope = 'subordinate' AND supervise.is_superior(dep.id, x.id))
                       ORDER BY x.id);
        -- every active one of them; the core decides by the certificate who may be matched
        SELECT coalesce(pg_catalog.array_agg(i.id ORDER BY i.id), '{}'),
               coalesce(pg_catalog.array_agg(i.badge_no IS NOT NULL ORDER BY i.id), '{}'),
               coalesce(pg_catalog.array_agg(i.qualified_until ORDER BY i.id), '{}')
          INTO ids, certified, until
          FROM supervise.inspector i WHERE i.department_id = ANY (pool) AND i.active;
        -- the matches, in bulk (with the foreign keys' checks and the audit entry once for all).
        -- Not to be matched to a target: an inspector with a conflict, and (scope subordinate)
        -- one already on it for another department of the task.
        SELECT coalesce(pg_catalog.array_agg(m.uscc), '{}'), coalesce(pg_catalog.array_agg(m.inspector_id), '{}')
          INTO codes, inspectors
          FROM (SELECT coalesce(pg_catalog.array_agg(x.uscc), '{}') AS uscc, coalesce(pg_catalog.array_agg(x.inspector_id), '{}') AS inspector_id
                  FROM (SELECT c.uscc, c.inspector_id
                          FROM supervise.inspector_conflict c
                          JOIN supervise.draw_target t ON t.draw_id = match_inspectors.draw_id AND t.uscc = c.uscc
                         WHERE c.inspector_id = ANY (ids)
                        UNION ALL
                        SELECT a.uscc, a.inspector_id FROM supervise.assignment a
                         WHERE d.inspector_scope = 'subordinate' AND a.draw_id = match_inspectors.draw_id
                           AND a.department_id <> dep.id AND a.inspector_id = ANY (ids)) x) excl,
               supervise.match_compute(
                 d.seed,
                 (SELECT coalesce(pg_catalog.array_agg(t.uscc), '{}') FROM supervise.draw_target t
                   WHERE t.draw_id = match_inspectors.draw_id),
                 ids, certified, until, d.period_start, dep.allow_uncertified_second,
                 excl.uscc, excl.inspector_id,
                 (SELECT coalesce(pg_catalog.array_agg(a.uscc), '{}') FROM supervise.assignment a
                   WHERE a.draw_id = match_inspectors.draw_id AND a.department_id = dep.id),
                 (SELECT coalesce(pg_catalog.array_agg(a.inspector_id), '{}') FROM supervise.assignment a
                   WHERE a.draw_id = match_inspectors.draw_id AND a.department_id = dep.id),
                 d.inspectors_per_target,
                 pg_catalog.format('%s (%s)', dep.code, dep.name)) m;
        n := n + @extschema@.assignments_insert(match_inspectors.draw_id, dep.id, codes, inspectors);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.match_inspectors(bigint) IS
    'matches inspectors to the targets of a live draw: per department of the task''s items, inspectors_per_target active inspectors of that department (task.inspector_scope subordinate: of it and its subordinate departments) per target, never one with a conflict (inspector_conflict), never one whose enforcement certificate has lapsed on the task''s first day, staff without a certificate only beside a certified inspector where the department allows it (match_role), least-loaded first with ties broken reproducibly by the draw''s seed; hand-made assignments made before count. Returns the number of assignments made. Done once per draw: a second call is refused';

CREATE OR REPLACE FUNCTION @extschema@.assign_inspector(draw_id bigint, uscc @extschema@.uscc, inspector_id bigint, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d   record;
    i   record;
    dep record;
    role text;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a direct assignment needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the inspector is assigned by hand (特殊情况); the reason is kept.';
    END IF;
    -- FOR UPDATE, as match_inspectors: a match in progress finishes first, and its rows are seen below
    SELECT r.id, r.task_id, r.cancelled_at, t.period_start, t.inspector_scope, t.inspectors_per_target INTO d
      FROM supervise.draw_record r JOIN supervise.task t ON t.id = r.task_id
     WHERE r.id = assign_inspector.draw_id FOR UPDATE OF r;
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
    SELECT x.id, x.department_id, x.active, x.badge_no IS NOT NULL AS certified, x.qualified_until INTO i
      FROM supervise.inspector x WHERE x.id = assign_inspector.inspector_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inspector % does not exist', inspector_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT i.active THEN
        RAISE EXCEPTION 'inspector % is not active', inspector_id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- the department the inspector goes for: its own when it has items in the task, else (scope
    -- subordinate) the nearest superior department that has
    SELECT dp.id, dp.allow_uncertified_second INTO dep
      FROM supervise.department dp
     WHERE EXISTS (SELECT 1 FROM supervise.task_item ti JOIN supervise.check_item ci ON ci.id = ti.item_id
                    WHERE ti.task_id = d.task_id AND ci.department_id = dp.id)
       AND (dp.id = i.department_id
            OR (d.inspector_scope = 'subordinate' AND supervise.is_superior(dp.id, i.department_id)))
     ORDER BY dp.id = i.department_id DESC, dp.level DESC, dp.id
     LIMIT 1;
    IF NOT FOUND AND d.inspector_scope = 'own' THEN
        RAISE EXCEPTION 'inspector % belongs to department %, which has no items in task %', inspector_id, i.department_id, d.task_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Inspectors of subordinate departments are sent only to a task with inspector_scope = ''subordinate''.';
    ELSIF NOT FOUND THEN
        RAISE EXCEPTION 'inspector % belongs to department %, which has no items in task % and is subordinate to no department that has', inspector_id, i.department_id, d.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    role := @extschema@.match_role(i.certified, i.qualified_until, d.period_start, dep.allow_uncertified_second);
    IF role = 'none' AND i.certified THEN
        RAISE EXCEPTION 'the enforcement certificate of inspector % lapsed on %, before task % starts on %', inspector_id,
                (i.qualified_until + 1)::text, d.task_id, d.period_start::text
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Record the renewed certificate in inspector.qualified_until, or assign another inspector.';
    ELSIF role = 'none' THEN
        RAISE EXCEPTION 'inspector % has no enforcement certificate, and department % does not send staff without one', inspector_id, dep.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Staff without a certificate go only beside a certified inspector, where the department allows it (department.allow_uncertified_second).';
    ELSIF role = 'second'
          AND NOT EXISTS (SELECT 1 FROM supervise.assignment a JOIN supervise.inspector x ON x.id = a.inspector_id
                           WHERE a.draw_id = assign_inspector.draw_id AND a.uscc = assign_inspector.uscc AND a.department_id = dep.id
                             AND @extschema@.match_role(x.badge_no IS NOT NULL, x.qualified_until, d.period_start, dep.allow_uncertified_second) = 'any')
          AND (SELECT count(*) FROM supervise.assignment a
                WHERE a.draw_id = assign_inspector.draw_id AND a.uscc = assign_inspector.uscc AND a.department_id = dep.id) + 1
              >= d.inspectors_per_target THEN
        RAISE EXCEPTION 'inspector % has no enforcement certificate and would take the last place of % without a certified inspector', inspector_id, uscc
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Assign a certified inspector of the department to the target first.';
    END IF;
    IF EXISTS (SELECT 1 FROM supervise.inspector_conflict c WHERE c.inspector_id = assign_inspector.inspector_id AND c.uscc = assign_inspector.uscc) THEN
        RAISE EXCEPTION 'inspector % has a conflict of interest with %', inspector_id, uscc
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'An inspector with a conflict (回避) is never assigned, not even by hand.';
    END IF;
    IF EXISTS (SELECT 1 FROM supervise.assignment a WHERE a.draw_id = assign_inspector.draw_id
                  AND a.uscc = assign_inspector.uscc AND a.inspector_id = assign_inspector.inspector_id) THEN
        RAISE EXCEPTION 'inspector % is already assigned to % in draw %', inspector_id, uscc, draw_id
            USING ERRCODE = 'unique_violation',
                  DETAIL = (SELECT CASE WHEN a.direct THEN pg_catalog.format('Assigned by hand by %s at %s: %s', a.assigned_by, a.assigned_at, @extschema@.message_value(a.reason))
                                        ELSE pg_catalog.format('Matched by match_inspectors (%s at %s).', a.assigned_by, a.assigned_at) END
                              FROM supervise.assignment a WHERE a.draw_id = assign_inspector.draw_id
                               AND a.uscc = assign_inspector.uscc AND a.inspector_id = assign_inspector.inspector_id);
    END IF;
    INSERT INTO supervise.assignment (draw_id, uscc, inspector_id, department_id, direct, reason)
    VALUES (assign_inspector.draw_id, assign_inspector.uscc, assign_inspector.inspector_id, dep.id, true, reason);
END
$$;
COMMENT ON FUNCTION @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) IS
    'assigns an inspector to a target by hand in a special case (直接指定), with the reason kept (direct = true), for the inspector''s department or (task.inspector_scope subordinate) its nearest superior department with items in the task; never an inspector with a conflict, never one whose enforcement certificate has lapsed on the task''s first day, staff without a certificate only where the department allows it and not in a target''s last place without a certified inspector (match_role); made before match_inspectors, it counts toward inspectors_per_target';

CREATE TABLE @extschema@.joint_scenario (
    id                  bigserial PRIMARY KEY,
    name                text NOT NULL,
    lead_department_id  bigint NOT NULL REFERENCES @extschema@.department,
    description         text,
    CONSTRAINT "joint scenario name is not blank" CHECK (btrim(name) <> ''),
    CONSTRAINT "joint scenario name is unique within its lead department" UNIQUE (lead_department_id, name)
);
COMMENT ON TABLE @extschema@.joint_scenario IS
    'the standing list of joint-check scenarios (综合查一次检查场景清单): a kind of subject or matter several departments supervise, with its lead department (牵头单位); the items checked together are in joint_scenario_item, their departments other than the lead are the partners (协同单位). scenario_task makes a joint task from a scenario. Kept by admins; officers read the scenarios their departments lead or have items in';
COMMENT ON COLUMN @extschema@.joint_scenario.lead_department_id IS
    'the lead department (牵头单位): initiates the scenario''s joint tasks (scenario_task)';

CREATE TABLE @extschema@.joint_scenario_item (
    scenario_id     bigint NOT NULL REFERENCES @extschema@.joint_scenario ON DELETE CASCADE,
    item_id         bigint NOT NULL REFERENCES @extschema@.check_item,
    PRIMARY KEY (scenario_id, item_id)
);
CREATE INDEX joint_scenario_item_item_idx ON @extschema@.joint_scenario_item (item_id);
COMMENT ON TABLE @extschema@.joint_scenario_item IS
    'the check items of a joint-check scenario (检查事项), of the lead and of every partner department; a scenario''s joint task gets them all';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.joint_scenario', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.joint_scenario_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.joint_scenario_item', '');

-- ---- who sees a scenario ----

-- Scenarios led by one of the departments or with an item of one. SECURITY DEFINER: the two
-- tables' policies read each other, which under RLS would recurse (as participating_task_ids).
-- Answers only for departments the acting role works for (all for admins).
CREATE FUNCTION @extschema@.scenario_ids_of(department_ids bigint[]) RETURNS bigint[]
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT s.id FROM @extschema@.joint_scenario s
                  WHERE (s.lead_department_id OPERATOR(pg_catalog.=) ANY (department_ids)
                         AND (s.lead_department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())
                              OR @extschema@.acting_with_all_rights()))
                     OR EXISTS (SELECT 1 FROM @extschema@.joint_scenario_item si
                                  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) si.item_id
                                 WHERE si.scenario_id OPERATOR(pg_catalog.=) s.id
                                   AND ci.department_id OPERATOR(pg_catalog.=) ANY (department_ids)
                                   AND (ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())
                                        OR @extschema@.acting_with_all_rights()))
                  ORDER BY s.id)
$$;
COMMENT ON FUNCTION @extschema@.scenario_ids_of(bigint[]) IS
    'internal (row-level security): ids of the joint-check scenarios led by one of the departments or with an item of one, of those the acting role works for (every department for admins); not executable by PUBLIC';

ALTER TABLE @extschema@.joint_scenario ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads scenarios its departments lead or take part in" ON @extschema@.joint_scenario FOR SELECT
    USING (id = ANY ((SELECT @extschema@.scenario_ids_of(@extschema@.my_department_ids()))::bigint[]));
CREATE POLICY "admin: all joint scenarios" ON @extschema@.joint_scenario
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.joint_scenario_item ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads items of scenarios its departments lead or take part in" ON @extschema@.joint_scenario_item FOR SELECT
    USING (scenario_id = ANY ((SELECT @extschema@.scenario_ids_of(@extschema@.my_department_ids()))::bigint[]));
CREATE POLICY "admin: all joint scenario items" ON @extschema@.joint_scenario_item
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.joint_scenario
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.joint_scenario_item
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();

-- ---- the joint task of a scenario ----

CREATE FUNCTION @extschema@.scenario_task(scenario_id bigint, title text, period_start date, period_end date,
        plan_id bigint DEFAULT NULL, kind text DEFAULT NULL, sample_ratio numeric DEFAULT NULL,
        sample_size integer DEFAULT NULL, directory_id bigint DEFAULT NULL,
        inspectors_per_target integer DEFAULT 2, inspector_scope text DEFAULT 'own')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    s       record;
    bad     record;
    p       record;
    new_id  bigint;
BEGIN
    IF scenario_id IS NULL OR title IS NULL OR period_start IS NULL OR period_end IS NULL THEN
        RAISE EXCEPTION '% must not be NULL',
                CASE WHEN scenario_id IS NULL THEN 'scenario_id' WHEN title IS NULL THEN 'title'
                     WHEN period_start IS NULL THEN 'period_start' ELSE 'period_end' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- FOR SHARE: the scenario is not changed or removed while its task is made
    SELECT x.id, x.name, x.lead_department_id, dp.name AS lead_name INTO s
      FROM supervise.joint_scenario x JOIN supervise.department dp ON dp.id = x.lead_department_id
     WHERE x.id = scenario_task.scenario_id FOR SHARE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'joint scenario % does not exist', scenario_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT (@extschema@.acting_with_all_rights() OR s.lead_department_id = ANY (@extschema@.acting_department_ids())) THEN
        RAISE EXCEPTION 'permission denied to make a task of joint scenario %', scenario_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The scenario "%s" is led by department %s (%s).', s.name, s.lead_department_id, s.lead_name),
                  HINT = 'A scenario''s joint task is initiated by its lead department (牵头单位): an officer of that department (supervise.grant_department_officer) or an admin.';
    END IF;

    SELECT ci.id, ci.code, ci.department_id INTO bad
      FROM supervise.joint_scenario_item si JOIN supervise.check_item ci ON ci.id = si.item_id
     WHERE si.scenario_id = s.id AND NOT ci.active ORDER BY ci.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'item % (%) of joint scenario % is not active', bad.id, bad.code, s.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Remove it from the scenario (joint_scenario_item), or make it active again.';
    END IF;
    SELECT count(*) AS items, count(DISTINCT ci.department_id) AS departments,
           pg_catalog.string_agg(DISTINCT ci.department_id::text, ', ') AS department_ids INTO bad
      FROM supervise.joint_scenario_item si JOIN supervise.check_item ci ON ci.id = si.item_id
     WHERE si.scenario_id = s.id;
    IF bad.items = 0 THEN
        RAISE EXCEPTION 'joint scenario % has no items', s.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A joint-check scenario lists the items of its lead and partner departments (协同单位) in joint_scenario_item.';
    ELSIF bad.departments < 2 THEN
        RAISE EXCEPTION 'joint scenario % has items of only one department', s.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its %s items are of department %s.', bad.items, bad.department_ids),
                  HINT = 'A joint-check scenario lists the items of its lead and partner departments (协同单位) in joint_scenario_item.';
    END IF;

    IF plan_id IS NOT NULL THEN
        SELECT x.id, x.department_id INTO p FROM supervise.plan x WHERE x.id = scenario_task.plan_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'plan % does not exist', plan_id USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF p.department_id <> s.lead_department_id THEN
            RAISE EXCEPTION 'plan % is department %''s, not the lead department %''s', plan_id, p.department_id, s.lead_department_id
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A scenario''s joint task goes into a plan of its lead department.';
        END IF;
    END IF;

    -- the task's own constraints and triggers check the rest (period, kind, sampling, scope)
    INSERT INTO supervise.task (plan_id, department_id, kind, title, period_start, period_end, sample_ratio,
                                sample_size, directory_id, inspectors_per_target, inspector_scope)
    VALUES (scenario_task.plan_id, s.lead_department_id,
            coalesce(scenario_task.kind, CASE WHEN scenario_task.plan_id IS NULL THEN 'special' ELSE 'planned' END),
            scenario_task.title, scenario_task.period_start, scenario_task.period_end, scenario_task.sample_ratio,
            scenario_task.sample_size, scenario_task.directory_id, scenario_task.inspectors_per_target,
            scenario_task.inspector_scope)
    RETURNING id INTO new_id;
    INSERT INTO supervise.task_item (task_id, item_id)
    SELECT new_id, si.item_id FROM supervise.joint_scenario_item si
     WHERE si.scenario_id = s.id ORDER BY si.item_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) IS
    'makes the joint task (联合抽查任务) of a joint-check scenario and returns its id: initiated by the scenario''s lead department (牵头单位), with every item of the scenario (the lead''s and the partners''), the given period, plan (the lead''s), kind (default planned with a plan, else special), sampling, directory, inspectors_per_target and inspector_scope; approve it (task.approved_on), then draw it as any task. Only an officer of the lead department or an admin may call it (42501). Refuses NULLs (22004), an unknown scenario (42704), a scenario with an inactive item, without items or with the items of one department only (55000), another department''s plan (22023); the task''s constraints check the period, kind, sampling and scope';
-- (it runs as the owner and writes other departments' items: only officers and admins run it)
REVOKE EXECUTE ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.scenario_ids_of(bigint[]) FROM PUBLIC;

CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.joint_scenario FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.joint_scenario FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.joint_scenario ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;
CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.joint_scenario_item FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.joint_scenario_item FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.joint_scenario_item ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;

-- officers read the scenarios of their departments and make the joint task of one they lead
-- (roles made officers before the update get it when their access is recomputed: a grant made
-- by this script would count as the extension's own, and pg_dump would leave it out)
CREATE OR REPLACE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
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
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.participating_task_ids(bigint[]),
                        @extschema@.scenario_ids_of(bigint[]) TO %s', r);
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
        -- joint tasks of its own departments' tasks (merge_tasks)
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.task_merge TO %s', r);
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
        -- the joint-check scenarios its departments lead or take part in (row-level security), and
        -- the joint task of one it leads (scenario_task runs as the owner and checks the lead)
        EXECUTE format('GRANT SELECT ON @extschema@.joint_scenario, @extschema@.joint_scenario_item TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) TO %s', r);
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
                        @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text),
                        @extschema@.grant_public_reader(regrole), @extschema@.revoke_public_reader(regrole),
                        @extschema@.grant_department_officer(regrole, bigint[]),
                        @extschema@.revoke_department_officer(regrole, bigint[]),
                        @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole) TO %s', r);
    END IF;
END
$$;

-- ---- after the check: results per item, inspections bound to the draw, result notices and
-- published disposals (src/sql/97_results.sql) ----
-- The result of each item checked (the 综合检查单 lists content, item, result and measure): one row
-- per inspection and item of its task held by the inspecting department; written with
-- record_item_result (src/sql/97_results.sql, which also keeps the item rule).
CREATE TABLE @extschema@.inspection_item (
    inspection_id   bigint NOT NULL REFERENCES @extschema@.inspection ON DELETE CASCADE,
    item_id         bigint NOT NULL REFERENCES @extschema@.check_item,
    result_code     text NOT NULL REFERENCES @extschema@.result_code,
    measure         text NOT NULL DEFAULT 'none',
    note            text,
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by     name NOT NULL DEFAULT @extschema@.acting_role(),
    PRIMARY KEY (inspection_id, item_id),
    CONSTRAINT "inspection_item measure is none rectify case or transfer"
        CHECK (measure IN ('none', 'rectify', 'case', 'transfer'))
);
CREATE INDEX inspection_item_item_idx ON @extschema@.inspection_item (item_id);
COMMENT ON TABLE @extschema@.inspection_item IS
    'the result of each check item of an inspection (检查结果, per item of the 综合检查单) and the measure taken; the item is one of the inspection''s task held by the inspecting department. Write it with record_item_result';
COMMENT ON COLUMN @extschema@.inspection_item.measure IS
    'what follows from the item''s result (处置措施): none (无需处置), rectify (责令改正), case (立案调查: a case opened), transfer (移送: handed to the competent department)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspection_item', '');

-- the checklist shows each item's result and measure (columns added at the end)
CREATE OR REPLACE VIEW @extschema@.v_visit_checklist AS
SELECT v.id AS visit_id, ci.department_id, ci.id AS item_id, ci.name AS item_name,
       dep.name AS department_name, ci.code AS item_code, ci.category, ci.legal_basis, ci.key_supervision,
       (ci.department_id OPERATOR(pg_catalog.=) s.lead_department_id) AS lead_department,
       it.task_ids, v.uscc, s.window_start, s.window_end,
       r.inspection_id, r.result_code, rc.name_zh AS result_name, r.measure,
       CASE r.measure WHEN 'none' THEN '无需处置' WHEN 'rectify' THEN '责令改正'
                      WHEN 'case' THEN '立案调查' WHEN 'transfer' THEN '移送' END AS measure_name,
       r.note AS result_note
  FROM @extschema@.visit v
  JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
  CROSS JOIN LATERAL (
        SELECT ti.item_id, array_agg(u.task_id ORDER BY u.task_id) AS task_ids
          FROM pg_catalog.unnest(s.task_ids) u(task_id)
          JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) u.task_id
         GROUP BY ti.item_id) it
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) it.item_id
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) ci.department_id
  -- the item's result, recorded on the department's inspection of the subject for one of the
  -- visit's tasks that hold the item (the first such task)
  LEFT JOIN LATERAL (
        SELECT i.id AS inspection_id, ii.result_code, ii.measure, ii.note
          FROM pg_catalog.unnest(it.task_ids) u(task_id)
          JOIN @extschema@.inspection i ON i.task_id OPERATOR(pg_catalog.=) u.task_id
                                       AND i.uscc OPERATOR(@extschema@.=) v.uscc
                                       AND i.department_id OPERATOR(pg_catalog.=) ci.department_id
          JOIN @extschema@.inspection_item ii ON ii.inspection_id OPERATOR(pg_catalog.=) i.id
                                             AND ii.item_id OPERATOR(pg_catalog.=) ci.id
         ORDER BY u.task_id LIMIT 1) r ON true
  LEFT JOIN @extschema@.result_code rc ON rc.code OPERATOR(pg_catalog.=) r.result_code
 ORDER BY v.id, ci.department_id, ci.code, ci.id;
COMMENT ON VIEW @extschema@.v_visit_checklist IS
    'the comprehensive checklist (综合检查单) of each visit: every department''s items - the check content (检查内容: item_name and legal_basis), the item (监管事项), its result (检查结果) and measure (处置措施) once recorded with record_item_result (NULL until then) - ordered by visit, department, item code; task_ids are the visit''s tasks that hold the item';

COMMENT ON COLUMN @extschema@.audit_log.action IS 'create, update, delete, approve (approved_on set), result (a result recorded or changed, also an item''s), serve_notice (a result notice served), publish, draw, cancel_draw, match, direct_assign, override, grant, revoke';
COMMENT ON COLUMN @extschema@.audit_log.object_kind IS 'the table changed (plan, task, task_item, task_stratum, inspection, inspection_item, notice_service (both: object_id is the inspection), disposal, draw_record, assignment, limit_override), a publication kind for publish, or role for grants';

-- the audit trail records results per item and served notices
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
    WHEN 'inspection_item', 'notice_service' THEN
        -- the object is the inspection; an item's result is a result, a notice served is serve_notice
        oid_ := (cur ->> 'inspection_id')::bigint;
        SELECT i.department_id INTO dept FROM @extschema@.inspection i WHERE i.id = oid_;
        IF TG_OP <> 'DELETE' THEN
            act := CASE TG_TABLE_NAME WHEN 'inspection_item' THEN 'result' ELSE 'serve_notice' END;
        END IF;
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
COMMENT ON FUNCTION @extschema@.audit_row() IS
    'trigger: writes one audit_log entry per changed row (create, update with the changed columns, delete, and the domain acts approve, result, serve_notice, publish, draw, cancel_draw, direct_assign, override); SECURITY DEFINER so writers need no access to audit_log';

-- public_disposals is a public view; officers get the tables and views of results per item and notices
CREATE OR REPLACE FUNCTION @extschema@.public_view_names() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT pg_catalog.format('%I.%I', '@extschema@', c.relname) FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
                    AND c.relkind OPERATOR(pg_catalog.=) 'v'
                    AND c.relname OPERATOR(pg_catalog.=) ANY ('{public_plans,public_tasks,public_targets,public_results,public_disposals}')
                  ORDER BY c.relname);
COMMENT ON FUNCTION @extschema@.public_view_names() IS
    'the public views of the disclosure site (public_plans, public_tasks, public_targets, public_results, public_disposals), schema-qualified';

CREATE OR REPLACE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
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
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.participating_task_ids(bigint[]),
                        @extschema@.scenario_ids_of(bigint[]) TO %s', r);
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
        -- joint tasks of its own departments' tasks (merge_tasks)
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.task_merge TO %s', r);
        EXECUTE format('GRANT USAGE ON SEQUENCE @extschema@.plan_id_seq, @extschema@.task_id_seq,
                        @extschema@.inspection_id_seq, @extschema@.disposal_id_seq TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.inspector, @extschema@.inspector_conflict TO %s', r);
        -- results per item and served notices of own departments' inspections (row-level security;
        -- notices are served with record_notice_served), and the views that read them as the caller
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.inspection_item TO %s', r);
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.notice_service TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_unserved_notices, @extschema@.v_unbound_inspections TO %s', r);
        EXECUTE format('GRANT SELECT, UPDATE (published_on) ON @extschema@.publication TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_publication_schedule, @extschema@.v_overdue_publications TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.mark_published(text, bigint, date) TO %s', r);
        -- draws of own tasks: the draw functions run as the owner and check may_act_on_task()
        EXECUTE format('GRANT SELECT ON @extschema@.draw_record, @extschema@.draw_target, @extschema@.assignment TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.draw(bigint, bytea, text), @extschema@.cancel_draw(bigint, text),
                        @extschema@.match_inspectors(bigint), @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) TO %s', r);
        -- the joint-check scenarios its departments lead or take part in (row-level security), and
        -- the joint task of one it leads (scenario_task runs as the owner and checks the lead)
        EXECUTE format('GRANT SELECT ON @extschema@.joint_scenario, @extschema@.joint_scenario_item TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) TO %s', r);
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
                        @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text),
                        @extschema@.grant_public_reader(regrole), @extschema@.revoke_public_reader(regrole),
                        @extschema@.grant_department_officer(regrole, bigint[]),
                        @extschema@.revoke_department_officer(regrole, bigint[]),
                        @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole) TO %s', r);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.apply_access(regrole) IS
    'internal: revokes every privilege the role holds in this schema and grants again what its rows in access_role and officer_department give it';

-- ---- inspections bound to the draw ----

-- Runs with the caller's rights: a role that may record an inspection under a task sees the task's
-- draws (row-level security), and one that may not is refused by the policies of inspection
-- without being told of the draw.
CREATE FUNCTION @extschema@.inspection_bound_to_draw() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d       record;
    sname   text;
BEGIN
    -- a change that keeps the task and leaves a subject that was not drawn (a code change
    -- cascading from subject to a row loaded before the rule) moves nothing out of the draw
    IF TG_OP = 'UPDATE' AND NEW.task_id = OLD.task_id
       AND NOT EXISTS (SELECT 1 FROM @extschema@.task t
                         JOIN @extschema@.draw_record r ON r.task_id IN (t.id, t.merged_into) AND r.cancelled_at IS NULL
                         JOIN @extschema@.draw_target dt ON dt.draw_id = r.id
                        WHERE t.id = OLD.task_id AND dt.uscc OPERATOR(@extschema@.=) OLD.uscc) THEN
        RETURN NEW;
    END IF;
    -- the live draw of the task, or of the joint task it was merged into (its visits are those of
    -- the joint task's targets)
    SELECT r.id, r.task_id, r.target_count
      INTO d
      FROM @extschema@.task t
      JOIN @extschema@.draw_record r ON r.task_id IN (t.id, t.merged_into) AND r.cancelled_at IS NULL
     WHERE t.id = NEW.task_id
     ORDER BY r.task_id = t.id DESC, r.id
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NEW;                 -- no live draw: a clue task, or a task checked without a draw
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                WHERE dt.draw_id = d.id AND dt.uscc OPERATOR(@extschema@.=) NEW.uscc) THEN
        RETURN NEW;
    END IF;
    SELECT s.name INTO sname FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) NEW.uscc;
    RAISE EXCEPTION 'subject % (%) was not drawn for task %', NEW.uscc, coalesce(sname, 'not in the directory'), NEW.task_id
        USING ERRCODE = 'check_violation',
              DETAIL = pg_catalog.format('Task %s is bound to draw %s (of task %s, %s targets); an inspection under it is of one of that draw''s targets.',
                                         NEW.task_id, d.id, d.task_id, d.target_count),
              HINT = pg_catalog.format('Record the inspections of the drawn targets (supervise.draw_target where draw_id = %s); a check of another subject is made under a clue task (kind clue), which has no draw.', d.id);
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_bound_to_draw() IS
    'trigger on inspection: an inspection under a task with a live draw (or merged into a joint task with one) is of one of that draw''s targets; otherwise refused (23514) naming the subject and the draw. Clue tasks and tasks without a draw are not bound. Not fired by a restore (ENABLE ORIGIN); v_unbound_inspections lists rows that break the rule';
-- (named to fire after limits_check_inspection: triggers fire in name order, and that one first
-- takes the limit locks a draw or cancel of the task takes, so this one reads the draw as it is
-- once a concurrent cancel or redraw has committed)
CREATE TRIGGER subject_bound_to_draw BEFORE INSERT OR UPDATE OF task_id, uscc ON @extschema@.inspection
    FOR EACH ROW EXECUTE FUNCTION @extschema@.inspection_bound_to_draw();

CREATE VIEW @extschema@.v_unbound_inspections WITH (security_invoker) AS
SELECT i.id AS inspection_id, i.task_id, r.id AS draw_id, r.task_id AS draw_task_id, i.uscc, s.name AS subject_name,
       i.department_id, i.inspected_on, i.result_code
  FROM @extschema@.inspection i
  JOIN @extschema@.task t ON t.id OPERATOR(pg_catalog.=) i.task_id
  JOIN @extschema@.draw_record r ON r.task_id OPERATOR(pg_catalog.=) ANY (ARRAY[t.id, t.merged_into])
                                AND r.cancelled_at IS NULL
  LEFT JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) i.uscc
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                    WHERE dt.draw_id OPERATOR(pg_catalog.=) r.id AND dt.uscc OPERATOR(@extschema@.=) i.uscc)
 ORDER BY i.id;
COMMENT ON VIEW @extschema@.v_unbound_inspections IS
    'inspections that break the rule of inspection_bound_to_draw: their task (or the joint task it was merged into) has a live draw that did not draw their subject - rows recorded before the rule, restored, or whose draw was cancelled and made again. Read with the caller''s rights (security_invoker)';

-- ---- results per item ----

CREATE FUNCTION @extschema@.inspection_item_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i       record;
    it      record;
    found_  boolean;
BEGIN
    SELECT x.id, x.task_id, x.department_id INTO i FROM @extschema@.inspection x WHERE x.id = NEW.inspection_id;
    IF NOT FOUND THEN
        RETURN NEW;                 -- the foreign key says so
    END IF;
    SELECT ci.id, ci.code, ci.name, ci.department_id INTO it FROM @extschema@.check_item ci WHERE ci.id = NEW.item_id;
    IF NOT FOUND THEN
        RETURN NEW;                 -- the foreign key says so
    END IF;
    found_ := EXISTS (SELECT 1 FROM @extschema@.task_item ti WHERE ti.task_id = i.task_id AND ti.item_id = NEW.item_id);
    IF NOT found_ OR it.department_id IS DISTINCT FROM i.department_id THEN
        RAISE EXCEPTION 'item % (%) is not an item of inspection %', it.id, it.name, i.id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN NOT found_
                                THEN pg_catalog.format('Task %s does not hold item %s.', i.task_id, it.id)
                                ELSE pg_catalog.format('Item %s is department %s''s; inspection %s is department %s''s, which records its own items.',
                                                       it.id, it.department_id, i.id, i.department_id) END,
                  HINT = pg_catalog.format('The items of inspection %s: %s.', i.id,
                      coalesce((SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', ci.id, ci.code), ', ' ORDER BY ci.id)
                                  FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id = ti.item_id
                                 WHERE ti.task_id = i.task_id AND ci.department_id = i.department_id), 'none'));
    END IF;
    IF NEW.measure <> 'none'
       AND NOT (SELECT rc.problem_found FROM @extschema@.result_code rc WHERE rc.code = NEW.result_code) THEN
        RAISE EXCEPTION 'measure "%" does not follow from result "%"', NEW.measure, NEW.result_code
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The result found no problem, so nothing is to be disposed of.',
                  HINT = 'Record the measure none (无需处置), or the result that found the problem.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_item_check() IS
    'trigger on inspection_item: the item is one of the inspection''s task held by the inspecting department, and a measure other than none follows only from a result that found a problem (22023)';
CREATE TRIGGER inspection_item_check BEFORE INSERT OR UPDATE ON @extschema@.inspection_item
    FOR EACH ROW EXECUTE FUNCTION @extschema@.inspection_item_check();

-- The inspection as the caller may act on it: 22004 for NULL, 22023 when it does not exist (or
-- cannot be seen), 42501 when the acting role does not work for its department.
CREATE FUNCTION @extschema@.inspection_for_act(inspection_id bigint, act text) RETURNS @extschema@.inspection
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   @extschema@.inspection;
BEGIN
    IF inspection_for_act.inspection_id IS NULL THEN
        RAISE EXCEPTION 'inspection_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT x.* INTO i FROM @extschema@.inspection x WHERE x.id = inspection_for_act.inspection_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inspection % does not exist', inspection_for_act.inspection_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF act IS NOT NULL AND NOT (@extschema@.acting_with_all_rights()
                                OR i.department_id = ANY (@extschema@.acting_department_ids())) THEN
        RAISE EXCEPTION 'permission denied to % of inspection %', act, i.id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Inspection %s is the check of department %s (%s); the department that checked acts on it (谁检查谁负责).',
                                             i.id, i.department_id,
                                             (SELECT d.name FROM @extschema@.department d WHERE d.id = i.department_id)),
                  HINT = 'An officer of that department, or an admin, does it.';
    END IF;
    RETURN i;
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_for_act(bigint, text) IS
    'internal: the inspection as the caller reads it; 22004 for NULL, 22023 when it does not exist or cannot be seen, and with act given 42501 unless the acting role is an officer of its department or has all rights';

CREATE FUNCTION @extschema@.record_item_result(inspection_id bigint, item_id bigint, result_code text,
                                               measure text DEFAULT 'none', note text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   @extschema@.inspection;
BEGIN
    IF record_item_result.item_id IS NULL OR record_item_result.result_code IS NULL
       OR record_item_result.measure IS NULL THEN
        RAISE EXCEPTION 'item_id, result_code and measure must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'A result without a measure is recorded with measure none (无需处置).';
    END IF;
    i := @extschema@.inspection_for_act(record_item_result.inspection_id, 'record item results');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.check_item ci WHERE ci.id = record_item_result.item_id) THEN
        RAISE EXCEPTION 'check item % does not exist', record_item_result.item_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.result_code rc WHERE rc.code = record_item_result.result_code) THEN
        RAISE EXCEPTION 'unknown result code: "%"', @extschema@.message_value(record_item_result.result_code)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of: ' || (SELECT pg_catalog.string_agg(rc.code, ', ' ORDER BY rc.sort_order, rc.code)
                                              FROM @extschema@.result_code rc) || '.';
    END IF;
    IF record_item_result.measure NOT IN ('none', 'rectify', 'case', 'transfer') THEN
        RAISE EXCEPTION 'unknown measure: "%"', @extschema@.message_value(record_item_result.measure)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of: none (无需处置), rectify (责令改正), case (立案调查), transfer (移送).';
    END IF;
    INSERT INTO @extschema@.inspection_item AS x (inspection_id, item_id, result_code, measure, note)
    VALUES (i.id, record_item_result.item_id, record_item_result.result_code, record_item_result.measure,
            record_item_result.note)
    ON CONFLICT ON CONSTRAINT inspection_item_pkey DO UPDATE
       SET result_code = EXCLUDED.result_code, measure = EXCLUDED.measure,
           note = coalesce(EXCLUDED.note, x.note),
           recorded_at = pg_catalog.now(), recorded_by = @extschema@.acting_role();
END
$$;
COMMENT ON FUNCTION @extschema@.record_item_result(bigint, bigint, text, text, text) IS
    'records (or corrects) the result of one check item of an inspection and its measure: none (无需处置), rectify (责令改正), case (立案调查), transfer (移送). The item is one of the inspection''s task held by its department; the inspecting department''s officers or an admin record it (42501 otherwise); NULLs (22004), unknown ids, codes and measures (22023) are refused. Runs with the caller''s rights; every department of the task sees it in v_visit_checklist';

-- ---- result notices (检查结果告知书) ----

CREATE TABLE @extschema@.notice_service (
    inspection_id   bigint PRIMARY KEY REFERENCES @extschema@.inspection,
    served_on       date NOT NULL,
    method          text NOT NULL,
    served_by       name NOT NULL DEFAULT @extschema@.acting_role(),
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT "notice method is direct mail electronic or public_notice"
        CHECK (method IN ('direct', 'mail', 'electronic', 'public_notice'))
);
COMMENT ON TABLE @extschema@.notice_service IS
    'the service (送达) of an inspection''s result notice (检查结果告知书), once per inspection; written by record_notice_served. An inspection with a served notice is not deleted';
COMMENT ON COLUMN @extschema@.notice_service.method IS
    'direct (直接送达), mail (邮寄送达), electronic (电子送达), public_notice (公告送达)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.notice_service', '');

CREATE FUNCTION @extschema@.notice_service_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   record;
BEGIN
    SELECT x.id, x.inspected_on, x.result_code, x.result_on INTO i
      FROM @extschema@.inspection x WHERE x.id = NEW.inspection_id;
    IF NOT FOUND THEN
        RETURN NEW;                 -- the foreign key says so
    END IF;
    IF i.result_code IS NULL THEN
        RAISE EXCEPTION 'inspection % has no result: its result notice cannot be served', i.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Record the result first (record_visit_result, or result_code and result_on of the inspection).';
    END IF;
    IF NEW.served_on < i.inspected_on THEN
        RAISE EXCEPTION 'notice of inspection % served on % is before the inspection on %', i.id, NEW.served_on, i.inspected_on
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A result notice is served on or after the day of the check and of its result.';
    END IF;
    IF NEW.served_on < i.result_on THEN
        RAISE EXCEPTION 'notice of inspection % served on % is before its result on %', i.id, NEW.served_on, i.result_on
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A result notice is served on or after the day of the check and of its result.';
    END IF;
    IF NEW.served_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'notice of inspection % served on % is in the future', i.id, NEW.served_on
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('Today is %s.', CURRENT_DATE),
                  HINT = 'Record the service on or after the day it happens.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.notice_service_check() IS
    'trigger on notice_service: the inspection has a result (55000), and the notice is served on or after the day of the check and of the result and not in the future (22023)';
CREATE TRIGGER notice_service_check BEFORE INSERT OR UPDATE ON @extschema@.notice_service
    FOR EACH ROW EXECUTE FUNCTION @extschema@.notice_service_check();

CREATE FUNCTION @extschema@.record_notice_served(inspection_id bigint, served_on date, method text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i       @extschema@.inspection;
    before  record;
BEGIN
    IF record_notice_served.served_on IS NULL OR record_notice_served.method IS NULL THEN
        RAISE EXCEPTION 'served_on and method must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    i := @extschema@.inspection_for_act(record_notice_served.inspection_id, 'serve the result notice');
    IF record_notice_served.method NOT IN ('direct', 'mail', 'electronic', 'public_notice') THEN
        RAISE EXCEPTION 'unknown service method: "%"', @extschema@.message_value(record_notice_served.method)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use one of: direct (直接送达), mail (邮寄送达), electronic (电子送达), public_notice (公告送达).';
    END IF;
    SELECT n.served_on, n.method, n.served_by INTO before
      FROM @extschema@.notice_service n WHERE n.inspection_id = i.id;
    IF FOUND THEN
        RAISE EXCEPTION 'the result notice of inspection % was already served on %', i.id, before.served_on
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('Served by %s (%s); a notice is served once.', before.served_by, before.method),
                  HINT = 'A wrong record is removed by an admin (DELETE FROM supervise.notice_service) before it is recorded again.';
    END IF;
    INSERT INTO @extschema@.notice_service (inspection_id, served_on, method)
    VALUES (i.id, record_notice_served.served_on, record_notice_served.method);
END
$$;
COMMENT ON FUNCTION @extschema@.record_notice_served(bigint, date, text) IS
    'records that the result notice (检查结果告知书) of an inspection was served on a day by a method: direct (直接送达), mail (邮寄送达), electronic (电子送达), public_notice (公告送达). Once per inspection (23505 the second time); not before the check or its result, not in the future, only for an inspection with a result (55000); by an officer of the inspecting department or an admin (42501). Runs with the caller''s rights';

CREATE FUNCTION @extschema@.result_notice(inspection_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i       @extschema@.inspection;
    n       record;
    items   jsonb;
    basis   jsonb;
    disp    jsonb;
    served  jsonb;
    steps   text[];
BEGIN
    i := @extschema@.inspection_for_act(result_notice.inspection_id, NULL);
    IF i.result_code IS NULL THEN
        RAISE EXCEPTION 'inspection % has no result: there is no result notice yet', i.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Record the result first (record_visit_result).';
    END IF;
    SELECT s.name AS subject_name, d.name AS department_name, t.title AS task_title, t.kind AS task_kind,
           rc.name_zh AS result_name, rc.problem_found
      INTO n
      FROM @extschema@.task t, @extschema@.department d, @extschema@.result_code rc, @extschema@.subject s
     WHERE t.id = i.task_id AND d.id = i.department_id AND rc.code = i.result_code
       AND s.uscc OPERATOR(@extschema@.=) i.uscc;
    -- every item of the task the department checks, with its result where recorded
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'item_id', ci.id, 'code', ci.code, 'name', ci.name, 'legal_basis', ci.legal_basis,
               'result_code', ii.result_code, 'result_name', rc.name_zh,
               'measure', ii.measure,
               'measure_name', CASE ii.measure WHEN 'none' THEN '无需处置' WHEN 'rectify' THEN '责令改正'
                                               WHEN 'case' THEN '立案调查' WHEN 'transfer' THEN '移送' END,
               'note', ii.note) ORDER BY ci.code, ci.id),
           pg_catalog.jsonb_agg(DISTINCT ci.legal_basis) FILTER (WHERE ci.legal_basis IS NOT NULL),
           pg_catalog.array_remove(ARRAY[
               CASE WHEN bool_or(ii.measure = 'rectify') THEN '对责令改正的事项，应当在规定期限内改正，并将改正情况书面报告检查部门。' END,
               CASE WHEN bool_or(ii.measure = 'case') THEN '对立案调查的事项，检查部门将依法另行调查处理并告知。' END,
               CASE WHEN bool_or(ii.measure = 'transfer') THEN '对移送的事项，由有管辖权的部门依法处理。' END], NULL)
      INTO items, basis, steps
      FROM @extschema@.task_item ti
      JOIN @extschema@.check_item ci ON ci.id = ti.item_id
      LEFT JOIN @extschema@.inspection_item ii ON ii.inspection_id = i.id AND ii.item_id = ci.id
      LEFT JOIN @extschema@.result_code rc ON rc.code = ii.result_code
     WHERE ti.task_id = i.task_id AND ci.department_id = i.department_id;
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'disposal_id', x.id, 'kind', x.kind,
               'kind_name', CASE x.kind WHEN 'order' THEN '责令' WHEN 'compulsion' THEN '行政强制' WHEN 'penalty' THEN '行政处罚' END,
               'decided_on', x.decided_on, 'document_no', x.document_no) ORDER BY x.decided_on, x.id)
      INTO disp
      FROM @extschema@.disposal x WHERE x.inspection_id = i.id;
    SELECT pg_catalog.jsonb_build_object('served_on', ns.served_on, 'method', ns.method,
               'method_name', CASE ns.method WHEN 'direct' THEN '直接送达' WHEN 'mail' THEN '邮寄送达'
                                             WHEN 'electronic' THEN '电子送达' WHEN 'public_notice' THEN '公告送达' END)
      INTO served
      FROM @extschema@.notice_service ns WHERE ns.inspection_id = i.id;
    RETURN pg_catalog.jsonb_build_object(
        'title', '检查结果告知书',
        'inspection_id', i.id,
        'subject', pg_catalog.jsonb_build_object('uscc', i.uscc::text, 'name', n.subject_name),
        'department', pg_catalog.jsonb_build_object('id', i.department_id, 'name', n.department_name),
        'task', pg_catalog.jsonb_build_object('id', i.task_id, 'title', n.task_title, 'kind', n.task_kind),
        'inspected_on', i.inspected_on,
        'result_on', i.result_on,
        'result', pg_catalog.jsonb_build_object('code', i.result_code, 'name', n.result_name,
                                                'problem_found', n.problem_found),
        'items', coalesce(items, '[]'::jsonb),
        'legal_basis', coalesce(basis, '[]'::jsonb),
        'disposals', coalesce(disp, '[]'::jsonb),
        'rights', pg_catalog.format('如对本次检查结果有异议，可自收到本告知书之日起5个工作日内向%s提出陈述、申辩或者申请复核；'
                                    '对依法作出的行政处理决定不服的，可以依法申请行政复议或者提起行政诉讼。', n.department_name),
        'next_steps', pg_catalog.to_jsonb(coalesce(steps, '{}'::text[])),
        'served', served);
END
$$;
COMMENT ON FUNCTION @extschema@.result_notice(bigint) IS
    'the result notice (检查结果告知书) of an inspection with a result, as jsonb: title, subject (uscc, name), department, task, inspected_on, result_on, result, items (each of the department''s items of the task with its result and measure, NULL where not recorded), legal_basis (the items'' legal bases), disposals, rights (陈述、申辩、复核 and review rights, in Chinese), next_steps (what follows from the measures) and served (NULL until record_notice_served). Runs with the caller''s rights: 22023 for an inspection it cannot see, 55000 without a result';

CREATE VIEW @extschema@.v_unserved_notices WITH (security_invoker) AS
SELECT i.id AS inspection_id, i.task_id, i.department_id, i.uscc, s.name AS subject_name,
       i.inspected_on, i.result_on, i.result_code,
       CURRENT_DATE OPERATOR(pg_catalog.-) i.result_on AS days_since_result
  FROM @extschema@.inspection i
  LEFT JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) i.uscc
 WHERE i.result_code IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM @extschema@.notice_service ns WHERE ns.inspection_id OPERATOR(pg_catalog.=) i.id)
 ORDER BY i.result_on, i.id;
COMMENT ON VIEW @extschema@.v_unserved_notices IS
    'inspections with a result whose result notice (检查结果告知书) has not been served (record_notice_served), oldest result first; days_since_result in calendar days. Read with the caller''s rights (security_invoker)';

-- ---- row-level security and the audit trail ----

ALTER TABLE @extschema@.inspection_item ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads item results of visible inspections" ON @extschema@.inspection_item FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = inspection_item.inspection_id));
CREATE POLICY "officer: records item results of own departments' inspections" ON @extschema@.inspection_item FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = inspection_item.inspection_id
                           AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: changes item results of own departments' inspections" ON @extschema@.inspection_item FOR UPDATE
    USING (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = inspection_item.inspection_id
                      AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])))
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = inspection_item.inspection_id
                           AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "officer: deletes item results of own departments' inspections" ON @extschema@.inspection_item FOR DELETE
    USING (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = inspection_item.inspection_id
                      AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all item results" ON @extschema@.inspection_item
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.notice_service ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads notices of visible inspections" ON @extschema@.notice_service FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = notice_service.inspection_id));
CREATE POLICY "officer: serves notices of own departments' inspections" ON @extschema@.notice_service FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM @extschema@.inspection i WHERE i.id = notice_service.inspection_id
                           AND i.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all notices" ON @extschema@.notice_service
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.inspection_item
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.notice_service
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();

-- ---- published disposals (处理结果) ----

CREATE VIEW @extschema@.public_disposals WITH (security_barrier) AS
SELECT x.id                                                 AS disposal_id,
       i.id                                                 AS result_id,
       i.uscc::text                                         AS uscc,
       CASE WHEN i.confidential IS NULL THEN s.name END    AS subject_name,
       i.task_id,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS task_title,
       i.department_id,
       d.name                                               AS department_name,
       x.kind,
       CASE x.kind WHEN 'order' THEN '责令' WHEN 'compulsion' THEN '行政强制' WHEN 'penalty' THEN '行政处罚' END AS kind_name,
       x.decided_on,
       pub.published_on,
       i.confidential                                       AS withheld
  FROM @extschema@.disposal x
  JOIN @extschema@.inspection i ON i.id = x.inspection_id
  JOIN @extschema@.task t ON t.id = i.task_id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  JOIN @extschema@.subject s ON s.uscc = i.uscc
  JOIN @extschema@.department d ON d.id = i.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'disposal' AND pub.object_id = x.id
 WHERE pub.published_on <= CURRENT_DATE
   AND i.confidential IS DISTINCT FROM 'state_secret'
   AND t.confidential IS DISTINCT FROM 'state_secret'
   AND p.confidential IS DISTINCT FROM 'state_secret'
   AND NOT (t.surprise AND t.period_end >= CURRENT_DATE);
COMMENT ON VIEW @extschema@.public_disposals IS
    'disclosure site: published disposals (处理结果: 责令, 行政强制, 行政处罚) after checks, by the department that checked. Hidden: unpublished disposals, state secrets (of the inspection, its task or plan), disposals under surprise tasks that have not ended; the document number is never shown. subject_name is NULL when the inspection is marked trade_secret or personal_privacy; task_title is NULL when the task''s title is withheld';
COMMENT ON COLUMN @extschema@.public_disposals.result_id IS 'the result the disposal follows (public_results.result_id, the inspection id)';
COMMENT ON COLUMN @extschema@.public_disposals.kind IS 'order (责令), compulsion (行政强制) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.public_disposals.withheld IS 'NULL, or why subject_name is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

-- the restore triggers of the new tables (as the loop of src/sql/98_restore.sql gives every dumped table)
CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.inspection_item FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.inspection_item FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.inspection_item ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;
CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.notice_service FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.notice_service FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.notice_service ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;

-- ---- the credit record and the year's account (97_credit.sql): key items' coverage cycle, listing
-- and delisting as publication kinds, the public dishonesty list, officers' grants ----
ALTER TABLE @extschema@.check_item ADD COLUMN coverage_years integer;
ALTER TABLE @extschema@.check_item ADD CONSTRAINT "a coverage cycle is 1 to 10 years, on a key item" CHECK (
    coverage_years IS NULL OR (coverage_years BETWEEN 1 AND 10 AND key_supervision));
COMMENT ON COLUMN @extschema@.check_item.coverage_years IS
    'a key item (重点检查事项) with a coverage cycle (执法全覆盖的周期): every active subject of the department''s region is checked for it within this many calendar years (cycles count from 2000: see coverage_cycle); NULL = no cycle. v_key_item_coverage and uncovered_subjects report it';

ALTER TABLE @extschema@.publication DROP CONSTRAINT "publication kind is plan task target_list result or disposal";
ALTER TABLE @extschema@.publication ADD CONSTRAINT "publication kind is plan task target_list result disposal listing or delisting"
    CHECK (kind IN ('plan', 'task', 'target_list', 'result', 'disposal', 'listing', 'delisting'));
COMMENT ON COLUMN @extschema@.publication.object_id IS 'plan.id, task.id (kinds task and target_list), inspection.id (result), disposal.id, or dishonesty_entry.id (kinds listing and delisting)';

CREATE OR REPLACE FUNCTION @extschema@.publication_source(kind text, ids bigint[])
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
    WHEN 'listing' THEN
        RETURN QUERY
        SELECT e.id, e.department_id, NULL::bigint, e.listed_on, e.listed_on
          FROM @extschema@.dishonesty_entry e WHERE e.id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'delisting' THEN
        RETURN QUERY
        SELECT e.id, e.department_id, NULL::bigint, e.removed_on, e.removed_on
          FROM @extschema@.dishonesty_entry e WHERE e.id OPERATOR(pg_catalog.=) ANY (ids);
    ELSE
        RAISE EXCEPTION 'unknown publication kind "%"', @extschema@.message_value(kind)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known kinds: plan, task, target_list, result, disposal, listing, delisting.';
    END CASE;
END
$$;

COMMENT ON FUNCTION @extschema@.publication_source(text, bigint[]) IS
    'internal: what the publication items of the given objects should be, from plan, task, inspection, disposal, dishonesty_entry (event_on NULL = no item)';

CREATE OR REPLACE FUNCTION @extschema@.publication_after_change() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
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
    WHEN 'dishonesty_entry' THEN
        PERFORM @extschema@.publication_sync('listing', ids);
        PERFORM @extschema@.publication_sync('delisting', ids);
    END CASE;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.publication_after_change() IS
    'statement trigger on plan, task, inspection, disposal, dishonesty_entry: syncs the publication items of the changed rows';

CREATE OR REPLACE FUNCTION @extschema@.mark_published(kind text, object_id bigint, published_on date) RETURNS void
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
    IF kind NOT IN ('plan', 'task', 'target_list', 'result', 'disposal', 'listing', 'delisting') THEN
        RAISE EXCEPTION 'unknown publication kind "%"', @extschema@.message_value(kind)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Known kinds: plan, task, target_list, result, disposal, listing, delisting.';
    END IF;
    SELECT * INTO p FROM @extschema@.publication q
     WHERE q.kind OPERATOR(pg_catalog.=) mark_published.kind
       AND q.object_id OPERATOR(pg_catalog.=) mark_published.object_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no publication item for % %', kind, object_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'Items are made when a plan or task is approved, a target list drawn, a result formed, a disposal decided or a subject listed or removed (list_dishonest, delist_dishonest); a temporary task''s item comes with its target list.';
    END IF;
    IF published_on < p.event_on THEN
        RAISE EXCEPTION 'publication date % of % % is before its event on %', published_on, kind, object_id, p.event_on
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN p.event_on > p.occurred_on
                                THEN format('The item belongs to a surprise check (突击检查) ending on %s, or to a temporary task published with its list; nothing is published before then.', p.event_on)
                                ELSE format('The event happened on %s.', p.occurred_on) END;
    END IF;
    -- (publication_published_guard refuses a date in the future)
    UPDATE @extschema@.publication q SET published_on = mark_published.published_on
     WHERE q.id OPERATOR(pg_catalog.=) p.id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.public_view_names() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT pg_catalog.format('%I.%I', '@extschema@', c.relname) FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
                    AND c.relkind OPERATOR(pg_catalog.=) 'v'
                    AND c.relname OPERATOR(pg_catalog.=) ANY ('{public_plans,public_tasks,public_targets,public_results,public_dishonesty_list}')
                  ORDER BY c.relname);

COMMENT ON FUNCTION @extschema@.public_view_names() IS
    'the public views of the disclosure site (public_plans, public_tasks, public_targets, public_results, public_dishonesty_list), schema-qualified';

CREATE OR REPLACE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
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
        -- joint tasks of its own departments' tasks (merge_tasks)
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.task_merge TO %s', r);
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
        -- the credit record (97_credit.sql): every department's list and record of a subject (信用记录归集),
        -- own departments' listings and removals under row-level security, own figures
        -- (not id, listed_by, removed_by: the sequence, the column default and the guard set them)
        EXECUTE format('GRANT SELECT, INSERT (uscc, department_id, reason, basis, listed_on, confidential),
                        UPDATE (removed_on, removal_reason, confidential) ON @extschema@.dishonesty_entry TO %s', r);
        EXECUTE format('GRANT USAGE ON SEQUENCE @extschema@.dishonesty_entry_id_seq TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_subject_record, @extschema@.v_key_item_coverage,
                        @extschema@.v_department_year TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text),
                        @extschema@.delist_dishonest(bigint, text, date),
                        @extschema@.uncovered_subjects(bigint, date) TO %s', r);
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
                        @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text),
                        @extschema@.delist_dishonest(bigint, text, date),
                        @extschema@.uncovered_subjects(bigint, date),
                        @extschema@.grant_public_reader(regrole), @extschema@.revoke_public_reader(regrole),
                        @extschema@.grant_department_officer(regrole, bigint[]),
                        @extschema@.revoke_department_officer(regrole, bigint[]),
                        @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole) TO %s', r);
    END IF;
END
$$;

-- ---- indexes for one subject's record and one department's year ----
CREATE INDEX inspection_department_day_idx ON @extschema@.inspection (department_id, inspected_on) INCLUDE (task_id);
CREATE INDEX task_department_start_idx ON @extschema@.task (department_id, period_start);
CREATE INDEX publication_department_due_idx ON @extschema@.publication (department_id, due_on) INCLUDE (published_on);

-- ---- the list of seriously dishonest subjects (违法失信名单) ----

CREATE TABLE @extschema@.dishonesty_entry (
    id              bigserial PRIMARY KEY,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    reason          text NOT NULL,
    basis           text,
    listed_on       date NOT NULL,
    listed_by       name NOT NULL DEFAULT @extschema@.acting_role(),
    removed_on      date,
    removal_reason  text,
    removed_by      name,
    confidential    text,
    CONSTRAINT "dishonesty entry reason is not blank" CHECK (btrim(reason) <> ''),
    CONSTRAINT "a removal has a day and a reason" CHECK (
        (removed_on IS NULL AND removal_reason IS NULL)
        OR (removed_on IS NOT NULL AND coalesce(btrim(removal_reason), '') <> '')),
    CONSTRAINT "dishonesty entry is not removed before it was listed" CHECK (removed_on >= listed_on),
    CONSTRAINT "dishonesty entry confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'))
);
CREATE UNIQUE INDEX dishonesty_entry_one_current_listing ON @extschema@.dishonesty_entry (uscc, department_id)
    WHERE removed_on IS NULL;
CREATE INDEX dishonesty_entry_uscc_idx ON @extschema@.dishonesty_entry (uscc);
COMMENT ON TABLE @extschema@.dishonesty_entry IS
    'the list of seriously dishonest subjects (违法失信名单) kept by each department: listed with list_dishonest, removed (移出, 信用修复) with delist_dishonest and a reason, never deleted; a subject is on a department''s list at most once at a time. Listing and removal are published (publication kinds listing and delisting); public_dishonesty_list shows the current published entries';
COMMENT ON COLUMN @extschema@.dishonesty_entry.department_id IS 'the department that decided the listing (作出列入决定的部门); only it removes the entry';
COMMENT ON COLUMN @extschema@.dishonesty_entry.reason IS 'why the subject is listed (列入事由)';
COMMENT ON COLUMN @extschema@.dishonesty_entry.basis IS 'the legal basis and decision document of the listing (列入依据、决定书文号)';
COMMENT ON COLUMN @extschema@.dishonesty_entry.listed_on IS 'the day the listing was decided; the listing item is due from it';
COMMENT ON COLUMN @extschema@.dishonesty_entry.removed_on IS 'the day the removal (移出) was decided; NULL while the subject is on the list';
COMMENT ON COLUMN @extschema@.dishonesty_entry.removal_reason IS 'why it was removed (e.g. 信用修复, the listing period ended, the decision was revoked); required with removed_on';
COMMENT ON COLUMN @extschema@.dishonesty_entry.confidential IS
    'NULL = public; state_secret (国家秘密): never in public_dishonesty_list, and in v_subject_record only for its department; trade_secret / personal_privacy: listed publicly with the subject''s name, reason and basis withheld';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.dishonesty_entry', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.dishonesty_entry_id_seq', '');

-- An entry is a record: no one deletes or truncates it (also in replica mode), what was decided
-- (subject, department, reason, basis, day, who) is not changed, and a removal, once recorded,
-- is not changed or taken back. A corrected subject code (subject.uscc ON UPDATE CASCADE) is
-- carried in. A mistaken entry is removed with a reason, and listed again if need be.
CREATE FUNCTION @extschema@.dishonesty_entry_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'entries of the dishonesty list are never deleted: % on %.% is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = '全程留痕: a listing stays recorded after its removal.',
                  HINT = 'Remove the subject from the list with supervise.delist_dishonest(entry_id, removal_reason).';
    END IF;
    IF (NEW.id, NEW.department_id, NEW.reason, NEW.basis, NEW.listed_on, NEW.listed_by)
       IS DISTINCT FROM (OLD.id, OLD.department_id, OLD.reason, OLD.basis, OLD.listed_on, OLD.listed_by)
       OR (NEW.uscc OPERATOR(@extschema@.<>) OLD.uscc AND pg_catalog.pg_trigger_depth() OPERATOR(pg_catalog.<=) 1) THEN
        RAISE EXCEPTION 'dishonesty entry % cannot be changed', OLD.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The subject, department, reason, basis and day of a listing are a record (全程留痕).',
                  HINT = 'Remove the entry with supervise.delist_dishonest(entry_id, removal_reason) and list the subject again.';
    END IF;
    IF OLD.removed_on IS NOT NULL THEN
        IF (NEW.removed_on, NEW.removal_reason, NEW.removed_by) IS DISTINCT FROM (OLD.removed_on, OLD.removal_reason, OLD.removed_by) THEN
            RAISE EXCEPTION 'dishonesty entry % was removed on % and its removal cannot be changed', OLD.id, OLD.removed_on
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = pg_catalog.format('Removal reason: %s', OLD.removal_reason),
                      HINT = 'List the subject again with supervise.list_dishonest if it belongs on the list.';
        END IF;
    ELSIF NEW.removed_on IS NOT NULL THEN
        -- a removal is recorded (by delist_dishonest, or an UPDATE under row-level security):
        -- not for a future day, and by whoever records it
        IF NEW.removed_on > CURRENT_DATE THEN
            RAISE EXCEPTION 'removal date % of dishonesty entry % is in the future', NEW.removed_on, OLD.id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        NEW.removed_by := @extschema@.acting_role();
    ELSE
        NEW.removed_by := NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.dishonesty_entry_guard() IS
    'trigger on dishonesty_entry: refuses DELETE and TRUNCATE, a change of what a listing decided, a change or withdrawal of a recorded removal, and a removal dated in the future; records who removes (removed_by)';
CREATE TRIGGER dishonesty_entry_guard BEFORE UPDATE OR DELETE ON @extschema@.dishonesty_entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.dishonesty_entry_guard();
CREATE TRIGGER dishonesty_entry_no_truncate BEFORE TRUNCATE ON @extschema@.dishonesty_entry
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.dishonesty_entry_guard();
-- fire also with session_replication_role = replica (a restore only inserts)
ALTER TABLE @extschema@.dishonesty_entry ENABLE ALWAYS TRIGGER dishonesty_entry_guard;
ALTER TABLE @extschema@.dishonesty_entry ENABLE ALWAYS TRIGGER dishonesty_entry_no_truncate;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.dishonesty_entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.dishonesty_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.dishonesty_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();

-- every officer reads every department's list (联合惩戒: each department acts on the others'
-- listings); a department lists and removes its own entries
ALTER TABLE @extschema@.dishonesty_entry ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads every department's list" ON @extschema@.dishonesty_entry FOR SELECT
    USING (true);
CREATE POLICY "officer: lists for own departments" ON @extschema@.dishonesty_entry FOR INSERT
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "officer: removes own departments' entries" ON @extschema@.dishonesty_entry FOR UPDATE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all dishonesty entries" ON @extschema@.dishonesty_entry
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- Publication deadlines of listing and removal. No seed notice gives them: these amounts are the
-- project's defaults, to be set by each locality (UPDATE supervise.publication_rule).
INSERT INTO @extschema@.publication_rule (event, amount, unit, basis, shipped) VALUES
    ('listing',   10, 'workday', '列入违法失信名单后公示: project default, not from a notice; set the locality''s amount', true),
    ('delisting', 10, 'workday', '移出违法失信名单后公示: project default, not from a notice; set the locality''s amount', true);

-- May the acting role write entries of this department? As row-level security decides it: the
-- owner and superusers (not subject to it), admins, and officers of the department.
CREATE FUNCTION @extschema@.dishonesty_require_department(department_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF pg_catalog.row_security_active('@extschema@.dishonesty_entry'::regclass)
       AND NOT (department_id OPERATOR(pg_catalog.=) ANY (@extschema@.my_department_ids()) OR @extschema@.is_admin()) THEN
        RAISE EXCEPTION 'permission denied to % for department %', act, department_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A department lists and removes its own entries (违法失信名单): an officer of that department (supervise.grant_department_officer) or an admin does it.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.dishonesty_require_department(bigint, text) IS
    'internal: raises 42501 unless the acting role may write dishonesty entries of the department under row-level security (an officer of it, an admin, the owner); called by list_dishonest and delist_dishonest';

CREATE FUNCTION @extschema@.list_dishonest(subject @extschema@.uscc, department_id bigint, reason text,
        listed_on date DEFAULT CURRENT_DATE, basis text DEFAULT NULL, confidential text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    cur     @extschema@.dishonesty_entry;
    new_id  bigint;
BEGIN
    IF subject IS NULL OR department_id IS NULL OR reason IS NULL OR listed_on IS NULL THEN
        RAISE EXCEPTION 'subject, department_id, reason and listed_on must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'A listing (列入违法失信名单) names the subject, the deciding department, the reason and the day.';
    END IF;
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'the reason for listing subject % is blank', subject
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give the reason (列入事由), e.g. the serious violation found.';
    END IF;
    IF listed_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'listing date % is in the future', listed_on
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Record the listing on the day it is decided.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id OPERATOR(pg_catalog.=) list_dishonest.department_id) THEN
        RAISE EXCEPTION 'department % does not exist', department_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) list_dishonest.subject) THEN
        RAISE EXCEPTION 'subject "%" is not in the subject directory', subject
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Load the subject first (supervise.load_subjects).';
    END IF;
    PERFORM @extschema@.dishonesty_require_department(department_id, 'list subjects');
    SELECT * INTO cur FROM @extschema@.dishonesty_entry e
     WHERE e.uscc OPERATOR(@extschema@.=) list_dishonest.subject
       AND e.department_id OPERATOR(pg_catalog.=) list_dishonest.department_id
       AND e.removed_on IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION 'subject % is already on the list of department % (entry %, listed on %)',
                subject, department_id, cur.id, cur.listed_on
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('Reason: %s', cur.reason),
                  HINT = 'A subject is on a department''s list once at a time; remove the current entry first (supervise.delist_dishonest).';
    END IF;
    INSERT INTO @extschema@.dishonesty_entry (uscc, department_id, reason, basis, listed_on, confidential)
    VALUES (subject, department_id, reason, basis, listed_on, confidential)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text) IS
    'lists a subject on the department''s list of seriously dishonest subjects (列入违法失信名单) with reason, basis (legal basis, decision document) and day, and returns the entry id; the listing becomes a publication item (kind listing). Refused: NULLs, a blank reason, a future day, an unknown subject or department, a department the caller does not act for (42501), a subject already on that department''s list (23505). Runs with the caller''s rights';

CREATE FUNCTION @extschema@.delist_dishonest(entry_id bigint, removal_reason text, removed_on date DEFAULT CURRENT_DATE)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    e   @extschema@.dishonesty_entry;
    n   integer;
BEGIN
    IF entry_id IS NULL OR removed_on IS NULL THEN
        RAISE EXCEPTION 'entry_id and removed_on must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF removal_reason IS NULL OR btrim(removal_reason) = '' THEN
        RAISE EXCEPTION 'dishonesty entry % is removed only with a reason', entry_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give the reason for the removal (移出事由), e.g. 信用修复 or the end of the listing period.';
    END IF;
    -- (read first without a lock: row-level security lets a FOR UPDATE see only the rows the
    -- caller may change, and another department's officer is told why it may not)
    SELECT * INTO e FROM @extschema@.dishonesty_entry x WHERE x.id OPERATOR(pg_catalog.=) entry_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dishonesty entry % does not exist', entry_id
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.dishonesty_require_department(e.department_id, 'remove entries');
    SELECT * INTO e FROM @extschema@.dishonesty_entry x WHERE x.id OPERATOR(pg_catalog.=) entry_id FOR UPDATE;
    IF e.removed_on IS NOT NULL THEN
        RAISE EXCEPTION 'dishonesty entry % was already removed on %', entry_id, e.removed_on
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Removal reason: %s', e.removal_reason);
    END IF;
    IF removed_on < e.listed_on OR removed_on > CURRENT_DATE THEN
        RAISE EXCEPTION 'removal date % of dishonesty entry % is %', removed_on, entry_id,
                CASE WHEN removed_on > CURRENT_DATE THEN 'in the future' ELSE 'before its listing on ' || e.listed_on END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (dishonesty_entry_guard records removed_by)
    UPDATE @extschema@.dishonesty_entry x
       SET removed_on = delist_dishonest.removed_on, removal_reason = delist_dishonest.removal_reason
     WHERE x.id OPERATOR(pg_catalog.=) entry_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION 'permission denied to remove dishonesty entry %', entry_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.delist_dishonest(bigint, text, date) IS
    'removes a subject from a department''s list (移出违法失信名单, 信用修复) on a day, with a reason (required); the entry is kept and the removal becomes a publication item (kind delisting). Refused: a blank reason, NULLs, an unknown entry, one already removed (55000), a day before the listing or in the future, another department''s entry (42501). Runs with the caller''s rights';

CREATE VIEW @extschema@.public_dishonesty_list WITH (security_barrier) AS
SELECT e.id                                                 AS entry_id,
       e.uscc::text                                         AS uscc,
       CASE WHEN e.confidential IS NULL THEN s.name END    AS subject_name,
       e.department_id,
       d.name                                               AS department_name,
       CASE WHEN e.confidential IS NULL THEN e.reason END  AS reason,
       CASE WHEN e.confidential IS NULL THEN e.basis END   AS basis,
       e.listed_on,
       pub.published_on,
       e.confidential                                       AS withheld
  FROM @extschema@.dishonesty_entry e
  JOIN @extschema@.subject s ON s.uscc = e.uscc
  JOIN @extschema@.department d ON d.id = e.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'listing' AND pub.object_id = e.id
 WHERE e.removed_on IS NULL
   AND pub.published_on <= CURRENT_DATE
   AND e.confidential IS DISTINCT FROM 'state_secret';
COMMENT ON VIEW @extschema@.public_dishonesty_list IS
    'disclosure site: the current list of seriously dishonest subjects (违法失信名单), published entries not removed. Hidden: unpublished listings, removed entries, state secrets. subject_name, reason and basis are NULL when withheld (withheld = trade_secret or personal_privacy)';
COMMENT ON COLUMN @extschema@.public_dishonesty_list.uscc IS 'the subject''s unified social credit code (统一社会信用代码), 18 characters';
COMMENT ON COLUMN @extschema@.public_dishonesty_list.withheld IS 'NULL, or why subject_name, reason and basis are withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

-- ---- a subject's record from every department (信用记录归集) ----
-- One branch per kind of entry, each found by the subject's code through an index; the code
-- given to the view reaches every branch (check with EXPLAIN: an index scan per branch). A new
-- kind of entry is one more UNION ALL branch with the same columns, on a table with an index on
-- uscc. kind_order puts a day's entries in the order they happen.
CREATE VIEW @extschema@.v_subject_record WITH (security_barrier) AS
SELECT r.uscc, r.kind, r.object_id, r.department_id, r.on_date, r.summary
  FROM (
    SELECT i.uscc, 'check'::text AS kind, 1 AS kind_order, i.id AS object_id, i.department_id,
           i.inspected_on AS on_date,
           'task ' || t.id || CASE WHEN t.confidential IS NULL THEN ': ' || t.title ELSE '' END AS summary,
           (i.confidential IS NULL OR i.confidential <> 'state_secret')
             AND (t.confidential IS NULL OR t.confidential <> 'state_secret')
             AND (p.confidential IS NULL OR p.confidential <> 'state_secret')
             AND NOT (t.surprise AND t.period_end >= CURRENT_DATE) AS open
      FROM @extschema@.inspection i
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
     WHERE i.inspected_on IS NOT NULL
    UNION ALL
    SELECT i.uscc, 'result', 2, i.id, i.department_id, i.result_on,
           i.result_code || ' ' || rc.name_zh || ' (task ' || t.id || ')',
           (i.confidential IS NULL OR i.confidential <> 'state_secret')
             AND (t.confidential IS NULL OR t.confidential <> 'state_secret')
             AND (p.confidential IS NULL OR p.confidential <> 'state_secret')
             AND NOT (t.surprise AND t.period_end >= CURRENT_DATE)
      FROM @extschema@.inspection i
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
      JOIN @extschema@.result_code rc ON rc.code = i.result_code
    UNION ALL
    SELECT i.uscc, 'disposal', 3, x.id, i.department_id, x.decided_on,
           x.kind || coalesce(' ' || x.document_no, '') || ' (inspection ' || i.id || ')',
           (i.confidential IS NULL OR i.confidential <> 'state_secret')
             AND (t.confidential IS NULL OR t.confidential <> 'state_secret')
             AND (p.confidential IS NULL OR p.confidential <> 'state_secret')
             AND NOT (t.surprise AND t.period_end >= CURRENT_DATE)
      FROM @extschema@.inspection i
      JOIN @extschema@.disposal x ON x.inspection_id = i.id
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
    UNION ALL
    SELECT e.uscc, 'listing', 4, e.id, e.department_id, e.listed_on, e.reason,
           e.confidential IS NULL OR e.confidential <> 'state_secret'
      FROM @extschema@.dishonesty_entry e
    UNION ALL
    SELECT e.uscc, 'delisting', 5, e.id, e.department_id, e.removed_on, e.removal_reason,
           e.confidential IS NULL OR e.confidential <> 'state_secret'
      FROM @extschema@.dishonesty_entry e
     WHERE e.removed_on IS NOT NULL
  ) r
 WHERE r.open
    OR r.department_id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
    OR (SELECT @extschema@.acting_with_all_rights())
 ORDER BY r.uscc, r.on_date, r.kind_order, r.object_id;
COMMENT ON VIEW @extschema@.v_subject_record IS
    'a subject''s credit record (信用记录归集): every check (inspected_on), result, disposal, listing and removal about it from all departments, in date order; query it for one code (an index lookup per kind). For officers and admins; it reads with the owner''s rights: an officer sees every department''s entries except those under a state secret and checks of a surprise task that has not ended, which only their own department (and admins) see';
COMMENT ON COLUMN @extschema@.v_subject_record.kind IS 'check (inspection.id), result (inspection.id), disposal (disposal.id), listing or delisting (dishonesty_entry.id)';
COMMENT ON COLUMN @extschema@.v_subject_record.department_id IS 'the department that checked, decided or listed';
COMMENT ON COLUMN @extschema@.v_subject_record.summary IS 'a short description: the task (its title unless withheld), the result code and name, the disposal kind and document number, the listing or removal reason';

-- ---- key items: full coverage within a cycle (完成执法全覆盖的周期) ----

-- Cycles are whole calendar years counted from 2000: with coverage_years = 3 they are 2000-2002,
-- ..., 2024-2026, 2027-2029.
CREATE FUNCTION @extschema@.coverage_cycle(coverage_years integer, on_date date,
        OUT cycle_start date, OUT cycle_end date)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
    SELECT pg_catalog.make_date(s, 1, 1), pg_catalog.make_date(s OPERATOR(pg_catalog.+) coverage_years, 1, 1) OPERATOR(pg_catalog.-) 1
      FROM (SELECT 2000 OPERATOR(pg_catalog.+)
                   (((extract(year FROM on_date)::integer OPERATOR(pg_catalog.-) 2000) OPERATOR(pg_catalog./) coverage_years)
                    OPERATOR(pg_catalog.*) coverage_years) AS s
             WHERE coverage_years OPERATOR(pg_catalog.>=) 1 AND extract(year FROM on_date) OPERATOR(pg_catalog.>=) 2000) y
$$;
COMMENT ON FUNCTION @extschema@.coverage_cycle(integer, date) IS
    'the coverage cycle (执法全覆盖的周期) of coverage_years calendar years that holds on_date; cycles count from 1 January 2000 (coverage_years 3: 2024-01-01 to 2026-12-31). NULL before 2000 or for fewer than 1 year';

-- The cycles from the one holding first_day to the one holding last_day (ROWS 2: a view that lists
-- an item's cycles is planned for a few, not a thousand, evaluations of its counts).
CREATE FUNCTION @extschema@.coverage_cycles(coverage_years integer, first_day date, last_day date)
    RETURNS TABLE (cycle_start date, cycle_end date)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 2
    SET search_path = @extschema@, pg_temp
AS $$
    SELECT c.cycle_start, c.cycle_end
      FROM @extschema@.coverage_cycle(coverage_years, first_day) f,
           pg_catalog.generate_series(f.cycle_start, last_day, pg_catalog.make_interval(years => coverage_years)) g(s),
           @extschema@.coverage_cycle(coverage_years, g.s::date) c
     ORDER BY c.cycle_start
$$;
COMMENT ON FUNCTION @extschema@.coverage_cycles(integer, date, date) IS
    'the coverage cycles of coverage_years calendar years (coverage_cycle) from the one holding first_day to the one holding last_day, in order; none when last_day is before first_day''s cycle';

CREATE VIEW @extschema@.v_key_item_coverage WITH (security_barrier) AS
SELECT ci.id AS item_id, ci.department_id, c.cycle_start, c.cycle_end,
       n.in_scope, n.covered, n.in_scope - n.covered AS uncovered
  FROM @extschema@.check_item ci
  JOIN @extschema@.department d ON d.id = ci.department_id
  CROSS JOIN LATERAL @extschema@.coverage_cycles(ci.coverage_years,
        least(CURRENT_DATE,
              coalesce((SELECT min(i.inspected_on)
                          FROM @extschema@.task_item ti
                          JOIN @extschema@.inspection i ON i.task_id = ti.task_id
                         WHERE ti.item_id = ci.id AND i.department_id = ci.department_id),
                       CURRENT_DATE)),
        CURRENT_DATE) c
  CROSS JOIN LATERAL (      -- (OFFSET 0: each count once, not once per output column that uses it)
      SELECT (SELECT count(*) FROM @extschema@.subject s
               WHERE s.status = 'active' AND starts_with(s.region, d.region)) AS in_scope,
             (SELECT count(DISTINCT i.uscc)
                FROM @extschema@.task_item ti
                JOIN @extschema@.inspection i ON i.task_id = ti.task_id
                JOIN @extschema@.subject s ON s.uscc = i.uscc
               WHERE ti.item_id = ci.id AND i.department_id = ci.department_id
                 AND i.inspected_on BETWEEN c.cycle_start AND c.cycle_end
                 AND s.status = 'active' AND starts_with(s.region, d.region)) AS covered
      OFFSET 0) n
 WHERE ci.coverage_years IS NOT NULL
   AND (ci.department_id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
        OR (SELECT @extschema@.acting_with_all_rights()));
COMMENT ON VIEW @extschema@.v_key_item_coverage IS
    'coverage of key items (重点检查事项, check_item.coverage_years): per item and cycle, from the cycle of its first check to the current one: in_scope = active subjects of the item''s department''s region, covered = those checked for the item by that department (an inspection with inspected_on in the cycle, under a task holding the item), uncovered = the rest (uncovered_subjects lists them). Own departments'' items for officers, all for admins; counts the whole directory of the region, so it is not a dashboard query at national scale';

CREATE FUNCTION @extschema@.uncovered_subjects(item_id bigint, on_date date DEFAULT CURRENT_DATE)
    RETURNS TABLE (uscc @extschema@.uscc, name text, region text, credit_class text, risk_level smallint)
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    ci      @extschema@.check_item;
    scope   text;
    cyc     record;
BEGIN
    IF item_id IS NULL OR on_date IS NULL THEN
        RAISE EXCEPTION 'item_id and on_date must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO ci FROM @extschema@.check_item x WHERE x.id OPERATOR(pg_catalog.=) uncovered_subjects.item_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'check item % does not exist', item_id USING ERRCODE = 'undefined_object';
    END IF;
    -- the answer counts the department's inspections, which officers of other departments do not see
    IF pg_catalog.row_security_active('@extschema@.inspection'::regclass)
       AND NOT (ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.my_department_ids()) OR @extschema@.is_admin()) THEN
        RAISE EXCEPTION 'permission denied to read the coverage of check item % of department %', item_id, ci.department_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'The coverage of a key item is read by officers of its department and admins.';
    END IF;
    IF ci.coverage_years IS NULL THEN
        RAISE EXCEPTION 'check item % "%" has no coverage cycle', item_id, @extschema@.message_value(ci.name)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set check_item.coverage_years on a key item (key_supervision) to give it one.';
    END IF;
    SELECT * INTO cyc FROM @extschema@.coverage_cycle(ci.coverage_years, on_date);
    IF cyc.cycle_start IS NULL THEN
        RAISE EXCEPTION 'date % is before the first coverage cycle (2000)', on_date USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT d.region INTO scope FROM @extschema@.department d WHERE d.id OPERATOR(pg_catalog.=) ci.department_id;
    RETURN QUERY
    SELECT s.uscc, s.name, s.region, s.credit_class, s.risk_level
      FROM @extschema@.subject s
     WHERE s.status OPERATOR(pg_catalog.=) 'active' AND pg_catalog.starts_with(s.region, scope)
       AND NOT EXISTS (SELECT 1 FROM @extschema@.inspection i
                         JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) i.task_id
                        WHERE i.uscc OPERATOR(@extschema@.=) s.uscc
                          AND ti.item_id OPERATOR(pg_catalog.=) ci.id
                          AND i.department_id OPERATOR(pg_catalog.=) ci.department_id
                          AND i.inspected_on BETWEEN cyc.cycle_start AND cyc.cycle_end)
     ORDER BY s.uscc;
END
$$;
COMMENT ON FUNCTION @extschema@.uncovered_subjects(bigint, date) IS
    'the subjects a key item has not reached yet in the coverage cycle holding on_date: active subjects of the item''s department''s region without a check for the item by that department in the cycle, by code. Build a directory from them for a task that covers them (doc/credit-record.md). For officers of the item''s department and admins (42501 otherwise); 22023 for an item without coverage_years';

-- ---- a department's year (纳入年度绩效考核, 全流程监测、动态评价) ----
-- One row per department and year from its first to its last year with a task, an inspection or
-- a publication item. For one department and year every figure is read through an index
-- (bench/record.sh measures it against counting the department's inspections of the year).
CREATE VIEW @extschema@.v_department_year WITH (security_barrier) AS
SELECT d.id AS department_id, y.year,
       t.tasks, t.drawn, i.inspected,
       CASE WHEN t.drawn > 0 THEN round(i.drawn_checked::numeric / t.drawn, 4) END AS completion_rate,
       CASE WHEN i.inspected > 0 THEN round(i.joint::numeric / i.inspected, 4) END AS joint_share,
       v.visits_saved, p.publications_due, p.published_on_time, p.overdue
  FROM @extschema@.department d
  CROSS JOIN LATERAL (
      SELECT least((SELECT min(x.period_start) FROM @extschema@.task x WHERE x.department_id = d.id),
                   (SELECT min(x.inspected_on) FROM @extschema@.inspection x WHERE x.department_id = d.id),
                   (SELECT min(x.due_on) FROM @extschema@.publication x WHERE x.department_id = d.id)) AS lo,
             greatest((SELECT max(x.period_start) FROM @extschema@.task x WHERE x.department_id = d.id),
                      (SELECT max(x.inspected_on) FROM @extschema@.inspection x WHERE x.department_id = d.id),
                      (SELECT max(x.due_on) FROM @extschema@.publication x WHERE x.department_id = d.id)) AS hi) r
  CROSS JOIN LATERAL pg_catalog.generate_series(extract(year FROM r.lo)::integer, extract(year FROM r.hi)::integer) y(year)
  CROSS JOIN LATERAL (SELECT make_date(y.year, 1, 1) AS y0, make_date(y.year + 1, 1, 1) AS y1) b
  CROSS JOIN LATERAL (
      SELECT count(*) AS tasks, coalesce(sum(dr.target_count), 0) AS drawn,
             coalesce(array_agg(x.id) FILTER (WHERE dr.id IS NOT NULL), '{}') AS drawn_ids
        FROM @extschema@.task x
        LEFT JOIN @extschema@.draw_record dr ON dr.task_id = x.id AND dr.cancelled_at IS NULL
       WHERE x.department_id = d.id AND x.period_start >= b.y0 AND x.period_start < b.y1
         AND x.merged_into IS NULL) t
  CROSS JOIN LATERAL (      -- the joint tasks the department takes part in
      SELECT ARRAY(SELECT DISTINCT ti.task_id
                     FROM @extschema@.check_item ci
                     JOIN @extschema@.task_item ti ON ti.item_id = ci.id
                    WHERE ci.department_id = d.id
                      AND EXISTS (SELECT 1 FROM @extschema@.task_item t2
                                    JOIN @extschema@.check_item c2 ON c2.id = t2.item_id
                                   WHERE t2.task_id = ti.task_id AND c2.department_id <> d.id)) AS ids) j
  -- its checks of the year, in one index-only scan: all, those under a joint task, and those under
  -- a drawn task (one per task and subject; where inspections are bound to their task's draw, each
  -- is of a drawn target)
  CROSS JOIN LATERAL (
      SELECT count(*) AS inspected,
             count(*) FILTER (WHERE x.task_id = ANY (j.ids)) AS joint,
             count(*) FILTER (WHERE x.task_id = ANY (t.drawn_ids)) AS drawn_checked
        FROM @extschema@.inspection x
       WHERE x.department_id = d.id AND x.inspected_on >= b.y0 AND x.inspected_on < b.y1) i
  CROSS JOIN LATERAL (
      SELECT coalesce(sum(pg_catalog.cardinality(s.task_ids) - 1), 0) AS visits_saved
        FROM @extschema@.visit_task_set s
        JOIN @extschema@.visit vv ON vv.task_set_id = s.id
       WHERE s.lead_department_id = d.id AND s.year = y.year) v
  CROSS JOIN LATERAL (
      SELECT count(*) AS publications_due,
             count(*) FILTER (WHERE x.published_on <= x.due_on) AS published_on_time,
             count(*) FILTER (WHERE x.published_on IS NULL AND x.due_on < CURRENT_DATE) AS overdue
        FROM @extschema@.publication x
       WHERE x.department_id = d.id AND x.due_on >= b.y0 AND x.due_on < b.y1) p
 WHERE d.id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
    OR (SELECT @extschema@.acting_with_all_rights());
COMMENT ON VIEW @extschema@.v_department_year IS
    'a department''s year for its annual assessment (纳入年度绩效考核): tasks it initiated with a period starting in the year (merged tasks count as their joint task), drawn (targets of their live draws), inspected (its checks with inspected_on in the year), completion_rate (its checks in the year under those drawn tasks / drawn), joint_share (its checks under a task with items of several departments / inspected), visits_saved (entries saved by the joint visits it leads that year, as v_visit_report counts them), publications_due (its publication items due in the year), published_on_time, overdue (not published, past due). Own departments for officers, all for admins';
COMMENT ON COLUMN @extschema@.v_department_year.completion_rate IS 'drawn targets of the year''s tasks the department checked in the year (its inspections under those tasks, inspected_on in the year) / drawn, 4 decimals; NULL when nothing was drawn';
COMMENT ON COLUMN @extschema@.v_department_year.joint_share IS 'share of the year''s checks made under a joint task (items of two or more departments), 4 decimals; NULL without checks';

REVOKE EXECUTE ON FUNCTION
    @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text),
    @extschema@.delist_dishonest(bigint, text, date),
    @extschema@.uncovered_subjects(bigint, date),
    @extschema@.dishonesty_entry_guard()
  FROM PUBLIC;

-- restore triggers of the new dumped table (98_restore.sql gives them to every dumped table)
CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.dishonesty_entry FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.dishonesty_entry FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.dishonesty_entry ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;
-- roles given access before the update get the new objects of their kind of access
DO $$
DECLARE
    r regrole;
BEGIN
    FOR r IN SELECT DISTINCT ro.oid::regrole FROM @extschema@.access_role a
               JOIN pg_catalog.pg_roles ro ON ro.rolname OPERATOR(pg_catalog.=) a.role_name
    LOOP
        PERFORM @extschema@.apply_access(r);
    END LOOP;
END
$$;


-- Interactive speed at province scale: v_limit_scope groups the task items' departments once, not
-- per task; eligibility_parts() restricts a directory task's excluded codes to its members and
-- limits_check_drawn() to the drawn codes, both found by the indexes on the code, so a small
-- task's eligibility costs what the task concerns, not the year's checks
ALTER TABLE @extschema@.directory_member ALTER COLUMN directory_id SET STATISTICS 1000;
CREATE OR REPLACE VIEW @extschema@.v_limit_scope AS
SELECT DISTINCT t.id AS task_id, t.period_start, ci.category, ci.department_id AS item_department_id,
       d.departments AS task_departments
  FROM @extschema@.task t
  JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) t.id
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
  JOIN (SELECT ti2.task_id, pg_catalog.array_agg(DISTINCT ci2.department_id) AS departments
          FROM @extschema@.task_item ti2
          JOIN @extschema@.check_item ci2 ON ci2.id OPERATOR(pg_catalog.=) ti2.item_id
         GROUP BY ti2.task_id) d ON d.task_id OPERATOR(pg_catalog.=) t.id
 WHERE t.kind OPERATOR(pg_catalog.<>) 'clue' AND NOT ci.limit_exempt;
CREATE OR REPLACE FUNCTION @extschema@.eligibility_parts(task_id bigint, OUT candidates text, OUT excluded text)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    dir bigint;
BEGIN
    SELECT t.directory_id INTO dir FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligibility_parts.task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', eligibility_parts.task_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM @extschema@.task_limit_profile(eligibility_parts.task_id);
    candidates := $q$SELECT s.uscc, s.credit_class, s.risk_level::double precision AS weight
  FROM @extschema@.subject s
 WHERE s.status OPERATOR(pg_catalog.=) 'active'$q$;
    IF dir IS NOT NULL THEN
        candidates := candidates || pg_catalog.format($q$
   AND EXISTS (SELECT 1 FROM @extschema@.directory_member m
                WHERE m.directory_id OPERATOR(pg_catalog.=) %s
                  AND m.uscc OPERATOR(@extschema@.=) s.uscc)$q$, dir);
    END IF;
    IF p.limited AND dir IS NULL THEN
        -- every active subject is a candidate: the year's checks of the categories, in one scan
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.v_limited_checks c
 WHERE c.year OPERATOR(pg_catalog.=) %s
   AND c.task_id OPERATOR(pg_catalog.<>) %s
   AND (c.category OPERATOR(pg_catalog.=) ANY (%L::text[])
        OR c.department_id OPERATOR(pg_catalog.=) ANY (%L::bigint[]))$q$,
            p.year, p.task_id, p.categories, p.superiors);
    ELSIF p.limited THEN
        -- the candidates are the directory's members: the same rule for those codes only, found
        -- by the indexes on the code, so the cost follows the directory, not the year's checks
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.v_limited_checks c
 WHERE c.year OPERATOR(pg_catalog.=) %s
   AND c.task_id OPERATOR(pg_catalog.<>) %s
   AND (c.category OPERATOR(pg_catalog.=) ANY (%L::text[])
        OR c.department_id OPERATOR(pg_catalog.=) ANY (%L::bigint[]))
   AND c.uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT m.uscc FROM @extschema@.directory_member m
                                                WHERE m.directory_id OPERATOR(pg_catalog.=) %s))$q$,
            p.year, p.task_id, p.categories, p.superiors, dir);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.eligibility_parts(bigint) IS
    'internal: the eligible population of a task as two queries, with the task''s directory, year, categories and superiors written in: candidates (uscc, credit_class, weight), the active subjects of its directory (all active subjects when it has none), and excluded (uscc), the subjects the limits on repeated checks exclude (the rule of exclusion_reason; of a task with a directory only its members, found by code; NULL when the task is not limited). The one place eligibility is decided: eligibility_query() joins them, draw() hands them to population_collect()';

CREATE OR REPLACE FUNCTION @extschema@.limits_check_drawn(draw_id bigint, codes @extschema@.uscc[]) RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    p record;
    c record;
BEGIN
    SELECT dr.task_id INTO t FROM @extschema@.draw_record dr WHERE dr.id OPERATOR(pg_catalog.=) limits_check_drawn.draw_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM @extschema@.limit_lock(t);
    SELECT * INTO p FROM @extschema@.task_limit_profile(t) x WHERE x.limited;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- (the task is a parameter, so the draw's own targets are left out; the codes are found by
    -- the indexes on the code, so the check costs what the draw took, not the year's checks)
    SELECT x.uscc, x.* INTO c
      FROM @extschema@.v_limited_checks x
     WHERE x.uscc OPERATOR(@extschema@.=) ANY (codes)
       AND x.year OPERATOR(pg_catalog.=) p.year
       AND x.task_id OPERATOR(pg_catalog.<>) t
       AND (x.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR x.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     ORDER BY x.uscc, x.checked_on, x.source_id
     LIMIT 1;
    IF FOUND THEN
        IF NOT @extschema@.may_see_task(c.task_id) THEN
            RAISE LOG 'draw % of task % takes subject "%", which the limits on repeated checks exclude: earlier check %',
                draw_id, t, c.uscc,
                @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on) || ' (category "' || c.category || '")';
        END IF;
        RAISE EXCEPTION 'draw % of task % takes subject "%", which the limits on repeated checks exclude',
                draw_id, t, c.uscc
            USING ERRCODE = 'exclusion_violation',
                  DETAIL = 'Earlier check: ' || @extschema@.limits_explain_conflict(
                               CASE WHEN c.category OPERATOR(pg_catalog.=) ANY (p.categories) THEN 'same_category_this_year'
                                    ELSE 'superior_checked_this_year' END,
                               c.category, c.source, c.source_id, c.task_id, c.department_id, c.checked_on) || '.',
                  HINT = 'Draw from supervise.eligible_population(), which leaves such subjects out.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) IS
    'internal: refuses new targets (codes) of a draw that the limits on repeated checks exclude, naming the earlier check; takes the limit locks of the drawn task first. Run by the trigger limits_check_targets and by draw()''s bulk write of its targets';

-- a department's rows found by index: its publication items of a year (its inspections by
-- inspection_department_day_idx); its v_visit_report rows computed from its own items,
-- inspections and task sets
CREATE INDEX publication_department_idx ON @extschema@.publication (department_id, event_on);
CREATE OR REPLACE VIEW @extschema@.v_visit_report AS
WITH took_part AS (
    -- the (task set, task, department) triples first, then their visits
    SELECT DISTINCT s.id AS task_set_id, pg_catalog.date_trunc('month', s.window_start)::date AS month,
           u.task_id, td.department_id
      FROM @extschema@.visit_task_set s
      CROSS JOIN LATERAL pg_catalog.unnest(s.task_ids) u(task_id)
      JOIN @extschema@.task_department td ON td.task_id OPERATOR(pg_catalog.=) u.task_id
), part AS (
    SELECT v.id AS visit_id, tp.month, tp.department_id,
           bool_and(i.result_code IS NOT NULL) AS done
      FROM took_part tp
      JOIN @extschema@.visit v ON v.task_set_id OPERATOR(pg_catalog.=) tp.task_set_id
      LEFT JOIN @extschema@.inspection i ON i.task_id OPERATOR(pg_catalog.=) tp.task_id
                                        AND i.uscc OPERATOR(@extschema@.=) v.uscc
                                        AND i.department_id OPERATOR(pg_catalog.=) tp.department_id
     GROUP BY v.id, tp.month, tp.department_id
), counts AS (
    SELECT p.department_id, p.month, 1 AS planned, CASE WHEN p.done THEN 1 ELSE 0 END AS done,
           0 AS led, 0 AS pairs
      FROM part p
    UNION ALL
    SELECT s.lead_department_id, pg_catalog.date_trunc('month', s.window_start)::date,
           0, 0, 1, pg_catalog.cardinality(s.task_ids)
      FROM @extschema@.visit v JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
)
SELECT dep.id AS department_id, dep.name AS department_name, x.month,
       x.visits_planned, x.visits_done, x.visits_led, x.task_subject_pairs,
       x.task_subject_pairs OPERATOR(pg_catalog.-) x.visits_led AS entries_saved
  FROM (SELECT c.department_id, c.month,
               pg_catalog.sum(c.planned)::bigint AS visits_planned, pg_catalog.sum(c.done)::bigint AS visits_done,
               pg_catalog.sum(c.led)::bigint AS visits_led, pg_catalog.sum(c.pairs)::bigint AS task_subject_pairs
          FROM counts c
         GROUP BY c.department_id, c.month) x
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) x.department_id;
-- plan_visits summarises the BRIN ranges it filled (C)
COMMENT ON FUNCTION @extschema@.plan_visits(integer) IS
    'plans the year''s visits (联合检查): for every subject, its live drawn targets of tasks whose period starts in the year are grouped into the fewest visits whose tasks share a day (exact, in C); returns the number of visits the year has. Re-running is idempotent and writes only what changed: a visit made again (same subject, tasks and draws) keeps its id, a visit with a recorded inspection is kept as it is and its targets are not regrouped, other visits are remade. Locks visit and visit_task_set (EXCLUSIVE) and inspection (SHARE) while it runs, and summarises the block ranges it filled of the BRIN index on visit.uscc, so a subject''s visits are found at once';

-- After the check: the check window of draw() (supervise.today, today()), task progress, clues
-- and case transfers (src/sql/50_draw.sql, 96_security.sql, 97_clues.sql). Roles made officers
-- or admins before the update get the new views and functions when their access is recomputed.
CREATE FUNCTION @extschema@.today() RETURNS date
    AS 'MODULE_PATHNAME', 'supervise_today'
    LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.today() IS
    'the date taken as today by the check window of draw() and by v_task_progress: current_date, unless a superuser set supervise.today (YYYY-MM-DD) to replay a year on another day';

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea, population regclass, algorithm text DEFAULT 'sha256-v1')
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
        RAISE EXCEPTION 'task_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797') THEN
        RAISE EXCEPTION 'unknown draw algorithm: "%"', @extschema@.message_value(algorithm)
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
    -- the check window: the targets are checked within the task's period (在任务期内完成检查),
    -- so a task whose period has ended is not drawn any more
    IF t.period_end < @extschema@.today() THEN
        RAISE EXCEPTION 'task % cannot be drawn: its period ended on %', task_id, pg_catalog.to_char(t.period_end, 'YYYY-MM-DD')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('The task''s period is %s to %s; today is %s.', pg_catalog.to_char(t.period_start, 'YYYY-MM-DD'), pg_catalog.to_char(t.period_end, 'YYYY-MM-DD'), pg_catalog.to_char(@extschema@.today(), 'YYYY-MM-DD')),
                  HINT = 'The targets of a draw are checked within the task''s period. Extend the period (UPDATE supervise.task SET period_end = ...) or draw a new task.';
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
    -- new snapshot in READ COMMITTED) the eligibility queries, read in C
    PERFORM @extschema@.limit_lock(draw.task_id);
    IF population IS NULL THEN
        SELECT * INTO parts FROM @extschema@.eligibility_parts(draw.task_id);
        pop := @extschema@.population_collect(parts.candidates, has_strata, weighted, parts.excluded);
    ELSE
        pop := @extschema@.relation_population(draw.task_id, population, has_strata, weighted);
    END IF;

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
    -- the targets, in bulk (with the foreign key and limits checks once for all of them)
    PERFORM @extschema@.draw_targets_insert(new_id, coalesce(sel.uscc, '{}'), coalesce(sel.stratum, '{}'), coalesce(sel.rank, '{}'));

    -- (the trigger draw_record_publication adds the target list to the publication schedule)
    RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
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
        -- joint tasks of its own departments' tasks (merge_tasks)
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.task_merge TO %s', r);
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
        -- after the check: progress, clues and transfers (src/sql/97_clues.sql), read under
        -- row-level security and written through functions that check the department
        EXECUTE format('GRANT SELECT ON @extschema@.v_task_progress, @extschema@.v_unchecked_targets,
                        @extschema@.clue, @extschema@.case_transfer TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date),
                        @extschema@.clue_task(bigint, text, date, date, bigint[]), @extschema@.close_clue(bigint, text, date),
                        @extschema@.transfer_case(bigint, text, bigint, bigint, date),
                        @extschema@.accept_transfer(bigint, date) TO %s', r);
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
                        @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole),
                        @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date),
                        @extschema@.clue_task(bigint, text, date, date, bigint[]), @extschema@.close_clue(bigint, text, date),
                        @extschema@.transfer_case(bigint, text, bigint, bigint, date),
                        @extschema@.accept_transfer(bigint, date) TO %s', r);
    END IF;
END
$$;


-- ---- task progress ----
-- One row per task and department taking part (the initiator and every department with an item:
-- each department of a joint task checks the drawn targets for its own items). drawn: targets of
-- the live draw; inspected: those the department has inspected (inspected_on set) under the task;
-- with_result: those with a result; unchecked: drawn less inspected. A task without a live draw
-- (a clue task, or not drawn yet) has drawn 0 and counts the subjects inspected. status: done
-- when no target is left unchecked and something was drawn or inspected; overdue when the period
-- ended (before today()) with targets unchecked; open otherwise. A task merged into a joint task
-- is checked through the joint task and is not listed. Read with the caller's rights
-- (security_invoker), so an officer sees the rows of the tasks and results it may see.
CREATE VIEW @extschema@.v_task_progress WITH (security_invoker = true) AS
WITH parts AS (
    SELECT t.id AS task_id, t.department_id, t.period_end FROM @extschema@.task t
    UNION
    SELECT t.id, ci.department_id, t.period_end
      FROM @extschema@.task t
      JOIN @extschema@.task_item ti ON ti.task_id = t.id
      JOIN @extschema@.check_item ci ON ci.id = ti.item_id
),
counts AS (
    SELECT p.task_id, p.department_id, p.period_end, r.id AS draw_id,
           (SELECT count(*) FROM @extschema@.draw_target dt WHERE dt.draw_id = r.id) AS drawn,
           (SELECT count(DISTINCT i.uscc) FROM @extschema@.inspection i
             WHERE i.task_id = p.task_id AND i.department_id = p.department_id AND i.inspected_on IS NOT NULL
               AND (r.id IS NULL OR EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                                             WHERE dt.draw_id = r.id AND dt.uscc = i.uscc))) AS inspected,
           (SELECT count(DISTINCT i.uscc) FROM @extschema@.inspection i
             WHERE i.task_id = p.task_id AND i.department_id = p.department_id AND i.result_code IS NOT NULL
               AND (r.id IS NULL OR EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                                             WHERE dt.draw_id = r.id AND dt.uscc = i.uscc))) AS with_result
      FROM parts p
      LEFT JOIN @extschema@.draw_record r ON r.task_id = p.task_id AND r.cancelled_at IS NULL
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.task_merge m WHERE m.source_task_id = p.task_id)
)
SELECT c.task_id, c.department_id, c.drawn, c.inspected, c.with_result,
       greatest(c.drawn - c.inspected, 0) AS unchecked, c.period_end,
       CASE WHEN c.drawn > c.inspected AND c.period_end < @extschema@.today() THEN 'overdue'
            WHEN c.drawn <= c.inspected AND (c.drawn > 0 OR c.inspected > 0) THEN 'done'
            ELSE 'open' END AS status
  FROM counts c;
COMMENT ON VIEW @extschema@.v_task_progress IS
    'per task and department taking part (initiator and every department with an item of a joint task): drawn (targets of the live draw), inspected and with_result (of those, by the department), unchecked, period_end and status: done (none unchecked, something drawn or inspected), overdue (period ended before today() with targets unchecked) or open. Tasks merged into a joint task are left out; read with the caller''s rights';

-- The drawn targets a department has not inspected yet, per task (the list behind unchecked).
CREATE VIEW @extschema@.v_unchecked_targets WITH (security_invoker = true) AS
SELECT p.task_id, r.id AS draw_id, dt.uscc, p.department_id, p.period_end
  FROM @extschema@.v_task_progress p
  JOIN @extschema@.draw_record r ON r.task_id = p.task_id AND r.cancelled_at IS NULL
  JOIN @extschema@.draw_target dt ON dt.draw_id = r.id
 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.inspection i
                    WHERE i.task_id = p.task_id AND i.department_id = p.department_id
                      AND i.uscc = dt.uscc AND i.inspected_on IS NOT NULL);
COMMENT ON VIEW @extschema@.v_unchecked_targets IS
    'the targets of a task''s live draw that a department taking part has not inspected yet (the rows counted as unchecked in v_task_progress); read with the caller''s rights';

-- ---- clues ----

CREATE TABLE @extschema@.clue (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    source          text NOT NULL,
    received_on     date NOT NULL,
    summary         text NOT NULL,
    status          text NOT NULL DEFAULT 'open',
    task_id         bigint REFERENCES @extschema@.task,
    closed_on       date,
    close_reason    text,
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by     name NOT NULL DEFAULT @extschema@.acting_role(),
    CONSTRAINT "clue source is complaint hotline transfer monitoring or other"
        CHECK (source IN ('complaint', 'hotline', 'transfer', 'monitoring', 'other')),
    CONSTRAINT "clue status is open task transferred or closed"
        CHECK (status IN ('open', 'task', 'transferred', 'closed')),
    CONSTRAINT "clue summary is not blank" CHECK (btrim(summary) <> ''),
    CONSTRAINT "an open clue has no task" CHECK (status <> 'open' OR task_id IS NULL),
    CONSTRAINT "a clue in status task has a task" CHECK (status <> 'task' OR task_id IS NOT NULL),
    CONSTRAINT "a closed clue has a day and a reason"
        CHECK ((status = 'closed') = (closed_on IS NOT NULL) AND (status <> 'closed' OR btrim(close_reason) <> '')),
    CONSTRAINT "a clue is closed on or after it was received" CHECK (closed_on >= received_on)
);
CREATE INDEX clue_uscc_idx ON @extschema@.clue (uscc);
CREATE INDEX clue_department_idx ON @extschema@.clue (department_id);
CREATE UNIQUE INDEX clue_task_idx ON @extschema@.clue (task_id);
COMMENT ON TABLE @extschema@.clue IS
    'clues (线索) about a subject received by a department: source complaint (投诉举报), hotline (12345), transfer (转办 from another body), monitoring (监测) or other. status follows what is done with it: open; task (clue_task made a clue task, task_id); transferred (transfer_case handed it to another department); closed (close_clue, with the day and reason). Written through record_clue, clue_task, transfer_case and close_clue';
COMMENT ON COLUMN @extschema@.clue.task_id IS 'the clue task made for it by clue_task (kept when the clue is transferred or closed afterwards)';

-- ---- case transfers ----

CREATE TABLE @extschema@.case_transfer (
    id                  bigserial PRIMARY KEY,
    from_department_id  bigint NOT NULL REFERENCES @extschema@.department,
    to_department_id    bigint NOT NULL REFERENCES @extschema@.department,
    uscc                @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    inspection_id       bigint REFERENCES @extschema@.inspection,
    clue_id             bigint REFERENCES @extschema@.clue,
    reason              text NOT NULL,
    transferred_on      date NOT NULL,
    accepted_on         date,
    transferred_by      name NOT NULL DEFAULT @extschema@.acting_role(),
    accepted_by         name,
    CONSTRAINT "a case is transferred to another department" CHECK (from_department_id <> to_department_id),
    CONSTRAINT "a transfer comes from one inspection or one clue" CHECK (num_nonnulls(inspection_id, clue_id) = 1),
    CONSTRAINT "a transfer gives its reason" CHECK (btrim(reason) <> ''),
    CONSTRAINT "a transfer is accepted on or after it was made" CHECK (accepted_on >= transferred_on),
    CONSTRAINT "an accepted transfer names who accepted it" CHECK ((accepted_on IS NULL) = (accepted_by IS NULL))
);
CREATE INDEX case_transfer_from_idx ON @extschema@.case_transfer (from_department_id);
CREATE INDEX case_transfer_to_idx ON @extschema@.case_transfer (to_department_id);
CREATE INDEX case_transfer_inspection_idx ON @extschema@.case_transfer (inspection_id);
CREATE INDEX case_transfer_clue_idx ON @extschema@.case_transfer (clue_id);
COMMENT ON TABLE @extschema@.case_transfer IS
    'a problem found in an inspection, or a clue, that lies outside the items checked or the department''s remit, handed to another department (另案查处 / 移送, 分办、转办) with the reason and day; the receiving department records acceptance (accept_transfer). Written through transfer_case and accept_transfer';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.clue', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.clue_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.case_transfer', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.case_transfer_id_seq', '');

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.clue
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.case_transfer
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();

-- Who may act for a department (the functions run as the owner): a superuser, a member of the
-- owner's role or an admin, or an officer of that department.
CREATE FUNCTION @extschema@.require_department_access(department_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT (@extschema@.acting_with_all_rights()
            OR require_department_access.department_id = ANY (@extschema@.acting_department_ids())) THEN
        RAISE EXCEPTION 'permission denied to % for department %', act, department_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %s is not an officer of department %s.', @extschema@.acting_role(), department_id),
                  HINT = 'Clues and case transfers are handled by officers of the department concerned (supervise.grant_department_officer) or an admin.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_department_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> for department <id>") unless the acting role is a superuser, a member of the extension owner''s role, an admin or an officer of the department; called by record_clue, clue_task, close_clue, transfer_case and accept_transfer';

CREATE FUNCTION @extschema@.record_clue(department_id bigint, uscc @extschema@.uscc, source text, summary text,
                                        received_on date DEFAULT CURRENT_DATE) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF department_id IS NULL OR uscc IS NULL OR source IS NULL OR summary IS NULL OR received_on IS NULL THEN
        RAISE EXCEPTION 'department_id, uscc, source, summary and received_on must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervise.department d WHERE d.id = record_clue.department_id) THEN
        RAISE EXCEPTION 'department % does not exist', department_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM @extschema@.require_department_access(record_clue.department_id, 'record clues');
    IF NOT EXISTS (SELECT 1 FROM supervise.subject s WHERE s.uscc = record_clue.uscc) THEN
        RAISE EXCEPTION 'subject % does not exist', uscc
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'A clue is about a subject of supervise.subject; load it first (supervise.load_subjects).';
    END IF;
    IF source NOT IN ('complaint', 'hotline', 'transfer', 'monitoring', 'other') THEN
        RAISE EXCEPTION 'unknown clue source: "%"', @extschema@.message_value(source)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The sources are complaint, hotline, transfer, monitoring and other.';
    END IF;
    IF btrim(summary) = '' THEN
        RAISE EXCEPTION 'a clue needs a summary' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO supervise.clue (department_id, uscc, source, received_on, summary)
    VALUES (record_clue.department_id, record_clue.uscc, record_clue.source, record_clue.received_on, record_clue.summary)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date) IS
    'records a clue (线索) received by a department about a subject (source complaint, hotline, transfer, monitoring or other), status open; returns its id. By an officer of the department or an admin';

CREATE FUNCTION @extschema@.clue_task(clue_id bigint, title text DEFAULT NULL, period_start date DEFAULT NULL,
                                      period_end date DEFAULT NULL, item_ids bigint[] DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    c       record;
    s       date;
    e       date;
    bad     text;
    new_id  bigint;
BEGIN
    IF clue_id IS NULL THEN
        RAISE EXCEPTION 'clue_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM supervise.clue x WHERE x.id = clue_task.clue_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'clue % does not exist', clue_id USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_department_access(c.department_id, 'make clue tasks');
    IF c.status <> 'open' THEN
        RAISE EXCEPTION 'clue % is %, not open', clue_id, c.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN c.task_id IS NOT NULL THEN pg_catalog.format('Its task is %s.', c.task_id) END,
                  HINT = 'A clue task is made once, for an open clue.';
    END IF;
    s := coalesce(period_start, greatest(c.received_on, @extschema@.today()));
    e := coalesce(period_end, least(s + 29, (pg_catalog.date_trunc('year', s) + interval '1 year - 1 day')::date));
    SELECT string_agg(coalesce(u.id::text, 'NULL'), ', ' ORDER BY u.id) INTO bad
      FROM pg_catalog.unnest(item_ids) u(id)
     WHERE NOT EXISTS (SELECT 1 FROM supervise.check_item ci WHERE ci.id = u.id AND ci.department_id = c.department_id);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'check item % is not an item of department %', bad, c.department_id
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'A clue task checks items of the clue''s department.';
    END IF;
    INSERT INTO supervise.task (department_id, kind, title, period_start, period_end, approved_on)
    VALUES (c.department_id, 'clue', coalesce(title, pg_catalog.format('线索核查：%s', c.summary)), s, e, s)
    RETURNING id INTO new_id;
    INSERT INTO supervise.task_item (task_id, item_id)
    SELECT DISTINCT new_id, u.id FROM pg_catalog.unnest(item_ids) u(id);
    UPDATE supervise.clue x SET status = 'task', task_id = new_id WHERE x.id = clue_task.clue_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.clue_task(bigint, text, date, date, bigint[]) IS
    'makes a clue task (kind clue: no draw, never limited) of the clue''s department for its subject, approved, with the given items of that department; period by default from the later of the day received and today(), 30 days long within its year; the clue''s status becomes task. Refused for a clue that is not open';

CREATE FUNCTION @extschema@.close_clue(clue_id bigint, reason text, closed_on date DEFAULT CURRENT_DATE) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    IF clue_id IS NULL OR closed_on IS NULL THEN
        RAISE EXCEPTION 'clue_id and closed_on must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a clue is closed only with a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why: checked and no problem found, not within the remit, not verifiable, ...';
    END IF;
    SELECT * INTO c FROM supervise.clue x WHERE x.id = close_clue.clue_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'clue % does not exist', clue_id USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_department_access(c.department_id, 'close clues');
    IF c.status NOT IN ('open', 'task') THEN
        RAISE EXCEPTION 'clue % is %', clue_id, c.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'An open clue, or one with a clue task, is closed; a transferred clue is the receiving department''s.';
    END IF;
    IF closed_on < c.received_on THEN
        RAISE EXCEPTION 'clue % cannot be closed on %, before it was received on %', clue_id,
                pg_catalog.to_char(closed_on, 'YYYY-MM-DD'), pg_catalog.to_char(c.received_on, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE supervise.clue x SET status = 'closed', closed_on = close_clue.closed_on, close_reason = reason
     WHERE x.id = close_clue.clue_id;
END
$$;
COMMENT ON FUNCTION @extschema@.close_clue(bigint, text, date) IS
    'closes an open clue, or one with a clue task, with the day and reason (kept); status closed. By an officer of its department or an admin';

CREATE FUNCTION @extschema@.transfer_case(to_department_id bigint, reason text, inspection_id bigint DEFAULT NULL,
                                          clue_id bigint DEFAULT NULL, transferred_on date DEFAULT CURRENT_DATE)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    from_dep    bigint;
    subj        @extschema@.uscc;
    since       date;
    c           record;
    new_id      bigint;
BEGIN
    IF to_department_id IS NULL OR transferred_on IS NULL THEN
        RAISE EXCEPTION 'to_department_id and transferred_on must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF num_nonnulls(inspection_id, clue_id) <> 1 THEN
        RAISE EXCEPTION 'a case is transferred from one inspection or one clue'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass inspection_id => ... or clue_id => ..., not both.';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a case is transferred only with a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say what the problem is and why it is the other department''s.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervise.department d WHERE d.id = transfer_case.to_department_id) THEN
        RAISE EXCEPTION 'department % does not exist', to_department_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF inspection_id IS NOT NULL THEN
        SELECT i.department_id, i.uscc, coalesce(i.inspected_on, i.result_on) INTO from_dep, subj, since
          FROM supervise.inspection i WHERE i.id = transfer_case.inspection_id FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'inspection % does not exist', inspection_id USING ERRCODE = 'undefined_object';
        END IF;
    ELSE
        SELECT * INTO c FROM supervise.clue x WHERE x.id = transfer_case.clue_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'clue % does not exist', clue_id USING ERRCODE = 'undefined_object';
        END IF;
        from_dep := c.department_id;
        subj := c.uscc;
        since := c.received_on;
    END IF;
    PERFORM @extschema@.require_department_access(from_dep, 'transfer cases');
    IF from_dep = to_department_id THEN
        RAISE EXCEPTION 'a case cannot be transferred to its own department %', from_dep
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A transfer hands a problem to another department; the department''s own follow-up is a clue task (supervise.clue_task).';
    END IF;
    IF clue_id IS NOT NULL THEN
        IF c.status NOT IN ('open', 'task') THEN
            RAISE EXCEPTION 'clue % is %', clue_id, c.status
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'An open clue, or one with a clue task, is transferred.';
        END IF;
    END IF;
    IF transferred_on < since THEN
        RAISE EXCEPTION 'a case cannot be transferred on %, before %', pg_catalog.to_char(transferred_on, 'YYYY-MM-DD'),
                pg_catalog.to_char(since, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN clue_id IS NOT NULL THEN 'The clue was received then.' ELSE 'The inspection was made then.' END;
    END IF;
    INSERT INTO supervise.case_transfer (from_department_id, to_department_id, uscc, inspection_id, clue_id, reason, transferred_on)
    VALUES (from_dep, transfer_case.to_department_id, subj, transfer_case.inspection_id, transfer_case.clue_id,
            transfer_case.reason, transfer_case.transferred_on)
    RETURNING id INTO new_id;
    IF clue_id IS NOT NULL THEN
        UPDATE supervise.clue x SET status = 'transferred' WHERE x.id = transfer_case.clue_id;
    END IF;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.transfer_case(bigint, text, bigint, bigint, date) IS
    'hands a problem to another department (另案查处 / 移送) from one inspection or one clue (exactly one of inspection_id, clue_id), with the reason and day; the sending department is the inspection''s or clue''s, and the caller must act for it; the subject comes with it. A transferred clue gets status transferred. Refused to the same department (22023). Returns the transfer''s id';

CREATE FUNCTION @extschema@.accept_transfer(transfer_id bigint, accepted_on date DEFAULT CURRENT_DATE) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    x record;
BEGIN
    IF transfer_id IS NULL OR accepted_on IS NULL THEN
        RAISE EXCEPTION 'transfer_id and accepted_on must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO x FROM supervise.case_transfer t WHERE t.id = accept_transfer.transfer_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case transfer % does not exist', transfer_id USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_department_access(x.to_department_id, 'accept transfers');
    IF x.accepted_on IS NOT NULL THEN
        RAISE EXCEPTION 'case transfer % is already accepted', transfer_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('It was accepted on %s by %s.', pg_catalog.to_char(x.accepted_on, 'YYYY-MM-DD'), x.accepted_by);
    END IF;
    IF accepted_on < x.transferred_on THEN
        RAISE EXCEPTION 'case transfer % cannot be accepted on %, before it was made on %', transfer_id,
                pg_catalog.to_char(accepted_on, 'YYYY-MM-DD'), pg_catalog.to_char(x.transferred_on, 'YYYY-MM-DD')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE supervise.case_transfer t SET accepted_on = accept_transfer.accepted_on, accepted_by = @extschema@.acting_role()
     WHERE t.id = accept_transfer.transfer_id;
END
$$;
COMMENT ON FUNCTION @extschema@.accept_transfer(bigint, date) IS
    'the receiving department records that it accepted a case transfer (受理), on a day not before the transfer; once. By an officer of the receiving department or an admin';

-- ---- row-level security: a department's clues; transfers seen by both departments ----
ALTER TABLE @extschema@.clue ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads own departments' clues" ON @extschema@.clue FOR SELECT
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all clues" ON @extschema@.clue
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

ALTER TABLE @extschema@.case_transfer ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads transfers from and to own departments" ON @extschema@.case_transfer FOR SELECT
    USING (from_department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])
           OR to_department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all case transfers" ON @extschema@.case_transfer
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- written only through the functions above, which check who acts (officers get SELECT and
-- EXECUTE from apply_access)
REVOKE EXECUTE ON FUNCTION
    @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date),
    @extschema@.clue_task(bigint, text, date, date, bigint[]),
    @extschema@.close_clue(bigint, text, date),
    @extschema@.transfer_case(bigint, text, bigint, bigint, date),
    @extschema@.accept_transfer(bigint, date)
  FROM PUBLIC;

-- the restore triggers 98_restore.sql gives every dumped table
CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.case_transfer FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.case_transfer FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.case_transfer ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;
CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.clue FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.clue FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.clue ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;

-- ---- apply_access and public_view_names: the grants and public views of every step above ----
CREATE OR REPLACE FUNCTION @extschema@.apply_access(role regrole) RETURNS void
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
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.participating_task_ids(bigint[]),
                        @extschema@.scenario_ids_of(bigint[]) TO %s', r);
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
        -- joint tasks of its own departments' tasks (merge_tasks)
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.task_merge TO %s', r);
        EXECUTE format('GRANT USAGE ON SEQUENCE @extschema@.plan_id_seq, @extschema@.task_id_seq,
                        @extschema@.inspection_id_seq, @extschema@.disposal_id_seq TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.inspector, @extschema@.inspector_conflict TO %s', r);
        -- results per item and served notices of own departments' inspections (row-level security;
        -- notices are served with record_notice_served), and the views that read them as the caller
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.inspection_item TO %s', r);
        EXECUTE format('GRANT SELECT, INSERT ON @extschema@.notice_service TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_unserved_notices, @extschema@.v_unbound_inspections TO %s', r);
        EXECUTE format('GRANT SELECT, UPDATE (published_on) ON @extschema@.publication TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_publication_schedule, @extschema@.v_overdue_publications TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.mark_published(text, bigint, date) TO %s', r);
        -- draws of own tasks: the draw functions run as the owner and check may_act_on_task()
        EXECUTE format('GRANT SELECT ON @extschema@.draw_record, @extschema@.draw_target, @extschema@.assignment TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.draw(bigint, bytea, text), @extschema@.cancel_draw(bigint, text),
                        @extschema@.match_inspectors(bigint), @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) TO %s', r);
        -- the joint-check scenarios its departments lead or take part in (row-level security), and
        -- the joint task of one it leads (scenario_task runs as the owner and checks the lead)
        EXECUTE format('GRANT SELECT ON @extschema@.joint_scenario, @extschema@.joint_scenario_item TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) TO %s', r);
        -- the credit record (97_credit.sql): every department's list and record of a subject (信用记录归集),
        -- own departments' listings and removals under row-level security, own figures
        -- (not id, listed_by, removed_by: the sequence, the column default and the guard set them)
        EXECUTE format('GRANT SELECT, INSERT (uscc, department_id, reason, basis, listed_on, confidential),
                        UPDATE (removed_on, removal_reason, confidential) ON @extschema@.dishonesty_entry TO %s', r);
        EXECUTE format('GRANT USAGE ON SEQUENCE @extschema@.dishonesty_entry_id_seq TO %s', r);
        EXECUTE format('GRANT SELECT ON @extschema@.v_subject_record, @extschema@.v_key_item_coverage,
                        @extschema@.v_department_year TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text),
                        @extschema@.delist_dishonest(bigint, text, date),
                        @extschema@.uncovered_subjects(bigint, date) TO %s', r);
        -- after the check: progress, clues and transfers (src/sql/97_clues.sql), read under
        -- row-level security and written through functions that check the department
        EXECUTE format('GRANT SELECT ON @extschema@.v_task_progress, @extschema@.v_unchecked_targets,
                        @extschema@.clue, @extschema@.case_transfer TO %s', r);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date),
                        @extschema@.clue_task(bigint, text, date, date, bigint[]), @extschema@.close_clue(bigint, text, date),
                        @extschema@.transfer_case(bigint, text, bigint, bigint, date),
                        @extschema@.accept_transfer(bigint, date) TO %s', r);
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
                        @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text),
                        @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text),
                        @extschema@.delist_dishonest(bigint, text, date),
                        @extschema@.uncovered_subjects(bigint, date),
                        @extschema@.grant_public_reader(regrole), @extschema@.revoke_public_reader(regrole),
                        @extschema@.grant_department_officer(regrole, bigint[]),
                        @extschema@.revoke_department_officer(regrole, bigint[]),
                        @extschema@.grant_admin(regrole), @extschema@.revoke_admin(regrole),
                        @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date),
                        @extschema@.clue_task(bigint, text, date, date, bigint[]), @extschema@.close_clue(bigint, text, date),
                        @extschema@.transfer_case(bigint, text, bigint, bigint, date),
                        @extschema@.accept_transfer(bigint, date) TO %s', r);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.apply_access(regrole) IS
    'internal: revokes every privilege the role holds in this schema and grants again what its rows in access_role and officer_department give it';

CREATE OR REPLACE FUNCTION @extschema@.public_view_names() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT pg_catalog.format('%I.%I', '@extschema@', c.relname) FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
                    AND c.relkind OPERATOR(pg_catalog.=) 'v'
                    AND c.relname OPERATOR(pg_catalog.=) ANY ('{public_plans,public_tasks,public_targets,public_results,public_disposals,public_dishonesty_list}')
                  ORDER BY c.relname);
COMMENT ON FUNCTION @extschema@.public_view_names() IS
    'the public views of the disclosure site (public_plans, public_tasks, public_targets, public_results, public_disposals, public_dishonesty_list), schema-qualified';

-- ---- the audit trail: scenarios under their lead department, transfers and their acceptance, listings and removals ----
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
    WHEN 'inspection_item', 'notice_service' THEN
        -- the object is the inspection; an item's result is a result, a notice served is serve_notice
        oid_ := (cur ->> 'inspection_id')::bigint;
        SELECT i.department_id INTO dept FROM @extschema@.inspection i WHERE i.id = oid_;
        IF TG_OP <> 'DELETE' THEN
            act := CASE TG_TABLE_NAME WHEN 'inspection_item' THEN 'result' ELSE 'serve_notice' END;
        END IF;
    WHEN 'joint_scenario' THEN
        dept := (cur ->> 'lead_department_id')::bigint;
    WHEN 'joint_scenario_item' THEN
        -- the object is the scenario, kept by its lead department
        oid_ := (cur ->> 'scenario_id')::bigint;
        SELECT s.lead_department_id INTO dept FROM @extschema@.joint_scenario s WHERE s.id = oid_;
    WHEN 'case_transfer' THEN
        -- the sending department hands a case on (transfer); the receiving one accepts it
        dept := (cur ->> 'from_department_id')::bigint;
        IF TG_OP = 'INSERT' THEN
            act := 'transfer';
        ELSIF TG_OP = 'UPDATE' AND det ? 'accepted_on' AND new_row ->> 'accepted_on' IS NOT NULL THEN
            act := 'accept_transfer';
            dept := (cur ->> 'to_department_id')::bigint;
        END IF;
    WHEN 'dishonesty_entry' THEN
        -- a listing (列入) and its removal (移出)
        IF TG_OP = 'INSERT' THEN
            act := 'list';
        ELSIF TG_OP = 'UPDATE' AND det ? 'removed_on' AND new_row ->> 'removed_on' IS NOT NULL THEN
            act := 'delist';
        END IF;
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
COMMENT ON FUNCTION @extschema@.audit_row() IS
    'trigger: writes one audit_log entry per changed row (create, update with the changed columns, delete, and the domain acts approve, result, serve_notice, transfer, accept_transfer, list, delist, publish, draw, cancel_draw, direct_assign, override; the department is the row''s, its task''s or inspection''s, a scenario''s lead, a transfer''s sender or, for its acceptance, its receiver); SECURITY DEFINER so writers need no access to audit_log';

-- ---- the public views decide what of a task they show in one function, task_public ----
CREATE FUNCTION @extschema@.task_public(task_confidential text, plan_confidential text,
                                       surprise boolean, period_end date) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN task_confidential IS DISTINCT FROM 'state_secret'
       AND plan_confidential IS DISTINCT FROM 'state_secret'
       AND NOT (surprise AND period_end >= CURRENT_DATE);
COMMENT ON FUNCTION @extschema@.task_public(text, text, boolean, date) IS
    'internal: whether the public views may show a task (its list, results, disposals): neither it nor its plan is a state secret (国家秘密), and it is not a surprise check (突击检查) whose period has not ended; used by public_tasks, public_targets, public_results and public_disposals';
CREATE OR REPLACE VIEW @extschema@.public_tasks WITH (security_barrier) AS
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
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
CREATE OR REPLACE VIEW @extschema@.public_results WITH (security_barrier) AS
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
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
CREATE OR REPLACE VIEW @extschema@.public_targets WITH (security_barrier) AS
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
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
CREATE OR REPLACE VIEW @extschema@.public_disposals WITH (security_barrier) AS
SELECT x.id                                                 AS disposal_id,
       i.id                                                 AS result_id,
       i.uscc::text                                         AS uscc,
       CASE WHEN i.confidential IS NULL THEN s.name END    AS subject_name,
       i.task_id,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS task_title,
       i.department_id,
       d.name                                               AS department_name,
       x.kind,
       CASE x.kind WHEN 'order' THEN '责令' WHEN 'compulsion' THEN '行政强制' WHEN 'penalty' THEN '行政处罚' END AS kind_name,
       x.decided_on,
       pub.published_on,
       i.confidential                                       AS withheld
  FROM @extschema@.disposal x
  JOIN @extschema@.inspection i ON i.id = x.inspection_id
  JOIN @extschema@.task t ON t.id = i.task_id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  JOIN @extschema@.subject s ON s.uscc = i.uscc
  JOIN @extschema@.department d ON d.id = i.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'disposal' AND pub.object_id = x.id
 WHERE pub.published_on <= CURRENT_DATE
   AND i.confidential IS DISTINCT FROM 'state_secret'
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);

-- ---- a subject's record shows its case transfers; its checks' disclosure by task_public ----
CREATE INDEX case_transfer_uscc_idx ON @extschema@.case_transfer (uscc);   -- a subject's record (v_subject_record)
CREATE OR REPLACE VIEW @extschema@.v_subject_record WITH (security_barrier) AS
SELECT r.uscc, r.kind, r.object_id, r.department_id, r.on_date, r.summary
  FROM (
    SELECT i.uscc, 'check'::text AS kind, 1 AS kind_order, i.id AS object_id, i.department_id,
           i.inspected_on AS on_date,
           'task ' || t.id || CASE WHEN t.confidential IS NULL THEN ': ' || t.title ELSE '' END AS summary,
           i.confidential IS DISTINCT FROM 'state_secret'
             AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end) AS open
      FROM @extschema@.inspection i
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
     WHERE i.inspected_on IS NOT NULL
    UNION ALL
    SELECT i.uscc, 'result', 2, i.id, i.department_id, i.result_on,
           i.result_code || ' ' || rc.name_zh || ' (task ' || t.id || ')',
           i.confidential IS DISTINCT FROM 'state_secret'
             AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end)
      FROM @extschema@.inspection i
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
      JOIN @extschema@.result_code rc ON rc.code = i.result_code
    UNION ALL
    SELECT i.uscc, 'disposal', 3, x.id, i.department_id, x.decided_on,
           x.kind || coalesce(' ' || x.document_no, '') || ' (inspection ' || i.id || ')',
           i.confidential IS DISTINCT FROM 'state_secret'
             AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end)
      FROM @extschema@.inspection i
      JOIN @extschema@.disposal x ON x.inspection_id = i.id
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
    UNION ALL
    SELECT e.uscc, 'listing', 4, e.id, e.department_id, e.listed_on, e.reason,
           e.confidential IS NULL OR e.confidential <> 'state_secret'
      FROM @extschema@.dishonesty_entry e
    UNION ALL
    SELECT e.uscc, 'delisting', 5, e.id, e.department_id, e.removed_on, e.removal_reason,
           e.confidential IS NULL OR e.confidential <> 'state_secret'
      FROM @extschema@.dishonesty_entry e
     WHERE e.removed_on IS NOT NULL
    UNION ALL
    -- a case handed to another department (移送), from an inspection or a clue: open unless its
    -- inspection is not (a state secret, a surprise check that has not ended)
    SELECT c.uscc, 'transfer', 6, c.id, c.from_department_id, c.transferred_on,
           'to department ' || c.to_department_id || ': ' || c.reason,
           c.inspection_id IS NULL
             OR (i.confidential IS DISTINCT FROM 'state_secret'
                 AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end))
      FROM @extschema@.case_transfer c
      LEFT JOIN @extschema@.inspection i ON i.id = c.inspection_id
      LEFT JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  ) r
 WHERE r.open
    OR r.department_id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
    OR (SELECT @extschema@.acting_with_all_rights())
 ORDER BY r.uscc, r.on_date, r.kind_order, r.object_id;
COMMENT ON VIEW @extschema@.v_subject_record IS
    'a subject''s credit record (信用记录归集): every check (inspected_on), result, disposal, listing, removal and case transfer (移送) about it from all departments, in date order; query it for one code (an index lookup per kind). For officers and admins; it reads with the owner''s rights: an officer sees every department''s entries except those under a state secret and checks of a surprise task that has not ended, which only their own department (and admins) see';
COMMENT ON COLUMN @extschema@.v_subject_record.kind IS 'check (inspection.id), result (inspection.id), disposal (disposal.id), listing or delisting (dishonesty_entry.id), transfer (case_transfer.id)';
COMMENT ON COLUMN @extschema@.v_subject_record.department_id IS 'the department that checked, decided, listed or handed the case on';
COMMENT ON COLUMN @extschema@.v_subject_record.summary IS 'a short description: the task (its title unless withheld), the result code and name, the disposal kind and document number, the listing or removal reason, the receiving department and reason of a transfer';

-- ---- one test of whether the acting role may act for a department: acts_for_department ----
CREATE FUNCTION @extschema@.acts_for_department(department_id bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN @extschema@.acting_with_all_rights() OR department_id = ANY (@extschema@.acting_department_ids());
COMMENT ON FUNCTION @extschema@.acts_for_department(bigint) IS
    'internal: true when the acting role has all rights (acting_with_all_rights) or is an officer of the department (acting_department_ids); asked by record_clue, clue_task, close_clue, transfer_case, accept_transfer, record_item_result, record_notice_served and scenario_task';

-- ---- require_department_access, inspection_for_act and scenario_task ask acts_for_department ----
CREATE OR REPLACE FUNCTION @extschema@.require_department_access(department_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@.acts_for_department(require_department_access.department_id) THEN
        RAISE EXCEPTION 'permission denied to % for department %', act, department_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %s is not an officer of department %s.', @extschema@.acting_role(), department_id),
                  HINT = 'Clues and case transfers are handled by officers of the department concerned (@extschema@.grant_department_officer) or an admin.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_department_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> for department <id>") unless the acting role is a superuser, a member of the extension owner''s role, an admin or an officer of the department; called by record_clue, clue_task, close_clue, transfer_case and accept_transfer';

CREATE OR REPLACE FUNCTION @extschema@.inspection_for_act(inspection_id bigint, act text) RETURNS @extschema@.inspection
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   @extschema@.inspection;
BEGIN
    IF inspection_for_act.inspection_id IS NULL THEN
        RAISE EXCEPTION 'inspection_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT x.* INTO i FROM @extschema@.inspection x WHERE x.id = inspection_for_act.inspection_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'inspection % does not exist', inspection_for_act.inspection_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF act IS NOT NULL AND NOT @extschema@.acts_for_department(i.department_id) THEN
        RAISE EXCEPTION 'permission denied to % of inspection %', act, i.id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Inspection %s is the check of department %s (%s); the department that checked acts on it (谁检查谁负责).',
                                             i.id, i.department_id,
                                             (SELECT d.name FROM @extschema@.department d WHERE d.id = i.department_id)),
                  HINT = 'An officer of that department, or an admin, does it.';
    END IF;
    RETURN i;
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_for_act(bigint, text) IS
    'internal: the inspection as the caller reads it; 22004 for NULL, 22023 when it does not exist or cannot be seen, and with act given 42501 unless the acting role is an officer of its department or has all rights';

CREATE OR REPLACE FUNCTION @extschema@.scenario_task(scenario_id bigint, title text, period_start date, period_end date,
        plan_id bigint DEFAULT NULL, kind text DEFAULT NULL, sample_ratio numeric DEFAULT NULL,
        sample_size integer DEFAULT NULL, directory_id bigint DEFAULT NULL,
        inspectors_per_target integer DEFAULT 2, inspector_scope text DEFAULT 'own')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    s       record;
    bad     record;
    p       record;
    new_id  bigint;
BEGIN
    IF scenario_id IS NULL OR title IS NULL OR period_start IS NULL OR period_end IS NULL THEN
        RAISE EXCEPTION '% must not be NULL',
                CASE WHEN scenario_id IS NULL THEN 'scenario_id' WHEN title IS NULL THEN 'title'
                     WHEN period_start IS NULL THEN 'period_start' ELSE 'period_end' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- FOR SHARE: the scenario is not changed or removed while its task is made
    SELECT x.id, x.name, x.lead_department_id, dp.name AS lead_name INTO s
      FROM @extschema@.joint_scenario x JOIN @extschema@.department dp ON dp.id = x.lead_department_id
     WHERE x.id = scenario_task.scenario_id FOR SHARE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'joint scenario % does not exist', scenario_id USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT @extschema@.acts_for_department(s.lead_department_id) THEN
        RAISE EXCEPTION 'permission denied to make a task of joint scenario %', scenario_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('The scenario "%s" is led by department %s (%s).', s.name, s.lead_department_id, s.lead_name),
                  HINT = 'A scenario''s joint task is initiated by its lead department (牵头单位): an officer of that department (@extschema@.grant_department_officer) or an admin.';
    END IF;

    SELECT ci.id, ci.code, ci.department_id INTO bad
      FROM @extschema@.joint_scenario_item si JOIN @extschema@.check_item ci ON ci.id = si.item_id
     WHERE si.scenario_id = s.id AND NOT ci.active ORDER BY ci.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'item % (%) of joint scenario % is not active', bad.id, bad.code, s.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Remove it from the scenario (joint_scenario_item), or make it active again.';
    END IF;
    SELECT count(*) AS items, count(DISTINCT ci.department_id) AS departments,
           pg_catalog.string_agg(DISTINCT ci.department_id::text, ', ') AS department_ids INTO bad
      FROM @extschema@.joint_scenario_item si JOIN @extschema@.check_item ci ON ci.id = si.item_id
     WHERE si.scenario_id = s.id;
    IF bad.items = 0 THEN
        RAISE EXCEPTION 'joint scenario % has no items', s.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A joint-check scenario lists the items of its lead and partner departments (协同单位) in joint_scenario_item.';
    ELSIF bad.departments < 2 THEN
        RAISE EXCEPTION 'joint scenario % has items of only one department', s.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its %s items are of department %s.', bad.items, bad.department_ids),
                  HINT = 'A joint-check scenario lists the items of its lead and partner departments (协同单位) in joint_scenario_item.';
    END IF;

    IF plan_id IS NOT NULL THEN
        SELECT x.id, x.department_id INTO p FROM @extschema@.plan x WHERE x.id = scenario_task.plan_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'plan % does not exist', plan_id USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF p.department_id <> s.lead_department_id THEN
            RAISE EXCEPTION 'plan % is department %''s, not the lead department %''s', plan_id, p.department_id, s.lead_department_id
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A scenario''s joint task goes into a plan of its lead department.';
        END IF;
    END IF;

    -- the task's own constraints and triggers check the rest (period, kind, sampling, scope)
    INSERT INTO @extschema@.task (plan_id, department_id, kind, title, period_start, period_end, sample_ratio,
                                sample_size, directory_id, inspectors_per_target, inspector_scope)
    VALUES (scenario_task.plan_id, s.lead_department_id,
            coalesce(scenario_task.kind, CASE WHEN scenario_task.plan_id IS NULL THEN 'special' ELSE 'planned' END),
            scenario_task.title, scenario_task.period_start, scenario_task.period_end, scenario_task.sample_ratio,
            scenario_task.sample_size, scenario_task.directory_id, scenario_task.inspectors_per_target,
            scenario_task.inspector_scope)
    RETURNING id INTO new_id;
    INSERT INTO @extschema@.task_item (task_id, item_id)
    SELECT new_id, si.item_id FROM @extschema@.joint_scenario_item si
     WHERE si.scenario_id = s.id ORDER BY si.item_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) IS
    'makes the joint task (联合抽查任务) of a joint-check scenario and returns its id: initiated by the scenario''s lead department (牵头单位), with every item of the scenario (the lead''s and the partners''), the given period, plan (the lead''s), kind (default planned with a plan, else special), sampling, directory, inspectors_per_target and inspector_scope; approve it (task.approved_on), then draw it as any task. Only an officer of the lead department or an admin may call it (42501). Refuses NULLs (22004), an unknown scenario (42704), a scenario with an inactive item, without items or with the items of one department only (55000), another department''s plan (22023); the task''s constraints check the period, kind, sampling and scope';

-- Messages in the language of lc_messages: the SQL pieces' catalog lookup.
CREATE FUNCTION @extschema@.message_text(msgid text) RETURNS text
    AS 'MODULE_PATHNAME', 'message_text_fn' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.message_text(text) IS
    'internal: a message of the extension (its English format string) in the language of lc_messages, from the extension''s message catalog (text domain supervise-NN); itself when the catalog has no translation';

-- ---- shipped_row_guard, task_check_plan, load_subjects, load_calendar, set_calendar_day, publication_rule_for, draw_record_guard, draw_kept_guard, task_frozen_by_draw, subject_drawn_code_guard, stratum_k, relation_population, draw, cancel_draw, draw_population, verify_draw, match_inspectors, assign_inspector, limit_lock, exclusion_reason, eligibility_parts, eligible_population, limits_explain_conflict, limits_check_drawn, limits_check_inspection, publication_source, publication_upsert, mark_published, publication_published_guard, task_check_filing as merged from the pieces above ----
CREATE OR REPLACE FUNCTION @extschema@.shipped_row_guard() RETURNS trigger
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
            -- (the hint of each shipped table's trigger in the language of lc_messages)
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('cannot delete shipped row "%s" of %s.%s'), to_jsonb(OLD) ->> key_column, TG_TABLE_SCHEMA, TG_TABLE_NAME),
                ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Rows installed with the extension can be corrected, not deleted (a restore would bring them back).')),
                HINT    = CASE TG_ARGV[1]
                          WHEN 'Rename it instead (name_zh, name_en).'
                          THEN pg_catalog.format(@extschema@.message_text('Rename it instead (name_zh, name_en).'))
                          WHEN 'Reload the year with @extschema@.load_calendar(year, days, replace => true).'
                          THEN pg_catalog.format(@extschema@.message_text('Reload the year with @extschema@.load_calendar(year, days, replace => true).'))
                          WHEN 'Correct a day with @extschema@.set_calendar_day(day, kind), or reload a year with @extschema@.load_calendar(year, days, replace => true).'
                          THEN pg_catalog.format(@extschema@.message_text('Correct a day with @extschema@.set_calendar_day(day, kind), or reload a year with @extschema@.load_calendar(year, days, replace => true).'))
                          WHEN 'Change its amount or unit instead.'
                          THEN pg_catalog.format(@extschema@.message_text('Change its amount or unit instead.'))
                          WHEN 'Set its notice_days to 0 to switch the rule off.'
                          THEN pg_catalog.format(@extschema@.message_text('Set its notice_days to 0 to switch the rule off.'))
                          ELSE TG_ARGV[1] END;
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

CREATE OR REPLACE FUNCTION @extschema@.task_check_plan() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    -- (a period outside 2000 to 2200 is refused by the check constraint, which says so)
    IF NEW.plan_id IS NULL OR NEW.period_start NOT BETWEEN DATE '2000-01-01' AND DATE '2200-12-31' THEN
        RETURN NEW;
    END IF;
    SELECT year, department_id INTO p FROM @extschema@.plan WHERE id = NEW.plan_id;
    IF FOUND AND p.year IS DISTINCT FROM extract(year FROM NEW.period_start)::integer THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task period %s to %s is outside the year %s of plan %s'), to_char(NEW.period_start, 'YYYY-MM-DD'), to_char(NEW.period_end, 'YYYY-MM-DD'), p.year, NEW.plan_id),
            ERRCODE = 'check_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('Put the task in a plan of its own year.'));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.task_check_plan() IS 'trigger: a task of a plan lies within the plan''s year';

CREATE OR REPLACE FUNCTION @extschema@.load_subjects(
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

CREATE OR REPLACE FUNCTION @extschema@.load_calendar(year integer, days jsonb, source text DEFAULT NULL,
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
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('year, days and replace must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF y NOT BETWEEN 1900 AND 9999 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('calendar year %s is out of range'), y),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Years run from 1900 to 9999.'));
    END IF;
    IF jsonb_typeof(days) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('days must be a JSON array, not %s'), jsonb_typeof(days)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Pass [{"day": "2027-01-01", "kind": "off", "holiday": "元旦"}, ...].'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.calendar_year cy WHERE cy.year OPERATOR(pg_catalog.=) y)
       AND NOT replace THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('holiday calendar for year %s is already loaded'), y),
            ERRCODE = 'unique_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('Pass replace => true to replace the whole year, or correct one day with @extschema@.set_calendar_day(day, kind).'));
    END IF;

    -- validate everything before changing anything
    FOR e IN SELECT value FROM jsonb_array_elements(days) LOOP
        i := i + 1;
        IF jsonb_typeof(e) IS DISTINCT FROM 'object' OR NOT e ? 'day' OR NOT e ? 'kind' THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('element %s of days is not an object with "day" and "kind": %s'), i, e),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        d := (e->>'day')::date;
        k := e->>'kind';
        IF NOT isfinite(d) OR extract(year FROM d)::integer IS DISTINCT FROM y THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('day %s is not in year %s'), d, y),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        IF k IS NULL OR k NOT IN ('off', 'work') THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('invalid calendar day kind "%s" for %s'), @extschema@.message_value(k), d),
                ERRCODE = 'invalid_parameter_value',
                HINT    = pg_catalog.format(@extschema@.message_text('A day is "off" (a holiday) or "work" (a weekend day made a working day, 调休).'));
        END IF;
        IF d = ANY (seen) THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('day %s appears twice in days'), d),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        seen := seen || d;
    END LOOP;
    IF i = 0 THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('no exception days given for year %s: every day will follow Monday-Friday'), y);
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

CREATE OR REPLACE FUNCTION @extschema@.set_calendar_day(day date, kind text, holiday text DEFAULT NULL,
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
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('day and kind must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(d) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('working days are not defined for date "%s"'), d),
            ERRCODE = 'datetime_field_overflow';
    END IF;
    IF set_calendar_day.kind NOT IN ('off', 'work') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('invalid calendar day kind "%s"'), @extschema@.message_value(set_calendar_day.kind)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A day is "off" (a holiday) or "work" (a working day).'));
    END IF;
    y := extract(year FROM d)::integer;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.calendar_year cy WHERE cy.year OPERATOR(pg_catalog.=) y) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('holiday calendar for year %s is not loaded'), y),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Load the %s holiday notice with @extschema@.load_calendar(%s, ...) first.'), y, y);
    END IF;
    INSERT INTO @extschema@.calendar_day AS cd (day, kind, holiday, source, shipped)
        VALUES (d, set_calendar_day.kind, set_calendar_day.holiday, set_calendar_day.source, false)
        ON CONFLICT ON CONSTRAINT calendar_day_pkey DO UPDATE
       SET kind = excluded.kind, holiday = excluded.holiday, source = excluded.source;
END
$$;
COMMENT ON FUNCTION @extschema@.set_calendar_day(date, text, text, text) IS
    'corrects one day of a loaded year: kind off (holiday) or work; the plain Monday-Friday status can be restored by setting it explicitly';

CREATE OR REPLACE FUNCTION @extschema@.publication_rule_for(event text) RETURNS @extschema@.publication_rule
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule;
BEGIN
    SELECT * INTO r FROM @extschema@.publication_rule pr WHERE pr.event OPERATOR(pg_catalog.=) publication_rule_for.event;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown publication event "%s"'), @extschema@.message_value(publication_rule_for.event)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Known events: %s.'),
                                        (SELECT string_agg(pr.event, ', ' ORDER BY pr.event) FROM @extschema@.publication_rule pr)),
            HINT    = pg_catalog.format(@extschema@.message_text('Add a row to @extschema@.publication_rule for a new event.'));
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_rule_for(text) IS
    'the publication_rule row of an event; error listing the known events when there is none';

CREATE OR REPLACE FUNCTION @extschema@.draw_record_guard() RETURNS trigger
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

CREATE OR REPLACE FUNCTION @extschema@.draw_kept_guard() RETURNS trigger
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

CREATE OR REPLACE FUNCTION @extschema@.task_frozen_by_draw() RETURNS trigger
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

CREATE OR REPLACE FUNCTION @extschema@.subject_drawn_code_guard() RETURNS trigger
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

CREATE OR REPLACE FUNCTION @extschema@.stratum_k(n bigint, ratio numeric, size integer) RETURNS integer
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

CREATE OR REPLACE FUNCTION @extschema@.relation_population(task_id bigint, population regclass, stratified boolean, weighted boolean)
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
    EXECUTE pg_catalog.format('SELECT @extschema@.population_agg(p.uscc, %s, %s, $1) FROM %I.%I p',
                              CASE WHEN stratified THEN 'p.credit_class' ELSE $q$'all'::text$q$ END,
                              CASE WHEN weighted THEN 'p.weight' ELSE 'NULL::double precision' END,
                              rel.nspname, rel.relname)
       INTO pop USING excl;
    RETURN coalesce(pop, @extschema@.population_agg_final(NULL));
END
$$;
COMMENT ON FUNCTION @extschema@.relation_population(bigint, regclass, boolean, boolean) IS
    'internal: the compact population of a draw over a relation: its rows (uscc, credit_class or "all", weight or none) by population_agg, less the codes the limits exclude for the task (eligibility_parts) and those of subjects that are not active, after checking the columns and that the acting role may read them. Refuses a task with a directory, and (unless the acting role is a superuser) a relation under row-level security, a security_invoker view and a foreign table';

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea, population regclass, algorithm text DEFAULT 'sha256-v1')
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
        pop := @extschema@.relation_population(draw.task_id, population, has_strata, weighted);
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

    sel := @extschema@.draw_select(pop, seed, algorithm, strata, ks);

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
    'draws the targets of an approved task as draw(task_id, seed) does, from the rows of a relation (uscc @extschema@.uscc, credit_class text, weight double precision for sha256-v1-weighted) instead of the task''s directory, less the codes the limits exclude and subjects not active; the same record, verify_draw, publication and matching. The relation may be a Citus distributed table: population_agg then runs on its workers (doc/scale.md). The acting role must be able to read the columns. NULL population: the task''s directory, as draw(task_id, seed)';

CREATE OR REPLACE FUNCTION @extschema@.cancel_draw(draw_id bigint, reason text) RETURNS void
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

CREATE OR REPLACE FUNCTION @extschema@.draw_population(draw_id bigint)
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

CREATE OR REPLACE FUNCTION @extschema@.verify_draw(draw_id bigint) RETURNS boolean
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

CREATE OR REPLACE FUNCTION @extschema@.match_inspectors(draw_id bigint) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d       record;
    dep     record;
    n       integer := 0;
    pool    bigint[];
    ids     bigint[];
    certified boolean[];
    until   date[];
    codes   @extschema@.uscc[];
    inspectors bigint[];
BEGIN
    SELECT r.id, r.seed, r.cancelled_at, t.id AS task_id, t.inspectors_per_target, t.period_start, t.inspector_scope INTO d
      FROM @extschema@.draw_record r JOIN @extschema@.task t ON t.id = r.task_id
     WHERE r.id = match_inspectors.draw_id
       FOR UPDATE OF r;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_task_access(d.task_id, 'match inspectors for');
    IF d.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is cancelled'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Match the inspectors of the task''s live draw.'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.assignment a WHERE a.draw_id = match_inspectors.draw_id AND NOT a.direct) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspectors of draw %s are already matched'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Matching is done once per draw. Assign an inspector by hand, with a reason, with @extschema@.assign_inspector(draw_id, uscc, inspector_id, reason).'));
    END IF;

    -- lowest level first: with scope subordinate a department's own items take its own
    -- inspectors before a superior department of the task draws on them
    FOR dep IN
        SELECT DISTINCT dp.id, dp.code, dp.name, dp.level, dp.allow_uncertified_second
          FROM @extschema@.task_item ti
          JOIN @extschema@.check_item ci ON ci.id = ti.item_id
          JOIN @extschema@.department dp ON dp.id = ci.department_id
         WHERE ti.task_id = d.task_id
         ORDER BY dp.level DESC, dp.id
    LOOP
        -- whose inspectors: the department's, and with scope subordinate its subordinates' (本级或下级)
        pool := ARRAY(SELECT x.id FROM @extschema@.department x
                       WHERE x.id = dep.id
                          OR (d.inspector_scope = 'subordinate' AND @extschema@.is_superior(dep.id, x.id))
                       ORDER BY x.id);
        -- every active one of them; the core decides by the certificate who may be matched
        SELECT coalesce(pg_catalog.array_agg(i.id ORDER BY i.id), '{}'),
               coalesce(pg_catalog.array_agg(i.badge_no IS NOT NULL ORDER BY i.id), '{}'),
               coalesce(pg_catalog.array_agg(i.qualified_until ORDER BY i.id), '{}')
          INTO ids, certified, until
          FROM @extschema@.inspector i WHERE i.department_id = ANY (pool) AND i.active;
        -- the matches, in bulk (with the foreign keys' checks and the audit entry once for all).
        -- Not to be matched to a target: an inspector with a conflict, and (scope subordinate)
        -- one already on it for another department of the task.
        SELECT coalesce(pg_catalog.array_agg(m.uscc), '{}'), coalesce(pg_catalog.array_agg(m.inspector_id), '{}')
          INTO codes, inspectors
          FROM (SELECT coalesce(pg_catalog.array_agg(x.uscc), '{}') AS uscc, coalesce(pg_catalog.array_agg(x.inspector_id), '{}') AS inspector_id
                  FROM (SELECT c.uscc, c.inspector_id
                          FROM @extschema@.inspector_conflict c
                          JOIN @extschema@.draw_target t ON t.draw_id = match_inspectors.draw_id AND t.uscc = c.uscc
                         WHERE c.inspector_id = ANY (ids)
                        UNION ALL
                        SELECT a.uscc, a.inspector_id FROM @extschema@.assignment a
                         WHERE d.inspector_scope = 'subordinate' AND a.draw_id = match_inspectors.draw_id
                           AND a.department_id <> dep.id AND a.inspector_id = ANY (ids)) x) excl,
               @extschema@.match_compute(
                 d.seed,
                 (SELECT coalesce(pg_catalog.array_agg(t.uscc), '{}') FROM @extschema@.draw_target t
                   WHERE t.draw_id = match_inspectors.draw_id),
                 ids, certified, until, d.period_start, dep.allow_uncertified_second,
                 excl.uscc, excl.inspector_id,
                 (SELECT coalesce(pg_catalog.array_agg(a.uscc), '{}') FROM @extschema@.assignment a
                   WHERE a.draw_id = match_inspectors.draw_id AND a.department_id = dep.id),
                 (SELECT coalesce(pg_catalog.array_agg(a.inspector_id), '{}') FROM @extschema@.assignment a
                   WHERE a.draw_id = match_inspectors.draw_id AND a.department_id = dep.id),
                 d.inspectors_per_target,
                 pg_catalog.format('%s (%s)', dep.code, dep.name)) m;
        n := n + @extschema@.assignments_insert(match_inspectors.draw_id, dep.id, codes, inspectors);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.match_inspectors(bigint) IS
    'matches inspectors to the targets of a live draw: per department of the task''s items, inspectors_per_target active inspectors of that department (task.inspector_scope subordinate: of it and its subordinate departments) per target, never one with a conflict (inspector_conflict), never one whose enforcement certificate has lapsed on the task''s first day, staff without a certificate only beside a certified inspector where the department allows it (match_role), least-loaded first with ties broken reproducibly by the draw''s seed; hand-made assignments made before count. Returns the number of assignments made. Done once per draw: a second call is refused';

CREATE OR REPLACE FUNCTION @extschema@.assign_inspector(draw_id bigint, uscc @extschema@.uscc, inspector_id bigint, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d   record;
    i   record;
    dep record;
    role text;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a direct assignment needs a reason')),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Say why the inspector is assigned by hand (特殊情况); the reason is kept.'));
    END IF;
    -- FOR UPDATE, as match_inspectors: a match in progress finishes first, and its rows are seen below
    SELECT r.id, r.task_id, r.cancelled_at, t.period_start, t.inspector_scope, t.inspectors_per_target INTO d
      FROM @extschema@.draw_record r JOIN @extschema@.task t ON t.id = r.task_id
     WHERE r.id = assign_inspector.draw_id FOR UPDATE OF r;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_task_access(d.task_id, 'assign inspectors for');
    IF d.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is cancelled'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.draw_target t WHERE t.draw_id = assign_inspector.draw_id AND t.uscc = assign_inspector.uscc) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('%s is not a target of draw %s'), uscc, draw_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT x.id, x.department_id, x.active, x.badge_no IS NOT NULL AS certified, x.qualified_until INTO i
      FROM @extschema@.inspector x WHERE x.id = assign_inspector.inspector_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s does not exist'), inspector_id),
            ERRCODE = 'undefined_object';
    END IF;
    IF NOT i.active THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s is not active'), inspector_id),
            ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- the department the inspector goes for: its own when it has items in the task, else (scope
    -- subordinate) the nearest superior department that has
    SELECT dp.id, dp.allow_uncertified_second INTO dep
      FROM @extschema@.department dp
     WHERE EXISTS (SELECT 1 FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id = ti.item_id
                    WHERE ti.task_id = d.task_id AND ci.department_id = dp.id)
       AND (dp.id = i.department_id
            OR (d.inspector_scope = 'subordinate' AND @extschema@.is_superior(dp.id, i.department_id)))
     ORDER BY dp.id = i.department_id DESC, dp.level DESC, dp.id
     LIMIT 1;
    IF NOT FOUND AND d.inspector_scope = 'own' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s belongs to department %s, which has no items in task %s'), inspector_id, i.department_id, d.task_id),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Inspectors of subordinate departments are sent only to a task with inspector_scope = ''subordinate''.'));
    ELSIF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s belongs to department %s, which has no items in task %s and is subordinate to no department that has'), inspector_id, i.department_id, d.task_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    role := @extschema@.match_role(i.certified, i.qualified_until, d.period_start, dep.allow_uncertified_second);
    IF role = 'none' AND i.certified THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the enforcement certificate of inspector %s lapsed on %s, before task %s starts on %s'), inspector_id, (i.qualified_until + 1)::text, d.task_id, d.period_start::text),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Record the renewed certificate in inspector.qualified_until, or assign another inspector.'));
    ELSIF role = 'none' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s has no enforcement certificate, and department %s does not send staff without one'), inspector_id, dep.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Staff without a certificate go only beside a certified inspector, where the department allows it (department.allow_uncertified_second).'));
    ELSIF role = 'second'
          AND NOT EXISTS (SELECT 1 FROM @extschema@.assignment a JOIN @extschema@.inspector x ON x.id = a.inspector_id
                           WHERE a.draw_id = assign_inspector.draw_id AND a.uscc = assign_inspector.uscc AND a.department_id = dep.id
                             AND @extschema@.match_role(x.badge_no IS NOT NULL, x.qualified_until, d.period_start, dep.allow_uncertified_second) = 'any')
          AND (SELECT count(*) FROM @extschema@.assignment a
                WHERE a.draw_id = assign_inspector.draw_id AND a.uscc = assign_inspector.uscc AND a.department_id = dep.id) + 1
              >= d.inspectors_per_target THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s has no enforcement certificate and would take the last place of %s without a certified inspector'), inspector_id, uscc),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Assign a certified inspector of the department to the target first.'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.inspector_conflict c WHERE c.inspector_id = assign_inspector.inspector_id AND c.uscc = assign_inspector.uscc) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s has a conflict of interest with %s'), inspector_id, uscc),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('An inspector with a conflict (回避) is never assigned, not even by hand.'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.assignment a WHERE a.draw_id = assign_inspector.draw_id
                  AND a.uscc = assign_inspector.uscc AND a.inspector_id = assign_inspector.inspector_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspector %s is already assigned to %s in draw %s'), inspector_id, uscc, draw_id),
            ERRCODE = 'unique_violation',
            DETAIL  = (SELECT CASE WHEN a.direct THEN pg_catalog.format(@extschema@.message_text('Assigned by hand by %s at %s: %s'), a.assigned_by, a.assigned_at, @extschema@.message_value(a.reason))
                                        ELSE pg_catalog.format(@extschema@.message_text('Matched by match_inspectors (%s at %s).'), a.assigned_by, a.assigned_at) END
                              FROM @extschema@.assignment a WHERE a.draw_id = assign_inspector.draw_id
                               AND a.uscc = assign_inspector.uscc AND a.inspector_id = assign_inspector.inspector_id);
    END IF;
    INSERT INTO @extschema@.assignment (draw_id, uscc, inspector_id, department_id, direct, reason)
    VALUES (assign_inspector.draw_id, assign_inspector.uscc, assign_inspector.inspector_id, dep.id, true, reason);
END
$$;
COMMENT ON FUNCTION @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text) IS
    'assigns an inspector to a target by hand in a special case (直接指定), with the reason kept (direct = true), for the inspector''s department or (task.inspector_scope subordinate) its nearest superior department with items in the task; never an inspector with a conflict, never one whose enforcement certificate has lapsed on the task''s first day, staff without a certificate only where the department allows it and not in a target''s last place without a certified inspector (match_role); made before match_inspectors, it counts toward inspectors_per_target';

CREATE OR REPLACE FUNCTION @extschema@.limit_lock(task_id bigint, subject @extschema@.uscc DEFAULT NULL,
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
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('limits on repeated checks cannot be enforced in a %s transaction'), pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s is limited; the transaction''s snapshot is older than the limit lock, so it could miss a check committed meanwhile.'), limit_lock.task_id),
            HINT    = pg_catalog.format(@extschema@.message_text('Draw, cancel and record inspections in READ COMMITTED transactions (the default).'));
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

CREATE OR REPLACE FUNCTION @extschema@.exclusion_reason(subject @extschema@.uscc, task_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    st text;
    r text;
BEGIN
    PERFORM @extschema@.require_task_visible(exclusion_reason.task_id);
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) exclusion_reason.task_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), exclusion_reason.task_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.status INTO st FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) exclusion_reason.subject;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject "%s" is not in the subject directory'), exclusion_reason.subject),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Load it with @extschema@.load_subjects() first.'));
    END IF;
    IF st OPERATOR(pg_catalog.<>) 'active' THEN
        RETURN 'inactive';
    END IF;
    SELECT c.reason INTO r FROM @extschema@.limit_conflicts_all(exclusion_reason.subject, exclusion_reason.task_id) c LIMIT 1;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) IS
    'limits (doc/limits.md): NULL when the subject may be drawn for the task, else the first reason by precedence: inactive (status not active), same_category_this_year (a recorded check or live draw of another non-clue task with a non-exempt item of one of this task''s non-exempt categories, in the task''s year, by any department), superior_checked_this_year (a department superior to one of this task''s non-exempt item departments checked or drew it this year for any non-exempt item). Clue tasks and tasks whose items are all exempt are only ever excluded as inactive. Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE OR REPLACE FUNCTION @extschema@.eligibility_parts(task_id bigint, OUT candidates text, OUT excluded text)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    dir bigint;
BEGIN
    SELECT t.directory_id INTO dir FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligibility_parts.task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), eligibility_parts.task_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM @extschema@.task_limit_profile(eligibility_parts.task_id);
    candidates := $q$SELECT s.uscc, s.credit_class, s.risk_level::double precision AS weight
  FROM @extschema@.subject s
 WHERE s.status OPERATOR(pg_catalog.=) 'active'$q$;
    IF dir IS NOT NULL THEN
        candidates := candidates || pg_catalog.format($q$
   AND EXISTS (SELECT 1 FROM @extschema@.directory_member m
                WHERE m.directory_id OPERATOR(pg_catalog.=) %s
                  AND m.uscc OPERATOR(@extschema@.=) s.uscc)$q$, dir);
    END IF;
    IF p.limited AND dir IS NULL THEN
        -- every active subject is a candidate: the year's checks of the categories, in one scan
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.v_limited_checks c
 WHERE c.year OPERATOR(pg_catalog.=) %s
   AND c.task_id OPERATOR(pg_catalog.<>) %s
   AND (c.category OPERATOR(pg_catalog.=) ANY (%L::text[])
        OR c.department_id OPERATOR(pg_catalog.=) ANY (%L::bigint[]))$q$,
            p.year, p.task_id, p.categories, p.superiors);
    ELSIF p.limited THEN
        -- the candidates are the directory's members: the same rule for those codes only, found
        -- by the indexes on the code, so the cost follows the directory, not the year's checks
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.v_limited_checks c
 WHERE c.year OPERATOR(pg_catalog.=) %s
   AND c.task_id OPERATOR(pg_catalog.<>) %s
   AND (c.category OPERATOR(pg_catalog.=) ANY (%L::text[])
        OR c.department_id OPERATOR(pg_catalog.=) ANY (%L::bigint[]))
   AND c.uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT m.uscc FROM @extschema@.directory_member m
                                                WHERE m.directory_id OPERATOR(pg_catalog.=) %s))$q$,
            p.year, p.task_id, p.categories, p.superiors, dir);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.eligibility_parts(bigint) IS
    'internal: the eligible population of a task as two queries, with the task''s directory, year, categories and superiors written in: candidates (uscc, credit_class, weight), the active subjects of its directory (all active subjects when it has none), and excluded (uscc), the subjects the limits on repeated checks exclude (the rule of exclusion_reason; of a task with a directory only its members, found by code; NULL when the task is not limited). The one place eligibility is decided: eligibility_query() joins them, draw() hands them to population_collect()';

CREATE OR REPLACE FUNCTION @extschema@.eligible_population(task_id bigint)
RETURNS TABLE (uscc @extschema@.uscc, credit_class text, weight double precision)
    LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_task_visible(eligible_population.task_id);
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligible_population.task_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), eligible_population.task_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a read: no limit lock (those are the writers'; draw() takes them before it reads)
    RETURN QUERY EXECUTE @extschema@.eligibility_query(eligible_population.task_id);
END
$$;
COMMENT ON FUNCTION @extschema@.eligible_population(bigint) IS
    'the draw''s eligible population (uscc, credit_class, weight = risk_level): active subjects of the task''s directory (all active subjects when it has none) that the limits on repeated checks do not exclude (the rule of exclusion_reason, by one anti-join), as of the statement''s snapshot. A read: it takes no lock, so it never holds up draws or inspections (draw() takes the limit locks and reads the population again under them). Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE OR REPLACE FUNCTION @extschema@.limits_explain_conflict(reason text, category text, source text, source_id bigint,
                                                    task_id bigint, department_id bigint, checked_on date) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- in the language of lc_messages; in English the full description is limits_describe_check's
    IF @extschema@.may_see_task(limits_explain_conflict.task_id) THEN
        RETURN (SELECT CASE limits_explain_conflict.source
                       WHEN 'inspection'
                       THEN pg_catalog.format(@extschema@.message_text('inspection %s of task %s "%s", department %s %s (%s), on %s (category "%s")'),
                                              limits_explain_conflict.source_id, t.id, t.title, d.id, d.code, d.name, pg_catalog.to_char(limits_explain_conflict.checked_on, 'YYYY-MM-DD'), limits_explain_conflict.category)
                       WHEN 'draw'
                       THEN pg_catalog.format(@extschema@.message_text('draw %s of task %s "%s", department %s %s (%s), on %s (category "%s")'),
                                              limits_explain_conflict.source_id, t.id, t.title, d.id, d.code, d.name, pg_catalog.to_char(limits_explain_conflict.checked_on, 'YYYY-MM-DD'), limits_explain_conflict.category)
                       ELSE pg_catalog.format(@extschema@.message_text('%s %s of task %s "%s", department %s %s (%s), on %s (category "%s")'),
                                              limits_explain_conflict.source, limits_explain_conflict.source_id, t.id, t.title, d.id, d.code, d.name, pg_catalog.to_char(limits_explain_conflict.checked_on, 'YYYY-MM-DD'), limits_explain_conflict.category) END
                  FROM @extschema@.task t, @extschema@.department d
                 WHERE t.id OPERATOR(pg_catalog.=) limits_explain_conflict.task_id
                   AND d.id OPERATOR(pg_catalog.=) limits_explain_conflict.department_id);
    END IF;
    RETURN CASE WHEN reason OPERATOR(pg_catalog.=) 'superior_checked_this_year'
                THEN pg_catalog.format(@extschema@.message_text('a check by a superior department this year'))
                ELSE pg_catalog.format(@extschema@.message_text('a check of the same kind (category "%s") by another department this year'), category) END;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_explain_conflict(text, text, text, bigint, bigint, bigint, date) IS
    'limits: the earlier check for a refusal''s message, in the language of lc_messages: the full description (as limits_describe_check, with the category) when the acting role may see its task, else only "a check by a superior department this year" or "a check of the same kind (category ...) by another department this year"';

CREATE OR REPLACE FUNCTION @extschema@.limits_check_drawn(draw_id bigint, codes @extschema@.uscc[]) RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    p record;
    c record;
BEGIN
    SELECT dr.task_id INTO t FROM @extschema@.draw_record dr WHERE dr.id OPERATOR(pg_catalog.=) limits_check_drawn.draw_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM @extschema@.limit_lock(t);
    SELECT * INTO p FROM @extschema@.task_limit_profile(t) x WHERE x.limited;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- (the task is a parameter, so the draw's own targets are left out; the codes are found by
    -- the indexes on the code, so the check costs what the draw took, not the year's checks)
    SELECT x.uscc, x.* INTO c
      FROM @extschema@.v_limited_checks x
     WHERE x.uscc OPERATOR(@extschema@.=) ANY (codes)
       AND x.year OPERATOR(pg_catalog.=) p.year
       AND x.task_id OPERATOR(pg_catalog.<>) t
       AND (x.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR x.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     ORDER BY x.uscc, x.checked_on, x.source_id
     LIMIT 1;
    IF FOUND THEN
        IF NOT @extschema@.may_see_task(c.task_id) THEN
            RAISE LOG USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s of task %s takes subject "%s", which the limits on repeated checks exclude: earlier check %s (category "%s")'),
                                            draw_id, t, c.uscc, @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on), c.category);
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s of task %s takes subject "%s", which the limits on repeated checks exclude'), draw_id, t, c.uscc),
            ERRCODE = 'exclusion_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Earlier check: %s.'), @extschema@.limits_explain_conflict(
                               CASE WHEN c.category OPERATOR(pg_catalog.=) ANY (p.categories) THEN 'same_category_this_year'
                                    ELSE 'superior_checked_this_year' END,
                               c.category, c.source, c.source_id, c.task_id, c.department_id, c.checked_on)),
            HINT    = pg_catalog.format(@extschema@.message_text('Draw from @extschema@.eligible_population(), which leaves such subjects out.'));
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) IS
    'internal: refuses new targets (codes) of a draw that the limits on repeated checks exclude, naming the earlier check; takes the limit locks of the drawn task first. Run by the trigger limits_check_targets and by draw()''s bulk write of its targets';

CREATE OR REPLACE FUNCTION @extschema@.limits_check_inspection() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
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
    SELECT pg_catalog.date_part('year', COALESCE(NEW.inspected_on, t.period_start))::integer INTO y
      FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) NEW.task_id;
    -- the locks first, then (new statements: in READ COMMITTED snapshots taken after the locks)
    -- whether a live draw covers the inspection and the rule: a cancel of that draw in progress
    -- holds the locks, so it is either committed by then (the draw no longer covers it) or waits
    PERFORM @extschema@.limit_lock(NEW.task_id, NEW.uscc, NEW.department_id, ARRAY[y]);
    IF EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                 JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id
                WHERE dr.task_id OPERATOR(pg_catalog.=) NEW.task_id AND dr.cancelled_at IS NULL
                  AND dt.uscc OPERATOR(@extschema@.=) NEW.uscc) THEN
        RETURN NEW;             -- within a draw: the draw applied the rule
    END IF;
    SELECT * INTO c FROM @extschema@.limit_conflicts_all(NEW.uscc, NEW.task_id, y) LIMIT 1;
    IF FOUND THEN
        described := @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on)
                     || ' (category "' || c.category || '")';
        UPDATE @extschema@.limit_override o
           SET overridden_check = c.reason || ': ' || described, used_at = pg_catalog.now()
         WHERE o.task_id OPERATOR(pg_catalog.=) NEW.task_id AND o.uscc OPERATOR(@extschema@.=) NEW.uscc
           AND o.department_id OPERATOR(pg_catalog.=) NEW.department_id;
        IF NOT FOUND THEN
            -- the caller is told only what it may see of the earlier check; the log has all of it
            IF NOT @extschema@.may_see_task(c.task_id) THEN
                RAISE LOG USING
                    MESSAGE = pg_catalog.format(@extschema@.message_text('subject "%s" may not be checked again for task %s by department %s: %s: earlier check %s'),
                                            NEW.uscc, NEW.task_id, NEW.department_id, c.reason, described);
            END IF;
            -- (one message per reason: the reason's code stays in the English text, and a
            -- translation also says what it means)
            RAISE EXCEPTION USING
                MESSAGE = CASE c.reason
                          WHEN 'same_category_this_year'
                          THEN pg_catalog.format(@extschema@.message_text('subject "%s" may not be checked again for task %s: same_category_this_year'), NEW.uscc, NEW.task_id)
                          WHEN 'superior_checked_this_year'
                          THEN pg_catalog.format(@extschema@.message_text('subject "%s" may not be checked again for task %s: superior_checked_this_year'), NEW.uscc, NEW.task_id)
                          ELSE pg_catalog.format(@extschema@.message_text('subject "%s" may not be checked again for task %s: %s'), NEW.uscc, NEW.task_id, c.reason) END,
                ERRCODE = 'exclusion_violation',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Earlier check: %s.'), @extschema@.limits_explain_conflict(c.reason, c.category, c.source,
                                   c.source_id, c.task_id, c.department_id, c.checked_on)),
                HINT    = pg_catalog.format(@extschema@.message_text('If a law provides for a second check, grant an override first: INSERT INTO @extschema@.limit_override (task_id, uscc, department_id, reason) VALUES (%s, %L, %s, ''...'').'),
                                               NEW.task_id, NEW.uscc, NEW.department_id);
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_check_inspection() IS
    'trigger: an inspection recorded outside a live draw of its task that breaks the limits on repeated checks is refused with the earlier check named (as far as the acting role may see it: limits_explain_conflict; the full description goes to the server log), unless a limit_override for its task, subject and department exists, which is then marked used with the overridden check';

CREATE OR REPLACE FUNCTION @extschema@.publication_source(kind text, ids bigint[])
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
    WHEN 'listing' THEN
        RETURN QUERY
        SELECT e.id, e.department_id, NULL::bigint, e.listed_on, e.listed_on
          FROM @extschema@.dishonesty_entry e WHERE e.id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'delisting' THEN
        RETURN QUERY
        SELECT e.id, e.department_id, NULL::bigint, e.removed_on, e.removed_on
          FROM @extschema@.dishonesty_entry e WHERE e.id OPERATOR(pg_catalog.=) ANY (ids);
    ELSE
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown publication kind "%s"'), @extschema@.message_value(kind)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Known kinds: plan, task, target_list, result, disposal, listing, delisting.'));
    END CASE;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_source(text, bigint[]) IS
    'internal: what the publication items of the given objects should be, from plan, task, inspection, disposal, dishonesty_entry (event_on NULL = no item)';

CREATE OR REPLACE FUNCTION @extschema@.publication_upsert(kind text, object_id bigint, department_id bigint, event_on date)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    pid bigint;
BEGIN
    IF kind IS NULL OR object_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('kind and object_id must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind OPERATOR(pg_catalog.<>) 'target_list' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('publication items of kind "%s" are made by triggers'), @extschema@.message_value(kind)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Only target_list items are added by the caller (the draw); plan, task, result and disposal items follow the plan, task, inspection and disposal tables.'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) publication_upsert.object_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), object_id),
            ERRCODE = 'foreign_key_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The object of a target_list item is the task whose targets were drawn.'));
    END IF;
    IF event_on IS NULL THEN
        -- the draw was cancelled: the unpublished list item goes
        DELETE FROM @extschema@.publication p
         WHERE p.kind OPERATOR(pg_catalog.=) 'target_list'
           AND p.object_id OPERATOR(pg_catalog.=) publication_upsert.object_id
           AND p.published_on IS NULL;
    ELSE
        IF department_id IS NULL THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('department_id must not be null')),
                ERRCODE = 'null_value_not_allowed';
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

CREATE OR REPLACE FUNCTION @extschema@.mark_published(kind text, object_id bigint, published_on date) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p @extschema@.publication;
BEGIN
    IF kind IS NULL OR object_id IS NULL OR published_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('kind, object_id and published_on must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('plan', 'task', 'target_list', 'result', 'disposal', 'listing', 'delisting') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown publication kind "%s"'), @extschema@.message_value(kind)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Known kinds: plan, task, target_list, result, disposal, listing, delisting.'));
    END IF;
    SELECT * INTO p FROM @extschema@.publication q
     WHERE q.kind OPERATOR(pg_catalog.=) mark_published.kind
       AND q.object_id OPERATOR(pg_catalog.=) mark_published.object_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('no publication item for %s %s'), kind, object_id),
            ERRCODE = 'undefined_object',
            HINT    = pg_catalog.format(@extschema@.message_text('Items are made when a plan or task is approved, a target list drawn, a result formed, a disposal decided or a subject listed or removed (list_dishonest, delist_dishonest); a temporary task''s item comes with its target list.'));
    END IF;
    IF published_on < p.event_on THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('publication date %s of %s %s is before its event on %s'), published_on, kind, object_id, p.event_on),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = CASE WHEN p.event_on > p.occurred_on
                                THEN pg_catalog.format(@extschema@.message_text('The item belongs to a surprise check (突击检查) ending on %s, or to a temporary task published with its list; nothing is published before then.'), p.event_on)
                                ELSE pg_catalog.format(@extschema@.message_text('The event happened on %s.'), p.occurred_on) END;
    END IF;
    -- (publication_published_guard refuses a date in the future)
    UPDATE @extschema@.publication q SET published_on = mark_published.published_on
     WHERE q.id OPERATOR(pg_catalog.=) p.id;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_published(text, bigint, date) IS
    'records that an item (kind, object id) was published on a date; refuses a date before its event or in the future';

CREATE OR REPLACE FUNCTION @extschema@.publication_published_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NEW.published_on IS NULL AND OLD.published_on IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('%s %s was published on %s and cannot be unpublished'), OLD.kind, OLD.object_id, OLD.published_on),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('A publication that happened stays recorded (全程留痕).')),
            HINT    = pg_catalog.format(@extschema@.message_text('To correct the date, publish it again with @extschema@.mark_published(kind, object_id, published_on).'));
    END IF;
    IF NEW.published_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('publication date %s is in the future'), NEW.published_on),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_published_guard() IS
    'trigger on publication: published_on is never set back to NULL once set, nor to a day after today (the rules of mark_published, for every UPDATE)';

CREATE OR REPLACE FUNCTION @extschema@.task_check_filing() RETURNS trigger
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
        -- (one message per task kind, so that a translation says what the kind means)
        RAISE EXCEPTION USING
            MESSAGE = CASE NEW.kind
                      WHEN 'temporary'
                      THEN pg_catalog.format(@extschema@.message_text('temporary task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      WHEN 'special'
                      THEN pg_catalog.format(@extschema@.message_text('special task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      WHEN 'planned'
                      THEN pg_catalog.format(@extschema@.message_text('planned task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      WHEN 'clue'
                      THEN pg_catalog.format(@extschema@.message_text('clue task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      ELSE pg_catalog.format(@extschema@.message_text('%s task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             NEW.kind, @extschema@.message_value(NEW.title), NEW.period_start - filed, need) END,
            ERRCODE = 'check_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Filed on %s (%s), the period starts on %s.'), filed,
                                  CASE WHEN NEW.filed_on IS NULL THEN 'approved_on' ELSE 'filed_on' END,
                                  NEW.period_start),
            HINT    = pg_catalog.format(@extschema@.message_text('File it by %s, or put the check into a later plan (提前%s日报备, task_filing_rule).'),
                                NEW.period_start - need, need);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.task_check_filing() IS
    'trigger: an unplanned task is filed (filed_on, else approved_on) at least task_filing_rule.notice_days calendar days before period_start';

-- ---- draw_record_refuse_merged, merge_tasks, record_visit_result, generate_sample, sample_subjects, draw_publication, audit_log_refuse, require_task_access, require_task_visible, set_access, require_department_access, record_clue, clue_task, close_clue, transfer_case, accept_transfer, dishonesty_entry_guard, dishonesty_require_department, list_dishonest, delist_dishonest, uncovered_subjects, inspection_bound_to_draw, inspection_item_check, inspection_for_act, record_item_result, notice_service_check, record_notice_served, result_notice, scenario_task as merged from the pieces above ----
CREATE OR REPLACE FUNCTION @extschema@.draw_record_refuse_merged() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    into_id bigint;
BEGIN
    -- FOR SHARE waits for a concurrent merge_tasks() of this task and then sees its outcome
    SELECT t.merged_into INTO into_id FROM @extschema@.task t WHERE t.id = NEW.task_id FOR SHARE;
    IF into_id IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s was merged into task %s and cannot be drawn'),
                                        NEW.task_id, into_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Draw the joint task %s.'), into_id);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.draw_record_refuse_merged() IS
    'trigger: refuses a draw of a task that was merged into a joint task (draw the joint task instead)';

CREATE OR REPLACE FUNCTION @extschema@.merge_tasks(task_ids bigint[], title text DEFAULT NULL) RETURNS bigint
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
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task_ids must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    -- flatten (a multi-dimensional array is read in storage order) and keep the given order
    ids := ARRAY(SELECT x FROM pg_catalog.unnest(task_ids) WITH ORDINALITY u(x, ord) ORDER BY ord);
    IF pg_catalog.array_position(ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task_ids has a NULL at position %s'),
                                        pg_catalog.array_position(ids, NULL)),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.cardinality(ids) < 2 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('merge_tasks needs at least 2 tasks, got %s'),
                                        pg_catalog.cardinality(ids)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A joint task (联合抽查任务) combines the tasks of two or more departments.'));
    END IF;
    SELECT x AS id INTO bad FROM pg_catalog.unnest(ids) WITH ORDINALITY u(x, ord)
     GROUP BY x HAVING count(*) > 1 ORDER BY min(ord) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s is listed more than once'), bad.id),
            ERRCODE = 'invalid_parameter_value';
    END IF;

    -- lock the tasks (in id order, so two merges cannot deadlock); a draw of one of them waits
    PERFORM 1 FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.id FOR UPDATE;

    SELECT x AS id INTO bad FROM pg_catalog.unnest(ids) WITH ORDINALITY u(x, ord)
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = u.x) ORDER BY ord LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), bad.id),
            ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT t.id, t.merged_into INTO bad FROM @extschema@.task t WHERE t.id = ANY (ids) AND t.merged_into IS NOT NULL
     ORDER BY pg_catalog.array_position(ids, t.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s was already merged into task %s'),
                                        bad.id, bad.merged_into),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Merge the joint task %s instead.'), bad.merged_into);
    END IF;

    SELECT d.task_id, d.id AS draw_id INTO bad FROM @extschema@.draw_record d
     WHERE d.task_id = ANY (ids) AND d.cancelled_at IS NULL
     ORDER BY pg_catalog.array_position(ids, d.task_id), d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s has already been drawn (draw %s)'),
                                        bad.task_id, bad.draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Only tasks not yet drawn can be merged; a draw can be cancelled with a reason first.'));
    END IF;

    SELECT a.id AS a_id, b.id AS b_id, a.department_id, dep.name INTO bad
      FROM @extschema@.task a JOIN @extschema@.task b ON b.department_id = a.department_id
      JOIN @extschema@.department dep ON dep.id = a.department_id
     WHERE a.id = ANY (ids) AND b.id = ANY (ids)
       AND pg_catalog.array_position(ids, a.id) < pg_catalog.array_position(ids, b.id)
     ORDER BY pg_catalog.array_position(ids, a.id), pg_catalog.array_position(ids, b.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('tasks %s and %s are both tasks of department %s (%s)'),
                                        bad.a_id, bad.b_id, bad.department_id, bad.name),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('merge_tasks combines the tasks of different departments; put one department''s items into one task.'));
    END IF;

    SELECT * INTO first_task FROM @extschema@.task t WHERE t.id = ids[1];

    SELECT t.id, t.directory_id, dir.name INTO bad FROM @extschema@.task t
      LEFT JOIN @extschema@.directory dir ON dir.id = t.directory_id
     WHERE t.id = ANY (ids) AND t.directory_id IS DISTINCT FROM first_task.directory_id
     ORDER BY pg_catalog.array_position(ids, t.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('tasks %s and %s draw from different directories'),
                                        first_task.id, bad.id),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s draws from %s, task %s from %s.'),
                          first_task.id,
                          coalesce((SELECT pg_catalog.format(@extschema@.message_text('directory %s (%s)'), dir.id, dir.name)
                                      FROM @extschema@.directory dir WHERE dir.id = first_task.directory_id),
                                   @extschema@.message_text('all active subjects')),
                          bad.id,
                          CASE WHEN bad.directory_id IS NULL THEN @extschema@.message_text('all active subjects')
                               ELSE pg_catalog.format(@extschema@.message_text('directory %s (%s)'), bad.directory_id, bad.name) END),
            HINT    = pg_catalog.format(@extschema@.message_text('A joint task draws once from one joint directory (联合监管对象名录): build it and set it on every task.'));
    END IF;

    SELECT max(t.period_start), min(t.period_end) INTO common_start, common_end
      FROM @extschema@.task t WHERE t.id = ANY (ids);
    IF common_start > common_end THEN
        SELECT (SELECT t.id FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.period_start DESC, t.id LIMIT 1) AS late,
               (SELECT t.id FROM @extschema@.task t WHERE t.id = ANY (ids) ORDER BY t.period_end, t.id LIMIT 1) AS early
          INTO bad;
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the periods of tasks %s have no day in common'),
                                        pg_catalog.array_to_string(ids, ', ')),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s starts on %s, after task %s ends on %s.'),
                                        bad.late, common_start, bad.early, common_end),
            HINT    = pg_catalog.format(@extschema@.message_text('A joint task runs in the days all its tasks share.'));
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

CREATE OR REPLACE FUNCTION @extschema@.record_visit_result(visit_id bigint, department_id bigint, result_code text,
                                                result_on date, inspected_on date DEFAULT NULL,
                                                note text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    v           record;
    day         date := coalesce(record_visit_result.inspected_on, record_visit_result.result_on);
    dept_tasks  bigint[];
    stale       record;
    written     integer;
BEGIN
    IF record_visit_result.visit_id IS NULL OR record_visit_result.department_id IS NULL
       OR record_visit_result.result_code IS NULL OR record_visit_result.result_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('visit_id, department_id, result_code and result_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    -- a result is recorded once it is formed: never dated after today
    IF record_visit_result.result_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('result day %s is in the future'),
                                        record_visit_result.result_on),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Today is %s.'), CURRENT_DATE),
            HINT    = pg_catalog.format(@extschema@.message_text('Record a result (检查结果) on or after the day it is formed.'));
    END IF;
    -- FOR SHARE: plan_visits (EXCLUSIVE on visit) cannot remake the visit under us
    SELECT x.id, x.uscc, s.year, s.window_start, s.window_end, s.task_ids, s.draw_ids INTO v
      FROM @extschema@.visit x JOIN @extschema@.visit_task_set s ON s.id = x.task_set_id
     WHERE x.id = record_visit_result.visit_id
       FOR SHARE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('visit %s does not exist'), record_visit_result.visit_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(td.task_id ORDER BY td.task_id) INTO dept_tasks
      FROM @extschema@.task_department td
     WHERE td.task_id = ANY (v.task_ids) AND td.department_id = record_visit_result.department_id;
    IF dept_tasks IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('department %s has no items in visit %s'),
                                        record_visit_result.department_id, v.id),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The departments of visit %s are %s.'), v.id,
                          (SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', d.id, d.name), ', ' ORDER BY d.id)
                             FROM @extschema@.department d
                            WHERE d.id IN (SELECT td.department_id FROM @extschema@.task_department td
                                            WHERE td.task_id = ANY (v.task_ids))));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.result_code rc WHERE rc.code = record_visit_result.result_code) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown result code: "%s"'),
                                        @extschema@.message_value(record_visit_result.result_code)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Use one of: %s.'),
                          (SELECT pg_catalog.string_agg(rc.code, ', ' ORDER BY rc.sort_order, rc.code)
                             FROM @extschema@.result_code rc));
    END IF;
    IF record_visit_result.result_on < day THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('result day %s is before the inspection day %s'),
                                        record_visit_result.result_on, day),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A result (检查结果) is formed on or after the day of the check.'));
    END IF;
    IF day NOT BETWEEN v.window_start AND v.window_end THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspection day %s is outside visit %s''s window %s to %s'),
                                        day, v.id, v.window_start, v.window_end),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('The visit enters the subject once, on a day all its tasks are open; pass inspected_on within the window.'));
    END IF;
    SELECT d.id, d.task_id, d.cancelled_at INTO stale
      FROM ROWS FROM (pg_catalog.unnest(v.task_ids), pg_catalog.unnest(v.draw_ids)) u(task_id, draw_id)
      JOIN @extschema@.draw_record d ON d.id = u.draw_id
     WHERE u.task_id = ANY (dept_tasks) AND d.cancelled_at IS NOT NULL
     ORDER BY d.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('visit %s is out of date: draw %s of task %s was cancelled'),
                                        v.id, stale.id, stale.task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Run %s.plan_visits(%s) again.'), '@extschema@', v.year);
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
    'records one department''s result of a visit: writes (or corrects) the inspection of the subject for each of the visit''s tasks that hold that department''s items and returns how many; inspected_on defaults to result_on and must lie in the visit''s window; result_on is not after today; every department sees it in v_visit_results (结果互认). A visit with a recorded inspection is kept by plan_visits';

CREATE OR REPLACE FUNCTION @extschema@.generate_sample(subjects bigint DEFAULT 10000, seed integer DEFAULT 1)
RETURNS TABLE (object text, rows bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    IF subjects IS NULL OR seed IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('generate_sample needs a number of subjects and a seed, not NULL')),
            ERRCODE = 'null_value_not_allowed',
            HINT    = pg_catalog.format(@extschema@.message_text('Leave out an argument to use its default: generate_sample(10000, seed => 1).'));
    END IF;
    IF subjects < 1 OR subjects > 100000000 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('sample size %s is out of range'), subjects),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Ask for 1 to 100,000,000 subjects.'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.subject) OR EXISTS (SELECT 1 FROM @extschema@.department) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the directory is not empty')),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('generate_sample() fills an empty database; use a new database for sample data.'));
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

CREATE OR REPLACE FUNCTION @extschema@.sample_subjects(subjects bigint, seed integer DEFAULT 1)
RETURNS TABLE (uscc text, name text, region text, industry text, credit_class text, risk_level text, status text)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- (the rows are made in full before the first is returned, so a LIMIT does not bound the work)
    IF subjects < 0 OR subjects > 100000000 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('sample size %s is out of range'), subjects),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Ask for 0 to 100,000,000 subjects.'));
    END IF;
    RETURN QUERY
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
      FROM y;
END
$$;
COMMENT ON FUNCTION @extschema@.sample_subjects(bigint, integer) IS
    'sample data: n realistic market subjects as text rows (the columns of subject_staging): valid unique codes with correct check characters, Fujian county regions, 70% enterprises / 25% individual businesses / cooperatives / social organisations, credit mostly A and B, ~3% not active; deterministic from the seed; 0 to 100,000,000 subjects';

CREATE OR REPLACE FUNCTION @extschema@.draw_publication(draw_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
    SET extra_float_digits = 1
AS $$
DECLARE
    r       record;
    pop_csv text;
    tgt_csv text;
BEGIN
    SELECT d.id, d.task_id, d.algorithm, d.seed, d.drawn_at, d.population, d.population_size,
           d.population_digest, d.allocation, d.cancelled_at, d.cancel_reason,
           t.title, t.confidential, t.surprise, t.period_end, p.confidential AS plan_confidential,
           pub.published_on
      INTO r
      FROM @extschema@.draw_record d
      JOIN @extschema@.task t ON t.id = d.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
      LEFT JOIN @extschema@.publication pub ON pub.kind = 'target_list' AND pub.object_id = t.id
     WHERE d.id = draw_publication.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    IF r.confidential = 'state_secret' OR r.plan_confidential = 'state_secret' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: its task or plan is a state secret'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s or its plan is marked state_secret (国家秘密); its target list is never published.'), r.task_id);
    END IF;
    IF r.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: it was cancelled'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The reason given was: %s'), r.cancel_reason),
            HINT    = pg_catalog.format(@extschema@.message_text('Publish the task''s live draw instead.'));
    END IF;
    IF r.surprise AND r.period_end >= CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: its task is a surprise check that has not ended'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s is a surprise check (突击检查) until %s.'), r.task_id, r.period_end);
    END IF;
    IF r.published_on IS NULL OR r.published_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: the target list of task %s is not published'),
                                        draw_id, r.task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = CASE WHEN r.published_on IS NULL
                           THEN pg_catalog.format(@extschema@.message_text('No publication day is recorded for the list.'))
                           ELSE pg_catalog.format(@extschema@.message_text('The list is published on %s.'), r.published_on) END,
            HINT    = pg_catalog.format(@extschema@.message_text('Record the day it goes up with %s.mark_published(''target_list'', %s, date).'),
                                        '@extschema@', r.task_id);
    END IF;
    -- the files as \copy ... CSV HEADER writes them (a stratum quoted when it holds a comma, quote
    -- or line break): codes in order within strata in byte order
    SELECT 'uscc,stratum,weight' || E'\n'
           || coalesce(pg_catalog.string_agg(
                  x.uscc::text || ',' || CASE WHEN x.stratum ~ '[",\r\n]' OR x.stratum = '' THEN '"' || pg_catalog.replace(x.stratum, '"', '""') || '"' ELSE x.stratum END || ',' || coalesce(x.weight::text, '') || E'\n',
                  '' ORDER BY x.n), '')
      INTO pop_csv
      FROM @extschema@.population_rows(r.population) WITH ORDINALITY AS x(uscc, stratum, weight, n);
    SELECT 'stratum,rank,uscc' || E'\n'
           || coalesce(pg_catalog.string_agg(
                  CASE WHEN dt.stratum ~ '[",\r\n]' OR dt.stratum = '' THEN '"' || pg_catalog.replace(dt.stratum, '"', '""') || '"' ELSE dt.stratum END || ',' || dt.rank || ',' || dt.uscc::text || E'\n',
                  '' ORDER BY dt.stratum COLLATE "C", dt.rank), '')
      INTO tgt_csv
      FROM @extschema@.draw_target dt WHERE dt.draw_id = draw_publication.draw_id;
    RETURN pg_catalog.jsonb_build_object(
        'draw_id', r.id,
        'task_id', r.task_id,
        'task_title', CASE WHEN r.confidential IS NULL THEN r.title END,
        'withheld', r.confidential,
        'drawn_on', (r.drawn_at AT TIME ZONE 'Asia/Shanghai')::date,
        'published_on', r.published_on,
        'algorithm', r.algorithm,
        'seed_hex', pg_catalog.encode(r.seed, 'hex'),
        'allocation', r.allocation,
        'population_size', r.population_size,
        'population_digest_hex', pg_catalog.encode(r.population_digest, 'hex'),
        'population_csv', pop_csv,
        'targets_csv', tgt_csv);
END
$$;
COMMENT ON FUNCTION @extschema@.draw_publication(bigint) IS
    'everything a disclosure site publishes for one draw, in one jsonb: algorithm, seed_hex, allocation, population_digest_hex, population_csv (as draw_population exported with CSV HEADER), targets_csv (stratum,rank,uscc), with task and days; tools/verify_draw.html re-runs the draw from it in a browser. Refused (55000) unless the list is public under the rules of public_targets; runs with the caller''s rights (not for public readers: the population is not in the public views)';

CREATE OR REPLACE FUNCTION @extschema@.audit_log_refuse() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = pg_catalog.format(@extschema@.message_text('the audit trail is append-only: %s on %s.%s is not allowed'),
                                    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
        ERRCODE = 'insufficient_privilege',
        DETAIL  = pg_catalog.format(@extschema@.message_text('全程留痕: entries of the audit trail are never changed or removed, by anyone.')),
        HINT    = pg_catalog.format(@extschema@.message_text('Record a correction as a new change of the object itself; it is logged too.'));
END
$$;
COMMENT ON FUNCTION @extschema@.audit_log_refuse() IS
    'trigger on audit_log: refuses UPDATE, DELETE and TRUNCATE with 42501';

CREATE OR REPLACE FUNCTION @extschema@.require_task_access(task_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task_id must not be NULL')),
            ERRCODE = 'null_value_not_allowed',
            DETAIL  = CASE act
                      WHEN 'draw' THEN pg_catalog.format(@extschema@.message_text('No task was given to draw.'))
                      WHEN 'cancel draws of' THEN pg_catalog.format(@extschema@.message_text('No task was given to cancel draws of.'))
                      WHEN 'match inspectors for' THEN pg_catalog.format(@extschema@.message_text('No task was given to match inspectors for.'))
                      WHEN 'assign inspectors for' THEN pg_catalog.format(@extschema@.message_text('No task was given to assign inspectors for.'))
                      ELSE pg_catalog.format(@extschema@.message_text('No task was given to %s.'), coalesce(act, 'act on')) END;
    END IF;
    IF NOT @extschema@.may_act_on_task(task_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE act
                      WHEN 'draw' THEN pg_catalog.format(@extschema@.message_text('permission denied to draw task %s'), task_id)
                      WHEN 'cancel draws of' THEN pg_catalog.format(@extschema@.message_text('permission denied to cancel draws of task %s'), task_id)
                      WHEN 'match inspectors for' THEN pg_catalog.format(@extschema@.message_text('permission denied to match inspectors for task %s'), task_id)
                      WHEN 'assign inspectors for' THEN pg_catalog.format(@extschema@.message_text('permission denied to assign inspectors for task %s'), task_id)
                      ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s task %s'), act, task_id) END,
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('Draws, cancellations and inspector matching of a task are done by an officer of its initiating department (%s.grant_department_officer) or an admin.'),
                                        '@extschema@');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_task_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> task <id>") unless may_act_on_task(task_id), and 22004 for a NULL task; called by draw, cancel_draw, match_inspectors and assign_inspector';

CREATE OR REPLACE FUNCTION @extschema@.require_task_visible(task_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task_id must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT @extschema@.may_see_task(task_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied to read task %s'), task_id),
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('A task''s eligible population and limits are read by officers of its departments (%s.grant_department_officer) and admins.'),
                                        '@extschema@');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_task_visible(bigint) IS
    'raises 42501 ("permission denied to read task <id>") unless may_see_task(task_id), and 22004 for a NULL task; called by the functions of the limits on repeated checks (task_limit_profile, exclusion_reason, eligible_population), which run as the owner';

CREATE OR REPLACE FUNCTION @extschema@.set_access(role regrole, access text, add boolean, department_ids bigint[])
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
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('role must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF access = 'officer' AND add THEN
        IF department_ids IS NULL OR cardinality(department_ids) = 0 THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('no department given for officer role "%s"'), rname),
                ERRCODE = 'invalid_parameter_value',
                HINT    = pg_catalog.format(@extschema@.message_text('Pass the departments as an array: grant_department_officer(''role'', ARRAY[1, 2]).'));
        END IF;
        SELECT string_agg(coalesce(u.id::text, 'NULL'), ', ' ORDER BY u.id) INTO missing
          FROM unnest(department_ids) u(id)
         WHERE u.id IS NULL OR NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id = u.id);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('department %s does not exist'), missing),
                ERRCODE = 'foreign_key_violation',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Officer role "%s" was not changed.'), rname);
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

CREATE OR REPLACE FUNCTION @extschema@.require_department_access(department_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NOT @extschema@.acts_for_department(require_department_access.department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE act
                      WHEN 'record clues' THEN pg_catalog.format(@extschema@.message_text('permission denied to record clues for department %s'), department_id)
                      WHEN 'make clue tasks' THEN pg_catalog.format(@extschema@.message_text('permission denied to make clue tasks for department %s'), department_id)
                      WHEN 'close clues' THEN pg_catalog.format(@extschema@.message_text('permission denied to close clues for department %s'), department_id)
                      WHEN 'transfer cases' THEN pg_catalog.format(@extschema@.message_text('permission denied to transfer cases for department %s'), department_id)
                      WHEN 'accept transfers' THEN pg_catalog.format(@extschema@.message_text('permission denied to accept transfers for department %s'), department_id)
                      ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s for department %s'), act, department_id) END,
            ERRCODE = 'insufficient_privilege',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Role %s is not an officer of department %s.'),
                                        @extschema@.acting_role(), department_id),
            HINT    = pg_catalog.format(@extschema@.message_text('Clues and case transfers are handled by officers of the department concerned (%s.grant_department_officer) or an admin.'),
                                        '@extschema@');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_department_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> for department <id>") unless the acting role is a superuser, a member of the extension owner''s role, an admin or an officer of the department; called by record_clue, clue_task, close_clue, transfer_case and accept_transfer';

CREATE OR REPLACE FUNCTION @extschema@.record_clue(department_id bigint, uscc @extschema@.uscc, source text, summary text,
                                        received_on date DEFAULT CURRENT_DATE) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF department_id IS NULL OR uscc IS NULL OR source IS NULL OR summary IS NULL OR received_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('department_id, uscc, source, summary and received_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id = record_clue.department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('department %s does not exist'), department_id),
            ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM @extschema@.require_department_access(record_clue.department_id, 'record clues');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.uscc = record_clue.uscc) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject %s does not exist'), uscc),
            ERRCODE = 'foreign_key_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('A clue is about a subject of %1$s.subject; load it first (%1$s.load_subjects).'),
                                        '@extschema@');
    END IF;
    IF source NOT IN ('complaint', 'hotline', 'transfer', 'monitoring', 'other') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown clue source: "%s"'), @extschema@.message_value(source)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('The sources are complaint, hotline, transfer, monitoring and other.'));
    END IF;
    IF btrim(summary) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a clue needs a summary')),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO @extschema@.clue (department_id, uscc, source, received_on, summary)
    VALUES (record_clue.department_id, record_clue.uscc, record_clue.source, record_clue.received_on, record_clue.summary)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.record_clue(bigint, @extschema@.uscc, text, text, date) IS
    'records a clue (线索) received by a department about a subject (source complaint, hotline, transfer, monitoring or other), status open; returns its id. By an officer of the department or an admin';

CREATE OR REPLACE FUNCTION @extschema@.clue_task(clue_id bigint, title text DEFAULT NULL, period_start date DEFAULT NULL,
                                      period_end date DEFAULT NULL, item_ids bigint[] DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    c       record;
    s       date;
    e       date;
    bad     text;
    new_id  bigint;
BEGIN
    IF clue_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('clue_id must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO c FROM @extschema@.clue x WHERE x.id = clue_task.clue_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('clue %s does not exist'), clue_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_department_access(c.department_id, 'make clue tasks');
    IF c.status <> 'open' THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE c.status
                      WHEN 'task' THEN pg_catalog.format(@extschema@.message_text('clue %s is task, not open'), clue_id)
                      WHEN 'transferred' THEN pg_catalog.format(@extschema@.message_text('clue %s is transferred, not open'), clue_id)
                      WHEN 'closed' THEN pg_catalog.format(@extschema@.message_text('clue %s is closed, not open'), clue_id)
                      ELSE pg_catalog.format(@extschema@.message_text('clue %s is %s, not open'), clue_id, c.status) END,
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = CASE WHEN c.task_id IS NOT NULL
                           THEN pg_catalog.format(@extschema@.message_text('Its task is %s.'), c.task_id)
                           ELSE pg_catalog.format(@extschema@.message_text('It has no task.')) END,
            HINT    = pg_catalog.format(@extschema@.message_text('A clue task is made once, for an open clue.'));
    END IF;
    s := coalesce(period_start, greatest(c.received_on, @extschema@.today()));
    e := coalesce(period_end, least(s + 29, (pg_catalog.date_trunc('year', s) + interval '1 year - 1 day')::date));
    SELECT string_agg(coalesce(u.id::text, 'NULL'), ', ' ORDER BY u.id) INTO bad
      FROM pg_catalog.unnest(item_ids) u(id)
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.check_item ci WHERE ci.id = u.id AND ci.department_id = c.department_id);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('check item %s is not an item of department %s'), bad, c.department_id),
            ERRCODE = 'foreign_key_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('A clue task checks items of the clue''s department.'));
    END IF;
    INSERT INTO @extschema@.task (department_id, kind, title, period_start, period_end, approved_on)
    VALUES (c.department_id, 'clue', coalesce(title, pg_catalog.format('线索核查：%s', c.summary)), s, e, s)
    RETURNING id INTO new_id;
    INSERT INTO @extschema@.task_item (task_id, item_id)
    SELECT DISTINCT new_id, u.id FROM pg_catalog.unnest(item_ids) u(id);
    UPDATE @extschema@.clue x SET status = 'task', task_id = new_id WHERE x.id = clue_task.clue_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.clue_task(bigint, text, date, date, bigint[]) IS
    'makes a clue task (kind clue: no draw, never limited) of the clue''s department for its subject, approved, with the given items of that department; period by default from the later of the day received and today(), 30 days long within its year; the clue''s status becomes task. Refused for a clue that is not open';

CREATE OR REPLACE FUNCTION @extschema@.close_clue(clue_id bigint, reason text, closed_on date DEFAULT CURRENT_DATE) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    IF clue_id IS NULL OR closed_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('clue_id and closed_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a clue is closed only with a reason')),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Say why: checked and no problem found, not within the remit, not verifiable, ...'));
    END IF;
    SELECT * INTO c FROM @extschema@.clue x WHERE x.id = close_clue.clue_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('clue %s does not exist'), clue_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_department_access(c.department_id, 'close clues');
    IF c.status NOT IN ('open', 'task') THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE c.status
                      WHEN 'transferred' THEN pg_catalog.format(@extschema@.message_text('clue %s is transferred'), clue_id)
                      WHEN 'closed' THEN pg_catalog.format(@extschema@.message_text('clue %s is closed'), clue_id)
                      ELSE pg_catalog.format(@extschema@.message_text('clue %s is %s'), clue_id, c.status) END,
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('An open clue, or one with a clue task, is closed; a transferred clue is the receiving department''s.'));
    END IF;
    IF closed_on < c.received_on THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('clue %s cannot be closed on %s, before it was received on %s'), clue_id,
                                        pg_catalog.to_char(closed_on, 'YYYY-MM-DD'), pg_catalog.to_char(c.received_on, 'YYYY-MM-DD')),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE @extschema@.clue x SET status = 'closed', closed_on = close_clue.closed_on, close_reason = reason
     WHERE x.id = close_clue.clue_id;
END
$$;
COMMENT ON FUNCTION @extschema@.close_clue(bigint, text, date) IS
    'closes an open clue, or one with a clue task, with the day and reason (kept); status closed. By an officer of its department or an admin';

CREATE OR REPLACE FUNCTION @extschema@.transfer_case(to_department_id bigint, reason text, inspection_id bigint DEFAULT NULL,
                                          clue_id bigint DEFAULT NULL, transferred_on date DEFAULT CURRENT_DATE)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    from_dep    bigint;
    subj        @extschema@.uscc;
    since       date;
    c           record;
    new_id      bigint;
BEGIN
    IF to_department_id IS NULL OR transferred_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('to_department_id and transferred_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF num_nonnulls(inspection_id, clue_id) <> 1 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a case is transferred from one inspection or one clue')),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Pass inspection_id => ... or clue_id => ..., not both.'));
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a case is transferred only with a reason')),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Say what the problem is and why it is the other department''s.'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id = transfer_case.to_department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('department %s does not exist'), to_department_id),
            ERRCODE = 'foreign_key_violation';
    END IF;
    IF inspection_id IS NOT NULL THEN
        SELECT i.department_id, i.uscc, coalesce(i.inspected_on, i.result_on) INTO from_dep, subj, since
          FROM @extschema@.inspection i WHERE i.id = transfer_case.inspection_id FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('inspection %s does not exist'), inspection_id),
                ERRCODE = 'undefined_object';
        END IF;
    ELSE
        SELECT * INTO c FROM @extschema@.clue x WHERE x.id = transfer_case.clue_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('clue %s does not exist'), clue_id),
                ERRCODE = 'undefined_object';
        END IF;
        from_dep := c.department_id;
        subj := c.uscc;
        since := c.received_on;
    END IF;
    PERFORM @extschema@.require_department_access(from_dep, 'transfer cases');
    IF from_dep = to_department_id THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a case cannot be transferred to its own department %s'), from_dep),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A transfer hands a problem to another department; the department''s own follow-up is a clue task (%s.clue_task).'),
                                        '@extschema@');
    END IF;
    IF clue_id IS NOT NULL THEN
        IF c.status NOT IN ('open', 'task') THEN
            RAISE EXCEPTION USING
                MESSAGE = CASE c.status
                          WHEN 'transferred' THEN pg_catalog.format(@extschema@.message_text('clue %s is transferred'), clue_id)
                          WHEN 'closed' THEN pg_catalog.format(@extschema@.message_text('clue %s is closed'), clue_id)
                          ELSE pg_catalog.format(@extschema@.message_text('clue %s is %s'), clue_id, c.status) END,
                ERRCODE = 'object_not_in_prerequisite_state',
                HINT    = pg_catalog.format(@extschema@.message_text('An open clue, or one with a clue task, is transferred.'));
        END IF;
    END IF;
    IF transferred_on < since THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('a case cannot be transferred on %s, before %s'),
                                        pg_catalog.to_char(transferred_on, 'YYYY-MM-DD'), pg_catalog.to_char(since, 'YYYY-MM-DD')),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = CASE WHEN clue_id IS NOT NULL
                           THEN pg_catalog.format(@extschema@.message_text('The clue was received then.'))
                           ELSE pg_catalog.format(@extschema@.message_text('The inspection was made then.')) END;
    END IF;
    INSERT INTO @extschema@.case_transfer (from_department_id, to_department_id, uscc, inspection_id, clue_id, reason, transferred_on)
    VALUES (from_dep, transfer_case.to_department_id, subj, transfer_case.inspection_id, transfer_case.clue_id,
            transfer_case.reason, transfer_case.transferred_on)
    RETURNING id INTO new_id;
    IF clue_id IS NOT NULL THEN
        UPDATE @extschema@.clue x SET status = 'transferred' WHERE x.id = transfer_case.clue_id;
    END IF;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.transfer_case(bigint, text, bigint, bigint, date) IS
    'hands a problem to another department (另案查处 / 移送) from one inspection or one clue (exactly one of inspection_id, clue_id), with the reason and day; the sending department is the inspection''s or clue''s, and the caller must act for it; the subject comes with it. A transferred clue gets status transferred. Refused to the same department (22023). Returns the transfer''s id';

CREATE OR REPLACE FUNCTION @extschema@.accept_transfer(transfer_id bigint, accepted_on date DEFAULT CURRENT_DATE) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    x record;
BEGIN
    IF transfer_id IS NULL OR accepted_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('transfer_id and accepted_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO x FROM @extschema@.case_transfer t WHERE t.id = accept_transfer.transfer_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('case transfer %s does not exist'), transfer_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.require_department_access(x.to_department_id, 'accept transfers');
    IF x.accepted_on IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('case transfer %s is already accepted'), transfer_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('It was accepted on %s by %s.'),
                                        pg_catalog.to_char(x.accepted_on, 'YYYY-MM-DD'), x.accepted_by);
    END IF;
    IF accepted_on < x.transferred_on THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('case transfer %s cannot be accepted on %s, before it was made on %s'), transfer_id,
                                        pg_catalog.to_char(accepted_on, 'YYYY-MM-DD'), pg_catalog.to_char(x.transferred_on, 'YYYY-MM-DD')),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE @extschema@.case_transfer t SET accepted_on = accept_transfer.accepted_on, accepted_by = @extschema@.acting_role()
     WHERE t.id = accept_transfer.transfer_id;
END
$$;
COMMENT ON FUNCTION @extschema@.accept_transfer(bigint, date) IS
    'the receiving department records that it accepted a case transfer (受理), on a day not before the transfer; once. By an officer of the receiving department or an admin';

CREATE OR REPLACE FUNCTION @extschema@.dishonesty_entry_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('entries of the dishonesty list are never deleted: %s on %s.%s is not allowed'),
                                        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('全程留痕: a listing stays recorded after its removal.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Remove the subject from the list with %s.delist_dishonest(entry_id, removal_reason).'),
                                        '@extschema@');
    END IF;
    IF (NEW.id, NEW.department_id, NEW.reason, NEW.basis, NEW.listed_on, NEW.listed_by)
       IS DISTINCT FROM (OLD.id, OLD.department_id, OLD.reason, OLD.basis, OLD.listed_on, OLD.listed_by)
       OR (NEW.uscc OPERATOR(@extschema@.<>) OLD.uscc AND pg_catalog.pg_trigger_depth() OPERATOR(pg_catalog.<=) 1) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s cannot be changed'), OLD.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The subject, department, reason, basis and day of a listing are a record (全程留痕).')),
            HINT    = pg_catalog.format(@extschema@.message_text('Remove the entry with %s.delist_dishonest(entry_id, removal_reason) and list the subject again.'),
                                        '@extschema@');
    END IF;
    IF OLD.removed_on IS NOT NULL THEN
        IF (NEW.removed_on, NEW.removal_reason, NEW.removed_by) IS DISTINCT FROM (OLD.removed_on, OLD.removal_reason, OLD.removed_by) THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s was removed on %s and its removal cannot be changed'),
                                            OLD.id, OLD.removed_on),
                ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Removal reason: %s'), OLD.removal_reason),
                HINT    = pg_catalog.format(@extschema@.message_text('List the subject again with %s.list_dishonest if it belongs on the list.'),
                                            '@extschema@');
        END IF;
    ELSIF NEW.removed_on IS NOT NULL THEN
        -- a removal is recorded (by delist_dishonest, or an UPDATE under row-level security):
        -- not for a future day, and by whoever records it
        IF NEW.removed_on > CURRENT_DATE THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('removal date %s of dishonesty entry %s is in the future'),
                                            NEW.removed_on, OLD.id),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        NEW.removed_by := @extschema@.acting_role();
    ELSE
        NEW.removed_by := NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.dishonesty_entry_guard() IS
    'trigger on dishonesty_entry: refuses DELETE and TRUNCATE, a change of what a listing decided, a change or withdrawal of a recorded removal, and a removal dated in the future; records who removes (removed_by)';

CREATE OR REPLACE FUNCTION @extschema@.dishonesty_require_department(department_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF pg_catalog.row_security_active('@extschema@.dishonesty_entry'::regclass)
       AND NOT (department_id OPERATOR(pg_catalog.=) ANY (@extschema@.my_department_ids()) OR @extschema@.is_admin()) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE act
                      WHEN 'list subjects' THEN pg_catalog.format(@extschema@.message_text('permission denied to list subjects for department %s'), department_id)
                      WHEN 'remove entries' THEN pg_catalog.format(@extschema@.message_text('permission denied to remove entries for department %s'), department_id)
                      ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s for department %s'), act, department_id) END,
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('A department lists and removes its own entries (违法失信名单): an officer of that department (%s.grant_department_officer) or an admin does it.'),
                                        '@extschema@');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.dishonesty_require_department(bigint, text) IS
    'internal: raises 42501 unless the acting role may write dishonesty entries of the department under row-level security (an officer of it, an admin, the owner); called by list_dishonest and delist_dishonest';

CREATE OR REPLACE FUNCTION @extschema@.list_dishonest(subject @extschema@.uscc, department_id bigint, reason text,
        listed_on date DEFAULT CURRENT_DATE, basis text DEFAULT NULL, confidential text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    cur     @extschema@.dishonesty_entry;
    new_id  bigint;
BEGIN
    IF subject IS NULL OR department_id IS NULL OR reason IS NULL OR listed_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject, department_id, reason and listed_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed',
            HINT    = pg_catalog.format(@extschema@.message_text('A listing (列入违法失信名单) names the subject, the deciding department, the reason and the day.'));
    END IF;
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the reason for listing subject %s is blank'), subject),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Give the reason (列入事由), e.g. the serious violation found.'));
    END IF;
    IF listed_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('listing date %s is in the future'), listed_on),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Record the listing on the day it is decided.'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id OPERATOR(pg_catalog.=) list_dishonest.department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('department %s does not exist'), department_id),
            ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) list_dishonest.subject) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject "%s" is not in the subject directory'), subject),
            ERRCODE = 'foreign_key_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('Load the subject first (%s.load_subjects).'), '@extschema@');
    END IF;
    PERFORM @extschema@.dishonesty_require_department(department_id, 'list subjects');
    SELECT * INTO cur FROM @extschema@.dishonesty_entry e
     WHERE e.uscc OPERATOR(@extschema@.=) list_dishonest.subject
       AND e.department_id OPERATOR(pg_catalog.=) list_dishonest.department_id
       AND e.removed_on IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject %s is already on the list of department %s (entry %s, listed on %s)'),
                                        subject, department_id, cur.id, cur.listed_on),
            ERRCODE = 'unique_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Reason: %s'), cur.reason),
            HINT    = pg_catalog.format(@extschema@.message_text('A subject is on a department''s list once at a time; remove the current entry first (%s.delist_dishonest).'),
                                        '@extschema@');
    END IF;
    INSERT INTO @extschema@.dishonesty_entry (uscc, department_id, reason, basis, listed_on, confidential)
    VALUES (subject, department_id, reason, basis, listed_on, confidential)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text) IS
    'lists a subject on the department''s list of seriously dishonest subjects (列入违法失信名单) with reason, basis (legal basis, decision document) and day, and returns the entry id; the listing becomes a publication item (kind listing). Refused: NULLs, a blank reason, a future day, an unknown subject or department, a department the caller does not act for (42501), a subject already on that department''s list (23505). Runs with the caller''s rights';

CREATE OR REPLACE FUNCTION @extschema@.delist_dishonest(entry_id bigint, removal_reason text, removed_on date DEFAULT CURRENT_DATE)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    e   @extschema@.dishonesty_entry;
    n   integer;
BEGIN
    IF entry_id IS NULL OR removed_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('entry_id and removed_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF removal_reason IS NULL OR btrim(removal_reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s is removed only with a reason'), entry_id),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Give the reason for the removal (移出事由), e.g. 信用修复 or the end of the listing period.'));
    END IF;
    -- (read first without a lock: row-level security lets a FOR UPDATE see only the rows the
    -- caller may change, and another department's officer is told why it may not)
    SELECT * INTO e FROM @extschema@.dishonesty_entry x WHERE x.id OPERATOR(pg_catalog.=) entry_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s does not exist'), entry_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.dishonesty_require_department(e.department_id, 'remove entries');
    SELECT * INTO e FROM @extschema@.dishonesty_entry x WHERE x.id OPERATOR(pg_catalog.=) entry_id FOR UPDATE;
    IF e.removed_on IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s was already removed on %s'), entry_id, e.removed_on),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Removal reason: %s'), e.removal_reason);
    END IF;
    IF removed_on < e.listed_on OR removed_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE WHEN removed_on > CURRENT_DATE
                           THEN pg_catalog.format(@extschema@.message_text('removal date %s of dishonesty entry %s is in the future'),
                                                  removed_on, entry_id)
                           ELSE pg_catalog.format(@extschema@.message_text('removal date %s of dishonesty entry %s is before its listing on %s'),
                                                  removed_on, entry_id, e.listed_on) END,
            ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (dishonesty_entry_guard records removed_by)
    UPDATE @extschema@.dishonesty_entry x
       SET removed_on = delist_dishonest.removed_on, removal_reason = delist_dishonest.removal_reason
     WHERE x.id OPERATOR(pg_catalog.=) entry_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied to remove dishonesty entry %s'), entry_id),
            ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.delist_dishonest(bigint, text, date) IS
    'removes a subject from a department''s list (移出违法失信名单, 信用修复) on a day, with a reason (required); the entry is kept and the removal becomes a publication item (kind delisting). Refused: a blank reason, NULLs, an unknown entry, one already removed (55000), a day before the listing or in the future, another department''s entry (42501). Runs with the caller''s rights';

CREATE OR REPLACE FUNCTION @extschema@.uncovered_subjects(item_id bigint, on_date date DEFAULT CURRENT_DATE)
    RETURNS TABLE (uscc @extschema@.uscc, name text, region text, credit_class text, risk_level smallint)
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    ci      @extschema@.check_item;
    scope   text;
    cyc     record;
BEGIN
    IF item_id IS NULL OR on_date IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('item_id and on_date must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO ci FROM @extschema@.check_item x WHERE x.id OPERATOR(pg_catalog.=) uncovered_subjects.item_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('check item %s does not exist'), item_id),
            ERRCODE = 'undefined_object';
    END IF;
    -- the answer counts the department's inspections, which officers of other departments do not see
    IF pg_catalog.row_security_active('@extschema@.inspection'::regclass)
       AND NOT (ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.my_department_ids()) OR @extschema@.is_admin()) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied to read the coverage of check item %s of department %s'),
                                        item_id, ci.department_id),
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('The coverage of a key item is read by officers of its department and admins.'));
    END IF;
    IF ci.coverage_years IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('check item %s "%s" has no coverage cycle'), item_id, @extschema@.message_value(ci.name)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Set check_item.coverage_years on a key item (key_supervision) to give it one.'));
    END IF;
    SELECT * INTO cyc FROM @extschema@.coverage_cycle(ci.coverage_years, on_date);
    IF cyc.cycle_start IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('date %s is before the first coverage cycle (2000)'), on_date),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT d.region INTO scope FROM @extschema@.department d WHERE d.id OPERATOR(pg_catalog.=) ci.department_id;
    RETURN QUERY
    SELECT s.uscc, s.name, s.region, s.credit_class, s.risk_level
      FROM @extschema@.subject s
     WHERE s.status OPERATOR(pg_catalog.=) 'active' AND pg_catalog.starts_with(s.region, scope)
       AND NOT EXISTS (SELECT 1 FROM @extschema@.inspection i
                         JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) i.task_id
                        WHERE i.uscc OPERATOR(@extschema@.=) s.uscc
                          AND ti.item_id OPERATOR(pg_catalog.=) ci.id
                          AND i.department_id OPERATOR(pg_catalog.=) ci.department_id
                          AND i.inspected_on BETWEEN cyc.cycle_start AND cyc.cycle_end)
     ORDER BY s.uscc;
END
$$;
COMMENT ON FUNCTION @extschema@.uncovered_subjects(bigint, date) IS
    'the subjects a key item has not reached yet in the coverage cycle holding on_date: active subjects of the item''s department''s region without a check for the item by that department in the cycle, by code. Build a directory from them for a task that covers them (doc/credit-record.md). For officers of the item''s department and admins (42501 otherwise); 22023 for an item without coverage_years';

CREATE OR REPLACE FUNCTION @extschema@.inspection_bound_to_draw() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d       record;
    sname   text;
BEGIN
    -- a change that keeps the task and leaves a subject that was not drawn (a code change
    -- cascading from subject to a row loaded before the rule) moves nothing out of the draw
    IF TG_OP = 'UPDATE' AND NEW.task_id = OLD.task_id
       AND NOT EXISTS (SELECT 1 FROM @extschema@.task t
                         JOIN @extschema@.draw_record r ON r.task_id IN (t.id, t.merged_into) AND r.cancelled_at IS NULL
                         JOIN @extschema@.draw_target dt ON dt.draw_id = r.id
                        WHERE t.id = OLD.task_id AND dt.uscc OPERATOR(@extschema@.=) OLD.uscc) THEN
        RETURN NEW;
    END IF;
    -- the live draw of the task, or of the joint task it was merged into (its visits are those of
    -- the joint task's targets)
    SELECT r.id, r.task_id, r.target_count
      INTO d
      FROM @extschema@.task t
      JOIN @extschema@.draw_record r ON r.task_id IN (t.id, t.merged_into) AND r.cancelled_at IS NULL
     WHERE t.id = NEW.task_id
     ORDER BY r.task_id = t.id DESC, r.id
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NEW;                 -- no live draw: a clue task, or a task checked without a draw
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.draw_target dt
                WHERE dt.draw_id = d.id AND dt.uscc OPERATOR(@extschema@.=) NEW.uscc) THEN
        RETURN NEW;
    END IF;
    SELECT s.name INTO sname FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) NEW.uscc;
    RAISE EXCEPTION USING
        MESSAGE = pg_catalog.format(@extschema@.message_text('subject %s (%s) was not drawn for task %s'),
                                    NEW.uscc, coalesce(sname, @extschema@.message_text('not in the directory')), NEW.task_id),
        ERRCODE = 'check_violation',
        DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s is bound to draw %s (of task %s, %s targets); an inspection under it is of one of that draw''s targets.'),
                                    NEW.task_id, d.id, d.task_id, d.target_count),
        HINT    = pg_catalog.format(@extschema@.message_text('Record the inspections of the drawn targets (%s.draw_target where draw_id = %s); a check of another subject is made under a clue task (kind clue), which has no draw.'),
                                    '@extschema@', d.id);
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_bound_to_draw() IS
    'trigger on inspection: an inspection under a task with a live draw (or merged into a joint task with one) is of one of that draw''s targets; otherwise refused (23514) naming the subject and the draw. Clue tasks and tasks without a draw are not bound. Not fired by a restore (ENABLE ORIGIN); v_unbound_inspections lists rows that break the rule';

CREATE OR REPLACE FUNCTION @extschema@.inspection_item_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i       record;
    it      record;
    found_  boolean;
BEGIN
    SELECT x.id, x.task_id, x.department_id INTO i FROM @extschema@.inspection x WHERE x.id = NEW.inspection_id;
    IF NOT FOUND THEN
        RETURN NEW;                 -- the foreign key says so
    END IF;
    SELECT ci.id, ci.code, ci.name, ci.department_id INTO it FROM @extschema@.check_item ci WHERE ci.id = NEW.item_id;
    IF NOT FOUND THEN
        RETURN NEW;                 -- the foreign key says so
    END IF;
    found_ := EXISTS (SELECT 1 FROM @extschema@.task_item ti WHERE ti.task_id = i.task_id AND ti.item_id = NEW.item_id);
    IF NOT found_ OR it.department_id IS DISTINCT FROM i.department_id THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('item %s (%s) is not an item of inspection %s'), it.id, it.name, i.id),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = CASE WHEN NOT found_
                           THEN pg_catalog.format(@extschema@.message_text('Task %s does not hold item %s.'), i.task_id, it.id)
                           ELSE pg_catalog.format(@extschema@.message_text('Item %s is department %s''s; inspection %s is department %s''s, which records its own items.'),
                                                  it.id, it.department_id, i.id, i.department_id) END,
            HINT    = pg_catalog.format(@extschema@.message_text('The items of inspection %s: %s.'), i.id,
                          coalesce((SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', ci.id, ci.code), ', ' ORDER BY ci.id)
                                      FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id = ti.item_id
                                     WHERE ti.task_id = i.task_id AND ci.department_id = i.department_id),
                                   @extschema@.message_text('none')));
    END IF;
    IF NEW.measure <> 'none'
       AND NOT (SELECT rc.problem_found FROM @extschema@.result_code rc WHERE rc.code = NEW.result_code) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE NEW.measure
                      WHEN 'rectify' THEN pg_catalog.format(@extschema@.message_text('measure "rectify" does not follow from result "%s"'), NEW.result_code)
                      WHEN 'case' THEN pg_catalog.format(@extschema@.message_text('measure "case" does not follow from result "%s"'), NEW.result_code)
                      WHEN 'transfer' THEN pg_catalog.format(@extschema@.message_text('measure "transfer" does not follow from result "%s"'), NEW.result_code)
                      ELSE pg_catalog.format(@extschema@.message_text('measure "%s" does not follow from result "%s"'), NEW.measure, NEW.result_code) END,
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The result found no problem, so nothing is to be disposed of.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Record the measure none (无需处置), or the result that found the problem.'));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_item_check() IS
    'trigger on inspection_item: the item is one of the inspection''s task held by the inspecting department, and a measure other than none follows only from a result that found a problem (22023)';

CREATE OR REPLACE FUNCTION @extschema@.inspection_for_act(inspection_id bigint, act text) RETURNS @extschema@.inspection
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   @extschema@.inspection;
BEGIN
    IF inspection_for_act.inspection_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspection_id must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT x.* INTO i FROM @extschema@.inspection x WHERE x.id = inspection_for_act.inspection_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspection %s does not exist'), inspection_for_act.inspection_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    IF act IS NOT NULL AND NOT @extschema@.acts_for_department(i.department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE act
                      WHEN 'record item results' THEN pg_catalog.format(@extschema@.message_text('permission denied to record item results of inspection %s'), i.id)
                      WHEN 'serve the result notice' THEN pg_catalog.format(@extschema@.message_text('permission denied to serve the result notice of inspection %s'), i.id)
                      ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s of inspection %s'), act, i.id) END,
            ERRCODE = 'insufficient_privilege',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Inspection %s is the check of department %s (%s); the department that checked acts on it (谁检查谁负责).'),
                                        i.id, i.department_id,
                                        (SELECT d.name FROM @extschema@.department d WHERE d.id = i.department_id)),
            HINT    = pg_catalog.format(@extschema@.message_text('An officer of that department, or an admin, does it.'));
    END IF;
    RETURN i;
END
$$;
COMMENT ON FUNCTION @extschema@.inspection_for_act(bigint, text) IS
    'internal: the inspection as the caller reads it; 22004 for NULL, 22023 when it does not exist or cannot be seen, and with act given 42501 unless the acting role is an officer of its department or has all rights';

CREATE OR REPLACE FUNCTION @extschema@.record_item_result(inspection_id bigint, item_id bigint, result_code text,
                                               measure text DEFAULT 'none', note text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   @extschema@.inspection;
BEGIN
    IF record_item_result.item_id IS NULL OR record_item_result.result_code IS NULL
       OR record_item_result.measure IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('item_id, result_code and measure must not be NULL')),
            ERRCODE = 'null_value_not_allowed',
            HINT    = pg_catalog.format(@extschema@.message_text('A result without a measure is recorded with measure none (无需处置).'));
    END IF;
    i := @extschema@.inspection_for_act(record_item_result.inspection_id, 'record item results');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.check_item ci WHERE ci.id = record_item_result.item_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('check item %s does not exist'), record_item_result.item_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.result_code rc WHERE rc.code = record_item_result.result_code) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown result code: "%s"'),
                                        @extschema@.message_value(record_item_result.result_code)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Use one of: %s.'),
                          (SELECT pg_catalog.string_agg(rc.code, ', ' ORDER BY rc.sort_order, rc.code)
                             FROM @extschema@.result_code rc));
    END IF;
    IF record_item_result.measure NOT IN ('none', 'rectify', 'case', 'transfer') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown measure: "%s"'), @extschema@.message_value(record_item_result.measure)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Use one of: none (无需处置), rectify (责令改正), case (立案调查), transfer (移送).'));
    END IF;
    INSERT INTO @extschema@.inspection_item AS x (inspection_id, item_id, result_code, measure, note)
    VALUES (i.id, record_item_result.item_id, record_item_result.result_code, record_item_result.measure,
            record_item_result.note)
    ON CONFLICT ON CONSTRAINT inspection_item_pkey DO UPDATE
       SET result_code = EXCLUDED.result_code, measure = EXCLUDED.measure,
           note = coalesce(EXCLUDED.note, x.note),
           recorded_at = pg_catalog.now(), recorded_by = @extschema@.acting_role();
END
$$;
COMMENT ON FUNCTION @extschema@.record_item_result(bigint, bigint, text, text, text) IS
    'records (or corrects) the result of one check item of an inspection and its measure: none (无需处置), rectify (责令改正), case (立案调查), transfer (移送). The item is one of the inspection''s task held by its department; the inspecting department''s officers or an admin record it (42501 otherwise); NULLs (22004), unknown ids, codes and measures (22023) are refused. Runs with the caller''s rights; every department of the task sees it in v_visit_checklist';

CREATE OR REPLACE FUNCTION @extschema@.notice_service_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i   record;
BEGIN
    SELECT x.id, x.inspected_on, x.result_code, x.result_on INTO i
      FROM @extschema@.inspection x WHERE x.id = NEW.inspection_id;
    IF NOT FOUND THEN
        RETURN NEW;                 -- the foreign key says so
    END IF;
    IF i.result_code IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspection %s has no result: its result notice cannot be served'), i.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Record the result first (record_visit_result, or result_code and result_on of the inspection).'));
    END IF;
    IF NEW.served_on < i.inspected_on THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('notice of inspection %s served on %s is before the inspection on %s'),
                                        i.id, NEW.served_on, i.inspected_on),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A result notice is served on or after the day of the check and of its result.'));
    END IF;
    IF NEW.served_on < i.result_on THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('notice of inspection %s served on %s is before its result on %s'),
                                        i.id, NEW.served_on, i.result_on),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A result notice is served on or after the day of the check and of its result.'));
    END IF;
    IF NEW.served_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('notice of inspection %s served on %s is in the future'), i.id, NEW.served_on),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Today is %s.'), CURRENT_DATE),
            HINT    = pg_catalog.format(@extschema@.message_text('Record the service on or after the day it happens.'));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.notice_service_check() IS
    'trigger on notice_service: the inspection has a result (55000), and the notice is served on or after the day of the check and of the result and not in the future (22023)';

CREATE OR REPLACE FUNCTION @extschema@.record_notice_served(inspection_id bigint, served_on date, method text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i       @extschema@.inspection;
    before  record;
BEGIN
    IF record_notice_served.served_on IS NULL OR record_notice_served.method IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('served_on and method must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    i := @extschema@.inspection_for_act(record_notice_served.inspection_id, 'serve the result notice');
    IF record_notice_served.method NOT IN ('direct', 'mail', 'electronic', 'public_notice') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown service method: "%s"'), @extschema@.message_value(record_notice_served.method)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Use one of: direct (直接送达), mail (邮寄送达), electronic (电子送达), public_notice (公告送达).'));
    END IF;
    SELECT n.served_on, n.method, n.served_by INTO before
      FROM @extschema@.notice_service n WHERE n.inspection_id = i.id;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the result notice of inspection %s was already served on %s'), i.id, before.served_on),
            ERRCODE = 'unique_violation',
            DETAIL  = CASE before.method
                      WHEN 'direct' THEN pg_catalog.format(@extschema@.message_text('Served by %s (direct); a notice is served once.'), before.served_by)
                      WHEN 'mail' THEN pg_catalog.format(@extschema@.message_text('Served by %s (mail); a notice is served once.'), before.served_by)
                      WHEN 'electronic' THEN pg_catalog.format(@extschema@.message_text('Served by %s (electronic); a notice is served once.'), before.served_by)
                      WHEN 'public_notice' THEN pg_catalog.format(@extschema@.message_text('Served by %s (public_notice); a notice is served once.'), before.served_by)
                      ELSE pg_catalog.format(@extschema@.message_text('Served by %s (%s); a notice is served once.'), before.served_by, before.method) END,
            HINT    = pg_catalog.format(@extschema@.message_text('A wrong record is removed by an admin (DELETE FROM %s.notice_service) before it is recorded again.'),
                                        '@extschema@');
    END IF;
    INSERT INTO @extschema@.notice_service (inspection_id, served_on, method)
    VALUES (i.id, record_notice_served.served_on, record_notice_served.method);
END
$$;
COMMENT ON FUNCTION @extschema@.record_notice_served(bigint, date, text) IS
    'records that the result notice (检查结果告知书) of an inspection was served on a day by a method: direct (直接送达), mail (邮寄送达), electronic (电子送达), public_notice (公告送达). Once per inspection (23505 the second time); not before the check or its result, not in the future, only for an inspection with a result (55000); by an officer of the inspecting department or an admin (42501). Runs with the caller''s rights';

CREATE OR REPLACE FUNCTION @extschema@.result_notice(inspection_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    i       @extschema@.inspection;
    n       record;
    items   jsonb;
    basis   jsonb;
    disp    jsonb;
    served  jsonb;
    steps   text[];
BEGIN
    i := @extschema@.inspection_for_act(result_notice.inspection_id, NULL);
    IF i.result_code IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('inspection %s has no result: there is no result notice yet'), i.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Record the result first (record_visit_result).'));
    END IF;
    SELECT s.name AS subject_name, d.name AS department_name, t.title AS task_title, t.kind AS task_kind,
           rc.name_zh AS result_name, rc.problem_found
      INTO n
      FROM @extschema@.task t, @extschema@.department d, @extschema@.result_code rc, @extschema@.subject s
     WHERE t.id = i.task_id AND d.id = i.department_id AND rc.code = i.result_code
       AND s.uscc OPERATOR(@extschema@.=) i.uscc;
    -- every item of the task the department checks, with its result where recorded
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'item_id', ci.id, 'code', ci.code, 'name', ci.name, 'legal_basis', ci.legal_basis,
               'result_code', ii.result_code, 'result_name', rc.name_zh,
               'measure', ii.measure,
               'measure_name', CASE ii.measure WHEN 'none' THEN '无需处置' WHEN 'rectify' THEN '责令改正'
                                               WHEN 'case' THEN '立案调查' WHEN 'transfer' THEN '移送' END,
               'note', ii.note) ORDER BY ci.code, ci.id),
           pg_catalog.jsonb_agg(DISTINCT ci.legal_basis) FILTER (WHERE ci.legal_basis IS NOT NULL),
           pg_catalog.array_remove(ARRAY[
               CASE WHEN bool_or(ii.measure = 'rectify') THEN '对责令改正的事项，应当在规定期限内改正，并将改正情况书面报告检查部门。' END,
               CASE WHEN bool_or(ii.measure = 'case') THEN '对立案调查的事项，检查部门将依法另行调查处理并告知。' END,
               CASE WHEN bool_or(ii.measure = 'transfer') THEN '对移送的事项，由有管辖权的部门依法处理。' END], NULL)
      INTO items, basis, steps
      FROM @extschema@.task_item ti
      JOIN @extschema@.check_item ci ON ci.id = ti.item_id
      LEFT JOIN @extschema@.inspection_item ii ON ii.inspection_id = i.id AND ii.item_id = ci.id
      LEFT JOIN @extschema@.result_code rc ON rc.code = ii.result_code
     WHERE ti.task_id = i.task_id AND ci.department_id = i.department_id;
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'disposal_id', x.id, 'kind', x.kind,
               'kind_name', CASE x.kind WHEN 'order' THEN '责令' WHEN 'compulsion' THEN '行政强制' WHEN 'penalty' THEN '行政处罚' END,
               'decided_on', x.decided_on, 'document_no', x.document_no) ORDER BY x.decided_on, x.id)
      INTO disp
      FROM @extschema@.disposal x WHERE x.inspection_id = i.id;
    SELECT pg_catalog.jsonb_build_object('served_on', ns.served_on, 'method', ns.method,
               'method_name', CASE ns.method WHEN 'direct' THEN '直接送达' WHEN 'mail' THEN '邮寄送达'
                                             WHEN 'electronic' THEN '电子送达' WHEN 'public_notice' THEN '公告送达' END)
      INTO served
      FROM @extschema@.notice_service ns WHERE ns.inspection_id = i.id;
    RETURN pg_catalog.jsonb_build_object(
        'title', '检查结果告知书',
        'inspection_id', i.id,
        'subject', pg_catalog.jsonb_build_object('uscc', i.uscc::text, 'name', n.subject_name),
        'department', pg_catalog.jsonb_build_object('id', i.department_id, 'name', n.department_name),
        'task', pg_catalog.jsonb_build_object('id', i.task_id, 'title', n.task_title, 'kind', n.task_kind),
        'inspected_on', i.inspected_on,
        'result_on', i.result_on,
        'result', pg_catalog.jsonb_build_object('code', i.result_code, 'name', n.result_name,
                                                'problem_found', n.problem_found),
        'items', coalesce(items, '[]'::jsonb),
        'legal_basis', coalesce(basis, '[]'::jsonb),
        'disposals', coalesce(disp, '[]'::jsonb),
        'rights', pg_catalog.format('如对本次检查结果有异议，可自收到本告知书之日起5个工作日内向%s提出陈述、申辩或者申请复核；'
                                    '对依法作出的行政处理决定不服的，可以依法申请行政复议或者提起行政诉讼。', n.department_name),
        'next_steps', pg_catalog.to_jsonb(coalesce(steps, '{}'::text[])),
        'served', served);
END
$$;
COMMENT ON FUNCTION @extschema@.result_notice(bigint) IS
    'the result notice (检查结果告知书) of an inspection with a result, as jsonb: title, subject (uscc, name), department, task, inspected_on, result_on, result, items (each of the department''s items of the task with its result and measure, NULL where not recorded), legal_basis (the items'' legal bases), disposals, rights (陈述、申辩、复核 and review rights, in Chinese), next_steps (what follows from the measures) and served (NULL until record_notice_served). Runs with the caller''s rights: 22023 for an inspection it cannot see, 55000 without a result';

CREATE OR REPLACE FUNCTION @extschema@.scenario_task(scenario_id bigint, title text, period_start date, period_end date,
        plan_id bigint DEFAULT NULL, kind text DEFAULT NULL, sample_ratio numeric DEFAULT NULL,
        sample_size integer DEFAULT NULL, directory_id bigint DEFAULT NULL,
        inspectors_per_target integer DEFAULT 2, inspector_scope text DEFAULT 'own')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    s       record;
    bad     record;
    p       record;
    new_id  bigint;
BEGIN
    IF scenario_id IS NULL OR title IS NULL OR period_start IS NULL OR period_end IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('%s must not be NULL'),
                          CASE WHEN scenario_id IS NULL THEN 'scenario_id' WHEN title IS NULL THEN 'title'
                               WHEN period_start IS NULL THEN 'period_start' ELSE 'period_end' END),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    -- FOR SHARE: the scenario is not changed or removed while its task is made
    SELECT x.id, x.name, x.lead_department_id, dp.name AS lead_name INTO s
      FROM @extschema@.joint_scenario x JOIN @extschema@.department dp ON dp.id = x.lead_department_id
     WHERE x.id = scenario_task.scenario_id FOR SHARE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('joint scenario %s does not exist'), scenario_id),
            ERRCODE = 'undefined_object';
    END IF;
    IF NOT @extschema@.acts_for_department(s.lead_department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied to make a task of joint scenario %s'), scenario_id),
            ERRCODE = 'insufficient_privilege',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The scenario "%s" is led by department %s (%s).'),
                                        s.name, s.lead_department_id, s.lead_name),
            HINT    = pg_catalog.format(@extschema@.message_text('A scenario''s joint task is initiated by its lead department (牵头单位): an officer of that department (%s.grant_department_officer) or an admin.'),
                                        '@extschema@');
    END IF;

    SELECT ci.id, ci.code, ci.department_id INTO bad
      FROM @extschema@.joint_scenario_item si JOIN @extschema@.check_item ci ON ci.id = si.item_id
     WHERE si.scenario_id = s.id AND NOT ci.active ORDER BY ci.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('item %s (%s) of joint scenario %s is not active'), bad.id, bad.code, s.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Remove it from the scenario (joint_scenario_item), or make it active again.'));
    END IF;
    SELECT count(*) AS items, count(DISTINCT ci.department_id) AS departments,
           pg_catalog.string_agg(DISTINCT ci.department_id::text, ', ') AS department_ids INTO bad
      FROM @extschema@.joint_scenario_item si JOIN @extschema@.check_item ci ON ci.id = si.item_id
     WHERE si.scenario_id = s.id;
    IF bad.items = 0 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('joint scenario %s has no items'), s.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('A joint-check scenario lists the items of its lead and partner departments (协同单位) in joint_scenario_item.'));
    ELSIF bad.departments < 2 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('joint scenario %s has items of only one department'), s.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Its %s items are of department %s.'), bad.items, bad.department_ids),
            HINT    = pg_catalog.format(@extschema@.message_text('A joint-check scenario lists the items of its lead and partner departments (协同单位) in joint_scenario_item.'));
    END IF;

    IF plan_id IS NOT NULL THEN
        SELECT x.id, x.department_id INTO p FROM @extschema@.plan x WHERE x.id = scenario_task.plan_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('plan %s does not exist'), plan_id),
                ERRCODE = 'foreign_key_violation';
        END IF;
        IF p.department_id <> s.lead_department_id THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('plan %s is department %s''s, not the lead department %s''s'),
                                            plan_id, p.department_id, s.lead_department_id),
                ERRCODE = 'invalid_parameter_value',
                HINT    = pg_catalog.format(@extschema@.message_text('A scenario''s joint task goes into a plan of its lead department.'));
        END IF;
    END IF;

    -- the task's own constraints and triggers check the rest (period, kind, sampling, scope)
    INSERT INTO @extschema@.task (plan_id, department_id, kind, title, period_start, period_end, sample_ratio,
                                sample_size, directory_id, inspectors_per_target, inspector_scope)
    VALUES (scenario_task.plan_id, s.lead_department_id,
            coalesce(scenario_task.kind, CASE WHEN scenario_task.plan_id IS NULL THEN 'special' ELSE 'planned' END),
            scenario_task.title, scenario_task.period_start, scenario_task.period_end, scenario_task.sample_ratio,
            scenario_task.sample_size, scenario_task.directory_id, scenario_task.inspectors_per_target,
            scenario_task.inspector_scope)
    RETURNING id INTO new_id;
    INSERT INTO @extschema@.task_item (task_id, item_id)
    SELECT new_id, si.item_id FROM @extschema@.joint_scenario_item si
     WHERE si.scenario_id = s.id ORDER BY si.item_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) IS
    'makes the joint task (联合抽查任务) of a joint-check scenario and returns its id: initiated by the scenario''s lead department (牵头单位), with every item of the scenario (the lead''s and the partners''), the given period, plan (the lead''s), kind (default planned with a plan, else special), sampling, directory, inspectors_per_target and inspector_scope; approve it (task.approved_on), then draw it as any task. Only an officer of the lead department or an admin may call it (42501). Refuses NULLs (22004), an unknown scenario (42704), a scenario with an inactive item, without items or with the items of one department only (55000), another department''s plan (22023); the task''s constraints check the period, kind, sampling and scope';

-- ---- require_task_access as merged from the pieces above ----
CREATE OR REPLACE FUNCTION @extschema@.require_task_access(task_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF task_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task_id must not be NULL')),
            ERRCODE = 'null_value_not_allowed',
            DETAIL  = CASE act
                      WHEN 'draw' THEN pg_catalog.format(@extschema@.message_text('No task was given to draw.'))
                      WHEN 'cancel draws of' THEN pg_catalog.format(@extschema@.message_text('No task was given to cancel draws of.'))
                      WHEN 'match inspectors for' THEN pg_catalog.format(@extschema@.message_text('No task was given to match inspectors for.'))
                      WHEN 'assign inspectors for' THEN pg_catalog.format(@extschema@.message_text('No task was given to assign inspectors for.'))
                      ELSE pg_catalog.format(@extschema@.message_text('No task was given to %s.'), act) END;
    END IF;
    IF NOT @extschema@.may_act_on_task(task_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE act
                      WHEN 'draw' THEN pg_catalog.format(@extschema@.message_text('permission denied to draw task %s'), task_id)
                      WHEN 'cancel draws of' THEN pg_catalog.format(@extschema@.message_text('permission denied to cancel draws of task %s'), task_id)
                      WHEN 'match inspectors for' THEN pg_catalog.format(@extschema@.message_text('permission denied to match inspectors for task %s'), task_id)
                      WHEN 'assign inspectors for' THEN pg_catalog.format(@extschema@.message_text('permission denied to assign inspectors for task %s'), task_id)
                      ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s task %s'), act, task_id) END,
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('Draws, cancellations and inspector matching of a task are done by an officer of its initiating department (%s.grant_department_officer) or an admin.'),
                                        '@extschema@');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_task_access(bigint, text) IS
    'raises 42501 ("permission denied to <act> task <id>") unless may_act_on_task(task_id), and 22004 for a NULL task; called by draw, cancel_draw, match_inspectors and assign_inspector';

-- ---- a draw over a relation hashes its rows where they are read: draw_part_agg (the population and
-- the candidates of the selection, rows whose digest lies below their stratum's bound), collected
-- by relation_population (now given the seed and algorithm) and taken by draw_select, which draws
-- the same targets from the candidates where they suffice (src/core/draw_part.c)
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

COMMENT ON FUNCTION @extschema@.draw_select(bytea, bytea, text, text[], integer[]) IS
    'runs a draw algorithm (sha256-v1, sha256-v1-weighted, rfc3797) over a compact population with k[i] targets from stratum strata[i] (strata not named: none); returns the population digest and the targets, stratum by stratum in rank order. draw() and verify_draw() both use it. Given a draw part (draw_part_agg) instead of a population, draws from its population the same targets, taking a stratum''s from its candidates when they are at least k[i]';

DROP FUNCTION @extschema@.relation_population(bigint, regclass, boolean, boolean);
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
        RAISE EXCEPTION 'task % draws from its directory, not from a relation', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A draw over a relation takes the relation as the task''s population: use a task without a directory, or draw(task_id, seed) to draw from the directory.';
    END IF;
    SELECT n.nspname, c.relname, c.relrowsecurity, c.relkind,
           coalesce(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false) AS invoker
      INTO rel
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = population;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', population::oid USING ERRCODE = 'undefined_table';
    END IF;
    -- the columns: uscc, and credit_class and weight when the draw uses them
    FOR col IN SELECT x.name, x.type FROM (VALUES ('uscc', '@extschema@.uscc'::regtype, true),
                                                 ('credit_class', 'text'::regtype, stratified),
                                                 ('weight', 'double precision'::regtype, weighted)) x(name, type, needed)
                WHERE x.needed
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = population AND a.attname = col.name AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'relation % has no column "%"', population, col.name
                USING ERRCODE = 'undefined_column',
                      HINT = 'A draw population relation has the columns uscc @extschema@.uscc and credit_class text (weight double precision for a weighted draw); a view can rename them.';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = population AND a.attname = col.name AND a.atttypid = col.type) THEN
            RAISE EXCEPTION 'column "%" of relation % is not of type %', col.name, population, col.type
                USING ERRCODE = 'datatype_mismatch',
                      HINT = 'A view can cast it.';
        END IF;
        -- draw() runs as the extension owner: the relation is read only if the caller may read it
        IF NOT pg_catalog.has_column_privilege(who, population, col.name, 'SELECT') THEN
            RAISE EXCEPTION 'permission denied for relation %', population
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = pg_catalog.format('Role %s may not read its column %s.', who, col.name);
        END IF;
    END LOOP;
    -- (read as the owner, a security_invoker view would check its tables' privileges for the owner,
    -- and a foreign table would use the owner's user mapping: not what the caller would get)
    IF (rel.invoker OR rel.relkind = 'f') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = who AND r.rolsuper) THEN
        RAISE EXCEPTION 'relation % is %', population, CASE WHEN rel.invoker THEN 'a security_invoker view' ELSE 'a foreign table' END
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A draw reads its population as the extension owner, which would not read it as the caller does.',
                  HINT = 'Draw from a table, or a view without security_invoker.';
    END IF;
    IF rel.relrowsecurity AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                           WHERE r.rolname = who AND (r.rolsuper OR r.rolbypassrls)) THEN
        RAISE EXCEPTION 'relation % has row-level security', population
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A draw reads its population as the extension owner, which would not apply the policies the caller is under.',
                  HINT = 'Draw from a relation without row-level security (for example a table of the rows the caller may draw).';
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

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea, population regclass, algorithm text DEFAULT 'sha256-v1')
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
        RAISE EXCEPTION 'task_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF algorithm IS NULL OR algorithm NOT IN ('sha256-v1', 'sha256-v1-weighted', 'rfc3797') THEN
        RAISE EXCEPTION 'unknown draw algorithm: "%"', @extschema@.message_value(algorithm)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The algorithms are sha256-v1 (default), sha256-v1-weighted (weight = risk_level) and rfc3797.';
    END IF;
    IF seed IS NOT NULL AND octet_length(seed) <> 32 THEN
        RAISE EXCEPTION 'seed must be 32 bytes, not %', octet_length(seed)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use @extschema@.seed_from(text) to make a seed from a published text, or pass NULL for a random one.';
    END IF;

    PERFORM @extschema@.require_task_access(draw.task_id, 'draw');
    -- the task row is locked, so two draws of one task queue up and the second sees the first
    SELECT tk.*, p.year AS plan_year INTO t
      FROM @extschema@.task tk LEFT JOIN @extschema@.plan p ON p.id = tk.plan_id
     WHERE tk.id = draw.task_id
       FOR NO KEY UPDATE OF tk;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', task_id USING ERRCODE = 'undefined_object';
    END IF;
    IF t.approved_on IS NULL THEN
        RAISE EXCEPTION 'task % is not approved', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A task is drawn after approval: set @extschema@.task.approved_on first.';
    END IF;
    -- the check window: the targets are checked within the task's period (在任务期内完成检查),
    -- so a task whose period has ended is not drawn any more
    IF t.period_end < @extschema@.today() THEN
        RAISE EXCEPTION 'task % cannot be drawn: its period ended on %', task_id, pg_catalog.to_char(t.period_end, 'YYYY-MM-DD')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('The task''s period is %s to %s; today is %s.', pg_catalog.to_char(t.period_start, 'YYYY-MM-DD'), pg_catalog.to_char(t.period_end, 'YYYY-MM-DD'), pg_catalog.to_char(@extschema@.today(), 'YYYY-MM-DD')),
                  HINT = 'The targets of a draw are checked within the task''s period. Extend the period (UPDATE @extschema@.task SET period_end = ...) or draw a new task.';
    END IF;
    -- (the task trigger keeps a task inside its plan's year; checked again for rows loaded around it)
    IF t.plan_year IS NOT NULL AND t.plan_year <> extract(year FROM t.period_start)::integer THEN
        RAISE EXCEPTION 'task % lies in the year %, but its plan % is for the year %',
                task_id, extract(year FROM t.period_start)::integer, t.plan_id, t.plan_year
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Put the task in a plan of its own year.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task_item i WHERE i.task_id = draw.task_id) THEN
        RAISE EXCEPTION 'task % has no check items', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Add the task''s items to @extschema@.task_item before drawing.';
    END IF;
    has_strata := EXISTS (SELECT 1 FROM @extschema@.task_stratum s WHERE s.task_id = draw.task_id);
    IF NOT has_strata AND t.sample_ratio IS NULL AND t.sample_size IS NULL THEN
        RAISE EXCEPTION 'task % has no sample_ratio, sample_size or strata', task_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Set sample_ratio or sample_size, or add per credit class ratios to @extschema@.task_stratum.';
    END IF;
    SELECT d.id INTO live FROM @extschema@.draw_record d
     WHERE d.task_id = draw.task_id AND d.cancelled_at IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION 'task % is already drawn (draw %)', task_id, live
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('A task is drawn once. To draw again, cancel the draw with a reason: SELECT @extschema@.cancel_draw(%s, ''...'').', live);
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
        RAISE EXCEPTION 'an rfc3797 draw takes at most 65536 targets per stratum'
            USING ERRCODE = 'program_limit_exceeded',
                  DETAIL = pg_catalog.format('The allocation is %s.', alloc),
                  HINT = 'Use the sha256-v1 algorithm for larger draws.';
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

-- ---- relation_population, draw as merged from the pieces above ----
CREATE OR REPLACE FUNCTION @extschema@.relation_population(task_id bigint, population regclass, stratified boolean, weighted boolean,
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

CREATE OR REPLACE FUNCTION @extschema@.draw(task_id bigint, seed bytea, population regclass, algorithm text DEFAULT 'sha256-v1')
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

-- acting_with_all_rights, acting_department_ids and may_see_task are plpgsql (their plans kept for
-- the session); one subject's limited checks are read through its own index entries
-- (limited_checks_of), which limit_conflicts_all joins; task_limit_profile narrows the superiors'
-- candidates by region before is_superior decides
CREATE OR REPLACE FUNCTION @extschema@.acting_with_all_rights() RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) @extschema@.acting_role() AND r.rolsuper)
        OR pg_catalog.pg_has_role(@extschema@.acting_role(),
                                  (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'supervise'),
                                  'USAGE')
        OR EXISTS (SELECT 1 FROM @extschema@.access_role a JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) a.role_name
                    WHERE a.access OPERATOR(pg_catalog.=) 'admin'
                      AND pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE'));
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.acting_department_ids() RETURNS bigint[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ARRAY(SELECT DISTINCT o.department_id
                   FROM @extschema@.officer_department o
                   JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) o.role_name
                  WHERE pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE')
                  ORDER BY o.department_id);
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.may_see_task(task_id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN may_see_task.task_id IS NOT NULL
       AND (@extschema@.acting_with_all_rights()
            OR EXISTS (SELECT 1 FROM @extschema@.task t
                        WHERE t.id OPERATOR(pg_catalog.=) may_see_task.task_id
                          AND (t.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())
                               OR EXISTS (SELECT 1 FROM @extschema@.task_item ti
                                            JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                                           WHERE ti.task_id OPERATOR(pg_catalog.=) t.id
                                             AND ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())))));
END
$$;
CREATE FUNCTION @extschema@.limited_checks_of(subject @extschema@.uscc)
RETURNS TABLE (uscc @extschema@.uscc, year integer, category text, department_id bigint, task_id bigint,
               source text, source_id bigint, checked_on date, overridden boolean)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT i.uscc,
           pg_catalog.date_part('year', COALESCE(i.inspected_on, sc.period_start))::integer,
           sc.category, i.department_id, sc.task_id, 'inspection'::text, i.id,
           COALESCE(i.inspected_on, sc.period_start),
           EXISTS (SELECT 1 FROM @extschema@.limit_override o
                    WHERE o.task_id OPERATOR(pg_catalog.=) i.task_id AND o.uscc OPERATOR(@extschema@.=) i.uscc
                      AND o.department_id OPERATOR(pg_catalog.=) i.department_id
                      AND o.used_at IS NOT NULL)
      FROM @extschema@.inspection i
     CROSS JOIN LATERAL (
          SELECT DISTINCT t.id AS task_id, t.period_start, ci.category, ci.department_id AS item_department_id,
                 ARRAY(SELECT ci2.department_id
                         FROM @extschema@.task_item ti2
                         JOIN @extschema@.check_item ci2 ON ci2.id OPERATOR(pg_catalog.=) ti2.item_id
                        WHERE ti2.task_id OPERATOR(pg_catalog.=) t.id) AS task_departments
            FROM @extschema@.task t
            JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) t.id
            JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
           WHERE t.id OPERATOR(pg_catalog.=) i.task_id
             AND t.kind OPERATOR(pg_catalog.<>) 'clue' AND NOT ci.limit_exempt) sc
     WHERE i.uscc OPERATOR(@extschema@.=) limited_checks_of.subject
       AND (sc.item_department_id OPERATOR(pg_catalog.=) i.department_id
            OR NOT (i.department_id OPERATOR(pg_catalog.=) ANY (sc.task_departments)))
    UNION ALL
    SELECT dt.uscc,
           pg_catalog.date_part('year', sc.period_start)::integer,
           sc.category, sc.item_department_id, sc.task_id, 'draw'::text, dr.id,
           (dr.drawn_at AT TIME ZONE 'Asia/Shanghai')::date,
           false
      FROM @extschema@.draw_target dt
      JOIN @extschema@.draw_record dr ON dr.id OPERATOR(pg_catalog.=) dt.draw_id AND dr.cancelled_at IS NULL
     CROSS JOIN LATERAL (
          SELECT DISTINCT t.id AS task_id, t.period_start, ci.category, ci.department_id AS item_department_id
            FROM @extschema@.task t
            JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) t.id
            JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
           WHERE t.id OPERATOR(pg_catalog.=) dr.task_id
             AND t.kind OPERATOR(pg_catalog.<>) 'clue' AND NOT ci.limit_exempt) sc
     WHERE dt.uscc OPERATOR(@extschema@.=) limited_checks_of.subject;
END;
COMMENT ON FUNCTION @extschema@.limited_checks_of(@extschema@.uscc) IS
    'internal: the rows of v_limited_checks of one subject (the same columns and rows), read through the subject''s inspections and draw targets and their tasks'' items; used by limit_conflicts_all';
CREATE OR REPLACE FUNCTION @extschema@.task_limit_profile(task bigint,
    OUT task_id bigint, OUT year integer, OUT limited boolean, OUT categories text[],
    OUT departments bigint[], OUT superiors bigint[], OUT systems text[])
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- it runs as the owner: only about tasks the acting role may see
    PERFORM @extschema@.require_task_visible(task_limit_profile.task);
    -- plpgsql rather than sql: its plans are kept across calls (exclusion_reason runs per subject)
    SELECT t.id,
           pg_catalog.date_part('year', t.period_start)::integer,
           COALESCE(pg_catalog.cardinality(x.categories), 0) OPERATOR(pg_catalog.>) 0,
           COALESCE(x.categories, '{}'), COALESCE(x.departments, '{}'),
           -- is_superior decides; the join on system, level and region only narrows the candidates
           COALESCE((SELECT pg_catalog.array_agg(DISTINCT a.id ORDER BY a.id)
                       FROM @extschema@.department d
                       JOIN @extschema@.department a
                         ON a.system OPERATOR(pg_catalog.=) d.system AND a.level OPERATOR(pg_catalog.<) d.level
                        AND pg_catalog.starts_with(d.region, a.region)
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
CREATE OR REPLACE FUNCTION @extschema@.limit_conflicts_all(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT CASE WHEN c.category OPERATOR(pg_catalog.=) ANY (p.categories) THEN 'same_category_this_year'
                ELSE 'superior_checked_this_year' END,
           c.category, c.task_id, c.department_id, c.checked_on, c.source, c.source_id, c.overridden
      FROM @extschema@.task_limit_profile(limit_conflicts_all.task) p
      JOIN @extschema@.limited_checks_of(limit_conflicts_all.subject) c
        ON c.year OPERATOR(pg_catalog.=) COALESCE(limit_conflicts_all.year, p.year)
       AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
       AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     WHERE p.limited
     ORDER BY 1, c.checked_on, c.source DESC, c.source_id, c.category;
END
$$;

-- is_superior is plpgsql (its plan kept for the session)
CREATE OR REPLACE FUNCTION @extschema@.is_superior(superior_id bigint, subordinate_id bigint) RETURNS boolean
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

-- the BRIN index on visit.uscc has 4 pages a range
DROP INDEX @extschema@.visit_uscc_brin;
CREATE INDEX visit_uscc_brin ON @extschema@.visit USING brin (uscc) WITH (pages_per_range = 4, autosummarize = on);

-- ---- acting_department_ids, acting_with_all_rights, is_superior, limit_conflicts_all, may_see_task, task_limit_profile as merged from the pieces above ----
CREATE OR REPLACE FUNCTION @extschema@.acting_department_ids() RETURNS bigint[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ARRAY(SELECT DISTINCT o.department_id
                   FROM @extschema@.officer_department o
                   JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) o.role_name
                  WHERE pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE')
                  ORDER BY o.department_id);
END
$$;
COMMENT ON FUNCTION @extschema@.acting_department_ids() IS
    'the departments the acting role (acting_role()) is an officer of, directly or through a group role; my_department_ids() for the functions that run as the owner';

CREATE OR REPLACE FUNCTION @extschema@.acting_with_all_rights() RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) @extschema@.acting_role() AND r.rolsuper)
        OR pg_catalog.pg_has_role(@extschema@.acting_role(),
                                  (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'supervise'),
                                  'USAGE')
        OR EXISTS (SELECT 1 FROM @extschema@.access_role a JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) a.role_name
                    WHERE a.access OPERATOR(pg_catalog.=) 'admin'
                      AND pg_catalog.pg_has_role(@extschema@.acting_role(), r.oid, 'USAGE'));
END
$$;
COMMENT ON FUNCTION @extschema@.acting_with_all_rights() IS
    'true when the acting role (acting_role()) is a superuser, a member of the extension owner''s role or an admin; asked by the functions that run as the owner';

CREATE OR REPLACE FUNCTION @extschema@.is_superior(superior_id bigint, subordinate_id bigint) RETURNS boolean
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

CREATE OR REPLACE FUNCTION @extschema@.limit_conflicts_all(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT CASE WHEN c.category OPERATOR(pg_catalog.=) ANY (p.categories) THEN 'same_category_this_year'
                ELSE 'superior_checked_this_year' END,
           c.category, c.task_id, c.department_id, c.checked_on, c.source, c.source_id, c.overridden
      FROM @extschema@.task_limit_profile(limit_conflicts_all.task) p
      JOIN @extschema@.limited_checks_of(limit_conflicts_all.subject) c
        ON c.year OPERATOR(pg_catalog.=) COALESCE(limit_conflicts_all.year, p.year)
       AND c.task_id OPERATOR(pg_catalog.<>) p.task_id
       AND (c.category OPERATOR(pg_catalog.=) ANY (p.categories)
            OR c.department_id OPERATOR(pg_catalog.=) ANY (p.superiors))
     WHERE p.limited
     ORDER BY 1, c.checked_on, c.source DESC, c.source_id, c.category;
END
$$;
COMMENT ON FUNCTION @extschema@.limit_conflicts_all(@extschema@.uscc, bigint, integer) IS
    'internal: the earlier checks that exclude the subject from the task (the task''s own checks never count): same_category_this_year rows first, then superior_checked_this_year, each oldest first; year defaults to the task''s year. Empty for a clue task or one without non-exempt items. Names checks of every department: used by the limits triggers and exclusion_reason; limit_conflicts() is what callers read';

CREATE OR REPLACE FUNCTION @extschema@.may_see_task(task_id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN may_see_task.task_id IS NOT NULL
       AND (@extschema@.acting_with_all_rights()
            OR EXISTS (SELECT 1 FROM @extschema@.task t
                        WHERE t.id OPERATOR(pg_catalog.=) may_see_task.task_id
                          AND (t.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())
                               OR EXISTS (SELECT 1 FROM @extschema@.task_item ti
                                            JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                                           WHERE ti.task_id OPERATOR(pg_catalog.=) t.id
                                             AND ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.acting_department_ids())))));
END
$$;
COMMENT ON FUNCTION @extschema@.may_see_task(bigint) IS
    'true when the acting role may see the task: a superuser or member of the extension owner''s role, an admin, or an officer of its initiating department or of a department with an item in it (a joint task it takes part in), as row-level security lets officers read tasks; false for NULL';

CREATE OR REPLACE FUNCTION @extschema@.task_limit_profile(task bigint,
    OUT task_id bigint, OUT year integer, OUT limited boolean, OUT categories text[],
    OUT departments bigint[], OUT superiors bigint[], OUT systems text[])
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    -- it runs as the owner: only about tasks the acting role may see
    PERFORM @extschema@.require_task_visible(task_limit_profile.task);
    -- plpgsql rather than sql: its plans are kept across calls (exclusion_reason runs per subject)
    SELECT t.id,
           pg_catalog.date_part('year', t.period_start)::integer,
           COALESCE(pg_catalog.cardinality(x.categories), 0) OPERATOR(pg_catalog.>) 0,
           COALESCE(x.categories, '{}'), COALESCE(x.departments, '{}'),
           -- is_superior decides; the join on system, level and region only narrows the candidates
           COALESCE((SELECT pg_catalog.array_agg(DISTINCT a.id ORDER BY a.id)
                       FROM @extschema@.department d
                       JOIN @extschema@.department a
                         ON a.system OPERATOR(pg_catalog.=) d.system AND a.level OPERATOR(pg_catalog.<) d.level
                        AND pg_catalog.starts_with(d.region, a.region)
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
    'limits: what limits a task: its year (of period_start), whether it is limited at all (not a clue task and at least one non-exempt item), the categories and departments of its non-exempt items, the departments superior to those, and their systems; no row for an unknown task. Refused (42501) unless the acting role may see the task (may_see_task)';

-- ---- shipped_row_guard as merged from the pieces above ----
CREATE OR REPLACE FUNCTION @extschema@.shipped_row_guard() RETURNS trigger
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
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('cannot delete shipped row "%s" of %s.%s'), to_jsonb(OLD) ->> key_column, TG_TABLE_SCHEMA, TG_TABLE_NAME),
                ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Rows installed with the extension can be corrected, not deleted (a restore would bring them back).')),
                HINT    = @extschema@.message_text(TG_ARGV[1]);
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

-- ---- the rule weighed in one place (limits_check_counts, limits_reason); the limits read a few subjects' checks one by one (limits_subject_budget, limited_checks_among); the rule per subject as inlined SQL functions (limit_profile_of, limit_conflicts_of) ----
CREATE OR REPLACE FUNCTION @extschema@.limits_check_counts(check_year integer, check_task_id bigint, check_category text,
                                                check_department_id bigint, year integer, task_id bigint,
                                                categories text[], superiors bigint[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN check_year OPERATOR(pg_catalog.=) year
       AND check_task_id OPERATOR(pg_catalog.<>) task_id
       AND (check_category OPERATOR(pg_catalog.=) ANY (categories)
            OR check_department_id OPERATOR(pg_catalog.=) ANY (superiors));
COMMENT ON FUNCTION @extschema@.limits_check_counts(integer, bigint, text, bigint, integer, bigint, text[], bigint[]) IS
    'internal: whether a check (a row of v_limited_checks: its year, task, category, department) counts against a task with the limit profile (year, task_id, categories, superiors): the same year, another task, and one of the categories or by one of the superior departments. An inlined sql function: the one place this is written';

CREATE OR REPLACE FUNCTION @extschema@.limits_reason(check_category text, categories text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN check_category OPERATOR(pg_catalog.=) ANY (categories) THEN 'same_category_this_year'
                ELSE 'superior_checked_this_year' END;
COMMENT ON FUNCTION @extschema@.limits_reason(text, text[]) IS
    'internal: why a check that counts against a task (limits_check_counts) excludes the subject: same_category_this_year when its category is one of the task''s, else superior_checked_this_year. The reasons sort in their precedence';

CREATE OR REPLACE FUNCTION @extschema@.limits_subject_budget() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    RETURN CASE pg_catalog.current_setting('supervise.limits_lookup', true)
                WHEN 'per_subject' THEN 9223372036854775807
                WHEN 'year_scan' THEN 0
                ELSE (SELECT (pg_catalog.sum(GREATEST(c.reltuples, 0)) OPERATOR(pg_catalog./) 64)::bigint
                        FROM pg_catalog.pg_class c
                       WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.inspection'::pg_catalog.regclass,
                                                                     '@extschema@.draw_target'::pg_catalog.regclass]::pg_catalog.oid[])) END;
COMMENT ON FUNCTION @extschema@.limits_subject_budget() IS
    'internal: up to how many subjects the limits read checks subject by subject (limited_checks_among) rather than in one pass over the year''s checks: the estimated rows of inspection and draw_target over 64, or all (supervise.limits_lookup = per_subject) or none (year_scan)';

CREATE OR REPLACE FUNCTION @extschema@.limited_checks_among(codes @extschema@.uscc[], check_year integer, other_than_task bigint,
                                                 categories text[], superiors bigint[])
RETURNS TABLE (uscc @extschema@.uscc, year integer, category text, department_id bigint, task_id bigint,
               source text, source_id bigint, checked_on date, overridden boolean)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    -- one plan for every call (its shape does not depend on the values), kept for the session;
    -- planned as for pages in memory: the few rows of each subject's checks and of their tasks
    -- and items are looked up by key (at the default 4, the planner scans task and task_item,
    -- a few pages each, once per check row: twice the time)
    SET plan_cache_mode = force_generic_plan
    SET random_page_cost = 1.1
AS $$
BEGIN
    RETURN QUERY
    SELECT c.*
      FROM pg_catalog.unnest(limited_checks_among.codes) u(code)
     CROSS JOIN LATERAL @extschema@.limited_checks_of(u.code) c
     WHERE @extschema@.limits_check_counts(c.year, c.task_id, c.category, c.department_id,
                                           limited_checks_among.check_year, limited_checks_among.other_than_task,
                                           limited_checks_among.categories, limited_checks_among.superiors);
END
$$;
COMMENT ON FUNCTION @extschema@.limited_checks_among(@extschema@.uscc[], integer, bigint, text[], bigint[]) IS
    'internal: the checks of v_limited_checks of the given subjects (codes) in check_year, of other tasks than other_than_task, of one of the categories or by one of the departments (superiors): the rows that exclude them from a task with that profile, read subject by subject (limited_checks_of). For a draw''s targets and a small directory''s members (limits_subject_budget)';

CREATE OR REPLACE FUNCTION @extschema@.limit_profile_of(task bigint)
RETURNS TABLE (task_id bigint, year integer, limited boolean, categories text[],
               departments bigint[], superiors bigint[], systems text[])
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT t.id,
           pg_catalog.date_part('year', t.period_start)::integer,
           COALESCE(pg_catalog.cardinality(x.categories), 0) OPERATOR(pg_catalog.>) 0,
           COALESCE(x.categories, '{}'), COALESCE(x.departments, '{}'),
           -- is_superior decides; the join on system, level and region only narrows the candidates
           COALESCE((SELECT pg_catalog.array_agg(DISTINCT a.id ORDER BY a.id)
                       FROM @extschema@.department d
                       JOIN @extschema@.department a
                         ON a.system OPERATOR(pg_catalog.=) d.system AND a.level OPERATOR(pg_catalog.<) d.level
                        AND pg_catalog.starts_with(d.region, a.region)
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
     WHERE t.id OPERATOR(pg_catalog.=) limit_profile_of.task;
END;
COMMENT ON FUNCTION @extschema@.limit_profile_of(bigint) IS
    'internal: the limit profile of a task (as task_limit_profile), read with the caller''s rights and without the visibility check: an inlined SQL function, for limit_conflicts_of';

CREATE OR REPLACE FUNCTION @extschema@.task_limit_profile(task bigint,
    OUT task_id bigint, OUT year integer, OUT limited boolean, OUT categories text[],
    OUT departments bigint[], OUT superiors bigint[], OUT systems text[])
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
    -- a few rows read by key (see limited_checks_among)
    SET random_page_cost = 1.1
AS $$
BEGIN
    -- it runs as the owner: only about tasks the acting role may see
    PERFORM @extschema@.require_task_visible(task_limit_profile.task);
    -- plpgsql rather than sql: its plans are kept across calls. SELECT INTO, not RETURN QUERY:
    -- a query this small is never worth parallel workers, even where parallel_setup_cost is 0
    SELECT p.* INTO task_id, year, limited, categories, departments, superiors, systems
      FROM @extschema@.limit_profile_of(task_limit_profile.task) p;
    IF FOUND THEN
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.task_limit_profile(bigint) IS
    'limits: what limits a task: its year (of period_start), whether it is limited at all (not a clue task and at least one non-exempt item), the categories and departments of its non-exempt items, the departments superior to those, and their systems; no row for an unknown task. Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE OR REPLACE FUNCTION @extschema@.limit_conflicts_of(subject @extschema@.uscc, task bigint, year integer)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT @extschema@.limits_reason(c.category, p.categories),
           c.category, c.task_id, c.department_id, c.checked_on, c.source, c.source_id, c.overridden
      FROM @extschema@.limit_profile_of(limit_conflicts_of.task) p
      JOIN @extschema@.limited_checks_of(limit_conflicts_of.subject) c
        ON @extschema@.limits_check_counts(c.year, c.task_id, c.category, c.department_id,
                                           COALESCE(limit_conflicts_of.year, p.year), p.task_id, p.categories, p.superiors)
     WHERE p.limited
     ORDER BY 1, c.checked_on, c.source DESC, c.source_id, c.category;
END;
COMMENT ON FUNCTION @extschema@.limit_conflicts_of(@extschema@.uscc, bigint, integer) IS
    'internal: the rule, per subject: the earlier checks that exclude the subject from the task, in the order of limit_conflicts_all (year NULL: the task''s year); read with the caller''s rights and without the visibility check, as an inlined SQL function (exclusion_reason plans it with its own query)';

CREATE OR REPLACE FUNCTION @extschema@.limit_conflicts_all(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF task IS NOT NULL THEN
        PERFORM @extschema@.require_task_visible(limit_conflicts_all.task);
    END IF;
    RETURN QUERY
    SELECT c.* FROM @extschema@.limit_conflicts_of(limit_conflicts_all.subject, limit_conflicts_all.task, limit_conflicts_all.year) c;
END
$$;
COMMENT ON FUNCTION @extschema@.limit_conflicts_all(@extschema@.uscc, bigint, integer) IS
    'internal: the earlier checks that exclude the subject from the task (the task''s own checks never count): same_category_this_year rows first, then superior_checked_this_year, each oldest first; year defaults to the task''s year. Empty for a clue task or one without non-exempt items. Names checks of every department: used by the limits triggers (exclusion_reason reads the same rule, limit_conflicts_of, in its own statement); limit_conflicts() is what callers read';

CREATE OR REPLACE FUNCTION @extschema@.exclusion_reason(subject @extschema@.uscc, task_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
    -- a few rows read by key (see limited_checks_among)
    SET random_page_cost = 1.1
AS $$
DECLARE
    known boolean;
    st text;
    r text;
BEGIN
    PERFORM @extschema@.require_task_visible(exclusion_reason.task_id);
    -- one statement: the task, the subject's status and its first conflict (the rule inlined)
    SELECT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) exclusion_reason.task_id),
           (SELECT s.status FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) exclusion_reason.subject),
           (SELECT c.reason FROM @extschema@.limit_conflicts_of(exclusion_reason.subject, exclusion_reason.task_id, NULL) c LIMIT 1)
      INTO known, st, r;
    IF NOT known THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), exclusion_reason.task_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    IF st IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject "%s" is not in the subject directory'), exclusion_reason.subject),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Load it with @extschema@.load_subjects() first.'));
    END IF;
    IF st OPERATOR(pg_catalog.<>) 'active' THEN
        RETURN 'inactive';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.exclusion_reason(@extschema@.uscc, bigint) IS
    'limits (doc/limits.md): NULL when the subject may be drawn for the task, else the first reason by precedence: inactive (status not active), same_category_this_year (a recorded check or live draw of another non-clue task with a non-exempt item of one of this task''s non-exempt categories, in the task''s year, by any department), superior_checked_this_year (a department superior to one of this task''s non-exempt item departments checked or drew it this year for any non-exempt item). Clue tasks and tasks whose items are all exempt are only ever excluded as inactive. Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE OR REPLACE FUNCTION @extschema@.excluded_subjects(task_id bigint)
RETURNS TABLE (uscc @extschema@.uscc, reason text)
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
    WITH p AS (SELECT * FROM @extschema@.task_limit_profile($1))
    SELECT s.uscc, 'inactive' FROM @extschema@.subject s, p
     WHERE s.status OPERATOR(pg_catalog.<>) 'active'
    UNION ALL
    SELECT c.uscc, pg_catalog.min(@extschema@.limits_reason(c.category, p.categories))
      FROM p JOIN @extschema@.v_limited_checks c
        ON @extschema@.limits_check_counts(c.year, c.task_id, c.category, c.department_id,
                                           p.year, p.task_id, p.categories, p.superiors)
      JOIN @extschema@.subject s ON s.uscc OPERATOR(@extschema@.=) c.uscc AND s.status OPERATOR(pg_catalog.=) 'active'
     WHERE p.limited
     GROUP BY c.uscc
$$;
COMMENT ON FUNCTION @extschema@.excluded_subjects(bigint) IS
    'limits, set-based: every subject of the directory that exclusion_reason() would exclude from the task, with the same reason (one join over all checks of the year, no per-subject call); subjects outside the task''s directory are included. Refused (42501) unless the acting role may see the task (may_see_task)';

CREATE OR REPLACE FUNCTION @extschema@.eligibility_parts(task_id bigint, OUT candidates text, OUT excluded text)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p record;
    dir bigint;
    few boolean := false;
BEGIN
    SELECT t.directory_id INTO dir FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) eligibility_parts.task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), eligibility_parts.task_id),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM @extschema@.task_limit_profile(eligibility_parts.task_id);
    candidates := $q$SELECT s.uscc, s.credit_class, s.risk_level::double precision AS weight
  FROM @extschema@.subject s
 WHERE s.status OPERATOR(pg_catalog.=) 'active'$q$;
    IF dir IS NOT NULL THEN
        candidates := candidates || pg_catalog.format($q$
   AND EXISTS (SELECT 1 FROM @extschema@.directory_member m
                WHERE m.directory_id OPERATOR(pg_catalog.=) %s
                  AND m.uscc OPERATOR(@extschema@.=) s.uscc)$q$, dir);
    END IF;
    IF p.limited IS NOT TRUE THEN
        RETURN;
    END IF;
    -- a small directory's members are looked up one by one, so the cost follows the directory,
    -- not the year's checks (no member after the first limits_subject_budget() ones: few enough)
    IF dir IS NOT NULL THEN
        SELECT NOT EXISTS (SELECT 1 FROM @extschema@.directory_member m
                            WHERE m.directory_id OPERATOR(pg_catalog.=) dir
                           OFFSET @extschema@.limits_subject_budget())
          INTO few;
    END IF;
    IF few THEN
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.limited_checks_among(
    ARRAY(SELECT m.uscc FROM @extschema@.directory_member m WHERE m.directory_id OPERATOR(pg_catalog.=) %s),
    %s, %s, %L::text[], %L::bigint[]) c$q$,
            dir, p.year, p.task_id, p.categories, p.superiors);
    ELSE
        -- all active subjects, or a large directory's members: the year's checks of the
        -- categories in one pass
        excluded := pg_catalog.format($q$SELECT c.uscc FROM @extschema@.v_limited_checks c
 WHERE @extschema@.limits_check_counts(c.year, c.task_id, c.category, c.department_id, %s, %s, %L::text[], %L::bigint[])$q$,
            p.year, p.task_id, p.categories, p.superiors);
        IF dir IS NOT NULL THEN
            excluded := excluded || pg_catalog.format($q$
   AND EXISTS (SELECT 1 FROM @extschema@.directory_member m
                WHERE m.directory_id OPERATOR(pg_catalog.=) %s AND m.uscc OPERATOR(@extschema@.=) c.uscc)$q$, dir);
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.eligibility_parts(bigint) IS
    'internal: the eligible population of a task as two queries, with the task''s directory, year, categories and superiors written in: candidates (uscc, credit_class, weight), the active subjects of its directory (all active subjects when it has none), and excluded (uscc), the subjects the limits on repeated checks exclude (the rule of exclusion_reason; of a task with a directory only its members: looked up one by one through limited_checks_among when they are few (limits_subject_budget), else found in one pass over the year''s checks; NULL when the task is not limited). The one place eligibility is decided: eligibility_query() joins them, draw() hands them to population_collect()';

CREATE OR REPLACE FUNCTION @extschema@.limits_check_drawn(draw_id bigint, codes @extschema@.uscc[]) RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t bigint;
    p record;
    c record;
BEGIN
    SELECT dr.task_id INTO t FROM @extschema@.draw_record dr WHERE dr.id OPERATOR(pg_catalog.=) limits_check_drawn.draw_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM @extschema@.limit_lock(t);
    SELECT * INTO p FROM @extschema@.task_limit_profile(t) x WHERE x.limited;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- (the task is a parameter, so the draw's own targets are left out.) A small draw's targets
    -- are looked up one by one, so the check costs what the draw took; a large draw's are found
    -- with the year's checks in one pass (limits_subject_budget)
    IF pg_catalog.cardinality(codes) OPERATOR(pg_catalog.<=) @extschema@.limits_subject_budget() THEN
        SELECT x.* INTO c
          FROM @extschema@.limited_checks_among(codes, p.year, t, p.categories, p.superiors) x
         ORDER BY x.uscc, x.checked_on, x.source_id
         LIMIT 1;
    ELSE
        SELECT x.* INTO c
          FROM @extschema@.v_limited_checks x
         WHERE x.uscc OPERATOR(@extschema@.=) ANY (codes)
           AND @extschema@.limits_check_counts(x.year, x.task_id, x.category, x.department_id,
                                               p.year, t, p.categories, p.superiors)
         ORDER BY x.uscc, x.checked_on, x.source_id
         LIMIT 1;
    END IF;
    IF FOUND THEN
        IF NOT @extschema@.may_see_task(c.task_id) THEN
            RAISE LOG USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s of task %s takes subject "%s", which the limits on repeated checks exclude: earlier check %s (category "%s")'),
                                            draw_id, t, c.uscc, @extschema@.limits_describe_check(c.source, c.source_id, c.task_id, c.department_id, c.checked_on), c.category);
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s of task %s takes subject "%s", which the limits on repeated checks exclude'), draw_id, t, c.uscc),
            ERRCODE = 'exclusion_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Earlier check: %s.'), @extschema@.limits_explain_conflict(
                               @extschema@.limits_reason(c.category, p.categories),
                               c.category, c.source, c.source_id, c.task_id, c.department_id, c.checked_on)),
            HINT    = pg_catalog.format(@extschema@.message_text('Draw from @extschema@.eligible_population(), which leaves such subjects out.'));
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]) IS
    'internal: refuses new targets (codes) of a draw that the limits on repeated checks exclude, naming the earlier check; takes the limit locks of the drawn task first. Run by the trigger limits_check_targets and by draw()''s bulk write of its targets';

-- ---- v_visit_report read from counts: visit_task_set.visits, kept by plan_visits, and
-- visit_result_count, kept by a trigger on inspection; both filled from the stored rows ----
COMMENT ON TABLE @extschema@.visit_task_set IS
    'what visits (联合检查) are made of, once per year and set of drawn tasks: the tasks (task_ids[i] drawn by draw_ids[i], in task id order), the days window_start..window_end they share, the lead department, and how many visits it has; written by plan_visits(), which removes a set when no visit uses it any more. What a set is made of never changes: a visit whose window or lead changes moves to another set';
COMMENT ON COLUMN @extschema@.visit_task_set.visits IS
    'how many visits the set has, kept by plan_visits() as it writes them (v_visit_report reads it rather than counting the visits)';

-- ---- results counted per visit and department, for the report -----------------------------

-- A department has finished a visit when it has recorded a result for each of the visit's tasks
-- that hold its items. Rather than look up each visit's inspections when a dashboard is read,
-- the results are counted as they are recorded: one row per visit and department with at least
-- one result, written by a statement trigger on inspection (counts added, so concurrent results
-- on one visit add up) and by plan_visits for the visits it makes of targets already checked.
-- A visit with a row has an inspection, so plan_visits keeps it as it is (never moved or removed).
CREATE TABLE @extschema@.visit_result_count (
    visit_id        bigint NOT NULL,
    department_id   bigint NOT NULL,
    task_set_id     bigint NOT NULL,
    results         integer NOT NULL,
    PRIMARY KEY (visit_id, department_id)
);
-- the report counts a task set's finished visits of a department without reading the rows
CREATE INDEX visit_result_count_set_idx ON @extschema@.visit_result_count (task_set_id, department_id, results);
COMMENT ON TABLE @extschema@.visit_result_count IS
    'for each visit and department with results recorded: how many of the visit''s tasks that hold the department''s items have its result (a visit is finished for the department when all of them have); kept by the statement triggers visit_result_count_* on inspection and by plan_visits(), read by v_visit_report';
COMMENT ON COLUMN @extschema@.visit_result_count.task_set_id IS 'the visit''s task set (visit.task_set_id; a visit with results keeps its set)';
COMMENT ON COLUMN @extschema@.visit_result_count.results IS 'the department''s inspections of the visit''s subject with a result, under the visit''s tasks that hold its items';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_result_count', '');

-- The one place where an inspection is matched with its visit: the visit of its subject whose
-- task set holds its task, when the department has items in that task. Planned for the arrays
-- given (plan_cache_mode): a result is matched through the BRIN index on visit.uscc, a load of
-- them by one pass over visit (a plan kept for the session would assume ten rows and read all of
-- visit for one result: 11 ms against 0.4 ms at 100,000 visits).
CREATE FUNCTION @extschema@.visit_results_of(task_ids bigint[], codes @extschema@.uscc[],
                                              department_ids bigint[], deltas integer[])
    RETURNS TABLE (visit_id bigint, department_id bigint, task_set_id bigint, results integer)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    IF pg_catalog.cardinality(task_ids) IS DISTINCT FROM pg_catalog.cardinality(codes)
       OR pg_catalog.cardinality(task_ids) IS DISTINCT FROM pg_catalog.cardinality(department_ids)
       OR pg_catalog.cardinality(task_ids) IS DISTINCT FROM pg_catalog.cardinality(deltas) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('visit_results_of needs as many codes, departments and deltas as task ids (%s, %s, %s, %s)'),
                                        pg_catalog.cardinality(task_ids), pg_catalog.cardinality(codes),
                                        pg_catalog.cardinality(department_ids), pg_catalog.cardinality(deltas)),
            ERRCODE = 'array_subscript_error';
    END IF;
    RETURN QUERY
    SELECT v.id, d.department_id, v.task_set_id, pg_catalog.sum(d.delta)::integer
      FROM ROWS FROM (pg_catalog.unnest(task_ids), pg_catalog.unnest(codes),
                      pg_catalog.unnest(department_ids), pg_catalog.unnest(deltas)) AS d(task_id, uscc, department_id, delta)
      JOIN @extschema@.visit v ON v.uscc OPERATOR(@extschema@.=) d.uscc
      JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id
     WHERE d.task_id OPERATOR(pg_catalog.=) ANY (s.task_ids)
       AND EXISTS (SELECT 1 FROM @extschema@.task_department td
                    WHERE td.task_id OPERATOR(pg_catalog.=) d.task_id
                      AND td.department_id OPERATOR(pg_catalog.=) d.department_id)
     GROUP BY v.id, d.department_id, v.task_set_id
    HAVING pg_catalog.sum(d.delta) OPERATOR(pg_catalog.<>) 0;
END
$$;
COMMENT ON FUNCTION @extschema@.visit_results_of(bigint[], @extschema@.uscc[], bigint[], integer[]) IS
    'internal: matches inspections (task_ids[i], codes[i], department_ids[i]) with their visits - the subject''s visit whose task set holds the task, when the department has items in the task - and sums deltas[i] per visit and department (sums of 0 left out); the arrays have one length (2202E otherwise)';
REVOKE ALL ON FUNCTION @extschema@.visit_results_of(bigint[], @extschema@.uscc[], bigint[], integer[]) FROM PUBLIC;

-- Results in and out: +1 for a row with a result after the statement, -1 for one before it (a
-- visit's subject was drawn, so its code does not change: subject_drawn_code_guard). A TRUNCATE
-- of inspection or visit leaves no result to count.
CREATE FUNCTION @extschema@.visit_result_count_after_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    t           bigint[];
    u           @extschema@.uscc[];
    d           bigint[];
    n           integer[];
    ev          bigint[];
    ed          bigint[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM @extschema@.visit_result_count;
        IF TG_TABLE_NAME = 'visit' THEN
            UPDATE @extschema@.visit_task_set s SET visits = 0 WHERE s.visits OPERATOR(pg_catalog.<>) 0;
        END IF;
        RETURN NULL;
    END IF;
    -- no visits, nothing to count (a load of checks before any plan_visits)
    IF NOT EXISTS (SELECT 1 FROM @extschema@.visit_task_set) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(r.task_id), array_agg(r.uscc), array_agg(r.department_id), array_agg(1)
          INTO t, u, d, n
          FROM new_rows r WHERE r.result_code IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(r.task_id), array_agg(r.uscc), array_agg(r.department_id), array_agg(-1)
          INTO t, u, d, n
          FROM old_rows r WHERE r.result_code IS NOT NULL;
    ELSE
        -- a result corrected (one code for another) adds and takes away the same: nothing to match
        SELECT array_agg(x.task_id), array_agg(x.uscc), array_agg(x.department_id), array_agg(x.delta)
          INTO t, u, d, n
          FROM (SELECT y.task_id, y.uscc, y.department_id, pg_catalog.sum(y.delta)::integer AS delta
                  FROM (SELECT r.task_id, r.uscc, r.department_id, 1 AS delta
                          FROM new_rows r WHERE r.result_code IS NOT NULL
                        UNION ALL
                        SELECT o.task_id, o.uscc, o.department_id, -1
                          FROM old_rows o WHERE o.result_code IS NOT NULL) y
                 GROUP BY y.task_id, y.uscc, y.department_id
                HAVING pg_catalog.sum(y.delta) OPERATOR(pg_catalog.<>) 0) x;
    END IF;
    IF t IS NULL THEN
        RETURN NULL;
    END IF;
    WITH counted AS (
        INSERT INTO @extschema@.visit_result_count AS c (visit_id, department_id, task_set_id, results)
        SELECT r.visit_id, r.department_id, r.task_set_id, r.results
          FROM @extschema@.visit_results_of(t, u, d, n) r
         ORDER BY r.visit_id, r.department_id
        ON CONFLICT (visit_id, department_id) DO UPDATE SET results = c.results + EXCLUDED.results
        RETURNING c.visit_id, c.department_id, c.results)
    SELECT array_agg(x.visit_id), array_agg(x.department_id) INTO ev, ed FROM counted x WHERE x.results <= 0;
    IF ev IS NOT NULL THEN
        DELETE FROM @extschema@.visit_result_count c
         USING ROWS FROM (pg_catalog.unnest(ev), pg_catalog.unnest(ed)) AS z(visit_id, department_id)
         WHERE c.visit_id OPERATOR(pg_catalog.=) z.visit_id AND c.department_id OPERATOR(pg_catalog.=) z.department_id
           AND c.results <= 0;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.visit_result_count_after_change() IS
    'statement trigger on inspection: adds the results recorded and removes those taken back (result set or cleared, row inserted, deleted or moved) to visit_result_count, per visit and department; a TRUNCATE of inspection or visit empties it (and of visit sets visit_task_set.visits to 0); runs as the owner';
REVOKE ALL ON FUNCTION @extschema@.visit_result_count_after_change() FROM PUBLIC;
CREATE TRIGGER visit_result_count_ins AFTER INSERT ON @extschema@.inspection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.visit_result_count_after_change();
CREATE TRIGGER visit_result_count_upd AFTER UPDATE ON @extschema@.inspection
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.visit_result_count_after_change();
CREATE TRIGGER visit_result_count_del AFTER DELETE ON @extschema@.inspection
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.visit_result_count_after_change();
CREATE TRIGGER visit_result_count_truncate AFTER TRUNCATE ON @extschema@.inspection
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.visit_result_count_after_change();
CREATE TRIGGER visit_counts_truncate AFTER TRUNCATE ON @extschema@.visit
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.visit_result_count_after_change();

CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.visit_result_count FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy();
CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.visit_result_count FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end();
ALTER TABLE @extschema@.visit_result_count ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end;
INSERT INTO @extschema@.visit_result_count (visit_id, department_id, task_set_id, results)
SELECT r.visit_id, r.department_id, r.task_set_id, r.results
  FROM (SELECT array_agg(i.task_id) AS t, array_agg(i.uscc) AS u, array_agg(i.department_id) AS d, array_agg(1) AS n
          FROM @extschema@.inspection i WHERE i.result_code IS NOT NULL) x,
       @extschema@.visit_results_of(x.t, x.u, x.d, x.n) r;

CREATE OR REPLACE VIEW @extschema@.v_visit_report AS
WITH part AS (
    -- each task set with each department that has items in it, and how many of its tasks hold them
    SELECT s.id AS task_set_id, pg_catalog.date_trunc('month', s.window_start)::date AS month,
           td.department_id, s.visits, pg_catalog.count(DISTINCT u.task_id)::integer AS tasks
      FROM @extschema@.visit_task_set s
      CROSS JOIN LATERAL pg_catalog.unnest(s.task_ids) u(task_id)
      JOIN @extschema@.task_department td ON td.task_id OPERATOR(pg_catalog.=) u.task_id
     WHERE s.visits OPERATOR(pg_catalog.>) 0
     GROUP BY s.id, td.department_id
), counts AS (
    SELECT p.department_id, p.month, p.visits AS planned,
           (SELECT pg_catalog.count(*) FROM @extschema@.visit_result_count c
             WHERE c.task_set_id OPERATOR(pg_catalog.=) p.task_set_id
               AND c.department_id OPERATOR(pg_catalog.=) p.department_id
               AND c.results OPERATOR(pg_catalog.>=) p.tasks) AS done,
           0 AS led, 0 AS pairs
      FROM part p
    UNION ALL
    SELECT s.lead_department_id, pg_catalog.date_trunc('month', s.window_start)::date,
           0, 0, s.visits, s.visits::bigint OPERATOR(pg_catalog.*) pg_catalog.cardinality(s.task_ids)
      FROM @extschema@.visit_task_set s
     WHERE s.visits OPERATOR(pg_catalog.>) 0
)
SELECT dep.id AS department_id, dep.name AS department_name, x.month,
       x.visits_planned, x.visits_done, x.visits_led, x.task_subject_pairs,
       x.task_subject_pairs OPERATOR(pg_catalog.-) x.visits_led AS entries_saved
  FROM (SELECT c.department_id, c.month,
               pg_catalog.sum(c.planned)::bigint AS visits_planned, pg_catalog.sum(c.done)::bigint AS visits_done,
               pg_catalog.sum(c.led)::bigint AS visits_led, pg_catalog.sum(c.pairs)::bigint AS task_subject_pairs
          FROM counts c
         GROUP BY c.department_id, c.month) x
  JOIN @extschema@.department dep ON dep.id OPERATOR(pg_catalog.=) x.department_id;
COMMENT ON VIEW @extschema@.v_visit_report IS
    'per department and month of the visit window''s start: visits_planned (visits with the department''s items), visits_done (of those, with all the department''s results recorded), visits_led, and for the visits it leads the task-subject pairs and the separate entries into enterprises saved by visiting once (task_subject_pairs - visits_led; counted on the lead department only, so the column sums to the total saved); read from the counts kept in visit_task_set.visits and visit_result_count';
