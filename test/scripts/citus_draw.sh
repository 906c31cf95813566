#!/usr/bin/env bash
# A draw over a Citus distributed table equals the same draw over a local copy of its rows, byte
# for byte. Makes its own three-node Citus cluster on this machine (a coordinator and two workers,
# each a fresh cluster started with pg_ctl on 127.0.0.1, shared_preload_libraries = citus), then:
#   - distributes a table of 60,000 subjects by uscc (and keeps a local copy on the coordinator);
#   - shows the pushdown: EXPLAIN VERBOSE of population_agg, draw_part_agg and sample_agg over the
#     distributed table has worker_partial_agg in the workers' queries and coord_combine_agg on the
#     coordinator; draw_part_agg over it equals draw_part_agg over the local copy, byte for byte;
#   - draws one task over the distributed table and again (after cancelling) over the local copy,
#     with exclusions by the limits (a live draw of the same category) and inactive subjects, and
#     compares the records: population, digest, allocation, size and targets; verify_draw on both;
#   - sample_agg over the distributed table equals the serial answer over the local copy;
#   - prints the time of the distributed draw against the local one.
# Prints "skipped: citus not installed" (exit 0) when PostgreSQL has no citus extension.
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)
sharedir=$("$PG_CONFIG" --sharedir)
if [ ! -f "$sharedir/extension/citus.control" ]; then
  echo "skipped: citus not installed"
  exit 0
fi

# three TCP ports nothing listens on, from 55481 up (another cluster on this machine may hold some)
free_ports() {
  python3 -c '
import socket
found = []
for p in range(55481, 55681):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        found.append(str(p))
    except OSError:
        pass
    finally:
        s.close()
    if len(found) == 3:
        break
print(" ".join(found))'
}
ports=(${SUPERVISE_CITUS_PORTS:-$(free_ports)})
names=(coordinator worker1 worker2)
work=$(mktemp -d /tmp/supervise-citus.XXXXXX)
owner=$(id -un)
[ "$(id -u)" = 0 ] && owner=postgres
chown "$owner" "$work"
runas() { if [ "$(id -un)" = "$owner" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }
cleanup() {
  for i in 0 1 2; do
    [ -f "$work/${names[$i]}/postmaster.pid" ] && runas "$bindir/pg_ctl" stop -D "$work/${names[$i]}" -m immediate >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

for i in 0 1 2; do
  d=$work/${names[$i]}
  runas "$bindir/initdb" -D "$d" -U postgres -A trust --encoding=UTF8 --no-locale >"$work/initdb-$i.log" 2>&1
  cat >>"$d/postgresql.conf" <<EOF
port = ${ports[$i]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
shared_preload_libraries = 'citus'
max_connections = 60
shared_buffers = 64MB
max_worker_processes = 16
max_parallel_workers_per_gather = 0
EOF
  # (started twice at most: once in a full CI run a start failed and left no log to read)
  if ! runas "$bindir/pg_ctl" start -D "$d" -l "$work/${names[$i]}.log" -w -t 120 >/dev/null; then
    echo "# the ${names[$i]} did not start on port ${ports[$i]}, once:"; tail -20 "$work/${names[$i]}.log" | sed 's/^/# /'
    sleep 2
    if ! runas "$bindir/pg_ctl" start -D "$d" -l "$work/${names[$i]}.log" -w -t 120 >/dev/null; then
      echo "not ok - the ${names[$i]} did not start on port ${ports[$i]}:"; tail -20 "$work/${names[$i]}.log"; exit 1
    fi
  fi
done

# (PG* variables of the caller's cluster are not wanted here)
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE
node() { local i=$1; shift; "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${ports[$i]}" -U postgres "$@"; }
for i in 0 1 2; do
  node "$i" -d postgres -c "CREATE DATABASE supervise_citus"
  node "$i" -d supervise_citus -c "CREATE EXTENSION citus"
done
c() { node 0 -d supervise_citus "$@"; }
c -At -c "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})" >/dev/null
c -At -c "SELECT citus_add_node('127.0.0.1', ${ports[1]}); SELECT citus_add_node('127.0.0.1', ${ports[2]})" >/dev/null
echo "citus $(c -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"): coordinator on ${ports[0]}, workers on ${ports[1]} and ${ports[2]}"

# supervise on the coordinator (Citus creates it on the workers too: the aggregates run there)
c >/dev/null <<'SQL'
CREATE EXTENSION supervise;
SET search_path = supervise, public;
INSERT INTO department (id, code, name, system, level, region) VALUES (1, 'SAMR', 'national market regulation', 'market', 1, '');
-- the national directory: 60,000 subjects, distributed by code; a local copy of the same rows
CREATE TABLE public.national (uscc supervise.uscc NOT NULL, credit_class text NOT NULL, weight double precision NOT NULL);
SELECT create_distributed_table('public.national', 'uscc');
INSERT INTO public.national
SELECT uscc::supervise.uscc, credit_class, risk_level::double precision FROM supervise.sample_subjects(60000, 18);
CREATE TABLE public.national_local AS SELECT * FROM public.national;
-- the department's own directory knows some of them, a tenth not active
INSERT INTO subject (uscc, name, region, industry, credit_class, risk_level, status)
SELECT uscc, 'subject ' || n, '350100', 'I', credit_class, weight::smallint,
       CASE WHEN n % 10 = 0 THEN 'deregistered' ELSE 'active' END
  FROM (SELECT uscc, credit_class, weight, row_number() OVER (ORDER BY uscc) AS n FROM public.national_local) x
 WHERE n <= 3000;
INSERT INTO check_item (id, department_id, code, name, category) VALUES (1, 1, 'F-01', 'food safety', 'food');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, extract(year FROM current_date)::int, 'plan', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
  (1, 1, 1, 'earlier food checks', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 400),
  (2, 1, 1, 'national food checks', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, NULL);
INSERT INTO task_item VALUES (1, 1), (2, 1);
INSERT INTO task_stratum VALUES (2, 'A', 0.01), (2, 'B', 0.02), (2, 'C', 0.05), (2, 'D', 0.1);
-- a live draw of the same category this year: its 400 targets are excluded from task 2
SELECT supervise.draw(1, supervise.seed_from('earlier'));
SQL
echo "national: $(c -At -c "SELECT count(*) FROM public.national") rows in $(c -At -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'public.national'::regclass") shards on $(c -At -c "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid > 0") workers"

fail=0
check() { # check NAME ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: got '$2', expected '$3'"; fail=1; fi
}

# the pushdown: the aggregates run on the workers (worker_partial_agg), only states travel
plan=$(c -At -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT supervise.population_agg(uscc, credit_class, NULL, ''::bytea) FROM public.national")
echo "$plan" | grep -E 'worker_partial_agg|coord_combine_agg' | head -3 | sed 's/^/  /'
check "population_agg is pushed down to the workers" "$(echo "$plan" | grep -c 'worker_partial_agg(.*population_agg' || true)" 1
check "population_agg's states are combined on the coordinator" "$(echo "$plan" | grep -c 'coord_combine_agg' || true)" 1
plan=$(c -At -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT supervise.sample_agg(uscc::text, NULL, 15, supervise.seed_from('s')) FROM public.national")
check "sample_agg is pushed down to the workers" "$(echo "$plan" | grep -c 'worker_partial_agg(.*sample_agg' || true)" 1

# sample_agg over the distributed table = the serial answer over the local copy
for w in NULL weight; do
  same=$(c -At -c "SET max_parallel_workers_per_gather = 0;
    SELECT (SELECT supervise.sample_agg(uscc::text, $w, 15, supervise.seed_from('s')) FROM public.national)
         = (SELECT supervise.sample_agg(uscc::text, $w, 15, supervise.seed_from('s')) FROM public.national_local)")
  check "sample_agg (weight $w) over the distributed table equals the serial answer" "$same" t
done
same=$(c -At -c "SELECT (SELECT supervise.population_agg(uscc, credit_class, weight) FROM public.national)
                      = (SELECT supervise.population_agg(uscc, credit_class, weight) FROM public.national_local)")
check "population_agg over the distributed table equals it over the local copy" "$same" t
plan=$(c -At -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT supervise.draw_part_agg(uscc, credit_class, NULL, ''::bytea, supervise.seed_from('p'), '{A,B}', '{0.05,0.1}') FROM public.national")
check "draw_part_agg (the population and the selection's candidates) is pushed down to the workers" "$(echo "$plan" | grep -c 'worker_partial_agg(.*draw_part_agg' || true)" 1
same=$(c -At -c "SELECT (SELECT supervise.draw_part_agg(uscc, credit_class, NULL, ''::bytea, supervise.seed_from('p'), '{A,B}', '{0.05,0.1}') FROM public.national)
                      = (SELECT supervise.draw_part_agg(uscc, credit_class, NULL, ''::bytea, supervise.seed_from('p'), '{A,B}', '{0.05,0.1}') FROM public.national_local)")
check "draw_part_agg over the distributed table equals it over the local copy" "$same" t

# the draw: over the distributed table, then (cancelled) over the local copy
t_dist=$(c -At -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" )
# (the remote commands it sends are logged: each shard's query runs draw_part_agg on a worker)
d_dist=$(c -At -c "SET citus.log_remote_commands = on; SET client_min_messages = log;
                   SELECT supervise.draw(2, supervise.seed_from('national 2026'), population => 'public.national')" 2>"$work/remote.txt")
t_dist=$(c -At -c "SELECT round(extract(epoch FROM clock_timestamp()) * 1000 - $t_dist)")
c -At -c "SELECT supervise.cancel_draw($d_dist, 'the same draw over the local copy')" >/dev/null
check "the distributed draw ran draw_part_agg on the workers (worker_partial_agg in its remote commands)" \
  "$(grep -c 'worker_partial_agg(.*supervise.draw_part_agg' "$work/remote.txt" | awk '{print ($1 > 0) ? "yes" : "no"}')" yes
t_loc=$(c -At -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" )
d_loc=$(c -At -c "SELECT supervise.draw(2, supervise.seed_from('national 2026'), population => 'public.national_local')")
t_loc=$(c -At -c "SELECT round(extract(epoch FROM clock_timestamp()) * 1000 - $t_loc)")
c -At -c "SELECT 'records: population ' || pg_size_pretty(octet_length(population)::bigint) || ' of ' || population_size || ' rows, '
                 || target_count || ' targets, allocation ' || allocation::text FROM supervise.draw_record WHERE id = $d_loc" | sed 's/^/  /'
check "the records are the same: population, digest, size, allocation, algorithm, seed" \
  "$(c -At -c "SELECT a.population = b.population AND a.population_digest = b.population_digest AND a.population_size = b.population_size
                      AND a.allocation = b.allocation AND a.algorithm = b.algorithm AND a.seed = b.seed AND a.target_count = b.target_count
                 FROM supervise.draw_record a, supervise.draw_record b WHERE a.id = $d_dist AND b.id = $d_loc")" t
check "the targets are the same, with strata and ranks" \
  "$(c -At -c "SELECT (SELECT array_agg(array[stratum, rank::text, uscc::text] ORDER BY stratum, rank) FROM supervise.draw_target WHERE draw_id = $d_dist)
                    = (SELECT array_agg(array[stratum, rank::text, uscc::text] ORDER BY stratum, rank) FROM supervise.draw_target WHERE draw_id = $d_loc)")" t
check "verify_draw holds on both" "$(c -At -c "SELECT supervise.verify_draw($d_dist) AND supervise.verify_draw($d_loc)")" t
check "the excluded are left out (400 drawn earlier, 300 not active)" \
  "$(c -At -c "SELECT population_size FROM supervise.draw_record WHERE id = $d_dist")" \
  "$(c -At -c "SELECT count(*) FROM public.national_local n
                WHERE NOT EXISTS (SELECT 1 FROM supervise.draw_target t JOIN supervise.draw_record r ON r.id = t.draw_id
                                   WHERE r.task_id = 1 AND t.uscc = n.uscc)
                  AND NOT EXISTS (SELECT 1 FROM supervise.subject s WHERE s.uscc = n.uscc AND s.status <> 'active')")"
echo "time: the draw over the distributed table (2 workers) $t_dist ms vs over the local copy $t_loc ms"

[ $fail = 0 ] && echo "citus: all checks passed" || { echo "citus: some checks failed"; tail -20 "$work"/*.log; }
exit $fail
