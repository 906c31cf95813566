/*
 * supervise.c — the module's one PG_MODULE_MAGIC, and what every capability's glue shares: how a
 * caller's value is quoted in a message (message.h). Each capability's glue lives in its own file
 * in this folder, named like the capability (uscc_type.c, calendar_fn.c, draw_fn.c, ...).
 */
#include "postgres.h"
#include "pg_compat.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "message.h"
#include "misuse.h"

PG_MODULE_MAGIC;

const char *
message_value(const char *s)
{
	size_t		len = strlen(s);
	int			cut;
	char	   *shown;

	if (len <= MESSAGE_VALUE_CHARS)
		return s;				/* short in bytes, so short in characters */
	cut = pg_mbcharcliplen(s, (int) Min(len, (size_t) MESSAGE_VALUE_CHARS * MAX_MULTIBYTE_CHAR_LEN),
						   MESSAGE_VALUE_CHARS);
	if ((size_t) cut == len)
		return s;
	shown = palloc(cut + sizeof("…"));
	memcpy(shown, s, cut);
	strcpy(shown + cut, "…");
	return shown;
}

PG_FUNCTION_INFO_V1(message_value_fn);
Datum
message_value_fn(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *s;

	/* a value within the limit in bytes is returned as it is, without a copy */
	if (VARSIZE_ANY_EXHDR(t) <= MESSAGE_VALUE_CHARS)
		PG_RETURN_TEXT_P(t);
	s = text_to_cstring(t);
	PG_RETURN_TEXT_P(cstring_to_text(message_value(s)));
}

void		_PG_init(void);

/* a misused core function (misuse.h) fails the statement as an internal error */
static void
raise_core_misuse(const char *where, const char *what)
{
	elog(ERROR, "supervise internal error: %s misused: %s", where, what);
}

void
_PG_init(void)
{
	core_set_misuse_handler(raise_core_misuse);
}
