/*
 * byteorder.h — big-endian unsigned integers of 1 to 8 bytes: the byte order of everything the
 * cores write or compare as bytes (populations, sample states, packed codes, sort keys, hash
 * input). Pure C; with a constant n the loops compile to a load or store and a byte swap.
 */
#ifndef SUPERVISE_BYTEORDER_H
#define SUPERVISE_BYTEORDER_H

#include <stdint.h>

/* the n bytes at p (1 <= n <= 8) as a big-endian number */
static inline uint64_t
be_get(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* the low n bytes of v (1 <= n <= 8) at p, big-endian */
static inline void
be_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * (n - 1 - i)));
}

#endif							/* SUPERVISE_BYTEORDER_H */
