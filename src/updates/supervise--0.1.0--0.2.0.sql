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
