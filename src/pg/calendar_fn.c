/*
 * calendar_fn.c — fmgr glue for working days (src/core/calendar.c) and the per-backend cache
 * of the loaded calendar.
 *
 * The cache: the first call in a backend reads supervise.calendar_year and
 * supervise.calendar_day through SPI and builds the core's index in its own memory context.
 * It is dropped when
 *   - a relcache invalidation for either table arrives (CacheRegisterRelcacheCallback). The
 *     statement-level trigger supervise.calendar_invalidate() on both tables sends one with
 *     CacheInvalidateRelcacheByRelid, so every other backend sees it at its next transaction
 *     or lock acquisition, and this backend at its next command (CommandCounterIncrement);
 *   - the cache was loaded in a statement during which such an invalidation was processed
 *     (the load used that statement's snapshot, which may predate the change);
 *   - the cache was loaded under a transaction snapshot (REPEATABLE READ / SERIALIZABLE) and a
 *     new transaction has started.
 * At the first call of every statement the backend also runs AcceptInvalidationMessages(), so
 * a statement inside an open READ COMMITTED transaction block sees a change committed since
 * the previous statement, as its snapshot does.
 *
 * The SPI queries use the caller's active snapshot (read_only), never take a new snapshot
 * and never increment the command counter, so the functions also work in parallel workers
 * (each worker builds its own cache from the shared snapshot).
 */
#include "postgres.h"
#include "pg_compat.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "calendar.h"
#include "i18n.h"

PG_FUNCTION_INFO_V1(supervise_is_workday);
PG_FUNCTION_INFO_V1(supervise_add_workdays);
PG_FUNCTION_INFO_V1(supervise_workdays_between);
PG_FUNCTION_INFO_V1(supervise_add_workdays_provisional);
PG_FUNCTION_INFO_V1(supervise_calendar_invalidate);
PG_FUNCTION_INFO_V1(supervise_calendar_cache_info);

StaticAssertDecl(CAL_DAY_MAX == DATE_END_JULIAN - POSTGRES_EPOCH_JDATE - 1,
				 "core CAL_DAY_MAX must match PostgreSQL's last date");
StaticAssertDecl(CAL_DAY_MIN == DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE,
				 "core CAL_DAY_MIN must match PostgreSQL's first date");

/* A statement is identified by its transaction and its start time. */
typedef struct stmt_marker
{
	LocalTransactionId lxid;
	TimestampTz start;
} stmt_marker;

static MemoryContext cal_cxt = NULL;
static calendar cal;
static bool cal_valid = false;
static bool cal_callback_registered = false;
static Oid	cal_day_relid = InvalidOid;
static Oid	cal_year_relid = InvalidOid;
static stmt_marker cal_checked;		/* last statement that ran the per-statement check */
static stmt_marker cal_loaded;		/* statement that built the cache */
static stmt_marker cal_invalidated;	/* last statement during which an invalidation came */
static bool cal_loaded_xact_snapshot = false;
static bool cal_tainted = false;	/* an invalidation came during the loading statement */
static int64 cal_loads = 0;

static inline stmt_marker
current_marker(void)
{
	stmt_marker m;

	m.lxid = MyProc ? compat_my_lxid(MyProc) : InvalidLocalTransactionId;
	m.start = GetCurrentStatementStartTimestamp();
	return m;
}

static inline bool
same_marker(stmt_marker a, stmt_marker b)
{
	return a.lxid == b.lxid && a.start == b.start;
}

static void
cal_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == cal_day_relid || relid == cal_year_relid)
	{
		cal_valid = false;
		cal_invalidated = current_marker();
		if (same_marker(cal_invalidated, cal_loaded))
			cal_tainted = true;
	}
}

static void *
cal_palloc(void *ctx, size_t size)
{
	return MemoryContextAllocZero((MemoryContext) ctx, size ? size : 1);
}

static char *
date_text(DateADT day)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)));
}

/* "2019-2026, 2028" */
static char *
loaded_years_text(void)
{
	StringInfoData s;
	int			i;

	if (cal.nruns == 0)
		return pstrdup(dgettext(TEXTDOMAIN, "none"));
	initStringInfo(&s);
	for (i = 0; i < cal.nruns; i++)
	{
		if (i > 0)
			appendStringInfoString(&s, ", ");
		if (cal.runs[i].first_year == cal.runs[i].last_year)
			appendStringInfo(&s, "%d", cal.runs[i].first_year);
		else
			appendStringInfo(&s, "%d-%d", cal.runs[i].first_year, cal.runs[i].last_year);
	}
	return s.data;
}

static void
cal_load(Oid fn_oid)
{
	Oid			nsp = get_func_namespace(fn_oid);
	char	   *nspname = get_namespace_name(nsp);
	const char *qnsp;
	MemoryContext newcxt;
	MemoryContext oldcxt;
	calendar	newcal;
	int32	   *years;
	cal_exception *ex;
	int			nyears,
				nex,
				i;
	int32		bad = 0;
	cal_status	st;
	bool		pushed = false;
	stmt_marker now = current_marker();

	if (nspname == NULL)
		elog(ERROR, "cache lookup failed for namespace of function %u", fn_oid);
	qnsp = quote_identifier(nspname);
	if (!cal_callback_registered)
	{
		CacheRegisterRelcacheCallback(cal_relcache_callback, (Datum) 0);
		cal_callback_registered = true;
	}
	cal_day_relid = get_relname_relid("calendar_day", nsp);
	cal_year_relid = get_relname_relid("calendar_year", nsp);
	if (!OidIsValid(cal_day_relid) || !OidIsValid(cal_year_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("tables %s.calendar_day and %s.calendar_year are missing", qnsp, qnsp)));

	/*
	 * Built in a context that hangs off the caller's context until it is complete, so an error
	 * part-way frees it; then moved under TopMemoryContext.
	 */
	newcxt = AllocSetContextCreate(CurrentMemoryContext, "supervise calendar cache",
								   ALLOCSET_SMALL_SIZES);
	cal_loaded = now;
	cal_tainted = same_marker(cal_invalidated, now);

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (SPI_execute(psprintf("SELECT year FROM %s.calendar_year", qnsp), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s.calendar_year", qnsp);
	nyears = (int) SPI_processed;
	oldcxt = MemoryContextSwitchTo(newcxt);
	years = palloc(sizeof(int32) * (nyears + 1));
	MemoryContextSwitchTo(oldcxt);
	for (i = 0; i < nyears; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
			elog(ERROR, "NULL year in %s.calendar_year", qnsp);
		years[i] = DatumGetInt32(d);
	}

	if (SPI_execute(psprintf("SELECT day, kind OPERATOR(pg_catalog.=) 'work' FROM %s.calendar_day", qnsp),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s.calendar_day", qnsp);
	nex = (int) SPI_processed;
	oldcxt = MemoryContextSwitchTo(newcxt);
	ex = palloc(sizeof(cal_exception) * (nex + 1));
	MemoryContextSwitchTo(oldcxt);
	for (i = 0; i < nex; i++)
	{
		bool		n1,
					n2;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &n1);
		Datum		w = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &n2);

		if (n1 || n2)
			elog(ERROR, "NULL day or kind in %s.calendar_day", qnsp);
		ex[i].day = DatumGetDateADT(d);
		ex[i].kind = DatumGetBool(w) ? CAL_WORK : CAL_OFF;
	}
	SPI_finish();
	if (pushed)
		PopActiveSnapshot();

	st = cal_build(&newcal, years, nyears, ex, nex, cal_palloc, newcxt, &bad);
	if (st != CAL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid holiday calendar: %s", core_text(cal_status_name(st))),
				 st == CAL_BAD_YEAR ? errdetail("Year %d in %s.calendar_year.", bad, qnsp)
				 : errdetail("Day %s in %s.calendar_day.", date_text(bad), qnsp)));

	/* complete: keep it */
	MemoryContextSetParent(newcxt, TopMemoryContext);
	if (cal_cxt)
		MemoryContextDelete(cal_cxt);
	cal_cxt = newcxt;
	cal = newcal;
	cal_loaded_xact_snapshot = IsolationUsesXactSnapshot();
	cal_valid = true;
	cal_loads++;
}

/* get_calendar when the statement has changed or the cache is not valid */
static pg_noinline const calendar *
get_calendar_checked(FunctionCallInfo fcinfo, stmt_marker now)
{
	if (!same_marker(now, cal_checked))
	{
		/* once per statement */
		AcceptInvalidationMessages();
		if (cal_valid &&
			(cal_tainted || same_marker(cal_invalidated, cal_loaded) ||
			 (cal_loaded_xact_snapshot && cal_loaded.lxid != now.lxid)))
			cal_valid = false;
		cal_checked = now;
	}
	if (!cal_valid)
		cal_load(fcinfo->flinfo->fn_oid);
	return &cal;
}

/* The calendar, loaded or reloaded as needed (checked once per statement). */
static inline const calendar *
get_calendar(FunctionCallInfo fcinfo)
{
	stmt_marker now = current_marker();

	if (likely(cal_valid && same_marker(now, cal_checked)))
		return &cal;
	return get_calendar_checked(fcinfo, now);
}

static void
check_finite(DateADT d, const char *fname)
{
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("working days are not defined for date \"%s\"", date_text(d)),
				 errdetail("%s needs a finite date.", fname)));
}

/* A year as people write it: 2027, or 4713 BC for the year -4712 of the date arithmetic. */
static const char *
year_text(int32 y)
{
	return y > 0 ? psprintf("%d", y) : psprintf(dgettext(TEXTDOMAIN, "%d BC"), 1 - y);
}

/* the years supervise.load_calendar() accepts */
#define CAL_LOADABLE_FIRST	1900
#define CAL_LOADABLE_LAST	9999

static void
report(cal_status st, int32 missing_year, const char *fname, const char *what)
{
	switch (st)
	{
		case CAL_OK:
			return;
		case CAL_YEAR_NOT_LOADED:
			if (missing_year < CAL_LOADABLE_FIRST || missing_year > CAL_LOADABLE_LAST)
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("working days are not defined for the year %s", year_text(missing_year)),
						 errdetail("%s(%s) needs the working days of %s; holiday calendars exist for the years %d to %d, and the loaded years are %s.",
								   fname, what, year_text(missing_year), CAL_LOADABLE_FIRST, CAL_LOADABLE_LAST,
								   loaded_years_text())));
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("holiday calendar for year %d is not loaded", missing_year),
					 errdetail("%s(%s) needs the working days of %d; the loaded years are %s.",
							   fname, what, missing_year, loaded_years_text()),
					 errhint("Load the %d holiday notice with supervise.load_calendar(%d, ...).",
							 missing_year, missing_year)));
			break;
		case CAL_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range"),
					 errdetail("%s(%s) goes past the ends of the date type.", fname, what)));
			break;
		default:
			elog(ERROR, "%s(%s): %s", fname, what, cal_status_name(st));
	}
}

Datum
supervise_is_workday(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	const calendar *c;
	bool		result = false;
	int32		missing = 0;
	cal_status	st;

	check_finite(d, "is_workday");
	c = get_calendar(fcinfo);
	st = cal_is_workday(c, d, &result, &missing);
	if (st != CAL_OK)
		report(st, missing, "is_workday", date_text(d));
	PG_RETURN_BOOL(result);
}

/* add_workdays where the quick path cannot answer (and its errors) */
static pg_noinline Datum
add_workdays_full(FunctionCallInfo fcinfo, DateADT d, int32 n)
{
	const calendar *c;
	int32		result = 0;
	int32		missing = 0;
	cal_status	st;

	check_finite(d, "add_workdays");
	c = get_calendar(fcinfo);
	st = cal_add_workdays(c, d, n, CAL_STRICT, &result, NULL, &missing);
	if (st != CAL_OK)
		report(st, missing, "add_workdays", psprintf("%s, %d", date_text(d), n));
	PG_RETURN_DATEADT((DateADT) result);
}

/* (called row by row in reports: the common case is inline here, the rest and the errors out of line) */
Datum
supervise_add_workdays(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	int32		n = PG_GETARG_INT32(1);
	int32		result;

	if (likely(!DATE_NOT_FINITE(d)) && cal_add_workdays_quick(get_calendar(fcinfo), d, n, &result))
		PG_RETURN_DATEADT((DateADT) result);
	return add_workdays_full(fcinfo, d, n);
}

Datum
supervise_workdays_between(PG_FUNCTION_ARGS)
{
	DateADT		a = PG_GETARG_DATEADT(0);
	DateADT		b = PG_GETARG_DATEADT(1);
	const calendar *c;
	int32		result = 0;
	int32		missing = 0;
	cal_status	st;

	check_finite(a, "workdays_between");
	check_finite(b, "workdays_between");
	c = get_calendar(fcinfo);
	st = cal_workdays_between(c, a, b, &result, &missing);
	if (st != CAL_OK)
		report(st, missing, "workdays_between", psprintf("%s, %s", date_text(a), date_text(b)));
	PG_RETURN_INT32(result);
}

/* add_workdays(d, n), but years not loaded count Monday–Friday; returns (day, provisional). */
Datum
supervise_add_workdays_provisional(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	int32		n = PG_GETARG_INT32(1);
	const calendar *c;
	int32		result = 0;
	int32		missing = 0;
	bool		prov = false;
	cal_status	st;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	check_finite(d, "add_workdays_provisional");
	c = get_calendar(fcinfo);
	st = cal_add_workdays(c, d, n, CAL_ASSUME_WEEKDAYS, &result, &prov, &missing);
	if (st != CAL_OK)
		report(st, missing, "add_workdays_provisional", psprintf("%s, %d", date_text(d), n));
	values[0] = DateADTGetDatum((DateADT) result);
	values[1] = BoolGetDatum(prov);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/*
 * Statement-level AFTER trigger on calendar_day and calendar_year: tell every backend
 * (this one included) that the cached calendar is stale.
 */
Datum
supervise_calendar_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("calendar_invalidate() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	/* and right now in this backend, before the next command counter increment */
	cal_valid = false;
	cal_invalidated = current_marker();
	if (same_marker(cal_invalidated, cal_loaded))
		cal_tainted = true;
	return PointerGetDatum(NULL);
}

/* For tests and monitoring: loads so far in this backend, years and runs cached. */
Datum
supervise_calendar_cache_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int64GetDatum(cal_loads);
	values[1] = Int32GetDatum(cal_valid ? cal.nyears : 0);
	values[2] = BoolGetDatum(cal_valid);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
