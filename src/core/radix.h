/*
 * radix.h — sorting fixed-size records by a byte-order key (pure C, no allocation).
 */
#ifndef SUPERVISE_RADIX_H
#define SUPERVISE_RADIX_H

#include <stddef.h>

/* the longest key radix_sort sorts; callers check their key length against it at compile time */
#define RADIX_MAX_KEYLEN 16

/*
 * Sorts n records of `size` bytes by their first `keylen` bytes in byte (memcmp) order, stably:
 * an LSD radix sort, one pass per key byte that is not the same in every record. tmp must hold
 * n records too. 1 <= keylen <= size; keylen <= RADIX_MAX_KEYLEN (otherwise nothing is done: check it
 * with a static assertion where the key is defined). O(n * keylen) time, no allocation.
 */
void		radix_sort(void *base, void *tmp, size_t n, size_t size, size_t keylen);

#endif							/* SUPERVISE_RADIX_H */
