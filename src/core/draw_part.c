/*
 * draw_part.c — a draw's candidates collected where the rows are read, and the selection from them
 * (draw_part.h). Pure C.
 */
#include "draw_part.h"

#include <math.h>
#include <stdlib.h>

#include "byteorder.h"
#include "pop_format.h"
#include "radix.h"

#define PART_MAGIC "SDRP"
#define PART_VERSION 1
#define PART_HEADER_LEN 12		/* magic, version, 3 zero bytes, filter length */

/*
 * The bits of a digest's first 8 bytes the selection compares before it computes the whole digest
 * again: all of them; test_draw_ties.c builds the cores with fewer, to exercise the tie path.
 */
#ifndef DRAW_CAND_DHI_MASK
#define DRAW_CAND_DHI_MASK UINT64_C(0xFFFFFFFFFFFFFFFF)
#endif

/* ---- bounds and filters ---------------------------------------------------------------------- */

draw_bound
draw_bound_for_fraction(double f)
{
	draw_bound	b = {DRAW_BOUND_NONE, 0};
	double		q;

	if (!(f > 0))				/* also NaN */
		return b;
	q = DRAW_PART_SAFETY * f + DRAW_PART_MARGIN;
	if (q >= 1.0)
	{
		b.kind = DRAW_BOUND_ALL;
		return b;
	}
	b.kind = DRAW_BOUND_BELOW;
	b.limit = (uint64_t) ldexp(q, 64);	/* q < 1: below 2^64 */
	return b;
}

int
draw_filter_make(draw_filter *f, const uint8_t seed[DRAW_SEED_LEN], int n,
				 const char *const names[], const size_t name_lens[], const double fractions[], char *err)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->seed, seed, DRAW_SEED_LEN);
	if (n < 0 || n > DRAW_MAX_STRATA)
		return draw_fail(err, "a filter names at most %d strata, not %d", DRAW_MAX_STRATA, n);
	for (int i = 0; i < n; i++)
	{
		if (name_lens[i] == 0 || name_lens[i] > DRAW_MAX_STRATUM_NAME)
			return draw_fail(err, "a stratum name has 1 to %d bytes, not %zu", DRAW_MAX_STRATUM_NAME, name_lens[i]);
		for (int j = 0; j < i; j++)
			if (name_lens[j] == name_lens[i] && memcmp(names[j], names[i], name_lens[i]) == 0)
				return draw_fail(err, "stratum \"%.*s\" is given twice", (int) name_lens[i], names[i]);
		memcpy(f->names[i], names[i], name_lens[i]);
		f->names[i][name_lens[i]] = '\0';
		f->name_len[i] = (uint32_t) name_lens[i];
		f->bound[i] = draw_bound_for_fraction(fractions[i]);
	}
	f->n = n;
	return 0;
}

size_t
draw_filter_write(const draw_filter *f, uint8_t *out)
{
	uint8_t    *p = out;

	memcpy(p, f->seed, DRAW_SEED_LEN);
	p += DRAW_SEED_LEN;
	*p++ = (uint8_t) f->n;
	for (int i = 0; i < f->n; i++)
	{
		*p++ = (uint8_t) f->name_len[i];
		memcpy(p, f->names[i], f->name_len[i]);
		p += f->name_len[i];
		*p++ = (uint8_t) f->bound[i].kind;
		be_put(p, f->bound[i].limit, 8);
		p += 8;
	}
	return (size_t) (p - out);
}

int
draw_filter_parse(draw_filter *f, const uint8_t *data, size_t len, char *err)
{
	const uint8_t *p = data,
			   *end = data + len;

	memset(f, 0, sizeof(*f));
	if (len < DRAW_SEED_LEN + 1)
		return draw_fail(err, "draw filter of %zu bytes is cut off", len);
	memcpy(f->seed, p, DRAW_SEED_LEN);
	p += DRAW_SEED_LEN;
	f->n = *p++;
	if (f->n > DRAW_MAX_STRATA)
		return draw_fail(err, "draw filter names %d strata, more than %d", f->n, DRAW_MAX_STRATA);
	for (int i = 0; i < f->n; i++)
	{
		uint32_t	l;

		if (p >= end)
			return draw_fail(err, "draw filter is cut off");
		l = *p++;
		if (l == 0 || l > DRAW_MAX_STRATUM_NAME || (size_t) (end - p) < l + 1 + 8)
			return draw_fail(err, "draw filter has a bad stratum name or is cut off");
		memcpy(f->names[i], p, l);
		f->names[i][l] = '\0';
		f->name_len[i] = l;
		p += l;
		f->bound[i].kind = *p++;
		f->bound[i].limit = be_get(p, 8);
		p += 8;
		if (f->bound[i].kind > DRAW_BOUND_ALL)
			return draw_fail(err, "draw filter has a bound of unknown kind %d", f->bound[i].kind);
		for (int j = 0; j < i; j++)
			if (f->name_len[j] == l && memcmp(f->names[j], f->names[i], l) == 0)
				return draw_fail(err, "draw filter names stratum \"%s\" twice", f->names[i]);
	}
	if (p != end)
		return draw_fail(err, "draw filter has %zu bytes after its strata", (size_t) (end - p));
	return 0;
}

draw_bound
draw_filter_bound(const draw_filter *f, const char *name, size_t len)
{
	draw_bound	none = {DRAW_BOUND_NONE, 0};

	for (int i = 0; i < f->n; i++)
		if (f->name_len[i] == len && memcmp(f->names[i], name, len) == 0)
			return f->bound[i];
	return none;
}

/* ---- parts ----------------------------------------------------------------------------------- */

int
draw_part_is(const uint8_t *data, size_t len)
{
	return len >= 4 && memcmp(data, PART_MAGIC, 4) == 0;
}

size_t
draw_part_size(size_t filter_len, size_t pop_len, uint64_t ncand)
{
	return PART_HEADER_LEN + filter_len + 8 + pop_len + 8 + (size_t) ncand * DRAW_PART_CAND_LEN;
}

int
draw_part_parse(draw_part *p, const uint8_t *data, size_t len, char *err)
{
	const uint8_t *q = data,
			   *end = data + len;
	uint64_t	plen;
	int			rc;

	memset(p, 0, sizeof(*p));
	if (len < PART_HEADER_LEN || memcmp(data, PART_MAGIC, 4) != 0)
		return draw_fail(err, "a draw part starts with \"SDRP\" and has at least %d bytes", PART_HEADER_LEN);
	if (data[4] != PART_VERSION || data[5] || data[6] || data[7])
		return draw_fail(err, "draw part of version %d, not %d", data[4], PART_VERSION);
	p->filter_len = (size_t) be_get(data + 8, 4);
	q += PART_HEADER_LEN;
	if ((size_t) (end - q) < p->filter_len + 8)
		return draw_fail(err, "draw part is cut off in its filter");
	p->filter_bytes = q;
	if (p->filter_len > 0)
	{
		if (draw_filter_parse(&p->filter, q, p->filter_len, err) != 0)
			return -1;
		p->has_filter = 1;
	}
	q += p->filter_len;
	plen = be_get(q, 8);
	q += 8;
	if ((uint64_t) (end - q) < plen || (uint64_t) (end - q) - plen < 8)
		return draw_fail(err, "draw part is cut off in its population");
	p->pop = q;
	p->pop_len = (size_t) plen;
	rc = draw_pop_parse_header(&p->pop_hdr, q, p->pop_len, err);
	if (rc != 0)
		return rc;
	if (p->pop_hdr.version != 2)
		return draw_fail(err, "a draw part's population is of version 2, not %d", p->pop_hdr.version);
	q += plen;
	p->ncand = be_get(q, 8);
	q += 8;
	if (p->ncand > (uint64_t) (end - q) / DRAW_PART_CAND_LEN || (uint64_t) (end - q) != p->ncand * DRAW_PART_CAND_LEN)
		return draw_fail(err, "draw part has %zu bytes for %llu candidates", (size_t) (end - q), (unsigned long long) p->ncand);
	if (p->ncand > 0 && (!p->has_filter || p->pop_hdr.weighted))
		return draw_fail(err, "draw part has candidates but no filter, or a weighted population");
	p->cand = q;
	if (p->ncand > 0)
	{
		draw_bound	b[DRAW_MAX_STRATA];

		for (int s = 0; s < p->pop_hdr.nstrata; s++)
			b[s] = draw_filter_bound(&p->filter, p->pop_hdr.strata[s].name, p->pop_hdr.strata[s].name_len);
		/*
		 * (a candidate's code is not checked here: the selection uses a candidate only after finding
		 * it among its stratum's rows, whose codes draw_pop_parse checks)
		 */
		for (uint64_t i = 0; i < p->ncand; i++)
		{
			const uint8_t *c = q + i * DRAW_PART_CAND_LEN;

			if (c[0] >= p->pop_hdr.nstrata)
				return draw_fail(err, "draw part candidate %llu names stratum %d of %d", (unsigned long long) i + 1, c[0] + 1, p->pop_hdr.nstrata);
			if (i > 0 && memcmp(c - DRAW_PART_CAND_LEN, c, 1 + USCC_PACKED_LEN) >= 0)
				return draw_fail(err, "draw part candidates are not in (stratum, code) order at %llu", (unsigned long long) i + 1);
			if (!draw_bound_keeps(&b[c[0]], be_get(c + 1 + USCC_PACKED_LEN, 8)))
				return draw_fail(err, "draw part candidate %llu is not below its stratum's bound", (unsigned long long) i + 1);
		}
	}
	return 0;
}

/* the index of a name among nstrata names in name order (the population's), -1 if absent */
static int
part_stratum_index(const draw_pop *hdr, const char *name, size_t len)
{
	for (int s = 0; s < hdr->nstrata; s++)
		if (hdr->strata[s].name_len == len && memcmp(hdr->strata[s].name, name, len) == 0)
			return s;
	return -1;
}

static uint8_t *
part_put_header(uint8_t *out, const uint8_t *filter, size_t filter_len, const uint8_t *pop, size_t pop_len)
{
	uint8_t    *p = out;

	memcpy(p, PART_MAGIC, 4);
	p[4] = PART_VERSION;
	p[5] = p[6] = p[7] = 0;
	be_put(p + 8, filter_len, 4);
	p += PART_HEADER_LEN;
	if (filter_len)
		memcpy(p, filter, filter_len);
	p += filter_len;
	be_put(p, pop_len, 8);
	p += 8;
	memcpy(p, pop, pop_len);
	return p + pop_len;
}

int
draw_part_write(const draw_env *env, const uint8_t *filter, size_t filter_len,
				const uint8_t *pop, size_t pop_len,
				draw_part_rec *recs, uint64_t ncand, int nstrata, const char *const names[],
				const uint8_t *exclude, uint64_t nexclude,
				uint8_t *out, size_t out_size, size_t *len, char *err)
{
	draw_pop	hdr;
	int			newof[DRAW_MAX_STRATA];
	uint8_t    *p,
			   *countp;
	uint64_t	nout = 0,
				x = 0;
	void	   *scratch;

	if (out_size < draw_part_size(filter_len, pop_len, ncand))
		return draw_fail(err, "a draw part of %llu candidates needs %zu bytes, not %zu", (unsigned long long) ncand,
						 draw_part_size(filter_len, pop_len, ncand), out_size);
	if (draw_pop_parse_header(&hdr, pop, pop_len, err) != 0)
		return -1;
	if (nstrata < 0 || nstrata > DRAW_MAX_STRATA)
		return draw_fail(err, "%d strata", nstrata);
	for (int s = 0; s < nstrata; s++)
		newof[s] = part_stratum_index(&hdr, names[s], strlen(names[s]));
	/* renumber into the population's strata (a stratum all of whose rows were excluded: 255) */
	for (uint64_t i = 0; i < ncand; i++)
	{
		int			s = recs[i].key[0];

		if (s >= nstrata)
			return draw_fail(err, "candidate of stratum %d of %d", s + 1, nstrata);
		recs[i].key[0] = newof[s] < 0 ? 0xFF : (uint8_t) newof[s];
	}
	scratch = env->alloc(RADIX_INPLACE_SCRATCH, env->arg);
	radix_sort_inplace(recs, (size_t) ncand, sizeof(draw_part_rec), DRAW_REC_KEYLEN, scratch);
	env->release(scratch, env->arg);

	p = part_put_header(out, filter, filter_len, pop, pop_len);
	countp = p;
	p += 8;
	for (uint64_t i = 0; i < ncand; i++)
	{
		const draw_part_rec *r = &recs[i];

		/* the excluded codes are in code order, the candidates in (stratum, code): start again */
		if (i > 0 && recs[i - 1].key[0] != r->key[0])
			x = 0;
		if (r->key[0] == 0xFF)
			continue;			/* its stratum was excluded entirely */
		while (x < nexclude && memcmp(exclude + x * USCC_PACKED_LEN, r->key + 1, USCC_PACKED_LEN) < 0)
			x++;
		if (x < nexclude && memcmp(exclude + x * USCC_PACKED_LEN, r->key + 1, USCC_PACKED_LEN) == 0)
			continue;
		if (nout > 0 && memcmp(p - DRAW_PART_CAND_LEN, r->key, DRAW_REC_KEYLEN) == 0)
			return draw_fail(err, "a code is twice in one stratum of the candidates");
		memcpy(p, r->key, DRAW_REC_KEYLEN);
		be_put(p + DRAW_REC_KEYLEN, r->dhi, 8);
		p += DRAW_PART_CAND_LEN;
		nout++;
	}
	be_put(countp, nout, 8);
	*len = (size_t) (p - out);
	return 0;
}

size_t
draw_part_merge_max_size(int nparts, const size_t lens[])
{
	size_t		total = PART_HEADER_LEN + 16;

	for (int i = 0; i < nparts; i++)
		total += lens[i];
	return total;
}

int
draw_part_merge(const draw_env *env, int nparts, const uint8_t *const parts[], const size_t lens[],
				int weighted, uint8_t *out, size_t *len, char *err)
{
	draw_part  *pp;
	const uint8_t **pops;
	size_t	   *plens,
				poplen,
				maxpop;
	const draw_part *withf = NULL;
	int			drop = 0;		/* a part with rows but no filter: no candidates at all */
	uint8_t    *p,
			   *pop_at;
	draw_pop	merged;
	uint64_t	ncand = 0;
	uint8_t    *cand;
	int			rc = -1;

	pp = env->alloc(sizeof(draw_part) * (size_t) (nparts ? nparts : 1), env->arg);
	pops = env->alloc(sizeof(uint8_t *) * (size_t) (nparts ? nparts : 1), env->arg);
	plens = env->alloc(sizeof(size_t) * (size_t) (nparts ? nparts : 1), env->arg);
	for (int i = 0; i < nparts; i++)
	{
		if (draw_part_parse(&pp[i], parts[i], lens[i], err) != 0)
			goto done;
		if (pp[i].has_filter)
		{
			if (withf && (withf->filter_len != pp[i].filter_len ||
						  memcmp(withf->filter_bytes, pp[i].filter_bytes, pp[i].filter_len) != 0))
			{
				draw_fail(err, "draw parts %d and %d were made with different filters", (int) (withf - pp) + 1, i + 1);
				goto done;
			}
			withf = &pp[i];
		}
		else if (pp[i].pop_hdr.nrows > 0)
			drop = 1;
		pops[i] = pp[i].pop;
		plens[i] = pp[i].pop_len;
		ncand += pp[i].ncand;
	}
	if (drop)
	{
		withf = NULL;
		ncand = 0;
	}
	maxpop = draw_pop_merge_max_size(nparts, plens);
	/* the header, then the merged population in place, then the candidates */
	p = out;
	memcpy(p, PART_MAGIC, 4);
	p[4] = PART_VERSION;
	p[5] = p[6] = p[7] = 0;
	be_put(p + 8, withf ? withf->filter_len : 0, 4);
	p += PART_HEADER_LEN;
	if (withf)
	{
		memcpy(p, withf->filter_bytes, withf->filter_len);
		p += withf->filter_len;
	}
	pop_at = p + 8;
	(void) maxpop;
	if (draw_pop_merge(env, nparts, pops, plens, weighted, pop_at, &poplen, err) != 0)
		goto done;
	be_put(p, poplen, 8);
	p = pop_at + poplen;
	if (draw_pop_parse_header(&merged, pop_at, poplen, err) != 0)
		goto done;
	be_put(p, ncand, 8);
	p += 8;
	cand = p;
	for (int i = 0; i < nparts && !drop; i++)
	{
		int			map[DRAW_MAX_STRATA];

		for (int s = 0; s < pp[i].pop_hdr.nstrata; s++)
			map[s] = part_stratum_index(&merged, pp[i].pop_hdr.strata[s].name, pp[i].pop_hdr.strata[s].name_len);
		for (uint64_t j = 0; j < pp[i].ncand; j++)
		{
			memcpy(p, pp[i].cand + j * DRAW_PART_CAND_LEN, DRAW_PART_CAND_LEN);
			p[0] = (uint8_t) map[p[0]];		/* every stratum of a part is in the merge */
			p += DRAW_PART_CAND_LEN;
		}
	}
	if (ncand > 1)
	{
		if (ncand > UINT32_MAX)
		{
			draw_fail(err, "more than %u candidates", UINT32_MAX);
			goto done;
		}
		{
			void	   *scratch = env->alloc(RADIX_INPLACE_SCRATCH, env->arg);

			radix_sort_inplace(cand, (size_t) ncand, DRAW_PART_CAND_LEN, DRAW_REC_KEYLEN, scratch);
			env->release(scratch, env->arg);
		}
		for (uint64_t j = 1; j < ncand; j++)
			if (memcmp(cand + (j - 1) * DRAW_PART_CAND_LEN, cand + j * DRAW_PART_CAND_LEN, DRAW_REC_KEYLEN) == 0)
			{
				draw_fail(err, "a code is a candidate in two draw parts");
				goto done;
			}
	}
	*len = (size_t) (p - out);
	rc = 0;
done:
	env->release(plens, env->arg);
	env->release(pops, env->arg);
	env->release(pp, env->arg);
	return rc;
}

size_t
draw_part_strip(uint8_t *part, size_t len)
{
	uint64_t	flen = be_get(part + 8, 4),
				plen = be_get(part + PART_HEADER_LEN + flen, 8);

	be_put(part + 8, 0, 4);
	memmove(part + PART_HEADER_LEN, part + PART_HEADER_LEN + flen, 8 + plen);
	be_put(part + PART_HEADER_LEN + 8 + plen, 0, 8);
	(void) len;
	return PART_HEADER_LEN + 8 + plen + 8;
}

/* ---- the selection from candidates ------------------------------------------------------------ */

typedef struct sel_rec
{
	uint8_t		dhi[8];			/* masked, big-endian: the sort key */
	uint8_t		code[USCC_PACKED_LEN];
	uint8_t		pad[4];
} sel_rec;

typedef struct tie_rec
{
	uint8_t		d[SHA256_DIGEST_LEN];
	char		text[USCC_LEN];
	uint8_t		code[USCC_PACKED_LEN];
} tie_rec;

static int
tie_cmp(const void *a, const void *b)
{
	const tie_rec *x = a,
			   *y = b;
	int			c = memcmp(x->d, y->d, SHA256_DIGEST_LEN);

	return c != 0 ? c : memcmp(x->text, y->text, USCC_LEN);
}

/*
 * The k first (in rank order) of n candidates (DRAW_PART_CAND_LEN bytes each) into out[0..k), in
 * rank order: by the digest's first 8 bytes, and where they are equal, by the whole digest and
 * the code's text.
 */
static void
select_from_cands(const draw_env *env, const draw_hasher *hasher, const uint8_t *cand, uint64_t n,
				  uint32_t k, uint32_t stratum, draw_target *out)
{
	sel_rec    *r;
	void	   *scratch;
	uint64_t	i;

	if (k == 0)
		return;
	r = env->alloc(sizeof(sel_rec) * (size_t) n, env->arg);
	for (i = 0; i < n; i++)
	{
		const uint8_t *c = cand + i * DRAW_PART_CAND_LEN;

		be_put(r[i].dhi, be_get(c + DRAW_REC_KEYLEN, 8) & DRAW_CAND_DHI_MASK, 8);
		memcpy(r[i].code, c + 1, USCC_PACKED_LEN);
	}
	scratch = env->alloc(RADIX_INPLACE_SCRATCH, env->arg);
	radix_sort_inplace(r, (size_t) n, sizeof(sel_rec), 8, scratch);
	env->release(scratch, env->arg);
	/* runs of equal first bytes, up to the k-th: by the whole digest, then the text */
	for (i = 0; i < k;)
	{
		uint64_t	j = i + 1;

		while (j < n && memcmp(r[j].dhi, r[i].dhi, 8) == 0)
			j++;
		if (j - i > 1)
		{
			tie_rec    *t = env->alloc(sizeof(tie_rec) * (size_t) (j - i), env->arg);

			for (uint64_t m = i; m < j; m++)
			{
				tie_rec    *x = &t[m - i];

				(void) uscc_unpack_text(r[m].code, x->text);
				draw_row_digest(hasher, x->text, USCC_LEN, x->d);
				memcpy(x->code, r[m].code, USCC_PACKED_LEN);
			}
			qsort(t, (size_t) (j - i), sizeof(tie_rec), tie_cmp);
			for (uint64_t m = i; m < j; m++)
				memcpy(r[m].code, t[m - i].code, USCC_PACKED_LEN);
			env->release(t, env->arg);
		}
		i = j;
	}
	for (i = 0; i < k; i++)
	{
		out[i].stratum = stratum;
		out[i].rank = (uint32_t) i + 1;
		memcpy(out[i].code, r[i].code, USCC_PACKED_LEN);
	}
	env->release(r, env->arg);
}

/* 1 when every candidate of stratum s (sorted by code) is a row of it; rows sorted by code */
static int
cands_in_stratum(const draw_pop *pop, int s, const uint8_t *cand, uint64_t n)
{
	const draw_pop_stratum *st = &pop->strata[s];
	uint64_t	lo = 0;

	for (uint64_t i = 0; i < n; i++)
	{
		const uint8_t *code = cand + i * DRAW_PART_CAND_LEN + 1;
		uint64_t	step = 1,
					hi;

		/* gallop from lo, then bisect */
		while (lo + step < st->count &&
			   memcmp(pop->rows + (st->first + lo + step) * pop->row_size, code, USCC_PACKED_LEN) < 0)
			step *= 2;
		hi = lo + step < st->count ? lo + step + 1 : st->count;
		while (lo < hi)
		{
			uint64_t	mid = lo + (hi - lo) / 2;

			if (memcmp(pop->rows + (st->first + mid) * pop->row_size, code, USCC_PACKED_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= st->count || memcmp(pop->rows + (st->first + lo) * pop->row_size, code, USCC_PACKED_LEN) != 0)
			return 0;
		lo++;
	}
	return 1;
}

int
draw_run_part(const draw_env *env, const draw_part *part, const draw_pop *pop,
			  const uint8_t seed[DRAW_SEED_LEN], draw_algorithm alg, const uint32_t *k,
			  draw_target *out, uint8_t digest[SHA256_DIGEST_LEN], int *from_cand, char *err)
{
	uint8_t		given[DRAW_MAX_STRATA];
	uint64_t	first[DRAW_MAX_STRATA + 1],
				off[DRAW_MAX_STRATA];
	uint64_t	o = 0;
	int			ngiven = 0;
	draw_hasher hasher;

	memset(given, 0, sizeof(given));
	if (draw_check_k(pop, alg, k, err) != 0)
		return -1;
	/* the candidates of each stratum: a run in the part's (stratum, code) order */
	for (int s = 0, i = 0; s <= pop->nstrata; s++)
	{
		while ((uint64_t) i < part->ncand && part->cand[(uint64_t) i * DRAW_PART_CAND_LEN] < s)
			i++;
		first[s] = (uint64_t) i;
	}
	first[pop->nstrata] = part->ncand;
	for (int s = 0; s < pop->nstrata; s++)
	{
		uint64_t	n = first[s + 1] - first[s];
		draw_bound	b;

		off[s] = o;
		o += k[s];
		if (part->pop_hdr.nstrata != pop->nstrata || !part->has_filter || alg != DRAW_SHA256_V1 || k[s] == 0 ||
			memcmp(part->filter.seed, seed, DRAW_SEED_LEN) != 0)
			continue;
		b = draw_filter_bound(&part->filter, pop->strata[s].name, pop->strata[s].name_len);
		if (b.kind == DRAW_BOUND_NONE || n < k[s])
			continue;
		if (!cands_in_stratum(pop, s, part->cand + first[s] * DRAW_PART_CAND_LEN, n))
			return draw_fail(err, "a candidate of stratum \"%s\" is not a row of the population", pop->strata[s].name);
		given[s] = 1;
		ngiven++;
	}
	if (draw_run_given(env, pop, seed, alg, k, given, out, digest, err) != 0)
		return -1;
	draw_hasher_init(&hasher, seed);
	for (int s = 0; s < pop->nstrata; s++)
		if (given[s])
		{
			select_from_cands(env, &hasher, part->cand + first[s] * DRAW_PART_CAND_LEN, first[s + 1] - first[s],
							  k[s], (uint32_t) s, out + off[s]);
			if (env->tick)
				env->tick(env->arg);
		}
	if (from_cand)
		*from_cand = ngiven;
	return 0;
}
