-- draw_publication(draw_id): one draw's files for the disclosure site, given only when the list is
-- public under the rules of public_targets, with the caller's rights (officers under row-level
-- security, never a public reader). Dates lie in 2020 (long past) or 2099 (far ahead).
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(16);
DO $$ BEGIN
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO PUBLIC', pg_my_temp_schema()::regnamespace);
END $$;
SET LOCAL search_path = supervise, public;
CREATE ROLE supervise_test_reader;
CREATE ROLE supervise_test_officer_a;
CREATE ROLE supervise_test_officer_b;

INSERT INTO department (id, code, name, system, level, region) VALUES
    (1, 'A', '鼓楼区市场监督管理局', 'market', 4, '350102'),
    (2, 'B', '鼓楼区生态环境局', 'ecology', 4, '350102');
INSERT INTO check_item (id, department_id, code, name, category, limit_exempt, exempt_reason) VALUES
    (11, 1, 'SC-01', '营业执照（登记事项）情况的检查', 'registration', true, 'law'),
    (12, 2, 'EE-03', '建设项目环评的检查', 'eia', true, 'environment');
INSERT INTO subject (uscc, name, region)
SELECT uscc_build('91', '350102', 'MA00000' || n), '测试企业' || n, '350102' FROM generate_series(1, 6) n;
CREATE TEMP TABLE s AS SELECT row_number() OVER (ORDER BY uscc) AS n, uscc FROM subject;
GRANT SELECT ON s TO PUBLIC;
INSERT INTO plan (id, department_id, year, title, approved_on, confidential) VALUES
    (1, 1, 2020, 'A 2020 plan', '2020-01-06', NULL),
    (2, 1, 2020, 'A secret plan', '2020-01-06', 'state_secret'),
    (3, 1, 2099, 'A 2099 plan', '2020-01-06', NULL),
    (4, 2, 2020, 'B 2020 plan', '2020-01-06', NULL);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, surprise, sample_ratio, confidential) VALUES
    (1, 1, 1, 'A task',                '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, NULL),
    (2, 3, 1, 'A surprise 2099',       '2099-03-01', '2099-06-30', '2020-02-10', false, 0.5, NULL),
    (3, 1, 1, 'A state secret task',   '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, 'state_secret'),
    (4, 2, 1, 'task of a secret plan', '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, NULL),
    (5, 1, 1, 'A trade secret title',  '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, 'trade_secret'),
    (6, 1, 1, 'A list not published',  '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, NULL),
    (7, 1, 1, 'A cancelled draw',      '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, NULL),
    (8, 4, 2, 'B task',                '2020-03-02', '2020-06-30', '2020-02-10', false, 0.5, NULL);
INSERT INTO task_item (task_id, item_id) VALUES (1, 11), (2, 11), (3, 11), (4, 11), (5, 11), (6, 11), (7, 11), (8, 12);

-- a draw per task, recorded directly (draw() draws tasks of the current year only); draw 1 is
-- weighted over two strata, one of them with a name CSV must quote
CREATE TEMP TABLE pop AS
SELECT uscc, CASE WHEN n <= 2 THEN 'A' ELSE 'x,"y"' END AS stratum, (n * 0.5)::float8 AS weight FROM s;
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest,
                         allocation, target_count, population)
SELECT t, t, 'sha256-v1-weighted', seed_from('draw ' || t), 'given', 6, sha256('p'),
       '[{"stratum": "A", "n": 2, "k": 1}, {"stratum": "x,\"y\"", "n": 4, "k": 2}]', 3,
       (SELECT population_agg(uscc, stratum, weight) FROM pop)
  FROM generate_series(1, 8) t;
INSERT INTO draw_target (draw_id, uscc, stratum, rank)
SELECT t, s.uscc, CASE WHEN s.n <= 2 THEN 'A' ELSE 'x,"y"' END, CASE WHEN s.n = 4 THEN 1 WHEN s.n = 6 THEN 2 ELSE 1 END
  FROM generate_series(1, 8) t, s WHERE s.n IN (1, 4, 6);
DO $$ BEGIN
    PERFORM supervise.cancel_draw(7, 'wrong directory');
    PERFORM supervise.publication_upsert('target_list', t, CASE WHEN t = 8 THEN 2 ELSE 1 END, '2020-02-20')
       FROM generate_series(1, 8) t;
    PERFORM supervise.mark_published('target_list', t, '2020-02-24') FROM generate_series(1, 8) t WHERE t <> 6;
END $$;
UPDATE task SET surprise = true WHERE id = 2;     -- published, then made a surprise task

SELECT is(draw_publication(1)->>'population_csv',
          E'uscc,stratum,weight\n'
          || (SELECT string_agg(format('%s,%s,%s', uscc, CASE WHEN stratum = 'A' THEN 'A' ELSE '"x,""y"""' END, weight),
                                E'\n' ORDER BY stratum COLLATE "C", uscc) FROM pop) || E'\n',
          'the population as draw_population exported with CSV HEADER: codes in order by stratum, a stratum with a comma quoted');
SELECT is(draw_publication(1)->>'targets_csv',
          format(E'stratum,rank,uscc\nA,1,%s\n"x,""y""",1,%s\n"x,""y""",2,%s\n',
                 (SELECT uscc FROM s WHERE n = 1), (SELECT uscc FROM s WHERE n = 4), (SELECT uscc FROM s WHERE n = 6)),
          'the target list: stratum, rank, code, by stratum then rank');
SELECT is(draw_publication(1) - 'population_csv' - 'targets_csv' - 'drawn_on',
          jsonb_build_object('draw_id', 1, 'task_id', 1, 'task_title', 'A task', 'withheld', NULL,
                             'published_on', '2020-02-24', 'algorithm', 'sha256-v1-weighted',
                             'seed_hex', encode(seed_from('draw 1'), 'hex'),
                             'allocation', '[{"stratum": "A", "n": 2, "k": 1}, {"stratum": "x,\"y\"", "n": 4, "k": 2}]'::jsonb,
                             'population_size', 6, 'population_digest_hex', encode(sha256('p'), 'hex')),
          'what else is published: the task, the days, the algorithm, seed, allocation and digest');
SELECT is((SELECT count(*) FROM public_targets WHERE draw_id = 1), 3::bigint, 'the same draw is in public_targets');
SELECT row_eq($$SELECT draw_publication(5)->>'task_title', draw_publication(5)->>'withheld'$$,
              ROW(NULL::text, 'trade_secret'::text), 'a trade-secret task: its title withheld, as in public_targets');
SELECT throws_like('SELECT draw_publication(2)', '%surprise check that has not ended%',
                   'a surprise task''s list is refused until the task ends, though marked published');
SELECT throws_ok('SELECT draw_publication(2)', '55000', NULL, '... with SQLSTATE 55000');
SELECT throws_like('SELECT draw_publication(3)', '%state secret%', 'a state-secret task''s list is refused');
SELECT throws_like('SELECT draw_publication(4)', '%state secret%', 'the list of a task of a state-secret plan is refused');
SELECT throws_like('SELECT draw_publication(6)', '%target list of task 6 is not published%', 'an unpublished list is refused');
SELECT throws_like('SELECT draw_publication(7)', '%was cancelled%', 'a cancelled draw is refused');
SELECT throws_ok('SELECT draw_publication(99)', '42704', 'draw 99 does not exist', 'a draw that does not exist');

DO $$ BEGIN
    PERFORM supervise.grant_public_reader('supervise_test_reader');
    PERFORM supervise.grant_department_officer('supervise_test_officer_a', ARRAY[1]);
    PERFORM supervise.grant_department_officer('supervise_test_officer_b', ARRAY[2]);
END $$;
SET LOCAL ROLE supervise_test_reader;
SELECT throws_ok('SELECT supervise.draw_publication(1)', '42501', NULL,
                 'a public reader gets nothing: the population is not in the public views');
RESET ROLE;
SET LOCAL ROLE supervise_test_officer_a;
SELECT ok((SELECT supervise.draw_publication(1)->>'population_csv') IS NOT NULL, 'an officer reads its department''s draws');
RESET ROLE;
SET LOCAL ROLE supervise_test_officer_b;
SELECT throws_ok('SELECT supervise.draw_publication(1)', '42704', 'draw 1 does not exist',
                 'an officer of another department does not see the draw (row-level security)');
SELECT ok((SELECT supervise.draw_publication(8)->>'population_csv') IS NOT NULL, 'and sees its own');
RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
