#!/usr/bin/env python3
"""Check that each Chinese document still matches its English original.

Pairs (paths relative to the repository root):
    README.md              <-> README.zh-CN.md
    doc/draw-algorithm.md  <-> doc/zh-CN/draw-algorithm.md
    doc/public-interface.md <-> doc/zh-CN/public-interface.md
    doc/limits.md          <-> doc/zh-CN/limits.md
    doc/calendar.md        <-> doc/zh-CN/calendar.md
    doc/messages.md        <-> doc/zh-CN/messages.md

For each pair the two files must have:

1. Headings: the same sequence of heading levels (ATX headings "#".."######" outside code
   blocks). Heading texts are translated, so they are not compared as text; the headings are
   matched in order, a level only with the same level, preferring the pairs whose sections share
   the most content (backticked identifiers, code blocks, ASCII words and numbers of the heading
   such as "4." or `sha256-v1`). So a section added to the English in the middle is reported as
   that section: the English heading (text and line) to translate and the Chinese heading before
   which to add it; a Chinese heading without a counterpart is reported to be removed.
2. Code blocks: the same code blocks, byte for byte, in the same order. A code block is a fenced
   block (``` or ~~~, the fence lines included, also when indented under a list item) or an
   indented block (lines indented by 4 or more spaces that follow a blank line and are not inside
   a list item's text), which the algorithm pages use for byte layouts. Code is never translated:
   comments in SQL stay as in English.
3. Identifiers: the same set of backticked identifiers. Every `...` span outside code blocks is
   reduced to an identifier when it looks like a name the reader types or looks for:
     - a call, `name(...)`           -> name        (e.g. `draw(task_id, seed)` -> draw,
                                                     `supervise.add_workdays(d, n)` -> supervise.add_workdays)
     - a path, anything with a "/" or ending in a file extension (.sh .py .sql .md .c .h .html
       .csv .png .json .spec .control)   -> the span  (e.g. `tools/demo.sh`, `test/pgtap/*.sql`)
     - a name with "_" or a "." between name parts, letters, digits, "_" and "." only
                                     -> the span    (e.g. `public_targets`, `draw_record.seed`)
   Other spans (single plain words such as `task` or `off`, values, numbers, SQL fragments,
   SQLSTATEs) are not compared: they are often values that a translation may quote differently.
   The sets are compared, not counts: an identifier must appear at least once in each file.

Each missing code block or identifier is placed in the Chinese section matched to the English
section holding it (or in "the section still to be added" for an English heading without a
counterpart). Differences are printed as "FILE:LINE: what to do", and the exit status is 1 when there is any
(2 when a file is missing). Usage:
    tools/check_translations.py [--root DIR] [EN.md ZH.md ...]
With no file arguments the pairs above are checked under --root (default: the repository).
Standard library only.
"""
import argparse
import difflib
import os
import re
import sys

PAIRS = [
    ("README.md", "README.zh-CN.md"),
    ("doc/draw-algorithm.md", "doc/zh-CN/draw-algorithm.md"),
    ("doc/public-interface.md", "doc/zh-CN/public-interface.md"),
    ("doc/limits.md", "doc/zh-CN/limits.md"),
    ("doc/calendar.md", "doc/zh-CN/calendar.md"),
    ("doc/messages.md", "doc/zh-CN/messages.md"),
]

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
BACKTICK = re.compile(r"(`+)((?:(?!\n\s*\n)[^`])+?)\1")
CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_*][A-Za-z0-9_]*)*$")
EXT = re.compile(r"\.(?:sh|py|sql|md|c|h|html|csv|png|json|spec|control|txt)$")


def parse(path):
    """Return (headings, blocks, idents) of a Markdown file.

    headings: [(line, level, text)], blocks: [(first line, last line, text)],
    idents: {ident: first line}, occurrences: [(line, ident)], and the number of lines.
    """
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    headings, blocks, idents, text, occ = [], [], {}, [], []
    i, n = 0, len(lines)
    prev_blank, in_list = True, False
    while i < n:
        line = lines[i]
        m = FENCE.match(line)
        if m:
            indent, fence = m.group(1), m.group(2)
            start = i
            i += 1
            while i < n:
                s = lines[i]
                if s.startswith(indent) and s[len(indent):].startswith(fence) and \
                        s[len(indent):].strip(fence[0]).strip() == "":
                    break
                i += 1
            blocks.append((start + 1, min(i + 1, n), "\n".join(lines[start:i + 1])))
            i += 1
            prev_blank = False
            continue
        if prev_blank and not in_list and line.startswith("    ") and line.strip():
            start = i
            while i < n and (lines[i].startswith("    ") or
                             (not lines[i].strip() and i + 1 < n and lines[i + 1].startswith("    "))):
                i += 1
            blocks.append((start + 1, i, "\n".join(lines[start:i])))
            prev_blank = False
            continue
        if not line.strip():
            prev_blank = True
            i += 1
            continue
        if LIST_ITEM.match(line):
            in_list = True
        elif prev_blank and not line.startswith(" "):
            in_list = False
        prev_blank = False
        h = HEADING.match(line)
        if h:
            headings.append((i + 1, len(h.group(1)), h.group(2)))
            in_list = False
        text.append((i + 1, line))
        i += 1
    # backticked spans may wrap onto the next line of a paragraph (never across a blank line)
    joined, starts = "", []
    last = None
    for ln, line in text:
        sep = "\n" if last is not None and ln == last + 1 else "\n\n"
        joined += (sep if joined else "")
        starts.append((len(joined), ln))
        joined += line
        last = ln
    for b in BACKTICK.finditer(joined):
        ident = identifier(re.sub(r"\s*\n\s*", " ", b.group(2)).strip())
        if ident:
            ln = max(ln for off, ln in starts if off <= b.start())
            occ.append((ln, ident))
            idents.setdefault(ident, ln)
    return headings, blocks, idents, occ, n


def identifier(span):
    """The identifier a backticked span stands for, or None (rule in the module docstring)."""
    m = CALL.match(span)
    if m:
        return m.group(1)
    if " " not in span and ("/" in span or EXT.search(span)):
        return span
    if NAME.match(span) and ("_" in span or "." in span):
        return span
    return None


def short(text, width=60):
    text = text.split("\n")[0]
    return text if len(text) <= width else text[:width - 1] + "…"


def tokens(text):
    """ASCII words and numbers of a heading, which translations keep (1., SQL, `sha256-v1`)."""
    return {"h:" + w.lower() for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text)}


def align(en, zh):
    """Match English headings to Chinese ones: same level, in order, most shared content.

    en, zh: [(level, token set)]. Returns {English index: Chinese index}. A dynamic programme
    over both sequences (like a diff), scoring a pair 1 + the Jaccard index of its sections'
    tokens (identifiers, code blocks, heading words), so a heading added or removed in the
    middle is found where its content says, not at the end of a run of equal levels.
    """
    n, m = len(en), len(zh)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            v = max(best[i + 1][j], best[i][j + 1])
            if en[i][0] == zh[j][0]:
                a, b = en[i][1], zh[j][1]
                v = max(v, 1 + (len(a & b) / len(a | b) if a | b else 0) + best[i + 1][j + 1])
            best[i][j] = v
    pairs, i, j = {}, 0, 0
    while i < n and j < m:
        if en[i][0] == zh[j][0]:
            a, b = en[i][1], zh[j][1]
            if abs(best[i][j] - (1 + (len(a & b) / len(a | b) if a | b else 0) + best[i + 1][j + 1])) < 1e-9:
                pairs[i] = j
                i, j = i + 1, j + 1
                continue
        if best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def compare(en_path, zh_path, en_name, zh_name):
    """Return a list of messages for one pair."""
    out = []
    en_h, en_b, en_i, en_occ, en_n = parse(en_path)
    zh_h, zh_b, zh_i, zh_occ, zh_n = parse(zh_path)

    def section(heads, ln):
        # index of the heading whose section holds line ln (-1: before the first heading)
        return sum(1 for h in heads if h[0] <= ln) - 1

    def sections(heads, blocks, occ):
        toks = [tokens(t) for _, _, t in heads]
        for ln, ident in occ:
            k = section(heads, ln)
            if k >= 0:
                toks[k].add("i:" + ident)
        for ln, _, t in blocks:
            k = section(heads, ln)
            if k >= 0:
                toks[k].add("c:" + t)
        return [(lvl, tk) for (_, lvl, _), tk in zip(heads, toks)]

    pairs = align(sections(en_h, en_b, en_occ), sections(zh_h, zh_b, zh_occ))

    def where(ln):
        # where in the Chinese file the content of English line ln belongs
        k = section(en_h, ln)
        if k < 0:
            return 1, "before the first heading"
        if k in pairs:
            zl, _, zt = zh_h[pairs[k]]
            return zl, "in the section \"%s\" (line %d)" % (zt, zl)
        return insert_line(k), "in the section still to be added for %s:%d \"%s\"" % (en_name, en_h[k][0], en_h[k][2])

    def insert_line(k):
        # the Chinese line before which the counterpart of English heading k belongs
        nxt = [pairs[x] for x in pairs if x > k]
        return zh_h[min(nxt)][0] if nxt else zh_n

    # 1. headings: levels in order, matched by content
    for k, (ln, lvl, text) in enumerate(en_h):
        if k in pairs:
            continue
        prev = [pairs[x] for x in pairs if x < k]
        nxt = [pairs[x] for x in pairs if x > k]
        if nxt:
            zl, _, zt = zh_h[min(nxt)]
            place = "before the heading \"%s\"" % zt
        else:
            zl, place = zh_n, "at the end"
        if prev and not nxt:
            place = "after the section \"%s\" (line %d), at the end" % (zh_h[max(prev)][2], zh_h[max(prev)][0])
        out.append("%s:%d: add a level-%d heading (%s ...) %s, translating %s:%d \"%s\""
                   % (zh_name, zl, lvl, "#" * lvl, place, en_name, ln, text))
    matched = set(pairs.values())
    for k, (ln, lvl, text) in enumerate(zh_h):
        if k not in matched:
            out.append("%s:%d: level-%d heading \"%s\" has no level-%d counterpart at this place in %s; "
                       "remove it or give it the English heading's level" % (zh_name, ln, lvl, text, lvl, en_name))

    # 2. code blocks: byte-identical, in order
    a = [t for _, _, t in en_b]
    b = [t for _, _, t in zh_b]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                eln, _, et = en_b[i1 + k]
                zln, _, zt = zh_b[j1 + k]
                el, zl = et.split("\n"), zt.split("\n")
                d = next((x for x in range(max(len(el), len(zl)))
                          if x >= len(el) or x >= len(zl) or el[x] != zl[x]), 0)
                e = el[d] if d < len(el) else None
                z = zl[d] if d < len(zl) else None
                col = next((x for x in range(min(len(e or ""), len(z or "")))
                            if e[x] != z[x]), min(len(e or ""), len(z or "")))
                lo = max(0, col - 30)

                def cut(t):
                    return "(end of block)" if t is None else \
                        ("…" if lo else "") + short(t[lo:], 60)
                out.append("%s:%d: code block differs from %s:%d at its line %d, column %d: English \"%s\", here \"%s\"; "
                           "copy the English block unchanged"
                           % (zh_name, zln + d, en_name, eln, d + 1, col + 1, cut(e), cut(z)))
            continue
        if op in ("delete", "replace"):
            for k in range(i1, i2):
                eln, _, et = en_b[k]
                zl, place = where(eln)
                if j1 > 0 and section(zh_h, zh_b[j1 - 1][0]) == section(zh_h, zl if zl else -1):
                    zl, place = zh_b[j1 - 1][1], place + ", after the code block ending at line %d" % zh_b[j1 - 1][1]
                out.append("%s:%d: add the code block of %s:%d (starting \"%s\") %s, unchanged"
                           % (zh_name, zl, en_name, eln, short(et), place))
        if op in ("insert", "replace"):
            for k in range(j1, j2):
                zln, _, zt = zh_b[k]
                out.append("%s:%d: code block (starting \"%s\") is not in %s; remove it or make it match"
                           % (zh_name, zln, short(zt), en_name))

    # 3. identifiers: same set
    for ident in sorted(set(en_i) - set(zh_i), key=lambda x: en_i[x]):
        zl, place = where(en_i[ident])
        out.append("%s:%d: `%s` is missing; mention it %s, as %s:%d does"
                   % (zh_name, zl, ident, place, en_name, en_i[ident]))
    for ident in sorted(set(zh_i) - set(en_i), key=lambda x: zh_i[x]):
        out.append("%s:%d: `%s` is not in %s; remove it or add it to the English"
                   % (zh_name, zh_i[ident], ident, en_name))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("files", nargs="*", help="pairs EN ZH (default: the documents listed in the header)")
    args = ap.parse_args()
    if len(args.files) % 2:
        ap.error("give files in pairs: EN ZH")
    pairs = list(zip(args.files[::2], args.files[1::2])) if args.files else PAIRS
    problems, missing = 0, False
    for en, zh in pairs:
        en_path, zh_path = (p if os.path.isabs(p) or args.files else os.path.join(args.root, p)
                            for p in (en, zh))
        for p, name in ((en_path, en), (zh_path, zh)):
            if not os.path.exists(p):
                print("%s: missing (the translation of %s)" % (name, en) if name == zh else "%s: missing" % name)
                missing = True
        if not (os.path.exists(en_path) and os.path.exists(zh_path)):
            continue
        msgs = compare(en_path, zh_path, en, zh)
        for msg in msgs:
            print(msg)
        problems += len(msgs)
        if not msgs:
            print("ok - %s matches %s (headings, code blocks, identifiers)" % (zh, en))
    if missing:
        return 2
    if problems:
        print("%d difference(s): bring the Chinese documents in line with the English ones" % problems)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
