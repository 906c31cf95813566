#!/usr/bin/env python3
"""Checks of supervise's message catalog, run by test/scripts/messages.sh.

    tools/check_messages.py formats PO
        Every SQL message of PO (entries "#, no-c-format" from src/sql) has a translation whose
        pg_catalog.format() specifiers take the same arguments as the English: the same argument
        numbers with the same conversions (%s, %I, %L), in any order (%1$s, %2$s to reorder).
        C messages are checked by msgfmt -c.

    tools/check_messages.py raise FILE.sql...
        No RAISE of the SQL pieces gives its MESSAGE, DETAIL or HINT other than through
        message_text (src/sql/05_message.sql), so that no message escapes the catalog. Fails, naming
        FILE:LINE, on a RAISE with a format string literal (RAISE EXCEPTION 'text %', x), on one
        that names a condition and no MESSAGE (its message would be the English condition name),
        and on a MESSAGE, DETAIL or HINT option that is not pg_catalog.format(message_text('...'),
        ...) but holds a string literal (MESSAGE = '...', format('...', x), 'a' || b). An option
        without any literal (MESSAGE = SQLERRM, a caught error raised again) is allowed, and so is
        RAISE; (re-raise) and RAISE ... USING with ERRCODE only next to a MESSAGE.

    tools/check_messages.py pair EN_DIR ZH_DIR NAME...
        Compares EN_DIR/NAME.out with ZH_DIR/NAME.out, the outputs of two runs of sql/NAME.sql,
        one with lc_messages=C and one with lc_messages=zh_CN.UTF-8, each with VERBOSITY=verbose
        and SHOW_CONTEXT=always: every ERROR, WARNING, NOTICE and INFO line with its SQLSTATE
        ("错误", "警告", "注意", "信息" in Chinese), its DETAIL and HINT, and the LOCATION that
        says who raised it (supervise's C, a RAISE, or PostgreSQL). The two runs must show the
        same number of messages with the same SQLSTATEs in the same order, and every Chinese
        message, DETAIL and HINT must contain Chinese characters, with two exceptions, counted:
          - a message of PostgreSQL itself (raised outside supervise's C and outside a RAISE)
            whose English text PostgreSQL's own zh_CN catalog does not translate (no msgid of
            postgres-NN.mo or plpgsql-NN.mo matches it);
          - a message in a database whose encoding cannot hold Chinese (SQL_ASCII, LATIN1: the
            server writes question marks there), where only the SQLSTATE is compared.
        Prints one line per problem and a summary per file; exits 1 on a problem.
"""
import glob
import os
import re
import struct
import sys

CJK = re.compile(r'[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]')


# ---------------------------------------------------------------- po files

def read_po(path):
    """[(flags, refs, msgid, msgstr)] of a po file written with --no-wrap (one line each)."""
    entries = []
    flags, refs, msgid, msgstr, cur = [], [], None, None, None
    def unq(s):
        s = s.strip()[1:-1]
        return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), s)
    def flush():
        if msgid is not None:
            entries.append((flags, refs, msgid, msgstr or ''))
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if not line.strip():
            flush()
            flags, refs, msgid, msgstr, cur = [], [], None, None, None
        elif line.startswith('#,'):
            flags += [f.strip() for f in line[2:].split(',')]
        elif line.startswith('#:'):
            refs += line[2:].split()
        elif line.startswith('#'):
            continue
        elif line.startswith('msgid '):
            msgid, cur = unq(line[6:]), 'id'
        elif line.startswith('msgstr '):
            msgstr, cur = unq(line[7:]), 'str'
        elif line.startswith('"'):
            if cur == 'id':
                msgid += unq(line)
            elif cur == 'str':
                msgstr += unq(line)
    flush()
    return entries


FORMAT_SPEC = re.compile(r'%(?:(\d+)\$)?(-?)(\d+|\*(?:\d+\$)?)?([sIL%])|%(.)?')


def format_args(s):
    """The arguments pg_catalog.format(s, ...) takes: sorted [(argument number, conversion)], or
    an error string."""
    used = []
    cur = 0
    for m in FORMAT_SPEC.finditer(s):
        pos, _flag, width, conv, bad = m.groups()
        if conv is None:
            return 'unknown conversion %' + (bad or '(end of string)')
        if conv == '%':
            continue
        if width and width.startswith('*'):
            return 'a width taken from an argument (%*s) is not supported here'
        if pos:
            cur = int(pos)
        else:
            cur += 1
        used.append((cur, conv))
    return sorted(used)


def check_formats(po):
    bad = 0
    n = 0
    for flags, refs, msgid, msgstr in read_po(po):
        if not msgid or 'no-c-format' not in flags or not msgstr or 'fuzzy' in flags:
            continue
        n += 1
        a, b = format_args(msgid), format_args(msgstr)
        where = refs[0] if refs else '?'
        if '@extschema@' in msgstr:
            print(f'not ok - {where}: the translation of "{msgid}" names @extschema@, which is not substituted at run time: write supervise')
            bad += 1
        elif isinstance(a, str):
            print(f'not ok - {where}: msgid "{msgid}": {a}')
            bad += 1
        elif isinstance(b, str):
            print(f'not ok - {where}: the translation of "{msgid}": {b}')
            bad += 1
        elif a != b:
            show = lambda args: ', '.join(f'%{i}${c}' for i, c in args) or 'none'
            print(f'not ok - {where}: "{msgid}" takes {show(a)}, its translation "{msgstr}" takes {show(b)}')
            bad += 1
    if not bad:
        print(f'ok - the format() specifiers of the {n} translated SQL messages agree with their English')
    return bad


# ---------------------------------------------------------------- RAISE in the SQL pieces

def code_mask(text):
    """text with comments blanked and the contents of single-quoted literals replaced by a
    placeholder character (positions kept), so that keywords are found in code only; dollar
    quotes are function bodies here and stay code."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('--', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = ' '
            i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != '\n':
                    out[k] = ' '
            i = j
        elif c == "'":
            escaped = i > 0 and text[i - 1] in 'eE' and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == '_'))
            j = i + 1
            while j < n:
                if escaped and text[j] == '\\':
                    j += 2
                    continue
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            for k in range(i + 1, min(j, n)):
                if out[k] != '\n':
                    out[k] = 'x'
            i = j + 1
        else:
            i += 1
    return ''.join(out)


def split_top(s, sep=','):
    parts, depth, start = [], 0, 0
    for i, c in enumerate(s):
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        elif c == sep and depth == 0:
            parts.append((start, s[start:i]))
            start = i + 1
    parts.append((start, s[start:]))
    return parts


LEVELS = {'DEBUG', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'EXCEPTION'}


def chosen_messages(omask, otext):
    """An option with a literal gives its message through the catalog: it calls message_text, and
    every literal in it is message_text's argument, a value a WHEN compares with (CASE act WHEN
    'draw' THEN format(message_text('...')) ... END), or a word that is no text to read (not letters with a
    space: a schema name, a separator, '<NULL>'), so no English phrase goes around the
    catalog as an argument."""
    if not re.search(r'\bmessage_text\s*\(', omask, re.I):
        return False
    for lit in re.finditer(r"'x*'", omask):
        before = omask[:lit.start()].rstrip()
        if re.search(r'message_text\s*\($', before, re.I) or re.search(r'\bWHEN$', before, re.I):
            continue
        word = re.sub(r'%(\d+\$)?[sIL%]', '', otext[lit.start():lit.end()])   # a format's own conversions
        if re.search(r'[A-Za-z]', word) and re.search(r'\s', word):
            return False
    return True


def check_raise(paths):
    bad = 0
    total = 0
    for path in paths:
        text = open(path, encoding='utf-8').read()
        mask = code_mask(text)
        for m in re.finditer(r'\bRAISE\b', mask, re.I):
            # the statement runs to the next ; in code
            end = mask.find(';', m.end())
            end = len(mask) if end < 0 else end
            stmt_mask = mask[m.end():end]
            stmt = text[m.end():end]
            line = text.count('\n', 0, m.start()) + 1
            where = f'{path}:{line}'
            total += 1
            problems = []
            rest = stmt_mask.lstrip()
            off = len(stmt_mask) - len(rest)
            word = re.match(r'\w+', rest)
            if word and word.group(0).upper() in LEVELS:
                off += word.end()
                rest = stmt_mask[off:].lstrip()
                off = len(stmt_mask) - len(rest)
            using_at = re.search(r'\bUSING\b', stmt_mask[off:], re.I)
            head = stmt_mask[off:off + using_at.start()] if using_at else stmt_mask[off:]
            options = {}
            if using_at:
                opts_start = off + using_at.end()
                for start, part in split_top(stmt_mask[opts_start:]):
                    om = re.match(r'\s*(\w+)\s*:?=', part)
                    if not om:
                        problems.append(f'cannot read the option "{part.strip()}"')
                        continue
                    a = opts_start + start + om.end()
                    options[om.group(1).upper()] = (stmt_mask[a:opts_start + start + len(part)],
                                                    stmt[a:opts_start + start + len(part)])
            head_s = head.strip()
            if head_s.startswith("'"):
                lit = stmt[off:off + len(head)].strip()
                problems.append(f'a format string literal {lit.split(chr(10))[0][:70]}')
            elif head_s and 'MESSAGE' not in options:
                problems.append(f'the condition {head_s.split()[0]} with no MESSAGE (its message is the condition name)')
            for name in ('MESSAGE', 'DETAIL', 'HINT'):
                if name not in options:
                    continue
                omask, otext = options[name]
                if "'" in omask and not chosen_messages(omask, otext):
                    problems.append(f'{name} = {" ".join(otext.split())[:70]} (not format(message_text(\'...\'), ...))')
            for p in problems:
                print(f'not ok - {where}: RAISE with {p}')
                bad += 1
    if not bad:
        print(f'ok - the {total} RAISE statements of the SQL pieces give their messages through message_text')
    return bad


# ---------------------------------------------------------------- run-time comparison

SEVERITY = {'ERROR': 'ERROR', 'WARNING': 'WARNING', 'NOTICE': 'NOTICE', 'INFO': 'INFO',
            '错误': 'ERROR', '警告': 'WARNING', '注意': 'NOTICE', '信息': 'INFO'}
# a database whose encoding cannot hold Chinese gets question marks for the Chinese words
MSG_LINE = re.compile(r'^(ERROR|WARNING|NOTICE|INFO|错误|警告|注意|信息|\?+):  ([0-9A-Z]{5}): (.*)$')
FIELD_LINE = re.compile(r'^(DETAIL|HINT|LOCATION|CONTEXT|详细信息|提示|位置|上下文):  (.*)$')
FIELD = {'详细信息': 'DETAIL', '提示': 'HINT', '位置': 'LOCATION', '上下文': 'CONTEXT'}


def read_messages(path):
    """The messages of a psql output (VERBOSITY=verbose): each is its line, then DETAIL, HINT,
    CONTEXT (which may run over several lines) and last LOCATION."""
    msgs = []
    cur = None
    for line in open(path, encoding='utf-8', errors='replace'):
        line = line.rstrip('\n')
        m = MSG_LINE.match(line)
        if m:
            cur = {'severity': SEVERITY.get(m.group(1), '?'), 'sqlstate': m.group(2), 'text': m.group(3),
                   'DETAIL': None, 'HINT': None, 'LOCATION': '', 'CONTEXT': '', 'line': len(msgs)}
            msgs.append(cur)
            continue
        if cur is None:
            continue
        f = FIELD_LINE.match(line)
        if f:
            name = FIELD.get(f.group(1), f.group(1))
            if cur[name] in (None, ''):
                cur[name] = f.group(2)
            if name == 'LOCATION':
                cur = None  # the last field
    return msgs


def supervise_c_files():
    here = os.path.dirname(os.path.abspath(__file__))
    return {os.path.basename(p) for p in glob.glob(os.path.join(here, '..', 'src', 'pg', '*.c'))}


def who(msg, c_files):
    """'supervise C', 'RAISE' or 'PostgreSQL', from the LOCATION (function, file:line)."""
    loc = msg['LOCATION']
    m = re.match(r'\s*(\w+), ([\w.]+):\d+', loc)
    if not m:
        return 'PostgreSQL'
    func, file = m.groups()
    if file in c_files:
        return 'supervise C'
    if func == 'exec_stmt_raise':
        return 'RAISE'
    return 'PostgreSQL'


def mo_msgids(path):
    """The msgids of a compiled catalog (.mo): the messages it translates."""
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    e = '<' if magic == 0x950412de else '>'
    _rev, n, orig, _trans = struct.unpack(e + 'IIII', data[4:20])
    ids = []
    for i in range(n):
        length, off = struct.unpack(e + 'II', data[orig + 8 * i:orig + 8 * i + 8])
        s = data[off:off + length].split(b'\0')[0].decode('utf-8', 'replace')
        if s:
            ids.append(s)
    return ids


C_SPEC = re.compile(r'%(?:\d+\$)?[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|z|j|t|q)?[diouxXeEfgGcspm%]')


def msgid_regex(msgid):
    """(the longest fixed piece of msgid, a regex of the messages it formats)"""
    out, pieces, pos = [], [], 0
    for m in C_SPEC.finditer(msgid):
        pieces.append(msgid[pos:m.start()])
        out.append(re.escape(msgid[pos:m.start()]))
        out.append('%' if m.group(0) == '%%' else '.*')
        pos = m.end()
    pieces.append(msgid[pos:])
    out.append(re.escape(msgid[pos:]))
    return max(pieces, key=len), re.compile('^' + ''.join(out) + '$', re.S)


class PgCatalog:
    """Does PostgreSQL's zh_CN catalog translate this English message?"""

    def __init__(self):
        self.regexes = None

    def load(self):
        if self.regexes is not None:
            return
        self.regexes = []
        for pat in ('postgres-*.mo', 'plpgsql-*.mo'):
            for mo in glob.glob(os.path.join(os.environ.get('PG_LOCALEDIR', '/usr/share/locale'),
                                             'zh_CN', 'LC_MESSAGES', pat)):
                for msgid in mo_msgids(mo):
                    try:
                        self.regexes.append(msgid_regex(msgid))
                    except re.error:
                        pass

    def translates(self, text):
        self.load()
        return any(piece in text and r.match(text) for piece, r in self.regexes)


def pair(en_path, zh_path, label, catalog):
    en, zh = read_messages(en_path), read_messages(zh_path)
    c_files = supervise_c_files()
    problems = 0
    pg_english = set()
    no_chinese_db = 0
    by_who = {}
    if len(en) != len(zh):
        print(f'not ok - {label}: {len(en)} messages with lc_messages=C, {len(zh)} with zh_CN.UTF-8')
        problems += 1
    for e, z in zip(en, zh):
        if z['severity'] == '?' and e['sqlstate'] == z['sqlstate']:
            # the server could not write Chinese in this database's encoding (SQL_ASCII, LATIN1)
            no_chinese_db += 1
            continue
        if (e['severity'], e['sqlstate']) != (z['severity'], z['sqlstate']):
            print(f'not ok - {label}: message {e["line"] + 1}: {e["severity"]} {e["sqlstate"]} "{e["text"]}" '
                  f'in English, {z["severity"]} {z["sqlstate"]} "{z["text"]}" in Chinese')
            problems += 1
            continue
        source = who(e, c_files)
        by_who[source] = by_who.get(source, 0) + 1
        for field in ('text', 'DETAIL', 'HINT'):
            if e[field] is None:
                continue
            name = 'message' if field == 'text' else field
            zt = z[field]
            if zt is None:
                print(f'not ok - {label}: {e["sqlstate"]} "{e["text"]}" ({source}): the Chinese has no {name}')
                problems += 1
                continue
            if CJK.search(zt) or (not re.search(r'[A-Za-z]{2}', e[field]) and zt == e[field]):
                continue  # Chinese, or no words to translate (a value alone)
            if source == 'PostgreSQL' and not catalog.translates(e[field]):
                pg_english.add(e[field])
                continue
            print(f'not ok - {label}: {e["sqlstate"]} {name} not in Chinese ({source}, {e["LOCATION"]}): "{zt}"')
            problems += 1
    counts = ', '.join(f'{n} {w}' for w, n in sorted(by_who.items()))
    extra = f'; {no_chinese_db} in a database whose encoding cannot hold Chinese (SQLSTATE compared only)' if no_chinese_db else ''
    print(f'{"ok" if not problems else "not ok"} - {label}: {len(en)} messages paired ({counts or "none"}); '
          f'{len(pg_english)} PostgreSQL messages that its zh_CN catalog leaves in English{extra}')
    for t in sorted(pg_english):
        print(f'#   left in English by PostgreSQL: {t}')
    return problems


def main(argv):
    if len(argv) >= 2 and argv[0] == 'formats':
        return 1 if check_formats(argv[1]) else 0
    if len(argv) >= 2 and argv[0] == 'raise':
        return 1 if check_raise(argv[1:]) else 0
    if len(argv) >= 4 and argv[0] == 'pair':
        # pair EN_DIR ZH_DIR NAME...: EN_DIR/NAME.out against ZH_DIR/NAME.out, labelled sql/NAME.sql
        catalog = PgCatalog()
        bad = 0
        for name in argv[3:]:
            bad += pair(os.path.join(argv[1], name + '.out'), os.path.join(argv[2], name + '.out'),
                        f'sql/{name}.sql', catalog)
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
