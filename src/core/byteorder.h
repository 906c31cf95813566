/*
 * byteorder.h — big-endian unsigned integers of 1 to 8 bytes: the byte order of everything the
 * cores write or compare as bytes (populations, sample states, packed codes, sort keys, hash
 * input), and the doubles among them as their IEEE 754 bits in that order. Pure C; with a constant n the loops compile to a load or store and a byte swap.
 */
#ifndef SUPERVISE_BYTEORDER_H
#define SUPERVISE_BYTEORDER_H

#include <stdint.h>
#include <string.h>

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

/* the IEEE 754 double whose bits are the 8 bytes at p, big-endian */
static inline double
be_get_double(const uint8_t *p)
{
	uint64_t	bits = be_get(p, 8);
	double		w;

	memcpy(&w, &bits, sizeof(w));
	return w;
}

/* the bits of w at p, big-endian */
static inline void
be_put_double(uint8_t *p, double w)
{
	uint64_t	bits;

	memcpy(&bits, &w, sizeof(bits));
	be_put(p, bits, 8);
}

#endif							/* SUPERVISE_BYTEORDER_H */
