/*
 * draw.h — reproducible, publicly verifiable draws (双随机), pure C. doc/draw-algorithm.md is the
 * public description; this header is the map of the code.
 *
 * sha256-v1, per row:   d = SHA-256(B || id), B = "supervise/draw/v1" || 0x00 || seed || zeros (64 bytes)
 *   unweighted:         the k rows with the smallest d (bytewise; ties by id)
 *   weighted (w > 0):   h = d[0..8) big-endian, u = ((h >> 11) * 2 + 1) / 2^54, key = -ln(u) / w;
 *                       the k smallest keys, ties by d then id
 * rfc3797:              IETF RFC 3797 selection of k positions from a pool (rfc3797_select), applied
 *                       per stratum to the population in code order
 *
 * Memory: every allocation goes through a draw_env supplied by the caller (palloc in the server,
 * malloc in the unit tests), and long loops call env->tick so the server can check for
 * interrupts. Nothing here raises: functions return 0 on success and -1 with a message in err.
 */
#ifndef SUPERVISE_DRAW_H
#define SUPERVISE_DRAW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "radix.h"
#include "sha256.h"
#include "uscc.h"

#define DRAW_SEED_LEN		32
#define DRAW_DOMAIN			"supervise/draw/v1"
#define DRAW_ERRLEN			256

/*
 * Writes a message (printf-style) to err (DRAW_ERRLEN bytes) when err is not NULL; returns -1.
 * fmt is English and extracted for translation (tools/update_po.sh): err holds it in the language
 * of the installed translator (i18n.h), cut at a character boundary when it is too long.
 */
int			draw_fail(char *err, const char *fmt,...)
#if defined(__GNUC__)
			__attribute__((format(printf, 2, 3)))
#endif
			;
#define DRAW_MAX_STRATA		64		/* strata per population */
#define DRAW_MAX_STRATUM_NAME 63	/* bytes of a stratum name */
#define DRAW_RFC3797_MAX_K	65536	/* RFC 3797 counts selections in two bytes */

typedef enum draw_algorithm
{
	DRAW_SHA256_V1 = 0,			/* "sha256-v1": unweighted bottom-k by d */
	DRAW_SHA256_V1_WEIGHTED,	/* "sha256-v1-weighted": bottom-k by -ln(u)/w */
	DRAW_RFC3797				/* "rfc3797": RFC 3797 over the population in code order */
} draw_algorithm;

/* "sha256-v1" etc. to the enum; -1 if unknown. And back. */
int			draw_algorithm_from_name(const char *name);
const char *draw_algorithm_name(draw_algorithm alg);

typedef struct draw_env
{
	void	   *(*alloc) (size_t size, void *arg);	/* never returns NULL (may not return) */
	void		(*release) (void *ptr, void *arg);
	void		(*tick) (void *arg);	/* called every few thousand rows; may not return */
	void	   *arg;
} draw_env;

/* ---- the row digest ------------------------------------------------------------------------ */

typedef struct draw_hasher
{
	sha256_ctx	mid;			/* SHA-256 state after the 64-byte block B */
} draw_hasher;

void		draw_hasher_init(draw_hasher *h, const uint8_t seed[DRAW_SEED_LEN]);
/* the same block with another domain string (at most 31 bytes), e.g. for matching inspectors */
void		draw_hasher_init_domain(draw_hasher *h, const char *domain, const uint8_t seed[DRAW_SEED_LEN]);
void		draw_row_digest(const draw_hasher *h, const char *id, size_t len, uint8_t d[SHA256_DIGEST_LEN]);
/* draw_row_digest of two codes (USCC_LEN bytes each) at once, faster than one after the other */
void		draw_code_digests(const draw_hasher *h, const char a[USCC_LEN], const char b[USCC_LEN],
							  uint8_t da[SHA256_DIGEST_LEN], uint8_t db[SHA256_DIGEST_LEN]);
/* u and the weighted key of a digest; w must be > 0 and finite */
double		draw_uniform(const uint8_t d[SHA256_DIGEST_LEN]);
double		draw_weight_key(const uint8_t d[SHA256_DIGEST_LEN], double w);
/* seed_from(text): SHA-256 of the text */
void		draw_seed_from(const char *text, size_t len, uint8_t seed[DRAW_SEED_LEN]);

/* ---- bounded selection (bottom-k heap) ------------------------------------------------------ */

typedef struct draw_item
{
	uint64_t	dhi;			/* d[0..8) big-endian, for fast comparison */
	double		key;			/* weighted mode: -ln(u)/w; unweighted: 0 */
	uint8_t		d[SHA256_DIGEST_LEN];
	uint32_t	id_len;
	char	   *id;				/* id bytes, owned by the heap's user */
} draw_item;

/*
 * The rank order, the one order every selection uses (draw_run's bottom-k and its candidates,
 * sample_agg's heap, and the order in which match_run takes the targets): <0 when a ranks before
 * b. Weighted: the smaller key first; then the smaller digest (bytewise); then the smaller id
 * (bytewise, a prefix before a longer id). The faster paths compare the key and the digest's
 * first 8 bytes first and come here for the rest.
 */
int			draw_rank_cmp(int weighted, double akey, const uint8_t ad[SHA256_DIGEST_LEN],
						  const void *aid, size_t alen,
						  double bkey, const uint8_t bd[SHA256_DIGEST_LEN],
						  const void *bid, size_t blen);
/* draw_rank_cmp of two items */
int			draw_item_cmp(const draw_item *a, const draw_item *b, int weighted);
/* fills dhi and key of an item whose d is set */
void		draw_item_finish(draw_item *it, int weighted, double w);

typedef struct draw_heap
{
	draw_item  *items;			/* max-heap on draw_item_cmp: items[0] ranks last */
	uint32_t	n;
	uint32_t	cap;
	uint32_t	k;
	int			weighted;
} draw_heap;

/* items must hold cap entries; cap may be less than k if the heap is grown by the caller */
void		draw_heap_init(draw_heap *hp, draw_item *items, uint32_t cap, uint32_t k, int weighted);
/* 1 when the item would be kept (the heap has room, or it ranks before the current last) */
int			draw_heap_wants(const draw_heap *hp, const draw_item *it);
/*
 * Keeps an item that draw_heap_wants (and n < cap when not full). If the heap was full, the item
 * that falls out is copied to *evicted (when not NULL) so its id can be released or reused;
 * evicted->id is NULL when nothing fell out.
 */
void		draw_heap_push(draw_heap *hp, const draw_item *it, draw_item *evicted);
/* Sorts the kept items into rank order (rank 1 first); the heap is no longer a heap. */
void		draw_heap_sort(draw_heap *hp);

/* ---- RFC 3797 -------------------------------------------------------------------------------- */

/*
 * Selects k distinct 1-based positions from 1..pool in selection order, writing them to out[k]:
 * for i = 0, 1, ...: MD5(i as 2 bytes big-endian || key || the same 2 bytes), as a 128-bit
 * big-endian integer, modulo the number of positions left, picks that (0-based) position among
 * the ones not yet selected, in increasing order. k <= pool, k <= 65536.
 */
int			rfc3797_select(const draw_env *env, uint32_t pool, uint32_t k, const char *key, size_t keylen,
						   uint32_t *out, char *err);

/* ---- the compact population ------------------------------------------------------------------ *
 *
 * A draw's eligible population, recorded with the draw (draw_record.population); the full text is
 * in doc/draw-algorithm.md, section 9. Version 2 (written since 0.2.0):
 *   "SPOP" | version 2 (1 byte) | flags (1 byte, bit 0 = weighted) | S (uint16 BE, strata)
 *   S times: name length L (1 byte, 1..63) | name (L bytes UTF-8) | count (uint32 BE) |
 *            bytes (uint32 BE: the length of the stratum's rows)
 *   the rows, stratum after stratum in header order, each stratum's codes increasing; a code is
 *   written as a step from the one before it (the first from (h, l) = (0, -1)), where h and l are
 *   the two parts of its packing (uscc.h: characters 1-8 and 9-17 as base-31 numbers):
 *     same h:      varint(2 * (l - l_prev - 1))
 *     a larger h:  varint(2 * (h - h_prev - 1) + 1) | varint(l)
 *   [| weight (IEEE-754 binary64, big-endian) when weighted]
 *   varint: 7 bits a byte, least significant first, high bit set on every byte but the last, in as
 *   few bytes as the value needs.
 * Version 1 (0.1.0) is still read: no byte lengths in the header, and each row is the 12-byte
 * packing itself [| the weight]. Strata are in increasing bytewise order of name.
 */

typedef struct draw_pop_stratum
{
	char		name[DRAW_MAX_STRATUM_NAME + 1];	/* NUL-terminated */
	uint32_t	name_len;
	uint32_t	count;
	uint64_t	first;			/* index of its first row */
	uint64_t	enc_off;		/* version 2: offset of its rows in enc */
	uint32_t	enc_len;		/* version 2: their length in bytes */
} draw_pop_stratum;

typedef struct draw_pop
{
	int			version;		/* 1 or 2 */
	int			weighted;
	int			nstrata;
	draw_pop_stratum strata[DRAW_MAX_STRATA];
	uint64_t	nrows;
	size_t		row_size;		/* of rows: 12 or 20 (the version 1 row) */
	const uint8_t *rows;		/* draw_pop_parse: every row as a packed code [| weight BE] */
	const uint8_t *enc;			/* version 2: the encoded rows */
	void	   *owned;			/* rows decoded by draw_pop_parse, freed by draw_pop_release */
} draw_pop;

/*
 * Parses and checks a serialised population (sizes, names, order, every code and weight). Every
 * code must be a valid one (uscc_packed_is_valid: what the uscc type accepts), and every stratum
 * name valid UTF-8. A version 1 population's rows are read where they are; a version 2 one is
 * decoded into memory from env, which draw_pop_release frees. Returns 0, DRAW_POP_BAD_NAME when a
 * stratum name is not valid UTF-8, or -1 for any other fault; err says what is wrong.
 */
#define DRAW_POP_BAD_NAME	(-2)

int			draw_pop_parse(const draw_env *env, draw_pop *pop, const uint8_t *data, size_t len, char *err);
void		draw_pop_release(const draw_env *env, draw_pop *pop);

/*
 * Only its header: magic, version, strata names (valid UTF-8, in order) and counts, and that the
 * size matches the header (O(strata), the rows are not read; pop->rows is NULL). For what needs
 * only the strata and their sizes. Returns as draw_pop_parse.
 */
int			draw_pop_parse_header(draw_pop *pop, const uint8_t *data, size_t len, char *err);

/*
 * A row while building: key = stratum number (1 byte) | packed code (12 bytes) | 3 zero bytes, so
 * that byte order of the key is the population's order (radix_sort_inplace on the first DRAW_REC_KEYLEN).
 */
#define DRAW_REC_KEYLEN (1 + USCC_PACKED_LEN)
_Static_assert(DRAW_REC_KEYLEN <= RADIX_MAX_KEYLEN, "a draw row's key is sorted by radix_sort");

typedef struct draw_rec
{
	uint8_t		key[16];
} draw_rec;

typedef struct draw_wrec
{
	uint8_t		key[16];
	double		w;
} draw_wrec;

static inline void
draw_rec_set(uint8_t key[16], unsigned stratum, const uint8_t packed[USCC_PACKED_LEN])
{
	key[0] = (uint8_t) stratum;
	memcpy(key + 1, packed, USCC_PACKED_LEN);
	key[13] = key[14] = key[15] = 0;
}

/* The most bytes draw_pop_write can write for nrows rows (13 a code, 8 more a weight). */
size_t		draw_pop_max_size(int nstrata, const char *const names[], int weighted, uint64_t nrows);

/*
 * Serialises rows (recs, or wrecs when weighted) whose stratum numbers index names[], in the
 * current version, leaving out every row whose code is among the nexclude packed codes at exclude
 * (12 bytes each, in increasing order, repeats allowed; NULL when nexclude is 0). Sorts the rows
 * in place (renumbering strata into name order); refuses duplicate names, a name that is empty or
 * too long, duplicate codes within a stratum (excluded or not), codes out of the packing range,
 * weights that are not > 0 and finite, and excluded codes out of order. A stratum none of whose
 * rows is written (all excluded) is left out. out must hold draw_pop_max_size() bytes; *len
 * receives the size written.
 */
int			draw_pop_write(const draw_env *env, void *rows, uint64_t nrows, int weighted,
						   int nstrata, const char *const names[], const uint8_t *exclude, uint64_t nexclude,
						   uint8_t *out, size_t *len, char *err);

/*
 * Merges nparts populations of version 2 (as draw_pop_write writes them), all weighted or all not
 * (weighted says which), into one: strata united in name order, each stratum's codes merged in
 * order (a k-way merge of the parts' steps, re-encoded). This is how the partial states of
 * population_agg combine: each is the population of the rows one process saw (less the excluded
 * codes), and the merge of any split of the rows equals the population of all of them. Refuses a
 * part that does not parse, of another mode or version, a code in two parts within a stratum, and
 * more than DRAW_MAX_STRATA strata. out must hold draw_pop_merge_max_size() bytes (a merge never
 * takes more than its parts: each code's step only gets shorter); *len receives the size written.
 * In draw_merge.c.
 */
size_t		draw_pop_merge_max_size(int nparts, const size_t lens[]);
int			draw_pop_merge(const draw_env *env, int nparts, const uint8_t *const parts[], const size_t lens[],
						   int weighted, uint8_t *out, size_t *len, char *err);

/* ---- running a draw over a population --------------------------------------------------------- */

typedef struct draw_target
{
	uint32_t	stratum;		/* index into pop->strata */
	uint32_t	rank;			/* 1-based, within the stratum */
	uint8_t		code[USCC_PACKED_LEN];
} draw_target;

/*
 * Checks a draw before anything is allocated for it: alg is known, a weighted draw has weights,
 * k[s] <= the count of stratum s and, for RFC 3797, k[s] <= 65536. draw_run checks the same.
 */
int			draw_check_k(const draw_pop *pop, draw_algorithm alg, const uint32_t *k, char *err);

/*
 * Runs alg over pop with seed, k[s] targets from stratum s (k[s] <= count; RFC 3797 also
 * k[s] <= 65536). Writes sum(k) targets to out, stratum by stratum, each in rank order, and
 * (when digest is not NULL) the population digest: SHA-256 of the lines "code,stratum\n"
 * (weighted: "code,stratum,weight\n" with the weight printed as %.17g) in population order.
 */
int			draw_run(const draw_env *env, const draw_pop *pop, const uint8_t seed[DRAW_SEED_LEN],
					 draw_algorithm alg, const uint32_t *k, draw_target *out,
					 uint8_t digest[SHA256_DIGEST_LEN], char *err);

/*
 * draw_run, but the strata s with given[s] set (given may be NULL) are not selected: their k[s]
 * places in out are left as they are, for the caller to fill (draw_run_part, draw_part.h).
 */
int			draw_run_given(const draw_env *env, const draw_pop *pop, const uint8_t seed[DRAW_SEED_LEN],
						   draw_algorithm alg, const uint32_t *k, const uint8_t *given, draw_target *out,
						   uint8_t digest[SHA256_DIGEST_LEN], char *err);

/* The population digest alone: the SHA-256 of its text (doc/draw-algorithm.md), one walk over the rows. */
int			draw_pop_digest(const draw_env *env, const draw_pop *pop, uint8_t digest[SHA256_DIGEST_LEN], char *err);

/* ---- sample_agg's state ------------------------------------------------------------------------ *
 *
 * Serialised: "SSMP" | version 1 | mode (1 byte: 0 none yet, 1 unweighted, 2 weighted) |
 *   k (int32 BE) | seed (32) | rows seen (uint64 BE) | n (uint32 BE) |
 *   n times: d (32) | key (binary64 BE) | id length (uint32 BE) | id bytes
 */

#define DRAW_MODE_NONE		0
#define DRAW_MODE_UNWEIGHTED 1
#define DRAW_MODE_WEIGHTED	2

typedef struct draw_sample
{
	int			mode;
	int32_t		k;
	uint8_t		seed[DRAW_SEED_LEN];
	uint64_t	seen;
	draw_hasher hasher;
	draw_heap	heap;
} draw_sample;

void		draw_sample_init(draw_sample *s, int32_t k, const uint8_t seed[DRAW_SEED_LEN]);
/* Offers a row; w is ignored when has_weight is 0. Fails on mixed modes or a bad weight. */
int			draw_sample_add(const draw_env *env, draw_sample *s, const char *id, size_t len,
							int has_weight, double w, char *err);
/* Merges src into dst (same k, seed; compatible modes), copying the ids it keeps; src is unchanged. */
int			draw_sample_merge(const draw_env *env, draw_sample *dst, draw_sample *src, char *err);
size_t		draw_sample_serial_size(const draw_sample *s);
void		draw_sample_serialise(const draw_sample *s, uint8_t *out);
int			draw_sample_deserialise(const draw_env *env, draw_sample *s, const uint8_t *data, size_t len, char *err);
/* Releases the items and ids (a state that failed to deserialise is already released). */
void		draw_sample_release(const draw_env *env, draw_sample *s);
/* Sorts the kept items into rank order. */
void		draw_sample_finish(draw_sample *s);

#endif							/* SUPERVISE_DRAW_H */
