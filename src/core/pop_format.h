/*
 * pop_format.h — the byte form of a compact population (version 2; draw.h describes it), as
 * draw.c writes and reads it and draw_merge.c merges it: the header, the varints, and a code's
 * step from the previous code of its stratum. Private to the cores.
 */
#ifndef SUPERVISE_POP_FORMAT_H
#define SUPERVISE_POP_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "byteorder.h"
#include "uscc.h"

#define POP_MAGIC "SPOP"
#define POP_VERSION 2			/* written; version 1 is still read */
#define POP_HEADER_LEN 8		/* magic, version, weighted, number of strata (2 bytes) */
#define POP_MAX_CODE_BYTES 13	/* the longest step: varint of 41 bits (6 bytes) + varint of 45 (7) */
#define POP_MAX_VARINT 7		/* bytes of a varint below 2^49 */

/* stratum names in byte order, a prefix before a longer name: the order of a population's strata */
static inline int
pop_name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t		n = al < bl ? al : bl;
	int			c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

/* bytes of a stratum's header entry: length, name, count, and (version 2) byte length */
static inline size_t
pop_stratum_header_size(int version, size_t name_len)
{
	return 1 + name_len + 4 + (version >= 2 ? 4 : 0);
}

static inline uint8_t *
pop_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80)
	{
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t) v;
	return p;
}

/*
 * A varint at *p (before end) into *v, in at most POP_MAX_VARINT bytes and in as few as it
 * needs; advances *p. -1 when it is cut off, too long or not minimal.
 */
static inline int
pop_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t	x = 0;

	for (int i = 0; i < POP_MAX_VARINT && q < end; i++)
	{
		uint8_t		b = *q++;

		x |= (uint64_t) (b & 0x7f) << (7 * i);
		if (!(b & 0x80))
		{
			if (b == 0 && i > 0)
				return -1;		/* a longer form of a shorter varint */
			*v = x;
			*p = q;
			return 0;
		}
	}
	return -1;
}

/*
 * A code (h, l) (the two 48-bit parts of its packing) as its step from the previous code (ph, pl)
 * of its stratum, the first from (0, -1): an even varint 2 * (l - pl - 1) when h is the same; an
 * odd varint 2 * (h - ph - 1) + 1 followed by the varint l when h is larger.
 */
static inline uint8_t *
pop_put_step(uint8_t *p, uint64_t h, uint64_t l, uint64_t ph, int64_t pl)
{
	if (h == ph)
		return pop_put_varint(p, 2 * (uint64_t) ((int64_t) l - pl - 1));
	p = pop_put_varint(p, 2 * (h - ph - 1) + 1);
	return pop_put_varint(p, l);
}

#define POP_STEP_CUT_OFF	(-1)	/* cut off, or a varint that is not minimal */
#define POP_STEP_NOT_CODE	(-2)	/* a step past the packing's range */

/* The step at *p (before end) applied to (*h, *l); advances *p. 0, or POP_STEP_CUT_OFF / _NOT_CODE. */
static inline int
pop_get_step(const uint8_t **p, const uint8_t *end, uint64_t *h, int64_t *l)
{
	uint64_t	v,
				x = 0;

	if (pop_get_varint(p, end, &v) != 0 || ((v & 1) && pop_get_varint(p, end, &x) != 0))
		return POP_STEP_CUT_OFF;
	if (v & 1)
	{
		/* a larger h, then l itself */
		if (v / 2 >= USCC_HI_LIMIT - *h - 1 || x >= USCC_LO_LIMIT)
			return POP_STEP_NOT_CODE;
		*h += v / 2 + 1;
		*l = (int64_t) x;
	}
	else
	{
		if (v / 2 >= USCC_LO_LIMIT - (uint64_t) (*l + 1))
			return POP_STEP_NOT_CODE;
		*l += (int64_t) (v / 2) + 1;
	}
	return 0;
}

/*
 * The header at out, version 2: magic, version, mode, and an entry (name, count, byte length) for
 * each of the n strata in the order given that has rows (a stratum all of whose rows were
 * excluded is not in the population). Returns its end.
 */
static inline uint8_t *
pop_put_header(uint8_t *out, int weighted, int n, const char *const names[], const size_t name_lens[],
			   const uint32_t counts[], const uint32_t bytes[])
{
	uint8_t    *p = out + POP_HEADER_LEN;
	int			written = 0;

	memcpy(out, POP_MAGIC, 4);
	out[4] = POP_VERSION;
	out[5] = weighted ? 1 : 0;
	for (int s = 0; s < n; s++)
	{
		if (counts[s] == 0)
			continue;
		*p++ = (uint8_t) name_lens[s];
		memcpy(p, names[s], name_lens[s]);
		p += name_lens[s];
		be_put(p, counts[s], 4);
		be_put(p + 4, bytes[s], 4);
		p += 8;
		written++;
	}
	be_put(out + 6, (uint32_t) written, 2);
	return p;
}

#endif							/* SUPERVISE_POP_FORMAT_H */
