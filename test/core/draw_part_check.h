/*
 * One case of the draw's work split across processes (src/core/draw_part.c), against the serial
 * draw: random rows (codes of a few strata, some excluded) dealt to nparts processes at random;
 * each process writes its part (its population and its candidates, as population_agg's state of
 * draw_part_agg does); the parts merge in the order dealt; draw_run_part over the merged part must
 * give the same population (bytes), digest and targets as draw_run over the population of all rows
 * written at once. The fractions of the filter are drawn independently of k, so some strata are
 * selected from their candidates and some fall back to their codes; *from_cand and *fallback count
 * them. Included by test_draw_part.c, test_draw_ties.c (cores with 8-bit candidate digests, so
 * that the selection takes its tie path) and test/fuzz/fuzz_draw_part.c. Returns 1 when all agree.
 */
#ifndef DRAW_PART_CHECK_H
#define DRAW_PART_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "draw.h"
#include "draw_part.h"

static void *
pc_alloc(size_t size, void *arg)
{
	void	   *p = malloc(size ? size : 1);

	(void) arg;
	if (p == NULL)
		abort();
	return p;
}

static void
pc_release(void *ptr, void *arg)
{
	(void) arg;
	free(ptr);
}

static const draw_env pc_env = {pc_alloc, pc_release, NULL, NULL};

static uint64_t
pc_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const pc_names[] = {"D", "A", "all", "C", "B"};	/* not in name order */
#define PC_NSTRATA 5

typedef struct pc_row
{
	uint8_t		code[USCC_PACKED_LEN];
	int			stratum;
} pc_row;

static int
pc_cmp_code(const void *a, const void *b)
{
	return memcmp(a, b, USCC_PACKED_LEN);
}

/* a part (or, with filter NULL, the population alone) of rows[0..n) */
static uint8_t *
pc_write(const pc_row *rows, size_t n, const draw_filter *filter, const draw_hasher *h,
		 const uint8_t *excl, uint64_t nexcl, size_t *len)
{
	uint8_t    *recs = pc_alloc(n * sizeof(draw_rec), NULL);
	draw_part_rec *cands = pc_alloc(n * sizeof(draw_part_rec), NULL);
	uint64_t	ncand = 0;
	uint8_t    *pop = pc_alloc(draw_pop_max_size(PC_NSTRATA, pc_names, 0, n), NULL),
			   *out;
	size_t		poplen;
	char		err[DRAW_ERRLEN];
	uint8_t		fbytes[DRAW_FILTER_MAX_SIZE];
	size_t		flen = 0;

	for (size_t i = 0; i < n; i++)
	{
		draw_rec_set(recs + i * sizeof(draw_rec), (unsigned) rows[i].stratum, rows[i].code);
		if (filter)
		{
			draw_bound	b = draw_filter_bound(filter, pc_names[rows[i].stratum], strlen(pc_names[rows[i].stratum]));
			char		text[USCC_LEN];
			uint8_t		d[SHA256_DIGEST_LEN];

			if (b.kind == DRAW_BOUND_NONE)
				continue;
			(void) uscc_unpack_text(rows[i].code, text);
			draw_row_digest(h, text, USCC_LEN, d);
			if (!draw_bound_keeps(&b, be_get(d, 8)))
				continue;
			draw_rec_set(cands[ncand].key, (unsigned) rows[i].stratum, rows[i].code);
			cands[ncand].dhi = be_get(d, 8);
			ncand++;
		}
	}
	if (draw_pop_write(&pc_env, recs, n, 0, PC_NSTRATA, pc_names, excl, nexcl, pop, &poplen, err) != 0)
	{
		printf("# draw_pop_write: %s\n", err);
		abort();
	}
	free(recs);
	if (filter == NULL)
	{
		free(cands);
		*len = poplen;
		return pop;
	}
	flen = draw_filter_write(filter, fbytes);
	out = pc_alloc(draw_part_size(flen, poplen, ncand), NULL);
	if (draw_part_write(&pc_env, fbytes, flen, pop, poplen, cands, ncand, PC_NSTRATA, pc_names,
						excl, nexcl, out, draw_part_size(flen, poplen, ncand), len, err) != 0)
	{
		printf("# draw_part_write: %s\n", err);
		abort();
	}
	free(pop);
	free(cands);
	return out;
}

/*
 * rng: the case's random source; n rows; nparts processes; spread: how many regions the codes
 * come from; the filter's fractions and the k of each stratum are drawn from rng.
 */
static int
draw_part_check(uint64_t rng, int n, int nparts, int spread, int *from_cand, int *fallback)
{
	pc_row	   *rows = pc_alloc(sizeof(pc_row) * (size_t) (n ? n : 1), NULL);
	pc_row	   *split = pc_alloc(sizeof(pc_row) * (size_t) (n ? n : 1), NULL);
	uint8_t    *excl = pc_alloc(USCC_PACKED_LEN * (size_t) (n ? n : 1), NULL);
	uint64_t	nexcl = 0;
	uint8_t		seed[DRAW_SEED_LEN];
	double		fr[PC_NSTRATA];
	size_t		nl[PC_NSTRATA];
	draw_filter filter;
	draw_hasher hasher;
	uint8_t    *all,
			   *merged,
			  **parts = pc_alloc(sizeof(uint8_t *) * (size_t) nparts, NULL);
	size_t	   *lens = pc_alloc(sizeof(size_t) * (size_t) nparts, NULL),
				alen,
				mlen;
	int			used = 0,
				same = 1,
				fc = 0;
	char		err[DRAW_ERRLEN];
	draw_pop	spop,
				mpop;
	draw_part	part;
	uint32_t	k[DRAW_MAX_STRATA];
	uint64_t	total = 0;
	draw_target *t1,
			   *t2;
	uint8_t		d1[SHA256_DIGEST_LEN],
				d2[SHA256_DIGEST_LEN];

	for (int i = 0; i < DRAW_SEED_LEN; i++)
		seed[i] = (uint8_t) pc_rng(&rng);
	draw_hasher_init(&hasher, seed);
	for (int s = 0; s < PC_NSTRATA; s++)
	{
		static const double choices[] = {0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1, 2, -1};

		fr[s] = choices[pc_rng(&rng) % 10];
		if (pc_rng(&rng) % 7 == 0)
			fr[s] = NAN;
		nl[s] = strlen(pc_names[s]);
	}
	/* a filter naming some of the strata */
	{
		const char *fn[PC_NSTRATA];
		size_t		fl[PC_NSTRATA];
		double		ff[PC_NSTRATA];
		int			m = 0;

		for (int s = 0; s < PC_NSTRATA; s++)
			if (pc_rng(&rng) % 5 != 0)
			{
				fn[m] = pc_names[s];
				fl[m] = nl[s];
				ff[m] = fr[s];
				m++;
			}
		if (draw_filter_make(&filter, seed, m, fn, fl, ff, err) != 0)
		{
			printf("# draw_filter_make: %s\n", err);
			abort();
		}
	}
	for (int i = 0; i < n; i++)
	{
		/* 91350100, 9 base-31 digits (the first ones from a few values: spread), the check */
		static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
		uint64_t	x = (pc_rng(&rng) % (uint64_t) spread) * 887503681ULL + pc_rng(&rng) % 2000000ULL;
		char		text[USCC_LEN];

		rows[i].stratum = (int) (pc_rng(&rng) % PC_NSTRATA);
		for (;;)
		{
			uint64_t	y = x;
			int			dup = 0;

			memcpy(text, "91350100", 8);
			for (int j = 16; j >= 8; j--, y /= 31)
				text[j] = alphabet[y % 31];
			text[17] = uscc_check_char(text);
			uscc_pack(text, rows[i].code);
			for (int j = 0; j < i && !dup; j++)
				dup = rows[j].stratum == rows[i].stratum && memcmp(rows[j].code, rows[i].code, USCC_PACKED_LEN) == 0;
			if (!dup)
				break;
			x++;
		}
		if (pc_rng(&rng) % 6 == 0)
			memcpy(excl + USCC_PACKED_LEN * nexcl++, rows[i].code, USCC_PACKED_LEN);
	}
	qsort(excl, nexcl, USCC_PACKED_LEN, pc_cmp_code);

	all = pc_write(rows, (size_t) n, NULL, &hasher, excl, nexcl, &alen);
	{
		int		   *owner = pc_alloc(sizeof(int) * (size_t) (n ? n : 1), NULL);

		for (int i = 0; i < n; i++)
			owner[i] = (int) (pc_rng(&rng) % (uint64_t) nparts);
		for (int p = 0; p < nparts; p++)
		{
			int			m = 0;

			for (int i = 0; i < n; i++)
				if (owner[i] == p)
					split[m++] = rows[i];
			if (m == 0 && used > 0)
				continue;		/* a process without rows has no state (but one part is needed) */
			parts[used] = pc_write(split, (size_t) m, &filter, &hasher, excl, nexcl, &lens[used]);
			used++;
		}
		free(owner);
	}
	merged = pc_alloc(draw_part_merge_max_size(used, lens), NULL);
	if (draw_part_merge(&pc_env, used, (const uint8_t *const *) parts, lens, 0, merged, &mlen, err) != 0
		|| draw_part_parse(&part, merged, mlen, err) != 0)
	{
		printf("# draw_part_merge: %s\n", err);
		same = 0;
		goto out;
	}
	if (part.pop_len != alen || memcmp(part.pop, all, alen) != 0)
	{
		printf("# the merged parts' population differs from the serial one\n");
		same = 0;
		goto out;
	}
	if (draw_pop_parse(&pc_env, &spop, all, alen, err) != 0 || draw_pop_parse(&pc_env, &mpop, part.pop, part.pop_len, err) != 0)
	{
		fprintf(stderr, "# draw_pop_parse: %s\n", err);
		abort();
	}
	for (int s = 0; s < spop.nstrata; s++)
	{
		uint32_t	c = spop.strata[s].count;
		uint64_t	r = pc_rng(&rng) % 4;

		/* k: from a ratio near the fraction, or any */
		k[s] = r == 0 ? (uint32_t) (pc_rng(&rng) % (c + 1))
			: r == 1 ? c : (uint32_t) fmin((double) c, ceil(0.05 * (double) (1 + pc_rng(&rng) % 20) * c));
		total += k[s];
	}
	t1 = pc_alloc(sizeof(draw_target) * (size_t) (total ? total : 1), NULL);
	t2 = pc_alloc(sizeof(draw_target) * (size_t) (total ? total : 1), NULL);
	memset(t1, 0, sizeof(draw_target) * (size_t) (total ? total : 1));
	memset(t2, 0xAB, sizeof(draw_target) * (size_t) (total ? total : 1));
	if (draw_run(&pc_env, &spop, seed, DRAW_SHA256_V1, k, t1, d1, err) != 0
		|| draw_run_part(&pc_env, &part, &mpop, seed, DRAW_SHA256_V1, k, t2, d2, &fc, err) != 0)
	{
		printf("# draw_run / draw_run_part: %s\n", err);
		same = 0;
	}
	else if (memcmp(d1, d2, sizeof(d1)) != 0 || memcmp(t1, t2, sizeof(draw_target) * (size_t) total) != 0)
	{
		printf("# draw_run_part differs from draw_run (%d strata from candidates)\n", fc);
		same = 0;
	}
	*from_cand += fc;
	for (int s = 0; s < spop.nstrata; s++)
		*fallback += k[s] > 0;
	*fallback -= fc;
	/* another seed: the candidates are not used, and the draw is still the serial one */
	if (same && spop.nstrata > 0)
	{
		uint8_t		seed2[DRAW_SEED_LEN];

		memcpy(seed2, seed, DRAW_SEED_LEN);
		seed2[0] ^= 1;
		fc = -1;
		if (draw_run(&pc_env, &spop, seed2, DRAW_SHA256_V1, k, t1, d1, err) != 0
			|| draw_run_part(&pc_env, &part, &mpop, seed2, DRAW_SHA256_V1, k, t2, d2, &fc, err) != 0
			|| fc != 0 || memcmp(t1, t2, sizeof(draw_target) * (size_t) total) != 0)
		{
			printf("# with another seed the candidates were used or the draw differs\n");
			same = 0;
		}
	}
	free(t1);
	free(t2);
	draw_pop_release(&pc_env, &spop);
	draw_pop_release(&pc_env, &mpop);
out:
	for (int p = 0; p < used; p++)
		free(parts[p]);
	free(parts);
	free(lens);
	free(merged);
	free(all);
	free(excl);
	free(split);
	free(rows);
	return same;
}

#endif							/* DRAW_PART_CHECK_H */
