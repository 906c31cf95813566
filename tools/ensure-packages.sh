#!/usr/bin/env bash
# Installs what building and testing supervise needs, from the distribution's packages:
# PostgreSQL with its server headers, pgTAP and pg_prove, OpenSSL headers, a C compiler, clang
# with its libFuzzer/sanitizer runtimes (test/fuzz), gettext (msgfmt compiles the translations in
# po/), locales (the Chinese locale of test/scripts/messages.sh), and what building the Debian
# package needs.
#
# The PostgreSQL version is the distribution's own (Debian 12: 15, Debian 13: 17, unstable: 18),
# or PGV=NN for another one the archive has. Prints that version (NN) on standard output, and
# everything else on standard error:  PGV=$(tools/ensure-packages.sh). Runs apt-get only when something is missing (always under CI=true, which starts from
# a fresh machine). Needs root, or sudo.
set -euo pipefail

ep_sudo=""
[ "$(id -u)" -eq 0 ] || ep_sudo="sudo"
ep_apt() { $ep_sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
ep_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# the version NN of a metapackage's dependency NAME-NN (postgresql -> postgresql-17, clang -> clang-19)
ep_depends_version() {
  apt-cache depends "$1" 2>/dev/null | sed -n "s/^ *Depends: $1-\([0-9][0-9]*\)\$/\1/p" | head -n1
}

ep_updated=0
if [ "${CI:-}" = "true" ] || ! apt-cache show postgresql-common >/dev/null 2>&1; then
  ep_apt update -qq >&2; ep_updated=1
fi
if [ -z "${PGV:-}" ]; then
  PGV=$(ep_depends_version postgresql)
  [ -n "$PGV" ] || { [ $ep_updated = 1 ] || { ep_apt update -qq >&2; ep_updated=1; }; PGV=$(ep_depends_version postgresql); }
  [ -n "$PGV" ] || { echo "ensure-packages: cannot tell the distribution's PostgreSQL version; set PGV=NN" >&2; exit 1; }
fi
clangv=$(ep_depends_version clang)

packages=(
  build-essential
  "postgresql-$PGV" "postgresql-server-dev-$PGV" "postgresql-$PGV-pgtap" postgresql-common
  postgresql-server-dev-all libtap-parser-sourcehandler-pgtap-perl libssl-dev python3 git
  gettext locales
  clang ${clangv:+libclang-rt-$clangv-dev}
  debhelper dpkg-dev fakeroot
)

missing=()
for p in "${packages[@]}"; do ep_installed "$p" || missing+=("$p"); done
if [ "${CI:-}" = "true" ] || [ ${#missing[@]} -gt 0 ]; then
  [ $ep_updated = 1 ] || ep_apt update -qq >&2
  echo "== installing packages: ${missing[*]:-(refresh under CI)}" >&2
  ep_apt install -y -qq --no-install-recommends "${packages[@]}" >/dev/null </dev/null
fi
echo "$PGV"
