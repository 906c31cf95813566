-- supervise.merge_tasks: one joint task (联合抽查任务) from tasks of different departments
SET search_path = supervise, public;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
BEGIN;
-- joint task ids (shown in messages) start at 9650; the sequence is put back at the end
SELECT last_value AS task_seq_last, is_called AS task_seq_called FROM task_id_seq \gset
SELECT setval('task_id_seq', 9650, false) > 0 AS set;
INSERT INTO department (id, code, name, system, level, region) VALUES
    (9501, 'J-SCJG', '市场监管局', 'market', 4, '110108'),
    (9502, 'J-STHJ', '生态环境局', 'ecology', 4, '110108'),
    (9503, 'J-WSJK', '卫生健康委', 'health', 4, '110108');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES
    (9551, 9501, 2024, '2024 market plan', '2024-01-20');
INSERT INTO directory (id, department_id, name, kind) VALUES
    (9561, 9501, 'joint directory of restaurants', 'joint'),
    (9562, 9502, 'ecology directory', 'dedicated');
INSERT INTO check_item (id, department_id, code, name, category) VALUES
    (9571, 9501, 'M1', '食品经营许可', 'j-food'),
    (9572, 9501, 'M2', '价格公示', 'j-price'),
    (9573, 9502, 'E1', '油烟排放', 'j-fumes'),
    (9574, 9503, 'H1', '公共场所卫生', 'j-hygiene');
INSERT INTO task (id, plan_id, department_id, kind, title, period_start, period_end, approved_on,
                  surprise, sample_ratio, sample_size, directory_id, inspectors_per_target) VALUES
    (9601, 9551, 9501, 'planned', 'market: restaurants', '2024-03-01', '2024-04-30', '2024-02-01', false, 0.05, NULL, 9561, 2),
    (9602, NULL, 9502, 'special', 'ecology: kitchen fumes', '2024-04-01', '2024-05-31', '2024-02-10', true, 0.10, NULL, 9561, 3),
    (9603, NULL, 9503, 'special', 'health: hygiene', '2024-04-15', '2024-06-30', NULL, false, NULL, 30, 9561, 2),
    (9604, NULL, 9502, 'special', 'ecology: other directory', '2024-03-01', '2024-04-30', '2024-02-10', false, 0.1, NULL, 9562, 2),
    (9605, NULL, 9503, 'special', 'health: summer', '2024-06-01', '2024-08-31', '2024-02-10', false, 0.1, NULL, 9561, 2),
    (9606, NULL, 9501, 'special', 'market: second task', '2024-03-01', '2024-04-30', '2024-02-10', false, 0.1, NULL, 9561, 2),
    (9607, NULL, 9502, 'special', 'ecology: all subjects', '2024-03-01', '2024-04-30', '2024-02-10', false, 0.1, NULL, NULL, 2),
    (9608, NULL, 9503, 'special', 'health: all subjects', '2024-04-01', '2024-04-30', '2024-02-10', false, 0.1, NULL, NULL, 2),
    (9609, NULL, 9502, 'special', 'ecology: all subjects too', '2024-03-01', '2024-04-30', '2024-02-10', false, 0.1, NULL, NULL, 2),
    (9610, NULL, 9502, 'special', 'ecology: July', '2024-07-01', '2024-07-31', '2024-02-10', false, 0.1, NULL, 9561, 2);
INSERT INTO task_item (task_id, item_id) VALUES
    (9601, 9571), (9601, 9572), (9602, 9573), (9602, 9571), (9603, 9574), (9604, 9573), (9605, 9574),
    (9606, 9572), (9607, 9573), (9608, 9574), (9609, 9573), (9610, 9573);
INSERT INTO task_stratum (task_id, credit_class, ratio) VALUES (9601, 'C', 0.2), (9601, 'D', 0.5), (9602, 'A', 0.01);

-- three tasks of three departments, same joint directory, periods sharing 04-15 .. 04-30
SELECT merge_tasks(ARRAY[9601, 9602, 9603]) AS joint \gset
SELECT plan_id, department_id AS initiator, kind, title, period_start, period_end, approved_on, surprise,
       sample_ratio, sample_size, directory_id, inspectors_per_target, merged_into
  FROM task WHERE id = :joint;
-- items united (M1 is in two of the tasks, once here), strata from the first task
SELECT item_id FROM task_item WHERE task_id = :joint ORDER BY item_id;
SELECT credit_class, ratio FROM task_stratum WHERE task_id = :joint ORDER BY credit_class;
-- the sources point to it, and the record says which went in, in order
SELECT id, merged_into = :joint AS merged FROM task WHERE id IN (9601, 9602, 9603) ORDER BY id;
SELECT source_task_id, position, merged_by = current_user AS by_me FROM task_merge WHERE joint_task_id = :joint ORDER BY position;
-- its departments: a joint task
SELECT department_id FROM task_department WHERE task_id = :joint ORDER BY 1;
-- NULL directory counts as the same directory (all active subjects); a title may be given
SELECT merge_tasks(ARRAY[9607, 9608], title => '联合抽查：餐饮油烟与卫生') AS joint2 \gset
SELECT title, period_start, period_end, directory_id, approved_on FROM task WHERE id = :joint2;

-- errors
SELECT merge_tasks(NULL);
SELECT merge_tasks(ARRAY[9605, NULL]);
SELECT merge_tasks(ARRAY[9605]);
SELECT merge_tasks('{}');
SELECT merge_tasks(ARRAY[9605, 9606, 9605]);
SELECT merge_tasks(ARRAY[9605, 9999999]);
SELECT merge_tasks(ARRAY[9605, 9601]);
SELECT merge_tasks(ARRAY[:joint, 9606]);
SELECT merge_tasks(ARRAY[9606, 9604]);
SELECT merge_tasks(ARRAY[9606, 9609]);
SELECT merge_tasks(ARRAY[9609, 9606]);
SELECT merge_tasks(ARRAY[9606, 9605]);
-- a task with a live draw cannot be merged; once the draw is cancelled it can
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest, allocation, target_count, population)
    VALUES (9701, 9605, 'sha256-v1', seed_from('joint 1'), 'given', 0, sha256(''), '[]', 0, '');
SELECT merge_tasks(ARRAY[9610, 9605]);
SELECT cancel_draw(9701, 'wrong directory');
SELECT merge_tasks(ARRAY[9610, 9605]) AS joint3 \gset
SELECT department_id AS initiator, period_start, period_end FROM task WHERE id = :joint3;
-- a merged task can no longer be drawn; its joint task can
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest, allocation, target_count, population)
    VALUES (9702, 9601, 'sha256-v1', seed_from('joint 2'), 'given', 0, sha256(''), '[]', 0, '');
INSERT INTO draw_record (id, task_id, algorithm, seed, seed_source, population_size, population_digest, allocation, target_count, population)
    VALUES (9703, :joint, 'sha256-v1', seed_from('joint 3'), 'given', 0, sha256(''), '[]', 0, '');
SELECT count(*) AS draws_of_joint FROM draw_record WHERE task_id = :joint;
-- a drawn joint task cannot be merged further
SELECT merge_tasks(ARRAY[:joint, 9604]);
-- nothing of the failed calls was left behind
SELECT count(*) AS merges FROM task_merge WHERE source_task_id BETWEEN 9601 AND 9610;
ROLLBACK;
SELECT setval('task_id_seq', :task_seq_last, :'task_seq_called'::boolean) > 0 AS restored;
