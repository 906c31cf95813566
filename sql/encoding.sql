-- supervise installs in a UTF8 database only: in any other the install fails at once, with a hint,
-- and leaves nothing behind
SELECT current_database() AS regress_db \gset
CREATE DATABASE supervise_sql_ascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c supervise_sql_ascii
\set VERBOSITY default
-- (no CONTEXT lines: PostgreSQL 18 adds the install script's statement to them)
\set SHOW_CONTEXT never
CREATE EXTENSION supervise;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'supervise';
SELECT count(*) AS schemas FROM pg_namespace WHERE nspname = 'supervise';
CREATE DATABASE supervise_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c supervise_latin1
CREATE EXTENSION supervise;
\c :regress_db
DROP DATABASE supervise_sql_ascii;
DROP DATABASE supervise_latin1;
SELECT getdatabaseencoding() AS encoding, count(*) AS installed FROM pg_extension WHERE extname = 'supervise';
