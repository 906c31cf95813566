#!/usr/bin/env python3
"""Helps write an upgrade script: prints statements of the built install script, exactly as they are
(function bodies untouched), so an upgrade step re-creates an object just as a fresh install does.

  tools/upgrade_pieces.py SCRIPT REGEX [REGEX ...]

Each REGEX selects the statements whose first non-comment line matches it (the last one when the
REGEX starts with 'last:'); 'replace:' turns CREATE FUNCTION into CREATE OR REPLACE FUNCTION.
test/scripts/upgrade.sh then checks that the result equals a fresh install."""
import re, sys

def statements(text):
    out, cur, tag = [], [], None
    for line in text.splitlines(keepends=True):
        if not cur and (line.startswith('--') or not line.strip()):
            continue                      # comments and blank lines between statements
        cur.append(line)
        for m in re.finditer(r'\$[A-Za-z_]*\$', line):
            t = m.group(0)
            if tag is None:
                tag = t
            elif t == tag:
                tag = None
        if tag is None and line.rstrip().endswith(';'):
            out.append(''.join(cur).rstrip('\n'))
            cur = []
    return out

sts = statements(open(sys.argv[1]).read())
for arg in sys.argv[2:]:
    last = replace = False
    while True:
        if arg.startswith('last:'):
            last, arg = True, arg[5:]
        elif arg.startswith('replace:'):
            replace, arg = True, arg[8:]
        else:
            break
    found = [s for s in sts if re.match(arg, s)]
    if not found:
        sys.exit('no statement matches %r' % arg)
    st = found[-1] if last else found[0]
    if replace:
        st = st.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION', 1)
    print(st)
    print()
