-- supervise @EXTVERSION@ — install script, built by `make` from the pieces in src/sql/.
-- Do not edit the built supervise--@EXTVERSION@.sql; edit the pieces.

\echo Use "CREATE EXTENSION supervise" to load this file. \quit

-- Every object lives in @extschema@ (= supervise, not relocatable). Bodies schema-qualify what they
-- use; functions are pinned with SET search_path so objects planted elsewhere cannot change them.

-- A UTF8 database only: names, addresses and publication texts are Chinese, and in another
-- encoding every text function would count bytes and cut characters in two.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION 'supervise needs a UTF8 database, and database "%" has encoding "%"',
                pg_catalog.current_database(), pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Subject names, addresses and publication texts are Chinese; in this encoding text functions would cut their characters in two.',
                  HINT = 'Create the database in UTF8 and install supervise there: CREATE DATABASE name ENCODING ''UTF8'' TEMPLATE template0 LOCALE ''C.UTF-8''; (or createdb -E UTF8 -T template0 --locale=C.UTF-8 name).';
    END IF;
END
$$;
