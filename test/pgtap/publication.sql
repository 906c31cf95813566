BEGIN;
CREATE EXTENSION supervise;
SELECT plan(12);
SET LOCAL search_path = supervise, public;

INSERT INTO department (id, code, name, system, level, region) VALUES (1, 'tap', 'tap dept', 'market', 3, '2104');
INSERT INTO plan (id, department_id, year, title) VALUES (1, 1, 2026, 'p');
SELECT is((SELECT count(*) FROM publication), 0::bigint, 'no item before approval');
UPDATE plan SET approved_on = '2026-12-24' WHERE id = 1;
SELECT is((SELECT due_on FROM publication WHERE kind = 'plan' AND object_id = 1), DATE '2027-01-07',
          'the provisional due date (Monday-Friday in 2027)');
SELECT ok((SELECT provisional FROM publication WHERE kind = 'plan' AND object_id = 1), 'marked provisional');
SELECT lives_ok($$SELECT load_calendar(2027, '[{"day": "2027-01-01", "kind": "off"}]')$$, 'load 2027');
SELECT is((SELECT due_on FROM publication WHERE kind = 'plan' AND object_id = 1), DATE '2027-01-08',
          'recomputed with 1 January 2027 off');
SELECT ok(NOT (SELECT provisional FROM publication WHERE kind = 'plan' AND object_id = 1), 'no longer provisional');

-- a surprise task: nothing can be published before it ends
INSERT INTO task (id, plan_id, department_id, kind, title, period_start, period_end, approved_on, surprise, sample_size)
    VALUES (1, NULL, 1, 'special', 's', '2025-03-01', '2025-03-31', '2025-02-10', true, 3);
SELECT is((SELECT event_on FROM publication WHERE kind = 'task' AND object_id = 1), DATE '2025-03-31',
          'a surprise task counts from its end');
SELECT throws_ok($$SELECT mark_published('task', 1, '2025-03-15')$$, '22023', NULL, 'not published before it ends');
SELECT lives_ok($$SELECT mark_published('task', 1, '2025-04-01')$$, 'published after it ends');
SELECT is((SELECT status FROM v_publication_schedule WHERE kind = 'task' AND object_id = 1), 'on_time', 'on time');
-- the filing rule
SELECT throws_ok($$INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size)
                   VALUES (1, 'temporary', 't', '2025-05-10', '2025-05-20', '2025-05-07', 3)$$,
                 '23514', NULL, 'a temporary task filed 3 days ahead is refused');
SELECT lives_ok($$INSERT INTO task (department_id, kind, title, period_start, period_end, approved_on, sample_size)
                  VALUES (1, 'temporary', 't', '2025-05-10', '2025-05-20', '2025-05-05', 3)$$,
                'filed 5 days ahead is accepted');

SELECT * FROM finish();
ROLLBACK;
