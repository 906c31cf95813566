-- =====================================================================================
-- After the check (检查之后): inspections bound to the draw, results per item, result notices
-- (检查结果告知书) and published disposals (处理结果). doc/after-the-check.md.
--
-- Inspections bound to the draw: an inspection under a task with a live draw (or under a task
-- merged into a joint task with a live draw) is of one of that draw's targets. A clue task, and
-- any task not drawn (a task checked at 100% without a draw), is not bound. The rule is a trigger
-- (ENABLE ORIGIN): it checks new rows and changes of task or subject; rows loaded before it (an
-- updated database) or by a restore are not refused, and v_unbound_inspections lists those that
-- break it.
--
-- Results per item: inspection_item (src/sql/30_plan.sql, the checklist view reads it) holds the
-- result and measure of each item; record_item_result writes it. The item rules live in the
-- trigger inspection_item_check.
--
-- Result notices: result_notice(inspection) states what the notice says; record_notice_served
-- records its service once (notice_service), on or after the day of the check and of the result,
-- by the inspecting department. The functions run with the caller's rights: row-level security
-- decides what an officer reads and writes, and they name the department that may act.
-- =====================================================================================

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
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
COMMENT ON VIEW @extschema@.public_disposals IS
    'disclosure site: published disposals (处理结果: 责令, 行政强制, 行政处罚) after checks, by the department that checked. Hidden: unpublished disposals, state secrets (of the inspection, its task or plan), disposals under surprise tasks that have not ended; the document number is never shown. subject_name is NULL when the inspection is marked trade_secret or personal_privacy; task_title is NULL when the task''s title is withheld';
COMMENT ON COLUMN @extschema@.public_disposals.result_id IS 'the result the disposal follows (public_results.result_id, the inspection id)';
COMMENT ON COLUMN @extschema@.public_disposals.kind IS 'order (责令), compulsion (行政强制) or penalty (行政处罚)';
COMMENT ON COLUMN @extschema@.public_disposals.withheld IS 'NULL, or why subject_name is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';
