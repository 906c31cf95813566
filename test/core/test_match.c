/*
 * Unit tests of src/core/match.c: every target gets m distinct inspectors, never a conflicting
 * one, loads differ by at most one, the result does not depend on the order targets are given
 * in, hand-made assignments count, and too few inspectors are reported with how many are missing.
 * The enforcement certificate: match_role's table; an inspector whose certificate has lapsed is
 * never matched (over many seeds); staff without one only beside a certified inspector.
 */
#include <stdio.h>
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
	is_int(match_assign(&env, seed, nt, targets, ni, ids, NULL, 0, NULL, 0, NULL, m, out, &e, err), 0, "matching runs");
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
		match_assign(&env, seed, nt, rev, ni, ids, NULL, 0, NULL, 0, NULL, m, out2, &e, err);
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
		match_assign(&env, other, nt, targets, ni, ids, NULL, 0, NULL, 0, NULL, m, out2, &e, err);
		ok(memcmp(out, out2, nt * m * sizeof(uint32_t)) != 0, "another seed gives another matching");
	}

	/* conflicts: 200 random pairs are never matched, loads still within one */
	for (int c = 0; c < 200; c++)
	{
		conf[c].target = (uint32_t) (rng() % nt);
		conf[c].inspector = (uint32_t) (rng() % ni);
	}
	is_int(match_assign(&env, seed, nt, targets, ni, ids, NULL, 200, conf, 0, NULL, m, out, &e, err), 0, "matching with conflicts runs");
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

		is_int(match_assign(&env, seed, nt, targets, ni, ids, NULL, 0, NULL, 1, &pre, m, out, &e, err), 0, "matching with a hand-made assignment runs");
		ok(out[5 * m] == MATCH_NONE && out[5 * m + 1] != 3 && out[5 * m + 1] < ni,
		   "the target keeps its hand-made inspector and gets one other");
	}

	/* too few */
	is_int(match_assign(&env, seed, nt, targets, 1, ids, NULL, 0, NULL, 0, NULL, m, out, &e, err), -1, "one inspector for two per target is refused");
	ok(e.missing == 1 && e.target == MATCH_NONE, "1 missing, for the department as a whole");
	{
		match_pair	c2[2] = {{7, 0}, {7, 1}};

		is_int(match_assign(&env, seed, nt, targets, 3, ids, NULL, 2, c2, 0, NULL, m, out, &e, err), -1,
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

	/* match_role: the certificate on the task's first day (day 100) */
	ok(match_role(1, MATCH_NO_END, 100, 0) == MATCH_ROLE_ANY, "a certificate without an end: any place");
	ok(match_role(1, 100, 100, 0) == MATCH_ROLE_ANY, "a certificate valid through the first day: any place");
	ok(match_role(1, 99, 100, 1) == MATCH_ROLE_NONE, "a certificate lapsed the day before: never, whatever the department allows");
	ok(match_role(1, INT32_MIN, 100, 0) == MATCH_ROLE_NONE, "a certificate lapsed long ago: never");
	ok(match_role(0, MATCH_NO_END, 100, 1) == MATCH_ROLE_SECOND, "no certificate, the department allows it: second only");
	ok(match_role(0, MATCH_NO_END, 100, 0) == MATCH_ROLE_NONE, "no certificate, the department does not allow it: never");
	ok(match_role(0, 50, 100, 1) == MATCH_ROLE_SECOND, "no certificate: its qualified_until is not looked at");

	/* lapsed inspectors (every third) are never matched, over many seeds; the others stay even */
	{
		uint8_t		roles[30];
		int			never = 1,
					even = 1,
					same = 1;

		for (uint32_t i = 0; i < ni; i++)
			roles[i] = match_role(1, i % 3 == 0 ? 99 : MATCH_NO_END, 100, 0);
		for (int s = 0; s < 50; s++)
		{
			uint8_t		sd[32];
			char		name[16];
			uint32_t	lo = UINT32_MAX,
						hi = 0;
			int			len = snprintf(name, sizeof(name), "seed %d", s);

			draw_seed_from(name, (size_t) len, sd);
			if (match_assign(&env, sd, nt, targets, ni, ids, roles, 0, NULL, 0, NULL, m, out, &e, err) != 0)
			{
				never = 0;
				break;
			}
			memset(load, 0, sizeof(load));
			for (uint32_t x = 0; x < nt * m; x++)
				load[out[x]]++;
			for (uint32_t i = 0; i < ni; i++)
			{
				if (roles[i] == MATCH_ROLE_NONE)
					never &= load[i] == 0;
				else
				{
					lo = load[i] < lo ? load[i] : lo;
					hi = load[i] > hi ? load[i] : hi;
				}
			}
			even &= hi - lo <= 1;
			match_assign(&env, sd, nt, targets, ni, ids, roles, 0, NULL, 0, NULL, m, out2, &e, err);
			same &= memcmp(out, out2, nt * m * sizeof(uint32_t)) == 0;
		}
		ok(never, "over 50 seeds no inspector with a lapsed certificate is matched");
		ok(even, "over 50 seeds the loads of the others differ by at most one");
		ok(same, "the same seed gives the same matching");
	}

	/* staff without a certificate: never alone, for m = 2 and m = 3 */
	{
		uint8_t		roles[30];
		uint32_t   *o3 = malloc(nt * 3 * sizeof(uint32_t));
		int			good2 = 1,
					good3 = 1,
					used = 0;

		for (uint32_t i = 0; i < ni; i++)
			roles[i] = i < 20 ? MATCH_ROLE_SECOND : MATCH_ROLE_ANY;
		is_int(match_assign(&env, seed, nt, targets, ni, ids, roles, 200, conf, 0, NULL, 2, out, &e, err), 0,
			   "20 uncertified and 10 certified, with conflicts: matching runs");
		is_int(match_assign(&env, seed, nt, targets, ni, ids, roles, 200, conf, 0, NULL, 3, o3, &e, err), 0,
			   "the same with 3 per target");
		for (uint32_t t = 0; t < nt; t++)
		{
			good2 &= roles[out[t * 2]] == MATCH_ROLE_ANY || roles[out[t * 2 + 1]] == MATCH_ROLE_ANY;
			used |= roles[out[t * 2]] == MATCH_ROLE_SECOND || roles[out[t * 2 + 1]] == MATCH_ROLE_SECOND;
			good3 &= roles[o3[t * 3]] == MATCH_ROLE_ANY || roles[o3[t * 3 + 1]] == MATCH_ROLE_ANY
				|| roles[o3[t * 3 + 2]] == MATCH_ROLE_ANY;
			for (int c = 0; c < 200; c++)
				if (conf[c].target == t)
					good2 &= out[t * 2] != conf[c].inspector && out[t * 2 + 1] != conf[c].inspector;
		}
		ok(good2 && good3, "every target has a certified inspector, and no conflicting one");
		ok(used, "staff without a certificate take second places");
		free(o3);
	}

	/* refusals that name the certificate */
	{
		uint8_t		roles[3] = {MATCH_ROLE_SECOND, MATCH_ROLE_SECOND, MATCH_ROLE_SECOND};
		match_pair	c1 = {7, 0};
		match_pair	pre = {4, 0};

		is_int(match_assign(&env, seed, nt, targets, 3, ids, roles, 0, NULL, 0, NULL, m, out, &e, err), -1,
			   "only staff without a certificate: refused");
		ok(e.target == MATCH_NONE && e.certified_missing == 1, "for the department as a whole, a certified inspector missing: %s", err);
		roles[0] = MATCH_ROLE_ANY;
		is_int(match_assign(&env, seed, nt, targets, 3, ids, roles, 1, &c1, 0, NULL, m, out, &e, err), -1,
			   "a target whose one certified inspector has a conflict: refused");
		ok(e.target == 7 && e.missing == 1 && e.certified_missing == 1, "target 8 is named, its certified inspector missing: %s", err);
		roles[0] = MATCH_ROLE_NONE;
		is_int(match_assign(&env, seed, nt, targets, 3, ids, roles, 0, NULL, 0, NULL, m, out, &e, err), -1,
			   "a lapsed certificate does not count: refused");
		ok(e.target == MATCH_NONE && e.available == 2 && e.certified_missing == 1, "2 matchable, none certified");
		roles[0] = MATCH_ROLE_ANY;
		roles[1] = MATCH_ROLE_NONE;
		roles[2] = MATCH_ROLE_NONE;
		is_int(match_assign(&env, seed, nt, targets, 3, ids, roles, 0, NULL, 0, NULL, m, out, &e, err), -1,
			   "one matchable inspector of three for two per target: refused");
		ok(e.target == MATCH_NONE && e.missing == 1 && e.available == 1, "1 missing, 1 available");
		roles[1] = MATCH_ROLE_SECOND;
		is_int(match_assign(&env, seed, 1, targets + 4 * 12, 3, ids, roles, 0, NULL, 0, NULL, m, out, &e, err), 0,
			   "one certified and one uncertified for one target: matched");
		ok((out[0] == 0 && out[1] == 1) || (out[0] == 1 && out[1] == 0), "both are on it");
		pre.target = 0;
		is_int(match_assign(&env, seed, 1, targets + 4 * 12, 3, ids, roles, 0, NULL, 1, &pre, m, out, &e, err), 0,
			   "the certified inspector on it by hand: matched");
		ok(out[0] == MATCH_NONE && out[1] == 1, "the uncertified one takes the other place");
	}
	free(targets);
	free(ids);
	free(out);
	free(out2);
	free(conf);
	return done_testing();
}
