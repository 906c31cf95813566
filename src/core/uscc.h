/*
 * uscc.h — the unified social credit code (统一社会信用代码, GB 32100-2015), pure C.
 *
 * Layout of the 18 characters:
 *   1      registration authority (登记管理部门码)     1-9, A, N, Y
 *   2      category under that authority (机构类别码)
 *   3-8    region code of the registering authority (登记管理机关行政区划码), 6 digits
 *   9-17   organisation code (组织机构代码, GB 11714: 8 body characters + its own check)
 *   18     check character over positions 1-17 (weights 3^(i-1) mod 31)
 * Characters: 0-9 and A-Z without I O S V Z (31 symbols, values 0..30 in that order).
 *
 * A valid code packs into USCC_PACKED_LEN bytes whose memcmp order is the order of the code
 * text, so btree order on the packed form equals text order.
 */
#ifndef SUPERVISE_USCC_H
#define SUPERVISE_USCC_H

#include <stddef.h>
#include <stdint.h>

#include "byteorder.h"

#define USCC_LEN 18
#define USCC_PACKED_LEN 12

typedef enum uscc_status
{
	USCC_OK = 0,
	USCC_BAD_LENGTH,			/* not 18 characters */
	USCC_BAD_CHARACTER,			/* a character outside the GB 32100 set */
	USCC_BAD_REGION,			/* positions 3-8 are not all digits */
	USCC_BAD_AUTHORITY,			/* unknown registration authority code */
	USCC_BAD_CATEGORY,			/* category not defined under the authority */
	USCC_BAD_CHECK				/* wrong check character */
} uscc_status;

typedef struct uscc_error
{
	uscc_status status;
	size_t		length;			/* input length (for USCC_BAD_LENGTH) */
	int			position;		/* 1-based position of the offending character, or 0 */
	char		found;			/* the offending character */
	char		expected;		/* USCC_BAD_CHECK: the expected check character;
								 * USCC_BAD_CATEGORY: the authority code */
} uscc_error;

/*
 * Validates s[0..len) and, when valid, writes the upper-cased code to out[0..18) (no NUL).
 * Lower-case letters are accepted. Never reads past len. Returns the status; *err (if not NULL)
 * receives the details.
 */
uscc_status uscc_parse(const char *s, size_t len, char out[USCC_LEN], uscc_error *err);

/* Writes a NUL-terminated English description of err to buf (at most bufsize bytes). */
void		uscc_describe(const uscc_error *err, char *buf, size_t bufsize);

/* The same in the language of the installed translator (i18n.h): for an error message. */
void		uscc_describe_translated(const uscc_error *err, char *buf, size_t bufsize);

/* Short machine-readable reason: "length", "character", "region", "authority", "category", "check". */
const char *uscc_status_name(uscc_status status);

/* The check character for the 17 characters code[0..17) (all must be in the set). */
char		uscc_check_char(const char code[17]);

/* Pack a valid, upper-case code into 12 bytes; unpack back into 18 characters. */
void		uscc_pack(const char code[USCC_LEN], uint8_t packed[USCC_PACKED_LEN]);

/* Returns 0 if packed holds a valid code (written to out), -1 if the bytes are not a valid code. */
int			uscc_unpack(const uint8_t packed[USCC_PACKED_LEN], char out[USCC_LEN]);

/*
 * The two parts of a packing, big-endian 48-bit integers: characters 1-8 and 9-17 read as base-31
 * numbers (the check character is left out). In range: below USCC_HI_LIMIT and USCC_LO_LIMIT.
 */
#define USCC_HI_LIMIT UINT64_C(852891037441)	/* 31^8 */
#define USCC_LO_LIMIT UINT64_C(26439622160671)	/* 31^9 */

static inline uint64_t
uscc_get48(const uint8_t *p)
{
	return be_get(p, 6);
}

static inline void
uscc_put48(uint8_t *p, uint64_t v)
{
	be_put(p, v, 6);
}

/* Whether both 48-bit parts of packed are in the packing range (8 and 9 base-31 digits). */
int			uscc_packed_in_range(const uint8_t packed[USCC_PACKED_LEN]);

/*
 * Whether packed is the packing of a valid code: both parts in range, and characters 1-8 an
 * authority and category pair and a region that uscc_parse accepts. (Characters 9-17 are any
 * base-31 digits, each a character of the set, and the check character is computed, so the
 * validity of an in-range packing depends on its first part alone.)
 */
int			uscc_packed_is_valid(const uint8_t packed[USCC_PACKED_LEN]);

/*
 * The 18 characters of a packed code, checking only that both parts are in the packing range
 * (-1 if not); the region and category are not checked. For codes known to be valid (a draw's
 * rows), without the parsing uscc_unpack does after it.
 */
int			uscc_unpack_text(const uint8_t packed[USCC_PACKED_LEN], char out[USCC_LEN]);

/*
 * The same for codes read in order, where many share their first 8 characters (the part h): the
 * text of h and its share of the check sum are kept in *run and reused while h stays the same.
 * Start with a zeroed run.
 */
typedef struct uscc_text_run
{
	int			valid;
	uint32_t	sum;
	uint64_t	h;
	char		text[8];
} uscc_text_run;

int			uscc_unpack_text_run(const uint8_t packed[USCC_PACKED_LEN], char out[USCC_LEN], uscc_text_run *run);

/*
 * GB 11714 check of the organisation code embedded at positions 9-17: weights 3 7 9 10 5 8 4 2
 * over positions 9-16 (digits 0-9, letters A=10 .. Z=35), C = 11 - sum mod 11, 10 -> 'X',
 * 11 -> '0'. Returns 1 when position 17 equals the computed check, 0 otherwise;
 * *expected receives the computed check character.
 */
int			uscc_org_code_ok(const char code[USCC_LEN], char *expected);

/*
 * Builds a code from its parts: authority+category (2 chars), region (6 digits) and the 8 body
 * characters of the organisation code; appends the GB 11714 check to the organisation code and
 * the GB 32100 check character. Returns the status of the result (USCC_OK, or why the parts do
 * not make a valid code; the body must use the GB 32100 character set).
 */
uscc_status uscc_build(const char authority_category[2], const char region[6], const char org_body[8],
					   char out[USCC_LEN], uscc_error *err);

#endif							/* SUPERVISE_USCC_H */
