#!/usr/bin/env bash
# The Chinese documents (README.zh-CN.md, doc/zh-CN/*.md) match their English originals: the same
# headings per level in order, the same code blocks byte for byte, the same backticked identifiers
# (tools/check_translations.py says the rule). Then a self-check: the checker must fail on copies
# altered in each way it guards (a heading removed, a code block changed, an identifier dropped,
# a code block removed, a heading's level changed) and pass on an unaltered copy.
# Needs no database.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail=0

if python3 tools/check_translations.py; then echo "ok - the Chinese documents match the English ones"
else echo "not ok - the Chinese documents differ from the English ones (above: what to add where)"; fail=1; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
en=doc/draw-algorithm.md
zh=doc/zh-CN/draw-algorithm.md

# expect NAME STATUS PATTERN: run the checker on $tmp/en.md and $tmp/zh.md
expect() {
  local name=$1 want=$2 pattern=$3 out rc=0
  out=$(python3 tools/check_translations.py "$tmp/en.md" "$tmp/zh.md" 2>&1) || rc=$?
  if [ "$rc" = "$want" ] && grep -q -- "$pattern" <<<"$out"; then echo "ok - self-check: $name"
  else echo "not ok - self-check: $name (exit $rc, wanted $want and a line matching '$pattern'):"; echo "$out"; fail=1; fi
}
fresh() { cp "$en" "$tmp/en.md"; cp "$zh" "$tmp/zh.md"; }

fresh
expect "an unaltered copy passes" 0 "^ok - "

fresh   # the first level-2 heading of the translation removed
python3 - "$tmp/zh.md" <<'EOF'
import re, sys
p = sys.argv[1]; s = open(p, encoding="utf-8").read()
s = re.sub(r"(?m)^## .*\n", "", s, count=1)
open(p, "w", encoding="utf-8").write(s)
EOF
expect "a heading removed" 1 "add a level-2 heading (## ...) before the heading .*, translating .*en.md:[0-9]* \"1. What is published for each draw\""

fresh   # a heading's level changed
python3 - "$tmp/zh.md" <<'EOF'
import re, sys
p = sys.argv[1]; s = open(p, encoding="utf-8").read()
s = re.sub(r"(?m)^## ", "### ", s, count=1)
open(p, "w", encoding="utf-8").write(s)
EOF
expect "a heading's level changed" 1 "level-3 heading .* has no level-3 counterpart"

fresh   # one byte of a code block changed (the domain string of the draw's block)
sed -i '0,/"supervise\/draw\/v1" (17 bytes)/s//"supervise\/draw\/v2" (17 bytes)/' "$tmp/zh.md"
expect "a code block changed" 1 "code block differs from .* at its line 1"

fresh   # a whole code block removed (the population digest's line formats)
python3 - "$tmp/zh.md" <<'EOF'
import sys
p = sys.argv[1]; lines = open(p, encoding="utf-8").read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("    <uscc>,<stratum>\\n"))
del lines[i:i + 2]
open(p, "w", encoding="utf-8").write("\n".join(lines))
EOF
expect "a code block removed" 1 "add the code block of .*en.md:[0-9]* .* in the section .*, unchanged"

fresh   # a function name dropped: every `rfc3797_select(...)` spelled out in Chinese instead
sed -i 's/`rfc3797_select([^`]*)`/RFC 选取函数/g' "$tmp/zh.md"
expect "a function name dropped" 1 '`rfc3797_select` is missing; mention it in the section'

fresh   # a new English section not yet translated: the checker names what to add
printf '\n## 10. A new section\n\nSee `new_function(x)` and `tools/new_tool.sh`.\n\n```sql\nSELECT 1;\n```\n' >>"$tmp/en.md"
expect "an untranslated English section" 1 '`new_function` is missing'
expect "an untranslated English section (its code)" 1 "add the code block of .*en.md:"

# a section added in the middle of the English README (as a new feature's is): the checker names
# the heading to add, where, and what the new section must mention
cp README.md "$tmp/en.md"; cp README.zh-CN.md "$tmp/zh.md"
python3 - "$tmp/en.md" <<'EOF'
import sys
p = sys.argv[1]; s = open(p, encoding="utf-8").read()
assert "\n## Limits on repeated checks\n" in s
s = s.replace("\n## Limits on repeated checks\n", "\n## A new feature\n\n`new_feature(task_id)` does it.\n\n## Limits on repeated checks\n", 1)
open(p, "w", encoding="utf-8").write(s)
EOF
expect "a README section added in the middle" 1 'add a level-2 heading (## ...) before the heading "重复检查的限制", translating .*"A new feature"'
expect "a README section added in the middle (its names)" 1 '`new_feature` is missing; mention it in the section still to be added for .*"A new feature"'

# the worked sha256-v1 example of doc/draw-algorithm.md (and its Chinese copy, the same block) is
# what tools/verify_draw.py computes: the seed from its text, the two targets and the digest
seed=$(printf '%s' '2026年3月16日 公证摇号 福彩3D 2026068期 471' | sha256sum | cut -c1-64)
{ echo uscc,stratum,weight; printf '%s,all,\n' 91350100M000100Y43 91110000600037341L 91620105L015101280 \
  9144030071526726XG 91310230MA1K314J7C; } >"$tmp/example.csv"
got=$(python3 tools/verify_draw.py --population "$tmp/example.csv" --seed "$seed" --allocation all=2 2>&1) || true
if grep -q "= $seed\$" doc/draw-algorithm.md &&
   grep -q "population digest    $(sed -n 's/^population_digest,//p' <<<"$got")\$" doc/draw-algorithm.md &&
   grep -q "$(sed -n 's/^all,1,//p' <<<"$got")   [0-9a-f]\{16\} *1\$" doc/draw-algorithm.md &&
   grep -q "$(sed -n 's/^all,2,//p' <<<"$got")   [0-9a-f]\{16\} *2\$" doc/draw-algorithm.md; then
  echo "ok - the worked example of doc/draw-algorithm.md is what tools/verify_draw.py computes"
else echo "not ok - the worked example of doc/draw-algorithm.md differs from tools/verify_draw.py:"; echo "$got"; fail=1; fi

exit $fail
