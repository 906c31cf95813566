/*
 * visits.h — grouping one subject's tasks into as few visits as possible (进一次门、查多项事), pure C.
 *
 * Each task that drew the subject is a closed interval of days [start, end] (its period). A visit
 * is a set of tasks that share at least one day. Using as few visits as possible is the minimum
 * stabbing points problem on closed intervals; it is solved exactly by the greedy rule:
 *
 *   sort by right end; walk the intervals; an interval that starts after the current point opens a
 *   new visit whose point is its own right end; every other interval joins the current visit.
 *
 * Optimality: the points p1 < p2 < ... chosen are right ends of intervals I1, I2, ... that are
 * pairwise disjoint (each Ik starts after p(k-1) >= end of I(k-1)), so any set of points that
 * stabs every interval needs at least as many points. Every interval joined to visit k starts at
 * or before pk and ends at or after pk (it comes later in right-end order), so pk lies in all of
 * them: the visit's window, the intersection of its intervals, is [max start, min end = pk].
 *
 * Days are plain int32 day numbers (PostgreSQL's DateADT is one); any ordered int32 scale works.
 */
#ifndef SUPERVISE_VISITS_H
#define SUPERVISE_VISITS_H

#include <stddef.h>
#include <stdint.h>

typedef struct visit_interval
{
	int32_t		start;			/* first day, inclusive */
	int32_t		end;			/* last day, inclusive; must be >= start */
	int64_t		key;			/* caller's tag (e.g. task id, row position): ties are broken by it */
	int32_t		group;			/* out: 0-based visit number, in increasing order of the point */
} visit_interval;

typedef struct visit_window
{
	int32_t		start;			/* the latest start of the visit's intervals */
	int32_t		end;			/* the earliest end = the greedy point */
	int32_t		count;			/* intervals in the visit */
} visit_window;

typedef enum visits_status
{
	VISITS_OK = 0,
	VISITS_BAD_INTERVAL			/* an interval ends before it starts; *bad receives its index */
} visits_status;

/*
 * Groups iv[0..n) into the minimum number of visits. Sorts iv in place by (end, start, key) and
 * sets iv[i].group; writes the window of visit g to windows[g] (windows must have room for n
 * entries, or be NULL); *ngroups receives the number of visits. Within the sorted array the
 * members of a visit are contiguous and groups increase. On VISITS_BAD_INTERVAL nothing is
 * sorted and *bad (if not NULL) receives the index of the first bad interval.
 * Runs in O(n log n) time and O(1) extra space besides the sort; never allocates.
 */
visits_status visits_plan(visit_interval *iv, size_t n, visit_window *windows, size_t *ngroups,
						  size_t *bad);

/* Same as visits_plan but for intervals already sorted by (end, start, key); O(n). */
visits_status visits_plan_sorted(visit_interval *iv, size_t n, visit_window *windows,
								 size_t *ngroups, size_t *bad);

/* The order visits_plan sorts by: end, then start, then key. Usable with qsort. */
int			visit_interval_cmp(const void *a, const void *b);

#endif							/* SUPERVISE_VISITS_H */
