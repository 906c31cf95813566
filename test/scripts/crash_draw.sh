#!/usr/bin/env bash
# Crash safety: a backend killed (SIGKILL, so the server goes through crash recovery) in the middle
# of a large draw leaves no partial draw behind, and the next draw of the task works and verifies.
# The draw is held in the middle by a test-only trigger that sleeps after the first targets are
# written, so the kill lands while the draw's rows are being inserted.
set -euo pipefail
db=supervise_crash
dropdb --if-exists $db >/dev/null 2>&1 || true
createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE EXTENSION supervise;
SET search_path = supervise, public;
INSERT INTO department (id, code, name, system, level, region) VALUES (1, 'M', 'market', 'market', 4, '350203');
INSERT INTO subject (uscc, name, region, industry, credit_class, risk_level, status)
SELECT uscc::uscc, name, region, industry, credit_class, risk_level::smallint, status FROM sample_subjects(200000, 9);
INSERT INTO check_item (id, department_id, code, name, category) VALUES (1, 1, 'SC-01', 'registration', 'registration');
-- a task of this year (the draws run in other sessions, on today's date: within its period)
INSERT INTO plan (id, department_id, year, title, approved_on)
VALUES (1, 1, extract(year FROM current_date)::integer, 'plan', date_trunc('year', current_date));
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio)
VALUES (1, 1, 1, 'big draw', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day',
        date_trunc('year', current_date), 0.2);
INSERT INTO task_item VALUES (1, 1);
-- test only: hold the draw after its targets are written
CREATE FUNCTION public.hold_draw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
CREATE TRIGGER zz_hold AFTER INSERT ON draw_target FOR EACH STATEMENT EXECUTE FUNCTION public.hold_draw();
SQL
psql -X -q -d $db -c "SELECT supervise.draw(1, supervise.seed_from('crash'))" >/dev/null 2>&1 &
client=$!
pid=""
for _ in $(seq 1 120); do
  pid=$(psql -X -At -d $db -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT supervise.draw(1%' AND wait_event = 'PgSleep'")
  [ -n "$pid" ] && break
  sleep 0.5
done
if [ -z "$pid" ]; then echo "not ok - the draw never reached the hold point"; exit 1; fi
echo "draw backend $pid is in the middle of the draw; killing it with SIGKILL"
kill -9 "$pid"
wait $client || true
for _ in $(seq 1 60); do pg_isready -q && psql -X -At -d $db -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done

fail=0
check() { got=$(psql -X -At -d $db -c "$2"); if [ "$got" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: got '$got', want '$3'"; fail=1; fi; }
check "no draw record survived the crash" "SELECT count(*) FROM supervise.draw_record" 0
check "no drawn target survived the crash" "SELECT count(*) FROM supervise.draw_target" 0
check "no target list on the publication schedule" "SELECT count(*) FROM supervise.publication WHERE kind = 'target_list'" 0
psql -X -q -d $db -c "DROP TRIGGER zz_hold ON supervise.draw_target"
check "the next draw works" "SELECT supervise.draw(1, supervise.seed_from('crash')) > 0" t
check "and verifies" "SELECT bool_and(supervise.verify_draw(id)) FROM supervise.draw_record" t
check "with the whole allocation" "SELECT target_count = (SELECT sum((a->>'k')::int) FROM jsonb_array_elements(allocation) a) AND target_count > 30000 FROM supervise.draw_record" t
exit $fail
