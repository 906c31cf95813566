/*
 * match.h — random matching of inspectors to drawn targets (执法检查人员随机匹配, the second 随机),
 * pure C. One department at a time; see doc/draw-algorithm.md, "Matching inspectors".
 *
 * With B' = "supervise/match/v1" || 0x00 || seed, zero-padded to 64 bytes:
 *   targets are processed in increasing order of SHA-256(B' || code text) (ties by code);
 *   each target gets the m inspectors (minus those already assigned to it by hand) that are not
 *   in conflict with it and not already on it, with the smallest
 *   (load, first 8 bytes of SHA-256(B' || inspector id as 8 bytes BE || load as 4 bytes BE), id),
 *   load = targets of this draw the inspector already has. Least-loaded first gives
 *   max - min <= 1 when there are no conflicts; the hash breaks ties at random and reproducibly.
 *
 * Who may be matched at all is decided by match_role() below, from the enforcement certificate
 * (执法证) and the task's first day: an inspector whose certificate has lapsed is never matched;
 * staff without a certificate only beside a certified inspector, where the department allows it.
 * Each target keeps at least one certified inspector (MATCH_ROLE_ANY) of the department: a
 * MATCH_ROLE_SECOND inspector never takes a target's last open place while it has none.
 */
#ifndef SUPERVISE_MATCH_H
#define SUPERVISE_MATCH_H

#include <stdint.h>

#include "draw.h"

#define MATCH_DOMAIN "supervise/match/v1"
#define MATCH_NONE UINT32_MAX

typedef struct match_pair
{
	uint32_t	target;			/* index into the targets */
	uint32_t	inspector;		/* index into the inspectors */
} match_pair;

typedef struct match_error
{
	uint32_t	target;			/* MATCH_NONE: the department has too few inspectors at all */
	uint32_t	missing;		/* how many more inspectors would be needed */
	uint32_t	available;
	uint32_t	certified_missing;	/* 1: what is missing includes the target's certified inspector */
} match_error;

/* What an inspector may be in a matching (match_role). */
typedef enum match_role_t
{
	MATCH_ROLE_NONE = 0,		/* never matched */
	MATCH_ROLE_SECOND = 1,		/* matched only beside a certified inspector of the department */
	MATCH_ROLE_ANY = 2			/* matched to any place */
} match_role_t;

/* qualified_until of a certificate without an end */
#define MATCH_NO_END INT32_MAX

/*
 * The role of an inspector in the matching of a task that starts on first_day (days in any one
 * numbering, e.g. PostgreSQL's date):
 *   certified, qualified_until >= first_day (MATCH_NO_END: no end)    -> MATCH_ROLE_ANY
 *   certified, qualified_until <  first_day (lapsed on the first day) -> MATCH_ROLE_NONE
 *   not certified, allow_uncertified_second                           -> MATCH_ROLE_SECOND
 *   not certified, otherwise                                          -> MATCH_ROLE_NONE
 * (qualified_until is ignored for staff without a certificate.)
 */
match_role_t match_role(int certified, int32_t qualified_until, int32_t first_day, int allow_uncertified_second);

/*
 * targets: ntargets packed codes; inspector_ids: ninspectors ids; roles: one match_role_t per
 * inspector (NULL: all MATCH_ROLE_ANY); conflicts and pre (hand-made assignments) as index pairs
 * in any order. Writes for each target t, to out[t*m .. t*m+m), the
 * inspector indexes chosen (MATCH_NONE in the slots that pre-assignments fill). Returns 0, or -1
 * with *e saying what is missing (and err a message).
 */
int			match_assign(const draw_env *env, const uint8_t seed[DRAW_SEED_LEN],
						 uint32_t ntargets, const uint8_t *targets,
						 uint32_t ninspectors, const int64_t *inspector_ids, const uint8_t *roles,
						 uint32_t nconflicts, const match_pair *conflicts,
						 uint32_t npre, const match_pair *pre,
						 uint32_t m, uint32_t *out, match_error *e, char *err);

/* The inspector priority hash of the description above (for tests and the docs). */
uint64_t	match_priority(const draw_hasher *h, int64_t inspector_id, uint32_t load);

#endif							/* SUPERVISE_MATCH_H */
