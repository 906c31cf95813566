/*
 * libFuzzer harness of src/core/draw_part.c: a draw's candidates kept where the rows are read
 * (draw_part_agg in parallel and Citus workers) and the selection from them.
 *
 * Input: control bytes, then bytes.
 *   - The bytes as a draw part, and cut in two as two parts: draw_part_parse and draw_part_merge
 *     never read out of bounds or leak; what the merge accepts parses; a part that parses, with a
 *     population that parses, is drawn by draw_run_part without fault, and with the same targets
 *     and digest as draw_run over its population whenever the part's candidates are honest (every
 *     row below the bound is one: checked by recomputing them).
 *   - The control bytes as a case of test/core/draw_part_check.h: random rows split at random
 *     across up to 16 processes, each writing its part; the merged parts drawn by draw_run_part
 *     equal the serial draw, from candidates and from codes (the fallback).
 */
#include "fuzz.h"
#include "../core/draw_part_check.h"

static const draw_env env = {fuzz_alloc, fuzz_release, NULL, NULL};

/* 1 when the part's candidates are exactly the rows of its population below their bounds */
static int
honest(const draw_part *part, const draw_pop *pop)
{
	draw_hasher h;
	uint64_t	c = 0;

	if (!part->has_filter)
		return part->ncand == 0;
	draw_hasher_init(&h, part->filter.seed);
	for (int s = 0; s < pop->nstrata; s++)
	{
		draw_bound	b = draw_filter_bound(&part->filter, pop->strata[s].name, pop->strata[s].name_len);

		for (uint32_t i = 0; i < pop->strata[s].count; i++)
		{
			const uint8_t *r = pop->rows + (pop->strata[s].first + i) * pop->row_size;
			char		text[USCC_LEN];
			uint8_t		d[SHA256_DIGEST_LEN];

			if (b.kind == DRAW_BOUND_NONE)
				continue;
			(void) uscc_unpack_text(r, text);
			draw_row_digest(&h, text, USCC_LEN, d);
			if (!draw_bound_keeps(&b, be_get(d, 8)))
				continue;
			if (c >= part->ncand)
				return 0;
			{
				const uint8_t *x = part->cand + c * DRAW_PART_CAND_LEN;

				if (x[0] != s || memcmp(x + 1, r, USCC_PACKED_LEN) != 0 || be_get(x + 13, 8) != be_get(d, 8))
					return 0;
			}
			c++;
		}
	}
	return c == part->ncand;
}

static void
bytes_as_part(const uint8_t *data, size_t size, const uint8_t seed[DRAW_SEED_LEN], unsigned kseed)
{
	draw_part	part;
	draw_pop	pop;
	char		err[DRAW_ERRLEN];
	uint32_t	k[DRAW_MAX_STRATA];
	uint64_t	total = 0;
	draw_target *t1,
			   *t2;
	uint8_t		d1[SHA256_DIGEST_LEN],
				d2[SHA256_DIGEST_LEN];
	int			rc1,
				rc2;

	if (draw_part_parse(&part, data, size, err) != 0)
		return;
	if (draw_pop_parse(&env, &pop, part.pop, part.pop_len, err) != 0)
		return;
	for (int s = 0; s < pop.nstrata; s++)
	{
		k[s] = pop.strata[s].count ? (uint32_t) ((kseed * 2654435761u + (unsigned) s) % (pop.strata[s].count + 1)) : 0;
		total += k[s];
	}
	t1 = fuzz_alloc(sizeof(draw_target) * (size_t) (total ? total : 1), NULL);
	t2 = fuzz_alloc(sizeof(draw_target) * (size_t) (total ? total : 1), NULL);
	rc1 = draw_run(&env, &pop, part.has_filter ? part.filter.seed : seed, DRAW_SHA256_V1, k, t1, d1, err);
	rc2 = draw_run_part(&env, &part, &pop, part.has_filter ? part.filter.seed : seed, DRAW_SHA256_V1, k, t2, d2, NULL, err);
	if (rc1 == 0 && rc2 == 0 && honest(&part, &pop))
		CHECK(memcmp(d1, d2, sizeof(d1)) == 0 && memcmp(t1, t2, sizeof(draw_target) * (size_t) total) == 0,
			  "an honest part is drawn otherwise than its population");
	if (rc1 == 0 && honest(&part, &pop))
		CHECK(rc2 == 0, "an honest part is refused: %s", err);
	free(t1);
	free(t2);
	draw_pop_release(&env, &pop);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		seed[DRAW_SEED_LEN] = {0};
	uint64_t	rng = 0x9E3779B97F4A7C15ULL;
	int			n,
				nparts,
				spread,
				from_cand = 0,
				fallback = 0;

	if (size < 4)
		return 0;
	for (int i = 0; i < 4; i++)
		rng = (rng ^ data[i]) * 0x100000001B3ULL;
	n = (data[1] | (data[2] << 8)) % 800;
	nparts = 1 + (data[3] & 15);
	spread = 1 + (data[3] >> 4) * 60;

	/* the bytes after the control as one part, and cut in two */
	bytes_as_part(data + 4, size - 4, seed, data[0]);
	{
		size_t		cut = (size - 4) ? (size_t) data[0] * 13 % (size - 4 + 1) : 0;
		const uint8_t *p2[2] = {data + 4, data + 4 + cut};
		size_t		l2[2] = {cut, size - 4 - cut};
		uint8_t    *merged = fuzz_alloc(draw_part_merge_max_size(2, l2), NULL);
		size_t		mlen;
		char		err[DRAW_ERRLEN];

		if (draw_part_merge(&env, 2, p2, l2, 0, merged, &mlen, err) == 0)
		{
			draw_part	p;

			CHECK(mlen <= draw_part_merge_max_size(2, l2), "a merge wrote past its bound");
			CHECK(draw_part_parse(&p, merged, mlen, err) == 0, "a merge of parts does not parse: %s", err);
			bytes_as_part(merged, mlen, seed, data[0]);
		}
		free(merged);
	}

	/* a random case split across processes */
	CHECK(draw_part_check(rng, n, nparts, spread, &from_cand, &fallback),
		  "a draw split across %d processes (%d rows) differs from the serial draw", nparts, n);
	return 0;
}
