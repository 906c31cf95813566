-- Draws are kept also against a superuser who switches ordinary triggers off for replication
-- (session_replication_role = replica): the guards of draw_record and draw_target, like those of
-- the audit trail, are ENABLE ALWAYS. A cancel applied by logical replication keeps the stamps of
-- its origin. What a superuser can still do (disable a trigger by name) leaves a draw that no longer
-- verifies.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(14);
SET LOCAL search_path = supervise, public;

INSERT INTO department (id, code, name, system, level, region) VALUES (66, '350203-SC', '厦门市思明区市场监督管理局', 'market', 4, '350203');
INSERT INTO check_item (id, department_id, code, name, category) VALUES (661, 66, 'SC-03', '食品经营的检查', 'food_safety');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350203', 'MA' || lpad(n::text, 6, '0')), '思明测试企业' || n, '350203' FROM generate_series(1, 20) n;
INSERT INTO task (id, kind, department_id, title, period_start, period_end, approved_on, filed_on, sample_size)
SELECT 31, 'special', 66, '思明食品经营抽查', d0, (d0 + interval '1 year - 1 day')::date, d0, d0 - 30, 5
  FROM (SELECT date_trunc('year', current_date)::date AS d0) y;
INSERT INTO task_item VALUES (31, 661);
SELECT draw(31, seed_from('kept')) AS d \gset

SELECT set_eq($$SELECT c.relname || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                 WHERE c.relnamespace = 'supervise'::regnamespace AND t.tgenabled = 'A'
                   AND t.tgname NOT IN ('restore_copy', 'restore_copy_end')
                   AND t.tgfoid <> 'supervise.shipped_row_guard()'::regprocedure
                   AND t.tgfoid <> 'supervise.calendar_invalidate()'::regprocedure$$,
              ARRAY['draw_record.draw_record_guard', 'draw_record.draw_record_no_truncate',
                    'draw_target.draw_target_guard', 'draw_target.draw_target_no_truncate',
                    'audit_log.audit_log_no_update_delete', 'audit_log.audit_log_no_truncate',
                    'dishonesty_entry.dishonesty_entry_guard', 'dishonesty_entry.dishonesty_entry_no_truncate'],
              'the guards of the draws, of the audit trail and of the dishonesty list are ENABLE ALWAYS (besides the restore triggers and the shipped-row and calendar triggers that act on restored rows)');

SET LOCAL session_replication_role = replica;
SELECT throws_ok(format('DELETE FROM supervise.draw_target WHERE draw_id = %s', :d), '55000', NULL,
                 'replica mode: a superuser cannot delete targets');
SELECT throws_ok(format('UPDATE supervise.draw_target SET rank = rank + 100 WHERE draw_id = %s', :d), '55000', NULL,
                 'replica mode: nor change them');
SELECT throws_ok(format($$UPDATE supervise.draw_record SET seed = supervise.seed_from('wanted') WHERE id = %s$$, :d), '55000', NULL,
                 'replica mode: nor change a seed');
SELECT throws_ok(format('DELETE FROM supervise.draw_record WHERE id = %s', :d), '55000', NULL,
                 'replica mode: nor delete a draw');
SET LOCAL client_min_messages = warning;
SELECT throws_ok('TRUNCATE supervise.draw_record CASCADE', '55000', NULL, 'replica mode: nor truncate the draws');
SELECT throws_ok('TRUNCATE supervise.draw_target CASCADE', '55000', NULL, 'replica mode: nor truncate the targets');
RESET client_min_messages;
SELECT throws_ok('DELETE FROM supervise.audit_log', '42501', NULL, 'replica mode: nor delete the audit trail');
-- a cancel applied by replication keeps the time and user stamped at its origin
SELECT lives_ok(format($$UPDATE supervise.draw_record SET cancelled_at = '2020-01-02 03:04:05+08', cancelled_by = 'origin_officer',
                              cancel_reason = '复制的撤销' WHERE id = %s$$, :d), 'replica mode: a replicated cancel is applied');
SELECT is((SELECT cancelled_at = '2020-01-02 03:04:05+08' AND cancelled_by = 'origin_officer' FROM draw_record WHERE id = :d),
          true, 'with the stamps of its origin');
RESET session_replication_role;

-- outside replica mode a cancel is stamped with the real time and user, whatever is written
SELECT draw(31, seed_from('kept again')) AS d2 \gset
SELECT lives_ok(format($$UPDATE supervise.draw_record SET cancelled_at = '2020-01-02', cancelled_by = 'someone else',
                              cancel_reason = '测试' WHERE id = %s$$, :d2), 'a cancel written by hand');
SELECT is((SELECT cancelled_at = now() AND cancelled_by = current_user FROM draw_record WHERE id = :d2),
          true, 'is stamped with now() and the acting role');

-- a superuser who disables a guard by name can change a draw; the draw then no longer verifies
SELECT draw(31, seed_from('tampered')) AS d3 \gset
SELECT ok(verify_draw(:d3), 'the draw verifies');
ALTER TABLE draw_target DISABLE TRIGGER draw_target_guard;
DELETE FROM draw_target WHERE draw_id = :d3 AND rank = 1;
ALTER TABLE draw_target ENABLE ALWAYS TRIGGER draw_target_guard;
SELECT ok(NOT verify_draw(:d3), 'after a target is deleted behind the guard, verify_draw is false');

SELECT * FROM finish();
ROLLBACK;
