#!/usr/bin/env bash
# draw_targets_insert writes targets only for the draw that is being recorded in the same
# transaction: for a committed draw (another transaction's) it refuses and writes nothing. Needs
# two transactions, so it is a script, not a pgTAP file (those run in one). Runs inside a cluster.
set -euo pipefail
db=supervise_draw_targets_own
dropdb --if-exists $db >/dev/null 2>&1 || true
createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
q -c 'CREATE EXTENSION supervise' -c 'SELECT count(*) FROM supervise.generate_sample(300, 3)' >/dev/null
q <<'SQL' >/dev/null
SET search_path = supervise;
SET supervise.today = '2026-01-10';  -- the check window: the task's period lies ahead
INSERT INTO plan (department_id, year, title, approved_on)
SELECT department_id, 2026, 'own', '2026-01-10' FROM directory ORDER BY id LIMIT 1;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio)
SELECT p.id, p.department_id, 'own', '2026-03-01', '2026-05-31', '2026-01-10', 0.1 FROM plan p WHERE p.title = 'own';
INSERT INTO task_item (task_id, item_id)
SELECT t.id, (SELECT i.id FROM check_item i WHERE i.department_id = t.department_id ORDER BY i.id LIMIT 1)
  FROM task t WHERE t.title = 'own';
SELECT draw((SELECT id FROM task WHERE title = 'own'), seed_from('own'));
SQL
before=$(q -c 'SELECT count(*) FROM supervise.draw_target')
[ "$before" -gt 0 ] || { echo "no targets drawn"; exit 1; }
err=$(q -c "SELECT supervise.draw_targets_insert((SELECT max(id) FROM supervise.draw_record),
                   ARRAY['91350100M000100Y43'::supervise.uscc], '{all}', '{999}')" 2>&1 || true)
after=$(q -c 'SELECT count(*) FROM supervise.draw_target')
case "$err" in
  *"was not made in this transaction"*) ;;
  *) echo "expected a refusal for a committed draw, got: $err"; exit 1 ;;
esac
[ "$before" = "$after" ] || { echo "targets changed: $before -> $after"; exit 1; }
echo "ok: a committed draw's targets are refused ($before targets kept)"
