#!/usr/bin/env bash
# tools/verify_draw.py re-runs draws made by the extension from their exports (a few thousand rows,
# three algorithms), and a draw survives pg_dump and restore: same record, verify_draw still true.
# Runs inside the test cluster (PG* set). Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists supervise_vpy >/dev/null 2>&1; dropdb --if-exists supervise_vpy_restored >/dev/null 2>&1' EXIT
db=supervise_vpy
createdb "$db"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "${DB:-$db}" "$@"; }

psql <<'SQL'
CREATE EXTENSION supervise;
SET search_path = supervise, public;
CREATE FUNCTION public.mkcode(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i]) FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '9' || (ARRAY['1','2'])[1 + n % 2] || '3301' || lpad((n % 97)::text, 2, '0')
                         || lpad(n::text, 9, '0') AS c,
                         '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
INSERT INTO department (id, code, name, system, level, region) VALUES (1, 'D', 'Hangzhou', 'market', 3, '3301');
INSERT INTO subject (uscc, name, region, credit_class, risk_level, status)
SELECT mkcode(g * 7919), 's' || g, '330100', (ARRAY['A','B','C','D'])[1 + (g * 31) % 4], 1 + (g * 13) % 4,
       CASE WHEN g % 11 = 0 THEN 'suspended' ELSE 'active' END
  FROM generate_series(1, 4000) g;
INSERT INTO check_item (id, department_id, code, name, category) VALUES (1, 1, 'I', 'item', 'cat');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, extract(year FROM current_date)::int, 'p', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio) VALUES
  (1, 1, 1, 'stratified', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, NULL),
  (2, 1, 1, 'weighted', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 0.013),
  (3, 1, 1, 'rfc3797', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 0.02);
INSERT INTO task_item VALUES (1, 1), (2, 1), (3, 1);
INSERT INTO task_stratum VALUES (1, 'A', 0.01), (1, 'B', 0.03), (1, 'C', 0.07), (1, 'D', 0.2);
SELECT draw(1, seed_from('verify_draw.py stratified'));
SELECT draw(2, NULL, 'sha256-v1-weighted');
SELECT draw(3, seed_from('verify_draw.py rfc3797'), 'rfc3797');
SQL

status=0
for id in 1 2 3; do
  psql -c "\copy (SELECT uscc, stratum, weight FROM supervise.draw_population($id)) TO '$work/pop$id.csv' CSV HEADER"
  psql -At -F, -c "SELECT stratum, rank, uscc FROM supervise.draw_target WHERE draw_id = $id ORDER BY stratum, rank" > "$work/targets$id.txt"
  read -r alg seed digest alloc < <(psql -At -F' ' -c "SELECT algorithm, encode(seed, 'hex'), encode(population_digest, 'hex'), allocation::text FROM supervise.draw_record WHERE id = $id")
  # allocation JSON contains spaces: take it separately
  alloc=$(psql -At -c "SELECT allocation::text FROM supervise.draw_record WHERE id = $id")
  n=$(wc -l < "$work/targets$id.txt")
  if python3 tools/verify_draw.py --population "$work/pop$id.csv" --seed "$seed" --allocation "$alloc" \
       --algorithm "$alg" --digest "$digest" --targets "$work/targets$id.txt" > "$work/out$id.txt"; then
    echo "ok: draw $id ($alg): $n targets and the population digest reproduced by tools/verify_draw.py"
  else
    echo "FAILED: draw $id ($alg) not reproduced"; status=1
  fi
done
[ "$(wc -l < "$work/targets1.txt")" -gt 50 ] || { echo "FAILED: too few targets to mean anything"; status=1; }

# a tampered export is caught
sed -i '2d' "$work/pop1.csv"
alloc=$(psql -At -c "SELECT allocation::text FROM supervise.draw_record WHERE id = 1")
read -r seed digest < <(psql -At -F' ' -c "SELECT encode(seed, 'hex'), encode(population_digest, 'hex') FROM supervise.draw_record WHERE id = 1")
if python3 tools/verify_draw.py --population "$work/pop1.csv" --seed "$seed" --allocation "$alloc" --digest "$digest" \
     --targets "$work/targets1.txt" > /dev/null 2>&1; then
  echo "FAILED: a population with a row removed was not noticed"; status=1
else
  echo "ok: a population with a row removed is noticed"
fi

# dump and restore: the draws and their verification survive
pg_dump -Fc -d "$db" -f "$work/dump"
createdb supervise_vpy_restored
pg_restore -d supervise_vpy_restored "$work/dump" 2> "$work/restore.log" || { cat "$work/restore.log"; status=1; }
for id in 1 2 3; do
  a=$(psql -At -c "SELECT md5(string_agg(stratum || rank || uscc::text, ',' ORDER BY stratum, rank)) FROM supervise.draw_target WHERE draw_id = $id")
  b=$(DB=supervise_vpy_restored psql -At -c "SELECT md5(string_agg(stratum || rank || uscc::text, ',' ORDER BY stratum, rank)) FROM supervise.draw_target WHERE draw_id = $id")
  v=$(DB=supervise_vpy_restored psql -At -c "SELECT supervise.verify_draw($id)")
  if [ "$a" = "$b" ] && [ "$v" = t ]; then echo "ok: draw $id restored from pg_dump and verifies"
  else echo "FAILED: draw $id after restore: targets ${a} vs ${b}, verify $v"; status=1; fi
done
exit $status
