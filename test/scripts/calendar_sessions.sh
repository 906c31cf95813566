#!/usr/bin/env bash
# The per-backend calendar cache: a change committed in one session is seen by another session
# at its next call, with no restart: autocommit, inside a READ COMMITTED transaction block, and
# after a REPEATABLE READ transaction (which keeps its snapshot until it ends). Session A is psql,
# session B a dblink connection. Runs inside the test cluster (PG* set).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=supervise_calsessions
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db -c 'CREATE EXTENSION supervise' -c 'CREATE EXTENSION dblink' >/dev/null

got=$(psql -X -q -v ON_ERROR_STOP=1 -d $db -At <<'SQL'
SET datestyle = ISO, YMD;
-- (the server's own socket and port: libpq's defaults inside the server need not be this cluster's)
SELECT dblink_connect('b', format('dbname=%s host=%s port=%s', current_database(),
                                  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port')));
-- both sessions load their caches
SELECT 'A1 ' || supervise.add_workdays('2025-09-30', 1);
SELECT 'B1 ' || x FROM dblink('b', $$SELECT supervise.add_workdays('2025-09-30', 1)::text$$) AS t(x text);
SELECT 'A-loads ' || loads FROM supervise.calendar_cache_info();
-- many calls do not reload
SELECT 'A-many ' || count(DISTINCT supervise.add_workdays('2025-01-01'::date + i % 300, 10)) FROM generate_series(1, 10000) i;
SELECT 'A-loads ' || loads FROM supervise.calendar_cache_info();
-- B corrects a day and commits; A's next call sees it
SELECT x FROM dblink('b', $$SELECT supervise.set_calendar_day('2025-10-09', 'off', 'test')::text$$) AS t(x text);
SELECT 'A2 ' || supervise.add_workdays('2025-09-30', 1);
-- inside an open READ COMMITTED transaction of A
BEGIN;
SELECT 'A3 ' || supervise.add_workdays('2025-09-30', 1);
SELECT x FROM dblink('b', $$SELECT supervise.set_calendar_day('2025-10-10', 'off', 'test')::text$$) AS t(x text);
SELECT 'A4 ' || supervise.add_workdays('2025-09-30', 1);
COMMIT;
-- REPEATABLE READ: A keeps its snapshot until the transaction ends, then sees the change
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'A5 ' || supervise.add_workdays('2025-09-30', 1);
SELECT x FROM dblink('b', $$SELECT supervise.set_calendar_day('2025-10-11', 'off', 'test')::text$$) AS t(x text);
SELECT 'A6 ' || supervise.add_workdays('2025-09-30', 1);
COMMIT;
SELECT 'A7 ' || supervise.add_workdays('2025-09-30', 1);
-- A loads a year; B's next call sees it
SELECT supervise.load_calendar(2027, '[{"day": "2027-01-04", "kind": "off"}]') IS NOT NULL;
SELECT 'B3 ' || x FROM dblink('b', $$SELECT supervise.is_workday('2027-01-04')::text$$) AS t(x text);
-- a rolled-back change is forgotten by the session that made it
BEGIN;
SELECT supervise.set_calendar_day('2025-10-13', 'off', 'test');
SELECT 'A8 ' || supervise.add_workdays('2025-09-30', 1);
ROLLBACK;
SELECT 'A9 ' || supervise.add_workdays('2025-09-30', 1);
SQL
) || { echo "$got"; exit 1; }
got=$(echo "$got" | grep -E '^(A|B)[0-9a-z-]* ')
want="A1 2025-10-09
B1 2025-10-09
A-loads 1
A-many 202
A-loads 1
A2 2025-10-10
A3 2025-10-10
A4 2025-10-11
A5 2025-10-11
A6 2025-10-11
A7 2025-10-13
B3 false
A8 2025-10-14
A9 2025-10-13"
if [ "$got" != "$want" ]; then
  echo "got:"; echo "$got"; echo "want:"; echo "$want"; exit 1
fi
echo "ok: cache follows changes across sessions"
