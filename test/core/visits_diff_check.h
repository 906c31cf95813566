/*
 * The properties of visits_diff (src/core/visits.h, "the changes from the stored plan to the new
 * one"), checked by plain reference code; shared by test/core/test_visits.c and the libFuzzer
 * harness test/fuzz/fuzz_visits_diff.c.
 *
 * visits_diff_check(...) runs visits_diff on a stored plan and a new one and checks:
 *   - sets: a planned set takes the id of the first stored set equal to it in everything, else
 *     keeps 0; two sets share a class exactly when they have the same tasks and draws;
 *   - applying the changes to the stored plan gives exactly the new plan: the pinned visits plus
 *     one visit per planned visit, each with its subject and a set equal to its planned set;
 *   - fewest changes: for every (subject, class), as many stored visits are removed or planned
 *     ones added as the counts differ, so every other stored visit keeps its id; a visit is
 *     moved only to a set with another id; the sets dropped are exactly the stored sets no visit
 *     has after the change (and none a planned set took over);
 *   - planning again: the plan after the change, stored, with the same new plan gives no change
 *     at all, and every planned set gets the id it had.
 * Returns NULL when all hold, else a message. Preconditions as visits_diff's, and: every planned
 * set has a visit, and a subject has at most one visit of each planned set. Uses malloc.
 *
 * visits_diff_check_bytes(data, size) makes such a case from bytes (the fuzz input, or random
 * bytes in the unit test) and checks it: up to 8 stored and 8 planned sets (which tasks, which
 * draws, window end, lead: few values, so that sets are often equal or of one class), the stored
 * visits (subject, set, pinned) and which subjects the new plan visits with each planned set.
 */
#ifndef SUPERVISE_VISITS_DIFF_CHECK_H
#define SUPERVISE_VISITS_DIFF_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "visits.h"

static char vdc_msg[200];

static int
vdc_same_class(const visit_set *a, const visit_set *b)
{
	return a->n == b->n && memcmp(a->task_ids, b->task_ids, a->n * sizeof(int64_t)) == 0
		&& memcmp(a->draw_ids, b->draw_ids, a->n * sizeof(int64_t)) == 0;
}

static int
vdc_same_set(const visit_set *a, const visit_set *b)
{
	return vdc_same_class(a, b) && a->start == b->start && a->end == b->end && a->lead == b->lead;
}

static int
vdc_same_subject(const visit_key *a, const visit_key *b)
{
	return memcmp(a->subject, b->subject, VISIT_SUBJECT_LEN) == 0;
}

/* a visit after the change: its subject and its set (stored or planned) */
typedef struct vdc_visit
{
	const visit_key *subject;
	const visit_set *set;
	int			used;
} vdc_visit;

static void *
vdc_alloc(size_t n)
{
	void	   *p = calloc(n ? n : 1, 1);

	if (p == NULL)
		abort();
	return p;
}

/* runs visits_diff; *out's arrays are allocated here (free them with vdc_free_changes) */
static visits_status
vdc_run(visit_set *stored, size_t nstored, visit_set *planned, size_t nplanned, const visit_key *old,
		const uint8_t *pinned, size_t nold, const visit_key *visits, size_t nvisits, visit_changes *out,
		size_t *bad)
{
	void	   *scratch = vdc_alloc(visits_diff_scratch(nstored, nplanned, nold, nvisits));
	visits_status st;

	out->remove = (size_t *) vdc_alloc(nold * sizeof(size_t));
	out->move = (size_t *) vdc_alloc(nold * sizeof(size_t));
	out->move_to = (uint32_t *) vdc_alloc(nold * sizeof(uint32_t));
	out->add = (size_t *) vdc_alloc(nvisits * sizeof(size_t));
	out->drop_sets = (size_t *) vdc_alloc(nstored * sizeof(size_t));
	st = visits_diff(stored, nstored, planned, nplanned, old, pinned, nold, visits, nvisits, scratch, out, bad);
	free(scratch);
	return st;
}

static void
vdc_free_changes(visit_changes *c)
{
	free(c->remove);
	free(c->move);
	free(c->move_to);
	free(c->add);
	free(c->drop_sets);
}

#define VDC_FAIL(...) do { snprintf(vdc_msg, sizeof(vdc_msg), __VA_ARGS__); goto done; } while (0)

static const char *
visits_diff_check(visit_set *stored, size_t nstored, visit_set *planned, size_t nplanned,
				  const visit_key *old, const uint8_t *pinned, size_t nold,
				  const visit_key *visits, size_t nvisits)
{
	visit_changes ch,
				ch2;
	const char *result = vdc_msg;
	uint8_t    *removed = (uint8_t *) vdc_alloc(nold),
			   *added = (uint8_t *) vdc_alloc(nvisits),
			   *dropped = (uint8_t *) vdc_alloc(nstored);
	uint32_t   *moved_to = (uint32_t *) vdc_alloc(nold * sizeof(uint32_t));
	vdc_visit  *after = (vdc_visit *) vdc_alloc((nold + nvisits) * sizeof(vdc_visit));
	size_t		nafter = 0;
	visit_set  *stored2 = (visit_set *) vdc_alloc((nstored + nplanned) * sizeof(visit_set)),
			   *planned2 = (visit_set *) vdc_alloc(nplanned * sizeof(visit_set));
	visit_key  *old2 = (visit_key *) vdc_alloc((nold + nvisits) * sizeof(visit_key));
	uint8_t    *pinned2 = (uint8_t *) vdc_alloc(nold + nvisits);
	int64_t    *id1 = (int64_t *) vdc_alloc(nplanned * sizeof(int64_t));
	size_t		nstored2 = 0,
				bad = 0;
	int64_t		next_id = 1;
	visits_status st;

	memset(&ch, 0, sizeof(ch));
	memset(&ch2, 0, sizeof(ch2));
	vdc_msg[0] = '\0';
	st = vdc_run(stored, nstored, planned, nplanned, old, pinned, nold, visits, nvisits, &ch, &bad);
	if (st != VISITS_OK)
		VDC_FAIL("visits_diff: status %d at %zu", (int) st, bad);

	/* sets: ids taken over, classes */
	for (size_t j = 0; j < nplanned; j++)
	{
		int64_t		want = 0;

		for (size_t s = 0; s < nstored && want == 0; s++)
			if (vdc_same_set(&planned[j], &stored[s]))
				want = stored[s].id;
		if (planned[j].id != want)
			VDC_FAIL("planned set %zu has id %lld, the first equal stored set %lld", j,
					 (long long) planned[j].id, (long long) want);
		id1[j] = planned[j].id;
	}
	for (size_t a = 0; a < nstored + nplanned; a++)
		for (size_t b = a + 1; b < nstored + nplanned; b++)
		{
			const visit_set *x = a < nstored ? &stored[a] : &planned[a - nstored];
			const visit_set *y = b < nstored ? &stored[b] : &planned[b - nstored];

			if (vdc_same_class(x, y) != (x->cls == y->cls))
				VDC_FAIL("sets %zu and %zu: same tasks and draws %d, same class %d", a, b,
						 vdc_same_class(x, y), x->cls == y->cls);
		}

	/* the changes name each visit or set once, never a pinned visit */
	for (size_t k = 0; k < ch.nremove; k++)
	{
		size_t		i = ch.remove[k];

		if (i >= nold || removed[i] || pinned[i])
			VDC_FAIL("remove names stored visit %zu twice, out of range or pinned", i);
		removed[i] = 1;
	}
	for (size_t k = 0; k < ch.nmove; k++)
	{
		size_t		i = ch.move[k];

		if (i >= nold || removed[i] || moved_to[i] || pinned[i] || ch.move_to[k] >= nplanned)
			VDC_FAIL("move names stored visit %zu twice, out of range, pinned or removed", i);
		moved_to[i] = ch.move_to[k] + 1;
		if (planned[ch.move_to[k]].id == stored[visit_key_num(&old[i])].id)
			VDC_FAIL("stored visit %zu moved to the set it has", i);
	}
	for (size_t k = 0; k < ch.nadd; k++)
	{
		if (ch.add[k] >= nvisits || added[ch.add[k]] || (k > 0 && ch.add[k - 1] >= ch.add[k]))
			VDC_FAIL("add: %zu twice, out of range or not ascending", ch.add[k]);
		added[ch.add[k]] = 1;
	}
	for (size_t k = 0; k < ch.ndrop_sets; k++)
	{
		if (ch.drop_sets[k] >= nstored || (k > 0 && ch.drop_sets[k - 1] >= ch.drop_sets[k]))
			VDC_FAIL("drop_sets: %zu out of range or not ascending", ch.drop_sets[k]);
		dropped[ch.drop_sets[k]] = 1;
	}

	/* apply the changes */
	for (size_t i = 0; i < nold; i++)
		if (!removed[i])
		{
			after[nafter].subject = &old[i];
			after[nafter].set = moved_to[i] ? &planned[moved_to[i] - 1] : &stored[visit_key_num(&old[i])];
			nafter++;
		}
	for (size_t j = 0; j < nvisits; j++)
		if (added[j])
		{
			after[nafter].subject = &visits[j];
			after[nafter].set = &planned[visit_key_num(&visits[j])];
			nafter++;
		}

	/* ... gives the pinned visits and the new plan, each once */
	for (size_t w = 0; w < nold + nvisits; w++)
	{
		int			pin = w < nold;
		const visit_key *subject = pin ? &old[w] : &visits[w - nold];
		const visit_set *set = pin ? &stored[visit_key_num(&old[w])] : &planned[visit_key_num(&visits[w - nold])];
		size_t		a;

		if (pin && !pinned[w])
			continue;
		for (a = 0; a < nafter; a++)
			if (!after[a].used && vdc_same_subject(after[a].subject, subject) && vdc_same_set(after[a].set, set)
				&& (!pin || after[a].subject == subject))
				break;
		if (a == nafter)
			VDC_FAIL("%s %zu is not in the plan after the changes", pin ? "pinned visit" : "planned visit",
					 pin ? w : w - nold);
		after[a].used = 1;
	}
	for (size_t a = 0; a < nafter; a++)
		if (!after[a].used)
			VDC_FAIL("a visit after the changes is neither pinned nor planned");

	/* fewest changes: per (subject, class) the counts differ by what is removed or added */
	for (size_t w = 0; w < nold + nvisits; w++)
	{
		const visit_key *subject = w < nold ? &old[w] : &visits[w - nold];
		const visit_set *set = w < nold ? &stored[visit_key_num(&old[w])] : &planned[visit_key_num(&visits[w - nold])];
		long		nold_same = 0,
					nnew_same = 0,
					nremoved = 0,
					nadded = 0;

		if (w < nold && pinned[w])
			continue;
		for (size_t i = 0; i < nold; i++)
			if (!pinned[i] && vdc_same_subject(&old[i], subject) && stored[visit_key_num(&old[i])].cls == set->cls)
			{
				nold_same++;
				nremoved += removed[i];
			}
		for (size_t j = 0; j < nvisits; j++)
			if (vdc_same_subject(&visits[j], subject) && planned[visit_key_num(&visits[j])].cls == set->cls)
			{
				nnew_same++;
				nadded += added[j];
			}
		if (nremoved != (nold_same > nnew_same ? nold_same - nnew_same : 0)
			|| nadded != (nnew_same > nold_same ? nnew_same - nold_same : 0))
			VDC_FAIL("a subject and class with %ld stored and %ld planned visits: %ld removed, %ld added",
					 nold_same, nnew_same, nremoved, nadded);
	}

	/* the sets dropped are those no visit has after the change */
	for (size_t s = 0; s < nstored; s++)
	{
		int			used = 0;

		for (size_t a = 0; a < nafter && !used; a++)
			used = after[a].set->id == stored[s].id;
		for (size_t j = 0; j < nplanned && !used; j++)
			used = planned[j].id == stored[s].id;
		if (used == dropped[s])
			VDC_FAIL("stored set %zu (id %lld): in use %d, dropped %d", s, (long long) stored[s].id, used, dropped[s]);
	}

	/* planning again: store the plan after the change, plan the same year */
	for (size_t s = 0; s < nstored; s++)
		if (!dropped[s])
		{
			stored2[nstored2++] = stored[s];
			next_id = stored[s].id + 1;
		}
	for (size_t j = 0; j < nplanned; j++)
	{
		planned2[j] = planned[j];
		planned2[j].id = 0;
		if (planned[j].id == 0)
		{
			id1[j] = next_id;
			stored2[nstored2] = planned[j];
			stored2[nstored2++].id = next_id++;
		}
	}
	for (size_t a = 0; a < nafter; a++)
	{
		int64_t		id = after[a].set->id;
		size_t		s;

		if (id == 0)
			id = id1[after[a].set - planned];
		for (s = 0; s < nstored2 && stored2[s].id != id; s++)
			;
		if (s == nstored2)
			VDC_FAIL("a visit after the change has set id %lld, which is not stored", (long long) id);
		old2[a] = *after[a].subject;
		visit_key_set_num(&old2[a], (uint32_t) s);
		pinned2[a] = (uint8_t) (after[a].subject >= old && after[a].subject < old + nold
								&& pinned[after[a].subject - old]);
	}
	st = vdc_run(stored2, nstored2, planned2, nplanned, old2, pinned2, nafter, visits, nvisits, &ch2, &bad);
	if (st != VISITS_OK)
		VDC_FAIL("planning again: status %d at %zu", (int) st, bad);
	if (ch2.nremove || ch2.nmove || ch2.nadd || ch2.ndrop_sets)
		VDC_FAIL("planning again changes: %zu removed, %zu moved, %zu added, %zu sets dropped",
				 ch2.nremove, ch2.nmove, ch2.nadd, ch2.ndrop_sets);
	for (size_t j = 0; j < nplanned; j++)
		if (planned2[j].id != id1[j])
			VDC_FAIL("planning again: set %zu has id %lld, before %lld", j, (long long) planned2[j].id,
					 (long long) id1[j]);
	result = NULL;

done:
	vdc_free_changes(&ch);
	vdc_free_changes(&ch2);
	free(removed);
	free(added);
	free(dropped);
	free(moved_to);
	free(after);
	free(stored2);
	free(planned2);
	free(old2);
	free(pinned2);
	free(id1);
	return result;
}

#undef VDC_FAIL

/* ---- a case from bytes ---- */

#define VDC_MAX_SETS 8
#define VDC_MAX_SUBJECTS 16
#define VDC_MAX_OLD 64

typedef struct vdc_bytes
{
	const uint8_t *p;
	size_t		left;
} vdc_bytes;

static uint32_t
vdc_byte(vdc_bytes *in)			/* 0 once the bytes are used up */
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static const int64_t vdc_task_ids[] = {1, 2, 3, 4, 5, 6, 7, 8};
static const int64_t vdc_draw_ids[2][8] = {{10, 20, 30, 40, 50, 60, 70, 80}, {11, 21, 31, 41, 51, 61, 71, 81}};

static visit_set
vdc_read_set(vdc_bytes *in, int64_t id)
{
	visit_set	s;
	uint32_t	b = vdc_byte(in);
	uint32_t	first = b & 3;	/* tasks first+1 .. first+n */

	memset(&s, 0, sizeof(s));
	s.id = id;
	s.n = 1 + ((b >> 2) & 3);
	s.task_ids = vdc_task_ids + first;
	s.draw_ids = vdc_draw_ids[(b >> 4) & 1] + first;
	s.start = 0;
	s.end = (int32_t) ((b >> 5) & 1);
	s.lead = 1 + ((b >> 6) & 1);
	return s;
}

static void
vdc_subject(visit_key *k, uint32_t subject, uint32_t num)
{
	memset(k->subject, 0, VISIT_SUBJECT_LEN);
	k->subject[0] = (uint8_t) (subject * 7);	/* a first byte that varies */
	k->subject[VISIT_SUBJECT_LEN - 1] = (uint8_t) subject;
	visit_key_set_num(k, num);
}

static const char *
visits_diff_check_bytes(const uint8_t *data, size_t size)
{
	vdc_bytes	in = {data, size};
	visit_set	stored[VDC_MAX_SETS],
				planned[VDC_MAX_SETS];
	visit_key	old[VDC_MAX_OLD],
				visits[VDC_MAX_SETS * (VDC_MAX_SUBJECTS + 1)];
	uint8_t		pinned[VDC_MAX_OLD],
				has_visit[VDC_MAX_SETS] = {0};
	size_t		nstored = vdc_byte(&in) % (VDC_MAX_SETS + 1),
				want_planned = 1 + vdc_byte(&in) % VDC_MAX_SETS,
				nplanned = 0,
				nold = vdc_byte(&in) % (VDC_MAX_OLD + 1),
				nvisits = 0;
	int64_t		id = 0;

	for (size_t s = 0; s < nstored; s++)
	{
		id += 1 + vdc_byte(&in) % 3;
		stored[s] = vdc_read_set(&in, id);
	}
	/* planned sets are of pairwise different classes (visits_combine's are) */
	for (size_t t = 0; t < want_planned; t++)
	{
		visit_set	c = vdc_read_set(&in, 0);
		int			dup = 0;

		for (size_t j = 0; j < nplanned; j++)
			dup |= vdc_same_class(&c, &planned[j]);
		if (!dup)
			planned[nplanned++] = c;
	}
	if (nstored == 0)
		nold = 0;
	for (size_t i = 0; i < nold; i++)
	{
		uint32_t	b = vdc_byte(&in);

		vdc_subject(&old[i], b % VDC_MAX_SUBJECTS, vdc_byte(&in) % nstored);
		pinned[i] = (b & 0x80) != 0;
	}
	/* the new plan: by subject, each planned set at most once a subject, every one at least once */
	for (uint32_t subj = 0; subj < VDC_MAX_SUBJECTS; subj++)
	{
		uint32_t	bits = vdc_byte(&in);

		for (size_t j = 0; j < nplanned; j++)
			if (bits & (1u << j))
			{
				vdc_subject(&visits[nvisits++], subj, (uint32_t) j);
				has_visit[j] = 1;
			}
	}
	for (size_t j = 0; j < nplanned; j++)
		if (!has_visit[j])
			vdc_subject(&visits[nvisits++], VDC_MAX_SUBJECTS, (uint32_t) j);
	return visits_diff_check(stored, nstored, planned, nplanned, old, pinned, nold, visits, nvisits);
}

#endif							/* SUPERVISE_VISITS_DIFF_CHECK_H */
