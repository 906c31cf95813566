/*
 * radix.h — sorting fixed-size records by a byte-order key (pure C, no allocation).
 */
#ifndef SUPERVISE_RADIX_H
#define SUPERVISE_RADIX_H

#include <stddef.h>

/*
 * Sorts n records of `size` bytes by their first `keylen` bytes in byte (memcmp) order, stably:
 * an LSD radix sort, one pass per key byte that is not the same in every record. tmp must hold
 * n records too. 1 <= keylen <= size; keylen <= 16 (otherwise nothing is done). O(n * keylen) time, no allocation.
 */
void		radix_sort(void *base, void *tmp, size_t n, size_t size, size_t keylen);

#endif							/* SUPERVISE_RADIX_H */
