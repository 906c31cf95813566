-- draw_part_agg: the part of a sha256-v1 draw done where the rows are read (parallel workers, Citus
-- workers): the population and the candidates of the selection (rows whose digest lies below
-- their stratum's bound). draw_select over the part draws exactly what it draws over the
-- population, from the candidates where they are at least k, from the codes elsewhere.
BEGIN;
CREATE EXTENSION supervise;
SELECT plan(14);
SET LOCAL search_path = supervise, public;

CREATE TABLE public.part_rows AS
SELECT uscc_build('91', '350102', 'MA' || lpad(n::text, 6, '0')) AS uscc,
       (ARRAY['A', 'B', 'B', 'C'])[1 + n % 4] AS credit_class, (1 + n % 3)::float8 AS weight
  FROM generate_series(1, 20000) n;
ALTER TABLE public.part_rows SET (parallel_workers = 2);
ANALYZE public.part_rows;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;

CREATE TEMP TABLE p AS
SELECT draw_part_agg(uscc, credit_class, NULL, ''::bytea, seed_from('part'), '{A,B,C}', '{0.05,0.2,0.9}') AS part,
       population_agg(uscc, credit_class, NULL) AS pop
  FROM public.part_rows;
-- the number of candidates: the bytes after the population (12 + filter (32 + 1 + 3 x 11) + 8 + 8 bytes of framing), 21 each
CREATE TEMP VIEW cands AS
SELECT (octet_length(part) - octet_length(pop) - 12 - 66 - 16) / 21 AS n FROM p;

SELECT ok((SELECT draw_part_population(part) = pop FROM p), 'the population of a part is population_agg''s of the same rows');
SELECT ok((SELECT n BETWEEN 0.05 * 5000 + 0.2 * 10000 + 5000 AND 0.06 * 5000 + 0.24 * 10000 + 5000 FROM cands),
          'the part keeps about 1.125 x the fraction of each stratum''s rows as candidates (all of C, 1.125 x 0.9 > 1)');
SELECT ok((SELECT (draw_select(part, seed_from('part'), 'sha256-v1', '{A,B,C}', '{250,2000,4500}'))::text
                  IS NOT DISTINCT FROM (draw_select(pop, seed_from('part'), 'sha256-v1', '{A,B,C}', '{250,2000,4500}'))::text FROM p),
          'with k at the fractions, draw_select over the part draws what it draws over the population');
SELECT ok((SELECT (draw_select(part, seed_from('part'), 'sha256-v1', '{A,B,C}', '{5000,9000,1}'))::text
                  IS NOT DISTINCT FROM (draw_select(pop, seed_from('part'), 'sha256-v1', '{A,B,C}', '{5000,9000,1}'))::text FROM p),
          'with k above the candidates (drawn from the codes), the same');
SELECT ok((SELECT (draw_select(part, seed_from('other'), 'sha256-v1', '{A,B}', '{250,2000}'))::text
                  IS NOT DISTINCT FROM (draw_select(pop, seed_from('other'), 'sha256-v1', '{A,B}', '{250,2000}'))::text FROM p),
          'with another seed than the part''s (its candidates are not used), the same');
SELECT ok((SELECT (draw_select(part, seed_from('part'), 'rfc3797', '{A}', '{25}'))::text
                  IS NOT DISTINCT FROM (draw_select(pop, seed_from('part'), 'rfc3797', '{A}', '{25}'))::text FROM p),
          'another algorithm, the same');
-- the candidates are what is drawn from: a part whose population lacks them is refused when they suffice
CREATE TEMP TABLE forged AS
SELECT substr(part, 1, 12 + 66) || int8send(octet_length(q.pop2)) || q.pop2
       || substr(part, 12 + 66 + 8 + octet_length(pop) + 1) AS part
  FROM p, (SELECT population_agg(uscc, credit_class, NULL) AS pop2 FROM public.part_rows WHERE uscc::text > '91350102MA0001') q;
SELECT throws_ok($$SELECT draw_select(part, seed_from('part'), 'sha256-v1', '{A}', '{10}') FROM forged$$, '22023', NULL,
                 'a stratum with enough candidates is drawn from them (a candidate that is not a row is refused)');
SELECT lives_ok($$SELECT draw_select(part, seed_from('other'), 'sha256-v1', '{A}', '{10}') FROM forged$$,
                'with another seed the same part is drawn from its codes');
SELECT throws_ok($$SELECT population_agg_combine(p.part, p.pop) FROM p$$, NULL, NULL,
                 'a part and a population do not combine');
SELECT is((SELECT octet_length(draw_part_agg(uscc, credit_class, weight, NULL, seed_from('part'), '{A,B,C}', '{0.05,0.2,0.9}'))
                  - octet_length(population_agg(uscc, credit_class, weight)) FROM public.part_rows), 12 + 66 + 16,
          'a weighted population keeps no candidates');

-- the seed, strata and fractions are the same on every row: a query that varies them is refused,
-- not drawn with the first row's (the same values as other datums are accepted)
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT throws_ok($$SELECT draw_part_agg(uscc, 'A', NULL, ''::bytea, seed_from(CASE WHEN uscc::text < '91350102MA0001' THEN 'a' ELSE 'b' END),
                                       '{A}', '{0.5}') FROM public.part_rows$$,
                 '22023', 'draw_part_agg: the seed, strata or fractions changed between rows',
                 'a seed that changes between rows is refused');
SELECT throws_ok($$SELECT draw_part_agg(uscc, 'A', NULL, ''::bytea, seed_from('a'), '{A}',
                                       ARRAY[CASE WHEN uscc::text < '91350102MA0001' THEN 0.5 ELSE 0.25 END]::float8[]) FROM public.part_rows$$,
                 '22023', 'draw_part_agg: the seed, strata or fractions changed between rows',
                 'fractions that change between rows are refused');
SELECT throws_ok($$SELECT draw_part_agg(uscc, 'A', NULL, ''::bytea, CASE WHEN uscc::text < '91350102MA0001' THEN NULL ELSE seed_from('a') END,
                                       '{A}', '{0.5}') FROM public.part_rows$$,
                 '22023', 'draw_part_agg: the seed, strata or fractions changed between rows',
                 'no seed on the first rows and one on later rows is refused');
SELECT is((SELECT draw_part_agg(uscc, 'A', NULL, ''::bytea, seed_from(CASE WHEN uscc IS NULL THEN 'x' ELSE 'a' END), '{A}', '{0.5}')
             FROM public.part_rows),
          (SELECT draw_part_agg(uscc, 'A', NULL, ''::bytea, seed_from('a'), '{A}', '{0.5}') FROM public.part_rows),
          'the same seed computed on every row gives the part of a constant seed');

SELECT * FROM finish();
ROLLBACK;
