/*
 * Unit tests of src/core/sha256.c: FIPS 180-4 examples, every message length 0..300 and random
 * chunking against OpenSSL, the portable and hardware compression functions against each other,
 * and the midstate tail against a full hash.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sha256.h"
#include "tap.h"

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void
openssl_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

/* deterministic filler, so failures are reproducible */
static uint32_t rng_state = 12345;
static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void
test_fips_vectors(void)
{
	static const struct
	{
		const char *msg;
		const char *want;
	}			v[] = {
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	};
	char		got[65];
	uint8_t		d[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
	{
		sha256(v[i].msg, strlen(v[i].msg), d);
		hex(d, 32, got);
		is_str(got, v[i].want, "FIPS 180-4 example %zu (%zu bytes)", i + 1, strlen(v[i].msg));
	}

	/* one million 'a' (FIPS 180-2 appendix B.3), fed in uneven pieces */
	{
		sha256_ctx	ctx;
		char		buf[1000];
		size_t		left = 1000000;

		memset(buf, 'a', sizeof(buf));
		sha256_init(&ctx);
		while (left > 0)
		{
			size_t		n = 1 + rng() % 999;

			if (n > left)
				n = left;
			sha256_update(&ctx, buf, n);
			left -= n;
		}
		sha256_final(&ctx, d);
		hex(d, 32, got);
		is_str(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
			   "one million 'a' in random pieces");
	}
}

static void
test_against_openssl(void)
{
	uint8_t		msg[300];
	int			bad_len = -1,
				bad_chunk = -1;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t) rng();
	for (size_t len = 0; len <= sizeof(msg); len++)
	{
		uint8_t		a[32], b[32];

		sha256(msg, len, a);
		openssl_sha256(msg, len, b);
		if (memcmp(a, b, 32) != 0 && bad_len < 0)
			bad_len = (int) len;

		/* the same message in random chunks */
		{
			sha256_ctx	ctx;
			size_t		off = 0;

			sha256_init(&ctx);
			while (off < len)
			{
				size_t		n = rng() % 70;

				if (n > len - off)
					n = len - off;
				sha256_update(&ctx, msg + off, n);
				off += n;
			}
			sha256_final(&ctx, a);
			if (memcmp(a, b, 32) != 0 && bad_chunk < 0)
				bad_chunk = (int) len;
		}
	}
	is_int(bad_len, -1, "every length 0..300 agrees with OpenSSL (first bad length shown)");
	is_int(bad_chunk, -1, "random chunking agrees with OpenSSL (first bad length shown)");
}

static void
test_hw_vs_portable(void)
{
	uint8_t		blocks[64 * 17];
	int			same = 1;

	if (!sha256_hw_available())
	{
		ok(1, "# SKIP no SHA extensions on this CPU");
		return;
	}
	for (int round = 0; round < 2000 && same; round++)
	{
		uint32_t	h1[8], h2[8];
		size_t		n = 1 + rng() % 17;

		for (size_t i = 0; i < 64 * n; i++)
			blocks[i] = (uint8_t) rng();
		for (int i = 0; i < 8; i++)
			h1[i] = h2[i] = rng() ^ (rng() << 16);
		sha256_compress_portable(h1, blocks, n);
		sha256_compress_hw(h2, blocks, n);
		same = memcmp(h1, h2, sizeof(h1)) == 0;
	}
	ok(same, "SHA-extension compression equals the portable one on 2000 random states and block runs");

	/* and the whole hash with the portable path forced */
	{
		uint8_t		a[32], b[32];

		sha256(blocks, 1000, a);
		sha256_force_portable(1);
		sha256(blocks, 1000, b);
		sha256_force_portable(0);
		ok(memcmp(a, b, 32) == 0, "forced portable path gives the same digest");
	}
}

static void
test_tail(void)
{
	uint8_t		prefix[128], msg[56];
	int			bad = -1;

	for (size_t i = 0; i < sizeof(prefix); i++)
		prefix[i] = (uint8_t) rng();
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t) rng();
	for (size_t blocks = 1; blocks <= 2; blocks++)
		for (size_t len = 0; len <= 55; len++)
		{
			sha256_ctx	mid;
			uint8_t		full[200], a[32], b[32];

			sha256_init(&mid);
			sha256_update(&mid, prefix, 64 * blocks);
			sha256_tail(&mid, msg, len, a);
			memcpy(full, prefix, 64 * blocks);
			memcpy(full + 64 * blocks, msg, len);
			openssl_sha256(full, 64 * blocks + len, b);
			if (memcmp(a, b, 32) != 0 && bad < 0)
				bad = (int) len;
		}
	is_int(bad, -1, "midstate tail of 0..55 bytes after 1 and 2 blocks equals a full hash");
}

/* two tails at once equal two single tails: every pair of lengths, random messages and midstates */
static void
test_tail2(void)
{
	int			same = 1;

	for (int forced = 0; forced <= 1; forced++)
	{
		sha256_force_portable(forced);
		for (size_t la = 0; la <= 55 && same; la++)
			for (size_t lb = 0; lb <= 55 && same; lb += 1 + (la % 3))
			{
				sha256_ctx	mid;
				uint8_t		prefix[64], ma[56], mb[56], a1[32], b1[32], a2[32], b2[32];

				for (size_t i = 0; i < sizeof(prefix); i++)
					prefix[i] = (uint8_t) rng();
				for (size_t i = 0; i < sizeof(ma); i++)
					ma[i] = (uint8_t) rng(), mb[i] = (uint8_t) rng();
				sha256_init(&mid);
				sha256_update(&mid, prefix, 64);
				sha256_tail(&mid, ma, la, a1);
				sha256_tail(&mid, mb, lb, b1);
				sha256_tail2(&mid, ma, la, a2, mb, lb, b2);
				same = memcmp(a1, a2, 32) == 0 && memcmp(b1, b2, 32) == 0;
			}
	}
	sha256_force_portable(0);
	ok(same, "sha256_tail2 equals two sha256_tail for every pair of lengths 0..55 (%s)",
	   sha256_hw_available() ? "SHA extensions, then portable" : "portable");
}

int
main(void)
{
	printf("# SHA extensions %s\n", sha256_hw_available() ? "in use" : "not available");
	test_fips_vectors();
	test_against_openssl();
	test_hw_vs_portable();
	test_tail();
	test_tail2();
	return done_testing();
}
