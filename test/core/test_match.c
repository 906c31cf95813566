/*
 * Unit tests of src/core/match.c: every target gets m distinct inspectors, never a conflicting
 * one, loads differ by at most one, the result does not depend on the order targets are given
 * in, hand-made assignments count, and too few inspectors are reported with how many are missing.
 */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tap.h"

static void *
t_alloc(size_t size, void *arg)
{
	(void) arg;
	return malloc(size ? size : 1);
}

static void
t_release(void *p, void *arg)
{
	(void) arg;
	free(p);
}

static const draw_env env = {t_alloc, t_release, NULL, NULL};

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint64_t
rng(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void
random_packed(uint8_t packed[12])
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char		code[18];

	code[0] = '9';
	code[1] = '1';
	for (int i = 2; i < 8; i++)
		code[i] = (char) ('0' + rng() % 10);
	for (int i = 8; i < 17; i++)
		code[i] = alpha[rng() % 31];
	code[17] = uscc_check_char(code);
	uscc_pack(code, packed);
}

int
main(void)
{
	uint8_t		seed[32];
	uint32_t	nt = 1000,
				ni = 30,
				m = 2;
	uint8_t    *targets = malloc(nt * 12);
	int64_t    *ids = malloc(ni * sizeof(int64_t));
	uint32_t   *out = malloc(nt * m * sizeof(uint32_t)),
			   *out2 = malloc(nt * m * sizeof(uint32_t));
	match_pair *conf = malloc(200 * sizeof(match_pair));
	match_error e;
	char		err[DRAW_ERRLEN];
	uint32_t	load[30];
	int			good;

	draw_seed_from("match", 5, seed);
	for (uint32_t t = 0; t < nt; t++)
		random_packed(targets + t * 12);
	for (uint32_t i = 0; i < ni; i++)
		ids[i] = 1000 + 7 * i;

	/* no conflicts */
	is_int(match_assign(&env, seed, nt, targets, ni, ids, 0, NULL, 0, NULL, m, out, &e, err), 0, "matching runs");
	memset(load, 0, sizeof(load));
	good = 1;
	for (uint32_t t = 0; t < nt; t++)
	{
		good &= out[t * m] < ni && out[t * m + 1] < ni && out[t * m] != out[t * m + 1];
		load[out[t * m]]++;
		load[out[t * m + 1]]++;
	}
	ok(good, "every target has 2 distinct inspectors");
	{
		uint32_t	lo = load[0],
					hi = load[0];

		for (uint32_t i = 1; i < ni; i++)
		{
			lo = load[i] < lo ? load[i] : lo;
			hi = load[i] > hi ? load[i] : hi;
		}
		ok(hi - lo <= 1, "loads differ by at most one (min %u, max %u)", lo, hi);
	}

	/* the same targets in another order: each target gets the same inspectors */
	{
		uint8_t    *rev = malloc(nt * 12);

		for (uint32_t t = 0; t < nt; t++)
			memcpy(rev + t * 12, targets + (nt - 1 - t) * 12, 12);
		match_assign(&env, seed, nt, rev, ni, ids, 0, NULL, 0, NULL, m, out2, &e, err);
		good = 1;
		for (uint32_t t = 0; t < nt; t++)
			good &= memcmp(out + t * m, out2 + (nt - 1 - t) * m, m * sizeof(uint32_t)) == 0;
		ok(good, "the matching does not depend on the order targets are given in");
		free(rev);
	}

	/* another seed gives another matching */
	{
		uint8_t		other[32];

		draw_seed_from("other", 5, other);
		match_assign(&env, other, nt, targets, ni, ids, 0, NULL, 0, NULL, m, out2, &e, err);
		ok(memcmp(out, out2, nt * m * sizeof(uint32_t)) != 0, "another seed gives another matching");
	}

	/* conflicts: 200 random pairs are never matched, loads still within one */
	for (int c = 0; c < 200; c++)
	{
		conf[c].target = (uint32_t) (rng() % nt);
		conf[c].inspector = (uint32_t) (rng() % ni);
	}
	is_int(match_assign(&env, seed, nt, targets, ni, ids, 200, conf, 0, NULL, m, out, &e, err), 0, "matching with conflicts runs");
	good = 1;
	memset(load, 0, sizeof(load));
	for (uint32_t t = 0; t < nt; t++)
	{
		for (int c = 0; c < 200; c++)
			if (conf[c].target == t)
				good &= out[t * m] != conf[c].inspector && out[t * m + 1] != conf[c].inspector;
		load[out[t * m]]++;
		load[out[t * m + 1]]++;
	}
	ok(good, "no inspector is matched to a target it has a conflict with");
	{
		uint32_t	lo = load[0],
					hi = load[0];

		for (uint32_t i = 1; i < ni; i++)
		{
			lo = load[i] < lo ? load[i] : lo;
			hi = load[i] > hi ? load[i] : hi;
		}
		ok(hi - lo <= 1, "with sparse conflicts loads still differ by at most one (min %u, max %u)", lo, hi);
	}

	/* a hand-made assignment fills one slot and counts */
	{
		match_pair	pre = {5, 3};

		is_int(match_assign(&env, seed, nt, targets, ni, ids, 0, NULL, 1, &pre, m, out, &e, err), 0, "matching with a hand-made assignment runs");
		ok(out[5 * m] == MATCH_NONE && out[5 * m + 1] != 3 && out[5 * m + 1] < ni,
		   "the target keeps its hand-made inspector and gets one other");
	}

	/* too few */
	is_int(match_assign(&env, seed, nt, targets, 1, ids, 0, NULL, 0, NULL, m, out, &e, err), -1, "one inspector for two per target is refused");
	ok(e.missing == 1 && e.target == MATCH_NONE, "1 missing, for the department as a whole");
	{
		match_pair	c2[2] = {{7, 0}, {7, 1}};

		is_int(match_assign(&env, seed, nt, targets, 3, ids, 2, c2, 0, NULL, m, out, &e, err), -1,
			   "a target with conflicts with 2 of 3 inspectors is refused");
		ok(e.target == 7 && e.missing == 1 && e.available == 1, "target 8 is named, 1 missing: %s", err);
	}
	{
		uint64_t	p1 = 0;
		draw_hasher h;

		draw_hasher_init_domain(&h, MATCH_DOMAIN, seed);
		p1 = match_priority(&h, 1000, 0);
		ok(p1 != match_priority(&h, 1000, 1) && p1 == match_priority(&h, 1000, 0), "priority depends on the load, deterministically");
	}
	free(targets);
	free(ids);
	free(out);
	free(out2);
	free(conf);
	return done_testing();
}
