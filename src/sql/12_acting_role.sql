-- =====================================================================================
-- Who is acting: used by the draw record, the audit trail and the access checks.
-- =====================================================================================

-- The role a person acts as: the SET ROLE role, else the session user. Unlike current_user it
-- stays the caller's inside SECURITY DEFINER functions (the audit trigger runs as the owner).
CREATE FUNCTION @extschema@.acting_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN SESSION_USER
                ELSE pg_catalog.current_setting('role')::name END;
COMMENT ON FUNCTION @extschema@.acting_role() IS
    'the role the caller acts as (SET ROLE, else the session user), also inside SECURITY DEFINER functions; recorded as actor in the audit trail';

