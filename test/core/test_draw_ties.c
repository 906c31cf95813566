/*
 * The selection of draw_run when almost every comparison goes to its tie path (the full digest,
 * then the code): the Makefile builds this test's cores with only the first 8 bits of each digest
 * kept in a draw candidate (DRAW_CAND_DHI_MASK). The selected targets must still equal a full
 * sort. See draw_selection.h. The same for the selection from the candidates of a draw split
 * across processes (draw_run_part, draw_part_check.h).
 */
#include "draw_selection.h"
#include "draw_part_check.h"

int
main(void)
{
	int			bad = 0,
				cases = 0,
				from_cand = 0,
				fallback = 0;
	uint64_t	rng = 0x13198A2E03707344ULL;

#ifndef DRAW_CAND_DHI_MASK
#error "test_draw_ties needs the cores built with DRAW_CAND_DHI_MASK (see the Makefile)"
#endif
	test_selection("8-bit candidate digests");
	for (int nparts = 1; nparts <= 8; nparts *= 2)
		for (int n = 1; n <= 3000; n *= 3)
			for (int rep = 0; rep < 4; rep++)
			{
				cases++;
				if (!draw_part_check(pc_rng(&rng), n, nparts, 3, &from_cand, &fallback))
					bad++;
			}
	ok(bad == 0 && from_cand > 10, "8-bit candidate digests: a draw split across processes equals the serial draw (%d cases, %d strata from candidates)",
	   cases, from_cand);
	return done_testing();
}
