-- =====================================================================================
-- Working days (工作日) and publication deadlines (一公开 时限); doc/calendar.md.
--
-- The calendar is the State Council's yearly holiday notice (国务院办公厅关于部分节假日安排的通知):
-- holidays ('off') and weekend days made working days (调休, 'work'). Every other day of a loaded
-- year follows the plain rule: Monday–Friday work, Saturday and Sunday off. A computation that
-- needs a day of a year that is not in calendar_year is an error naming the year.
-- The C functions keep the loaded calendar in a per-backend cache (src/pg/calendar_fn.c); the
-- statement triggers below tell every session to reload it after any change.
-- Shipped rows (2019–2026, 41_calendar_data.sql) have shipped = true; pg_dump keeps the others
-- and the shipped rows a DBA modified.
-- =====================================================================================

CREATE TABLE @extschema@.calendar_year (
    year        integer PRIMARY KEY,
    loaded_on   date NOT NULL DEFAULT current_date,
    source      text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    CONSTRAINT "calendar year is between 1900 and 9999" CHECK (year BETWEEN 1900 AND 9999)
);
COMMENT ON TABLE @extschema@.calendar_year IS
    'years whose holiday notice is loaded: every day of these years has a known working-day status; load more with @extschema@.load_calendar()';
COMMENT ON COLUMN @extschema@.calendar_year.source IS 'the notice the year comes from, e.g. 国务院办公厅关于2027年部分节假日安排的通知';
COMMENT ON COLUMN @extschema@.calendar_year.shipped IS 'the row was installed by the extension (it can be changed, not deleted)';
COMMENT ON COLUMN @extschema@.calendar_year.modified IS 'a shipped row changed since installation; pg_dump keeps rows that are not shipped or modified';

CREATE TABLE @extschema@.calendar_day (
    day         date PRIMARY KEY,
    kind        text NOT NULL,
    holiday     text,
    source      text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    year        integer NOT NULL GENERATED ALWAYS AS (extract(year FROM day)::integer) STORED
                REFERENCES @extschema@.calendar_year (year) ON DELETE CASCADE,
    CONSTRAINT "calendar day kind is off or work" CHECK (kind IN ('off', 'work'))
);
COMMENT ON TABLE @extschema@.calendar_day IS
    'exception days of the loaded years: off = holiday (节假日), work = a weekend day made a working day (调休); days not listed follow Monday-Friday. A row that repeats the plain rule is allowed (notices list whole holiday periods)';
COMMENT ON COLUMN @extschema@.calendar_day.holiday IS 'the holiday the day belongs to, e.g. 春节 Spring Festival';
COMMENT ON COLUMN @extschema@.calendar_day.source IS 'where the row comes from: the notice, or the reason of a correction';
COMMENT ON COLUMN @extschema@.calendar_day.year IS 'the calendar year of the day; must be loaded in calendar_year';

-- ---- shipped rows: changeable, not deletable, restore-safe (see 15_shipped.sql) ----
CREATE TRIGGER calendar_year_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.calendar_year
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('year',
        'Reload the year with @extschema@.load_calendar(year, days, replace => true).');
CREATE TRIGGER calendar_day_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.calendar_day
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('day',
        'Correct a day with @extschema@.set_calendar_day(day, kind), or reload a year with @extschema@.load_calendar(year, days, replace => true).');
-- (ENABLE ALWAYS: it also acts on a restore's rows, which run as replica; see 98_restore.sql)
ALTER TABLE @extschema@.calendar_year ENABLE ALWAYS TRIGGER calendar_year_guard;
ALTER TABLE @extschema@.calendar_day ENABLE ALWAYS TRIGGER calendar_day_guard;

-- ---- the per-backend cache: every change tells every session to reload ----
CREATE FUNCTION @extschema@.calendar_invalidate() RETURNS trigger
    AS 'MODULE_PATHNAME', 'supervise_calendar_invalidate'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.calendar_invalidate() IS
    'statement trigger: sends a relcache invalidation for the calendar table, so every session reloads its cached calendar at its next call';
CREATE TRIGGER calendar_year_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.calendar_invalidate();
CREATE TRIGGER calendar_day_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.calendar_day
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.calendar_invalidate();
-- (ENABLE ALWAYS: it also acts on a restore's rows, which run as replica; see 98_restore.sql)
ALTER TABLE @extschema@.calendar_year ENABLE ALWAYS TRIGGER calendar_year_invalidate;
ALTER TABLE @extschema@.calendar_day ENABLE ALWAYS TRIGGER calendar_day_invalidate;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.calendar_year', 'WHERE NOT shipped OR modified');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.calendar_day', 'WHERE NOT shipped OR modified');

-- ---- working-day functions (C) ----
--
-- No SET search_path on these: their only SQL is the cache load, which names
-- @extschema@ and pg_catalog explicitly (looked up from the function's own schema), so the
-- caller's search_path cannot change them; a SET clause would save and restore a GUC on every
-- call, several times the cost of the function itself (see bench/calendar.sh).
-- STABLE (they read the calendar tables), STRICT (NULL in, NULL out), PARALLEL SAFE: a parallel
-- worker builds its own cache through SPI from the shared snapshot, and never writes.

CREATE FUNCTION @extschema@.is_workday(day date) RETURNS boolean
    AS 'MODULE_PATHNAME', 'supervise_is_workday'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_workday(date) IS
    'true when the day is a working day (工作日) under the loaded holiday notices; error naming the year when it is not loaded';

CREATE FUNCTION @extschema@.add_workdays(day date, n integer) RETURNS date
    AS 'MODULE_PATHNAME', 'supervise_add_workdays'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.add_workdays(date, integer) IS
    'the n-th working day after the day (the day itself not counted); n = 0 returns the day; negative n counts backwards';

CREATE FUNCTION @extschema@.workdays_between(from_day date, to_day date) RETURNS integer
    AS 'MODULE_PATHNAME', 'supervise_workdays_between'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.workdays_between(date, date) IS
    'working days in (from_day, to_day]; when to_day < from_day, minus the working days in (to_day, from_day], so that between(a, b) + between(b, c) = between(a, c)';

CREATE FUNCTION @extschema@.add_workdays_provisional(day date, n integer, OUT result date, OUT provisional boolean)
    AS 'MODULE_PATHNAME', 'supervise_add_workdays_provisional'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.add_workdays_provisional(date, integer) IS
    'add_workdays, except that days of years not loaded count by the plain Monday-Friday rule; provisional is true when that happened (provisional publication deadlines)';

CREATE FUNCTION @extschema@.calendar_cache_info(OUT loads bigint, OUT years integer, OUT valid boolean)
    AS 'MODULE_PATHNAME', 'supervise_calendar_cache_info'
    LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.calendar_cache_info() IS
    'this session''s calendar cache: how many times it was loaded, how many years it holds, whether it is valid now';

-- ---- loading a year and correcting a day ----

CREATE FUNCTION @extschema@.load_calendar(year integer, days jsonb, source text DEFAULT NULL,
                                          replace boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    y       constant integer := load_calendar.year;
    e       jsonb;
    d       date;
    k       text;
    i       integer := 0;
    seen    date[] := '{}';
    src     text := coalesce(load_calendar.source,
                             format('国务院办公厅关于%s年部分节假日安排的通知', load_calendar.year));
BEGIN
    IF y IS NULL OR days IS NULL OR replace IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('year, days and replace must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF y NOT BETWEEN 1900 AND 9999 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('calendar year %s is out of range'), y),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Years run from 1900 to 9999.'));
    END IF;
    IF jsonb_typeof(days) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('days must be a JSON array, not %s'), jsonb_typeof(days)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Pass [{"day": "2027-01-01", "kind": "off", "holiday": "元旦"}, ...].'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.calendar_year cy WHERE cy.year OPERATOR(pg_catalog.=) y)
       AND NOT replace THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('holiday calendar for year %s is already loaded'), y),
            ERRCODE = 'unique_violation',
            HINT    = pg_catalog.format(@extschema@.message_text('Pass replace => true to replace the whole year, or correct one day with @extschema@.set_calendar_day(day, kind).'));
    END IF;

    -- validate everything before changing anything
    FOR e IN SELECT value FROM jsonb_array_elements(days) LOOP
        i := i + 1;
        IF jsonb_typeof(e) IS DISTINCT FROM 'object' OR NOT e ? 'day' OR NOT e ? 'kind' THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('element %s of days is not an object with "day" and "kind": %s'), i, e),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        d := (e->>'day')::date;
        k := e->>'kind';
        IF NOT isfinite(d) OR extract(year FROM d)::integer IS DISTINCT FROM y THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('day %s is not in year %s'), d, y),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        IF k IS NULL OR k NOT IN ('off', 'work') THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('invalid calendar day kind "%s" for %s'), @extschema@.message_value(k), d),
                ERRCODE = 'invalid_parameter_value',
                HINT    = pg_catalog.format(@extschema@.message_text('A day is "off" (a holiday) or "work" (a weekend day made a working day, 调休).'));
        END IF;
        IF d = ANY (seen) THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('day %s appears twice in days'), d),
                ERRCODE = 'invalid_parameter_value';
        END IF;
        seen := seen || d;
    END LOOP;
    IF i = 0 THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('no exception days given for year %s: every day will follow Monday-Friday'), y);
    END IF;

    INSERT INTO @extschema@.calendar_year AS cy (year, loaded_on, source, shipped)
        VALUES (y, current_date, src, false)
        ON CONFLICT ON CONSTRAINT calendar_year_pkey DO UPDATE SET loaded_on = excluded.loaded_on, source = excluded.source;

    IF replace THEN
        -- days of the old notice that the new one does not list: local rows go; shipped rows
        -- cannot be deleted (see shipped_row_guard), so they are set to the plain rule
        DELETE FROM @extschema@.calendar_day cd
         WHERE cd.year OPERATOR(pg_catalog.=) y AND NOT cd.shipped AND cd.day <> ALL (seen);
        UPDATE @extschema@.calendar_day cd
           SET kind = CASE WHEN extract(isodow FROM cd.day) < 6 THEN 'work' ELSE 'off' END,
               holiday = NULL, source = src
         WHERE cd.year OPERATOR(pg_catalog.=) y AND cd.shipped AND cd.day <> ALL (seen);
    END IF;

    INSERT INTO @extschema@.calendar_day AS cd (day, kind, holiday, source, shipped)
    SELECT (x->>'day')::date, x->>'kind', x->>'holiday', src, false
      FROM jsonb_array_elements(days) AS x
        ON CONFLICT ON CONSTRAINT calendar_day_pkey DO UPDATE
       SET kind = excluded.kind, holiday = excluded.holiday, source = excluded.source;
    RETURN i;
END
$$;
COMMENT ON FUNCTION @extschema@.load_calendar(integer, jsonb, text, boolean) IS
    'loads a year''s holiday notice: days is a JSON array of {"day", "kind" off|work, "holiday"}; returns the number of days; replace => true replaces a loaded year. Due dates of unpublished and provisional publication items are recomputed';

CREATE FUNCTION @extschema@.set_calendar_day(day date, kind text, holiday text DEFAULT NULL,
                                             source text DEFAULT 'correction')
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    d constant date := set_calendar_day.day;
    y integer;
BEGIN
    IF d IS NULL OR set_calendar_day.kind IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('day and kind must not be null')),
            ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(d) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('working days are not defined for date "%s"'), d),
            ERRCODE = 'datetime_field_overflow';
    END IF;
    IF set_calendar_day.kind NOT IN ('off', 'work') THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('invalid calendar day kind "%s"'), @extschema@.message_value(set_calendar_day.kind)),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('A day is "off" (a holiday) or "work" (a working day).'));
    END IF;
    y := extract(year FROM d)::integer;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.calendar_year cy WHERE cy.year OPERATOR(pg_catalog.=) y) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('holiday calendar for year %s is not loaded'), y),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('Load the %s holiday notice with @extschema@.load_calendar(%s, ...) first.'), y, y);
    END IF;
    INSERT INTO @extschema@.calendar_day AS cd (day, kind, holiday, source, shipped)
        VALUES (d, set_calendar_day.kind, set_calendar_day.holiday, set_calendar_day.source, false)
        ON CONFLICT ON CONSTRAINT calendar_day_pkey DO UPDATE
       SET kind = excluded.kind, holiday = excluded.holiday, source = excluded.source;
END
$$;
COMMENT ON FUNCTION @extschema@.set_calendar_day(date, text, text, text) IS
    'corrects one day of a loaded year: kind off (holiday) or work; the plain Monday-Friday status can be restored by setting it explicitly';

-- ---- publication deadlines (公示时限) ----

CREATE TABLE @extschema@.publication_rule (
    event       text PRIMARY KEY,
    amount      integer NOT NULL,
    unit        text NOT NULL DEFAULT 'workday',
    basis       text,
    shipped     boolean NOT NULL DEFAULT false,
    modified    boolean NOT NULL DEFAULT false,
    CONSTRAINT "publication event is a lower-case name" CHECK (event ~ '^[a-z][a-z_]*$'),
    CONSTRAINT "publication amount is between 0 and 366" CHECK (amount BETWEEN 0 AND 366),
    CONSTRAINT "publication unit is workday or day" CHECK (unit IN ('workday', 'day'))
);
COMMENT ON TABLE @extschema@.publication_rule IS
    'publication deadlines (公示时限): an event is published within amount working days (workday) or calendar days (day) after it; the period starts the day after the event. Defaults from Fushun (002 §三(八))';
INSERT INTO @extschema@.publication_rule (event, amount, unit, basis, shipped) VALUES
    ('plan',        10, 'workday', '抽查计划经批准后10个工作日内公示 (002 §三(八))', true),
    ('task',        10, 'workday', '抽查任务经批准后10个工作日内公示 (002 §三(八))', true),
    ('target_list', 10, 'workday', '抽取检查对象名单后10个工作日内公示，临时任务与名单一并公示 (002 §三(八))', true),
    ('result',      10, 'workday', '检查结果形成后10个工作日内公示 (002 §三(八))', true),
    ('disposal',     7, 'workday', '行政处理决定作出后7个工作日内公示 (002 §三(八))', true);

CREATE TRIGGER publication_rule_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.publication_rule
    FOR EACH ROW EXECUTE FUNCTION @extschema@.shipped_row_guard('event', 'Change its amount or unit instead.');
-- (ENABLE ALWAYS: it also acts on a restore's rows, which run as replica; see 98_restore.sql)
ALTER TABLE @extschema@.publication_rule ENABLE ALWAYS TRIGGER publication_rule_guard;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publication_rule', 'WHERE NOT shipped OR modified');

CREATE FUNCTION @extschema@.publication_rule_for(event text) RETURNS @extschema@.publication_rule
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule;
BEGIN
    SELECT * INTO r FROM @extschema@.publication_rule pr WHERE pr.event OPERATOR(pg_catalog.=) publication_rule_for.event;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('unknown publication event "%s"'), @extschema@.message_value(publication_rule_for.event)),
            ERRCODE = 'invalid_parameter_value',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Known events: %s.'),
                                        (SELECT string_agg(pr.event, ', ' ORDER BY pr.event) FROM @extschema@.publication_rule pr)),
            HINT    = pg_catalog.format(@extschema@.message_text('Add a row to @extschema@.publication_rule for a new event.'));
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_rule_for(text) IS
    'the publication_rule row of an event; error listing the known events when there is none';

CREATE FUNCTION @extschema@.publication_deadline(event text, event_date date) RETURNS date
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule := @extschema@.publication_rule_for(event);
BEGIN
    IF r.unit = 'day' THEN
        RETURN event_date + r.amount;
    END IF;
    RETURN @extschema@.add_workdays(event_date, r.amount);
END
$$;
COMMENT ON FUNCTION @extschema@.publication_deadline(text, date) IS
    'last day to publish an event (plan, task, target_list, result, disposal) that happened on event_date, by @extschema@.publication_rule; error naming the year when the calendar is not loaded';

CREATE FUNCTION @extschema@.publication_due(event text, event_date date, OUT due_on date, OUT provisional boolean)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.publication_rule := @extschema@.publication_rule_for(event);
BEGIN
    IF r.unit = 'day' THEN
        due_on := event_date + r.amount;
        provisional := false;
    ELSE
        SELECT p.result, p.provisional INTO due_on, provisional
          FROM @extschema@.add_workdays_provisional(event_date, r.amount) p;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.publication_due(text, date) IS
    'publication_deadline that never fails for a year not loaded: such days count Monday-Friday and provisional is true';
