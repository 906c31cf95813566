-- A year of 双随机、一公开 on a sample province. Run by tools/demo.sh (psql variable :subjects).
\pset footer off
\pset null '—'
CREATE EXTENSION supervise;
SET search_path = supervise, public;

\echo
\echo '== 1. A sample province (福建省): departments, subjects, items, inspectors, directories'
SELECT * FROM generate_sample(:subjects, seed => 2026);
SELECT credit_class AS "credit class", count(*) AS subjects,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%"
  FROM subject GROUP BY credit_class ORDER BY 1;

\echo
\echo '== 2. Loading a file of subjects: bad rows are kept with their reason, never lost'
INSERT INTO subject_staging (uscc, name, credit_class) VALUES
    ('91350211M00013FA1N', '厦门早期试点企业（旧码）', 'B'),
    ('91350203MA8TEST01X', '码长不对的企业', 'A'),
    ('91350203ma34ab5c6d', '小写录入的企业', 'A');
SELECT * FROM load_subjects();
SELECT line, uscc, reason FROM subject_reject ORDER BY line;
