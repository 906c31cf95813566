#!/usr/bin/env bash
# Runs the pg_regress suite (make installcheck) once against a PostgreSQL server (the distribution's, or PGV=NN) that runs
# under valgrind's memcheck, on a throwaway cluster made by pg_virtualenv. Every backend is
# checked (--trace-children=yes). JIT is off: valgrind cannot check LLVM-generated code, and
# loading llvmjit.so only adds reports about glibc's loader. Takes a few minutes; not part of
# tools/test.sh.
#
#   sudo tools/valgrind.sh
#   sudo VALGRIND_SUPP=~/postgresql/src/tools/valgrind.supp tools/valgrind.sh   # PostgreSQL's own
#
# tools/valgrind.supp (always used) silences known reports of PostgreSQL itself that are not
# about supervise. Prints each valgrind report and "valgrind: clean" or "valgrind: N report(s)";
# exits non-zero on a report or a failed test. Logs stay in log/valgrind/.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "${1:-}" != --inside ]; then
  PGV=$(tools/ensure-packages.sh) || exit 1
  command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
  export PGV PG_CONFIG=/usr/lib/postgresql/$PGV/bin/pg_config
  # the extension installs into the shared PostgreSQL directories: one checkout at a time
  exec 9>/tmp/supervise-install.lock
  flock 9
  make -s -j2 PG_CONFIG="$PG_CONFIG" && make -s install PG_CONFIG="$PG_CONFIG" || exit 1
  rm -rf "$top/log/valgrind" results regression.diffs
  mkdir -p "$top/log/valgrind"
  chmod 777 "$top/log/valgrind"
  pg_virtualenv -t -v "$PGV" -i "--encoding=UTF8 --no-locale" bash "$top/tools/valgrind.sh" --inside
  exit $?
fi

# ---- inside pg_virtualenv: PG* point at the throwaway cluster "regress" ----
logdir=$top/log/valgrind
bindir=$(${PG_CONFIG:-pg_config} --bindir)
read -r ver cluster port status owner datadir _ < <(pg_lsclusters -h | head -1)
conf=${PG_CLUSTER_CONF_ROOT:-/etc/postgresql}/$ver/$cluster/postgresql.conf
runas() { if [ "$(id -un)" = "$owner" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }

supp=(--suppressions="$top/tools/valgrind.supp")
[ -n "${VALGRIND_SUPP:-}" ] && supp+=(--suppressions="$VALGRIND_SUPP")

pg_ctlcluster "$ver" "$cluster" stop
echo "== starting postgres $ver/$cluster under valgrind (logs in $logdir)"
runas valgrind --quiet --trace-children=yes --track-origins=yes --read-var-info=yes --num-callers=30 \
  --leak-check=no --gen-suppressions=all "${supp[@]}" --log-file="$logdir/%p.log" \
  "$bindir/postgres" -c config_file="$conf" -c jit=off >"$logdir/server.out" 2>&1 &
server=$!
for _ in $(seq 600); do pg_isready -q && break; sleep 1; done
pg_isready -q || { echo "server did not start"; cat "$logdir/server.out"; exit 1; }

echo "== make installcheck under valgrind"
make installcheck PG_CONFIG="${PG_CONFIG:-pg_config}" 2>&1 | tee "$logdir/installcheck.log"
ic=${PIPESTATUS[0]}

runas "$bindir/pg_ctl" stop -D "$datadir" -m fast -t 600 >/dev/null
wait "$server"
pg_ctlcluster "$ver" "$cluster" start   # leave the cluster as pg_virtualenv expects to find it

reports=0
for f in "$logdir"/*.log; do
  case "$f" in */installcheck.log) continue ;; esac
  # memcheck's reports are "==PID== ..." lines; "--PID-- warning: ..." lines are valgrind's own
  # notes about debug information it cannot read, not reports
  if grep -qE '^==[0-9]+== ' "$f"; then reports=$((reports + 1)); echo "---- $f"; grep -vE '^--[0-9]+-- warning' "$f"; fi
done
[ $ic -eq 0 ] || echo "valgrind: make installcheck failed (see regression.diffs)"
if [ $reports -eq 0 ]; then echo "valgrind: clean"; else echo "valgrind: $reports report(s)"; fi
[ $ic -eq 0 ] && [ $reports -eq 0 ]
