/*
 * draw_targets.c — draw_targets_insert(draw_id, uscc[], stratum[], rank[]): how draw() writes the
 * targets it selected into draw_target.
 *
 * A draw of 10 million subjects has some 330,000 targets. Through INSERT each row would run the
 * foreign key's check (one query per row) and the statement trigger limits_check_targets would
 * join them all with every other check of the year; together that took longer than the draw
 * itself. Here the rows go in like COPY (bulk_insert.c), sorted by code so that the primary key
 * (uscc, draw_id) is filled in order, the index on (draw_id, stratum, rank) after it in the
 * arrays' order (by stratum and rank from draw()), and the two triggers' work is done so:
 *   - the foreign key to draw_record: its one referenced row is checked and locked once, as the
 *     trigger would for each row (SELECT ... FOR KEY SHARE); the draw must be the caller's own,
 *     made in this transaction;
 *   - the limits on repeated checks: limits_check_drawn(draw_id, codes), which the trigger runs
 *     too, with the codes as an array and the drawn task as a parameter, so that the draw's own
 *     targets are left out before the join (the trigger's join of a transition table could not).
 * Any other INSERT trigger on draw_target (or rules, row-level security) makes it fall back to
 * INSERT ... SELECT FROM unnest(...), where every trigger runs. Only the owner may call it.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
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


typedef struct TargetTables
{
	const char *nsp;
	Oid			target;			/* draw_target */
	Oid			record;			/* draw_record */
	AttrNumber	cols[4];		/* draw_target (draw_id, uscc, stratum, rank) */
	AttrNumber	record_id;		/* draw_record (id) */
	bool		run_limits;		/* its trigger is on draw_target: run limits_check_drawn */
} TargetTables;

/* the limits trigger whose work draw_targets_insert does (as src/sql/60_limits.sql defines it) */
#define LIMITS_TRIGGER "CREATE TRIGGER limits_check_targets AFTER INSERT ON @extschema@.draw_target " \
	"REFERENCING NEW TABLE AS new_targets FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.limits_check_targets()"

static void
target_tables(Oid nspid, TargetTables *tt)
{
	tt->nsp = get_namespace_name(nspid);
	tt->target = bulk_table(nspid, "draw_target");
	tt->record = bulk_table(nspid, "draw_record");
	tt->cols[0] = bulk_column(tt->target, "draw_id");
	tt->cols[1] = bulk_column(tt->target, "uscc");
	tt->cols[2] = bulk_column(tt->target, "stratum");
	tt->cols[3] = bulk_column(tt->target, "rank");
	tt->record_id = bulk_column(tt->record, "id");
	tt->run_limits = false;
}

/* the INSERT triggers whose work draw_targets_insert does itself (see the head of the file) */
static bool
trigger_done_here(const Trigger *t, void *arg)
{
	TargetTables *tt = (TargetTables *) arg;

	if (bulk_trigger_is_fk(t, tt->target, tt->record, 1, &tt->cols[0], &tt->record_id))
		return true;
	if (bulk_trigger_is(t, tt->nsp, LIMITS_TRIGGER))
	{
		/* (a disabled trigger stays disabled) */
		if (t->tgenabled != TRIGGER_DISABLED)
			tt->run_limits = true;
		return true;
	}
	return false;
}

/* the foreign key's check, once: the draw exists, is locked FOR KEY SHARE, and is this transaction's */
static void
check_own_draw(const TargetTables *tt, const char *nsp, int64 draw_id)
{
	Oid			argtype = INT8OID;
	Datum		arg = Int64GetDatum(draw_id);
	bool		isnull;
	TransactionId xmin;
	char	   *sql = psprintf("SELECT x.xmin FROM ONLY %s.draw_record x WHERE x.id OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x",
							   quote_identifier(nsp));

	if (SPI_execute_with_args(sql, 1, &argtype, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "draw_targets_insert: could not read draw %lld", (long long) draw_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("draw %lld does not exist", (long long) draw_id),
				 errdetail("Targets are written for a draw recorded in draw_record.")));
	xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!TransactionIdIsCurrentTransactionId(xmin))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("draw %lld was not made in this transaction", (long long) draw_id),
				 errdetail("draw_targets_insert writes the targets of the draw that draw() is recording.")));
}

PG_FUNCTION_INFO_V1(draw_targets_insert);
Datum
draw_targets_insert(PG_FUNCTION_ARGS)
{
	int64		draw_id = PG_GETARG_INT64(0);
	ArrayType  *ua = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *sa = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *ra = PG_GETARG_ARRAYTYPE_P(3);
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	char	   *nsp = get_namespace_name(nspid);
	TargetTables tt;
	Datum	   *codes,
			   *strata,
			   *ranks;
	bool	   *cn,
			   *sn,
			   *rn;
	int			n,
				ns,
				nr;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	BulkInsert *b;

	get_typlenbyvalalign(ARR_ELEMTYPE(ua), &typlen, &typbyval, &typalign);
	if (typlen != USCC_PACKED_LEN || typbyval)
		elog(ERROR, "draw_targets_insert: the codes are not of the uscc type");
	deconstruct_array(ua, ARR_ELEMTYPE(ua), typlen, typbyval, typalign, &codes, &cn, &n);
	deconstruct_array(sa, TEXTOID, -1, false, TYPALIGN_INT, &strata, &sn, &ns);
	deconstruct_array(ra, INT4OID, 4, true, TYPALIGN_INT, &ranks, &rn, &nr);
	if (ns != n || nr != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("draw_targets_insert needs as many strata and ranks as codes (%d, %d, %d)", n, ns, nr)));
	for (int i = 0; i < n; i++)
		if (cn[i] || sn[i] || rn[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a draw target cannot have a NULL code, stratum or rank")));

	target_tables(nspid, &tt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "draw_targets_insert: SPI_connect failed");
	check_own_draw(&tt, nsp, draw_id);
	b = bulk_insert_begin(tt.target, 4, tt.cols, trigger_done_here, &tt);
	if (b == NULL)
	{
		/* INSERT, with every trigger */
		Oid			types[4] = {INT8OID, get_array_type(ARR_ELEMTYPE(ua)), TEXTARRAYOID, INT4ARRAYOID};
		Datum		args[4] = {Int64GetDatum(draw_id), PointerGetDatum(ua), PointerGetDatum(sa), PointerGetDatum(ra)};
		char	   *sql = psprintf("INSERT INTO %s.draw_target (draw_id, uscc, stratum, rank) "
								   "SELECT $1, u.uscc, u.stratum, u.rank "
								   "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(uscc, stratum, rank)",
								   quote_identifier(nsp));

		bulk_insert_by_sql(sql, 4, types, args, (uint64) n);
	}
	else
	{
		uint32	   *order;
		uint32	   *rank_order = palloc_extended((size_t) Max(n, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
		AttrNumber	rank_cols[3] = {tt.cols[0], tt.cols[2], tt.cols[3]};

		/*
		 * Rows in code order, so the primary key (uscc, draw_id) fills in order; the unique
		 * index on (draw_id, stratum, rank) is filled after it in the order of the arrays,
		 * which draw() gives by stratum and rank.
		 */
		order = bulk_order_by_key(codes, n, USCC_PACKED_LEN);
		(void) bulk_insert_index_later(b, 3, rank_cols);
		for (int j = 0; j < n; j++)
		{
			uint32		i = order[j];
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			rank_order[i] = (uint32) j;
			values[0] = Int64GetDatum(draw_id);
			values[1] = codes[i];
			values[2] = strata[i];
			values[3] = ranks[i];
			bulk_insert_row(b, values, nulls);
		}
		bulk_insert_end(b, rank_order);
		pfree(rank_order);
		pfree(order);
		if (tt.run_limits)
		{
			Oid			types[2] = {INT8OID, get_array_type(ARR_ELEMTYPE(ua))};
			Datum		args[2] = {Int64GetDatum(draw_id), PointerGetDatum(ua)};
			char	   *sql = psprintf("SELECT %s.limits_check_drawn($1, $2)", quote_identifier(nsp));

			if (SPI_execute_with_args(sql, 2, types, args, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "draw_targets_insert: the limits check failed");
		}
	}
	SPI_finish();
	PG_RETURN_INT32(n);
}

const char *
draw_targets_bulk_refusal(Oid nspid)
{
	TargetTables tt;

	target_tables(nspid, &tt);
	return bulk_insert_check(tt.target, 4, tt.cols, trigger_done_here, &tt);
}
