/*
 * visits.c — minimum stabbing points on closed day intervals, with the assignment of each interval
 * to its point (visit) and the window (intersection) of every visit. See visits.h for the proof.
 */
#include "visits.h"

#include <stdlib.h>

int
visit_interval_cmp(const void *a, const void *b)
{
	const visit_interval *x = (const visit_interval *) a;
	const visit_interval *y = (const visit_interval *) b;

	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

static int
check_intervals(const visit_interval *iv, size_t n, size_t *bad)
{
	for (size_t i = 0; i < n; i++)
	{
		if (iv[i].end < iv[i].start)
		{
			if (bad)
				*bad = i;
			return 0;
		}
	}
	return 1;
}

static int
is_sorted(const visit_interval *iv, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (visit_interval_cmp(&iv[i - 1], &iv[i]) > 0)
			return 0;
	return 1;
}

static size_t
greedy(visit_interval *iv, size_t n, visit_window *windows)
{
	size_t		groups = 0;
	int32_t		point = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (groups == 0 || iv[i].start > point)
		{
			/* not stabbed by the current point: open a visit at this interval's right end */
			point = iv[i].end;
			if (windows)
			{
				windows[groups].start = iv[i].start;
				windows[groups].end = point;
				windows[groups].count = 0;
			}
			groups++;
		}
		/* start <= point <= end (ends are non-decreasing): the point lies in this interval */
		iv[i].group = (int32_t) (groups - 1);
		if (windows)
		{
			visit_window *w = &windows[groups - 1];

			if (iv[i].start > w->start)
				w->start = iv[i].start;
			w->count++;
		}
	}
	return groups;
}

visits_status
visits_plan_sorted(visit_interval *iv, size_t n, visit_window *windows, size_t *ngroups, size_t *bad)
{
	size_t		groups;

	if (!check_intervals(iv, n, bad))
		return VISITS_BAD_INTERVAL;
	groups = greedy(iv, n, windows);
	if (ngroups)
		*ngroups = groups;
	return VISITS_OK;
}

visits_status
visits_plan(visit_interval *iv, size_t n, visit_window *windows, size_t *ngroups, size_t *bad)
{
	if (!check_intervals(iv, n, bad))
		return VISITS_BAD_INTERVAL;
	/* rows usually arrive already in this order (the SQL sorts them): skip the sort then */
	if (n > 1 && !is_sorted(iv, n))
		qsort(iv, n, sizeof(visit_interval), visit_interval_cmp);
	return visits_plan_sorted(iv, n, windows, ngroups, bad);
}
