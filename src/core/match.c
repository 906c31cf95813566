/*
 * match.c — random matching of inspectors to targets; see match.h. Pure C.
 */
#include "match.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tkey
{
	uint8_t		d[SHA256_DIGEST_LEN];
	uint8_t		code[USCC_PACKED_LEN];
	uint32_t	index;
} tkey;

typedef struct ikey
{
	uint32_t	load;
	uint64_t	prio;
	int64_t		id;
	uint32_t	index;
} ikey;


uint64_t
match_priority(const draw_hasher *h, int64_t inspector_id, uint32_t load)
{
	uint8_t		msg[12],
				d[SHA256_DIGEST_LEN];

	be_put(msg, (uint64_t) inspector_id, 8);
	be_put(msg + 8, load, 4);
	draw_row_digest(h, (const char *) msg, sizeof(msg), d);
	return be_get(d, 8);
}

match_role_t
match_role(int certified, int32_t qualified_until, int32_t first_day, int allow_uncertified_second)
{
	if (!certified)
		return allow_uncertified_second ? MATCH_ROLE_SECOND : MATCH_ROLE_NONE;
	return qualified_until >= first_day ? MATCH_ROLE_ANY : MATCH_ROLE_NONE;
}

static inline int
ikey_less(const ikey *a, const ikey *b)
{
	if (a->load != b->load)
		return a->load < b->load;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	return a->id < b->id;
}

/* binary min-heap of inspectors */
static void
heap_push(ikey *h, uint32_t *n, ikey x)
{
	uint32_t	i = (*n)++;

	while (i > 0)
	{
		uint32_t	p = (i - 1) / 2;

		if (!ikey_less(&x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static ikey
heap_pop(ikey *h, uint32_t *n)
{
	ikey		top = h[0];
	ikey		x = h[--(*n)];
	uint32_t	i = 0;

	for (;;)
	{
		uint32_t	c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && ikey_less(&h[c + 1], &h[c]))
			c++;
		if (!ikey_less(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n > 0)
		h[i] = x;
	return top;
}

static int
tkey_cmp(const void *a, const void *b)
{
	const tkey *x = a, *y = b;

	/* (the packed codes as ids: their byte order is the codes' order) */
	return draw_rank_cmp(0, 0, x->d, x->code, USCC_PACKED_LEN, 0, y->d, y->code, USCC_PACKED_LEN);
}

static int
pair_cmp(const void *a, const void *b)
{
	const match_pair *x = a, *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return x->inspector < y->inspector ? -1 : x->inspector > y->inspector;
}

int
match_assign(const draw_env *env, const uint8_t seed[DRAW_SEED_LEN],
			 uint32_t ntargets, const uint8_t *targets,
			 uint32_t ninspectors, const int64_t *inspector_ids, const uint8_t *roles,
			 uint32_t nconflicts, const match_pair *conflicts,
			 uint32_t npre, const match_pair *pre,
			 uint32_t m, uint32_t *out, match_error *e, char *err)
{
	draw_hasher h;
	tkey	   *order;
	ikey	   *heap,
			   *aside;
	uint32_t	nheap = 0;
	uint32_t   *load,
			   *stamp,
			   *cstart,
			   *pstart;
	match_pair *cs,
			   *ps;
	int			rc = 0;

	uint32_t	avail = 0,
				certified = 0;

#define ROLE(i) (roles ? roles[i] : MATCH_ROLE_ANY)
	for (uint32_t i = 0; i < ninspectors; i++)
	{
		avail += ROLE(i) != MATCH_ROLE_NONE;
		certified += ROLE(i) == MATCH_ROLE_ANY;
	}
	e->target = MATCH_NONE;
	e->missing = 0;
	e->available = avail;
	e->certified_missing = 0;
	if (ntargets == 0 || m == 0)
		return 0;
	if (avail < m || certified == 0)
	{
		/*
		 * hand-made assignments may still cover every target (or give it its certified
		 * inspector); check only when places are open
		 */
		uint32_t   *have = env->alloc((size_t) ntargets * sizeof(uint32_t), env->arg);
		uint8_t    *cert = env->alloc((size_t) ntargets, env->arg);
		int			short_of = 0,
					uncertified = 0;

		memset(have, 0, (size_t) ntargets * sizeof(uint32_t));
		memset(cert, 0, (size_t) ntargets);
		for (uint32_t i = 0; i < npre; i++)
		{
			have[pre[i].target]++;
			cert[pre[i].target] |= ROLE(pre[i].inspector) == MATCH_ROLE_ANY;
		}
		for (uint32_t t = 0; t < ntargets && !short_of && !uncertified; t++)
		{
			short_of = have[t] < m && have[t] + avail < m;
			uncertified = have[t] < m && !cert[t] && certified == 0;
		}
		env->release(have, env->arg);
		env->release(cert, env->arg);
		if (short_of)
		{
			e->missing = m - avail;
			e->certified_missing = certified == 0;
			return draw_fail(err, "%u inspectors for %u per target: %u missing", avail, m, m - avail);
		}
		if (uncertified)
		{
			e->missing = 1;
			e->certified_missing = 1;
			return draw_fail(err, "no certified inspector: each target needs one");
		}
	}

	draw_hasher_init_domain(&h, MATCH_DOMAIN, seed);

	/* targets in the order of their hash */
	order = env->alloc((size_t) ntargets * sizeof(tkey), env->arg);
	for (uint32_t t = 0; t < ntargets; t++)
	{
		char		code[USCC_LEN];

		memcpy(order[t].code, targets + (size_t) t * USCC_PACKED_LEN, USCC_PACKED_LEN);
		if (uscc_unpack_text(order[t].code, code) != 0)
		{
			env->release(order, env->arg);
			return draw_fail(err, "target %u is not a packed code", t + 1);
		}
		draw_row_digest(&h, code, USCC_LEN, order[t].d);
		order[t].index = t;
	}
	qsort(order, ntargets, sizeof(tkey), tkey_cmp);

	/* conflicts and hand-made assignments, grouped by target */
	cs = env->alloc((size_t) (nconflicts + 1) * sizeof(match_pair), env->arg);
	ps = env->alloc((size_t) (npre + 1) * sizeof(match_pair), env->arg);
	if (nconflicts)
		memcpy(cs, conflicts, (size_t) nconflicts * sizeof(match_pair));
	if (npre)
		memcpy(ps, pre, (size_t) npre * sizeof(match_pair));
	qsort(cs, nconflicts, sizeof(match_pair), pair_cmp);
	qsort(ps, npre, sizeof(match_pair), pair_cmp);
	cstart = env->alloc(((size_t) ntargets + 1) * sizeof(uint32_t), env->arg);
	pstart = env->alloc(((size_t) ntargets + 1) * sizeof(uint32_t), env->arg);
	for (uint32_t t = 0, i = 0, j = 0; t <= ntargets; t++)
	{
		while (i < nconflicts && cs[i].target < t)
			i++;
		while (j < npre && ps[j].target < t)
			j++;
		cstart[t] = i;
		pstart[t] = j;
	}

	load = env->alloc(((size_t) ninspectors + 1) * sizeof(uint32_t), env->arg);
	stamp = env->alloc(((size_t) ninspectors + 1) * sizeof(uint32_t), env->arg);
	memset(load, 0, ((size_t) ninspectors + 1) * sizeof(uint32_t));
	memset(stamp, 0xff, ((size_t) ninspectors + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < npre; i++)
		load[ps[i].inspector]++;
	heap = env->alloc(((size_t) ninspectors + 1) * sizeof(ikey), env->arg);
	aside = env->alloc(((size_t) ninspectors + 1) * sizeof(ikey), env->arg);
	for (uint32_t i = 0; i < ninspectors; i++)
	{
		ikey		k;

		if (ROLE(i) == MATCH_ROLE_NONE)
			continue;
		k.load = load[i];
		k.prio = match_priority(&h, inspector_ids[i], load[i]);
		k.id = inspector_ids[i];
		k.index = i;
		heap_push(heap, &nheap, k);
	}

	for (uint32_t o = 0; o < ntargets && rc == 0; o++)
	{
		uint32_t	t = order[o].index;
		uint32_t	have = pstart[t + 1] - pstart[t];
		uint32_t	need = have >= m ? 0 : m - have;
		uint32_t	naside = 0,
					picked = 0;
		int			has_certified = 0;
		ikey		chosen[64];
		uint32_t   *slot = out + (size_t) t * m;

		for (uint32_t s = 0; s < m; s++)
			slot[s] = MATCH_NONE;
		if (need == 0)
			continue;
		if (need > 64)
		{
			rc = draw_fail(err, "at most 64 inspectors per target");
			break;
		}
		/* who may not take this target: a conflict, or already on it by hand */
		for (uint32_t i = cstart[t]; i < cstart[t + 1]; i++)
			stamp[cs[i].inspector] = t;
		for (uint32_t i = pstart[t]; i < pstart[t + 1]; i++)
		{
			stamp[ps[i].inspector] = t;
			has_certified |= ROLE(ps[i].inspector) == MATCH_ROLE_ANY;
		}

		/* the last open place goes to a certified inspector when the target has none yet */
		while (picked < need && nheap > 0)
		{
			ikey		k = heap_pop(heap, &nheap);

			if (stamp[k.index] == t
				|| (!has_certified && picked + 1 == need && ROLE(k.index) != MATCH_ROLE_ANY))
				aside[naside++] = k;
			else
			{
				chosen[picked++] = k;
				has_certified |= ROLE(k.index) == MATCH_ROLE_ANY;
			}
		}
		if (picked < need)
		{
			e->target = t;
			e->missing = need - picked;
			e->available = picked;
			e->certified_missing = !has_certified;
			rc = has_certified
				? draw_fail(err, "target %u: %u inspectors without a conflict, %u needed", t + 1, picked, need)
				: draw_fail(err, "target %u: %u inspectors without a conflict, %u needed, one of them certified",
							t + 1, picked, need);
		}
		for (uint32_t i = 0; i < picked; i++)
		{
			ikey		k = chosen[i];

			slot[have + i] = k.index;
			k.load++;
			k.prio = match_priority(&h, k.id, k.load);
			heap_push(heap, &nheap, k);
		}
		for (uint32_t i = 0; i < naside; i++)
			heap_push(heap, &nheap, aside[i]);
		if (env->tick && (o & 1023) == 1023)
			env->tick(env->arg);
	}

	env->release(order, env->arg);
	env->release(cs, env->arg);
	env->release(ps, env->arg);
	env->release(cstart, env->arg);
	env->release(pstart, env->arg);
	env->release(load, env->arg);
	env->release(stamp, env->arg);
	env->release(heap, env->arg);
	env->release(aside, env->arg);
	return rc;
}
#undef ROLE
