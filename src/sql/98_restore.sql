-- =====================================================================================
-- pg_dump and restore (serial or pg_restore -j): the rows of every table registered with
-- pg_extension_config_dump come back as they were dumped, and nothing else happens.
--
-- CREATE EXTENSION makes the tables with their foreign keys and triggers before the data is
-- copied in, and pg_restore -j copies the tables in any order and at once. The dumped rows were
-- consistent, and the audit entries and publication items their triggers would make are in the
-- dump themselves (with their sequences). So a COPY ... FROM stdin that restores one of these
-- tables (a superuser's, with row_security off, as pg_dump's scripts and pg_restore run it; see
-- src/pg/restore.c) runs as session_replication_role = replica: foreign-key checks and the
-- ENABLE ORIGIN triggers (audit, publication, limits, plan checks) do not fire for it. Triggers
-- that must act on restored rows are ENABLE ALWAYS (the shipped-row guards, the calendar cache
-- invalidation); an ENABLE ALWAYS trigger that refuses rows can let a restore's through by
-- testing @extschema@.restoring(). doc/dump-restore.md describes it for the DBA.
--
-- This piece comes last: it puts the two statement triggers on every registered table.
-- =====================================================================================

CREATE FUNCTION @extschema@.restore_copy() RETURNS trigger
    AS 'MODULE_PATHNAME', 'supervise_restore_copy'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_copy() IS
    'statement trigger before INSERT on every dumped table: a restore''s COPY FROM stdin (a superuser''s, row_security off) runs with session_replication_role = replica, so restored rows come back as dumped, without foreign-key checks and ENABLE ORIGIN triggers';
CREATE FUNCTION @extschema@.restore_copy_end() RETURNS trigger
    AS 'MODULE_PATHNAME', 'supervise_restore_copy_end'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.restore_copy_end() IS
    'statement trigger after INSERT on every dumped table: sets session_replication_role back after a restore''s COPY';
CREATE FUNCTION @extschema@.restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'supervise_restoring'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.restoring() IS
    'internal: true while the current statement is a restore''s COPY into one of the extension''s tables (see restore_copy); for ENABLE ALWAYS triggers that must let restored rows through';

DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass
               FROM pg_catalog.pg_extension e, unnest(e.extconfig) AS cfg(oid)
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) cfg.oid
              WHERE e.extname OPERATOR(pg_catalog.=) 'supervise' AND c.relkind OPERATOR(pg_catalog.=) 'r'
              ORDER BY c.relname
    LOOP
        EXECUTE format('CREATE TRIGGER restore_copy BEFORE INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy()', t);
        EXECUTE format('CREATE TRIGGER restore_copy_end AFTER INSERT ON %s FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end()', t);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER restore_copy, ENABLE ALWAYS TRIGGER restore_copy_end', t);
    END LOOP;
END
$$;
