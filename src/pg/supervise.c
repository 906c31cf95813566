/*
 * supervise.c — the module's one PG_MODULE_MAGIC. Each capability's glue lives in its own file
 * in this folder, named like the capability (uscc_type.c, calendar_fn.c, draw_fn.c, ...).
 */
#include "postgres.h"
#include "pg_compat.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

#include "misuse.h"

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
