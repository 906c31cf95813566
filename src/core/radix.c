/*
 * radix.c — the one sort of fixed-size records by a byte-order key that the cores share: draw.c
 * sorts a population by (stratum, packed code), visits.c a year's targets by (subject, task).
 */
#include "radix.h"

#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define RADIX_INLINE static inline __attribute__((always_inline))
#else
#define RADIX_INLINE static inline
#endif

/* one pass: each record to its place by byte d */
RADIX_INLINE void
scatter(const unsigned char *src, unsigned char *dst, size_t n, size_t size, size_t d, size_t *place)
{
	for (size_t i = 0; i < n; i++)
	{
		const unsigned char *r = src + i * size;

		memcpy(dst + place[r[d]]++ * size, r, size);
	}
}

void
radix_sort(void *base, void *tmp, size_t n, size_t size, size_t keylen)
{
	size_t		count[RADIX_MAX_KEYLEN][256];
	unsigned char *src = (unsigned char *) base;
	unsigned char *dst = (unsigned char *) tmp;
	int			passes = 0;

	if (n < 2 || keylen == 0 || keylen > RADIX_MAX_KEYLEN || keylen > size)
		return;
	/* all histograms in one read */
	memset(count, 0, sizeof(size_t) * 256 * keylen);
	for (size_t i = 0; i < n; i++)
	{
		const unsigned char *r = src + i * size;

		for (size_t d = 0; d < keylen; d++)
			count[d][r[d]]++;
	}
	/* least significant byte first; a byte that is the same everywhere changes nothing */
	for (size_t d = keylen; d-- > 0;)
	{
		size_t		pos = 0;
		int			constant = 0;

		for (int b = 0; b < 256; b++)
		{
			size_t		c = count[d][b];

			if (c == n)
				constant = 1;
			count[d][b] = pos;
			pos += c;
		}
		if (constant)
			continue;
		switch (size)
		{
				/* a constant size lets the compiler inline the copy (a call per record otherwise) */
			case 16:
				scatter(src, dst, n, 16, d, count[d]);
				break;
			case 24:
				scatter(src, dst, n, 24, d, count[d]);
				break;
			case 32:
				scatter(src, dst, n, 32, d, count[d]);
				break;
			default:
				scatter(src, dst, n, size, d, count[d]);
				break;
		}
		{
			unsigned char *t = src;

			src = dst;
			dst = t;
		}
		passes++;
	}
	if (passes % 2 == 1)
		memcpy(base, src, n * size);
}
