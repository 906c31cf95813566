/*
 * i18n.c — the translator of the cores' messages; see i18n.h.
 */
#include "i18n.h"

#include <stddef.h>

static core_translator translator = NULL;

void
core_set_translator(core_translator t)
{
	translator = t;
}

const char *
core_text(const char *msgid)
{
	const char *s;

	if (translator == NULL || msgid == NULL || msgid[0] == '\0')
		return msgid;
	s = translator(msgid);
	return s ? s : msgid;
}
