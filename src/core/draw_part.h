/*
 * draw_part.h — the selection work of a sha256-v1 draw done where the rows are read (parallel
 * workers, Citus workers), pure C.
 *
 * A draw takes from stratum h the k_h rows with the smallest digest d (doc/draw-algorithm.md,
 * section 4), and k_h = min(N_h, ceil(ratio_h x N_h)) depends on the count N_h of all the rows,
 * which a process that reads some of them does not know. But it can keep the rows whose digest
 * lies below a bound chosen from what the task knows beforehand (draw_bound_for_fraction): its
 * **candidates**. The part of a draw one process computed is then its compact population and its
 * candidates (draw_part_*); parts merge. When the rows are all merged and k_h is known:
 *
 *   if a stratum has at least k_h candidates, its k_h first candidates ARE its k_h first rows
 *   (every row that ranks before the k_h-th candidate has a digest below the bound too, so it is
 *   a candidate), and the coordinator need not hash the stratum's codes;
 *   otherwise (the bound was too low: rare, and only where k_h is small) the stratum is drawn
 *   from its codes as before (draw_run).
 *
 * The result is the same either way, byte for byte; the bound only decides where the work is done.
 * Only the unweighted sha256-v1 keeps candidates (a bound on -ln(u)/w would need the weights'
 * scale beforehand); any other algorithm draws from the codes.
 */
#ifndef SUPERVISE_DRAW_PART_H
#define SUPERVISE_DRAW_PART_H

#include <stddef.h>
#include <stdint.h>

#include "draw.h"

/*
 * The bound for a stratum of which a fraction f is expected to be drawn (its ratio; for a task by
 * count, its size over the estimated rows): the digests whose first
 * 8 bytes, as a number, are below q x 2^64, q = DRAW_PART_SAFETY x f + DRAW_PART_MARGIN (all when
 * q >= 1, none when f <= 0 or is not a number). With q = 1.125 f a stratum of N rows keeps fewer
 * than k = ceil(f N) candidates with a probability below exp(-k / 144) (Chernoff): below 1e-15 for
 * k >= 5000; a smaller stratum may fall back, which costs little. A candidate takes 21 bytes in a
 * part, so the parts carry about 1.125 f x 21 bytes a row more than their populations.
 */
#define DRAW_PART_SAFETY	1.125
#define DRAW_PART_MARGIN	(1.0 / 1048576.0)

typedef enum draw_bound_kind
{
	DRAW_BOUND_NONE = 0,		/* keeps no row */
	DRAW_BOUND_BELOW = 1,		/* keeps a row whose digest's first 8 bytes are < limit */
	DRAW_BOUND_ALL = 2			/* keeps every row */
} draw_bound_kind;

typedef struct draw_bound
{
	int			kind;
	uint64_t	limit;
} draw_bound;

draw_bound	draw_bound_for_fraction(double f);

static inline int
draw_bound_keeps(const draw_bound *b, uint64_t dhi)
{
	return b->kind == DRAW_BOUND_ALL || (b->kind == DRAW_BOUND_BELOW && dhi < b->limit);
}

/*
 * A filter: the seed and the bound of each named stratum (strata not named keep nothing).
 * Serialised: seed (32) | n (1 byte) | n times: name length (1) | name | kind (1) | limit (uint64 BE).
 */
typedef struct draw_filter
{
	uint8_t		seed[DRAW_SEED_LEN];
	int			n;
	char		names[DRAW_MAX_STRATA][DRAW_MAX_STRATUM_NAME + 1];
	uint32_t	name_len[DRAW_MAX_STRATA];
	draw_bound	bound[DRAW_MAX_STRATA];
} draw_filter;

#define DRAW_FILTER_MAX_SIZE (DRAW_SEED_LEN + 1 + DRAW_MAX_STRATA * (1 + DRAW_MAX_STRATUM_NAME + 1 + 8))

/*
 * A filter from the seed and n strata with their fractions (draw_bound_for_fraction); refuses more
 * than DRAW_MAX_STRATA, an empty or too long name, a name given twice.
 */
int			draw_filter_make(draw_filter *f, const uint8_t seed[DRAW_SEED_LEN], int n,
							 const char *const names[], const size_t name_lens[], const double fractions[], char *err);
size_t		draw_filter_write(const draw_filter *f, uint8_t *out);
int			draw_filter_parse(draw_filter *f, const uint8_t *data, size_t len, char *err);
/* the bound of a stratum (NONE when the filter does not name it) */
draw_bound	draw_filter_bound(const draw_filter *f, const char *name, size_t len);

/*
 * A candidate while a process collects them: key = stratum number | packed code | 3 zero bytes
 * (as draw_rec), and the first 8 bytes of its digest.
 */
typedef struct draw_part_rec
{
	uint8_t		key[16];
	uint64_t	dhi;
} draw_part_rec;

#define DRAW_PART_CAND_LEN	(1 + USCC_PACKED_LEN + 8)

/*
 * The part of a draw one process computed, serialised:
 *   "SDRP" | version 1 | 3 zero bytes | filter length (uint32 BE, 0: no filter) | filter |
 *   population length (uint64 BE) | population (version 2, draw_pop_write) |
 *   candidates (uint64 BE) | each: stratum (its index in the population's header) | packed code |
 *   the digest's first 8 bytes (uint64 BE), in increasing (stratum, code) order.
 * Every candidate's code is a row of its stratum in the population.
 */
typedef struct draw_part
{
	int			has_filter;
	draw_filter filter;
	const uint8_t *filter_bytes;
	size_t		filter_len;
	const uint8_t *pop;
	size_t		pop_len;
	draw_pop	pop_hdr;		/* its header (draw_pop_parse_header) */
	uint64_t	ncand;
	const uint8_t *cand;		/* ncand x DRAW_PART_CAND_LEN bytes */
} draw_part;

/* 1 when the bytes start as a part does ("SDRP") */
int			draw_part_is(const uint8_t *data, size_t len);

/*
 * Checks a part's framing, filter and population header and its candidates' order, strata and
 * bounds (not their codes, nor that each candidate is a row of the population: draw_run_part checks
 * that before it uses a candidate, and the population's codes are checked where it is parsed). Returns 0 or -1 with err.
 */
int			draw_part_parse(draw_part *p, const uint8_t *data, size_t len, char *err);

/* the most bytes a part of these sizes takes */
size_t		draw_part_size(size_t filter_len, size_t pop_len, uint64_t ncand);

/*
 * Writes the part of one process: filter (serialised, filter_len 0: none), its population
 * (version 2, as pop_state_finish writes it from the same rows, whose strata are the nstrata names
 * in the order the rows number them), and its candidates recs (sorted in place), less those whose
 * codes are among the nexclude packed codes at exclude (in order). The candidates' strata are
 * renumbered into the population's. out holds out_size bytes, at least draw_part_size(filter_len,
 * pop_len, ncand) (refused otherwise).
 */
int			draw_part_write(const draw_env *env, const uint8_t *filter, size_t filter_len,
							const uint8_t *pop, size_t pop_len,
							draw_part_rec *recs, uint64_t ncand, int nstrata, const char *const names[],
							const uint8_t *exclude, uint64_t nexclude,
							uint8_t *out, size_t out_size, size_t *len, char *err);

/*
 * Merges parts: their populations by draw_pop_merge, their candidates united. The filters of parts
 * that have one must be the same. A part without a filter has no candidates; when it has rows, the
 * merge has no filter and no candidates either (its rows' candidates are not known). out must hold
 * draw_part_merge_max_size() bytes.
 */
size_t		draw_part_merge_max_size(int nparts, const size_t lens[]);
int			draw_part_merge(const draw_env *env, int nparts, const uint8_t *const parts[], const size_t lens[],
							int weighted, uint8_t *out, size_t *len, char *err);

/*
 * Rewrites a part (checked by draw_part_parse) in place without its filter and candidates, so that
 * it is no larger than its population and 32 bytes (for a part that would exceed what a value may
 * hold: it is then drawn from its codes). Returns the new length.
 */
size_t		draw_part_strip(uint8_t *part, size_t len);

/*
 * draw_run over a part's population (pop, parsed from part->pop), using the candidates where they
 * suffice: a stratum s is selected from its candidates when the part's filter has the draw's seed,
 * alg is DRAW_SHA256_V1, the filter keeps some rows of s and s has at least k[s] candidates;
 * otherwise from its codes. *from_cand (when not NULL) receives the number of strata selected from
 * candidates. The same targets and digest as draw_run, always.
 */
int			draw_run_part(const draw_env *env, const draw_part *part, const draw_pop *pop,
						  const uint8_t seed[DRAW_SEED_LEN], draw_algorithm alg, const uint32_t *k,
						  draw_target *out, uint8_t digest[SHA256_DIGEST_LEN], int *from_cand, char *err);

#endif							/* SUPERVISE_DRAW_PART_H */
