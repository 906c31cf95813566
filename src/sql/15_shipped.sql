-- =====================================================================================
-- Rows shipped with the extension (result codes, the 2019–2026 calendar, publication and filing
-- rules) are changeable by the DBA, and pg_dump keeps the changes.
--
-- Such a table has columns shipped and modified, is registered with
-- pg_extension_config_dump(..., 'WHERE NOT shipped OR modified') and has the trigger below.
-- On restore, CREATE EXTENSION inserts the shipped rows again and then the dump's rows are copied
-- in, so:
--   * an UPDATE of a shipped row marks it modified, so the change is dumped;
--   * inserting a row whose key is a shipped row's updates that row instead (and skips the
--     insert), so restoring a dumped change cannot collide with the re-installed row;
--   * deleting a shipped row is refused: a restore would bring it back. Correct it instead.
-- Trigger arguments: the key column, and the hint shown when a delete is refused (a message of the
-- catalog: tools/sql_messages.py extracts it from the trigger's definition).
-- =====================================================================================

CREATE FUNCTION @extschema@.shipped_row_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_temp
AS $$
DECLARE
    key_column  text := TG_ARGV[0];
    assignments text;
    n           bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.shipped := OLD.shipped;
        NEW.modified := OLD.shipped;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.shipped THEN
            RAISE EXCEPTION USING
                MESSAGE = pg_catalog.format(@extschema@.message_text('cannot delete shipped row "%s" of %s.%s'), to_jsonb(OLD) ->> key_column, TG_TABLE_SCHEMA, TG_TABLE_NAME),
                ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL  = pg_catalog.format(@extschema@.message_text('Rows installed with the extension can be corrected, not deleted (a restore would bring them back).')),
                HINT    = @extschema@.message_text(TG_ARGV[1]);
        END IF;
        RETURN OLD;
    END IF;
    -- INSERT over a shipped row (a restore, or a plain INSERT of a correction): update it
    SELECT string_agg(format('%I = ($1).%I', a.attname, a.attname), ', ' ORDER BY a.attnum)
      INTO assignments
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND a.attname NOT IN (key_column, 'shipped', 'modified');
    EXECUTE format('UPDATE %I.%I t SET %s WHERE t.%I OPERATOR(pg_catalog.=) ($1).%I AND t.shipped',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, assignments, key_column, key_column)
      USING NEW;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.shipped_row_guard() IS
    'trigger (arguments: key column, hint): keeps rows shipped with the extension restore-safe — an update marks a shipped row modified, an insert over a shipped row updates it, shipped rows are not deleted';
