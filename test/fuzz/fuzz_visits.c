/*
 * libFuzzer harness of src/core/visits.c (tasks into as few visits as possible). The input is a
 * list of intervals (start, length or a raw end, key), sometimes with an end before the start.
 *
 * A bad interval is reported by index, nothing sorted. Otherwise, for visits_plan:
 *   the output is a permutation of the input sorted by (end, start, key);
 *   groups start at 0, never decrease, step by at most 1, members of a group are contiguous;
 *   each window is the exact intersection of its members' intervals (max start, min end), is not
 *   empty, and its count is the number of members;
 *   the number of groups is minimal: the interval ending at each window's end, one per group,
 *   are pairwise disjoint (no set of fewer points can stab them all);
 *   visits_plan_sorted on the sorted output gives the same groups and windows.
 */
#include "fuzz.h"
#include "visits.h"

#define MAX_IV 512

static int
same_interval(const visit_interval *a, const visit_interval *b)
{
	return a->start == b->start && a->end == b->end && a->key == b->key;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in		in = {data, size};
	static visit_interval iv[MAX_IV],
				orig[MAX_IV],
				again[MAX_IV];
	static visit_window win[MAX_IV],
				win2[MAX_IV];
	static int	used[MAX_IV];
	size_t		n = 0,
				ngroups = 0,
				ngroups2 = 0,
				bad = (size_t) -1;
	int			wide = (int) (fuzz_u8(&in) & 1);	/* raw 32-bit days, or days near 0 */
	int			expect_bad = -1;
	visits_status st;

	while (in.left >= 5 && n < MAX_IV)
	{
		visit_interval *v = &iv[n];

		if (wide)
		{
			v->start = (int32_t) fuzz_u32(&in);
			v->end = (int32_t) fuzz_u32(&in);
		}
		else
		{
			v->start = (int32_t) (int16_t) fuzz_u16(&in);
			v->end = v->start + (int32_t) fuzz_u8(&in) - 8;	/* sometimes ends before it starts */
		}
		v->key = (int64_t) fuzz_u8(&in) - 128;
		v->group = -7;
		if (v->end < v->start && expect_bad < 0)
			expect_bad = (int) n;
		n++;
	}
	memcpy(orig, iv, n * sizeof(visit_interval));

	st = visits_plan(iv, n, win, &ngroups, &bad);
	if (expect_bad >= 0)
	{
		CHECK(st == VISITS_BAD_INTERVAL && bad == (size_t) expect_bad, "bad interval %d: status %d, index %zu",
			  expect_bad, (int) st, bad);
		CHECK(memcmp(iv, orig, n * sizeof(visit_interval)) == 0, "intervals moved although one is bad");
		return 0;
	}
	CHECK(st == VISITS_OK, "status %d for good intervals", (int) st);
	CHECK(n == 0 ? ngroups == 0 : ngroups >= 1 && ngroups <= n, "%zu groups for %zu intervals", ngroups, n);

	/* a sorted permutation of the input */
	memset(used, 0, n * sizeof(int));
	for (size_t i = 0; i < n; i++)
	{
		size_t		j;

		if (i > 0)
			CHECK(visit_interval_cmp(&iv[i - 1], &iv[i]) <= 0, "output not sorted at %zu", i);
		for (j = 0; j < n; j++)
			if (!used[j] && same_interval(&iv[i], &orig[j]))
				break;
		CHECK(j < n, "output interval %zu [%d, %d] key %lld is not an input interval", i, iv[i].start, iv[i].end,
			  (long long) iv[i].key);
		used[j] = 1;
	}

	/* groups contiguous and increasing; windows are the intersections */
	for (size_t g = 0, i = 0; g < ngroups; g++)
	{
		int32_t		lo = INT32_MIN,
					hi = INT32_MAX;
		int32_t		count = 0;
		size_t		opener = (size_t) -1;

		CHECK(i < n && iv[i].group == (int32_t) g, "group %zu does not start at %zu", g, i);
		for (; i < n && iv[i].group == (int32_t) g; i++)
		{
			if (iv[i].start > lo)
				lo = iv[i].start;
			if (iv[i].end < hi)
				hi = iv[i].end;
			if (opener == (size_t) -1 && iv[i].end == win[g].end)
				opener = i;
			count++;
		}
		CHECK(win[g].start == lo && win[g].end == hi && win[g].count == count,
			  "group %zu window [%d, %d] x%d, intersection [%d, %d] x%d", g, win[g].start, win[g].end,
			  win[g].count, lo, hi, count);
		CHECK(lo <= hi, "group %zu has an empty window [%d, %d]", g, lo, hi);
		CHECK(opener != (size_t) -1, "group %zu: no member ends at the window's end", g);
		if (g + 1 == ngroups)
			CHECK(i == n, "intervals after the last group (%zu of %zu)", i, n);
		/* minimality: the openers are pairwise disjoint; ends increase, so each starts after the last */
		if (g > 0)
			CHECK(iv[opener].start > win[g - 1].end, "group %zu's interval [%d, %d] meets group %zu's point %d",
				  g, iv[opener].start, iv[opener].end, g - 1, win[g - 1].end);
	}

	memcpy(again, iv, n * sizeof(visit_interval));
	for (size_t i = 0; i < n; i++)
		again[i].group = -7;
	CHECK(visits_plan_sorted(again, n, win2, &ngroups2, NULL) == VISITS_OK && ngroups2 == ngroups,
		  "visits_plan_sorted: %zu groups, visits_plan %zu", ngroups2, ngroups);
	for (size_t i = 0; i < n; i++)
		CHECK(again[i].group == iv[i].group, "visits_plan_sorted puts %zu in group %d, not %d", i, again[i].group, iv[i].group);
	CHECK(ngroups == 0 || memcmp(win, win2, ngroups * sizeof(visit_window)) == 0, "windows differ");
	return 0;
}
