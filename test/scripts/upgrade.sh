#!/usr/bin/env bash
# Upgrades: installs the oldest supported version with data (test/fixtures/fill.sql),
# runs ALTER EXTENSION supervise UPDATE and checks that
#   - the extension is at the current default_version afterwards,
#   - every function and view gives the same results as before (test/fixtures/function_results.sql,
#     which also draws, matches and plans visits inside a rolled-back transaction), and
#   - the updated database has exactly the objects of a fresh install of the current version,
#     labels, bodies, comments, grants, policies and dump registrations included
#     (test/fixtures/catalog_snapshot.sql).
# Every version from the oldest on is tested the same way, so each step of the chain is covered.
set -euo pipefail
cd "$(dirname "$0")/../.."
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" supervise.control)
# released versions: frozen install scripts src/updates/supervise--X.sql
mapfile -t versions < <(ls src/updates | sed -n 's/^supervise--\([0-9.]*\)\.sql$/\1/p' | sort -V)
work=$(mktemp -d)
dbs=()
trap 'rm -rf "$work"; for d in "${dbs[@]}"; do dropdb --if-exists "$d" >/dev/null 2>&1; done' EXIT
fresh=supervise_upgrade_fresh; dbs+=("$fresh")
dropdb --if-exists $fresh >/dev/null 2>&1 || true
createdb $fresh
psql -X -q -v ON_ERROR_STOP=1 -d $fresh -c 'CREATE EXTENSION supervise' -f test/fixtures/fill.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $fresh -f test/fixtures/catalog_snapshot.sql >"$work/fresh_catalog.txt"
fail=0
tested=0
for old in "${versions[@]}"; do
  [ "$old" = "$current" ] && continue
  db=supervise_upgrade_${old//./_}; dbs+=("$db")
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  createdb "$db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION supervise VERSION '$old'" -f test/fixtures/fill.sql >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/function_results.sql >"$work/before.txt"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'ALTER EXTENSION supervise UPDATE'
  got=$(psql -X -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'supervise'")
  if [ "$got" = "$current" ]; then echo "ok - $old updates to $current"; else echo "not ok - $old updated to $got, not $current"; fail=1; fi
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/function_results.sql >"$work/after_all.txt"
  # views the old version did not have have no result to compare with
  awk 'NR == FNR { if ($1 == "view") had[$2] = 1; next } !($1 == "view" && !($2 in had))' \
      "$work/before.txt" "$work/after_all.txt" >"$work/after.txt"
  if [ "$(wc -l <"$work/before.txt")" -lt 40 ]; then
    echo "not ok - the function results of $old are too few to mean anything ($(wc -l <"$work/before.txt") lines)"; fail=1
  elif diff -u "$work/before.txt" "$work/after.txt"; then
    echo "ok - $old -> $current: the $(wc -l <"$work/after.txt") function and view results are unchanged"
  else
    echo "not ok - $old -> $current: function or view results changed"; fail=1
  fi
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/catalog_snapshot.sql >"$work/updated_catalog.txt"
  if diff -u "$work/fresh_catalog.txt" "$work/updated_catalog.txt"; then
    echo "ok - $old -> $current has exactly the objects of a fresh install ($(wc -l <"$work/fresh_catalog.txt") catalog lines)"
  else
    echo "not ok - $old -> $current differs from a fresh install of $current (- fresh, + updated)"; fail=1
  fi
  tested=$((tested + 1))
done
if [ "$current" != "${versions[-1]:-}" ] && [ $tested -eq 0 ]; then
  echo "not ok - no released version to update from"; fail=1
fi
echo "(versions released: ${versions[*]:-none}; current: $current)"
exit $fail
