/*
 * draw_merge.c — merging compact populations (draw.h): the partial states of population_agg, each
 * a population of the rows one process saw, merged into the population of all of them. Pure C.
 */
#include "draw.h"

#include <math.h>

#include "pop_format.h"

#define MERGE_TICK_EVERY 4096
/* one part's rows of one stratum, read a code at a time */
typedef struct merge_cursor
{
	const uint8_t *p;
	const uint8_t *end;
	uint32_t	left;			/* rows not yet read */
	uint64_t	h;				/* the current code */
	int64_t		l;
	const uint8_t *w;			/* its weight (8 bytes), weighted */
	int			part;
} merge_cursor;

/* the next code of c into (h, l); 1 when there is one, 0 at the end, -1 on a bad encoding */
static int
cursor_next(merge_cursor *c, int weighted, char *err)
{
	int			rc;

	if (c->left == 0)
	{
		if (c->p != c->end)
			return draw_fail(err, "population part %d has bytes after the rows of a stratum", c->part + 1);
		return 0;
	}
	rc = pop_get_step(&c->p, c->end, &c->h, &c->l);
	if (rc == POP_STEP_CUT_OFF)
		return draw_fail(err, "population part %d has a row that is cut off or not a minimal varint", c->part + 1);
	if (rc != 0)
		return draw_fail(err, "population part %d has a row that is not a packed code", c->part + 1);
	if (weighted)
	{
		double		w;

		if (c->end - c->p < 8)
			return draw_fail(err, "population part %d has a row that is cut off", c->part + 1);
		w = be_get_double(c->p);
		if (!(w > 0) || !isfinite(w))
			return draw_fail(err, "population part %d has a weight that is not a positive finite number", c->part + 1);
		c->w = c->p;
		c->p += 8;
	}
	c->left--;
	return 1;
}

static inline int
cursor_before(const merge_cursor *a, const merge_cursor *b)
{
	return a->h < b->h || (a->h == b->h && a->l < b->l);
}

/* a min-heap of cursors on their current code */
static void
cursor_sift(merge_cursor **hp, int n, int i)
{
	for (;;)
	{
		int			m = i,
					a = 2 * i + 1,
					b = 2 * i + 2;
		merge_cursor *t;

		if (a < n && cursor_before(hp[a], hp[m]))
			m = a;
		if (b < n && cursor_before(hp[b], hp[m]))
			m = b;
		if (m == i)
			return;
		t = hp[i];
		hp[i] = hp[m];
		hp[m] = t;
		i = m;
	}
}

size_t
draw_pop_merge_max_size(int nparts, const size_t lens[])
{
	size_t		size = 0;

	for (int i = 0; i < nparts; i++)
		size += lens[i];
	return size < POP_HEADER_LEN ? POP_HEADER_LEN : size;
}

int
draw_pop_merge(const draw_env *env, int nparts, const uint8_t *const parts[], const size_t lens[],
			   int weighted, uint8_t *out, size_t *len, char *err)
{
	draw_pop   *pops;
	merge_cursor *cur;
	merge_cursor **heap;
	const char *names[DRAW_MAX_STRATA];
	size_t		name_lens[DRAW_MAX_STRATA];
	uint32_t	counts[DRAW_MAX_STRATA];
	uint32_t	bytes[DRAW_MAX_STRATA];
	int			nnames = 0;
	uint64_t	total = 0,
				tick = 0;
	size_t		hdr = POP_HEADER_LEN,
				rows_len;
	uint8_t    *p;
	int			rc = -1;

	if (nparts < 0)
		return draw_fail(err, "a merge of %d populations", nparts);
	pops = env->alloc(sizeof(draw_pop) * (size_t) (nparts ? nparts : 1), env->arg);
	cur = env->alloc(sizeof(merge_cursor) * (size_t) (nparts ? nparts : 1), env->arg);
	heap = env->alloc(sizeof(merge_cursor *) * (size_t) (nparts ? nparts : 1), env->arg);

	/* every part's header; all of one mode; the strata by name, united */
	for (int i = 0; i < nparts; i++)
	{
		if (draw_pop_parse_header(&pops[i], parts[i], lens[i], err) != 0)
			goto done;
		if (pops[i].version != 2)
		{
			draw_fail(err, "population part %d is of version %d, not 2", i + 1, pops[i].version);
			goto done;
		}
		if (pops[i].weighted != (weighted != 0))
		{
			draw_fail(err, "some rows of the population have a weight and some have none");
			goto done;
		}
		for (int s = 0; s < pops[i].nstrata; s++)
		{
			const draw_pop_stratum *st = &pops[i].strata[s];
			int			j = 0,
						c = 1;

			while (j < nnames && (c = pop_name_cmp(names[j], name_lens[j], st->name, st->name_len)) < 0)
				j++;
			if (j < nnames && c == 0)
				continue;
			if (nnames == DRAW_MAX_STRATA)
			{
				draw_fail(err, "a population has at most %d strata", DRAW_MAX_STRATA);
				goto done;
			}
			memmove(names + j + 1, names + j, sizeof(names[0]) * (size_t) (nnames - j));
			memmove(name_lens + j + 1, name_lens + j, sizeof(name_lens[0]) * (size_t) (nnames - j));
			names[j] = st->name;
			name_lens[j] = st->name_len;
			nnames++;
		}
	}
	for (int s = 0; s < nnames; s++)
		hdr += pop_stratum_header_size(POP_VERSION, name_lens[s]);

	/* each stratum: a k-way merge of the parts that have it, written as steps */
	p = out + hdr;
	for (int s = 0; s < nnames; s++)
	{
		int			n = 0;
		uint8_t    *start = p;
		uint64_t	ph = 0,
					kept = 0;
		int64_t		pl = -1;

		for (int i = 0; i < nparts; i++)
			for (int t = 0; t < pops[i].nstrata; t++)
			{
				const draw_pop_stratum *st = &pops[i].strata[t];
				int			r;

				if (pop_name_cmp(st->name, st->name_len, names[s], name_lens[s]) != 0)
					continue;
				cur[n].p = pops[i].enc + st->enc_off;
				cur[n].end = cur[n].p + st->enc_len;
				cur[n].left = st->count;
				cur[n].h = 0;
				cur[n].l = -1;
				cur[n].w = NULL;
				cur[n].part = i;
				if ((r = cursor_next(&cur[n], weighted, err)) < 0)
					goto done;
				if (r > 0)
				{
					heap[n] = &cur[n];
					n++;
				}
			}
		for (int i = n / 2 - 1; i >= 0; i--)
			cursor_sift(heap, n, i);
		while (n > 0)
		{
			merge_cursor *c = heap[0];
			int			r;

			if (kept > 0 && c->h == ph && c->l == pl)
			{
				uint8_t		packed[USCC_PACKED_LEN];
				char		code[USCC_LEN + 1];

				uscc_put48(packed, c->h);
				uscc_put48(packed + 6, (uint64_t) c->l);
				(void) uscc_unpack_text(packed, code);
				code[USCC_LEN] = '\0';
				draw_fail(err, "code %s appears twice in stratum \"%s\"", code, names[s]);
				goto done;
			}
			p = pop_put_step(p, c->h, (uint64_t) c->l, ph, pl);
			if (weighted)
			{
				memcpy(p, c->w, 8);
				p += 8;
			}
			ph = c->h;
			pl = c->l;
			kept++;
			if (env->tick && ++tick % MERGE_TICK_EVERY == 0)
				env->tick(env->arg);
			if ((r = cursor_next(c, weighted, err)) < 0)
				goto done;
			if (r == 0)
				heap[0] = heap[--n];
			cursor_sift(heap, n, 0);
		}
		total += kept;
		if (total >= UINT32_MAX)
		{
			draw_fail(err, "a population has fewer than %u rows", UINT32_MAX);
			goto done;
		}
		if ((uint64_t) (p - start) > UINT32_MAX)
		{
			draw_fail(err, "stratum \"%s\" takes more than 4 GB", names[s]);
			goto done;
		}
		counts[s] = (uint32_t) kept;
		bytes[s] = (uint32_t) (p - start);
	}
	rows_len = (size_t) (p - (out + hdr));

	/* the header (every stratum of a part has rows, so every united stratum has) */
	(void) pop_put_header(out, weighted, nnames, names, name_lens, counts, bytes);
	*len = hdr + rows_len;
	rc = 0;
done:
	env->release(heap, env->arg);
	env->release(cur, env->arg);
	env->release(pops, env->arg);
	return rc;
}
