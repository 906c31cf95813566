-- =====================================================================================
-- Sample data: a realistic province (Fujian, 福建省), deterministic from a seed, from 1,000 to
-- 10,000,000 subjects. For demos, tests and benchmarks; never needed in production.
--   SELECT * FROM @extschema@.generate_sample(100000, seed => 7);
-- =====================================================================================

-- Real county-level regions of five Fujian cities, with a weight ~ number of market subjects.
CREATE FUNCTION @extschema@.sample_regions()
RETURNS TABLE (region text, city_region text, city text, county text, weight integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
    SELECT v.region, substr(v.region, 1, 4), v.city, v.county, v.weight
      FROM (VALUES
        ('350102', '福州市', '鼓楼区', 5), ('350103', '福州市', '台江区', 4), ('350104', '福州市', '仓山区', 5),
        ('350105', '福州市', '马尾区', 2), ('350111', '福州市', '晋安区', 4), ('350112', '福州市', '长乐区', 3),
        ('350121', '福州市', '闽侯县', 3), ('350122', '福州市', '连江县', 2), ('350181', '福州市', '福清市', 4),
        ('350203', '厦门市', '思明区', 6), ('350205', '厦门市', '海沧区', 3), ('350206', '厦门市', '湖里区', 6),
        ('350211', '厦门市', '集美区', 4), ('350212', '厦门市', '同安区', 3), ('350213', '厦门市', '翔安区', 2),
        ('350302', '莆田市', '城厢区', 2), ('350303', '莆田市', '涵江区', 2), ('350304', '莆田市', '荔城区', 2),
        ('350305', '莆田市', '秀屿区', 1), ('350322', '莆田市', '仙游县', 2),
        ('350502', '泉州市', '鲤城区', 2), ('350503', '泉州市', '丰泽区', 3), ('350504', '泉州市', '洛江区', 1),
        ('350505', '泉州市', '泉港区', 1), ('350521', '泉州市', '惠安县', 3), ('350524', '泉州市', '安溪县', 3),
        ('350526', '泉州市', '德化县', 1), ('350581', '泉州市', '石狮市', 4), ('350582', '泉州市', '晋江市', 7),
        ('350583', '泉州市', '南安市', 4),
        ('350602', '漳州市', '芗城区', 2), ('350603', '漳州市', '龙文区', 1), ('350604', '漳州市', '龙海区', 2),
        ('350622', '漳州市', '云霄县', 1), ('350623', '漳州市', '漳浦县', 2), ('350624', '漳州市', '诏安县', 1)
      ) AS v(region, city, county, weight)
$$;
COMMENT ON FUNCTION @extschema@.sample_regions() IS
    'sample data: real county-level region codes of five Fujian cities (福州 厦门 莆田 泉州 漳州) with relative weights';

-- non-negative pseudo-random number from (n, seed, salt); deterministic on every platform
CREATE FUNCTION @extschema@.sample_hash(n bigint, seed integer, salt integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.hashint8extended(n, seed::bigint * 1000 + salt) & 9223372036854775807;
COMMENT ON FUNCTION @extschema@.sample_hash(bigint, integer, integer) IS
    'sample data: a non-negative deterministic hash of (n, seed, salt)';

CREATE FUNCTION @extschema@.sample_subjects(subjects bigint, seed integer DEFAULT 1)
RETURNS TABLE (uscc text, name text, region text, industry text, credit_class text, risk_level text, status text)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = @extschema@, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- (the rows are made in full before the first is returned, so a LIMIT does not bound the work)
    IF subjects < 0 OR subjects > 100000000 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('sample size %s is out of range'), subjects),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Ask for 0 to 100,000,000 subjects.'));
    END IF;
    RETURN QUERY
    WITH r AS (   -- one slot per unit of weight, so a county is picked by one array lookup
        SELECT array_agg(region ORDER BY region, g) AS slots,
               array_agg(substr(city, 1, 2) ORDER BY region, g) AS city_names
          FROM @extschema@.sample_regions(), generate_series(1, weight) g
    ), x AS (
        SELECT i,
               -- org code bodies: 'MA' + a bijection of i onto 6 base-31 characters (unique codes)
               (i * 1000003 + seed::bigint * 7919) % 887503681 AS m,
               @extschema@.sample_hash(i, seed, 1) AS h1,
               @extschema@.sample_hash(i, seed, 2) AS h2,
               @extschema@.sample_hash(i, seed, 3) AS h3,
               @extschema@.sample_hash(i, seed, 4) AS h4,
               @extschema@.sample_hash(i, seed, 5) AS h5
          FROM generate_series(1::bigint, subjects) i
    ), y AS (
        SELECT x.*, r.slots[1 + (h1 % cardinality(r.slots))::int] AS region,
               r.city_names[1 + (h1 % cardinality(r.slots))::int] AS city_name,
               CASE WHEN h2 % 100 < 70 THEN '91' WHEN h2 % 100 < 95 THEN '92'
                    WHEN h2 % 100 < 98 THEN '93' WHEN h2 % 100 < 99 THEN '52' ELSE '12' END AS kind,
               (ARRAY['餐饮服务', '食品销售', '食品生产', '药品零售', '批发零售', '建材家居',
                      '电子产品', '服装纺织', '物流运输', '医疗器械', '文化娱乐', '农资经营'])[1 + (h3 % 12)::int] AS industry
          FROM x, r
    )
    SELECT @extschema@.uscc_build(kind, region,
               'MA' || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 28629151 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 923521 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 29791 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 961 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m / 31 % 31)::int + 1, 1)
                    || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', (m % 31)::int + 1, 1))::text,
           city_name
             || (ARRAY['鑫', '华', '恒', '泰', '盛', '达', '源', '兴', '福', '嘉', '瑞', '宏', '祥', '安', '利', '闽'])[1 + (h4 % 16)::int]
             || (ARRAY['华', '昌', '丰', '隆', '鹏', '诚', '信', '和', '海', '顺', '德', '荣'])[1 + (h5 % 12)::int]
             || left(industry, 2)
             || CASE kind WHEN '91' THEN '有限公司' WHEN '92' THEN '商行' WHEN '93' THEN '专业合作社'
                          WHEN '52' THEN '服务中心' ELSE '事务中心' END,
           region,
           industry,
           CASE WHEN h4 / 16 % 100 < 40 THEN 'A' WHEN h4 / 16 % 100 < 85 THEN 'B'
                WHEN h4 / 16 % 100 < 96 THEN 'C' ELSE 'D' END,
           (least(4, greatest(1,
                CASE WHEN industry IN ('食品生产', '药品零售', '医疗器械') THEN 3
                     WHEN industry IN ('餐饮服务', '食品销售', '文化娱乐', '农资经营') THEN 2 ELSE 1 END
                + (h5 / 12 % 3)::int - 1)))::text,
           CASE WHEN h5 / 36 % 1000 < 970 THEN 'active' WHEN h5 / 36 % 1000 < 980 THEN 'suspended'
                WHEN h5 / 36 % 1000 < 985 THEN 'liquidating' WHEN h5 / 36 % 1000 < 993 THEN 'deregistered'
                WHEN h5 / 36 % 1000 < 997 THEN 'revoked' ELSE 'moved_out' END
      FROM y;
END
$$;
COMMENT ON FUNCTION @extschema@.sample_subjects(bigint, integer) IS
    'sample data: n realistic market subjects as text rows (the columns of subject_staging): valid unique codes with correct check characters, Fujian county regions, 70% enterprises / 25% individual businesses / cooperatives / social organisations, credit mostly A and B, ~3% not active; deterministic from the seed; 0 to 100,000,000 subjects';

CREATE FUNCTION @extschema@.generate_sample(subjects bigint DEFAULT 10000, seed integer DEFAULT 1)
RETURNS TABLE (object text, rows bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_temp
AS $fn$
DECLARE
    n bigint;
BEGIN
    IF subjects IS NULL OR seed IS NULL THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('generate_sample needs a number of subjects and a seed, not NULL')),
            ERRCODE = 'null_value_not_allowed',
            HINT    = pg_catalog.format(@extschema@.message_text('Leave out an argument to use its default: generate_sample(10000, seed => 1).'));
    END IF;
    IF subjects < 1 OR subjects > 100000000 THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('sample size %s is out of range'), subjects),
            ERRCODE = 'invalid_parameter_value',
            HINT    = pg_catalog.format(@extschema@.message_text('Ask for 1 to 100,000,000 subjects.'));
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.subject) OR EXISTS (SELECT 1 FROM @extschema@.department) THEN
        RAISE EXCEPTION USING
            MESSAGE = pg_catalog.format(@extschema@.message_text('the directory is not empty')),
            ERRCODE = 'object_not_in_prerequisite_state',
            HINT    = pg_catalog.format(@extschema@.message_text('generate_sample() fills an empty database; use a new database for sample data.'));
    END IF;

    -- departments: province, city and county level of several enforcement systems
    INSERT INTO @extschema@.department (code, name, system, level, region)
    SELECT sys.abbr || '-35', '福建省' || sys.office, sys.system, 2, '35'
      FROM (VALUES ('market', 'SAMR', '市场监督管理局'), ('ecology', 'EE', '生态环境厅'),
                   ('culture', 'CT', '文化和旅游厅'), ('health', 'HC', '卫生健康委员会'),
                   ('emergency', 'EM', '应急管理厅'), ('agriculture', 'AG', '农业农村厅')) sys(system, abbr, office)
    UNION ALL
    SELECT DISTINCT ON (sys.abbr, r.city_region) sys.abbr || '-' || r.city_region, r.city || sys.office, sys.system, 3, r.city_region
      FROM @extschema@.sample_regions() r,
           (VALUES ('market', 'SAMR', '市场监督管理局'), ('ecology', 'EE', '生态环境局'),
                   ('culture', 'CT', '文化和旅游局'), ('health', 'HC', '卫生健康委员会'),
                   ('emergency', 'EM', '应急管理局'), ('agriculture', 'AG', '农业农村局')) sys(system, abbr, office)
    UNION ALL
    SELECT sys.abbr || '-' || r.region, r.city || r.county || sys.office, sys.system, 4, r.region
      FROM @extschema@.sample_regions() r,
           (VALUES ('market', 'SAMR', '市场监督管理局'), ('ecology', 'EE', '生态环境局'),
                   ('health', 'HC', '卫生健康局')) sys(system, abbr, office)
    ORDER BY 4, 5, 1;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'department'; rows := n; RETURN NEXT;

    INSERT INTO @extschema@.subject (uscc, name, region, industry, credit_class, risk_level, status)
    SELECT s.uscc::@extschema@.uscc, s.name, s.region, s.industry, s.credit_class, s.risk_level::smallint, s.status
      FROM @extschema@.sample_subjects(subjects, seed) s;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'subject'; rows := n; RETURN NEXT;

    -- the item list (一单) of each department, by system; some exempt from the repeat limits
    INSERT INTO @extschema@.check_item (department_id, code, name, category, legal_basis, key_supervision, limit_exempt, exempt_reason)
    SELECT d.id, i.code, i.name, i.category, i.basis, i.key_item, i.exempt_reason IS NOT NULL, i.exempt_reason
      FROM @extschema@.department d
      JOIN (VALUES
        ('market', 'SC-01', '营业执照（登记事项）情况的检查', 'registration', '《市场主体登记管理条例》', false, NULL),
        ('market', 'SC-02', '年度报告公示信息情况的检查', 'annual_report', '《企业信息公示暂行条例》', false, NULL),
        ('market', 'SC-03', '食品经营许可及经营行为的检查', 'food_safety', '《食品安全法》', true, NULL),
        ('market', 'SC-04', '产品质量的检查', 'product_quality', '《产品质量法》', false, NULL),
        ('market', 'SC-05', '告知承诺审批事项的核查', 'commitment', '《优化营商环境条例》', false, 'commitment'),
        ('ecology', 'EE-01', '排污许可执行情况的检查', 'pollution_permit', '《排污许可管理条例》', true, 'environment'),
        ('ecology', 'EE-02', '固体废物污染环境防治的检查', 'solid_waste', '《固体废物污染环境防治法》', false, 'environment'),
        ('culture', 'CT-01', '娱乐场所经营活动的检查', 'entertainment', '《娱乐场所管理条例》', false, NULL),
        ('culture', 'CT-02', '旅行社经营行为的检查', 'travel_agency', '《旅游法》', false, NULL),
        ('health', 'HC-01', '公共场所卫生的检查', 'public_health', '《公共场所卫生管理条例》', true, NULL),
        ('health', 'HC-02', '医疗机构依法执业的检查', 'medical_practice', '《医疗机构管理条例》', true, NULL),
        ('emergency', 'EM-01', '安全生产条件的检查', 'work_safety', '《安全生产法》', true, 'work_safety'),
        ('agriculture', 'AG-01', '农药经营的检查', 'pesticide', '《农药管理条例》', false, NULL),
        ('agriculture', 'AG-02', '种子经营的检查', 'seed', '《种子法》', false, NULL)
      ) AS i(system, code, name, category, basis, key_item, exempt_reason) ON i.system = d.system
     ORDER BY d.id, i.code;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'check_item'; rows := n; RETURN NEXT;

    -- inspectors: county market departments ~1 per 400 subjects, others fewer; at least 6
    WITH per_region AS (
        SELECT s.region, count(*) AS subjects FROM @extschema@.subject s GROUP BY s.region
    ), per_department AS (
        SELECT d.id, d.region, d.level,
               greatest(6, (coalesce(sum(p.subjects), 0)
                            / CASE WHEN d.system = 'market' THEN 400 ELSE 4000 END
                            / CASE d.level WHEN 4 THEN 1 WHEN 3 THEN 4 ELSE 20 END))::int AS officers
          FROM @extschema@.department d
          LEFT JOIN per_region p ON starts_with(p.region, d.region)
         GROUP BY d.id
    )
    INSERT INTO @extschema@.inspector (department_id, name, badge_no, active)
    SELECT pd.id,
           (ARRAY['林', '陈', '黄', '张', '吴', '王', '李', '郑', '刘', '蔡', '杨', '许', '洪', '郭', '曾', '周'])
               [1 + (@extschema@.sample_hash(pd.id * 100000 + g, seed, 11) % 16)::int]
           || (ARRAY['志强', '丽华', '建国', '海燕', '文斌', '晓明', '雅琴', '国华', '静', '伟', '敏', '磊', '婷婷', '俊杰', '秀英', '振华'])
               [1 + (@extschema@.sample_hash(pd.id * 100000 + g, seed, 12) % 16)::int],
           '35' || lpad(pd.id::text, 4, '0') || lpad(g::text, 5, '0'),
           @extschema@.sample_hash(pd.id * 100000 + g, seed, 13) % 50 <> 0      -- ~2% inactive
      FROM per_department pd, generate_series(1, pd.officers) g
     ORDER BY pd.id, g;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'inspector'; rows := n; RETURN NEXT;

    -- conflicts of interest (回避): ~0.2% of subjects, each with one officer of its county market department
    WITH officers AS (
        SELECT d.region, array_agg(i.id ORDER BY i.id) AS ids
          FROM @extschema@.inspector i JOIN @extschema@.department d ON d.id = i.department_id
         WHERE d.system = 'market' AND d.level = 4
         GROUP BY d.region
    )
    INSERT INTO @extschema@.inspector_conflict (inspector_id, uscc, reason)
    SELECT o.ids[1 + (pg_catalog.hashtextextended(s.uscc::text, seed + 21) & 2147483647) % cardinality(o.ids)],
           s.uscc,
           (ARRAY['近亲属任职', '曾在该企业任职', '持有该企业股份'])[1 + ((pg_catalog.hashtextextended(s.uscc::text, seed + 22) & 2147483647) % 3)::int]
      FROM @extschema@.subject s JOIN officers o ON o.region = s.region
     WHERE (pg_catalog.hashtextextended(s.uscc::text, seed + 20) & 2147483647) % 500 = 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'inspector_conflict'; rows := n; RETURN NEXT;

    -- a dedicated food directory (食品经营者专用名录) per county market department
    INSERT INTO @extschema@.directory (department_id, name, kind)
    SELECT d.id, d.name || '食品经营者专用名录', 'dedicated'
      FROM @extschema@.department d WHERE d.system = 'market' AND d.level = 4 ORDER BY d.id;
    INSERT INTO @extschema@.directory_member (directory_id, uscc)
    SELECT dir.id, s.uscc
      FROM @extschema@.directory dir
      JOIN @extschema@.department d ON d.id = dir.department_id
      JOIN @extschema@.subject s ON s.region = d.region
     WHERE s.industry IN ('餐饮服务', '食品销售', '食品生产');
    GET DIAGNOSTICS n = ROW_COUNT;
    object := 'directory_member'; rows := n; RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION @extschema@.generate_sample(bigint, integer) IS
    'fills an empty database with a realistic sample province (福建省): departments of six enforcement systems at province, city and county level, n subjects, item lists with exempt items, inspectors, conflicts of interest and food directories; deterministic from the seed; returns rows per table';
REVOKE EXECUTE ON FUNCTION @extschema@.generate_sample(bigint, integer) FROM PUBLIC;
