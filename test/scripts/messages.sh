#!/usr/bin/env bash
# Every message supervise raises has its Chinese translation (doc/messages.md):
#   1. the catalog: the template made afresh from the sources (C and SQL, in a temporary
#      directory: po/ is not rewritten) has every msgid translated in po/zh_CN.po, none fuzzy
#      (each missing one is named); msgfmt -c accepts po/zh_CN.po; the SQL messages' format()
#      specifiers agree with their translations' (tools/check_messages.py formats);
#   2. the SQL pieces: no RAISE gives a MESSAGE, DETAIL or HINT other than through message_text
#      (tools/check_messages.py raise, with a self-check on a piece written both ways);
#   3. at run time: the pg_regress files sql/*.sql, replayed in order in two fresh databases, one
#      with lc_messages=C and one with lc_messages=zh_CN.UTF-8, show the same messages with the
#      same SQLSTATEs, every one (message, DETAIL, HINT) in Chinese but those of PostgreSQL itself
#      that its own zh_CN catalog leaves in English (counted); and a few pgTAP files run in
#      Chinese: where a throws_ok fails only because the message is now Chinese, the caught
#      SQLSTATE is the wanted one and the caught message is Chinese.
# Runs inside the test cluster (PG* set, a superuser); makes the zh_CN.UTF-8 locale when it is
# missing (as root, localedef) and prints "skipped: <reason>" for part 3 when it cannot.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
tmp=$(mktemp -d)
dbs=()
cleanup() {
  for d in "${dbs[@]}"; do dropdb --if-exists "$d" >/dev/null 2>&1; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0

# ---- 1. the catalog
if tools/update_po.sh --template "$tmp/supervise.pot" >"$tmp/update.log" 2>&1; then
  msgmerge --quiet --no-wrap --no-fuzzy-matching -o "$tmp/zh_CN.po" po/zh_CN.po "$tmp/supervise.pot"
  n=$(grep -c '^msgid ' "$tmp/supervise.pot"); n=$((n - 1))
  msgattrib --no-wrap --untranslated --no-obsolete "$tmp/zh_CN.po" 2>/dev/null | grep '^msgid ' | grep -v '^msgid ""$' >"$tmp/untranslated" || true
  msgattrib --no-wrap --only-fuzzy --no-obsolete "$tmp/zh_CN.po" 2>/dev/null | grep '^msgid ' | grep -v '^msgid ""$' >"$tmp/fuzzy" || true
  if [ -s "$tmp/untranslated" ] || [ -s "$tmp/fuzzy" ]; then
    echo "not ok - po/zh_CN.po lacks $(wc -l <"$tmp/untranslated") of the $n messages and has $(wc -l <"$tmp/fuzzy") fuzzy (tools/update_po.sh, then translate):"
    sed 's/^msgid /#   untranslated: /' "$tmp/untranslated"
    sed 's/^msgid /#   fuzzy: /' "$tmp/fuzzy"
    fail=1
  else
    echo "ok - po/zh_CN.po translates all $n messages of the sources"
  fi
  cmp -s <(grep -v '^#' "$tmp/supervise.pot") <(grep -v '^#' po/supervise.pot) \
    || echo "# po/supervise.pot is not current: tools/update_po.sh rewrites it"
  if msgfmt -c -o /dev/null po/zh_CN.po 2>"$tmp/msgfmt.log"; then echo "ok - msgfmt -c accepts po/zh_CN.po"
  else echo "not ok - msgfmt -c refuses po/zh_CN.po:"; cat "$tmp/msgfmt.log"; fail=1; fi
  python3 tools/check_messages.py formats "$tmp/zh_CN.po" || fail=1
  # self-check: reordered arguments pass; a lost, an added or a changed conversion fails
  cat >"$tmp/formats.po" <<'PO'
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

#: src/sql/a.sql:1
#, no-c-format
msgid "subject %s may not be checked again for task %s: 100%% sure"
msgstr "抽查任务 %2$s 不得再次检查检查对象 %1$s：100%% 确定"

#: src/sql/a.sql:2
#, no-c-format
msgid "table %I has %s rows"
msgstr "表 %I 有 %s 行"
PO
  if python3 tools/check_messages.py formats "$tmp/formats.po" >"$tmp/formats.log"; then echo "ok - self-check: reordered format() arguments pass"
  else echo "not ok - self-check: reordered format() arguments are refused:"; cat "$tmp/formats.log"; fail=1; fi
  for bad in '抽查任务 %s 不得再次检查检查对象' '抽查任务 %s 不得再次检查检查对象 %s：%s' '抽查任务 %2$I 不得再次检查检查对象 %1$s：100%% 确定'; do
    sed "0,/^msgstr \"抽查任务.*/s//msgstr \"$bad\"/" "$tmp/formats.po" >"$tmp/formats_bad.po"
    if grep -q '^not ok - src/sql/a.sql:1: ' <<<"$(python3 tools/check_messages.py formats "$tmp/formats_bad.po")"; then
      echo "ok - self-check: refused: a translation \"$bad\""
    else echo "not ok - self-check: not refused: a translation \"$bad\""; fail=1; fi
  done
else
  echo "not ok - the template cannot be made from the sources:"; cat "$tmp/update.log"; fail=1
fi

# ---- 2. RAISE in the SQL pieces
python3 tools/check_messages.py raise src/sql/*.sql || fail=1
# self-check: a piece with the allowed forms passes, each form that escapes the catalog fails
cat >"$tmp/good.sql" <<'SQL'
-- RAISE EXCEPTION 'in a comment';
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = pg_catalog.format(@extschema@.message_text('subject %s may not be checked: %s'), x, pg_catalog.coalesce(y::text, '<NULL>')),
        ERRCODE = '23514',
        DETAIL  = pg_catalog.format(@extschema@.message_text('The task''s year is %s.'), y),
        HINT    = pg_catalog.format(@extschema@.message_text('Choose another subject.'));
    RAISE NOTICE USING MESSAGE = pg_catalog.format(@extschema@.message_text('%s rows; RAISE ''x'';'), n);
    RAISE EXCEPTION USING
        MESSAGE = CASE act WHEN 'draw' THEN pg_catalog.format(@extschema@.message_text('permission denied to draw task %s'), t)
                  ELSE pg_catalog.format(@extschema@.message_text('permission denied to %s task %s'), act, t) END,
        HINT    = pg_catalog.format(@extschema@.message_text('Ask an admin (%s.grant_department_officer).'), '@extschema@');
EXCEPTION WHEN others THEN
    RAISE EXCEPTION USING MESSAGE = SQLERRM, ERRCODE = SQLSTATE;
    RAISE;
END $$;
SQL
if python3 tools/check_messages.py raise "$tmp/good.sql" >"$tmp/good.log"; then echo "ok - self-check: the allowed forms of RAISE pass"
else echo "not ok - self-check: the allowed forms of RAISE are refused:"; cat "$tmp/good.log"; fail=1; fi
i=0
while IFS= read -r stmt; do
  i=$((i + 1))
  printf 'DO $$ BEGIN\n  %s\nEND $$;\n' "$stmt" >"$tmp/bad$i.sql"
  if grep -q "^not ok - $tmp/bad$i.sql:2: RAISE" <<<"$(python3 tools/check_messages.py raise "$tmp/bad$i.sql")"; then
    echo "ok - self-check: refused: $stmt"
  else echo "not ok - self-check: not refused: $stmt"; fail=1; fi
done <<'SQL'
RAISE EXCEPTION 'task % is not open', task_id USING ERRCODE = '55000';
RAISE WARNING 'no rows';
RAISE EXCEPTION USING MESSAGE = 'task is not open', ERRCODE = '55000';
RAISE EXCEPTION USING MESSAGE = pg_catalog.format('task %s is not open', task_id);
RAISE EXCEPTION USING MESSAGE = pg_catalog.format(@extschema@.message_text('task %s'), t), HINT = 'Open it first.';
RAISE EXCEPTION USING MESSAGE = pg_catalog.format(@extschema@.message_text('task %s'), t), DETAIL = 'Task ' || t || '.';
RAISE EXCEPTION USING MESSAGE = CASE a WHEN 'x' THEN pg_catalog.format(@extschema@.message_text('no %s'), t) ELSE 'not open' END;
RAISE EXCEPTION USING MESSAGE = pg_catalog.format(@extschema@.message_text('no task given to %s'), coalesce(a, 'act on'));
RAISE unique_violation;
RAISE EXCEPTION USING MESSAGE = 'task ' || @extschema@.message_text('is not open');
SQL

# ---- 3. at run time
runtime() {
  if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
    if [ "$(id -u)" = 0 ] && command -v localedef >/dev/null; then
      localedef -i zh_CN -c -f UTF-8 zh_CN.UTF-8 >/dev/null 2>&1 || true
    fi
    locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8' || { echo "skipped: no zh_CN.UTF-8 locale (install the locales package and run localedef -i zh_CN -c -f UTF-8 zh_CN.UTF-8 as root)"; return 0; }
  fi
  psql -X -At -d postgres -c 'SELECT 1' >/dev/null 2>&1 || { echo "skipped: no database server to run the messages (run inside pg_virtualenv, as tools/test.sh does)"; return 0; }
  if ! grep -q '除以零' <<<"$(PGOPTIONS='-c lc_messages=zh_CN.UTF-8' psql -X -At -d postgres -c 'SELECT 1/0' 2>&1)"; then
    echo "skipped: the server does not answer in Chinese under lc_messages=zh_CN.UTF-8 (no PostgreSQL zh_CN catalog?)"
    return 0
  fi
  local localedir; localedir=$("${PG_CONFIG:-pg_config}" --localedir 2>/dev/null || echo /usr/share/locale)
  export PG_LOCALEDIR=$localedir
  # the SQL files as pg_regress runs them, but verbose (SQLSTATE and LOCATION) everywhere
  mkdir -p "$tmp/sql"
  for f in sql/*.sql; do
    sed -E '/^\\set (VERBOSITY|SHOW_CONTEXT)\b/d' "$f" >"$tmp/sql/$(basename "$f")"
  done
  psql -X -At -d postgres -c 'SELECT rolname FROM pg_roles ORDER BY 1' >"$tmp/roles.before"
  psql -X -At -d postgres -c 'SELECT datname FROM pg_database ORDER BY 1' >"$tmp/dbs.before"
  local lc db f out start=$SECONDS
  for lc in C zh_CN.UTF-8; do
    db=supervise_messages_${lc%%.*}; dbs+=("$db")
    dropdb --if-exists "$db" >/dev/null 2>&1
    createdb "$db" && psql -X -q -d "$db" -c 'CREATE EXTENSION supervise' >/dev/null || { echo "not ok - cannot make the database $db"; return 1; }
    mkdir -p "$tmp/out/$lc"
    for f in "$tmp"/sql/*.sql; do
      out=$tmp/out/$lc/$(basename "$f" .sql).out
      # (the client's own words, DETAIL, HINT, LINE, in English: LC_ALL=C.UTF-8 for psql)
      (cd "$top" && LC_ALL=C.UTF-8 LANGUAGE= PGOPTIONS="-c lc_messages=$lc" \
        psql -X -a -q -d "$db" -v VERBOSITY=verbose -v SHOW_CONTEXT=always <"$f" >"$out" 2>&1)
    done
    dropdb "$db"
    # what the files left in the cluster (databases, roles) goes, so the second run starts the same
    psql -X -At -d postgres -c 'SELECT datname FROM pg_database ORDER BY 1' | LC_ALL=C comm -13 "$tmp/dbs.before" - |
      while read -r d; do dropdb "$d"; done
    psql -X -At -d postgres -c 'SELECT rolname FROM pg_roles ORDER BY 1' | LC_ALL=C comm -13 "$tmp/roles.before" - |
      while read -r r; do psql -X -q -d postgres -c "DROP OWNED BY \"$r\"; DROP ROLE \"$r\"" >/dev/null; done
  done
  echo "# sql/*.sql replayed twice in $((SECONDS - start)) s"
  local rc=0
  python3 tools/check_messages.py pair "$tmp/out/C" "$tmp/out/zh_CN.UTF-8" \
    $(for f in "$tmp"/sql/*.sql; do basename "$f" .sql; done) || rc=1
  pgtap_runtime || rc=1
  # MESSAGES_KEEP=DIR keeps the outputs of the runs there
  if [ -n "${MESSAGES_KEEP:-}" ]; then mkdir -p "$MESSAGES_KEEP" && cp -r "$tmp/out" "$tmp"/tap_*.out "$MESSAGES_KEEP"/; fi
  return $rc
}

# pgTAP files whose throws_ok cover permissions, bad input, limits, publication and draws, run in
# Chinese: a test that compares an English message (throws_ok, throws_like, is, alike) fails
# there, and its diagnostics show what it got: that must be Chinese, and where both sides show a
# SQLSTATE (throws_ok's caught and wanted, a "23P01: ..." text) the SQLSTATE must be the wanted
# one. Any other failure counts (the files pass in English: only the language changed).
PGTAP_FILES="security task_access officer_draw draw_guards draw_publication draw_collect match_certificate calendar limits publication results after_check credit scenarios"
pgtap_runtime() {
  if ! psql -X -At -d postgres -c "SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap'" | grep -q 1; then
    echo "skipped: pgTAP is not installed (the pgTAP part of the run-time check)"; return 0
  fi
  local db=supervise_messages_tap rc=0 name
  dbs+=("$db")
  dropdb --if-exists "$db" >/dev/null 2>&1
  createdb "$db" && psql -X -q -d "$db" -c 'CREATE EXTENSION pgtap' >/dev/null || return 1
  for name in $PGTAP_FILES; do
    [ -f "test/pgtap/$name.sql" ] || continue
    LC_ALL=C.UTF-8 LANGUAGE= PGOPTIONS='-c lc_messages=zh_CN.UTF-8' \
      psql -X -q -A -t -P pager=off -v ON_ERROR_STOP=1 -d "$db" -f "test/pgtap/$name.sql" >"$tmp/tap_$name.out" 2>&1
    python3 - "$tmp/tap_$name.out" "pgtap/$name" <<'PY' || rc=1
import re, sys
path, label = sys.argv[1], sys.argv[2]
cjk = re.compile(r'[\u3400-\u9fff]')
code = re.compile(r"^'?([0-9A-Z]{5}): ")
lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
tests = 0; planned = None; chinese = 0; bad = []
for i, l in enumerate(lines):
    m = re.match(r'\s*1\.\.(\d+)', l)
    if m:
        planned = int(m.group(1))
    m = re.match(r'\s*(not )?ok (\d+)', l)
    if m:
        tests += 1
        if not m.group(1):
            continue
        diag = []
        for d in lines[i + 1:]:
            if not re.match(r'\s*#', d):
                break
            diag.append(re.sub(r'^\s*#\s?', '', d))
        # what the test got and what it wanted: throws_ok (caught/wanted), is (have/want),
        # throws_like (error message/doesn't match), alike (the value, then doesn't match)
        have = want = None
        for j, d in enumerate(diag):
            h = re.match(r"\s*(caught|have|error message):\s?(.*)", d)
            w = re.match(r"\s*(wanted|want|doesn't match|doesn't look like):\s?(.*)", d)
            if h and have is None:
                have = h.group(2)
            if w and want is None:
                want = w.group(2)
                if have is None and j > 1:
                    have = ' '.join(x.strip() for x in diag[1:j])
        if have is None or want is None:
            bad.append(f'{l.strip()}: fails in Chinese: {" ".join(diag)[:300]}')
            continue
        hc, wc = code.match(have.strip()), code.match(want.strip())
        if hc and wc and hc.group(1) != wc.group(1):
            bad.append(f'{l.strip()}: SQLSTATE {hc.group(1)} caught, {wc.group(1)} wanted')
        elif cjk.search(have):
            chinese += 1   # fails only because the message it compares is now Chinese
        else:
            bad.append(f'{l.strip()}: the message is not Chinese: {have[:300]}')
    elif re.search(r'^(psql:.*)?(ERROR|错误):', l):
        bad.append('an error outside a test: ' + l)
if planned is not None and tests != planned:
    bad.append(f'{tests} of {planned} tests ran')
for b in bad:
    print(f'not ok - {label} in Chinese: {b}')
print(f'{"ok" if not bad else "not ok"} - {label} in Chinese: {tests} tests, {chinese} fail only on a message now in Chinese (with the wanted SQLSTATE where they show one)')
sys.exit(1 if bad else 0)
PY
  done
  return $rc
}

runtime || fail=1
[ $fail = 0 ] && echo "messages: all checks passed" || echo "messages: some checks failed"
exit $fail
