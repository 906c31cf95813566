-- =====================================================================================
-- Joint checks (进一次门、查多项事 / 综合查一次): joint tasks made by merging tasks, visits that
-- bring every department that must check a subject into one entry, the comprehensive checklist
-- (综合检查单), results recorded against a visit and seen by every department (结果互认), and a
-- report of the entries saved. C in src/core/visits.c and src/pg/visits_fn.c; doc/joint-checks.md.
-- =====================================================================================

-- ---- joint tasks from separate tasks ------------------------------------------------------

ALTER TABLE @extschema@.task ADD COLUMN merged_into bigint REFERENCES @extschema@.task;
CREATE INDEX task_merged_into_idx ON @extschema@.task (merged_into) WHERE merged_into IS NOT NULL;
COMMENT ON COLUMN @extschema@.task.merged_into IS
    'the joint task (联合抽查任务) this task was merged into by merge_tasks(); a merged task is never drawn itself';

CREATE TABLE @extschema@.task_merge (
    joint_task_id   bigint NOT NULL REFERENCES @extschema@.task,
    source_task_id  bigint NOT NULL REFERENCES @extschema@.task,
    position        integer NOT NULL,
    merged_at       timestamptz NOT NULL DEFAULT now(),
    merged_by       name NOT NULL DEFAULT current_user,
    PRIMARY KEY (joint_task_id, source_task_id),
    CONSTRAINT "a task is merged once" UNIQUE (source_task_id),
    CONSTRAINT "a task is not merged into itself" CHECK (joint_task_id <> source_task_id),
    CONSTRAINT "merge position counts from 1" CHECK (position >= 1)
);
COMMENT ON TABLE @extschema@.task_merge IS
    'which tasks went into a joint task made by merge_tasks(), in the order given (position 1 = the initiator''s task), when and by whom';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_merge', '');

CREATE FUNCTION @extschema@.merge_tasks(task_ids bigint[], title text DEFAULT NULL) RETURNS bigint
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

-- A merged task is never drawn: its joint task is. Guards every path that records a draw.
CREATE FUNCTION @extschema@.draw_record_refuse_merged() RETURNS trigger
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
CREATE TRIGGER draw_record_refuse_merged BEFORE INSERT ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_record_refuse_merged();

-- ---- visits ---------------------------------------------------------------------------------

-- One entry into one subject (进一次门) by every department whose drawn tasks share a day.
-- What a visit is made of - its tasks, the draws that drew the subject for them, the days they
-- share and the lead department - is the same for every subject visited by those tasks, so it is
-- kept once per year and set of tasks in visit_task_set, and a visit is a small row: its subject
-- and its task set. plan_visits writes a million targets' visits in about the time it takes to
-- sort them (bench/visits.sh); the views show a visit with everything it is made of.
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
    'what visits (联合检查) are made of, once per year and set of drawn tasks: the tasks (task_ids[i] drawn by draw_ids[i], in task id order), the days window_start..window_end they share, the lead department, and how many visits it has; written by plan_visits(), which removes a set when no visit uses it any more. What a set is made of never changes: a visit whose window or lead changes moves to another set';
COMMENT ON COLUMN @extschema@.visit_task_set.year IS 'the year of the tasks'' periods (plan_visits(year) makes and remakes the year''s visits)';
COMMENT ON COLUMN @extschema@.visit_task_set.lead_department_id IS
    'the department that leads the visits: the initiator of a joint task among the tasks, else the department with most items, then the lowest id (visit_lead_department)';
COMMENT ON COLUMN @extschema@.visit_task_set.window_start IS 'first day on which every task of the set is open (the latest period_start)';
COMMENT ON COLUMN @extschema@.visit_task_set.window_end IS 'last day on which every task of the set is open (the earliest period_end)';
COMMENT ON COLUMN @extschema@.visit_task_set.visits IS
    'how many visits the set has, kept by plan_visits() as it writes them (v_visit_report reads it rather than counting the visits)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_task_set', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_task_set_id_seq', '');

CREATE TABLE @extschema@.visit (
    id                  bigserial PRIMARY KEY,
    uscc                @extschema@.uscc NOT NULL,
    task_set_id         bigint NOT NULL,
    planned_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.visit IS
    'visits (联合检查, 进一次门、查多项事): one entry into a subject by every department of a set of its drawn tasks whose periods share days; made by plan_visits(). What the visit is made of is its task set (visit_task_set); v_joint_visits shows both. Indexed by id (btree) and uscc (BRIN: visits are written in code order); task_set_id is not a foreign key: every btree entry or check per row adds a third or more to the time plan_visits takes to write a year (doc/joint-checks.md); plan_visits, the only writer, removes a set only when no visit uses it';
-- A subject's visits are found through a BRIN index: plan_visits writes a year's new visits in code
-- order, so each block range holds a narrow range of codes. It costs almost nothing to keep up
-- (a btree on uscc adds about a third to plan_visits). plan_visits summarises the ranges it filled
-- before it returns, so a lookup right after it reads one range, not every unsummarised one
-- (autosummarize has autovacuum summarise ranges filled by any other writer). 4 pages a range: a
-- lookup rechecks about 500 visits of its range rather than 2,000 (0.20-0.22 ms against
-- 0.32-0.36 ms at 108,000 visits) and reads four times as many summaries, which costs as much as it
-- saves at a million visits (0.44 ms either way).
CREATE INDEX visit_uscc_brin ON @extschema@.visit USING brin (uscc) WITH (pages_per_range = 4, autosummarize = on);
COMMENT ON COLUMN @extschema@.visit.task_set_id IS 'the visit''s tasks, draws, window and lead department (visit_task_set.id)';
COMMENT ON COLUMN @extschema@.visit.planned_at IS 'when plan_visits() first made the visit (a visit made again keeps it)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.visit_id_seq', '');

-- A subject whose code is corrected (subject.uscc ON UPDATE CASCADE elsewhere) keeps its visits.
CREATE FUNCTION @extschema@.visit_follow_uscc() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.visit v SET uscc = NEW.uscc WHERE v.uscc = OLD.uscc;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.visit_follow_uscc() IS 'trigger: a corrected subject code is carried into its visits';
CREATE TRIGGER visit_follow_uscc AFTER UPDATE OF uscc ON @extschema@.subject
    FOR EACH ROW WHEN (OLD.uscc OPERATOR(@extschema@.<>) NEW.uscc)
    EXECUTE FUNCTION @extschema@.visit_follow_uscc();

CREATE VIEW @extschema@.visit_task AS
SELECT v.id AS visit_id, v.uscc, u.task_id, u.draw_id
  FROM @extschema@.visit v
  JOIN @extschema@.visit_task_set s ON s.id OPERATOR(pg_catalog.=) v.task_set_id,
       LATERAL ROWS FROM (pg_catalog.unnest(s.task_ids), pg_catalog.unnest(s.draw_ids)) AS u(task_id, draw_id);
COMMENT ON VIEW @extschema@.visit_task IS 'the tasks of each visit, one row per task, with the draw that drew the subject for it';

-- The window function that hands each subject's targets to C in one pass.
CREATE FUNCTION @extschema@.visit_group(period_start date, period_end date) RETURNS integer
    AS 'MODULE_PATHNAME', 'visit_group'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.visit_group(date, date) IS
    'window function: groups the rows of the partition (one subject''s tasks) into the fewest sets whose periods [period_start, period_end] share a day (minimum stabbing points, exact greedy by end) and returns the row''s set number, 1, 2, ... in order of the sets'' last common day; NULL for a row with a NULL bound; use as visit_group(s, e) OVER (PARTITION BY uscc)';

CREATE TYPE @extschema@.visit_summary AS (window_start date, window_end date, task_ids bigint[], draw_ids bigint[]);
COMMENT ON TYPE @extschema@.visit_summary IS 'one planned visit as visit_summary() returns it: the shared days and the task and draw ids, by task id';

CREATE FUNCTION @extschema@.visit_summary(period_start date, period_end date, task_id bigint, draw_id bigint)
    RETURNS @extschema@.visit_summary
    AS 'MODULE_PATHNAME', 'visit_summary'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.visit_summary(date, date, bigint, bigint) IS
    'window function: groups the partition''s rows like visit_group() and returns, on the first row (in partition order) of each group, the group as a visit_summary (window = the days all its periods share; task and draw ids sorted by task id), NULL on the other rows; use as visit_summary(s, e, task_id, draw_id) OVER (PARTITION BY uscc)';

-- The department that leads a visit of these tasks.
CREATE FUNCTION @extschema@.visit_lead_department(task_ids bigint[]) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
BEGIN ATOMIC
    WITH t AS (
        SELECT t.id, t.department_id,
               (SELECT count(DISTINCT ci.department_id)
                  FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id
                 WHERE ti.task_id OPERATOR(pg_catalog.=) t.id) AS departments,
               (SELECT count(*) FROM @extschema@.task_item ti WHERE ti.task_id OPERATOR(pg_catalog.=) t.id) AS items,
               EXISTS (SELECT 1 FROM @extschema@.task_merge m WHERE m.joint_task_id OPERATOR(pg_catalog.=) t.id) AS merged
          FROM @extschema@.task t
         WHERE t.id OPERATOR(pg_catalog.=) ANY (visit_lead_department.task_ids)
    )
    SELECT coalesce(
        (SELECT t.department_id FROM t WHERE t.departments OPERATOR(pg_catalog.>) 1 OR t.merged
          ORDER BY t.departments DESC, t.items DESC, t.id LIMIT 1),
        (SELECT ci.department_id
           FROM (SELECT DISTINCT ti.item_id FROM @extschema@.task_item ti
                  WHERE ti.task_id OPERATOR(pg_catalog.=) ANY (visit_lead_department.task_ids)) i
           JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) i.item_id
          GROUP BY ci.department_id ORDER BY count(*) DESC, ci.department_id LIMIT 1),
        (SELECT min(t.department_id) FROM t));
END;
COMMENT ON FUNCTION @extschema@.visit_lead_department(bigint[]) IS
    'the lead department of a visit of these tasks: the initiator of a joint task among them (the one with most departments, then most items, then the lowest task id); otherwise the department with most of the visit''s items, then the lowest department id; a visit of tasks without items falls back to the lowest initiating department';

-- The visits a year would get, and making them: both in C (src/pg/visits_fn.c): the year's
-- drawn tasks, targets, task sets, visits and inspections are read with one query each, the targets
-- sorted by subject with a radix sort and grouped by visits_group(), and only what changed is
-- written.
CREATE FUNCTION @extschema@.visit_plan(year integer)
    RETURNS TABLE (uscc @extschema@.uscc, window_start date, window_end date, task_ids bigint[],
                   draw_ids bigint[], lead_department_id bigint)
    AS 'MODULE_PATHNAME', 'visit_plan'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp;
COMMENT ON FUNCTION @extschema@.visit_plan(integer) IS
    'the visits plan_visits(year) would make, without making them: for every subject, its live drawn targets of tasks whose period starts in the year (less those in visits with a recorded inspection) grouped into the fewest visits whose tasks share a day, with window, task and draw ids and lead department; by subject, then window';

CREATE FUNCTION @extschema@.plan_visits(year integer) RETURNS integer
    AS 'MODULE_PATHNAME', 'plan_visits'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = @extschema@, pg_temp;
COMMENT ON FUNCTION @extschema@.plan_visits(integer) IS
    'plans the year''s visits (联合检查): for every subject, its live drawn targets of tasks whose period starts in the year are grouped into the fewest visits whose tasks share a day (exact, in C); returns the number of visits the year has. Re-running is idempotent and writes only what changed: a visit made again (same subject, tasks and draws) keeps its id, a visit with a recorded inspection is kept as it is and its targets are not regrouped, other visits are remade. Locks visit and visit_task_set (EXCLUSIVE) and inspection (SHARE) while it runs, and summarises the block ranges it filled of the BRIN index on visit.uscc, so a subject''s visits are found at once';

-- ---- what a visit is: subject, departments, items, inspectors; the comprehensive checklist ----

-- The departments of each task: those of its items.
CREATE VIEW @extschema@.task_department AS
SELECT DISTINCT ti.task_id, ci.department_id
  FROM @extschema@.task_item ti
  JOIN @extschema@.check_item ci ON ci.id OPERATOR(pg_catalog.=) ti.item_id;
COMMENT ON VIEW @extschema@.task_department IS
    'the departments whose items a task holds (two or more make it a joint task); each records its own result';

CREATE VIEW @extschema@.v_joint_visits AS
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
COMMENT ON VIEW @extschema@.v_joint_visits IS
    'visits (联合检查) with their subject, lead department, departments and items (of the visit''s tasks), the window of shared days, the tasks and draws, and the inspectors matched to the subject by those draws (all departments)';

CREATE VIEW @extschema@.v_visit_checklist AS
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

-- ---- results against a visit, seen by every department (结果互认) --------------------------

CREATE VIEW @extschema@.v_visit_results AS
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
COMMENT ON VIEW @extschema@.v_visit_results IS
    'results recognised across departments (结果互认): for every visit, each of its tasks and each department with items in the task, that department''s inspection and result (NULL until recorded), so every department sees the others''';

CREATE FUNCTION @extschema@.record_visit_result(visit_id bigint, department_id bigint, result_code text,
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

-- ---- report for reporting tools ------------------------------------------------------------

-- Read from counts: each task set's visits (visit_task_set.visits) and each department's finished
-- visits of a set (visit_result_count), so a department's dashboard reads its task sets and one
-- index range per set, not its visits. A filter on department_id and month reaches every part:
-- both kinds of rows are grouped once, by the columns filtered on.
CREATE VIEW @extschema@.v_visit_report AS
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
