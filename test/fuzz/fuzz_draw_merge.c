/*
 * libFuzzer harness of draw_pop_merge (src/core/draw_merge.c): how population_agg's partial
 * states combine (in parallel workers, on Citus workers).
 *
 * Input: one byte of control (the number of parts, 1 to 8, and how rows are dealt), then bytes.
 *   - The bytes as parts (cut in two at a place the control byte picks): draw_pop_merge never
 *     reads out of bounds or leaks, and what it accepts parses, with as many rows as the parts;
 *   - the bytes as a population that draw_pop_parse accepts: its rows dealt to the parts as the
 *     control byte and each row's code say, each part written by draw_pop_write (as a worker's
 *     state is), merged in that order and in the reverse order: both give exactly the population
 *     of all rows written at once (the serial state).
 */
#include "fuzz.h"
#include "draw.h"

static const draw_env env = {fuzz_alloc, fuzz_release, NULL, NULL};

/* rows [of pop] whose part is p, as draw_pop_write takes them, written */
static uint8_t *
write_part(const draw_pop *pop, int nparts, int p, unsigned salt, size_t *len)
{
	size_t		recsize = pop->weighted ? sizeof(draw_wrec) : sizeof(draw_rec);
	uint8_t    *recs = fuzz_alloc(pop->nrows * recsize, NULL);
	const char *names[DRAW_MAX_STRATA];
	uint64_t	n = 0;
	uint8_t    *out;
	char		err[DRAW_ERRLEN];

	for (int s = 0; s < pop->nstrata; s++)
	{
		names[s] = pop->strata[s].name;
		for (uint32_t i = 0; i < pop->strata[s].count; i++)
		{
			const uint8_t *r = pop->rows + (pop->strata[s].first + i) * pop->row_size;
			unsigned	h = salt;

			for (int b = 0; b < USCC_PACKED_LEN; b++)
				h = h * 31 + r[b];
			if (nparts > 1 && (int) (h % (unsigned) nparts) != p)
				continue;
			draw_rec_set(recs + n * recsize, (unsigned) s, r);
			if (pop->weighted)
			{
				uint64_t	bits = 0;
				double		w;

				for (int b = 0; b < 8; b++)
					bits = (bits << 8) | r[12 + b];
				memcpy(&w, &bits, sizeof(w));
				((draw_wrec *) recs)[n].w = w;
			}
			n++;
		}
	}
	if (n == 0)
	{
		free(recs);
		return NULL;			/* a process that saw no row has no state */
	}
	out = fuzz_alloc(draw_pop_max_size(pop->nstrata, names, pop->weighted, n), NULL);
	CHECK(draw_pop_write(&env, recs, n, pop->weighted, pop->nstrata, names, NULL, 0, out, len, err) == 0,
		  "a part of an accepted population is refused by draw_pop_write: %s", err);
	free(recs);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	draw_pop	pop,
				got;
	char		err[DRAW_ERRLEN];
	int			nparts;
	unsigned	salt;
	const uint8_t *parts[8];
	size_t		lens[8];
	uint8_t    *all,
			   *merged;
	size_t		alen,
				mlen;
	int			used = 0;

	if (size < 1)
		return 0;
	nparts = 1 + (data[0] & 7);
	salt = data[0] >> 3;
	data++;
	size--;

	/* arbitrary bytes as two parts */
	{
		size_t		cut = size ? (size_t) salt * 7 % (size + 1) : 0;
		const uint8_t *p2[2] = {data, data + cut};
		size_t		l2[2] = {cut, size - cut};

		for (int weighted = 0; weighted <= 1; weighted++)
		{
			merged = fuzz_alloc(draw_pop_merge_max_size(2, l2), NULL);
			if (draw_pop_merge(&env, 2, p2, l2, weighted, merged, &mlen, err) == 0)
			{
				draw_pop	a,
							b;
				uint64_t	total;

				CHECK(mlen <= draw_pop_merge_max_size(2, l2), "a merge wrote past its bound");
				if (draw_pop_parse(&env, &got, merged, mlen, err) != 0)
				{
					/* the merge checks the parts' form, not each code's check character: a merge
					 * of parts that do not parse themselves may be refused by the reader */
					int			parts_parse = 1;

					for (int q = 0; q < 2 && parts_parse; q++)
					{
						draw_pop	part;

						parts_parse = draw_pop_parse(&env, &part, p2[q], l2[q], err) == 0;
						if (parts_parse)
							draw_pop_release(&env, &part);
					}
					CHECK(!parts_parse, "a merge of parts that parse does not parse: %s", err);
					free(merged);
					continue;
				}
				CHECK(draw_pop_parse_header(&a, p2[0], l2[0], err) == 0 && draw_pop_parse_header(&b, p2[1], l2[1], err) == 0,
					  "a merge accepted parts that do not parse");
				total = a.nrows + b.nrows;
				CHECK(got.nrows == total, "a merge of %llu rows holds %llu", (unsigned long long) total,
					  (unsigned long long) got.nrows);
				draw_pop_release(&env, &got);
			}
			free(merged);
		}
	}

	if (draw_pop_parse(&env, &pop, data, size, err) != 0)
		return 0;

	/* the serial state: all rows written at once */
	{
		size_t		recsize = pop.weighted ? sizeof(draw_wrec) : sizeof(draw_rec);

		(void) recsize;
		all = write_part(&pop, 1, 0, salt, &alen);
	}
	for (int p = 0; p < nparts; p++)
	{
		uint8_t    *part = write_part(&pop, nparts, p, salt, &lens[used]);

		if (part)
			parts[used++] = part;
	}
	merged = fuzz_alloc(draw_pop_merge_max_size(used, lens), NULL);
	CHECK(draw_pop_merge(&env, used, parts, lens, pop.weighted, merged, &mlen, err) == 0,
		  "the parts of an accepted population do not merge: %s", err);
	if (all == NULL)
		CHECK(mlen == 8, "no rows merge into more than an empty population");
	else
		CHECK(mlen == alen && memcmp(merged, all, alen) == 0,
			  "%d parts merge into other bytes than the rows written at once (%zu bytes, not %zu)", used, mlen, alen);
	/* in the other order */
	for (int i = 0; i < used / 2; i++)
	{
		const uint8_t *t = parts[i];
		size_t		tl = lens[i];

		parts[i] = parts[used - 1 - i];
		lens[i] = lens[used - 1 - i];
		parts[used - 1 - i] = t;
		lens[used - 1 - i] = tl;
	}
	CHECK(draw_pop_merge(&env, used, parts, lens, pop.weighted, merged, &mlen, err) == 0
		  && (all == NULL || (mlen == alen && memcmp(merged, all, alen) == 0)),
		  "the merge depends on the order of the parts");
	for (int i = 0; i < used; i++)
		free((void *) parts[i]);
	free(merged);
	free(all);
	draw_pop_release(&env, &pop);
	return 0;
}
