-- The sample generator: deterministic from its seed, valid unique codes, a realistic mix.
SET search_path = supervise, public;
-- same seed, same rows; another seed, other rows
SELECT (SELECT md5(string_agg(s::text, '|')) FROM sample_subjects(500, 3) s)
     = (SELECT md5(string_agg(s::text, '|')) FROM sample_subjects(500, 3) s) AS same_seed_same_rows,
       (SELECT md5(string_agg(s::text, '|')) FROM sample_subjects(500, 3) s)
     = (SELECT md5(string_agg(s::text, '|')) FROM sample_subjects(500, 4) s) AS other_seed_same_rows;
-- every code valid, unique, region inside the sample province, organisation code check passes
SELECT count(*) AS n, count(DISTINCT uscc) AS distinct_codes, bool_and(uscc_is_valid(uscc)) AS all_valid,
       bool_and(uscc_org_code_is_valid(uscc::uscc)) AS org_codes_valid,
       bool_and(region IN (SELECT region FROM sample_regions())) AS known_regions,
       bool_and(substr(uscc, 3, 6) = region) AS code_region_matches
  FROM sample_subjects(20000, 1);
-- a mix dominated by A and B credit, mostly active, mostly enterprises
SELECT round(avg((credit_class IN ('A', 'B'))::int), 2) > 0.8 AS mostly_a_b,
       count(DISTINCT credit_class) = 4 AS all_classes,
       round(avg((status = 'active')::int), 2) BETWEEN 0.95 AND 0.99 AS mostly_active,
       round(avg((left(uscc, 2) = '91')::int), 2) BETWEEN 0.6 AND 0.8 AS mostly_enterprises
  FROM sample_subjects(20000, 1);
BEGIN;
SELECT * FROM generate_sample(3000, 5);
-- several systems at city and county level, items with exempt ones, conflicts
SELECT system, array_agg(DISTINCT level ORDER BY level) AS levels FROM department GROUP BY system ORDER BY system;
SELECT count(*) FILTER (WHERE limit_exempt) > 0 AS some_exempt, count(*) FILTER (WHERE NOT limit_exempt) > 0 AS some_limited,
       count(DISTINCT category) AS categories FROM check_item;
SELECT count(*) > 0 AS some_conflicts, bool_and(i.department_id = d.id AND d.region = s.region) AS conflicts_in_own_county
  FROM inspector_conflict c JOIN inspector i ON i.id = c.inspector_id JOIN department d ON d.id = i.department_id
  JOIN subject s ON s.uscc = c.uscc;
SELECT bool_and(d.system = 'market' AND d.level = 4) AS directories_of_county_market,
       bool_and(s.industry IN ('餐饮服务', '食品销售', '食品生产')) AS food_only
  FROM directory_member m JOIN directory dir ON dir.id = m.directory_id JOIN department d ON d.id = dir.department_id
  JOIN subject s ON s.uscc = m.uscc;
-- a second call refuses to mix into existing data
SAVEPOINT s;
SELECT * FROM generate_sample(10, 5);
ROLLBACK TO s;
SELECT * FROM generate_sample(0, 5);
ROLLBACK;
