#!/usr/bin/env bash
# A load of 1,000,000 generated subjects with 1% bad codes (and one real Fujian pilot code that
# fails the GB 32100 check) finishes with exact counts and every bad row in subject_reject with
# its reason. Runs inside the test cluster (PG* set).
set -euo pipefail
N=${SUPERVISE_LOAD_ROWS:-1000000}
db=supervise_load_test
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
psql -X -v ON_ERROR_STOP=1 -q -d "$db" <<SQL
CREATE EXTENSION supervise;
-- every 100th row is broken in one of four ways; the last row is the real pilot code 91350211M00013FA1N
\copy (SELECT CASE WHEN n = $N THEN '91350211M00013FA1N' WHEN n % 100 <> 0 THEN uscc WHEN (n / 100) % 4 = 0 THEN left(uscc, 17) || CASE WHEN right(uscc, 1) = '0' THEN '1' ELSE '0' END WHEN (n / 100) % 4 = 1 THEN left(uscc, 17) WHEN (n / 100) % 4 = 2 THEN overlay(uscc placing 'O' from 12 for 1) ELSE overlay(uscc placing 'A' from 4 for 1) END, name, region, industry, credit_class, risk_level, status FROM supervise.sample_subjects($N, 11) WITH ORDINALITY AS s(uscc, name, region, industry, credit_class, risk_level, status, n) ORDER BY n) TO '$work/subjects.csv' WITH (FORMAT csv)
SQL
echo "file: $(wc -l < "$work/subjects.csv") lines"
start=$(date +%s%3N)
psql -X -v ON_ERROR_STOP=1 -q -d "$db" <<SQL
\copy supervise.subject_staging (uscc, name, region, industry, credit_class, risk_level, status) FROM '$work/subjects.csv' WITH (FORMAT csv)
SELECT * FROM supervise.load_subjects();
SQL
end=$(date +%s%3N)
echo "copy + load: $((end - start)) ms"

fail=0
check() { # check LABEL SQL EXPECTED
  got=$(psql -X -At -d "$db" -c "$2")
  if [ "$got" = "$3" ]; then echo "ok - $1 ($got)"; else echo "not ok - $1: got '$got', want '$3'"; fail=1; fi
}
bad=$((N / 100))
check "staged"   "SELECT staged FROM supervise.load_batch"   "$N"
check "inserted" "SELECT inserted FROM supervise.load_batch" "$((N - bad))"
check "rejected" "SELECT rejected FROM supervise.load_batch" "$bad"
check "subjects in the directory" "SELECT count(*) FROM supervise.subject" "$((N - bad))"
check "reject rows" "SELECT count(*) FROM supervise.subject_reject" "$bad"
check "every reject is a broken line" \
  "SELECT count(*) FROM supervise.subject_reject r WHERE (r.line - (SELECT min(line) FROM supervise.subject_reject) + 100) % 100 <> 0" "0"
check "reasons by kind" \
  "SELECT string_agg(k || '=' || c, ' ' ORDER BY k) FROM (SELECT split_part(reason, ':', 1) k, count(*) c FROM supervise.subject_reject GROUP BY 1) s" \
  "uscc character=$((bad / 4)) uscc check=$((bad / 4)) uscc length=$((bad / 4)) uscc region=$((bad / 4))"
check "the Fujian pilot code is kept with its reason" \
  "SELECT reason FROM supervise.subject_reject WHERE uscc = '91350211M00013FA1N'" \
  'uscc check: the check character is "N", should be "3"'
check "rejects keep the raw text" \
  "SELECT count(*) FROM supervise.subject_reject WHERE uscc IS NULL OR name IS NULL" "0"
check "staging emptied" "SELECT count(*) FROM supervise.subject_staging" "0"
exit $fail
