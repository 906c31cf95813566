-- =====================================================================================
-- The public interface (一公开): what the disclosure site may show; doc/public-interface.md.
--
-- Confidentiality (依法不予公开: 国家秘密, 商业秘密, 个人隐私, 002 §三(八)). plan, task and inspection
-- have a column `confidential`: NULL (nothing withheld) or one of
--   state_secret      国家秘密: the object does not appear at all, nor anything under it —
--                     a plan's tasks, a task's target list and results, an inspection's result.
--                     (That such an object exists can itself be the secret.)
--   trade_secret      商业秘密 and
--   personal_privacy  个人隐私: the row appears (publishing the check and its result is the duty),
--                     but its descriptive text is withheld (NULL), and column `withheld` says why:
--                       plan        → title
--                       task        → title, item codes and item names (in every view that shows them)
--                       inspection  → the subject's name in public_results
-- Never published, whatever the marking: an inspection's note (a working note), inspectors and
-- assignments, directories, draw populations, disposals' document numbers, credit classes.
-- Individual businesses (个体工商户, USCC category 92): their registered names are published like
-- any subject's (they are public registration data); this database holds no operator's personal
-- name. Where a name would reveal a person, mark the inspection personal_privacy.
--
-- Publication: a row appears only when its item in @extschema@.publication is published
-- (published_on <= current_date): plan → item 'plan', task → 'task', target → 'target_list' of
-- its task, result → 'result'.
-- Surprise checks (突击检查): a task with surprise = true whose period_end >= current_date hides its
-- task, list and results, and the plan it belongs to, whatever was marked published.
--
-- The views are owned by the extension owner and read the tables with its rights (not
-- security_invoker), so a public reader needs SELECT on them and nothing else. Functions called
-- in a view run with the reader's rights, so the views call none that reads a table. They are security_barrier views:
-- a reader's own WHERE functions run only on rows the view already lets through.
-- =====================================================================================

ALTER TABLE @extschema@.plan ADD COLUMN confidential text
    CONSTRAINT "plan confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'));
ALTER TABLE @extschema@.task ADD COLUMN confidential text
    CONSTRAINT "task confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'));
ALTER TABLE @extschema@.inspection ADD COLUMN confidential text
    CONSTRAINT "inspection confidential is state_secret trade_secret or personal_privacy"
        CHECK (confidential IN ('state_secret', 'trade_secret', 'personal_privacy'));
COMMENT ON COLUMN @extschema@.plan.confidential IS
    'NULL = public; state_secret (国家秘密): the plan and its tasks, lists and results are never shown in the public views; trade_secret (商业秘密) / personal_privacy (个人隐私): the plan is shown with its title withheld';
COMMENT ON COLUMN @extschema@.task.confidential IS
    'NULL = public; state_secret (国家秘密): the task, its target list and results are never shown in the public views; trade_secret (商业秘密) / personal_privacy (个人隐私): shown with title and items withheld';
COMMENT ON COLUMN @extschema@.inspection.confidential IS
    'NULL = public; state_secret (国家秘密): the result is never shown in the public views; trade_secret (商业秘密) / personal_privacy (个人隐私): shown with the subject''s name withheld. The note is never public';

-- What the public views may show of a task, and so of its target list, results and disposals: not
-- a state secret of the task or its plan (国家秘密), not a surprise check (突击检查) before its
-- period has ended. The one place the public views decide it (an expression the planner inlines).
CREATE FUNCTION @extschema@.task_public(task_confidential text, plan_confidential text,
                                       surprise boolean, period_end date) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN task_confidential IS DISTINCT FROM 'state_secret'
       AND plan_confidential IS DISTINCT FROM 'state_secret'
       AND NOT (surprise AND period_end >= CURRENT_DATE);
COMMENT ON FUNCTION @extschema@.task_public(text, text, boolean, date) IS
    'internal: whether the public views may show a task (its list, results, disposals): neither it nor its plan is a state secret (国家秘密), and it is not a surprise check (突击检查) whose period has not ended; used by public_tasks, public_targets, public_results and public_disposals';

CREATE VIEW @extschema@.public_plans WITH (security_barrier) AS
SELECT p.id                                                 AS plan_id,
       p.department_id,
       d.name                                               AS department_name,
       p.year,
       CASE WHEN p.confidential IS NULL THEN p.title END   AS title,
       p.approved_on,
       pub.published_on,
       p.confidential                                       AS withheld
  FROM @extschema@.plan p
  JOIN @extschema@.department d ON d.id = p.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'plan' AND pub.object_id = p.id
 WHERE pub.published_on <= CURRENT_DATE
   AND p.confidential IS DISTINCT FROM 'state_secret'
   AND NOT EXISTS (SELECT 1 FROM @extschema@.task t
                    WHERE t.plan_id = p.id AND t.surprise AND t.period_end >= CURRENT_DATE);
COMMENT ON VIEW @extschema@.public_plans IS
    'disclosure site: published annual plans (年度抽查计划). Hidden: unpublished plans, state secrets, plans holding a surprise task that has not ended. title is NULL when withheld (withheld = trade_secret or personal_privacy)';
COMMENT ON COLUMN @extschema@.public_plans.withheld IS 'NULL, or why title is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

CREATE VIEW @extschema@.public_tasks WITH (security_barrier) AS
SELECT t.id                                                 AS task_id,
       CASE WHEN p.confidential IS NULL THEN t.plan_id END AS plan_id,
       t.department_id,
       d.name                                               AS department_name,
       deps.department_ids,
       deps.department_names,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS title,
       t.kind,
       t.period_start,
       t.period_end,
       t.sample_ratio,
       t.sample_size,
       (SELECT pg_catalog.jsonb_object_agg(s.credit_class, s.ratio ORDER BY s.credit_class)
          FROM @extschema@.task_stratum s WHERE s.task_id = t.id) AS stratum_ratios,
       CASE WHEN t.confidential IS NULL THEN items.codes END AS item_codes,
       CASE WHEN t.confidential IS NULL THEN items.names END AS item_names,
       pub.published_on,
       t.confidential                                       AS withheld
  FROM @extschema@.task t
  JOIN @extschema@.department d ON d.id = t.department_id
  JOIN @extschema@.publication pub ON pub.kind = 'task' AND pub.object_id = t.id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  CROSS JOIN LATERAL (      -- the initiator first, then the other departments with items, by id
      SELECT array_agg(x.id ORDER BY x.id <> t.department_id, x.id) AS department_ids,
             array_agg(x.name ORDER BY x.id <> t.department_id, x.id) AS department_names
        FROM @extschema@.department x
       WHERE x.id = t.department_id
          OR x.id IN (SELECT ci.department_id FROM @extschema@.task_item ti
                        JOIN @extschema@.check_item ci ON ci.id = ti.item_id
                       WHERE ti.task_id = t.id)) deps
  CROSS JOIN LATERAL (
      SELECT array_agg(ci.code ORDER BY ci.department_id, ci.code) AS codes,
             array_agg(ci.name ORDER BY ci.department_id, ci.code) AS names
        FROM @extschema@.task_item ti JOIN @extschema@.check_item ci ON ci.id = ti.item_id
       WHERE ti.task_id = t.id) items
 WHERE pub.published_on <= CURRENT_DATE
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
COMMENT ON VIEW @extschema@.public_tasks IS
    'disclosure site: published spot-check tasks (抽查任务) with their departments (a joint task lists all: initiator first), period, ratio or size, items. Hidden: unpublished tasks, state secrets, surprise tasks that have not ended. title and items are NULL when withheld';
COMMENT ON COLUMN @extschema@.public_tasks.department_id IS 'the initiating department (发起部门)';
COMMENT ON COLUMN @extschema@.public_tasks.department_ids IS 'every department of the task: the initiator first, then the departments of its items by id';
COMMENT ON COLUMN @extschema@.public_tasks.department_names IS 'names of department_ids, in the same order';
COMMENT ON COLUMN @extschema@.public_tasks.plan_id IS 'the annual plan, NULL for a task without one or in a plan whose title is withheld';
COMMENT ON COLUMN @extschema@.public_tasks.stratum_ratios IS 'per credit class ratio ({"A": 0.03, "C": 0.1}) when the task draws by class, else NULL';
COMMENT ON COLUMN @extschema@.public_tasks.item_codes IS 'codes of the check items (抽查事项), by department then code; NULL when withheld';
COMMENT ON COLUMN @extschema@.public_tasks.item_names IS 'names of the check items, same order as item_codes; NULL when withheld';
COMMENT ON COLUMN @extschema@.public_tasks.withheld IS 'NULL, or why title and items are withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

CREATE VIEW @extschema@.public_results WITH (security_barrier) AS
SELECT i.id                                                 AS result_id,
       i.uscc::text                                         AS uscc,
       CASE WHEN i.confidential IS NULL THEN s.name END    AS subject_name,
       i.task_id,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS task_title,
       i.department_id,
       d.name                                               AS department_name,
       i.result_code,
       rc.name_zh                                           AS result_name,
       i.inspected_on,
       i.result_on,
       pub.published_on,
       i.confidential                                       AS withheld
  FROM @extschema@.inspection i
  JOIN @extschema@.task t ON t.id = i.task_id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  JOIN @extschema@.subject s ON s.uscc = i.uscc
  JOIN @extschema@.department d ON d.id = i.department_id
  JOIN @extschema@.result_code rc ON rc.code = i.result_code
  JOIN @extschema@.publication pub ON pub.kind = 'result' AND pub.object_id = i.id
 WHERE pub.published_on <= CURRENT_DATE
   AND i.confidential IS DISTINCT FROM 'state_secret'
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
COMMENT ON VIEW @extschema@.public_results IS
    'disclosure site: published check results (检查结果, 谁检查谁公示: by the department that checked). Hidden: unpublished results, state secrets (of the inspection, its task or plan), results of surprise tasks that have not ended. subject_name is NULL when the inspection is marked trade_secret or personal_privacy; task_title is NULL when the task''s title is withheld';
COMMENT ON COLUMN @extschema@.public_results.result_id IS 'a stable id of the result (the inspection id)';
COMMENT ON COLUMN @extschema@.public_results.uscc IS 'the subject''s unified social credit code (统一社会信用代码), 18 characters';
COMMENT ON COLUMN @extschema@.public_results.result_name IS 'the result in Chinese (e.g. 未发现问题)';
COMMENT ON COLUMN @extschema@.public_results.withheld IS 'NULL, or why subject_name is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

CREATE VIEW @extschema@.public_targets WITH (security_barrier) AS
SELECT t.id                                                 AS task_id,
       CASE WHEN t.confidential IS NULL THEN t.title END   AS task_title,
       t.department_id,
       d.name                                               AS department_name,
       dt.uscc::text                                        AS uscc,
       s.name                                               AS subject_name,
       dt.stratum,
       dt.rank,
       r.id                                                 AS draw_id,
       (r.drawn_at AT TIME ZONE 'Asia/Shanghai')::date      AS drawn_on,
       r.algorithm,
       pg_catalog.encode(r.seed, 'hex')                     AS seed_hex,
       pg_catalog.encode(r.population_digest, 'hex')        AS population_digest_hex,
       r.population_size,
       pub.published_on,
       t.confidential                                       AS withheld
  FROM @extschema@.draw_record r
  JOIN @extschema@.task t ON t.id = r.task_id
  LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
  JOIN @extschema@.department d ON d.id = t.department_id
  JOIN @extschema@.draw_target dt ON dt.draw_id = r.id
  JOIN @extschema@.subject s ON s.uscc = dt.uscc
  JOIN @extschema@.publication pub ON pub.kind = 'target_list' AND pub.object_id = t.id
 WHERE r.cancelled_at IS NULL
   AND pub.published_on <= CURRENT_DATE
   AND @extschema@.task_public(t.confidential, p.confidential, t.surprise, t.period_end);
COMMENT ON VIEW @extschema@.public_targets IS
    'disclosure site: the published list of drawn targets (抽查对象名单) of each task''s live draw, with what a third party needs to check the draw: algorithm, seed and population digest (hex), population size, stratum and rank. Hidden: unpublished lists, cancelled draws, state secrets, surprise tasks that have not ended';
COMMENT ON COLUMN @extschema@.public_targets.department_id IS 'the initiating department of the task';
COMMENT ON COLUMN @extschema@.public_targets.drawn_on IS 'the day of the draw, Beijing time';
COMMENT ON COLUMN @extschema@.public_targets.seed_hex IS 'the 32-byte seed of the draw, 64 lower-case hex digits';
COMMENT ON COLUMN @extschema@.public_targets.population_digest_hex IS 'SHA-256 of the eligible population the draw was made from (see draw_record.population_digest), 64 lower-case hex digits';
COMMENT ON COLUMN @extschema@.public_targets.stratum IS 'credit class (A B C D) of the target when the task draws by class, else all';
COMMENT ON COLUMN @extschema@.public_targets.rank IS 'rank of the target within its stratum (1 = smallest key of the algorithm)';
COMMENT ON COLUMN @extschema@.public_targets.withheld IS 'NULL, or why task_title is withheld: trade_secret (商业秘密) or personal_privacy (个人隐私)';

-- ---- one draw's files for the disclosure site (and its verification page, tools/verify_draw.html)
-- The list of targets appears here under the rules of public_targets (published, live, no state
-- secret, no surprise task before its end); otherwise the call is refused and says why. The
-- population goes further than the public views (it names every eligible subject and, in a draw by
-- credit class, its class), so the function runs with the caller's rights: an officer reads the
-- draw under row-level security, a public reader gets nothing (no right on draw_record).
CREATE FUNCTION @extschema@.draw_publication(draw_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = @extschema@, pg_temp
    SET extra_float_digits = 1
AS $$
DECLARE
    r       record;
    pop_csv text;
    tgt_csv text;
BEGIN
    SELECT d.id, d.task_id, d.algorithm, d.seed, d.drawn_at, d.population, d.population_size,
           d.population_digest, d.allocation, d.cancelled_at, d.cancel_reason,
           t.title, t.confidential, t.surprise, t.period_end, p.confidential AS plan_confidential,
           pub.published_on
      INTO r
      FROM @extschema@.draw_record d
      JOIN @extschema@.task t ON t.id = d.task_id
      LEFT JOIN @extschema@.plan p ON p.id = t.plan_id
      LEFT JOIN @extschema@.publication pub ON pub.kind = 'target_list' AND pub.object_id = t.id
     WHERE d.id = draw_publication.draw_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s does not exist'), draw_id),
            ERRCODE = 'undefined_object';
    END IF;
    IF r.confidential = 'state_secret' OR r.plan_confidential = 'state_secret' THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: its task or plan is a state secret'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s or its plan is marked state_secret (国家秘密); its target list is never published.'), r.task_id);
    END IF;
    IF r.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: it was cancelled'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('The reason given was: %s'), r.cancel_reason),
            HINT    = pg_catalog.format(@extschema@.message_text('Publish the task''s live draw instead.'));
    END IF;
    IF r.surprise AND r.period_end >= CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: its task is a surprise check that has not ended'), draw_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = pg_catalog.format(@extschema@.message_text('Task %s is a surprise check (突击检查) until %s.'), r.task_id, r.period_end);
    END IF;
    IF r.published_on IS NULL OR r.published_on > CURRENT_DATE THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('draw %s is not published: the target list of task %s is not published'),
                                        draw_id, r.task_id),
            ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL  = CASE WHEN r.published_on IS NULL
                           THEN pg_catalog.format(@extschema@.message_text('No publication day is recorded for the list.'))
                           ELSE pg_catalog.format(@extschema@.message_text('The list is published on %s.'), r.published_on) END,
            HINT    = pg_catalog.format(@extschema@.message_text('Record the day it goes up with %s.mark_published(''target_list'', %s, date).'),
                                        '@extschema@', r.task_id);
    END IF;
    -- the files as \copy ... CSV HEADER writes them (a stratum quoted when it holds a comma, quote
    -- or line break): codes in order within strata in byte order
    SELECT 'uscc,stratum,weight' || E'\n'
           || coalesce(pg_catalog.string_agg(
                  x.uscc::text || ',' || CASE WHEN x.stratum ~ '[",\r\n]' OR x.stratum = '' THEN '"' || pg_catalog.replace(x.stratum, '"', '""') || '"' ELSE x.stratum END || ',' || coalesce(x.weight::text, '') || E'\n',
                  '' ORDER BY x.n), '')
      INTO pop_csv
      FROM @extschema@.population_rows(r.population) WITH ORDINALITY AS x(uscc, stratum, weight, n);
    SELECT 'stratum,rank,uscc' || E'\n'
           || coalesce(pg_catalog.string_agg(
                  CASE WHEN dt.stratum ~ '[",\r\n]' OR dt.stratum = '' THEN '"' || pg_catalog.replace(dt.stratum, '"', '""') || '"' ELSE dt.stratum END || ',' || dt.rank || ',' || dt.uscc::text || E'\n',
                  '' ORDER BY dt.stratum COLLATE "C", dt.rank), '')
      INTO tgt_csv
      FROM @extschema@.draw_target dt WHERE dt.draw_id = draw_publication.draw_id;
    RETURN pg_catalog.jsonb_build_object(
        'draw_id', r.id,
        'task_id', r.task_id,
        'task_title', CASE WHEN r.confidential IS NULL THEN r.title END,
        'withheld', r.confidential,
        'drawn_on', (r.drawn_at AT TIME ZONE 'Asia/Shanghai')::date,
        'published_on', r.published_on,
        'algorithm', r.algorithm,
        'seed_hex', pg_catalog.encode(r.seed, 'hex'),
        'allocation', r.allocation,
        'population_size', r.population_size,
        'population_digest_hex', pg_catalog.encode(r.population_digest, 'hex'),
        'population_csv', pop_csv,
        'targets_csv', tgt_csv);
END
$$;
COMMENT ON FUNCTION @extschema@.draw_publication(bigint) IS
    'everything a disclosure site publishes for one draw, in one jsonb: algorithm, seed_hex, allocation, population_digest_hex, population_csv (as draw_population exported with CSV HEADER), targets_csv (stratum,rank,uscc), with task and days; tools/verify_draw.html re-runs the draw from it in a browser. Refused (55000) unless the list is public under the rules of public_targets; runs with the caller''s rights (not for public readers: the population is not in the public views)';
