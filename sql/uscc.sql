-- supervise.uscc: input, output, errors, functions, operators, opclasses, binary I/O
SET search_path = supervise, public;
-- valid codes, case folding
SELECT '91350100M000100Y43'::uscc;
SELECT '91350100m000100y43'::uscc;
SELECT '9144030071526726XG'::uscc, '121200004013590816'::uscc, '51100000500002862F'::uscc;
-- every kind of invalid code, with the reason in the error
SELECT '91350100M000100Y4'::uscc;
SELECT '91350100M000100Y433'::uscc;
SELECT ''::uscc;
SELECT '91110000600037341N'::uscc;
SELECT '91350211M00013FA1N'::uscc;
SELECT '9111000060003IOZSV'::uscc;
SELECT '91A50100M000100Y42'::uscc;
SELECT '99350100M000100Y4A'::uscc;
SELECT '01350100M000100Y4C'::uscc;
SELECT '91350100M000100Y4 '::uscc;
SELECT '９１350100M000100Y'::uscc;
SELECT '９1350100M000100Y43'::uscc;
-- the examples file: accepted exactly when it says so
CREATE TEMP TABLE uscc_example (code text, valid boolean, note text);
\copy uscc_example FROM 'data/uscc_examples.csv' WITH (FORMAT csv, HEADER)
SELECT code, valid, uscc_is_valid(code) AS is_valid, uscc_invalid_reason(code) AS reason
  FROM uscc_example ORDER BY code;
SELECT count(*) AS disagreements FROM uscc_example WHERE valid IS DISTINCT FROM uscc_is_valid(code);
-- uscc_is_valid never raises
SELECT uscc_is_valid(NULL), uscc_is_valid(''), uscc_is_valid(repeat('9', 1000)), uscc_is_valid(E'\u4e2d');
-- parts of a code
SELECT uscc_region(c), uscc_authority(c), uscc_category(c), uscc_org_code(c), uscc_org_code_is_valid(c)
  FROM (VALUES ('91350100M000100Y43'::uscc), ('91350100M000100Y56'), ('9144030071526726XG'), ('92340602MA2PBQAH7E')) v(c);
-- casts
SELECT '91350100M000100Y43'::uscc::text, '91350100M000100Y43'::uscc LIKE '9135%', substr('91350100M000100Y43'::uscc, 3, 6);
SELECT 'not a code'::text::uscc;
CREATE TEMP TABLE t_assign (c uscc);
INSERT INTO t_assign SELECT 'ab'::text;
INSERT INTO t_assign SELECT code FROM uscc_example WHERE valid;
SELECT count(*) FROM t_assign;
-- order is the order of the text
SELECT bool_and((a < b) = (a::text < b::text)) AND bool_and((a = b) = (a::text = b::text))
       AND bool_and((a > b) = (a::text > b::text)) AND bool_and(uscc_cmp(a, b) = sign(bt_text_cmp))
  FROM (SELECT x.c AS a, y.c AS b, CASE WHEN x.c::text < y.c::text THEN -1 WHEN x.c::text > y.c::text THEN 1 ELSE 0 END AS bt_text_cmp
          FROM t_assign x, t_assign y) s;
SELECT c FROM t_assign ORDER BY c;
-- btree and hash indexes, hash join
CREATE INDEX ON t_assign USING btree (c);
CREATE INDEX ON t_assign USING hash (c);
SET enable_seqscan = off;
SELECT c FROM t_assign WHERE c = '91110000600037341L';
SET enable_seqscan = on;
SELECT count(*) FROM t_assign a JOIN t_assign b USING (c);
SELECT count(DISTINCT c), count(*) FROM (SELECT c FROM t_assign UNION ALL SELECT c FROM t_assign) s;
-- the operator classes are valid
SELECT amvalidate(oc.oid), opcname, amname FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
 WHERE opcnamespace = 'supervise'::regnamespace ORDER BY opcname;
-- binary I/O: round trip, and recv is as strict as input
-- (binary COPY of a bytea column, read back as uscc, feeds the payload bytes to uscc_recv)
SELECT uscc_send('91350100M000100Y43');
CREATE TEMP TABLE recv_payload (b bytea);
CREATE TEMP TABLE recv_into (c uscc);
INSERT INTO recv_payload VALUES (uscc_send('91350100m000100y43')), (convert_to('121200004013590816', 'UTF8'));
\copy recv_payload TO 'results/uscc_recv.bin' WITH (FORMAT binary)
\copy recv_into FROM 'results/uscc_recv.bin' WITH (FORMAT binary)
SELECT c FROM recv_into ORDER BY c;
TRUNCATE recv_payload;
INSERT INTO recv_payload VALUES (convert_to('91350100M000100Y4', 'UTF8'));
\copy recv_payload TO 'results/uscc_recv.bin' WITH (FORMAT binary)
\copy recv_into FROM 'results/uscc_recv.bin' WITH (FORMAT binary)
TRUNCATE recv_payload;
INSERT INTO recv_payload VALUES (convert_to('91350211M00013FA1N', 'UTF8'));
\copy recv_payload TO 'results/uscc_recv.bin' WITH (FORMAT binary)
\copy recv_into FROM 'results/uscc_recv.bin' WITH (FORMAT binary)
TRUNCATE recv_payload;
INSERT INTO recv_payload VALUES (decode('3931333530313030' || '00' || '3030303130305934', 'hex') || '\x33'::bytea);
\copy recv_payload TO 'results/uscc_recv.bin' WITH (FORMAT binary)
\copy recv_into FROM 'results/uscc_recv.bin' WITH (FORMAT binary)
TRUNCATE recv_payload;
INSERT INTO recv_payload VALUES ('\x'::bytea);
\copy recv_payload TO 'results/uscc_recv.bin' WITH (FORMAT binary)
\copy recv_into FROM 'results/uscc_recv.bin' WITH (FORMAT binary)
SELECT count(*) AS rows_after_bad_payloads FROM recv_into;
-- building a code from its parts
SELECT uscc_build('91', '350100', 'M000100Y'), uscc_build('91', '440300', '71526726');
SELECT uscc_build('91', '3501', 'M000100Y');
SELECT uscc_build('99', '350100', 'M000100Y');
SELECT uscc_build('91', '350100', 'M00010OY');
