/*
 * sample_agg.c — supervise.sample_agg(id text, weight float8, k integer, seed bytea) -> text[]:
 * the sha256-v1 selection as a parallel-safe aggregate (transition, combine, serial, deserial and
 * final functions) around draw_sample in src/core/draw.c. The state lives in the aggregate's
 * memory context; a serialised state is checked before any byte of it is trusted.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "draw_pg.h"

void
sample_fail(const char *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("sample_agg: %s", err)));
}

void
sample_row_args(FunctionCallInfo fcinfo, int32 *k, const uint8 **seed)
{
	bytea	   *s;

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sample_agg: k and seed must not be NULL")));
	*k = PG_GETARG_INT32(3);
	s = PG_GETARG_BYTEA_PP(4);
	if (VARSIZE_ANY_EXHDR(s) != DRAW_SEED_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be %d bytes, not %d", DRAW_SEED_LEN, (int) VARSIZE_ANY_EXHDR(s)),
				 errhint("Use supervise.seed_from(text) to make a seed from a published text.")));
	*seed = (const uint8 *) VARDATA_ANY(s);
}

void
sample_row_start(draw_sample *st, int32 k, const uint8 *seed)
{
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_agg: k must not be negative: %d", k)));
	draw_sample_init(st, k, seed);
}

void
sample_row_same(const draw_sample *st, int32 k, const uint8 *seed)
{
	if (k != st->k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_agg: k changed between rows, from %d to %d", st->k, k),
				 errhint("k and seed must be the same on every row.")));
	if (memcmp(st->seed, seed, DRAW_SEED_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_agg: seed changed between rows"),
				 errhint("k and seed must be the same on every row.")));
}

void
sample_row_add(FunctionCallInfo fcinfo, const draw_env *env, draw_sample *st)
{
	text	   *id;
	char	   *u;
	int			len;
	char		err[DRAW_ERRLEN];

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sample_agg: id must not be NULL")));
	id = PG_GETARG_TEXT_PP(1);
	len = VARSIZE_ANY_EXHDR(id);
	u = pg_server_to_any(VARDATA_ANY(id), len, PG_UTF8);
	if (u != VARDATA_ANY(id))
		len = strlen(u);
	if (draw_sample_add(env, st, u, (size_t) len, !PG_ARGISNULL(2),
						PG_ARGISNULL(2) ? 0.0 : PG_GETARG_FLOAT8(2), err) != 0)
		sample_fail(err);
}

ArrayType *
sample_result(const draw_sample *st)
{
	draw_heap	copy;
	Datum	   *d;

	/* sort a copy, so the state stays a heap (the final function may run more than once) */
	copy = st->heap;
	copy.items = palloc((copy.n ? copy.n : 1) * sizeof(draw_item));
	if (copy.n)
		memcpy(copy.items, st->heap.items, copy.n * sizeof(draw_item));
	draw_heap_sort(&copy);
	d = palloc((copy.n ? copy.n : 1) * sizeof(Datum));
	for (uint32 i = 0; i < copy.n; i++)
	{
		char	   *s = pg_any_to_server(copy.items[i].id, (int) copy.items[i].id_len, PG_UTF8);

		d[i] = PointerGetDatum(s == copy.items[i].id
							   ? cstring_to_text_with_len(s, (int) copy.items[i].id_len)
							   : cstring_to_text(s));
	}
	return construct_array(d, (int) copy.n, TEXTOID, -1, false, TYPALIGN_INT);
}

PG_FUNCTION_INFO_V1(sample_agg_sfunc);
Datum
sample_agg_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	draw_sample *st;
	draw_env	env;
	int32		k;
	const uint8 *seed;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "sample_agg_sfunc called in non-aggregate context");
	sample_row_args(fcinfo, &k, &seed);
	env = draw_pg_env(aggcxt);
	if (PG_ARGISNULL(0))
	{
		st = MemoryContextAlloc(aggcxt, sizeof(draw_sample));
		sample_row_start(st, k, seed);
	}
	else
	{
		st = (draw_sample *) PG_GETARG_POINTER(0);
		sample_row_same(st, k, seed);
	}
	sample_row_add(fcinfo, &env, st);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(sample_agg_combine);
Datum
sample_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	draw_sample *a,
			   *b;
	draw_env	env;
	char		err[DRAW_ERRLEN];

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "sample_agg_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	b = (draw_sample *) PG_GETARG_POINTER(1);
	env = draw_pg_env(aggcxt);
	if (PG_ARGISNULL(0))
	{
		/* a fresh state in the aggregate context; the merge copies b's ids into it */
		a = MemoryContextAlloc(aggcxt, sizeof(draw_sample));
		draw_sample_init(a, b->k, b->seed);
	}
	else
		a = (draw_sample *) PG_GETARG_POINTER(0);
	if (draw_sample_merge(&env, a, b, err) != 0)
		sample_fail(err);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(sample_agg_serial);
Datum
sample_agg_serial(PG_FUNCTION_ARGS)
{
	draw_sample *st;
	size_t		size;
	bytea	   *out;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "sample_agg_serial called in non-aggregate context");
	st = (draw_sample *) PG_GETARG_POINTER(0);
	size = draw_sample_serial_size(st);
	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sample_agg: state of %u items is too large to pass between processes", st->heap.n)));
	out = palloc(size + VARHDRSZ);
	SET_VARSIZE(out, size + VARHDRSZ);
	draw_sample_serialise(st, (uint8_t *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(sample_agg_deserial);
Datum
sample_agg_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	draw_sample *st;
	draw_env	env = draw_pg_env(CurrentMemoryContext);
	char		err[DRAW_ERRLEN];

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "sample_agg_deserial called in non-aggregate context");
	b = PG_GETARG_BYTEA_PP(0);
	st = palloc(sizeof(draw_sample));
	if (draw_sample_deserialise(&env, st, (const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("sample_agg: invalid serialised state"),
				 errdetail("%s.", err)));
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(sample_agg_final);
Datum
sample_agg_final(PG_FUNCTION_ARGS)
{
	draw_sample *st;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "sample_agg_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (draw_sample *) PG_GETARG_POINTER(0);

	PG_RETURN_ARRAYTYPE_P(sample_result(st));
}
