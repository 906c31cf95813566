-- =====================================================================================
-- Plans and tasks (计划任务), task items and credit strata, inspections and disposals.
-- =====================================================================================

CREATE TABLE @extschema@.plan (
    id              bigserial PRIMARY KEY,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    year            integer NOT NULL,
    title           text NOT NULL,
    approved_on     date,
    CONSTRAINT "plan year is between 2000 and 2200" CHECK (year BETWEEN 2000 AND 2200),
    CONSTRAINT "plan title is not blank" CHECK (btrim(title) <> '')
);
COMMENT ON TABLE @extschema@.plan IS
    'annual spot-check plans (年度抽查计划) of a department; approved_on is set when the government approves it';

CREATE TABLE @extschema@.task (
    id                      bigserial PRIMARY KEY,
    plan_id                 bigint REFERENCES @extschema@.plan,
    department_id           bigint NOT NULL REFERENCES @extschema@.department,
    kind                    text NOT NULL DEFAULT 'planned',
    title                   text NOT NULL,
    period_start            date NOT NULL,
    period_end              date NOT NULL,
    approved_on             date,
    filed_on                date,
    surprise                boolean NOT NULL DEFAULT false,
    sample_ratio            numeric,
    sample_size             integer,
    directory_id            bigint REFERENCES @extschema@.directory,
    inspectors_per_target   integer NOT NULL DEFAULT 2,
    inspector_scope         text NOT NULL DEFAULT 'own',
    CONSTRAINT "task kind is planned temporary special or clue" CHECK (kind IN ('planned', 'temporary', 'special', 'clue')),
    CONSTRAINT "a planned task belongs to a plan" CHECK (kind <> 'planned' OR plan_id IS NOT NULL),
    CONSTRAINT "task title is not blank" CHECK (btrim(title) <> ''),
    CONSTRAINT "task period_end is not before period_start" CHECK (period_end >= period_start),
    CONSTRAINT "task period lies within one calendar year"
        CHECK (date_trunc('year', period_start) = date_trunc('year', period_end)),
    CONSTRAINT "task period lies in the years 2000 to 2200"
        CHECK (period_start >= DATE '2000-01-01' AND period_end <= DATE '2200-12-31'),
    CONSTRAINT "task sample_ratio is in (0, 1]" CHECK (sample_ratio > 0 AND sample_ratio <= 1),
    CONSTRAINT "task sample_size is not negative" CHECK (sample_size >= 0),
    CONSTRAINT "task has sample_ratio or sample_size, not both" CHECK (num_nonnulls(sample_ratio, sample_size) <= 1),
    CONSTRAINT "task needs 2 to 20 inspectors per target" CHECK (inspectors_per_target BETWEEN 2 AND 20),
    CONSTRAINT "task inspector_scope is own or subordinate" CHECK (inspector_scope IN ('own', 'subordinate'))
);
CREATE INDEX task_plan_idx ON @extschema@.task (plan_id);
COMMENT ON TABLE @extschema@.task IS
    'spot-check tasks (抽查任务). kind: planned (in an annual plan), temporary (临时任务: ordered from above or for an emergency), special (专项), clue (on a complaint or clue, never limited). department_id is the initiator; items of several departments make a joint task (联合抽查). Draw by sample_ratio or sample_size, or per credit class with task_stratum rows';
COMMENT ON COLUMN @extschema@.task.filed_on IS 'date an unplanned task was filed (报备) with the superior, for the advance-filing rule';
COMMENT ON COLUMN @extschema@.task.surprise IS 'surprise check (突击检查): plan, task, list and time are not published before the task ends';
COMMENT ON COLUMN @extschema@.task.inspectors_per_target IS 'inspectors matched per target and per department (at least 2: an enforcement action needs two officers)';
COMMENT ON COLUMN @extschema@.task.inspector_scope IS
    'whose inspectors matching picks for each department of the task''s items: own = that department''s; subordinate = that department''s and its subordinate departments'' (本级或下级执法人员, is_superior)';

-- A task of a plan lies in the plan's year.
CREATE FUNCTION @extschema@.task_check_plan() RETURNS trigger
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
CREATE TRIGGER task_check_plan BEFORE INSERT OR UPDATE OF plan_id, period_start, period_end ON @extschema@.task
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_check_plan();

CREATE TABLE @extschema@.task_item (
    task_id     bigint NOT NULL REFERENCES @extschema@.task ON DELETE CASCADE,
    item_id     bigint NOT NULL REFERENCES @extschema@.check_item,
    PRIMARY KEY (task_id, item_id)
);
CREATE INDEX task_item_item_idx ON @extschema@.task_item (item_id);
COMMENT ON TABLE @extschema@.task_item IS 'the check items of a task; items of several departments make it a joint task';

CREATE TABLE @extschema@.task_stratum (
    task_id         bigint NOT NULL REFERENCES @extschema@.task ON DELETE CASCADE,
    credit_class    text NOT NULL,
    ratio           numeric NOT NULL,
    PRIMARY KEY (task_id, credit_class),
    CONSTRAINT "stratum credit_class is one of A B C D" CHECK (credit_class IN ('A', 'B', 'C', 'D')),
    CONSTRAINT "stratum ratio is in (0, 1]" CHECK (ratio > 0 AND ratio <= 1)
);
COMMENT ON TABLE @extschema@.task_stratum IS
    'per credit class sampling ratio (分级分类): a task with rows here draws each class separately, ceil(ratio x eligible) targets; classes without a row are not drawn';

CREATE TABLE @extschema@.inspection (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES @extschema@.task,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    inspected_on    date,
    result_code     text REFERENCES @extschema@.result_code,
    result_on       date,
    note            text,
    CONSTRAINT "one inspection per task, subject and department" UNIQUE (task_id, uscc, department_id),
    CONSTRAINT "inspection result_code and result_on are set together" CHECK ((result_code IS NULL) = (result_on IS NULL)),
    CONSTRAINT "inspection result_on is not before inspected_on" CHECK (result_on >= inspected_on)
);
CREATE INDEX inspection_uscc_idx ON @extschema@.inspection (uscc);
-- a department's checks of a year (its dashboards and year figures, and what row-level security
-- lets an officer see), with the task for the counts by task without reading the rows
CREATE INDEX inspection_department_day_idx ON @extschema@.inspection (department_id, inspected_on) INCLUDE (task_id);
COMMENT ON TABLE @extschema@.inspection IS
    'a check of one subject by one department for a task, and its result (检查结果); result_on is the day the result was formed';

CREATE TABLE @extschema@.disposal (
    id              bigserial PRIMARY KEY,
    inspection_id   bigint NOT NULL REFERENCES @extschema@.inspection,
    kind            text NOT NULL,
    decided_on      date NOT NULL,
    document_no     text,
    CONSTRAINT "disposal kind is order compulsion or penalty" CHECK (kind IN ('order', 'compulsion', 'penalty'))
);
CREATE INDEX disposal_inspection_idx ON @extschema@.disposal (inspection_id);
COMMENT ON TABLE @extschema@.disposal IS
    'administrative decisions after a check: order (责令), compulsion (行政强制), penalty (行政处罚); published within 7 working days';

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

SELECT pg_catalog.pg_extension_config_dump('@extschema@.plan', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.plan_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_item', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_stratum', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspection', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspection_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.disposal', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.disposal_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.inspection_item', '');
