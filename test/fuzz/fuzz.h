/*
 * Shared by the libFuzzer harnesses of src/core. CHECK(cond, ...) aborts (a crash libFuzzer
 * reports and saves) when an invariant does not hold, after printing what was found.
 */
#ifndef SUPERVISE_FUZZ_H
#define SUPERVISE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "invariant failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} \
} while (0)

/* malloc and free in the shape of an allocator callback (draw_env's alloc and release) */
static inline void *
fuzz_alloc(size_t size, void *arg)
{
	void	   *p = malloc(size ? size : 1);

	CHECK(p != NULL, "out of memory");
	(void) arg;
	return p;
}

static inline void
fuzz_release(void *ptr, void *arg)
{
	(void) arg;
	free(ptr);
}

/* A cursor over the fuzz input: reads return 0 bytes once the input is used up. */
typedef struct fuzz_in
{
	const uint8_t *p;
	size_t		left;
} fuzz_in;

static inline uint32_t
fuzz_u8(fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint32_t
fuzz_u16(fuzz_in *in)
{
	uint32_t	v = fuzz_u8(in) << 8;

	return v | fuzz_u8(in);
}

static inline uint32_t
fuzz_u32(fuzz_in *in)
{
	uint32_t	v = fuzz_u16(in) << 16;

	return v | fuzz_u16(in);
}

#endif
