#!/usr/bin/env bash
# Two rules of the install pieces (src/sql), checked as text:
#   - the extension's schema is named one way, @extschema@ (the schema is fixed, so a fresh install
#     and an updated one get the same text); supervise.today and supervise.limits_lookup, settings,
#     are not schema names;
#   - an object is defined once, with its final labels, in the piece of its capability: no piece
#     redefines or relabels a function or view (CREATE OR REPLACE, ALTER FUNCTION, ALTER VIEW).
# Each offending line is printed with its file and number.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail=0
if grep -nP '\bsupervise\.(?!today\b|limits_lookup\b|c\b)[a-z_]' src/sql/*.sql; then
  echo "not ok - src/sql names the schema as supervise. above: write @extschema@. instead"; fail=1
else
  echo "ok - src/sql names the extension's schema as @extschema@ everywhere"
fi
if grep -nE '^\s*(CREATE OR REPLACE|ALTER FUNCTION|ALTER VIEW|ALTER AGGREGATE)\b' src/sql/*.sql; then
  echo "not ok - a piece redefines or relabels an object above: give it its final definition where it is created"; fail=1
else
  echo "ok - no piece redefines or relabels a function or view"
fi
exit $fail
