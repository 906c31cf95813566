/*
 * libFuzzer harness of the compact population in src/core/draw.c (draw_record.population, read
 * back by draw_pop_parse whenever a draw is verified, exported or re-run).
 *
 * Arbitrary bytes as a serialised population (version 1 or 2):
 *   - draw_pop_parse_header and draw_pop_parse never read out of bounds or leak;
 *   - a population draw_pop_parse accepts passes its header check with the same strata and
 *     counts, and holds valid codes (what the uscc type accepts, not only packings in range),
 *     strictly increasing within each stratum, and (weighted) positive finite weights;
 *   - draw_pop_parse and draw_pop_parse_header refuse a stratum name that is not UTF-8 alike;
 *   - written again by draw_pop_write from those rows it gives, for a version 2 input, exactly
 *     the input bytes (the encoding is unique), and for a version 1 input, version 2 bytes that
 *     parse into the same rows with the same population digest.
 */
#include <math.h>
#include "fuzz.h"
#include "draw.h"

static const draw_env env = {fuzz_alloc, fuzz_release, NULL, NULL};

static double
row_weight(const uint8_t *r)
{
	uint64_t	bits = 0;
	double		w;

	for (int i = 0; i < 8; i++)
		bits = (bits << 8) | r[12 + i];
	memcpy(&w, &bits, sizeof(w));
	return w;
}

static void
check_rows(const draw_pop *pop)
{
	for (int s = 0; s < pop->nstrata; s++)
		for (uint32_t i = 0; i < pop->strata[s].count; i++)
		{
			const uint8_t *r = pop->rows + (pop->strata[s].first + i) * pop->row_size;

			CHECK(uscc_packed_is_valid(r), "stratum %d row %u is not a valid code", s, i);
			CHECK(i == 0 || memcmp(r - pop->row_size, r, USCC_PACKED_LEN) < 0,
				  "stratum %d row %u not after the row before it", s, i);
			if (pop->weighted)
			{
				double		w = row_weight(r);

				CHECK(w > 0 && isfinite(w), "stratum %d row %u has weight %g", s, i, w);
			}
		}
}

/* the rows of pop as draw_pop_write takes them, written again */
static uint8_t *
rewrite(const draw_pop *pop, size_t *len)
{
	size_t		recsize = pop->weighted ? sizeof(draw_wrec) : sizeof(draw_rec);
	void	   *recs = fuzz_alloc(pop->nrows * recsize, NULL);
	const char *names[DRAW_MAX_STRATA];
	uint8_t    *out;
	char		err[DRAW_ERRLEN];

	for (int s = 0; s < pop->nstrata; s++)
	{
		names[s] = pop->strata[s].name;
		for (uint32_t i = 0; i < pop->strata[s].count; i++)
		{
			uint64_t	row = pop->strata[s].first + i;
			const uint8_t *r = pop->rows + row * pop->row_size;

			/* in reverse order, so that the sort has work to do */
			row = pop->nrows - 1 - row;
			if (pop->weighted)
			{
				draw_rec_set(((draw_wrec *) recs)[row].key, (unsigned) s, r);
				((draw_wrec *) recs)[row].w = row_weight(r);
			}
			else
				draw_rec_set(((draw_rec *) recs)[row].key, (unsigned) s, r);
		}
	}
	out = fuzz_alloc(draw_pop_max_size(pop->nstrata, names, pop->weighted, pop->nrows), NULL);
	CHECK(draw_pop_write(&env, recs, pop->nrows, pop->weighted, pop->nstrata, names, NULL, 0, out, len, err) == 0,
		  "rows of an accepted population are refused by draw_pop_write: %s", err);
	free(recs);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	draw_pop	pop,
				head,
				again;
	char		err[DRAW_ERRLEN];
	uint8_t    *bytes;
	size_t		len;
	uint8_t		d1[SHA256_DIGEST_LEN],
				d2[SHA256_DIGEST_LEN];

	int			rc = draw_pop_parse(&env, &pop, data, size, err);

	if (rc != 0)
	{
		int			hrc = draw_pop_parse_header(&head, data, size, err);

		CHECK((rc == DRAW_POP_BAD_NAME) == (hrc == DRAW_POP_BAD_NAME),
			  "a stratum name that is not UTF-8 is refused by one parse and not the other (%d, %d)", rc, hrc);
		return 0;
	}
	CHECK(draw_pop_parse_header(&head, data, size, err) == 0, "the header check refuses what parses: %s", err);
	CHECK(head.nstrata == pop.nstrata && head.nrows == pop.nrows && head.version == pop.version,
		  "the header check reads other strata or counts");
	check_rows(&pop);

	bytes = rewrite(&pop, &len);
	if (pop.version == 2)
		CHECK(len == size && memcmp(bytes, data, size) == 0,
			  "a version 2 population written again differs (%zu bytes, not %zu)", len, size);
	CHECK(draw_pop_parse(&env, &again, bytes, len, err) == 0, "a written population does not parse: %s", err);
	CHECK(again.nrows == pop.nrows && memcmp(again.rows, pop.rows, pop.nrows * pop.row_size) == 0,
		  "written again, the rows change");
	CHECK(draw_pop_digest(&env, &pop, d1, err) == 0 && draw_pop_digest(&env, &again, d2, err) == 0
		  && memcmp(d1, d2, sizeof(d1)) == 0, "written again, the digest changes");
	draw_pop_release(&env, &again);
	draw_pop_release(&env, &pop);
	free(bytes);
	return 0;
}
