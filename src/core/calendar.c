/*
 * calendar.c — working days under the yearly holiday notice. See calendar.h.
 *
 * All day arithmetic is done in int64_t, so day ± 1 at the ends of the date range and
 * cumulative counts ± a huge n cannot overflow.
 */
#include "calendar.h"

#include <string.h>

#include "i18n.h"

/* floor division and modulo for a positive divisor */
static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && (a < 0))
		q--;
	return q;
}

static int64_t
floormod(int64_t a, int64_t b)
{
	return a - floordiv(a, b) * b;
}

/*
 * Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian), shifted so that
 * day 0 is 2000-01-01 (10957 days after 1970-01-01).
 */
#define UNIX_TO_PG 10957

int64_t
cal_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 - UNIX_TO_PG;
}

void
cal_civil_from_days(int64_t day, int64_t *y, int *m, int *d)
{
	int64_t		z = day + UNIX_TO_PG + 719468;
	int64_t		era = floordiv(z, 146097);
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int			dd = (int) (doy - (153 * mp + 2) / 5 + 1);
	int			mm = (int) (mp < 10 ? mp + 3 : mp - 9);

	*y = yoe + era * 400 + (mm <= 2);
	*m = mm;
	*d = dd;
}

int64_t
cal_year_of(int64_t day)
{
	int64_t		y;
	int			m,
				d;

	cal_civil_from_days(day, &y, &m, &d);
	return y;
}

/* 2000-01-03 (day 2) was a Monday. */
int
cal_weekday(int64_t day)
{
	return (int) floormod(day - 2, 7);
}

bool
cal_plain_workday(int64_t day)
{
	return cal_weekday(day) < 5;
}

const char *
cal_status_name(cal_status s)
{
	switch (s)
	{
		case CAL_OK:
			return "ok";
		case CAL_YEAR_NOT_LOADED:
			return N_("year not loaded");
		case CAL_OUT_OF_RANGE:
			return N_("date out of range");
		case CAL_BAD_YEAR:
			return N_("year out of range");
		case CAL_DAY_NOT_IN_YEARS:
			return N_("exception day in a year not loaded");
		case CAL_DUPLICATE_DAY:
			return N_("exception day given twice");
		case CAL_BAD_KIND:
			return N_("invalid day kind");
		case CAL_NO_MEMORY:
			return N_("out of memory");
	}
	return N_("unknown status");
}

/* Weekdays (Monday–Friday) in [origin Monday, x): a running count for plain-rule gaps. */
static int64_t
weekdays_before(int64_t x)
{
	int64_t		t = x - 2;

	return 5 * floordiv(t, 7) + (floormod(t, 7) < 5 ? floormod(t, 7) : 5);
}

/* The m-th weekday (m >= 1) at or after pos. */
static int64_t
nth_weekday_from(int64_t pos, int64_t m)
{
	int64_t		w = cal_weekday(pos);

	if (w >= 5)
	{
		pos += 7 - w;
		w = 0;
	}
	return pos - w + ((m - 1 + w) / 5) * 7 + (m - 1 + w) % 5;
}

/* The m-th weekday (m >= 1) at or before pos. */
static int64_t
nth_weekday_back_from(int64_t pos, int64_t m)
{
	int64_t		w = cal_weekday(pos);
	int64_t		v;

	if (w >= 5)
	{
		pos -= w - 4;
		w = 4;
	}
	v = 4 - w;
	return pos + v - ((m - 1 + v) / 5) * 7 - (m - 1 + v) % 5;
}

/*
 * Index of the run containing day, or -1; *next gets the index of the first run starting
 * after day (nruns if none).
 */
static int
find_run(const calendar *cal, int64_t day, int *next)
{
	int			lo = 0,
				hi = cal->nruns;	/* first run with start > day is in [lo, hi] */

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if ((int64_t) cal->runs[mid].start <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	*next = lo;
	if (lo > 0)
	{
		const cal_run *r = &cal->runs[lo - 1];

		if (day < (int64_t) r->start + r->ndays)
			return lo - 1;
	}
	return -1;
}

static int
cmp_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/* insertion sort is enough for a few dozen years, but qsort keeps it honest for many */
#include <stdlib.h>

cal_status
cal_build(calendar *cal, const int32_t *years, int nyears,
		  const cal_exception *exceptions, int nexceptions,
		  cal_alloc_fn alloc, void *alloc_ctx, int32_t *bad)
{
	int32_t    *ys;
	int			n = 0,
				i,
				r;
	unsigned char **state;		/* per run: 0 default, 1 off, 2 work */

	memset(cal, 0, sizeof(*cal));
	if (nyears < 0 || nexceptions < 0)
		return CAL_BAD_YEAR;
	for (i = 0; i < nyears; i++)
		if (years[i] < CAL_MIN_YEAR || years[i] > CAL_MAX_YEAR)
		{
			*bad = years[i];
			return CAL_BAD_YEAR;
		}
	if (nyears == 0)
	{
		for (i = 0; i < nexceptions; i++)
		{
			*bad = exceptions[i].day;
			return CAL_DAY_NOT_IN_YEARS;
		}
		return CAL_OK;
	}

	ys = alloc(alloc_ctx, sizeof(int32_t) * (size_t) nyears);
	if (!ys)
		return CAL_NO_MEMORY;
	memcpy(ys, years, sizeof(int32_t) * (size_t) nyears);
	qsort(ys, (size_t) nyears, sizeof(int32_t), cmp_int32);
	for (i = 0; i < nyears; i++)	/* dedupe */
		if (n == 0 || ys[n - 1] != ys[i])
			ys[n++] = ys[i];
	cal->nyears = n;

	/* group consecutive years into runs */
	cal->nruns = 1;
	for (i = 1; i < n; i++)
		if (ys[i] != ys[i - 1] + 1)
			cal->nruns++;
	cal->runs = alloc(alloc_ctx, sizeof(cal_run) * (size_t) cal->nruns);
	state = alloc(alloc_ctx, sizeof(unsigned char *) * (size_t) cal->nruns);
	if (!cal->runs || !state)
		return CAL_NO_MEMORY;
	r = 0;
	for (i = 0; i < n; i++)
	{
		if (i == 0 || ys[i] != ys[i - 1] + 1)
		{
			if (i > 0)
				r++;
			cal->runs[r].first_year = ys[i];
		}
		cal->runs[r].last_year = ys[i];
	}
	for (r = 0; r < cal->nruns; r++)
	{
		cal_run    *run = &cal->runs[r];
		int64_t		start = cal_days_from_civil(run->first_year, 1, 1);
		int64_t		end = cal_days_from_civil((int64_t) run->last_year + 1, 1, 1);

		run->start = (int32_t) start;
		run->ndays = (int32_t) (end - start);
		run->cum = alloc(alloc_ctx, sizeof(int32_t) * ((size_t) run->ndays + 1));
		state[r] = alloc(alloc_ctx, (size_t) run->ndays);
		if (!run->cum || !state[r])
			return CAL_NO_MEMORY;
		memset(state[r], 0, (size_t) run->ndays);
	}

	/* exceptions */
	for (i = 0; i < nexceptions; i++)
	{
		int			next;
		int			ri = find_run(cal, exceptions[i].day, &next);
		int64_t		off;

		*bad = exceptions[i].day;
		if (ri < 0)
			return CAL_DAY_NOT_IN_YEARS;
		if (exceptions[i].kind != CAL_OFF && exceptions[i].kind != CAL_WORK)
			return CAL_BAD_KIND;
		off = (int64_t) exceptions[i].day - cal->runs[ri].start;
		if (state[ri][off] != 0)
			return CAL_DUPLICATE_DAY;
		state[ri][off] = exceptions[i].kind == CAL_WORK ? 2 : 1;
	}
	*bad = 0;

	/* cumulative counts and the list of working days */
	for (r = 0; r < cal->nruns; r++)
	{
		cal_run    *run = &cal->runs[r];
		int32_t		d,
					c = 0;

		for (d = 0; d < run->ndays; d++)
		{
			bool		work;

			run->cum[d] = c;
			if (state[r][d] == 0)
				work = cal_plain_workday((int64_t) run->start + d);
			else
				work = state[r][d] == 2;
			c += work;
		}
		run->cum[run->ndays] = c;
		run->nwork = c;
		run->work = alloc(alloc_ctx, sizeof(int32_t) * ((size_t) c + 1));
		if (!run->work)
			return CAL_NO_MEMORY;
		for (d = 0; d < run->ndays; d++)
			if (run->cum[d + 1] != run->cum[d])
				run->work[run->cum[d]] = d;
	}
	return CAL_OK;
}

cal_status
cal_is_workday(const calendar *cal, int32_t day, bool *result, int32_t *missing_year)
{
	int			next;
	int			ri = find_run(cal, day, &next);
	const cal_run *run;
	int64_t		off;

	if (ri < 0)
	{
		*missing_year = (int32_t) cal_year_of(day);
		return CAL_YEAR_NOT_LOADED;
	}
	run = &cal->runs[ri];
	off = (int64_t) day - run->start;
	*result = run->cum[off + 1] != run->cum[off];
	return CAL_OK;
}

cal_status
cal_add_workdays(const calendar *cal, int32_t day, int32_t n, int flags,
				 int32_t *result, bool *provisional, int32_t *missing_year)
{
	int64_t		remaining,
				pos;
	bool		prov = false;

	if (provisional)
		*provisional = false;
	if (n == 0)
	{
		*result = day;
		return CAL_OK;
	}
	if (n > 0)
	{
		remaining = n;
		pos = (int64_t) day + 1;
		for (;;)
		{
			int			next;
			int			ri;

			if (pos > CAL_DAY_MAX || pos < CAL_DAY_MIN)
				return CAL_OUT_OF_RANGE;
			ri = find_run(cal, pos, &next);
			if (ri >= 0)
			{
				const cal_run *run = &cal->runs[ri];
				int64_t		before = run->cum[pos - run->start];
				int64_t		avail = run->nwork - before;

				if (remaining <= avail)
				{
					*result = run->start + run->work[before + remaining - 1];
					break;
				}
				remaining -= avail;
				pos = (int64_t) run->start + run->ndays;
			}
			else
			{
				int64_t		gend = next < cal->nruns ? cal->runs[next].start : (int64_t) CAL_DAY_MAX + 1;
				int64_t		cnt;

				if (!(flags & CAL_ASSUME_WEEKDAYS))
				{
					*missing_year = (int32_t) cal_year_of(pos);
					return CAL_YEAR_NOT_LOADED;
				}
				prov = true;
				cnt = weekdays_before(gend) - weekdays_before(pos);
				if (remaining <= cnt)
				{
					*result = (int32_t) nth_weekday_from(pos, remaining);
					break;
				}
				remaining -= cnt;
				pos = gend;
			}
		}
	}
	else
	{
		remaining = -(int64_t) n;
		pos = (int64_t) day - 1;
		for (;;)
		{
			int			next;
			int			ri;

			if (pos > CAL_DAY_MAX || pos < CAL_DAY_MIN)
				return CAL_OUT_OF_RANGE;
			ri = find_run(cal, pos, &next);
			if (ri >= 0)
			{
				const cal_run *run = &cal->runs[ri];
				int64_t		upto = run->cum[pos - run->start + 1];	/* working days in [start, pos] */

				if (remaining <= upto)
				{
					*result = run->start + run->work[upto - remaining];
					break;
				}
				remaining -= upto;
				pos = (int64_t) run->start - 1;
			}
			else
			{
				/* the gap is [gstart, pos]; the run before it (if any) is next - 1 */
				int64_t		gstart = next > 0 ? (int64_t) cal->runs[next - 1].start + cal->runs[next - 1].ndays
					: (int64_t) CAL_DAY_MIN;
				int64_t		cnt;

				if (!(flags & CAL_ASSUME_WEEKDAYS))
				{
					*missing_year = (int32_t) cal_year_of(pos);
					return CAL_YEAR_NOT_LOADED;
				}
				prov = true;
				cnt = weekdays_before(pos + 1) - weekdays_before(gstart);
				if (remaining <= cnt)
				{
					*result = (int32_t) nth_weekday_back_from(pos, remaining);
					break;
				}
				remaining -= cnt;
				pos = gstart - 1;
			}
		}
	}
	if (provisional)
		*provisional = prov;
	return CAL_OK;
}

cal_status
cal_workdays_between(const calendar *cal, int32_t a, int32_t b, int32_t *result,
					 int32_t *missing_year)
{
	int64_t		lo,
				hi;
	int			next;
	int			ri;
	const cal_run *run;

	if (a == b)
	{
		*result = 0;
		return CAL_OK;
	}
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	/* the days examined are lo + 1 .. hi */
	ri = find_run(cal, lo + 1, &next);
	if (ri < 0)
	{
		*missing_year = (int32_t) cal_year_of(lo + 1);
		return CAL_YEAR_NOT_LOADED;
	}
	run = &cal->runs[ri];
	if (hi >= (int64_t) run->start + run->ndays)
	{
		*missing_year = run->last_year + 1;
		return CAL_YEAR_NOT_LOADED;
	}
	*result = run->cum[hi + 1 - run->start] - run->cum[lo + 1 - run->start];
	if (b < a)
		*result = -*result;
	return CAL_OK;
}
