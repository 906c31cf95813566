#!/usr/bin/env python3
"""Check that each Chinese document still matches its English original.

Pairs (paths relative to the repository root):
    README.md              <-> README.zh-CN.md
    doc/draw-algorithm.md  <-> doc/zh-CN/draw-algorithm.md
    doc/public-interface.md <-> doc/zh-CN/public-interface.md
    doc/limits.md          <-> doc/zh-CN/limits.md
    doc/calendar.md        <-> doc/zh-CN/calendar.md

For each pair the two files must have:

1. Headings: the same sequence of heading levels (ATX headings "#".."######" outside code
   blocks). Heading texts are translated, so only the levels and their order are compared; a
   difference names the English heading (text and line) that has no counterpart, and the Chinese
   line after which to add it, or the Chinese heading to remove.
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

Differences are printed as "FILE:LINE: what to do", and the exit status is 1 when there is any
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

    headings: [(line, level, text)], blocks: [(line, text)], idents: {ident: first line}.
    """
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    headings, blocks, idents, text = [], [], {}, []
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
            blocks.append((start + 1, "\n".join(lines[start:i + 1])))
            i += 1
            prev_blank = False
            continue
        if prev_blank and not in_list and line.startswith("    ") and line.strip():
            start = i
            while i < n and (lines[i].startswith("    ") or
                             (not lines[i].strip() and i + 1 < n and lines[i + 1].startswith("    "))):
                i += 1
            blocks.append((start + 1, "\n".join(lines[start:i])))
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
        if ident and ident not in idents:
            pos = b.start()
            idents[ident] = max(ln for off, ln in starts if off <= pos)
    return headings, blocks, idents


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


def compare(en_path, zh_path, en_name, zh_name):
    """Return a list of messages for one pair."""
    out = []
    en_h, en_b, en_i = parse(en_path)
    zh_h, zh_b, zh_i = parse(zh_path)

    def zh_after(items, j):
        # the Chinese line after which an item missing at position j belongs
        return items[j - 1][0] if j > 0 else 0

    # 1. headings: levels in order
    a = [lvl for _, lvl, _ in en_h]
    b = [lvl for _, lvl, _ in zh_h]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if op in ("delete", "replace"):
            for k in range(i1, i2):
                ln, lvl, text = en_h[k]
                out.append("%s:%d: add a level-%d heading (%s ...) translating %s:%d \"%s\""
                           % (zh_name, zh_after(zh_h, j1), lvl, "#" * lvl, en_name, ln, text))
        if op in ("insert", "replace"):
            for k in range(j1, j2):
                ln, lvl, text = zh_h[k]
                out.append("%s:%d: level-%d heading \"%s\" has no level-%d counterpart in %s at this place; "
                           "remove it or change its level" % (zh_name, ln, lvl, text, lvl, en_name))

    # 2. code blocks: byte-identical, in order
    a = [t for _, t in en_b]
    b = [t for _, t in zh_b]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                eln, et = en_b[i1 + k]
                zln, zt = zh_b[j1 + k]
                el, zl = et.split("\n"), zt.split("\n")
                d = next((x for x in range(max(len(el), len(zl)))
                          if x >= len(el) or x >= len(zl) or el[x] != zl[x]), 0)
                out.append("%s:%d: code block differs from %s:%d at its line %d: English \"%s\", here \"%s\"; "
                           "copy the English block unchanged"
                           % (zh_name, zln + d, en_name, eln, d + 1,
                              short(el[d]) if d < len(el) else "(end of block)",
                              short(zl[d]) if d < len(zl) else "(end of block)"))
            continue
        if op in ("delete", "replace"):
            for k in range(i1, i2):
                eln, et = en_b[k]
                out.append("%s:%d: add the code block of %s:%d (starting \"%s\") after this line, unchanged"
                           % (zh_name, zh_after(zh_b, j1), en_name, eln, short(et)))
        if op in ("insert", "replace"):
            for k in range(j1, j2):
                zln, zt = zh_b[k]
                out.append("%s:%d: code block (starting \"%s\") is not in %s; remove it or make it match"
                           % (zh_name, zln, short(zt), en_name))

    # 3. identifiers: same set
    def section(ln):
        # the Chinese line of the heading whose section holds English line ln (same index)
        k = sum(1 for h in en_h if h[0] <= ln) - 1
        if k < 0 or k >= len(zh_h):
            return 1, "the top"
        return zh_h[k][0], "the section \"%s\"" % zh_h[k][2]

    for ident in sorted(set(en_i) - set(zh_i), key=lambda x: en_i[x]):
        zln, where = section(en_i[ident])
        out.append("%s:%d: `%s` is missing; mention it in %s, as %s:%d does"
                   % (zh_name, zln, ident, where, en_name, en_i[ident]))
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
