/*
 * draw.c built with only the first 8 bits of each digest kept in a draw candidate, so that
 * draw_run's selection resolves almost every comparison by its tie path (the full digest, then
 * the code); the selected targets must still equal a full sort. See draw_selection.h.
 */
#define DRAW_CAND_DHI_MASK UINT64_C(0xFF00000000000000)
#include "../../src/core/draw.c"

#include "draw_selection.h"

int
main(void)
{
	test_selection("8-bit candidate digests");
	return done_testing();
}
