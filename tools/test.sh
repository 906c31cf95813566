#!/usr/bin/env bash
# Runs every test of supervise: the pure C unit tests (under ASan/UBSan), the pg_regress and
# isolation suites, the pgTAP suite, the scripted end-to-end tests and the Debian package, on a
# throwaway UTF8 cluster made by pg_virtualenv with the distribution's PostgreSQL (PGV=NN for
# another version). Installs missing packages first.
#
#   sudo tools/test.sh            # everything
#   sudo tools/test.sh --quick    # skip the slow scripted tests (large loads)
#   sudo PGV=17 tools/test.sh     # on PostgreSQL 17 (installed from the archive when missing)
#
# Prints one line per test file and ends with "supervise: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

PGV=$(tools/ensure-packages.sh) || { echo "supervise: 0 passed, 1 failed"; exit 1; }
export PGV PG_CONFIG=/usr/lib/postgresql/$PGV/bin/pg_config
echo "== PostgreSQL $PGV ($("$PG_CONFIG" --version)) on $(. /etc/os-release; echo "$PRETTY_NAME")"

# One build+install+test at a time on this machine: the extension installs into the shared
# PostgreSQL directories, so two checkouts testing at once would test each other's files.
exec 9>/tmp/supervise-install.lock
flock 9

logdir=$top/log
rm -rf "$logdir" results output_iso regression.diffs
mkdir -p "$logdir"
passed=0
failed=0
failures=()

record() { # record NAME STATUS
  if [ "$2" = ok ]; then passed=$((passed + 1)); echo "ok     $1"
  else failed=$((failed + 1)); failures+=("$1"); echo "FAILED $1"; fi
}

echo "== the Debian package (built, installed with apt, a draw from it, removed)"
if tools/package-test.sh >"$logdir/package.log" 2>&1; then record package/debian ok
else cat "$logdir/package.log"; record package/debian failed; fi
grep '^ok' "$logdir/package.log" | sed 's/^/   /'

echo "== build and install"
if ! { make -s -j2 PG_CONFIG="$PG_CONFIG" && make -s install PG_CONFIG="$PG_CONFIG"; } >"$logdir/build.log" 2>&1; then
  cat "$logdir/build.log"
  record build failed
  echo "supervise: $passed passed, $failed failed"
  exit 1
fi
grep -E "warning:" "$logdir/build.log" && echo "(build warnings above)"

echo "== released install scripts are frozen"
if make -s frozen-check PG_CONFIG="$PG_CONFIG" >"$logdir/frozen.log" 2>&1; then record release/frozen-scripts ok
else cat "$logdir/frozen.log"; record release/frozen-scripts failed; fi

echo "== C unit tests (src/core, ASan/UBSan)"
make -s core-tests PG_CONFIG="$PG_CONFIG" >"$logdir/core-build.log" 2>&1 || { cat "$logdir/core-build.log"; record core-build failed; }
for t in test/core/bin/test_*; do
  [ -x "$t" ] || continue
  if prove "$t" >"$logdir/core-$(basename "$t").log" 2>&1; then record "core/$(basename "$t")" ok
  else cat "$logdir/core-$(basename "$t").log"; record "core/$(basename "$t")" failed; fi
done

echo "== fuzz (libFuzzer, ASan/UBSan: replays test/fuzz/regressions, then ${FUZZ_SHORT_SECONDS:-20} s per harness)"
make -s fuzz-build PG_CONFIG="$PG_CONFIG" >"$logdir/fuzz-build.log" 2>&1 || { cat "$logdir/fuzz-build.log"; record fuzz-build failed; }
for f in test/fuzz/fuzz_*.c; do
  n=$(basename "$f" .c); n=${n#fuzz_}
  if tools/fuzz.sh "$n" "${FUZZ_SHORT_SECONDS:-20}" >"$logdir/fuzz-$n.log" 2>&1; then record "fuzz/$n" ok
  else tail -60 "$logdir/fuzz-$n.log"; record "fuzz/$n" failed; fi
done

echo "== PostgreSQL suites on a throwaway cluster"
# UTF8 whatever the caller's locale (supervise refuses other encodings)
UTF8_CLUSTER="--encoding=UTF8 --no-locale"
export SUPERVISE_QUICK=$quick
# (9>&-: the cluster's server does not inherit the lock, so a killed run cannot leave it held)
pg_virtualenv -t -v "$PGV" -i "$UTF8_CLUSTER" bash "$top/tools/test-in-cluster.sh" "$logdir" >"$logdir/cluster.log" 2>&1 9>&-
cluster_rc=$?
# test-in-cluster.sh writes one "ok NAME" / "FAILED NAME" line per test file
while read -r status name; do
  case "$status" in
    ok) record "$name" ok ;;
    FAILED) record "$name" failed ;;
  esac
done < <(grep -E '^(ok|FAILED) ' "$logdir/results.txt" 2>/dev/null)
if [ $cluster_rc -ne 0 ] && [ ! -s "$logdir/results.txt" ]; then
  cat "$logdir/cluster.log"
  record cluster failed
fi
[ -f regression.diffs ] && { echo "---- regression.diffs"; head -300 regression.diffs; }
[ -f output_iso/regression.diffs ] && { echo "---- output_iso/regression.diffs"; head -300 output_iso/regression.diffs; }
for f in "${failures[@]}"; do
  lf="$logdir/$(echo "$f" | tr '/' '_').log"
  [ -f "$lf" ] && { echo "---- $lf"; tail -80 "$lf"; }
done

echo
echo "supervise: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
