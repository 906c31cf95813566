#!/usr/bin/env bash
# Installs what building and testing supervise needs, from Debian's packages:
# PostgreSQL 15 with its server headers, pgTAP and pg_prove, OpenSSL headers, a C compiler,
# clang with its libFuzzer/sanitizer runtimes (test/fuzz).
# Runs apt-get only when something is missing (always under CI=true, which starts from a fresh
# machine). Needs root, or sudo.
set -euo pipefail

PGV=${PGV:-15}
packages=(
  build-essential
  "postgresql-$PGV" "postgresql-server-dev-$PGV" "postgresql-$PGV-pgtap" postgresql-common
  postgresql-contrib
  libtap-parser-sourcehandler-pgtap-perl libssl-dev python3
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${CI:-}" = "true" ] || [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "== installing packages: ${missing[*]:-(refresh under CI)}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
