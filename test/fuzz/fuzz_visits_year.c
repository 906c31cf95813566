/*
 * libFuzzer harness of the year-at-once functions of src/core/visits.c (what plan_visits runs).
 * The input gives up to 16 tasks (start, length; sometimes a task that ends before it starts or a
 * task list out of order), then targets (subject, task number, sometimes a number past the tasks),
 * then "drop" keys and "old" visits. Checked against plain reference code:
 *   radix_sort: the order of qsort by visit_key_cmp, stable, a permutation;
 *   visits_group: each subject's spans are exactly visits_plan's groups of its intervals; the
 *     errors (bad interval, unsorted tasks, bad number) are reported as such;
 *   visits_combine: two visits share a number exactly when their task lists are equal;
 *   visits_subtract: equals filtering the keys one by one;
 *   visits_match: pairs exactly the (subject, class) keys that occur in both, each once;
 *   visits_pinned: equals asking every inspection of the subject.
 */
#include "fuzz.h"
#include "visits.h"

#define MAX_T 16
#define MAX_N 512

typedef struct rec
{
	visit_key	k;
	uint64_t	pos;
} rec;

static int
rec_cmp(const void *a, const void *b)
{
	const rec  *x = (const rec *) a;
	const rec  *y = (const rec *) b;
	int			c = visit_key_cmp(&x->k, &y->k);

	return c != 0 ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static void
mk(visit_key *k, uint32_t subject, uint32_t num)
{
	memset(k->subject, 0, VISIT_SUBJECT_LEN);
	k->subject[3] = (uint8_t) (subject >> 4);	/* two varying bytes, far apart */
	k->subject[11] = (uint8_t) subject;
	visit_key_set_num(k, num);
}

static int
same_subject(const visit_key *a, const visit_key *b)
{
	return memcmp(a->subject, b->subject, VISIT_SUBJECT_LEN) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in		in = {data, size};
	static visit_interval tasks[MAX_T];
	static rec	r[MAX_N],
				rtmp[MAX_N],
				rref[MAX_N];
	static visit_key t[MAX_N],
				drop[MAX_N],
				kept[MAX_N];
	static visit_span sp[MAX_N];
	static uint32_t combo[MAX_N],
				table[2 * MAX_N];
	static size_t rep[MAX_N],
				om[MAX_N],
				nm[MAX_N];
	uint32_t	flags = fuzz_u8(&in);
	size_t		nt = 1 + fuzz_u8(&in) % MAX_T,
				n = 0,
				nd = 0,
				ns = 0,
				bad = (size_t) -1;
	int			expect_bad_interval = -1;
	visits_status st;

	for (size_t i = 0; i < nt; i++)
	{
		int32_t		s = (int32_t) fuzz_u8(&in);
		int32_t		len = (int32_t) fuzz_u8(&in);

		tasks[i].start = s;
		tasks[i].end = (flags & 1) && len > 250 ? s - 1 : s + len % 40;
		tasks[i].key = (int64_t) i;
		tasks[i].group = -1;
	}
	if (!(flags & 2))
		qsort(tasks, nt, sizeof(visit_interval), visit_interval_cmp);
	for (size_t i = 0; i < nt; i++)
		if (tasks[i].end < tasks[i].start && expect_bad_interval < 0)
			expect_bad_interval = (int) i;
	while (in.left >= 2 && n < MAX_N / 2)
	{
		uint32_t	s = fuzz_u8(&in) % 40;
		uint32_t	k = fuzz_u8(&in);

		mk(&r[n].k, s, (flags & 4) ? k : k % nt);
		r[n].pos = n;
		n++;
	}

	/* sort: same as qsort with the position as tie-breaker (stable), a permutation */
	memcpy(rref, r, n * sizeof(rec));
	qsort(rref, n, sizeof(rec), rec_cmp);
	radix_sort(r, rtmp, n, sizeof(rec), sizeof(visit_key));
	CHECK(memcmp(r, rref, n * sizeof(rec)) == 0, "radix_sort differs from a stable qsort (%zu records)", n);
	for (size_t i = 0; i < n; i++)
		t[i] = r[i].k;

	/* group */
	st = visits_group(tasks, nt, t, n, sp, &ns, &bad);
	{
		int			tasks_sorted = 1;
		int			first_bad_number = -1;

		for (size_t i = 1; i < nt; i++)
			if (visit_interval_cmp(&tasks[i - 1], &tasks[i]) > 0 && tasks_sorted)
				tasks_sorted = 0;
		for (size_t i = 0; i < n && first_bad_number < 0; i++)
			if (visit_key_num(&t[i]) >= nt)
				first_bad_number = (int) i;
		if (expect_bad_interval >= 0 || !tasks_sorted)
		{
			CHECK(st == VISITS_BAD_INTERVAL || st == VISITS_UNSORTED, "bad or unsorted tasks: status %d", (int) st);
			if (st == VISITS_BAD_INTERVAL)
				CHECK(tasks[bad].end < tasks[bad].start, "reported task %zu is not bad", bad);
			return 0;
		}
		if (first_bad_number >= 0)
		{
			CHECK(st == VISITS_BAD_NUMBER && bad == (size_t) first_bad_number, "bad number at %d: status %d, %zu",
				  first_bad_number, (int) st, bad);
			return 0;
		}
	}
	CHECK(st == VISITS_OK, "status %d", (int) st);

	/* per subject: visits_plan on its intervals gives the same groups */
	{
		size_t		si = 0;

		for (size_t i = 0; i < n;)
		{
			size_t		j = i;
			static visit_interval iv[MAX_N];
			static visit_window w[MAX_N];
			size_t		g = 0;

			while (j < n && same_subject(&t[j], &t[i]))
			{
				iv[j - i] = tasks[visit_key_num(&t[j])];
				iv[j - i].key = (int64_t) visit_key_num(&t[j]);
				j++;
			}
			CHECK(visits_plan(iv, j - i, w, &g, NULL) == VISITS_OK, "visits_plan failed");
			for (size_t k = 0; k < g; k++, si++)
			{
				CHECK(si < ns, "fewer spans than visits_plan's groups");
				CHECK(sp[si].start == w[k].start && sp[si].end == w[k].end && sp[si].count == (uint32_t) w[k].count,
					  "span %zu [%d,%d]x%u, visits_plan [%d,%d]x%d", si, sp[si].start, sp[si].end, sp[si].count,
					  w[k].start, w[k].end, w[k].count);
				for (uint32_t m = 0; m < sp[si].count; m++)
					CHECK(same_subject(&t[sp[si].first + m], &t[i]), "span %zu mixes subjects", si);
			}
			i = j;
		}
		CHECK(si == ns, "%zu spans, visits_plan has %zu groups", ns, si);
	}

	/* combine */
	{
		size_t		nc = visits_combine(t, sp, ns, combo, rep, table, 2 * MAX_N);

		for (size_t a = 0; a < ns; a++)
		{
			CHECK(combo[a] < nc && rep[combo[a]] <= a, "combo %u of visit %zu", combo[a], a);
			for (size_t b = a + 1; b < ns; b++)
			{
				int			same = sp[a].count == sp[b].count;

				for (uint32_t k = 0; same && k < sp[a].count; k++)
					same = visit_key_num(&t[sp[a].first + k]) == visit_key_num(&t[sp[b].first + k]);
				CHECK(same == (combo[a] == combo[b]), "visits %zu and %zu: same tasks %d, same number %d", a, b,
					  same, combo[a] == combo[b]);
			}
		}
	}

	/* subtract: drop every third distinct key and some absent ones */
	for (size_t i = 0; i < n; i += 3)
		drop[nd++] = t[i];
	mk(&drop[nd++], 77, 0);
	qsort(drop, nd, sizeof(visit_key), visit_key_cmp);
	{
		size_t		nk = 0,
					nref = 0;

		memcpy(kept, t, n * sizeof(visit_key));
		nk = visits_subtract(kept, n, drop, nd);
		for (size_t i = 0; i < n; i++)
		{
			int			dropped = bsearch(&t[i], drop, nd, sizeof(visit_key), visit_key_cmp) != NULL;

			if (!dropped)
			{
				CHECK(nref < nk && visit_key_cmp(&kept[nref], &t[i]) == 0, "visits_subtract kept the wrong key at %zu", nref);
				nref++;
			}
		}
		CHECK(nref == nk, "visits_subtract kept %zu, should keep %zu", nk, nref);
	}

	/* match: "old" = the targets as (subject, task) keys; "new" = spans' first keys */
	{
		static visit_key nw[MAX_N];

		for (size_t v = 0; v < ns; v++)
			nw[v] = t[sp[v].first];
		CHECK(visits_match(t, n, nw, ns, om, nm, &bad) == VISITS_OK, "visits_match failed");
		for (size_t v = 0; v < ns; v++)
		{
			int			exists = bsearch(&nw[v], t, n, sizeof(visit_key), visit_key_cmp) != NULL;

			CHECK(exists == (nm[v] != VISITS_NONE), "new %zu: exists %d, paired %d", v, exists, nm[v] != VISITS_NONE);
			if (nm[v] != VISITS_NONE)
				CHECK(visit_key_cmp(&t[nm[v]], &nw[v]) == 0 && om[nm[v]] == v, "new %zu paired with a different key", v);
		}
		for (size_t i = 0; i < n; i++)
			if (om[i] != VISITS_NONE)
				CHECK(nm[om[i]] == i, "old %zu paired one way only", i);
	}

	/* pinned: visits = the spans, each a "set" of its own tasks; inspections = drop keys */
	{
		static size_t set_start[MAX_N + 1];
		static uint32_t set_tasks[MAX_N];
		static visit_key vk[MAX_N];
		static uint8_t pinned[MAX_N];
		size_t		x = 0;

		for (size_t v = 0; v < ns; v++)
		{
			set_start[v] = x;
			for (uint32_t m = 0; m < sp[v].count; m++)
				set_tasks[x++] = visit_key_num(&t[sp[v].first + m]);
			vk[v] = t[sp[v].first];
			visit_key_set_num(&vk[v], (uint32_t) v);
		}
		set_start[ns] = x;
		CHECK(visits_pinned(vk, ns, set_start, set_tasks, ns, drop, nd, pinned, &bad) == VISITS_OK, "visits_pinned failed");
		for (size_t v = 0; v < ns; v++)
		{
			int			want = 0;

			for (size_t d = 0; d < nd; d++)
				if (same_subject(&drop[d], &vk[v]))
					for (uint32_t m = 0; m < sp[v].count; m++)
						if (set_tasks[set_start[v] + m] == visit_key_num(&drop[d]))
							want = 1;
			CHECK(pinned[v] == want, "visit %zu pinned %d, should be %d", v, pinned[v], want);
		}
	}
	return 0;
}
