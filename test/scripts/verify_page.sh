#!/usr/bin/env bash
# tools/verify_draw.html, the verification page of the disclosure site, re-runs draws made by the
# extension in a real browser: Debian's chromium, headless, driven by playwright-core (npm), offline,
# with every request but the page itself refused. Draws: sha256-v1 by credit class, sha256-v1-weighted
# and rfc3797 over a few thousand subjects, and sha256-v1 over 200,000; their files come from
# draw_population/draw_target and from draw_publication(), and go into the page by file picker,
# drag and drop, pasted text and the publication JSON, from file:// and from a static web server
# (python3 -m http.server on 127.0.0.1). The page must reproduce every target list and digest, and
# call a tampered target list and a tampered population different.
# Runs inside the test cluster (PG* set). Installs chromium (apt) and playwright-core (npm, into
# ${SUPERVISE_NODE_DIR:-/var/tmp/supervise-node}) when missing; prints "skipped: <reason>" and exits 0
# only when no browser can be had. VERIFY_PAGE_SCREENSHOT=doc/verify_page.png writes the screenshot
# of the documentation (a verification in Chinese).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
skip() { echo "skipped: $*"; exit 0; }

# ---- the browser and its driver
chromium=${CHROMIUM:-/usr/bin/chromium}
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1
}
if [ ! -x "$chromium" ]; then
  apt_install chromium || true
  [ -x "$chromium" ] || skip "no chromium at $chromium, and it cannot be installed here"
fi
# a Chinese font for the page's default language (the check does not need it, the screenshot does)
command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null)" ] && { apt_install fonts-wqy-microhei || true; }
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm || true
command -v node >/dev/null && command -v npm >/dev/null || skip "no node and npm to drive the browser, and they cannot be installed here"
nodedir=${SUPERVISE_NODE_DIR:-/var/tmp/supervise-node}
mkdir -p "$nodedir"
(
  flock 9
  if ! cmp -s test/browser/package-lock.json "$nodedir/package-lock.json" || [ ! -d "$nodedir/node_modules/playwright-core" ]; then
    cp test/browser/package.json test/browser/package-lock.json "$nodedir/"
    cd "$nodedir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts >npm.log 2>&1
  fi
) 9>"$nodedir/.lock" || skip "playwright-core cannot be installed from npm (see $nodedir/npm.log)"

# ---- draws made by the extension
work=$(mktemp -d)
server=
db=supervise_vpage
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true; }
trap cleanup EXIT
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

psql <<'SQL'
CREATE EXTENSION supervise;
SET search_path = supervise, public;
CREATE FUNCTION public.mkcode(n bigint) RETURNS supervise.uscc LANGUAGE sql IMMUTABLE AS $$
  SELECT (c || substr(a, (31 - s % 31) % 31 + 1, 1))::supervise.uscc
    FROM (SELECT c, a, (SELECT sum((strpos(a, substr(c, i, 1)) - 1) * w[i]) FROM generate_series(1, 17) i)::int AS s
            FROM (SELECT '9' || (ARRAY['1','2'])[1 + n % 2] || '3301' || lpad((n % 97)::text, 2, '0')
                         || lpad(n::text, 9, '0') AS c,
                         '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a,
                         '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[] AS w) x) y
$$;
INSERT INTO department (id, code, name, system, level, region) VALUES (1, 'D', 'Hangzhou', 'market', 3, '3301');
INSERT INTO subject (uscc, name, region, credit_class, risk_level, status)
SELECT mkcode(g * 7919), 's' || g, '330100', (ARRAY['A','B','C','D'])[1 + (g * 31) % 4], 1 + (g * 13) % 4,
       CASE WHEN g % 11 = 0 THEN 'suspended' ELSE 'active' END
  FROM generate_series(1, 4000) g;
INSERT INTO check_item (id, department_id, code, name, category) VALUES (1, 1, 'I', 'item', 'cat');
INSERT INTO plan (id, department_id, year, title, approved_on) VALUES (1, 1, extract(year FROM current_date)::int, 'p', current_date);
INSERT INTO task (id, plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio) VALUES
  (1, 1, 1, 'stratified', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, NULL),
  (2, 1, 1, 'weighted', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 0.013),
  (3, 1, 1, 'rfc3797', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, 0.02),
  (4, 1, 1, 'large', date_trunc('year', current_date), date_trunc('year', current_date) + interval '1 year - 1 day', current_date, NULL);
INSERT INTO task_item VALUES (1, 1), (2, 1), (3, 1), (4, 1);
INSERT INTO task_stratum VALUES (1, 'A', 0.01), (1, 'B', 0.03), (1, 'C', 0.07), (1, 'D', 0.2),
                                (4, 'A', 0.005), (4, 'B', 0.01), (4, 'C', 0.02), (4, 'D', 0.05);
SELECT draw(1, seed_from('verify_draw.html stratified'));
SELECT draw(2, NULL, 'sha256-v1-weighted');
SELECT draw(3, seed_from('verify_draw.html rfc3797'), 'rfc3797');
-- the large draw over 200,000 subjects (the draws above keep their own recorded populations)
INSERT INTO subject (uscc, name, region, credit_class, risk_level, status)
SELECT mkcode(31676000 + g), 's' || g, '330100', (ARRAY['A','B','C','D'])[1 + (g * 31) % 4], 1 + (g * 13) % 4, 'active'
  FROM generate_series(4001, 204000) g;
SELECT draw(4, NULL);
-- the lists go up on the disclosure site today
UPDATE publication SET published_on = current_date WHERE kind = 'target_list';
SQL

for id in 1 2 3 4; do
  psql -c "\copy (SELECT uscc, stratum, weight FROM supervise.draw_population($id)) TO '$work/pop$id.csv' CSV HEADER"
  psql -At -F, -c "SELECT stratum, rank, uscc FROM supervise.draw_target WHERE draw_id = $id ORDER BY stratum COLLATE \"C\", rank" > "$work/targets$id.txt"
  psql -At -c "SELECT supervise.draw_publication($id)" > "$work/pub$id.json"
done

# draw_publication gives the same files as the exports
status=0
python3 - "$work" <<'PY' || status=1
import json, sys
w = sys.argv[1]
for i in (1, 2, 3, 4):
    p = json.load(open("%s/pub%d.json" % (w, i)))
    pop = open("%s/pop%d.csv" % (w, i), encoding="utf-8").read()
    tgt = "stratum,rank,uscc\n" + open("%s/targets%d.txt" % (w, i), encoding="utf-8").read()
    if p["population_csv"] != pop or p["targets_csv"] != tgt:
        print("FAILED: draw_publication(%d) differs from the draw_population and draw_target exports" % i); sys.exit(1)
print("ok: draw_publication gives the same population CSV and target list as the exports (4 draws)")
PY
rows4=$(($(wc -l < "$work/pop4.csv") - 1))
[ "$rows4" -ge 200000 ] || { echo "FAILED: the large draw has $rows4 rows"; status=1; }

# ---- tampered copies
# a target replaced by a subject of the population that was not drawn
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
lines = open(w + "/targets1.txt").read().split("\n")
drawn = {l.split(",")[2] for l in lines if l}
other = next(l.split(",")[0] for l in open(w + "/pop1.csv").read().split("\n")[1:] if l and l.split(",")[0] not in drawn)
s, r, u = lines[5].split(",")
lines[5] = "%s,%s,%s" % (s, r, other)
open(w + "/targets1_tampered.txt", "w").write("\n".join(lines))
open(w + "/tampered_code", "w").write(other)
PY
# a subject left out of the population
sed '3d' "$work/pop2.csv" > "$work/pop2_tampered.csv"

# ---- a static web server for the page
mkdir "$work/site"
cp tools/verify_draw.html "$work/site/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/site" "$port" >"$work/http.log" 2>&1 &
server=$!
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/verify_draw.html')" 2>/dev/null && break; sleep 0.1; done

seed_of() { psql -At -c "SELECT encode(seed, 'hex') FROM supervise.draw_record WHERE id = $1"; }
digest_of() { psql -At -c "SELECT encode(population_digest, 'hex') FROM supervise.draw_record WHERE id = $1"; }
alloc_of() { psql -At -c "SELECT allocation::text FROM supervise.draw_record WHERE id = $1"; }
shot=${VERIFY_PAGE_SCREENSHOT:+$root/$VERIFY_PAGE_SCREENSHOT}
python3 - "$work" "$root" "$port" "${shot:-$work/verify_page.png}" \
  "$(seed_of 1)" "$(seed_of 2)" "$(seed_of 3)" "$(digest_of 1)" "$(digest_of 2)" "$(digest_of 3)" "$(digest_of 4)" \
  "$(alloc_of 1)" "$(alloc_of 2)" "$(alloc_of 3)" > "$work/cases.json" <<'PY'
import json, sys
w, root, port, shot, s1, s2, s3, d1, d2, d3, d4, a1, a2, a3 = sys.argv[1:]
def case(name, via, **kw):
    c = dict(name=name, via=via, url="file", expect="same")
    c.update(kw)
    return c
tampered = open(w + "/tampered_code").read()
cases = [
    case("draw 1 sha256-v1 by credit class", "files", population=w + "/pop1.csv", seed=s1, seed_kind="hex",
         algorithm="sha256-v1", allocation=a1, digest=d1, targets=w + "/targets1.txt",
         expect_targets=w + "/targets1.txt", expect_digest=d1),
    case("draw 1 with the seed as its public text", "files", population=w + "/pop1.csv",
         seed="verify_draw.html stratified", seed_kind="text", algorithm="sha256-v1", allocation=a1,
         digest=d1, targets=w + "/targets1.txt", expect_targets=w + "/targets1.txt", expect_digest=d1),
    case("draw 2 sha256-v1-weighted", "drop", population=w + "/pop2.csv", seed=s2, seed_kind="hex",
         algorithm="sha256-v1-weighted", allocation=a2, digest=d2, targets=w + "/targets2.txt",
         expect_targets=w + "/targets2.txt", expect_digest=d2),
    case("draw 3 rfc3797", "paste", population=w + "/pop3.csv", seed=s3, seed_kind="hex",
         algorithm="rfc3797", allocation=a3, digest=d3, targets=w + "/targets3.txt",
         expect_targets=w + "/targets3.txt", expect_digest=d3),
    case("draw 4 of 200,000 rows from draw_publication", "publication", publication=w + "/pub4.json",
         expect_targets=w + "/targets4.txt", expect_digest=d4),
    case("draw 3 from draw_publication", "publication", url="served", publication=w + "/pub3.json",
         expect_targets=w + "/targets3.txt", expect_digest=d3),
    case("draw 1 with a tampered target list", "files", population=w + "/pop1.csv", seed=s1, seed_kind="hex",
         algorithm="sha256-v1", allocation=a1, digest=d1, targets=w + "/targets1_tampered.txt",
         expect="different", expect_diff=tampered, expect_targets=w + "/targets1.txt", expect_digest=d1),
    case("draw 2 with a tampered population", "files", url="served", population=w + "/pop2_tampered.csv", seed=s2,
         seed_kind="hex", algorithm="sha256-v1-weighted", allocation=a2, digest=d2, targets=w + "/targets2.txt",
         expect="different", expect_diff=d2),
    case("draw 1 from draw_publication, in Chinese", "publication", publication=w + "/pub1.json", lang="zh",
         expect_targets=w + "/targets1.txt", expect_digest=d1, screenshot=True),
]
json.dump(dict(page=root + "/tools/verify_draw.html", serve="http://127.0.0.1:%s/verify_draw.html" % port,
               screenshot=shot, cases=cases), sys.stdout, indent=1)
PY

PLAYWRIGHT_CORE_DIR="$nodedir/node_modules" CHROMIUM="$chromium" node test/browser/verify_page.mjs "$work/cases.json" || status=1
exit $status
