/*
 * bulk_insert.h — writing many rows into a table the way COPY FROM does: rows in batches with
 * table_multi_insert, their index entries made after each batch, with the privileges, NOT NULL
 * and CHECK constraints and unique indexes checked as an INSERT of the same columns would.
 *
 * It runs no triggers. bulk_insert_begin() therefore refuses (returns NULL, with the reason in
 * bulk_insert_refusal()) a table that has an INSERT trigger the caller has not vouched for, rules,
 * row-level security that applies to the user, stored generated columns or a volatile default
 * other than nextval(); the caller then writes its rows with SQL, where every trigger runs.
 * A caller that vouches for a trigger does what that trigger would have done itself, and vouches
 * for it by its whole definition (bulk_trigger_is) or, for a foreign key's check, by the
 * constraint's exact columns (bulk_trigger_is_fk): a trigger added, or one changed in any way,
 * makes the bulk path refuse. bulk_insert_paths() (SQL) reports, for each table written this way,
 * whether the bulk path is taken and why not, so that a test fails when the two drift apart.
 *
 * Used by plan_visits (new visits), draw() (a draw's targets) and match_inspectors (assignments).
 */
#ifndef SUPERVISE_BULK_INSERT_H
#define SUPERVISE_BULK_INSERT_H

#include "postgres.h"

#include "commands/trigger.h"

typedef struct BulkInsert BulkInsert;

/* whether the caller does what trigger t would do on INSERT (so it may be skipped) */
typedef bool (*bulk_trigger_ok) (const Trigger *t, void *arg);

/*
 * The fallback when bulk_insert_begin returns NULL: runs sql, an INSERT of n rows taking nargs
 * parameters (through SPI, connected by the caller), so that every trigger runs.
 */
extern void bulk_insert_by_sql(const char *sql, int nargs, Oid *types, Datum *args, uint64 n);

/* the table name in schema nspid (an error if there is none) */
extern Oid	bulk_table(Oid nspid, const char *name);

/*
 * The order of n pass-by-reference values by their first keylen bytes (1..12, byte order), as
 * row indexes: order[0] is the row whose key comes first; rows with equal keys keep their order.
 * For writing rows in the order of an index on such a key (a uscc code: its 12 bytes).
 */
extern uint32 *bulk_order_by_key(const Datum *keys, int n, int keylen);

/* the number of relid's column name (an error naming the table if it has none) */
extern AttrNumber bulk_column(Oid relid, const char *name);

/*
 * Whether t is the trigger whose definition, as pg_get_triggerdef() prints it, is def with
 * "@extschema@" standing for the schema nsp (its name, timing, events, level, transition tables,
 * WHEN clause and function): how a caller vouches for a trigger whose work it does itself.
 */
extern bool bulk_trigger_is(const Trigger *t, const char *nsp, const char *def);

/*
 * Whether t is the insert check trigger of a foreign key of relid on exactly the columns
 * keys[0..nkeys) referencing refrelid (refkeys[0..nkeys)): a caller that checks and locks the
 * referenced rows itself may vouch for it.
 */
extern bool bulk_trigger_is_fk(const Trigger *t, Oid relid, Oid refrelid, int nkeys,
							   const AttrNumber *keys, const AttrNumber *refkeys);

/*
 * Checks the INSERT privilege on the columns cols[0..ncols) of relid (an error without it), then
 * opens the table for a bulk insert of rows with those columns (the others take their defaults).
 * NULL when the table cannot take rows this way (see above); trigger_ok may be NULL (no INSERT
 * trigger allowed).
 */
extern BulkInsert *bulk_insert_begin(Oid relid, int ncols, const AttrNumber *cols,
									 bulk_trigger_ok trigger_ok, void *arg);

/* why the last bulk_insert_begin returned NULL (in the memory context it was called in) */
extern const char *bulk_insert_refusal(void);

/*
 * Whether bulk_insert_begin would take the rows (NULL) or why not, changing nothing: what a writer
 * answers for bulk_insert_paths().
 */
extern const char *bulk_insert_check(Oid relid, int ncols, const AttrNumber *cols,
									 bulk_trigger_ok trigger_ok, void *arg);

/*
 * The tables written by bulk insert, each by its writer: the reason its bulk path is refused for
 * the current user in schema nspid, or NULL when it is taken (draw_targets.c, match_assignments.c).
 */
extern const char *draw_targets_bulk_refusal(Oid nspid);
extern const char *assignments_bulk_refusal(Oid nspid);

/* One row: values[i] / nulls[i] for cols[i]. Pass-by-reference values are copied. */
extern void bulk_insert_row(BulkInsert *b, const Datum *values, const bool *nulls);

/*
 * Leaves out of each row's index entries the plain index on exactly the columns cols[0..ncols)
 * (an immediate unique one is still checked): bulk_insert_end makes its entries, in an order of
 * the caller's. Rows given in the order of one index then fill another in its own order too
 * (random inserts into a large btree cost a cache miss, and page splits leave it half full).
 * Call it before the first row. False, changing nothing, when the table has no such index.
 */
extern bool bulk_insert_index_later(BulkInsert *b, int ncols, const AttrNumber *cols);

/*
 * Writes what is left, makes the entries of the index left for later for the rows in the order
 * late_order[0], late_order[1], ... (row numbers from 0 in bulk_insert_row order, each exactly
 * once; NULL: that order; ignored when no index was left for later), closes the table and makes
 * the rows visible to the next command.
 */
extern void bulk_insert_end(BulkInsert *b, const uint32 *late_order);

#endif							/* SUPERVISE_BULK_INSERT_H */
