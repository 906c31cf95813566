/*
 * visits.c — minimum stabbing points on closed day intervals, with the assignment of each interval
 * to its point (visit) and the window (intersection) of every visit. See visits.h for the proof.
 * Second half: the same for a whole year of subjects at once (what plan_visits runs), on arrays of
 * 16-byte (subject, number) records — a radix sort, the grouping, numbering the visits' task sets,
 * which stored visits are pinned, and the changes that turn the stored plan into the new one.
 */
#include "visits.h"
#include "misuse.h"

#include <stdlib.h>
#include <string.h>

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

/* ---- a year's visits at once ----------------------------------------------------------------- */

int
visit_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(visit_key));
}

visits_status
visits_group(const visit_interval *tasks, size_t ntasks, const visit_key *targets, size_t n,
			 visit_span *spans, size_t *nspans, size_t *bad)
{
	size_t		groups = 0;
	size_t		i = 0;

	for (size_t t = 0; t < ntasks; t++)
	{
		if (tasks[t].end < tasks[t].start)
		{
			if (bad)
				*bad = t;
			return VISITS_BAD_INTERVAL;
		}
		if (t > 0 && visit_interval_cmp(&tasks[t - 1], &tasks[t]) > 0)
		{
			if (bad)
				*bad = t;
			return VISITS_UNSORTED;
		}
	}
	for (size_t k = 0; k < n; k++)
	{
		if (visit_key_num(&targets[k]) >= ntasks)
		{
			if (bad)
				*bad = k;
			return VISITS_BAD_NUMBER;
		}
		if (k > 0 && visit_key_cmp(&targets[k - 1], &targets[k]) > 0)
		{
			if (bad)
				*bad = k;
			return VISITS_UNSORTED;
		}
	}

	/* one subject at a time: the greedy of visits_plan_sorted on its targets' tasks */
	while (i < n)
	{
		size_t		j = i;
		visit_span *cur = NULL;

		while (j < n && memcmp(targets[j].subject, targets[i].subject, VISIT_SUBJECT_LEN) == 0)
		{
			const visit_interval *iv = &tasks[visit_key_num(&targets[j])];

			if (cur == NULL || iv->start > cur->end)
			{
				cur = &spans[groups++];
				cur->first = j;
				cur->count = 0;
				cur->start = iv->start;
				cur->end = iv->end;
			}
			if (iv->start > cur->start)
				cur->start = iv->start;
			cur->count++;
			j++;
		}
		i = j;
	}
	if (nspans)
		*nspans = groups;
	return VISITS_OK;
}

static uint64_t
span_hash(const visit_key *targets, const visit_span *s)
{
	uint64_t	h = 0x9E3779B97F4A7C15ULL ^ s->count;

	for (uint32_t k = 0; k < s->count; k++)
	{
		h ^= visit_key_num(&targets[s->first + k]);
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

static int
same_tasks(const visit_key *targets, const visit_span *a, const visit_span *b)
{
	if (a->count != b->count)
		return 0;
	for (uint32_t k = 0; k < a->count; k++)
		if (memcmp(targets[a->first + k].num, targets[b->first + k].num, 4) != 0)
			return 0;
	return 1;
}

size_t
visits_combine(const visit_key *targets, const visit_span *spans, size_t nspans,
			   uint32_t *combo, size_t *rep, uint32_t *table, size_t table_size)
{
	size_t		ncombos = 0;
	size_t		mask = table_size - 1;

	/* table[slot] = combo number + 1, 0 = empty; open addressing, linear probing */
	memset(table, 0, table_size * sizeof(uint32_t));
	for (size_t v = 0; v < nspans; v++)
	{
		size_t		slot = (size_t) span_hash(targets, &spans[v]) & mask;

		for (;;)
		{
			uint32_t	c = table[slot];

			if (c == 0)
			{
				table[slot] = (uint32_t) (ncombos + 1);
				rep[ncombos] = v;
				combo[v] = (uint32_t) ncombos;
				ncombos++;
				break;
			}
			if (same_tasks(targets, &spans[rep[c - 1]], &spans[v]))
			{
				combo[v] = c - 1;
				break;
			}
			slot = (slot + 1) & mask;
		}
	}
	return ncombos;
}

size_t
visits_subtract(visit_key *keys, size_t n, const visit_key *drop, size_t m)
{
	size_t		out = 0,
				j = 0;

	for (size_t i = 0; i < n; i++)
	{
		int			c = 1;

		while (j < m && (c = visit_key_cmp(&drop[j], &keys[i])) < 0)
			j++;
		if (j < m && c == 0)
			continue;
		if (out != i)
			keys[out] = keys[i];
		out++;
	}
	return out;
}

static int
sorted_keys(const visit_key *k, size_t n, size_t *bad)
{
	for (size_t i = 1; i < n; i++)
		if (visit_key_cmp(&k[i - 1], &k[i]) > 0)
		{
			if (bad)
				*bad = i;
			return 0;
		}
	return 1;
}

visits_status
visits_pinned(const visit_key *visits, size_t nvisits, const size_t *set_start,
			  const uint32_t *set_tasks, size_t nsets, const visit_key *inspections,
			  size_t ninsp, uint8_t *pinned, size_t *bad)
{
	size_t		j = 0;

	for (size_t v = 0; v < nvisits; v++)
		if (visit_key_num(&visits[v]) >= nsets)
		{
			if (bad)
				*bad = v;
			return VISITS_BAD_NUMBER;
		}
	if (!sorted_keys(visits, nvisits, bad) || !sorted_keys(inspections, ninsp, bad))
		return VISITS_UNSORTED;

	for (size_t v = 0; v < nvisits; v++)
	{
		uint32_t	s = visit_key_num(&visits[v]);
		size_t		k;

		pinned[v] = 0;
		/* the subject's inspections: skip those of earlier subjects (visits ascend by subject) */
		while (j < ninsp && memcmp(inspections[j].subject, visits[v].subject, VISIT_SUBJECT_LEN) < 0)
			j++;
		for (k = j; k < ninsp && memcmp(inspections[k].subject, visits[v].subject, VISIT_SUBJECT_LEN) == 0 && !pinned[v]; k++)
		{
			uint32_t	t = visit_key_num(&inspections[k]);

			for (size_t x = set_start[s]; x < set_start[s + 1]; x++)
				if (set_tasks[x] == t)
				{
					pinned[v] = 1;
					break;
				}
		}
	}
	return VISITS_OK;
}

size_t
visits_find_id(const int64_t *a, size_t n, int64_t v)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == v ? lo : VISITS_NONE;
}

visits_status
visits_match(const visit_key *old, size_t nold, const visit_key *planned, size_t nnew,
			 size_t *old_match, size_t *new_match, size_t *bad)
{
	size_t		i = 0,
				j = 0;

	if (!sorted_keys(old, nold, NULL))
	{
		if (bad)
			*bad = 0;
		return VISITS_UNSORTED;
	}
	for (size_t k = 1; k < nnew; k++)
		if (memcmp(planned[k - 1].subject, planned[k].subject, VISIT_SUBJECT_LEN) > 0)
		{
			if (bad)
				*bad = 1;
			return VISITS_UNSORTED;
		}
	for (size_t k = 0; k < nold; k++)
		old_match[k] = VISITS_NONE;
	for (size_t k = 0; k < nnew; k++)
		new_match[k] = VISITS_NONE;

	/* walk both by subject; within one subject pair equal classes */
	while (i < nold && j < nnew)
	{
		int			c = memcmp(old[i].subject, planned[j].subject, VISIT_SUBJECT_LEN);
		size_t		i2,
					j2;

		if (c < 0)
		{
			i++;
			continue;
		}
		if (c > 0)
		{
			j++;
			continue;
		}
		for (i2 = i; i2 < nold && memcmp(old[i2].subject, old[i].subject, VISIT_SUBJECT_LEN) == 0; i2++)
			;
		for (j2 = j; j2 < nnew && memcmp(planned[j2].subject, planned[j].subject, VISIT_SUBJECT_LEN) == 0; j2++)
			;
		for (size_t b = j; b < j2; b++)
			for (size_t a = i; a < i2; a++)
				if (old_match[a] == VISITS_NONE && memcmp(old[a].num, planned[b].num, 4) == 0)
				{
					old_match[a] = b;
					new_match[b] = a;
					break;
				}
		i = i2;
		j = j2;
	}
	return VISITS_OK;
}


/* ---- the changes from the stored plan to the new one ---------------------------------------------- */

size_t
visits_pinned_targets(const visit_key *old, const uint8_t *pinned, size_t nold,
					  const visit_set *sets, size_t nsets, const int64_t *task_ids,
					  const uint32_t *rank, size_t ntasks, visit_key *drop, size_t cap)
{
	size_t		n = 0;

	for (size_t i = 0; i < nold; i++)
	{
		const visit_set *s;

		if (!pinned[i])
			continue;
		CORE_REQUIRE(visit_key_num(&old[i]) < nsets, "visits_pinned_targets");
		s = &sets[visit_key_num(&old[i])];
		for (uint32_t k = 0; k < s->n; k++)
			for (size_t t = visits_find_id(task_ids, ntasks, s->task_ids[k]);
				 t < ntasks && task_ids[t] == s->task_ids[k]; t++)
			{
				if (n < cap)
				{
					memcpy(drop[n].subject, old[i].subject, VISIT_SUBJECT_LEN);
					visit_key_set_num(&drop[n], rank[t]);
				}
				n++;
			}
	}
	return n;
}

void
visits_set_counts(const uint32_t *planned_set, size_t nvisits, size_t nplanned_sets,
				  const visit_key *old, const uint8_t *pinned, size_t nold, size_t nstored,
				  uint64_t *planned_count, uint64_t *stored_count)
{
	memset(planned_count, 0, nplanned_sets * sizeof(uint64_t));
	memset(stored_count, 0, nstored * sizeof(uint64_t));
	for (size_t j = 0; j < nvisits; j++)
	{
		CORE_REQUIRE(planned_set[j] < nplanned_sets, "visits_set_counts");
		planned_count[planned_set[j]]++;
	}
	for (size_t i = 0; i < nold; i++)
	{
		if (!pinned[i])
			continue;
		CORE_REQUIRE(visit_key_num(&old[i]) < nstored, "visits_set_counts");
		stored_count[visit_key_num(&old[i])]++;
	}
}

/* an unpinned stored visit keyed by (subject, class), with its index in old */
typedef struct diff_rec
{
	visit_key	key;
	size_t		idx;
} diff_rec;

/* the scratch of visits_diff, carved from one block (each part 16-byte aligned) */
typedef struct diff_scratch
{
	visit_set **all;			/* nstored + nplanned */
	diff_rec   *recs;			/* nold */
	diff_rec   *tmp;			/* nold, for radix_sort */
	visit_key  *okeys;			/* nold */
	visit_key  *nkeys;			/* nvisits */
	size_t	   *old_match;		/* nold */
	size_t	   *new_match;		/* nvisits */
	uint8_t    *kept;			/* nstored */
} diff_scratch;

static size_t
round16(size_t n)
{
	return (n + 15) & ~(size_t) 15;
}

static size_t
diff_layout(diff_scratch *d, char *base, size_t nstored, size_t nplanned, size_t nold, size_t nvisits)
{
	size_t		off = 0;

#define DIFF_PART(field, count) do { \
		if (d) \
			d->field = (void *) (base + off); \
		off += round16((count) * sizeof(*d->field)); \
	} while (0)
	DIFF_PART(all, nstored + nplanned);
	DIFF_PART(recs, nold);
	DIFF_PART(tmp, nold);
	DIFF_PART(okeys, nold);
	DIFF_PART(nkeys, nvisits);
	DIFF_PART(old_match, nold);
	DIFF_PART(new_match, nvisits);
	DIFF_PART(kept, nstored);
#undef DIFF_PART
	return off;
}

size_t
visits_diff_scratch(size_t nstored, size_t nplanned, size_t nold, size_t nvisits)
{
	return diff_layout(NULL, NULL, nstored, nplanned, nold, nvisits);
}

/* the class order: task count, task ids, draw ids */
static int
set_class_cmp(const visit_set *a, const visit_set *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->task_ids[i] != b->task_ids[i])
			return a->task_ids[i] < b->task_ids[i] ? -1 : 1;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->draw_ids[i] != b->draw_ids[i])
			return a->draw_ids[i] < b->draw_ids[i] ? -1 : 1;
	return 0;
}

/* equal in everything: class, window, lead */
static int
set_full_cmp(const visit_set *a, const visit_set *b)
{
	int			c = set_class_cmp(a, b);

	if (c != 0)
		return c;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	if (a->lead != b->lead)
		return a->lead < b->lead ? -1 : 1;
	return 0;
}

/* the full order, then stored sets (by id) before planned ones (id 0) */
static int
set_ptr_cmp(const void *a, const void *b)
{
	const visit_set *x = *(visit_set *const *) a;
	const visit_set *y = *(visit_set *const *) b;
	int			c = set_full_cmp(x, y);

	if (c != 0)
		return c;
	if ((x->id == 0) != (y->id == 0))
		return x->id == 0 ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Rule 1: numbers the classes over stored and planned sets; a planned set equal in everything to
 * a stored one takes its id (the first such stored set) and keeps that set.
 */
static void
classify_sets(visit_set *stored, size_t nstored, visit_set *planned, size_t nplanned, diff_scratch *d)
{
	size_t		n = nstored + nplanned;
	uint32_t	cls = 0;
	visit_set  *same = NULL;

	for (size_t i = 0; i < nstored; i++)
		d->all[i] = &stored[i];
	for (size_t j = 0; j < nplanned; j++)
		d->all[nstored + j] = &planned[j];
	if (n > 1)
		qsort(d->all, n, sizeof(visit_set *), set_ptr_cmp);
	for (size_t i = 0; i < n; i++)
	{
		visit_set  *s = d->all[i];

		if (i > 0 && set_class_cmp(d->all[i - 1], s) != 0)
			cls++;
		if (i == 0 || set_full_cmp(d->all[i - 1], s) != 0)
			same = s->id != 0 ? s : NULL;	/* the stored equal one comes first, if any */
		s->cls = cls;
		if (s->id == 0 && same != NULL)
		{
			s->id = same->id;
			d->kept[same - stored] = 1;
		}
	}
}

visits_status
visits_diff(visit_set *stored, size_t nstored, visit_set *planned, size_t nplanned,
			const visit_key *old, const uint8_t *pinned, size_t nold,
			const visit_key *visits, size_t nvisits, void *scratch,
			visit_changes *out, size_t *bad)
{
	diff_scratch d;
	size_t		m = 0;

	CORE_REQUIRE(out != NULL && scratch != NULL, "visits_diff");
	CORE_REQUIRE(nstored == 0 || stored != NULL, "visits_diff");
	CORE_REQUIRE(nplanned == 0 || planned != NULL, "visits_diff");
	CORE_REQUIRE(nold == 0 || (old != NULL && pinned != NULL && out->remove != NULL && out->move != NULL
						 && out->move_to != NULL), "visits_diff");
	CORE_REQUIRE(nvisits == 0 || (visits != NULL && out->add != NULL), "visits_diff");
	CORE_REQUIRE(nstored == 0 || out->drop_sets != NULL, "visits_diff");
	for (size_t i = 0; i < nstored; i++)
		CORE_REQUIRE(stored[i].id > 0 && (i == 0 || stored[i - 1].id < stored[i].id), "visits_diff");
	for (size_t j = 0; j < nplanned; j++)
		CORE_REQUIRE(planned[j].id == 0, "visits_diff");

	/* check everything before changing anything */
	for (size_t i = 0; i < nold; i++)
		if (visit_key_num(&old[i]) >= nstored)
		{
			if (bad)
				*bad = i;
			return VISITS_BAD_NUMBER;
		}
	for (size_t j = 0; j < nvisits; j++)
	{
		if (visit_key_num(&visits[j]) >= nplanned)
		{
			if (bad)
				*bad = nold + j;
			return VISITS_BAD_NUMBER;
		}
		if (j > 0 && memcmp(visits[j - 1].subject, visits[j].subject, VISIT_SUBJECT_LEN) > 0)
		{
			if (bad)
				*bad = j;
			return VISITS_UNSORTED;
		}
	}

	diff_layout(&d, (char *) scratch, nstored, nplanned, nold, nvisits);
	memset(d.kept, 0, nstored);
	classify_sets(stored, nstored, planned, nplanned, &d);

	/* rule 2: pinned visits keep their sets; the others by (subject, class), stably */
	for (size_t i = 0; i < nold; i++)
	{
		uint32_t	s = visit_key_num(&old[i]);

		if (pinned[i])
		{
			d.kept[s] = 1;
			continue;
		}
		d.recs[m].key = old[i];
		visit_key_set_num(&d.recs[m].key, stored[s].cls);
		d.recs[m].idx = i;
		m++;
	}
	radix_sort(d.recs, d.tmp, m, sizeof(diff_rec), sizeof(visit_key));
	for (size_t k = 0; k < m; k++)
		d.okeys[k] = d.recs[k].key;
	for (size_t j = 0; j < nvisits; j++)
	{
		d.nkeys[j] = visits[j];
		visit_key_set_num(&d.nkeys[j], planned[visit_key_num(&visits[j])].cls);
	}

	/* rule 3: pair by (subject, class); the inputs were checked, so this cannot fail */
	if (visits_match(d.okeys, m, d.nkeys, nvisits, d.old_match, d.new_match, NULL) != VISITS_OK)
		core_misuse("visits_diff", "visits_match refused checked input");
	out->nremove = out->nmove = out->nadd = out->ndrop_sets = 0;
	for (size_t k = 0; k < m; k++)
	{
		size_t		i = d.recs[k].idx;

		if (d.old_match[k] == VISITS_NONE)
			out->remove[out->nremove++] = i;
		else
		{
			uint32_t	to = visit_key_num(&visits[d.old_match[k]]);

			if (planned[to].id != stored[visit_key_num(&old[i])].id)
			{
				out->move[out->nmove] = i;
				out->move_to[out->nmove] = to;
				out->nmove++;
			}
		}
	}
	for (size_t j = 0; j < nvisits; j++)
		if (d.new_match[j] == VISITS_NONE)
			out->add[out->nadd++] = j;

	/* rule 4 */
	for (size_t s = 0; s < nstored; s++)
		if (!d.kept[s])
			out->drop_sets[out->ndrop_sets++] = s;
	return VISITS_OK;
}
