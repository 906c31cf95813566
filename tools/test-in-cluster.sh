#!/usr/bin/env bash
# Runs inside `pg_virtualenv` (PG* variables point at a throwaway cluster); called by tools/test.sh.
# Writes one "ok NAME" or "FAILED NAME" line per test file to $1/results.txt.
set -uo pipefail
logdir=$1
cd "$(dirname "$0")/.."
out=$logdir/results.txt
: >"$out"

echo "== pg_regress and isolation (make installcheck)"
# two runs, so that a failing regress test does not keep the isolation specs from running
make installcheck ISOLATION= PG_CONFIG="${PG_CONFIG:-pg_config}" >"$logdir/installcheck.log" 2>&1
ic_rc=$?
make installcheck REGRESS= PG_CONFIG="${PG_CONFIG:-pg_config}" >>"$logdir/installcheck.log" 2>&1 || ic_rc=1
cat "$logdir/installcheck.log"
# PG15 prints "test NAME ... ok" (or " NAME ... ok" inside a parallel group); PG16+ prints TAP
sed -nE 's/^(test +| +)?([A-Za-z0-9_]+) +\.\.\. (ok|FAILED).*/\3 regress\/\2/p; s/^(not )?ok [0-9]+ +- +([A-Za-z0-9_]+) .*/\1ok regress\/\2/p' \
  "$logdir/installcheck.log" | sed -E 's/^not ok /FAILED /' >>"$out"
# pg_regress stops early on some errors (a missing expected file): a non-zero exit with no failed
# test line still fails the run
if [ $ic_rc -ne 0 ] && ! grep -q '^FAILED' "$out"; then echo "FAILED regress/installcheck" >>"$out"; fi

echo "== pgTAP (pg_prove)"
createdb supervise_tap && psql -X -q -d supervise_tap -c 'CREATE EXTENSION pgtap' || echo "FAILED pgtap/setup" >>"$out"
for f in test/pgtap/*.sql; do
  [ -f "$f" ] || continue
  name=pgtap/$(basename "$f" .sql)
  if pg_prove -d supervise_tap "$f" >"$logdir/$(echo "$name" | tr '/' '_').log" 2>&1; then
    echo "ok $name" >>"$out"
  else
    echo "FAILED $name" >>"$out"
  fi
done

echo "== scripted tests (test/scripts)"
for f in test/scripts/*.sh; do
  [ -f "$f" ] || continue
  name=script/$(basename "$f" .sh)
  case "$f" in *_slow.sh) [ "${SUPERVISE_QUICK:-0}" = 1 ] && continue ;; esac
  if bash "$f" >"$logdir/$(echo "$name" | tr '/' '_').log" 2>&1; then
    echo "ok $name" >>"$out"
  else
    echo "FAILED $name" >>"$out"
  fi
done
cat "$out"
