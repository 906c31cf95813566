#!/usr/bin/env bash
# The main job: installs what is needed, builds and installs supervise, starts a throwaway
# PostgreSQL 15 cluster and runs a full year of 双随机、一公开 on a sample province, printing what a
# department and the disclosure site would see.
#
#   sudo tools/demo.sh                   # 20,000 subjects
#   sudo SUBJECTS=1000000 tools/demo.sh  # bigger
set -euo pipefail
cd "$(dirname "$0")/.."
tools/ensure-packages.sh
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
exec 9>/tmp/supervise-install.lock
flock 9
echo "== building and installing supervise"
make -s -j2 >/dev/null && make -s install >/dev/null
echo "== running the demo on a throwaway cluster"
pg_virtualenv -t -v 15 psql -X -q -v ON_ERROR_STOP=1 -v subjects="${SUBJECTS:-20000}" -f tools/demo.sql \
  2>&1 | grep -v '^Creating new PostgreSQL cluster\|^Dropping cluster'
