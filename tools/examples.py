#!/usr/bin/env python3
"""The examples of sql/examples.sql and their output in expected/examples.out.

A line "-- example: OBJECT" in sql/examples.sql starts the example of one public object, named as
tools/public_objects.sql names it (supervise.name(argument types), or supervise.name for a view).
The example runs to the next marker: another "-- example:", or "-- setup: ..." / "-- cleanup: ..."
(data the examples need, not shown in the reference). pg_regress echoes every input line into
expected/examples.out, so the same markers split the expected file, and each expected section is
the example's SQL with its output.

  examples.py check OBJECTS.tsv   fails (exit 1) unless every public object listed in OBJECTS.tsv
                                  (the output of tools/public_objects.sql, tab-separated) has exactly
                                  one example that uses it, every example names a public object,
                                  and expected/examples.out has the same examples in the same order
  examples.py list                prints the objects that have an example, in file order

tools/gen_reference.sh imports this file to put each example under its object in doc/reference.md.
"""
import os
import re
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
SQL_FILE = os.path.join(TOP, 'sql', 'examples.sql')
EXPECTED_FILE = os.path.join(TOP, 'expected', 'examples.out')

EXAMPLE = re.compile(r'^-- example: (.+?)\s*$')
OTHER = re.compile(r'^-- (setup|cleanup):')


def normalize(name):
    """Marker names compare without spaces: 'f(date, integer)' = 'f(date,integer)'."""
    return re.sub(r'\s+', '', name)


def sections(path):
    """[(object or None, [lines])] in file order; None for setup, cleanup and the preamble."""
    out = [(None, [])]
    with open(path, encoding='utf-8') as f:
        for line in f.read().split('\n'):
            m = EXAMPLE.match(line)
            if m:
                out.append((m.group(1), []))
            elif OTHER.match(line):
                out.append((None, []))
            else:
                out[-1][1].append(line)
    return [(obj, lines) for obj, lines in out if obj is not None]


class Example:
    def __init__(self, obj, sql_lines, expected_lines):
        self.object = obj
        self.sql_lines = sql_lines
        self.expected_lines = expected_lines

    def runs(self):
        """The example as [('sql' | 'output', [lines])]: expected lines that are the next line of
        the SQL are SQL, the others output. Raises ValueError when the SQL is not all there."""
        sql = self.sql_lines
        p = 0
        runs = []
        for line in self.expected_lines:
            if p < len(sql) and line == sql[p]:
                kind = 'sql'
                p += 1
            else:
                kind = 'output'
            if runs and runs[-1][0] == kind:
                runs[-1][1].append(line)
            else:
                runs.append((kind, [line]))
        if any(l.strip() for l in sql[p:]):
            raise ValueError('expected/examples.out does not hold the SQL of the example of %s as in '
                             'sql/examples.sql (from: %r); run the test and update the expected file'
                             % (self.object, sql[p]))
        cleaned = []
        for kind, lines in runs:
            while lines and not lines[0].strip():
                lines = lines[1:]
            while lines and not lines[-1].strip():
                lines = lines[:-1]
            if not lines:
                continue
            if cleaned and cleaned[-1][0] == kind:
                cleaned[-1] = (kind, cleaned[-1][1] + [''] + lines)
            else:
                cleaned.append((kind, lines))
        return cleaned

    def code_lines(self):
        """The SQL of the example without comment and blank lines."""
        return [l for l in self.sql_lines if l.strip() and not l.lstrip().startswith('--')]

    def markdown(self):
        out = []
        for kind, lines in self.runs():
            out.append('```sql' if kind == 'sql' else '```text')
            out.extend(lines)
            out.append('```')
            out.append('')
        return '\n'.join(out).rstrip('\n')


def load(sql_file=SQL_FILE, expected_file=EXPECTED_FILE):
    """{normalized object: Example}, the markers of the SQL file and those of the expected file."""
    sql = sections(sql_file)
    expected = sections(expected_file) if os.path.exists(expected_file) else []
    exp_by_obj = {}
    for obj, lines in expected:
        exp_by_obj.setdefault(normalize(obj), lines)
    examples = {}
    for obj, lines in sql:
        key = normalize(obj)
        if key not in examples:
            examples[key] = Example(obj, lines, exp_by_obj.get(key, []))
    return examples, [o for o, _ in sql], [o for o, _ in expected]


def read_objects(path):
    """Rows of tools/public_objects.sql output: (kind, object, name, excluded or '')."""
    rows = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line:
                continue
            kind, obj, name, excluded = (line.split('\t') + [''] * 4)[:4]
            rows.append((kind, obj, name, excluded))
    return rows


def check(objects_file):
    objects = read_objects(objects_file)
    examples, sql_markers, expected_markers = load()
    problems = []

    def fail(msg):
        problems.append(msg)
        print('not ok - ' + msg)

    if [normalize(m) for m in sql_markers] != [normalize(m) for m in expected_markers]:
        fail('expected/examples.out does not have the examples of sql/examples.sql in the same order: '
             'run the test (make installcheck REGRESS=examples) and update expected/examples.out')
    seen = set()
    for m in sql_markers:
        if normalize(m) in seen:
            fail('sql/examples.sql has two examples of %s: give each object one' % m)
        seen.add(normalize(m))

    public = {}
    excluded = {}
    for kind, obj, name, why in objects:
        (excluded if why else public)[normalize(obj)] = (kind, obj, name, why)
    for key, (kind, obj, name, _) in sorted(public.items(), key=lambda kv: kv[1][1]):
        ex = examples.get(key)
        if ex is None:
            fail('no example for %s %s: add one to sql/examples.sql after a line "-- example: %s" '
                 '(and its output to expected/examples.out)' % (kind, obj, obj))
            continue
        if not any(re.search(r'(?<![A-Za-z0-9_])' + re.escape(name) + r'(?![A-Za-z0-9_])', l)
                   for l in ex.code_lines()):
            fail('the example of %s %s does not use %s' % (kind, obj, name))
        try:
            runs = ex.runs()
        except ValueError as e:
            fail(str(e))
            continue
        if not any(k == 'output' for k, _ in runs):
            fail('the example of %s %s shows no output in expected/examples.out' % (kind, obj))
    for m in sql_markers:
        key = normalize(m)
        if key in public:
            continue
        if key in excluded:
            kind, obj, _, why = excluded[key]
            fail('sql/examples.sql has an example of %s, which is not public (%s): remove it or change '
                 'the rule in tools/public_objects.sql' % (obj, why))
        else:
            fail('sql/examples.sql has an example of %s, which is no function, aggregate or view of the '
                 'extension (spell it as tools/public_objects.sql does: supervise.name(argument types))' % m)
    if problems:
        print('%d problem(s); %d public objects, %d with an example' %
              (len(problems), len(public), len([k for k in public if k in examples])))
        return 1
    print('ok - all %d public functions, aggregates and views have an example (%d support functions '
          'need none)' % (len(public), len(excluded)))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == 'check':
        return check(argv[2])
    if len(argv) == 2 and argv[1] == 'list':
        for m in load()[1]:
            print(m)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
