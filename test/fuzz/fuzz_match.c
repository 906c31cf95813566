/*
 * libFuzzer harness of src/core/match.c (inspectors matched to targets). The input gives m, the
 * numbers of targets and inspectors, each inspector's certificate (match_role over a certified
 * flag, a qualified_until around the first day and the department's allow_uncertified_second),
 * conflicts and hand-made assignments; the seed is the SHA-256 of the whole input.
 *
 * When the matching succeeds, for every target:
 *   the first `have` places (its hand-made assignments) are MATCH_NONE, the others an inspector;
 *   its inspectors are distinct, of a role other than MATCH_ROLE_NONE (never a lapsed certificate),
 *   never in conflict with it and never one on it by hand;
 *   with a place filled by the matching, one of its inspectors (by hand or matched) is certified.
 * When it fails at a target, that target really cannot be filled: fewer inspectors that may take
 * it than places, or no certified one among them while it has none. The same input gives the
 * same matching.
 */
#include "fuzz.h"
#include "match.h"

#define MAX_T 48
#define MAX_I 24
#define MAX_M 5
#define MAX_PAIRS 64

static void
target_code(uint32_t t, uint8_t packed[USCC_PACKED_LEN])
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char		code[USCC_LEN];
	uint32_t	x = t * 2654435761u + 12345;

	memcpy(code, "91350203MA", 10);
	for (int i = 10; i < 17; i++)
	{
		code[i] = alpha[x % 31];
		x /= 31;
		x += t * 7 + (uint32_t) i;
	}
	code[17] = uscc_check_char(code);
	uscc_pack(code, packed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_in		in = {data, size};
	static uint8_t targets[MAX_T * USCC_PACKED_LEN];
	static int64_t ids[MAX_I];
	static uint8_t roles[MAX_I];
	static match_pair conf[MAX_PAIRS],
				pre[MAX_PAIRS];
	static uint32_t out[MAX_T * MAX_M],
				out2[MAX_T * MAX_M];
	static uint8_t excluded[MAX_T][MAX_I],
				by_hand[MAX_T][MAX_I];
	uint8_t		seed[DRAW_SEED_LEN];
	draw_env	env = {fuzz_alloc, fuzz_release, NULL, NULL};
	match_error e,
				e2;
	char		err[DRAW_ERRLEN];
	uint32_t	m = 1 + fuzz_u8(&in) % MAX_M;
	uint32_t	nt = 1 + fuzz_u8(&in) % MAX_T;
	uint32_t	ni = fuzz_u8(&in) % (MAX_I + 1);
	int			allow = (int) (fuzz_u8(&in) & 1);
	uint32_t	nconf,
				npre = 0;
	int			rc,
				rc2;

	draw_seed_from((const char *) data, size, seed);
	memset(excluded, 0, sizeof(excluded));
	memset(by_hand, 0, sizeof(by_hand));
	for (uint32_t t = 0; t < nt; t++)
		target_code(t, targets + (size_t) t * USCC_PACKED_LEN);
	for (uint32_t i = 0; i < ni; i++)
	{
		uint32_t	b = fuzz_u8(&in);

		ids[i] = 1000 + 3 * (int64_t) i;
		/* bit 0: certified; bits 1-2: no end, the first day, the day before, long ago */
		roles[i] = (uint8_t) match_role((int) (b & 1),
										(b >> 1) % 4 == 0 ? MATCH_NO_END : (b >> 1) % 4 == 1 ? 100 : (b >> 1) % 4 == 2 ? 99 : INT32_MIN,
										100, allow);
	}
	nconf = ni ? fuzz_u8(&in) % (MAX_PAIRS + 1) : 0;
	for (uint32_t c = 0; c < nconf; c++)
	{
		conf[c].target = fuzz_u8(&in) % nt;
		conf[c].inspector = fuzz_u8(&in) % ni;
		excluded[conf[c].target][conf[c].inspector] = 1;
	}
	/* hand-made assignments: distinct pairs, never a conflict, at most m per target */
	if (ni)
	{
		uint32_t	want = fuzz_u8(&in) % 16;
		uint32_t	have[MAX_T] = {0};

		for (uint32_t k = 0; k < want && npre < MAX_PAIRS; k++)
		{
			uint32_t	t = fuzz_u8(&in) % nt,
						i = fuzz_u8(&in) % ni;

			if (excluded[t][i] || by_hand[t][i] || have[t] >= m)
				continue;
			pre[npre].target = t;
			pre[npre].inspector = i;
			npre++;
			by_hand[t][i] = 1;
			have[t]++;
		}
	}

	rc = match_assign(&env, seed, nt, targets, ni, ids, roles, nconf, conf, npre, pre, m, out, &e, err);
	rc2 = match_assign(&env, seed, nt, targets, ni, ids, roles, nconf, conf, npre, pre, m, out2, &e2, err);
	CHECK(rc == rc2 && (rc != 0 || memcmp(out, out2, (size_t) nt * m * sizeof(uint32_t)) == 0),
		  "the same input gave another matching");

	if (rc != 0)
	{
		CHECK(e.missing >= 1, "a refusal says what is missing: %s", err);
		if (e.target != MATCH_NONE)
		{
			uint32_t	t = e.target,
						have = 0,
						free_places = 0,
						certified = 0,
						certified_by_hand = 0;

			CHECK(t < nt, "target %u out of range", t);
			for (uint32_t i = 0; i < ni; i++)
			{
				have += by_hand[t][i];
				certified_by_hand |= by_hand[t][i] && roles[i] == MATCH_ROLE_ANY;
				if (!by_hand[t][i] && !excluded[t][i] && roles[i] != MATCH_ROLE_NONE)
				{
					free_places++;
					certified += roles[i] == MATCH_ROLE_ANY;
				}
			}
			CHECK(have < m && (free_places < m - have || (!certified_by_hand && certified == 0)),
				  "target %u was refused though it can be filled: %u by hand, %u free, %u certified, m %u: %s",
				  t, have, free_places, certified, m, err);
		}
		return 0;
	}

	for (uint32_t t = 0; t < nt; t++)
	{
		uint32_t	have = 0;
		int			certified = 0,
					matched = 0;

		for (uint32_t i = 0; i < ni; i++)
		{
			have += by_hand[t][i];
			certified |= by_hand[t][i] && roles[i] == MATCH_ROLE_ANY;
		}
		for (uint32_t s = 0; s < m; s++)
		{
			uint32_t	ix = out[t * m + s];

			if (s < have)
			{
				CHECK(ix == MATCH_NONE, "target %u place %u is a hand-made one but holds %u", t, s, ix);
				continue;
			}
			CHECK(ix < ni, "target %u place %u is empty", t, s);
			CHECK(roles[ix] != MATCH_ROLE_NONE, "target %u got inspector %u, who may not be matched", t, ix);
			CHECK(!excluded[t][ix], "target %u got inspector %u, in conflict with it", t, ix);
			CHECK(!by_hand[t][ix], "target %u got inspector %u, already on it by hand", t, ix);
			for (uint32_t s2 = have; s2 < s; s2++)
				CHECK(out[t * m + s2] != ix, "target %u got inspector %u twice", t, ix);
			certified |= roles[ix] == MATCH_ROLE_ANY;
			matched = 1;
		}
		CHECK(!matched || certified, "target %u has no certified inspector", t);
	}
	return 0;
}
