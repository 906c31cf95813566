#!/usr/bin/env bash
# Draw benchmarks. Runs inside the bench cluster (bench/run.sh). Scale: SUPERVISE_BENCH_SCALE
# (default 0.1 = 1,000,000 subjects; 1 = 10,000,000). Every ratio is measured in this run:
#   draw: 4-stratum draw(), everything it records    vs SELECT count(*) over the same table
#   draw: its first step alone (population_collect)  vs the same count(*)
#   draw: plain SQL ORDER BY sha256(B || code) LIMIT k per stratum  vs draw()
#   draw: sample_agg with 2 parallel workers          vs 1 worker                            (target < 1x)
#   draw: match_inspectors 500k targets / 5000 inspectors (scaled) vs INSERT of as many assignment rows
#   draw: the same draw over a relation (draw(task, seed, population => 'supervise.subject')), its
#         population built by population_agg in 2 parallel workers  vs a one-worker count(*)   (aim <= 4x)
#         and with 1 worker against 2; where its time goes (track_functions)
# and the draw backend's peak private memory (RssAnon, sampled from /proc while it draws).
set -euo pipefail
scale=${SUPERVISE_BENCH_SCALE:-0.1}
n=$(python3 -c "print(int(10000000 * $scale))")
targets=$(python3 -c "print(max(1000, int(500000 * $scale)))")
inspectors=$(python3 -c "print(max(20, int(5000 * $scale)))")
db=supervise_bench_draw
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

q <<SQL
CREATE EXTENSION supervise;
SET search_path = supervise, public;
-- codes 91350100 + 9 digits + check; the digits are a permutation of g so codes are spread out
CREATE FUNCTION public.bench_code(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \$\$
  SELECT ('91350100' || lpad(n::text, 9, '0')
          || substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
                    ((31 - (200 + 20 * (n / 100000000 % 10) + 29 * (n / 10000000 % 10) + 25 * (n / 1000000 % 10)
                           + 13 * (n / 100000 % 10) + 8 * (n / 10000 % 10) + 24 * (n / 1000 % 10) + 10 * (n / 100 % 10)
                           + 30 * (n / 10 % 10) + 28 * (n % 10)) % 31) % 31)::int + 1, 1))::supervise.uscc
\$\$;
INSERT INTO department (id, code, name, system, level, region) VALUES (1, 'SAMR-350100', 'bench', 'market', 3, '3501');
INSERT INTO subject (uscc, name, region, industry, credit_class, risk_level, status)
SELECT bench_code((g::bigint * 7919) % 1000000000), 'subject ' || g, '350100', 'I' || (g % 97),
       (ARRAY['A','A','A','B','B','B','B','C','C','D'])[1 + (g * 37) % 10], 1 + g % 4,
       CASE WHEN g % 20 = 0 THEN 'deregistered' ELSE 'active' END
  FROM generate_series(1, $n) g;
VACUUM (ANALYZE, FREEZE) subject;
INSERT INTO check_item (id, department_id, code, name, category) VALUES (1, 1, 'I', 'item', 'cat');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, extract(year FROM current_date)::int, 'p', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
  (1, 1, 1, 'four strata', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, NULL),
  (2, 1, 1, 'matching', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, $targets);
INSERT INTO task_item VALUES (1, 1), (2, 1);
INSERT INTO task_stratum VALUES (1, 'A', 0.01), (1, 'B', 0.03), (1, 'C', 0.05), (1, 'D', 0.1);
INSERT INTO inspector (department_id, name, badge_no) SELECT 1, 'inspector ' || g, 'B-' || g FROM generate_series(1, $inspectors) g;
CREATE FUNCTION public.bench_ms(sql text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE sql; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$;
SQL
size=$(q -c "SELECT pg_size_pretty(pg_table_size('supervise.subject'))")
echo "draw: $n subjects ($size), $targets targets and $inspectors inspectors for matching"

median() { python3 -c "import sys,statistics; print('%.1f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b if b else 0))" "$1" "$2"; }

# 1. draw vs count(*), one process each (warm cache first)
q -c "SELECT count(*) FROM supervise.subject" >/dev/null
counts=(); draws=(); collects=()
for i in 1 2 3; do
  counts+=("$(q -c "SET max_parallel_workers_per_gather = 0; SELECT bench_ms('SELECT count(*) FROM supervise.subject')" | tail -1)")
  draws+=("$(q -c "SET max_parallel_workers_per_gather = 0;
                   SELECT bench_ms('SELECT supervise.draw(1, supervise.seed_from(''bench $i''))')" | tail -1)")
  q -c "SELECT supervise.cancel_draw(id, 'bench repeat') FROM supervise.draw_record WHERE task_id = 1 AND cancelled_at IS NULL" >/dev/null
  # the first step of a draw alone: the eligible population read, sorted and encoded as draw() does
  collects+=("$(q -c "SET max_parallel_workers_per_gather = 0;
                     SELECT bench_ms('SELECT octet_length(supervise.population_collect(p.candidates, true, false, p.excluded))
                                        FROM supervise.eligibility_parts(1) p')" | tail -1)")
done
c=$(median "${counts[@]}"); d=$(median "${draws[@]}"); e=$(median "${collects[@]}")
echo "draw: 4-stratum draw vs count(*) = $(ratio "$d" "$c")x ($d ms vs $c ms baseline)"
echo "draw: its first step alone, the population read, sorted and encoded (no hashing, no writes), vs count(*) = $(ratio "$e" "$c")x ($e ms vs $c ms baseline)"
q -c "SELECT 'draw: ' || target_count || ' targets of ' || population_size || ', population recorded in '
             || pg_size_pretty(pg_column_size(population)::bigint) FROM supervise.draw_record WHERE task_id = 1 ORDER BY id DESC LIMIT 1"

# peak memory of a backend that does one draw: its private memory (RssAnon in /proc, sampled every
# 10 ms while it draws) and its max resident size (VmHWM, which also counts the shared buffers it
# touched, so it grows with shared_buffers and is not what the draw itself allocates)
memfile=$(mktemp)
coproc MP { psql -X -q -At -d "$db" 2>&1; }
echo "SELECT pg_backend_pid();" >&"${MP[1]}"; read -r -u "${MP[0]}" mpid
(peak=0
 while [ -r "/proc/$mpid/status" ]; do
   a=$(awk '/^RssAnon:/ {print $2}' "/proc/$mpid/status" 2>/dev/null || true)
   if [ -n "$a" ] && [ "$a" -gt "$peak" ]; then peak=$a; echo "$peak" > "$memfile"; fi
   sleep 0.01
 done) &
poller=$!
echo "SET max_parallel_workers_per_gather = 0; SELECT supervise.draw(1, supervise.seed_from('bench memory')) IS NOT NULL;" >&"${MP[1]}"
read -r -u "${MP[0]}" drawn
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$mpid/status" 2>/dev/null || true)
kill "$poller" 2>/dev/null || true; wait "$poller" 2>/dev/null || true
echo '\q' >&"${MP[1]}"; wait "$MP_PID" 2>/dev/null || true
anon=$(cat "$memfile"); rm -f "$memfile"
q -c "SELECT supervise.cancel_draw(id, 'bench repeat') FROM supervise.draw_record WHERE task_id = 1 AND cancelled_at IS NULL" >/dev/null
[ "$drawn" = t ] || echo "draw: the memory run did not draw ($drawn)"
echo "draw: peak private memory of the drawing backend = $(( ${anon:-0} / 1024 )) MB (RssAnon sampled every 10 ms; max resident size with the shared buffers it touched: $(( ${hwm:-0} / 1024 )) MB)"

# 2. plain SQL: ORDER BY sha256(B || code) LIMIT k per stratum, the same k as the draw
plain=$(q -c "SET max_parallel_workers_per_gather = 0;
  SELECT bench_ms(string_agg(format(
    'SELECT count(*) FROM (SELECT uscc FROM supervise.subject WHERE status = ''active'' AND credit_class = %L
       ORDER BY sha256(convert_to(''supervise/draw/v1'', ''UTF8'') || ''\\x00''::bytea || supervise.seed_from(''bench 1'')
                       || ''\\x0000000000000000000000000000''::bytea || convert_to(uscc::text, ''UTF8'')) LIMIT %s) x',
    a->>'stratum', a->>'k'), '; '))
    FROM supervise.draw_record r, jsonb_array_elements(r.allocation) a
   WHERE r.id = (SELECT min(id) FROM supervise.draw_record WHERE task_id = 1)" | tail -1)
echo "draw: plain SQL ORDER BY sha256 LIMIT k per stratum vs draw() = $(ratio "$plain" "$d")x ($plain ms vs $d ms baseline)"

# 3. sample_agg: 2 parallel workers vs 1
par() { q -c "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
              SET max_parallel_workers_per_gather = $1; SET parallel_leader_participation = off;
              SELECT bench_ms('SELECT supervise.sample_agg(uscc::text, NULL, 1000, supervise.seed_from(''p'')) FROM supervise.subject')" | tail -1; }
p1=(); p2=()
for i in 1 2 3; do p1+=("$(par 1)"); p2+=("$(par 2)"); done
a=$(median "${p2[@]}"); b=$(median "${p1[@]}")
echo "draw: sample_agg 2 workers vs 1 worker = $(ratio "$a" "$b")x ($a ms vs $b ms baseline; target < 1x)"

# 4. the draw over a relation: the subject table itself as the relation (the inactive subjects are
#    left out by the exclusion, so the record is the one draw() makes), its population built by
#    population_agg in parallel workers (the leader only combines), against count(*) in one process
relq() { q -c "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
               SET max_parallel_workers_per_gather = $1; SET parallel_leader_participation = off; $2" | tail -1; }
rel1=(); rel2=()
for i in 1 2 3; do
  for w in 1 2; do
    t=$(relq "$w" "SELECT bench_ms('SELECT supervise.draw(1, supervise.seed_from(''bench 1''), population => ''supervise.subject'')')")
    [ "$w" = 1 ] && rel1+=("$t") || rel2+=("$t")
    q -c "SELECT supervise.cancel_draw(id, 'bench repeat') FROM supervise.draw_record WHERE task_id = 1 AND cancelled_at IS NULL" >/dev/null
  done
done
r1=$(median "${rel1[@]}"); r2=$(median "${rel2[@]}")
echo "draw: over a relation, 2 parallel workers, vs count(*) in one process = $(ratio "$r2" "$c")x ($r2 ms vs $c ms baseline; aim <= 4x)"
echo "draw: over a relation, 2 parallel workers vs 1 worker = $(ratio "$r2" "$r1")x ($r2 ms vs $r1 ms baseline)"
echo "draw: over a relation vs draw(task, seed) = $(ratio "$r2" "$d")x ($r2 ms vs $d ms baseline)"
same=$(q -c "SELECT count(DISTINCT (population, population_digest, allocation)) FROM supervise.draw_record WHERE task_id = 1 AND seed = supervise.seed_from('bench 1')")
echo "draw: records of draw(task, seed) and of the draws over the relation (1 and 2 workers) that differ: $((same - 1))"
# where its time goes: the functions it calls, timed by track_functions in one draw with 2 workers
q -c "SELECT pg_stat_reset()" >/dev/null
relq 2 "SET track_functions = 'all'; SELECT supervise.draw(1, supervise.seed_from('bench 1'), population => 'supervise.subject')" >/dev/null
q -c "SELECT supervise.cancel_draw(id, 'bench repeat') FROM supervise.draw_record WHERE task_id = 1 AND cancelled_at IS NULL" >/dev/null
q -c "SELECT 'draw: over a relation, where the time goes (ms, 2 workers): ' || string_agg(funcname || ' ' || round(self_time), ', ' ORDER BY self_time DESC)
        FROM pg_stat_user_functions WHERE schemaname = 'supervise' AND self_time >= 5"

# 5. match_inspectors vs inserting as many assignment rows with plain SQL
q -c "SELECT supervise.draw(2, supervise.seed_from('matching'))" >/dev/null
m=$(q -c "SELECT bench_ms('SELECT supervise.match_inspectors((SELECT id FROM supervise.draw_record WHERE task_id = 2))')" | tail -1)
rows=$(q -c "SELECT count(*) FROM supervise.assignment")
q -c "DELETE FROM supervise.assignment" >/dev/null
ins=$(q -c "SELECT bench_ms(\$\$INSERT INTO supervise.assignment (draw_id, uscc, inspector_id, department_id)
             SELECT t.draw_id, t.uscc, 1 + (t.rank * 2 + j) % $inspectors, 1 FROM supervise.draw_target t, generate_series(0, 1) j
              WHERE t.draw_id = (SELECT id FROM supervise.draw_record WHERE task_id = 2)\$\$)" | tail -1)
echo "draw: match_inspectors ($rows assignments, $inspectors inspectors) vs INSERT of as many rows = $(ratio "$m" "$ins")x ($m ms vs $ins ms baseline)"
dropdb "$db"
