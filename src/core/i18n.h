/*
 * i18n.h — the cores' messages in the language of their caller. A core writes every message a
 * user can see (the reasons draw_fail formats, the description of a bad code, a status name) in
 * English, and formats it through core_text(): the installed translator's text for it, or the
 * English itself. tools/update_po.sh extracts them for po/: the format of draw_fail, and any
 * other literal marked N_("..."). The PostgreSQL glue installs a translator that looks them up
 * in the module's text domain in the language of lc_messages (src/pg/supervise.c); the unit
 * tests and fuzzers install none and read English. A core result that must not depend on the
 * session's language (an immutable function's value) is formatted without core_text.
 */
#ifndef SUPERVISE_I18N_H
#define SUPERVISE_I18N_H

/* marks msgid for extraction into po/; the text stays as it is */
#define N_(msgid) (msgid)

typedef const char *(*core_translator) (const char *msgid);

/* installs t (NULL: none, every message in English) */
void		core_set_translator(core_translator t);

/* msgid in the caller's language, or msgid; a format string keeps its conversions */
const char *core_text(const char *msgid)
#if defined(__GNUC__)
			__attribute__((format_arg(1)))
#endif
			;

#endif							/* SUPERVISE_I18N_H */
