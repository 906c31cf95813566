#!/usr/bin/env bash
# pg_dump and restore give back exactly the database that was dumped: fills a database
# (test/fixtures/fill.sql and any test/fixtures/fill_*.sql), dumps it, restores it four times: with
# a serial pg_restore, with pg_restore -j 2 (tables loaded in any order and at once), with
# pg_restore --single-transaction (every COPY in one transaction) and as a plain dump run by psql,
# and in each restored database compares every relation the extension registered with
# pg_extension_config_dump with the source: every row of every table, the publication schedule and the audit trail
# included, by id and content (equal, not contained), and every sequence. Then: the calendar edits
# are back, every draw verifies, nothing is left in replica mode, and a new change after the
# restore is audited and scheduled as usual.
set -euo pipefail
src=supervise_dump_src; serial=supervise_dump_serial; par=supervise_dump_parallel; single=supervise_dump_single; plain=supervise_dump_plain
work=$(mktemp -d)
cleanup() { rm -rf "$work"; for d in $src $serial $par $single $plain; do dropdb --if-exists $d >/dev/null 2>&1; done; }
trap cleanup EXIT
cd "$(dirname "$0")/../.."
for d in $src $serial $par $single $plain; do dropdb --if-exists $d >/dev/null 2>&1 || true; done
createdb $src
psql -X -q -v ON_ERROR_STOP=1 -d $src -c 'CREATE EXTENSION supervise' -f test/fixtures/fill.sql >/dev/null
for f in test/fixtures/fill_*.sql; do   # later capabilities add their own data here
  [ -f "$f" ] && psql -X -q -v ON_ERROR_STOP=1 -d $src -f "$f" >/dev/null
done
fail=0
# every dumped table has the two restore triggers, ENABLE ALWAYS (a table registered after
# src/sql/98_restore.sql ran would not: its restore would fire every trigger)
missing=$(psql -X -At -d $src -c "
  SELECT string_agg(c.relname, ', ' ORDER BY c.relname)
    FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
   WHERE e.extname = 'supervise' AND c.relkind = 'r'
     AND (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgenabled = 'A'
             AND t.tgname IN ('restore_copy', 'restore_copy_end')) <> 2")
[ -z "$missing" ] && echo "ok - every dumped table has the restore triggers" \
  || { echo "not ok - dumped tables without the restore triggers: $missing"; fail=1; }
pg_dump -Fc -f "$work/db.dump" $src 2>"$work/dump.err" || { cat "$work/dump.err"; exit 1; }
createdb $serial
if pg_restore --exit-on-error -d $serial "$work/db.dump" 2>"$work/serial.err"; then echo "ok - serial pg_restore succeeds"
else echo "not ok - serial pg_restore fails:"; head -20 "$work/serial.err"; fail=1; fi
createdb $par
# (not --exit-on-error: every failing table is reported)
if pg_restore -j 2 -d $par "$work/db.dump" 2>"$work/parallel.err"; then echo "ok - pg_restore -j 2 succeeds"
else echo "not ok - pg_restore -j 2 fails:"; grep -E 'error|ERROR|DETAIL' "$work/parallel.err" | head -30; fail=1; fi
createdb $single
if pg_restore --single-transaction --exit-on-error -d $single "$work/db.dump" 2>"$work/single.err"; then echo "ok - pg_restore --single-transaction succeeds"
else echo "not ok - pg_restore --single-transaction fails:"; head -20 "$work/single.err"; fail=1; fi
createdb $plain
pg_dump -Fp -f "$work/db.sql" $src
if psql -X -q -v ON_ERROR_STOP=1 -d $plain -f "$work/db.sql" >/dev/null 2>"$work/plain.err"; then echo "ok - a plain dump run by psql succeeds"
else echo "not ok - a plain dump run by psql fails:"; head -20 "$work/plain.err"; fail=1; fi

# one line per registered relation: name, row count, md5 of all rows in a fixed order; sequences
# with their state
snapshot() {
  psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT CASE WHEN c.relkind = 'S'
            THEN format('SELECT %L || '' '' || last_value || '' '' || is_called FROM %s', c.oid::regclass::text, c.oid::regclass)
            ELSE format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), ''empty'') FROM %s t',
                        c.oid::regclass::text, c.oid::regclass)
       END
  FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'supervise' ORDER BY c.oid::regclass::text \gexec
SQL
}
# the audit trail and the schedule line by line, so that a difference shows which entry
audit_sql="SELECT a::text FROM supervise.audit_log a ORDER BY id"
publication_sql="SELECT p::text FROM supervise.publication p ORDER BY id"
snapshot $src >"$work/src.txt"
psql -X -At -d $src -c "$audit_sql" >"$work/src_audit.txt"
psql -X -At -d $src -c "$publication_sql" >"$work/src_publication.txt"
for t in subject plan task draw_record draw_target assignment inspector check_item inspection disposal publication subject_reject audit_log \
         joint_scenario joint_scenario_item; do
  n=$(psql -X -At -d $src -c "SELECT count(*) FROM supervise.$t")
  [ "$n" -gt 0 ] || { echo "not ok - the fill left $t empty, the comparison would prove little"; fail=1; }
done
grep -q '"publication_id"' "$work/src_audit.txt" || { echo "not ok - the fill has no publish entry in the audit trail"; fail=1; }

for dst in $serial $par $single $plain; do
  case $dst in $serial) how="serial restore";; $par) how="pg_restore -j 2";; $single) how="pg_restore --single-transaction";;
    *) how="plain dump";; esac
  snapshot $dst >"$work/dst.txt"
  if diff -u "$work/src.txt" "$work/dst.txt"; then
    echo "ok - $how: every registered table and sequence is the same as in the source ($(wc -l <"$work/src.txt") relations)"
  else
    echo "not ok - $how: restored data differs (- source, + restored)"; fail=1
  fi
  psql -X -At -d $dst -c "$audit_sql" >"$work/dst_audit.txt"
  if diff -u "$work/src_audit.txt" "$work/dst_audit.txt" >"$work/audit.diff"; then
    echo "ok - $how: the audit trail is the same $(wc -l <"$work/src_audit.txt") entries with the same ids, and no other"
  else
    echo "not ok - $how: the audit trail differs (- source, + restored)"; head -20 "$work/audit.diff"; fail=1
  fi
  psql -X -At -d $dst -c "$publication_sql" >"$work/dst_publication.txt"
  if diff -u "$work/src_publication.txt" "$work/dst_publication.txt" >"$work/publication.diff"; then
    echo "ok - $how: the publication schedule is the same $(wc -l <"$work/src_publication.txt") items with the same ids"
  else
    echo "not ok - $how: the publication schedule differs (- source, + restored)"; head -20 "$work/publication.diff"; fail=1
  fi
  got=$(psql -X -At -d $dst -c "SELECT supervise.is_workday('2026-10-09')")
  [ "$got" = f ] && echo "ok - $how: the calendar correction survived" || { echo "not ok - $how: calendar correction lost ($got)"; fail=1; }
  got=$(psql -X -At -d $dst -c "SELECT name_en FROM supervise.result_code WHERE code = 'no_problem'")
  [ "$got" = "no problems found" ] && echo "ok - $how: the renamed result code survived" || { echo "not ok - $how: result code rename lost ($got)"; fail=1; }
  bad=$(psql -X -At -d $dst -c "SELECT count(*) FROM supervise.draw_record WHERE NOT supervise.verify_draw(id)")
  [ "$bad" = 0 ] && echo "ok - $how: every draw verifies" || { echo "not ok - $how: $bad draws do not verify"; fail=1; }
  # after the restore, changes are checked, audited and scheduled as usual, under fresh ids
  got=$(psql -X -q -At -v ON_ERROR_STOP=1 -d $dst 2>&1 <<'SQL' || true
SET search_path = supervise, public;
INSERT INTO plan (department_id, year, title, approved_on)
SELECT id, 2026, 'after restore', '2026-03-02' FROM department ORDER BY id LIMIT 1 RETURNING id AS plan_id \gset
SELECT current_setting('session_replication_role'),
       (SELECT count(*) > 0 FROM audit_log WHERE object_kind = 'plan' AND object_id = :plan_id),
       (SELECT count(*) FROM publication WHERE kind = 'plan' AND object_id = :plan_id);
SQL
)
  [ "$got" = "origin|t|1" ] && echo "ok - $how: a plan inserted after the restore is audited and scheduled" \
    || { echo "not ok - $how: a plan inserted after the restore: $got (want origin|t|1)"; fail=1; }
  got=$(psql -X -At -d $dst -c "INSERT INTO supervise.inspector_conflict (inspector_id, uscc) VALUES (-1, '91350100M000100Y43')" 2>&1 || true)
  case "$got" in *foreign\ key*) echo "ok - $how: foreign keys are checked after the restore";;
    *) echo "not ok - $how: an inspector that does not exist was accepted after the restore: $got"; fail=1;; esac
done

# what a restore skips, an ordinary COPY does not: a superuser's COPY with row_security on (an
# ordinary session) still checks the foreign keys
got=$(printf '%s\n' '-1	91350100M000100Y43' '\.' \
  | psql -X -At -d $serial -c 'COPY supervise.inspector_conflict (inspector_id, uscc) FROM STDIN' 2>&1 || true)
case "$got" in *foreign\ key*) echo "ok - an ordinary COPY into a dumped table still checks foreign keys";;
  *) echo "not ok - an ordinary COPY skipped the foreign keys: $got"; fail=1;; esac
# the same COPY with row_security off, as a restore sends it, is taken as it is, and after the
# statement the session is back in origin mode (checked in a transaction that is rolled back)
got=$(psql -X -q -At -v ON_ERROR_STOP=1 -d $serial 2>&1 <<'SQL' || true
BEGIN;
SET row_security = off;
COPY supervise.inspector_conflict (inspector_id, uscc) FROM STDIN;
-1	91350100M000100Y43
\.
SELECT current_setting('session_replication_role'), supervise.restoring(),
       (SELECT count(*) FROM supervise.inspector_conflict WHERE inspector_id = -1);
ROLLBACK;
SQL
)
[ "$got" = "origin|f|1" ] && echo "ok - a restore's COPY is taken as dumped, and the session is back in origin mode after it" \
  || { echo "not ok - a restore's COPY: $got (want origin|f|1)"; fail=1; }
exit $fail
