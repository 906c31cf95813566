/*
 * sha256.c — SHA-256 (FIPS 180-4) with a reusable midstate; see sha256.h.
 * Pure C, no PostgreSQL headers.
 */
#include "sha256.h"
#include "byteorder.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))


void
sha256_compress_portable(uint32_t h[8], const uint8_t *blocks, size_t nblocks)
{
	uint32_t	w[64];

	for (; nblocks > 0; nblocks--, blocks += SHA256_BLOCK_LEN)
	{
		uint32_t	a = h[0], b = h[1], c = h[2], d = h[3];
		uint32_t	e = h[4], f = h[5], g = h[6], hh = h[7];

		for (int t = 0; t < 16; t++)
			w[t] = (uint32_t) be_get(blocks + 4 * t, 4);
		for (int t = 16; t < 64; t++)
		{
			uint32_t	s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
			uint32_t	s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);

			w[t] = w[t - 16] + s0 + w[t - 7] + s1;
		}
		for (int t = 0; t < 64; t++)
		{
			uint32_t	S1 = ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25);
			uint32_t	ch = (e & f) ^ (~e & g);
			uint32_t	t1 = hh + S1 + ch + sha256_k[t] + w[t];
			uint32_t	S0 = ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22);
			uint32_t	maj = (a & b) ^ (a & c) ^ (b & c);
			uint32_t	t2 = S0 + maj;

			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
		h[5] += f;
		h[6] += g;
		h[7] += hh;
	}
}

#ifdef SHA256_HAVE_X86
/* h (A..H) into the two vectors ABEF and CDGH the SHA extensions work on, and back */
__attribute__((target("sha,sse4.1,ssse3")))
static inline void
shani_load(const uint32_t h[8], __m128i *abef, __m128i *cdgh)
{
	__m128i		tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &h[0]), 0xB1);	/* CDAB */
	__m128i		efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &h[4]), 0x1B);

	*abef = _mm_alignr_epi8(tmp, efgh, 8);
	*cdgh = _mm_blend_epi16(efgh, tmp, 0xF0);
}

__attribute__((target("sha,sse4.1,ssse3")))
static inline void
shani_store(uint32_t h[8], __m128i abef, __m128i cdgh)
{
	__m128i		feba = _mm_shuffle_epi32(abef, 0x1B);
	__m128i		dchg = _mm_shuffle_epi32(cdgh, 0xB1);

	_mm_storeu_si128((__m128i *) &h[0], _mm_blend_epi16(feba, dchg, 0xF0));	/* DCBA */
	_mm_storeu_si128((__m128i *) &h[4], _mm_alignr_epi8(dchg, feba, 8));	/* HGFE */
}

/*
 * Group g (0..15) of four rounds of one message: adds four message words w[g & 3] (loaded from
 * block in groups 0-3) to four constants, runs two double rounds on the state s0 = ABEF,
 * s1 = CDGH, and (from group 1 on) prepares the message schedule for later groups with
 * sha256msg1/sha256msg2. msg and tmp are scratch vectors.
 */
#define SHANI_STEP(g, w, s0, s1, block, msg, tmp) do { \
		if ((g) < 4) \
			w[(g) & 3] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) ((block) + 16 * (g))), bswap); \
		msg = _mm_add_epi32(w[(g) & 3], _mm_loadu_si128((const __m128i *) &sha256_k[4 * (g)])); \
		s1 = _mm_sha256rnds2_epu32(s1, s0, msg); \
		if ((g) >= 3 && (g) <= 14) \
		{ \
			tmp = _mm_alignr_epi8(w[(g) & 3], w[((g) - 1) & 3], 4); \
			w[((g) + 1) & 3] = _mm_add_epi32(w[((g) + 1) & 3], tmp); \
			w[((g) + 1) & 3] = _mm_sha256msg2_epu32(w[((g) + 1) & 3], w[(g) & 3]); \
		} \
		msg = _mm_shuffle_epi32(msg, 0x0E); \
		s0 = _mm_sha256rnds2_epu32(s0, s1, msg); \
		if ((g) >= 1 && (g) <= 12) \
			w[((g) - 1) & 3] = _mm_sha256msg1_epu32(w[((g) - 1) & 3], w[(g) & 3]); \
	} while (0)

/* G(0); ... G(15); the 64 rounds */
#define SHANI_64_ROUNDS(G) do { \
		G(0); G(1); G(2); G(3); G(4); G(5); G(6); G(7); \
		G(8); G(9); G(10); G(11); G(12); G(13); G(14); G(15); \
	} while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void
sha256_compress_shani(uint32_t h[8], const uint8_t *blocks, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i		tmp, state0, state1;

	shani_load(h, &state0, &state1);
	for (; nblocks > 0; nblocks--, blocks += SHA256_BLOCK_LEN)
	{
		__m128i		save0 = state0, save1 = state1;
		__m128i		w[4], msg;

#define G(g) SHANI_STEP(g, w, state0, state1, blocks, msg, tmp)
		SHANI_64_ROUNDS(G);
#undef G
		state0 = _mm_add_epi32(state0, save0);
		state1 = _mm_add_epi32(state1, save1);
	}
	shani_store(h, state0, state1);
}

/*
 * One block of each of two independent messages, their groups interleaved: a round's
 * sha256rnds2 waits for the one before it, so a single message leaves the unit idle between
 * them; two fill those gaps (about twice the throughput where the instruction's latency exceeds
 * its issue interval, as on AMD Zen).
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void
sha256_compress2_shani(uint32_t ha[8], const uint8_t *ba, uint32_t hb[8], const uint8_t *bb)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i		a0, a1, wa[4], ma, tmpa;
	__m128i		b0, b1, wb[4], mb, tmpb;
	__m128i		sa0, sa1, sb0, sb1;

	shani_load(ha, &a0, &a1);
	shani_load(hb, &b0, &b1);
	sa0 = a0;
	sa1 = a1;
	sb0 = b0;
	sb1 = b1;
#define G2(g) do { \
		SHANI_STEP(g, wa, a0, a1, ba, ma, tmpa); \
		SHANI_STEP(g, wb, b0, b1, bb, mb, tmpb); \
	} while (0)
	SHANI_64_ROUNDS(G2);
#undef G2
	shani_store(ha, _mm_add_epi32(a0, sa0), _mm_add_epi32(a1, sa1));
	shani_store(hb, _mm_add_epi32(b0, sb0), _mm_add_epi32(b1, sb1));
}

static int
detect_shani(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 19)) || !(c & (1u << 9)))	/* SSE4.1, SSSE3 */
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & (1u << 29)) != 0;	/* SHA */
}
#endif

/* -1 = not yet checked, 0 = portable, 1 = SHA extensions */
static int	sha256_use_hw = -1;
static int	sha256_portable_forced = 0;

int
sha256_hw_available(void)
{
	if (sha256_use_hw < 0)
	{
#ifdef SHA256_HAVE_X86
		sha256_use_hw = detect_shani();
#else
		sha256_use_hw = 0;
#endif
	}
	return sha256_use_hw;
}

void
sha256_force_portable(int on)
{
	sha256_portable_forced = on;
}

int
sha256_compress_hw(uint32_t h[8], const uint8_t *blocks, size_t nblocks)
{
#ifdef SHA256_HAVE_X86
	if (sha256_hw_available())
	{
		sha256_compress_shani(h, blocks, nblocks);
		return 1;
	}
#endif
	return 0;
}

void
sha256_compress(uint32_t h[8], const uint8_t *blocks, size_t nblocks)
{
	if (sha256_portable_forced || !sha256_compress_hw(h, blocks, nblocks))
		sha256_compress_portable(h, blocks, nblocks);
}

void
sha256_init(sha256_ctx *ctx)
{
	memcpy(ctx->h, sha256_iv, sizeof(ctx->h));
	ctx->total = 0;
	ctx->used = 0;
}

void
sha256_update(sha256_ctx *ctx, const void *data, size_t len)
{
	const uint8_t *p = (const uint8_t *) data;

	ctx->total += len;
	if (ctx->used > 0)
	{
		size_t		take = SHA256_BLOCK_LEN - ctx->used;

		if (take > len)
			take = len;
		memcpy(ctx->buf + ctx->used, p, take);
		ctx->used += take;
		p += take;
		len -= take;
		if (ctx->used < SHA256_BLOCK_LEN)
			return;
		sha256_compress(ctx->h, ctx->buf, 1);
		ctx->used = 0;
	}
	if (len >= SHA256_BLOCK_LEN)
	{
		size_t		n = len / SHA256_BLOCK_LEN;

		sha256_compress(ctx->h, p, n);
		p += n * SHA256_BLOCK_LEN;
		len -= n * SHA256_BLOCK_LEN;
	}
	if (len > 0)
	{
		memcpy(ctx->buf, p, len);
		ctx->used = len;
	}
}

void
sha256_final(sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
	uint64_t	bits = ctx->total * 8;
	uint8_t		pad[2 * SHA256_BLOCK_LEN];
	size_t		padlen;

	/* 0x80, zeros, then the 64-bit big-endian bit length, to a multiple of 64 bytes */
	padlen = (ctx->used < 56) ? 56 - ctx->used : 120 - ctx->used;
	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	be_put(pad + padlen, bits, 8);
	{
		uint64_t	total = ctx->total;	/* the padding does not count */

		sha256_update(ctx, pad, padlen + 8);
		ctx->total = total;
	}
	for (int i = 0; i < 8; i++)
		be_put(out + 4 * i, ctx->h[i], 4);
}

void
sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
	sha256_ctx	ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, data, len);
	sha256_final(&ctx, out);
}

/* the one block that finishes a midstate with msg (len <= 55) */
static void
tail_block(const sha256_ctx *mid, const void *msg, size_t len, uint8_t block[SHA256_BLOCK_LEN])
{
	uint64_t	bits = (mid->total + len) * 8;

	memcpy(block, msg, len);
	block[len] = 0x80;
	memset(block + len + 1, 0, 56 - len - 1);
	be_put(block + 56, bits, 8);
}

void
sha256_tail(const sha256_ctx *mid, const void *msg, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
	uint8_t		block[SHA256_BLOCK_LEN];
	uint32_t	h[8];

	/* callers guarantee len <= 55 and a block-aligned midstate */
	tail_block(mid, msg, len, block);
	memcpy(h, mid->h, sizeof(h));
	sha256_compress(h, block, 1);
	for (int i = 0; i < 8; i++)
		be_put(out + 4 * i, h[i], 4);
}

void
sha256_tail2(const sha256_ctx *mid, const void *msg_a, size_t len_a, uint8_t out_a[SHA256_DIGEST_LEN],
			 const void *msg_b, size_t len_b, uint8_t out_b[SHA256_DIGEST_LEN])
{
#ifdef SHA256_HAVE_X86
	if (!sha256_portable_forced && sha256_hw_available())
	{
		uint8_t		block_a[SHA256_BLOCK_LEN],
					block_b[SHA256_BLOCK_LEN];
		uint32_t	ha[8],
					hb[8];

		tail_block(mid, msg_a, len_a, block_a);
		tail_block(mid, msg_b, len_b, block_b);
		memcpy(ha, mid->h, sizeof(ha));
		memcpy(hb, mid->h, sizeof(hb));
		sha256_compress2_shani(ha, block_a, hb, block_b);
		for (int i = 0; i < 8; i++)
		{
			be_put(out_a + 4 * i, ha[i], 4);
			be_put(out_b + 4 * i, hb[i], 4);
		}
		return;
	}
#endif
	sha256_tail(mid, msg_a, len_a, out_a);
	sha256_tail(mid, msg_b, len_b, out_b);
}
