-- match_inspectors writes its assignments with assignments_insert: like COPY, with the three
-- foreign keys checked and audit_match's entry written once per department; with any other INSERT
-- trigger on assignment it falls back to INSERT and every trigger runs. Same rows, same audit.
BEGIN;
CREATE EXTENSION supervise;
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT plan(23);
SET search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2026-01-10';
SET track_functions = 'pl';

SELECT count(*) AS generated FROM generate_sample(3000, 12) \gset
INSERT INTO plan (department_id, year, title, approved_on)
SELECT department_id, 2026, 'match bulk', '2026-01-10' FROM directory ORDER BY id LIMIT 1;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio)
SELECT p.id, p.department_id, 'match bulk', '2026-03-01', '2026-05-31', '2026-01-10', 0.1
  FROM plan p WHERE p.title = 'match bulk';
INSERT INTO task_item (task_id, item_id)
SELECT t.id, (SELECT i.id FROM check_item i WHERE i.department_id = t.department_id ORDER BY i.id LIMIT 1)
  FROM task t WHERE t.title = 'match bulk';
SELECT id AS task, department_id AS dep FROM task WHERE title = 'match bulk' \gset
INSERT INTO inspector (department_id, name, badge_no) SELECT :dep, 'bulk ' || g, 'BULK-' || g FROM generate_series(1, 12) g;

-- the bulk path
SELECT 'supervise.audit_match()'::regprocedure::oid AS audit_fn \gset
SELECT draw(:task, seed_from('match bulk 1')) AS d1 \gset
SELECT coalesce(pg_stat_get_xact_function_calls(:audit_fn), 0) AS calls0 \gset
SELECT match_inspectors(:d1) AS n1 \gset
SELECT cmp_ok(:n1, '>', 100, 'a match of some size');
SELECT is(coalesce(pg_stat_get_xact_function_calls(:audit_fn), 0), :calls0::bigint,
          'written in bulk: the audit_match trigger did not run (assignments_insert wrote its entry)');
SELECT is((SELECT count(*) FROM assignment WHERE draw_id = :d1), :n1::bigint, 'every assignment is written');
SELECT is((SELECT count(*) FROM draw_target t WHERE t.draw_id = :d1
            AND (SELECT count(*) FROM assignment a WHERE a.draw_id = t.draw_id AND a.uscc = t.uscc) <> 2), 0::bigint,
          'each target has the task''s two inspectors');
SELECT is((SELECT count(*) FROM audit_log WHERE action = 'match' AND object_id = :d1), 1::bigint,
          'one audit entry for the match');
SELECT is((SELECT detail FROM audit_log WHERE action = 'match' AND object_id = :d1),
          jsonb_build_object('assignments', :n1, 'targets', (SELECT count(*) FROM draw_target WHERE draw_id = :d1),
                             'department_ids', jsonb_build_array(:dep::bigint)),
          'with the counts audit_match gives');
SELECT lives_ok(format('SELECT bt_index_check(%L::regclass, true)', i.indexrelid::regclass), 'index ' || i.indexrelid::regclass || ' agrees with the table')
  FROM pg_index i WHERE i.indrelid = 'supervise.assignment'::regclass ORDER BY i.indexrelid::regclass::text;

-- the same draw through INSERT (another insert trigger): the same rows and the same audit entry
CREATE TABLE public.seen_assignments (draw_id bigint);
CREATE FUNCTION public.note_assignment() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.seen_assignments VALUES (NEW.draw_id); RETURN NULL; END $$;
CREATE TRIGGER note_assignment AFTER INSERT ON assignment FOR EACH ROW EXECUTE FUNCTION public.note_assignment();
CREATE TEMP TABLE bulk_rows AS SELECT uscc::text, inspector_id, department_id, direct, assigned_by FROM assignment WHERE draw_id = :d1;
CREATE TEMP TABLE bulk_audit AS SELECT actor, action, object_kind, department_id, detail FROM audit_log WHERE action = 'match' AND object_id = :d1;
SELECT cancel_draw(:d1, 'matched again through INSERT');
-- (the same targets: the first draw is cancelled, so the task draws again with the same seed)
SELECT draw(:task, seed_from('match bulk 1')) AS d2 \gset
SELECT match_inspectors(:d2) AS n2 \gset
SELECT is((SELECT count(*) FROM public.seen_assignments WHERE draw_id = :d2), :n2::bigint,
          'with another insert trigger, it runs for every assignment');
SELECT is(coalesce(pg_stat_get_xact_function_calls(:audit_fn), 0), :calls0 + 1::bigint,
          'and audit_match runs, once for the department''s statement');
SELECT set_eq(format('SELECT uscc::text, inspector_id, department_id, direct, assigned_by FROM supervise.assignment WHERE draw_id = %s', :d2),
              'SELECT * FROM bulk_rows', 'the same assignments through either path');
SELECT set_eq(format('SELECT actor, action, object_kind, department_id, detail FROM supervise.audit_log WHERE action = %L AND object_id = %s', 'match', :d2),
              'SELECT * FROM bulk_audit', 'and the same audit entry');
DROP TRIGGER note_assignment ON assignment;

-- what the foreign keys refuse is refused in bulk too, and nothing is written
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, %s, ARRAY['91350100M000100Y43'::supervise.uscc], ARRAY[(SELECT min(id) FROM supervise.inspector WHERE department_id = %s)])$$, :d2, :dep, :dep),
                 '23503', NULL, 'a code that is not a target of the draw');
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, %s, ARRAY[(SELECT uscc FROM supervise.draw_target WHERE draw_id = %s LIMIT 1)], '{-1}')$$, :d2, :dep, :d2),
                 '23503', NULL, 'an inspector that does not exist');
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, %s, ARRAY[u, u, u], ARRAY[i, i + 1000000, i])
                           FROM (SELECT uscc AS u FROM supervise.draw_target WHERE draw_id = %s LIMIT 1) t,
                                (SELECT max(id) AS i FROM supervise.inspector) n$$, :d2, :dep, :d2),
                 '23503', '1 of the 2 inspectors of the assignments do not exist',
                 'an inspector that does not exist, the last in id order among rows of one that does');
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, -1, ARRAY[(SELECT uscc FROM supervise.draw_target WHERE draw_id = %s LIMIT 1)], ARRAY[(SELECT min(id) FROM supervise.inspector)])$$, :d2, :d2),
                 '23503', 'department -1 does not exist', 'a department that does not exist');
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, %s, ARRAY[(SELECT uscc FROM supervise.draw_target WHERE draw_id = %s LIMIT 1)], '{}')$$, :d2, :dep, :d2),
                 '2202E', NULL, 'arrays of different lengths are refused');
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, %s, ARRAY[NULL::supervise.uscc], ARRAY[(SELECT min(id) FROM supervise.inspector)])$$, :d2, :dep),
                 '22004', NULL, 'a NULL code is refused');
SELECT throws_ok(format($$SELECT supervise.assignments_insert(%s, %s, ARRAY[u, u], ARRAY[i, i])
                           FROM (SELECT uscc AS u FROM supervise.draw_target WHERE draw_id = %s LIMIT 1) t,
                                (SELECT max(id) AS i FROM supervise.inspector WHERE department_id = %s) n$$, :d2, :dep, :d2, :dep),
                 '23505', NULL, 'the same inspector twice on a target violates the primary key');
-- called directly with the codes out of order and each code twice, apart: the rows go in by code,
-- and the audit entry counts the distinct codes
SELECT cancel_draw(:d2, 'for the order test');
SELECT draw(:task, seed_from('match bulk 3')) AS d3 \gset
SELECT min(id) AS i1, max(id) AS i2 FROM inspector WHERE department_id = :dep \gset
SELECT count(*) AS k3 FROM draw_target WHERE draw_id = :d3 \gset
SELECT is(assignments_insert(:d3, :dep, c || c, array_fill(:i1::bigint, ARRAY[:k3]) || array_fill(:i2::bigint, ARRAY[:k3])), 2 * :k3, 'a direct call writes every row')
  FROM (SELECT array_agg(uscc ORDER BY uscc DESC) AS c FROM draw_target WHERE draw_id = :d3) x;
SELECT ok((SELECT bool_and(prev IS NULL OR prev < uscc OR prev = uscc)
             FROM (SELECT uscc, lag(uscc) OVER (ORDER BY ctid) AS prev FROM assignment WHERE draw_id = :d3) x),
          'rows given in descending code order are written in code order (the primary key''s)');
SELECT is((SELECT detail FROM audit_log WHERE action = 'match' AND object_id = :d3),
          jsonb_build_object('assignments', 2 * :k3, 'targets', :k3, 'department_ids', jsonb_build_array(:dep::bigint)),
          'its audit entry counts each code once');
SELECT ok(NOT has_function_privilege('public', 'supervise.assignments_insert(bigint, bigint, supervise.uscc[], bigint[])', 'EXECUTE'),
          'PUBLIC may not call assignments_insert');
SELECT * FROM finish();
ROLLBACK;
