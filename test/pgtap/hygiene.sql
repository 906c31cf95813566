-- Extension-wide hygiene: every object documented, every function pinned, labels honest where
-- they can be checked mechanically, user data registered for pg_dump, public access revoked.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(13);

SELECT is(extrelocatable, false, 'the extension is not relocatable') FROM pg_extension WHERE extname = 'supervise';
SELECT is(n.nspname, 'supervise', 'the extension lives in schema supervise')
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'supervise';

-- every member function, table, view, type and operator has a comment
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function has a comment');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
      JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE c.relkind IN ('r', 'v', 'm', 'p') AND obj_description(c.oid, 'pg_class') IS NULL$$,
    'every table and view has a comment');
SELECT is_empty($$
    SELECT o.oid::regoperator::text FROM pg_operator o
      JOIN pg_depend d ON d.classid = 'pg_operator'::regclass AND d.objid = o.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE obj_description(o.oid, 'pg_operator') IS NULL$$,
    'every operator has a comment');

-- functions whose body is resolved at call time (plpgsql, sql with a string body) are pinned
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE l.lanname IN ('plpgsql', 'sql') AND p.prosqlbody IS NULL
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')$$,
    'every plpgsql function and string-bodied sql function has SET search_path');
-- SECURITY DEFINER functions search only pg_catalog (always first), the extension's schema, and
-- pg_temp last; and nobody but the owner can create objects in the extension's schema
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE p.prosecdef
       AND NOT (coalesce(p.proconfig, '{}') && ARRAY['search_path=pg_catalog, pg_temp', 'search_path=supervise, pg_temp'])$$,
    'every SECURITY DEFINER function has search_path = pg_catalog, pg_temp or supervise, pg_temp');
SELECT ok(NOT has_schema_privilege('public', 'supervise', 'CREATE'), 'PUBLIC cannot create objects in schema supervise');
-- a function that reads tables cannot be IMMUTABLE: flag plpgsql/sql IMMUTABLE functions that name a supervise table
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE p.provolatile = 'i' AND l.lanname IN ('plpgsql', 'sql')
       AND EXISTS (SELECT 1 FROM pg_class c
                    WHERE c.relnamespace = 'supervise'::regnamespace AND c.relkind IN ('r', 'v', 'p')
                      AND p.prosrc ~ ('\m' || c.relname || '\M'))$$,
    'no IMMUTABLE plpgsql/sql function reads an extension table');
-- trigger functions and functions that write are VOLATILE (plpgsql with INSERT/UPDATE/DELETE)
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
     WHERE p.provolatile <> 'v' AND l.lanname IN ('plpgsql', 'sql')
       AND p.prosrc ~* '\m(insert\s+into|update\s+\S+\s+set|delete\s+from|truncate)\M'$$,
    'functions that write are VOLATILE');

-- every permanent table and sequence is registered for pg_dump
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'supervise'::regnamespace AND c.relkind IN ('r', 'S', 'p') AND c.relpersistence = 'p'
       AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'supervise')::oid[])
   AND c.relname NOT IN ('publication_id_seq', 'audit_log_id_seq')  -- deliberately not dumped: see their tables$$,
    'every permanent table and sequence is registered with pg_extension_config_dump');

-- the loader and the sample generator are not for PUBLIC
SELECT ok(NOT has_function_privilege('public', 'supervise.load_subjects(regclass, boolean)', 'EXECUTE'),
          'PUBLIC cannot run load_subjects');
SELECT ok(NOT has_function_privilege('public', 'supervise.generate_sample(bigint, integer)', 'EXECUTE'),
          'PUBLIC cannot run generate_sample');

SELECT * FROM finish();
ROLLBACK;
