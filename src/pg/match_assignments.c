/*
 * match_assignments.c — assignments_insert(draw_id, department_id, uscc[], inspector_id[]): how
 * match_inspectors() writes one department's matches into assignment.
 *
 * A task of 500,000 targets with two inspectors each makes a million assignments. Through INSERT
 * every row runs three foreign-key checks (one query each, on draw_target, inspector and
 * department), which took most of the time. Here the rows go in like COPY (bulk_insert.c), in
 * code order (the primary key's order; the index on inspector_id after them, in inspector order),
 * and the insert triggers' work is done once:
 *   - the foreign keys: the distinct codes are targets of the draw (one join with draw_target;
 *     target rows are never updated or deleted, draw_target_guard), the distinct inspectors and
 *     the department exist, locked FOR KEY SHARE as the checks would lock them;
 *   - audit_match (statement trigger): its audit_log entry, by the function it calls,
 *     audit_match_entry, with the counts the sort gives; audit_direct does not apply (these rows
 *     are not direct).
 * Any other INSERT trigger on assignment (or rules, row-level security that applies) makes it
 * fall back to INSERT ... SELECT FROM unnest(...), where every trigger runs. Only the owner may
 * call it.
 */
#include "postgres.h"
#include "pg_compat.h"

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
	const char *nsp;
	bool		run_audit;		/* audit_match is on assignment and enabled: write its entry */
} AssignTables;

/* the audit triggers whose work assignments_insert does (as src/sql/96_security.sql defines them) */
#define AUDIT_DIRECT_TRIGGER "CREATE TRIGGER audit_direct AFTER INSERT ON @extschema@.assignment " \
	"FOR EACH ROW WHEN (new.direct) EXECUTE FUNCTION @extschema@.audit_row()"
#define AUDIT_MATCH_TRIGGER "CREATE TRIGGER audit_match AFTER INSERT ON @extschema@.assignment " \
	"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_match()"

static void
assign_tables(Oid nspid, AssignTables *at)
{
	at->nsp = get_namespace_name(nspid);
	at->assignment = bulk_table(nspid, "assignment");
	at->target = bulk_table(nspid, "draw_target");
	at->inspector = bulk_table(nspid, "inspector");
	at->department = bulk_table(nspid, "department");
	at->cols[0] = bulk_column(at->assignment, "draw_id");
	at->cols[1] = bulk_column(at->assignment, "uscc");
	at->cols[2] = bulk_column(at->assignment, "inspector_id");
	at->cols[3] = bulk_column(at->assignment, "department_id");
	at->target_key[0] = bulk_column(at->target, "draw_id");
	at->target_key[1] = bulk_column(at->target, "uscc");
	at->inspector_id = bulk_column(at->inspector, "id");
	at->department_id = bulk_column(at->department, "id");
	at->run_audit = false;
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
	if (bulk_trigger_is(t, at->nsp, AUDIT_DIRECT_TRIGGER))
		return true;
	if (bulk_trigger_is(t, at->nsp, AUDIT_MATCH_TRIGGER))
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

/*
 * The three foreign keys' checks, once for all rows: the department and the distinct inspectors
 * exist (locked FOR KEY SHARE, as the checks lock them), the distinct codes are targets of the
 * draw. (Target rows are not locked: draw_target_guard forbids UPDATE, DELETE and TRUNCATE.)
 */
static void
check_references(const char *nsp, int64 draw_id, int64 department_id, ArrayType *codes, int ncodes,
				 ArrayType *inspectors, int ninspectors)
{
	const char *q = quote_identifier(nsp);
	Oid			ttypes[2] = {INT8OID, get_array_type(ARR_ELEMTYPE(codes))};
	Datum		targs[2] = {Int64GetDatum(draw_id), PointerGetDatum(codes)};
	Oid			itype = INT8ARRAYOID;
	Datum		iarg = PointerGetDatum(inspectors);
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
	if (found != ninspectors)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%lld of the %d inspectors of the assignments do not exist",
						(long long) (ninspectors - found), ninspectors)));
	found = count_query(psprintf("SELECT count(*) FROM pg_catalog.unnest($2) u(c) JOIN ONLY %s.draw_target t "
								 "ON t.draw_id OPERATOR(pg_catalog.=) $1 AND t.uscc OPERATOR(%s.=) u.c", q, q),
						2, ttypes, targs);
	if (found != ncodes)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%lld of the %d codes of the assignments are not targets of draw %lld",
						(long long) (ncodes - found), ncodes, (long long) draw_id),
				 errdetail("Inspectors are assigned to the targets in draw_target.")));
}

/* audit_match's entry for these rows (audit_match_entry, which the trigger calls too) */
static void
write_audit(const char *nsp, int64 draw_id, int64 department_id, int n, int ncodes)
{
	Oid			types[4] = {INT8OID, INT8OID, INT8OID, INT8OID};
	Datum		args[4] = {Int64GetDatum(draw_id), Int64GetDatum(n), Int64GetDatum(ncodes), Int64GetDatum(department_id)};
	char	   *sql = psprintf("SELECT %s.audit_match_entry($1, $2, $3, pg_catalog.jsonb_build_array($4))",
							   quote_identifier(nsp));

	if (n > 0 && SPI_execute_with_args(sql, 4, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "assignments_insert: the audit entry could not be written");
}

/*
 * The rows as written (row j is the row of ids[order[j]]), as row numbers in the order of their
 * inspector ids (by row number within an inspector).
 */
static uint32 *
order_by_inspector(const Datum *ids, const uint32 *order, int n)
{
	uint8	   *keys = palloc_extended((size_t) Max(n, 1) * 8, MCXT_ALLOC_HUGE);
	Datum	   *keyp = palloc_extended((size_t) Max(n, 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
	uint32	   *by_inspector;

	for (int j = 0; j < n; j++)
	{
		/* big-endian with the sign bit flipped: byte order is the order of the ids */
		be_put(keys + (size_t) j * 8, (uint64) DatumGetInt64(ids[order[j]]) ^ (UINT64CONST(1) << 63), 8);
		keyp[j] = PointerGetDatum(keys + (size_t) j * 8);
	}
	by_inspector = bulk_order_by_key(keyp, n, 8);
	pfree(keyp);
	pfree(keys);
	return by_inspector;
}

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

	assign_tables(nspid, &at);

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
		uint32	   *order,
				   *by_inspector;
		Datum	   *distinct_codes = palloc_extended((size_t) Max(n, 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
		Datum	   *distinct_ids = palloc_extended((size_t) Max(n, 1) * sizeof(Datum), MCXT_ALLOC_HUGE);
		int			ncodes = 0,
					nids = 0;

		/*
		 * In code order (the primary key's first column after the draw), so its index fills in
		 * order; the index on inspector_id is filled after the rows, in inspector order (in code
		 * order its entries would go all over it). The two orders give the distinct codes and
		 * inspectors, for the checks and the audit entry.
		 */
		order = bulk_order_by_key(codes, n, USCC_PACKED_LEN);
		by_inspector = order_by_inspector(ids, order, n);
		for (int j = 0; j < n; j++)
		{
			if (j == 0 || memcmp(DatumGetPointer(codes[order[j]]), DatumGetPointer(codes[order[j - 1]]), USCC_PACKED_LEN) != 0)
				distinct_codes[ncodes++] = codes[order[j]];
			if (j == 0 || DatumGetInt64(ids[order[by_inspector[j]]]) != DatumGetInt64(ids[order[by_inspector[j - 1]]]))
				distinct_ids[nids++] = ids[order[by_inspector[j]]];
		}
		check_references(nsp, draw_id, department_id,
						 construct_array(distinct_codes, ncodes, ARR_ELEMTYPE(ua), typlen, typbyval, typalign), ncodes,
						 construct_array(distinct_ids, nids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE), nids);
		(void) bulk_insert_index_later(b, 1, &at.cols[2]);
		for (int j = 0; j < n; j++)
		{
			uint32		i = order[j];
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = Int64GetDatum(draw_id);
			values[1] = codes[i];
			values[2] = ids[i];
			values[3] = Int64GetDatum(department_id);
			bulk_insert_row(b, values, nulls);
		}
		bulk_insert_end(b, by_inspector);
		pfree(by_inspector);
		pfree(order);
		if (at.run_audit)
			write_audit(nsp, draw_id, department_id, n, ncodes);
	}
	SPI_finish();
	PG_RETURN_INT32(n);
}

const char *
assignments_bulk_refusal(Oid nspid)
{
	AssignTables at;

	assign_tables(nspid, &at);
	return bulk_insert_check(at.assignment, 4, at.cols, trigger_done_here, &at);
}
