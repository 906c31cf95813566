/*
 * radix.h — sorting fixed-size records by a byte-order key (pure C, no allocation).
 */
#ifndef SUPERVISE_RADIX_H
#define SUPERVISE_RADIX_H

#include <stddef.h>
#include <stdint.h>

/* the longest key radix_sort sorts; callers check their key length against it at compile time */
#define RADIX_MAX_KEYLEN 16

/*
 * Sorts n records of `size` bytes by their first `keylen` bytes in byte (memcmp) order, stably. A
 * radix sort: split by the most significant varying byte until a part fits in the CPU cache, then
 * one LSD pass per key byte of the part that is not the same in every record. tmp must hold n
 * records too. 1 <= keylen <= size; keylen <= RADIX_MAX_KEYLEN (check it with a static assertion where
 * the key is defined); n <= UINT32_MAX. A call outside these limits is reported by core_misuse()
 * (misuse.h) and does not return; n < 2 is sorted already.
 * O(n * keylen) time, no allocation; at most about 20 KB of stack per key byte.
 */
void		radix_sort(void *base, void *tmp, size_t n, size_t size, size_t keylen);

/* the scratch radix_sort_inplace needs, whatever n */
#define RADIX_INPLACE_SCRATCH (256 * 1024)

/*
 * The same order without a second array: n records of `size` bytes by their first `keylen` bytes
 * in byte order, NOT stably (records with equal keys may change places: for keys that are unique,
 * or records that are equal where the keys are). A large array is split in place by its most
 * significant varying byte (each record swapped straight to its part, as an American flag sort)
 * until a part fits in the CPU cache; a part that fits is sorted by LSD passes through scratch,
 * which holds RADIX_INPLACE_SCRATCH bytes. The same limits as radix_sort, and size <=
 * RADIX_INPLACE_SCRATCH. About 5 KB of stack per key byte. For an array too large to copy.
 */
void		radix_sort_inplace(void *base, size_t n, size_t size, size_t keylen, void *scratch);

#endif							/* SUPERVISE_RADIX_H */
