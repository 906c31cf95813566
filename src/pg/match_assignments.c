/*
 * match_assignments.c — assignments_insert(draw_id, department_id, uscc[], inspector_id[]): how
 * match_inspectors() writes one department's matches into assignment.
 *
 * A task of 500,000 targets with two inspectors each makes a million assignments. Through INSERT
 * every row runs three foreign-key checks (one query each, on draw_target, inspector and
 * department), which took most of the time. Here the rows go in like COPY (bulk_insert.c), in
 * the order of the primary key (code, inspector), and the insert triggers' work is done once:
 *   - the foreign keys: every (draw, code) is a target of the draw (one join of the arrays with
 *     draw_target; target rows are never updated or deleted, draw_target_guard), every inspector
 *     and the department exist, locked FOR KEY SHARE as the checks would lock them;
 *   - audit_match (statement trigger): its one audit_log entry for the statement, with the same
 *     counts; audit_direct does not apply (these rows are not direct).
 * Any other INSERT trigger on assignment (or rules, row-level security that applies) makes it
 * fall back to INSERT ... SELECT FROM unnest(...), where every trigger runs. Only the owner may
 * call it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "bulk_insert.h"
#include "draw_pg.h"
#include "radix.h"

typedef struct AssignTables
{
	Oid			assignment;
	Oid			target;			/* draw_target */
	Oid			inspector;
	Oid			department;
	AttrNumber	cols[4];		/* assignment (draw_id, uscc, inspector_id, department_id) */
	AttrNumber	target_key[2];	/* draw_target (draw_id, uscc) */
	AttrNumber	inspector_id;	/* inspector (id) */
	AttrNumber	department_id;	/* department (id) */
	Oid			audit_row_fn;
	Oid			audit_match_fn;
	bool		run_audit;		/* audit_match is on assignment and enabled: write its entry */
} AssignTables;

static Oid
table(const char *name, Oid nspid)
{
	Oid			relid = get_relname_relid(name, nspid);

	if (!OidIsValid(relid))
		elog(ERROR, "assignments_insert: table \"%s\" not found", name);
	return relid;
}

static Oid
trigger_function(const char *nsp, const char *name)
{
	return LookupFuncName(list_make2(makeString(pstrdup(nsp)), makeString(pstrdup(name))), 0, NULL, true);
}

/* the INSERT triggers whose work assignments_insert does itself (see the head of the file) */
static bool
trigger_done_here(const Trigger *t, void *arg)
{
	AssignTables *at = (AssignTables *) arg;

	if (bulk_trigger_is_fk(t, at->assignment, at->target, 2, &at->cols[0], at->target_key)
		|| bulk_trigger_is_fk(t, at->assignment, at->inspector, 1, &at->cols[2], &at->inspector_id)
		|| bulk_trigger_is_fk(t, at->assignment, at->department, 1, &at->cols[3], &at->department_id))
		return true;
	/* audit_direct: a row trigger WHEN (NEW.direct); these rows are not direct */
	if (OidIsValid(at->audit_row_fn) && t->tgfoid == at->audit_row_fn && TRIGGER_FOR_ROW(t->tgtype)
		&& strcmp(t->tgname, "audit_direct") == 0 && t->tgqual != NULL)
		return true;
	if (OidIsValid(at->audit_match_fn) && t->tgfoid == at->audit_match_fn && !TRIGGER_FOR_ROW(t->tgtype))
	{
		if (t->tgenabled != TRIGGER_DISABLED)
			at->run_audit = true;
		return true;
	}
	return false;
}

static int64
count_query(const char *sql, int nargs, Oid *types, Datum *args)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args(sql, nargs, types, args, NULL, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "assignments_insert: a check query failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* the three foreign keys' checks, once for all rows */
static void
check_references(const char *nsp, int64 draw_id, int64 department_id, ArrayType *ua, ArrayType *ia, int n)
{
	const char *q = quote_identifier(nsp);
	Oid			types2[2] = {INT8OID, get_array_type(ARR_ELEMTYPE(ua))};
	Datum		args2[2] = {Int64GetDatum(draw_id), PointerGetDatum(ua)};
	Oid			itype = INT8ARRAYOID;
	Datum		iarg = PointerGetDatum(ia);
	Oid			dtype = INT8OID;
	Datum		darg = Int64GetDatum(department_id);
	int64		found;

	if (count_query(psprintf("SELECT count(*) FROM (SELECT 1 FROM ONLY %s.department d "
							 "WHERE d.id OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF d) x", q),
					1, &dtype, &darg) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("department %lld does not exist", (long long) department_id)));
	found = count_query(psprintf("SELECT count(*) FROM (SELECT 1 FROM ONLY %s.inspector i "
								 "WHERE i.id OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE OF i) x", q),
						1, &itype, &iarg);
	if (found != count_query("SELECT count(DISTINCT x) FROM pg_catalog.unnest($1) x", 1, &itype, &iarg))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("an inspector of the assignments does not exist")));
	/* each (draw, code) is unique in draw_target: as many matches as rows means all are targets */
	found = count_query(psprintf("SELECT count(*) FROM pg_catalog.unnest($2) u(c) JOIN ONLY %s.draw_target t "
								 "ON t.draw_id OPERATOR(pg_catalog.=) $1 AND t.uscc OPERATOR(%s.=) u.c", q, q),
						2, types2, args2);
	if (found != n)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%lld of the %d assignments are not for a target of draw %lld",
						(long long) (n - found), n, (long long) draw_id),
				 errdetail("Inspectors are assigned to the targets in draw_target.")));
}

/* audit_match's entry for these rows (its query, over the arrays instead of the transition table) */
static void
write_audit(const char *nsp, int64 draw_id, int64 department_id, ArrayType *ua, int n)
{
	const char *q = quote_identifier(nsp);
	Oid			types[4] = {INT8OID, INT8OID, INT8OID, get_array_type(ARR_ELEMTYPE(ua))};
	Datum		args[4] = {Int64GetDatum(draw_id), Int64GetDatum(department_id), Int64GetDatum(n), PointerGetDatum(ua)};
	char	   *sql = psprintf("INSERT INTO %s.audit_log (actor, action, object_kind, object_id, department_id, detail) "
						   "SELECT %s.acting_role(), 'match', 'draw_record', $1, t.department_id, "
						   "pg_catalog.jsonb_build_object('assignments', $3, "
						   "'targets', (SELECT pg_catalog.count(DISTINCT u) FROM pg_catalog.unnest($4) u), "
						   "'department_ids', pg_catalog.jsonb_build_array($2)) "
						   "FROM %s.draw_record r JOIN %s.task t ON t.id OPERATOR(pg_catalog.=) r.task_id "
						   "WHERE r.id OPERATOR(pg_catalog.=) $1", q, q, q, q);

	if (n > 0 && SPI_execute_with_args(sql, 4, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "assignments_insert: the audit entry could not be written");
}

/* a row of the sort: packed code, inspector id (big-endian), then the row's index */
typedef struct assign_key
{
	uint8		bytes[24];		/* 12 + 8 key bytes, then the index (4 bytes) */
} assign_key;

#define ASSIGN_KEYLEN (USCC_PACKED_LEN + 8)

PG_FUNCTION_INFO_V1(assignments_insert);
Datum
assignments_insert(PG_FUNCTION_ARGS)
{
	int64		draw_id = PG_GETARG_INT64(0);
	int64		department_id = PG_GETARG_INT64(1);
	ArrayType  *ua = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *ia = PG_GETARG_ARRAYTYPE_P(3);
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	char	   *nsp = get_namespace_name(nspid);
	AssignTables at;
	Datum	   *codes,
			   *ids;
	bool	   *cn,
			   *in;
	int			n,
				ni;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	BulkInsert *b;

	get_typlenbyvalalign(ARR_ELEMTYPE(ua), &typlen, &typbyval, &typalign);
	if (typlen != USCC_PACKED_LEN || typbyval)
		elog(ERROR, "assignments_insert: the codes are not of the uscc type");
	deconstruct_array(ua, ARR_ELEMTYPE(ua), typlen, typbyval, typalign, &codes, &cn, &n);
	deconstruct_array(ia, INT8OID, 8, true, TYPALIGN_DOUBLE, &ids, &in, &ni);
	if (ni != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("assignments_insert needs as many inspectors as codes (%d, %d)", n, ni)));
	for (int i = 0; i < n; i++)
		if (cn[i] || in[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("an assignment cannot have a NULL code or inspector")));

	at.assignment = table("assignment", nspid);
	at.target = table("draw_target", nspid);
	at.inspector = table("inspector", nspid);
	at.department = table("department", nspid);
	at.cols[0] = bulk_column(at.assignment, "draw_id");
	at.cols[1] = bulk_column(at.assignment, "uscc");
	at.cols[2] = bulk_column(at.assignment, "inspector_id");
	at.cols[3] = bulk_column(at.assignment, "department_id");
	at.target_key[0] = bulk_column(at.target, "draw_id");
	at.target_key[1] = bulk_column(at.target, "uscc");
	at.inspector_id = bulk_column(at.inspector, "id");
	at.department_id = bulk_column(at.department, "id");
	at.audit_row_fn = trigger_function(nsp, "audit_row");
	at.audit_match_fn = trigger_function(nsp, "audit_match");
	at.run_audit = false;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "assignments_insert: SPI_connect failed");
	b = bulk_insert_begin(at.assignment, 4, at.cols, trigger_done_here, &at);
	if (b == NULL)
	{
		/* INSERT, with every trigger */
		Oid			types[4] = {INT8OID, INT8OID, get_array_type(ARR_ELEMTYPE(ua)), INT8ARRAYOID};
		Datum		args[4] = {Int64GetDatum(draw_id), Int64GetDatum(department_id), PointerGetDatum(ua), PointerGetDatum(ia)};
		char	   *sql = psprintf("INSERT INTO %s.assignment (draw_id, uscc, inspector_id, department_id) "
								   "SELECT $1, u.uscc, u.inspector_id, $2 "
								   "FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(uscc, inspector_id)",
								   quote_identifier(nsp));

		bulk_insert_by_sql(sql, 4, types, args, (uint64) n);
	}
	else
	{
		assign_key *keys = palloc_extended((size_t) Max(n, 1) * sizeof(assign_key), MCXT_ALLOC_HUGE);
		assign_key *tmp = palloc_extended((size_t) Max(n, 1) * sizeof(assign_key), MCXT_ALLOC_HUGE);

		check_references(nsp, draw_id, department_id, ua, ia, n);
		/* in primary-key order (code, inspector), so its index fills in order */
		for (int i = 0; i < n; i++)
		{
			uint64		id = (uint64) DatumGetInt64(ids[i]) ^ (UINT64CONST(1) << 63);	/* signed order */
			uint32		idx = (uint32) i;

			memcpy(keys[i].bytes, DatumGetPointer(codes[i]), USCC_PACKED_LEN);
			for (int j = 0; j < 8; j++)
				keys[i].bytes[USCC_PACKED_LEN + j] = (uint8) (id >> (56 - 8 * j));
			memcpy(keys[i].bytes + ASSIGN_KEYLEN, &idx, sizeof(idx));
		}
		radix_sort(keys, tmp, (size_t) n, sizeof(assign_key), ASSIGN_KEYLEN);
		pfree(tmp);
		for (int j = 0; j < n; j++)
		{
			uint32		i;
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			memcpy(&i, keys[j].bytes + ASSIGN_KEYLEN, sizeof(i));
			values[0] = Int64GetDatum(draw_id);
			values[1] = codes[i];
			values[2] = ids[i];
			values[3] = Int64GetDatum(department_id);
			bulk_insert_row(b, values, nulls);
		}
		bulk_insert_end(b, NULL);
		pfree(keys);
		if (at.run_audit)
			write_audit(nsp, draw_id, department_id, ua, n);
	}
	SPI_finish();
	PG_RETURN_INT32(n);
}
