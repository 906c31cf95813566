/*
 * restore.c — recognising a restore of the extension's tables (pg_restore, or a plain dump run by
 * psql), so that rows come back as they were dumped.
 *
 * A restore loads each table registered with pg_extension_config_dump by one
 * COPY ... FROM stdin. The tables already exist, with their foreign keys and triggers, because
 * CREATE EXTENSION made them; pg_dump orders their data by foreign key, but only in the archive's
 * order, not as dependencies, so `pg_restore -j N` loads them in any order and at once. The rows
 * of a restore were consistent where they were dumped: the foreign keys, the checks of the row
 * triggers, the audit entries and the publication items they would make are all in the dump
 * already. So while such a COPY runs, supervise.restore_copy() (a statement trigger, ENABLE ALWAYS,
 * on every dumped table) sets session_replication_role to replica for that statement only: the
 * foreign-key checks and every trigger left at ENABLE ORIGIN do not fire; triggers that must act
 * on restored rows (the shipped-row guards, the calendar cache invalidation) are ENABLE ALWAYS.
 * supervise.restore_copy_end() (after the statement) sets the role back.
 *
 * A COPY is taken for a restore when all of these hold:
 *   - the statement the client sent is exactly one COPY ... FROM STDIN into this table (no WHERE,
 *     no query, no file or program), parsed again from debug_query_string;
 *   - the current role is a superuser (restoring the extension needs one: CREATE EXTENSION
 *     supervise is not trusted; a superuser could disable the triggers anyway);
 *   - row_security is off, as pg_dump's scripts and pg_restore set it (unless
 *     --enable-row-security), and as an ordinary session does not.
 * Any other insert, COPY included, fires every trigger as usual.
 *
 * supervise.restoring() says whether the current statement is such a restore, for triggers that
 * are ENABLE ALWAYS and must let restored rows through.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/rls.h"

PG_FUNCTION_INFO_V1(supervise_restore_copy);
PG_FUNCTION_INFO_V1(supervise_restore_copy_end);
PG_FUNCTION_INFO_V1(supervise_restoring);

/* the table a restore COPY is loading now (InvalidOid: none), and the role to set back */
static Oid	restoring_relid = InvalidOid;
static SubTransactionId restoring_subid = InvalidSubTransactionId;
static char saved_role[16];
static bool callbacks_registered = false;

/* an error ends the COPY without its after-statement trigger; the GUC goes back by itself */
static void
restore_xact_callback(XactEvent event, void *arg)
{
	restoring_relid = InvalidOid;
}

static void
restore_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && mySubid == restoring_subid)
		restoring_relid = InvalidOid;
}

/* Whether the client's statement is exactly COPY relid ... FROM STDIN. */
static bool
statement_is_copy_from_stdin(Oid relid)
{
	List	   *stmts;
	RawStmt    *raw;
	CopyStmt   *copy;

	if (debug_query_string == NULL)
		return false;
	stmts = raw_parser(debug_query_string, RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1)
		return false;
	raw = linitial_node(RawStmt, stmts);
	if (!IsA(raw->stmt, CopyStmt))
		return false;
	copy = (CopyStmt *) raw->stmt;
	if (!copy->is_from || copy->is_program || copy->filename != NULL || copy->relation == NULL
		|| copy->query != NULL || copy->whereClause != NULL)
		return false;
	return RangeVarGetRelid(copy->relation, NoLock, true) == relid;
}

static TriggerData *
statement_trigger_arg(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event)
		|| !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be called as a statement-level trigger on INSERT", name)));
	return td;
}

/* BEFORE INSERT FOR EACH STATEMENT: a restore COPY runs as replica */
Datum
supervise_restore_copy(PG_FUNCTION_ARGS)
{
	TriggerData *td = statement_trigger_arg(fcinfo, "restore_copy");
	Oid			relid = RelationGetRelid(td->tg_relation);

	if (!TRIGGER_FIRED_BEFORE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("restore_copy() must be called before the statement")));
	if (row_security || !superuser() || !statement_is_copy_from_stdin(relid))
		return PointerGetDatum(NULL);
	if (!callbacks_registered)
	{
		RegisterXactCallback(restore_xact_callback, NULL);
		RegisterSubXactCallback(restore_subxact_callback, NULL);
		callbacks_registered = true;
	}
	strlcpy(saved_role, GetConfigOption("session_replication_role", false, false), sizeof(saved_role));
	(void) set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	restoring_relid = relid;
	restoring_subid = GetCurrentSubTransactionId();
	return PointerGetDatum(NULL);
}

/* AFTER INSERT FOR EACH STATEMENT: the role goes back */
Datum
supervise_restore_copy_end(PG_FUNCTION_ARGS)
{
	TriggerData *td = statement_trigger_arg(fcinfo, "restore_copy_end");

	if (restoring_relid != InvalidOid && restoring_relid == RelationGetRelid(td->tg_relation))
	{
		(void) set_config_option("session_replication_role", saved_role, PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
		restoring_relid = InvalidOid;
	}
	return PointerGetDatum(NULL);
}

Datum
supervise_restoring(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(OidIsValid(restoring_relid));
}
