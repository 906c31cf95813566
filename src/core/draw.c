/*
 * draw.c — reproducible, publicly verifiable draws (双随机); see draw.h and doc/draw-algorithm.md.
 * Pure C, no PostgreSQL headers; MD5 for RFC 3797 comes from OpenSSL's libcrypto.
 */
#include "draw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "i18n.h"
#include "pop_format.h"

#define TICK_EVERY 4096

int
draw_fail(char *err, const char *fmt,...)
{
	va_list		ap;
	int			n;
	size_t		last;

	if (err)
	{
		/* fmt is English; the caller's translator (i18n.h) gives it in the session's language */
		va_start(ap, fmt);
		n = vsnprintf(err, DRAW_ERRLEN, core_text(fmt), ap);
		va_end(ap);
		/* a message cut at DRAW_ERRLEN ends before the UTF-8 character the cut fell in */
		if (n >= DRAW_ERRLEN)
		{
			last = DRAW_ERRLEN - 1;		/* the length kept; back to the last lead byte */
			while (last > 0 && ((unsigned char) err[last - 1] & 0xC0) == 0x80)
				last--;
			if (last > 0 && ((unsigned char) err[last - 1] & 0x80) != 0)
			{
				unsigned char lead = (unsigned char) err[last - 1];
				size_t		need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;

				if (DRAW_ERRLEN - 1 - (last - 1) < need)
					err[last - 1] = '\0';
			}
		}
	}
	return -1;
}

int
draw_algorithm_from_name(const char *name)
{
	if (strcmp(name, "sha256-v1") == 0)
		return DRAW_SHA256_V1;
	if (strcmp(name, "sha256-v1-weighted") == 0)
		return DRAW_SHA256_V1_WEIGHTED;
	if (strcmp(name, "rfc3797") == 0)
		return DRAW_RFC3797;
	return -1;
}

const char *
draw_algorithm_name(draw_algorithm alg)
{
	switch (alg)
	{
		case DRAW_SHA256_V1: return "sha256-v1";
		case DRAW_SHA256_V1_WEIGHTED: return "sha256-v1-weighted";
		case DRAW_RFC3797: return "rfc3797";
	}
	return "?";
}

/* ---- the row digest ------------------------------------------------------------------------ */

void
draw_hasher_init(draw_hasher *h, const uint8_t seed[DRAW_SEED_LEN])
{
	draw_hasher_init_domain(h, DRAW_DOMAIN, seed);
}

void
draw_hasher_init_domain(draw_hasher *h, const char *domain, const uint8_t seed[DRAW_SEED_LEN])
{
	uint8_t		block[SHA256_BLOCK_LEN];
	size_t		dl = strlen(domain);	/* at most 31 */

	if (dl > SHA256_BLOCK_LEN - 1 - DRAW_SEED_LEN)
		dl = SHA256_BLOCK_LEN - 1 - DRAW_SEED_LEN;
	memset(block, 0, sizeof(block));
	memcpy(block, domain, dl);
	block[dl] = 0x00;
	memcpy(block + dl + 1, seed, DRAW_SEED_LEN);
	sha256_init(&h->mid);
	sha256_update(&h->mid, block, sizeof(block));
}

void
draw_row_digest(const draw_hasher *h, const char *id, size_t len, uint8_t d[SHA256_DIGEST_LEN])
{
	if (len <= 55)
		sha256_tail(&h->mid, id, len, d);
	else
	{
		sha256_ctx	ctx = h->mid;

		sha256_update(&ctx, id, len);
		sha256_final(&ctx, d);
	}
}

/* a code's text fits the one block of sha256_tail */
_Static_assert(USCC_LEN <= 55, "a code is hashed in one block");

/* two codes' digests at once (draw_row_digest of each) */
static void
draw_code_digest2(const draw_hasher *h, const char a[USCC_LEN], const char b[USCC_LEN],
				  uint8_t da[SHA256_DIGEST_LEN], uint8_t db[SHA256_DIGEST_LEN])
{
	sha256_tail2(&h->mid, a, USCC_LEN, da, b, USCC_LEN, db);
}

double
draw_uniform(const uint8_t d[SHA256_DIGEST_LEN])
{
	uint64_t	h = be_get(d, 8);

	/* an odd 54-bit integer, rounded to double (nearest, ties to even), times 2^-54 (exact) */
	return (double) (((h >> 11) << 1) | 1) * 0x1p-54;
}

double
draw_weight_key(const uint8_t d[SHA256_DIGEST_LEN], double w)
{
	return -log(draw_uniform(d)) / w;
}

void
draw_seed_from(const char *text, size_t len, uint8_t seed[DRAW_SEED_LEN])
{
	sha256(text, len, seed);
}

void
draw_code_digests(const draw_hasher *h, const char a[USCC_LEN], const char b[USCC_LEN],
				  uint8_t da[SHA256_DIGEST_LEN], uint8_t db[SHA256_DIGEST_LEN])
{
	draw_code_digest2(h, a, b, da, db);
}

/* ---- bounded selection ------------------------------------------------------------------------ */

int
draw_rank_cmp(int weighted, double akey, const uint8_t ad[SHA256_DIGEST_LEN], const void *aid, size_t alen,
			  double bkey, const uint8_t bd[SHA256_DIGEST_LEN], const void *bid, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	int			c;

	if (weighted && akey < bkey)
		return -1;
	if (weighted && akey > bkey)
		return 1;
	c = memcmp(ad, bd, SHA256_DIGEST_LEN);
	if (c != 0)
		return c;
	c = n ? memcmp(aid, bid, n) : 0;
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* draw_rank_cmp's first parts: the weighted key, then the digest's first 8 bytes (big-endian) */
static inline int
key_dhi_cmp(int weighted, double akey, uint64_t adhi, double bkey, uint64_t bdhi)
{
	if (weighted && akey < bkey)
		return -1;
	if (weighted && akey > bkey)
		return 1;
	if (adhi != bdhi)
		return adhi < bdhi ? -1 : 1;
	return 0;
}

int
draw_item_cmp(const draw_item *a, const draw_item *b, int weighted)
{
	int			c = key_dhi_cmp(weighted, a->key, a->dhi, b->key, b->dhi);

	return c != 0 ? c : draw_rank_cmp(weighted, a->key, a->d, a->id, a->id_len, b->key, b->d, b->id, b->id_len);
}

void
draw_item_finish(draw_item *it, int weighted, double w)
{
	it->dhi = be_get(it->d, 8);
	it->key = weighted ? draw_weight_key(it->d, w) : 0.0;
}

void
draw_heap_init(draw_heap *hp, draw_item *items, uint32_t cap, uint32_t k, int weighted)
{
	hp->items = items;
	hp->n = 0;
	hp->cap = cap;
	hp->k = k;
	hp->weighted = weighted;
}

int
draw_heap_wants(const draw_heap *hp, const draw_item *it)
{
	if (hp->n < hp->k)
		return 1;
	if (hp->k == 0)
		return 0;
	return draw_item_cmp(it, &hp->items[0], hp->weighted) < 0;
}

static void
sift_down(draw_item *items, uint32_t n, uint32_t i, int weighted)
{
	draw_item	x = items[i];

	for (;;)
	{
		uint32_t	c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && draw_item_cmp(&items[c + 1], &items[c], weighted) > 0)
			c++;
		if (draw_item_cmp(&items[c], &x, weighted) <= 0)
			break;
		items[i] = items[c];
		i = c;
	}
	items[i] = x;
}

void
draw_heap_push(draw_heap *hp, const draw_item *it, draw_item *evicted)
{
	if (evicted)
		evicted->id = NULL;
	if (hp->n < hp->k)
	{
		uint32_t	i = hp->n++;

		while (i > 0)
		{
			uint32_t	p = (i - 1) / 2;

			if (draw_item_cmp(&hp->items[p], it, hp->weighted) >= 0)
				break;
			hp->items[i] = hp->items[p];
			i = p;
		}
		hp->items[i] = *it;
		return;
	}
	if (evicted)
		*evicted = hp->items[0];
	hp->items[0] = *it;
	sift_down(hp->items, hp->n, 0, hp->weighted);
}

void
draw_heap_sort(draw_heap *hp)
{
	for (uint32_t end = hp->n; end > 1; end--)
	{
		draw_item	t = hp->items[0];

		hp->items[0] = hp->items[end - 1];
		hp->items[end - 1] = t;
		sift_down(hp->items, end - 1, 0, hp->weighted);
	}
}

/* ---- RFC 3797 ------------------------------------------------------------------------------ */

/* Fenwick tree over 1..n, each position present once: find the (r+1)-th present, remove it. */
static uint32_t
fenwick_take(uint32_t *tree, uint32_t n, uint32_t logn, uint32_t r)
{
	uint32_t	pos = 0;

	for (uint32_t step = logn; step > 0; step >>= 1)
	{
		if (pos + step <= n && tree[pos + step] <= r)
		{
			pos += step;
			r -= tree[pos];
		}
	}
	pos++;						/* 1-based position found */
	for (uint32_t i = pos; i <= n; i += i & (-i))
		tree[i]--;
	return pos;
}

int
rfc3797_select(const draw_env *env, uint32_t pool, uint32_t k, const char *key, size_t keylen,
			   uint32_t *out, char *err)
{
	uint8_t    *msg;
	const EVP_MD *md5 = EVP_md5();
	int			use_tree;
	uint32_t   *tree = NULL;
	uint32_t   *sorted = NULL;	/* selected 0-based positions, increasing (small-k method) */
	uint32_t	logn = 1;
	int			rc = 0;

	if (k > pool)
		return draw_fail(err, "cannot select %u of a pool of %u", k, pool);
	if (k > DRAW_RFC3797_MAX_K)
		return draw_fail(err, "RFC 3797 selects at most %d items, not %u", DRAW_RFC3797_MAX_K, k);
	if (md5 == NULL)
		return draw_fail(err, "MD5 is not available from OpenSSL");
	if (k == 0)
		return 0;

	/* a Fenwick tree (4 bytes a position) when it is small; else an O(k^2) sorted list */
	use_tree = k > 4096 && pool <= (1u << 26);
	if (use_tree)
	{
		tree = env->alloc(((size_t) pool + 1) * sizeof(uint32_t), env->arg);
		tree[0] = 0;
		for (uint32_t i = 1; i <= pool; i++)
			tree[i] = i & (-i);
		while (logn * 2 <= pool)
			logn *= 2;
	}
	else
		sorted = env->alloc((size_t) k * sizeof(uint32_t), env->arg);

	msg = env->alloc(keylen + 4, env->arg);
	memcpy(msg + 2, key, keylen);
	for (uint32_t i = 0; i < k; i++)
	{
		uint8_t		h[EVP_MAX_MD_SIZE];
		unsigned int hl = 0;
		uint32_t	remaining = pool - i;
		uint64_t	r = 0;
		uint32_t	pos;

		be_put(msg, i, 2);
		be_put(msg + 2 + keylen, i, 2);
		if (!EVP_Digest(msg, keylen + 4, h, &hl, md5, NULL) || hl != 16)
		{
			rc = draw_fail(err, "MD5 failed in OpenSSL");
			break;
		}
		for (int j = 0; j < 16; j++)
			r = ((r << 8) | h[j]) % remaining;

		if (use_tree)
			pos = fenwick_take(tree, pool, logn, (uint32_t) r);
		else
		{
			/* the r-th (0-based) position not in sorted[0..i): sorted[j] - j unselected precede sorted[j] */
			uint32_t	lo = 0,
						hi = i;	/* find the number of selected positions before the answer */

			while (lo < hi)
			{
				uint32_t	mid = lo + (hi - lo) / 2;

				if (sorted[mid] - mid <= r)
					lo = mid + 1;
				else
					hi = mid;
			}
			pos = (uint32_t) r + lo;	/* 0-based */
			memmove(sorted + lo + 1, sorted + lo, (size_t) (i - lo) * sizeof(uint32_t));
			sorted[lo] = pos;
			pos++;
		}
		out[i] = pos;
		if (env->tick && (i & 1023) == 1023)
			env->tick(env->arg);
	}
	env->release(msg, env->arg);
	if (tree)
		env->release(tree, env->arg);
	if (sorted)
		env->release(sorted, env->arg);
	return rc;
}

/* ---- the compact population ------------------------------------------------------------------ */

static int
pop_check_weight(uint64_t row, double w, char *err)
{
	if (!(w > 0) || !isfinite(w))
		return draw_fail(err, "population row %llu has weight %g, not a positive finite number",
						 (unsigned long long) (row + 1), w);
	return 0;
}

size_t
draw_pop_max_size(int nstrata, const char *const names[], int weighted, uint64_t nrows)
{
	size_t		size = POP_HEADER_LEN;

	for (int s = 0; s < nstrata; s++)
		size += pop_stratum_header_size(POP_VERSION, strlen(names[s]));
	return size + (size_t) nrows * (POP_MAX_CODE_BYTES + (weighted ? 8 : 0));
}

/*
 * draw_pop_write's steps, in the order it runs them. Each validates what it reads and says what
 * is wrong in err; the first that fails ends the write.
 */

/* Step 1: the stratum names valid and distinct; order[new] = old in byte order, newof[old] = new. */
static int
pop_order_strata(int nstrata, const char *const names[], int order[], int newof[], char *err)
{
	if (nstrata < 0 || nstrata > DRAW_MAX_STRATA)
		return draw_fail(err, "a population has at most %d strata, not %d", DRAW_MAX_STRATA, nstrata);
	for (int s = 0; s < nstrata; s++)
	{
		size_t		l = strlen(names[s]);

		if (l == 0 || l > DRAW_MAX_STRATUM_NAME)
			return draw_fail(err, "stratum name \"%s\" must have 1 to %d bytes", names[s], DRAW_MAX_STRATUM_NAME);
		order[s] = s;
	}
	/* insertion sort of at most 64 names */
	for (int i = 1; i < nstrata; i++)
	{
		int			x = order[i],
					j = i;

		while (j > 0 && pop_name_cmp(names[order[j - 1]], strlen(names[order[j - 1]]), names[x], strlen(names[x])) > 0)
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = x;
	}
	for (int s = 0; s < nstrata; s++)
	{
		newof[order[s]] = s;
		if (s > 0 && strcmp(names[order[s - 1]], names[order[s]]) == 0)
			return draw_fail(err, "stratum name \"%s\" appears twice", names[order[s]]);
	}
	return 0;
}

/* Step 2: each row's stratum number renumbered to the names' order, counted; weights checked. */
static int
pop_renumber_rows(void *rows, uint64_t nrows, int weighted, int nstrata, const int newof[],
				  uint32_t counts[], char *err)
{
	size_t		recsize = weighted ? sizeof(draw_wrec) : sizeof(draw_rec);

	for (int s = 0; s < nstrata; s++)
		counts[s] = 0;
	for (uint64_t i = 0; i < nrows; i++)
	{
		uint8_t    *key = (uint8_t *) rows + i * recsize;
		unsigned	s = key[0];

		if (s >= (unsigned) nstrata)
			return draw_fail(err, "row %llu has stratum number %u of %d", (unsigned long long) i, s, nstrata);
		key[0] = (uint8_t) newof[s];
		counts[newof[s]]++;
		if (weighted && pop_check_weight(i, ((draw_wrec *) rows)[i].w, err) != 0)
			return -1;
	}
	return 0;
}

/* Step 3: the excluded codes in order (the write merges them with the sorted rows). */
static int
pop_check_excluded(const uint8_t *exclude, uint64_t nexclude, char *err)
{
	for (uint64_t x = 1; x < nexclude; x++)
		if (memcmp(exclude + (x - 1) * USCC_PACKED_LEN, exclude + x * USCC_PACKED_LEN, USCC_PACKED_LEN) > 0)
			return draw_fail(err, "the excluded codes are not in order (at %llu)", (unsigned long long) (x + 1));
	return 0;
}

/* Step 4: the rows in key order (stratum, code), in place: a copy would double a large draw's memory. */
static void
pop_sort_rows(const draw_env *env, void *rows, uint64_t nrows, int weighted)
{
	void	   *tmp = env->alloc(RADIX_INPLACE_SCRATCH, env->arg);

	radix_sort_inplace(rows, nrows, weighted ? sizeof(draw_wrec) : sizeof(draw_rec), DRAW_REC_KEYLEN, tmp);
	env->release(tmp, env->arg);
}

/*
 * Step 5: one stratum's sorted rows [first, first + count) delta-encoded at p, a code that repeats
 * refused and the excluded codes left out (a merge: the stratum's rows and the exclusions are
 * both in code order). Returns the end of what it wrote, NULL on error; *kept is the number of
 * codes written.
 */
static uint8_t *
pop_encode_stratum(const void *rows, uint64_t first, uint64_t count, int weighted, const char *name,
				   const uint8_t *exclude, uint64_t nexclude, uint8_t *p, uint32_t *kept, char *err)
{
	size_t		recsize = weighted ? sizeof(draw_wrec) : sizeof(draw_rec);
	uint64_t	ph = 0,			/* the last code written */
				rh = 0,			/* the last row's code */
				n = 0,
				x = 0;			/* the next excluded code that can still come */
	int64_t		pl = -1,
				rl = -1;

	for (uint64_t j = first; j < first + count; j++)
	{
		const uint8_t *key = (const uint8_t *) rows + j * recsize;
		uint64_t	h = uscc_get48(key + 1),
					l = uscc_get48(key + 7);

		if (h >= USCC_HI_LIMIT || l >= USCC_LO_LIMIT)
		{
			draw_fail(err, "row %llu is not a packed code", (unsigned long long) (j + 1));
			return NULL;
		}
		if (j > first && h == rh && (int64_t) l == rl)
		{
			char		code[USCC_LEN + 1];

			(void) uscc_unpack_text(key + 1, code);
			code[USCC_LEN] = '\0';
			draw_fail(err, "code %s appears twice in stratum \"%s\"", code, name);
			return NULL;
		}
		rh = h;
		rl = (int64_t) l;
		while (x < nexclude && memcmp(exclude + x * USCC_PACKED_LEN, key + 1, USCC_PACKED_LEN) < 0)
			x++;
		if (x < nexclude && memcmp(exclude + x * USCC_PACKED_LEN, key + 1, USCC_PACKED_LEN) == 0)
			continue;
		p = pop_put_step(p, h, l, ph, pl);
		ph = h;
		pl = (int64_t) l;
		n++;
		if (weighted)
		{
			be_put_double(p, ((const draw_wrec *) rows)[j].w);
			p += 8;
		}
	}
	*kept = (uint32_t) n;
	return p;
}

int
draw_pop_write(const draw_env *env, void *rows, uint64_t nrows, int weighted,
			   int nstrata, const char *const names[], const uint8_t *exclude, uint64_t nexclude,
			   uint8_t *out, size_t *len, char *err)
{
	int			order[DRAW_MAX_STRATA];	/* order[new] = old */
	int			newof[DRAW_MAX_STRATA];	/* newof[old] = new */
	uint32_t	counts[DRAW_MAX_STRATA];
	uint32_t	kept[DRAW_MAX_STRATA] = {0};	/* rows written, the excluded left out */
	uint32_t	bytes[DRAW_MAX_STRATA] = {0};	/* and their length */
	const char *sorted[DRAW_MAX_STRATA];	/* the names in order */
	size_t		lens[DRAW_MAX_STRATA];
	size_t		hdr = POP_HEADER_LEN,
				rows_len;
	uint64_t	first = 0;		/* a stratum's first row in key order */
	uint8_t    *p;

	if (pop_order_strata(nstrata, names, order, newof, err) != 0)
		return -1;
	if (nrows >= UINT32_MAX)
		return draw_fail(err, "a population has fewer than %u rows", UINT32_MAX);
	if (pop_renumber_rows(rows, nrows, weighted, nstrata, newof, counts, err) != 0 ||
		pop_check_excluded(exclude, nexclude, err) != 0)
		return -1;
	pop_sort_rows(env, rows, nrows, weighted);

	/* the rows first, after room for the whole header; then the header, moved up to meet them */
	for (int s = 0; s < nstrata; s++)
	{
		sorted[s] = names[order[s]];
		lens[s] = strlen(sorted[s]);
		hdr += pop_stratum_header_size(POP_VERSION, lens[s]);
	}
	p = out + hdr;
	for (int s = 0; s < nstrata; first += counts[s], s++)
	{
		uint8_t    *start = p;

		if (counts[s] == 0)
			continue;
		p = pop_encode_stratum(rows, first, counts[s], weighted, names[order[s]], exclude, nexclude, p, &kept[s],
							   err);
		if (p == NULL)
			return -1;
		if ((uint64_t) (p - start) > UINT32_MAX)
			return draw_fail(err, "stratum \"%s\" takes more than 4 GB", names[order[s]]);
		bytes[s] = (uint32_t) (p - start);
	}
	rows_len = (size_t) (p - (out + hdr));

	p = pop_put_header(out, weighted, nstrata, sorted, lens, kept, bytes);
	if (p != out + hdr)
		memmove(p, out + hdr, rows_len);
	*len = (size_t) (p - out) + rows_len;
	return 0;
}

/*
 * The offset of the first byte of s[0..len) that does not belong to a well-formed UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or len when all do.
 */
static size_t
utf8_invalid_at(const uint8_t *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint8_t		c = s[i];
		size_t		n;
		uint8_t		lo = 0x80,
					hi = 0xbf;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
		{
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;		/* overlong */
			else if (c == 0xed)
				hi = 0x9f;		/* surrogates */
		}
		else if (c >= 0xf0 && c <= 0xf4)
		{
			n = 3;
			if (c == 0xf0)
				lo = 0x90;		/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;		/* above U+10FFFF */
		}
		else
			return i;
		if (len - i <= n)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t j = 2; j <= n; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return i;
		i += n + 1;
	}
	return len;
}

int
draw_pop_parse_header(draw_pop *pop, const uint8_t *data, size_t len, char *err)
{
	const uint8_t *p = data,
			   *end = data + len;
	uint64_t	total = 0,
				bytes = 0;

	memset(pop, 0, offsetof(draw_pop, strata));
	pop->rows = pop->enc = NULL;
	pop->owned = NULL;
	if (len < 8 || memcmp(p, POP_MAGIC, 4) != 0)
		return draw_fail(err, "not a serialised population (bad magic)");
	if (p[4] != 1 && p[4] != 2)
		return draw_fail(err, "unknown population format version %d", p[4]);
	pop->version = p[4];
	if (p[5] > 1)
		return draw_fail(err, "unknown population flags %d", p[5]);
	pop->weighted = p[5] & 1;
	pop->row_size = pop->weighted ? 20 : 12;
	pop->nstrata = (int) be_get(p + 6, 2);
	if (pop->nstrata > DRAW_MAX_STRATA)
		return draw_fail(err, "population has %d strata, more than %d", pop->nstrata, DRAW_MAX_STRATA);
	p += 8;
	for (int s = 0; s < pop->nstrata; s++)
	{
		draw_pop_stratum *st = &pop->strata[s];
		uint32_t	l;

		if (end - p < 1)
			return draw_fail(err, "population header is truncated");
		l = *p++;
		if (l == 0 || l > DRAW_MAX_STRATUM_NAME
			|| (size_t) (end - p) < pop_stratum_header_size(pop->version, l) - 1)
			return draw_fail(err, "population stratum %d header is truncated or has a bad name length", s + 1);
		memcpy(st->name, p, l);
		st->name[l] = '\0';
		st->name_len = l;
		if (memchr(st->name, '\0', l) != NULL)
			return draw_fail(err, "population stratum %d name contains a zero byte", s + 1);
		{
			size_t		bad = utf8_invalid_at(p, l);

			if (bad < l)
			{
				draw_fail(err, "population stratum %d name is not valid UTF-8 (byte 0x%02x at offset %zu of its %u bytes)",
						  s + 1, p[bad], bad, l);
				return DRAW_POP_BAD_NAME;
			}
		}
		p += l;
		st->count = be_get(p, 4);
		p += 4;
		st->first = total;
		total += st->count;
		if (pop->version >= 2)
		{
			if (st->count == 0)
				return draw_fail(err, "population stratum \"%s\" has no rows", st->name);
			st->enc_len = be_get(p, 4);
			st->enc_off = bytes;
			bytes += st->enc_len;
			p += 4;
			/* every row takes 1 to POP_MAX_CODE_BYTES bytes, and 8 more with a weight */
			if ((uint64_t) st->enc_len < (uint64_t) st->count * (pop->weighted ? 9 : 1)
				|| (uint64_t) st->enc_len > (uint64_t) st->count * (POP_MAX_CODE_BYTES + (pop->weighted ? 8 : 0)))
				return draw_fail(err, "population stratum \"%s\" has %u rows in %u bytes", st->name, st->count, st->enc_len);
		}
		if (s > 0 && pop_name_cmp(pop->strata[s - 1].name, pop->strata[s - 1].name_len, st->name, l) >= 0)
			return draw_fail(err, "population strata are not in increasing name order");
	}
	if (pop->version >= 2)
	{
		if ((uint64_t) (end - p) != bytes)
			return draw_fail(err, "population size does not match its header: %llu bytes of rows expected, %zu found",
							 (unsigned long long) bytes, (size_t) (end - p));
		pop->enc = p;
	}
	else
	{
		if ((uint64_t) (end - p) / pop->row_size < total || (uint64_t) (end - p) != total * pop->row_size)
			return draw_fail(err, "population size does not match its header: %llu rows of %zu bytes expected, %zu bytes found",
						(unsigned long long) total, pop->row_size, (size_t) (end - p));
		pop->rows = p;
	}
	pop->nrows = total;
	return 0;
}

/*
 * Whether the in-range packing r (row number row) is not a valid code (err says so). Validity
 * depends on the first part h alone (uscc_packed_is_valid), and a population's rows come in code
 * order, so the last valid h is kept in *valid_h and a row that shares it is not checked again.
 */
static int
pop_code_invalid(const uint8_t *r, uint64_t row, uint64_t *valid_h, char *err)
{
	char		text[USCC_LEN];

	if (uscc_get48(r) == *valid_h)
		return 0;
	if (uscc_packed_is_valid(r))
	{
		*valid_h = uscc_get48(r);
		return 0;
	}
	(void) uscc_unpack_text(r, text);
	draw_fail(err, "population row %llu is \"%.*s\", not a valid unified social credit code",
			  (unsigned long long) (row + 1), USCC_LEN, text);
	return 1;
}

/* version 1: every code valid, increasing within its stratum; weights positive and finite */
static int
pop_check_v1(const draw_pop *pop, char *err)
{
	uint64_t	valid_h = UINT64_MAX;

	for (int s = 0; s < pop->nstrata; s++)
	{
		const uint8_t *r = pop->rows + pop->strata[s].first * pop->row_size;

		for (uint32_t i = 0; i < pop->strata[s].count; i++, r += pop->row_size)
		{
			if (!uscc_packed_in_range(r))
				return draw_fail(err, "population row %llu is not a packed code", (unsigned long long) (pop->strata[s].first + i + 1));
			if (pop_code_invalid(r, pop->strata[s].first + i, &valid_h, err))
				return -1;
			if (i > 0 && memcmp(r - pop->row_size, r, USCC_PACKED_LEN) >= 0)
				return draw_fail(err, "population codes are not increasing within stratum \"%s\"", pop->strata[s].name);
			if (pop->weighted && pop_check_weight(pop->strata[s].first + i, be_get_double(r + 12), err) != 0)
				return -1;
		}
	}
	return 0;
}

/* version 2: each stratum's steps into rows (packed code [| weight]), checking as they are read */
static int
pop_decode_v2(const draw_pop *pop, uint8_t *rows, char *err)
{
	uint64_t	valid_h = UINT64_MAX;

	for (int s = 0; s < pop->nstrata; s++)
	{
		const draw_pop_stratum *st = &pop->strata[s];
		const uint8_t *p = pop->enc + st->enc_off,
				   *end = p + st->enc_len;
		uint8_t    *r = rows + st->first * pop->row_size;
		uint64_t	h = 0;
		int64_t		l = -1;

		for (uint32_t i = 0; i < st->count; i++, r += pop->row_size)
		{
			int			rc = pop_get_step(&p, end, &h, &l);

			if (rc == POP_STEP_CUT_OFF)
				return draw_fail(err, "population row %llu is cut off or not a minimal varint", (unsigned long long) (st->first + i + 1));
			if (rc != 0)
				return draw_fail(err, "population row %llu is not a packed code", (unsigned long long) (st->first + i + 1));
			uscc_put48(r, h);
			uscc_put48(r + 6, (uint64_t) l);
			if (pop_code_invalid(r, st->first + i, &valid_h, err))
				return -1;
			if (pop->weighted)
			{
				if (end - p < 8)
					return draw_fail(err, "population row %llu is cut off", (unsigned long long) (st->first + i + 1));
				if (pop_check_weight(st->first + i, be_get_double(p), err) != 0)
					return -1;
				memcpy(r + 12, p, 8);
				p += 8;
			}
		}
		if (p != end)
			return draw_fail(err, "population stratum \"%s\" has %zu bytes after its %u rows",
							 st->name, (size_t) (end - p), st->count);
	}
	return 0;
}

int
draw_pop_parse(const draw_env *env, draw_pop *pop, const uint8_t *data, size_t len, char *err)
{
	uint8_t    *rows;
	int			rc = draw_pop_parse_header(pop, data, len, err);

	if (rc != 0)
		return rc;
	if (pop->version == 1)
		return pop_check_v1(pop, err);
	rows = env->alloc(pop->nrows ? (size_t) pop->nrows * pop->row_size : 1, env->arg);
	if (pop_decode_v2(pop, rows, err) != 0)
	{
		env->release(rows, env->arg);
		return -1;
	}
	pop->rows = rows;
	pop->owned = rows;
	return 0;
}

void
draw_pop_release(const draw_env *env, draw_pop *pop)
{
	if (pop->owned)
		env->release(pop->owned, env->arg);
	pop->owned = NULL;
	pop->rows = NULL;
}

/* ---- running a draw ------------------------------------------------------------------------- */

typedef struct digest_buf
{
	sha256_ctx	ctx;
	size_t		used;
	uint8_t		buf[8192];
	double		last_w;			/* cache of the last weight's text */
	char		last_text[40];
	size_t		last_len;
} digest_buf;

static void
digest_line(digest_buf *db, const char code[USCC_LEN], const draw_pop_stratum *st, int weighted, double w)
{
	size_t		need = USCC_LEN + 1 + st->name_len + 1 + (weighted ? 1 + 40 : 0);
	uint8_t    *p;

	if (db->used + need > sizeof(db->buf))
	{
		sha256_update(&db->ctx, db->buf, db->used);
		db->used = 0;
	}
	p = db->buf + db->used;
	memcpy(p, code, USCC_LEN);
	p += USCC_LEN;
	*p++ = ',';
	memcpy(p, st->name, st->name_len);
	p += st->name_len;
	if (weighted)
	{
		if (db->last_len == 0 || memcmp(&w, &db->last_w, sizeof(w)) != 0)
		{
			db->last_len = (size_t) snprintf(db->last_text, sizeof(db->last_text), "%.17g", w);
			db->last_w = w;
		}
		*p++ = ',';
		memcpy(p, db->last_text, db->last_len);
		p += db->last_len;
	}
	*p++ = '\n';
	db->used = (size_t) (p - db->buf);
}

/* a digest of the population's text (doc/draw-algorithm.md) begun, in env's memory */
static digest_buf *
digest_begin(const draw_env *env)
{
	digest_buf *db = env->alloc(sizeof(digest_buf), env->arg);

	sha256_init(&db->ctx);
	db->used = 0;
	db->last_len = 0;
	return db;
}

/* the digest finished into digest (NULL: given up), db released */
static void
digest_end(const draw_env *env, digest_buf *db, uint8_t digest[SHA256_DIGEST_LEN])
{
	if (digest)
	{
		if (db->used)
			sha256_update(&db->ctx, db->buf, db->used);
		sha256_final(&db->ctx, digest);
	}
	env->release(db, env->arg);
}

static int
run_rfc3797(const draw_env *env, const draw_pop *pop, const uint8_t seed[DRAW_SEED_LEN],
			const uint32_t *k, draw_target *out, char *err)
{
	for (int s = 0; s < pop->nstrata; s++)
	{
		const draw_pop_stratum *st = &pop->strata[s];
		char		key[64 + 1 + DRAW_MAX_STRATUM_NAME + 2];
		size_t		kl = 0;
		uint32_t   *pos;

		if (k[s] == 0)
			continue;
		for (int i = 0; i < DRAW_SEED_LEN; i++)
			kl += (size_t) snprintf(key + kl, sizeof(key) - kl, "%02x", seed[i]);
		key[kl++] = '/';
		memcpy(key + kl, st->name, st->name_len);
		kl += st->name_len;
		key[kl++] = '/';
		pos = env->alloc(k[s] * sizeof(uint32_t), env->arg);
		if (rfc3797_select(env, st->count, k[s], key, kl, pos, err) != 0)
		{
			env->release(pos, env->arg);
			return -1;
		}
		for (uint32_t i = 0; i < k[s]; i++)
		{
			out->stratum = (uint32_t) s;
			out->rank = i + 1;
			memcpy(out->code, pop->rows + (st->first + pos[i] - 1) * pop->row_size, USCC_PACKED_LEN);
			out++;
		}
		env->release(pos, env->arg);
	}
	return 0;
}

/* ---- bottom-k of a stratum in draw_run ------------------------------------------------------- *
 *
 * A heap of k items costs log k cache misses for every row that enters it (about
 * k (1 + ln(N/k)) rows do). Instead, rows that rank before the current threshold are appended
 * to a buffer of about 2k candidates; when it is full, a selection keeps the k first and the
 * k-th becomes the threshold. A candidate is 24 bytes: the digest's first 8 bytes and the row;
 * the full digest and text of a row are computed again only when those 8 bytes tie.
 */

/*
 * The bits of a digest's first 8 bytes kept in a candidate. All of them; the unit tests build this
 * file with fewer (test_draw_ties.c), to exercise the tie path.
 */
#ifndef DRAW_CAND_DHI_MASK
#define DRAW_CAND_DHI_MASK UINT64_C(0xFFFFFFFFFFFFFFFF)
#endif

typedef struct draw_cand
{
	double		key;			/* weighted: -ln(u)/w; unweighted: 0 */
	uint64_t	dhi;			/* the digest's first 8 bytes, big-endian */
	uint64_t	row;			/* index into the population's rows */
} draw_cand;

typedef struct cand_ctx
{
	const draw_pop *pop;
	const draw_hasher *hasher;
	int			weighted;
} cand_ctx;

/* draw_rank_cmp when the key and the first 8 digest bytes are equal: the digests and codes again */
static int
cand_tie(const cand_ctx *cx, const draw_cand *a, const draw_cand *b)
{
	char		ta[USCC_LEN],
				tb[USCC_LEN];
	uint8_t		da[SHA256_DIGEST_LEN],
				db[SHA256_DIGEST_LEN];

	if (a->row == b->row)
		return 0;
	(void) uscc_unpack_text(cx->pop->rows + a->row * cx->pop->row_size, ta);
	(void) uscc_unpack_text(cx->pop->rows + b->row * cx->pop->row_size, tb);
	draw_row_digest(cx->hasher, ta, USCC_LEN, da);
	draw_row_digest(cx->hasher, tb, USCC_LEN, db);
	return draw_rank_cmp(cx->weighted, a->key, da, ta, USCC_LEN, b->key, db, tb, USCC_LEN);
}

static inline int
cand_cmp(const cand_ctx *cx, const draw_cand *a, const draw_cand *b)
{
	int			c = key_dhi_cmp(cx->weighted, a->key, a->dhi, b->key, b->dhi);

	return c != 0 ? c : cand_tie(cx, a, b);
}

static inline void
cand_swap(draw_cand *a, draw_cand *b)
{
	draw_cand	t = *a;

	*a = *b;
	*b = t;
}

/*
 * Hoare partition of c[lo..hi] around the median of three: afterwards c[lo..*j] rank at or
 * before the pivot, c[*i..hi] at or after it, and anything between equals it.
 */
static void
cand_partition(const cand_ctx *cx, draw_cand *c, int64_t lo, int64_t hi, int64_t *i_out, int64_t *j_out)
{
	int64_t		mid = lo + (hi - lo) / 2,
				i = lo,
				j = hi;
	draw_cand	pivot;

	if (cand_cmp(cx, &c[mid], &c[lo]) < 0)
		cand_swap(&c[mid], &c[lo]);
	if (cand_cmp(cx, &c[hi], &c[lo]) < 0)
		cand_swap(&c[hi], &c[lo]);
	if (cand_cmp(cx, &c[hi], &c[mid]) < 0)
		cand_swap(&c[hi], &c[mid]);
	pivot = c[mid];
	while (i <= j)
	{
		while (cand_cmp(cx, &c[i], &pivot) < 0)
			i++;
		while (cand_cmp(cx, &c[j], &pivot) > 0)
			j--;
		if (i <= j)
		{
			cand_swap(&c[i], &c[j]);
			i++;
			j--;
		}
	}
	*i_out = i;
	*j_out = j;
}

/* c[0..k) become the k first of c[0..n), the k-th at c[k - 1], the others in no order; 0 < k < n */
static void
cand_select(const cand_ctx *cx, draw_cand *c, int64_t n, int64_t k)
{
	int64_t		lo = 0,
				hi = n - 1,
				want = k - 1;

	while (lo < hi)
	{
		int64_t		i,
					j;

		cand_partition(cx, c, lo, hi, &i, &j);
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			break;
	}
}

/* sorts c[0..n) */
static void
cand_sort(const cand_ctx *cx, draw_cand *c, int64_t n)
{
	int64_t		lo = 0,
				hi = n - 1;

	while (hi - lo >= 16)
	{
		int64_t		i,
					j;

		cand_partition(cx, c, lo, hi, &i, &j);
		/* recurse into the smaller side, loop on the larger */
		if (j - lo < hi - i)
		{
			cand_sort(cx, c + lo, j - lo + 1);
			lo = i;
		}
		else
		{
			cand_sort(cx, c + i, hi - i + 1);
			hi = j;
		}
	}
	for (int64_t a = lo + 1; a <= hi; a++)
	{
		draw_cand	x = c[a];
		int64_t		b = a;

		for (; b > lo && cand_cmp(cx, &c[b - 1], &x) > 0; b--)
			c[b] = c[b - 1];
		c[b] = x;
	}
}

/* the buffer of one stratum's candidates */
typedef struct cand_buf
{
	cand_ctx	cx;
	draw_cand  *cand;
	int64_t		n,
				cap,
				k;
	draw_cand	threshold;		/* the k-th after the last trim */
	int			have_threshold;
} cand_buf;

/* keeps the k first; the k-th (where the selection leaves it) is the new threshold */
static void
cand_trim(cand_buf *cb)
{
	cand_select(&cb->cx, cb->cand, cb->n, cb->k);
	cb->n = cb->k;
	cb->threshold = cb->cand[cb->k - 1];
	cb->have_threshold = 1;
}

/* a row with digest d and weight w: a candidate if it ranks before the threshold */
static inline void
cand_offer(cand_buf *cb, const uint8_t d[SHA256_DIGEST_LEN], double w, uint64_t row)
{
	draw_cand	c;

	c.dhi = be_get(d, 8) & DRAW_CAND_DHI_MASK;
	/* the common case: unweighted and the first 8 bytes rank after the threshold */
	if (!cb->cx.weighted && cb->have_threshold && c.dhi > cb->threshold.dhi)
		return;
	c.key = cb->cx.weighted ? draw_weight_key(d, w) : 0.0;
	c.row = row;
	if (cb->have_threshold && cand_cmp(&cb->cx, &c, &cb->threshold) >= 0)
		return;
	cb->cand[cb->n++] = c;
	if (cb->n == cb->cap)
		cand_trim(cb);
}

int
draw_check_k(const draw_pop *pop, draw_algorithm alg, const uint32_t *k, char *err)
{
	if (alg != DRAW_SHA256_V1 && alg != DRAW_SHA256_V1_WEIGHTED && alg != DRAW_RFC3797)
		return draw_fail(err, "unknown draw algorithm %d", (int) alg);
	if (alg == DRAW_SHA256_V1_WEIGHTED && !pop->weighted)
		return draw_fail(err, "a weighted draw needs a population with weights");
	for (int s = 0; s < pop->nstrata; s++)
	{
		if (k[s] > pop->strata[s].count)
			return draw_fail(err, "stratum \"%s\" has %u rows, fewer than the %u to draw",
						pop->strata[s].name, pop->strata[s].count, k[s]);
		if (alg == DRAW_RFC3797 && k[s] > DRAW_RFC3797_MAX_K)
			return draw_fail(err, "RFC 3797 selects at most %d items, not %u (stratum \"%s\")",
						DRAW_RFC3797_MAX_K, k[s], pop->strata[s].name);
	}
	return 0;
}

int
draw_run(const draw_env *env, const draw_pop *pop, const uint8_t seed[DRAW_SEED_LEN],
		 draw_algorithm alg, const uint32_t *k, draw_target *out,
		 uint8_t digest[SHA256_DIGEST_LEN], char *err)
{
	return draw_run_given(env, pop, seed, alg, k, NULL, out, digest, err);
}

int
draw_run_given(const draw_env *env, const draw_pop *pop, const uint8_t seed[DRAW_SEED_LEN],
			   draw_algorithm alg, const uint32_t *k, const uint8_t *given, draw_target *out,
			   uint8_t digest[SHA256_DIGEST_LEN], char *err)
{
	draw_hasher hasher;
	digest_buf *db = NULL;
	int			weighted = (alg == DRAW_SHA256_V1_WEIGHTED);
	int			hashing = (alg != DRAW_RFC3797);
	draw_target *o = out;

	if (draw_check_k(pop, alg, k, err) != 0)
		return -1;
	if (alg == DRAW_RFC3797 && run_rfc3797(env, pop, seed, k, out, err) != 0)
		return -1;

	draw_hasher_init(&hasher, seed);
	if (digest)
		db = digest_begin(env);
	if (!hashing && !digest)
		return 0;

	for (int s = 0; s < pop->nstrata; s++)
	{
		const draw_pop_stratum *st = &pop->strata[s];
		const uint8_t *rows = pop->rows + st->first * pop->row_size;
		cand_buf	cb;
		int			selecting = hashing && k[s] > 0 && !(given && given[s]);
		uscc_text_run run = {0};

		memset(&cb, 0, sizeof(cb));
		cb.cx.pop = pop;
		cb.cx.hasher = &hasher;
		cb.cx.weighted = weighted;
		cb.k = k[s];
		if (selecting)
		{
			cb.cap = (int64_t) k[s] + (k[s] > 4096 ? k[s] : 4096);
			cb.cand = env->alloc((size_t) cb.cap * sizeof(draw_cand), env->arg);
		}
		/* two rows at a time, so that their digests are computed together (sha256_tail2) */
		for (uint32_t i = 0; i < st->count; i += 2)
		{
			uint32_t	m = st->count - i >= 2 ? 2 : 1;
			char		code[2][USCC_LEN];
			double		w[2];
			uint8_t		d[2][SHA256_DIGEST_LEN];

			for (uint32_t j = 0; j < m; j++)
			{
				const uint8_t *r = rows + (size_t) (i + j) * pop->row_size;

				w[j] = pop->weighted ? be_get_double(r + 12) : 1.0;
				if (uscc_unpack_text_run(r, code[j], &run) != 0)
				{
					if (db)
						digest_end(env, db, NULL);
					if (cb.cand)
						env->release(cb.cand, env->arg);
					return draw_fail(err, "population row %u of stratum \"%s\" is not a packed code", i + j + 1, st->name);
				}
				if (db)
					digest_line(db, code[j], st, pop->weighted, w[j]);
			}
			if (selecting)
			{
				if (m == 2)
					draw_code_digest2(&hasher, code[0], code[1], d[0], d[1]);
				else
					draw_row_digest(&hasher, code[0], USCC_LEN, d[0]);
				for (uint32_t j = 0; j < m; j++)
					cand_offer(&cb, d[j], w[j], st->first + i + j);
			}
			if (env->tick && (i % TICK_EVERY) == TICK_EVERY - 2)
				env->tick(env->arg);
		}
		if (selecting)
		{
			if (cb.n > (int64_t) k[s])
				cand_select(&cb.cx, cb.cand, cb.n, k[s]);
			cand_sort(&cb.cx, cb.cand, k[s]);
			for (uint32_t i = 0; i < k[s]; i++)
			{
				o->stratum = (uint32_t) s;
				o->rank = i + 1;
				memcpy(o->code, pop->rows + cb.cand[i].row * pop->row_size, USCC_PACKED_LEN);
				o++;
			}
			env->release(cb.cand, env->arg);
		}
		else if (hashing && given && given[s])
			o += k[s];			/* the caller's */
	}
	if (db)
		digest_end(env, db, digest);
	return 0;
}

int
draw_pop_digest(const draw_env *env, const draw_pop *pop, uint8_t digest[SHA256_DIGEST_LEN], char *err)
{
	digest_buf *db = digest_begin(env);

	for (int s = 0; s < pop->nstrata; s++)
	{
		const draw_pop_stratum *st = &pop->strata[s];
		const uint8_t *rows = pop->rows + st->first * pop->row_size;
		uscc_text_run run = {0};

		for (uint32_t i = 0; i < st->count; i++)
		{
			const uint8_t *r = rows + (size_t) i * pop->row_size;
			char		code[USCC_LEN];

			if (uscc_unpack_text_run(r, code, &run) != 0)
			{
				digest_end(env, db, NULL);
				return draw_fail(err, "population row %u of stratum \"%s\" is not a packed code", i + 1, st->name);
			}
			digest_line(db, code, st, pop->weighted, pop->weighted ? be_get_double(r + 12) : 1.0);
			if (env->tick && (i % TICK_EVERY) == TICK_EVERY - 1)
				env->tick(env->arg);
		}
	}
	digest_end(env, db, digest);
	return 0;
}

/* ---- sample_agg's state ------------------------------------------------------------------------ */

#define SAMPLE_MAGIC "SSMP"
#define SAMPLE_VERSION 1
#define SAMPLE_HEADER (4 + 1 + 1 + 4 + DRAW_SEED_LEN + 8 + 4)
#define SAMPLE_ITEM_FIXED (SHA256_DIGEST_LEN + 8 + 4)

void
draw_sample_init(draw_sample *s, int32_t k, const uint8_t seed[DRAW_SEED_LEN])
{
	s->mode = DRAW_MODE_NONE;
	s->k = k;
	memcpy(s->seed, seed, DRAW_SEED_LEN);
	s->seen = 0;
	draw_hasher_init(&s->hasher, seed);
	draw_heap_init(&s->heap, NULL, 0, (uint32_t) k, 0);
}

static void
sample_grow(const draw_env *env, draw_sample *s)
{
	uint32_t	cap = s->heap.cap ? s->heap.cap * 2 : 16;
	draw_item  *items;

	if (cap > s->heap.k)
		cap = s->heap.k;
	items = env->alloc((size_t) cap * sizeof(draw_item), env->arg);
	if (s->heap.n)
		memcpy(items, s->heap.items, (size_t) s->heap.n * sizeof(draw_item));
	if (s->heap.items)
		env->release(s->heap.items, env->arg);
	s->heap.items = items;
	s->heap.cap = cap;
}

static int
sample_set_mode(draw_sample *s, int mode, char *err)
{
	if (s->mode == DRAW_MODE_NONE)
	{
		s->mode = mode;
		s->heap.weighted = (mode == DRAW_MODE_WEIGHTED);
		return 0;
	}
	if (s->mode != mode)
		return draw_fail(err, "some rows have a weight and some have none");
	return 0;
}

/* keeps an item whose d, dhi, key are set; copies the id when it is kept (copy_id) */
static void
sample_offer(const draw_env *env, draw_sample *s, draw_item *it, int copy_id)
{
	draw_item	ev;

	if (!draw_heap_wants(&s->heap, it))
	{
		if (!copy_id && it->id)
			env->release(it->id, env->arg);
		return;
	}
	if (s->heap.n == s->heap.cap && s->heap.n < s->heap.k)
		sample_grow(env, s);
	if (copy_id)
	{
		char	   *c = env->alloc(it->id_len ? it->id_len : 1, env->arg);

		if (it->id_len)
			memcpy(c, it->id, it->id_len);
		it->id = c;
	}
	draw_heap_push(&s->heap, it, &ev);
	if (ev.id)
		env->release(ev.id, env->arg);
}

int
draw_sample_add(const draw_env *env, draw_sample *s, const char *id, size_t len,
				int has_weight, double w, char *err)
{
	draw_item	it;

	if (sample_set_mode(s, has_weight ? DRAW_MODE_WEIGHTED : DRAW_MODE_UNWEIGHTED, err) != 0)
		return -1;
	if (has_weight && (!(w > 0) || !isfinite(w)))
		return draw_fail(err, "weight %g is not a positive finite number", w);
	if (len > UINT32_MAX)
		return draw_fail(err, "id is too long");
	s->seen++;
	if (s->k == 0)
		return 0;
	draw_row_digest(&s->hasher, id, len, it.d);
	draw_item_finish(&it, has_weight, w);
	it.id = (char *) id;
	it.id_len = (uint32_t) len;
	if (!has_weight && s->heap.n == s->heap.k && it.dhi > s->heap.items[0].dhi)
		return 0;
	sample_offer(env, s, &it, 1);
	return 0;
}

int
draw_sample_merge(const draw_env *env, draw_sample *dst, draw_sample *src, char *err)
{
	if (dst->k != src->k)
		return draw_fail(err, "k differs between parts: %d and %d", dst->k, src->k);
	if (memcmp(dst->seed, src->seed, DRAW_SEED_LEN) != 0)
		return draw_fail(err, "the seed differs between parts");
	if (src->mode != DRAW_MODE_NONE && sample_set_mode(dst, src->mode, err) != 0)
		return -1;
	dst->seen += src->seen;
	for (uint32_t i = 0; i < src->heap.n; i++)
	{
		draw_item	it = src->heap.items[i];

		sample_offer(env, dst, &it, 1);
	}
	return 0;
}

size_t
draw_sample_serial_size(const draw_sample *s)
{
	size_t		size = SAMPLE_HEADER;

	for (uint32_t i = 0; i < s->heap.n; i++)
		size += SAMPLE_ITEM_FIXED + s->heap.items[i].id_len;
	return size;
}

void
draw_sample_serialise(const draw_sample *s, uint8_t *out)
{
	uint8_t    *p = out;

	memcpy(p, SAMPLE_MAGIC, 4);
	p[4] = SAMPLE_VERSION;
	p[5] = (uint8_t) s->mode;
	be_put(p + 6, (uint32_t) s->k, 4);
	memcpy(p + 10, s->seed, DRAW_SEED_LEN);
	be_put(p + 10 + DRAW_SEED_LEN, s->seen, 8);
	be_put(p + 18 + DRAW_SEED_LEN, s->heap.n, 4);
	p += SAMPLE_HEADER;
	for (uint32_t i = 0; i < s->heap.n; i++)
	{
		const draw_item *it = &s->heap.items[i];

		memcpy(p, it->d, SHA256_DIGEST_LEN);
		be_put_double(p + 32, it->key);
		be_put(p + 40, it->id_len, 4);
		if (it->id_len)
			memcpy(p + 44, it->id, it->id_len);
		p += SAMPLE_ITEM_FIXED + it->id_len;
	}
}

void
draw_sample_release(const draw_env *env, draw_sample *s)
{
	for (uint32_t i = 0; i < s->heap.n; i++)
		env->release(s->heap.items[i].id, env->arg);
	if (s->heap.items)
		env->release(s->heap.items, env->arg);
	s->heap.items = NULL;
	s->heap.n = s->heap.cap = 0;
}

int
draw_sample_deserialise(const draw_env *env, draw_sample *s, const uint8_t *data, size_t len, char *err)
{
	const uint8_t *p = data,
			   *end = data + len;
	int32_t		k;
	uint32_t	n;
	int			mode;

	if (len < SAMPLE_HEADER || memcmp(p, SAMPLE_MAGIC, 4) != 0)
		return draw_fail(err, "not a serialised sample state (bad magic or too short)");
	if (p[4] != SAMPLE_VERSION)
		return draw_fail(err, "unknown sample state version %d", p[4]);
	mode = p[5];
	if (mode > DRAW_MODE_WEIGHTED)
		return draw_fail(err, "unknown sample state mode %d", mode);
	k = (int32_t) be_get(p + 6, 4);
	if (k < 0)
		return draw_fail(err, "sample state has a negative k");
	n = be_get(p + 18 + DRAW_SEED_LEN, 4);
	if (n > (uint32_t) k)
		return draw_fail(err, "sample state holds %u items, more than k = %d", n, k);
	if (n > (len - SAMPLE_HEADER) / SAMPLE_ITEM_FIXED)
		return draw_fail(err, "sample state is truncated");
	draw_sample_init(s, k, p + 10);
	s->mode = mode;
	s->heap.weighted = (mode == DRAW_MODE_WEIGHTED);
	s->seen = be_get(p + 10 + DRAW_SEED_LEN, 8);
	if (n > 0)
	{
		s->heap.items = env->alloc((size_t) n * sizeof(draw_item), env->arg);
		s->heap.cap = n;
	}
	p += SAMPLE_HEADER;
	for (uint32_t i = 0; i < n; i++)
	{
		draw_item	it;

		if ((size_t) (end - p) < SAMPLE_ITEM_FIXED)
		{
			draw_sample_release(env, s);
			return draw_fail(err, "sample state is truncated at item %u", i + 1);
		}
		memcpy(it.d, p, SHA256_DIGEST_LEN);
		it.dhi = be_get(it.d, 8);
		it.key = be_get_double(p + 32);
		it.id_len = be_get(p + 40, 4);
		p += SAMPLE_ITEM_FIXED;
		if ((size_t) (end - p) < it.id_len)
		{
			draw_sample_release(env, s);
			return draw_fail(err, "sample state is truncated in the id of item %u", i + 1);
		}
		if (isnan(it.key) || it.key < 0 || (mode != DRAW_MODE_WEIGHTED && it.key != 0))
		{
			draw_sample_release(env, s);
			return draw_fail(err, "sample state item %u has an impossible key", i + 1);
		}
		it.id = (char *) p;		/* sample_offer copies it */
		p += it.id_len;
		sample_offer(env, s, &it, 1);
	}
	if (p != end)
	{
		draw_sample_release(env, s);
		return draw_fail(err, "sample state has %zu trailing bytes", (size_t) (end - p));
	}
	return 0;
}

void
draw_sample_finish(draw_sample *s)
{
	draw_heap_sort(&s->heap);
}
