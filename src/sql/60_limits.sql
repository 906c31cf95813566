-- =====================================================================================
-- Limits on repeated checks (doc/limits.md is the long form):
--   同一年度内对同一企业的同类检查次数不超过1次   once a year per category (same kind of check)
--   上级执法部门已检查的企业，下级应当予以排除       a superior department's check excludes the lower level
--   exempt items (告知承诺, environment, work safety, campaigns, law) and clue tasks are never limited
-- One rule, written once (v_limited_checks + the predicate in limit_conflicts/eligible_population),
-- used by exclusion_reason(), by the draw's eligible population, by a check on every drawn target,
-- and by a trigger on inspection. Concurrency: transaction-scoped advisory locks keyed by
-- (year, category) and (year, system), taken in one fixed order before the rule is evaluated.
-- The rule must see every department's checks and draws, also when an officer whose row-level
-- security hides other departments' rows records an inspection or draws: otherwise RLS would let
-- an officer check again what another department already checked. So the functions that evaluate
-- it only read and refuse, and run as the extension owner (SECURITY DEFINER; search_path:
-- pg_catalog is searched first anyway, then the extension's own schema, which nobody else can
-- create objects in, then pg_temp).
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

-- per-task lookups of inspections (draw_target's primary key (uscc, draw_id) serves lookups by code)
CREATE INDEX inspection_task_idx ON @extschema@.inspection (task_id);

-- ---- what a task's checks count for ----------------------------------------------------------------
-- The departments of each task's items are grouped once for all tasks (not per task), so reading
-- the scope costs a pass over the task items, whether a query wants one subject's checks or a year's.
CREATE VIEW @extschema@.v_limit_scope AS
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

-- The rule in two expressions, inlined wherever a check is weighed against a task's limit profile
-- (task_limit_profile): whether the check counts against the task, and for which reason. The
-- reasons' text order is their precedence (same_category_this_year before
-- superior_checked_this_year): the first conflict is the least reason.
CREATE FUNCTION @extschema@.limits_check_counts(check_year integer, check_task_id bigint, check_category text,
                                                check_department_id bigint, year integer, task_id bigint,
                                                categories text[], superiors bigint[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN check_year OPERATOR(pg_catalog.=) year
       AND check_task_id OPERATOR(pg_catalog.<>) task_id
       AND (check_category OPERATOR(pg_catalog.=) ANY (categories)
            OR check_department_id OPERATOR(pg_catalog.=) ANY (superiors));
COMMENT ON FUNCTION @extschema@.limits_check_counts(integer, bigint, text, bigint, integer, bigint, text[], bigint[]) IS
    'internal: whether a check (a row of v_limited_checks: its year, task, category, department) counts against a task with the limit profile (year, task_id, categories, superiors): the same year, another task, and one of the categories or by one of the superior departments. An inlined sql function: the one place this is written';

CREATE FUNCTION @extschema@.limits_reason(check_category text, categories text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN check_category OPERATOR(pg_catalog.=) ANY (categories) THEN 'same_category_this_year'
                ELSE 'superior_checked_this_year' END;
COMMENT ON FUNCTION @extschema@.limits_reason(text, text[]) IS
    'internal: why a check that counts against a task (limits_check_counts) excludes the subject: same_category_this_year when its category is one of the task''s, else superior_checked_this_year. The reasons sort in their precedence';

-- The same checks of one subject, read through the subject's index entries (inspection.uscc,
-- draw_target's key) and each check's task by its key, instead of the scope of every task: what
-- exclusion_reason and the limits triggers ask per subject (0.1 ms at a province's year, where
-- reading v_limited_checks for one code passes twice over all tasks' items). An inlined sql
-- function; test/pgtap/limit_scope.sql holds it to v_limited_checks, row for row.
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

-- A few subjects' checks (a small directory's members, a draw's new targets) are read subject by
-- subject through their index entries (about 20 microseconds a subject at province scale); many
-- subjects' in one pass over the year's checks (a hash join, about a third of a microsecond a
-- check). limits_subject_budget() is the number of subjects up to which the first is chosen: the
-- checks recorded (pg_class.reltuples of inspection and draw_target) over 64.
CREATE FUNCTION @extschema@.limits_subject_budget() RETURNS bigint
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

CREATE FUNCTION @extschema@.limited_checks_among(codes @extschema@.uscc[], check_year integer, other_than_task bigint,
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

-- ---- a task's limit profile -----------------------------------------------------------------------
-- The profile as an inlinable SQL function: a query that reads it (limit_conflicts_of) is planned
-- with it, so a subject's exclusion reason is one statement whose plan is kept. It reads with the
-- caller's rights; task_limit_profile is what the functions that run as the owner call.
CREATE FUNCTION @extschema@.limit_profile_of(task bigint)
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

CREATE FUNCTION @extschema@.task_limit_profile(task bigint,
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

-- ---- the rule, per subject -------------------------------------------------------------------------
CREATE FUNCTION @extschema@.limit_conflicts_of(subject @extschema@.uscc, task bigint, year integer)
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

CREATE FUNCTION @extschema@.limit_conflicts_all(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
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

-- What the caller may read of the conflicts: a check of a task it may not see (another
-- department's) keeps its reason, category and kind, not its task, department, date or id.
CREATE FUNCTION @extschema@.limit_conflicts(subject @extschema@.uscc, task bigint, year integer DEFAULT NULL)
RETURNS TABLE (reason text, category text, task_id bigint, department_id bigint, checked_on date,
               source text, source_id bigint, overridden boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SECURITY DEFINER
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

CREATE FUNCTION @extschema@.exclusion_reason(subject @extschema@.uscc, task_id bigint) RETURNS text
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

-- ---- the rule, set-based ---------------------------------------------------------------------------
CREATE FUNCTION @extschema@.excluded_subjects(task_id bigint)
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

-- The draw's eligible population, as queries written for a given task: the candidates, active
-- subjects of the task's directory (all active subjects without one), and the codes the limits
-- exclude. The task's year, categories and superiors are written into the text as literals, so the
-- planner sees them. This is the one place eligibility is decided: eligibility_query() joins the two
-- parts into one query (candidates minus the excluded, by a hash anti-join) that
-- eligible_population() runs; draw() hands the parts to population_collect(), which reads both in C
-- under one snapshot and leaves the excluded codes out by merging them with the sorted population
-- (cheaper than a hash probe per candidate). Take the task's limit locks (limit_lock) in an earlier
-- statement, so that the queries and the profile they are built from see every committed check (in
-- READ COMMITTED each statement takes a new snapshot).
CREATE FUNCTION @extschema@.eligibility_parts(task_id bigint, OUT candidates text, OUT excluded text)
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

CREATE FUNCTION @extschema@.eligibility_query(task_id bigint) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
    RETURN (SELECT p.candidates || CASE WHEN p.excluded IS NULL THEN '' ELSE pg_catalog.format($q$
   AND NOT EXISTS (SELECT 1 FROM (%s) x WHERE x.uscc OPERATOR(@extschema@.=) s.uscc)$q$, p.excluded) END
              FROM @extschema@.eligibility_parts(eligibility_query.task_id) p);
COMMENT ON FUNCTION @extschema@.eligibility_query(bigint) IS
    'internal: the query (uscc, credit_class, weight) of a task''s eligible population: eligibility_parts'' candidates without its excluded codes, as one anti-join. eligible_population() runs it after taking the task''s limit locks';

CREATE FUNCTION @extschema@.eligible_population(task_id bigint)
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

-- What a refusal tells the caller about the earlier check: all of it when the acting role may see
-- that check's task; otherwise only that there was one (the callers log the full description).
CREATE FUNCTION @extschema@.limits_explain_conflict(reason text, category text, source text, source_id bigint,
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

-- Every drawn target is checked against the rule (after the draw took the locks, or taking them
-- here if a draw path did not): a draw that would break the limits fails instead of recording.
-- limits_check_drawn checks one draw's new targets; the trigger runs it for INSERTs into
-- draw_target, and draw_targets_insert (draw()'s bulk write, which runs no triggers) calls it.
CREATE FUNCTION @extschema@.limits_check_drawn(draw_id bigint, codes @extschema@.uscc[]) RETURNS void
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

CREATE FUNCTION @extschema@.limits_check_targets() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
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
COMMENT ON FUNCTION @extschema@.limits_check_targets() IS
    'trigger: refuses drawn targets that the limits on repeated checks exclude, taking the limit locks of the drawn task first';
CREATE TRIGGER limits_check_targets AFTER INSERT ON @extschema@.draw_target
    REFERENCING NEW TABLE AS new_targets
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.limits_check_targets();

-- A cancel frees the draw's targets for other tasks: it waits for draws of the same categories
-- and systems in progress, and they for it (the draw piece allows no other update of a draw).
CREATE FUNCTION @extschema@.limits_on_cancel() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
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

