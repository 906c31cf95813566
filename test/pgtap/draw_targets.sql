-- draw() writes its targets with draw_targets_insert: like COPY, with the constraints and unique
-- indexes checked, the foreign key and the limits re-check done once for all rows; with any other
-- INSERT trigger on draw_target it falls back to INSERT and every trigger runs. The targets are
-- the same either way.
BEGIN;
CREATE EXTENSION supervise;
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT plan(18);
SET search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2026-01-10';
SET track_functions = 'pl';
SELECT count(*) AS generated FROM generate_sample(3000, 12) \gset
INSERT INTO plan (department_id, year, title, approved_on)
SELECT department_id, 2026, 'targets test', '2026-01-10' FROM directory ORDER BY id LIMIT 1;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio)
SELECT p.id, p.department_id, 'targets test', '2026-03-01', '2026-05-31', '2026-01-10', 0.2
  FROM plan p WHERE p.title = 'targets test';
INSERT INTO task_item (task_id, item_id)
SELECT t.id, (SELECT i.id FROM check_item i WHERE i.department_id = t.department_id ORDER BY i.id LIMIT 1)
  FROM task t WHERE t.title = 'targets test';
SELECT id AS task FROM task WHERE title = 'targets test' \gset
SELECT 'supervise.limits_check_targets()'::regprocedure::oid AS limits_fn,
       'supervise.limits_check_drawn(bigint, supervise.uscc[])'::regprocedure::oid AS drawn_fn \gset

-- the bulk path: every target, verified, and the limits trigger not run
SELECT coalesce(pg_stat_get_xact_function_calls(:limits_fn), 0) AS calls0,
       coalesce(pg_stat_get_xact_function_calls(:drawn_fn), 0) AS drawn0 \gset
SELECT draw(:task, seed_from('targets 1')) AS bulk_draw \gset
SELECT is((SELECT count(*) FROM draw_target WHERE draw_id = :bulk_draw),
          (SELECT target_count::bigint FROM draw_record WHERE id = :bulk_draw), 'every target is written');
SELECT cmp_ok((SELECT target_count FROM draw_record WHERE id = :bulk_draw), '>', 50, 'a draw of some size');
SELECT ok(verify_draw(:bulk_draw), 'the draw verifies: draw_target holds exactly the selected targets, strata and ranks');
SELECT is(ARRAY[coalesce(pg_stat_get_xact_function_calls(:limits_fn), 0), coalesce(pg_stat_get_xact_function_calls(:drawn_fn), 0)],
          ARRAY[:calls0::bigint, :drawn0 + 1::bigint],
          'the bulk path runs the limits re-check once for the draw (limits_check_drawn), not the trigger');
SELECT lives_ok(format('SELECT bt_index_check(%L::regclass, true)', i.indexrelid::regclass), 'index ' || i.indexrelid::regclass || ' agrees with the table')
  FROM pg_index i WHERE i.indrelid = 'supervise.draw_target'::regclass ORDER BY i.indexrelid::regclass::text;
-- a subject's draws are found through the primary key, which leads with the code (no other index)
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; t text := '';
BEGIN FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r || E'\n'; END LOOP; RETURN t; END $$;
SET LOCAL enable_seqscan = off;
SELECT matches(pg_temp.plan_of(format('SELECT draw_id FROM supervise.draw_target WHERE uscc = %L',
                                      (SELECT uscc FROM draw_target WHERE draw_id = :bulk_draw ORDER BY rank LIMIT 1))),
               '(Index (Only )?Scan using|Bitmap Index Scan on) draw_target_pkey',
               'a lookup by code uses the primary key (uscc, draw_id)');
RESET enable_seqscan;

-- the same draw again with one more INSERT trigger on draw_target: INSERT, every trigger runs
SELECT cancel_draw(:bulk_draw, 'redrawn through the SQL path');
CREATE TABLE public.seen_targets (draw_id bigint, uscc uscc);
CREATE FUNCTION public.note_target() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.seen_targets VALUES (NEW.draw_id, NEW.uscc); RETURN NULL; END $$;
CREATE TRIGGER note_target AFTER INSERT ON draw_target FOR EACH ROW EXECUTE FUNCTION public.note_target();
SELECT draw(:task, seed_from('targets 1')) AS sql_draw \gset
SELECT is((SELECT count(*) FROM public.seen_targets WHERE draw_id = :sql_draw),
          (SELECT count(*) FROM draw_target WHERE draw_id = :sql_draw), 'with another insert trigger, it runs for every target');
SELECT is(coalesce(pg_stat_get_xact_function_calls(:limits_fn), 0), :calls0 + 1::bigint,
          'and the limits trigger runs too');
SELECT set_eq(format('SELECT uscc::text, stratum, rank FROM supervise.draw_target WHERE draw_id = %s', :sql_draw),
              format('SELECT uscc::text, stratum, rank FROM supervise.draw_target WHERE draw_id = %s', :bulk_draw),
              'the same seed and population give the same targets through either path');
DROP TRIGGER note_target ON draw_target;

-- what the constraints refuse is refused in bulk too
SELECT cancel_draw(:sql_draw, 'for the bad-input tests');
SELECT draw(:task, seed_from('targets 2')) AS d \gset
SELECT throws_ok(format($$SELECT supervise.draw_targets_insert(%s, ARRAY[(SELECT uscc FROM supervise.draw_target WHERE draw_id = %s LIMIT 1)], '{all}', '{999999}')$$, :d, :d),
                 '23505', NULL, 'a code drawn twice in one draw violates the primary key');
-- the unique index on (draw_id, stratum, rank) is filled after the rows, in the arrays' order
SELECT throws_ok(format($$SELECT supervise.draw_targets_insert(%s, ARRAY['91350100M000100Y43'::supervise.uscc],
                                   ARRAY[(SELECT stratum FROM supervise.draw_target WHERE draw_id = %s AND rank = 1 LIMIT 1)], '{1}')$$, :d, :d),
                 '23505', 'duplicate key value violates unique constraint "one target per rank in a stratum of a draw"',
                 'a rank already taken in its stratum violates the unique constraint');
SELECT throws_ok(format($$SELECT supervise.draw_targets_insert(%s,
                                   ARRAY['91350100M000100Y43'::supervise.uscc, supervise.uscc_build('91', '350100', 'A0000001')],
                                   '{new,new}', '{5,5}')$$, :d),
                 '23505', 'duplicate key value violates unique constraint "one target per rank in a stratum of a draw"',
                 'two new rows with one rank in one stratum violate it too');
SELECT throws_ok(format($$SELECT supervise.draw_targets_insert(%s, ARRAY['91350100M000100Y43'::supervise.uscc], '{all}', '{0}')$$, :d),
                 '23514', NULL, 'a rank of 0 violates the check constraint');
SELECT throws_ok($$SELECT supervise.draw_targets_insert(987654321, ARRAY['91350100M000100Y43'::supervise.uscc], '{all}', '{1}')$$,
                 '23503', 'draw 987654321 does not exist', 'a draw that does not exist is refused');
SELECT throws_ok(format($$SELECT supervise.draw_targets_insert(%s, ARRAY['91350100M000100Y43'::supervise.uscc], '{all,all}', '{1}')$$, :d),
                 '2202E', NULL, 'arrays of different lengths are refused');
SELECT throws_ok(format($$SELECT supervise.draw_targets_insert(%s, ARRAY[NULL::supervise.uscc], '{all}', '{1}')$$, :d),
                 '22004', 'a draw target cannot have a NULL code, stratum or rank', 'a NULL code is refused');
SELECT ok(NOT has_function_privilege('public', 'supervise.draw_targets_insert(bigint, supervise.uscc[], text[], integer[])', 'EXECUTE'),
          'PUBLIC may not call draw_targets_insert');

SELECT * FROM finish();
ROLLBACK;
