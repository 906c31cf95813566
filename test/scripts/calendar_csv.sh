#!/usr/bin/env bash
# The extension's working days against an independent computation from data/cn_calendar.csv
# (python3 standard library: walks day by day, no cumulative counts), for every day 2019-2026:
# is_workday(d), add_workdays(d, n) for several n that stay inside the loaded years, and
# workdays_between(d, d + k). Also checks that src/sql/41_calendar_data.sql is what
# tools/gen_calendar_sql.py writes from the CSV. Runs inside the test cluster (PG* set).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dropdb --if-exists supervise_calcsv >/dev/null 2>&1 || true' EXIT

# 1. the shipped SQL is generated from the CSV
python3 tools/gen_calendar_sql.py > "$tmp/41.sql"
if ! diff -q "$tmp/41.sql" src/sql/41_calendar_data.sql >/dev/null; then
  echo "src/sql/41_calendar_data.sql differs from tools/gen_calendar_sql.py output:"
  diff "$tmp/41.sql" src/sql/41_calendar_data.sql | head -20
  exit 1
fi

# 2. the independent answers
python3 - "$tmp/expected.csv" <<'PY'
import csv, datetime as dt, sys
kind = {}
with open("data/cn_calendar.csv", encoding="utf-8", newline="") as f:
    for r in csv.DictReader(f):
        kind[dt.date.fromisoformat(r["date"])] = r["kind"]
first, last = dt.date(2019, 1, 1), dt.date(2026, 12, 31)
one = dt.timedelta(days=1)
def work(d):
    assert first <= d <= last, d
    k = kind.get(d)
    return k == "work" if k else d.weekday() < 5
def add(d, n):
    step = one if n > 0 else -one
    left = abs(n)
    while left:
        d += step
        if not (first <= d <= last):
            return None            # would need a year that is not loaded
        if work(d):
            left -= 1
    return d
NS = (1, 2, 5, 7, 10, 30, -1, -5, -10)
KS = (1, 7, 15, 40, -9)
with open(sys.argv[1], "w") as out:
    d = first
    while d <= last:
        cols = [d.isoformat(), "t" if work(d) else "f"]
        for n in NS:
            r = add(d, n)
            cols.append(r.isoformat() if r else "")
        for k in KS:
            e = d + dt.timedelta(days=k)
            lo, hi = min(d, e), max(d, e)
            if lo + one < first or hi > last:
                cols.append("")
            else:
                c, x = 0, lo
                while x < hi:
                    x += one
                    c += work(x)
                cols.append(str(c if e >= d else -c))
        out.write(",".join(cols) + "\n")
        d += one
PY

# 3. the extension's answers (cases the independent side marks as not loaded are left empty,
#    and must be errors in the extension: checked separately below)
createdb supervise_calcsv
psql -X -q -v ON_ERROR_STOP=1 -d supervise_calcsv -c 'CREATE EXTENSION supervise' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d supervise_calcsv -At -F, >"$tmp/got.csv" <<'SQL'
CREATE FUNCTION pg_temp.aw(d date, n int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN supervise.add_workdays(d, n)::text;
EXCEPTION WHEN object_not_in_prerequisite_state THEN RETURN ''; END $$;
CREATE FUNCTION pg_temp.wb(a date, b date) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN supervise.workdays_between(a, b)::text;
EXCEPTION WHEN object_not_in_prerequisite_state THEN RETURN ''; END $$;
SET datestyle = ISO, YMD;
SELECT d::date, CASE WHEN supervise.is_workday(d::date) THEN 't' ELSE 'f' END,
       pg_temp.aw(d::date, 1), pg_temp.aw(d::date, 2), pg_temp.aw(d::date, 5), pg_temp.aw(d::date, 7),
       pg_temp.aw(d::date, 10), pg_temp.aw(d::date, 30), pg_temp.aw(d::date, -1), pg_temp.aw(d::date, -5),
       pg_temp.aw(d::date, -10),
       pg_temp.wb(d::date, d::date + 1), pg_temp.wb(d::date, d::date + 7), pg_temp.wb(d::date, d::date + 15),
       pg_temp.wb(d::date, d::date + 40), pg_temp.wb(d::date, d::date - 9)
  FROM generate_series('2019-01-01'::date, '2026-12-31', '1 day') d ORDER BY 1;
SQL

rows=$(wc -l <"$tmp/expected.csv")
if ! diff "$tmp/expected.csv" "$tmp/got.csv" >"$tmp/diff"; then
  echo "extension and independent computation differ ($(grep -c '^<' "$tmp/diff") of $rows rows):"
  head -20 "$tmp/diff"
  exit 1
fi
[ "$rows" -eq 2922 ] || { echo "expected 2922 days, got $rows"; exit 1; }
echo "ok: $rows days 2019-2026 agree (is_workday, add_workdays n in 1 2 5 7 10 30 -1 -5 -10, workdays_between k in 1 7 15 40 -9)"
