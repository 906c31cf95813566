/*
 * draw_pg.h — what draw_fn.c and sample_agg.c share: the draw_env that lets src/core/draw.c
 * allocate in the current memory context and check for interrupts, and the uscc datum layout.
 */
#ifndef SUPERVISE_DRAW_PG_H
#define SUPERVISE_DRAW_PG_H

#include "postgres.h"

#include "miscadmin.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "draw.h"
#include "draw_part.h"

static void *
draw_pg_alloc(size_t size, void *arg)
{
	return MemoryContextAllocExtended((MemoryContext) arg, size ? size : 1, MCXT_ALLOC_HUGE);
}

static void
draw_pg_release(void *ptr, void *arg)
{
	pfree(ptr);
}

static void
draw_pg_tick(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/* an environment allocating in cxt */
static inline draw_env
draw_pg_env(MemoryContext cxt)
{
	draw_env	env;

	env.alloc = draw_pg_alloc;
	env.release = draw_pg_release;
	env.tick = draw_pg_tick;
	env.arg = cxt;
	return env;
}

/* a uscc Datum points at 12 packed bytes (src/pg/uscc_type.c) */
#define DRAW_USCC_BYTES(datum) ((const uint8 *) DatumGetPointer(datum))

/*
 * A population being built from rows (draw_fn.c): population_collect's receiver and the
 * transition state of population_agg (population_part.c).
 */
typedef struct PopState
{
	int			mode;			/* DRAW_MODE_* */
	int			nstrata;
	char	   *names[DRAW_MAX_STRATA];
	int			name_len[DRAW_MAX_STRATA];
	int			last;			/* stratum of the previous row */
	uint64		n;
	uint64		cap;
	uint64		first_cap;		/* rows of the first allocation (0: 1024) */
	char	   *rows;			/* draw_rec or draw_wrec */
} PopState;

/* adds a row (code: a uscc datum; weighted: the row has weight w), allocating in cxt */
extern void pop_state_add(PopState *st, Datum code, text *stratum_t, bool weighted, double w, MemoryContext cxt);
/* errors for a NULL code or stratum */
extern void pop_row_not_null(bool code_null, bool stratum_null);
/* the compact population of the rows, less the nexclude sorted packed codes at exclude */
extern bytea *pop_state_finish(PopState *st, const uint8 *exclude, uint64 nexclude);
/* the codes a query returns, packed, sorted, without repeats (draw_fn.c; excluded_codes()) */
extern bytea *draw_excluded_codes(const char *query, Oid fn_oid);

/*
 * One row of sample_agg(id, weight, k, seed), shared by its transition functions (src/pg/sample_agg.c):
 * k and seed read and checked; a new state started (k >= 0) or a row's k and seed checked against
 * the state's; the row's id (as UTF-8) and weight added. Errors as sample_agg's.
 */
extern void sample_fail(const char *err);	/* raises the error, never returns */
extern void sample_row_args(FunctionCallInfo fcinfo, int32 *k, const uint8 **seed);
extern void sample_row_start(draw_sample *st, int32 k, const uint8 *seed);
extern void sample_row_same(const draw_sample *st, int32 k, const uint8 *seed);
extern void sample_row_add(FunctionCallInfo fcinfo, const draw_env *env, draw_sample *st);
/* the ids a sample_agg state keeps, in rank order (the state is left as it is) */
extern ArrayType *sample_result(const draw_sample *st);

#endif							/* SUPERVISE_DRAW_PG_H */
