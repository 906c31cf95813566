/*
 * supervise.c — the module's one PG_MODULE_MAGIC, and what every capability's glue shares: how a
 * caller's value is quoted in a message (message.h), and the messages' language: the module's
 * text domain, supervise-NN (TEXTDOMAIN, pg_compat.h), is bound in _PG_init, so ereport()
 * in the glue and message_text() in the SQL pieces answer in the language of lc_messages when
 * po/ has it, and in English otherwise. Each capability's glue lives in its own file
 * in this folder, named like the capability (uscc_type.c, calendar_fn.c, draw_fn.c, ...).
 */
#include "postgres.h"
#include "pg_compat.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"

#include "i18n.h"
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

/*
 * message_text(msgid): the message msgid (an English format string of a SQL piece) in the
 * language of lc_messages, from the same catalog as the C messages; msgid itself when the catalog
 * has no translation. The empty string is returned as it is (gettext would return the catalog's
 * header).
 */
PG_FUNCTION_INFO_V1(message_text_fn);
Datum
message_text_fn(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *msgid;
	const char *translated;

	if (VARSIZE_ANY_EXHDR(t) == 0)
		PG_RETURN_TEXT_P(t);
	msgid = text_to_cstring(t);
	translated = dgettext(TEXTDOMAIN, msgid);
	if (translated == msgid)
		PG_RETURN_TEXT_P(t);
	PG_RETURN_TEXT_P(cstring_to_text(translated));
}

void		_PG_init(void);

/*
 * supervise.today: the date the extension takes as today where a rule depends on the day (the
 * check window of a draw, the status of a task's progress); empty = current_date. Only a
 * superuser sets it (PGC_SUSET): a test or a demo replays a year on any day, an officer cannot
 * move the clock to draw a task whose period has ended.
 */
static char *today_setting = NULL;

/* the setting is an ISO date, YYYY-MM-DD, that exists */
static bool
check_today(char **newval, void **extra, GucSource source)
{
	int			y,
				m,
				d;
	char		rest;
	int			y2,
				m2,
				d2;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (sscanf(*newval, "%4d-%2d-%2d%c", &y, &m, &d, &rest) != 3
		|| y < 1 || m < 1 || m > 12 || d < 1 || d > 31
		|| (j2date(date2j(y, m, d), &y2, &m2, &d2), y2 != y || m2 != m || d2 != d))
	{
		GUC_check_errdetail("supervise.today is a date written YYYY-MM-DD, or empty for current_date.");
		return false;
	}
	return true;
}

PG_FUNCTION_INFO_V1(supervise_today);
Datum
supervise_today(PG_FUNCTION_ARGS)
{
	if (today_setting != NULL && today_setting[0] != '\0')
		PG_RETURN_DATUM(DirectFunctionCall1(date_in, CStringGetDatum(today_setting)));
	PG_RETURN_DATEADT(GetSQLCurrentDate());
}

/* a misused core function (misuse.h) fails the statement as an internal error */
static void
raise_core_misuse(const char *where, const char *what)
{
	elog(ERROR, "supervise internal error: %s misused: %s", where, what);
}

/* the cores' messages (i18n.h) in the language of lc_messages, from the module's text domain */
static const char *
translate_core_message(const char *msgid)
{
	return dgettext(TEXTDOMAIN, msgid);
}

/*
 * How the limits on repeated checks read the checks of a few subjects (a small directory's members,
 * a draw's new targets): one by one through their index entries, or in one pass over the year's
 * checks. auto decides by size (limits_subject_budget() in 60_limits.sql); the others force one
 * way, as enable_* settings do for the planner.
 */
static int	limits_lookup_setting = 0;
static const struct config_enum_entry limits_lookup_options[] = {
	{"auto", 0, false},
	{"per_subject", 1, false},
	{"year_scan", 2, false},
	{NULL, 0, false}
};

void
_PG_init(void)
{
	pg_bindtextdomain(TEXTDOMAIN);
	core_set_misuse_handler(raise_core_misuse);
	core_set_translator(translate_core_message);

	/*
	 * The server shows a setting's descriptions through its own text domain, where the module's
	 * are not: they are given translated here, in the language of lc_messages when the module is
	 * loaded.
	 */
	DefineCustomStringVariable("supervise.today",
							   dgettext(TEXTDOMAIN, "The date supervise takes as today (empty: current_date)."),
							   dgettext(TEXTDOMAIN, "Only a superuser sets it: tests and demos replay a year on any day."),
							   &today_setting, "", PGC_SUSET, 0, check_today, NULL, NULL);
	DefineCustomEnumVariable("supervise.limits_lookup",
							 dgettext(TEXTDOMAIN, "How the limits read the checks of a few subjects: auto, per_subject or year_scan."),
							 dgettext(TEXTDOMAIN, "auto reads them subject by subject when they are fewer than the year's checks divided by 64; the results are the same either way."),
							 &limits_lookup_setting, 0, limits_lookup_options, PGC_USERSET, 0, NULL, NULL, NULL);
}
