-- supervise @EXTVERSION@ — install script, built by `make` from the pieces in src/sql/.
-- Do not edit the built supervise--@EXTVERSION@.sql; edit the pieces.

\echo Use "CREATE EXTENSION supervise" to load this file. \quit

-- Every object lives in @extschema@ (= supervise, not relocatable). Bodies schema-qualify what they
-- use; functions are pinned with SET search_path so objects planted elsewhere cannot change them.
