-- The bulk paths of draw() (draw_target) and match_inspectors() (assignment) skip the INSERT
-- triggers whose work they do, and know each by its whole definition: a trigger added, changed or
-- renamed makes them fall back to INSERT, where every trigger runs. bulk_insert_paths() says
-- which path each table takes, so this test fails when the SQL and the C drift apart.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(15);
SET search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2026-01-10';
SET track_functions = 'pl';

SELECT results_eq($$SELECT relation::text, bulk, refusal FROM bulk_insert_paths() ORDER BY 1$$,
                  $$VALUES ('assignment', true, NULL::text), ('draw_target', true, NULL)$$,
                  'as installed, both tables take the bulk path: the triggers are those it was written for');

SELECT count(*) AS generated FROM generate_sample(2000, 5) \gset
INSERT INTO plan (department_id, year, title, approved_on)
SELECT department_id, 2026, 'bulk paths', '2026-01-10' FROM directory ORDER BY id LIMIT 1;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio)
SELECT p.id, p.department_id, 'bulk paths ' || g, '2026-03-01', '2026-05-31', '2026-01-10', 0.1
  FROM plan p, generate_series(1, 3) g WHERE p.title = 'bulk paths';
INSERT INTO task_item (task_id, item_id)
SELECT t.id, (SELECT i.id FROM check_item i WHERE i.department_id = t.department_id ORDER BY i.id OFFSET (right(t.title, 1)::int - 1) LIMIT 1)
  FROM task t WHERE t.title LIKE 'bulk paths %';
SELECT id AS t1 FROM task WHERE title = 'bulk paths 1' \gset
SELECT id AS t2 FROM task WHERE title = 'bulk paths 2' \gset
SELECT id AS t3 FROM task WHERE title = 'bulk paths 3' \gset

-- a trigger added to draw_target: refused, naming it, and a draw runs it for every target
CREATE TABLE pg_temp.seen (uscc text);
CREATE FUNCTION pg_temp.log_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO pg_temp.seen VALUES (NEW.uscc::text); RETURN NULL; END $$;
CREATE TRIGGER added AFTER INSERT ON draw_target FOR EACH ROW EXECUTE FUNCTION pg_temp.log_target();
SELECT is((SELECT bulk FROM bulk_insert_paths() WHERE relation = 'draw_target'::regclass), false, 'an added trigger: no bulk path');
SELECT matches((SELECT refusal FROM bulk_insert_paths() WHERE relation = 'draw_target'::regclass),
               'INSERT trigger "added" of table "draw_target"', 'the refusal names the trigger');
SELECT draw(:t1, seed_from('bulk paths 1')) AS d1 \gset
SELECT cmp_ok((SELECT count(*) FROM draw_target WHERE draw_id = :d1), '>', 0::bigint, 'the draw has targets');
SELECT is((SELECT count(*) FROM pg_temp.seen), (SELECT count(*) FROM draw_target WHERE draw_id = :d1),
          'written by INSERT: the added trigger ran for every target');
DROP TRIGGER added ON draw_target;

-- the limits trigger changed (another transition table name) or renamed: refused
ALTER TRIGGER limits_check_targets ON draw_target RENAME TO limits_renamed;
SELECT matches((SELECT refusal FROM bulk_insert_paths() WHERE relation = 'draw_target'::regclass),
               '"limits_renamed"', 'a renamed trigger is not the one the bulk path does the work of');
ALTER TRIGGER limits_renamed ON draw_target RENAME TO limits_check_targets;
SELECT is((SELECT bulk FROM bulk_insert_paths() WHERE relation = 'draw_target'::regclass), true, 'renamed back: the bulk path again');

-- audit_direct with another WHEN clause: assignment refused, and matching runs it per row
SELECT 'supervise.audit_row()'::regprocedure::oid AS audit_row_fn \gset
DROP TRIGGER audit_direct ON assignment;
CREATE TRIGGER audit_direct AFTER INSERT ON assignment FOR EACH ROW WHEN (NEW.direct IS NOT NULL) EXECUTE FUNCTION audit_row();
SELECT is((SELECT bulk FROM bulk_insert_paths() WHERE relation = 'assignment'::regclass), false,
          'audit_direct with another WHEN clause: no bulk path (a trigger with "some WHEN clause" is not enough)');
SELECT draw(:t2, seed_from('bulk paths 2')) AS d2 \gset
INSERT INTO inspector (department_id, name, badge_no)
SELECT t.department_id, 'bulk paths ' || g, 'BP-' || g FROM task t, generate_series(1, 6) g WHERE t.id = :t2;
SELECT coalesce(pg_stat_get_xact_function_calls(:audit_row_fn), 0) AS calls0 \gset
SELECT match_inspectors(:d2) AS n2 \gset
SELECT is(coalesce(pg_stat_get_xact_function_calls(:audit_row_fn), 0) - :calls0, :n2::bigint,
          'written by INSERT: the changed audit_direct ran for every assignment');
DROP TRIGGER audit_direct ON assignment;
CREATE TRIGGER audit_direct AFTER INSERT ON assignment FOR EACH ROW WHEN (NEW.direct) EXECUTE FUNCTION audit_row();
SELECT is((SELECT bulk FROM bulk_insert_paths() WHERE relation = 'assignment'::regclass), true, 'as defined again: the bulk path');
SELECT draw(:t3, seed_from('bulk paths 3')) AS d3 \gset
SELECT coalesce(pg_stat_get_xact_function_calls(:audit_row_fn), 0) AS calls1 \gset
SELECT cmp_ok(match_inspectors(:d3), '>', 0, 'a matching in bulk');
SELECT is(coalesce(pg_stat_get_xact_function_calls(:audit_row_fn), 0), :calls1::bigint, 'written in bulk: audit_direct did not run');

-- a rule on the table: refused
CREATE RULE bulk_paths_rule AS ON INSERT TO assignment DO ALSO NOTHING;
SELECT matches((SELECT refusal FROM bulk_insert_paths() WHERE relation = 'assignment'::regclass),
               'has rules', 'a rule: no bulk path');
DROP RULE bulk_paths_rule ON assignment;

-- for those who may write the tables only
CREATE ROLE bulk_paths_nobody;
SET LOCAL ROLE bulk_paths_nobody;
SELECT throws_ok('SELECT * FROM supervise.bulk_insert_paths()', '42501', NULL, 'not executable by the public');
RESET ROLE;
SELECT is(has_function_privilege('public', 'supervise.bulk_insert_paths()', 'EXECUTE'), false, 'revoked from PUBLIC');

SELECT * FROM finish();
ROLLBACK;
