#!/usr/bin/env bash
# Interactive speed at province scale: what an application does all day (draw a small task, open
# one enterprise's page, read a department's dashboard) with a province's year loaded, each against
# a baseline measured in the same run. Runs inside the bench cluster (bench/run.sh).
# Scale: SUPERVISE_BENCH_SCALE (default 0.1 = generate_sample(1,000,000); 1 = 10,000,000 subjects).
#
# The year: every county department (108: market, ecology, health in 36 counties) has a directory
# and a 4-stratum task, all drawn, inspectors matched, visits planned (plan_visits), half the
# targets' results recorded and the plans, tasks, lists and those results published. Nothing is
# vacuumed after plan_visits (autovacuum is off for the bench database).
#   draw:      draw() of a task over a 100-subject directory with the year loaded
#              vs the same draw before the year was loaded (no history)                  (<= 1.5x)
#              also eligible_population() of that task, before and after
#   subject:   one subject's visits (v_joint_visits), checks (v_checks_per_subject) and
#              exclusion_reason(), right after plan_visits, vs a primary-key lookup of one
#              visit row                                                                 (<= 3x each)
#   dashboard: one department-year of v_visit_report and of v_publication_schedule vs a
#              count(*) of that department's inspections of the year                     (<= 10x each)
# Reads are timed with pgbench (prepared statements, one client, search_path supervise, public as
# an application sets it, the subject or department picked at random each time); draws with clock_timestamp() around the call (median of 5).
set -euo pipefail
scale=${SUPERVISE_BENCH_SCALE:-0.1}
n=$(python3 -c "print(max(20000, int(10000000 * float('$scale'))))")
db=${SUPERVISE_BENCH_DB:-supervise_bench_province}
secs=${SUPERVISE_BENCH_SECONDS:-3}
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
# the year is drawn as on 1 March (supervise.today): its tasks' periods run from March to November,
# and draw() refuses a task whose period has ended
psql -X -q -d "$db" -c "ALTER DATABASE \"$db\" SET supervise.today = '$(date +%Y)-03-01'"
[ -n "${SUPERVISE_BENCH_KEEP:-}" ] || trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
median() { python3 -c "import sys,statistics; print('%.3f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b if b else 0))" "$1" "$2"; }
t0=$(date +%s)

q -v n="$n" <<'SQL' >/dev/null

CREATE EXTENSION supervise;
SET search_path = supervise, public;
SELECT * FROM generate_sample(:n, 1);
-- the year's tasks and the one measured are of this year; periods in spring and summer
CREATE TABLE public.bench_year AS SELECT extract(year FROM current_date)::integer AS y;
CREATE FUNCTION public.bench_ms(sql text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE sql; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END $$;
-- the task measured: 思明区 market department, a 100-subject directory of its food businesses,
-- registration checks (the category its year's task also checks), 4 strata
INSERT INTO directory (department_id, name, kind)
SELECT d.id, d.name || '重点企业名录', 'dedicated' FROM department d WHERE d.code = 'SAMR-350203';
INSERT INTO directory_member (directory_id, uscc)
SELECT dir.id, m.uscc
  FROM directory dir JOIN department d ON d.id = dir.department_id,
       LATERAL (SELECT m.uscc FROM directory_member m JOIN directory f ON f.id = m.directory_id
                 WHERE f.department_id = d.id AND f.name LIKE '%食品经营者专用名录'
                 ORDER BY hashtextextended(m.uscc::text, 5) LIMIT 100) m
 WHERE dir.name LIKE '%重点企业名录';
INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, directory_id)
SELECT d.id, 'special', '重点企业登记事项专项检查', make_date(y, 10, 12), make_date(y, 11, 27), make_date(y, 9, 21), dir.id
  FROM department d JOIN directory dir ON dir.department_id = d.id AND dir.name LIKE '%重点企业名录', bench_year;
INSERT INTO task_item (task_id, item_id)
SELECT t.id, ci.id FROM task t JOIN check_item ci ON ci.department_id = t.department_id AND ci.code = 'SC-01'
 WHERE t.title = '重点企业登记事项专项检查';
INSERT INTO task_stratum (task_id, credit_class, ratio)
SELECT t.id, v.c, v.r FROM task t, (VALUES ('A', 0.05), ('B', 0.1), ('C', 0.2), ('D', 0.5)) v(c, r)
 WHERE t.title = '重点企业登记事项专项检查';
CREATE TABLE public.bench_small AS SELECT id AS task_id FROM task WHERE title = '重点企业登记事项专项检查';
VACUUM ANALYZE;
SQL
small=$(q -c "SELECT task_id FROM bench_small")

# draw() of the small task and eligible_population() of it: 5 times each, the draw cancelled after
# each run (a cancelled draw no longer counts for the limits)
measure_small() {
  local tag=$1 out
  # in one session, as an application's connection does it; the first run warms it up
  out=$(for i in 0 1 2 3 4 5; do
          echo "SELECT 'draw ' || bench_ms('SELECT supervise.draw($small, supervise.seed_from(''$tag $i''))');"
          echo "SELECT 'cancel ' || count(supervise.cancel_draw(id, 'bench repeat')) FROM supervise.draw_record WHERE task_id = $small AND cancelled_at IS NULL;"
          echo "SELECT 'population ' || bench_ms('SELECT count(*) FROM supervise.eligible_population($small)');"
        done | q)
  echo "$(median $(echo "$out" | awk '$1 == "draw" {print $2}' | tail -n +2)) $(median $(echo "$out" | awk '$1 == "population" {print $2}' | tail -n +2))"
}
read -r draw0 pop0 < <(measure_small empty)

q <<'SQL' >/dev/null
SET search_path = supervise, public;
-- a directory and a plan of the year for every county department; market departments use their
-- food directory, health departments the county's public places, ecology its producers
INSERT INTO directory (department_id, name, kind)
SELECT d.id, d.name || CASE d.system WHEN 'health' THEN '公共场所名录' ELSE '排污单位名录' END, 'dedicated'
  FROM department d WHERE d.level = 4 AND d.system IN ('health', 'ecology') ORDER BY d.id;
INSERT INTO directory_member (directory_id, uscc)
SELECT dir.id, s.uscc
  FROM directory dir JOIN department d ON d.id = dir.department_id
  JOIN subject s ON s.region = d.region
 WHERE (d.system = 'health' AND s.industry IN ('餐饮服务', '食品销售', '文化娱乐', '医疗器械', '药品零售'))
    OR (d.system = 'ecology' AND s.industry IN ('食品生产', '建材家居', '物流运输', '服装纺织', '农资经营'));
INSERT INTO plan (department_id, year, title, approved_on)
SELECT d.id, y, d.name || y || '年度双随机抽查计划', make_date(y, 2, 20)
  FROM department d, bench_year WHERE d.level = 4 ORDER BY d.id;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, directory_id)
SELECT p.id, d.id, d.name || y || '年度双随机抽查',
       make_date(y, CASE d.system WHEN 'market' THEN 3 WHEN 'health' THEN 4 ELSE 5 END, 2),
       make_date(y, CASE d.system WHEN 'market' THEN 6 WHEN 'health' THEN 7 ELSE 9 END, 30),
       make_date(y, 2, 25), dir.id
  FROM department d JOIN plan p ON p.department_id = d.id, bench_year,
       LATERAL (SELECT min(dir.id) AS id FROM directory dir WHERE dir.department_id = d.id) dir
 WHERE d.level = 4 ORDER BY d.id;
INSERT INTO task_item (task_id, item_id)
SELECT t.id, ci.id FROM task t JOIN plan p ON p.id = t.plan_id
  JOIN check_item ci ON ci.department_id = t.department_id AND ci.code IN ('SC-01', 'SC-03', 'HC-01', 'EE-02');
INSERT INTO task_stratum (task_id, credit_class, ratio)
SELECT t.id, v.c, v.r FROM task t, (VALUES ('A', 0.05), ('B', 0.1), ('C', 0.2), ('D', 0.5)) v(c, r)
 WHERE t.plan_id IS NOT NULL;
SQL
# every county task drawn and matched, one transaction each (as departments do it)
q -c "SELECT id FROM supervise.task WHERE plan_id IS NOT NULL ORDER BY id" | while read -r t; do
  echo "SELECT supervise.match_inspectors(supervise.draw($t, supervise.seed_from('province $t')));"
done | q >/dev/null
# visits planned (nothing vacuumed after it); half the targets inspected with a result in the
# task's period, one transaction per task; the items of the schedule published
q <<'SQL' >/dev/null
SET search_path = supervise, public;
ALTER TABLE visit SET (autovacuum_enabled = false);
CREATE TABLE public.bench_vacuums AS
SELECT vacuum_count + autovacuum_count AS n FROM pg_stat_user_tables WHERE relid = 'supervise.visit'::regclass;
SELECT plan_visits(y) FROM bench_year;
SQL
q -c "SELECT id FROM supervise.task WHERE plan_id IS NOT NULL ORDER BY id" | while read -r t; do
  cat <<SQL
INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on, result_code, result_on)
SELECT t.id, dt.uscc, t.department_id, t.period_start + (x.h % 60)::integer,
       CASE WHEN x.h % 10 = 0 THEN 'not_disclosed' ELSE 'no_problem' END, t.period_start + (x.h % 60)::integer + 3
  FROM supervise.draw_record dr JOIN supervise.task t ON t.id = dr.task_id
  JOIN supervise.draw_target dt ON dt.draw_id = dr.id,
       LATERAL (SELECT hashtextextended(dt.uscc::text, t.id) & 2147483647 AS h) x
 WHERE dr.task_id = $t AND dr.cancelled_at IS NULL AND x.h % 2 = 0;
SQL
done | q >/dev/null
q <<'SQL' >/dev/null
UPDATE supervise.publication SET published_on = least(due_on, current_date)
 WHERE published_on IS NULL AND event_on <= current_date AND (kind <> 'result' OR object_id % 3 <> 0);
ANALYZE;
SQL
# the probes: 1000 visits (id, subject) and the county departments, and the pgbench scripts
q <<'SQL' >/dev/null
CREATE TABLE public.bench_probe AS
SELECT row_number() OVER (ORDER BY h)::integer AS n, id AS visit_id, uscc
  FROM (SELECT id, uscc, hashint8(id) AS h FROM supervise.visit ORDER BY hashint8(id) LIMIT 1000) v;
CREATE UNIQUE INDEX ON public.bench_probe (n);
CREATE TABLE public.bench_department AS
SELECT row_number() OVER (ORDER BY id)::integer AS n, id FROM supervise.department WHERE level = 4;
CREATE UNIQUE INDEX ON public.bench_department (n);
ANALYZE public.bench_probe, public.bench_department;
SQL
year=$(q -c "SELECT y FROM bench_year")
built=$(( $(date +%s) - t0 ))
q -c "SELECT format('province: %s subjects, %s county tasks, %s targets, %s visits, %s inspections, %s publication items (built in %s s)',
        (SELECT count(*) FROM supervise.subject), (SELECT count(*) FROM supervise.task WHERE plan_id IS NOT NULL),
        (SELECT count(*) FROM supervise.draw_target t JOIN supervise.draw_record r ON r.id = t.draw_id WHERE r.cancelled_at IS NULL),
        (SELECT count(*) FROM supervise.visit), (SELECT count(*) FROM supervise.inspection),
        (SELECT count(*) FROM supervise.publication), $built)"

read -r draw1 pop1 < <(measure_small province)
echo "province: draw of a 100-subject directory task, year loaded, vs no history = $(ratio "$draw1" "$draw0")x ($draw1 ms vs $draw0 ms baseline; target <= 1.5x)"
echo "province: eligible_population of it, year loaded, vs no history = $(ratio "$pop1" "$pop0")x ($pop1 ms vs $pop0 ms baseline)"

# mean latency (ms) of one pgbench script, prepared statements, one client
dir=$(mktemp -d)
lat() {
  printf '%s\n' "$1" > "$dir/s.sql"
  PGOPTIONS="-c search_path=supervise,public" pgbench -n -M prepared -c 1 -T "$secs" -f "$dir/s.sql" "$db" 2>/dev/null | awk '/latency average/ {print $4}'
}
pk='\set k random(1, 1000)
SELECT v.* FROM supervise.visit v WHERE v.id = (SELECT p.visit_id FROM bench_probe p WHERE p.n = :k);'
jv='\set k random(1, 1000)
SELECT v.* FROM supervise.v_joint_visits v WHERE v.uscc = (SELECT p.uscc FROM bench_probe p WHERE p.n = :k);'
cs='\set k random(1, 1000)
SELECT c.* FROM supervise.v_checks_per_subject c WHERE c.uscc = (SELECT p.uscc FROM bench_probe p WHERE p.n = :k);'
ex="\\set k random(1, 1000)
SELECT supervise.exclusion_reason((SELECT p.uscc FROM bench_probe p WHERE p.n = :k), $small);"
ic="\\set k random(1, 108)
SELECT count(*) FROM supervise.inspection i WHERE i.department_id = (SELECT d.id FROM bench_department d WHERE d.n = :k)
   AND i.inspected_on >= make_date($year, 1, 1) AND i.inspected_on < make_date($year + 1, 1, 1);"
vr="\\set k random(1, 108)
SELECT r.* FROM supervise.v_visit_report r WHERE r.department_id = (SELECT d.id FROM bench_department d WHERE d.n = :k)
   AND r.month >= make_date($year, 1, 1) AND r.month < make_date($year + 1, 1, 1);"
ps="\\set k random(1, 108)
SELECT s.* FROM supervise.v_publication_schedule s WHERE s.department_id = (SELECT d.id FROM bench_department d WHERE d.n = :k)
   AND s.event_on >= make_date($year, 1, 1) AND s.event_on < make_date($year + 1, 1, 1);"
# right after plan_visits: nothing vacuumed or summarised since
vacuumed=$(q -c "SELECT s.vacuum_count + s.autovacuum_count - b.n FROM pg_stat_user_tables s, bench_vacuums b
                   WHERE s.relid = 'supervise.visit'::regclass")
lpk=(); ljv=(); lcs=(); lex=(); lic=(); lvr=(); lps=()
for r in 1 2 3; do
  lpk+=("$(lat "$pk")"); ljv+=("$(lat "$jv")"); lcs+=("$(lat "$cs")"); lex+=("$(lat "$ex")")
  lic+=("$(lat "$ic")"); lvr+=("$(lat "$vr")"); lps+=("$(lat "$ps")")
done
rm -rf "$dir"
pkm=$(median "${lpk[@]}"); icm=$(median "${lic[@]}")
[ "$vacuumed" = 0 ] && note="visit not vacuumed since plan_visits" || note="visit was vacuumed"
for x in "one subject's visits (v_joint_visits)|ljv" "one subject's checks (v_checks_per_subject)|lcs" "one subject's exclusion_reason|lex"; do
  name=${x%|*}; arr=${x#*|}; eval "m=\$(median \"\${${arr}[@]}\")"
  echo "province: $name vs a primary-key lookup of one visit row = $(ratio "$m" "$pkm")x ($m ms vs $pkm ms baseline; $note; target <= 3x)"
done
for x in "one department-year of v_visit_report|lvr" "one department-year of v_publication_schedule|lps"; do
  name=${x%|*}; arr=${x#*|}; eval "m=\$(median \"\${${arr}[@]}\")"
  echo "province: $name vs count(*) of its inspections of the year = $(ratio "$m" "$icm")x ($m ms vs $icm ms baseline; target <= 10x)"
done
