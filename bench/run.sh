#!/usr/bin/env bash
# One runner for all benchmarks. Builds and installs the extension, starts a throwaway cluster and
# runs every bench/NAME.sh (or only those named) inside it. Each benchmark measures its own baseline
# in the same run and prints lines of the form
#   NAME: <what> = <ratio>x  (<ms> ms vs <ms> ms baseline)
# so results are comparable on a noisy machine.
#
#   sudo bench/run.sh                 # all
#   sudo bench/run.sh calendar draw   # some
#   SUPERVISE_BENCH_SCALE=0.1 bench/run.sh   # smaller data (each bench reads it)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/build-install.sh
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.sh; do b=$(basename "$f" .sh); [ "$b" = run ] || names+=("$b"); done
fi
mkdir -p bench/out
# max_locks_per_transaction: bench/province.sh records a task's inspections in one statement, and
# each takes an advisory lock on its subject (about 5,000 a task at SUPERVISE_BENCH_SCALE=1)
pg_virtualenv -t -v "$PGV" -i "--encoding=UTF8 --no-locale" -o shared_buffers=1GB -o work_mem=256MB -o max_parallel_workers_per_gather=2 \
  -o max_locks_per_transaction=1024 \
  bash -c 'psql -X -q -c "CREATE EXTENSION IF NOT EXISTS supervise" && for b in "$@"; do echo "== $b"; bash "bench/$b.sh"; done' _ "${names[@]}" \
  | tee "bench/out/last.txt"
