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
    CONSTRAINT "visit window_end is not before window_start" CHECK (window_end >= window_start),
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
