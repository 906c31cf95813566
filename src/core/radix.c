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
 *
 * radix_sort_inplace makes the splits by swapping records into their parts (an American flag
 * sort), so it needs no second array, only a cache-sized scratch; it is not stable. draw.c sorts
 * a population with it: a 10-million-row draw would otherwise hold a 150 MB copy.
 */
#include "radix.h"
#include "misuse.h"

#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define RADIX_INLINE static inline __attribute__((always_inline))
#else
#define RADIX_INLINE static inline
#endif

/* a part of at most this many bytes is sorted by LSD passes (it and its scratch stay in cache) */
#define RADIX_CACHE_BYTES RADIX_INPLACE_SCRATCH

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

/*
 * The key bytes that vary at all among the n records; their number. A byte varies when some
 * record has another value there than the first record: the differences are OR-ed together,
 * 8 bytes at a time, in one read.
 */
static int
varying_bytes(const unsigned char *src, size_t n, size_t size, size_t keylen, uint8_t vary[RADIX_MAX_KEYLEN])
{
	uint64_t	first[2] = {0, 0},
				diff[2] = {0, 0};
	unsigned char d8[16];
	int			nvary = 0;

	/* records of 16 bytes or more are read 16 bytes at a time (the bytes after the key are ignored) */
	size_t		len = size >= 16 ? 16 : keylen;

	memcpy(first, src, len);
	for (size_t i = 1; i < n; i++)
	{
		uint64_t	w[2] = {0, 0};

		if (size >= 16)
			memcpy(w, src + i * size, 16);
		else
			memcpy(w, src + i * size, keylen);
		diff[0] |= w[0] ^ first[0];
		diff[1] |= w[1] ^ first[1];
	}
	memcpy(d8, diff, sizeof(d8));
	for (size_t d = 0; d < keylen; d++)
		if (d8[d] != 0)
			vary[nvary++] = (uint8_t) d;
	return nvary;
}

/* the limits both sorts share (radix.h); a call outside them is a caller's bug */
static void
check_args(const char *where, size_t n, size_t size, size_t keylen)
{
	if (keylen == 0 || keylen > RADIX_MAX_KEYLEN)
		core_misuse(where, "the key length is not in 1..RADIX_MAX_KEYLEN");
	if (keylen > size)
		core_misuse(where, "the key is longer than the record");
	if (n > UINT32_MAX)
		core_misuse(where, "more than 2^32 - 1 records");
}

void
radix_sort(void *base, void *tmp, size_t n, size_t size, size_t keylen)
{
	uint8_t		vary[RADIX_MAX_KEYLEN];
	int			nvary;

	check_args("radix_sort", n, size, keylen);
	if (n < 2)
		return;
	nvary = varying_bytes((const unsigned char *) base, n, size, keylen, vary);
	sort_part((unsigned char *) base, (unsigned char *) tmp, n, size, vary, nvary, 1);
}

/* swaps records a and b through t */
RADIX_INLINE void
swap_sized(unsigned char *a, unsigned char *b, unsigned char *t, size_t size)
{
	memcpy(t, a, size);
	memcpy(a, b, size);
	memcpy(b, t, size);
}

/*
 * Puts each record of a[0..n) in its part by byte d, in place: the parts begin at place[] (as
 * places() gives them) and end at end[]. Each swap sends a record to the next free slot of its
 * part, so every record moves at most once after it is looked at.
 */
static void
permute(unsigned char *a, size_t size, size_t d, size_t place[256], const size_t end[256], unsigned char *t)
{
	for (int b = 0; b < 256; b++)
	{
		while (place[b] < end[b])
		{
			unsigned char *r = a + place[b] * size;
			unsigned	v = r[d];

			if (v == (unsigned) b)
				place[b]++;
			else
			{
				unsigned char *dst = a + place[v]++ * size;

#if defined(__GNUC__) || defined(__clang__)
				/* the next cache line of the part: 256 write streams are more than the hardware follows */
				__builtin_prefetch(dst + 64, 1);
#endif
				/* (a constant size lets the compiler inline the copies) */
				if (size == 16)
					swap_sized(r, dst, t, 16);
				else
					swap_sized(r, dst, t, size);
			}
		}
	}
}

/* radix_sort_inplace's sort_part: split in place while the part is larger than the cache */
static void
sort_part_inplace(unsigned char *a, size_t n, size_t size, const uint8_t *vary, int nvary, unsigned char *scratch)
{
	if (n < 2 || nvary == 0)
		return;
	if (n * size <= RADIX_CACHE_BYTES)
	{
		sort_part(a, scratch, n, size, vary, nvary, 1);
		return;
	}
	for (int j = 0; j < nvary; j++)
	{
		radix_count count[256];
		size_t		place[256],
					end[256];

		histogram(a, n, size, vary[j], count);
		if (!places(count, n, place))
			continue;
		for (int b = 0; b < 256; b++)
			end[b] = place[b] + count[b];
		permute(a, size, vary[j], place, end, scratch);
		for (int b = 0; b < 256; b++)
			if (count[b] > 0)
				sort_part_inplace(a + (end[b] - count[b]) * size, count[b], size, vary + j + 1, nvary - j - 1, scratch);
		return;
	}
}

void
radix_sort_inplace(void *base, size_t n, size_t size, size_t keylen, void *scratch)
{
	uint8_t		vary[RADIX_MAX_KEYLEN];
	int			nvary;

	check_args("radix_sort_inplace", n, size, keylen);
	if (size > RADIX_INPLACE_SCRATCH)
		core_misuse("radix_sort_inplace", "a record is larger than the scratch (RADIX_INPLACE_SCRATCH)");
	if (n < 2)
		return;
	nvary = varying_bytes((const unsigned char *) base, n, size, keylen, vary);
	sort_part_inplace((unsigned char *) base, n, size, vary, nvary, (unsigned char *) scratch);
}
