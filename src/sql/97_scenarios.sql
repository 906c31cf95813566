-- =====================================================================================
-- The standing list of joint-check scenarios (综合查一次检查场景清单): for one kind of subject or
-- matter that several departments supervise, its lead department (牵头单位), and the items of the
-- lead and the partner departments (协同单位) that are checked together. scenario_task makes the
-- joint task of a scenario, initiated by the lead department: a task with the items of several
-- departments, which draw, match_inspectors, plan_visits and the checklist treat as every joint
-- task (doc/joint-checks.md). The list binds several departments, so admins keep it; officers
-- read the scenarios their departments lead or take part in.
-- =====================================================================================

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
-- (it runs as the owner and writes other departments' items: only officers and admins run it)
REVOKE EXECUTE ON FUNCTION @extschema@.scenario_task(bigint, text, date, date, bigint, text, numeric, integer, bigint, integer, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.scenario_ids_of(bigint[]) FROM PUBLIC;
