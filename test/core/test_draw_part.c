/*
 * Unit tests of src/core/draw_part.c: the bounds, the filter's form, and that a draw whose
 * selection is split across processes (each keeps its candidates, the parts merge, the
 * coordinator selects from the candidates where they suffice and from the codes elsewhere)
 * records the same population, digest and targets as the serial draw (draw_part_check.h).
 */
#include "draw_part_check.h"
#include "tap.h"

int
main(void)
{
	int			bad = 0,
				cases = 0,
				from_cand = 0,
				fallback = 0;
	uint64_t	rng = 0x243F6A8885A308D3ULL;
	char		err[DRAW_ERRLEN];

	/* bounds */
	{
		draw_bound	b0 = draw_bound_for_fraction(0),
					bn = draw_bound_for_fraction(NAN),
					b1 = draw_bound_for_fraction(0.9),
					bh = draw_bound_for_fraction(0.5),
					bs = draw_bound_for_fraction(0.03);

		ok(b0.kind == DRAW_BOUND_NONE && bn.kind == DRAW_BOUND_NONE, "a fraction of 0 or NaN keeps nothing");
		ok(b1.kind == DRAW_BOUND_ALL, "a fraction of 0.9 keeps every row (1.125 x 0.9 > 1)");
		ok(bh.kind == DRAW_BOUND_BELOW && bh.limit == (uint64_t) ldexp(0.5625 + DRAW_PART_MARGIN, 64),
		   "a fraction of 0.5 keeps the digests below 0.5625 (+ the margin) x 2^64");
		ok(draw_bound_keeps(&bs, 0) && !draw_bound_keeps(&bs, bs.limit) && draw_bound_keeps(&bs, bs.limit - 1),
		   "a bound keeps the digests strictly below its limit");
	}
	/* the filter's form */
	{
		draw_filter f,
					g;
		uint8_t		seed[DRAW_SEED_LEN] = {1, 2, 3};
		const char *names[] = {"A", "B"};
		size_t		lens[] = {1, 1};
		double		fr[] = {0.1, 0};
		uint8_t		buf[DRAW_FILTER_MAX_SIZE];
		size_t		len;
		draw_bound	b;

		ok(draw_filter_make(&f, seed, 2, names, lens, fr, err) == 0, "a filter of two strata");
		len = draw_filter_write(&f, buf);
		ok(draw_filter_parse(&g, buf, len, err) == 0 && memcmp(&f, &g, sizeof(f)) == 0, "it reads back the same");
		b = draw_filter_bound(&g, "C", 1);
		ok(b.kind == DRAW_BOUND_NONE, "a stratum it does not name keeps nothing");
		ok(draw_filter_parse(&g, buf, len - 1, err) != 0, "a filter cut off is refused: %s", err);
		names[1] = "A";
		ok(draw_filter_make(&f, seed, 2, names, lens, fr, err) != 0, "a stratum named twice is refused: %s", err);
	}
	/* a part written into too small a buffer is refused, not written past its end */
	{
		uint8_t		pop[8] = {'S', 'P', 'O', 'P', 2, 0, 0, 0};
		uint8_t		out[64];
		size_t		len;
		draw_part_rec r;
		const char *nm[] = {"A"};

		memset(&r, 0, sizeof(r));
		ok(draw_part_write(&pc_env, NULL, 0, pop, 8, &r, 1, 1, nm, NULL, 0, out, draw_part_size(0, 8, 0), &len, err) != 0,
		   "draw_part_write refuses a buffer too small for its candidates: %s", err);
	}
	/* parts that are not */
	{
		draw_part	p;
		const uint8_t junk[] = "SDRP\001\000\000\000\000\000\000\000";

		ok(draw_part_parse(&p, (const uint8_t *) "SPOP\002\000\000\000", 8, err) != 0, "a population is not a part: %s", err);
		ok(draw_part_parse(&p, junk, sizeof(junk) - 1, err) != 0, "a part cut off is refused: %s", err);
	}

	/* a part stripped of its candidates (too large for a value) merged with one that has them */
	{
		uint64_t	r2 = 7;
		pc_row		rows[400];
		draw_filter f;
		draw_hasher h;
		uint8_t		seed[DRAW_SEED_LEN] = {9};
		const char *fn[] = {"A", "B", "C", "D", "all"};
		size_t		fl[] = {1, 1, 1, 1, 3};
		double		ff[] = {0.5, 0.5, 0.5, 0.5, 0.5};
		uint8_t    *a,
				   *b,
				   *m;
		size_t		la,
					lb,
					lm,
					lens[2];
		const uint8_t *parts[2];
		draw_part	pa,
					pm;

		for (int i = 0; i < 400; i++)
		{
			char		text[USCC_LEN];
			uint64_t	y = (uint64_t) i * 7919 + pc_rng(&r2) % 7;

			memcpy(text, "91350100", 8);
			for (int j = 16; j >= 8; j--, y /= 31)
				text[j] = "0123456789ABCDEFGHJKLMNPQRTUWXY"[y % 31];
			text[17] = uscc_check_char(text);
			uscc_pack(text, rows[i].code);
			rows[i].stratum = i % PC_NSTRATA;
		}
		draw_hasher_init(&h, seed);
		(void) draw_filter_make(&f, seed, 5, fn, fl, ff, err);
		a = pc_write(rows, 200, &f, &h, NULL, 0, &la);
		b = pc_write(rows + 200, 200, &f, &h, NULL, 0, &lb);
		ok(draw_part_parse(&pa, a, la, err) == 0 && pa.ncand > 0, "a part of 200 rows has candidates (%llu)", (unsigned long long) pa.ncand);
		lb = draw_part_strip(b, lb);
		ok(draw_part_parse(&pa, b, lb, err) == 0 && !pa.has_filter && pa.ncand == 0 && pa.pop_hdr.nrows == 200,
		   "a stripped part keeps its population, without filter or candidates");
		parts[0] = a;
		parts[1] = b;
		lens[0] = la;
		lens[1] = lb;
		m = pc_alloc(draw_part_merge_max_size(2, lens), NULL);
		ok(draw_part_merge(&pc_env, 2, parts, lens, 0, m, &lm, err) == 0 && draw_part_parse(&pm, m, lm, err) == 0
		   && !pm.has_filter && pm.ncand == 0 && pm.pop_hdr.nrows == 400,
		   "merged with a part that has candidates, the merge has none (they would be incomplete)");
		free(a);
		free(b);
		free(m);
	}

	for (int spread = 1; spread <= 1000; spread *= 10)
		for (int nparts = 1; nparts <= 16; nparts *= 2)
			for (int n = 0; n <= 7000; n = n ? n * 3 : 1)
				for (int rep = 0; rep < 3; rep++)
				{
					cases++;
					if (!draw_part_check(pc_rng(&rng), n, nparts, spread, &from_cand, &fallback))
					{
						bad++;
						printf("# differs: n %d, parts %d, spread %d\n", n, nparts, spread);
					}
				}
	ok(bad == 0, "a draw split across processes equals the serial draw (%d cases)", cases);
	ok(from_cand > 100 && fallback > 100, "strata were selected from their candidates (%d) and from their codes (%d)",
	   from_cand, fallback);
	return done_testing();
}
