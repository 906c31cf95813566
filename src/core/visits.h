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

#include "byteorder.h"
#include "radix.h"

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
	VISITS_BAD_INTERVAL,		/* an interval ends before it starts; *bad receives its index */
	VISITS_BAD_NUMBER,			/* a record names a task or set that is not there; *bad: the record */
	VISITS_UNSORTED				/* input that must be sorted is not; *bad: the first record out of order */
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

/* ---- a year's visits at once -----------------------------------------------------------------
 *
 * plan_visits reads a year's drawn targets (a million or more) and plans every subject at once.
 * Each target is a visit_key: the subject's code as stored (12 bytes whose byte order is the
 * code's order) and a 32-bit number kept big-endian, so that the byte order of the whole record
 * is (subject, number). Depending on the step the number is a task (its rank in the order of
 * visit_interval_cmp), a task set or a class of task sets. The functions below work on arrays of
 * such records; none of them allocates.
 */

#define VISIT_SUBJECT_LEN 12
#define VISITS_NONE ((size_t) -1)

typedef struct visit_key
{
	uint8_t		subject[VISIT_SUBJECT_LEN];
	uint8_t		num[4];			/* big-endian; use visit_key_num / visit_key_set_num */
} visit_key;
_Static_assert(sizeof(visit_key) <= RADIX_MAX_KEYLEN, "visit keys are sorted by radix_sort");

static inline uint32_t
visit_key_num(const visit_key *k)
{
	return (uint32_t) be_get(k->num, 4);
}

static inline void
visit_key_set_num(visit_key *k, uint32_t v)
{
	be_put(k->num, v, 4);
}

/* Byte order of two keys (subject, then number); usable with qsort. */
int			visit_key_cmp(const void *a, const void *b);

/* Records are sorted with radix_sort (radix.h) by their first sizeof(visit_key) bytes. */

/* One visit found by visits_group: targets[first .. first + count) of one subject. */
typedef struct visit_span
{
	size_t		first;
	uint32_t	count;
	int32_t		start;			/* window: the latest start of its tasks */
	int32_t		end;			/* the earliest end (the greedy point) */
} visit_span;

/*
 * Groups every subject's targets into the fewest visits. tasks[0..ntasks) are the year's drawn
 * tasks sorted by visit_interval_cmp (end, start, key); a target's number is the index of its task
 * there. targets[0..n) are sorted by visit_key_cmp, so each subject's targets come in the greedy's
 * order (visits.h, top). Writes one span per visit, in order (spans: room for n) and *nspans.
 * Within a span the task numbers ascend. Errors: VISITS_BAD_INTERVAL (a task ends before it
 * starts; *bad = its index), VISITS_UNSORTED (tasks: *bad = task index; targets: *bad = target
 * index), VISITS_BAD_NUMBER (a target's number >= ntasks; *bad = target index). O(n).
 */
visits_status visits_group(const visit_interval *tasks, size_t ntasks, const visit_key *targets, size_t n,
						   visit_span *spans, size_t *nspans, size_t *bad);

/*
 * Numbers the distinct task sets of the visits: combo[v] = the number (0, 1, ... in order of
 * first appearance) of the list of task numbers of spans[v]; rep[c] = the first visit with set c;
 * returns the number of sets. Two visits share a number exactly when their targets carry the same
 * task numbers in the same order (visits_group's spans ascend). table: scratch of table_size
 * entries, a power of two greater than nspans. Expected O(total targets).
 */
size_t		visits_combine(const visit_key *targets, const visit_span *spans, size_t nspans,
						   uint32_t *combo, size_t *rep, uint32_t *table, size_t table_size);

/*
 * Removes from keys[0..n) every record whose (subject, number) equals one of drop[0..m); both
 * sorted by visit_key_cmp. Keeps the order; returns the new n. O(n + m).
 */
size_t		visits_subtract(visit_key *keys, size_t n, const visit_key *drop, size_t m);

/*
 * Which existing visits are pinned (have an inspection): visits[0..nvisits) are (subject, set
 * number) sorted by visit_key_cmp; set s's task numbers are set_tasks[set_start[s] ..
 * set_start[s + 1]) (set_start has nsets + 1 entries); inspections[0..ninsp) are (subject, task
 * number), sorted. pinned[v] = 1 when an inspection has visit v's subject and one of its set's
 * tasks, else 0. VISITS_BAD_NUMBER: a visit's set >= nsets (*bad = visit); VISITS_UNSORTED.
 */
visits_status visits_pinned(const visit_key *visits, size_t nvisits, const size_t *set_start,
							const uint32_t *set_tasks, size_t nsets, const visit_key *inspections,
							size_t ninsp, uint8_t *pinned, size_t *bad);

/* The index of the first v in the ascending array a[0..n), or VISITS_NONE. O(log n). */
size_t		visits_find_id(const int64_t *a, size_t n, int64_t v);

/*
 * Pairs existing visits with planned ones of the same subject and class (a class: the same tasks
 * and draws). old[0..nold) are sorted by visit_key_cmp; planned[0..nnew) by subject only (a
 * subject's planned visits have distinct classes, in any order). old_match[i] = the planned visit
 * paired with old i, or VISITS_NONE; new_match[j] likewise. Each visit is paired at most once.
 * VISITS_UNSORTED: *bad = 0 for old, 1 for planned. O(nold + nnew * visits per subject).
 */
visits_status visits_match(const visit_key *old, size_t nold, const visit_key *planned, size_t nnew,
						   size_t *old_match, size_t *new_match, size_t *bad);

/* ---- the changes from the stored plan to the new one ---------------------------------------------
 *
 * A year's plan is stored as visits (subject, task set) and task sets (the tasks, each with the
 * draw that drew it, the window and the lead department; one row per year and set, shared by every
 * subject those tasks visit together). Planning again must change only what changed. visits_diff
 * decides, from the stored plan and the new one, what to write; the caller then stores the new
 * sets (those left with id 0), deletes, repoints and adds visits, and deletes the sets it names.
 *
 * The rules, in this order:
 *   1. Sets: a planned set equal to a stored one in everything (tasks, draws, window, lead) takes
 *      its id; the others keep id 0 (new). Two sets are of one class when they have the same tasks
 *      and draws (window or lead may differ).
 *   2. A pinned stored visit (one with an inspection, visits_pinned) is kept as it is, with its set;
 *      the caller has left its targets out of the new plan (visits_subtract).
 *   3. Every other stored visit is paired with a planned visit of the same subject and class, each
 *      at most once (visits_match). A paired visit is kept, with its id; it is moved to the planned
 *      visit's set when that is not the set it has (a period or the lead changed). An unpaired
 *      stored visit is removed; an unpaired planned visit is added.
 *   4. A stored set is kept when a pinned visit has it or a planned set took its id; every other
 *      stored set is dropped (no visit has it after the change).
 *
 * What follows: applying the changes to the stored plan gives exactly the new plan (the pinned
 * visits plus one visit for each planned one, with its subject and set, and the sets in use);
 * planning an unchanged year again gives no changes (every visit pairs with itself, every set
 * takes its own id); a visit that is made again keeps its id.
 */

/* A task set: stored (id > 0) or planned (id 0 until visits_diff or the caller stores it). */
typedef struct visit_set
{
	int64_t		id;
	const int64_t *task_ids;	/* n task ids, ascending */
	const int64_t *draw_ids;	/* draw_ids[i] drew task_ids[i] */
	uint32_t	n;
	int32_t		start;			/* window */
	int32_t		end;
	int64_t		lead;			/* lead department */
	uint32_t	cls;			/* out: equal for the sets of one class (same tasks and draws) */
} visit_set;

/*
 * What visits_diff decides. The caller points the arrays at room for: remove, move and move_to
 * nold entries each; add nvisits; drop_sets nstored. Indices are into the arrays given to
 * visits_diff; remove and move come in the order of (subject, class), add and drop_sets ascend.
 */
typedef struct visit_changes
{
	size_t	   *remove;			/* stored visits to delete (indices into old) */
	size_t		nremove;
	size_t	   *move;			/* stored visits to move to another set (indices into old) ... */
	uint32_t   *move_to;		/* ... and the planned set each moves to (index into planned) */
	size_t		nmove;
	size_t	   *add;			/* planned visits to insert (indices into visits) */
	size_t		nadd;
	size_t	   *drop_sets;		/* stored sets no visit has after the change (indices into stored) */
	size_t		ndrop_sets;
} visit_changes;

/*
 * The targets that pinned visits hold, which are not grouped again (rule 2): for every pinned
 * old[i] (subject, index of its set in sets) and every task of its set, the key (subject, rank[t])
 * of each live draw t of that task. task_ids[0..ntasks): the task of each live draw, ascending
 * (the draws of a task adjacent); rank[t]: draw t's number in visits_group's task order. A task
 * without a live draw gives no key. Writes the first cap keys to drop, in no particular order
 * (sort them for visits_subtract), and returns how many there are: call it with cap 0 to count.
 * A set index out of range is a bug of the caller (visits_pinned checks them), reported by
 * core_misuse() (misuse.h).
 */
size_t		visits_pinned_targets(const visit_key *old, const uint8_t *pinned, size_t nold,
								  const visit_set *sets, size_t nsets, const int64_t *task_ids,
								  const uint32_t *rank, size_t ntasks, visit_key *drop, size_t cap);

/*
 * How many visits each set has once the changes are written: every visit of the new plan (its set
 * planned_set[j] < nplanned_sets, an index into the planned sets, j < nvisits) and every pinned
 * stored visit (old[i] with pinned[i]; its set visit_key_num(&old[i]) < nstored, an index into the
 * stored sets). Writes planned_count[0..nplanned_sets) and stored_count[0..nstored). A planned set
 * that took a stored set's id (rule 1 below) is counted apart from it: the caller adds the two by
 * id. A set index out of range is a bug of the caller, reported by core_misuse() (misuse.h).
 */
void		visits_set_counts(const uint32_t *planned_set, size_t nvisits, size_t nplanned_sets,
							  const visit_key *old, const uint8_t *pinned, size_t nold, size_t nstored,
							  uint64_t *planned_count, uint64_t *stored_count);

/* Bytes of scratch visits_diff needs for these counts. */
size_t		visits_diff_scratch(size_t nstored, size_t nplanned, size_t nold, size_t nvisits);

/*
 * Decides the changes from the stored plan to the new one by the rules above.
 *   stored[0..nstored): the year's stored sets, ids > 0 and ascending;
 *   planned[0..nplanned): the new plan's sets, all with id 0 and pairwise of different classes
 *     (visits_combine numbers distinct task lists); planned[j].id receives the id of the stored
 *     set equal to it in everything, or stays 0;
 *   old[0..nold): the stored visits, (subject, index of its set in stored), in any order, with
 *     pinned[i] != 0 for a pinned one;
 *   visits[0..nvisits): the new plan's visits, (subject, index of its set in planned), sorted by
 *     subject (visits_group's spans are);
 *   scratch: visits_diff_scratch(nstored, nplanned, nold, nvisits) bytes.
 * Sets the cls of every set and fills out. Errors, before anything is written:
 * VISITS_BAD_NUMBER (a set index out of range; *bad = i for old[i], nold + j for visits[j]),
 * VISITS_UNSORTED (visits not sorted by subject; *bad = the first out of order). Calling it with
 * NULL arrays, stored ids not ascending or planned ids not 0 is a bug of the caller, reported by
 * core_misuse() (misuse.h). O((nstored + nplanned) log(nstored + nplanned) * set size + nold + nvisits * visits per
 * subject); never allocates.
 */
visits_status visits_diff(visit_set *stored, size_t nstored, visit_set *planned, size_t nplanned,
						  const visit_key *old, const uint8_t *pinned, size_t nold,
						  const visit_key *visits, size_t nvisits, void *scratch,
						  visit_changes *out, size_t *bad);

#endif							/* SUPERVISE_VISITS_H */
