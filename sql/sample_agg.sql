-- supervise.sample_agg: the sha256-v1 selection as a parallel-safe aggregate
SET search_path = supervise, public;
SET client_min_messages = warning;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
BEGIN;
CREATE TABLE public.sample_ids AS
SELECT 'id-' || g AS id, (1 + g % 5)::float8 AS w FROM generate_series(1, 200000) g;
ANALYZE public.sample_ids;
-- a worked example: the 3 ids with the smallest d = SHA-256(B || id), in rank order
SELECT sample_agg(id, NULL, 3, seed_from('example')) FROM (VALUES ('a'), ('b'), ('c'), ('d'), ('e')) v(id);
SELECT id, encode(draw_digest(id, seed_from('example')), 'hex') AS d
  FROM (VALUES ('a'), ('b'), ('c'), ('d'), ('e')) v(id) ORDER BY d;
-- d is SHA-256 of the 64-byte block B = "supervise/draw/v1" || 0x00 || seed || zeros, then the id
SELECT bool_and(draw_digest(id, seed_from('s')) =
                sha256(convert_to('supervise/draw/v1', 'UTF8') || '\x00'::bytea || seed_from('s')
                       || '\x0000000000000000000000000000'::bytea || convert_to(id, 'UTF8'))) AS d_is_sha256_of_b_and_id
  FROM public.sample_ids WHERE id LIKE 'id-1%';
-- the same as ordering by the plain SQL digest
SELECT sample_agg(id, NULL, 10, seed_from('s'))
     = (SELECT array_agg(id ORDER BY d) FROM
         (SELECT id, sha256(convert_to('supervise/draw/v1', 'UTF8') || '\x00'::bytea || seed_from('s')
                            || '\x0000000000000000000000000000'::bytea || convert_to(id, 'UTF8')) AS d
            FROM public.sample_ids ORDER BY d LIMIT 10) x) AS same_as_plain_sql
  FROM public.sample_ids;

-- serial and parallel plans give the same answer
SET max_parallel_workers_per_gather = 0;
SELECT sample_agg(id, NULL, 50, seed_from('p')) AS serial_unweighted,
       sample_agg(id, w, 50, seed_from('p')) AS serial_weighted
  FROM public.sample_ids \gset
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sample_agg(id, NULL, 50, seed_from('p')) FROM public.sample_ids;
SELECT sample_agg(id, NULL, 50, seed_from('p')) = :'serial_unweighted' AS parallel_unweighted_same,
       sample_agg(id, w, 50, seed_from('p')) = :'serial_weighted' AS parallel_weighted_same
  FROM public.sample_ids;
-- and per group, with the rows in another order
SELECT w, sample_agg(id, NULL, 3, seed_from('g')) FROM public.sample_ids GROUP BY w ORDER BY w;
SELECT w, sample_agg(id, NULL, 3, seed_from('g')) FROM (SELECT * FROM public.sample_ids ORDER BY id DESC) s GROUP BY w ORDER BY w;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- weights favour heavy rows: share of weight-5 ids among 1000 drawn (a fifth of the rows)
SELECT count(*) FILTER (WHERE s.w = 5) AS weight_5, count(*) FILTER (WHERE s.w = 1) AS weight_1
  FROM unnest((SELECT sample_agg(id, w, 1000, seed_from('weights')) FROM public.sample_ids)) x(id)
  JOIN public.sample_ids s USING (id);

-- edge cases: k = 0, k above the row count, no rows, duplicates
SELECT sample_agg(id, NULL, 0, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, NULL, 10, seed_from('x')) FROM (VALUES ('b'), ('a')) v(id);
SELECT sample_agg(id, NULL, 10, seed_from('x')) IS NULL AS no_rows_is_null FROM public.sample_ids WHERE false;
SELECT sample_agg(id, NULL, 3, seed_from('x')) FROM (VALUES ('a'), ('a'), ('b')) v(id);
SELECT sample_agg(id, NULL, 2, seed_from('x')) FROM (VALUES ('中文'), ('ä'), ('z')) v(id);

-- bad input
SELECT sample_agg(id, NULL, -1, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, NULL, 1, '\x0102'::bytea) FROM public.sample_ids;
SELECT sample_agg(id, NULL, NULL, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, NULL, 1, NULL) FROM public.sample_ids;
SELECT sample_agg(id, CASE WHEN id = 'id-7' THEN NULL ELSE w END, 1, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, CASE WHEN id = 'id-7' THEN 0 ELSE w END, 1, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, CASE WHEN id = 'id-7' THEN -1 ELSE w END, 1, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, CASE WHEN id = 'id-7' THEN 'NaN' ELSE w END, 1, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, CASE WHEN id = 'id-7' THEN 'Infinity' ELSE w END, 1, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, NULL, CASE WHEN id = 'id-7' THEN 2 ELSE 1 END, seed_from('x')) FROM public.sample_ids;
SELECT sample_agg(id, NULL, 1, CASE WHEN id = 'id-7' THEN seed_from('y') ELSE seed_from('x') END) FROM public.sample_ids;
SELECT sample_agg(NULLIF(id, 'id-7'), NULL, 1, seed_from('x')) FROM public.sample_ids;
ROLLBACK;
