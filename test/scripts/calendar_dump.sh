#!/usr/bin/env bash
# pg_dump and restore keep the DBA's calendar: a loaded year, a corrected shipped day, a new day,
# a changed publication rule and filing rule; the shipped rows come back from CREATE EXTENSION
# without colliding with the dumped ones. Runs inside the test cluster (PG* set).
set -euo pipefail
src=supervise_caldump_src; dst=supervise_caldump_dst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dropdb --if-exists $src >/dev/null 2>&1 || true; dropdb --if-exists $dst >/dev/null 2>&1 || true' EXIT
createdb $src
psql -X -q -v ON_ERROR_STOP=1 -d $src >/dev/null <<'SQL'
CREATE EXTENSION supervise;
SELECT supervise.load_calendar(2027, '[{"day": "2027-01-01", "kind": "off"}, {"day": "2027-01-04", "kind": "off"}]');
SELECT supervise.set_calendar_day('2025-10-08', 'work', 'test', 'correction of a shipped day');
SELECT supervise.set_calendar_day('2026-06-01', 'off', 'test', 'a new day');
UPDATE supervise.publication_rule SET amount = 5 WHERE event = 'result';
UPDATE supervise.task_filing_rule SET notice_days = 7 WHERE task_kind = 'temporary';
SQL
q="SELECT supervise.add_workdays('2025-09-30', 1), supervise.add_workdays('2026-12-24', 10),
          supervise.is_workday('2026-06-01'), supervise.publication_deadline('result', '2025-09-30'),
          (SELECT notice_days FROM supervise.task_filing_rule WHERE task_kind = 'temporary'),
          (SELECT count(*) FROM supervise.calendar_day), (SELECT count(*) FROM supervise.calendar_year)"
before=$(psql -X -At -d $src -c "$q")
pg_dump -Fc -f "$tmp/dump" $src
createdb $dst
pg_restore --exit-on-error -d $dst "$tmp/dump" 2>"$tmp/err" || { echo "restore failed:"; cat "$tmp/err"; exit 1; }
after=$(psql -X -At -d $dst -c "$q")
echo "before: $before"
echo "after:  $after"
[ "$before" = "$after" ] || { echo "the restored database differs"; exit 1; }
[ "$before" = "2025-10-08|2027-01-11|f|2025-10-13|7|293|9" ] || { echo "unexpected values before the dump"; exit 1; }
echo "ok: dump and restore keep the calendar and the rules"
