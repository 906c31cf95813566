/*
 * visits_fn.c — fmgr glue around src/core/visits.c: two window functions that hand one subject's
 * drawn targets (a partition, PARTITION BY uscc) to C in one pass, so plan_visits groups a year's
 * targets with one sorted scan instead of one call per subject.
 *
 *   visit_group(start date, end date) -> integer
 *       each row's visit number, 1, 2, ... in the order of the visits' last common day.
 *   visit_summary(start date, end date, task_id bigint, draw_id bigint) -> supervise.visit_summary
 *       on the first row (in partition order) of each visit, the whole visit: its window and its
 *       task and draw ids sorted by task id; NULL on the other rows. So a plain WHERE replaces a
 *       GROUP BY with ordered aggregates.
 *
 * Rows with a NULL start or end take no part (NULL result); a period that ends before it starts
 * is an error.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "visits.h"

typedef struct VisitPartition
{
	bool		ready;
	int64		nrows;
	int32	   *group;			/* 1-based visit number per partition row, 0 = NULL */
	Datum	   *summary;		/* visit_summary: the visit's row on its first row, else 0 */
} VisitPartition;

typedef struct Member
{
	int64		task_id;
	int64		draw_id;
} Member;

static int
member_cmp(const void *a, const void *b)
{
	const Member *x = (const Member *) a;
	const Member *y = (const Member *) b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	if (x->draw_id != y->draw_id)
		return x->draw_id < y->draw_id ? -1 : 1;
	return 0;
}

static Datum
int8_array(const int64 *v, int n)
{
	Datum	   *d = (Datum *) palloc(Max(n, 1) * sizeof(Datum));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Reads the partition, plans its visits, and fills st (in the partition's memory). With
 * summaries, args 2 and 3 are the task and draw ids and tupdesc describes the result row.
 */
static void
visit_partition_fill(WindowObject winobj, VisitPartition *st, TupleDesc tupdesc)
{
	MemoryContext partcxt = GetMemoryChunkContext(st);
	MemoryContext oldcxt;
	int64		n = WinGetPartitionRowCount(winobj);
	visit_interval *iv;
	visit_window *win = NULL;
	Member	   *mem = NULL;
	int64	   *ids = NULL;
	size_t		m = 0;
	size_t		groups;
	size_t		bad;

	if ((Size) n > MaxAllocSize / sizeof(visit_interval))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for one subject: %lld", (long long) n)));

	/* the per-row answers outlive this row: keep them in the partition's memory */
	st->nrows = n;
	st->group = (int32 *) MemoryContextAllocZero(partcxt, Max(n, 1) * sizeof(int32));
	iv = (visit_interval *) palloc(Max(n, 1) * sizeof(visit_interval));
	if (tupdesc)
	{
		st->summary = (Datum *) MemoryContextAllocZero(partcxt, Max(n, 1) * sizeof(Datum));
		win = (visit_window *) palloc(Max(n, 1) * sizeof(visit_window));
		mem = (Member *) palloc(Max(n, 1) * sizeof(Member));
		ids = (int64 *) palloc(Max(n, 1) * sizeof(int64));
	}

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

	if (visits_plan(iv, m, win, &groups, &bad) != VISITS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period ends before it starts: %s to %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(iv[bad].start))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(iv[bad].end)))),
				 errdetail("Row %lld of the partition.", (long long) iv[bad].key + 1)));

	for (size_t i = 0; i < m; i++)
		st->group[iv[i].key] = iv[i].group + 1;

	if (tupdesc)
	{
		/* members of a visit are contiguous in iv */
		size_t		i = 0;

		while (i < m)
		{
			size_t		j = i;
			int64		first = iv[i].key;
			int			k = 0;
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};
			HeapTuple	tuple;

			for (; j < m && iv[j].group == iv[i].group; j++)
			{
				bool		tnull,
							dnull,
							isout;
				Datum		t = WinGetFuncArgInPartition(winobj, 2, iv[j].key, WINDOW_SEEK_HEAD, false, &tnull, &isout);
				Datum		d = WinGetFuncArgInPartition(winobj, 3, iv[j].key, WINDOW_SEEK_HEAD, false, &dnull, &isout);

				if (tnull || dnull)
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("visit_summary needs a task id and a draw id on every row")));
				mem[k].task_id = DatumGetInt64(t);
				mem[k].draw_id = DatumGetInt64(d);
				k++;
				if (iv[j].key < first)
					first = iv[j].key;
			}
			qsort(mem, k, sizeof(Member), member_cmp);

			oldcxt = MemoryContextSwitchTo(partcxt);
			values[0] = DateADTGetDatum(win[iv[i].group].start);
			values[1] = DateADTGetDatum(win[iv[i].group].end);
			for (int x = 0; x < k; x++)
				ids[x] = mem[x].task_id;
			values[2] = int8_array(ids, k);
			for (int x = 0; x < k; x++)
				ids[x] = mem[x].draw_id;
			values[3] = int8_array(ids, k);
			tuple = heap_form_tuple(tupdesc, values, nulls);
			st->summary[first] = HeapTupleGetDatum(tuple);
			MemoryContextSwitchTo(oldcxt);
			i = j;
		}
		pfree(win);
		pfree(mem);
		pfree(ids);
	}
	pfree(iv);
	st->ready = true;
}

PG_FUNCTION_INFO_V1(visit_group);
Datum
visit_group(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	VisitPartition *st;
	int64		pos;

	st = (VisitPartition *) WinGetPartitionLocalMemory(winobj, sizeof(VisitPartition));
	if (!st->ready)
		visit_partition_fill(winobj, st, NULL);

	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= st->nrows || st->group[pos] == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(st->group[pos]);
}

PG_FUNCTION_INFO_V1(visit_summary);
Datum
visit_summary(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	VisitPartition *st;
	int64		pos;

	st = (VisitPartition *) WinGetPartitionLocalMemory(winobj, sizeof(VisitPartition));
	if (!st->ready)
	{
		/* the result row's descriptor, looked up once per query */
		TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;

		if (tupdesc == NULL)
		{
			MemoryContext oldcxt;

			if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("visit_summary must return a composite type")));
			oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
			tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
			MemoryContextSwitchTo(oldcxt);
			fcinfo->flinfo->fn_extra = tupdesc;
		}
		visit_partition_fill(winobj, st, tupdesc);
	}

	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= st->nrows || st->summary[pos] == (Datum) 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(st->summary[pos]);
}
