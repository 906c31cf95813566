-- draws: catalogue facts (labels, comments, dump registration) and draw = sample_agg per stratum
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(15);
SET search_path = supervise, public;

SELECT has_table('supervise', 'draw_record', 'draw_record exists');
SELECT has_table('supervise', 'draw_target', 'draw_target exists');
SELECT has_table('supervise', 'assignment', 'assignment exists');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname)
             FROM pg_extension e, unnest(e.extconfig) AS x(cfg) JOIN pg_class c ON c.oid = x.cfg
            WHERE e.extname = 'supervise' AND c.relname IN ('draw_record', 'draw_record_id_seq', 'draw_target', 'assignment')),
          ARRAY['assignment', 'draw_record', 'draw_record_id_seq', 'draw_target'],
          'draw tables and their sequence are registered with pg_extension_config_dump');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
            JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'supervise'
            WHERE p.proname IN ('draw', 'cancel_draw', 'verify_draw', 'draw_population', 'seed_from', 'random_seed', 'draw_digest',
                                'population_agg', 'population_strata', 'population_rows', 'draw_select', 'rfc3797_select',
                                'sample_agg', 'eligible_population', 'match_inspectors', 'assign_inspector', 'match_compute', 'stratum_k')
              AND obj_description(p.oid, 'pg_proc') IS NULL), 0::bigint, 'every draw function has a comment');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc WHERE oid = 'supervise.seed_from(text)'::regprocedure),
          'istrue', 'seed_from is immutable, parallel safe, strict');
SELECT is((SELECT provolatile::text FROM pg_proc WHERE oid = 'supervise.draw(bigint, bytea, text)'::regprocedure), 'v', 'draw is volatile');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc WHERE oid = 'supervise.random_seed()'::regprocedure), 'vs', 'random_seed is volatile');
-- a non-internal state and a combine function: parallel workers and Citus workers compute parts
SELECT is((SELECT aggtranstype::regtype::text || ' ' || aggcombinefn::oid::regproc::text || ' ' || aggserialfn::oid::text || ' ' || p.proparallel::text
             FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE aggfnoid = 'supervise.sample_agg(text, double precision, integer, bytea)'::regprocedure),
          'bytea sample_agg_combine 0 s', 'sample_agg has a bytea state and a combine function, and is parallel safe');
SELECT is((SELECT array_agg(aggtranstype::regtype::text || ' ' || aggcombinefn::oid::regproc::text || ' ' || p.proparallel::text ORDER BY p.pronargs)
             FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.proname = 'population_agg' AND p.pronamespace = 'supervise'::regnamespace),
          ARRAY['bytea population_agg_combine s', 'bytea population_agg_combine s'],
          'population_agg (with and without excluded codes) has a bytea state and a combine function, and is parallel safe');
SELECT is((SELECT 'search_path=@extschema@, pg_temp' = ANY (proconfig) OR 'search_path=supervise, pg_temp' = ANY (proconfig)
             FROM pg_proc WHERE oid = 'supervise.eligible_population(bigint)'::regprocedure), true,
          'eligible_population is pinned (it takes the limit locks, so it is plpgsql, not inlined SQL)');

-- a stratified draw equals sample_agg per stratum over the same eligible rows and seed
CREATE FUNCTION pg_temp.code(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i]) FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '91440300' || lpad(n::text, 9, '0') AS c, '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
INSERT INTO department (id, code, name, system, level, region) VALUES (801, 'SAMR-4403', 'Shenzhen', 'market', 3, '4403');
INSERT INTO subject (uscc, name, region, credit_class, status)
SELECT pg_temp.code(g), 's' || g, '440300', (ARRAY['A', 'B', 'C', 'D'])[1 + g % 4], CASE WHEN g % 7 = 0 THEN 'revoked' ELSE 'active' END
  FROM generate_series(1, 3000) g;
INSERT INTO check_item (id, department_id, code, name, category) VALUES (8001, 801, 'X', 'x', 'x');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (8100, 801, extract(year FROM current_date)::int, 'p', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on) VALUES
    (8200, 8100, 801, 't', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date);
INSERT INTO task_item VALUES (8200, 8001);
INSERT INTO task_stratum VALUES (8200, 'A', 0.01), (8200, 'B', 0.02), (8200, 'C', 0.05), (8200, 'D', 0.2);
SELECT draw(8200, seed_from('pgtap')) AS d \gset
SELECT is((WITH k AS (SELECT e.credit_class, supervise.stratum_k(count(*), s.ratio, NULL) AS k
                        FROM eligible_population(8200) e JOIN task_stratum s ON s.task_id = 8200 AND s.credit_class = e.credit_class
                       GROUP BY e.credit_class, s.ratio),
                picks AS (SELECT e.credit_class, unnest(sample_agg(e.uscc::text, NULL, k.k, seed_from('pgtap'))) AS u
                            FROM eligible_population(8200) e JOIN k ON k.credit_class = e.credit_class
                           GROUP BY e.credit_class)
             SELECT count(*) FROM draw_target t JOIN picks x ON x.u = t.uscc::text AND x.credit_class = t.stratum
              WHERE t.draw_id = :d), (SELECT target_count::bigint FROM draw_record WHERE id = :d),
          'every target of a 4-stratum draw is what sample_agg picks in its stratum');
SELECT is((SELECT sum((a->>'k')::int) FROM draw_record, jsonb_array_elements(allocation) a WHERE id = :d),
          (SELECT target_count FROM draw_record WHERE id = :d)::bigint, 'the allocation adds up to the targets');
SELECT ok(verify_draw(:d), 'the draw verifies');
SELECT is((SELECT population_size FROM draw_record WHERE id = :d), (SELECT count(*) FROM eligible_population(8200)),
          'population_size counts the eligible rows');

SELECT * FROM finish();
ROLLBACK;
