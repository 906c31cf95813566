/*
 * supervise.c — the module's one PG_MODULE_MAGIC. Each capability's glue lives in its own file
 * in this folder, named like the capability (uscc_type.c, calendar_fn.c, draw_fn.c, ...).
 */
#include "postgres.h"
#include "pg_compat.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
