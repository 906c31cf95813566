#!/usr/bin/env bash
# Every public function, aggregate and view of the extension has an example in sql/examples.sql
# (run and checked by the pg_regress test "examples", shown in doc/reference.md). Which objects are
# public is decided by tools/public_objects.sql (trigger functions, aggregate support, type I/O,
# operator and index support functions and "internal" helpers need none); a new public object
# without an example fails here, by name. Runs inside a cluster (PG* set).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=supervise_examples_cover
tmp=$(mktemp)
trap 'rm -f "$tmp"; dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
dropdb --if-exists $db >/dev/null 2>&1 || true
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db -c 'CREATE EXTENSION supervise' >/dev/null
psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d $db -f tools/public_objects.sql >"$tmp"
python3 tools/examples.py check "$tmp"
