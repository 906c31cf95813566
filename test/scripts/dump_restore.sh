#!/usr/bin/env bash
# pg_dump and restore keep every row of user data: fills a database (test/fixtures/fill.sql),
# dumps it, restores into a new database and compares every table the extension registered with
# pg_extension_config_dump (all rows, ordered), the sequences, and the calendar edits.
# Where draws exist, every draw still verifies.
set -euo pipefail
src=supervise_dump_src; dst=supervise_dump_dst
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists $src >/dev/null 2>&1; dropdb --if-exists $dst >/dev/null 2>&1' EXIT
cd "$(dirname "$0")/../.."
dropdb --if-exists $src >/dev/null 2>&1 || true; dropdb --if-exists $dst >/dev/null 2>&1 || true
createdb $src
psql -X -q -v ON_ERROR_STOP=1 -d $src -c 'CREATE EXTENSION supervise' -f test/fixtures/fill.sql >/dev/null
for f in test/fixtures/fill_*.sql; do   # later capabilities add their own data here
  [ -f "$f" ] && psql -X -q -v ON_ERROR_STOP=1 -d $src -f "$f" >/dev/null
done
pg_dump -Fc -f "$work/db.dump" $src
createdb $dst
pg_restore --exit-on-error -d $dst "$work/db.dump"

# one line per registered relation: name, row count, md5 of all rows in a fixed order
# (publication: unpublished items are derived and made again on restore under new ids, so it is
# compared on its meaning, not its ids)
snapshot() {
  psql -X -At -d "$1" <<'SQL'
DO $$ BEGIN PERFORM set_config('search_path', 'supervise, public', false); END $$;
SELECT 'publication items ' || count(*) || ' ' || md5(string_agg(row(kind, object_id, department_id, task_id, occurred_on, event_on, due_on, provisional, published_on)::text, '|' ORDER BY kind, object_id))
  FROM supervise.publication;
-- (audit_log: every entry comes back; the restore adds its own entries, so compare containment)
SELECT 'audit entries ' || count(*) FROM supervise.audit_log;
SELECT c.oid::regclass::text || ' ' ||
       CASE WHEN c.relkind = 'S' THEN (xpath('/row/l/text()', query_to_xml(format('SELECT last_value AS l FROM %s', c.oid::regclass), false, false, '')))[1]::text
            ELSE (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %s', c.oid::regclass), false, false, '')))[1]::text || ' ' ||
                 coalesce((xpath('/row/m/text()', query_to_xml(format(
                    'SELECT md5(string_agg(t::text, %L ORDER BY t::text)) AS m FROM %s t', '|', c.oid::regclass), false, false, '')))[1]::text, 'empty')
       END
  FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'supervise' AND c.relname NOT IN ('publication', 'audit_log') ORDER BY 1;
SQL
}
snapshot $src | grep -v '^audit entries' >"$work/src.txt"
snapshot $dst | grep -v '^audit entries' >"$work/dst.txt"
fail=0
# every audit entry of the source is in the restored trail (same time, actor, action, object, detail)
audit_sql="SELECT row(at, actor, session_actor, action, object_kind, object_id, department_id, detail)::text FROM supervise.audit_log ORDER BY 1"
if psql -X -At -d $src -c "SELECT 1 FROM pg_class WHERE relname = 'audit_log'" | grep -q 1; then
  psql -X -At -d $src -c "$audit_sql" >"$work/audit_src.txt"
  psql -X -At -d $dst -c "$audit_sql" >"$work/audit_dst.txt"
  missing=$(comm -23 "$work/audit_src.txt" "$work/audit_dst.txt" | wc -l)
  if [ -s "$work/audit_src.txt" ] && [ "$missing" -eq 0 ]; then echo "ok - all $(wc -l <"$work/audit_src.txt") audit entries are back"
  else echo "not ok - $missing audit entries lost (of $(wc -l <"$work/audit_src.txt"))"; fail=1; fi
fi
if diff -u "$work/src.txt" "$work/dst.txt"; then
  echo "ok - every registered table and sequence is the same after restore ($(wc -l <"$work/src.txt") relations)"
else
  echo "not ok - restored data differs"; fail=1
fi
# the data must not be trivially empty: the fill put rows in the main tables
for t in subject plan task inspection disposal publication subject_reject; do
  n=$(psql -X -At -d $dst -c "SELECT count(*) FROM supervise.$t")
  if [ "$n" -gt 0 ]; then echo "ok - $t has $n rows after restore"; else echo "not ok - $t is empty after restore"; fail=1; fi
done
got=$(psql -X -At -d $dst -c "SELECT supervise.is_workday('2026-10-09')")
[ "$got" = f ] && echo "ok - the calendar correction survived" || { echo "not ok - calendar correction lost ($got)"; fail=1; }
got=$(psql -X -At -d $dst -c "SELECT name_en FROM supervise.result_code WHERE code = 'no_problem'")
[ "$got" = "no problems found" ] && echo "ok - the renamed result code survived" || { echo "not ok - result code rename lost ($got)"; fail=1; }
if psql -X -At -d $dst -c "SELECT 1 FROM pg_proc WHERE proname = 'verify_draw' AND pronamespace = 'supervise'::regnamespace" | grep -q 1; then
  bad=$(psql -X -At -d $dst -c "SELECT count(*) FROM supervise.draw_record WHERE NOT supervise.verify_draw(id)")
  [ "$bad" = 0 ] && echo "ok - every draw verifies after restore" || { echo "not ok - $bad draws do not verify"; fail=1; }
fi
# new rows still get fresh ids (sequences restored)
psql -X -q -v ON_ERROR_STOP=1 -d $dst -c "INSERT INTO supervise.plan (department_id, year, title) SELECT id, 2027, 'after restore' FROM supervise.department LIMIT 1" \
  && echo "ok - inserting after restore works" || { echo "not ok - insert after restore failed"; fail=1; }
exit $fail
