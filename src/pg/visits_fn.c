/*
 * visits_fn.c — fmgr glue around src/core/visits.c.
 *
 * supervise.visit_group(start date, end date) is a window function: over a partition (one
 * subject's drawn targets, PARTITION BY uscc) it reads every row's period once, groups them into
 * the fewest visits with visits_plan(), and returns each row's visit number (1, 2, ... in the
 * order of the visits' last common day). So plan_visits hands all rows to C in one sorted pass
 * instead of one call per subject. Rows with a NULL bound get NULL and take no part.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "visits.h"

typedef struct VisitGroupState
{
	bool		ready;
	int64		nrows;
	int32	   *group;			/* 1-based visit number per partition row, 0 = NULL */
} VisitGroupState;

static void
visit_group_fill(WindowObject winobj, VisitGroupState *st)
{
	int64		n = WinGetPartitionRowCount(winobj);
	visit_interval *iv;
	size_t		m = 0;
	size_t		groups;
	size_t		bad;

	if ((Size) n > MaxAllocSize / sizeof(visit_interval))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("visit_group partition has too many rows: %lld", (long long) n)));

	/* the per-row answers outlive this row: keep them in the partition's memory */
	st->group = (int32 *) MemoryContextAllocZero(GetMemoryChunkContext(st),
												 Max(n, 1) * sizeof(int32));
	st->nrows = n;
	iv = (visit_interval *) palloc(Max(n, 1) * sizeof(visit_interval));

	for (int64 pos = 0; pos < n; pos++)
	{
		bool		snull,
					enull,
					isout;
		Datum		s = WinGetFuncArgInPartition(winobj, 0, pos, WINDOW_SEEK_HEAD, false, &snull, &isout);
		Datum		e = WinGetFuncArgInPartition(winobj, 1, pos, WINDOW_SEEK_HEAD, false, &enull, &isout);

		if (snull || enull)
			continue;
		iv[m].start = DatumGetDateADT(s);
		iv[m].end = DatumGetDateADT(e);
		iv[m].key = pos;
		iv[m].group = -1;
		m++;
	}

	if (visits_plan(iv, m, NULL, &groups, &bad) != VISITS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period ends before it starts: %s to %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(iv[bad].start))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(iv[bad].end)))),
				 errdetail("Row %lld of the partition.", (long long) iv[bad].key + 1)));

	for (size_t i = 0; i < m; i++)
		st->group[iv[i].key] = iv[i].group + 1;
	pfree(iv);
	st->ready = true;
}

PG_FUNCTION_INFO_V1(visit_group);
Datum
visit_group(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	VisitGroupState *st;
	int64		pos;

	st = (VisitGroupState *) WinGetPartitionLocalMemory(winobj, sizeof(VisitGroupState));
	if (!st->ready)
		visit_group_fill(winobj, st);

	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= st->nrows || st->group[pos] == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(st->group[pos]);
}
