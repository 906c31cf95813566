-- supervise 0.1.0 -> 0.2.0. Applied by ALTER EXTENSION supervise UPDATE; test/scripts/upgrade.sh
-- checks that it leaves a 0.1.0 database with data exactly like a fresh 0.2.0 install, data and
-- function results unchanged.
\echo Use "ALTER EXTENSION supervise UPDATE TO '0.2.0'" to load this file. \quit
