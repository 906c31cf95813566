-- A UTF8 database only: names, addresses and publication texts are Chinese, and in another
-- encoding every text function would count bytes and cut characters in two. Checked before any
-- table is made, right after message_text (05_message.sql), so that the refusal is given in the
-- language of lc_messages too.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('supervise needs a UTF8 database, and database "%s" has encoding "%s"'), pg_catalog.current_database(), pg_catalog.getdatabaseencoding()),
            ERRCODE = 'feature_not_supported',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Subject names, addresses and publication texts are Chinese; in this encoding text functions would cut their characters in two.')),
            HINT    = pg_catalog.format(@extschema@.message_text('Create the database in UTF8 and install supervise there: CREATE DATABASE name ENCODING ''UTF8'' TEMPLATE template0 LOCALE ''C.UTF-8''; (or createdb -E UTF8 -T template0 --locale=C.UTF-8 name).'));
    END IF;
END
$$;
