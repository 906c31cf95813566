#!/usr/bin/env bash
# Writes doc/reference.md: every table, view, function, aggregate, type and operator of the
# extension with its signature, labels and comment, from a fresh install (run inside a cluster: PG*
# set), and under each public function, aggregate and view its example from sql/examples.sql with
# the output from expected/examples.out (tools/examples.py; tools/public_objects.sql says which
# objects are public). test/scripts/reference_current.sh checks that the committed file is up to
# date, test/scripts/examples_cover.sh that no public object lacks an example.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-doc/reference.md}
db=supervise_reference
tmp=$(mktemp -d)
dropdb --if-exists $db >/dev/null 2>&1 || true
createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -c 'CREATE EXTENSION supervise' >/dev/null
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }

q -c "SELECT extversion FROM pg_extension WHERE extname = 'supervise'" >"$tmp/version"
q -F $'\t' -f tools/public_objects.sql >"$tmp/objects.tsv"
# one JSON object a line; every text field escaped by to_json, so no separator can break a row
q >"$tmp/catalog.jsonl" <<'SQL'
SELECT json_build_object('section', 'table', 'name', c.relname, 'comment', obj_description(c.oid, 'pg_class'))
  FROM pg_class c WHERE c.relnamespace = 'supervise'::regnamespace AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;
SELECT json_build_object('section', 'view', 'name', c.relname, 'object', 'supervise.' || c.relname,
                         'comment', obj_description(c.oid, 'pg_class'),
                         'columns', (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
                                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
  FROM pg_class c WHERE c.relnamespace = 'supervise'::regnamespace AND c.relkind IN ('v', 'm')
 ORDER BY c.relname;
SELECT json_build_object(
         'section', 'function', 'name', p.proname,
         'object', 'supervise.' || p.proname || '(' ||
                   coalesce((SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
                               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)), '') || ')',
         'signature', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') → ' ||
                      pg_get_function_result(p.oid),
         'labels', concat_ws(', ', CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' END,
                             CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
                             CASE WHEN p.proisstrict THEN 'strict' END,
                             CASE p.proparallel WHEN 's' THEN 'parallel safe' WHEN 'r' THEN 'parallel restricted' ELSE 'parallel unsafe' END,
                             CASE WHEN p.prosecdef THEN 'security definer' END),
         'comment', obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p WHERE p.pronamespace = 'supervise'::regnamespace
 ORDER BY p.proname, pg_get_function_identity_arguments(p.oid);
-- base types, not their array types
SELECT json_build_object('section', 'type', 'name', t.typname, 'comment', obj_description(t.oid, 'pg_type'))
  FROM pg_type t WHERE t.typnamespace = 'supervise'::regnamespace AND t.typtype = 'b' AND t.typcategory <> 'A'
 ORDER BY t.typname;
SELECT json_build_object('section', 'operator', 'name', o.oid::regoperator::text, 'comment', obj_description(o.oid, 'pg_operator'))
  FROM pg_operator o WHERE o.oprnamespace = 'supervise'::regnamespace
 ORDER BY o.oid::regoperator::text;
SQL

python3 - "$tmp" "$out" <<'PY'
import json, os, re, sys
sys.dont_write_bytecode = True
sys.path.insert(0, 'tools')
import examples as ex

tmp, dst = sys.argv[1], sys.argv[2]
version = open(os.path.join(tmp, 'version')).read().strip()
rows = [json.loads(l) for l in open(os.path.join(tmp, 'catalog.jsonl'), encoding='utf-8') if l.strip()]
objects = {ex.normalize(o): (kind, name, why) for kind, o, name, why in ex.read_objects(os.path.join(tmp, 'objects.tsv'))}
examples = ex.load()[0]

def text(s):
    """A comment as Markdown text: no HTML tags or emphasis by accident."""
    return re.sub(r'([\\<*])', r'\\\1', s or '')

def cell(s):
    return text(s).replace('|', '\\|')

def public(r):
    o = objects.get(ex.normalize(r['object']))
    return o is not None and not o[2]

def anchor(name):
    return re.sub(r'[^a-z0-9_ -]', '', name.lower()).replace(' ', '-')

views = [r for r in rows if r['section'] == 'view']
functions = [r for r in rows if r['section'] == 'function' and public(r)]
support = [r for r in rows if r['section'] == 'function' and not public(r)]
names = [r['name'] for r in views + functions]
heading = {}
for r in views + functions:
    # overloads get their argument types in the heading
    heading[id(r)] = r['name'] if names.count(r['name']) == 1 else r['object'].replace('supervise.', '', 1)

def entry(r, lines):
    h = heading[id(r)]
    lines += ['### ' + h, '']
    if r['section'] == 'function':
        lines += ['`%s` — %s' % (r['signature'], r['labels']), '']
    else:
        lines += ['Columns: ' + ', '.join('`%s`' % c for c in r['columns'].split(', ')), '']
    lines += [text(r['comment']) or '*(no comment)*', '']
    e = examples.get(ex.normalize(r['object']))
    if e is not None and e.expected_lines:
        lines += ['**Example**', '', e.markdown(), '']
    else:
        lines += ['**Example**: none yet (test/scripts/examples_cover.sh fails until sql/examples.sql has one).', '']

lines = [
    '# supervise reference', '',
    'Generated by `tools/gen_reference.sh` from the installed extension (version %s) and the examples '
    'of `sql/examples.sql` with their output from `expected/examples.out`; do not edit by hand.' % version,
    'Every object carries a `COMMENT`; the manual pages in this folder explain how they fit together.', '',
    '**Examples.** Every public view, function and aggregate has an example. The examples are a test '
    '(the pg_regress test `examples`), so each output shown is what the extension answers. They run one '
    'after the other in a new database with `SET search_path = supervise, public`, on the sample province '
    'of `generate_sample(5000, seed => 2025)` and a replay of the year 2025 in 厦门市思明区 (Siming district, '
    'Xiamen) set up in `sql/examples.sql`: department 66 is 厦门市思明区市场监督管理局, 65 厦门市思明区卫生健康局, '
    '18 厦门市市场监督管理局; directory 10 is the district\'s food directory; task 4 is the joint task of '
    'tasks 1 and 2, drawn as draw 1; task 3 is drawn as draw 3. Support functions have no example: see '
    '[Functions without examples](#functions-without-examples) for the rule.', '',
    '## Contents', '',
    '- [Tables](#tables)',
    '- [Views](#views): ' + ' · '.join('[%s](#%s)' % (heading[id(r)], anchor(heading[id(r)])) for r in views),
    '- [Functions and aggregates](#functions-and-aggregates): ' +
        ' · '.join('[%s](#%s)' % (heading[id(r)], anchor(heading[id(r)])) for r in functions),
    '- [Functions without examples](#functions-without-examples)',
    '- [Types and operators](#types-and-operators)', '',
    '## Tables', '',
    '| table | what it holds |', '|---|---|',
]
lines += ['| `%s` | %s |' % (r['name'], cell(r['comment'])) for r in rows if r['section'] == 'table']
lines += ['', '## Views', '']
for r in views:
    entry(r, lines)
lines += ['## Functions and aggregates', '',
          'Labels: volatility (immutable, stable, volatile), strict, parallel safety, security definer.', '']
for r in functions:
    entry(r, lines)
lines += [
    '## Functions without examples', '',
    'These functions are not called by name in normal use, so they have no example. The rule is '
    '`tools/public_objects.sql`; every other function, aggregate and view of the schema needs an '
    'example (`test/scripts/examples_cover.sh` fails and names the ones without):', '',
    '- **trigger function**: returns `trigger`; it runs by itself on the table it is attached to;',
    '- **aggregate support**: the transition, final, combine, serial or deserial function of an aggregate '
    '(the aggregate has the example);',
    '- **type I/O**: the input, output, receive or send function of a type (casts and literals use them);',
    '- **operator implementation**: the function behind an operator (`=`, `<`, ... on `uscc`);',
    '- **index support**: a btree or hash support function of an operator class;',
    '- **internal helper**: its comment starts with "internal"; other functions call it.', '',
    '| function | why no example | labels | what it does |', '|---|---|---|---|',
]
for r in support:
    why = objects[ex.normalize(r['object'])][2]
    lines.append('| `%s` | %s | %s | %s |' % (r['signature'].replace('|', '\\|'), why, r['labels'], cell(r['comment'])))
lines += ['', '## Types and operators', '', '| type or operator | what it is |', '|---|---|']
lines += ['| `%s` | %s |' % (r['name'], cell(r['comment'])) for r in rows if r['section'] in ('type', 'operator')]
open(dst, 'w', encoding='utf-8').write('\n'.join(lines).rstrip('\n') + '\n')
PY
echo "wrote $out"
