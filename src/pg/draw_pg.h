/*
 * draw_pg.h — what draw_fn.c and sample_agg.c share: the draw_env that lets src/core/draw.c
 * allocate in the current memory context and check for interrupts, and the uscc datum layout.
 */
#ifndef SUPERVISE_DRAW_PG_H
#define SUPERVISE_DRAW_PG_H

#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "draw.h"

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

#endif							/* SUPERVISE_DRAW_PG_H */
