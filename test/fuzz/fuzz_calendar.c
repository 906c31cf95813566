/*
 * libFuzzer harness of src/core/calendar.c (working days). The input describes a calendar —
 * up to 8 years (sometimes out of range) and up to 64 exception days (sometimes duplicated, in
 * a year not loaded, or of a bad kind), and an allocation budget — then a list of questions.
 *
 * Build: succeeds exactly when the model (a plain per-day table kept here) has no error, and an
 * error names an offending year or day; an allocator that runs dry gives CAL_NO_MEMORY, no crash.
 * Questions, each checked against a naive day-by-day walk over the model when |n| is small and
 * against structural invariants for any n:
 *   is_workday(d) = the model's day, or "year not loaded" naming d's year;
 *   add_workdays(d, n), strict and CAL_ASSUME_WEEKDAYS: the walk's answer, error and missing year,
 *     and provisional flag; r = add(d, n) is a working day on the right side of d with
 *     workdays_between(d, r) = n (n > 0) or workdays_between(r, d - 1) = -n - 1 (n < 0);
 *     add(add(d, n), -n) is the last working day at or before d;
 *   workdays_between(a, b) = the naive count in (a, b] (negated when b < a) or names the first
 *     year in that range that is not loaded; W(b) - W(a) is additive over a, b, c and antisymmetric.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "calendar.h"

#define MAX_YEARS 8
#define MAX_EXC 64
#define WALK_LIMIT 40000

/* ---- the model: loaded years and a day table per loaded year ---- */

typedef struct model
{
	int			nyears;
	int32_t		year[MAX_YEARS];
	int64_t		start[MAX_YEARS];
	unsigned char kind[MAX_YEARS][366];	/* 0 plain rule, 1 off, 2 work */
} model;

static int
model_year_index(const model *m, int64_t y)
{
	for (int i = 0; i < m->nyears; i++)
		if (m->year[i] == y)
			return i;
	return -1;
}

static bool
model_loaded(const model *m, int64_t day)
{
	return model_year_index(m, cal_year_of(day)) >= 0;
}

/* the day's kind when loaded (plain rule otherwise, for CAL_ASSUME_WEEKDAYS) */
static bool
model_workday(const model *m, int64_t day)
{
	int			i = model_year_index(m, cal_year_of(day));

	if (i < 0 || m->kind[i][day - m->start[i]] == 0)
		return cal_plain_workday(day);
	return m->kind[i][day - m->start[i]] == 2;
}

/* ---- an allocator with a budget; everything is freed after each input ---- */

typedef struct arena
{
	int			budget;			/* allocations left; < 0 = unlimited */
	int			n;
	void	   *ptrs[64];
} arena;

static void *
arena_alloc(void *ctx, size_t size)
{
	arena	   *a = ctx;
	void	   *p;

	if (a->budget == 0 || a->n == 64)
		return NULL;
	if (a->budget > 0)
		a->budget--;
	p = malloc(size ? size : 1);
	if (p)
		a->ptrs[a->n++] = p;
	return p;
}

/* ---- naive walks ---- */

typedef struct walk
{
	cal_status	st;
	int32_t		result;
	int32_t		missing;
	bool		provisional;
	bool		done;			/* false: too long to walk */
} walk;

static walk
naive_add(const model *m, int32_t day, int32_t n, int flags)
{
	walk		w = {CAL_OK, day, 0, false, true};
	int64_t		pos = day;
	int64_t		left = n < 0 ? -(int64_t) n : n;
	int			step = n < 0 ? -1 : 1;
	long		steps = 0;

	while (left > 0)
	{
		pos += step;
		if (++steps > WALK_LIMIT)
		{
			w.done = false;
			return w;
		}
		if (pos > CAL_DAY_MAX || pos < CAL_DAY_MIN)
		{
			w.st = CAL_OUT_OF_RANGE;
			return w;
		}
		if (!model_loaded(m, pos))
		{
			if (!(flags & CAL_ASSUME_WEEKDAYS))
			{
				w.st = CAL_YEAR_NOT_LOADED;
				w.missing = (int32_t) cal_year_of(pos);
				return w;
			}
			w.provisional = true;
		}
		if (model_workday(m, pos))
			left--;
	}
	w.result = (int32_t) pos;
	return w;
}

/* working days in (a, b], negated when b < a; strict */
static walk
naive_between(const model *m, int32_t a, int32_t b)
{
	walk		w = {CAL_OK, 0, 0, false, true};
	int64_t		lo = a < b ? a : b,
				hi = a < b ? b : a;
	int64_t		count = 0;

	if (hi - lo > WALK_LIMIT)
	{
		w.done = false;
		return w;
	}
	for (int64_t d = lo + 1; d <= hi; d++)
	{
		if (!model_loaded(m, d))
		{
			w.st = CAL_YEAR_NOT_LOADED;
			w.missing = (int32_t) cal_year_of(d);
			return w;
		}
		count += model_workday(m, d);
	}
	w.result = (int32_t) (b < a ? -count : count);
	return w;
}

/* the first year in (lo, hi] (lo < hi) that is not loaded, or 0 */
/* "no year is missing"; not 0, which is a real (proleptic) year: 1 BC */
#define NO_MISSING_YEAR INT64_MIN

static int64_t
first_missing_year(const model *m, int64_t lo, int64_t hi)
{
	int64_t		y = cal_year_of(lo + 1),
				last = cal_year_of(hi);

	for (; y <= last; y++)
		if (model_year_index(m, y) < 0)
			return y;
	return NO_MISSING_YEAR;
}

/* ---- the checks ---- */

static void
check_is_workday(const calendar *cal, const model *m, int32_t d)
{
	bool		r = false;
	int32_t		missing = 0;
	cal_status	st = cal_is_workday(cal, d, &r, &missing);

	if (model_loaded(m, d))
		CHECK(st == CAL_OK && r == model_workday(m, d), "is_workday(%d): status %d, %d", d, (int) st, (int) r);
	else
		CHECK(st == CAL_YEAR_NOT_LOADED && missing == cal_year_of(d),
			  "is_workday(%d) of a year not loaded: status %d, missing %d", d, (int) st, missing);
}

static cal_status
between(const calendar *cal, int32_t a, int32_t b, int32_t *r)
{
	int32_t		missing = 0;

	return cal_workdays_between(cal, a, b, r, &missing);
}

static void
check_between(const calendar *cal, const model *m, int32_t a, int32_t b)
{
	int32_t		r = 0,
				back = 0,
				missing = 0;
	cal_status	st = cal_workdays_between(cal, a, b, &r, &missing);
	walk		w = naive_between(m, a, b);

	if (a == b)
	{
		CHECK(st == CAL_OK && r == 0, "between(%d, %d) = %d, status %d", a, b, r, (int) st);
		return;
	}
	if (w.done)
	{
		CHECK(st == w.st, "between(%d, %d): status %d, naive %d", a, b, (int) st, (int) w.st);
		if (st == CAL_OK)
			CHECK(r == w.result, "between(%d, %d) = %d, naive %d", a, b, r, w.result);
		else
			CHECK(missing == w.missing, "between(%d, %d) misses %d, naive %d", a, b, missing, w.missing);
	}
	else
	{
		int64_t		lo = a < b ? a : b,
					hi = a < b ? b : a;
		int64_t		y = first_missing_year(m, lo, hi);

		CHECK((st == CAL_OK) == (y == NO_MISSING_YEAR), "between(%d, %d): status %d, first missing year %lld", a, b, (int) st, (long long) y);
		if (st != CAL_OK)
			CHECK(missing == y, "between(%d, %d) misses %d, not %lld", a, b, missing, (long long) y);
		else
			CHECK(r >= 0 ? b > a : b < a, "between(%d, %d) = %d has the wrong sign", a, b, r);
	}
	if (st == CAL_OK)
	{
		CHECK(between(cal, b, a, &back) == CAL_OK && back == -r, "between(%d, %d) = %d but reversed %d", a, b, r, back);
		CHECK((r < 0 ? -(int64_t) r : r) <= (b > a ? (int64_t) b - a : (int64_t) a - b),
			  "between(%d, %d) = %d exceeds the days", a, b, r);
	}
}

static void
check_additive(const calendar *cal, int32_t a, int32_t b, int32_t c)
{
	int32_t		ab,
				bc,
				ac;

	if (between(cal, a, b, &ab) == CAL_OK && between(cal, b, c, &bc) == CAL_OK)
	{
		CHECK(between(cal, a, c, &ac) == CAL_OK, "between(%d,%d) and (%d,%d) ok but not (%d,%d)", a, b, b, c, a, c);
		CHECK((int64_t) ab + bc == ac, "W(%d..%d) %d + W(%d..%d) %d != W(%d..%d) %d", a, b, ab, b, c, bc, a, c, ac);
	}
}

static void
check_add(const calendar *cal, const model *m, int32_t d, int32_t n, int flags)
{
	int32_t		r = 0,
				missing = 0,
				q = 0,
				x = 0;
	bool		prov = true;
	cal_status	st = cal_add_workdays(cal, d, n, flags, &r, &prov, &missing);
	walk		w = naive_add(m, d, n, flags);
	bool		strict = !(flags & CAL_ASSUME_WEEKDAYS);
	int32_t		quick = 0;

	/* the inline quick path answers only where the full one does, and the same */
	if (cal_add_workdays_quick(cal, d, n, &quick))
		CHECK(st == CAL_OK && quick == r && !prov, "quick add(%d, %d) = %d, full %d (status %d)", d, n, quick, r, (int) st);

	if (w.done)
	{
		CHECK(st == w.st, "add(%d, %d, %d): status %d, naive %d", d, n, flags, (int) st, (int) w.st);
		if (st == CAL_OK)
			CHECK(r == w.result && prov == w.provisional, "add(%d, %d, %d) = %d%s, naive %d%s", d, n, flags,
				  r, prov ? " (provisional)" : "", w.result, w.provisional ? " (provisional)" : "");
		else if (st == CAL_YEAR_NOT_LOADED)
			CHECK(missing == w.missing, "add(%d, %d, %d) misses %d, naive %d", d, n, flags, missing, w.missing);
	}
	if (st == CAL_YEAR_NOT_LOADED)
		CHECK(strict && model_year_index(m, missing) < 0, "add(%d, %d, %d) names year %d", d, n, flags, missing);
	if (st == CAL_OUT_OF_RANGE && strict)
	{
		/* strict mode walks only loaded days, so only its first step can leave the date range */
		int64_t		first = (int64_t) d + (n > 0 ? 1 : -1);

		CHECK(first > CAL_DAY_MAX || first < CAL_DAY_MIN, "strict add(%d, %d) out of range", d, n);
	}
	if (st != CAL_OK)
		return;
	if (strict)
		CHECK(!prov, "strict add(%d, %d) provisional", d, n);
	if (n == 0)
	{
		CHECK(r == d, "add(%d, 0) = %d", d, r);
		return;
	}
	CHECK(n > 0 ? r > d : r < d, "add(%d, %d) = %d on the wrong side", d, n, r);
	CHECK(model_workday(m, r), "add(%d, %d, %d) = %d is not a working day", d, n, flags, r);
	if (strict)
	{
		if (n > 0)
			CHECK(between(cal, d, r, &x) == CAL_OK && x == n, "add(%d, %d) = %d but between = %d", d, n, r, x);
		else if (n != INT32_MIN)
			CHECK(between(cal, r, d - 1, &x) == CAL_OK && x == -n - 1, "add(%d, %d) = %d but between(r, d-1) = %d", d, n, r, x);
	}
	/* add(add(d, n), -n) is the last working day at or before d (n > 0) */
	if (n > 0 && cal_add_workdays(cal, r, -n, flags, &q, NULL, &missing) == CAL_OK)
	{
		CHECK(q <= d && model_workday(m, q), "add(add(%d, %d) = %d, %d) = %d", d, n, r, -n, q);
		if ((int64_t) d - q <= WALK_LIMIT)
			for (int64_t t = (int64_t) q + 1; t <= d; t++)
				CHECK(!model_workday(m, t), "add(add(%d, %d), %d) = %d skips working day %lld", d, n, -n, q, (long long) t);
	}
}

/* a day near the loaded years, or anywhere */
static int32_t
pick_day(fuzz_in *in, const model *m)
{
	uint32_t	how = fuzz_u8(in);

	if (how < 200 && m->nyears > 0)
		return (int32_t) (m->start[how % m->nyears] + (int32_t) (fuzz_u16(in) % 1200) - 400);
	if (how < 240)
		return (int32_t) cal_days_from_civil(1990 + fuzz_u8(in) % 80, 1, 1) + (int32_t) fuzz_u16(in) - 32768;
	switch (how % 4)
	{
		case 0: return CAL_DAY_MAX - (int32_t) fuzz_u8(in);
		case 1: return CAL_DAY_MIN + (int32_t) fuzz_u8(in);
		default: return (int32_t) fuzz_u32(in);
	}
}

static int32_t
pick_n(fuzz_in *in)
{
	uint32_t	how = fuzz_u8(in);

	if (how < 160)
		return (int32_t) (fuzz_u8(in) % 81) - 40;
	if (how < 240)
		return (int32_t) (int16_t) fuzz_u16(in);
	return (int32_t) fuzz_u32(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in		in = {data, size};
	int32_t		years[MAX_YEARS];
	cal_exception exc[MAX_EXC];
	model		m;
	calendar	cal;
	arena		ar = {-1, 0, {0}};
	int			nyears,
				nexc,
				budget_byte;
	int32_t		bad = 0;
	cal_status	st,
				want = CAL_OK;
	bool		bad_year = false;

	nyears = (int) (fuzz_u8(&in) % (MAX_YEARS + 1));
	for (int i = 0; i < nyears; i++)
	{
		uint32_t	v = fuzz_u16(&in);

		years[i] = (v & 0x8000) ? (int32_t) ((v & 0x7fff) % 10001) : (int32_t) (2000 + v % 48);
		if (v == 0xffff)
			years[i] = -1;
		if (years[i] < CAL_MIN_YEAR || years[i] > CAL_MAX_YEAR)
			bad_year = true;
	}
	/* the model: deduplicated years, each year's days */
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < nyears; i++)
		if (model_year_index(&m, years[i]) < 0)
		{
			m.year[m.nyears] = years[i];
			m.start[m.nyears] = cal_days_from_civil(years[i], 1, 1);
			m.nyears++;
		}
	nexc = (int) (fuzz_u8(&in) % (MAX_EXC + 1));
	for (int i = 0; i < nexc; i++)
	{
		uint32_t	yi = fuzz_u8(&in),
					off = fuzz_u16(&in) % 370,
					k = fuzz_u8(&in);
		int64_t		y = nyears ? years[yi % nyears] : 2020;

		exc[i].day = (int32_t) (cal_days_from_civil(y, 1, 1) + off);
		exc[i].kind = k < 250 ? (cal_kind) (k & 1) : (cal_kind) (k - 248);	/* 2..7 are bad kinds */
	}
	budget_byte = (int) fuzz_u8(&in);
	if (budget_byte >= 240)
		ar.budget = budget_byte - 240;	/* 0..15 allocations, then NULL */

	/* what the model expects (the first problem, years first, then exceptions in order) */
	if (bad_year)
		want = CAL_BAD_YEAR;
	else
		for (int i = 0; i < nexc && want == CAL_OK; i++)
		{
			int			yi = model_year_index(&m, cal_year_of(exc[i].day));

			if (yi < 0)
				want = CAL_DAY_NOT_IN_YEARS;
			else if (exc[i].kind != CAL_OFF && exc[i].kind != CAL_WORK)
				want = CAL_BAD_KIND;
			else if (m.kind[yi][exc[i].day - m.start[yi]] != 0)
				want = CAL_DUPLICATE_DAY;
			else
				m.kind[yi][exc[i].day - m.start[yi]] = exc[i].kind == CAL_WORK ? 2 : 1;
		}

	st = cal_build(&cal, years, nyears, exc, nexc, arena_alloc, &ar, &bad);
	if (st == CAL_NO_MEMORY)
		CHECK(ar.budget == 0, "out of memory with allocations left");
	else
		CHECK(st == want, "build: status %s, model says %s (bad %d)", cal_status_name(st), cal_status_name(want), bad);
	if (st == CAL_BAD_YEAR)
		CHECK(bad < CAL_MIN_YEAR || bad > CAL_MAX_YEAR, "bad year %d", bad);
	if (st == CAL_DAY_NOT_IN_YEARS)
		CHECK(!model_loaded(&m, bad), "day %d said not in the years", bad);
	if (st != CAL_OK)
		goto out;
	CHECK(cal.nyears == m.nyears, "%d years built, %d distinct", cal.nyears, m.nyears);

	/* every day of every loaded year, and the days around them */
	for (int i = 0; i < m.nyears; i++)
		for (int64_t d = m.start[i] - 3; d < m.start[i] + 369; d++)
			check_is_workday(&cal, &m, (int32_t) d);

	while (in.left > 0)
	{
		int32_t		a = pick_day(&in, &m),
					b = pick_day(&in, &m),
					n = pick_n(&in);

		check_is_workday(&cal, &m, a);
		check_add(&cal, &m, a, n, CAL_STRICT);
		check_add(&cal, &m, a, n, CAL_ASSUME_WEEKDAYS);
		check_between(&cal, &m, a, b);
		check_additive(&cal, a, b, pick_day(&in, &m));
	}
out:
	for (int i = 0; i < ar.n; i++)
		free(ar.ptrs[i]);
	return 0;
}
