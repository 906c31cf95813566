/*
 * sha256.h — SHA-256 (FIPS 180-4), pure C, with a reusable midstate.
 *
 * The draw algorithm (draw.h) hashes one 64-byte block made from the seed once, then hashes
 * millions of short ids after it. sha256_ctx is a plain struct: a context that has absorbed
 * whole blocks can be copied and finished many times (the "midstate"). sha256_tail() finishes
 * such a midstate for a short message in one compression.
 *
 * The compression function uses the x86 SHA extensions when the CPU has them (checked once at
 * run time) and a portable implementation otherwise; both are tested against each other, the
 * FIPS 180-4 examples and OpenSSL (test/core/test_sha256.c).
 */
#ifndef SUPERVISE_SHA256_H
#define SUPERVISE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64

typedef struct sha256_ctx
{
	uint32_t	h[8];			/* chaining state */
	uint64_t	total;			/* bytes absorbed so far */
	uint8_t		buf[SHA256_BLOCK_LEN];
	size_t		used;			/* bytes waiting in buf */
} sha256_ctx;

void		sha256_init(sha256_ctx *ctx);
void		sha256_update(sha256_ctx *ctx, const void *data, size_t len);
void		sha256_final(sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
void		sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

/*
 * Finishes a copy of a midstate that has absorbed exactly mid->total bytes (a multiple of 64,
 * mid->used == 0) with a message of len <= 55 bytes: one compression. mid is not changed.
 */
void		sha256_tail(const sha256_ctx *mid, const void *msg, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* Two sha256_tail of the same midstate at once (interleaved with the SHA extensions). */
void		sha256_tail2(const sha256_ctx *mid, const void *msg_a, size_t len_a, uint8_t out_a[SHA256_DIGEST_LEN],
						 const void *msg_b, size_t len_b, uint8_t out_b[SHA256_DIGEST_LEN]);

/* The compression function on nblocks consecutive 64-byte blocks (dispatching). */
void		sha256_compress(uint32_t h[8], const uint8_t *blocks, size_t nblocks);
/* The portable compression function, and whether the hardware one is in use (for tests). */
void		sha256_compress_portable(uint32_t h[8], const uint8_t *blocks, size_t nblocks);
int			sha256_compress_hw(uint32_t h[8], const uint8_t *blocks, size_t nblocks);
int			sha256_hw_available(void);
/* Forces the portable path (1) or automatic choice (0); for tests and benchmarks. */
void		sha256_force_portable(int on);

#endif							/* SUPERVISE_SHA256_H */
