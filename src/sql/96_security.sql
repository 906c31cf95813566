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

-- ---- who may draw, and who may read a task's limits ----
-- The draw functions run as the owner (a joint task's matching needs the partner departments'
-- inspectors, and the limits need every department's checks, which row-level security would
-- hide from an officer), so they decide themselves who may act on a task: superusers and members
-- of the extension owner's role, admins, and officers of the task's initiating department. The
-- functions of the limits on repeated checks run as the owner too; they answer only about tasks
-- the acting role may see (may_see_task), and say nothing of checks of tasks it may not see.
-- Inside a SECURITY DEFINER function current_user is the owner, so these ask about acting_role().

-- acting_with_all_rights, acting_department_ids and may_see_task are plpgsql, not sql: a sql
-- function that cannot be inlined (SECURITY DEFINER, SET) is planned again in every statement that
-- calls it (0.4 ms for acting_with_all_rights; planning may_see_task ran acting_department_ids
-- twice), while plpgsql keeps its plans for the session. exclusion_reason asks them twice a call.
CREATE FUNCTION @extschema@.acting_with_all_rights() RETURNS boolean
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

CREATE FUNCTION @extschema@.acting_department_ids() RETURNS bigint[]
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

-- Whether the acting role may act for a department: the one test the functions that run as the
-- owner make before they act for one (policies and views ask the same two functions once per query)
CREATE FUNCTION @extschema@.acts_for_department(department_id bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN @extschema@.acting_with_all_rights() OR department_id = ANY (@extschema@.acting_department_ids());
COMMENT ON FUNCTION @extschema@.acts_for_department(bigint) IS
    'internal: true when the acting role has all rights (acting_with_all_rights) or is an officer of the department (acting_department_ids); asked by record_clue, clue_task, close_clue, transfer_case, accept_transfer, record_item_result, record_notice_served and scenario_task';

-- Tasks with an item of one of the departments (joint tasks they take part in). SECURITY
-- DEFINER: task_item's own policy reads task, so task's policy cannot read task_item under RLS
-- (that would recurse). Answers only for departments the acting role works for (all for admins).
CREATE FUNCTION @extschema@.participating_task_ids(department_ids bigint[]) RETURNS bigint[]
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

CREATE FUNCTION @extschema@.may_act_on_task(task_id bigint) RETURNS boolean
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

CREATE FUNCTION @extschema@.require_task_access(task_id bigint, act text) RETURNS void
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

CREATE FUNCTION @extschema@.require_task_visible(task_id bigint) RETURNS void
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

-- items and strata: read with the task, written by the task's initiator. An officer adds only
-- items of its own departments: another department's item makes a joint task, which needs that
-- department's consent (merge_tasks of tasks of departments the caller works for, or an admin);
-- otherwise one department could draw, limit and send inspectors of another.
ALTER TABLE @extschema@.task_item ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads items of visible tasks" ON @extschema@.task_item FOR SELECT
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id));
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
CREATE POLICY "officer: removes items of tasks it initiated" ON @extschema@.task_item FOR DELETE
    USING (EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id = task_item.task_id
                      AND t.department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[])));
CREATE POLICY "admin: all task items" ON @extschema@.task_item
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- merges (merge_tasks): read with the joint task; recorded by a role that acts for the
-- department of the merged task and of the joint task (every department of a joint task consents
-- through its own task; an officer sees only its own departments' tasks, so it merges those only)
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
COMMENT ON COLUMN @extschema@.audit_log.action IS 'create, update, delete, approve (approved_on set), result (a result recorded or changed, also an item''s), serve_notice (a result notice served), publish, draw, cancel_draw, match, direct_assign, override, grant, revoke';
COMMENT ON COLUMN @extschema@.audit_log.object_kind IS 'the table changed (plan, task, task_item, task_stratum, inspection, inspection_item, notice_service (both: object_id is the inspection), disposal, draw_record, assignment, limit_override), a publication kind for publish, or role for grants';
COMMENT ON COLUMN @extschema@.audit_log.detail IS 'create/delete: the row; update: {column: {"old": ..., "new": ...}} for changed columns only; draw populations are left out (they are kept in draw_record)';
-- pg_dump and restore: the entries are dumped with their ids, and the sequence. The audit triggers
-- do not fire for restored rows (98_restore.sql), so a restore adds no entry of its own and the
-- trail comes back exactly as it was.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit_log_id_seq', '');

CREATE FUNCTION @extschema@.audit_log_refuse() RETURNS trigger
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
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.limit_override
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();

-- A match (match_inspectors) makes many assignments in one statement: one entry per draw.
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
CREATE FUNCTION @extschema@.audit_match() RETURNS trigger
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
                    AND c.relname OPERATOR(pg_catalog.=) ANY ('{public_plans,public_tasks,public_targets,public_results,public_disposals,public_dishonesty_list}')
                  ORDER BY c.relname);
COMMENT ON FUNCTION @extschema@.public_view_names() IS
    'the public views of the disclosure site (public_plans, public_tasks, public_targets, public_results, public_disposals, public_dishonesty_list), schema-qualified';

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
--     the audit trigger functions;
--   * the writers' locks of the limits on repeated checks (limit_lock: taken by draws, cancels
--     and inspections, never by a reader) and the unmasked conflicts (limit_conflicts_all,
--     which names other departments' checks; limit_conflicts is its masked form).
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
    @extschema@.audit_match_entry(bigint, bigint, bigint, jsonb),
    @extschema@.draw(bigint, bytea, text), @extschema@.cancel_draw(bigint, text),
    @extschema@.match_inspectors(bigint), @extschema@.assign_inspector(bigint, @extschema@.uscc, bigint, text),
    @extschema@.population_collect(text, boolean, boolean, text), @extschema@.eligibility_query(bigint),
    @extschema@.eligibility_parts(bigint),
    @extschema@.draw_targets_insert(bigint, @extschema@.uscc[], text[], integer[]),
    @extschema@.limits_check_drawn(bigint, @extschema@.uscc[]),
    @extschema@.assignments_insert(bigint, bigint, @extschema@.uscc[], bigint[]),
    @extschema@.limit_lock(bigint, @extschema@.uscc, bigint, integer[]),
    @extschema@.limit_conflicts_all(@extschema@.uscc, bigint, integer)
  FROM PUBLIC;

-- Tables and views have no privileges for PUBLIC by default; this states it for the ones that
-- matter most (the trail and the grants), so a later GRANT ... TO PUBLIC is a visible change.
REVOKE ALL ON TABLE @extschema@.audit_log, @extschema@.access_role, @extschema@.officer_department,
                    @extschema@.v_audit_trail, @extschema@.v_access
  FROM PUBLIC;

