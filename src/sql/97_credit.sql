-- =====================================================================================
-- The credit record and the year's account (信用记录归集, 违法失信名单, 重点执法全覆盖, 绩效考核);
-- doc/credit-record.md.
--
--   v_subject_record       every check, result, disposal and list entry about a subject, from all
--                          departments, in date order (整合形成完整的监管对象信用记录, 归集到相关市场主体名下)
--   dishonesty_entry       the list of seriously dishonest subjects (违法失信名单): listed and removed
--                          with list_dishonest / delist_dishonest, never deleted; both acts are
--                          publication items (kinds listing and delisting); public_dishonesty_list
--   coverage of key items  check_item.coverage_years, v_key_item_coverage, uncovered_subjects
--                          (分类建立一般执法清单和重点执法清单, 完成执法全覆盖的周期)
--   v_department_year      the figures a department reports for its annual assessment (纳入年度绩效考核)
--
-- Who reads what. The record of a subject gathers every department's entries: that is its point,
-- and row-level security on inspection would show an officer only its own departments' checks.
-- So v_subject_record, v_key_item_coverage and v_department_year read the tables with the rights
-- of their owner (not security_invoker), are granted to officers and admins only, and decide the
-- rows themselves (security_barrier, so a reader's own functions see only rows let through):
--   v_subject_record       every department's entries, except, for officers of other departments,
--                          entries under a state secret (国家秘密: the inspection, its task or plan,
--                          or the list entry) and checks of a surprise task (突击检查) that has not ended;
--   v_key_item_coverage,   the acting role's own departments (all for admins and the owner): they
--   v_department_year      count inspections, which officers read only for their own departments.
-- =====================================================================================

-- ---- indexes for one subject's record and one department's year (its inspections: 30_plan.sql) ----
CREATE INDEX task_department_start_idx ON @extschema@.task (department_id, period_start);
CREATE INDEX publication_department_due_idx ON @extschema@.publication (department_id, due_on) INCLUDE (published_on);

-- ---- the list of seriously dishonest subjects (违法失信名单) ----

CREATE TABLE @extschema@.dishonesty_entry (
    id              bigserial PRIMARY KEY,
    uscc            @extschema@.uscc NOT NULL REFERENCES @extschema@.subject ON UPDATE CASCADE,
    department_id   bigint NOT NULL REFERENCES @extschema@.department,
    reason          text NOT NULL,
    basis           text,
    listed_on       date NOT NULL,
    listed_by       name NOT NULL DEFAULT @extschema@.acting_role(),
    removed_on      date,
    removal_reason  text,
    removed_by      name,
    confidential    text,
    CONSTRAINT "dishonesty entry reason is not blank" CHECK (btrim(reason) <> ''),
    CONSTRAINT "a removal has a day and a reason" CHECK (
        (removed_on IS NULL AND removal_reason IS NULL)
        OR (removed_on IS NOT NULL AND coalesce(btrim(removal_reason), '') <> '')),
    CONSTRAINT "dishonesty entry is not removed before it was listed" CHECK (removed_on >= listed_on),
    CONSTRAINT "dishonesty entry confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'))
);
CREATE UNIQUE INDEX dishonesty_entry_one_current_listing ON @extschema@.dishonesty_entry (uscc, department_id)
    WHERE removed_on IS NULL;
CREATE INDEX dishonesty_entry_uscc_idx ON @extschema@.dishonesty_entry (uscc);
COMMENT ON TABLE @extschema@.dishonesty_entry IS
    'the list of seriously dishonest subjects (违法失信名单) kept by each department: listed with list_dishonest, removed (移出, 信用修复) with delist_dishonest and a reason, never deleted; a subject is on a department''s list at most once at a time. Listing and removal are published (publication kinds listing and delisting); public_dishonesty_list shows the current published entries';
COMMENT ON COLUMN @extschema@.dishonesty_entry.department_id IS 'the department that decided the listing (作出列入决定的部门); only it removes the entry';
COMMENT ON COLUMN @extschema@.dishonesty_entry.reason IS 'why the subject is listed (列入事由)';
COMMENT ON COLUMN @extschema@.dishonesty_entry.basis IS 'the legal basis and decision document of the listing (列入依据、决定书文号)';
COMMENT ON COLUMN @extschema@.dishonesty_entry.listed_on IS 'the day the listing was decided; the listing item is due from it';
COMMENT ON COLUMN @extschema@.dishonesty_entry.removed_on IS 'the day the removal (移出) was decided; NULL while the subject is on the list';
COMMENT ON COLUMN @extschema@.dishonesty_entry.removal_reason IS 'why it was removed (e.g. 信用修复, the listing period ended, the decision was revoked); required with removed_on';
COMMENT ON COLUMN @extschema@.dishonesty_entry.confidential IS
    'NULL = public; state_secret (国家秘密): never in public_dishonesty_list, and in v_subject_record only for its department; trade_secret / personal_privacy: listed publicly with the subject''s name, reason and basis withheld';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.dishonesty_entry', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.dishonesty_entry_id_seq', '');

-- An entry is a record: no one deletes or truncates it (also in replica mode), what was decided
-- (subject, department, reason, basis, day, who) is not changed, and a removal, once recorded,
-- is not changed or taken back. A corrected subject code (subject.uscc ON UPDATE CASCADE) is
-- carried in. A mistaken entry is removed with a reason, and listed again if need be.
CREATE FUNCTION @extschema@.dishonesty_entry_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('entries of the dishonesty list are never deleted: %s on %s.%s is not allowed'),
                                        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('全程留痕: a listing stays recorded after its removal.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Remove the subject from the list with %s.delist_dishonest(entry_id, removal_reason).'),
                                        '@extschema@');
    END IF;
    IF (NEW.id, NEW.department_id, NEW.reason, NEW.basis, NEW.listed_on, NEW.listed_by)
       IS DISTINCT FROM (OLD.id, OLD.department_id, OLD.reason, OLD.basis, OLD.listed_on, OLD.listed_by)
       OR (NEW.uscc OPERATOR(@extschema@.<>) OLD.uscc AND pg_catalog.pg_trigger_depth() OPERATOR(pg_catalog.<=) 1) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s cannot be changed'), OLD.id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The subject, department, reason, basis and day of a listing are a record (全程留痕).')),
            HINT    = pg_catalog.format(@extschema@.message_text('Remove the entry with %s.delist_dishonest(entry_id, removal_reason) and list the subject again.'),
                                        '@extschema@');
    END IF;
    IF OLD.removed_on IS NOT NULL THEN
        IF (NEW.removed_on, NEW.removal_reason, NEW.removed_by) IS DISTINCT FROM (OLD.removed_on, OLD.removal_reason, OLD.removed_by) THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s was removed on %s and its removal cannot be changed'),
                                            OLD.id, OLD.removed_on),
                ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Removal reason: %s'), OLD.removal_reason),
                HINT    = pg_catalog.format(@extschema@.message_text('List the subject again with %s.list_dishonest if it belongs on the list.'),
                                            '@extschema@');
        END IF;
    ELSIF NEW.removed_on IS NOT NULL THEN
        -- a removal is recorded (by delist_dishonest, or an UPDATE under row-level security):
        -- not for a future day, and by whoever records it
        IF NEW.removed_on > CURRENT_DATE THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('removal date %s of dishonesty entry %s is in the future'),
                                            NEW.removed_on, OLD.id),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        NEW.removed_by := @extschema@.acting_role();
    ELSE
        NEW.removed_by := NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.dishonesty_entry_guard() IS
    'trigger on dishonesty_entry: refuses DELETE and TRUNCATE, a change of what a listing decided, a change or withdrawal of a recorded removal, and a removal dated in the future; records who removes (removed_by)';
CREATE TRIGGER dishonesty_entry_guard BEFORE UPDATE OR DELETE ON @extschema@.dishonesty_entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.dishonesty_entry_guard();
CREATE TRIGGER dishonesty_entry_no_truncate BEFORE TRUNCATE ON @extschema@.dishonesty_entry
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.dishonesty_entry_guard();
-- fire also with session_replication_role = replica (a restore only inserts)
ALTER TABLE @extschema@.dishonesty_entry ENABLE ALWAYS TRIGGER dishonesty_entry_guard;
ALTER TABLE @extschema@.dishonesty_entry ENABLE ALWAYS TRIGGER dishonesty_entry_no_truncate;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON @extschema@.dishonesty_entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.audit_row();
CREATE TRIGGER publication_ins AFTER INSERT ON @extschema@.dishonesty_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();
CREATE TRIGGER publication_upd AFTER UPDATE ON @extschema@.dishonesty_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.publication_after_change();

-- every officer reads every department's list (联合惩戒: each department acts on the others'
-- listings); a department lists and removes its own entries
ALTER TABLE @extschema@.dishonesty_entry ENABLE ROW LEVEL SECURITY;
CREATE POLICY "officer: reads every department's list" ON @extschema@.dishonesty_entry FOR SELECT
    USING (true);
CREATE POLICY "officer: lists for own departments" ON @extschema@.dishonesty_entry FOR INSERT
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "officer: removes own departments' entries" ON @extschema@.dishonesty_entry FOR UPDATE
    USING (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]))
    WITH CHECK (department_id = ANY ((SELECT @extschema@.my_department_ids())::bigint[]));
CREATE POLICY "admin: all dishonesty entries" ON @extschema@.dishonesty_entry
    USING ((SELECT @extschema@.is_admin())) WITH CHECK ((SELECT @extschema@.is_admin()));

-- Publication deadlines of listing and removal. No seed notice gives them: these amounts are the
-- project's defaults, to be set by each locality (UPDATE @extschema@.publication_rule).
INSERT INTO @extschema@.publication_rule (event, amount, unit, basis, shipped) VALUES
    ('listing',   10, 'workday', '列入违法失信名单后公示: project default, not from a notice; set the locality''s amount', true),
    ('delisting', 10, 'workday', '移出违法失信名单后公示: project default, not from a notice; set the locality''s amount', true);

-- May the acting role write entries of this department? As row-level security decides it: the
-- owner and superusers (not subject to it), admins, and officers of the department.
CREATE FUNCTION @extschema@.dishonesty_require_department(department_id bigint, act text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
BEGIN
    IF pg_catalog.row_security_active('@extschema@.dishonesty_entry'::regclass)
       AND NOT (department_id OPERATOR(pg_catalog.=) ANY (@extschema@.my_department_ids()) OR @extschema@.is_admin()) THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE act
                      WHEN 'list subjects' THEN pg_catalog.format(@extschema@.message_text('permission denied to list subjects for department %s'), department_id)
                      WHEN 'remove entries' THEN pg_catalog.format(@extschema@.message_text('permission denied to remove entries for department %s'), department_id)
                      ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s for department %s'), act, department_id) END,
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('A department lists and removes its own entries (违法失信名单): an officer of that department (%s.grant_department_officer) or an admin does it.'),
                                        '@extschema@');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.dishonesty_require_department(bigint, text) IS
    'internal: raises 42501 unless the acting role may write dishonesty entries of the department under row-level security (an officer of it, an admin, the owner); called by list_dishonest and delist_dishonest';

CREATE FUNCTION @extschema@.list_dishonest(subject @extschema@.uscc, department_id bigint, reason text,
        listed_on date DEFAULT CURRENT_DATE, basis text DEFAULT NULL, confidential text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    cur     @extschema@.dishonesty_entry;
    new_id  bigint;
BEGIN
    IF subject IS NULL OR department_id IS NULL OR reason IS NULL OR listed_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject, department_id, reason and listed_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed',
            HINT    = pg_catalog.format(@extschema@.message_text('A listing (列入违法失信名单) names the subject, the deciding department, the reason and the day.'));
    END IF;
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the reason for listing subject %s is blank'), subject),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Give the reason (列入事由), e.g. the serious violation found.'));
    END IF;
    IF listed_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('listing date %s is in the future'), listed_on),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Record the listing on the day it is decided.'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.department d WHERE d.id OPERATOR(pg_catalog.=) list_dishonest.department_id) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('department %s does not exist'), department_id),
            ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.subject s WHERE s.uscc OPERATOR(@extschema@.=) list_dishonest.subject) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject "%s" is not in the subject directory'), subject),
            ERRCODE = 'foreign_key_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('Load the subject first (%s.load_subjects).'), '@extschema@');
    END IF;
    PERFORM @extschema@.dishonesty_require_department(department_id, 'list subjects');
    SELECT * INTO cur FROM @extschema@.dishonesty_entry e
     WHERE e.uscc OPERATOR(@extschema@.=) list_dishonest.subject
       AND e.department_id OPERATOR(pg_catalog.=) list_dishonest.department_id
       AND e.removed_on IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('subject %s is already on the list of department %s (entry %s, listed on %s)'),
                                        subject, department_id, cur.id, cur.listed_on),
            ERRCODE = 'unique_violation',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Reason: %s'), cur.reason),
            HINT    = pg_catalog.format(@extschema@.message_text('A subject is on a department''s list once at a time; remove the current entry first (%s.delist_dishonest).'),
                                        '@extschema@');
    END IF;
    INSERT INTO @extschema@.dishonesty_entry (uscc, department_id, reason, basis, listed_on, confidential)
    VALUES (subject, department_id, reason, basis, listed_on, confidential)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text) IS
    'lists a subject on the department''s list of seriously dishonest subjects (列入违法失信名单) with reason, basis (legal basis, decision document) and day, and returns the entry id; the listing becomes a publication item (kind listing). Refused: NULLs, a blank reason, a future day, an unknown subject or department, a department the caller does not act for (42501), a subject already on that department''s list (23505). Runs with the caller''s rights';

CREATE FUNCTION @extschema@.delist_dishonest(entry_id bigint, removal_reason text, removed_on date DEFAULT CURRENT_DATE)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    e   @extschema@.dishonesty_entry;
    n   integer;
BEGIN
    IF entry_id IS NULL OR removed_on IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('entry_id and removed_on must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF removal_reason IS NULL OR btrim(removal_reason) = '' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s is removed only with a reason'), entry_id),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Give the reason for the removal (移出事由), e.g. 信用修复 or the end of the listing period.'));
    END IF;
    -- (read first without a lock: row-level security lets a FOR UPDATE see only the rows the
    -- caller may change, and another department's officer is told why it may not)
    SELECT * INTO e FROM @extschema@.dishonesty_entry x WHERE x.id OPERATOR(pg_catalog.=) entry_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s does not exist'), entry_id),
            ERRCODE = 'undefined_object';
    END IF;
    PERFORM @extschema@.dishonesty_require_department(e.department_id, 'remove entries');
    SELECT * INTO e FROM @extschema@.dishonesty_entry x WHERE x.id OPERATOR(pg_catalog.=) entry_id FOR UPDATE;
    IF e.removed_on IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('dishonesty entry %s was already removed on %s'), entry_id, e.removed_on),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Removal reason: %s'), e.removal_reason);
    END IF;
    IF removed_on < e.listed_on OR removed_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = CASE WHEN removed_on > CURRENT_DATE
                           THEN pg_catalog.format(@extschema@.message_text('removal date %s of dishonesty entry %s is in the future'),
                                                  removed_on, entry_id)
                           ELSE pg_catalog.format(@extschema@.message_text('removal date %s of dishonesty entry %s is before its listing on %s'),
                                                  removed_on, entry_id, e.listed_on) END,
            ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (dishonesty_entry_guard records removed_by)
    UPDATE @extschema@.dishonesty_entry x
       SET removed_on = delist_dishonest.removed_on, removal_reason = delist_dishonest.removal_reason
     WHERE x.id OPERATOR(pg_catalog.=) entry_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied to remove dishonesty entry %s'), entry_id),
            ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.delist_dishonest(bigint, text, date) IS
    'removes a subject from a department''s list (移出违法失信名单, 信用修复) on a day, with a reason (required); the entry is kept and the removal becomes a publication item (kind delisting). Refused: a blank reason, NULLs, an unknown entry, one already removed (55000), a day before the listing or in the future, another department''s entry (42501). Runs with the caller''s rights';

CREATE VIEW @extschema@.public_dishonesty_list WITH (security_barrier) AS
SELECT e.id                                                 AS entry_id,
       e.uscc::text                                         AS uscc,
       CASE WHEN e.confidential IS NULL THEN s.name END    AS subject_name,
       e.department_id,
       d.name                                               AS department_name,
       CASE WHEN e.confidential IS NULL THEN e.reason END  AS reason,
       CASE WHEN e.confidential IS NULL THEN e.basis END   AS basis,
       e.listed_on,
       pub.published_on,
       e.confidential                                       AS withheld
  FROM @extschema@.dishonesty_entry e
  JOIN @extschema@.subject s ON s.uscc = e.uscc
  JOIN @extschema@.department d ON d.id = e.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'listing' AND pub.object_id = e.id
 WHERE e.removed_on IS NULL
   AND pub.published_on <= CURRENT_DATE
   AND e.confidential IS DISTINCT FROM 'state_secret';
COMMENT ON VIEW @extschema@.public_dishonesty_list IS
    'disclosure site: the current list of seriously dishonest subjects (违法失信名单), published entries not removed. Hidden: unpublished listings, removed entries, state secrets. subject_name, reason and basis are NULL when withheld (withheld = trade_secret or personal_privacy)';
COMMENT ON COLUMN @extschema@.public_dishonesty_list.uscc IS 'the subject''s unified social credit code (统一社会信用代码), 18 characters';
COMMENT ON COLUMN @extschema@.public_dishonesty_list.withheld IS 'NULL, or why subject_name, reason and basis are withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

-- ---- a subject's record from every department (信用记录归集) ----
-- One branch per kind of entry, each found by the subject's code through an index; the code
-- given to the view reaches every branch (check with EXPLAIN: an index scan per branch). A new
-- kind of entry is one more UNION ALL branch with the same columns, on a table with an index on
-- uscc. kind_order puts a day's entries in the order they happen.
CREATE VIEW @extschema@.v_subject_record WITH (security_barrier) AS
SELECT r.uscc, r.kind, r.object_id, r.department_id, r.on_date, r.summary
  FROM (
    SELECT i.uscc, 'check'::text AS kind, 1 AS kind_order, i.id AS object_id, i.department_id,
           i.inspected_on AS on_date,
           'task ' || t.id || CASE WHEN t.confidential IS NULL THEN ': ' || t.title ELSE '' END AS summary,
           i.confidential IS DISTINCT FROM 'state_secret'
             AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end) AS open
      FROM @extschema@.inspection i
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
     WHERE i.inspected_on IS NOT NULL
    UNION ALL
    SELECT i.uscc, 'result', 2, i.id, i.department_id, i.result_on,
           i.result_code || ' ' || rc.name_zh || ' (task ' || t.id || ')',
           i.confidential IS DISTINCT FROM 'state_secret'
             AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end)
      FROM @extschema@.inspection i
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
      JOIN @extschema@.result_code rc ON rc.code = i.result_code
    UNION ALL
    SELECT i.uscc, 'disposal', 3, x.id, i.department_id, x.decided_on,
           x.kind || coalesce(' ' || x.document_no, '') || ' (inspection ' || i.id || ')',
           i.confidential IS DISTINCT FROM 'state_secret'
             AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end)
      FROM @extschema@.inspection i
      JOIN @extschema@.disposal x ON x.inspection_id = i.id
      JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
    UNION ALL
    SELECT e.uscc, 'listing', 4, e.id, e.department_id, e.listed_on, e.reason,
           e.confidential IS NULL OR e.confidential <> 'state_secret'
      FROM @extschema@.dishonesty_entry e
    UNION ALL
    SELECT e.uscc, 'delisting', 5, e.id, e.department_id, e.removed_on, e.removal_reason,
           e.confidential IS NULL OR e.confidential <> 'state_secret'
      FROM @extschema@.dishonesty_entry e
     WHERE e.removed_on IS NOT NULL
    UNION ALL
    -- a case handed to another department (移送), from an inspection or a clue: open unless its
    -- inspection is not (a state secret, a surprise check that has not ended)
    SELECT c.uscc, 'transfer', 6, c.id, c.from_department_id, c.transferred_on,
           'to department ' || c.to_department_id || ': ' || c.reason,
           c.inspection_id IS NULL
             OR (i.confidential IS DISTINCT FROM 'state_secret'
                 AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end))
      FROM @extschema@.case_transfer c
      LEFT JOIN @extschema@.inspection i ON i.id = c.inspection_id
      LEFT JOIN @extschema@.task t ON t.id = i.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  ) r
 WHERE r.open
    OR r.department_id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
    OR (SELECT @extschema@.acting_with_all_rights())
 ORDER BY r.uscc, r.on_date, r.kind_order, r.object_id;
COMMENT ON VIEW @extschema@.v_subject_record IS
    'a subject''s credit record (信用记录归集): every check (inspected_on), result, disposal, listing, removal and case transfer (移送) about it from all departments, in date order; query it for one code (an index lookup per kind). For officers and admins; it reads with the owner''s rights: an officer sees every department''s entries except those under a state secret and checks of a surprise task that has not ended, which only their own department (and admins) see';
COMMENT ON COLUMN @extschema@.v_subject_record.kind IS 'check (inspection.id), result (inspection.id), disposal (disposal.id), listing or delisting (dishonesty_entry.id), transfer (case_transfer.id)';
COMMENT ON COLUMN @extschema@.v_subject_record.department_id IS 'the department that checked, decided, listed or handed the case on';
COMMENT ON COLUMN @extschema@.v_subject_record.summary IS 'a short description: the task (its title unless withheld), the result code and name, the disposal kind and document number, the listing or removal reason, the receiving department and reason of a transfer';

-- ---- key items: full coverage within a cycle (完成执法全覆盖的周期) ----

-- Cycles are whole calendar years counted from 2000: with coverage_years = 3 they are 2000-2002,
-- ..., 2024-2026, 2027-2029.
CREATE FUNCTION @extschema@.coverage_cycle(coverage_years integer, on_date date,
        OUT cycle_start date, OUT cycle_end date)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
    SELECT pg_catalog.make_date(s, 1, 1), pg_catalog.make_date(s OPERATOR(pg_catalog.+) coverage_years, 1, 1) OPERATOR(pg_catalog.-) 1
      FROM (SELECT 2000 OPERATOR(pg_catalog.+)
                   (((extract(year FROM on_date)::integer OPERATOR(pg_catalog.-) 2000) OPERATOR(pg_catalog./) coverage_years)
                    OPERATOR(pg_catalog.*) coverage_years) AS s
             WHERE coverage_years OPERATOR(pg_catalog.>=) 1 AND extract(year FROM on_date) OPERATOR(pg_catalog.>=) 2000) y
$$;
COMMENT ON FUNCTION @extschema@.coverage_cycle(integer, date) IS
    'the coverage cycle (执法全覆盖的周期) of coverage_years calendar years that holds on_date; cycles count from 1 January 2000 (coverage_years 3: 2024-01-01 to 2026-12-31). NULL before 2000 or for fewer than 1 year';

-- The cycles from the one holding first_day to the one holding last_day (ROWS 2: a view that lists
-- an item's cycles is planned for a few, not a thousand, evaluations of its counts).
CREATE FUNCTION @extschema@.coverage_cycles(coverage_years integer, first_day date, last_day date)
    RETURNS TABLE (cycle_start date, cycle_end date)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 2
    SET search_path = @extschema@, pg_temp
AS $$
    SELECT c.cycle_start, c.cycle_end
      FROM @extschema@.coverage_cycle(coverage_years, first_day) f,
           pg_catalog.generate_series(f.cycle_start, last_day, pg_catalog.make_interval(years => coverage_years)) g(s),
           @extschema@.coverage_cycle(coverage_years, g.s::date) c
     ORDER BY c.cycle_start
$$;
COMMENT ON FUNCTION @extschema@.coverage_cycles(integer, date, date) IS
    'the coverage cycles of coverage_years calendar years (coverage_cycle) from the one holding first_day to the one holding last_day, in order; none when last_day is before first_day''s cycle';

CREATE VIEW @extschema@.v_key_item_coverage WITH (security_barrier) AS
SELECT ci.id AS item_id, ci.department_id, c.cycle_start, c.cycle_end,
       n.in_scope, n.covered, n.in_scope - n.covered AS uncovered
  FROM @extschema@.check_item ci
  JOIN @extschema@.department d ON d.id = ci.department_id
  CROSS JOIN LATERAL @extschema@.coverage_cycles(ci.coverage_years,
        least(CURRENT_DATE,
              coalesce((SELECT min(i.inspected_on)
                          FROM @extschema@.task_item ti
                          JOIN @extschema@.inspection i ON i.task_id = ti.task_id
                         WHERE ti.item_id = ci.id AND i.department_id = ci.department_id),
                       CURRENT_DATE)),
        CURRENT_DATE) c
  CROSS JOIN LATERAL (      -- (OFFSET 0: each count once, not once per output column that uses it)
      SELECT (SELECT count(*) FROM @extschema@.subject s
               WHERE s.status = 'active' AND starts_with(s.region, d.region)) AS in_scope,
             (SELECT count(DISTINCT i.uscc)
                FROM @extschema@.task_item ti
                JOIN @extschema@.inspection i ON i.task_id = ti.task_id
                JOIN @extschema@.subject s ON s.uscc = i.uscc
               WHERE ti.item_id = ci.id AND i.department_id = ci.department_id
                 AND i.inspected_on BETWEEN c.cycle_start AND c.cycle_end
                 AND s.status = 'active' AND starts_with(s.region, d.region)) AS covered
      OFFSET 0) n
 WHERE ci.coverage_years IS NOT NULL
   AND (ci.department_id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
        OR (SELECT @extschema@.acting_with_all_rights()));
COMMENT ON VIEW @extschema@.v_key_item_coverage IS
    'coverage of key items (重点检查事项, check_item.coverage_years): per item and cycle, from the cycle of its first check to the current one: in_scope = active subjects of the item''s department''s region, covered = those checked for the item by that department (an inspection with inspected_on in the cycle, under a task holding the item), uncovered = the rest (uncovered_subjects lists them). Own departments'' items for officers, all for admins; counts the whole directory of the region, so it is not a dashboard query at national scale';

CREATE FUNCTION @extschema@.uncovered_subjects(item_id bigint, on_date date DEFAULT CURRENT_DATE)
    RETURNS TABLE (uscc @extschema@.uscc, name text, region text, credit_class text, risk_level smallint)
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    ci      @extschema@.check_item;
    scope   text;
    cyc     record;
BEGIN
    IF item_id IS NULL OR on_date IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('item_id and on_date must not be NULL')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO ci FROM @extschema@.check_item x WHERE x.id OPERATOR(pg_catalog.=) uncovered_subjects.item_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('check item %s does not exist'), item_id),
            ERRCODE = 'undefined_object';
    END IF;
    -- the answer counts the department's inspections, which officers of other departments do not see
    IF pg_catalog.row_security_active('@extschema@.inspection'::regclass)
       AND NOT (ci.department_id OPERATOR(pg_catalog.=) ANY (@extschema@.my_department_ids()) OR @extschema@.is_admin()) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('permission denied to read the coverage of check item %s of department %s'),
                                        item_id, ci.department_id),
            ERRCODE = 'insufficient_privilege',
            HINT    = pg_catalog.format(@extschema@.message_text('The coverage of a key item is read by officers of its department and admins.'));
    END IF;
    IF ci.coverage_years IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('check item %s "%s" has no coverage cycle'), item_id, @extschema@.message_value(ci.name)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Set check_item.coverage_years on a key item (key_supervision) to give it one.'));
    END IF;
    SELECT * INTO cyc FROM @extschema@.coverage_cycle(ci.coverage_years, on_date);
    IF cyc.cycle_start IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('date %s is before the first coverage cycle (2000)'), on_date),
            ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT d.region INTO scope FROM @extschema@.department d WHERE d.id OPERATOR(pg_catalog.=) ci.department_id;
    RETURN QUERY
    SELECT s.uscc, s.name, s.region, s.credit_class, s.risk_level
      FROM @extschema@.subject s
     WHERE s.status OPERATOR(pg_catalog.=) 'active' AND pg_catalog.starts_with(s.region, scope)
       AND NOT EXISTS (SELECT 1 FROM @extschema@.inspection i
                         JOIN @extschema@.task_item ti ON ti.task_id OPERATOR(pg_catalog.=) i.task_id
                        WHERE i.uscc OPERATOR(@extschema@.=) s.uscc
                          AND ti.item_id OPERATOR(pg_catalog.=) ci.id
                          AND i.department_id OPERATOR(pg_catalog.=) ci.department_id
                          AND i.inspected_on BETWEEN cyc.cycle_start AND cyc.cycle_end)
     ORDER BY s.uscc;
END
$$;
COMMENT ON FUNCTION @extschema@.uncovered_subjects(bigint, date) IS
    'the subjects a key item has not reached yet in the coverage cycle holding on_date: active subjects of the item''s department''s region without a check for the item by that department in the cycle, by code. Build a directory from them for a task that covers them (doc/credit-record.md). For officers of the item''s department and admins (42501 otherwise); 22023 for an item without coverage_years';

-- ---- a department's year (纳入年度绩效考核, 全流程监测、动态评价) ----
-- One row per department and year from its first to its last year with a task, an inspection or
-- a publication item. For one department and year every figure is read through an index
-- (bench/record.sh measures it against counting the department's inspections of the year).
CREATE VIEW @extschema@.v_department_year WITH (security_barrier) AS
SELECT d.id AS department_id, y.year,
       t.tasks, t.drawn, i.inspected,
       CASE WHEN t.drawn > 0 THEN round(i.drawn_checked::numeric / t.drawn, 4) END AS completion_rate,
       CASE WHEN i.inspected > 0 THEN round(i.joint::numeric / i.inspected, 4) END AS joint_share,
       v.visits_saved, p.publications_due, p.published_on_time, p.overdue
  FROM @extschema@.department d
  CROSS JOIN LATERAL (
      SELECT least((SELECT min(x.period_start) FROM @extschema@.task x WHERE x.department_id = d.id),
                   (SELECT min(x.inspected_on) FROM @extschema@.inspection x WHERE x.department_id = d.id),
                   (SELECT min(x.due_on) FROM @extschema@.publication x WHERE x.department_id = d.id)) AS lo,
             greatest((SELECT max(x.period_start) FROM @extschema@.task x WHERE x.department_id = d.id),
                      (SELECT max(x.inspected_on) FROM @extschema@.inspection x WHERE x.department_id = d.id),
                      (SELECT max(x.due_on) FROM @extschema@.publication x WHERE x.department_id = d.id)) AS hi) r
  CROSS JOIN LATERAL pg_catalog.generate_series(extract(year FROM r.lo)::integer, extract(year FROM r.hi)::integer) y(year)
  CROSS JOIN LATERAL (SELECT make_date(y.year, 1, 1) AS y0, make_date(y.year + 1, 1, 1) AS y1) b
  CROSS JOIN LATERAL (
      SELECT count(*) AS tasks, coalesce(sum(dr.target_count), 0) AS drawn,
             coalesce(array_agg(x.id) FILTER (WHERE dr.id IS NOT NULL), '{}') AS drawn_ids
        FROM @extschema@.task x
        LEFT JOIN @extschema@.draw_record dr ON dr.task_id = x.id AND dr.cancelled_at IS NULL
       WHERE x.department_id = d.id AND x.period_start >= b.y0 AND x.period_start < b.y1
         AND x.merged_into IS NULL) t
  CROSS JOIN LATERAL (      -- the joint tasks the department takes part in
      SELECT ARRAY(SELECT DISTINCT ti.task_id
                     FROM @extschema@.check_item ci
                     JOIN @extschema@.task_item ti ON ti.item_id = ci.id
                    WHERE ci.department_id = d.id
                      AND EXISTS (SELECT 1 FROM @extschema@.task_item t2
                                    JOIN @extschema@.check_item c2 ON c2.id = t2.item_id
                                   WHERE t2.task_id = ti.task_id AND c2.department_id <> d.id)) AS ids) j
  -- its checks of the year, in one index-only scan: all, those under a joint task, and those under
  -- a drawn task (one per task and subject; where inspections are bound to their task's draw, each
  -- is of a drawn target)
  CROSS JOIN LATERAL (
      SELECT count(*) AS inspected,
             count(*) FILTER (WHERE x.task_id = ANY (j.ids)) AS joint,
             count(*) FILTER (WHERE x.task_id = ANY (t.drawn_ids)) AS drawn_checked
        FROM @extschema@.inspection x
       WHERE x.department_id = d.id AND x.inspected_on >= b.y0 AND x.inspected_on < b.y1) i
  CROSS JOIN LATERAL (
      SELECT coalesce(sum(pg_catalog.cardinality(s.task_ids) - 1), 0) AS visits_saved
        FROM @extschema@.visit_task_set s
        JOIN @extschema@.visit vv ON vv.task_set_id = s.id
       WHERE s.lead_department_id = d.id AND s.year = y.year) v
  CROSS JOIN LATERAL (
      SELECT count(*) AS publications_due,
             count(*) FILTER (WHERE x.published_on <= x.due_on) AS published_on_time,
             count(*) FILTER (WHERE x.published_on IS NULL AND x.due_on < CURRENT_DATE) AS overdue
        FROM @extschema@.publication x
       WHERE x.department_id = d.id AND x.due_on >= b.y0 AND x.due_on < b.y1) p
 WHERE d.id = ANY ((SELECT @extschema@.acting_department_ids())::bigint[])
    OR (SELECT @extschema@.acting_with_all_rights());
COMMENT ON VIEW @extschema@.v_department_year IS
    'a department''s year for its annual assessment (纳入年度绩效考核): tasks it initiated with a period starting in the year (merged tasks count as their joint task), drawn (targets of their live draws), inspected (its checks with inspected_on in the year), completion_rate (its checks in the year under those drawn tasks / drawn), joint_share (its checks under a task with items of several departments / inspected), visits_saved (entries saved by the joint visits it leads that year, as v_visit_report counts them), publications_due (its publication items due in the year), published_on_time, overdue (not published, past due). Own departments for officers, all for admins';
COMMENT ON COLUMN @extschema@.v_department_year.completion_rate IS 'drawn targets of the year''s tasks the department checked in the year (its inspections under those tasks, inspected_on in the year) / drawn, 4 decimals; NULL when nothing was drawn';
COMMENT ON COLUMN @extschema@.v_department_year.joint_share IS 'share of the year''s checks made under a joint task (items of two or more departments), 4 decimals; NULL without checks';

REVOKE EXECUTE ON FUNCTION
    @extschema@.list_dishonest(@extschema@.uscc, bigint, text, date, text, text),
    @extschema@.delist_dishonest(bigint, text, date),
    @extschema@.uncovered_subjects(bigint, date),
    @extschema@.dishonesty_entry_guard()
  FROM PUBLIC;
