#!/usr/bin/env bash
# Extracts every message of supervise into po/supervise.pot and merges it into each po/LANG.po:
# the C glue's ereport() texts (errmsg, errdetail, errhint, ..., dgettext(TEXTDOMAIN, ...) for a
# text formatted before it is reported) and the cores' messages (the format of draw_fail, and
# N_("...") for any other, src/core/i18n.h) with xgettext, and the SQL pieces'
# message_text('...') texts with tools/sql_messages.py. A new or changed message then shows in
# po/LANG.po as untranslated (msgstr ""), which test/scripts/messages.sh refuses until it is
# translated.
#
#     tools/update_po.sh            (or: make update-po)
#     tools/update_po.sh --template FILE
#                                   writes the template to FILE only, po/ untouched (the check of
#                                   test/scripts/messages.sh)
set -euo pipefail
template_only=
if [ "${1:-}" = --template ]; then template_only=$(realpath -m "$2"); fi
cd "$(dirname "$0")/.."
schema=$(sed -n "s/^schema *= *'\{0,1\}\([A-Za-z_0-9]*\)'\{0,1\} *$/\1/p" supervise.control)
[ -n "$schema" ] || { echo "supervise.control names no schema" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

xgettext --language=C --from-code=UTF-8 --no-wrap --sort-by-file --omit-header \
  --keyword=errmsg --keyword=errmsg_plural:1,2 --keyword=errdetail --keyword=errdetail_plural:1,2 \
  --keyword=errhint --keyword=errcontext --keyword=gettext_noop --keyword=_ \
  --keyword=GUC_check_errmsg --keyword=GUC_check_errdetail --keyword=GUC_check_errhint \
  --keyword=N_ --keyword=draw_fail:2 \
  --flag=errmsg:1:c-format --flag=errdetail:1:c-format --flag=errhint:1:c-format \
  --flag=errcontext:1:c-format --flag=GUC_check_errdetail:1:c-format --flag=draw_fail:2:c-format \
  --flag=psprintf:1:c-format --flag=snprintf:3:c-format \
  -o "$tmp/c.pot" src/pg/*.c src/core/*.c
python3 tools/sql_messages.py src/sql/*.sql > "$tmp/sql.pot"
cat > "$tmp/header.pot" <<'HEADER'
# Messages of supervise, the PostgreSQL extension: its C glue and its SQL pieces.
# Made by tools/update_po.sh; translate in po/LANG.po, not here.
msgid ""
msgstr ""
"Project-Id-Version: supervise\n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
HEADER
if [ -n "$template_only" ]; then
  msgcat --no-wrap --use-first "$tmp/header.pot" "$tmp/c.pot" "$tmp/sql.pot" -o "$template_only"
  exit 0
fi
msgcat --no-wrap --use-first "$tmp/header.pot" "$tmp/c.pot" "$tmp/sql.pot" -o po/supervise.pot
for po in po/*.po; do
  # a message's @extschema@ is the schema's name in the template (tools/sql_messages.py): a
  # translation written with @extschema@ is brought to the same
  sed -i "s/@extschema@/$schema/g" "$po"
  msgmerge --quiet --no-wrap --no-fuzzy-matching --update --backup=off "$po" po/supervise.pot
  msgattrib --no-wrap --no-obsolete -o "$po" "$po"
done
echo "po/supervise.pot: $(grep -c '^msgid ' po/supervise.pot) entries (with the header)"
for po in po/*.po; do echo "$po: $(msgfmt --statistics -o /dev/null "$po" 2>&1)"; done
