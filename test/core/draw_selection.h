/*
 * draw_run's bottom-k (a buffer of candidates trimmed to k whenever it fills) against a full
 * sort by draw_item_cmp, on strata large enough that the buffer is trimmed many times, for k
 * from 1 to the whole stratum, unweighted and weighted. Included by test_draw.c, and by
 * test_draw_ties.c, whose cores the Makefile builds keeping only 8 bits of each digest in a candidate so
 * that nearly every comparison goes through the tie path (full digest and text again).
 */
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tap.h"
#include "uscc.h"

static void *
sel_alloc(size_t size, void *arg)
{
	(void) arg;
	return malloc(size ? size : 1);
}

static void
sel_release(void *p, void *arg)
{
	(void) arg;
	free(p);
}

typedef struct sel_row
{
	draw_item	it;
	char		code[USCC_LEN];
} sel_row;

static int	sel_weighted;

static int
sel_cmp(const void *a, const void *b)
{
	return draw_item_cmp(&((const sel_row *) a)->it, &((const sel_row *) b)->it, sel_weighted);
}

#define SEL_N 40001				/* stratum "big": 32000 rows, "small": 8001 (odd: draw_run takes rows in pairs) */

/* row i: code 91350100 + 9 base-31 digits of a scrambled i + check; weight 1, 2 or 3 */
static void
sel_code(uint32_t i, char code[USCC_LEN])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	uint64_t	x = (uint64_t) i * 2654435761u % 26439622160671ULL;

	memcpy(code, "91350100", 8);
	for (int j = 16; j >= 8; j--, x /= 31)
		code[j] = alphabet[x % 31];
	code[17] = uscc_check_char(code);
}

/* one stratum of pop, every row's item, sorted */
static sel_row *
sel_sorted(const draw_pop *pop, int s, const draw_hasher *h, int weighted)
{
	const draw_pop_stratum *st = &pop->strata[s];
	sel_row    *all = malloc(st->count * sizeof(sel_row));

	for (uint32_t i = 0; i < st->count; i++)
	{
		const uint8_t *r = pop->rows + (st->first + i) * pop->row_size;
		double		w = 1.0;

		uscc_unpack_text(r, all[i].code);
		if (pop->weighted)
		{
			uint64_t	bits = 0;

			for (int j = 0; j < 8; j++)
				bits = (bits << 8) | r[12 + j];
			memcpy(&w, &bits, 8);
		}
		draw_row_digest(h, all[i].code, USCC_LEN, all[i].it.d);
		draw_item_finish(&all[i].it, weighted, w);
		all[i].it.id_len = USCC_LEN;
	}
	for (uint32_t i = 0; i < st->count; i++)
		all[i].it.id = all[i].code;
	sel_weighted = weighted;
	qsort(all, st->count, sizeof(sel_row), sel_cmp);
	for (uint32_t i = 0; i < st->count; i++)
		all[i].it.id = all[i].code;	/* (qsort moved the rows) */
	return all;
}

static void
test_selection(const char *label)
{
	const draw_env senv = {sel_alloc, sel_release, NULL, NULL};
	const char *names[2] = {"big", "small"};
	static const uint32_t ks[][2] = {{1, 1}, {100, 3}, {4097, 5000}, {20000, 7999}, {32000, 8001}, {0, 2}};
	uint8_t		seed[DRAW_SEED_LEN];
	char		err[DRAW_ERRLEN];

	draw_seed_from(label, strlen(label), seed);
	for (int pw = 0; pw <= 1; pw++)
	{
		draw_wrec  *rows = malloc(SEL_N * sizeof(draw_wrec));
		draw_rec   *urows = malloc(SEL_N * sizeof(draw_rec));
		size_t		size;
		uint8_t    *bytes = malloc(draw_pop_max_size(2, names, pw, SEL_N));
		draw_pop	pop;
		int			built;

		for (uint32_t i = 0; i < SEL_N; i++)
		{
			char		code[USCC_LEN];
			uint8_t		packed[USCC_PACKED_LEN];

			sel_code(i, code);
			uscc_pack(code, packed);
			draw_rec_set(rows[i].key, i % 5 == 0 ? 1 : 0, packed);
			rows[i].w = 1.0 + (double) (i % 3);
			memcpy(urows[i].key, rows[i].key, sizeof(urows[i].key));
		}
		built = draw_pop_write(&senv, pw ? (void *) rows : (void *) urows, SEL_N, pw, 2, names,
							   NULL, 0, bytes, &size, err) == 0 && draw_pop_parse(&senv, &pop, bytes, size, err) == 0;
		ok(built && pop.strata[0].count == 32000 && pop.strata[1].count == 8001,
		   "%s: a %s population of 32000 + 8001 rows", label, pw ? "weighted" : "unweighted");
		for (int alg = DRAW_SHA256_V1; built && alg <= (pw ? DRAW_SHA256_V1_WEIGHTED : DRAW_SHA256_V1); alg++)
		{
			int			weighted = alg == DRAW_SHA256_V1_WEIGHTED;
			draw_hasher h;
			sel_row    *sorted[2];
			int			good = 1;

			draw_hasher_init(&h, seed);
			sorted[0] = sel_sorted(&pop, 0, &h, weighted);
			sorted[1] = sel_sorted(&pop, 1, &h, weighted);
			for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++)
			{
				uint32_t	k[2] = {ks[t][0], ks[t][1]};
				draw_target *out = malloc((k[0] + k[1]) * sizeof(draw_target) + 1);
				uint32_t	o = 0;

				good &= draw_run(&senv, &pop, seed, (draw_algorithm) alg, k, out, NULL, err) == 0;
				for (int s = 0; s < 2 && good; s++)
					for (uint32_t i = 0; i < k[s] && good; i++, o++)
					{
						char		code[USCC_LEN];

						uscc_unpack_text(out[o].code, code);
						good = out[o].stratum == (uint32_t) s && out[o].rank == i + 1
							&& memcmp(code, sorted[s][i].code, USCC_LEN) == 0;
					}
				free(out);
			}
			ok(good, "%s: %s over the %s population equals a full sort for k from 1 to all",
			   label, draw_algorithm_name(alg), pw ? "weighted" : "unweighted");
			free(sorted[0]);
			free(sorted[1]);
		}
		free(rows);
		free(urows);
		if (built)
			draw_pop_release(&senv, &pop);
		free(bytes);
	}
}
