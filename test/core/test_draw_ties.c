/*
 * The selection of draw_run when almost every comparison goes to its tie path (the full digest,
 * then the code): the Makefile builds this test's cores with only the first 8 bits of each digest
 * kept in a draw candidate (DRAW_CAND_DHI_MASK). The selected targets must still equal a full
 * sort. See draw_selection.h.
 */
#include "draw_selection.h"

int
main(void)
{
#ifndef DRAW_CAND_DHI_MASK
#error "test_draw_ties needs the cores built with DRAW_CAND_DHI_MASK (see the Makefile)"
#endif
	test_selection("8-bit candidate digests");
	return done_testing();
}
