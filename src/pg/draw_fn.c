/*
 * draw_fn.c — fmgr glue of the draw functions around src/core/draw.c: seeds, the row digest, the
 * compact population (its aggregate, header, rows), the selection over a population, and RFC 3797.
 * supervise.draw() itself is PL/pgSQL in src/sql/50_draw.sql and calls these.
 */
#include "postgres.h"
#include "pg_compat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "byteorder.h"
#include "draw_pg.h"
#include "message.h"
#include "spi_receiver.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static const uint8 *
draw_seed_arg(bytea *seed)
{
	if (VARSIZE_ANY_EXHDR(seed) != DRAW_SEED_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be %d bytes, not %d", DRAW_SEED_LEN, (int) VARSIZE_ANY_EXHDR(seed)),
				 errhint("Use supervise.seed_from(text) to make a seed from a published text, or pass NULL to draw() for a random one.")));
	return (const uint8 *) VARDATA_ANY(seed);
}

static draw_algorithm
draw_algorithm_arg(text *t)
{
	char	   *name = text_to_cstring(t);
	int			alg = draw_algorithm_from_name(name);

	if (alg < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown draw algorithm: \"%s\"", message_value(name)),
				 errhint("The algorithms are sha256-v1, sha256-v1-weighted and rfc3797.")));
	return (draw_algorithm) alg;
}

/* the text as UTF-8 bytes (the draw is defined on UTF-8) */
static char *
text_utf8(text *t, int *len)
{
	char	   *s = VARDATA_ANY(t);
	int			l = VARSIZE_ANY_EXHDR(t);
	char	   *u = pg_server_to_any(s, l, PG_UTF8);

	*len = (u == s) ? l : (int) strlen(u);
	return u;
}

/* header_only: only the header is read and checked (draw_pop_parse_header) */
static void
draw_pop_bytes(draw_pop *pop, const uint8_t *data, size_t len, bool header_only)
{
	char		err[DRAW_ERRLEN];
	int			rc;

	if (header_only)
		rc = draw_pop_parse_header(pop, data, len, err);
	else
	{
		/* (a version 2 population is decoded into CurrentMemoryContext) */
		draw_env	env = draw_pg_env(CurrentMemoryContext);

		rc = draw_pop_parse(&env, pop, data, len, err);
	}
	if (rc == DRAW_POP_BAD_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid draw population: a stratum name is not valid UTF-8"),
				 errdetail("%s.", err)));
	if (rc != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid draw population"),
				 errdetail("%s.", err)));
}

static void
draw_pop_arg(draw_pop *pop, bytea *b, bool header_only)
{
	draw_pop_bytes(pop, (const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), header_only);
}

/* a draw part (draw_part_agg), checked */
static void
draw_part_arg(draw_part *part, bytea *b)
{
	char		err[DRAW_ERRLEN];

	if (draw_part_parse(part, (const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid draw part"),
				 errdetail("%s.", err)));
}

/* ---- draw_part_population(bytea) -> bytea ------------------------------------------------------- */

PG_FUNCTION_INFO_V1(draw_part_population);
Datum
draw_part_population(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	draw_part	part;
	bytea	   *out;

	draw_part_arg(&part, b);
	out = palloc_extended(part.pop_len + VARHDRSZ, MCXT_ALLOC_HUGE);
	SET_VARSIZE(out, part.pop_len + VARHDRSZ);
	memcpy(VARDATA(out), part.pop, part.pop_len);
	PG_RETURN_BYTEA_P(out);
}

/* ---- seeds and the row digest ------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(draw_seed_from_text);
Datum
draw_seed_from_text(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *s = text_utf8(PG_GETARG_TEXT_PP(0), &len);
	bytea	   *out = palloc(VARHDRSZ + DRAW_SEED_LEN);

	SET_VARSIZE(out, VARHDRSZ + DRAW_SEED_LEN);
	draw_seed_from(s, (size_t) len, (uint8_t *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(draw_random_seed);
Datum
draw_random_seed(PG_FUNCTION_ARGS)
{
	bytea	   *out = palloc(VARHDRSZ + DRAW_SEED_LEN);

	SET_VARSIZE(out, VARHDRSZ + DRAW_SEED_LEN);
	if (!pg_strong_random(VARDATA(out), DRAW_SEED_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random seed")));
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(draw_digest_fn);
Datum
draw_digest_fn(PG_FUNCTION_ARGS)
{
	int			len;
	char	   *id = text_utf8(PG_GETARG_TEXT_PP(0), &len);
	const uint8 *seed = draw_seed_arg(PG_GETARG_BYTEA_PP(1));
	draw_hasher h;
	bytea	   *out = palloc(VARHDRSZ + SHA256_DIGEST_LEN);

	draw_hasher_init(&h, seed);
	SET_VARSIZE(out, VARHDRSZ + SHA256_DIGEST_LEN);
	draw_row_digest(&h, id, (size_t) len, (uint8_t *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* ---- population_agg(uscc, stratum text, weight float8) -> bytea ---------------------------- */

/* (PopState is in draw_pg.h: population_part.c builds partial populations with it too) */

static int
pop_stratum(PopState *st, text *t, MemoryContext cxt)
{
	char	   *s = VARDATA_ANY(t);
	int			l = VARSIZE_ANY_EXHDR(t);

	/* (called for every row: lengths and first bytes are compared before the rest of the names) */
	if (st->last >= 0 && st->name_len[st->last] == l && l > 0 && st->names[st->last][0] == s[0]
		&& (l == 1 || memcmp(st->names[st->last] + 1, s + 1, l - 1) == 0))
		return st->last;
	for (int i = 0; i < st->nstrata; i++)
		if (st->name_len[i] == l && l > 0 && st->names[i][0] == s[0]
			&& (l == 1 || memcmp(st->names[i] + 1, s + 1, l - 1) == 0))
			return st->last = i;
	if (l < 1 || l > DRAW_MAX_STRATUM_NAME || memchr(s, '\0', l) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid stratum name: \"%s\"", message_value(text_to_cstring(t))),
				 errdetail("A stratum name has 1 to %d bytes.", DRAW_MAX_STRATUM_NAME)));
	if (st->nstrata == DRAW_MAX_STRATA)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a draw population has at most %d strata", DRAW_MAX_STRATA)));
	st->names[st->nstrata] = MemoryContextStrdup(cxt, text_to_cstring(t));
	st->name_len[st->nstrata] = l;
	return st->last = st->nstrata++;
}

/*
 * Adds a row to a population being built: code (a uscc datum), stratum, weight (weighted = the
 * row has one). The first row decides whether the population is weighted; a mix is an error.
 * Shared by population_agg and population_collect.
 */
void
pop_state_add(PopState *st, Datum code, text *stratum_t, bool weighted, double w, MemoryContext cxt)
{
	int			stratum;
	size_t		recsize;

	if (st->mode == DRAW_MODE_NONE)
		st->mode = weighted ? DRAW_MODE_WEIGHTED : DRAW_MODE_UNWEIGHTED;
	else if ((st->mode == DRAW_MODE_WEIGHTED) != weighted)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("some rows of the draw population have a weight and some have none"),
				 errhint("Give every row a weight, or none.")));
	recsize = weighted ? sizeof(draw_wrec) : sizeof(draw_rec);

	stratum = pop_stratum(st, stratum_t, cxt);
	if (st->n == st->cap)
	{
		uint64		ncap = st->cap ? st->cap * 2 : Max(st->first_cap, 1024);

		if (ncap * recsize > MaxAllocHugeSize / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("draw population is too large")));
		if (st->rows == NULL)
			st->rows = MemoryContextAllocExtended(cxt, ncap * recsize, MCXT_ALLOC_HUGE);
		else
			st->rows = repalloc_huge(st->rows, ncap * recsize);
		st->cap = ncap;
	}
	if (weighted)
	{
		draw_wrec  *r = &((draw_wrec *) st->rows)[st->n];

		if (!(w > 0) || isinf(w))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("draw weight must be a positive finite number, not %g", w)));
		draw_rec_set(r->key, (unsigned) stratum, DRAW_USCC_BYTES(code));
		r->w = w;
	}
	else
	{
		draw_rec   *r = &((draw_rec *) st->rows)[st->n];

		draw_rec_set(r->key, (unsigned) stratum, DRAW_USCC_BYTES(code));
	}
	st->n++;
}

void
pop_row_not_null(bool code_null, bool stratum_null)
{
	if (code_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a draw population cannot hold a NULL code")));
	if (stratum_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a draw population row cannot have a NULL stratum")));
}

/*
 * The compact population of a finished state (sorted, checked, serialised), in CurrentMemoryContext,
 * without the rows whose codes are among the nexclude packed codes at exclude (in order).
 */
bytea *
pop_state_finish(PopState *st, const uint8 *exclude, uint64 nexclude)
{
	size_t		size,
				len;
	bytea	   *out;
	char		err[DRAW_ERRLEN];
	draw_env	env = draw_pg_env(CurrentMemoryContext);

	/* room for the longest encoding, then cut to what was written */
	size = draw_pop_max_size(st->nstrata, (const char *const *) st->names, st->mode == DRAW_MODE_WEIGHTED, st->n);
	out = palloc_extended(size + VARHDRSZ, MCXT_ALLOC_HUGE);
	if (draw_pop_write(&env, st->rows, st->n, st->mode == DRAW_MODE_WEIGHTED, st->nstrata,
					   (const char *const *) st->names, exclude, nexclude, (uint8_t *) VARDATA(out), &len, err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid draw population"),
				 errdetail("%s.", err)));
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("draw population of %llu rows is too large to record", (unsigned long long) st->n),
				 errdetail("Its compact form takes %zu bytes; a bytea holds at most 1 GB.", len)));
	out = repalloc_huge(out, len + VARHDRSZ);
	SET_VARSIZE(out, len + VARHDRSZ);
	return out;
}

PG_FUNCTION_INFO_V1(population_agg_sfunc);
Datum
population_agg_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	PopState   *st;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "population_agg_sfunc called in non-aggregate context");
	pop_row_not_null(PG_ARGISNULL(1), PG_ARGISNULL(2));
	if (PG_ARGISNULL(0))
	{
		st = MemoryContextAllocZero(aggcxt, sizeof(PopState));
		st->last = -1;
	}
	else
		st = (PopState *) PG_GETARG_POINTER(0);
	pop_state_add(st, PG_GETARG_DATUM(1), PG_GETARG_TEXT_PP(2), !PG_ARGISNULL(3),
				  PG_ARGISNULL(3) ? 0.0 : PG_GETARG_FLOAT8(3), aggcxt);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(population_agg_final);
Datum
population_agg_final(PG_FUNCTION_ARGS)
{
	PopState	empty;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "population_agg_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		memset(&empty, 0, sizeof(empty));
		PG_RETURN_BYTEA_P(pop_state_finish(&empty, NULL, 0));
	}
	PG_RETURN_BYTEA_P(pop_state_finish((PopState *) PG_GETARG_POINTER(0), NULL, 0));
}

/* ---- population_collect(query, stratified, weighted, excluded) -> bytea -------------------- *
 *
 * The compact population of a query's rows (uscc, stratum text, weight float8), read straight
 * from the executor by a DestReceiver: no tuplestore in between and no function call per row.
 * stratified = false puts every row in the stratum "all"; weighted = false ignores the weight.
 * The codes of the query excluded are left out (merged out as the population is written). draw()
 * runs the two queries of eligibility_parts(task) through it.
 */
typedef struct PopReceiver
{
	DestReceiver pub;
	PopState	st;
	MemoryContext cxt;
	bool		stratified;
	bool		weighted;
	text	   *all;
	Oid			uscc_type;		/* supervise.uscc, in the schema of population_collect */
	uint64		seen;
} PopReceiver;

static void
pop_receiver_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	PopReceiver *r = (PopReceiver *) self;

	if (desc->natts != 3
		|| TupleDescAttr(desc, 0)->atttypid != r->uscc_type
		|| TupleDescAttr(desc, 1)->atttypid != TEXTOID
		|| TupleDescAttr(desc, 2)->atttypid != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a population query must return (uscc, text, double precision)"),
				 errdetail("It returns %d columns.", desc->natts)));
}

static bool
pop_receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	PopReceiver *r = (PopReceiver *) self;
	text	   *stratum;
	double		w = 0.0;

	slot_getsomeattrs(slot, 3);
	pop_row_not_null(slot->tts_isnull[0], r->stratified && slot->tts_isnull[1]);
	if (r->weighted && slot->tts_isnull[2])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a weighted draw population row cannot have a NULL weight")));
	if (r->stratified)
	{
		stratum = (text *) DatumGetPointer(slot->tts_values[1]);
		if (VARATT_IS_EXTENDED(stratum) && !VARATT_IS_SHORT(stratum))
			stratum = (text *) pg_detoast_datum_packed((struct varlena *) stratum);
	}
	else
		stratum = r->all;
	if (r->weighted)
		w = DatumGetFloat8(slot->tts_values[2]);
	pop_state_add(&r->st, slot->tts_values[0], stratum, r->weighted, w, r->cxt);
	if ((++r->seen & 16383) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

/*
 * Rows to make room for at first: the planner's estimate and a tenth more (at most 2^26 rows).
 * Growing by doubling from a small start copies a 10M-row population four times over and, with
 * the fresh pages of each copy, took about a tenth of the collection.
 */
static uint64
population_size_guess(SPIPlanPtr plan)	/* an unsaved plan (collect_prepare) */
{
	CachedPlan *cp = SPI_plan_get_cached_plan(plan);
	double		rows = 0;

	if (cp == NULL)
		return 0;
	if (list_length(cp->stmt_list) == 1)
	{
		PlannedStmt *ps = linitial_node(PlannedStmt, cp->stmt_list);

		if (ps->planTree != NULL)
			rows = ps->planTree->plan_rows;
	}
	/* (held by no resource owner: the plan of collect_prepare is never saved) */
	ReleaseCachedPlan(cp, NULL);
	rows = rows * 1.1;
	return rows < 0 ? 0 : rows > (double) (UINT64CONST(1) << 26) ? (UINT64CONST(1) << 26) : (uint64) rows;
}

/*
 * The codes an exclusion query returns (one uscc column), collected to leave them out of the
 * population; NULLs match nothing (as in NOT EXISTS) and are skipped.
 */
typedef struct ExclReceiver
{
	DestReceiver pub;
	Oid			uscc_type;
	MemoryContext cxt;
	uint8	   *codes;			/* n packed codes */
	uint64		n;
	uint64		cap;
} ExclReceiver;

StaticAssertDecl(USCC_PACKED_LEN <= RADIX_MAX_KEYLEN, "excluded codes are sorted by radix_sort_inplace");

static void
excl_receiver_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	ExclReceiver *r = (ExclReceiver *) self;

	if (desc->natts != 1 || TupleDescAttr(desc, 0)->atttypid != r->uscc_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("an exclusion query must return one column of type uscc"),
				 desc->natts != 1 ? errdetail("It returns %d columns.", desc->natts)
				 : errdetail("It returns a column of type %s.", format_type_be(TupleDescAttr(desc, 0)->atttypid))));
}

static bool
excl_receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ExclReceiver *r = (ExclReceiver *) self;

	slot_getsomeattrs(slot, 1);
	if (slot->tts_isnull[0])
		return true;
	if (r->n == r->cap)
	{
		r->cap = r->cap ? r->cap * 2 : 1024;
		if (r->cap * USCC_PACKED_LEN > MaxAllocHugeSize / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many excluded codes")));
		r->codes = r->codes ? repalloc_huge(r->codes, r->cap * USCC_PACKED_LEN)
			: MemoryContextAllocExtended(r->cxt, r->cap * USCC_PACKED_LEN, MCXT_ALLOC_HUGE);
	}
	memcpy(r->codes + r->n * USCC_PACKED_LEN, DRAW_USCC_BYTES(slot->tts_values[0]), USCC_PACKED_LEN);
	r->n++;
	return true;
}

/* an exclusion receiver for codes of the uscc type uscc_type */
static ExclReceiver *
excl_receiver_new(Oid uscc_type)
{
	ExclReceiver *x = palloc0(sizeof(ExclReceiver));

	spi_receiver_init(&x->pub, excl_receiver_receive, excl_receiver_startup);
	x->cxt = CurrentMemoryContext;
	x->uscc_type = uscc_type;
	return x;
}

/* the received codes in order, repeats kept (the population's writer and the caller merge them) */
static void
excl_receiver_sort(ExclReceiver *x)
{
	uint8	   *scratch;

	if (x->n < 2)
		return;
	scratch = palloc(RADIX_INPLACE_SCRATCH);
	radix_sort_inplace(x->codes, x->n, USCC_PACKED_LEN, USCC_PACKED_LEN, scratch);
	pfree(scratch);
}

/* the uscc type of this extension: the one in the schema of fn_oid, a function of the extension */
static Oid
extension_uscc_type(Oid fn_oid)
{
	Oid			t = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("uscc"),
									ObjectIdGetDatum(get_func_namespace(fn_oid)));

	if (!OidIsValid(t))
		elog(ERROR, "type uscc not found in the schema of function %u", fn_oid);
	return t;
}

/* a population (or exclusion) query that must be one SELECT, prepared with the cursor options given */
static SPIPlanPtr
collect_prepare(const char *query, bool exclusion, int cursor_options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(query, 0, NULL, cursor_options);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for %s query: %s", exclusion ? "an exclusion" : "a population",
			 SPI_result_code_string(SPI_result));
	/* one statement that returns rows, and nothing else is run */
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 exclusion
				 ? errmsg("an exclusion query must be one SELECT")
				 : errmsg("a population query must be one SELECT"),
				 errdetail("The query was: %s", query)));
	return plan;
}

/* runs it into dest, in the active snapshot */
static void
collect_run(SPIPlanPtr plan, DestReceiver *dest, const char *what)
{
	SPIExecuteOptions opts;
	int			rc;

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = dest;
	/* (with a DestReceiver of its own, SPI reports a SELECT as SPI_OK_UTILITY) */
	rc = SPI_execute_plan_extended(plan, &opts);
	if (rc != SPI_OK_UTILITY && rc != SPI_OK_SELECT)
		elog(ERROR, "%s query failed: %s", what, SPI_result_code_string(rc));
}

PG_FUNCTION_INFO_V1(population_collect);
Datum
population_collect(PG_FUNCTION_ARGS)
{
	char	   *query;
	char	   *excluded = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	PopReceiver *r = palloc0(sizeof(PopReceiver));
	ExclReceiver *x;
	SPIPlanPtr	plan,
				xplan = NULL;
	bytea	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("population_collect needs a query, stratified and weighted")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	spi_receiver_init(&r->pub, pop_receiver_receive, pop_receiver_startup);
	r->cxt = CurrentMemoryContext;
	r->stratified = PG_GETARG_BOOL(1);
	r->weighted = PG_GETARG_BOOL(2);
	r->all = cstring_to_text("all");
	r->st.last = -1;
	r->uscc_type = extension_uscc_type(fcinfo->flinfo->fn_oid);
	x = excl_receiver_new(r->uscc_type);

	SPI_connect();
	plan = collect_prepare(query, false, 0);
	if (excluded)
		xplan = collect_prepare(excluded, true, 0);
	r->st.first_cap = population_size_guess(plan);

	/*
	 * Both queries see one snapshot, new as for a new statement in READ COMMITTED (so it is taken
	 * after the caller's locks): an exclusion and the population it applies to agree.
	 */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (xplan)
		collect_run(xplan, (DestReceiver *) x, "exclusion");
	collect_run(plan, (DestReceiver *) r, "population");
	PopActiveSnapshot();
	SPI_finish();

	/* the excluded codes in order (the rows are left out as the population is written) */
	excl_receiver_sort(x);
	result = pop_state_finish(&r->st, x->codes, x->n);
	PG_RETURN_BYTEA_P(result);
}

/*
 * The codes a query returns (one uscc column; NULLs skipped), packed, sorted and without repeats,
 * as population_agg takes the codes it leaves out. Runs the query as the caller, in a new
 * snapshot. fn_oid: a function of this extension (its schema holds the uscc type).
 */
bytea *
draw_excluded_codes(const char *query, Oid fn_oid)
{
	ExclReceiver *x = excl_receiver_new(extension_uscc_type(fn_oid));
	SPIPlanPtr	plan;
	bytea	   *out;
	uint64		n = 0;

	SPI_connect();
	/* (a scan of a large directory for its inactive subjects: parallel workers may do it) */
	plan = collect_prepare(query, true, CURSOR_OPT_PARALLEL_OK);
	PushActiveSnapshot(GetTransactionSnapshot());
	collect_run(plan, (DestReceiver *) x, "exclusion");
	PopActiveSnapshot();
	SPI_finish();
	excl_receiver_sort(x);
	if ((Size) x->n * USCC_PACKED_LEN > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many excluded codes: %llu", (unsigned long long) x->n)));
	out = palloc(VARHDRSZ + x->n * USCC_PACKED_LEN + 1);
	for (uint64 i = 0; i < x->n; i++)
		if (n == 0 || memcmp(VARDATA(out) + (n - 1) * USCC_PACKED_LEN, x->codes + i * USCC_PACKED_LEN, USCC_PACKED_LEN) != 0)
			memcpy(VARDATA(out) + (n++) * USCC_PACKED_LEN, x->codes + i * USCC_PACKED_LEN, USCC_PACKED_LEN);
	SET_VARSIZE(out, VARHDRSZ + n * USCC_PACKED_LEN);
	return out;
}

/* ---- population_strata(bytea) -> (stratum, n); population_rows(bytea) -> (uscc, stratum, weight) */

PG_FUNCTION_INFO_V1(population_strata);
Datum
population_strata(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	draw_pop	pop;

	InitMaterializedSRF(fcinfo, 0);
	draw_pop_arg(&pop, PG_GETARG_BYTEA_PP(0), true);
	for (int s = 0; s < pop.nstrata; s++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = PointerGetDatum(cstring_to_text_with_len(pop.strata[s].name, pop.strata[s].name_len));
		values[1] = Int64GetDatum(pop.strata[s].count);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(population_rows);
Datum
population_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	draw_pop	pop;

	InitMaterializedSRF(fcinfo, 0);
	draw_pop_arg(&pop, PG_GETARG_BYTEA_PP(0), false);
	for (int s = 0; s < pop.nstrata; s++)
	{
		Datum		name = PointerGetDatum(cstring_to_text_with_len(pop.strata[s].name, pop.strata[s].name_len));
		const uint8 *r = pop.rows + pop.strata[s].first * pop.row_size;

		for (uint32 i = 0; i < pop.strata[s].count; i++, r += pop.row_size)
		{
			Datum		values[3];
			bool		nulls[3] = {false, false, !pop.weighted};
			uint8	   *code = palloc(USCC_PACKED_LEN);

			memcpy(code, r, USCC_PACKED_LEN);
			values[0] = PointerGetDatum(code);
			values[1] = name;
			if (pop.weighted)
			{
				uint64		bits = be_get(r + USCC_PACKED_LEN, 8);
				double		w;

				memcpy(&w, &bits, sizeof(w));
				values[2] = Float8GetDatum(w);
			}
			else
				values[2] = (Datum) 0;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			pfree(code);
			if ((i & 4095) == 4095)
				CHECK_FOR_INTERRUPTS();
		}
	}
	return (Datum) 0;
}

/* ---- draw_select(population, seed, algorithm, strata text[], k int[]) ----------------------- */

PG_FUNCTION_INFO_V1(draw_select);
Datum
draw_select(PG_FUNCTION_ARGS)
{
	bytea	   *popb = PG_GETARG_BYTEA_PP(0);
	const uint8 *seed = draw_seed_arg(PG_GETARG_BYTEA_PP(1));
	draw_algorithm alg = draw_algorithm_arg(PG_GETARG_TEXT_PP(2));
	ArrayType  *strata_a = PG_GETARG_ARRAYTYPE_P(3);
	ArrayType  *k_a = PG_GETARG_ARRAYTYPE_P(4);
	Datum	   *snames,
			   *kvals;
	bool	   *snulls,
			   *knulls;
	int			ns,
				nk;
	draw_pop	pop;
	uint32		k[DRAW_MAX_STRATA];
	uint64		total = 0;
	draw_target *out;
	uint8		digest[SHA256_DIGEST_LEN];
	char		err[DRAW_ERRLEN];
	draw_env	env = draw_pg_env(CurrentMemoryContext);
	TupleDesc	tupdesc;
	Oid			uscc_type;
	Datum	   *codes,
			   *names,
			   *ranks;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	bytea	   *digest_b;
	bool		is_part;
	draw_part	part;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "draw_select must return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	uscc_type = get_element_type(TupleDescAttr(tupdesc, 1)->atttypid);

	is_part = draw_part_is((const uint8_t *) VARDATA_ANY(popb), VARSIZE_ANY_EXHDR(popb));
	if (is_part)
	{
		draw_part_arg(&part, popb);
		draw_pop_bytes(&pop, part.pop, part.pop_len, false);
	}
	else
		draw_pop_arg(&pop, popb, false);
	deconstruct_array(strata_a, TEXTOID, -1, false, TYPALIGN_INT, &snames, &snulls, &ns);
	deconstruct_array(k_a, INT4OID, 4, true, TYPALIGN_INT, &kvals, &knulls, &nk);
	if (ns != nk)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("strata and k have %d and %d elements; they must match", ns, nk)));
	memset(k, 0, sizeof(k));
	for (int i = 0; i < ns; i++)
	{
		char	   *name;
		int			kv;
		int			found = -1;

		if (snulls[i] || knulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("strata and k cannot contain NULLs")));
		name = TextDatumGetCString(snames[i]);
		kv = DatumGetInt32(kvals[i]);
		if (kv < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k must not be negative: %d for stratum \"%s\"", kv, name)));
		for (int j = 0; j < i; j++)
			if (strcmp(TextDatumGetCString(snames[j]), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("stratum \"%s\" is given twice", name)));
		for (int s = 0; s < pop.nstrata; s++)
			if (strcmp(pop.strata[s].name, name) == 0)
				found = s;
		if (found < 0)
		{
			if (kv > 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("stratum \"%s\" has no rows in the population, so %d cannot be drawn from it", name, kv)));
			continue;
		}
		k[found] = (uint32) kv;
		total += (uint64) kv;
	}
	/* k against the population before the targets are allocated (k may be absurd) */
	if (draw_check_k(&pop, alg, k, err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot draw with %s", draw_algorithm_name(alg)),
				 errdetail("%s.", err)));
	out = palloc_extended(total ? total * sizeof(draw_target) : 1, MCXT_ALLOC_HUGE);
	if (is_part ? draw_run_part(&env, &part, &pop, seed, alg, k, out, digest, NULL, err) != 0
		: draw_run(&env, &pop, seed, alg, k, out, digest, err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot draw with %s", draw_algorithm_name(alg)),
				 errdetail("%s.", err)));

	codes = palloc_extended((total ? total : 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
	names = palloc_extended((total ? total : 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
	ranks = palloc_extended((total ? total : 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
	{
		Datum		sn[DRAW_MAX_STRATA];

		for (int s = 0; s < pop.nstrata; s++)
			sn[s] = PointerGetDatum(cstring_to_text_with_len(pop.strata[s].name, pop.strata[s].name_len));
		for (uint64 i = 0; i < total; i++)
		{
			codes[i] = PointerGetDatum(out[i].code);
			names[i] = sn[out[i].stratum];
			ranks[i] = Int32GetDatum((int32) out[i].rank);
		}
	}
	digest_b = palloc(VARHDRSZ + SHA256_DIGEST_LEN);
	SET_VARSIZE(digest_b, VARHDRSZ + SHA256_DIGEST_LEN);
	memcpy(VARDATA(digest_b), digest, SHA256_DIGEST_LEN);
	values[0] = PointerGetDatum(digest_b);
	values[1] = PointerGetDatum(construct_array(codes, (int) total, uscc_type, USCC_PACKED_LEN, false, TYPALIGN_CHAR));
	values[2] = PointerGetDatum(construct_array(names, (int) total, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(ranks, (int) total, INT4OID, 4, true, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- rfc3797_select(pool_size, k, key) -> integer[] --------------------------------------- */

PG_FUNCTION_INFO_V1(rfc3797_select_fn);
Datum
rfc3797_select_fn(PG_FUNCTION_ARGS)
{
	int32		pool = PG_GETARG_INT32(0);
	int32		k = PG_GETARG_INT32(1);
	int			keylen;
	char	   *key = text_utf8(PG_GETARG_TEXT_PP(2), &keylen);
	uint32	   *pos;
	Datum	   *d;
	char		err[DRAW_ERRLEN];
	draw_env	env = draw_pg_env(CurrentMemoryContext);

	if (pool < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pool size must not be negative: %d", pool)));
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must not be negative: %d", k)));
	if (k > pool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot select %d from a pool of %d", k, pool)));
	if (k > DRAW_RFC3797_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("RFC 3797 selects at most %d items, not %d", DRAW_RFC3797_MAX_K, k),
				 errdetail("The selection counter is two bytes.")));
	pos = palloc((k ? k : 1) * sizeof(uint32));
	if (rfc3797_select(&env, (uint32) pool, (uint32) k, key, (size_t) keylen, pos, err) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("RFC 3797 selection failed: %s", err)));
	d = palloc((k ? k : 1) * sizeof(Datum));
	for (int i = 0; i < k; i++)
		d[i] = Int32GetDatum((int32) pos[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, k, INT4OID, 4, true, TYPALIGN_INT));
}
