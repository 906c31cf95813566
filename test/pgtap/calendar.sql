BEGIN;
CREATE EXTENSION supervise;
SELECT plan(24);
SET LOCAL search_path = supervise, public;

-- labels: STABLE (they read tables), STRICT, PARALLEL SAFE
SELECT volatility_is('supervise', 'is_workday', ARRAY['date'], 'stable', 'is_workday is STABLE');
SELECT volatility_is('supervise', 'add_workdays', ARRAY['date', 'integer'], 'stable', 'add_workdays is STABLE');
SELECT volatility_is('supervise', 'workdays_between', ARRAY['date', 'date'], 'stable', 'workdays_between is STABLE');
SELECT volatility_is('supervise', 'publication_deadline', ARRAY['text', 'date'], 'stable', 'publication_deadline is STABLE');
SELECT is_strict('supervise', 'add_workdays', ARRAY['date', 'integer'], 'add_workdays is STRICT');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'supervise.add_workdays(date, integer)'::regprocedure), 's',
          'add_workdays is PARALLEL SAFE');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
            WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'supervise')
              AND obj_description(p.oid, 'pg_proc') IS NULL
              AND p.proname IN ('is_workday', 'add_workdays', 'workdays_between', 'publication_deadline',
                                'load_calendar', 'set_calendar_day', 'mark_published', 'publication_upsert')),
          0::bigint, 'the calendar and publication functions have comments');

-- the known answers
SELECT is(add_workdays('2025-09-30', 1), DATE '2025-10-09', '2025-09-30 + 1 = 2025-10-09');
SELECT is(add_workdays('2025-01-24', 1), DATE '2025-01-26', '2025-01-24 + 1 = 2025-01-26 (a Sunday made working)');
SELECT is(add_workdays('2026-02-13', 5), DATE '2026-02-27', '2026-02-13 + 5 = 2026-02-27');
SELECT is(add_workdays(add_workdays('2025-06-03', 17), -17), DATE '2025-06-03', 'back and forth from a working day');
SELECT is(workdays_between('2025-03-01', add_workdays('2025-03-01', 40)), 40, 'workdays_between inverts add_workdays');
SELECT is(workdays_between('2025-02-01', '2025-08-01') + workdays_between('2025-08-01', '2025-05-01'),
          workdays_between('2025-02-01', '2025-05-01'), 'workdays_between adds up');

-- errors and their SQLSTATEs
SELECT throws_ok($$SELECT add_workdays('2026-12-24', 10)$$, '55000',
                 'holiday calendar for year 2027 is not loaded', 'a year not loaded: 55000, named');
SELECT throws_ok($$SELECT add_workdays('infinity', 1)$$, '22008', NULL, 'infinity: 22008');
SELECT throws_ok($$SELECT add_workdays('5874897-12-31', 1)$$, '22008', 'date out of range', 'past the last date: 22008');
SELECT throws_ok($$SELECT publication_deadline('x', '2025-01-01')$$, '22023', 'unknown publication event "x"', 'unknown event: 22023');
SELECT throws_ok($$SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "x"}]')$$, '22023', NULL, 'bad kind: 22023');
SELECT throws_ok($$SELECT load_calendar(2025, '[]')$$, '23505', NULL, 'loading a loaded year: 23505');
SELECT throws_ok($$DELETE FROM calendar_day WHERE day = '2025-01-01'$$, '55000', NULL, 'shipped day not deletable: 55000');

-- the cache: loaded once, not per call; reloaded after a change, in the same transaction
SELECT add_workdays('2025-01-02', 1);
CREATE TEMP TABLE l0 AS SELECT loads FROM calendar_cache_info();
SELECT count(add_workdays('2025-01-01'::date + i % 500, 3)) FROM generate_series(1, 20000) i;
SELECT is((SELECT loads FROM calendar_cache_info()), (SELECT loads FROM l0), '20000 calls, no reload');
SELECT set_calendar_day('2025-06-03', 'off', 'pgtap');
SELECT is(add_workdays('2025-06-02', 1), DATE '2025-06-04', 'a correction is seen by the next statement');
SELECT cmp_ok((SELECT loads FROM calendar_cache_info()), '>', (SELECT loads FROM l0), 'and the cache was reloaded');
SELECT is((SELECT count(*) FROM calendar_day WHERE NOT shipped OR modified), 1::bigint,
          'only the corrected day would be dumped');

SELECT * FROM finish();
ROLLBACK;
