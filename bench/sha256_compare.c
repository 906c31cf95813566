/*
 * sha256_compare.c — the draw's hashing with the core's SHA-256 (src/core/sha256.c) against
 * OpenSSL's, outside the server, on this machine's CPU. Built and run by bench/sha256.sh.
 *
 * Per row the draw hashes an 18-character code after a 64-byte block made from the seed: a copy of
 * the midstate finished with one more compression. The core does it with sha256_tail (one row)
 * and sha256_tail2 (two rows interleaved, as draw_run does); OpenSSL with a copied SHA256_CTX
 * (SHA256_Update + SHA256_Final), and through EVP (EVP_MD_CTX_copy_ex + EVP_DigestUpdate +
 * EVP_DigestFinal_ex), the interface OpenSSL 3 recommends. The population digest is one long
 * message: sha256_update against SHA256_Update over 64 MB. Each way runs several times,
 * alternating, and the best time of each is printed with its ratio to the core's.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sha256.h"

#define ROWS 2000000
#define CODE 18
#define BULK (64u << 20)
#define ROUNDS 5

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char codes[ROWS][CODE];
static uint8_t block[64];
static uint64_t sink;

static void
core_tail(void)
{
	sha256_ctx	mid;
	uint8_t		d[32];

	sha256_init(&mid);
	sha256_update(&mid, block, 64);
	for (int i = 0; i < ROWS; i++)
	{
		sha256_tail(&mid, codes[i], CODE, d);
		sink += d[0];
	}
}

static void
core_tail2(void)
{
	sha256_ctx	mid;
	uint8_t		a[32],
				b[32];

	sha256_init(&mid);
	sha256_update(&mid, block, 64);
	for (int i = 0; i + 1 < ROWS; i += 2)
	{
		sha256_tail2(&mid, codes[i], CODE, a, codes[i + 1], CODE, b);
		sink += a[0] + b[0];
	}
}

static void
openssl_ctx(void)
{
	SHA256_CTX	mid,
				c;
	uint8_t		d[32];

	SHA256_Init(&mid);
	SHA256_Update(&mid, block, 64);
	for (int i = 0; i < ROWS; i++)
	{
		c = mid;
		SHA256_Update(&c, codes[i], CODE);
		SHA256_Final(d, &c);
		sink += d[0];
	}
}

static void
openssl_evp(void)
{
	EVP_MD_CTX *mid = EVP_MD_CTX_new(),
			   *c = EVP_MD_CTX_new();
	uint8_t		d[32];
	unsigned int dl;

	EVP_DigestInit_ex(mid, EVP_sha256(), NULL);
	EVP_DigestUpdate(mid, block, 64);
	for (int i = 0; i < ROWS; i++)
	{
		EVP_MD_CTX_copy_ex(c, mid);
		EVP_DigestUpdate(c, codes[i], CODE);
		EVP_DigestFinal_ex(c, d, &dl);
		sink += d[0];
	}
	EVP_MD_CTX_free(mid);
	EVP_MD_CTX_free(c);
}

static uint8_t *bulk;

static void
core_bulk(void)
{
	uint8_t		d[32];

	sha256(bulk, BULK, d);
	sink += d[0];
}

static void
openssl_bulk(void)
{
	uint8_t		d[32];

	SHA256(bulk, BULK, d);
	sink += d[0];
}

typedef struct
{
	const char *name;
	void		(*fn) (void);
	double		best;
} way;

static void
compare(const char *what, way *w, int n)
{
	for (int i = 0; i < n; i++)
		w[i].best = 1e9;
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < n; i++)
		{
			double		t = now();

			w[i].fn();
			t = now() - t;
			if (t < w[i].best)
				w[i].best = t;
		}
	for (int i = 1; i < n; i++)
		printf("sha256: %s, %s vs %s = %.2fx (%.1f ms vs %.1f ms baseline)\n", what, w[i].name, w[0].name,
			   w[i].best / w[0].best, w[i].best * 1e3, w[0].best * 1e3);
}

int
main(void)
{
	uint8_t		a[32],
				b[32];
	SHA256_CTX	c;

	srand(7);
	for (int i = 0; i < ROWS; i++)
		for (int j = 0; j < CODE; j++)
			codes[i][j] = "0123456789ABCDEFGHJKLMNPQRTUWXY"[rand() % 31];
	for (int i = 0; i < 64; i++)
		block[i] = (uint8_t) (i * 7);
	bulk = malloc(BULK);
	for (size_t i = 0; i < BULK; i++)
		bulk[i] = (uint8_t) (i * 131 + (i >> 11));

	/* the same digest both ways before anything is timed */
	{
		sha256_ctx	mid;

		sha256_init(&mid);
		sha256_update(&mid, block, 64);
		sha256_tail(&mid, codes[0], CODE, a);
		SHA256_Init(&c);
		SHA256_Update(&c, block, 64);
		SHA256_Update(&c, codes[0], CODE);
		SHA256_Final(b, &c);
		if (memcmp(a, b, 32) != 0)
		{
			fprintf(stderr, "sha256: the core and OpenSSL disagree\n");
			return 1;
		}
	}
	printf("sha256: the core uses the %s compression function\n",
		   sha256_hw_available() ? "x86 SHA extensions" : "portable");
	{
		way			w[] = {{"core sha256_tail2 (two rows at once, as the draw)", core_tail2, 0},
		{"core sha256_tail (one row)", core_tail, 0},
		{"OpenSSL SHA256_CTX copied", openssl_ctx, 0},
		{"OpenSSL EVP copied", openssl_evp, 0}};

		compare("2000000 codes after the seed's midstate", w, 4);
	}
	{
		way			w[] = {{"core sha256", core_bulk, 0}, {"OpenSSL SHA256", openssl_bulk, 0}};

		compare("one 64 MB message (the population digest)", w, 2);
	}
	return sink == 42;
}
