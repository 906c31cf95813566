-- =====================================================================================
-- How a caller's value is quoted in a message: whole up to 64 characters, else cut there with
-- "…" (src/pg/message.h), so a megabyte of input never comes back whole in an error or a reject
-- reason. The C glue uses the same rule directly.
-- =====================================================================================

CREATE FUNCTION @extschema@.message_value(value text) RETURNS text
    AS 'MODULE_PATHNAME', 'message_value_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.message_value(text) IS
    'internal: a value as quoted in a message (every message that quotes a caller''s text uses it): itself up to 64 characters, else its first 64 characters and "…"';
