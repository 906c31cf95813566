/*
 * Unit tests of src/core/visits.c: the cases of the issue, edge cases, and a randomized comparison
 * with a brute-force minimum that proves the greedy count optimal and its assignment valid.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "misuse.h"
#include "tap.h"
#include "visits_diff_check.h"
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

/* ---- a year at once ------------------------------------------------------------------------- */

static void
key(visit_key *k, int subject, uint32_t num)
{
	memset(k->subject, 0, VISIT_SUBJECT_LEN);
	/* subjects compare by their bytes: put the number in the last bytes, big-endian */
	k->subject[VISIT_SUBJECT_LEN - 2] = (uint8_t) (subject >> 8);
	k->subject[VISIT_SUBJECT_LEN - 1] = (uint8_t) subject;
	visit_key_set_num(k, num);
}

static int
subject_of(const visit_key *k)
{
	return (k->subject[VISIT_SUBJECT_LEN - 2] << 8) | k->subject[VISIT_SUBJECT_LEN - 1];
}

typedef struct rec24
{
	visit_key	k;
	uint64_t	payload;
} rec24;

static void
test_sort(void)
{
	enum {N = 3000};
	static rec24 a[N], tmp[N], b[N];
	int			bad_order = 0,
				unstable = 0,
				lost = 0;

	ok(visit_key_num((visit_key *) "\0\0\0\0\0\0\0\0\0\0\0\0\x01\x02\x03\x04") == 0x01020304u, "the number is big-endian");
	{
		visit_key	k1, k2;

		key(&k1, 5, 0x00000100);
		key(&k2, 5, 0x000000ff);
		ok(visit_key_cmp(&k1, &k2) > 0, "byte order of keys is numeric order of their numbers");
		key(&k2, 6, 0);
		ok(visit_key_cmp(&k1, &k2) < 0, "the subject comes first");
	}

	/* random keys with many repeats; the payload remembers the input position */
	for (int i = 0; i < N; i++)
	{
		key(&a[i].k, (int) rnd(50), rnd(7) << (8 * rnd(4)));
		a[i].k.subject[0] = (uint8_t) rnd(3);	/* a first byte that varies too */
		a[i].payload = (uint64_t) i;
	}
	memcpy(b, a, sizeof(a));
	radix_sort(b, tmp, N, sizeof(rec24), sizeof(visit_key));
	for (int i = 1; i < N; i++)
	{
		int			c = visit_key_cmp(&b[i - 1].k, &b[i].k);

		if (c > 0)
			bad_order++;
		if (c == 0 && b[i - 1].payload > b[i].payload)
			unstable++;
	}
	/* a permutation: every payload once, with its own key */
	{
		static char seen[N];

		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < N; i++)
		{
			uint64_t	p = b[i].payload;

			if (p >= N || seen[p] || memcmp(&a[p].k, &b[i].k, sizeof(visit_key)) != 0)
				lost++;
			else
				seen[p] = 1;
		}
	}
	is_int(bad_order, 0, "radix_sort: %d records of 24 bytes come out in key order", N);
	is_int(unstable, 0, "radix_sort: equal keys keep their input order (stable)");
	is_int(lost, 0, "radix_sort: the output is a permutation of the input");

	/* an odd number of passes ends in tmp and is copied back; constant bytes take no pass */
	{
		visit_key	k[4],
					t[4];

		key(&k[0], 1, 3);
		key(&k[1], 1, 1);
		key(&k[2], 1, 2);
		key(&k[3], 1, 0);
		radix_sort(k, t, 4, sizeof(visit_key), sizeof(visit_key));
		ok(visit_key_num(&k[0]) == 0 && visit_key_num(&k[1]) == 1 && visit_key_num(&k[2]) == 2
		   && visit_key_num(&k[3]) == 3, "radix_sort: one varying byte (one pass) sorts in place");
	}
	/* n = 0 and n = 1: nothing happens (a keylen out of range is a misuse: test_radix) */
	{
		visit_key	k[2],
					t[2];

		key(&k[0], 2, 0);
		key(&k[1], 1, 0);
		radix_sort(k, t, 0, sizeof(visit_key), sizeof(visit_key));
		radix_sort(k, t, 1, sizeof(visit_key), sizeof(visit_key));
		ok(subject_of(&k[0]) == 2 && subject_of(&k[1]) == 1, "radix_sort: n < 2 changes nothing");
	}
}

/* tasks of the issue, sorted by (end, start, key): T1 [1,10], T2 [5,15], T3 [12,20], T4 [1,100] */
static const visit_interval year_tasks[] = {
	{1, 10, 1, 0}, {5, 15, 2, 0}, {12, 20, 3, 0}, {1, 100, 4, 0}
};

static void
test_group(void)
{
	visit_key	t[16];
	visit_span	sp[16];
	size_t		n = 0,
				ns = 99,
				bad = 99;
	uint32_t	combo[16],
				table[32];
	size_t		rep[16];
	size_t		nc;

	/* subject 1: chain T1 T2 T3 -> {T1,T2} [5,10], {T3} [12,20]; subject 2: T1 and T4 -> one visit
	 * [1,10]; subject 3: T2 only; subject 4: T1 T2 again -> the same set as subject 1's first */
	key(&t[n++], 1, 0);
	key(&t[n++], 1, 1);
	key(&t[n++], 1, 2);
	key(&t[n++], 2, 0);
	key(&t[n++], 2, 3);
	key(&t[n++], 3, 1);
	key(&t[n++], 4, 0);
	key(&t[n++], 4, 1);
	is_int(visits_group(year_tasks, 4, t, n, sp, &ns, &bad), VISITS_OK, "visits_group: ok");
	is_int(ns, 5, "visits_group: 5 visits for 4 subjects (the chain needs two)");
	ok(sp[0].first == 0 && sp[0].count == 2 && sp[0].start == 5 && sp[0].end == 10,
	   "chain: first visit {T1,T2} in [5,10]");
	ok(sp[1].first == 2 && sp[1].count == 1 && sp[1].start == 12 && sp[1].end == 20,
	   "chain: second visit {T3} in [12,20]");
	ok(sp[2].first == 3 && sp[2].count == 2 && sp[2].start == 1 && sp[2].end == 10,
	   "nested: T1 inside T4 is one visit in T1's days");
	ok(sp[3].count == 1 && sp[3].start == 5 && sp[3].end == 15, "one task: its own period");

	nc = visits_combine(t, sp, ns, combo, rep, table, 32);
	is_int(nc, 4, "visits_combine: 4 distinct task sets among 5 visits");
	ok(combo[0] == combo[4] && combo[0] != combo[1] && combo[1] != combo[2] && combo[2] != combo[3],
	   "visits_combine: subjects 1 and 4 share the set {T1,T2}, the others differ");
	ok(rep[combo[4]] == 0 && combo[0] == 0 && combo[1] == 1, "visits_combine: numbered in order of first appearance");

	/* a same-day edge across subjects: [1,10] and [10,..] share day 10 */
	{
		static const visit_interval edge[] = {{1, 10, 1, 0}, {10, 20, 2, 0}};
		visit_key	e[2];

		key(&e[0], 7, 0);
		key(&e[1], 7, 1);
		visits_group(edge, 2, e, 2, sp, &ns, NULL);
		ok(ns == 1 && sp[0].start == 10 && sp[0].end == 10, "same-day edge: one visit on day 10");
	}

	/* errors */
	{
		static const visit_interval unsorted[] = {{1, 20, 1, 0}, {1, 10, 2, 0}};
		static const visit_interval backwards[] = {{1, 10, 1, 0}, {9, 8, 2, 0}};
		visit_key	e[2];

		key(&e[0], 1, 0);
		key(&e[1], 1, 1);
		is_int(visits_group(unsorted, 2, e, 2, sp, &ns, &bad), VISITS_UNSORTED, "tasks not sorted by end: unsorted");
		is_int(bad, 1, "unsorted tasks: index of the first out of order");
		is_int(visits_group(backwards, 2, e, 2, sp, &ns, &bad), VISITS_BAD_INTERVAL, "task ending before it starts");
		is_int(bad, 1, "bad task reported by index");
		key(&e[1], 1, 9);
		is_int(visits_group(year_tasks, 4, e, 2, sp, &ns, &bad), VISITS_BAD_NUMBER, "a target of task 9 of 4");
		is_int(bad, 1, "bad task number reported by target");
		key(&e[0], 2, 0);
		key(&e[1], 1, 0);
		is_int(visits_group(year_tasks, 4, e, 2, sp, &ns, &bad), VISITS_UNSORTED, "targets not sorted: unsorted");
		is_int(bad, 1, "unsorted targets: the first out of order");
		is_int(visits_group(year_tasks, 4, e, 0, sp, &ns, &bad), VISITS_OK, "no targets: ok");
		is_int(ns, 0, "no targets: no visits");
	}
}

static void
test_subtract_match(void)
{
	visit_key	k[6],
				d[4];
	size_t		n;

	key(&k[0], 1, 0);
	key(&k[1], 1, 2);
	key(&k[2], 2, 0);
	key(&k[3], 2, 1);
	key(&k[4], 3, 5);
	key(&k[5], 4, 0);
	key(&d[0], 1, 1);			/* not there */
	key(&d[1], 1, 2);
	key(&d[2], 2, 0);
	key(&d[3], 4, 0);
	n = visits_subtract(k, 6, d, 4);
	is_int(n, 3, "visits_subtract: three of six dropped (one drop key absent)");
	ok(subject_of(&k[0]) == 1 && visit_key_num(&k[0]) == 0 && subject_of(&k[1]) == 2 && visit_key_num(&k[1]) == 1
	   && subject_of(&k[2]) == 3 && visit_key_num(&k[2]) == 5, "visits_subtract: the others kept in order");
	n = 0;
	key(&k[n++], 3, 5);
	is_int(visits_subtract(k, n, d, 0), 1, "visits_subtract: nothing to drop");
	is_int(visits_subtract(k, 0, d, 4), 0, "visits_subtract: nothing to drop from");

	/* match: old sorted by (subject, class), new by subject only */
	{
		visit_key	old[5],
					nw[5];
		size_t		om[5],
					nm[5],
					bad = 9;

		key(&old[0], 1, 3);
		key(&old[1], 1, 7);
		key(&old[2], 2, 1);
		key(&old[3], 5, 0);
		key(&old[4], 5, 0);		/* a duplicate: only one of them pairs */
		key(&nw[0], 1, 7);
		key(&nw[1], 1, 3);
		key(&nw[2], 3, 1);
		key(&nw[3], 5, 0);
		key(&nw[4], 5, 2);
		is_int(visits_match(old, 5, nw, 5, om, nm, &bad), VISITS_OK, "visits_match: ok");
		ok(om[0] == 1 && om[1] == 0 && nm[0] == 1 && nm[1] == 0, "same subject and class pair, in any order");
		ok(om[2] == VISITS_NONE && nm[2] == VISITS_NONE, "subject 2's visit is gone, subject 3's is new");
		ok(om[3] == 3 && om[4] == VISITS_NONE && nm[3] == 3 && nm[4] == VISITS_NONE,
		   "a duplicate old visit pairs once; another class does not pair");
		key(&old[0], 9, 0);
		is_int(visits_match(old, 5, nw, 5, om, nm, &bad), VISITS_UNSORTED, "old not sorted: unsorted");
		is_int(bad, 0, "unsorted old reported as 0");
		key(&old[0], 1, 3);
		key(&nw[0], 9, 0);
		is_int(visits_match(old, 5, nw, 5, om, nm, &bad), VISITS_UNSORTED, "new not sorted by subject: unsorted");
		is_int(bad, 1, "unsorted new reported as 1");
	}
}

static void
test_pinned(void)
{
	/* sets: 0 = {tasks 0, 1}, 1 = {task 2}, 2 = {tasks 1, 3} */
	static const size_t set_start[] = {0, 2, 3, 5};
	static const uint32_t set_tasks[] = {0, 1, 2, 1, 3};
	visit_key	v[5],
				insp[4];
	uint8_t		pinned[5];
	size_t		bad = 9;

	key(&v[0], 1, 0);
	key(&v[1], 1, 1);
	key(&v[2], 2, 2);
	key(&v[3], 3, 0);
	key(&v[4], 4, 1);
	key(&insp[0], 1, 1);		/* subject 1, task 1: in set 0 */
	key(&insp[1], 2, 0);		/* subject 2, task 0: not in set 2 */
	key(&insp[2], 3, 9);		/* a task of no set */
	key(&insp[3], 4, 2);		/* subject 4, task 2: in set 1 */
	is_int(visits_pinned(v, 5, set_start, set_tasks, 3, insp, 4, pinned, &bad), VISITS_OK, "visits_pinned: ok");
	ok(pinned[0] == 1 && pinned[1] == 0, "an inspection of one of its tasks pins a visit, not the subject's other visit");
	ok(pinned[2] == 0 && pinned[3] == 0, "an inspection of another task or of no set pins nothing");
	ok(pinned[4] == 1, "the last subject's visit is pinned");
	is_int(visits_pinned(v, 5, set_start, set_tasks, 3, insp, 0, pinned, &bad), VISITS_OK, "no inspections: ok");
	ok(!pinned[0] && !pinned[1] && !pinned[2] && !pinned[3] && !pinned[4], "no inspections: nothing pinned");
	key(&v[2], 2, 3);
	is_int(visits_pinned(v, 5, set_start, set_tasks, 3, insp, 4, pinned, &bad), VISITS_BAD_NUMBER, "a visit of set 3 of 3");
	is_int(bad, 2, "the visit with a bad set reported");
	key(&v[2], 0, 2);
	is_int(visits_pinned(v, 5, set_start, set_tasks, 3, insp, 4, pinned, &bad), VISITS_UNSORTED, "visits not sorted");
}

static jmp_buf counts_jump;
static const char *counts_misuse;

static void
counts_catch(const char *where, const char *what)
{
	(void) what;
	counts_misuse = where;
	longjmp(counts_jump, 1);
}

static void
test_set_counts(void)
{
	/* new plan: 4 visits in planned sets 0, 1, 0, 0; stored: 3 visits, those of sets 1 and 2 pinned */
	static const uint32_t planned_set[] = {0, 1, 0, 0};
	visit_key	old[3];
	uint8_t		pinned[3] = {0, 1, 1};
	uint64_t	pc[2],
				sc[3];
	static const uint32_t bad_set[] = {0, 2};

	key(&old[0], 1, 1);
	key(&old[1], 2, 1);
	key(&old[2], 3, 2);
	memset(pc, 0xff, sizeof(pc));
	memset(sc, 0xff, sizeof(sc));
	visits_set_counts(planned_set, 4, 2, old, pinned, 3, 3, pc, sc);
	ok(pc[0] == 3 && pc[1] == 1, "visits_set_counts: each planned set counts its visits");
	ok(sc[0] == 0 && sc[1] == 1 && sc[2] == 1, "visits_set_counts: a stored set counts its pinned visits only");
	visits_set_counts(planned_set, 0, 2, old, pinned, 0, 3, pc, sc);
	ok(pc[0] == 0 && pc[1] == 0 && sc[0] == 0 && sc[1] == 0 && sc[2] == 0, "visits_set_counts: no visits, all 0");
	core_set_misuse_handler(counts_catch);
	counts_misuse = NULL;
	if (setjmp(counts_jump) == 0)
		visits_set_counts(bad_set, 2, 2, old, pinned, 3, 3, pc, sc);
	ok(counts_misuse != NULL && strcmp(counts_misuse, "visits_set_counts") == 0,
	   "visits_set_counts: a planned set out of range is a misuse");
	counts_misuse = NULL;
	if (setjmp(counts_jump) == 0)
		visits_set_counts(planned_set, 4, 2, old, pinned, 3, 2, pc, sc);
	ok(counts_misuse != NULL && strcmp(counts_misuse, "visits_set_counts") == 0,
	   "visits_set_counts: a pinned visit of a stored set out of range is a misuse");
	core_set_misuse_handler(NULL);
}

static void
test_find_pinned_targets(void)
{
	static const int64_t ids[] = {3, 5, 5, 5, 8};
	/* live draws by task id: task 1 (two draws), task 2, task 4; their numbers in group order */
	static const int64_t draw_tasks[] = {1, 1, 2, 4};
	static const uint32_t draw_rank[] = {3, 0, 2, 1};
	static const int64_t set_tasks[] = {1, 2, 3, 4};
	static const int64_t set_draws[] = {10, 20, 30, 40};
	visit_set	sets[2];
	visit_key	old[3],
				drop[8];
	uint8_t		pinned[3] = {1, 0, 1};
	size_t		n;

	is_int(visits_find_id(ids, 5, 5), 1, "visits_find_id: the first of equal ids");
	is_int(visits_find_id(ids, 5, 3), 0, "visits_find_id: the first element");
	is_int(visits_find_id(ids, 5, 8), 4, "visits_find_id: the last element");
	ok(visits_find_id(ids, 5, 4) == VISITS_NONE && visits_find_id(ids, 5, 9) == VISITS_NONE
	   && visits_find_id(ids, 5, 1) == VISITS_NONE && visits_find_id(ids, 0, 1) == VISITS_NONE,
	   "visits_find_id: absent ids, an empty array: VISITS_NONE");

	memset(sets, 0, sizeof(sets));
	sets[0].id = 1;
	sets[0].task_ids = set_tasks;	/* tasks 1, 2 */
	sets[0].draw_ids = set_draws;
	sets[0].n = 2;
	sets[1].id = 2;
	sets[1].task_ids = set_tasks + 2;	/* tasks 3 (no live draw), 4 */
	sets[1].draw_ids = set_draws + 2;
	sets[1].n = 2;
	key(&old[0], 1, 0);			/* pinned, set 0 */
	key(&old[1], 2, 0);			/* not pinned */
	key(&old[2], 3, 1);			/* pinned, set 1 */
	n = visits_pinned_targets(old, pinned, 3, sets, 2, draw_tasks, draw_rank, 4, NULL, 0);
	is_int(n, 4, "visits_pinned_targets: counts every live draw of the pinned visits' tasks");
	is_int(visits_pinned_targets(old, pinned, 3, sets, 2, draw_tasks, draw_rank, 4, drop, 2), 4,
		   "... the same count with too little room");
	is_int(visits_pinned_targets(old, pinned, 3, sets, 2, draw_tasks, draw_rank, 4, drop, 8), 4, "... and with room");
	ok(subject_of(&drop[0]) == 1 && visit_key_num(&drop[0]) == 3 && subject_of(&drop[1]) == 1
	   && visit_key_num(&drop[1]) == 0 && subject_of(&drop[2]) == 1 && visit_key_num(&drop[2]) == 2,
	   "subject 1: both draws of task 1, the draw of task 2");
	ok(subject_of(&drop[3]) == 3 && visit_key_num(&drop[3]) == 1, "subject 3: task 4's draw; task 3 has none");
}

/*
 * Random years checked against the per-subject planner (visits_plan): for every subject, the
 * spans of visits_group are exactly visits_plan's groups of that subject's intervals.
 */
static void
test_group_random(void)
{
	enum {NT = 12, NS = 40, MAXT = NT * NS};
	static visit_interval tasks[NT];
	static visit_key targets[MAXT],
				tmp[MAXT];
	static visit_span spans[MAXT];
	int			mismatches = 0,
				combos_wrong = 0;

	for (int trial = 0; trial < 300; trial++)
	{
		size_t		n = 0,
					ns = 0;
		size_t		si = 0;
		static uint32_t combo[MAXT],
					table[1024];
		static size_t rep[MAXT];

		for (int i = 0; i < NT; i++)
		{
			int32_t		s = (int32_t) rnd(200);

			set(&tasks[i], i, s, s + (int32_t) rnd(40));
		}
		qsort(tasks, NT, sizeof(visit_interval), visit_interval_cmp);
		for (int s = 0; s < NS; s++)
			for (int t = 0; t < NT; t++)
				if (rnd(3) == 0)
					key(&targets[n++], s * 37 % 101, (uint32_t) t);
		radix_sort(targets, tmp, n, sizeof(visit_key), sizeof(visit_key));
		if (visits_group(tasks, NT, targets, n, spans, &ns, NULL) != VISITS_OK)
		{
			mismatches++;
			continue;
		}
		/* per subject: visits_plan on its intervals */
		for (size_t i = 0; i < n;)
		{
			size_t		j = i;
			visit_interval iv[NT];
			visit_window w[NT];
			size_t		g = 0;

			while (j < n && subject_of(&targets[j]) == subject_of(&targets[i]))
			{
				iv[j - i] = tasks[visit_key_num(&targets[j])];
				iv[j - i].key = (int64_t) visit_key_num(&targets[j]);
				j++;
			}
			visits_plan(iv, j - i, w, &g, NULL);
			for (size_t k = 0; k < g; k++, si++)
				if (si >= ns || spans[si].start != w[k].start || spans[si].end != w[k].end
					|| spans[si].count != (uint32_t) w[k].count)
					mismatches++;
			i = j;
		}
		if (si != ns)
			mismatches++;
		/* combos: same number exactly when the same task numbers */
		visits_combine(targets, spans, ns, combo, rep, table, 1024);
		for (size_t a = 0; a < ns; a++)
			for (size_t b = a + 1; b < ns; b++)
			{
				int			same = spans[a].count == spans[b].count;

				for (uint32_t k = 0; same && k < spans[a].count; k++)
					same = visit_key_num(&targets[spans[a].first + k]) == visit_key_num(&targets[spans[b].first + k]);
				if (same != (combo[a] == combo[b]))
					combos_wrong++;
			}
	}
	is_int(mismatches, 0, "300 random years of 12 tasks and 40 subjects: visits_group equals visits_plan per subject");
	is_int(combos_wrong, 0, "random years: visits share a set number exactly when they have the same tasks");
}

/* ---- the changes from the stored plan to the new one ------------------------------------------ */

/* task ids 1..6; the draw of task t is 10 * t, or 10 * t + 1 once a draw was made again */
static const int64_t all_tasks[] = {1, 2, 3, 4, 5, 6};
static const int64_t draws_a[] = {10, 20, 30, 40, 50, 60};
static const int64_t draws_b[] = {11, 21, 31, 41, 51, 61};

static visit_set
mkset(int64_t id, int first_task, uint32_t n, int redrawn, int32_t start, int32_t end, int64_t lead)
{
	visit_set	s;

	memset(&s, 0, sizeof(s));
	s.id = id;
	s.task_ids = all_tasks + first_task - 1;
	s.draw_ids = (redrawn ? draws_b : draws_a) + first_task - 1;
	s.n = n;
	s.start = start;
	s.end = end;
	s.lead = lead;
	return s;
}

/* index of i in a[0..n), or -1 */
static long
index_of(const size_t *a, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (a[k] == i)
			return (long) k;
	return -1;
}

static void
test_diff_cases(void)
{
	visit_set	stored[4],
				planned[4];
	visit_key	old[5],
				nw[5];
	uint8_t		pinned[5] = {0, 0, 0, 0, 0};
	visit_changes ch;
	size_t		bad = 99;
	const char *msg;

	/* an empty year: everything is added, every set new */
	planned[0] = mkset(0, 1, 2, 0, 5, 10, 1);	/* tasks 1, 2 */
	planned[1] = mkset(0, 3, 1, 0, 12, 20, 2);	/* task 3 */
	key(&nw[0], 1, 0);
	key(&nw[1], 1, 1);
	key(&nw[2], 2, 0);
	is_int(vdc_run(stored, 0, planned, 2, old, pinned, 0, nw, 3, &ch, &bad), VISITS_OK, "visits_diff: empty year");
	ok(ch.nadd == 3 && ch.add[0] == 0 && ch.add[1] == 1 && ch.add[2] == 2 && ch.nremove == 0 && ch.nmove == 0
	   && ch.ndrop_sets == 0, "empty year: every planned visit added, nothing else");
	ok(planned[0].id == 0 && planned[1].id == 0, "empty year: every set new (id 0)");
	ok(planned[0].cls != planned[1].cls, "sets of other tasks are of other classes");
	vdc_free_changes(&ch);

	/* the same plan stored: nothing changes, every set keeps its id */
	stored[0] = mkset(7, 1, 2, 0, 5, 10, 1);
	stored[1] = mkset(9, 3, 1, 0, 12, 20, 2);
	planned[0].id = planned[1].id = 0;
	key(&old[0], 2, 0);			/* any order */
	key(&old[1], 1, 1);
	key(&old[2], 1, 0);
	is_int(vdc_run(stored, 2, planned, 2, old, pinned, 3, nw, 3, &ch, &bad), VISITS_OK, "visits_diff: unchanged year");
	ok(ch.nadd == 0 && ch.nremove == 0 && ch.nmove == 0 && ch.ndrop_sets == 0, "unchanged year: no changes");
	ok(planned[0].id == 7 && planned[1].id == 9, "unchanged year: planned sets take the stored ids");
	ok(planned[0].cls == stored[0].cls && planned[1].cls == stored[1].cls, "equal sets share a class");
	vdc_free_changes(&ch);

	/* task 3's period changed (another window), subject 2's visit is gone, subject 3 is new */
	planned[0] = mkset(0, 1, 2, 0, 5, 10, 1);
	planned[1] = mkset(0, 3, 1, 0, 12, 25, 2);
	key(&nw[0], 1, 0);
	key(&nw[1], 1, 1);
	key(&nw[2], 3, 1);
	is_int(vdc_run(stored, 2, planned, 2, old, pinned, 3, nw, 3, &ch, &bad), VISITS_OK, "visits_diff: a window changed");
	ok(planned[0].id == 7 && planned[1].id == 0, "the set with another window is new");
	ok(planned[1].cls == stored[1].cls, "... and of the class of the stored one (same tasks and draws)");
	ok(ch.nmove == 1 && ch.move[0] == 1 && ch.move_to[0] == 1, "subject 1's visit of task 3 keeps its id and moves to the new set");
	ok(ch.nremove == 1 && ch.remove[0] == 0, "subject 2's visit is removed");
	ok(ch.nadd == 1 && ch.add[0] == 2, "subject 3's visit is added");
	ok(ch.ndrop_sets == 1 && ch.drop_sets[0] == 1, "the stored set of the old window is dropped");
	vdc_free_changes(&ch);

	/* a draw made again: same tasks, other draws: another class, the visit is replaced */
	planned[0] = mkset(0, 1, 2, 1, 5, 10, 1);
	key(&old[0], 1, 0);
	key(&nw[0], 1, 0);
	is_int(vdc_run(stored, 1, planned, 1, old, pinned, 1, nw, 1, &ch, &bad), VISITS_OK, "visits_diff: a draw made again");
	ok(planned[0].cls != stored[0].cls, "other draws: another class");
	ok(ch.nremove == 1 && ch.nadd == 1 && ch.nmove == 0 && ch.ndrop_sets == 1, "the visit is removed and added again, its set dropped");
	vdc_free_changes(&ch);

	/* a pinned visit stays with its set, whatever the new plan says */
	planned[0] = mkset(0, 3, 1, 0, 12, 25, 2);
	key(&old[0], 1, 0);			/* set 0 (tasks 1, 2), pinned */
	key(&old[1], 1, 1);			/* set 1 (task 3, old window) */
	pinned[0] = 1;
	key(&nw[0], 1, 0);
	is_int(vdc_run(stored, 2, planned, 1, old, pinned, 2, nw, 1, &ch, &bad), VISITS_OK, "visits_diff: a pinned visit");
	ok(ch.nremove == 0 && ch.nadd == 0 && ch.nmove == 1 && ch.move[0] == 1, "only the other visit moves");
	ok(ch.ndrop_sets == 1 && ch.drop_sets[0] == 1 && index_of(ch.drop_sets, ch.ndrop_sets, 0) < 0,
	   "the pinned visit's set is kept");
	vdc_free_changes(&ch);
	pinned[0] = 0;

	/* two stored sets equal in everything: a planned one takes the first id; the other is dropped */
	stored[0] = mkset(3, 1, 2, 0, 5, 10, 1);
	stored[1] = mkset(4, 1, 2, 0, 5, 10, 1);
	planned[0] = mkset(0, 1, 2, 0, 5, 10, 1);
	key(&old[0], 1, 1);
	key(&nw[0], 1, 0);
	is_int(vdc_run(stored, 2, planned, 1, old, pinned, 1, nw, 1, &ch, &bad), VISITS_OK, "visits_diff: duplicate stored sets");
	ok(planned[0].id == 3, "the planned set takes the first equal stored set's id");
	ok(ch.nmove == 1 && ch.move_to[0] == 0 && ch.ndrop_sets == 1 && ch.drop_sets[0] == 1,
	   "the visit on the duplicate moves to it; the duplicate is dropped");
	vdc_free_changes(&ch);

	/* errors come before any change */
	stored[0] = mkset(7, 1, 2, 0, 5, 10, 1);
	planned[0] = mkset(0, 1, 2, 0, 5, 10, 1);
	key(&old[0], 1, 1);
	key(&nw[0], 1, 0);
	is_int(vdc_run(stored, 1, planned, 1, old, pinned, 1, nw, 1, &ch, &bad), VISITS_BAD_NUMBER, "a stored visit of set 1 of 1");
	is_int(bad, 0, "... reported as stored visit 0");
	ok(planned[0].id == 0, "... and the planned set is left as it was");
	vdc_free_changes(&ch);
	key(&old[0], 1, 0);
	key(&nw[0], 1, 2);
	is_int(vdc_run(stored, 1, planned, 1, old, pinned, 1, nw, 1, &ch, &bad), VISITS_BAD_NUMBER, "a planned visit of set 2 of 1");
	is_int(bad, 1, "... reported as nold + 0");
	vdc_free_changes(&ch);
	key(&nw[0], 2, 0);
	key(&nw[1], 1, 0);
	is_int(vdc_run(stored, 1, planned, 1, old, pinned, 1, nw, 2, &ch, &bad), VISITS_UNSORTED, "planned visits not by subject");
	is_int(bad, 1, "... the first out of order reported");
	ok(planned[0].id == 0, "... and the planned set is left as it was");
	vdc_free_changes(&ch);

	/* the properties on a small case */
	stored[0] = mkset(7, 1, 2, 0, 5, 10, 1);
	stored[1] = mkset(9, 3, 1, 0, 12, 20, 2);
	planned[0] = mkset(0, 1, 2, 0, 5, 10, 1);
	planned[1] = mkset(0, 3, 1, 0, 12, 25, 2);
	key(&old[0], 1, 0);
	key(&old[1], 1, 1);
	key(&old[2], 2, 1);
	key(&nw[0], 1, 0);
	key(&nw[1], 1, 1);
	key(&nw[2], 3, 1);
	msg = visits_diff_check(stored, 2, planned, 2, old, pinned, 3, nw, 3);
	ok(msg == NULL, "visits_diff_check on a small year: %s", msg ? msg : "holds");
}

/*
 * Random stored plans and new plans (from random bytes, as the fuzz harness makes them from its
 * input): applying the changes gives the new plan with the fewest changes, and planning again
 * changes nothing (visits_diff_check).
 */
static void
test_diff_random(void)
{
	int			failures = 0;
	const char *first = NULL;

	for (int trial = 0; trial < 3000; trial++)
	{
		uint8_t		bytes[300];
		size_t		n = 20 + rnd(sizeof(bytes) - 20);
		const char *msg;

		for (size_t i = 0; i < n; i++)
			bytes[i] = (uint8_t) rnd(256);
		/* few stored visits at times, many at others */
		bytes[2] = (uint8_t) rnd(trial % 2 ? 65 : 8);
		msg = visits_diff_check_bytes(bytes, n);
		if (msg != NULL)
		{
			failures++;
			if (first == NULL)
				first = msg;
		}
	}
	ok(failures == 0, "3000 random stored and new plans: the changes give the new plan, fewest changes, "
	   "planning again changes nothing%s%s", first ? ": " : "", first ? first : "");
}

int
main(void)
{
	test_cases();
	test_random();
	test_sort();
	test_group();
	test_subtract_match();
	test_pinned();
	test_group_random();
	test_find_pinned_targets();
	test_set_counts();
	test_diff_cases();
	test_diff_random();
	return done_testing();
}
