-- working days (工作日): is_workday, add_workdays, workdays_between, the loader, publication_deadline
SET search_path = supervise, public;
SET datestyle = ISO, YMD;
\set SHOW_CONTEXT never
-- the shipped calendar: 2019-2026
SELECT min(year), max(year), count(*) FROM calendar_year;
SELECT count(*) AS days, count(*) FILTER (WHERE kind = 'work') AS adjusted_working_days FROM calendar_day;
-- known answers (issue 8)
SELECT add_workdays('2025-09-30', 1);
SELECT add_workdays('2025-01-24', 1);
SELECT add_workdays('2026-02-13', 5);
-- n = 0, negative n, from a holiday
SELECT add_workdays('2025-10-04', 0);
SELECT add_workdays('2025-10-09', -1);
SELECT add_workdays('2025-10-05', -1);
SELECT add_workdays('2025-10-05', 1);
SELECT add_workdays('2026-03-02', -5);
-- is_workday: a Sunday made working, a holiday, a plain Monday, a plain Sunday
SELECT is_workday('2025-01-26'), is_workday('2025-10-01'), is_workday('2025-10-13'), is_workday('2025-10-12');
-- workdays_between: (from, to]; reversed is the negative
SELECT workdays_between('2025-09-30', '2025-10-09');
SELECT workdays_between('2025-10-09', '2025-09-30');
SELECT workdays_between('2025-10-01', '2025-10-01');
SELECT workdays_between('2018-12-31', '2026-12-31');
SELECT workdays_between('2025-01-01', '2025-12-31');
-- the first and last loaded days
SELECT add_workdays('2018-12-31', 1), add_workdays('2027-01-01', -1);
-- years not loaded: errors naming the year
SELECT is_workday('2027-01-04');
SELECT add_workdays('2026-12-24', 10);
SELECT add_workdays('2019-01-03', -5);
SELECT workdays_between('2026-12-01', '2027-01-31');
SELECT workdays_between('2018-06-01', '2019-06-01');
SELECT add_workdays('2030-06-01', 0);
-- huge n, infinity and the ends of the date range
SELECT add_workdays('2025-01-01', 2147483647);
SELECT add_workdays('2025-01-01', -2147483648);
SELECT add_workdays('infinity', 1);
SELECT add_workdays('-infinity', -1);
SELECT is_workday('infinity');
SELECT workdays_between('2025-01-01', 'infinity');
SELECT add_workdays('5874897-12-31', 1);
SELECT add_workdays('4714-11-24 BC', -1);
SELECT is_workday('5874897-12-31');
-- NULLs: STRICT
SELECT add_workdays(NULL, 1) IS NULL, add_workdays('2025-01-01', NULL) IS NULL,
       is_workday(NULL) IS NULL, workdays_between(NULL, '2025-01-01') IS NULL;
-- provisional: days of years not loaded count Monday-Friday
SELECT * FROM add_workdays_provisional('2026-12-24', 10);
SELECT * FROM add_workdays_provisional('2026-12-01', 10);
SELECT * FROM add_workdays_provisional('2025-01-01', 2147483647);
-- publication deadlines (Fushun: 10 working days, disposal 7)
SELECT event, amount, unit FROM publication_rule ORDER BY event;
SELECT publication_deadline('plan', '2025-09-30'), publication_deadline('result', '2025-09-30'),
       publication_deadline('disposal', '2025-09-30');
SELECT publication_deadline('verdict', '2025-09-30');
SELECT publication_deadline('result', '2026-12-24');
SELECT publication_deadline('result', NULL) IS NULL;
SELECT * FROM publication_due('result', '2026-12-24');
-- in parallel workers (each builds its own cache)
BEGIN;
-- (the setting is force_parallel_mode before PostgreSQL 16, debug_parallel_query from 16 on)
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'on', true) AS parallel;
SELECT add_workdays('2025-09-30', 1), is_workday('2025-01-26'), workdays_between('2025-09-30', '2025-10-09');
ROLLBACK;
-- loading a year: errors first, nothing changes
SELECT load_calendar(NULL, '[]');
SELECT load_calendar(1800, '[]');
SELECT load_calendar(2027, '{"day": "2027-01-01"}');
SELECT load_calendar(2027, '[{"day": "2027-01-01"}]');
SELECT load_calendar(2027, '[{"day": "2028-01-01", "kind": "off"}]');
SELECT load_calendar(2027, '[{"day": "2027-02-30", "kind": "off"}]');
SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "holiday"}]');
SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "off"}, {"day": "2027-01-01", "kind": "work"}]');
SELECT load_calendar(2026, '[{"day": "2026-01-01", "kind": "off"}]');
SELECT count(*) FROM calendar_year WHERE year = 2027;
-- loading 2027 (a made-up notice) in a transaction that is rolled back
BEGIN;
SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "off", "holiday": "元旦"},
                             {"day": "2027-01-04", "kind": "off", "holiday": "test"},
                             {"day": "2027-01-09", "kind": "work", "holiday": "test"}]');
SELECT add_workdays('2026-12-24', 10);
SELECT is_workday('2027-01-04'), is_workday('2027-01-09');
SELECT * FROM add_workdays_provisional('2026-12-24', 10);
SELECT year, source, shipped, modified FROM calendar_year WHERE year >= 2026 ORDER BY year;
-- replace the year: days not listed any more go back to Monday-Friday
SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "off"}]', 'corrected notice', replace => true);
SELECT is_workday('2027-01-04'), is_workday('2027-01-09');
ROLLBACK;
SELECT add_workdays('2026-12-24', 10);
-- correcting a day; a shipped row becomes modified (kept by pg_dump) and cannot be deleted
SELECT set_calendar_day('2027-01-01', 'off');
SELECT set_calendar_day('2025-10-09', 'holiday');
SELECT set_calendar_day(NULL, 'off');
SELECT set_calendar_day('infinity', 'off');
DELETE FROM calendar_day WHERE day = '2025-10-01';
DELETE FROM calendar_year WHERE year = 2019;
BEGIN;
SELECT set_calendar_day('2025-10-09', 'off', 'test');
SELECT add_workdays('2025-09-30', 1);
SELECT day, kind, holiday, source, shipped, modified FROM calendar_day WHERE day = '2025-10-09';
SELECT set_calendar_day('2025-10-13', 'off', 'test');
SELECT add_workdays('2025-09-30', 1);
ROLLBACK;
SELECT add_workdays('2025-09-30', 1);
-- a row inserted over a shipped one updates it (what a pg_dump restore does)
BEGIN;
INSERT INTO calendar_day (day, kind, holiday) VALUES ('2025-10-08', 'work', 'restored correction');
SELECT day, kind, holiday, shipped, modified FROM calendar_day WHERE day = '2025-10-08';
SELECT add_workdays('2025-09-30', 1);
ROLLBACK;
-- the cache: rebuilt after the rolled-back changes, holding the 8 shipped years
SELECT add_workdays('2025-09-30', 1);
SELECT valid, years FROM calendar_cache_info();
