/*
 * population_part.c — population_agg and sample_agg with a bytea transition state and a combine
 * function, so that PostgreSQL's parallel workers and distributed engines (Citus runs them on its
 * workers as worker_partial_agg / coord_combine_agg) compute parts and ship only those.
 *
 * Each state is an expanded object (utils/expandeddatum.h) while it is being built: a C structure
 * the transition function changes in place, which becomes a bytea only when it has to travel
 * (flattened by the executor) or at the end. Flat, it is
 *   population_agg: a compact population, version 2 (src/core/draw.h), of the rows seen so far,
 *                   less the excluded codes; the states of any split of the rows merge
 *                   (draw_pop_merge) into the population of all of them, byte for byte;
 *   draw_part_agg:  a draw part (src/core/draw_part.h, "SDRP"): the same population and the
 *                   candidates of a sha256-v1 draw among those rows (the rows whose digest is
 *                   below their stratum's bound); parts merge (draw_part_merge);
 *   sample_agg:     the serialised sample state of draw.h ("SSMP").
 * A state that arrives flat (from a worker) is checked before any byte of it is used.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "nodes/execnodes.h"
#include "nodes/plannodes.h"
#include "utils/expandeddatum.h"
#include "utils/syscache.h"

#include "byteorder.h"
#include "draw_pg.h"

/* ---- population_agg ------------------------------------------------------------------------ */

typedef struct PopPart
{
	ExpandedObjectHeader hdr;
	PopState	st;				/* rows added since the last compaction */
	int			mode;			/* DRAW_MODE_* of everything seen */
	bool		has_excl;
	Pointer		excl_arg;		/* the argument they were taken from (the same on every row) */
	uint8	   *excl;			/* the excluded codes, packed, in order */
	uint64		nexcl;
	int			nruns;
	int			capruns;
	bytea	  **runs;			/* compact populations (flat states merged in, or rows compacted) */
	/* draw_part_agg: the runs are draw parts, and the rows' candidates are kept */
	bool		part;
	bool		has_filter;		/* set from the first row's arguments (the same on every row) */
	bool		filter_fixed;	/* they are constants or parameters of the query: not compared */
	struct varlena *filter_arg[3];	/* the arguments it was read from (seed, strata, fractions;
									 * NULL for a NULL), copied when they are not fixed */
	draw_filter filter;
	uint8		fbytes[DRAW_FILTER_MAX_SIZE];
	size_t		flen;			/* 0: no filter */
	draw_hasher hasher;
	int			nbounds;		/* strata of st whose bound is known */
	draw_bound	bound[DRAW_MAX_STRATA];	/* by st's stratum number */
	draw_part_rec *cand;		/* candidates of the rows added since the last compaction */
	uint64		ncand;
	uint64		capcand;
	bool		pending;		/* a row waiting to be hashed with the next (two at a time) */
	int			pend_stratum;
	uint8		pend_code[USCC_PACKED_LEN];
	char		pend_text[USCC_LEN];
} PopPart;

static Size pp_get_flat_size(ExpandedObjectHeader *eohptr);
static void pp_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods pp_methods = {pp_get_flat_size, pp_flatten_into};

static PopPart *
pp_new(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "population_agg state", ALLOCSET_DEFAULT_SIZES);
	PopPart    *pp = MemoryContextAllocZero(cxt, sizeof(PopPart));

	EOH_init_header(&pp->hdr, &pp_methods, cxt);
	pp->st.last = -1;
	return pp;
}

/* the PopPart a datum points at when it is one of ours (read-write or read-only), else NULL */
static PopPart *
pp_of(Datum d)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &pp_methods)
			return (PopPart *) eoh;
	}
	return NULL;
}

static void
pp_fail(const char *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid draw population"),
			 errdetail("%s.", err)));
}

static void
pp_set_mode(PopPart *pp, int mode)
{
	if (pp->mode == DRAW_MODE_NONE)
		pp->mode = mode;
	else if (pp->mode != mode)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("some rows of the draw population have a weight and some have none"),
				 errhint("Give every row a weight, or none.")));
}

/* adds a flat population (a partial state) as a run, copied into the state after its header is checked */
static void
pp_add_run(PopPart *pp, const uint8 *data, size_t len)
{
	draw_pop	hdr;
	char		err[DRAW_ERRLEN];
	bytea	   *run;
	bool		is_part = draw_part_is(data, len);

	if (pp->nruns == 0 && pp->st.n == 0 && !pp->has_filter)
		pp->part = is_part;
	if (is_part != pp->part)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid population_agg state"),
				 errdetail("A draw part and a population cannot be combined.")));
	if (is_part)
	{
		draw_part	part;

		if (draw_part_parse(&part, data, len, err) != 0)
			pp_fail(err);
		hdr = part.pop_hdr;
	}
	else if (draw_pop_parse_header(&hdr, data, len, err) != 0)
		pp_fail(err);
	if (hdr.version != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid population_agg state"),
				 errdetail("A partial state is a population of version 2, not %d.", hdr.version)));
	pp_set_mode(pp, hdr.weighted ? DRAW_MODE_WEIGHTED : DRAW_MODE_UNWEIGHTED);
	if (pp->nruns == pp->capruns)
	{
		pp->capruns = pp->capruns ? pp->capruns * 2 : 8;
		pp->runs = pp->runs ? repalloc(pp->runs, sizeof(bytea *) * pp->capruns)
			: MemoryContextAlloc(pp->hdr.eoh_context, sizeof(bytea *) * pp->capruns);
	}
	run = MemoryContextAllocExtended(pp->hdr.eoh_context, len + VARHDRSZ, MCXT_ALLOC_HUGE);
	SET_VARSIZE(run, len + VARHDRSZ);
	memcpy(VARDATA(run), data, len);
	pp->runs[pp->nruns++] = run;
}

/* keeps a row with digest d when it lies below its stratum's bound */
static void
pp_offer(PopPart *pp, int s, const uint8 *packed, const uint8 d[SHA256_DIGEST_LEN])
{
	uint64		dhi = be_get(d, 8);
	draw_part_rec *r;

	if (!draw_bound_keeps(&pp->bound[s], dhi))
		return;
	if (pp->ncand == pp->capcand)
	{
		pp->capcand = pp->capcand ? pp->capcand * 2 : 1024;
		pp->cand = pp->cand
			? repalloc_huge(pp->cand, pp->capcand * sizeof(draw_part_rec))
			: MemoryContextAllocExtended(pp->hdr.eoh_context, pp->capcand * sizeof(draw_part_rec), MCXT_ALLOC_HUGE);
	}
	r = &pp->cand[pp->ncand++];
	draw_rec_set(r->key, (unsigned) s, packed);
	r->dhi = dhi;
}

/* hashes the row waiting for a second one, alone */
static void
pp_flush_pending(PopPart *pp)
{
	uint8		d[SHA256_DIGEST_LEN];

	if (!pp->pending)
		return;
	draw_row_digest(&pp->hasher, pp->pend_text, USCC_LEN, d);
	pp_offer(pp, pp->pend_stratum, pp->pend_code, d);
	pp->pending = false;
}

/*
 * The part of a population just written from the rows (pop, in the state's context) and of the
 * candidates of the same rows; the candidates are then emptied.
 */
static bytea *
pp_part_of(PopPart *pp, bytea *pop)
{
	size_t		poplen = VARSIZE(pop) - VARHDRSZ,
				size,
				len;
	bytea	   *out;
	char		err[DRAW_ERRLEN];
	draw_env	env = draw_pg_env(pp->hdr.eoh_context);

	pp_flush_pending(pp);		/* (first: it may add a candidate) */
	size = draw_part_size(pp->flen, poplen, pp->ncand);
	out = palloc_extended(size + VARHDRSZ, MCXT_ALLOC_HUGE);
	if (draw_part_write(&env, pp->fbytes, pp->flen, (const uint8_t *) VARDATA(pop), poplen,
						pp->cand, pp->ncand, pp->st.nstrata, (const char *const *) pp->st.names,
						pp->excl, pp->nexcl, (uint8_t *) VARDATA(out), size, &len, err) != 0)
		pp_fail(err);
	if (len > MaxAllocSize - VARHDRSZ)
		len = draw_part_strip((uint8_t *) VARDATA(out), len);	/* drawn from its codes */
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("draw population is too large to record"),
				 errdetail("Its compact form takes %zu bytes; a bytea holds at most 1 GB.", len)));
	SET_VARSIZE(out, len + VARHDRSZ);
	pfree(pop);
	if (pp->cand)
		pfree(pp->cand);
	pp->cand = NULL;
	pp->ncand = pp->capcand = 0;
	return out;
}

/*
 * Brings the state to one run, the compact population of everything seen: the rows added since
 * the last time sorted and encoded (less the excluded codes), then all runs merged.
 */
static bytea *
pp_compact(PopPart *pp)
{
	MemoryContext old = MemoryContextSwitchTo(pp->hdr.eoh_context);

	if (pp->st.n > 0)
	{
		bytea	   *run = pop_state_finish(&pp->st, pp->excl, pp->nexcl);

		if (pp->part)
			run = pp_part_of(pp, run);
		pfree(pp->st.rows);
		pp->st.rows = NULL;
		pp->st.n = pp->st.cap = 0;
		if (pp->nruns == pp->capruns)
		{
			pp->capruns = pp->capruns ? pp->capruns * 2 : 8;
			pp->runs = pp->runs ? repalloc(pp->runs, sizeof(bytea *) * pp->capruns)
				: palloc(sizeof(bytea *) * pp->capruns);
		}
		pp->runs[pp->nruns++] = run;
	}
	if (pp->nruns == 0)
	{
		/* no row (all excluded, or none given): an empty population of the state's mode */
		bytea	   *run = palloc0(VARHDRSZ + 8);

		SET_VARSIZE(run, VARHDRSZ + 8);
		memcpy(VARDATA(run), "SPOP\002", 5);
		VARDATA(run)[5] = pp->mode == DRAW_MODE_WEIGHTED ? 1 : 0;
		if (pp->part)
			run = pp_part_of(pp, run);
		pp->runs = palloc(sizeof(bytea *) * 8);
		pp->capruns = 8;
		pp->runs[pp->nruns++] = run;
	}
	else if (pp->nruns > 1)
	{
		const uint8 **parts = palloc(sizeof(uint8 *) * pp->nruns);
		size_t	   *lens = palloc(sizeof(size_t) * pp->nruns);
		size_t		max,
					len;
		bytea	   *out;
		char		err[DRAW_ERRLEN];
		draw_env	env = draw_pg_env(pp->hdr.eoh_context);

		for (int i = 0; i < pp->nruns; i++)
		{
			parts[i] = (const uint8 *) VARDATA(pp->runs[i]);
			lens[i] = VARSIZE(pp->runs[i]) - VARHDRSZ;
		}
		max = pp->part ? draw_part_merge_max_size(pp->nruns, lens) : draw_pop_merge_max_size(pp->nruns, lens);
		out = palloc_extended(max + VARHDRSZ, MCXT_ALLOC_HUGE);
		if ((pp->part ? draw_part_merge(&env, pp->nruns, parts, lens, pp->mode == DRAW_MODE_WEIGHTED,
										(uint8_t *) VARDATA(out), &len, err)
			 : draw_pop_merge(&env, pp->nruns, parts, lens, pp->mode == DRAW_MODE_WEIGHTED,
							  (uint8_t *) VARDATA(out), &len, err)) != 0)
			pp_fail(err);
		if (pp->part && len > MaxAllocSize - VARHDRSZ)
			len = draw_part_strip((uint8_t *) VARDATA(out), len);	/* drawn from its codes */
		if (len > MaxAllocSize - VARHDRSZ)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("draw population is too large to record"),
					 errdetail("Its compact form takes %zu bytes; a bytea holds at most 1 GB.", len)));
		SET_VARSIZE(out, len + VARHDRSZ);
		for (int i = 0; i < pp->nruns; i++)
			pfree(pp->runs[i]);
		pfree(parts);
		pfree(lens);
		pp->runs[0] = out;
		pp->nruns = 1;
	}
	MemoryContextSwitchTo(old);
	return pp->runs[0];
}

static Size
pp_get_flat_size(ExpandedObjectHeader *eohptr)
{
	return VARSIZE(pp_compact((PopPart *) eohptr));
}

static void
pp_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	bytea	   *flat = pp_compact((PopPart *) eohptr);

	Assert(allocated_size == VARSIZE(flat));
	memcpy(result, flat, VARSIZE(flat));
}

/* the state argument as a PopPart that may be changed: ours read-write as it is, else a new one */
static PopPart *
pp_state_arg(FunctionCallInfo fcinfo, MemoryContext aggcxt)
{
	PopPart    *pp;
	Datum		d;

	if (PG_ARGISNULL(0))
		return pp_new(aggcxt);
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) && (pp = pp_of(d)) != NULL)
		return pp;
	pp = pp_new(aggcxt);
	if (pp_of(d) != NULL)
	{
		bytea	   *flat = pp_compact(pp_of(d));

		pp_add_run(pp, (const uint8 *) VARDATA(flat), VARSIZE(flat) - VARHDRSZ);
	}
	else
	{
		bytea	   *b = PG_GETARG_BYTEA_P(0);

		pp_add_run(pp, (const uint8 *) VARDATA(b), VARSIZE(b) - VARHDRSZ);
	}
	return pp;
}

/* the excluded codes (12 bytes each, in order): the same on every row */
static void
pp_set_exclusion(PopPart *pp, bytea *x)
{
	size_t		len = VARSIZE_ANY_EXHDR(x);

	if (pp->has_excl)
	{
		if (len != pp->nexcl * USCC_PACKED_LEN || memcmp(VARDATA_ANY(x), pp->excl, len) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("population_agg: the excluded codes changed between rows"),
					 errhint("The excluded codes must be the same on every row.")));
		return;
	}
	if (len % USCC_PACKED_LEN != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("population_agg: excluded codes of %zu bytes are not packed codes of %d bytes each", len, USCC_PACKED_LEN),
				 errhint("Make them with supervise.excluded_codes(query).")));
	for (size_t i = USCC_PACKED_LEN; i < len; i += USCC_PACKED_LEN)
		if (memcmp((const uint8 *) VARDATA_ANY(x) + i - USCC_PACKED_LEN, (const uint8 *) VARDATA_ANY(x) + i, USCC_PACKED_LEN) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("population_agg: the excluded codes are not in order"),
					 errhint("Make them with supervise.excluded_codes(query).")));
	pp->excl = MemoryContextAllocExtended(pp->hdr.eoh_context, len ? len : 1, MCXT_ALLOC_HUGE);
	memcpy(pp->excl, VARDATA_ANY(x), len);
	pp->nexcl = len / USCC_PACKED_LEN;
	pp->has_excl = true;
}

/*
 * Rows to make room for at first in a new state: the planner's estimate of the rows this process
 * aggregates and a tenth more (at most 2^26), when the aggregate has no groups (else 0: grow from
 * a small start). Growing by doubling copies a large population several times over.
 */
static uint64
pp_size_guess(FunctionCallInfo fcinfo)
{
	AggState   *as;
	PlanState  *child;
	double		rows;

	if (fcinfo->context == NULL || !IsA(fcinfo->context, AggState))
		return 0;
	as = (AggState *) fcinfo->context;
	child = outerPlanState(as);
	if (((Agg *) as->ss.ps.plan)->aggstrategy != AGG_PLAIN || child == NULL || child->plan == NULL)
		return 0;
	rows = child->plan->plan_rows * 1.1;
	return rows < 0 ? 0 : rows > (double) (UINT64CONST(1) << 26) ? (UINT64CONST(1) << 26) : (uint64) rows;
}

/* population_agg_sfunc(state bytea, code uscc, stratum text, weight float8 [, excluded bytea]) */
PG_FUNCTION_INFO_V1(population_part_sfunc);
Datum
population_part_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	PopPart    *pp;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "population_agg_sfunc called in non-aggregate context");
	pop_row_not_null(PG_ARGISNULL(1), PG_ARGISNULL(2));
	pp = pp_state_arg(fcinfo, aggcxt);
	if (pp->st.cap == 0 && pp->st.first_cap == 0)
		pp->st.first_cap = pp_size_guess(fcinfo);
	/* (the argument is a constant or parameter: compared, and detoasted, only when it is another datum) */
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4) && DatumGetPointer(PG_GETARG_DATUM(4)) != pp->excl_arg)
	{
		pp_set_exclusion(pp, PG_GETARG_BYTEA_PP(4));
		pp->excl_arg = DatumGetPointer(PG_GETARG_DATUM(4));
	}
	if (pp->st.mode == DRAW_MODE_NONE)
		pp->st.mode = pp->mode;
	pop_state_add(&pp->st, PG_GETARG_DATUM(1), PG_GETARG_TEXT_PP(2), !PG_ARGISNULL(3),
				  PG_ARGISNULL(3) ? 0.0 : PG_GETARG_FLOAT8(3), pp->hdr.eoh_context);
	pp->mode = pp->st.mode;
	PG_RETURN_DATUM(EOHPGetRWDatum(&pp->hdr));
}

/* population_agg_combine(bytea, bytea): the second state is added as a run (merged at the end) */
PG_FUNCTION_INFO_V1(population_part_combine);
Datum
population_part_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	PopPart    *pp,
			   *other;
	Datum		d;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "population_agg_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	pp = pp_state_arg(fcinfo, aggcxt);
	d = PG_GETARG_DATUM(1);
	if ((other = pp_of(d)) != NULL)
	{
		bytea	   *flat = pp_compact(other);

		pp_add_run(pp, (const uint8 *) VARDATA(flat), VARSIZE(flat) - VARHDRSZ);
	}
	else
	{
		bytea	   *b = PG_GETARG_BYTEA_P(1);

		pp_add_run(pp, (const uint8 *) VARDATA(b), VARSIZE(b) - VARHDRSZ);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&pp->hdr));
}

/* population_agg_final(bytea) -> bytea: the compact population (empty when there was no row) */
PG_FUNCTION_INFO_V1(population_part_final);
Datum
population_part_final(PG_FUNCTION_ARGS)
{
	PopPart    *pp;
	bytea	   *flat,
			   *out;

	if (PG_ARGISNULL(0))
	{
		out = palloc0(VARHDRSZ + 8);
		SET_VARSIZE(out, VARHDRSZ + 8);
		memcpy(VARDATA(out), "SPOP\002", 5);
		PG_RETURN_BYTEA_P(out);
	}
	if ((pp = pp_of(PG_GETARG_DATUM(0))) != NULL)
		flat = pp_compact(pp);
	else
	{
		/* a flat state (one part only): checked by merging it alone, which writes it again */
		bytea	   *b = PG_GETARG_BYTEA_P(0);

		uint8		empty[8] = {'S', 'P', 'O', 'P', 2, 0, 0, 0};

		pp = pp_new(CurrentMemoryContext);
		pp_add_run(pp, (const uint8 *) VARDATA(b), VARSIZE(b) - VARHDRSZ);
		empty[5] = pp->mode == DRAW_MODE_WEIGHTED ? 1 : 0;
		pp_add_run(pp, empty, sizeof(empty));
		flat = pp_compact(pp);
	}
	out = palloc_extended(VARSIZE(flat), MCXT_ALLOC_HUGE);
	memcpy(out, flat, VARSIZE(flat));
	PG_RETURN_BYTEA_P(out);
}

/* ---- draw_part_agg ---------------------------------------------------------------------------- */

/*
 * The filter from the arguments seed bytea, strata text[], fractions float8[]: written into f and
 * bytes; returns its length (0: no filter, when one of them is NULL).
 */
static size_t
pp_read_filter(FunctionCallInfo fcinfo, draw_filter *f, uint8 *bytes)
{
	Datum	   *names,
			   *fracs;
	bool	   *nnulls,
			   *fnulls;
	int			nn,
				nf;
	const char *cn[DRAW_MAX_STRATA];
	size_t		cl[DRAW_MAX_STRATA];
	double		cf[DRAW_MAX_STRATA];
	bytea	   *seed;
	char		err[DRAW_ERRLEN];

	if (PG_ARGISNULL(5) || PG_ARGISNULL(6) || PG_ARGISNULL(7))
		return 0;				/* no filter: no candidates */
	seed = PG_GETARG_BYTEA_PP(5);
	if (VARSIZE_ANY_EXHDR(seed) != DRAW_SEED_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("draw_part_agg: seed must be %d bytes, not %zu", DRAW_SEED_LEN, VARSIZE_ANY_EXHDR(seed))));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(6), TEXTOID, -1, false, TYPALIGN_INT, &names, &nnulls, &nn);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(7), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &fracs, &fnulls, &nf);
	if (nn != nf || nn > DRAW_MAX_STRATA)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("draw_part_agg: strata and fractions have %d and %d elements; they must match (at most %d)",
						nn, nf, DRAW_MAX_STRATA)));
	for (int i = 0; i < nn; i++)
	{
		if (nnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("draw_part_agg: strata cannot contain NULLs")));
		cn[i] = VARDATA_ANY(DatumGetPointer(names[i]));
		cl[i] = VARSIZE_ANY_EXHDR(DatumGetPointer(names[i]));
		cf[i] = fnulls[i] ? 0.0 : DatumGetFloat8(fracs[i]);
	}
	if (draw_filter_make(f, (const uint8 *) VARDATA_ANY(seed), nn, cn, cl, cf, err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("draw_part_agg: %s", err)));
	return draw_filter_write(f, bytes);
}

/*
 * Whether the transition function's arguments first..last are constants or parameters of the
 * query (the same datum on every row), as the aggregate's call reads them; false when that cannot
 * be told (the function called through another aggregate, as Citus's worker_partial_agg calls it).
 */
static bool
pp_args_fixed(FunctionCallInfo fcinfo, int first, int last)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	HeapTuple	tup;
	Oid			transfn;

	if (aggref == NULL || aggref->aggdirectargs != NIL)
		return false;
	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	if (!HeapTupleIsValid(tup))
		return false;
	transfn = ((Form_pg_aggregate) GETSTRUCT(tup))->aggtransfn;
	ReleaseSysCache(tup);
	if (transfn != fcinfo->flinfo->fn_oid || list_length(aggref->args) < last)
		return false;
	for (int i = first; i <= last; i++)
	{
		/* the aggregate's argument i - 1 is the transition function's argument i (after the state) */
		Node	   *e = (Node *) ((TargetEntry *) list_nth(aggref->args, i - 1))->expr;

		if (!IsA(e, Const) && !(IsA(e, Param) && ((Param *) e)->paramkind == PARAM_EXTERN))
			return false;
	}
	return true;
}

/* whether argument 5 + i (seed, strata, fractions) is the one the filter was read from, byte for byte */
static bool
pp_filter_arg_same(PopPart *pp, FunctionCallInfo fcinfo, int i)
{
	struct varlena *v,
			   *saved = pp->filter_arg[i];

	if (PG_ARGISNULL(5 + i) || saved == NULL)
		return PG_ARGISNULL(5 + i) && saved == NULL;
	v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(5 + i));
	return VARSIZE_ANY_EXHDR(v) == VARSIZE_ANY_EXHDR(saved)
		&& memcmp(VARDATA_ANY(v), VARDATA_ANY(saved), VARSIZE_ANY_EXHDR(v)) == 0;
}

/*
 * The filter of the first row. Unless its arguments are constants or parameters of the query, a
 * copy of them is kept and every later row's must be the same bytes (a query that varies them is
 * refused rather than drawn with the first row's); comparing them on every row would cost a tenth
 * of the aggregate's time.
 */
static void
pp_set_filter(PopPart *pp, FunctionCallInfo fcinfo)
{
	if (pp->has_filter)
	{
		if (pp->filter_fixed)
			return;
		for (int i = 0; i < 3; i++)
			if (!pp_filter_arg_same(pp, fcinfo, i))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("draw_part_agg: the seed, strata or fractions changed between rows"),
						 errhint("They must be the same on every row.")));
		return;
	}
	pp->flen = pp_read_filter(fcinfo, &pp->filter, pp->fbytes);
	if (pp->flen > 0)
		draw_hasher_init(&pp->hasher, pp->filter.seed);
	pp->has_filter = true;
	pp->filter_fixed = pp_args_fixed(fcinfo, 5, 7);
	if (pp->filter_fixed)
		return;
	for (int i = 0; i < 3; i++)
	{
		struct varlena *v;

		if (PG_ARGISNULL(5 + i))
			continue;
		v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(5 + i));
		pp->filter_arg[i] = MemoryContextAlloc(pp->hdr.eoh_context, VARSIZE_ANY(v));
		memcpy(pp->filter_arg[i], v, VARSIZE_ANY(v));
	}
}

/*
 * draw_part_agg_sfunc(state bytea, code uscc, stratum text, weight float8, excluded bytea,
 *                     seed bytea, strata text[], fractions float8[])
 */
PG_FUNCTION_INFO_V1(draw_part_sfunc);
Datum
draw_part_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	PopPart    *pp;
	int			s;
	const uint8 *packed;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "draw_part_agg_sfunc called in non-aggregate context");
	pop_row_not_null(PG_ARGISNULL(1), PG_ARGISNULL(2));
	pp = pp_state_arg(fcinfo, aggcxt);
	if (!pp->part)
	{
		if (pp->nruns > 0 || pp->st.n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid draw_part_agg state"),
					 errdetail("It is a population, not a draw part.")));
		pp->part = true;
	}
	pp_set_filter(pp, fcinfo);
	if (pp->st.cap == 0 && pp->st.first_cap == 0)
		pp->st.first_cap = pp_size_guess(fcinfo);
	if (!PG_ARGISNULL(4) && DatumGetPointer(PG_GETARG_DATUM(4)) != pp->excl_arg)
	{
		pp_set_exclusion(pp, PG_GETARG_BYTEA_PP(4));
		pp->excl_arg = DatumGetPointer(PG_GETARG_DATUM(4));
	}
	if (pp->st.mode == DRAW_MODE_NONE)
		pp->st.mode = pp->mode;
	pop_state_add(&pp->st, PG_GETARG_DATUM(1), PG_GETARG_TEXT_PP(2), !PG_ARGISNULL(3),
				  PG_ARGISNULL(3) ? 0.0 : PG_GETARG_FLOAT8(3), pp->hdr.eoh_context);
	pp->mode = pp->st.mode;

	/* the row's digest, when its stratum keeps candidates (never in a weighted population) */
	s = pp->st.last;
	while (pp->nbounds < pp->st.nstrata)
	{
		int			t = pp->nbounds++;

		if (pp->flen == 0 || pp->mode == DRAW_MODE_WEIGHTED)
			pp->bound[t].kind = DRAW_BOUND_NONE;
		else
			pp->bound[t] = draw_filter_bound(&pp->filter, pp->st.names[t], pp->st.name_len[t]);
	}
	if (pp->bound[s].kind != DRAW_BOUND_NONE && pp->mode != DRAW_MODE_WEIGHTED)
	{
		char		text[USCC_LEN];

		packed = DRAW_USCC_BYTES(PG_GETARG_DATUM(1));
		if (uscc_unpack_text(packed, text) != 0)
			pp_fail("a code is not a packed code");
		if (!pp->pending)
		{
			/* hashed with the next row that needs it (sha256_tail2 takes two at once) */
			pp->pending = true;
			pp->pend_stratum = s;
			memcpy(pp->pend_code, packed, USCC_PACKED_LEN);
			memcpy(pp->pend_text, text, USCC_LEN);
		}
		else
		{
			uint8		d0[SHA256_DIGEST_LEN],
						d1[SHA256_DIGEST_LEN];

			draw_code_digests(&pp->hasher, pp->pend_text, text, d0, d1);
			pp->pending = false;
			pp_offer(pp, pp->pend_stratum, pp->pend_code, d0);
			pp_offer(pp, s, packed, d1);
		}
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&pp->hdr));
}

/* draw_part_agg_final(bytea) -> bytea: the draw part (an empty one without a filter when there was no row) */
PG_FUNCTION_INFO_V1(draw_part_final);
Datum
draw_part_final(PG_FUNCTION_ARGS)
{
	PopPart    *pp;
	bytea	   *flat,
			   *out;

	if (PG_ARGISNULL(0))
	{
		pp = pp_new(CurrentMemoryContext);
		pp->part = true;
		flat = pp_compact(pp);
	}
	else if ((pp = pp_of(PG_GETARG_DATUM(0))) != NULL)
		flat = pp_compact(pp);
	else
	{
		/* a flat state (one part only): checked by merging it alone, which writes it again */
		bytea	   *b = PG_GETARG_BYTEA_P(0);

		pp = pp_new(CurrentMemoryContext);
		pp_add_run(pp, (const uint8 *) VARDATA(b), VARSIZE(b) - VARHDRSZ);
		flat = pp_compact(pp);
		if (pp->nruns == 1 && flat != NULL)
		{
			/* merge it with an empty part, as population_agg_final does */
			PopPart    *e = pp_new(CurrentMemoryContext);
			bytea	   *ef;

			e->part = true;
			e->mode = pp->mode;
			ef = pp_compact(e);
			pp_add_run(pp, (const uint8 *) VARDATA(ef), VARSIZE(ef) - VARHDRSZ);
			flat = pp_compact(pp);
		}
	}
	out = palloc_extended(VARSIZE(flat), MCXT_ALLOC_HUGE);
	memcpy(out, flat, VARSIZE(flat));
	PG_RETURN_BYTEA_P(out);
}

/* ---- excluded_codes(query text) -> bytea ------------------------------------------------------ */

PG_FUNCTION_INFO_V1(excluded_codes);
Datum
excluded_codes(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(draw_excluded_codes(text_to_cstring(PG_GETARG_TEXT_PP(0)), fcinfo->flinfo->fn_oid));
}

/* ---- sample_agg --------------------------------------------------------------------------- */

typedef struct SampPart
{
	ExpandedObjectHeader hdr;
	draw_sample s;
	bytea	   *flat;			/* the serialised state, while it is current */
} SampPart;

static Size sp_get_flat_size(ExpandedObjectHeader *eohptr);
static void sp_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods sp_methods = {sp_get_flat_size, sp_flatten_into};

static SampPart *
sp_of(Datum d)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &sp_methods)
			return (SampPart *) eoh;
	}
	return NULL;
}

static SampPart *
sp_new(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "sample_agg state", ALLOCSET_SMALL_SIZES);
	SampPart   *sp = MemoryContextAllocZero(cxt, sizeof(SampPart));

	EOH_init_header(&sp->hdr, &sp_methods, cxt);
	return sp;
}

static bytea *
sp_flat(SampPart *sp)
{
	if (sp->flat == NULL)
	{
		size_t		size = draw_sample_serial_size(&sp->s);

		if (size > MaxAllocSize - VARHDRSZ)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("sample_agg: state of %u items is too large to pass between processes", sp->s.heap.n)));
		sp->flat = MemoryContextAlloc(sp->hdr.eoh_context, size + VARHDRSZ);
		SET_VARSIZE(sp->flat, size + VARHDRSZ);
		draw_sample_serialise(&sp->s, (uint8_t *) VARDATA(sp->flat));
	}
	return sp->flat;
}

static Size
sp_get_flat_size(ExpandedObjectHeader *eohptr)
{
	return VARSIZE(sp_flat((SampPart *) eohptr));
}

static void
sp_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	bytea	   *flat = sp_flat((SampPart *) eohptr);

	memcpy(result, flat, VARSIZE(flat));
}

/* a serialised state into s, allocating in cxt; checked first */
static void
sp_deserialise(draw_sample *s, bytea *b, MemoryContext cxt)
{
	draw_env	env = draw_pg_env(cxt);
	char		err[DRAW_ERRLEN];

	if (draw_sample_deserialise(&env, s, (const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("sample_agg: invalid serialised state"),
				 errdetail("%s.", err)));
}

/* the state argument as a SampPart that may be changed; NULL when it is NULL */
static SampPart *
sp_state_arg(FunctionCallInfo fcinfo, MemoryContext aggcxt)
{
	SampPart   *sp,
			   *src;
	Datum		d;

	if (PG_ARGISNULL(0))
		return NULL;
	d = PG_GETARG_DATUM(0);
	src = sp_of(d);
	if (src != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return src;
	sp = sp_new(aggcxt);
	sp_deserialise(&sp->s, src != NULL ? sp_flat(src) : PG_GETARG_BYTEA_PP(0), sp->hdr.eoh_context);
	return sp;
}

/* sample_agg_sfunc(state bytea, id text, weight float8, k integer, seed bytea) */
PG_FUNCTION_INFO_V1(sample_part_sfunc);
Datum
sample_part_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SampPart   *sp;
	draw_env	env;
	int32		k;
	const uint8 *seed;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "sample_agg_sfunc called in non-aggregate context");
	sample_row_args(fcinfo, &k, &seed);
	sp = sp_state_arg(fcinfo, aggcxt);
	if (sp == NULL)
	{
		sp = sp_new(aggcxt);
		sample_row_start(&sp->s, k, seed);
	}
	else
		sample_row_same(&sp->s, k, seed);
	env = draw_pg_env(sp->hdr.eoh_context);
	if (sp->flat)
	{
		pfree(sp->flat);
		sp->flat = NULL;
	}
	sample_row_add(fcinfo, &env, &sp->s);
	PG_RETURN_DATUM(EOHPGetRWDatum(&sp->hdr));
}

/* sample_agg_combine(bytea, bytea) */
PG_FUNCTION_INFO_V1(sample_part_combine);
Datum
sample_part_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SampPart   *a,
			   *bsp;
	draw_sample tmp,
			   *b;
	draw_env	env;
	char		err[DRAW_ERRLEN];

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "sample_agg_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if ((bsp = sp_of(PG_GETARG_DATUM(1))) != NULL)
		b = &bsp->s;
	else
	{
		sp_deserialise(&tmp, PG_GETARG_BYTEA_PP(1), CurrentMemoryContext);
		b = &tmp;
	}
	a = sp_state_arg(fcinfo, aggcxt);
	if (a == NULL)
	{
		a = sp_new(aggcxt);
		draw_sample_init(&a->s, b->k, b->seed);
	}
	if (a->flat)
	{
		pfree(a->flat);
		a->flat = NULL;
	}
	env = draw_pg_env(a->hdr.eoh_context);
	if (draw_sample_merge(&env, &a->s, b, err) != 0)
		sample_fail(err);
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/* sample_agg_final(bytea) -> text[]: the kept ids in rank order */
PG_FUNCTION_INFO_V1(sample_part_final);
Datum
sample_part_final(PG_FUNCTION_ARGS)
{
	SampPart   *sp;
	draw_sample tmp,
			   *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if ((sp = sp_of(PG_GETARG_DATUM(0))) != NULL)
		st = &sp->s;
	else
	{
		sp_deserialise(&tmp, PG_GETARG_BYTEA_PP(0), CurrentMemoryContext);
		st = &tmp;
	}

	PG_RETURN_ARRAYTYPE_P(sample_result(st));
}
