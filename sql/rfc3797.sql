-- supervise.rfc3797_select: IETF RFC 3797 publicly verifiable selection
SET search_path = supervise, public;
-- the RFC's own example (section 6): pool of 25, key from the 2004 lottery numbers;
-- the RFC selects 17 7 2 16 25 23 8 24 19 13 22 5 18 9 1 4 in that order
SELECT rfc3797_select(25, 16, '9319./2.5.8.10.12./9.18.26.34.41.45./');
-- the first ten are the first ten of a longer selection: the same key never redraws
SELECT rfc3797_select(25, 10, '9319./2.5.8.10.12./9.18.26.34.41.45./')
     = (rfc3797_select(25, 16, '9319./2.5.8.10.12./9.18.26.34.41.45./'))[1:10] AS prefix_stable;
-- selecting the whole pool gives a permutation of it
SELECT array_length(r, 1), (SELECT array_agg(x ORDER BY x) FROM unnest(r) x) = (SELECT array_agg(g) FROM generate_series(1, 25) g) AS permutation
  FROM rfc3797_select(25, 25, '9319./2.5.8.10.12./9.18.26.34.41.45./') r;
-- another key, another selection; a worked example with our own key
SELECT rfc3797_select(25, 16, '9319./2.5.8.10.12./9.18.26.34.41.46./');
SELECT rfc3797_select(10, 3, 'supervise/');
-- a large pool (beyond the reference code's 65535) and many selections stay distinct
SELECT count(DISTINCT x) AS distinct_positions, min(x) >= 1 AS in_range_low, max(x) <= 1000000 AS in_range_high
  FROM unnest(rfc3797_select(1000000, 20000, 'big pool/')) x;
-- edge cases
SELECT rfc3797_select(0, 0, 'x'), rfc3797_select(1, 1, 'x'), rfc3797_select(5, 0, '');
-- bad input
SELECT rfc3797_select(5, 6, 'x');
SELECT rfc3797_select(-1, 0, 'x');
SELECT rfc3797_select(5, -1, 'x');
SELECT rfc3797_select(100000, 65537, 'x');
SELECT rfc3797_select(NULL, 1, 'x') IS NULL AS strict;
