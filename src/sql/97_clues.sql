-- =====================================================================================
-- After the check: the progress of a task's checks (在任务期内完成检查), clues (线索: 投诉举报、
-- 转办、监测) turned into clue tasks (非线索性直接检查 is the draw; a clue is checked directly), and
-- cases handed to another department (另案查处 / 线索依法移送, 分办、转办). doc/after-the-check.md.
-- =====================================================================================

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
CREATE INDEX case_transfer_uscc_idx ON @extschema@.case_transfer (uscc);   -- a subject's record (v_subject_record)
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

CREATE FUNCTION @extschema@.record_clue(department_id bigint, uscc @extschema@.uscc, source text, summary text,
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

CREATE FUNCTION @extschema@.close_clue(clue_id bigint, reason text, closed_on date DEFAULT CURRENT_DATE) RETURNS void
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

CREATE FUNCTION @extschema@.accept_transfer(transfer_id bigint, accepted_on date DEFAULT CURRENT_DATE) RETURNS void
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
