/*
 * Unit tests of src/core/draw.c: the row digest against vectors computed with Python's hashlib,
 * code unpacking, the uniform and weighted key, the bounded heap against a full sort, RFC 3797
 * against the RFC's own example and a naive implementation, the compact population (order
 * independence, errors, digest), draw_run against brute force (small strata here, large ones in
 * draw_selection.h), and sample_agg's state (split,
 * serialise, merge = one pass = draw_run; malformed states are refused).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "draw.h"
#include "tap.h"
#include "draw_selection.h"

static void *
t_alloc(size_t size, void *arg)
{
	void	   *p = malloc(size ? size : 1);

	(void) arg;
	if (!p)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static void
t_release(void *p, void *arg)
{
	(void) arg;
	free(p);
}

static int	ticks = 0;
static void
t_tick(void *arg)
{
	(void) arg;
	ticks++;
}

static const draw_env env = {t_alloc, t_release, t_tick, NULL};

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* a random valid market-regulator code 91xxxxxx... */
static void
random_code(char code[USCC_LEN])
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

	for (;;)
	{
		code[0] = '9';
		code[1] = (rng() & 1) ? '1' : '2';
		for (int i = 2; i < 8; i++)
			code[i] = (char) ('0' + rng() % 10);
		for (int i = 8; i < 17; i++)
			code[i] = alpha[rng() % 31];
		code[17] = uscc_check_char(code);
		if (uscc_parse(code, USCC_LEN, code, NULL) == USCC_OK)
			return;
	}
}

static void
test_row_digest(void)
{
	draw_hasher h;
	uint8_t		seed[32], d[32];
	char		got[65];

	draw_seed_from("supervise test seed", 19, seed);
	hex(seed, 32, got);
	is_str(got, "0dacaa97f724f05b85b3addd101f2864e09add2d588d17d4c9b0704c8dabd3a4", "seed_from is SHA-256 of the text");
	draw_hasher_init(&h, seed);
	draw_row_digest(&h, "91350100M000100Y43", 18, d);
	hex(d, 32, got);
	is_str(got, "1cb21fd3eea01a3ae005e609dbb4b227daf432c4cc88ec51364bbd26058e103c", "d for 91350100M000100Y43 (hashlib vector)");
	ok(fabs(draw_uniform(d) - 0.11209296154140741) == 0, "u for 91350100M000100Y43 is exactly the hashlib value");
	ok(draw_weight_key(d, 3.0) == 0.729475579398471, "key for w = 3 is exactly the Python value");
	draw_row_digest(&h, "9144030071526726XG", 18, d);
	hex(d, 32, got);
	is_str(got, "1c38cecb8059f099bc29fca793a5f3cd877b711d58401e9c9b53645f2ffcc3a7", "d for 9144030071526726XG (hashlib vector)");
	draw_row_digest(&h, "", 0, d);
	hex(d, 32, got);
	is_str(got, "26ce8e44c2b508df73556ba3596018411b9bc1689443d6748caf70a373389b66", "d for the empty id (hashlib vector)");

	/* ids longer than one block take the general path; compare with a plain SHA-256 */
	{
		uint8_t		msg[64 + 200], want[32];
		unsigned int n = 32;
		int			same = 1;

		memset(msg, 0, 64);
		memcpy(msg, "supervise/draw/v1", 17);
		memcpy(msg + 18, seed, 32);
		for (size_t len = 0; len <= 200; len++)
		{
			for (size_t i = 0; i < len; i++)
				msg[64 + i] = (uint8_t) ('A' + (i * 7 + len) % 26);
			draw_row_digest(&h, (const char *) msg + 64, len, d);
			EVP_Digest(msg, 64 + len, want, &n, EVP_sha256(), NULL);
			same &= memcmp(d, want, 32) == 0;
		}
		ok(same, "d = SHA-256(B || id) for ids of 0..200 bytes (OpenSSL)");
	}
}

static void
test_uniform(void)
{
	uint8_t		d[32];

	memset(d, 0, 32);
	ok(draw_uniform(d) == 0x1p-54, "h = 0 gives u = 2^-54");
	memset(d, 0xff, 8);
	ok(draw_uniform(d) == 1.0, "h = 2^64-1 gives u = (2^54-1)/2^54, rounded to 1.0 (ties to even)");
	ok(draw_weight_key(d, 2.0) == 0.0, "and key 0");
	d[7] = 0x00;				/* h>>11 = 2^53 - 1 still */
	ok(draw_uniform(d) == 1.0, "low 11 bits of h do not matter");
	memset(d, 0, 8);
	d[0] = 0x80;
	ok(draw_uniform(d) == 0.5 + 0x1p-54, "h = 2^63 gives u = 1/2 + 2^-54");
}

static void
test_code_text(void)
{
	int			same = 1;
	uint8_t		bad[12];
	char		text[USCC_LEN];

	for (int i = 0; i < 20000 && same; i++)
	{
		char		code[USCC_LEN], a[USCC_LEN], b[USCC_LEN];
		uint8_t		packed[12];

		random_code(code);
		uscc_pack(code, packed);
		same = uscc_unpack_text(packed, a) == 0 && uscc_unpack(packed, b) == 0
			&& memcmp(a, b, 18) == 0 && memcmp(a, code, 18) == 0;
	}
	ok(same, "uscc_unpack_text equals uscc_unpack on 20000 random codes");
	memset(bad, 0xff, sizeof(bad));
	ok(uscc_unpack_text(bad, text) == -1, "out-of-range packing is refused");
}

/* ---- heap ---- */

static int	cmp_weighted;
static int
qcmp(const void *a, const void *b)
{
	return draw_item_cmp(a, b, cmp_weighted);
}

static void
test_heap(void)
{
	for (int weighted = 0; weighted <= 1; weighted++)
	{
		int			good = 1;

		for (int round = 0; round < 200; round++)
		{
			uint32_t	n = 1 + rng() % 300,
						k = rng() % (n + 5);
			draw_item  *all = t_alloc(n * sizeof(draw_item), NULL);
			draw_item  *hv = t_alloc((k ? k : 1) * sizeof(draw_item), NULL);
			char	   *ids = t_alloc(n * 4, NULL);
			draw_heap	hp;

			for (uint32_t i = 0; i < n; i++)
			{
				memset(all[i].d, 0, 32);
				/* few distinct digests and keys, so ties happen and ids must break them */
				all[i].d[0] = (uint8_t) (rng() % 4);
				all[i].d[31] = (uint8_t) (rng() % 3);
				sprintf(ids + 4 * i, "%03u", i);
				all[i].id = ids + 4 * i;
				all[i].id_len = 3;
				draw_item_finish(&all[i], weighted, 1.0 + (double) (rng() % 2));
				if (weighted)
					all[i].key = (double) (rng() % 3);
			}
			draw_heap_init(&hp, hv, k, k, weighted);
			for (uint32_t i = 0; i < n; i++)
				if (draw_heap_wants(&hp, &all[i]))
					draw_heap_push(&hp, &all[i], NULL);
			draw_heap_sort(&hp);
			cmp_weighted = weighted;
			qsort(all, n, sizeof(draw_item), qcmp);
			good &= hp.n == (k < n ? k : n);
			for (uint32_t i = 0; i < hp.n && good; i++)
				good &= hp.items[i].id == all[i].id;
			free(all);
			free(hv);
			free(ids);
		}
		ok(good, "%s heap keeps exactly the first k of a full sort, ties broken by id", weighted ? "weighted" : "unweighted");
	}
}

/* ---- RFC 3797 ---- */

static void
naive_rfc3797(uint32_t pool, uint32_t k, const char *key, uint32_t *out)
{
	char	   *taken = calloc(pool, 1);
	size_t		kl = strlen(key);
	uint8_t    *msg = malloc(kl + 4);

	memcpy(msg + 2, key, kl);
	for (uint32_t i = 0; i < k; i++)
	{
		uint8_t		h[16];
		unsigned int hl;
		uint64_t	r = 0;

		msg[0] = msg[kl + 2] = (uint8_t) (i >> 8);
		msg[1] = msg[kl + 3] = (uint8_t) i;
		EVP_Digest(msg, kl + 4, h, &hl, EVP_md5(), NULL);
		for (int j = 0; j < 16; j++)
			r = ((r << 8) | h[j]) % (pool - i);
		for (uint32_t p = 0; p < pool; p++)
			if (!taken[p] && r-- == 0)
			{
				taken[p] = 1;
				out[i] = p + 1;
				break;
			}
	}
	free(taken);
	free(msg);
}

static void
test_rfc3797(void)
{
	/* RFC 3797 section 6: pool 25, key from the 2004 example */
	static const uint32_t want[16] = {17, 7, 2, 16, 25, 23, 8, 24, 19, 13, 22, 5, 18, 9, 1, 4};
	const char *key = "9319./2.5.8.10.12./9.18.26.34.41.45./";
	uint32_t	got[16];
	char		err[DRAW_ERRLEN];
	int			same = 1;

	is_int(rfc3797_select(&env, 25, 16, key, strlen(key), got, err), 0, "RFC 3797 example runs");
	for (int i = 0; i < 16; i++)
		same &= got[i] == want[i];
	ok(same, "RFC 3797 example: 17 7 2 16 25 23 8 24 19 13 22 5 18 9 1 4");

	/* both internal methods against the naive reference method */
	{
		static const uint32_t cases[][2] = {{1, 1}, {10, 10}, {1000, 37}, {20000, 5000}, {70000, 65536}};

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		{
			uint32_t	pool = cases[c][0],
						k = cases[c][1];
			uint32_t   *a = malloc(k * 4),
					   *b = malloc(k * 4);

			same = rfc3797_select(&env, pool, k, "abc/", 4, a, err) == 0;
			naive_rfc3797(pool, k, "abc/", b);
			same &= memcmp(a, b, k * 4) == 0;
			ok(same, "pool %u, k %u equals the naive method", pool, k);
			free(a);
			free(b);
		}
	}
	is_int(rfc3797_select(&env, 5, 6, "x", 1, got, err), -1, "k > pool is refused");
	is_str(err, "cannot select 6 of a pool of 5", "with a message");
	is_int(rfc3797_select(&env, 100000, 65537, "x", 1, NULL, err), -1, "k > 65536 is refused");
	is_int(rfc3797_select(&env, 0, 0, "x", 1, NULL, err), 0, "k = 0 of an empty pool is fine");
}

/* ---- populations ---- */

typedef struct tpop
{
	uint64_t	n;
	char		(*codes)[USCC_LEN];
	int		   *stratum;
	double	   *w;
} tpop;

static void
make_tpop(tpop *t, uint64_t n, int nstrata)
{
	t->n = n;
	t->codes = malloc(n * USCC_LEN + 1);
	t->stratum = malloc(n * sizeof(int) + 1);
	t->w = malloc(n * sizeof(double) + 1);
	for (uint64_t i = 0; i < n; i++)
	{
		random_code(t->codes[i]);
		t->stratum[i] = (int) (rng() % nstrata);
		t->w[i] = (double) (1 + rng() % 4) / (rng() % 2 ? 1.0 : 3.0);
	}
}

static void
free_tpop(tpop *t)
{
	free(t->codes);
	free(t->stratum);
	free(t->w);
}

/* serialise t with the given names, rows in the order perm (or as is), less the excluded codes */
static uint8_t *
build_ex(const tpop *t, const char *const names[], int nstrata, int weighted, const uint64_t *perm,
		 const uint8_t *exclude, uint64_t nexclude, size_t *len, char *err)
{
	void	   *rows = malloc(t->n * sizeof(draw_wrec) + 1);
	uint8_t    *out;

	for (uint64_t j = 0; j < t->n; j++)
	{
		uint64_t	i = perm ? perm[j] : j;
		uint8_t		packed[12];

		uscc_pack(t->codes[i], packed);
		if (weighted)
		{
			draw_rec_set(((draw_wrec *) rows)[j].key, (unsigned) t->stratum[i], packed);
			((draw_wrec *) rows)[j].w = t->w[i];
		}
		else
			draw_rec_set(((draw_rec *) rows)[j].key, (unsigned) t->stratum[i], packed);
	}
	out = malloc(draw_pop_max_size(nstrata, names, weighted, t->n));
	if (draw_pop_write(&env, rows, t->n, weighted, nstrata, names, exclude, nexclude, out, len, err) != 0)
	{
		free(out);
		out = NULL;
	}
	free(rows);
	return out;
}

static uint8_t *
build(const tpop *t, const char *const names[], int nstrata, int weighted, const uint64_t *perm, size_t *len, char *err)
{
	return build_ex(t, names, nstrata, weighted, perm, NULL, 0, len, err);
}

static int
packed_cmp(const void *a, const void *b)
{
	return memcmp(a, b, USCC_PACKED_LEN);
}

/* excluded codes: the same population as without those rows */
static void
test_population_exclusion(void)
{
	const char *names[] = {"B", "A", "C"};
	tpop		t,
				rest;
	uint8_t    *ex = malloc((2 * 3000 + 1) * USCC_PACKED_LEN);
	uint64_t	nex = 0;
	char		err[DRAW_ERRLEN];
	size_t		alen,
				blen;
	uint8_t    *a,
			   *b;
	draw_pop	pop;

	make_tpop(&t, 3000, 3);
	rest.n = 0;
	rest.codes = malloc(t.n * sizeof(*t.codes));
	rest.stratum = malloc(t.n * sizeof(int));
	rest.w = malloc(t.n * sizeof(double));
	/* every 7th row excluded, and every row of stratum "C" (names[2]); some codes not in it at all */
	for (uint64_t i = 0; i < t.n; i++)
	{
		if (i % 7 == 0 || t.stratum[i] == 2)
		{
			uscc_pack(t.codes[i], ex + nex++ * USCC_PACKED_LEN);
			if (i % 14 == 0)	/* twice */
				uscc_pack(t.codes[i], ex + nex++ * USCC_PACKED_LEN);
			continue;
		}
		memcpy(rest.codes[rest.n], t.codes[i], sizeof(*t.codes));
		rest.stratum[rest.n] = t.stratum[i];
		rest.w[rest.n++] = t.w[i];
	}
	{
		char		other[USCC_LEN];

		memcpy(other, "91110000000000001", 17);
		other[17] = uscc_check_char(other);
		uscc_pack(other, ex + nex++ * USCC_PACKED_LEN);
	}
	qsort(ex, nex, USCC_PACKED_LEN, packed_cmp);
	for (int weighted = 0; weighted <= 1; weighted++)
	{
		a = build_ex(&t, names, 3, weighted, NULL, ex, nex, &alen, err);
		b = build(&rest, names, 2, weighted, NULL, &blen, err);
		ok(a && b && alen == blen && memcmp(a, b, alen) == 0,
		   "%s: writing with excluded codes = writing the rows left (%s)", weighted ? "weighted" : "unweighted", a ? "" : err);
		ok(a && draw_pop_parse(&env, &pop, a, alen, err) == 0 && pop.nstrata == 2
		   && strcmp(pop.strata[1].name, "B") == 0 && pop.nrows == rest.n,
		   "a stratum all of whose rows are excluded is left out");
		if (a)
			draw_pop_release(&env, &pop);
		free(a);
		free(b);
	}
	memcpy(ex, ex + USCC_PACKED_LEN * (nex - 1), USCC_PACKED_LEN);	/* the largest first: out of order */
	ok(build_ex(&t, names, 3, 0, NULL, ex, nex, &alen, err) == NULL && strstr(err, "not in order") != NULL,
	   "excluded codes out of order are refused: %s", err);
	{
		static const uint8_t empty_stratum[] = {'S', 'P', 'O', 'P', 2, 0, 0, 1, 1, 'A', 0, 0, 0, 0, 0, 0, 0, 0};

		ok(draw_pop_parse_header(&pop, empty_stratum, sizeof(empty_stratum), err) == -1 && strstr(err, "no rows") != NULL,
		   "a version 2 stratum without rows is refused (the writer leaves it out): %s", err);
	}
	free(ex);
	free_tpop(&t);
	free_tpop(&rest);
}

typedef struct bf_row
{
	draw_item	it;
	int			stratum;
} bf_row;

static int
bf_cmp(const void *a, const void *b)
{
	const bf_row *x = a, *y = b;

	if (x->stratum != y->stratum)
		return x->stratum - y->stratum;
	return draw_item_cmp(&x->it, &y->it, cmp_weighted);
}

/* ---- the documented population format, computed here from doc/draw-algorithm.md section 9 ---- */

static uint64_t
doc_base31(const char *s, int n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = v * 31 + (uint64_t) (strchr(alphabet, s[i]) - alphabet);
	return v;
}

static size_t
doc_varint_len(uint64_t v)
{
	size_t		n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static int
doc_code_cmp(const void *a, const void *b)
{
	return memcmp(*(const char *const *) a, *(const char *const *) b, 18);
}

/* the size of t as the document says version 2 writes it (names in name order) */
static size_t
doc_size(const tpop *t, const char *const names[], int nstrata, int weighted)
{
	size_t		size = 8;
	const char **codes = malloc(t->n * sizeof(char *) + 1);

	for (int s = 0; s < nstrata; s++)
	{
		uint64_t	n = 0,
					ph = 0;
		int64_t		pl = -1;

		size += 1 + strlen(names[s]) + 4 + 4;
		for (uint64_t i = 0; i < t->n; i++)
			if (t->stratum[i] == s)
				codes[n++] = t->codes[i];
		qsort(codes, n, sizeof(char *), doc_code_cmp);
		for (uint64_t i = 0; i < n; i++)
		{
			uint64_t	h = doc_base31(codes[i], 8),
						l = doc_base31(codes[i] + 8, 9);

			if (h == ph)
				size += doc_varint_len(2 * (uint64_t) ((int64_t) l - pl - 1));
			else
				size += doc_varint_len(2 * (h - ph - 1) + 1) + doc_varint_len(l);
			size += weighted ? 8 : 0;
			ph = h;
			pl = (int64_t) l;
		}
	}
	free(codes);
	return size;
}

/* the same rows in version 1: the header without byte lengths, then each row's 12-byte packing [| weight] */
static uint8_t *
to_version1(const draw_pop *pop, size_t *len)
{
	size_t		size = 8;
	uint8_t    *out,
			   *p;

	for (int s = 0; s < pop->nstrata; s++)
		size += 1 + pop->strata[s].name_len + 4;
	size += pop->nrows * pop->row_size;
	p = out = malloc(size);
	memcpy(p, "SPOP\x01", 5);
	p[5] = (uint8_t) pop->weighted;
	p[6] = 0;
	p[7] = (uint8_t) pop->nstrata;
	p += 8;
	for (int s = 0; s < pop->nstrata; s++)
	{
		*p++ = (uint8_t) pop->strata[s].name_len;
		memcpy(p, pop->strata[s].name, pop->strata[s].name_len);
		p += pop->strata[s].name_len;
		for (int i = 0; i < 4; i++)
			*p++ = (uint8_t) (pop->strata[s].count >> (24 - 8 * i));
	}
	memcpy(p, pop->rows, pop->nrows * pop->row_size);
	*len = size;
	return out;
}

/* a version 2 population of one unweighted stratum "A" of count rows, whose row bytes are given */
static size_t
one_stratum(uint8_t *out, uint32_t count, const uint8_t *rows, size_t rows_len)
{
	uint8_t		head[18] = {'S', 'P', 'O', 'P', 2, 0, 0, 1, 1, 'A'};

	for (int i = 0; i < 4; i++)
	{
		head[10 + i] = (uint8_t) (count >> (24 - 8 * i));
		head[14 + i] = (uint8_t) (rows_len >> (24 - 8 * i));
	}
	memcpy(out, head, 18);
	memcpy(out + 18, rows, rows_len);
	return 18 + rows_len;
}

static void
test_population_format(void)
{
	/* the worked example of doc/draw-algorithm.md section 9 */
	static const uint8_t example[] = {
		'S', 'P', 'O', 'P', 2, 0, 0, 1, 1, 'A', 0, 0, 0, 3, 0, 0, 0, 11,
		0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x01, 0x06, 0x81, 0x0f, 0x03
	};
	const char *codes[] = {"91350100000000001", "91350100000000005", "91350200000000003"};
	draw_pop	pop;
	char		err[DRAW_ERRLEN];
	uint8_t		buf[64];
	size_t		len;

	is_int(draw_pop_parse(&env, &pop, example, sizeof(example), err), 0, "the documented example parses");
	ok(pop.version == 2 && pop.nrows == 3 && pop.strata[0].enc_len == 11, "as version 2, 3 rows in 11 bytes");
	{
		int			good = 1;

		for (int i = 0; i < 3; i++)
		{
			uint8_t		want[12];
			char		text[18];

			/* the first 17 characters decide the packing; the check character is recomputed */
			memcpy(text, codes[i], 17);
			text[17] = uscc_check_char(text);
			uscc_pack(text, want);
			good &= memcmp(pop.rows + 12 * i, want, 12) == 0;
		}
		ok(good, "into the documented codes 91350100000000001, ...005, 91350200000000003");
	}
	{
		void	   *rows = malloc(3 * sizeof(draw_rec));
		const char *names[] = {"A"};

		for (int i = 0; i < 3; i++)
			draw_rec_set(((draw_rec *) rows)[2 - i].key, 0, pop.rows + 12 * i);
		draw_pop_release(&env, &pop);
		ok(draw_pop_write(&env, rows, 3, 0, 1, names, NULL, 0, buf, &len, err) == 0
		   && len == sizeof(example) && memcmp(buf, example, len) == 0,
		   "and draw_pop_write writes exactly those bytes");
		free(rows);
	}

	/* bad row bytes are refused, each with its reason */
	{
		static const struct
		{
			uint32_t	count;
			uint8_t		rows[16];
			size_t		len;
			const char *why;
			const char *msg;
		}			bad[] = {
			{1, {0x80}, 1, "a varint cut off", "cut off"},
			{1, {0x80, 0x00}, 2, "a varint longer than it needs", "minimal"},
			{1, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 8, "a varint of 8 bytes", "minimal"},
			{1, {0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x00, 0x00}, 8, "bytes after the rows", "after its"},
			/* h = 31^8: 2 * (31^8 - 1) + 1 = 1705782074881, as a varint */
			{1, {0x81, 0xbc, 0xa3, 0xc4, 0xd2, 0x31, 0x01}, 7, "a first part of 31^8", "not a packed code"},
			/* l = 31^9 after h = 1: 26439622160671 */
			{1, {0x01, 0x9f, 0xe2, 0xa5, 0xa2, 0xbf, 0x81, 0x06}, 8, "a second part of 31^9", "not a packed code"},
			/* h of 91350100, l = 31^9 - 1 (the last), then one more step of 0 */
			{2, {0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x9e, 0xe2, 0xa5, 0xa2, 0xbf, 0x81, 0x06, 0x00}, 14,
			"a step past the last second part", "not a packed code"},
			/* h = 1, l = 0: in the packing range, but "00000001..." has no authority 0 nor region 000001 */
			{1, {0x01, 0x00}, 2, "the packing of an invalid code", "row 1 is \"00000001000000000"},
			/* a valid code, then a step to h + 10, the first part 9135010A (a region not all digits) */
			{2, {0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x00, 0x13, 0x00}, 9, "a valid code followed by an invalid one", "row 2 is \"9135010A"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			len = one_stratum(buf, bad[i].count, bad[i].rows, bad[i].len);
			ok(draw_pop_parse(&env, &pop, buf, len, err) == -1 && strstr(err, bad[i].msg) != NULL,
			   "%s is refused: %s", bad[i].why, err);
		}
		/* the same bytes with a good last step are accepted: the cases above fail for their reason */
		{
			static const uint8_t good[] = {0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x9e, 0xe2, 0xa5, 0xa2, 0xbf, 0x81, 0x06};

			len = one_stratum(buf, 1, good, sizeof(good));
			ok(draw_pop_parse(&env, &pop, buf, len, err) == 0, "the last second part, 31^9 - 1, is accepted (%s)", err);
			draw_pop_release(&env, &pop);
		}
		len = one_stratum(buf, 2, (const uint8_t *) "\x00", 1);
		ok(draw_pop_parse_header(&pop, buf, len, err) == -1 && strstr(err, "2 rows in 1 bytes") != NULL,
		   "fewer bytes than rows is refused by the header check: %s", err);
		len = one_stratum(buf, 1, (const uint8_t *) "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14);
		ok(draw_pop_parse_header(&pop, buf, len, err) == -1, "more than 13 bytes a row is refused by the header check");
		buf[4] = 3;
		ok(draw_pop_parse_header(&pop, buf, len, err) == -1 && strstr(err, "version 3") != NULL, "version 3 is refused: %s", err);
	}
	/* a zero weight in a weighted version 2 population */
	{
		static const uint8_t w0[] = {'S', 'P', 'O', 'P', 2, 1, 0, 1, 1, 'A', 0, 0, 0, 1, 0, 0, 0, 15,
		0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};

		ok(draw_pop_parse(&env, &pop, w0, sizeof(w0), err) == -1 && strstr(err, "weight") != NULL,
		   "a zero weight is refused: %s", err);
	}
}

/* a version 1 population of one stratum "A" of one unweighted row, the packing (h, l) */
static size_t
v1_one_row(uint8_t *out, uint64_t h, uint64_t l)
{
	static const uint8_t head[] = {'S', 'P', 'O', 'P', 1, 0, 0, 1, 1, 'A', 0, 0, 0, 1};

	memcpy(out, head, sizeof(head));
	uscc_put48(out + sizeof(head), h);
	uscc_put48(out + sizeof(head) + 6, l);
	return sizeof(head) + 12;
}

/* a version 2 population of one stratum named name[0..nl) with the one row 913501000000000000 */
static size_t
v2_named(uint8_t *out, const char *name, uint8_t nl)
{
	static const uint8_t row[] = {0xf5, 0xc8, 0xae, 0x93, 0xbc, 0x0e, 0x00};
	uint8_t    *p = out;

	memcpy(p, "SPOP\x02\x00\x00\x01", 8);
	p += 8;
	*p++ = nl;
	memcpy(p, name, nl);
	p += nl;
	memcpy(p, "\x00\x00\x00\x01\x00\x00\x00\x07", 8);
	p += 8;
	memcpy(p, row, sizeof(row));
	return (size_t) (p - out) + sizeof(row);
}

/* what the bytes of a population claim is checked: every code valid, every name UTF-8 */
static void
test_population_corrupt(void)
{
	uint8_t		buf[128];
	size_t		len;
	draw_pop	pop;
	char		err[DRAW_ERRLEN];
	uint8_t		packed[12];
	char		text[18];
	static const struct
	{
		const char *name;
		const char *why;
	}			bad_names[] = {
		{"\xff", "a byte 0xff"},
		{"A\x80", "a continuation byte alone"},
		{"\xc0\x80", "an overlong zero"},
		{"\xe0\x80\xbf", "an overlong three-byte form"},
		{"\xed\xa0\x80", "a surrogate"},
		{"\xf4\x90\x80\x80", "a code point above U+10FFFF"},
		{"\xe4\xbf", "a sequence cut off"},
		{"\xe4\xbf" "A", "a sequence broken by an ASCII byte"},
	};

	/* version 1: rows are packings read where they are; the packing range alone let these through */
	len = v1_one_row(buf, 1, 0);
	ok(draw_pop_parse(&env, &pop, buf, len, err) == -1 && strstr(err, "not a valid unified social credit code") != NULL,
	   "version 1: the in-range packing of 000000010000000000 is refused: %s", err);
	memcpy(text, "91350100M000100Y4", 17);
	text[17] = uscc_check_char(text);
	uscc_pack(text, packed);
	len = v1_one_row(buf, uscc_get48(packed), uscc_get48(packed + 6));
	ok(draw_pop_parse(&env, &pop, buf, len, err) == 0 && pop.nrows == 1, "version 1: a valid code is accepted (%s)", err);
	draw_pop_release(&env, &pop);
	/* the authority and category pair: 9 1 is valid, 9 4 is not */
	memcpy(text, "94350100M000100Y4", 17);
	text[17] = uscc_check_char(text);
	uscc_pack(text, packed);
	len = v1_one_row(buf, uscc_get48(packed), uscc_get48(packed + 6));
	ok(draw_pop_parse(&env, &pop, buf, len, err) == -1 && strstr(err, "\"94350100M000100Y4") != NULL,
	   "version 1: a code of an unknown authority and category pair is refused: %s", err);
	ok(uscc_packed_is_valid(packed) == 0 && uscc_packed_in_range(packed) == 1,
	   "uscc_packed_is_valid tells it from a packing out of range");

	/* stratum names */
	len = v2_named(buf, "\xe4\xbf\xa1\xe7\x94\xa8" "A", 7);
	ok(draw_pop_parse(&env, &pop, buf, len, err) == 0 && strcmp(pop.strata[0].name, "\xe4\xbf\xa1\xe7\x94\xa8" "A") == 0,
	   "a stratum named in UTF-8 (信用A) is accepted (%s)", err);
	draw_pop_release(&env, &pop);
	len = v2_named(buf, "\xf0\x9f\x98\x80\xef\xbf\xbf", 7);
	ok(draw_pop_parse(&env, &pop, buf, len, err) == 0, "four-byte and U+FFFF characters are accepted (%s)", err);
	draw_pop_release(&env, &pop);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
	{
		int			rc;

		len = v2_named(buf, bad_names[i].name, (uint8_t) strlen(bad_names[i].name));
		rc = draw_pop_parse_header(&pop, buf, len, err);
		ok(rc == DRAW_POP_BAD_NAME && strstr(err, "not valid UTF-8") != NULL,
		   "a stratum name with %s is refused by the header check: %s", bad_names[i].why, err);
		rc = draw_pop_parse(&env, &pop, buf, len, err);
		ok(rc == DRAW_POP_BAD_NAME, "and by the full parse");
	}
}

static void
test_population(void)
{
	const char *names[] = {"D", "B", "A", "C"};	/* not in name order on purpose */
	tpop		t;
	uint64_t   *perm;
	uint8_t    *a,
			   *b;
	size_t		alen,
				blen;
	char		err[DRAW_ERRLEN];
	draw_pop	pop;
	uint8_t		seed[32];

	make_tpop(&t, 5000, 4);
	perm = malloc(t.n * sizeof(uint64_t));
	for (uint64_t i = 0; i < t.n; i++)
		perm[i] = i;
	for (uint64_t i = t.n - 1; i > 0; i--)
	{
		uint64_t	j = rng() % (i + 1),
					x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}

	for (int weighted = 0; weighted <= 1; weighted++)
	{
		a = build(&t, names, 4, weighted, NULL, &alen, err);
		b = build(&t, names, 4, weighted, perm, &blen, err);
		ok(a && b && alen == blen && memcmp(a, b, alen) == 0,
		   "%s population bytes do not depend on row order", weighted ? "weighted" : "unweighted");
		{
			const char *sorted[] = {"A", "B", "C", "D"};
			tpop		renamed = t;
			int		   *st = malloc(t.n * sizeof(int));

			/* the rows' stratum i is names[i] = D, B, A, C: its index among A, B, C, D */
			for (uint64_t i = 0; i < t.n; i++)
				st[i] = t.stratum[i] == 0 ? 3 : t.stratum[i] == 1 ? 1 : t.stratum[i] == 2 ? 0 : 2;
			renamed.stratum = st;
			is_int(alen, doc_size(&renamed, sorted, 4, weighted), "and have the documented size (%zu bytes)", alen);
			free(st);
		}
		ok(alen < 8 + 4 * (1 + 1 + 4) + 5000 * (weighted ? 20 : 12), "smaller than version 1 would be");
		is_int(draw_pop_parse(&env, &pop, a, alen, err), 0, "it parses");
		ok(pop.nstrata == 4 && strcmp(pop.strata[0].name, "A") == 0 && strcmp(pop.strata[3].name, "D") == 0,
		   "strata are in name order");

		/* the digest is SHA-256 of the documented lines */
		{
			uint8_t		want[32], got[32];
			sha256_ctx	ctx;

			sha256_init(&ctx);
			for (int s = 0; s < 4; s++)
			{
				const uint8_t *r = pop.rows + pop.strata[s].first * pop.row_size;

				for (uint32_t i = 0; i < pop.strata[s].count; i++, r += pop.row_size)
				{
					char		code[18], line[100];
					int			l;

					uscc_unpack_text(r, code);
					if (weighted)
					{
						uint64_t	bits = 0;
						double		w;

						for (int j = 0; j < 8; j++)
							bits = (bits << 8) | r[12 + j];
						memcpy(&w, &bits, 8);
						l = snprintf(line, sizeof(line), "%.18s,%s,%.17g\n", code, pop.strata[s].name, w);
					}
					else
						l = snprintf(line, sizeof(line), "%.18s,%s\n", code, pop.strata[s].name);
					sha256_update(&ctx, line, (size_t) l);
				}
			}
			sha256_final(&ctx, want);
			draw_pop_digest(&env, &pop, got, err);
			ok(memcmp(want, got, 32) == 0, "population digest = SHA-256 of the lines code,stratum%s", weighted ? ",weight" : "");
		}

		/* draw_run against brute force, each algorithm that applies */
		draw_seed_from("population test", 15, seed);
		for (int alg = DRAW_SHA256_V1; alg <= DRAW_SHA256_V1_WEIGHTED; alg++)
		{
			uint32_t	k[4] = {0, 1, 50, pop.strata[3].count};
			uint32_t	total = 0;
			draw_target *out;
			bf_row	   *bf = malloc(t.n * sizeof(bf_row));
			draw_hasher h;
			int			good = 1;
			uint32_t	o = 0;

			if (alg == DRAW_SHA256_V1_WEIGHTED && !weighted)
			{
				uint32_t	kk[4] = {1, 1, 1, 1};

				is_int(draw_run(&env, &pop, seed, alg, kk, NULL, NULL, err), -1, "a weighted draw needs weights");
				free(bf);
				continue;
			}
			for (int s = 0; s < 4; s++)
				total += k[s];
			out = malloc(total * sizeof(draw_target) + 1);
			is_int(draw_run(&env, &pop, seed, (draw_algorithm) alg, k, out, NULL, err), 0, "draw_run %s", draw_algorithm_name(alg));

			draw_hasher_init(&h, seed);
			for (int s = 0, row = 0; s < 4; s++)
			{
				const uint8_t *r = pop.rows + pop.strata[s].first * pop.row_size;

				for (uint32_t i = 0; i < pop.strata[s].count; i++, r += pop.row_size, row++)
				{
					double		w = 1.0;
					char	   *code = malloc(18);

					uscc_unpack_text(r, code);
					if (weighted)
					{
						uint64_t	bits = 0;

						for (int j = 0; j < 8; j++)
							bits = (bits << 8) | r[12 + j];
						memcpy(&w, &bits, 8);
					}
					draw_row_digest(&h, code, 18, bf[row].it.d);
					draw_item_finish(&bf[row].it, alg == DRAW_SHA256_V1_WEIGHTED, w);
					bf[row].it.id = code;
					bf[row].it.id_len = 18;
					bf[row].stratum = s;
				}
			}
			cmp_weighted = alg == DRAW_SHA256_V1_WEIGHTED;
			qsort(bf, t.n, sizeof(bf_row), bf_cmp);
			for (int s = 0, row = 0; s < 4; s++)
			{
				for (uint32_t i = 0; i < pop.strata[s].count; i++, row++)
					if (i < k[s])
					{
						char		code[18];

						uscc_unpack_text(out[o].code, code);
						good &= out[o].stratum == (uint32_t) s && out[o].rank == i + 1
							&& memcmp(code, bf[row].it.id, 18) == 0;
						o++;
					}
			}
			ok(good && o == total, "%s over a %s population equals a full sort per stratum (k = 0, 1, 50, all)",
			   draw_algorithm_name(alg), weighted ? "weighted" : "unweighted");
			for (uint64_t i = 0; i < t.n; i++)
				free(bf[i].it.id);
			free(bf);
			free(out);
		}

		/* rfc3797 over the population: positions in code order within each stratum */
		{
			uint32_t	k[4] = {3, 0, 2, 1};
			draw_target out[6];
			uint32_t	pos[3];
			char		key[200];
			int			l = 0;

			for (int i = 0; i < 32; i++)
				l += sprintf(key + l, "%02x", seed[i]);
			l += sprintf(key + l, "/A/");
			is_int(draw_run(&env, &pop, seed, DRAW_RFC3797, k, out, NULL, err), 0, "rfc3797 draw runs");
			rfc3797_select(&env, pop.strata[0].count, 3, key, (size_t) l, pos, err);
			ok(memcmp(out[0].code, pop.rows + (pos[0] - 1) * pop.row_size, 12) == 0
			   && memcmp(out[2].code, pop.rows + (pos[2] - 1) * pop.row_size, 12) == 0
			   && out[3].stratum == 2 && out[5].stratum == 3 && out[5].rank == 1,
			   "rfc3797 draw takes positions from rfc3797_select with key hex(seed)/stratum/");
		}

		/* too many */
		{
			uint32_t	k[4] = {pop.strata[0].count + 1, 0, 0, 0};

			is_int(draw_run(&env, &pop, seed, DRAW_SHA256_V1, k, NULL, NULL, err), -1, "k above the stratum size is refused");
		}

		/* version 1 (0.1.0's) of the same rows reads the same and draws the same */
		{
			size_t		v1len;
			uint8_t    *v1 = to_version1(&pop, &v1len);
			draw_pop	old;
			uint8_t		d1[32], d2[32];
			uint32_t	k[4] = {5, 0, 7, 1};
			draw_target o1[13], o2[13];

			is_int(draw_pop_parse(&env, &old, v1, v1len, err), 0, "its version 1 form parses (%s)", err);
			ok(old.version == 1 && old.nrows == pop.nrows && old.owned == NULL
			   && memcmp(old.rows, pop.rows, pop.nrows * pop.row_size) == 0,
			   "into the same rows, read in place");
			draw_run(&env, &old, seed, weighted ? DRAW_SHA256_V1_WEIGHTED : DRAW_SHA256_V1, k, o1, d1, err);
			draw_run(&env, &pop, seed, weighted ? DRAW_SHA256_V1_WEIGHTED : DRAW_SHA256_V1, k, o2, d2, err);
			ok(memcmp(d1, d2, 32) == 0 && memcmp(o1, o2, sizeof(o1)) == 0, "with the same digest and targets");
			v1[8 + 4 * (1 + 1 + 4)] = 0xff;	/* the first row's first byte: out of packing range */
			ok(draw_pop_parse(&env, &old, v1, v1len, err) == -1 && strstr(err, "not a packed code") != NULL,
			   "a version 1 row that is not a packed code is refused");
			free(v1);
		}
		draw_pop_release(&env, &pop);
		ok(pop.rows == NULL && pop.owned == NULL, "draw_pop_release frees the decoded rows");

		/* every truncation is refused; flipped bytes are refused or give rows in order, never crash */
		{
			int			refused = 1,
						sound = 1;
			size_t		rows_at = alen - (size_t) (pop.strata[3].enc_off + pop.strata[3].enc_len);

			for (size_t cut = 0; cut < alen; cut += (cut < 64 ? 1 : 997))
				refused &= draw_pop_parse(&env, &pop, a, cut, err) == -1;
			ok(refused, "every truncated population is refused");
			refused = 1;
			for (size_t cut = 0; cut < alen; cut += (cut < 64 ? 1 : 997))
				refused &= draw_pop_parse_header(&pop, a, cut, err) == -1;
			ok(refused, "every truncated population is refused by the header check too (sizes must match)");
			for (size_t at = rows_at; at < rows_at + 300; at++)
				for (int bit = 0; bit < 8; bit++)
				{
					a[at] ^= (uint8_t) (1 << bit);
					if (draw_pop_parse(&env, &pop, a, alen, err) == 0)
					{
						for (int s = 0; s < pop.nstrata; s++)
							for (uint32_t i = 0; i < pop.strata[s].count; i++)
							{
								const uint8_t *r = pop.rows + (pop.strata[s].first + i) * pop.row_size;

								sound &= uscc_packed_in_range(r)
									&& (i == 0 || memcmp(r - pop.row_size, r, 12) < 0);
							}
						draw_pop_release(&env, &pop);
					}
					a[at] ^= (uint8_t) (1 << bit);
				}
			ok(sound, "a flipped bit in the rows is refused or still gives codes in range, increasing");
			if (weighted)
				memset(a + alen - 8, 0, 8);	/* the last weight: 0 */
			else
				a[alen - 1] = 0x80;		/* the last varint: cut off */
			ok(draw_pop_parse(&env, &pop, a, alen, err) == -1, "a bad last row is refused: %s", err);
			is_int(draw_pop_parse_header(&pop, a, alen, err), 0, "the header check does not read the rows");
			ok(pop.nstrata == 4 && pop.nrows == 5000, "and gives the strata and row count");
			a[5] = 7;
			is_int(draw_pop_parse(&env, &pop, a, alen, err), -1, "unknown flags are refused");
			a[0] = 'X';
			is_int(draw_pop_parse(&env, &pop, a, alen, err), -1, "bad magic is refused");
		}
		free(a);
		free(b);
	}

	/* errors while building */
	{
		const char *dup[] = {"A", "A"};
		const char *empty[] = {""};
		tpop		d;

		make_tpop(&d, 10, 1);
		ok(build(&d, dup, 2, 0, NULL, &alen, err) == NULL, "duplicate stratum names are refused");
		ok(build(&d, empty, 1, 0, NULL, &alen, err) == NULL, "an empty stratum name is refused");
		memcpy(d.codes[3], d.codes[7], 18);
		d.stratum[3] = d.stratum[7] = 0;
		ok(build(&d, names, 1, 0, NULL, &alen, err) == NULL, "a duplicate code in a stratum is refused");
		ok(strstr(err, "appears twice") != NULL, "with a message naming it: %s", err);
		d.w[0] = 0;
		ok(build(&d, names, 1, 1, NULL, &alen, err) == NULL && strstr(err, "weight") != NULL, "a zero weight is refused");
		{
			draw_rec	r[1];
			uint8_t		bad[USCC_PACKED_LEN],
						out[64];
			const char *one[] = {"A"};

			memset(bad, 0xff, sizeof(bad));
			draw_rec_set(r[0].key, 0, bad);
			ok(draw_pop_write(&env, r, 1, 0, 1, one, NULL, 0, out, &alen, err) == -1 && strstr(err, "not a packed code") != NULL,
			   "a row that is not a packed code is refused: %s", err);
		}
		free_tpop(&d);
	}

	/* an empty population */
	{
		tpop		e;

		make_tpop(&e, 0, 1);
		a = build(&e, names, 0, 0, NULL, &alen, err);
		ok(a && alen == 8 && draw_pop_parse(&env, &pop, a, alen, err) == 0 && pop.nrows == 0, "an empty population is 8 bytes");
		{
			uint8_t		got[32], want[32];

			draw_pop_digest(&env, &pop, got, err);
			sha256("", 0, want);
			ok(memcmp(got, want, 32) == 0, "its digest is SHA-256 of nothing");
			draw_pop_release(&env, &pop);
		}
		free(a);
		free_tpop(&e);
	}
	free(perm);
	free_tpop(&t);
}

/* ---- sample state ---- */

static void
free_sample(draw_sample *s)
{
	for (uint32_t i = 0; i < s->heap.n; i++)
		free(s->heap.items[i].id);
	free(s->heap.items);
}

static void
test_sample(void)
{
	uint8_t		seed[32];
	char		err[DRAW_ERRLEN];
	tpop		t;

	draw_seed_from("sample", 6, seed);
	make_tpop(&t, 3000, 1);

	for (int weighted = 0; weighted <= 1; weighted++)
	{
		draw_sample one,
					part[3],
					merged;
		int			good = 1;

		draw_sample_init(&one, 40, seed);
		for (int p = 0; p < 3; p++)
			draw_sample_init(&part[p], 40, seed);
		for (uint64_t i = 0; i < t.n; i++)
		{
			good &= draw_sample_add(&env, &one, t.codes[i], 18, weighted, t.w[i], err) == 0;
			good &= draw_sample_add(&env, &part[rng() % 3], t.codes[i], 18, weighted, t.w[i], err) == 0;
		}
		ok(good, "rows are added");

		/* serialise and deserialise each part, then merge */
		draw_sample_init(&merged, 40, seed);
		for (int p = 0; p < 3; p++)
		{
			size_t		len = draw_sample_serial_size(&part[p]);
			uint8_t    *buf = malloc(len);
			draw_sample back;

			draw_sample_serialise(&part[p], buf);
			good &= draw_sample_deserialise(&env, &back, buf, len, err) == 0;
			good &= draw_sample_merge(&env, &merged, &back, err) == 0;
			draw_sample_release(&env, &back);
			free(buf);
			free_sample(&part[p]);
		}
		ok(good, "parts serialise, deserialise and merge");
		draw_sample_finish(&one);
		draw_sample_finish(&merged);
		good = one.heap.n == 40 && merged.heap.n == 40 && merged.seen == 3000;
		for (uint32_t i = 0; i < 40 && good; i++)
			good = memcmp(one.heap.items[i].id, merged.heap.items[i].id, 18) == 0;
		ok(good, "%s: three serialised parts merged = one pass", weighted ? "weighted" : "unweighted");

		/* = draw_run over the same rows as a population of one stratum */
		{
			const char *names[] = {"all"};
			size_t		len;
			uint8_t    *bytes = build(&t, names, 1, weighted, NULL, &len, err);
			draw_pop	pop;
			uint32_t	k[1] = {40};
			draw_target out[40];

			for (uint64_t i = 0; i < t.n; i++)
				t.stratum[i] = 0;
			free(bytes);
			bytes = build(&t, names, 1, weighted, NULL, &len, err);
			draw_pop_parse(&env, &pop, bytes, len, err);
			draw_run(&env, &pop, seed, weighted ? DRAW_SHA256_V1_WEIGHTED : DRAW_SHA256_V1, k, out, NULL, err);
			draw_pop_release(&env, &pop);
			good = 1;
			for (int i = 0; i < 40; i++)
			{
				char		code[18];

				uscc_unpack_text(out[i].code, code);
				good &= memcmp(code, one.heap.items[i].id, 18) == 0;
			}
			ok(good, "%s: the sample equals draw_run over the same population and seed", weighted ? "weighted" : "unweighted");
			free(bytes);
		}
		free_sample(&one);
		free_sample(&merged);
	}

	/* errors */
	{
		draw_sample s,
					u;
		uint8_t		other[32];

		draw_sample_init(&s, 3, seed);
		draw_sample_add(&env, &s, "a", 1, 0, 0, err);
		is_int(draw_sample_add(&env, &s, "b", 1, 1, 2.0, err), -1, "a weight after unweighted rows is refused");
		is_str(err, "some rows have a weight and some have none", "with a message");
		draw_sample_init(&u, 3, seed);
		draw_sample_add(&env, &u, "c", 1, 1, 2.0, err);
		is_int(draw_sample_merge(&env, &s, &u, err), -1, "merging weighted into unweighted is refused");
		free_sample(&u);
		draw_sample_init(&u, 3, seed);
		is_int(draw_sample_add(&env, &u, "c", 1, 1, -1.0, err), -1, "a negative weight is refused");
		is_int(draw_sample_add(&env, &u, "c", 1, 1, NAN, err), -1, "a NaN weight is refused");
		is_int(draw_sample_add(&env, &u, "c", 1, 1, INFINITY, err), -1, "an infinite weight is refused");
		free_sample(&u);
		draw_sample_init(&u, 4, seed);
		is_int(draw_sample_merge(&env, &s, &u, err), -1, "merging states with different k is refused");
		draw_sample_init(&u, 3, seed);
		draw_seed_from("other", 5, other);
		draw_sample_init(&u, 3, other);
		is_int(draw_sample_merge(&env, &s, &u, err), -1, "merging states with different seeds is refused");

		/* malformed serialised states */
		{
			size_t		len = draw_sample_serial_size(&s);
			uint8_t    *buf = malloc(len);
			int			refused = 1;
			draw_sample b;

			draw_sample_serialise(&s, buf);
			for (size_t cut = 0; cut < len; cut++)
				refused &= draw_sample_deserialise(&env, &b, buf, cut, err) == -1;
			ok(refused, "every truncated state is refused");
			buf[len - 1] = 'z';
			is_int(draw_sample_deserialise(&env, &b, buf, len, err), 0, "an id byte changed still parses (ids are data)");
			free_sample(&b);
			buf[6] = 0x80;		/* k negative */
			is_int(draw_sample_deserialise(&env, &b, buf, len, err), -1, "a negative k is refused");
			buf[6] = 0;
			buf[4] = 9;
			is_int(draw_sample_deserialise(&env, &b, buf, len, err), -1, "an unknown version is refused");
			free(buf);
		}
		free_sample(&s);
	}
	free_tpop(&t);
}

int
main(void)
{
	test_row_digest();
	test_uniform();
	test_code_text();
	test_heap();
	test_rfc3797();
	test_population_format();
	test_population_corrupt();
	test_population_exclusion();
	test_population();
	test_selection("64-bit candidate digests");
	test_sample();
	ok(ticks > 0, "long loops call the tick callback");
	return done_testing();
}
