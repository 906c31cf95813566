/*
 * Unit tests of draw_pop_merge (src/core/draw_merge.c): the population of all rows equals the
 * merge of the populations of any split of them (as population_agg's partial states combine),
 * with and without weights and excluded codes; the refusals (mixed modes, a code in two parts).
 */
#include <stdlib.h>

#include "draw.h"
#include "tap.h"

static void *
t_alloc(size_t size, void *arg)
{
	void	   *p = malloc(size ? size : 1);

	(void) arg;
	if (p == NULL)
		abort();
	return p;
}

static void
t_release(void *ptr, void *arg)
{
	(void) arg;
	free(ptr);
}

static const draw_env env = {t_alloc, t_release, NULL, NULL};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const names[] = {"A", "B", "C", "D", "all"};

/* a random packed code: a few h values (codes of one region share h) and random l */
static void
rand_code(uint8_t packed[USCC_PACKED_LEN], int spread)
{
	uint64_t	h = 248591536699ULL + (rng() % (uint64_t) spread) * 961;
	uint64_t	l = rng() % 2000000ULL;

	uscc_put48(packed, h);
	uscc_put48(packed + 6, l);
}

typedef struct row
{
	uint8_t		code[USCC_PACKED_LEN];
	int			stratum;
	double		w;
} row;

/* the population of rows[0..n) as draw_pop_write writes it, less exclude */
static uint8_t *
write_rows(const row *rows, size_t n, int weighted, const uint8_t *exclude, uint64_t nexcl, size_t *len)
{
	size_t		recsize = weighted ? sizeof(draw_wrec) : sizeof(draw_rec);
	uint8_t    *recs = t_alloc(n * recsize, NULL);
	uint8_t    *out = t_alloc(draw_pop_max_size(5, names, weighted, n), NULL);
	char		err[DRAW_ERRLEN];

	for (size_t i = 0; i < n; i++)
	{
		draw_rec_set(recs + i * recsize, (unsigned) rows[i].stratum, rows[i].code);
		if (weighted)
			((draw_wrec *) recs)[i].w = rows[i].w;
	}
	if (draw_pop_write(&env, recs, n, weighted, 5, names, exclude, nexcl, out, len, err) != 0)
	{
		printf("# draw_pop_write: %s\n", err);
		abort();
	}
	free(recs);
	return out;
}

static int
cmp_code(const void *a, const void *b)
{
	return memcmp(a, b, USCC_PACKED_LEN);
}

/* one random case: n rows (distinct codes within a stratum), split into nparts at random */
static int
one_case(int n, int nparts, int weighted, int spread, int with_exclusions)
{
	row		   *rows = t_alloc(sizeof(row) * (size_t) (n ? n : 1), NULL);
	row		   *split = t_alloc(sizeof(row) * (size_t) (n ? n : 1), NULL);
	uint8_t    *excl = t_alloc(USCC_PACKED_LEN * (size_t) (n ? n : 1), NULL);
	uint64_t	nexcl = 0;
	uint8_t    *all,
			   *merged;
	const uint8_t *parts[16];
	size_t		lens[16],
				alen,
				mlen;
	int			same;
	char		err[DRAW_ERRLEN];
	int			used = 0;

	for (int i = 0; i < n; i++)
	{
		rand_code(rows[i].code, spread);
		rows[i].stratum = (int) (rng() % 5);
		rows[i].w = 1.0 + (double) (rng() % 4);
		/* distinct within a stratum: nudge l until unique */
		for (int j = 0; j < i; j++)
			if (rows[j].stratum == rows[i].stratum && memcmp(rows[j].code, rows[i].code, USCC_PACKED_LEN) == 0)
			{
				uscc_put48(rows[i].code + 6, uscc_get48(rows[i].code + 6) + 1);
				j = -1;
			}
		if (with_exclusions && rng() % 4 == 0)
			memcpy(excl + USCC_PACKED_LEN * nexcl++, rows[i].code, USCC_PACKED_LEN);
	}
	qsort(excl, nexcl, USCC_PACKED_LEN, cmp_code);
	all = write_rows(rows, (size_t) n, weighted, excl, nexcl, &alen);

	/* parts: each row dealt to one of nparts at random (a part that gets none contributes no state) */
	{
		int		   *owner = t_alloc(sizeof(int) * (size_t) (n ? n : 1), NULL);

		for (int i = 0; i < n; i++)
			owner[i] = (int) (rng() % (uint64_t) nparts);
		for (int p = 0; p < nparts; p++)
		{
			int			m = 0;

			for (int i = 0; i < n; i++)
				if (owner[i] == p)
					split[m++] = rows[i];
			if (m == 0)
				continue;
			parts[used] = write_rows(split, (size_t) m, weighted, excl, nexcl, &lens[used]);
			used++;
		}
		free(owner);
	}
	merged = t_alloc(draw_pop_merge_max_size(used, lens), NULL);
	if (draw_pop_merge(&env, used, parts, lens, weighted, merged, &mlen, err) != 0)
	{
		printf("# draw_pop_merge: %s\n", err);
		same = 0;
	}
	else if (used == 0)
		same = 1;				/* no part: nothing to compare but that it writes an empty population */
	else
		same = (mlen == alen && memcmp(merged, all, alen) == 0);
	for (int p = 0; p < used; p++)
		free((void *) parts[p]);
	free(merged);
	free(all);
	free(excl);
	free(split);
	free(rows);
	return same;
}

int
main(void)
{
	int			bad = 0,
				cases = 0;
	char		err[DRAW_ERRLEN];

	for (int weighted = 0; weighted <= 1; weighted++)
		for (int excl = 0; excl <= 1; excl++)
			for (int spread = 1; spread <= 1000; spread *= 10)
				for (int nparts = 1; nparts <= 16; nparts *= 2)
					for (int n = 0; n <= 600; n = n ? n * 3 : 1)
					{
						cases++;
						if (!one_case(n, nparts, weighted, spread, excl))
						{
							bad++;
							printf("# differs: n %d, parts %d, weighted %d, spread %d, exclusions %d\n",
								   n, nparts, weighted, spread, excl);
						}
					}
	ok(bad == 0, "the merge of the populations of a split of the rows equals the population of all rows (%d cases)", cases);

	/* refusals */
	{
		row			r[2];
		size_t		l1,
					l2,
					ml;
		uint8_t    *a,
				   *b,
				   *m;
		const uint8_t *parts[2];
		size_t		lens[2];

		rand_code(r[0].code, 1);
		r[0].stratum = 0;
		r[0].w = 2.0;
		r[1] = r[0];
		a = write_rows(&r[0], 1, 0, NULL, 0, &l1);
		b = write_rows(&r[1], 1, 0, NULL, 0, &l2);
		parts[0] = a;
		parts[1] = b;
		lens[0] = l1;
		lens[1] = l2;
		m = t_alloc(draw_pop_merge_max_size(2, lens), NULL);
		ok(draw_pop_merge(&env, 2, parts, lens, 0, m, &ml, err) != 0 && strstr(err, "appears twice") != NULL,
		   "a code in two parts within a stratum is refused: %s", err);
		free(b);
		b = write_rows(&r[1], 1, 1, NULL, 0, &l2);
		parts[1] = b;
		lens[1] = l2;
		free(m);
		m = t_alloc(draw_pop_merge_max_size(2, lens), NULL);
		ok(draw_pop_merge(&env, 2, parts, lens, 0, m, &ml, err) != 0 && strstr(err, "have a weight and some have none") != NULL,
		   "parts of both modes are refused: %s", err);
		lens[1] = l2 - 1;
		ok(draw_pop_merge(&env, 1, parts + 1, lens + 1, 1, m, &ml, err) != 0 && strstr(err, "size does not match") != NULL,
		   "a cut-off part is refused: %s", err);
		/* the same code in two strata is two rows */
		r[1].stratum = 1;
		free(b);
		b = write_rows(&r[1], 1, 0, NULL, 0, &l2);
		parts[1] = b;
		lens[1] = l2;
		ok(draw_pop_merge(&env, 2, parts, lens, 0, m, &ml, err) == 0, "one code in two strata merges");
		free(a);
		free(b);
		free(m);
		m = t_alloc(draw_pop_merge_max_size(0, NULL), NULL);
		ok(draw_pop_merge(&env, 0, NULL, NULL, 0, m, &ml, err) == 0 && ml == 8 && memcmp(m, "SPOP\002\000\000\000", 8) == 0,
		   "no parts: the empty population");
		free(m);
	}
	return done_testing();
}
