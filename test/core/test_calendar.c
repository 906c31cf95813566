/*
 * Unit tests of src/core/calendar.c (TAP). Built with ASan/UBSan by `make core-tests`.
 *
 * The 2025–2026 exception days below are copied from data/cn_calendar.csv; the brute-force
 * checks compare the O(1) answers with a naive day-by-day walk written here, independently.
 */
#include <stdlib.h>
#include <limits.h>
#include "calendar.h"
#include "tap.h"

typedef struct { int y, m, d; cal_kind k; } ymdk;

static const ymdk cn_2025_2026[] = {
	{2025, 1, 1, CAL_OFF},
	{2025, 1, 26, CAL_WORK},
	{2025, 1, 28, CAL_OFF},
	{2025, 1, 29, CAL_OFF},
	{2025, 1, 30, CAL_OFF},
	{2025, 1, 31, CAL_OFF},
	{2025, 2, 1, CAL_OFF},
	{2025, 2, 2, CAL_OFF},
	{2025, 2, 3, CAL_OFF},
	{2025, 2, 4, CAL_OFF},
	{2025, 2, 8, CAL_WORK},
	{2025, 4, 4, CAL_OFF},
	{2025, 4, 5, CAL_OFF},
	{2025, 4, 6, CAL_OFF},
	{2025, 4, 27, CAL_WORK},
	{2025, 5, 1, CAL_OFF},
	{2025, 5, 2, CAL_OFF},
	{2025, 5, 3, CAL_OFF},
	{2025, 5, 4, CAL_OFF},
	{2025, 5, 5, CAL_OFF},
	{2025, 5, 31, CAL_OFF},
	{2025, 6, 1, CAL_OFF},
	{2025, 6, 2, CAL_OFF},
	{2025, 9, 28, CAL_WORK},
	{2025, 10, 1, CAL_OFF},
	{2025, 10, 2, CAL_OFF},
	{2025, 10, 3, CAL_OFF},
	{2025, 10, 4, CAL_OFF},
	{2025, 10, 5, CAL_OFF},
	{2025, 10, 6, CAL_OFF},
	{2025, 10, 7, CAL_OFF},
	{2025, 10, 8, CAL_OFF},
	{2025, 10, 11, CAL_WORK},
	{2026, 1, 1, CAL_OFF},
	{2026, 1, 2, CAL_OFF},
	{2026, 1, 3, CAL_OFF},
	{2026, 1, 4, CAL_WORK},
	{2026, 2, 14, CAL_WORK},
	{2026, 2, 15, CAL_OFF},
	{2026, 2, 16, CAL_OFF},
	{2026, 2, 17, CAL_OFF},
	{2026, 2, 18, CAL_OFF},
	{2026, 2, 19, CAL_OFF},
	{2026, 2, 20, CAL_OFF},
	{2026, 2, 21, CAL_OFF},
	{2026, 2, 22, CAL_OFF},
	{2026, 2, 23, CAL_OFF},
	{2026, 2, 28, CAL_WORK},
	{2026, 4, 4, CAL_OFF},
	{2026, 4, 5, CAL_OFF},
	{2026, 4, 6, CAL_OFF},
	{2026, 5, 1, CAL_OFF},
	{2026, 5, 2, CAL_OFF},
	{2026, 5, 3, CAL_OFF},
	{2026, 5, 4, CAL_OFF},
	{2026, 5, 5, CAL_OFF},
	{2026, 5, 9, CAL_WORK},
	{2026, 6, 19, CAL_OFF},
	{2026, 6, 20, CAL_OFF},
	{2026, 6, 21, CAL_OFF},
	{2026, 9, 20, CAL_WORK},
	{2026, 9, 25, CAL_OFF},
	{2026, 9, 26, CAL_OFF},
	{2026, 9, 27, CAL_OFF},
	{2026, 10, 1, CAL_OFF},
	{2026, 10, 2, CAL_OFF},
	{2026, 10, 3, CAL_OFF},
	{2026, 10, 4, CAL_OFF},
	{2026, 10, 5, CAL_OFF},
	{2026, 10, 6, CAL_OFF},
	{2026, 10, 7, CAL_OFF},
	{2026, 10, 10, CAL_WORK},
};
#define N_CN ((int) (sizeof(cn_2025_2026) / sizeof(cn_2025_2026[0])))

/* an arena: every block is kept and freed at the end (the core never frees) */
static void *blocks[4096];
static int	nblocks;

static void *
arena(void *ctx, size_t size)
{
	void	   *p;

	(void) ctx;
	if (nblocks >= (int) (sizeof(blocks) / sizeof(blocks[0])))
		return NULL;
	p = calloc(1, size ? size : 1);
	blocks[nblocks++] = p;
	return p;
}

static void
arena_free(void)
{
	while (nblocks > 0)
		free(blocks[--nblocks]);
}

static int32_t
D(int y, int m, int d)
{
	return (int32_t) cal_days_from_civil(y, m, d);
}

static calendar
build_cn(const int32_t *years, int nyears)
{
	static cal_exception ex[N_CN];
	int			i, n = 0;
	calendar	cal;
	int32_t		bad = 0;
	cal_status	s;

	for (i = 0; i < N_CN; i++)
	{
		int			j;

		for (j = 0; j < nyears; j++)
			if (years[j] == cn_2025_2026[i].y)
			{
				ex[n].day = D(cn_2025_2026[i].y, cn_2025_2026[i].m, cn_2025_2026[i].d);
				ex[n].kind = cn_2025_2026[i].k;
				n++;
			}
	}
	s = cal_build(&cal, years, nyears, ex, n, arena, NULL, &bad);
	if (s != CAL_OK)
		printf("# build failed: %s (%d)\n", cal_status_name(s), bad);
	return cal;
}

/* ---- an independent naive model: one day at a time ---- */
typedef struct { const calendar *cal; int nyears; const int32_t *years; } naive;

static int
naive_loaded(const naive *nv, int64_t day)
{
	int64_t		y = cal_year_of(day);
	int			i;

	for (i = 0; i < nv->nyears; i++)
		if (nv->years[i] == y)
			return 1;
	return 0;
}

/* -1 = year not loaded; else 1/0; assume = plain rule for unloaded years */
static int
naive_work(const naive *nv, int64_t day, int assume)
{
	int			i;

	if (!naive_loaded(nv, day))
		return assume ? cal_plain_workday(day) : -1;
	for (i = 0; i < N_CN; i++)
		if (D(cn_2025_2026[i].y, cn_2025_2026[i].m, cn_2025_2026[i].d) == day)
			return cn_2025_2026[i].k == CAL_WORK;
	return cal_plain_workday(day);
}

/* returns 0 ok, 1 not loaded */
static int
naive_add(const naive *nv, int64_t day, int n, int assume, int64_t *out, int *prov)
{
	int			step = n > 0 ? 1 : -1,
				left = abs(n);

	*prov = 0;
	while (left > 0)
	{
		int			w;

		day += step;
		w = naive_work(nv, day, assume);
		if (!naive_loaded(nv, day))
			*prov = 1;
		if (w < 0)
			return 1;
		left -= w;
	}
	*out = day;
	return 0;
}

int
main(void)
{
	int32_t		y2526[] = {2026, 2025};
	calendar	cal = build_cn(y2526, 2);
	int32_t		r = 0, miss = 0, bad = 0;
	bool		b = false, prov = true;
	cal_status	s;

	/* ---- civil conversions ---- */
	is_int(cal_days_from_civil(2000, 1, 1), 0, "2000-01-01 is day 0");
	is_int(cal_days_from_civil(1970, 1, 1), -10957, "1970-01-01 is day -10957");
	is_int(cal_days_from_civil(-4713, 11, 24), CAL_DAY_MIN, "4714-11-24 BC is PostgreSQL's first day");
	is_int(cal_days_from_civil(5874897, 12, 31), CAL_DAY_MAX, "5874897-12-31 is PostgreSQL's last day");
	is_int(cal_year_of(D(2024, 12, 31)), 2024, "year of 2024-12-31");
	is_int(cal_year_of(D(2025, 1, 1)), 2025, "year of 2025-01-01");
	is_int(cal_year_of(CAL_DAY_MAX), 5874897, "year of the last day");
	is_int(cal_year_of(CAL_DAY_MIN), -4713, "year of the first day (astronomical)");
	is_int(cal_weekday(D(2025, 10, 6)), 0, "2025-10-06 is a Monday");
	is_int(cal_weekday(D(2025, 1, 26)), 6, "2025-01-26 is a Sunday");
	is_int(cal_weekday(CAL_DAY_MIN), 0, "4714-11-24 BC is a Monday");
	{
		int64_t		x, yy;
		int			mm, dd, okc = 1;

		for (x = -800000; x < 800000; x += 7)
		{
			cal_civil_from_days(x, &yy, &mm, &dd);
			if (cal_days_from_civil(yy, mm, dd) != x)
				okc = 0;
		}
		ok(okc, "civil round trip over ±2190 years");
	}

	/* ---- build ---- */
	is_int(cal.nruns, 1, "2025 and 2026 make one run");
	is_int(cal.nyears, 2, "two years");
	is_int(cal.runs[0].ndays, 365 + 365, "730 days");
	{
		int32_t		ys[] = {2025, 0};
		calendar	c2;

		is_int(cal_build(&c2, ys, 2, NULL, 0, arena, NULL, &bad), CAL_BAD_YEAR, "year 0 refused");
		is_int(bad, 0, "bad year reported");
	}
	{
		int32_t		ys[] = {10000};
		calendar	c2;

		is_int(cal_build(&c2, ys, 1, NULL, 0, arena, NULL, &bad), CAL_BAD_YEAR, "year 10000 refused");
		is_int(bad, 10000, "bad year 10000 reported");
	}
	{
		int32_t		ys[] = {2025};
		cal_exception ex[] = {{0, CAL_OFF}};
		calendar	c2;

		ex[0].day = D(2026, 1, 1);
		is_int(cal_build(&c2, ys, 1, ex, 1, arena, NULL, &bad), CAL_DAY_NOT_IN_YEARS, "exception outside the years refused");
		is_int(bad, D(2026, 1, 1), "the stray day is reported");
	}
	{
		int32_t		ys[] = {2025};
		cal_exception ex[2];
		calendar	c2;

		ex[0].day = ex[1].day = D(2025, 5, 1);
		ex[0].kind = CAL_OFF;
		ex[1].kind = CAL_WORK;
		is_int(cal_build(&c2, ys, 1, ex, 2, arena, NULL, &bad), CAL_DUPLICATE_DAY, "a day given twice refused");
		ex[1].day = D(2025, 5, 2);
		ex[1].kind = (cal_kind) 7;
		is_int(cal_build(&c2, ys, 1, ex, 2, arena, NULL, &bad), CAL_BAD_KIND, "a bad kind refused");
	}
	{
		int32_t		ys[] = {2025, 2025, 2024, 2025};
		calendar	c2;

		is_int(cal_build(&c2, ys, 4, NULL, 0, arena, NULL, &bad), CAL_OK, "duplicate years accepted");
		is_int(c2.nyears, 2, "duplicates removed");
		is_int(c2.nruns, 1, "2024-2025 one run");
		is_int(c2.runs[0].first_year, 2024, "run starts 2024");
	}

	/* ---- known answers (doc/calendar.md) ---- */
	s = cal_add_workdays(&cal, D(2025, 9, 30), 1, CAL_STRICT, &r, &prov, &miss);
	ok(s == CAL_OK && r == D(2025, 10, 9), "2025-09-30 + 1 = 2025-10-09");
	ok(!prov, "not provisional");
	s = cal_add_workdays(&cal, D(2025, 1, 24), 1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2025, 1, 26), "2025-01-24 + 1 = 2025-01-26 (a Sunday made working)");
	s = cal_add_workdays(&cal, D(2026, 2, 13), 5, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2026, 2, 27), "2026-02-13 + 5 = 2026-02-27");
	s = cal_add_workdays(&cal, D(2025, 10, 9), -1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2025, 9, 30), "2025-10-09 - 1 = 2025-09-30");
	s = cal_add_workdays(&cal, D(2025, 10, 5), -1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2025, 9, 30), "from a holiday, -1 is the last working day before it");
	s = cal_add_workdays(&cal, D(2025, 10, 4), 0, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2025, 10, 4), "n = 0 returns the day, even a holiday");
	s = cal_add_workdays(&cal, D(2099, 1, 1), 0, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2099, 1, 1), "n = 0 needs no calendar");
	cal_is_workday(&cal, D(2025, 1, 26), &b, &miss);
	ok(b, "2025-01-26 (Sunday) is a working day");
	cal_is_workday(&cal, D(2025, 10, 1), &b, &miss);
	ok(!b, "2025-10-01 is a holiday");
	cal_is_workday(&cal, D(2025, 10, 13), &b, &miss);
	ok(b, "2025-10-13 (Monday) is a working day");
	cal_is_workday(&cal, D(2025, 10, 12), &b, &miss);
	ok(!b, "2025-10-12 (Sunday) is off");
	s = cal_workdays_between(&cal, D(2025, 9, 30), D(2025, 10, 9), &r, &miss);
	ok(s == CAL_OK && r == 1, "workdays_between(2025-09-30, 2025-10-09) = 1");
	s = cal_workdays_between(&cal, D(2025, 10, 9), D(2025, 9, 30), &r, &miss);
	ok(s == CAL_OK && r == -1, "reversed: -1");
	s = cal_workdays_between(&cal, D(2025, 1, 1), D(2025, 12, 31), &r, &miss);
	ok(s == CAL_OK && r == 248, "2025 has 248 working days, all after 1 January (a holiday)");
	s = cal_workdays_between(&cal, D(2024, 12, 31), D(2026, 12, 31), &r, &miss);
	ok(s == CAL_OK && r == cal.runs[0].nwork, "the day before the run counts from the run's start");
	s = cal_workdays_between(&cal, D(2030, 5, 5), D(2030, 5, 5), &r, &miss);
	ok(s == CAL_OK && r == 0, "empty interval needs no calendar");

	/* ---- years not loaded (strict) ---- */
	s = cal_is_workday(&cal, D(2027, 1, 4), &b, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2027, "is_workday in 2027: year 2027 not loaded");
	s = cal_add_workdays(&cal, D(2026, 12, 24), 10, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2027, "2026-12-24 + 10 needs 2027");
	s = cal_add_workdays(&cal, D(2026, 12, 24), 4, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2026, 12, 30), "2026-12-24 + 4 stays in 2026");
	s = cal_add_workdays(&cal, D(2026, 12, 31), 0, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK, "last loaded day + 0");
	s = cal_add_workdays(&cal, D(2024, 12, 31), 1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2025, 1, 2), "the day before the first loaded year + 1 (1 January off)");
	s = cal_add_workdays(&cal, D(2025, 1, 1), -1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2024, "2025-01-01 - 1 needs 2024");
	s = cal_add_workdays(&cal, D(2027, 1, 1), -1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OK && r == D(2026, 12, 31), "the day after the last loaded year - 1");
	s = cal_add_workdays(&cal, D(2027, 1, 2), -1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2027, "2027-01-02 - 1 needs 2027");
	s = cal_workdays_between(&cal, D(2026, 6, 1), D(2027, 1, 1), &r, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2027, "workdays_between reaching 2027");
	s = cal_workdays_between(&cal, D(2027, 1, 1), D(2026, 6, 1), &r, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2027, "workdays_between reversed reaching 2027");
	s = cal_workdays_between(&cal, D(2023, 6, 1), D(2025, 6, 1), &r, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2023, "workdays_between from 2023");

	/* ---- huge n and the ends of the date range ---- */
	s = cal_add_workdays(&cal, D(2025, 1, 1), INT32_MAX, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2027, "+INT32_MAX strict: 2027 not loaded");
	s = cal_add_workdays(&cal, D(2025, 1, 1), INT32_MIN, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_YEAR_NOT_LOADED && miss == 2024, "INT32_MIN strict: 2024 not loaded");
	s = cal_add_workdays(&cal, D(2025, 1, 1), INT32_MAX, CAL_ASSUME_WEEKDAYS, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "+INT32_MAX weekdays: past the last date");
	s = cal_add_workdays(&cal, D(2025, 1, 1), INT32_MIN, CAL_ASSUME_WEEKDAYS, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "INT32_MIN weekdays: before the first date");
	s = cal_add_workdays(&cal, CAL_DAY_MAX, 1, CAL_ASSUME_WEEKDAYS, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "last day + 1");
	s = cal_add_workdays(&cal, CAL_DAY_MAX, 1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "last day + 1 strict");
	s = cal_add_workdays(&cal, CAL_DAY_MIN, -1, CAL_ASSUME_WEEKDAYS, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "first day - 1");
	s = cal_add_workdays(&cal, CAL_DAY_MAX, -1, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
	ok(s == CAL_OK && r == CAL_DAY_MAX - 1 && prov, "last day (Friday?) - 1 by weekdays");
	s = cal_add_workdays(&cal, CAL_DAY_MIN, 1, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
	ok(s == CAL_OK && r == CAL_DAY_MIN + 1, "first day (a Monday) + 1 = Tuesday");
	s = cal_add_workdays(&cal, INT32_MAX, 1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "INT32_MAX (infinity) + 1: out of range");
	s = cal_add_workdays(&cal, INT32_MIN, -1, CAL_STRICT, &r, NULL, &miss);
	ok(s == CAL_OUT_OF_RANGE, "INT32_MIN (-infinity) - 1: out of range");
	s = cal_is_workday(&cal, INT32_MAX, &b, &miss);
	ok(s == CAL_YEAR_NOT_LOADED, "is_workday(INT32_MAX): not loaded, no crash");
	s = cal_workdays_between(&cal, INT32_MIN, INT32_MAX, &r, &miss);
	ok(s == CAL_YEAR_NOT_LOADED, "workdays_between over the whole int range: not loaded, no crash");

	/* ---- provisional (weekday) mode ---- */
	s = cal_add_workdays(&cal, D(2026, 12, 24), 10, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
	ok(s == CAL_OK && r == D(2027, 1, 7) && prov, "2026-12-24 + 10 provisional = 2027-01-07");
	s = cal_add_workdays(&cal, D(2026, 12, 1), 10, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
	ok(s == CAL_OK && r == D(2026, 12, 15) && !prov, "inside the loaded years: not provisional");
	s = cal_add_workdays(&cal, D(2024, 12, 25), 10, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
	ok(s == CAL_OK && r == D(2025, 1, 9) && prov, "from 2024 into 2025: 2024 by weekdays");

	/* ---- empty calendar ---- */
	{
		calendar	c0;

		is_int(cal_build(&c0, NULL, 0, NULL, 0, arena, NULL, &bad), CAL_OK, "empty calendar builds");
		s = cal_add_workdays(&c0, D(2025, 1, 1), 1, CAL_STRICT, &r, NULL, &miss);
		ok(s == CAL_YEAR_NOT_LOADED && miss == 2025, "empty calendar: 2025 not loaded");
		s = cal_add_workdays(&c0, D(2025, 1, 3), 1, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
		ok(s == CAL_OK && r == D(2025, 1, 6) && prov, "empty calendar, weekdays: Friday + 1 = Monday");
	}

	/* ---- brute force against the naive walk, with gaps between runs ---- */
	{
		int32_t		ys[] = {2019, 2020, 2022, 2025, 2026, 2028};
		/* only 2025-2026 have exceptions in this table; the others are plain years */
		calendar	c = build_cn(ys, 6);
		naive		nv = {&c, 6, ys};
		int			mism = 0, checks = 0, assume;
		int			quick_mism = 0, quick_checks = 0, quick_answered = 0;
		int64_t		day;

		is_int(c.nruns, 4, "2019-20, 2022, 2025-26, 2028: four runs");
		for (assume = 0; assume <= 1; assume++)
			for (day = D(2018, 12, 1); day <= D(2029, 1, 31); day += (assume ? 3 : 1))
			{
				int			n;

				for (n = -40; n <= 40; n += (n > -5 && n < 5 ? 1 : 7))
				{
					int64_t		want = 0;
					int			wprov, wmiss, got;
					bool		gprov = false;

					wmiss = naive_add(&nv, day, n, assume, &want, &wprov);
					got = cal_add_workdays(&c, (int32_t) day, n, assume ? CAL_ASSUME_WEEKDAYS : CAL_STRICT, &r, &gprov, &miss);
					checks++;
					if (!assume)
					{
						/* the quick path: the walk's answer, given whenever every day walked is loaded */
						int32_t		qr = 0;
						bool		answered = cal_add_workdays_quick(&c, (int32_t) day, n, &qr);
						bool		in_loaded = n != 0 && !wmiss;
						int64_t		x;

						for (x = day + (n > 0 ? 1 : -1); in_loaded && x != want + (n > 0 ? 1 : -1); x += (n > 0 ? 1 : -1))
							in_loaded = naive_loaded(&nv, x);
						quick_checks++;
						if (answered != in_loaded || (answered && qr != want))
						{
							if (quick_mism++ < 5)
								printf("# quick mismatch day %lld n %d: want %lld (in loaded years %d) answered %d with %d\n",
									   (long long) day, n, (long long) want, in_loaded, answered, qr);
						}
						quick_answered += answered;
					}
					if (wmiss ? got != CAL_YEAR_NOT_LOADED : (got != CAL_OK || r != want || (assume && gprov != (bool) wprov)))
					{
						if (mism++ < 5)
							printf("# add mismatch day %lld n %d assume %d: want %lld (miss %d) got %d status %d\n",
								   (long long) day, n, assume, (long long) want, wmiss, r, got);
					}
				}
				if (!assume)
				{
					int			w = naive_work(&nv, day, 0);
					int			got;

					got = cal_is_workday(&c, (int32_t) day, &b, &miss);
					if (w < 0 ? got != CAL_YEAR_NOT_LOADED : (got != CAL_OK || b != (bool) w))
						mism++;
				}
			}
		ok(mism == 0, "add_workdays and is_workday agree with the naive walk (%d checks)", checks);
		{
			/* it declines what it cannot answer in one run: the ends of int32 and of the date range */
			int32_t		qr = 0;
			int			declined = !cal_add_workdays_quick(&c, D(2025, 6, 2), INT32_MAX, &qr)
				&& !cal_add_workdays_quick(&c, D(2025, 6, 2), INT32_MIN, &qr)
				&& !cal_add_workdays_quick(&c, D(2025, 6, 2), 0, &qr)
				&& !cal_add_workdays_quick(&c, CAL_DAY_MAX, 1, &qr)
				&& !cal_add_workdays_quick(&c, CAL_DAY_MIN, -1, &qr)
				&& !cal_add_workdays_quick(&c, INT32_MAX, 1, &qr)
				&& !cal_add_workdays_quick(&c, INT32_MIN, -1, &qr)
				&& !cal_add_workdays_quick(&c, D(2026, 12, 31), 1, &qr)	/* into 2027, not loaded */
				&& !cal_add_workdays_quick(&c, D(2019, 1, 1), -1, &qr);	/* into 2018 */
			calendar	c0;

			(void) cal_build(&c0, NULL, 0, NULL, 0, arena, NULL, &bad);
			ok(declined && !cal_add_workdays_quick(&c0, D(2025, 6, 2), 1, &qr),
			   "the quick path declines n = 0, n at the ends of int32, days at the ends of the date range and of the loaded years, an empty calendar");
		}
		ok(quick_mism == 0 && quick_answered > quick_checks / 2,
		   "the quick path answers exactly when the walk stays in loaded years, as the walk does (%d of %d)",
		   quick_answered, quick_checks);

		mism = 0;
		for (day = D(2018, 12, 20); day <= D(2029, 1, 10); day += 5)
		{
			int64_t		e;

			for (e = day - 60; e <= day + 60; e += 11)
			{
				/* naive: walk (lo, hi] */
				int64_t		lo = day < e ? day : e, hi = day < e ? e : day, x;
				int			cnt = 0, nl = 0, got;

				for (x = lo + 1; x <= hi; x++)
				{
					int			w = naive_work(&nv, x, 0);

					if (w < 0)
					{
						nl = 1;
						break;
					}
					cnt += w;
				}
				if (e < day)
					cnt = -cnt;
				got = cal_workdays_between(&c, (int32_t) day, (int32_t) e, &r, &miss);
				if (nl ? got != CAL_YEAR_NOT_LOADED : (got != CAL_OK || r != cnt))
					if (mism++ < 5)
						printf("# between mismatch %lld %lld: want %d (nl %d) got %d status %d\n",
							   (long long) day, (long long) e, cnt, nl, r, got);
			}
		}
		ok(mism == 0, "workdays_between agrees with the naive walk");

		s = cal_add_workdays(&c, D(2020, 12, 30), 5, CAL_STRICT, &r, NULL, &miss);
		ok(s == CAL_YEAR_NOT_LOADED && miss == 2021, "a gap year is named");
		s = cal_add_workdays(&c, D(2022, 1, 3), -5, CAL_STRICT, &r, NULL, &miss);
		ok(s == CAL_YEAR_NOT_LOADED && miss == 2021, "a gap year is named going backwards");
		s = cal_add_workdays(&c, D(2020, 12, 30), 300, CAL_ASSUME_WEEKDAYS, &r, &prov, &miss);
		ok(s == CAL_OK && prov, "crossing a gap by weekdays is provisional");
	}

	arena_free();
	return done_testing();
}
