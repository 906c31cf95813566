/*
 * bulk_insert.c — many rows into a table as COPY FROM writes them; see bulk_insert.h.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "bulk_insert.h"
#include "radix.h"

#define BULK_BATCH 1000

struct BulkInsert
{
	Relation	rel;
	TupleDesc	desc;
	int		   *colof;			/* colof[attnum - 1] = index into the caller's values, or -1 */
	ExprState **defaults;		/* of the other columns (NULL: none) */
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	CommandId	cid;
	TupleTableSlot *slots[BULK_BATCH];
	int			nslots;			/* made so far */
	int			used;			/* filled, not yet written */
	/* an index filled at the end, in an order of the caller's (bulk_insert_index_later) */
	int			late;			/* its place in rri's arrays (the last), or -1 */
	int			late_natts;		/* its columns */
	uint64		nrows;			/* rows given so far */
	uint64		cap;			/* rows the arrays below hold */
	ItemPointerData *tids;		/* of each row, once written */
	Datum	   *late_values;	/* the late index's values of each row (late_natts a row) */
	bool	   *late_isnull;
	MemoryContext late_cxt;		/* their copies */
};

/* why the last bulk_insert_begin refused */
static char *refusal = NULL;

const char *
bulk_insert_refusal(void)
{
	return refusal;
}

/* sets the refusal reason (and says it at DEBUG1); returns false */
static bool
refuse(const char *fmt,...) pg_attribute_printf(1, 2);

static bool
refuse(const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	refusal = buf.data;
	elog(DEBUG1, "bulk insert refused, rows written by INSERT: %s", refusal);
	return false;
}

void
bulk_insert_by_sql(const char *sql, int nargs, Oid *types, Datum *args, uint64 n)
{
	if (SPI_execute_with_args(sql, nargs, types, args, NULL, false, 0) != SPI_OK_INSERT || SPI_processed != n)
		elog(ERROR, "INSERT of %llu rows failed: %s", (unsigned long long) n, sql);
}

Oid
bulk_table(Oid nspid, const char *name)
{
	Oid			relid = get_relname_relid(name, nspid);

	if (!OidIsValid(relid))
		elog(ERROR, "table \"%s\" not found in schema \"%s\"", name, get_namespace_name(nspid));
	return relid;
}

/* a record of the sort: the key, then the row's index */
typedef struct order_rec
{
	uint8		bytes[16];
} order_rec;

#define ORDER_MAX_KEYLEN (sizeof(order_rec) - sizeof(uint32))
StaticAssertDecl(ORDER_MAX_KEYLEN <= RADIX_MAX_KEYLEN, "the key of bulk_order_by_key is sorted by radix_sort");

uint32 *
bulk_order_by_key(const Datum *keys, int n, int keylen)
{
	order_rec  *recs,
			   *tmp;
	uint32	   *order = palloc_extended((size_t) Max(n, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);

	if (keylen < 1 || keylen > (int) ORDER_MAX_KEYLEN)
		elog(ERROR, "bulk_order_by_key: keys of %d bytes are not sorted here", keylen);
	recs = palloc_extended((size_t) Max(n, 1) * sizeof(order_rec), MCXT_ALLOC_HUGE);
	tmp = palloc_extended((size_t) Max(n, 1) * sizeof(order_rec), MCXT_ALLOC_HUGE);
	for (int i = 0; i < n; i++)
	{
		uint32		idx = (uint32) i;

		memcpy(recs[i].bytes, DatumGetPointer(keys[i]), keylen);
		memcpy(recs[i].bytes + keylen, &idx, sizeof(idx));
	}
	radix_sort(recs, tmp, (size_t) n, sizeof(order_rec), (size_t) keylen);
	for (int j = 0; j < n; j++)
		memcpy(&order[j], recs[j].bytes + keylen, sizeof(uint32));
	pfree(tmp);
	pfree(recs);
	return order;
}

AttrNumber
bulk_column(Oid relid, const char *name)
{
	AttrNumber	a = get_attnum(relid, name);

	if (a == InvalidAttrNumber)
		elog(ERROR, "table \"%s\" has no column \"%s\"", get_rel_name(relid), name);
	return a;
}

bool
bulk_trigger_is(const Trigger *t, const char *nsp, const char *def)
{
	int			nest = NewGUCNestLevel();
	char	   *got;
	const char *schema = quote_identifier(nsp);
	StringInfoData want;

	/* names qualified whatever the caller's search_path (pg_get_triggerdef leaves visible ones bare) */
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	got = TextDatumGetCString(DirectFunctionCall1(pg_get_triggerdef, ObjectIdGetDatum(t->tgoid)));
	AtEOXact_GUC(true, nest);

	initStringInfo(&want);
	for (const char *p = def; *p;)
	{
		if (strncmp(p, "@extschema@", 11) == 0)
		{
			appendStringInfoString(&want, schema);
			p += 11;
		}
		else
			appendStringInfoChar(&want, *p++);
	}
	return strcmp(got, want.data) == 0;
}

bool
bulk_trigger_is_fk(const Trigger *t, Oid relid, Oid refrelid, int nkeys, const AttrNumber *keys,
				   const AttrNumber *refkeys)
{
	HeapTuple	tup;
	bool		ok = false;

	if (t->tgfoid != F_RI_FKEY_CHECK_INS)
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(t->tgconstraint));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		bool		null1,
					null2;
		Datum		conkey = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_conkey, &null1);
		Datum		confkey = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_confkey, &null2);

		if (con->contype == CONSTRAINT_FOREIGN && con->conrelid == relid && con->confrelid == refrelid
			&& !null1 && !null2)
		{
			Datum	   *a,
					   *b;
			int			na,
						nb;

			/* (smallint arrays without NULLs) */
			deconstruct_array(DatumGetArrayTypeP(conkey), INT2OID, 2, true, TYPALIGN_SHORT, &a, NULL, &na);
			deconstruct_array(DatumGetArrayTypeP(confkey), INT2OID, 2, true, TYPALIGN_SHORT, &b, NULL, &nb);
			ok = na == nkeys && nb == nkeys;
			for (int i = 0; ok && i < nkeys; i++)
				ok = DatumGetInt16(a[i]) == keys[i] && DatumGetInt16(b[i]) == refkeys[i];
		}
		ReleaseSysCache(tup);
	}
	return ok;
}

/* the INSERT privilege on the columns, as the executor checks it for INSERT INTO rel (cols) */
static RangeTblEntry *
insert_rte(Relation rel, int ncols, const AttrNumber *cols, List **perminfos)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Bitmapset  *inserted = NULL;

	for (int i = 0; i < ncols; i++)
		inserted = bms_add_member(inserted, cols[i] - FirstLowInvalidHeapAttributeNumber);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	*perminfos = compat_check_insert_permissions(rte, inserted);
	return rte;
}

/*
 * The statement triggers restore_copy and restore_copy_end (restore.c), on every dumped table, act
 * only for a COPY the client sent: for rows written here they do nothing.
 */
static bool
trigger_is_restore(const Trigger *t, Relation rel)
{
	const char *nsp = get_namespace_name(RelationGetNamespace(rel));
	const char *table = quote_identifier(RelationGetRelationName(rel));

	return bulk_trigger_is(t, nsp, psprintf("CREATE TRIGGER restore_copy BEFORE INSERT ON @extschema@.%s "
											"FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy()", table))
		|| bulk_trigger_is(t, nsp, psprintf("CREATE TRIGGER restore_copy_end AFTER INSERT ON @extschema@.%s "
											"FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.restore_copy_end()", table));
}

/*
 * Whether the rows can go in without SQL (COPY FROM's condition for its multi-insert, and no
 * INSERT trigger the caller has not vouched for, but the restore triggers). Fills b->defaults.
 */
static bool
bulk_possible(BulkInsert *b, bulk_trigger_ok trigger_ok, void *arg)
{
	Relation	rel = b->rel;
	TupleDesc	desc = b->desc;

	const char *name = RelationGetRelationName(rel);

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return refuse("\"%s\" is not a plain table", name);
	if (rel->rd_rules != NULL)
		return refuse("table \"%s\" has rules", name);
	/* policies that apply to this user now (none for the owner, unless FORCE ROW LEVEL SECURITY) */
	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_ENABLED)
		return refuse("row-level security of table \"%s\" applies to this user", name);
	if (desc->constr && desc->constr->has_generated_stored)
		return refuse("table \"%s\" has stored generated columns", name);
	if (rel->trigdesc != NULL)
	{
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
		{
			const Trigger *t = &rel->trigdesc->triggers[i];

			if (TRIGGER_FOR_INSERT(t->tgtype) && !trigger_is_restore(t, rel)
				&& (trigger_ok == NULL || !trigger_ok(t, arg)))
				return refuse("the INSERT trigger \"%s\" of table \"%s\" is not one whose work the bulk path does",
							  t->tgname, name);
		}
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Node	   *def;

		b->defaults[i] = NULL;
		if (att->attisdropped || b->colof[i] >= 0)
			continue;
		def = build_column_default(rel, i + 1);
		if (def == NULL)
			continue;
		if (contain_volatile_functions_not_nextval(def))
			return refuse("column \"%s\" of table \"%s\" has a volatile default", NameStr(att->attname), name);
		b->defaults[i] = ExecInitExpr(expression_planner((Expr *) def), NULL);
	}
	return true;
}

BulkInsert *
bulk_insert_begin(Oid relid, int ncols, const AttrNumber *cols, bulk_trigger_ok trigger_ok, void *arg)
{
	BulkInsert *b = palloc0(sizeof(BulkInsert));
	RangeTblEntry *rte;
	List	   *perminfos;

	b->rel = table_open(relid, RowExclusiveLock);
	b->desc = RelationGetDescr(b->rel);
	b->colof = palloc(b->desc->natts * sizeof(int));
	b->defaults = palloc0(b->desc->natts * sizeof(ExprState *));
	for (int i = 0; i < b->desc->natts; i++)
		b->colof[i] = -1;
	for (int i = 0; i < ncols; i++)
	{
		if (cols[i] <= 0 || cols[i] > b->desc->natts || TupleDescAttr(b->desc, cols[i] - 1)->attisdropped)
			elog(ERROR, "bulk insert into \"%s\": no column number %d", RelationGetRelationName(b->rel), cols[i]);
		b->colof[cols[i] - 1] = i;
	}

	rte = insert_rte(b->rel, ncols, cols, &perminfos);
	refusal = NULL;
	if (!bulk_possible(b, trigger_ok, arg))
	{
		table_close(b->rel, NoLock);
		return NULL;
	}

	b->estate = CreateExecutorState();
	compat_init_range_table(b->estate, list_make1(rte), perminfos);
	b->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(b->rri, b->rel, 1, NULL, 0);
	compat_check_insert_rel(b->rri);
	ExecOpenIndices(b->rri, false);
	b->bistate = GetBulkInsertState();
	b->cid = GetCurrentCommandId(true);
	b->late = -1;
	return b;
}

bool
bulk_insert_index_later(BulkInsert *b, int ncols, const AttrNumber *cols)
{
	ResultRelInfo *rri = b->rri;

	if (b->late >= 0 || b->nrows > 0)
		elog(ERROR, "bulk_insert_index_later: called twice or after rows");
	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];
		Relation	irel = rri->ri_IndexRelationDescs[i];
		bool		same = ii->ii_NumIndexKeyAttrs == ncols && ii->ii_NumIndexAttrs == ncols;

		/* a plain index on exactly these columns, checked now if unique, no exclusion */
		for (int c = 0; same && c < ncols; c++)
			same = ii->ii_IndexAttrNumbers[c] == cols[c];
		if (!same || ii->ii_Expressions != NIL || ii->ii_Predicate != NIL || ii->ii_ExclusionOps != NULL
			|| !irel->rd_index->indimmediate)
			continue;
		/* move it last; bulk_flush leaves it out by counting one index less */
		rri->ri_IndexRelationInfo[i] = rri->ri_IndexRelationInfo[rri->ri_NumIndices - 1];
		rri->ri_IndexRelationDescs[i] = rri->ri_IndexRelationDescs[rri->ri_NumIndices - 1];
		rri->ri_IndexRelationInfo[rri->ri_NumIndices - 1] = ii;
		rri->ri_IndexRelationDescs[rri->ri_NumIndices - 1] = irel;
		b->late = --rri->ri_NumIndices;
		b->late_natts = ncols;
		b->cap = 1024;
		b->tids = palloc(b->cap * sizeof(ItemPointerData));
		b->late_values = palloc(b->cap * ncols * sizeof(Datum));
		b->late_isnull = palloc(b->cap * ncols * sizeof(bool));
		b->late_cxt = AllocSetContextCreate(CurrentMemoryContext, "bulk insert late index", ALLOCSET_DEFAULT_SIZES);
		return true;
	}
	return false;
}

/* keeps the late index's values of the row in slot (row number b->nrows) */
static void
bulk_keep_late(BulkInsert *b, TupleTableSlot *slot)
{
	Relation	irel = b->rri->ri_IndexRelationDescs[b->late];
	TupleDesc	idesc = RelationGetDescr(irel);
	ExprContext *econtext = GetPerTupleExprContext(b->estate);
	Datum	   *values;
	bool	   *isnull;

	if (b->nrows == b->cap)
	{
		b->cap *= 2;
		b->tids = repalloc_huge(b->tids, b->cap * sizeof(ItemPointerData));
		b->late_values = repalloc_huge(b->late_values, b->cap * b->late_natts * sizeof(Datum));
		b->late_isnull = repalloc_huge(b->late_isnull, b->cap * b->late_natts * sizeof(bool));
	}
	values = &b->late_values[b->nrows * b->late_natts];
	isnull = &b->late_isnull[b->nrows * b->late_natts];
	econtext->ecxt_scantuple = slot;
	FormIndexDatum(b->rri->ri_IndexRelationInfo[b->late], slot, b->estate, values, isnull);
	for (int c = 0; c < b->late_natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(idesc, c);

		if (!isnull[c] && !att->attbyval)
		{
			MemoryContext old = MemoryContextSwitchTo(b->late_cxt);

			values[c] = datumCopy(values[c], false, att->attlen);
			MemoryContextSwitchTo(old);
		}
	}
}

/* the late index's entries, for the rows in the order order[0..nrows) (NULL: row order) */
static void
bulk_fill_late(BulkInsert *b, const uint32 *order)
{
	Relation	irel = b->rri->ri_IndexRelationDescs[b->late];
	IndexInfo  *ii = b->rri->ri_IndexRelationInfo[b->late];
	IndexUniqueCheck check = irel->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO;
	bits8	   *seen = order ? palloc_extended(b->nrows / 8 + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO) : NULL;

	for (uint64 j = 0; j < b->nrows; j++)
	{
		uint64		row = order ? order[j] : j;

		CHECK_FOR_INTERRUPTS();
		/* every row exactly once, or the index would miss some */
		if (order && (row >= b->nrows || (seen[row / 8] & (1 << (row % 8)))))
			elog(ERROR, "bulk insert into \"%s\": the order of the late index is not a permutation of the rows",
				 RelationGetRelationName(b->rel));
		if (seen)
			seen[row / 8] |= (bits8) (1 << (row % 8));
		index_insert(irel, &b->late_values[row * b->late_natts], &b->late_isnull[row * b->late_natts],
					 &b->tids[row], b->rel, check, false, ii);
	}
	if (seen)
		pfree(seen);
	b->rri->ri_NumIndices++;	/* for ExecCloseIndices */
}

/* the batch so far: heap rows, then their index entries */
static void
bulk_flush(BulkInsert *b)
{
	MemoryContext oldcxt;

	if (b->used == 0)
		return;
	oldcxt = MemoryContextSwitchTo(GetPerTupleMemoryContext(b->estate));
	table_multi_insert(b->rel, b->slots, b->used, b->cid, 0, b->bistate);
	MemoryContextSwitchTo(oldcxt);
	if (b->late >= 0)
		for (int k = 0; k < b->used; k++)
			b->tids[b->nrows - b->used + k] = b->slots[k]->tts_tid;
	for (int k = 0; k < b->used; k++)
	{
		List	   *recheck = NIL;

		if (b->rri->ri_NumIndices > 0)
			recheck = compat_insert_index_tuples(b->rri, b->slots[k], b->estate);
		if (recheck != NIL)
			elog(ERROR, "bulk insert into \"%s\": the table has a deferred constraint",
				 RelationGetRelationName(b->rel));
		ExecClearTuple(b->slots[k]);
	}
	ResetPerTupleExprContext(b->estate);
	b->used = 0;
}

void
bulk_insert_row(BulkInsert *b, const Datum *values, const bool *nulls)
{
	ExprContext *econtext = GetPerTupleExprContext(b->estate);
	TupleTableSlot *slot;

	CHECK_FOR_INTERRUPTS();
	if (b->used == BULK_BATCH)
		bulk_flush(b);
	if (b->used == b->nslots)
		b->slots[b->nslots++] = table_slot_create(b->rel, NULL);
	slot = b->slots[b->used];
	ExecClearTuple(slot);
	for (int a = 0; a < b->desc->natts; a++)
	{
		int			c = b->colof[a];

		if (c >= 0)
		{
			slot->tts_values[a] = values[c];
			slot->tts_isnull[a] = nulls[c];
		}
		else if (b->defaults[a] != NULL)
			slot->tts_values[a] = ExecEvalExprSwitchContext(b->defaults[a], econtext, &slot->tts_isnull[a]);
		else
		{
			slot->tts_values[a] = (Datum) 0;
			slot->tts_isnull[a] = true;
		}
	}
	ExecStoreVirtualTuple(slot);
	slot->tts_tableOid = RelationGetRelid(b->rel);
	if (b->desc->constr)
		ExecConstraints(b->rri, slot, b->estate);
	/* the row's own copy, so the caller's values and the defaults' per-tuple memory can go */
	ExecMaterializeSlot(slot);
	if (b->late >= 0)
		bulk_keep_late(b, slot);
	b->nrows++;
	b->used++;
}

void
bulk_insert_end(BulkInsert *b, const uint32 *late_order)
{
	bulk_flush(b);
	if (b->late >= 0)
	{
		bulk_fill_late(b, late_order);
		pfree(b->tids);
		pfree(b->late_values);
		pfree(b->late_isnull);
		MemoryContextDelete(b->late_cxt);
	}
	for (int k = 0; k < b->nslots; k++)
		ExecDropSingleTupleTableSlot(b->slots[k]);
	FreeBulkInsertState(b->bistate);
	table_finish_bulk_insert(b->rel, 0);
	ExecCloseIndices(b->rri);
	FreeExecutorState(b->estate);
	table_close(b->rel, NoLock);
	pfree(b->colof);
	pfree(b->defaults);
	pfree(b);
	CommandCounterIncrement();
}

/* closes a bulk insert that wrote no row */
static void
bulk_insert_abandon(BulkInsert *b)
{
	if (b->nrows > 0 || b->late >= 0)
		elog(ERROR, "bulk_insert_abandon: the bulk insert into \"%s\" has begun", RelationGetRelationName(b->rel));
	FreeBulkInsertState(b->bistate);
	ExecCloseIndices(b->rri);
	FreeExecutorState(b->estate);
	table_close(b->rel, NoLock);
	pfree(b->colof);
	pfree(b->defaults);
	pfree(b);
}

const char *
bulk_insert_check(Oid relid, int ncols, const AttrNumber *cols, bulk_trigger_ok trigger_ok, void *arg)
{
	BulkInsert *b = bulk_insert_begin(relid, ncols, cols, trigger_ok, arg);

	if (b == NULL)
		return bulk_insert_refusal();
	bulk_insert_abandon(b);
	return NULL;
}

/*
 * bulk_insert_paths(): for each table written by bulk insert, whether the bulk path is taken for
 * the current user, and why not (SQL: supervise.bulk_insert_paths()).
 */
PG_FUNCTION_INFO_V1(bulk_insert_paths);
Datum
bulk_insert_paths(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	struct
	{
		const char *table;
		const char *(*check) (Oid nspid);
	}			writers[] = {{"draw_target", draw_targets_bulk_refusal}, {"assignment", assignments_bulk_refusal}};

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < (int) lengthof(writers); i++)
	{
		const char *why = writers[i].check(nspid);
		Datum		values[3];
		bool		nulls[3] = {false, false, why == NULL};

		values[0] = ObjectIdGetDatum(bulk_table(nspid, writers[i].table));
		values[1] = BoolGetDatum(why == NULL);
		values[2] = why ? CStringGetTextDatum(why) : (Datum) 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
