-- =====================================================================================
-- How a caller's value is quoted in a message: whole up to 64 characters, else cut there with
-- "…" (src/pg/message.h), so a megabyte of input never comes back whole in an error or a reject
-- reason. The C glue uses the same rule directly.
-- =====================================================================================

CREATE FUNCTION @extschema@.message_value(value text) RETURNS text
    AS 'MODULE_PATHNAME', 'message_value_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.message_value(text) IS
    'internal: a value as quoted in a message (every message that quotes a caller''s text uses it): itself up to 64 characters, else its first 64 characters and "…"';

-- Every message the SQL pieces raise is written once, in English, as the format string of
--     RAISE EXCEPTION USING MESSAGE = pg_catalog.format(@extschema@.message_text('subject %s ...'), ...)
-- and translated in the same catalog as the C messages (po/LANG.po, text domain supervise-NN):
-- message_text gives it in the language of lc_messages (doc/messages.md).
CREATE FUNCTION @extschema@.message_text(msgid text) RETURNS text
    AS 'MODULE_PATHNAME', 'message_text_fn' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.message_text(text) IS
    'internal: a message of the extension (its English format string) in the language of lc_messages, from the extension''s message catalog (text domain supervise-NN); itself when the catalog has no translation';
