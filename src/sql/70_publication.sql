-- =====================================================================================
-- The publication schedule (一公开, 谁检查谁公示); doc/calendar.md.
--
-- One item per (kind, object): plan (plan.id), task (task.id), target_list (task.id: the list
-- of drawn targets of a task), result (inspection.id), disposal (disposal.id), listing and
-- delisting (dishonesty_entry.id: 97_credit.sql). Items are made and kept up to date by triggers
-- on plan, task, inspection, disposal and dishonesty_entry; the draw code adds
-- the target list with publication_upsert('target_list', task_id, department_id, drawn_on).
--
--   occurred_on  the day of the event itself: approval, draw, result formed, decision made;
--   event_on     the day the publication period counts from (the period starts the day after):
--                  * surprise tasks (突击检查): never before the task's period_end, for every
--                    item of the task (task, list, results, disposals): nothing is due, and
--                    nothing can be marked published, before the check is over;
--                  * temporary tasks (临时任务) are published together with their target list:
--                    the task item exists only once the list is drawn, with the list's date;
--   due_on       publication_due(kind, event_on): provisional (Monday–Friday) when it reaches a
--                year whose holiday notice is not loaded, recomputed when the year is loaded.
-- An item already published keeps its dates when its source changes later (it is history);
-- an unpublished item follows its source, and disappears when the source loses its event.
-- =====================================================================================

CREATE TABLE @extschema@.publication (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    object_id       bigint NOT NULL,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    task_id         bigint,
    occurred_on     date NOT NULL,
    event_on        date NOT NULL,
    due_on          date NOT NULL,
    provisional     boolean NOT NULL DEFAULT false,
    published_on    date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "publication kind is plan task target_list result disposal listing or delisting"
        CHECK (kind IN ('plan', 'task', 'target_list', 'result', 'disposal', 'listing', 'delisting')),
    CONSTRAINT "one publication item per kind and object" UNIQUE (kind, object_id),
    CONSTRAINT "publication event_on is not before occurred_on" CHECK (event_on >= occurred_on),
    CONSTRAINT "publication is not published before its event" CHECK (published_on >= event_on)
);
CREATE INDEX publication_task_idx ON @extschema@.publication (task_id);
CREATE INDEX publication_open_idx ON @extschema@.publication (due_on) WHERE published_on IS NULL;
-- a department's schedule of a year (v_publication_schedule WHERE department_id = ... AND event_on ...)
CREATE INDEX publication_department_idx ON @extschema@.publication (department_id, event_on);
COMMENT ON TABLE @extschema@.publication IS
    'the publication schedule (一公开): one item per approved plan, approved task, drawn target list, check result and disposal, with its due date';
COMMENT ON COLUMN @extschema@.publication.object_id IS 'plan.id, task.id (kinds task and target_list), inspection.id (result), disposal.id, or dishonesty_entry.id (kinds listing and delisting)';
COMMENT ON COLUMN @extschema@.publication.occurred_on IS 'the day of the event: approval, draw, result formed, decision made';
COMMENT ON COLUMN @extschema@.publication.event_on IS 'the day the publication period counts from: occurred_on, or for a surprise task not before its period_end, or for a temporary task''s task item the day its list was drawn';
COMMENT ON COLUMN @extschema@.publication.provisional IS 'due_on reaches a year whose holiday notice is not loaded: counted Monday-Friday for now, recomputed when the year is loaded';
-- pg_dump and restore: every item is dumped with its id, and the sequence, so a restore brings
-- the schedule back as it was (the triggers that make items do not fire for restored rows; see
-- 98_restore.sql): the audit trail's publish entries keep pointing at the same items.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication_id_seq', '');

-- ---- computing items ----

-- The source of items of one kind: object_id, department_id, task_id, occurred_on, event_on
-- (event_on NULL: there should be no item).
CREATE FUNCTION @extschema@.publication_source(kind text, ids bigint[])
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
    WHEN 'listing' THEN
        RETURN QUERY
        SELECT e.id, e.department_id, NULL::bigint, e.listed_on, e.listed_on
          FROM @extschema@.dishonesty_entry e WHERE e.id OPERATOR(pg_catalog.=) ANY (ids);
    WHEN 'delisting' THEN
        RETURN QUERY
        SELECT e.id, e.department_id, NULL::bigint, e.removed_on, e.removed_on
          FROM @extschema@.dishonesty_entry e WHERE e.id OPERATOR(pg_catalog.=) ANY (ids);
    ELSE
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown publication kind "%s"'), @extschema@.message_value(kind)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Known kinds: plan, task, target_list, result, disposal, listing, delisting.'));
    END CASE;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_source(text, bigint[]) IS
    'internal: what the publication items of the given objects should be, from plan, task, inspection, disposal, dishonesty_entry (event_on NULL = no item)';

-- Bring the items of the given objects in line with their sources.
CREATE FUNCTION @extschema@.publication_sync(kind text, ids bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- unpublished items whose source has no event (any more)
    DELETE FROM @extschema@.publication p
     WHERE p.kind OPERATOR(pg_catalog.=) publication_sync.kind
       AND p.object_id OPERATOR(pg_catalog.=) ANY (ids)
       AND p.published_on IS NULL
       AND NOT EXISTS (SELECT 1 FROM @extschema@.publication_source(publication_sync.kind, ids) s
                        WHERE s.object_id OPERATOR(pg_catalog.=) p.object_id AND s.event_on IS NOT NULL);
    INSERT INTO @extschema@.publication AS p
           (kind, object_id, department_id, task_id, occurred_on, event_on, due_on, provisional)
    SELECT publication_sync.kind, s.object_id, s.department_id, s.task_id, s.occurred_on, s.event_on,
           d.due_on, d.provisional
      FROM @extschema@.publication_source(publication_sync.kind, ids) s
     CROSS JOIN LATERAL @extschema@.publication_due(publication_sync.kind, s.event_on) d
     WHERE s.event_on IS NOT NULL
        ON CONFLICT ON CONSTRAINT "one publication item per kind and object" DO UPDATE
       SET department_id = excluded.department_id, task_id = excluded.task_id,
           occurred_on = excluded.occurred_on, event_on = excluded.event_on,
           due_on = excluded.due_on, provisional = excluded.provisional
     WHERE p.published_on IS NULL
       AND (p.department_id, p.task_id, p.occurred_on, p.event_on, p.due_on, p.provisional)
           IS DISTINCT FROM
           (excluded.department_id, excluded.task_id, excluded.occurred_on, excluded.event_on,
            excluded.due_on, excluded.provisional);
END
$$;
COMMENT ON FUNCTION @extschema@.publication_sync(text, bigint[]) IS
    'internal: creates, updates or removes the unpublished publication items of the given objects from their sources';

-- All items of a task (its task and list items, its results and disposals), after a change of
-- the task's kind, surprise flag, period or approval.
CREATE FUNCTION @extschema@.publication_sync_tasks(task_ids bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.publication_sync('target_list', task_ids);
    PERFORM @extschema@.publication_sync('task', task_ids);
    PERFORM @extschema@.publication_sync('result',
        ARRAY(SELECT i.id FROM @extschema@.inspection i WHERE i.task_id OPERATOR(pg_catalog.=) ANY (task_ids)));
    PERFORM @extschema@.publication_sync('disposal',
        ARRAY(SELECT d.id FROM @extschema@.disposal d
                JOIN @extschema@.inspection i ON i.id OPERATOR(pg_catalog.=) d.inspection_id
               WHERE i.task_id OPERATOR(pg_catalog.=) ANY (task_ids)));
END
$$;
COMMENT ON FUNCTION @extschema@.publication_sync_tasks(bigint[]) IS
    'internal: re-syncs every publication item of the given tasks';

-- ---- the draw code's entry point ----

CREATE FUNCTION @extschema@.publication_upsert(kind text, object_id bigint, department_id bigint, event_on date)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    pid bigint;
BEGIN
    IF kind IS NULL OR object_id IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('kind and object_id must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind OPERATOR(pg_catalog.<>) 'target_list' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('publication items of kind "%s" are made by triggers'), @extschema@.message_value(kind)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Only target_list items are added by the caller (the draw); plan, task, result and disposal items follow the plan, task, inspection and disposal tables.'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) publication_upsert.object_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('task %s does not exist'), object_id),
            ERRCODE = 'foreign_key_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The object of a target_list item is the task whose targets were drawn.'));
    END IF;
    IF event_on IS NULL THEN
        -- the draw was cancelled: the unpublished list item goes
        DELETE FROM @extschema@.publication p
         WHERE p.kind OPERATOR(pg_catalog.=) 'target_list'
           AND p.object_id OPERATOR(pg_catalog.=) publication_upsert.object_id
           AND p.published_on IS NULL;
    ELSE
        IF department_id IS NULL THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('department_id must not be null')),
                ERRCODE = 'null_value_not_allowed';
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
COMMENT ON FUNCTION @extschema@.publication_upsert(text, bigint, bigint, date) IS
    'adds or moves the target_list item of a task (object_id = task id) drawn on event_on; NULL event_on removes the unpublished item (cancelled draw). Returns the item id';

-- ---- draws: the target list (抽查对象名单) ----
-- A trigger rather than a call inside draw(): whoever may draw a task may not write the schedule
-- directly (publication_upsert is not granted), so the trigger function runs as the owner.
CREATE FUNCTION @extschema@.draw_record_publication() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dept bigint;
BEGIN
    SELECT t.department_id INTO dept FROM @extschema@.task t WHERE t.id OPERATOR(pg_catalog.=) NEW.task_id;
    IF TG_OP = 'INSERT' AND NEW.cancelled_at IS NULL THEN
        PERFORM @extschema@.publication_upsert('target_list', NEW.task_id, dept, (NEW.drawn_at)::date);
    ELSIF TG_OP = 'UPDATE' AND NEW.cancelled_at IS NOT NULL AND OLD.cancelled_at IS NULL THEN
        -- a cancelled list is not published (unless it already was); a new draw adds it again
        PERFORM @extschema@.publication_upsert('target_list', NEW.task_id, dept, NULL);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.draw_record_publication() IS
    'trigger on draw_record: a draw puts its target list on the publication schedule (due 10 working days after the draw; a surprise task''s after it ends), a cancellation takes the unpublished list off';
CREATE TRIGGER draw_record_publication AFTER INSERT OR UPDATE OF cancelled_at ON @extschema@.draw_record
    FOR EACH ROW EXECUTE FUNCTION @extschema@.draw_record_publication();

-- ---- triggers on the sources ----
-- Publication items are derived data: the trigger that keeps them in line with plans, tasks,
-- results and disposals runs as the owner, so a change an officer may make (RLS-checked on the
-- source row) also updates items of other departments that depend on it (a joint task's
-- results), and officers need no write access to publication. Its body is fully qualified.

CREATE FUNCTION @extschema@.publication_after_change() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    -- the ids of the changed rows, old and new (transition tables)
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO ids FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.id) INTO ids FROM old_rows o;
    ELSE
        SELECT array_agg(n.id) INTO ids FROM new_rows n;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
    WHEN 'plan' THEN
        PERFORM @extschema@.publication_sync('plan', ids);
    WHEN 'task' THEN
        PERFORM @extschema@.publication_sync_tasks(ids);
    WHEN 'inspection' THEN
        PERFORM @extschema@.publication_sync('result', ids);
        IF TG_OP = 'UPDATE' THEN
            PERFORM @extschema@.publication_sync('disposal',
                ARRAY(SELECT d.id FROM @extschema@.disposal d WHERE d.inspection_id OPERATOR(pg_catalog.=) ANY (ids)));
        END IF;
    WHEN 'disposal' THEN
        PERFORM @extschema@.publication_sync('disposal', ids);
    WHEN 'dishonesty_entry' THEN
        PERFORM @extschema@.publication_sync('listing', ids);
        PERFORM @extschema@.publication_sync('delisting', ids);
    END CASE;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_after_change() IS
    'statement trigger on plan, task, inspection, disposal, dishonesty_entry: syncs the publication items of the changed rows';

CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.plan
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.plan
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.plan
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.task
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.task
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.task
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.inspection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.inspection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.inspection
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.disposal
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.disposal
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_del AFTER DELETE ON @extschema@.disposal
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();

-- ---- the calendar changed: provisional and unpublished due dates follow ----

CREATE FUNCTION @extschema@.publication_recompute() RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    UPDATE @extschema@.publication p
       SET due_on = d.due_on, provisional = d.provisional
      FROM @extschema@.publication q
     CROSS JOIN LATERAL @extschema@.publication_due(q.kind, q.event_on) d
     WHERE q.id OPERATOR(pg_catalog.=) p.id
       AND (p.published_on IS NULL OR p.provisional)
       AND (d.due_on, d.provisional) IS DISTINCT FROM (p.due_on, p.provisional);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_recompute() IS
    'recomputes the due dates of unpublished and provisional publication items from the calendar and publication_rule; returns how many changed. Runs by itself after every change of the calendar or of publication_rule';

CREATE FUNCTION @extschema@.publication_after_calendar_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.publication_recompute();
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_after_calendar_change() IS
    'statement trigger on calendar_day, calendar_year and publication_rule: recomputes provisional and unpublished due dates';
-- named to fire after the *_invalidate triggers (triggers fire in name order)
CREATE TRIGGER calendar_year_publication AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_calendar_change();
CREATE TRIGGER calendar_day_publication AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_day
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_calendar_change();
CREATE TRIGGER publication_rule_publication AFTER INSERT OR UPDATE ON @extschema@.publication_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_calendar_change();

-- ---- publishing ----

CREATE FUNCTION @extschema@.mark_published(kind text, object_id bigint, published_on date) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    p @extschema@.publication;
BEGIN
    IF kind IS NULL OR object_id IS NULL OR published_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('kind, object_id and published_on must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('plan', 'task', 'target_list', 'result', 'disposal', 'listing', 'delisting') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown publication kind "%s"'), @extschema@.message_value(kind)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Known kinds: plan, task, target_list, result, disposal, listing, delisting.'));
    END IF;
    SELECT * INTO p FROM @extschema@.publication q
     WHERE q.kind OPERATOR(pg_catalog.=) mark_published.kind
       AND q.object_id OPERATOR(pg_catalog.=) mark_published.object_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('no publication item for %s %s'), kind, object_id),
            ERRCODE = 'undefined_object',
            HINT    = pg_catalog.format(@extschema@.message_text('Items are made when a plan or task is approved, a target list drawn, a result formed, a disposal decided or a subject listed or removed (list_dishonest, delist_dishonest); a temporary task''s item comes with its target list.'));
    END IF;
    IF published_on < p.event_on THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('publication date %s of %s %s is before its event on %s'), published_on, kind, object_id, p.event_on),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = CASE WHEN p.event_on > p.occurred_on
                                THEN pg_catalog.format(@extschema@.message_text('The item belongs to a surprise check (突击检查) ending on %s, or to a temporary task published with its list; nothing is published before then.'), p.event_on)
                                ELSE pg_catalog.format(@extschema@.message_text('The event happened on %s.'), p.occurred_on) END;
    END IF;
    -- (publication_published_guard refuses a date in the future)
    UPDATE @extschema@.publication q SET published_on = mark_published.published_on
     WHERE q.id OPERATOR(pg_catalog.=) p.id;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_published(text, bigint, date) IS
    'records that an item (kind, object id) was published on a date; refuses a date before its event or in the future';

-- The rules of publishing hold however published_on is written (officers may UPDATE the column
-- under row-level security): a date is not in the future, and a published item stays published.
-- (Not before the item's event: the check constraint.)
CREATE FUNCTION @extschema@.publication_published_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF NEW.published_on IS NULL AND OLD.published_on IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('%s %s was published on %s and cannot be unpublished'), OLD.kind, OLD.object_id, OLD.published_on),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('A publication that happened stays recorded (全程留痕).')),
            HINT    = pg_catalog.format(@extschema@.message_text('To correct the date, publish it again with @extschema@.mark_published(kind, object_id, published_on).'));
    END IF;
    IF NEW.published_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('publication date %s is in the future'), NEW.published_on),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_published_guard() IS
    'trigger on publication: published_on is never set back to NULL once set, nor to a day after today (the rules of mark_published, for every UPDATE)';
CREATE TRIGGER publication_published_guard BEFORE UPDATE OF published_on ON @extschema@.publication
    FOR EACH ROW EXECUTE FUNCTION @extschema@.publication_published_guard();

-- The schedule views read publication with the caller's rights (security_invoker), so its
-- row-level security (src/sql/96_security.sql) applies to them: a view running as its owner
-- would show every department's items.
CREATE VIEW @extschema@.v_publication_schedule WITH (security_invoker = true) AS
SELECT p.kind, p.object_id, p.department_id, p.event_on, p.due_on, p.published_on,
       CASE WHEN p.published_on IS NOT NULL THEN
                CASE WHEN p.published_on OPERATOR(pg_catalog.<=) p.due_on THEN 'on_time' ELSE 'late' END
            WHEN CURRENT_DATE OPERATOR(pg_catalog.>) p.due_on THEN 'overdue'
            ELSE 'pending' END AS status,
       p.provisional, p.occurred_on, p.task_id, p.id AS publication_id
  FROM @extschema@.publication p;
COMMENT ON VIEW @extschema@.v_publication_schedule IS
    'the publication schedule with status against current_date: pending (not published, not yet due), on_time, late (published after due_on), overdue (not published, past due_on)';

CREATE VIEW @extschema@.v_overdue_publications WITH (security_invoker = true) AS
SELECT s.kind, s.object_id, s.department_id, s.event_on, s.due_on, s.provisional,
       CURRENT_DATE OPERATOR(pg_catalog.-) s.due_on AS days_overdue,
       s.task_id, s.publication_id
  FROM @extschema@.v_publication_schedule s
 WHERE s.status OPERATOR(pg_catalog.=) 'overdue'
 ORDER BY s.due_on, s.kind, s.object_id;
COMMENT ON VIEW @extschema@.v_overdue_publications IS
    'the overdue publication items, oldest due first; days_overdue in calendar days';

-- =====================================================================================
-- Advance filing of unplanned tasks (提前5日报备, doc/calendar.md).
-- A task of a kind listed here must be filed at least notice_days calendar days (日, not 工作日)
-- before its period starts. The filing day is task.filed_on, or approved_on when filed_on is
-- not set; a task with neither is a draft and is not checked yet.
-- =====================================================================================

CREATE TABLE @extschema@.task_filing_rule (
    task_kind   text PRIMARY KEY,
    notice_days integer NOT NULL,
    basis       text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    CONSTRAINT "filing rule task_kind is a task kind" CHECK (task_kind IN ('planned', 'temporary', 'special', 'clue')),
    CONSTRAINT "filing rule notice_days is between 0 and 366" CHECK (notice_days BETWEEN 0 AND 366)
);
COMMENT ON TABLE @extschema@.task_filing_rule IS
    'advance filing (报备) of unplanned tasks: a task of task_kind is filed at least notice_days calendar days before period_start. Default from Lianyungang (004 §四(三)): temporary, 5 days';
INSERT INTO @extschema@.task_filing_rule (task_kind, notice_days, basis, shipped) VALUES
    ('temporary', 5, '计划外的检查应当提前5日报备 (004 §四(三))', true);

CREATE TRIGGER task_filing_rule_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.task_filing_rule
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('task_kind', 'Set its notice_days to 0 to switch the rule off.');
-- (ENABLE ALWAYS: it also acts on a restore's rows, which run as replica; see 98_restore.sql)
ALTER TABLE @extschema@.task_filing_rule ENABLE ALWAYS TRIGGER task_filing_rule_guard;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.task_filing_rule', 'WHERE NOT shipped OR modified');

CREATE FUNCTION @extschema@.task_check_filing() RETURNS trigger
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
        -- (one message per task kind, so that a translation says what the kind means)
        RAISE EXCEPTION USING
            MESSAGE = CASE NEW.kind
                      WHEN 'temporary'
                      THEN pg_catalog.format(@extschema@.message_text('temporary task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      WHEN 'special'
                      THEN pg_catalog.format(@extschema@.message_text('special task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      WHEN 'planned'
                      THEN pg_catalog.format(@extschema@.message_text('planned task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      WHEN 'clue'
                      THEN pg_catalog.format(@extschema@.message_text('clue task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             @extschema@.message_value(NEW.title), NEW.period_start - filed, need)
                      ELSE pg_catalog.format(@extschema@.message_text('%s task "%s" is filed %s day(s) before it starts, at least %s required'),
                                             NEW.kind, @extschema@.message_value(NEW.title), NEW.period_start - filed, need) END,
            ERRCODE = 'check_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Filed on %s (%s), the period starts on %s.'), filed,
                                  CASE WHEN NEW.filed_on IS NULL THEN 'approved_on' ELSE 'filed_on' END,
                                  NEW.period_start),
            HINT    = pg_catalog.format(@extschema@.message_text('File it by %s, or put the check into a later plan (提前%s日报备, task_filing_rule).'),
                                NEW.period_start - need, need);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.task_check_filing() IS
    'trigger: an unplanned task is filed (filed_on, else approved_on) at least task_filing_rule.notice_days calendar days before period_start';
CREATE TRIGGER task_check_filing BEFORE INSERT OR UPDATE OF kind, filed_on, approved_on, period_start ON @extschema@.task
    FOR EACH ROW EXECUTE FUNCTION @extschema@.task_check_filing();
