/*
 * radix_sort (src/core/radix.c) against qsort, on arrays large enough to be split by their most
 * significant varying byte before the parts are sorted in cache, and on small ones sorted by LSD
 * passes alone: key order, stability (equal keys keep their input order) and that the output is
 * a permutation of the input, for record sizes with and without a specialised copy. And
 * radix_sort_inplace, which is not stable: key order and the same records.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misuse.h"
#include "radix.h"
#include "tap.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* a record: key bytes, then the input position (4 bytes) right after the key, then padding */
static size_t g_keylen;

static int
ref_cmp(const void *a, const void *b)
{
	int			c = memcmp(a, b, g_keylen);
	uint32_t	ia,
				ib;

	if (c != 0)
		return c;
	memcpy(&ia, (const char *) a + g_keylen, 4);
	memcpy(&ib, (const char *) b + g_keylen, 4);
	return ia < ib ? -1 : ia > ib;
}

typedef enum
{
	RANDOM,						/* every key byte random */
	DRAW_LIKE,					/* byte 0 of 4 values, then 6 constant bytes, a byte of 8 values, random */
	FEW_KEYS,					/* ten distinct keys: long runs of equal keys */
	SKEWED,						/* nine in ten records share their first 5 bytes */
	ALL_EQUAL
} pattern;

static const char *const pattern_name[] = {"random keys", "draw-like keys", "ten distinct keys", "skewed keys", "equal keys"};

static void
fill(unsigned char *a, size_t n, size_t size, size_t keylen, pattern p)
{
	unsigned char few[10][16];

	for (int i = 0; i < 10; i++)
		for (int j = 0; j < 16; j++)
			few[i][j] = (unsigned char) rnd();
	for (size_t i = 0; i < n; i++)
	{
		unsigned char *r = a + i * size;
		uint32_t	pos = (uint32_t) i;

		memset(r, 0, size);
		for (size_t d = 0; d < keylen; d++)
			r[d] = (unsigned char) rnd();
		switch (p)
		{
			case RANDOM:
				break;
			case DRAW_LIKE:
				r[0] = (unsigned char) (rnd() % 4);
				memset(r + 1, 0x2a, 6 < keylen - 1 ? 6 : keylen - 1);
				if (keylen > 7)
					r[7] = (unsigned char) (rnd() % 8);
				break;
			case FEW_KEYS:
				memcpy(r, few[rnd() % 10], keylen);
				break;
			case SKEWED:
				if (rnd() % 10 != 0)
					memset(r, 7, 5 < keylen ? 5 : keylen);
				break;
			case ALL_EQUAL:
				memset(r, 0x55, keylen);
				break;
		}
		memcpy(r + keylen, &pos, 4);
	}
}

static void
check(size_t n, size_t size, size_t keylen, pattern p)
{
	unsigned char *a = malloc(n * size + 1),
			   *ref = malloc(n * size + 1),
			   *tmp = malloc(n * size + 1);

	fill(a, n, size, keylen, p);
	memcpy(ref, a, n * size);
	g_keylen = keylen;
	qsort(ref, n, size, ref_cmp);
	radix_sort(a, tmp, n, size, keylen);
	ok(memcmp(a, ref, n * size) == 0, "%zu records of %zu bytes, %zu-byte keys, %s: as a stable qsort",
	   n, size, keylen, pattern_name[p]);
	free(a);
	free(ref);
	free(tmp);
}

/* radix_sort_inplace: keys in order, and with ties put back in input order it is the stable sort */
static void
check_inplace(size_t n, size_t size, size_t keylen, pattern p)
{
	unsigned char *a = malloc(n * size + 1),
			   *ref = malloc(n * size + 1),
			   *scratch = malloc(RADIX_INPLACE_SCRATCH);
	int			ordered = 1;

	if (keylen + 4 > size)
		abort();				/* the input position follows the key */

	fill(a, n, size, keylen, p);
	memcpy(ref, a, n * size);
	g_keylen = keylen;
	qsort(ref, n, size, ref_cmp);
	memset(scratch, 0xee, RADIX_INPLACE_SCRATCH);
	radix_sort_inplace(a, n, size, keylen, scratch);
	for (size_t i = 1; i < n && ordered; i++)
		ordered = memcmp(a + (i - 1) * size, a + i * size, keylen) <= 0;
	qsort(a, n, size, ref_cmp);
	ok(ordered && memcmp(a, ref, n * size) == 0, "in place: %zu records of %zu bytes, %zu-byte keys, %s: in key order, the same records",
	   n, size, keylen, pattern_name[p]);
	free(a);
	free(ref);
	free(scratch);
}

/* misuse: the handler records where and jumps back instead of aborting */
static jmp_buf misuse_jump;
static const char *misuse_where;

static void
catch_misuse(const char *where, const char *what)
{
	(void) what;
	misuse_where = where;
	longjmp(misuse_jump, 1);
}

/* whether the call is reported as a misuse of `where`, with the records left as they were */
#define MISUSED(where, call, a, before, len) \
	(misuse_where = NULL, setjmp(misuse_jump) == 0 ? ((call), 0) \
	 : (misuse_where != NULL && strcmp(misuse_where, (where)) == 0 && memcmp((a), (before), (len)) == 0))

static void
check_misuse(void)
{
	unsigned char a[4 * 40],
				before[4 * 40],
				tmp[4 * 40];
	unsigned char *scratch = malloc(RADIX_INPLACE_SCRATCH);

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char) (255 - i);
	memcpy(before, a, sizeof(a));
	core_set_misuse_handler(catch_misuse);
	ok(MISUSED("radix_sort", radix_sort(a, tmp, 4, 40, 0), a, before, sizeof(a)), "radix_sort: a key of 0 bytes is a misuse");
	ok(MISUSED("radix_sort", radix_sort(a, tmp, 4, 40, RADIX_MAX_KEYLEN + 1), a, before, sizeof(a)),
	   "radix_sort: a key over RADIX_MAX_KEYLEN is a misuse, not a silent no-op");
	ok(MISUSED("radix_sort", radix_sort(a, tmp, 4, 8, 12), a, before, sizeof(a)), "radix_sort: a key longer than the record is a misuse");
	ok(MISUSED("radix_sort", radix_sort(a, tmp, 1, 40, 17), a, before, sizeof(a)), "radix_sort: even for one record");
	ok(MISUSED("radix_sort_inplace", radix_sort_inplace(a, 4, 40, 17, scratch), a, before, sizeof(a)),
	   "radix_sort_inplace: a key over RADIX_MAX_KEYLEN is a misuse");
	ok(MISUSED("radix_sort_inplace", radix_sort_inplace(a, 2, RADIX_INPLACE_SCRATCH + 1, 8, scratch), a, before, sizeof(a)),
	   "radix_sort_inplace: a record larger than the scratch is a misuse");
	ok(!MISUSED("radix_sort", radix_sort(a, tmp, 4, 40, 16), a, before, sizeof(a)) && a[0] < a[40],
	   "radix_sort: within the limits, no misuse and sorted");
	core_set_misuse_handler(NULL);
	free(scratch);
}

int
main(void)
{
	check_misuse();
	/* large (split first, 16 * 200000 = 3.2 MB) and small (LSD only) */
	for (int p = RANDOM; p <= ALL_EQUAL; p++)
	{
		check(200000, 16, 12, (pattern) p);
		check(1000, 16, 12, (pattern) p);
	}
	check(150000, 24, 13, DRAW_LIKE);
	check(150000, 32, 16, FEW_KEYS);
	check(150000, 20, 16, RANDOM);	/* a size without a specialised copy */
	check(150000, 20, 1, FEW_KEYS);
	check(70000, 16, 12, SKEWED);
	check(2, 16, 12, RANDOM);

	/* in place: split by swaps (1.6 MB and more), or LSD in the scratch alone */
	for (int p = RANDOM; p <= ALL_EQUAL; p++)
	{
		check_inplace(300000, 16, 12, (pattern) p);
		check_inplace(5000, 16, 12, (pattern) p);
	}
	check_inplace(100000, 24, 13, DRAW_LIKE);
	check_inplace(100000, 32, 16, SKEWED);
	check_inplace(100000, 20, 12, RANDOM);
	check_inplace(100000, 20, 1, FEW_KEYS);
	check_inplace(16384, 16, 12, RANDOM);	/* exactly the scratch */
	check_inplace(16385, 16, 12, RANDOM);	/* one record more */
	check_inplace(2, 16, 12, RANDOM);
	check(50000, 12, 8, RANDOM);	/* records shorter than 16 bytes */
	check_inplace(50000, 12, 8, FEW_KEYS);
	{
		/* one byte varies, in the last record only: it must still be sorted by */
		unsigned char a[3000 * 16],
					tmp[3000 * 16];
		unsigned char *scratch = malloc(RADIX_INPLACE_SCRATCH);

		for (int inplace = 0; inplace <= 1; inplace++)
		{
			memset(a, 0x11, sizeof(a));
			a[2999 * 16 + 11] = 0x10;
			if (inplace)
				radix_sort_inplace(a, 3000, 16, 12, scratch);
			else
				radix_sort(a, tmp, 3000, 16, 12);
			ok(a[11] == 0x10 && a[2999 * 16 + 11] == 0x11, "%s: a key byte that differs in the last record only is sorted by",
			   inplace ? "in place" : "stable");
		}
		free(scratch);
	}
	done_testing();
	return 0;
}
