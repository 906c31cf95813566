-- =====================================================================================
-- Matching inspectors to drawn targets (双随机, the second random: 执法检查人员随机匹配).
-- Per department of the task's items, inspectors_per_target active inspectors of that department
-- (task.inspector_scope = subordinate: and of its subordinate departments) for every target,
-- never one with a conflict of interest (回避), least-loaded first with ties broken by a hash of
-- the draw's seed; C in src/core/match.c and src/pg/match_fn.c. Who may be matched by their
-- enforcement certificate (执法证) is decided in the core (match_role): SQL hands it every active
-- inspector of the departments in scope, with the certificate and the task's first day.
-- =====================================================================================

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

CREATE FUNCTION @extschema@.assignments_insert(draw_id bigint, department_id bigint, uscc @extschema@.uscc[],
        inspector_id bigint[])
    RETURNS integer
    AS 'MODULE_PATHNAME', 'assignments_insert' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.assignments_insert(bigint, bigint, @extschema@.uscc[], bigint[]) IS
    'internal: writes one department''s matches into assignment (in code order, like COPY), doing the work of its insert triggers once for all rows: the foreign keys checked (every code a target of the draw, the inspectors and the department locked FOR KEY SHARE) and audit_match''s entry (audit_match_entry). Falls back to INSERT (every trigger) when assignment has other insert triggers, rules or row-level security that applies. Returns the number of rows';

CREATE FUNCTION @extschema@.bulk_insert_paths()
    RETURNS TABLE (relation regclass, bulk boolean, refusal text)
    AS 'MODULE_PATHNAME', 'bulk_insert_paths' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bulk_insert_paths() IS
    'for each table that draw() and match_inspectors() write like COPY (draw_target, assignment): whether that path is taken for the current user (bulk) or the rows go in by INSERT with every trigger run, and why (refusal: an INSERT trigger added or changed, rules, row-level security that applies, a volatile default). The bulk path does the work of the triggers it was written for and knows them by their whole definition, so a changed trigger is never skipped. For a DBA asking why a draw or a matching is slow; the owner''s and superusers'' only';
-- (it opens the tables for insertion: only for those who may write them)
REVOKE EXECUTE ON FUNCTION @extschema@.bulk_insert_paths() FROM PUBLIC;

CREATE FUNCTION @extschema@.match_inspectors(draw_id bigint) RETURNS integer
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

CREATE FUNCTION @extschema@.assign_inspector(draw_id bigint, uscc @extschema@.uscc, inspector_id bigint, reason text)
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
