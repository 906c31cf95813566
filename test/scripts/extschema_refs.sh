#!/usr/bin/env bash
# The install pieces name the extension's schema one way: @extschema@ (the schema is fixed, so a
# fresh install and an updated one get the same text). A hard-coded "supervise." in src/sql fails
# here, naming the line; supervise.today, a setting and not a schema-qualified name, is allowed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if grep -nP '\bsupervise\.(?!today\b|c\b)[a-z_]' src/sql/*.sql; then
  echo "not ok - src/sql names the schema as supervise. above: write @extschema@. instead"
  exit 1
fi
echo "ok - src/sql names the extension's schema as @extschema@ everywhere"
