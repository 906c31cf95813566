/*
 * visits_fn.c — fmgr glue around src/core/visits.c.
 *
 * plan_visits(year) and visit_plan(year) plan a whole year in C: the year's drawn tasks, targets,
 * task sets, visits and inspections are read with one query each (big results straight into C
 * arrays through a DestReceiver, never as SQL rows); the targets are sorted by subject and task
 * with a radix sort and grouped (visits_group), the visits' task sets numbered (visits_combine).
 * What to change in the stored plan is decided in the core too (visits_pinned, visits_diff); this
 * file only reads, calls the core and writes. plan_visits writes only what changed: new task sets
 * first, then the visits to delete, repoint and add; new visits go in with table_multi_insert like
 * COPY does, unless the table has triggers, rules, row-level security or other defaults, when one
 * INSERT ... SELECT FROM unnest(...) writes them instead.
 *
 * Two window functions hand one subject's rows (a partition, PARTITION BY uscc) to the same
 * grouping, for use in SQL:
 *   visit_group(start date, end date) -> integer
 *       each row's visit number, 1, 2, ... in the order of the visits' last common day.
 *   visit_summary(start date, end date, task_id bigint, draw_id bigint) -> supervise.visit_summary
 *       on the first row (in partition order) of each visit, the whole visit: its window and its
 *       task and draw ids sorted by task id; NULL on the other rows.
 *
 * Rows with a NULL start or end take no part (NULL result); a period that ends before it starts
 * is an error.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "windowapi.h"

#include "bulk_insert.h"
#include "spi_receiver.h"
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

/* The one error for a period that ends before it starts (does not return); detail: where (translated). */
static void
period_error(DateADT start, DateADT end, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("period ends before it starts: %s to %s",
					DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(start))),
					DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(end)))),
			 errdetail_internal("%s", detail)));
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
		period_error(iv[bad].start, iv[bad].end,
					 psprintf(dgettext(TEXTDOMAIN, "Row %lld of the partition."), (long long) iv[bad].key + 1));

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

/* ==== planning a year: plan_visits(year) and visit_plan(year) ==================================== */

/* A live draw of a task whose period starts in the year. */
typedef struct DrawnTask
{
	int64		task_id;
	int64		draw_id;
	DateADT		start;
	DateADT		end;
	uint32		rank;			/* position in visit_interval_cmp order */
} DrawnTask;

StaticAssertDecl(sizeof(DateADT) == sizeof(int32_t), "a day is the core's int32 day number");

/* A stored visit of the year: (subject, index of its set in YearPlan.sets) and its id. */
typedef struct OldVisit
{
	visit_key	key;
	int64		id;
} OldVisit;

typedef struct YearPlan
{
	int32		year;
	bool		read_only;
	const char *nsp;			/* the extension's schema, quoted */
	Oid			nspid;
	MemoryContext cxt;

	int			nsets;			/* the year's stored task sets (visit_task_set), by id */
	visit_set  *sets;
	int64	   *set_ids;		/* their ids, ascending */
	size_t		nold;			/* the year's stored visits, sorted by (subject, set) */
	OldVisit   *old;
	visit_key  *old_keys;		/* their keys alone */
	uint8	   *pinned;
	size_t		npinned;

	int			ntasks;			/* drawn tasks, by (task id, draw id) */
	DrawnTask  *tasks;
	visit_interval *ranked;		/* their periods in visit_interval_cmp order; key = index in tasks */

	size_t		ntargets;		/* (subject, rank) of every live target not in a pinned visit */
	visit_key  *targets;

	size_t		nvisits;		/* the new plan: one span per visit, by subject */
	visit_span *spans;
	uint32	   *combo_of;		/* each visit's set in combos */
	int			ncombos;		/* the sets of the new plan (id 0 until found stored or stored) */
	visit_set  *combos;
} YearPlan;

static void *
plan_alloc(YearPlan *p, Size size)
{
	return MemoryContextAllocExtended(p->cxt, Max(size, 1), MCXT_ALLOC_HUGE);
}

/* {1,2,3} */
static char *
ids_text(const int64 *v, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, i ? "," : "", v[i]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* ---- reading big results into C arrays ---------------------------------------------------- */

typedef struct Receiver
{
	DestReceiver pub;
	YearPlan   *plan;
	int			natts;			/* columns expected */
	const int16 *lens;			/* expected attlen per column */
	void		(*row) (struct Receiver *self, TupleTableSlot *slot);
	/* growing output */
	void	   *rows;
	size_t		nrows;
	size_t		cap;
	size_t		size;			/* bytes per output row */
	/* for the targets: draws sorted by id, the last one found */
	int64	   *draw_id_sorted;
	uint32	   *rank_of_draw;
	int			ndraws;
	size_t		last;			/* VISITS_NONE at first */
	/* for inspections: the distinct task ids of the stored sets */
	int64	   *task_ids;
	int			ntask_ids;
} Receiver;

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	Receiver   *r = (Receiver *) self;

	if (typeinfo->natts != r->natts)
		elog(ERROR, "visit planner: a query returned %d columns, expected %d", typeinfo->natts, r->natts);
	for (int i = 0; i < r->natts; i++)
		if (TupleDescAttr(typeinfo, i)->attlen != r->lens[i])
			elog(ERROR, "visit planner: column %d has length %d, expected %d", i + 1,
				 TupleDescAttr(typeinfo, i)->attlen, r->lens[i]);
}

static void *
receiver_next(Receiver *r)
{
	if (r->nrows == r->cap)
	{
		size_t		cap = Max(r->cap * 2, 1024);

		if (r->rows == NULL)
			r->rows = plan_alloc(r->plan, cap * r->size);
		else
			r->rows = repalloc_huge(r->rows, cap * r->size);
		r->cap = cap;
	}
	return (char *) r->rows + r->nrows++ * r->size;
}

static bool
receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	Receiver   *r = (Receiver *) self;

	slot_getallattrs(slot);
	for (int i = 0; i < r->natts; i++)
		if (slot->tts_isnull[i])
			elog(ERROR, "visit planner: unexpected NULL in column %d", i + 1);
	r->row(r, slot);
	return true;
}

static void
receiver_init(Receiver *r, YearPlan *p, int natts, const int16 *lens, size_t size,
			  void (*row) (Receiver *, TupleTableSlot *))
{
	memset(r, 0, sizeof(Receiver));
	spi_receiver_init(&r->pub, receiver_receive, receiver_startup);
	r->plan = p;
	r->natts = natts;
	r->lens = lens;
	r->size = size;
	r->row = row;
}

/* Runs a query with one bigint[] or integer parameter into the receiver (or SPI_tuptable). */
static void
run_query(YearPlan *p, const char *sql, Oid argtype, Datum arg, DestReceiver *dest)
{
	SPIExecuteOptions opt;
	ParamListInfo params = makeParamList(1);
	int			rc;

	params->params[0].value = arg;
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = argtype;
	memset(&opt, 0, sizeof(opt));
	opt.params = params;
	opt.read_only = p->read_only;
	opt.dest = dest;
	rc = SPI_execute_extended(sql, &opt);
	if (rc < 0)
		elog(ERROR, "visit planner: SPI_execute_extended failed (%d): %s", rc, sql);
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

static const int16 old_lens[] = {8, 12, 8};

static void
old_row(Receiver *r, TupleTableSlot *slot)
{
	YearPlan   *p = r->plan;
	OldVisit   *v = (OldVisit *) receiver_next(r);
	int64		set_id = DatumGetInt64(slot->tts_values[2]);
	size_t		found = visits_find_id(p->set_ids, p->nsets, set_id);

	if (found == VISITS_NONE)
		elog(ERROR, "visit planner: visit " INT64_FORMAT " has task set " INT64_FORMAT ", which is not of the year",
			 DatumGetInt64(slot->tts_values[0]), set_id);
	v->id = DatumGetInt64(slot->tts_values[0]);
	memcpy(v->key.subject, DatumGetPointer(slot->tts_values[1]), VISIT_SUBJECT_LEN);
	visit_key_set_num(&v->key, (uint32) found);
}

static const int16 insp_lens[] = {12, 8};

static void
inspection_row(Receiver *r, TupleTableSlot *slot)
{
	visit_key  *k = (visit_key *) receiver_next(r);
	size_t		t = visits_find_id(r->task_ids, r->ntask_ids, DatumGetInt64(slot->tts_values[1]));

	if (t == VISITS_NONE)
		elog(ERROR, "visit planner: inspection of an unexpected task");
	memcpy(k->subject, DatumGetPointer(slot->tts_values[0]), VISIT_SUBJECT_LEN);
	visit_key_set_num(k, (uint32) t);
}

static const int16 target_lens[] = {8, 12};

static void
target_row(Receiver *r, TupleTableSlot *slot)
{
	visit_key  *k = (visit_key *) receiver_next(r);
	int64		draw_id = DatumGetInt64(slot->tts_values[0]);

	/* the rows of one draw usually come together */
	if (r->last == VISITS_NONE || r->draw_id_sorted[r->last] != draw_id)
	{
		r->last = visits_find_id(r->draw_id_sorted, r->ndraws, draw_id);
		if (r->last == VISITS_NONE)
			elog(ERROR, "visit planner: target of an unexpected draw " INT64_FORMAT, draw_id);
	}
	memcpy(k->subject, DatumGetPointer(slot->tts_values[1]), VISIT_SUBJECT_LEN);
	visit_key_set_num(k, r->rank_of_draw[r->last]);
}

static const int64 *
copy_int8_array(YearPlan *p, Datum d, uint32 *n)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	int			len = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	int64	   *out;

	if (ARR_ELEMTYPE(a) != INT8OID || ARR_HASNULL(a) || ARR_NDIM(a) > 1)
		elog(ERROR, "visit planner: a task set's ids are not a bigint array without NULLs");
	out = (int64 *) plan_alloc(p, len * sizeof(int64));
	/* no NULLs (checked): the data follows the fixed header */
	memcpy(out, (char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)), len * sizeof(int64));
	*n = (uint32) len;
	return out;
}

/* ---- the stored plan of the year: task sets, visits, which visits are pinned ---------------- */

static void
read_stored(YearPlan *p)
{
	char	   *sql;
	Receiver	r;
	int64	   *ids;
	int			nids = 0;
	size_t	   *set_start;
	uint32	   *set_tasks;
	visit_key  *insp = NULL;
	size_t		ninsp = 0;
	size_t		bad;
	void	   *tmp;

	sql = psprintf("SELECT s.id, s.task_ids, s.draw_ids, s.window_start, s.window_end, s.lead_department_id "
				   "FROM %s.visit_task_set s WHERE s.year OPERATOR(pg_catalog.=) $1 ORDER BY s.id", p->nsp);
	run_query(p, sql, INT4OID, Int32GetDatum(p->year), NULL);
	p->nsets = (int) SPI_processed;
	p->sets = (visit_set *) plan_alloc(p, p->nsets * sizeof(visit_set));
	p->set_ids = (int64 *) plan_alloc(p, p->nsets * sizeof(int64));
	for (int i = 0; i < p->nsets; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		visit_set  *s = &p->sets[i];
		bool		isnull;
		uint32		nd;

		memset(s, 0, sizeof(visit_set));
		s->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		if (s->id <= 0 || (i > 0 && s->id <= p->set_ids[i - 1]))
			elog(ERROR, "visit planner: task set ids not positive and ascending at " INT64_FORMAT, s->id);
		p->set_ids[i] = s->id;
		s->task_ids = copy_int8_array(p, SPI_getbinval(tup, desc, 2, &isnull), &s->n);
		s->draw_ids = copy_int8_array(p, SPI_getbinval(tup, desc, 3, &isnull), &nd);
		if (nd != s->n)
			elog(ERROR, "visit planner: task set " INT64_FORMAT " has %u tasks and %u draws", s->id, s->n, nd);
		s->start = DatumGetDateADT(SPI_getbinval(tup, desc, 4, &isnull));
		s->end = DatumGetDateADT(SPI_getbinval(tup, desc, 5, &isnull));
		s->lead = DatumGetInt64(SPI_getbinval(tup, desc, 6, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	if (p->nsets == 0)
		return;

	/* the visits of those sets */
	receiver_init(&r, p, 3, old_lens, sizeof(OldVisit), old_row);
	sql = psprintf("SELECT v.id, v.uscc, v.task_set_id FROM %s.visit v "
				   "WHERE v.task_set_id OPERATOR(pg_catalog.=) ANY ($1)", p->nsp);
	run_query(p, sql, INT8ARRAYOID, int8_array(p->set_ids, p->nsets), (DestReceiver *) &r);
	p->old = (OldVisit *) r.rows;
	p->nold = r.nrows;

	/* the inspections of the sets' tasks */
	{
		int			total = 0;

		for (int i = 0; i < p->nsets; i++)
			total += p->sets[i].n;
		ids = (int64 *) plan_alloc(p, total * sizeof(int64));
		for (int i = 0; i < p->nsets; i++)
			for (uint32 k = 0; k < p->sets[i].n; k++)
				ids[nids++] = p->sets[i].task_ids[k];
		qsort(ids, nids, sizeof(int64), int64_cmp);
		total = nids;
		nids = 0;
		for (int i = 0; i < total; i++)
			if (nids == 0 || ids[nids - 1] != ids[i])
				ids[nids++] = ids[i];
	}
	receiver_init(&r, p, 2, insp_lens, sizeof(visit_key), inspection_row);
	r.task_ids = ids;
	r.ntask_ids = nids;
	sql = psprintf("SELECT i.uscc, i.task_id FROM %s.inspection i "
				   "WHERE i.task_id OPERATOR(pg_catalog.=) ANY ($1)", p->nsp);
	run_query(p, sql, INT8ARRAYOID, int8_array(ids, nids), (DestReceiver *) &r);
	insp = (visit_key *) r.rows;
	ninsp = r.nrows;

	/* sort both by subject, then ask which visits have an inspection of one of their tasks */
	tmp = plan_alloc(p, Max(p->nold * sizeof(OldVisit), ninsp * sizeof(visit_key)));
	radix_sort(p->old, tmp, p->nold, sizeof(OldVisit), sizeof(visit_key));
	radix_sort(insp, tmp, ninsp, sizeof(visit_key), sizeof(visit_key));
	pfree(tmp);
	set_start = (size_t *) plan_alloc(p, (p->nsets + 1) * sizeof(size_t));
	{
		int			total = 0;

		for (int i = 0; i < p->nsets; i++)
			total += p->sets[i].n;
		set_tasks = (uint32 *) plan_alloc(p, total * sizeof(uint32));
		total = 0;
		for (int i = 0; i < p->nsets; i++)
		{
			set_start[i] = total;
			for (uint32 k = 0; k < p->sets[i].n; k++)
				set_tasks[total++] = (uint32) visits_find_id(ids, nids, p->sets[i].task_ids[k]);
		}
		set_start[p->nsets] = total;
	}
	/* visits_pinned and visits_diff read the keys only: gather them */
	p->old_keys = (visit_key *) plan_alloc(p, p->nold * sizeof(visit_key));
	for (size_t i = 0; i < p->nold; i++)
		p->old_keys[i] = p->old[i].key;
	p->pinned = (uint8 *) plan_alloc(p, p->nold);
	if (visits_pinned(p->old_keys, p->nold, set_start, set_tasks, p->nsets, insp, ninsp, p->pinned, &bad) != VISITS_OK)
		elog(ERROR, "visit planner: visits_pinned failed at %zu", bad);
	for (size_t i = 0; i < p->nold; i++)
		p->npinned += p->pinned[i];
}

/* ---- the new plan -------------------------------------------------------------------------- */

static int
drawn_cmp(const void *a, const void *b)
{
	const DrawnTask *x = (const DrawnTask *) a;
	const DrawnTask *y = (const DrawnTask *) b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	return x->draw_id < y->draw_id ? -1 : x->draw_id > y->draw_id;
}

typedef struct DrawRank
{
	int64		draw_id;
	uint32		rank;
} DrawRank;

static int
draw_rank_cmp(const void *a, const void *b)
{
	return int64_cmp(&((const DrawRank *) a)->draw_id, &((const DrawRank *) b)->draw_id);
}

static void
read_targets(YearPlan *p)
{
	char	   *sql;
	Receiver	r;
	DrawRank   *dr;
	int64	   *draw_ids;

	sql = psprintf("SELECT d.task_id, d.id, t.period_start, t.period_end "
				   "FROM %s.draw_record d JOIN %s.task t ON t.id OPERATOR(pg_catalog.=) d.task_id "
				   "WHERE d.cancelled_at IS NULL "
				   "AND t.period_start OPERATOR(pg_catalog.>=) pg_catalog.make_date($1, 1, 1) "
				   "AND t.period_start OPERATOR(pg_catalog.<=) pg_catalog.make_date($1, 12, 31)",
				   p->nsp, p->nsp);
	run_query(p, sql, INT4OID, Int32GetDatum(p->year), NULL);
	p->ntasks = (int) SPI_processed;
	p->tasks = (DrawnTask *) plan_alloc(p, p->ntasks * sizeof(DrawnTask));
	for (int i = 0; i < p->ntasks; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		p->tasks[i].task_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		p->tasks[i].draw_id = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		p->tasks[i].start = DatumGetDateADT(SPI_getbinval(tup, desc, 3, &isnull));
		p->tasks[i].end = DatumGetDateADT(SPI_getbinval(tup, desc, 4, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	qsort(p->tasks, p->ntasks, sizeof(DrawnTask), drawn_cmp);

	/* rank the tasks in the greedy's order: end, start, then (task id, draw id) */
	p->ranked = (visit_interval *) plan_alloc(p, p->ntasks * sizeof(visit_interval));
	for (int i = 0; i < p->ntasks; i++)
	{
		/* (a period that ends before it starts is refused by visits_group: group_targets) */
		p->ranked[i].start = p->tasks[i].start;
		p->ranked[i].end = p->tasks[i].end;
		p->ranked[i].key = i;
		p->ranked[i].group = -1;
	}
	qsort(p->ranked, p->ntasks, sizeof(visit_interval), visit_interval_cmp);
	dr = (DrawRank *) plan_alloc(p, p->ntasks * sizeof(DrawRank));
	draw_ids = (int64 *) plan_alloc(p, p->ntasks * sizeof(int64));
	for (int r = 0; r < p->ntasks; r++)
	{
		p->tasks[p->ranked[r].key].rank = (uint32) r;
		dr[r].draw_id = p->tasks[p->ranked[r].key].draw_id;
		dr[r].rank = (uint32) r;
	}
	qsort(dr, p->ntasks, sizeof(DrawRank), draw_rank_cmp);
	receiver_init(&r, p, 2, target_lens, sizeof(visit_key), target_row);
	r.draw_id_sorted = draw_ids;
	r.rank_of_draw = (uint32 *) plan_alloc(p, p->ntasks * sizeof(uint32));
	r.ndraws = p->ntasks;
	r.last = VISITS_NONE;
	for (int i = 0; i < p->ntasks; i++)
	{
		if (i > 0 && dr[i].draw_id == dr[i - 1].draw_id)
			elog(ERROR, "visit planner: draw " INT64_FORMAT " is listed twice", dr[i].draw_id);
		draw_ids[i] = dr[i].draw_id;
		r.rank_of_draw[i] = dr[i].rank;
	}
	if (p->ntasks > 0)
	{
		sql = psprintf("SELECT dt.draw_id, dt.uscc FROM %s.draw_target dt "
					   "WHERE dt.draw_id OPERATOR(pg_catalog.=) ANY ($1)", p->nsp);
		run_query(p, sql, INT8ARRAYOID, int8_array(draw_ids, p->ntasks), (DestReceiver *) &r);
	}
	p->targets = (visit_key *) r.rows;
	p->ntargets = r.nrows;
	if (p->ntargets > UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many drawn targets in year %d: %zu", p->year, p->ntargets)));
	{
		void	   *tmp = plan_alloc(p, p->ntargets * sizeof(visit_key));

		radix_sort(p->targets, tmp, p->ntargets, sizeof(visit_key), sizeof(visit_key));
		pfree(tmp);
	}
}

/* Targets of pinned visits are not grouped again: drop them (visits_pinned_targets). */
static void
drop_pinned_targets(YearPlan *p)
{
	visit_key  *drop;
	size_t		ndrop;
	int64	   *task_ids;
	uint32	   *rank;
	void	   *tmp;

	if (p->npinned == 0 || p->ntargets == 0)
		return;
	task_ids = (int64 *) plan_alloc(p, p->ntasks * sizeof(int64));
	rank = (uint32 *) plan_alloc(p, p->ntasks * sizeof(uint32));
	for (int i = 0; i < p->ntasks; i++)
	{
		task_ids[i] = p->tasks[i].task_id;
		rank[i] = p->tasks[i].rank;
	}
	ndrop = visits_pinned_targets(p->old_keys, p->pinned, p->nold, p->sets, p->nsets, task_ids, rank,
								  p->ntasks, NULL, 0);
	drop = (visit_key *) plan_alloc(p, ndrop * sizeof(visit_key));
	if (visits_pinned_targets(p->old_keys, p->pinned, p->nold, p->sets, p->nsets, task_ids, rank,
							  p->ntasks, drop, ndrop) != ndrop)
		elog(ERROR, "visit planner: visits_pinned_targets counted differently");
	tmp = plan_alloc(p, ndrop * sizeof(visit_key));
	radix_sort(drop, tmp, ndrop, sizeof(visit_key), sizeof(visit_key));
	pfree(tmp);
	p->ntargets = visits_subtract(p->targets, p->ntargets, drop, ndrop);
	pfree(drop);
	pfree(task_ids);
	pfree(rank);
}

static int
member_index_cmp(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a,
				y = *(const uint32 *) b;

	return x < y ? -1 : x > y;
}

static void
group_targets(YearPlan *p)
{
	size_t		bad = 0;
	visits_status st;
	size_t		table_size = 2;
	uint32	   *table;
	size_t	   *rep;
	uint32	   *members;

	p->spans = (visit_span *) plan_alloc(p, p->ntargets * sizeof(visit_span));
	st = visits_group(p->ranked, p->ntasks, p->targets, p->ntargets, p->spans, &p->nvisits, &bad);
	if (st == VISITS_BAD_INTERVAL)
		period_error(p->ranked[bad].start, p->ranked[bad].end,
					 psprintf(dgettext(TEXTDOMAIN, "Task %lld."), (long long) p->tasks[p->ranked[bad].key].task_id));
	if (st != VISITS_OK)
		elog(ERROR, "visit planner: visits_group failed (%d) at %zu", (int) st, bad);

	while (table_size <= p->nvisits * 2)
		table_size *= 2;
	table = (uint32 *) plan_alloc(p, table_size * sizeof(uint32));
	rep = (size_t *) plan_alloc(p, Max(p->nvisits, 1) * sizeof(size_t));
	p->combo_of = (uint32 *) plan_alloc(p, p->nvisits * sizeof(uint32));
	p->ncombos = (int) visits_combine(p->targets, p->spans, p->nvisits, p->combo_of, rep, table, table_size);
	pfree(table);

	/* each set's tasks and draws in (task id, draw id) order, its window */
	p->combos = (visit_set *) plan_alloc(p, p->ncombos * sizeof(visit_set));
	members = (uint32 *) plan_alloc(p, Max(p->ntasks, 1) * sizeof(uint32));
	for (int c = 0; c < p->ncombos; c++)
	{
		const visit_span *sp = &p->spans[rep[c]];
		visit_set  *s = &p->combos[c];
		int64	   *task_ids,
				   *draw_ids;

		memset(s, 0, sizeof(visit_set));
		if (sp->count > (uint32) p->ntasks)
			elog(ERROR, "visit planner: a visit of %u targets among %d tasks", sp->count, p->ntasks);
		s->n = sp->count;
		for (uint32 k = 0; k < s->n; k++)
			members[k] = (uint32) p->ranked[visit_key_num(&p->targets[sp->first + k])].key;
		qsort(members, s->n, sizeof(uint32), member_index_cmp);
		task_ids = (int64 *) plan_alloc(p, s->n * sizeof(int64));
		draw_ids = (int64 *) plan_alloc(p, s->n * sizeof(int64));
		for (uint32 k = 0; k < s->n; k++)
		{
			task_ids[k] = p->tasks[members[k]].task_id;
			draw_ids[k] = p->tasks[members[k]].draw_id;
		}
		s->task_ids = task_ids;
		s->draw_ids = draw_ids;
		s->start = sp->start;
		s->end = sp->end;
	}
	pfree(members);
	pfree(rep);
}

/* The lead department of every planned set, by visit_lead_department(task_ids) in one query. */
static void
lead_departments(YearPlan *p)
{
	int			total = 0,
				k = 0;
	int32	   *g;
	int64	   *t;
	Datum	   *gd;
	char	   *sql;
	Datum		args[2];
	Oid			types[2] = {INT4ARRAYOID, INT8ARRAYOID};
	int			rc;

	if (p->ncombos == 0)
		return;
	for (int c = 0; c < p->ncombos; c++)
		total += p->combos[c].n;
	g = (int32 *) plan_alloc(p, total * sizeof(int32));
	t = (int64 *) plan_alloc(p, total * sizeof(int64));
	gd = (Datum *) plan_alloc(p, total * sizeof(Datum));
	for (int c = 0; c < p->ncombos; c++)
		for (uint32 i = 0; i < p->combos[c].n; i++)
		{
			g[k] = c;
			t[k] = p->combos[c].task_ids[i];
			k++;
		}
	for (int i = 0; i < total; i++)
		gd[i] = Int32GetDatum(g[i]);
	args[0] = PointerGetDatum(construct_array(gd, total, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	args[1] = int8_array(t, total);
	sql = psprintf("SELECT u.g, %s.visit_lead_department(pg_catalog.array_agg(u.t ORDER BY u.t)) "
				   "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(g, t) GROUP BY u.g", p->nsp);
	rc = SPI_execute_with_args(sql, 2, types, args, NULL, p->read_only, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != (uint64) p->ncombos)
		elog(ERROR, "visit planner: lead departments of %d task sets: %d (%llu rows)", p->ncombos, rc,
			 (unsigned long long) SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		gnull,
					lnull;
		int32		c = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &gnull));
		Datum		lead = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &lnull);

		if (gnull || c < 0 || c >= p->ncombos)
			elog(ERROR, "visit planner: unexpected task set number");
		if (lnull)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no lead department for a visit of tasks %s",
							ids_text(p->combos[c].task_ids, p->combos[c].n))));
		p->combos[c].lead = DatumGetInt64(lead);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* ---- writing: new visits in bulk --------------------------------------------------------------- */

/* The same rows through SQL: INSERT ... SELECT FROM unnest, for tables with triggers, RLS, ... */
static void
insert_visits_sql(YearPlan *p, Oid uscc_type, const size_t *which, size_t n)
{
	Datum	   *codes = (Datum *) plan_alloc(p, n * sizeof(Datum));
	int64	   *sets = (int64 *) plan_alloc(p, n * sizeof(int64));
	Datum		args[2];
	Oid			types[2];
	char	   *sql;
	int			rc;

	for (size_t i = 0; i < n; i++)
	{
		codes[i] = PointerGetDatum(p->targets[p->spans[which[i]].first].subject);
		sets[i] = p->combos[p->combo_of[which[i]]].id;
	}
	types[0] = get_array_type(uscc_type);
	types[1] = INT8ARRAYOID;
	if (!OidIsValid(types[0]))
		elog(ERROR, "visit planner: no array type for the subject code");
	args[0] = PointerGetDatum(construct_array(codes, (int) n, uscc_type, VISIT_SUBJECT_LEN, false, TYPALIGN_CHAR));
	args[1] = int8_array(sets, (int) n);
	sql = psprintf("INSERT INTO %s.visit (uscc, task_set_id) SELECT u.uscc, u.s FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(uscc, s)",
				   p->nsp);
	rc = SPI_execute_with_args(sql, 2, types, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT || SPI_processed != n)
		elog(ERROR, "visit planner: inserting %zu visits: %d", n, rc);
	pfree(codes);
	pfree(sets);
}

/*
 * Inserts the visits spans[which[i]] (subject, task set) into visit, other columns by their
 * defaults, as INSERT INTO visit (uscc, task_set_id) would: privileges, NOT NULL and CHECK
 * constraints and unique indexes are checked; written like COPY FROM (bulk_insert.c) unless the
 * table has an INSERT trigger, rules, row-level security or a volatile default.
 */
static void
insert_visits(YearPlan *p, const size_t *which, size_t n)
{
	Oid			relid = get_relname_relid("visit", p->nspid);
	AttrNumber	cols[2];
	Oid			uscc_type;
	BulkInsert *b;

	if (n == 0)
		return;
	if (!OidIsValid(relid))
		elog(ERROR, "visit planner: table visit not found");
	cols[0] = get_attnum(relid, "uscc");
	cols[1] = get_attnum(relid, "task_set_id");
	if (cols[0] <= 0 || cols[1] <= 0)
		elog(ERROR, "visit planner: table visit has no column uscc or task_set_id");
	uscc_type = get_atttype(relid, cols[0]);
	if (get_typlen(uscc_type) != VISIT_SUBJECT_LEN || get_atttype(relid, cols[1]) != INT8OID)
		elog(ERROR, "visit planner: table visit has columns of unexpected types");

	b = bulk_insert_begin(relid, 2, cols, NULL, NULL);
	if (b == NULL)
	{
		insert_visits_sql(p, uscc_type, which, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = PointerGetDatum(p->targets[p->spans[which[i]].first].subject);
		values[1] = Int64GetDatum(p->combos[p->combo_of[which[i]]].id);
		bulk_insert_row(b, values, nulls);
	}
	bulk_insert_end(b, NULL);
}

/* ---- plan_visits: write what changed ----------------------------------------------------------- */

static void
run_ids(YearPlan *p, const char *sql_fmt, const int64 *ids, size_t n)
{
	char	   *sql;
	Datum		arg;
	Oid			type = INT8ARRAYOID;
	int			rc;

	if (n == 0)
		return;
	sql = psprintf(sql_fmt, p->nsp);
	arg = int8_array(ids, (int) n);
	rc = SPI_execute_with_args(sql, 1, &type, &arg, NULL, false, 0);
	if (rc < 0 || SPI_processed != n)
		elog(ERROR, "visit planner: %s changed %llu rows, expected %zu", sql, (unsigned long long) SPI_processed, n);
}

static void
store_new_sets(YearPlan *p)
{
	SPIPlanPtr	plan = NULL;
	Oid			types[6] = {INT4OID, INT8ARRAYOID, INT8ARRAYOID, DATEOID, DATEOID, INT8OID};

	for (int c = 0; c < p->ncombos; c++)
	{
		visit_set  *s = &p->combos[c];
		Datum		args[6];
		bool		isnull;
		int			rc;

		if (s->id != 0)
			continue;
		if (plan == NULL)
		{
			char	   *sql = psprintf("INSERT INTO %s.visit_task_set (year, task_ids, draw_ids, window_start, window_end, lead_department_id) "
									   "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", p->nsp);

			plan = SPI_prepare(sql, 6, types);
			if (plan == NULL)
				elog(ERROR, "visit planner: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		}
		args[0] = Int32GetDatum(p->year);
		args[1] = int8_array(s->task_ids, s->n);
		args[2] = int8_array(s->draw_ids, s->n);
		args[3] = DateADTGetDatum(s->start);
		args[4] = DateADTGetDatum(s->end);
		args[5] = Int64GetDatum(s->lead);
		rc = SPI_execute_plan(plan, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
			elog(ERROR, "visit planner: storing a task set: %d", rc);
		s->id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		SPI_freetuptable(SPI_tuptable);
	}
	if (plan)
		SPI_freeplan(plan);
}

/*
 * Keeps visit_task_set.visits: each set's visits once the changes are written (visits_set_counts),
 * written where it changed. A planned set that took a stored set's id is counted in both parts,
 * added here by id.
 */
static void
store_set_counts(YearPlan *p)
{
	uint64	   *pc = (uint64 *) plan_alloc(p, p->ncombos * sizeof(uint64));
	uint64	   *sc = (uint64 *) plan_alloc(p, p->nsets * sizeof(uint64));
	int64	   *ids = (int64 *) plan_alloc(p, (p->ncombos + p->nsets) * sizeof(int64));
	int64	   *counts = (int64 *) plan_alloc(p, (p->ncombos + p->nsets) * sizeof(int64));
	int			n = 0;
	char	   *sql;
	Datum		args[2];
	Oid			types[2] = {INT8ARRAYOID, INT8ARRAYOID};
	int			rc;

	visits_set_counts(p->combo_of, p->nvisits, p->ncombos, p->old_keys, p->pinned, p->nold, p->nsets, pc, sc);
	for (int c = 0; c < p->ncombos; c++)
	{
		ids[n] = p->combos[c].id;
		counts[n++] = (int64) pc[c];
	}
	for (int k = 0; k < p->nsets; k++)
	{
		ids[n] = p->set_ids[k];
		counts[n++] = (int64) sc[k];
	}
	if (n == 0)
		return;
	sql = psprintf("UPDATE %s.visit_task_set s SET visits = u.n "
				   "FROM (SELECT u.id, pg_catalog.sum(u.n)::integer AS n "
				   "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(id, n) GROUP BY u.id) u "
				   "WHERE s.id OPERATOR(pg_catalog.=) u.id AND s.visits OPERATOR(pg_catalog.<>) u.n", p->nsp);
	args[0] = int8_array(ids, n);
	args[1] = int8_array(counts, n);
	rc = SPI_execute_with_args(sql, 2, types, args, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "visit planner: counting the task sets' visits: %d", rc);
}

/*
 * Counts the results already recorded for the new visits (targets checked before their visit was
 * planned) into visit_result_count, through the one matching of inspections with visits
 * (visit_results_of). Every other visit with a result is pinned and already counted.
 */
static void
count_new_results(YearPlan *p)
{
	int64	   *tasks = (int64 *) plan_alloc(p, p->ntasks * sizeof(int64));
	int			n = 0;
	char	   *sql;
	Datum		arg;
	Oid			type = INT8ARRAYOID;
	int			rc;

	for (int i = 0; i < p->ntasks; i++)
		if (n == 0 || tasks[n - 1] != p->tasks[i].task_id)
			tasks[n++] = p->tasks[i].task_id;
	if (n == 0)
		return;
	sql = psprintf("INSERT INTO %s.visit_result_count (visit_id, department_id, task_set_id, results) "
				   "SELECT r.visit_id, r.department_id, r.task_set_id, r.results "
				   "FROM (SELECT pg_catalog.array_agg(i.task_id) AS t, pg_catalog.array_agg(i.uscc) AS u, "
				   "pg_catalog.array_agg(i.department_id) AS d, pg_catalog.array_agg(1) AS n "
				   "FROM %s.inspection i WHERE i.task_id OPERATOR(pg_catalog.=) ANY ($1) AND i.result_code IS NOT NULL) x, "
				   "%s.visit_results_of(x.t, x.u, x.d, x.n) r "
				   "ON CONFLICT (visit_id, department_id) DO NOTHING", p->nsp, p->nsp, p->nsp);
	arg = int8_array(tasks, n);
	rc = SPI_execute_with_args(sql, 1, &type, &arg, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "visit planner: counting the new visits' results: %d", rc);
}

/*
 * Writes the changes visits_diff decides (visits.h): the new task sets, then the visits to
 * delete, to move to another set and to add, then the sets no visit has any more.
 */
static void
write_changes(YearPlan *p)
{
	visit_key  *planned;
	visit_changes ch;
	int64	   *ids,
			   *sets;
	size_t		bad;
	visits_status st;

	/* the new plan's visits as (subject, set) */
	planned = (visit_key *) plan_alloc(p, p->nvisits * sizeof(visit_key));
	for (size_t j = 0; j < p->nvisits; j++)
	{
		memcpy(planned[j].subject, p->targets[p->spans[j].first].subject, VISIT_SUBJECT_LEN);
		visit_key_set_num(&planned[j], p->combo_of[j]);
	}
	ch.remove = (size_t *) plan_alloc(p, p->nold * sizeof(size_t));
	ch.move = (size_t *) plan_alloc(p, p->nold * sizeof(size_t));
	ch.move_to = (uint32 *) plan_alloc(p, p->nold * sizeof(uint32));
	ch.add = (size_t *) plan_alloc(p, p->nvisits * sizeof(size_t));
	ch.drop_sets = (size_t *) plan_alloc(p, p->nsets * sizeof(size_t));
	{
		void	   *scratch = plan_alloc(p, visits_diff_scratch(p->nsets, p->ncombos, p->nold, p->nvisits));

		st = visits_diff(p->sets, p->nsets, p->combos, p->ncombos, p->old_keys, p->pinned, p->nold,
						 planned, p->nvisits, scratch, &ch, &bad);
		if (st != VISITS_OK)
			elog(ERROR, "visit planner: visits_diff failed (%d) at %zu", (int) st, bad);
		pfree(scratch);
	}
	pfree(planned);

	store_new_sets(p);

	ids = (int64 *) plan_alloc(p, Max(ch.nremove, ch.nmove) * sizeof(int64));
	for (size_t k = 0; k < ch.nremove; k++)
		ids[k] = p->old[ch.remove[k]].id;
	run_ids(p, "DELETE FROM %s.visit v WHERE v.id OPERATOR(pg_catalog.=) ANY ($1)", ids, ch.nremove);
	if (ch.nmove > 0)
	{
		char	   *sql = psprintf("UPDATE %s.visit v SET task_set_id = u.s FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(id, s) "
								   "WHERE v.id OPERATOR(pg_catalog.=) u.id", p->nsp);
		Datum		args[2];
		Oid			types[2] = {INT8ARRAYOID, INT8ARRAYOID};
		int			rc;

		sets = (int64 *) plan_alloc(p, ch.nmove * sizeof(int64));
		for (size_t k = 0; k < ch.nmove; k++)
		{
			ids[k] = p->old[ch.move[k]].id;
			sets[k] = p->combos[ch.move_to[k]].id;
		}
		args[0] = int8_array(ids, (int) ch.nmove);
		args[1] = int8_array(sets, (int) ch.nmove);
		rc = SPI_execute_with_args(sql, 2, types, args, NULL, false, 0);
		if (rc != SPI_OK_UPDATE || SPI_processed != ch.nmove)
			elog(ERROR, "visit planner: repointing %zu visits: %d", ch.nmove, rc);
	}
	insert_visits(p, ch.add, ch.nadd);

	sets = (int64 *) plan_alloc(p, ch.ndrop_sets * sizeof(int64));
	for (size_t k = 0; k < ch.ndrop_sets; k++)
		sets[k] = p->sets[ch.drop_sets[k]].id;
	run_ids(p, "DELETE FROM %s.visit_task_set s WHERE s.id OPERATOR(pg_catalog.=) ANY ($1)", sets, ch.ndrop_sets);

	store_set_counts(p);
	if (ch.nadd > 0)
		count_new_results(p);
}

/*
 * Summarises the block ranges of visit's BRIN index on uscc that have none yet (the ranges the new
 * visits filled), so that one subject's visits are found by the index at once rather than after
 * autovacuum (until a range is summarised, every lookup reads all of its pages). It reads only the
 * new ranges' pages, which plan_visits has just written (about a twentieth of its time). Done as
 * the table's owner (the SQL function brin_summarize_new_values is the owner's), like autovacuum
 * does it.
 */
static void
summarise_visits(YearPlan *p)
{
	Oid			idx = get_relname_relid("visit_uscc_brin", p->nspid);
	Oid			relid = get_relname_relid("visit", p->nspid);
	Oid			owner;
	Oid			save_userid;
	int			save_sec;
	Relation	rel;
	bool		brin;

	if (!OidIsValid(idx) || !OidIsValid(relid))
		return;
	rel = index_open(idx, AccessShareLock);
	brin = rel->rd_rel->relam == BRIN_AM_OID && rel->rd_index->indrelid == relid;
	index_close(rel, AccessShareLock);
	if (!brin)
		return;
	rel = table_open(relid, NoLock);	/* locked (EXCLUSIVE) by plan_visits */
	owner = rel->rd_rel->relowner;
	table_close(rel, NoLock);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		DirectFunctionCall1(brin_summarize_new_values, ObjectIdGetDatum(idx));
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
}

/* ---- entry points -------------------------------------------------------------------------------- */

static void
plan_make(YearPlan *p, FunctionCallInfo fcinfo, int32 year, bool read_only)
{
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);

	if (year < 1 || year > 5874897)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("year %d is out of range", year)));
	memset(p, 0, sizeof(YearPlan));
	p->year = year;
	p->read_only = read_only;
	p->nspid = nspid;
	p->nsp = quote_identifier(get_namespace_name(nspid));
	p->cxt = AllocSetContextCreate(CurrentMemoryContext, "visit plan", ALLOCSET_DEFAULT_SIZES);
}

/* Reads everything and makes the new plan (the visits not pinned, with their sets and leads). */
static void
plan_compute(YearPlan *p)
{
	read_stored(p);
	read_targets(p);
	drop_pinned_targets(p);
	group_targets(p);
	lead_departments(p);
}

PG_FUNCTION_INFO_V1(plan_visits);
Datum
plan_visits(PG_FUNCTION_ARGS)
{
	YearPlan	p;
	char	   *sql;
	int64		result;

	plan_make(&p, fcinfo, PG_GETARG_INT32(0), false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "visit planner: SPI_connect failed");
	/*
	 * One planner at a time; record_visit_result (FOR SHARE on the visit) waits, and results
	 * recorded directly in inspection cannot slip in between deciding what is pinned and writing.
	 */
	sql = psprintf("LOCK TABLE %s.visit, %s.visit_task_set IN EXCLUSIVE MODE", p.nsp, p.nsp);
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "visit planner: %s failed", sql);
	sql = psprintf("LOCK TABLE %s.inspection IN SHARE MODE", p.nsp);
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "visit planner: %s failed", sql);
	/* everything is read with one snapshot, taken once the locks are held */
	PushActiveSnapshot(GetTransactionSnapshot());
	p.read_only = true;
	plan_compute(&p);
	PopActiveSnapshot();
	p.read_only = false;
	write_changes(&p);
	summarise_visits(&p);
	result = (int64) p.nvisits + (int64) p.npinned;
	SPI_finish();
	MemoryContextDelete(p.cxt);
	if (result > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("year %d has %lld visits, more than an integer counts", PG_GETARG_INT32(0), (long long) result)));
	PG_RETURN_INT32((int32) result);
}

PG_FUNCTION_INFO_V1(visit_plan);
Datum
visit_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	YearPlan	p;
	Datum	   *arrays;

	InitMaterializedSRF(fcinfo, 0);
	plan_make(&p, fcinfo, PG_GETARG_INT32(0), true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "visit planner: SPI_connect failed");
	plan_compute(&p);
	/* each set's arrays once, for all its visits */
	arrays = (Datum *) plan_alloc(&p, 2 * p.ncombos * sizeof(Datum));
	for (int c = 0; c < p.ncombos; c++)
	{
		MemoryContext old = MemoryContextSwitchTo(p.cxt);

		arrays[2 * c] = int8_array(p.combos[c].task_ids, p.combos[c].n);
		arrays[2 * c + 1] = int8_array(p.combos[c].draw_ids, p.combos[c].n);
		MemoryContextSwitchTo(old);
	}
	for (size_t j = 0; j < p.nvisits; j++)
	{
		uint32		c = p.combo_of[j];
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = PointerGetDatum(p.targets[p.spans[j].first].subject);
		values[1] = DateADTGetDatum(p.spans[j].start);
		values[2] = DateADTGetDatum(p.spans[j].end);
		values[3] = arrays[2 * c];
		values[4] = arrays[2 * c + 1];
		values[5] = Int64GetDatum(p.combos[c].lead);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	MemoryContextDelete(p.cxt);
	return (Datum) 0;
}
