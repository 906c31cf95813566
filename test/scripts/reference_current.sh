#!/usr/bin/env bash
# doc/reference.md lists every object of the extension as installed: regenerate and compare.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.tmp"' EXIT
tools/gen_reference.sh "$tmp" >/dev/null
if diff -u doc/reference.md "$tmp"; then echo "ok - doc/reference.md is current"
else echo "not ok - doc/reference.md is stale: run tools/gen_reference.sh inside pg_virtualenv"; exit 1; fi
