#!/usr/bin/env bash
# The main job: installs what is needed, builds and installs supervise, starts a throwaway
# UTF8 PostgreSQL cluster (the distribution's version, or PGV=NN) and runs a full year of 双随机、一公开 on a sample province, printing what a
# department and the disclosure site would see.
#
#   sudo tools/demo.sh                   # 20,000 subjects
#   sudo SUBJECTS=1000000 tools/demo.sh  # bigger
#   sudo DEMO_TODAY=2027-01-01 tools/demo.sh  # as if run on another day (it replays the year before)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== building and installing supervise"
. tools/build-install.sh
echo "== running the demo on a throwaway cluster"
pg_virtualenv -t -v "$PGV" -i "--encoding=UTF8 --no-locale" psql -X -q -v ON_ERROR_STOP=1 -v subjects="${SUBJECTS:-20000}" -v today="${DEMO_TODAY:-}" -f tools/demo.sql \
  2>&1 | grep -v '^Creating new PostgreSQL cluster\|^Dropping cluster'
