/*
 * Unit tests of src/core/visits.c: the cases of the issue, edge cases, and a randomized comparison
 * with a brute-force minimum that proves the greedy count optimal and its assignment valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "visits.h"

#define MAXN 64

/* Plans a copy of iv; returns the visit count (or -1 on a bad interval). */
static int
plan(const visit_interval *in, size_t n, visit_interval *out, visit_window *w)
{
	size_t		groups = 0;

	memcpy(out, in, n * sizeof(*in));
	if (visits_plan(out, n, w, &groups, NULL) != VISITS_OK)
		return -1;
	return (int) groups;
}

/* The group of the interval with the given key, after planning. */
static int
group_of(const visit_interval *out, size_t n, int64_t key)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].key == key)
			return out[i].group;
	return -1;
}

/*
 * Checks a planned result: groups 0..g-1 each non-empty and contiguous in sorted order; every
 * interval contains its window; each window is exactly the intersection of its intervals; the
 * array is a sorted permutation of the input (by key). Returns 1 when all hold.
 */
static int
valid_plan(const visit_interval *in, const visit_interval *out, size_t n, const visit_window *w, int g)
{
	int			seen[MAXN] = {0};

	for (size_t i = 0; i < n; i++)
	{
		if (out[i].group < 0 || out[i].group >= g)
			return 0;
		if (i > 0 && (out[i].group < out[i - 1].group || out[i].group > out[i - 1].group + 1))
			return 0;
		if (i > 0 && visit_interval_cmp(&out[i - 1], &out[i]) > 0)
			return 0;
		if (out[i].start > w[out[i].group].start || out[i].end < w[out[i].group].end)
			return 0;
		if (w[out[i].group].start > w[out[i].group].end)
			return 0;
	}
	for (int k = 0; k < g; k++)
	{
		int32_t		lo = INT32_MIN, hi = INT32_MAX;
		int			cnt = 0;

		for (size_t i = 0; i < n; i++)
			if (out[i].group == k)
			{
				if (out[i].start > lo)
					lo = out[i].start;
				if (out[i].end < hi)
					hi = out[i].end;
				cnt++;
			}
		if (cnt == 0 || cnt != w[k].count || lo != w[k].start || hi != w[k].end)
			return 0;
	}
	/* permutation: every input key appears once with its own bounds */
	for (size_t i = 0; i < n; i++)
	{
		int			found = 0;

		for (size_t j = 0; j < n; j++)
			if (out[j].key == in[i].key && out[j].start == in[i].start && out[j].end == in[i].end && !seen[j])
			{
				seen[j] = 1;
				found = 1;
				break;
			}
		if (!found)
			return 0;
	}
	return 1;
}

/* Brute force: the least number of days stabbing every interval (days in [lo, hi]). */
static int
brute_min(const visit_interval *iv, size_t n, int lo, int hi)
{
	int			span = hi - lo + 1;

	if (n == 0)
		return 0;
	for (int size = 1; size <= (int) n; size++)
	{
		/* every subset of `size` days in [lo, hi], as a combination */
		int			idx[MAXN];

		for (int i = 0; i < size; i++)
			idx[i] = i;
		for (;;)
		{
			int			all = 1;

			for (size_t k = 0; k < n && all; k++)
			{
				int			hit = 0;

				for (int i = 0; i < size && !hit; i++)
					hit = iv[k].start <= lo + idx[i] && lo + idx[i] <= iv[k].end;
				all = hit;
			}
			if (all)
				return size;
			/* next combination */
			{
				int			i = size - 1;

				while (i >= 0 && idx[i] == span - size + i)
					i--;
				if (i < 0)
					break;
				idx[i]++;
				for (int j = i + 1; j < size; j++)
					idx[j] = idx[j - 1] + 1;
			}
		}
	}
	return -1;
}

static void
set(visit_interval *iv, int64_t key, int32_t s, int32_t e)
{
	iv->key = key;
	iv->start = s;
	iv->end = e;
	iv->group = -7;
}

static void
test_cases(void)
{
	visit_interval in[MAXN], out[MAXN];
	visit_window w[MAXN];
	int			g;
	size_t		groups = 99, bad = 99;

	/* empty */
	is_int(visits_plan(out, 0, w, &groups, NULL), VISITS_OK, "no intervals: ok");
	is_int(groups, 0, "no intervals: no visits");

	/* one task only */
	set(&in[0], 1, 10, 20);
	g = plan(in, 1, out, w);
	is_int(g, 1, "one interval: one visit");
	ok(w[0].start == 10 && w[0].end == 20 && w[0].count == 1, "one interval: window is the interval");

	/* overlapping periods -> one visit */
	set(&in[0], 1, 1, 10);
	set(&in[1], 2, 5, 15);
	g = plan(in, 2, out, w);
	is_int(g, 1, "[1,10] [5,15]: one visit");
	ok(w[0].start == 5 && w[0].end == 10, "[1,10] [5,15]: window [5,10] (got [%d,%d])", w[0].start, w[0].end);

	/* chain [1-10] [5-15] [12-20] -> two visits */
	set(&in[0], 1, 1, 10);
	set(&in[1], 2, 5, 15);
	set(&in[2], 3, 12, 20);
	g = plan(in, 3, out, w);
	is_int(g, 2, "chain [1,10] [5,15] [12,20]: two visits");
	ok(group_of(out, 3, 1) == group_of(out, 3, 2) && group_of(out, 3, 3) != group_of(out, 3, 1),
	   "chain: the first two together, the third alone");
	ok(w[0].start == 5 && w[0].end == 10 && w[1].start == 12 && w[1].end == 20,
	   "chain: windows [5,10] and [12,20]");
	ok(valid_plan(in, out, 3, w, g), "chain: plan is valid");

	/* one task inside another */
	set(&in[0], 1, 1, 30);
	set(&in[1], 2, 10, 12);
	g = plan(in, 2, out, w);
	is_int(g, 1, "[1,30] contains [10,12]: one visit");
	ok(w[0].start == 10 && w[0].end == 12, "nested: window is the inner interval");

	/* same-day edge: [1,5] and [5,9] share day 5 */
	set(&in[0], 1, 1, 5);
	set(&in[1], 2, 5, 9);
	g = plan(in, 2, out, w);
	is_int(g, 1, "[1,5] [5,9]: one visit (closed intervals share day 5)");
	ok(w[0].start == 5 && w[0].end == 5, "same-day edge: window is day 5 only");

	/* adjacent but disjoint: [1,5] and [6,9] */
	set(&in[0], 1, 1, 5);
	set(&in[1], 2, 6, 9);
	g = plan(in, 2, out, w);
	is_int(g, 2, "[1,5] [6,9]: two visits");

	/* single-day intervals, identical intervals */
	set(&in[0], 1, 7, 7);
	set(&in[1], 2, 7, 7);
	set(&in[2], 3, 7, 7);
	g = plan(in, 3, out, w);
	is_int(g, 1, "three identical single days: one visit");
	ok(w[0].count == 3, "identical: all three in it");

	/* a long interval over many disjoint short ones: it ends last, so it joins the last visit */
	set(&in[0], 1, 1, 100);
	for (int i = 1; i <= 5; i++)
		set(&in[i], 1 + i, i * 10, i * 10 + 2);
	g = plan(in, 6, out, w);
	is_int(g, 5, "one long interval over five disjoint ones: five visits");
	is_int(group_of(out, 6, 1), 4, "the long interval joins the last visit");
	ok(valid_plan(in, out, 6, w, g), "long-over-short: plan is valid");

	/* input in reverse order is sorted; groups follow the points */
	for (int i = 0; i < 10; i++)
		set(&in[i], i, 100 - 10 * i, 105 - 10 * i);
	g = plan(in, 10, out, w);
	is_int(g, 10, "ten disjoint intervals given in reverse: ten visits");
	ok(valid_plan(in, out, 10, w, g), "reverse order: plan is valid and sorted");
	ok(out[0].key == 9 && out[9].key == 0, "reverse order: sorted by end");

	/* ties: equal intervals are ordered by key */
	set(&in[0], 5, 1, 3);
	set(&in[1], 4, 1, 3);
	set(&in[2], 6, 0, 3);
	g = plan(in, 3, out, w);
	ok(out[0].key == 6 && out[1].key == 4 && out[2].key == 5, "ties broken by start, then key");

	/* extreme day numbers (PostgreSQL -infinity / infinity dates are INT32_MIN / INT32_MAX) */
	set(&in[0], 1, INT32_MIN, INT32_MAX);
	set(&in[1], 2, INT32_MAX, INT32_MAX);
	set(&in[2], 3, INT32_MIN, INT32_MIN);
	g = plan(in, 3, out, w);
	is_int(g, 2, "extreme days: two visits, no overflow");
	ok(valid_plan(in, out, 3, w, g), "extreme days: plan is valid");

	/* a bad interval is reported with its index, nothing is changed */
	set(&in[0], 1, 1, 5);
	set(&in[1], 2, 9, 8);
	memcpy(out, in, 2 * sizeof(in[0]));
	groups = 42;
	is_int(visits_plan(out, 2, w, &groups, &bad), VISITS_BAD_INTERVAL, "end before start: bad interval");
	is_int(bad, 1, "bad interval index reported");
	is_int(groups, 42, "bad interval: group count untouched");
	ok(out[1].group == -7 && out[1].start == 9, "bad interval: input untouched");

	/* windows may be NULL */
	set(&in[0], 1, 1, 10);
	set(&in[1], 2, 5, 15);
	set(&in[2], 3, 12, 20);
	memcpy(out, in, 3 * sizeof(in[0]));
	is_int(visits_plan(out, 3, NULL, &groups, NULL), VISITS_OK, "NULL windows: ok");
	is_int(groups, 2, "NULL windows: still two visits");

	/* visits_plan_sorted on sorted input equals visits_plan */
	{
		visit_interval a[MAXN];
		size_t		ga, gb;

		for (int i = 0; i < 20; i++)
			set(&in[i], i, (i * 7) % 13, (i * 7) % 13 + i % 5);
		memcpy(a, in, 20 * sizeof(in[0]));
		qsort(a, 20, sizeof(a[0]), visit_interval_cmp);
		memcpy(out, a, 20 * sizeof(in[0]));
		visits_plan_sorted(a, 20, NULL, &ga, NULL);
		visits_plan(out, 20, NULL, &gb, NULL);
		ok(ga == gb && memcmp(a, out, 20 * sizeof(a[0])) == 0, "plan_sorted agrees with plan");
	}
}

/* xorshift64*: deterministic pseudo-random numbers for the randomized comparison */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t
rnd(uint32_t bound)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t) ((rng * 2685821657736338717ULL) >> 33) % bound;
}

static void
test_random(void)
{
	visit_interval in[MAXN], out[MAXN];
	visit_window w[MAXN];
	int			trials = 20000, wrong_count = 0, invalid = 0, not_tight = 0;

	for (int t = 0; t < trials; t++)
	{
		size_t		n = 1 + rnd(8);
		int			days = 1 + (int) rnd(14);
		int			g,
					best;

		for (size_t i = 0; i < n; i++)
		{
			int32_t		s = (int32_t) rnd((uint32_t) days);
			int32_t		e = s + (int32_t) rnd((uint32_t) (days - s));

			set(&in[i], (int64_t) rnd(4), s, e);	/* keys repeat on purpose */
		}
		g = plan(in, n, out, w);
		best = brute_min(in, n, 0, days - 1);
		if (g != best)
			wrong_count++;
		if (!valid_plan(in, out, n, w, g))
			invalid++;
		/* each window's end is a point; the points are increasing and stab every interval */
		for (int k = 1; k < g; k++)
			if (w[k].end <= w[k - 1].end)
				not_tight++;
	}
	is_int(wrong_count, 0, "%d random sets of 1-8 intervals: greedy count equals the brute-force minimum", trials);
	is_int(invalid, 0, "random sets: every visit's intervals share its window, windows are exact intersections");
	is_int(not_tight, 0, "random sets: visit points strictly increase");

	/*
	 * Larger random sets, beyond brute force: a plan with g visits is optimal when g intervals of
	 * the input are pairwise disjoint (no single day can serve two of them). The interval opening
	 * each visit (the first of its group in sorted order) must form such a set.
	 */
	{
		int			bad_large = 0;

		for (int t = 0; t < 500; t++)
		{
			size_t		n = (size_t) MAXN;
			int			g,
						nw = 0;
			visit_interval wit[MAXN];

			for (size_t i = 0; i < n; i++)
			{
				int32_t		a = (int32_t) rnd(365);
				int32_t		b = a + (int32_t) rnd(60);

				set(&in[i], (int64_t) i, a, b);
			}
			g = plan(in, n, out, w);
			for (size_t i = 0; i < n; i++)
				if (i == 0 || out[i].group != out[i - 1].group)
					wit[nw++] = out[i];
			for (int a = 0; a < nw; a++)
				for (int b = a + 1; b < nw; b++)
					if (!(wit[a].end < wit[b].start || wit[b].end < wit[a].start))
						bad_large++;
			if (nw != g || !valid_plan(in, out, n, w, g))
				bad_large++;
		}
		is_int(bad_large, 0, "500 random sets of 64 intervals: valid plans, each with as many pairwise disjoint intervals as visits (so minimal)");
	}
}

int
main(void)
{
	test_cases();
	test_random();
	return done_testing();
}
