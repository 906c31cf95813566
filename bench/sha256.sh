#!/usr/bin/env bash
# The draw's hashing with the core's SHA-256 against OpenSSL's (bench/sha256_compare.c), outside
# the server: per row (a copied midstate finished with an 18-character code) and for one long
# message (the population digest). Needs no cluster; bench/run.sh runs it with the others.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
${CC:-cc} -O2 -Isrc/core -o "$bin" bench/sha256_compare.c src/core/sha256.c -lcrypto
"$bin"
