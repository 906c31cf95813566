/* Unit tests of src/core/uscc.c: the examples file, error details, packing and its order. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "uscc.h"

static uscc_status
parse_str(const char *s, char out[USCC_LEN], uscc_error *err)
{
	return uscc_parse(s, strlen(s), out, err);
}

/* data/uscc_examples.csv: code,valid,note — every code is judged as the file says */
static void
test_examples_file(void)
{
	FILE	   *f = fopen("data/uscc_examples.csv", "r");
	char		line[1024];
	int			rows = 0;

	ok(f != NULL, "data/uscc_examples.csv opens");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))	/* header */
		return;
	while (fgets(line, sizeof(line), f))
	{
		char	   *code = strtok(line, ",");
		char	   *valid = strtok(NULL, ",");
		char	   *note = strtok(NULL, "\n");
		char		out[USCC_LEN];
		uscc_error	err;
		int			want = valid && strcmp(valid, "true") == 0;
		uscc_status st = parse_str(code, out, &err);

		rows++;
		ok((st == USCC_OK) == want, "%s is %s (%s)", code, want ? "accepted" : "rejected", note ? note : "");
		if (st == USCC_OK)
		{
			char		expected;
			int			org_ok = uscc_org_code_ok(out, &expected);
			int			want_org = note && strstr(note, "organisation-code check fails") == NULL;

			ok(org_ok == want_org, "%s organisation code check is %s", code, want_org ? "ok" : "failed");
		}
	}
	fclose(f);
	ok(rows >= 19, "examples file has %d rows", rows);
}

static void
test_errors(void)
{
	char		out[USCC_LEN];
	uscc_error	err;
	char		msg[256];

	is_int(parse_str("91350100M000100Y4", out, &err), USCC_BAD_LENGTH, "17 characters: length");
	is_int(err.length, 17, "length reported");
	is_int(parse_str("", out, &err), USCC_BAD_LENGTH, "empty: length");

	is_int(parse_str("91350211M00013FA1N", out, &err), USCC_BAD_CHECK, "Fujian pilot code fails the check");
	is_int(err.expected, '3', "Fujian pilot code: expected check character 3");
	uscc_describe(&err, msg, sizeof(msg));
	is_str(msg, "the check character is \"N\", should be \"3\"", "check message");

	is_int(parse_str("91110000600037341N", out, &err), USCC_BAD_CHECK, "wrong check");
	is_int(err.expected, 'L', "expected L");

	is_int(parse_str("9111000060003IOZSV", out, &err), USCC_BAD_CHARACTER, "forbidden letters");
	is_int(err.position, 14, "first forbidden letter at 14");
	is_int(err.found, 'I', "found I");

	is_int(parse_str("91A50100M000100Y42", out, &err), USCC_BAD_REGION, "letter in region");
	is_int(err.position, 3, "region error at position 3");

	is_int(parse_str("99350100M000100Y4A", out, &err), USCC_BAD_CATEGORY, "9 under 9");
	uscc_describe(&err, msg, sizeof(msg));
	is_str(msg, "the category code \"9\" (position 2) is not defined under registration authority \"9\"",
		   "category message names the authority");

	is_int(parse_str("01350100M000100Y4C", out, &err), USCC_BAD_AUTHORITY, "authority 0");

	/* a NUL byte inside the input is a bad character, not an early end */
	is_int(uscc_parse("91350100M000100Y\0" "3", 18, out, &err), USCC_BAD_CHARACTER, "embedded NUL");
	uscc_describe(&err, msg, sizeof(msg));
	ok(strstr(msg, "byte 0x00") != NULL, "NUL described as a byte: %s", msg);

	/* 18 characters, one of them a full-width digit (3 bytes in UTF-8) */
	is_int(parse_str("\xef\xbc\x99" "1350100M000100Y43", out, &err), USCC_BAD_CHARACTER, "full-width digit");
	is_int(err.position, 1, "full-width digit at position 1");
	is_int(parse_str("\xef\xbc\x99" "1350100M000100Y4", out, &err), USCC_BAD_LENGTH, "17 characters with a wide one");
	is_int(err.length, 17, "length counted in characters");
	/*
	 * 19 bytes that count as 18 characters because one is a stray UTF-8 continuation byte (found by
	 * test/fuzz/fuzz_uscc.c; possible in a SQL_ASCII database): a character error at the character
	 * it trails, never "it has 18 characters, not 18"
	 */
	is_int(parse_str("33635376\xa7" "33635376XG", out, &err), USCC_BAD_CHARACTER, "stray continuation byte");
	is_int(err.position, 8, "stray byte reported at the character it trails");
	is_int(parse_str("\x80" "91350100M000100Y43", out, &err), USCC_BAD_CHARACTER, "leading stray byte");
	is_int(err.position, 1, "leading stray byte at position 1");
	uscc_describe(&err, msg, sizeof(msg));
	ok(strstr(msg, "18 characters") == NULL, "no length message: %s", msg);
	is_int(parse_str("91350100m000100y43", out, &err), USCC_OK, "lower case accepted");
	ok(memcmp(out, "91350100M000100Y43", 18) == 0, "lower case stored upper case");
}

/* a random valid code */
static void
random_code(char code[USCC_LEN])
{
	static const char *pairs[] = {"11", "12", "13", "19", "21", "29", "31", "32", "33", "34", "35",
		"39", "41", "49", "51", "52", "53", "59", "61", "62", "69", "71", "72", "79", "81", "89",
	"91", "92", "93", "A1", "A9", "N1", "N2", "N3", "N9", "Y1"};
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	const char *pair = pairs[rand() % (int) (sizeof(pairs) / sizeof(pairs[0]))];

	code[0] = pair[0];
	code[1] = pair[1];
	for (int i = 2; i < 8; i++)
		code[i] = (char) ('0' + rand() % 10);
	for (int i = 8; i < 17; i++)
		code[i] = alphabet[rand() % 31];
	code[17] = uscc_check_char(code);
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

static void
test_packing(void)
{
	int			roundtrip_ok = 1,
				order_ok = 1,
				valid_ok = 1;
	uint8_t		garbage[USCC_PACKED_LEN];
	char		out[USCC_LEN];

	srand(42);
	for (int n = 0; n < 20000; n++)
	{
		char		a[USCC_LEN],
					b[USCC_LEN],
					back[USCC_LEN];
		uint8_t		pa[USCC_PACKED_LEN],
					pb[USCC_PACKED_LEN];

		random_code(a);
		random_code(b);
		if (n % 7 == 0)			/* share a prefix now and then */
			memcpy(b, a, 8 + rand() % 9), b[17] = uscc_check_char(b);
		if (uscc_parse(a, USCC_LEN, NULL, NULL) != USCC_OK)
			valid_ok = 0;
		uscc_pack(a, pa);
		uscc_pack(b, pb);
		if (uscc_unpack(pa, back) != 0 || memcmp(a, back, USCC_LEN) != 0)
			roundtrip_ok = 0;
		if (sign(memcmp(pa, pb, USCC_PACKED_LEN)) != sign(memcmp(a, b, USCC_LEN)))
			order_ok = 0;
	}
	ok(valid_ok, "generated codes are valid");
	ok(roundtrip_ok, "pack/unpack round trip on 20000 codes");
	ok(order_ok, "packed order equals text order on 20000 pairs");

	memset(garbage, 0xff, sizeof(garbage));
	is_int(uscc_unpack(garbage, out), -1, "all-ones bytes are not a code");
	memset(garbage, 0, sizeof(garbage));
	is_int(uscc_unpack(garbage, out), -1, "all-zero bytes are not a code (authority 0)");
}

/* 48-bit big-endian v into p */
static void
put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t) (v & 0xff);
}

/* uscc_unpack_text (digit pairs from a table) against the text and uscc_check_char (a digit at a time) */
static void
test_unpack_text(void)
{
	int			same = 1;
	uint8_t		p[USCC_PACKED_LEN];
	char		out[USCC_LEN],
				want[USCC_LEN];
	const uint64_t pow8 = 852891037441ULL,	/* 31^8 */
				pow9 = 26439622160671ULL;	/* 31^9 */

	srand(7);
	for (int n = 0; n < 20000 && same; n++)
	{
		random_code(want);
		uscc_pack(want, p);
		same = uscc_unpack_text(p, out) == 0 && memcmp(out, want, USCC_LEN) == 0;
	}
	ok(same, "uscc_unpack_text gives back 20000 random codes");

	memset(p, 0, sizeof(p));
	memcpy(want, "00000000000000000", 17);
	want[17] = uscc_check_char(want);
	ok(uscc_unpack_text(p, out) == 0 && memcmp(out, want, USCC_LEN) == 0,
	   "all-zero packing is the text 0...0 (not a valid code, but in range)");

	put48(p, pow8 - 1);
	put48(p + 6, pow9 - 1);
	memcpy(want, "YYYYYYYYYYYYYYYYY", 17);
	want[17] = uscc_check_char(want);
	ok(uscc_unpack_text(p, out) == 0 && memcmp(out, want, USCC_LEN) == 0,
	   "the largest packing is the text YYYYYYYYYYYYYYYYY and its check");

	/* codes in runs sharing their first 8 characters, as a sorted population has them */
	{
		uscc_text_run run = {0};
		char		code[USCC_LEN],
					plain[USCC_LEN];
		int			agree = 1,
					refused = 1;

		srand(11);
		random_code(code);
		for (int n = 0; n < 20000; n++)
		{
			char		next[USCC_LEN];

			random_code(next);
			if (n % 50 != 0)
				memcpy(next, code, 8);	/* the same h, mostly */
			next[17] = uscc_check_char(next);
			memcpy(code, next, USCC_LEN);
			uscc_pack(code, p);
			agree &= uscc_unpack_text_run(p, out, &run) == 0 && uscc_unpack_text(p, plain) == 0
				&& memcmp(out, plain, USCC_LEN) == 0 && memcmp(out, code, USCC_LEN) == 0;
			if (n % 997 == 0)
			{
				uint8_t		bad[USCC_PACKED_LEN];

				memcpy(bad, p, sizeof(bad));
				put48(bad + 6, pow9);	/* the same h, the second part out of range */
				refused &= uscc_unpack_text_run(bad, out, &run) == -1;
			}
		}
		ok(agree, "uscc_unpack_text_run = uscc_unpack_text over 20000 codes in runs of the same first 8 characters");
		ok(refused, "and refuses a second part out of range without spoiling the run");
	}

	put48(p, pow8);
	is_int(uscc_unpack_text(p, out), -1, "first part 31^8 is out of range");
	put48(p, 0);
	put48(p + 6, pow9);
	is_int(uscc_unpack_text(p, out), -1, "second part 31^9 is out of range");
}

static void
test_build(void)
{
	char		out[USCC_LEN];
	uscc_error	err;

	is_int(uscc_build("91", "350100", "M000100Y", out, &err), USCC_OK, "build the official example");
	ok(memcmp(out, "91350100M000100Y43", 18) == 0, "built code is 91350100M000100Y43");
	is_int(uscc_build("91", "440300", "71526726", out, &err), USCC_OK, "build with org check X");
	ok(memcmp(out, "9144030071526726XG", 18) == 0, "built code is 9144030071526726XG");
	is_int(uscc_build("9a", "350100", "m000100y", out, &err), USCC_BAD_CATEGORY, "9A is not a pair");
	is_int(uscc_build("91", "35A100", "M000100Y", out, &err), USCC_BAD_REGION, "letter in region");
	is_int(uscc_build("91", "350100", "M00010OY", out, &err), USCC_BAD_CHARACTER, "O in body");
	is_int(err.position, 15, "O at position 15");
}

int
main(void)
{
	test_examples_file();
	test_errors();
	test_packing();
	test_unpack_text();
	test_build();
	return done_testing();
}
