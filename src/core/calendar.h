/*
 * calendar.h — working days (工作日) under the State Council's yearly holiday notice.
 *
 * Pure C, no PostgreSQL headers. A calendar is built from the list of loaded years and the
 * exception days of those years (holidays 'off', adjusted working days 调休 'work'); every other
 * day follows the plain rule: Monday–Friday work, Saturday and Sunday off.
 *
 * Days are numbered as PostgreSQL's DateADT: days since 2000-01-01 (negative before).
 *
 * Consecutive loaded years form a "run"; each run keeps a cumulative count of working days per
 * day and the list of its working days, so every question is a binary search over the runs
 * (usually one) and two array reads: O(log runs) per call, whatever n is.
 *
 * Strict mode (the SQL functions is_workday, add_workdays, workdays_between): a day that must be
 * examined and lies in a year that is not loaded is an error naming that year.
 * CAL_ASSUME_WEEKDAYS mode (provisional publication deadlines): days of years that are not loaded
 * follow the plain Monday–Friday rule and the answer is flagged provisional.
 */
#ifndef SUPERVISE_CALENDAR_H
#define SUPERVISE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Years a calendar may hold. */
#define CAL_MIN_YEAR 1
#define CAL_MAX_YEAR 9999

/* PostgreSQL's finite date range as day numbers: 4714-11-24 BC .. 5874897-12-31. */
#define CAL_DAY_MIN (-2451545)
#define CAL_DAY_MAX 2145031948

/* Flags for cal_add_workdays. */
#define CAL_STRICT          0
#define CAL_ASSUME_WEEKDAYS 1

typedef enum cal_kind
{
	CAL_OFF = 0,				/* a day off: holiday, or a weekend day */
	CAL_WORK = 1				/* a working day, including a weekend day made working (调休) */
} cal_kind;

typedef struct cal_exception
{
	int32_t		day;
	cal_kind	kind;
} cal_exception;

typedef enum cal_status
{
	CAL_OK = 0,
	CAL_YEAR_NOT_LOADED,		/* a needed day is in a year not loaded; *missing_year names it */
	CAL_OUT_OF_RANGE,			/* a needed day or the answer is outside the date range */
	CAL_BAD_YEAR,				/* build: a year outside CAL_MIN_YEAR..CAL_MAX_YEAR (*bad) */
	CAL_DAY_NOT_IN_YEARS,		/* build: an exception day in a year not loaded (*bad = day) */
	CAL_DUPLICATE_DAY,			/* build: an exception day given twice (*bad = day) */
	CAL_BAD_KIND,				/* build: kind neither CAL_OFF nor CAL_WORK (*bad = day) */
	CAL_NO_MEMORY				/* build: the allocator returned NULL */
} cal_status;

/* Allocator used by cal_build; memory is never freed by the core (free the whole arena). */
typedef void *(*cal_alloc_fn) (void *ctx, size_t size);

typedef struct cal_run
{
	int32_t		first_year;
	int32_t		last_year;
	int32_t		start;			/* day number of 1 January of first_year */
	int32_t		ndays;			/* days in the run */
	int32_t		nwork;			/* working days in the run */
	int32_t    *cum;			/* ndays + 1 entries: working days in [start, start + i) */
	int32_t    *work;			/* nwork entries: offsets from start of the working days */
} cal_run;

typedef struct calendar
{
	int			nruns;
	int			nyears;
	cal_run    *runs;			/* sorted, not adjacent (adjacent years share a run) */
} calendar;

/*
 * Build a calendar. years may be unsorted and contain duplicates; exceptions must be days of
 * loaded years, each day at most once. On an error *bad holds the offending year or day.
 */
extern cal_status cal_build(calendar *cal, const int32_t *years, int nyears,
							const cal_exception *exceptions, int nexceptions,
							cal_alloc_fn alloc, void *alloc_ctx, int32_t *bad);

/* Is day a working day? Needs day's year. */
extern cal_status cal_is_workday(const calendar *cal, int32_t day, bool *result,
								 int32_t *missing_year);

/*
 * The n-th working day after day (day itself not counted); n = 0 gives day without looking at
 * the calendar; n < 0 counts backwards. *provisional (may be NULL) is set when a day of a year
 * that is not loaded was counted by the Monday–Friday rule (CAL_ASSUME_WEEKDAYS only).
 */
extern cal_status cal_add_workdays(const calendar *cal, int32_t day, int32_t n, int flags,
								   int32_t *result, bool *provisional, int32_t *missing_year);

/*
 * cal_add_workdays for the common case, inline: the day and its answer in one run of loaded
 * years (true, *result set). False when it cannot tell (another run, a year not loaded, n = 0,
 * the ends of the date range): then call cal_add_workdays, which gives the same answer where
 * this one gives one. For callers that count working days row by row.
 */
static inline bool
cal_add_workdays_quick(const calendar *cal, int32_t day, int32_t n, int32_t *result)
{
	const cal_run *r;
	int64_t		pos,
				off;

	/* the first day counted, as cal_add_workdays starts */
	if (n == 0 || cal->nruns == 0)
		return false;
	pos = (int64_t) day + (n > 0 ? 1 : -1);
	r = &cal->runs[0];
	if (cal->nruns > 1)
	{
		int			lo = 0,
					hi = cal->nruns - 1;	/* the last run starting on or before pos */

		while (lo < hi)
		{
			int			mid = lo + (hi - lo + 1) / 2;

			if (cal->runs[mid].start <= pos)
				lo = mid;
			else
				hi = mid - 1;
		}
		r = &cal->runs[lo];
	}
	off = pos - r->start;
	if (off < 0 || off >= r->ndays)
		return false;
	if (n > 0)
	{
		/* cum[off]: working days before pos in the run */
		if ((int64_t) r->cum[off] + n > r->nwork)
			return false;
		*result = r->start + r->work[r->cum[off] + n - 1];
	}
	else
	{
		/* cum[off + 1]: working days up to pos in the run */
		if ((int64_t) r->cum[off + 1] + n < 0)
			return false;
		*result = r->start + r->work[r->cum[off + 1] + n];
	}
	return true;
}

/*
 * Working days in (a, b] when a <= b; when b < a, minus the working days in (b, a].
 * So workdays_between(a, b) = W(b) - W(a) for a running count W, and
 * workdays_between(a, b) + workdays_between(b, c) = workdays_between(a, c).
 */
extern cal_status cal_workdays_between(const calendar *cal, int32_t a, int32_t b,
									   int32_t *result, int32_t *missing_year);

/* Helpers (exported for tests and the glue). */
extern int64_t cal_days_from_civil(int64_t y, int m, int d);
extern void cal_civil_from_days(int64_t day, int64_t *y, int *m, int *d);
extern int64_t cal_year_of(int64_t day);
extern int	cal_weekday(int64_t day);	/* 0 = Monday .. 6 = Sunday */
extern bool cal_plain_workday(int64_t day);	/* the Monday–Friday rule */
/* the status in English words, marked for translation (i18n.h): the glue reports core_text() of it */
extern const char *cal_status_name(cal_status s);

#endif
