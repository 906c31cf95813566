/*
 * pg_compat.h — what every glue file needs right after postgres.h: the differences between the
 * PostgreSQL versions supervise builds on (15 to 18), in one place, and the module's text domain.
 * Glue calls these names instead of the server's own where a signature or a field moved; nothing
 * else in src/pg tests PG_VERSION_NUM.
 */
#ifndef SUPERVISE_PG_COMPAT_H
#define SUPERVISE_PG_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "supervise needs PostgreSQL 15 or later"
#endif

/*
 * The module's messages are translated in its own text domain, supervise-NN, as PostgreSQL's
 * modules do (elog.h defines TEXTDOMAIN as NULL, the server's domain): ereport() looks them up
 * there, and message_text() for the SQL pieces. _PG_init binds it; po/ holds the translations.
 */
#undef TEXTDOMAIN
#define TEXTDOMAIN PG_TEXTDOMAIN("supervise")

#include "executor/executor.h"
#include "nodes/parsenodes.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARDATA, VARSIZE_ANY_EXHDR: out of postgres.h since 16 */
#endif

/* MyProc's local transaction id: under vxid since 17 */
#if PG_VERSION_NUM >= 170000
#define compat_my_lxid(proc) ((proc)->vxid.lxid)
#else
#define compat_my_lxid(proc) ((proc)->lxid)
#endif

/*
 * The executor calls of a hand-made INSERT into one relation (src/pg/bulk_insert.c). The range
 * table has that relation alone, at index 1; perminfos is its one RTEPermissionInfo (16 on; NIL
 * before, where the permissions live in the range table entry).
 */
#if PG_VERSION_NUM >= 180000
#define compat_init_range_table(estate, rtable, perminfos) \
	ExecInitRangeTable((estate), (rtable), (perminfos), bms_make_singleton(1))
#elif PG_VERSION_NUM >= 160000
#define compat_init_range_table(estate, rtable, perminfos) \
	ExecInitRangeTable((estate), (rtable), (perminfos))
#else
#define compat_init_range_table(estate, rtable, perminfos) \
	((void) (perminfos), ExecInitRangeTable((estate), (rtable)))
#endif

/*
 * Checks that the current user may insert the columns `inserted` into the relation of rte (an
 * RTE_RELATION entry), as the executor would, and returns the range table's permission infos.
 */
static inline List *
compat_check_insert_permissions(RangeTblEntry *rte, Bitmapset *inserted)
{
#if PG_VERSION_NUM >= 160000
	RTEPermissionInfo *perm = makeNode(RTEPermissionInfo);
	List	   *perminfos;

	perm->relid = rte->relid;
	perm->inh = false;
	perm->requiredPerms = ACL_INSERT;
	perm->insertedCols = inserted;
	rte->perminfoindex = 1;
	perminfos = list_make1(perm);
	ExecCheckPermissions(list_make1(rte), perminfos, true);
	return perminfos;
#else
	rte->requiredPerms = ACL_INSERT;
	rte->insertedCols = inserted;
	ExecCheckRTPerms(list_make1(rte), true);
	return NIL;
#endif
}

/* a plain INSERT: no ON CONFLICT, no MERGE actions */
#if PG_VERSION_NUM >= 180000
#define compat_check_insert_rel(rri) CheckValidResultRel((rri), CMD_INSERT, ONCONFLICT_NONE, NIL)
#elif PG_VERSION_NUM >= 170000
#define compat_check_insert_rel(rri) CheckValidResultRel((rri), CMD_INSERT, NIL)
#else
#define compat_check_insert_rel(rri) CheckValidResultRel((rri), CMD_INSERT)
#endif

/* index entries of a new row, no speculative insertion; 16 added onlySummarizing */
#if PG_VERSION_NUM >= 160000
#define compat_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, false)
#else
#define compat_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#endif

#endif							/* SUPERVISE_PG_COMPAT_H */
