/*
 * uscc.c — parsing, checking and packing unified social credit codes (GB 32100-2015).
 * Pure C: no PostgreSQL headers. See uscc.h for the layout.
 */
#include "uscc.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* value of an upper-case character in the GB 32100 set, or -1 */
static int
uscc_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	switch (c)
	{
		case 'A': return 10;
		case 'B': return 11;
		case 'C': return 12;
		case 'D': return 13;
		case 'E': return 14;
		case 'F': return 15;
		case 'G': return 16;
		case 'H': return 17;
		case 'J': return 18;
		case 'K': return 19;
		case 'L': return 20;
		case 'M': return 21;
		case 'N': return 22;
		case 'P': return 23;
		case 'Q': return 24;
		case 'R': return 25;
		case 'T': return 26;
		case 'U': return 27;
		case 'W': return 28;
		case 'X': return 29;
		case 'Y': return 30;
		default: return -1;
	}
}

/*
 * Categories allowed under each registration authority (GB 32100-2015 table 1 and its
 * amendments): 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会,
 * 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他.
 */
static const char *
uscc_categories(char authority)
{
	switch (authority)
	{
		case '1': return "1239";
		case '2': return "19";
		case '3': return "123459";
		case '4': return "19";
		case '5': return "1239";
		case '6': return "129";
		case '7': return "129";
		case '8': return "19";
		case '9': return "123";
		case 'A': return "19";
		case 'N': return "1239";
		case 'Y': return "1";
		default: return NULL;
	}
}

char
uscc_check_char(const char code[17])
{
	int			sum = 0;
	int			weight = 1;		/* 3^(i-1) mod 31 */

	for (int i = 0; i < 17; i++)
	{
		sum += uscc_value(code[i]) * weight;
		weight = (weight * 3) % 31;
	}
	return uscc_alphabet[(31 - sum % 31) % 31];
}

static uscc_status
uscc_fail(uscc_error *err, uscc_status status, int position, char found, char expected)
{
	if (err)
	{
		err->status = status;
		err->position = position;
		err->found = found;
		err->expected = expected;
	}
	return status;
}

uscc_status
uscc_parse(const char *s, size_t len, char out[USCC_LEN], uscc_error *err)
{
	char		code[USCC_LEN];
	const char *categories;
	char		check;

	if (err)
	{
		memset(err, 0, sizeof(*err));
		err->length = len;
	}
	if (len != USCC_LEN)
	{
		/* count characters, not bytes, of UTF-8 input; 18 characters with a multibyte one is a
		 * character error at that character's position. A stray continuation byte (possible in a
		 * SQL_ASCII database) counts as part of the character it trails (or as the first). */
		size_t		chars = 0;
		int			first_wide = 0;

		for (size_t i = 0; i < len; i++)
		{
			unsigned char u = (unsigned char) s[i];

			if ((u & 0xC0) != 0x80)
				chars++;
			if (u >= 0x80 && first_wide == 0)
				first_wide = chars > 0 ? (int) chars : 1;
		}
		if (err)
			err->length = chars;
		if (chars == USCC_LEN && first_wide > 0)
			return uscc_fail(err, USCC_BAD_CHARACTER, first_wide, (char) 0x80, 0);
		return uscc_fail(err, USCC_BAD_LENGTH, 0, 0, 0);
	}

	for (int i = 0; i < USCC_LEN; i++)
	{
		char		c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		if (uscc_value(c) < 0)
			return uscc_fail(err, USCC_BAD_CHARACTER, i + 1, s[i], 0);
		code[i] = c;
	}
	for (int i = 2; i < 8; i++)
		if (code[i] < '0' || code[i] > '9')
			return uscc_fail(err, USCC_BAD_REGION, i + 1, code[i], 0);

	categories = uscc_categories(code[0]);
	if (categories == NULL)
		return uscc_fail(err, USCC_BAD_AUTHORITY, 1, code[0], 0);
	if (strchr(categories, code[1]) == NULL)
		return uscc_fail(err, USCC_BAD_CATEGORY, 2, code[1], code[0]);

	check = uscc_check_char(code);
	if (code[17] != check)
		return uscc_fail(err, USCC_BAD_CHECK, 18, code[17], check);

	if (out)
		memcpy(out, code, USCC_LEN);
	return USCC_OK;
}

const char *
uscc_status_name(uscc_status status)
{
	switch (status)
	{
		case USCC_OK: return "ok";
		case USCC_BAD_LENGTH: return "length";
		case USCC_BAD_CHARACTER: return "character";
		case USCC_BAD_REGION: return "region";
		case USCC_BAD_AUTHORITY: return "authority";
		case USCC_BAD_CATEGORY: return "category";
		case USCC_BAD_CHECK: return "check";
	}
	return "unknown";
}

/* the language of a description: English, or the installed translator's (i18n.h) */
static const char *
english(const char *msgid)
{
	return msgid;
}

/* printable form of an offending ASCII character (a non-ASCII one has its own message) */
static void
uscc_char_repr(char c, char *buf, size_t size, const char *(*text) (const char *))
{
	unsigned char u = (unsigned char) c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, size, "\"%c\"", c);
	else
		snprintf(buf, size, text(N_("byte 0x%02X")), u);
}

static void
describe(const uscc_error *err, char *buf, size_t bufsize, const char *(*text) (const char *))
{
	char		found[32];

	uscc_char_repr(err->found, found, sizeof(found), text);
	switch (err->status)
	{
		case USCC_OK:
			snprintf(buf, bufsize, "%s", text(N_("the code is valid")));
			break;
		case USCC_BAD_LENGTH:
			snprintf(buf, bufsize, text(N_("it has %zu characters, not 18")), err->length);
			break;
		case USCC_BAD_CHARACTER:
			if ((unsigned char) err->found >= 0x80)	/* only a character error has one */
				snprintf(buf, bufsize,
						 text(N_("a non-ASCII character at position %d is not allowed (use 0-9 and A-Z except I, O, S, V, Z)")),
						 err->position);
			else
				snprintf(buf, bufsize,
						 text(N_("character %s at position %d is not allowed (use 0-9 and A-Z except I, O, S, V, Z)")),
						 found, err->position);
			break;
		case USCC_BAD_REGION:
			snprintf(buf, bufsize,
					 text(N_("the region code (positions 3-8) has the non-digit %s at position %d")),
					 found, err->position);
			break;
		case USCC_BAD_AUTHORITY:
			snprintf(buf, bufsize,
					 text(N_("the registration authority code %s (position 1) is not defined")), found);
			break;
		case USCC_BAD_CATEGORY:
			snprintf(buf, bufsize,
					 text(N_("the category code %s (position 2) is not defined under registration authority \"%c\"")),
					 found, err->expected);
			break;
		case USCC_BAD_CHECK:
			snprintf(buf, bufsize,
					 text(N_("the check character is %s, should be \"%c\"")), found, err->expected);
			break;
	}
}

void
uscc_describe(const uscc_error *err, char *buf, size_t bufsize)
{
	describe(err, buf, bufsize, english);
}

void
uscc_describe_translated(const uscc_error *err, char *buf, size_t bufsize)
{
	describe(err, buf, bufsize, core_text);
}

/*
 * Packing: positions 1-8 as a base-31 number (< 31^8 < 2^40) in bytes 0-5, positions 9-17 as a
 * base-31 number (< 31^9 < 2^48) in bytes 6-11, both big-endian; the check character is derived.
 * Both halves are fixed-width and the symbol values follow ASCII order, so memcmp of the packed
 * form orders codes exactly as their text.
 */
static uint64_t
uscc_pack_part(const char *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = v * 31 + (uint64_t) uscc_value(p[i]);
	return v;
}

void
uscc_pack(const char code[USCC_LEN], uint8_t packed[USCC_PACKED_LEN])
{
	uscc_put48(packed, uscc_pack_part(code, 8));
	uscc_put48(packed + 6, uscc_pack_part(code + 8, 9));
}

/*
 * Unpacking runs once per row of a draw (the row's text is what is hashed), so it works on pairs
 * of base-31 digits: a table of the 961 pairs gives their two characters and values.
 */
typedef struct uscc_digit_pair
{
	char		text[2];
	uint8_t		hi,
				lo;
} uscc_digit_pair;

static uscc_digit_pair uscc_pairs[31 * 31];
static int	uscc_pairs_ready = 0;	/* a backend is single-threaded; filling twice is harmless */

/* weight of position i in the check sum: 3^i mod 31 */
static const uint8_t uscc_check_weight[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

static void
uscc_pairs_fill(void)
{
	for (int i = 0; i < 31 * 31; i++)
	{
		uscc_pairs[i].text[0] = uscc_alphabet[i / 31];
		uscc_pairs[i].text[1] = uscc_alphabet[i % 31];
		uscc_pairs[i].hi = (uint8_t) (i / 31);
		uscc_pairs[i].lo = (uint8_t) (i % 31);
	}
	uscc_pairs_ready = 1;
}

/* four digits of x (< 31^4) into out[0..4); returns their share of the check sum from position pos */
static inline uint32_t
uscc_four_digits(uint32_t x, char *out, int pos)
{
	const uscc_digit_pair *h = &uscc_pairs[x / 961],
			   *l = &uscc_pairs[x % 961];

	memcpy(out, h->text, 2);
	memcpy(out + 2, l->text, 2);
	return h->hi * uscc_check_weight[pos] + h->lo * uscc_check_weight[pos + 1] +
		l->hi * uscc_check_weight[pos + 2] + l->lo * uscc_check_weight[pos + 3];
}

#define USCC_POW31_4 923521u
#define USCC_POW31_5 28629151u

int
uscc_packed_in_range(const uint8_t packed[USCC_PACKED_LEN])
{
	return uscc_get48(packed) < USCC_HI_LIMIT && uscc_get48(packed + 6) < USCC_LO_LIMIT;
}

int
uscc_unpack_text_run(const uint8_t packed[USCC_PACKED_LEN], char out[USCC_LEN], uscc_text_run *run)
{
	uint64_t	a = uscc_get48(packed),
				b = uscc_get48(packed + 6);
	uint32_t	b5,
				last,
				sum;

	if (a >= USCC_HI_LIMIT || b >= USCC_LO_LIMIT)
		return -1;
	if (!uscc_pairs_ready)
		uscc_pairs_fill();
	if (!run->valid || run->h != a)
	{
		run->sum = uscc_four_digits((uint32_t) (a / USCC_POW31_4), run->text, 0) +
			uscc_four_digits((uint32_t) (a % USCC_POW31_4), run->text + 4, 4);
		run->h = a;
		run->valid = 1;
	}
	memcpy(out, run->text, 8);
	b5 = (uint32_t) (b % USCC_POW31_5);
	last = b5 % 31;
	sum = run->sum +
		uscc_four_digits((uint32_t) (b / USCC_POW31_5), out + 8, 8) +
		uscc_four_digits(b5 / 31, out + 12, 12) +
		last * uscc_check_weight[16];
	out[16] = uscc_alphabet[last];
	out[17] = uscc_alphabet[(31 - sum % 31) % 31];
	return 0;
}

int
uscc_unpack_text(const uint8_t packed[USCC_PACKED_LEN], char out[USCC_LEN])
{
	uscc_text_run run = {0};

	return uscc_unpack_text_run(packed, out, &run);
}

int
uscc_unpack(const uint8_t packed[USCC_PACKED_LEN], char out[USCC_LEN])
{
	char		code[USCC_LEN];

	if (uscc_unpack_text(packed, code) != 0)
		return -1;
	/* the region digits and authority/category pair must hold as well */
	if (uscc_parse(code, USCC_LEN, out, NULL) != USCC_OK)
		return -1;
	return 0;
}

int
uscc_packed_is_valid(const uint8_t packed[USCC_PACKED_LEN])
{
	char		code[USCC_LEN];

	return uscc_unpack(packed, code) == 0;
}

static char uscc_org_check(const char body[8]);

int
uscc_org_code_ok(const char code[USCC_LEN], char *expected)
{
	char		want = uscc_org_check(code + 8);

	if (expected)
		*expected = want;
	return code[16] == want;
}

uscc_status
uscc_build(const char authority_category[2], const char region[6], const char org_body[8],
		   char out[USCC_LEN], uscc_error *err)
{
	char		code[USCC_LEN];

	memcpy(code, authority_category, 2);
	memcpy(code + 2, region, 6);
	memcpy(code + 8, org_body, 8);
	for (int i = 0; i < 16; i++)
		if (code[i] >= 'a' && code[i] <= 'z')
			code[i] = (char) (code[i] - 'a' + 'A');
	for (int i = 8; i < 16; i++)
		if (uscc_value(code[i]) < 0)
		{
			if (err)
			{
				memset(err, 0, sizeof(*err));
				err->length = USCC_LEN;
			}
			return uscc_fail(err, USCC_BAD_CHARACTER, i + 1, code[i], 0);
		}
	code[16] = uscc_org_check(code + 8);
	/* the check character is computed only when the rest is valid; validate everything */
	for (int i = 0; i < 17; i++)
		if (uscc_value(code[i]) < 0)
		{
			code[17] = '0';
			return uscc_parse(code, USCC_LEN, out, err);
		}
	code[17] = uscc_check_char(code);
	return uscc_parse(code, USCC_LEN, out, err);
}

/* GB 11714 check character of an 8-character organisation code body */
static char
uscc_org_check(const char body[8])
{
	static const int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
	int			sum = 0;
	int			c;

	for (int i = 0; i < 8; i++)
	{
		char		ch = body[i];
		int			v;

		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else
			v = ch - 'A' + 10;	/* GB 11714 maps A..Z to 10..35 */
		sum += v * weights[i];
	}
	c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char) ('0' + c);
}
