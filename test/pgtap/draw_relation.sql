-- draw(task_id, seed, population regclass) runs as the extension owner, so it reads the relation
-- only when the acting role may: the column privileges are checked, a relation under row-level
-- security is refused (the owner would bypass the caller's policies), and only the task's officers
-- draw at all. The draw by an officer who may read the relation is recorded as any draw.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(10);
SET LOCAL search_path = supervise, public;
-- the data are of a past year: the check window of draw() takes that year's day as today
SET supervise.today = '2020-01-06';

CREATE ROLE supervise_test_rel_officer;
CREATE ROLE supervise_test_rel_other;
INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'B', '台江区市场监督管理局', 'market', 4, '350103');
INSERT INTO check_item (id, department_id, code, name, category) VALUES (11, 1, 'SC-03', '食品经营的检查', 'food_safety');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, 2020, 'A 2020', '2020-01-06');
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_size) VALUES
    (1, 1, 1, 'food checks', '2020-03-02', '2020-06-30', '2020-02-10', 5);
INSERT INTO task_item VALUES (1, 11);
SELECT grant_department_officer('supervise_test_rel_officer', ARRAY[1]);
SELECT grant_department_officer('supervise_test_rel_other', ARRAY[2]);
CREATE TABLE public.rel_pop AS
SELECT uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')) AS uscc, 'A'::text AS credit_class, 1.0::float8 AS weight, 'secret' AS note
  FROM generate_series(1, 60) n;
CREATE TABLE public.rel_pop_rls AS SELECT * FROM public.rel_pop;
ALTER TABLE public.rel_pop_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_some ON public.rel_pop_rls FOR SELECT USING (uscc::text < '91350102MA00003');
GRANT SELECT ON public.rel_pop_rls TO supervise_test_rel_officer;
CREATE VIEW public.rel_pop_invoker WITH (security_invoker = true) AS SELECT uscc, credit_class FROM public.rel_pop;
GRANT SELECT ON public.rel_pop_invoker TO supervise_test_rel_officer;

SELECT is((SELECT prosecdef FROM pg_proc WHERE oid = 'supervise.draw(bigint, bytea, regclass, text)'::regprocedure), true,
          'draw over a relation runs as the extension owner (as draw does)');

SET ROLE supervise_test_rel_other;
SELECT throws_ok($$SELECT supervise.draw(1, supervise.seed_from('x'), population => 'public.rel_pop')$$, '42501',
                 'permission denied to draw task 1', 'an officer of another department cannot draw the task over a relation');
RESET ROLE;

SET ROLE supervise_test_rel_officer;
SELECT throws_ok($$SELECT supervise.draw(1, supervise.seed_from('x'), population => 'public.rel_pop')$$, '42501',
                 'permission denied for relation public.rel_pop', 'the task''s officer cannot draw over a relation it may not read');
SELECT throws_ok($$SELECT supervise.draw(1, supervise.seed_from('x'), population => 'public.rel_pop_rls')$$, '42501',
                 'relation public.rel_pop_rls has row-level security', 'a relation under row-level security is refused');
SELECT throws_ok($$SELECT supervise.draw(1, supervise.seed_from('x'), population => 'public.rel_pop_invoker')$$, '42501',
                 'relation public.rel_pop_invoker is a security_invoker view',
                 'a security_invoker view over a table the officer may not read is refused (read as the owner it would not be)');
SELECT throws_ok($$SELECT supervise.relation_population(1, 'public.rel_pop', false, false, supervise.seed_from('x'), 'sha256-v1')$$, '42501', NULL,
                 'relation_population is not for callers');
SELECT throws_ok($$SELECT supervise.excluded_codes('SELECT uscc FROM public.rel_pop')$$, '42501', NULL,
                 'excluded_codes is not for callers');
RESET ROLE;
-- the columns it needs are enough (a draw without strata reads uscc only; note stays unreadable)
GRANT SELECT (uscc) ON public.rel_pop TO supervise_test_rel_officer;
SET ROLE supervise_test_rel_officer;
SELECT lives_ok($$SELECT supervise.draw(1, supervise.seed_from('x'), population => 'public.rel_pop')$$,
                'the task''s officer draws over a relation whose uscc it may read');
RESET ROLE;
SELECT is((SELECT population_size::int || ' ' || target_count || ' ' || drawn_by FROM draw_record WHERE task_id = 1),
          '60 5 supervise_test_rel_officer', 'the draw is recorded with its population, targets and the officer');
SELECT ok((SELECT verify_draw(id) FROM draw_record WHERE task_id = 1), 'and verifies');

SELECT * FROM finish();
ROLLBACK;
