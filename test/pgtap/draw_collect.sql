-- population_collect (the draw's population read in C) agrees with population_agg and refuses bad
-- queries and rows; a draw made through it verifies; the audit entry of a draw keeps its digest but
-- not its population.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(32);
SET search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2026-01-10';
SELECT count(*) AS generated FROM generate_sample(3000, 11) \gset
-- a task of a department with a directory, drawn by ratio
INSERT INTO plan (department_id, year, title, approved_on)
SELECT department_id, 2026, 'collect test', '2026-01-10' FROM directory ORDER BY id LIMIT 1;
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio, directory_id)
SELECT p.id, p.department_id, 'collect test', '2026-03-01', '2026-05-31', '2026-01-10', 0.05,
       (SELECT d.id FROM directory d WHERE d.department_id = p.department_id ORDER BY d.id LIMIT 1)
  FROM plan p WHERE p.title = 'collect test';
INSERT INTO task_item (task_id, item_id)
SELECT t.id, (SELECT i.id FROM check_item i WHERE i.department_id = t.department_id ORDER BY i.id LIMIT 1) FROM task t WHERE t.title = 'collect test';

-- the same bytes as the aggregate, stratified or not, weighted or not
SELECT is(population_collect('SELECT uscc, credit_class, risk_level::float8 FROM supervise.subject WHERE status = ''active''', true, false),
          (SELECT population_agg(uscc, credit_class, NULL) FROM subject WHERE status = 'active'),
          'population_collect = population_agg over the same rows (stratified)');
SELECT is(population_collect('SELECT uscc, credit_class, risk_level::float8 FROM supervise.subject', false, true),
          (SELECT population_agg(uscc, 'all', risk_level::float8) FROM subject),
          'population_collect = population_agg (one stratum, weighted)');
SELECT is(population_collect('SELECT uscc, credit_class, 1.0::float8 FROM supervise.subject ORDER BY random()', true, false),
          population_collect('SELECT uscc, credit_class, 1.0::float8 FROM supervise.subject ORDER BY uscc DESC', true, false),
          'the population does not depend on row order');
SELECT is((SELECT sum(n) FROM population_strata(population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject WHERE false', true, false))),
          NULL, 'an empty query gives an empty population');
SELECT is((SELECT array_agg(stratum || '=' || n ORDER BY stratum) FROM population_strata(
              population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject WHERE status = ''active''', true, false))),
          (SELECT array_agg(credit_class || '=' || c ORDER BY credit_class) FROM
              (SELECT credit_class, count(*) c FROM subject WHERE status = 'active' GROUP BY 1) x),
          'strata sizes are the per-class counts');
-- what draw() runs is eligible_population's query
SELECT is(population_collect(eligibility_query(t.id), false, false),
          (SELECT population_agg(e.uscc, 'all', NULL) FROM eligible_population(t.id) e),
          'draw''s population = eligible_population() for a task with a directory')
  FROM task t WHERE t.title = 'collect test';

-- bad queries and rows
SELECT throws_ok($$SELECT population_collect('SELECT uscc::text, credit_class, 1.0::float8 FROM supervise.subject', true, false)$$,
                 '42804', 'a population query must return (uscc, text, double precision)', 'wrong column types are refused');
SELECT throws_ok($$SELECT population_collect('SELECT now()::timetz, ''A''::text, 1.0::float8', true, false)$$,
                 '42804', 'a population query must return (uscc, text, double precision)',
                 'another 12-byte type in the code column is refused');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class FROM supervise.subject', true, false)$$,
                 '42804', NULL, 'two columns are refused');
SELECT throws_ok($$SELECT population_collect('DELETE FROM supervise.subject_reject', true, false)$$,
                 '22023', 'a population query must be one SELECT', 'a DELETE is refused, not run');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, 1.0::float8 FROM supervise.subject; DELETE FROM supervise.subject_reject', true, false)$$,
                 '22023', 'a population query must be one SELECT', 'two statements are refused');
SELECT throws_ok($$SELECT eligibility_query(987654321)$$, '22023', 'task 987654321 does not exist',
                 'the eligibility query of a task that does not exist is an error');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, NULL::text, 1.0::float8 FROM supervise.subject', true, false)$$,
                 '22004', 'a draw population row cannot have a NULL stratum', 'a NULL stratum is refused');
SELECT lives_ok($$SELECT population_collect('SELECT uscc, NULL::text, NULL::float8 FROM supervise.subject', false, false)$$,
                'without strata the stratum column is not read');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject', true, true)$$,
                 '22004', 'a weighted draw population row cannot have a NULL weight', 'a NULL weight in a weighted population is refused');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, -1.0::float8 FROM supervise.subject', true, true)$$,
                 '22023', 'draw weight must be a positive finite number, not -1', 'a negative weight is refused');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, 1.0::float8 FROM supervise.subject UNION ALL SELECT uscc, credit_class, 1.0::float8 FROM supervise.subject', true, false)$$,
                 '22023', 'invalid draw population', 'a code twice in a stratum is refused');
SELECT is((SELECT has_function_privilege('public', 'supervise.population_collect(text, boolean, boolean, text)', 'EXECUTE')),
          false, 'population_collect (it runs a query) is not executable by PUBLIC');
SELECT is((SELECT has_function_privilege('public', 'supervise.eligibility_parts(bigint)', 'EXECUTE')),
          false, 'eligibility_parts is not executable by PUBLIC');
SELECT throws_ok($$SELECT population_collect(NULL, true, false)$$,
                 '22004', 'population_collect needs a query, stratified and weighted', 'a NULL query is refused');

-- excluded codes (the limits): left out as NOT EXISTS would leave them out
CREATE TEMP TABLE excl AS SELECT uscc FROM subject WHERE status = 'active' AND (hashtext(uscc::text) % 5 = 0 OR credit_class = 'D');
SELECT ok((SELECT count(*) FROM excl) > 100 AND EXISTS (SELECT 1 FROM subject WHERE credit_class = 'D' AND status = 'active'),
          'a fifth of the active subjects and every active subject of class D are to be excluded');
SELECT is(population_collect('SELECT uscc, credit_class, risk_level::float8 FROM supervise.subject WHERE status = ''active''', true, true,
                             'SELECT uscc FROM excl UNION ALL SELECT uscc FROM excl UNION ALL SELECT NULL::supervise.uscc'),
          (SELECT population_agg(s.uscc, s.credit_class, s.risk_level::float8) FROM subject s
            WHERE s.status = 'active' AND NOT EXISTS (SELECT 1 FROM excl x WHERE x.uscc = s.uscc)),
          'population_collect less an exclusion query = population_agg of the rows NOT EXISTS leaves (codes twice, NULLs ignored)');
SELECT is(population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject WHERE status = ''active''', true, false,
                             'SELECT x.uscc FROM excl x, generate_series(1, 60) g ORDER BY g DESC, x.uscc DESC'),
          (SELECT population_agg(s.uscc, s.credit_class, NULL) FROM subject s
            WHERE s.status = 'active' AND NOT EXISTS (SELECT 1 FROM excl x WHERE x.uscc = s.uscc)),
          'an exclusion list larger than the sort''s scratch (each code 60 times, in descending order) leaves out the same rows');
SELECT is((SELECT array_agg(stratum ORDER BY stratum) FROM population_strata(population_collect(
              'SELECT uscc, credit_class, NULL::float8 FROM supervise.subject WHERE status = ''active''', true, false, 'SELECT uscc FROM excl'))),
          (SELECT array_agg(DISTINCT credit_class ORDER BY credit_class) FROM subject WHERE status = 'active' AND credit_class <> 'D'),
          'a stratum whose every row is excluded is not in the population');
SELECT is(population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject', true, false, 'SELECT uscc FROM supervise.subject'),
          population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject WHERE false', true, false),
          'everything excluded gives the empty population');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject', true, false, 'SELECT uscc::text FROM excl')$$,
                 '42804', 'an exclusion query must return one column of type uscc', 'an exclusion query of text is refused');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject', true, false, 'SELECT uscc, 1 FROM excl')$$,
                 '42804', NULL, 'an exclusion query of two columns is refused');
SELECT throws_ok($$SELECT population_collect('SELECT uscc, credit_class, NULL::float8 FROM supervise.subject', true, false, 'DELETE FROM supervise.subject_reject')$$,
                 '22023', 'an exclusion query must be one SELECT', 'an exclusion DELETE is refused, not run');

-- a draw through the collector
SELECT draw(t.id, seed_from('collect')) AS d FROM task t WHERE t.title = 'collect test' \gset
SELECT ok((SELECT count(*) FROM draw_target WHERE draw_id = :d) > 0, 'the draw has targets');
SELECT ok(verify_draw(:d), 'and it verifies');
SELECT is((SELECT population FROM draw_record WHERE id = :d),
          (SELECT population_agg(e.uscc, 'all', NULL) FROM eligible_population(t.id) e),
          'its recorded population is eligible_population() in compact form')
  FROM task t WHERE t.title = 'collect test';
-- the trail has the draw's digest, not its population
SELECT is((SELECT (detail ? 'population_digest') AND NOT (detail ? 'population') FROM audit_log
            WHERE object_kind = 'draw_record' AND object_id = :d AND action = 'draw'),
          true, 'the audit entry of a draw has its digest and not its population');
SELECT * FROM finish();
ROLLBACK;
