/*
 * match_fn.c — fmgr glue of supervise.match_compute() around src/core/match.c: one department's
 * inspectors matched to a draw's targets. supervise.match_inspectors() (src/sql/55_match.sql)
 * calls it once per department of the task. supervise.match_role() is the core's match_role()
 * for SQL (assign_inspector asks it).
 */
#include "postgres.h"
#include "pg_compat.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "draw_pg.h"
#include "match.h"

typedef struct code_ix
{
	const uint8 *code;
	uint32		index;
} code_ix;

typedef struct id_ix
{
	int64		id;
	uint32		index;
} id_ix;

static int
code_ix_cmp(const void *a, const void *b)
{
	return memcmp(((const code_ix *) a)->code, ((const code_ix *) b)->code, USCC_PACKED_LEN);
}

static int
id_ix_cmp(const void *a, const void *b)
{
	int64		x = ((const id_ix *) a)->id,
				y = ((const id_ix *) b)->id;

	return x < y ? -1 : x > y;
}

static void
uscc_array(ArrayType *a, Oid elemtype, Datum **d, int *n)
{
	bool	   *nulls;

	deconstruct_array(a, elemtype, USCC_PACKED_LEN, false, TYPALIGN_CHAR, d, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("match_compute: code arrays cannot contain NULLs")));
}

static void
int8_array(ArrayType *a, Datum **d, int *n)
{
	bool	   *nulls;

	deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, d, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("match_compute: id arrays cannot contain NULLs")));
}

/* one role per inspector, from match_role() over the certificate arrays (NULL date: no end) */
static uint8 *
inspector_roles(ArrayType *certified, ArrayType *until, int ni, DateADT first_day, bool allow_second)
{
	Datum	   *cd,
			   *ud;
	bool	   *cn,
			   *un;
	int			nc,
				nu;
	uint8	   *roles = palloc(ni ? ni : 1);

	deconstruct_array(certified, BOOLOID, 1, true, TYPALIGN_CHAR, &cd, &cn, &nc);
	deconstruct_array(until, DATEOID, sizeof(DateADT), true, TYPALIGN_INT, &ud, &un, &nu);
	if (nc != ni || nu != ni)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("match_compute: the certificate arrays must have one element per inspector (%d, %d, %d)", ni, nc, nu)));
	for (int i = 0; i < ni; i++)
	{
		if (cn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("match_compute: the certified array cannot contain NULLs")));
		roles[i] = (uint8) match_role(DatumGetBool(cd[i]), un[i] ? MATCH_NO_END : DatumGetDateADT(ud[i]),
									  first_day, allow_second);
	}
	return roles;
}

/* index pairs of (code, inspector id) rows that name a known target and inspector */
static match_pair *
pairs(Datum *codes, Datum *ids, int n, code_ix *tix, int nt, id_ix *iix, int ni, uint32 *np)
{
	match_pair *p = palloc((n ? n : 1) * sizeof(match_pair));

	*np = 0;
	for (int i = 0; i < n; i++)
	{
		code_ix		ck = {DRAW_USCC_BYTES(codes[i]), 0};
		id_ix		ik = {DatumGetInt64(ids[i]), 0};
		code_ix    *cf = bsearch(&ck, tix, nt, sizeof(code_ix), code_ix_cmp);
		id_ix	   *inf = bsearch(&ik, iix, ni, sizeof(id_ix), id_ix_cmp);

		if (cf && inf)
		{
			p[*np].target = cf->index;
			p[*np].inspector = inf->index;
			(*np)++;
		}
	}
	return p;
}

/*
 * match_compute_certified(seed, targets uscc[], inspector_ids bigint[], certified boolean[],
 *               qualified_until date[], first_day date, allow_uncertified_second boolean,
 *               conflict_targets uscc[], conflict_inspectors bigint[], pre_targets uscc[],
 *               pre_inspectors bigint[], per_target integer, department text)
 *   -> TABLE(uscc, inspector_id)
 * and, for a database whose extension is still at 0.1.0 (its match_compute is declared with this
 * symbol and without the four certificate arguments), match_compute: every inspector any place.
 */
static Datum match_compute_common(FunctionCallInfo fcinfo, bool certificates);

PG_FUNCTION_INFO_V1(match_compute_certified);
Datum
match_compute_certified(PG_FUNCTION_ARGS)
{
	return match_compute_common(fcinfo, true);
}

PG_FUNCTION_INFO_V1(match_compute);
Datum
match_compute(PG_FUNCTION_ARGS)
{
	return match_compute_common(fcinfo, false);
}

static Datum
match_compute_common(FunctionCallInfo fcinfo, bool certificates)
{
	/* the certificate arguments come after the inspectors: the others move by 4 */
	int			off = certificates ? 4 : 0;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bytea	   *seed = PG_GETARG_BYTEA_PP(0);
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(1);
	Oid			uscc_type = ARR_ELEMTYPE(ta);
	DateADT		first_day = certificates ? PG_GETARG_DATEADT(5) : 0;
	bool		allow_second = certificates ? PG_GETARG_BOOL(6) : false;
	int32		m = PG_GETARG_INT32(7 + off);
	char	   *dept = text_to_cstring(PG_GETARG_TEXT_PP(8 + off));
	uint8	   *roles = NULL;
	Datum	   *tcodes,
			   *iids,
			   *ccodes,
			   *cids,
			   *pcodes,
			   *pids;
	int			nt,
				ni,
				nc,
				nci,
				np,
				npi;
	code_ix    *tix;
	id_ix	   *iix;
	uint8	   *tbytes;
	int64	   *ids;
	match_pair *conf,
			   *pre;
	uint32		nconf,
				npre;
	uint32	   *out;
	match_error e;
	char		err[DRAW_ERRLEN];
	draw_env	env = draw_pg_env(CurrentMemoryContext);

	InitMaterializedSRF(fcinfo, 0);
	if (VARSIZE_ANY_EXHDR(seed) != DRAW_SEED_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be %d bytes, not %d", DRAW_SEED_LEN, (int) VARSIZE_ANY_EXHDR(seed))));
	if (m < 1 || m > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("inspectors per target must be between 1 and 64, not %d", m)));
	uscc_array(ta, uscc_type, &tcodes, &nt);
	int8_array(PG_GETARG_ARRAYTYPE_P(2), &iids, &ni);
	if (certificates)
		roles = inspector_roles(PG_GETARG_ARRAYTYPE_P(3), PG_GETARG_ARRAYTYPE_P(4), ni, first_day, allow_second);
	uscc_array(PG_GETARG_ARRAYTYPE_P(3 + off), uscc_type, &ccodes, &nc);
	int8_array(PG_GETARG_ARRAYTYPE_P(4 + off), &cids, &nci);
	uscc_array(PG_GETARG_ARRAYTYPE_P(5 + off), uscc_type, &pcodes, &np);
	int8_array(PG_GETARG_ARRAYTYPE_P(6 + off), &pids, &npi);
	if (nc != nci || np != npi)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("match_compute: conflict and assignment arrays must come in pairs of equal length")));

	tbytes = palloc_extended((nt ? nt : 1) * (Size) USCC_PACKED_LEN, MCXT_ALLOC_HUGE);
	tix = palloc_extended((nt ? nt : 1) * sizeof(code_ix), MCXT_ALLOC_HUGE);
	for (int i = 0; i < nt; i++)
	{
		memcpy(tbytes + (Size) i * USCC_PACKED_LEN, DRAW_USCC_BYTES(tcodes[i]), USCC_PACKED_LEN);
		tix[i].code = tbytes + (Size) i * USCC_PACKED_LEN;
		tix[i].index = (uint32) i;
	}
	qsort(tix, nt, sizeof(code_ix), code_ix_cmp);
	for (int i = 1; i < nt; i++)
		if (memcmp(tix[i - 1].code, tix[i].code, USCC_PACKED_LEN) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("match_compute: a target appears twice")));
	ids = palloc((ni ? ni : 1) * sizeof(int64));
	iix = palloc((ni ? ni : 1) * sizeof(id_ix));
	for (int i = 0; i < ni; i++)
	{
		ids[i] = DatumGetInt64(iids[i]);
		iix[i].id = ids[i];
		iix[i].index = (uint32) i;
	}
	qsort(iix, ni, sizeof(id_ix), id_ix_cmp);
	for (int i = 1; i < ni; i++)
		if (iix[i - 1].id == iix[i].id)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("match_compute: inspector %lld appears twice", (long long) iix[i].id)));
	conf = pairs(ccodes, cids, nc, tix, nt, iix, ni, &nconf);
	pre = pairs(pcodes, pids, np, tix, nt, iix, ni, &npre);

	out = palloc_extended((nt ? nt : 1) * (Size) m * sizeof(uint32), MCXT_ALLOC_HUGE);
	if (match_assign(&env, (const uint8_t *) VARDATA_ANY(seed), (uint32) nt, tbytes, (uint32) ni, ids, roles,
					 nconf, conf, npre, pre, (uint32) m, out, &e, err) != 0)
	{
		if (e.missing == 0)
			elog(ERROR, "inspector matching failed: %s", err);
		if (e.target == MATCH_NONE && e.certified_missing && e.available >= (uint32) m)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no inspector of department %s has an enforcement certificate valid on %s", dept,
							DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(first_day)))),
					 errdetail("Every target needs one certified inspector of the department; its %u other matchable inspectors have no certificate.",
							   e.available),
					 errhint("Record the inspectors' renewed certificates (inspector.qualified_until), or add certified inspectors to the department.")));
		if (e.target == MATCH_NONE)
		{
			uint32		left_out = 0;

			for (int i = 0; roles && i < ni; i++)
				left_out += roles[i] == MATCH_ROLE_NONE;
			if (left_out == 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("too few inspectors in department %s: %u missing", dept, e.missing),
						 errdetail("It has %u active inspectors; %d are needed for every target.", e.available, m),
						 errhint("Add active inspectors to the department, or lower the task's inspectors_per_target.")));
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("too few inspectors in department %s: %u missing", dept, e.missing),
					 errdetail("It has %u active inspectors; %u of them cannot be matched on %s (an enforcement certificate lapsed, or none where the department does not allow it); %d are needed for every target.",
							   e.available + left_out, left_out,
							   DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(first_day))), m),
					 errhint("Record renewed certificates (inspector.qualified_until), add active inspectors to the department, or lower the task's inspectors_per_target.")));
		}
		else
		{
			char		code[USCC_LEN + 1];

			if (uscc_unpack(tbytes + (Size) e.target * USCC_PACKED_LEN, code) != 0)
				strcpy(code, "?");
			code[USCC_LEN] = '\0';
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("too few inspectors in department %s for target %s: %u missing", dept, code, e.missing),
					 e.certified_missing
					 ? errdetail("%u of its active inspectors have no conflict with the target and are not on it already; %u more are needed, one of them with a valid enforcement certificate.",
								 e.available, e.missing)
					 : errdetail("%u of its active inspectors have no conflict with the target and are not on it already; %u more are needed.",
								 e.available, e.missing),
					 errhint("Add inspectors, or assign one by hand with supervise.assign_inspector(draw_id, uscc, inspector_id, reason).")));
		}
	}

	for (int t = 0; t < nt; t++)
		for (int s = 0; s < m; s++)
		{
			uint32		ix = out[(Size) t * m + s];
			Datum		values[2];
			bool		nulls[2] = {false, false};

			if (ix == MATCH_NONE)
				continue;
			values[0] = PointerGetDatum(tbytes + (Size) t * USCC_PACKED_LEN);
			values[1] = Int64GetDatum(ids[ix]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}

/*
 * match_role(certified boolean, qualified_until date, first_day date,
 *            allow_uncertified_second boolean) -> text: 'any', 'second' or 'none' (match_role()
 * of src/core/match.c); NULL when certified, first_day or allow_uncertified_second is NULL.
 */
PG_FUNCTION_INFO_V1(match_role_sql);
Datum
match_role_sql(PG_FUNCTION_ARGS)
{
	match_role_t r;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	r = match_role(PG_GETARG_BOOL(0), PG_ARGISNULL(1) ? MATCH_NO_END : PG_GETARG_DATEADT(1),
				   PG_GETARG_DATEADT(2), PG_GETARG_BOOL(3));
	PG_RETURN_TEXT_P(cstring_to_text(r == MATCH_ROLE_ANY ? "any" : r == MATCH_ROLE_SECOND ? "second" : "none"));
}
