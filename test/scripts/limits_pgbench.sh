#!/usr/bin/env bash
# Limits under load: 4 pgbench clients for 10 seconds (loopback only) draw, cancel and redraw
# eight tasks that share categories in one year, and record inspections, at random: of any subject
# for those eight (refused unless drawn by the task's live draw, or while it has none) and for two
# more tasks that are never drawn (inspections outside draws, which the limits decide).
# Afterwards no subject may be taken twice for one category and year, and none may be checked by a
# county department after its city department took it (superior first). Checked straight from the
# tables, not through the extension's own views. Runs inside the test cluster (PG* set).
set -euo pipefail
db=limits_pgbench
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION supervise;
SELECT count(*) FROM supervise.generate_sample(2000, 3);
CREATE TABLE bench_subject AS SELECT row_number() OVER (ORDER BY uscc) AS n, uscc FROM supervise.subject WHERE status = 'active';
-- six county market departments (food safety, one category) and the Xiamen city market
-- department twice (registration): the city is superior to the three Xiamen counties
CREATE TABLE bench_task (n integer PRIMARY KEY, task_id bigint, department_id bigint);
WITH y AS (SELECT extract(year FROM current_date)::integer AS y),
v(n, dep, item) AS (VALUES (1, 'SAMR-350203', 'SC-03'), (2, 'SAMR-350206', 'SC-03'), (3, 'SAMR-350211', 'SC-03'),
                           (4, 'SAMR-350102', 'SC-03'), (5, 'SAMR-350582', 'SC-03'), (6, 'SAMR-350104', 'SC-03'),
                           (7, 'SAMR-3502', 'SC-01'), (8, 'SAMR-3502', 'SC-01'),
                           (9, 'SAMR-350206', 'SC-03'), (10, 'SAMR-3502', 'SC-01')),
t AS (
    INSERT INTO supervise.task (department_id, kind, title, period_start, period_end, approved_on, sample_size)
    SELECT d.id, 'special', 'pgbench ' || v.n, make_date(y.y, 1, 1), make_date(y.y, 12, 31), make_date(y.y - 1, 12, 1), 150
      FROM v JOIN supervise.department d ON d.code = v.dep, y ORDER BY v.n
    RETURNING id, department_id)
INSERT INTO bench_task SELECT row_number() OVER (ORDER BY id), id, department_id FROM t;
INSERT INTO supervise.task_item (task_id, item_id)
SELECT b.task_id, i.id FROM bench_task b JOIN supervise.check_item i ON i.department_id = b.department_id
 WHERE i.code = CASE WHEN b.n <= 6 OR b.n = 9 THEN 'SC-03' ELSE 'SC-01' END;

-- the order in which checks and cancels happened (clock time of the row change, which comes
-- after the limit locks were taken): superior first is about order
CREATE TABLE bench_log (uscc supervise.uscc, task_id bigint, draw_id bigint, cancel boolean, at timestamptz);
CREATE FUNCTION bench_log_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.bench_log SELECT n.uscc, r.task_id, n.draw_id, false, clock_timestamp()
      FROM new_rows n JOIN supervise.draw_record r ON r.id = n.draw_id;
    RETURN NULL;
END $$;
CREATE TRIGGER bench_log AFTER INSERT ON supervise.draw_target REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bench_log_target();
CREATE FUNCTION bench_log_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.bench_log VALUES (NEW.uscc, NEW.task_id, NULL, false, clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER bench_log AFTER INSERT ON supervise.inspection FOR EACH ROW EXECUTE FUNCTION bench_log_inspection();
CREATE FUNCTION bench_log_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.bench_log VALUES (NULL, NEW.task_id, NEW.id, true, clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER bench_log AFTER UPDATE OF cancelled_at ON supervise.draw_record FOR EACH ROW EXECUTE FUNCTION bench_log_cancel();

CREATE FUNCTION bench_draw(t integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE live bigint;
BEGIN
    PERFORM 1 FROM bench_task b WHERE b.n = t FOR UPDATE;   -- one redraw of a task at a time
    SELECT r.id INTO live FROM supervise.draw_record r JOIN bench_task b ON b.task_id = r.task_id
     WHERE b.n = t AND r.cancelled_at IS NULL;
    IF FOUND THEN
        PERFORM supervise.cancel_draw(live, 'pgbench: draw again');
    END IF;
    PERFORM supervise.draw(b.task_id, NULL) FROM bench_task b WHERE b.n = t;
END $$;
CREATE FUNCTION bench_inspect(t integer, u integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO supervise.inspection (task_id, uscc, department_id, inspected_on)
    SELECT b.task_id, s.uscc, b.department_id, current_date FROM bench_task b, bench_subject s WHERE b.n = t AND s.n = u;
EXCEPTION WHEN exclusion_violation OR unique_violation OR check_violation THEN
    NULL;   -- refused by the limits, not drawn by the task's live draw, or already recorded: fine
END $$;
SQL

printf '\\set t random(1, 8)\nSELECT bench_draw(:t);\n' > "$work/draw.sql"
printf '\\set t random(1, 10)\n\\set u random(1, 1900)\nSELECT bench_inspect(:t, :u);\n' > "$work/inspect.sql"
pgbench -n -c 4 -j 2 -T 10 -f "$work/draw.sql@1" -f "$work/inspect.sql@4" "$db" | tee "$work/pgbench.log"
grep -q "number of failed transactions: 0 " "$work/pgbench.log" || { echo "FAIL: pgbench transactions failed"; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 -d "$db" -At <<'SQL' | tee "$work/result.txt"
-- every check that counts: live draw targets and inspections, with the year, the task's
-- non-exempt categories and its departments, straight from the tables
CREATE TEMP VIEW checks AS
SELECT t.uscc, b.task_id, date_part('year', tk.period_start) AS year, i.category, i.department_id
  FROM supervise.draw_target t JOIN supervise.draw_record r ON r.id = t.draw_id AND r.cancelled_at IS NULL
  JOIN bench_task b ON b.task_id = r.task_id JOIN supervise.task tk ON tk.id = b.task_id
  JOIN supervise.task_item ti ON ti.task_id = b.task_id JOIN supervise.check_item i ON i.id = ti.item_id
UNION
SELECT x.uscc, b.task_id, date_part('year', x.inspected_on), i.category, x.department_id
  FROM supervise.inspection x JOIN bench_task b ON b.task_id = x.task_id
  JOIN supervise.task_item ti ON ti.task_id = b.task_id JOIN supervise.check_item i ON i.id = ti.item_id;
SELECT 'draws ' || count(*) FROM supervise.draw_record;
SELECT 'cancelled ' || count(*) FILTER (WHERE cancelled_at IS NOT NULL) FROM supervise.draw_record;
SELECT 'inspections ' || count(*) FROM supervise.inspection;
SELECT 'live targets ' || count(*) FROM supervise.draw_target t JOIN supervise.draw_record r ON r.id = t.draw_id WHERE r.cancelled_at IS NULL;
SELECT 'taken twice ' || count(*) FROM (
    SELECT uscc, year, category FROM checks GROUP BY 1, 2, 3 HAVING count(DISTINCT task_id) > 1) d;
-- a county check made while a check by its city department (not cancelled by then) existed; an
-- inspection of a target of its task's live draw was decided by that draw (and is left out here)
SELECT 'superior first broken ' || count(*)
  FROM bench_log c JOIN bench_task bc ON bc.task_id = c.task_id
   AND NOT EXISTS (SELECT 1 FROM bench_log d
                    WHERE c.draw_id IS NULL AND d.draw_id IS NOT NULL AND NOT d.cancel
                      AND d.task_id = c.task_id AND d.uscc = c.uscc AND d.at < c.at
                      AND NOT EXISTS (SELECT 1 FROM bench_log x WHERE x.cancel AND x.draw_id = d.draw_id AND x.at < c.at))
  JOIN bench_log u ON u.uscc = c.uscc AND u.at < c.at AND NOT u.cancel
  JOIN bench_task bu ON bu.task_id = u.task_id
 WHERE NOT c.cancel AND supervise.is_superior(bu.department_id, bc.department_id)
   AND NOT EXISTS (SELECT 1 FROM bench_log x WHERE x.cancel AND x.draw_id = u.draw_id AND x.at < c.at)
   AND EXISTS (SELECT 1 FROM supervise.draw_record r WHERE r.id = c.draw_id AND r.cancelled_at IS NULL
               UNION ALL SELECT 1 FROM supervise.inspection i WHERE c.draw_id IS NULL AND i.task_id = c.task_id AND i.uscc = c.uscc);
SELECT 'superior checks ' || count(*) FROM bench_log u JOIN bench_task bu ON bu.task_id = u.task_id WHERE bu.n IN (7, 8, 10) AND NOT u.cancel;
SQL
grep -qx "taken twice 0" "$work/result.txt" || { echo "FAIL: a subject was taken twice for one category and year"; exit 1; }
grep -qx "superior first broken 0" "$work/result.txt" || { echo "FAIL: a county department checked what its city department took"; exit 1; }
draws=$(sed -n 's/^draws //p' "$work/result.txt")
[ "$draws" -ge 5 ] || { echo "FAIL: only $draws draws ran"; exit 1; }
echo "limits_pgbench: ok"
