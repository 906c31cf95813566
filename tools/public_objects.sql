-- The public objects of the extension: what doc/reference.md gives an example for and what
-- test/scripts/examples_cover.sh requires an example of (in sql/examples.sql).
-- Output: one row per function, aggregate, window function and view of the schema supervise:
--   kind     function | aggregate | window function | view
--   object   the name an example marker uses: supervise.name(argument types) for routines
--            (types as format_type prints them with search_path unset, joined by ', '),
--            supervise.name for views
--   name     the bare name, which the example must mention
--   excluded NULL for a public object; else why it needs no example:
--     trigger function        returns trigger (runs by itself, never called)
--     aggregate support       transition, final, combine, serial or deserial function of an aggregate
--     type I/O                input, output, receive or send function of a type
--     operator implementation the function behind an operator (the operator is what one uses)
--     index support           btree/hash support function of an operator class
--     internal helper         its COMMENT starts with "internal" (called by other functions only)
-- Run with search_path unset (psql -X, no SET), so that type names come schema-qualified.
SELECT kind, object, name, excluded
  FROM (
    SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' ELSE 'function' END AS kind,
           'supervise.' || p.proname || '(' ||
               coalesce((SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
                           FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)), '') || ')' AS object,
           p.proname::text AS name,
           CASE
             WHEN p.prorettype = 'trigger'::regtype THEN 'trigger function'
             WHEN EXISTS (SELECT 1 FROM pg_aggregate g
                           WHERE p.oid IN (g.aggtransfn, g.aggfinalfn, g.aggcombinefn, g.aggserialfn, g.aggdeserialfn,
                                           g.aggmtransfn, g.aggminvtransfn, g.aggmfinalfn))
               THEN 'aggregate support'
             WHEN EXISTS (SELECT 1 FROM pg_type t
                           WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze))
               THEN 'type I/O'
             WHEN EXISTS (SELECT 1 FROM pg_operator o WHERE p.oid IN (o.oprcode, o.oprrest, o.oprjoin))
               THEN 'operator implementation'
             WHEN EXISTS (SELECT 1 FROM pg_amproc a WHERE a.amproc = p.oid)
               THEN 'index support'
             WHEN obj_description(p.oid, 'pg_proc') ~ '^internal\M'
               THEN 'internal helper'
           END AS excluded
      FROM pg_proc p
     WHERE p.pronamespace = 'supervise'::regnamespace
    UNION ALL
    SELECT 'view', 'supervise.' || c.relname, c.relname::text, NULL
      FROM pg_class c
     WHERE c.relnamespace = 'supervise'::regnamespace AND c.relkind IN ('v', 'm')
  ) o
 ORDER BY excluded IS NOT NULL, kind = 'view', name, object;
