/*
 * radix.c — the one sort of fixed-size records by a byte-order key that the cores share: draw.c
 * sorts a population by (stratum, packed code), visits.c a year's targets by (subject, task),
 * match_assignments.c assignments by code.
 *
 * Least-significant-byte-first passes over a large array go through memory once per key byte.
 * So a large array is first split by its most significant byte that varies (one pass), and each
 * part again, until a part fits in the CPU cache; a part that fits is sorted there by LSD passes.
 * A draw's 9.5 million rows (16 bytes, 7 varying key bytes) take 3 passes through memory instead
 * of 7. Every pass is stable, so the sort is.
 */
#include "radix.h"

#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define RADIX_INLINE static inline __attribute__((always_inline))
#else
#define RADIX_INLINE static inline
#endif

/* a part of at most this many bytes is sorted by LSD passes (it and its scratch stay in cache) */
#define RADIX_CACHE_BYTES (256 * 1024)

typedef uint32_t radix_count;	/* parts have fewer than 2^32 records (see radix.h) */

/* one pass: each record to its place by byte d */
RADIX_INLINE void
scatter_sized(const unsigned char *src, unsigned char *dst, size_t n, size_t size, size_t d, size_t *place)
{
	for (size_t i = 0; i < n; i++)
	{
		const unsigned char *r = src + i * size;

		memcpy(dst + place[r[d]]++ * size, r, size);
	}
}

static void
scatter(const unsigned char *src, unsigned char *dst, size_t n, size_t size, size_t d, size_t *place)
{
	switch (size)
	{
			/* a constant size lets the compiler inline the copy (a call per record otherwise) */
		case 16:
			scatter_sized(src, dst, n, 16, d, place);
			break;
		case 24:
			scatter_sized(src, dst, n, 24, d, place);
			break;
		case 32:
			scatter_sized(src, dst, n, 32, d, place);
			break;
		default:
			scatter_sized(src, dst, n, size, d, place);
			break;
	}
}

/* the histogram of byte d, in one read */
static void
histogram(const unsigned char *src, size_t n, size_t size, size_t d, radix_count count[256])
{
	memset(count, 0, sizeof(radix_count) * 256);
	for (size_t i = 0; i < n; i++)
		count[src[i * size + d]]++;
}

/* the starting place of each byte value; 0 when every record has the same byte */
static int
places(const radix_count count[256], size_t n, size_t place[256])
{
	size_t		pos = 0;

	for (int b = 0; b < 256; b++)
	{
		if (count[b] == n)
			return 0;
		place[b] = pos;
		pos += count[b];
	}
	return 1;
}

/*
 * Sorts the n records at src by the key bytes vary[0..nvary) (the key bytes that vary at all, in
 * order; every record has the same bytes before vary[0]), using dst as scratch; the result ends in
 * src when into_src, else in dst.
 */
static void
sort_part(unsigned char *src, unsigned char *dst, size_t n, size_t size, const uint8_t *vary, int nvary, int into_src)
{
	radix_count count[256];
	size_t		place[256];

	if (n < 2 || nvary == 0)
	{
		/* already in order */
	}
	else if (n * size <= RADIX_CACHE_BYTES)
	{
		/* LSD: least significant byte first; a byte that is the same everywhere takes no pass */
		for (int j = nvary; j-- > 0;)
		{
			unsigned char *t;

			histogram(src, n, size, vary[j], count);
			if (!places(count, n, place))
				continue;
			scatter(src, dst, n, size, vary[j], place);
			t = src;
			src = dst;
			dst = t;
			into_src = !into_src;
		}
	}
	else
	{
		/* MSD: split by the first byte that varies here, then sort each part the same way */
		for (int j = 0; j < nvary; j++)
		{
			size_t		start[256];

			histogram(src, n, size, vary[j], count);
			if (!places(count, n, place))
				continue;
			memcpy(start, place, sizeof(start));
			scatter(src, dst, n, size, vary[j], place);
			for (int b = 0; b < 256; b++)
				if (count[b] > 0)
					sort_part(dst + start[b] * size, src + start[b] * size, count[b], size,
							  vary + j + 1, nvary - j - 1, !into_src);
			return;
		}
	}
	if (!into_src)
		memcpy(dst, src, n * size);
}

void
radix_sort(void *base, void *tmp, size_t n, size_t size, size_t keylen)
{
	radix_count count[RADIX_MAX_KEYLEN][256];
	uint8_t		vary[RADIX_MAX_KEYLEN];
	int			nvary = 0;
	const unsigned char *src = (const unsigned char *) base;

	if (n < 2 || keylen == 0 || keylen > RADIX_MAX_KEYLEN || keylen > size || n > UINT32_MAX)
		return;
	/* which key bytes vary at all: all histograms in one read */
	memset(count, 0, sizeof(radix_count) * 256 * keylen);
	for (size_t i = 0; i < n; i++)
	{
		const unsigned char *r = src + i * size;

		for (size_t d = 0; d < keylen; d++)
			count[d][r[d]]++;
	}
	for (size_t d = 0; d < keylen; d++)
		if (count[d][src[d]] != n)
			vary[nvary++] = (uint8_t) d;
	sort_part((unsigned char *) base, (unsigned char *) tmp, n, size, vary, nvary, 1);
}
