#!/usr/bin/env python3
"""Extracts the messages of the SQL pieces for translation.

Every message a SQL piece raises is the literal argument of message_text('...') (src/sql/05_message.sql):
this prints them as a gettext template (.pot) on standard output, each with the places it is used
(#: src/sql/FILE.sql:LINE), so that tools/update_po.sh merges them with the C messages into one
catalog. A message is one SQL string literal ('' for a quote); anything else as the argument of
message_text is an error, so that no message escapes the catalog; the one exception is a
trigger's argument (message_text(TG_ARGV[1]) in shipped_row_guard), whose messages are the
literals its triggers are created with. @extschema@ in a message is
written as the schema it becomes on install (supervise.control's schema): message_text looks up
the installed text.

    tools/sql_messages.py src/sql/*.sql > messages.pot
"""
import os
import re
import sys

CALL = re.compile(r"message_text\(\s*")
# a message given as a trigger's argument: the hint of shipped_row_guard('key', 'hint'), which the
# guard raises through message_text(TG_ARGV[1])
TRIGGER_MESSAGE = re.compile(r"shipped_row_guard\(\s*'[^']*'\s*,\s*'((?:[^']|'')*)'\s*\)")
TRIGGER_ARGUMENT = re.compile(r"TG_ARGV\[\d+\]\s*\)")
LITERAL = re.compile(r"'((?:[^']|'')*)'\s*\)")


def extension_schema():
    control = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'supervise.control')
    for line in open(control, encoding='utf-8'):
        m = re.match(r"\s*schema\s*=\s*'?([A-Za-z_][A-Za-z0-9_]*)'?\s*$", line)
        if m:
            return m.group(1)
    sys.exit('supervise.control names no schema: @extschema@ in a message cannot be resolved')


def po_quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t') + '"'


def main(paths):
    schema = extension_schema()
    found = {}
    order = []
    bad = 0
    for path in paths:
        text = open(path, encoding='utf-8').read()
        messages = []
        for m in TRIGGER_MESSAGE.finditer(text):
            messages.append((m.start(), m.group(1)))
        for m in CALL.finditer(text):
            line = text.count('\n', 0, m.start()) + 1
            # the definition of message_text itself, and its mentions in comments
            before = text[text.rfind('\n', 0, m.start()) + 1:m.start()]
            if '--' in before or before.rstrip().endswith('FUNCTION @extschema@.'):
                continue
            lit = LITERAL.match(text, m.end())
            if lit:
                messages.append((m.start(), lit.group(1)))
            elif not TRIGGER_ARGUMENT.match(text, m.end()):
                print(f'{path}:{line}: message_text takes one string literal (or a trigger argument)', file=sys.stderr)
                bad += 1
        for at, literal in sorted(messages):
            line = text.count('\n', 0, at) + 1
            msgid = literal.replace("''", "'").replace('@extschema@', schema)
            if msgid not in found:
                found[msgid] = []
                order.append(msgid)
            found[msgid].append(f'{path}:{line}')
    if bad:
        sys.exit(1)
    print('# Messages of the SQL pieces of supervise (tools/sql_messages.py).')
    print('msgid ""')
    print('msgstr ""')
    print('"Content-Type: text/plain; charset=UTF-8\\n"')
    print()
    for msgid in order:
        print('#: ' + ' '.join(found[msgid]))
        print('#, no-c-format')
        print('msgid ' + po_quote(msgid))
        print('msgstr ""')
        print()


if __name__ == '__main__':
    main(sys.argv[1:])
