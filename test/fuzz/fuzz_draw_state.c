/*
 * libFuzzer harness of sample_agg's state in src/core/draw.c (what parallel workers send to the
 * leader: draw_sample_serialise / draw_sample_deserialise / draw_sample_merge).
 *
 * 1. Arbitrary bytes (after the first input byte) as a serialised state: deserialisation never
 *    reads out of bounds or leaks; a state it accepts holds at most k items, serialises to
 *    serial_size bytes, and serialise -> deserialise -> serialise is a fixed point; finishing it
 *    sorts its items into rank order.
 * 2. Rows made from the input (ids of 0..80 bytes, all unweighted, all weighted, or mixed), a k,
 *    a seed and a split point: one state over all rows, and two states over the two parts that
 *    go through serialise/deserialise and are merged (as in a parallel aggregate), both give
 *    exactly the k first rows of a brute-force ranking computed here from the published
 *    algorithm with OpenSSL's SHA-256 (d = SHA-256(B || id), key = -ln(u)/w); mixing weighted and
 *    unweighted rows is refused; "seen" counts the rows.
 */
#include <math.h>
#include <openssl/evp.h>
#include "fuzz.h"
#include "draw.h"

#define MAX_ROWS 64

static const draw_env env = {fuzz_alloc, fuzz_release, NULL, NULL};

static void
check_sorted(const draw_sample *s)
{
	for (uint32_t i = 1; i < s->heap.n; i++)
		CHECK(draw_item_cmp(&s->heap.items[i - 1], &s->heap.items[i], s->heap.weighted) <= 0,
			  "finished state not in rank order at %u", i);
}

static void
check_state_bytes(const uint8_t *data, size_t size)
{
	draw_sample s,
				s2;
	char		err[DRAW_ERRLEN];
	uint8_t    *b1,
			   *b2;
	size_t		n1,
				n2;

	if (draw_sample_deserialise(&env, &s, data, size, err) != 0)
	{
		CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0', "no error message");
		return;
	}
	CHECK(s.k >= 0 && s.heap.n <= (uint32_t) s.k, "state holds %u items for k = %d", s.heap.n, s.k);
	n1 = draw_sample_serial_size(&s);
	b1 = malloc(n1 + 1);
	draw_sample_serialise(&s, b1);
	CHECK(draw_sample_deserialise(&env, &s2, b1, n1, err) == 0, "own serialisation refused: %s", err);
	n2 = draw_sample_serial_size(&s2);
	b2 = malloc(n2 + 1);
	draw_sample_serialise(&s2, b2);
	CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0, "serialise/deserialise is not a fixed point (%zu, %zu bytes)", n1, n2);
	CHECK(s2.heap.n == s.heap.n && s2.k == s.k && s2.seen == s.seen && s2.mode == s.mode, "state changed");
	draw_sample_finish(&s);
	check_sorted(&s);
	draw_sample_release(&env, &s);
	draw_sample_release(&env, &s2);
	free(b1);
	free(b2);
}

typedef struct row
{
	const char *id;
	uint32_t	len;
	int			has_w;
	double		w;
	uint8_t		d[32];
	double		key;
} row;

static int	ref_weighted;

/* the published order: weighted by key, then d, then id bytes (shorter first on a tie) */
static int
row_cmp(const void *a, const void *b)
{
	const row  *x = a,
			   *y = b;
	int			c;
	uint32_t	n = x->len < y->len ? x->len : y->len;

	if (ref_weighted && x->key != y->key)
		return x->key < y->key ? -1 : 1;
	c = memcmp(x->d, y->d, 32);
	if (c)
		return c;
	c = n ? memcmp(x->id, y->id, n) : 0;
	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* d and key by the published description, with OpenSSL */
static void
reference_row(row *r, const uint8_t seed[32])
{
	uint8_t		block[64];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int dlen = 0;
	uint64_t	h = 0;
	double		u;

	memset(block, 0, sizeof(block));
	memcpy(block, "supervise/draw/v1", 17);
	memcpy(block + 18, seed, 32);
	CHECK(c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, block, 64) &&
		  EVP_DigestUpdate(c, r->id, r->len) && EVP_DigestFinal_ex(c, r->d, &dlen) && dlen == 32, "OpenSSL SHA-256 failed");
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 8; i++)
		h = (h << 8) | r->d[i];
	u = (double) ((h >> 11) * 2 + 1) / 18014398509481984.0;	/* 2^54 */
	r->key = r->has_w ? -log(u) / r->w : 0.0;
}

static int
add_rows(draw_sample *s, row *rows, int from, int to, char *err)
{
	for (int i = from; i < to; i++)
		if (draw_sample_add(&env, s, rows[i].id, rows[i].len, rows[i].has_w, rows[i].w, err) != 0)
			return -1;
	return 0;
}

/* serialise and deserialise, as a parallel worker's state travels to the leader */
static void
travel(draw_sample *s)
{
	size_t		n = draw_sample_serial_size(s);
	uint8_t    *b = malloc(n);
	char		err[DRAW_ERRLEN];

	draw_sample_serialise(s, b);
	draw_sample_release(&env, s);
	CHECK(draw_sample_deserialise(&env, s, b, n, err) == 0, "a real state was refused: %s", err);
	free(b);
}

static void
check_result(draw_sample *s, row *ref, int nrows, int k, const char *what)
{
	int			want = nrows < k ? nrows : k;

	draw_sample_finish(s);
	CHECK(s->seen == (uint64_t) nrows, "%s: seen %llu of %d rows", what, (unsigned long long) s->seen, nrows);
	CHECK(s->heap.n == (uint32_t) want, "%s: %u items, want %d", what, s->heap.n, want);
	for (int i = 0; i < want; i++)
	{
		const draw_item *it = &s->heap.items[i];

		CHECK(it->id_len == ref[i].len && (ref[i].len == 0 || memcmp(it->id, ref[i].id, ref[i].len) == 0),
			  "%s: rank %d is %.*s, brute force says %.*s", what, i + 1, (int) it->id_len, it->id,
			  (int) ref[i].len, ref[i].id);
		CHECK(memcmp(it->d, ref[i].d, 32) == 0, "%s: rank %d digest differs from OpenSSL's", what, i + 1);
		CHECK(!ref_weighted || it->key == ref[i].key, "%s: rank %d key %.17g, reference %.17g", what, i + 1,
			  it->key, ref[i].key);
	}
}

static void
check_rows(fuzz_in *in)
{
	row			rows[MAX_ROWS],
				ref[MAX_ROWS];
	uint8_t		seed[32];
	int			nrows = 0,
				k,
				split,
				mode,
				mixed = 0;
	char		err[DRAW_ERRLEN];
	draw_sample all,
				a,
				b;
	int			rc_all,
				rc;

	k = (int) (fuzz_u8(in) % 24);
	mode = (int) (fuzz_u8(in) % 3);	/* 0 unweighted, 1 weighted, 2 mixed */
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t) fuzz_u8(in);
	split = (int) fuzz_u8(in);
	while (in->left > 0 && nrows < MAX_ROWS)
	{
		row		   *r = &rows[nrows];
		uint32_t	len = fuzz_u8(in) % 81;

		if (len > in->left)
			len = (uint32_t) in->left;
		r->id = (const char *) in->p;
		r->len = len;
		in->p += len;
		in->left -= len;
		r->has_w = mode == 1 || (mode == 2 && (fuzz_u8(in) & 1));
		r->w = r->has_w ? (fuzz_u16(in) + 1) / 64.0 : 0;
		if (nrows > 0 && r->has_w != rows[0].has_w)
			mixed = 1;
		reference_row(r, seed);
		nrows++;
	}
	split = nrows ? split % (nrows + 1) : 0;

	draw_sample_init(&all, k, seed);
	rc_all = add_rows(&all, rows, 0, nrows, err);
	draw_sample_init(&a, k, seed);
	draw_sample_init(&b, k, seed);
	rc = add_rows(&a, rows, 0, split, err);
	if (rc == 0)
		rc = add_rows(&b, rows, split, nrows, err);
	if (rc == 0)
	{
		travel(&a);
		travel(&b);
		rc = draw_sample_merge(&env, &a, &b, err);
	}
	if (mixed)
		CHECK(rc_all != 0 && rc != 0, "weighted and unweighted rows mixed without an error");
	else
	{
		CHECK(rc_all == 0 && rc == 0, "rows refused: %s", err);
		memcpy(ref, rows, sizeof(row) * (size_t) nrows);
		ref_weighted = nrows > 0 && rows[0].has_w;
		qsort(ref, (size_t) nrows, sizeof(row), row_cmp);
		check_result(&all, ref, nrows, k, "one state");
		check_result(&a, ref, nrows, k, "merged states");
	}
	draw_sample_release(&env, &all);
	draw_sample_release(&env, &a);
	draw_sample_release(&env, &b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in		in = {data, size};

	if (size == 0)
		return 0;
	if (data[0] & 1)
		check_state_bytes(data + 1, size - 1);
	else
	{
		in.p++;
		in.left--;
		check_rows(&in);
	}
	return 0;
}
