#!/usr/bin/env bash
# The demo (tools/demo.sql) tells the same story whatever day it runs: it replays the last full
# year before that day (or the latest year whose holiday notice is loaded), with the draws and
# the after-the-check steps on the story's own clock (supervise.today). Runs it on a small scale
# for the first and the last day of this year and for a day of a year far beyond the loaded
# calendar, and checks that it runs through and shows the same steps. Runs inside a cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=supervise_demo_days
work=$(mktemp -d)
cleanup() {
  dropdb --if-exists $db >/dev/null 2>&1 || true
  psql -X -q -d postgres -c 'DROP ROLE IF EXISTS disclosure_site' >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
year=$(date +%Y)
fail=0
for day in "$year-01-01" "$year-12-31" "2091-06-15"; do
  cleanup; work=$(mktemp -d)
  createdb -E UTF8 -T template0 $db
  if ! psql -X -q -v ON_ERROR_STOP=1 -v subjects=1500 -v today="$day" -d $db -f tools/demo.sql >"$work/out.txt" 2>&1; then
    echo "not ok - the demo stops when run on $day:"; tail -20 "$work/out.txt"; fail=1; continue
  fi
  replay=$(sed -n 's/^ *the demo replays the year \([0-9]*\)$/\1/p' "$work/out.txt")
  loaded=$(psql -X -At -d $db -c 'SELECT max(year) FROM supervise.calendar_year')
  want=$(( ${day%%-*} - 1 )); [ "$want" -gt "$loaded" ] && want=$loaded
  if [ "$replay" = "$want" ]; then echo "ok - run on $day, the demo replays $replay"
  else echo "not ok - run on $day, the demo replays '$replay', not $want"; fail=1; fi
  for step in '== 5. ' '== 9. After the check' 'refused: task [0-9]* cannot be drawn: its period ended on' \
              '== 11. The disclosure site' '== done'; do
    if grep -q -- "$step" "$work/out.txt"; then echo "ok - run on $day: $step"
    else echo "not ok - run on $day: no \"$step\" in the output"; fail=1; fi
  done
  # a rule the story shows refusing something did not refuse it
  if grep -q '?!' "$work/out.txt"; then echo "not ok - run on $day: $(grep '?!' "$work/out.txt" | head -1)"; fail=1
  else echo "ok - run on $day: the once-a-year rule and the check window refuse as the story has it"; fi
  # the story's progress: some checks of the joint task were never made, so it is overdue
  if grep -qE '\| *overdue *$' "$work/out.txt" && grep -qE '\| *(open|done) *$' "$work/out.txt"; then
    echo "ok - run on $day: task progress shows overdue and open or done tasks"
  else echo "not ok - run on $day: task progress is not as the story has it"; fail=1; fi
  # nothing in the story is published in the future, so the disclosure site shows the plans
  if grep -q '年度双随机抽查计划' "$work/out.txt"; then echo "ok - run on $day: the disclosure site shows the plans"
  else echo "not ok - run on $day: the disclosure site shows no plan"; fail=1; fi
done
exit $fail
