/*
 * libFuzzer harness of src/core/uscc.c (GB 32100 codes). For every input:
 *
 * 1. uscc_parse on the whole input never reads past it (ASan) and, when it accepts:
 *    the output is the upper-cased input, it re-parses to itself, its check character is
 *    uscc_check_char of the rest, and pack -> unpack gives it back;
 *    when it rejects: the error says the same status, a length error never claims 18 characters,
 *    a position lies in 1..18, a check error's expected character makes the code valid, and
 *    uscc_describe always writes a terminated message that fits its buffer.
 * 2. uscc_unpack_text on the first 12 bytes agrees with a decoder written here a digit at a time
 *    (range check, digits, uscc_check_char), and uscc_unpack_text_run (its cache kept from the
 *    input before) with uscc_unpack_text; uscc_unpack accepts only bytes that are the packing
 *    of a code that parses, and then gives the same text.
 * 3. Two codes made valid from the input: memcmp order of the packed forms = order of the text.
 * 4. uscc_build on the first 16 bytes as parts: a code it builds is valid, carries the parts
 *    (upper-cased) and a correct GB 11714 organisation check; it fails only when a part is bad.
 */
#include "fuzz.h"
#include "uscc.h"

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int
in_alphabet(char c)
{
	return c != '\0' && strchr(alphabet, c) != NULL;
}

static char
upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
}

static void
check_describe(const uscc_error *err)
{
	char		small[24];
	char		big[512];

	memset(small, 'x', sizeof(small));
	uscc_describe(err, small, sizeof(small));
	CHECK(memchr(small, '\0', sizeof(small)) != NULL, "uscc_describe did not terminate a short buffer");
	uscc_describe(err, big, sizeof(big));
	CHECK(strlen(big) > 0 && strlen(big) < sizeof(big) - 1, "uscc_describe message of odd length %zu", strlen(big));
	CHECK(strcmp(uscc_status_name(err->status), "unknown") != 0, "status %d has no name", (int) err->status);
}

static void
check_parse(const char *s, size_t len)
{
	char		out[USCC_LEN];
	char		again[USCC_LEN];
	uint8_t		packed[USCC_PACKED_LEN];
	uscc_error	err;
	uscc_status st = uscc_parse(s, len, out, &err);

	CHECK(err.status == st, "status %d returned but %d in the error", (int) st, (int) err.status);
	check_describe(&err);
	if (st == USCC_OK)
	{
		CHECK(len == USCC_LEN, "accepted %zu bytes", len);
		for (int i = 0; i < USCC_LEN; i++)
			CHECK(out[i] == upper(s[i]) && in_alphabet(out[i]), "output character %d is %02x for input %02x",
				  i + 1, (unsigned char) out[i], (unsigned char) s[i]);
		CHECK(uscc_check_char(out) == out[17], "accepted a code whose check character should be %c", uscc_check_char(out));
		CHECK(uscc_parse(out, USCC_LEN, again, NULL) == USCC_OK && memcmp(out, again, USCC_LEN) == 0,
			  "the upper-cased code does not re-parse to itself");
		uscc_pack(out, packed);
		CHECK(uscc_unpack(packed, again) == 0 && memcmp(out, again, USCC_LEN) == 0,
			  "pack/unpack lost the code %.18s", out);
		return;
	}
	if (st == USCC_BAD_LENGTH)
	{
		CHECK(len != USCC_LEN, "length error for an input of 18 bytes");
		CHECK(err.length != USCC_LEN, "length error that says the input has 18 characters (%zu bytes)", len);
		return;
	}
	CHECK(err.position >= 1 && err.position <= USCC_LEN, "position %d", err.position);
	if (st == USCC_BAD_CHECK && len == USCC_LEN)
	{
		char		fixed[USCC_LEN];

		memcpy(fixed, s, USCC_LEN);
		fixed[17] = err.expected;
		CHECK(err.position == 18, "check error at position %d", err.position);
		CHECK(uscc_parse(fixed, USCC_LEN, out, NULL) == USCC_OK,
			  "the expected check character %c does not make the code valid", err.expected);
	}
}

/* n base-31 digits of the 48-bit big-endian p into out; -1 when p >= 31^n */
static int
slow_digits(const uint8_t *p, int n, char *out)
{
	uint64_t	v = 0;

	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	for (int i = n - 1; i >= 0; i--)
	{
		out[i] = alphabet[v % 31];
		v /= 31;
	}
	return v == 0 ? 0 : -1;
}

static void
check_unpack(const uint8_t packed[USCC_PACKED_LEN])
{
	char		out[USCC_LEN];
	char		text[USCC_LEN];
	char		slow[USCC_LEN];
	uint8_t		repacked[USCC_PACKED_LEN];
	int			ok = uscc_unpack(packed, out) == 0;
	int			decodes = uscc_unpack_text(packed, text) == 0;
	int			slow_decodes = slow_digits(packed, 8, slow) == 0 && slow_digits(packed + 6, 9, slow + 8) == 0;

	static uscc_text_run run;	/* kept from input to input: a run decoder after any other code */
	char		in_run[USCC_LEN];

	CHECK(decodes == slow_decodes, "uscc_unpack_text says %d, the digit-at-a-time decoder %d", decodes, slow_decodes);
	CHECK((uscc_unpack_text_run(packed, in_run, &run) == 0) == decodes, "uscc_unpack_text_run and uscc_unpack_text disagree on the range");
	if (decodes)
		CHECK(memcmp(in_run, text, USCC_LEN) == 0, "uscc_unpack_text_run %.18s, uscc_unpack_text %.18s", in_run, text);
	if (decodes)
	{
		slow[17] = uscc_check_char(slow);
		CHECK(memcmp(text, slow, USCC_LEN) == 0, "uscc_unpack_text %.18s, digit at a time %.18s", text, slow);
	}
	if (!decodes)
		CHECK(!ok, "uscc_unpack accepted bytes outside the packing ranges");
	if (!ok)
		return;
	CHECK(memcmp(out, text, USCC_LEN) == 0, "uscc_unpack %.18s, uscc_unpack_text %.18s", out, text);
	CHECK(uscc_parse(out, USCC_LEN, NULL, NULL) == USCC_OK, "unpacked an invalid code %.18s", out);
	uscc_pack(out, repacked);
	CHECK(memcmp(packed, repacked, USCC_PACKED_LEN) == 0, "two packings of %.18s", out);
}

/* A code from 17 input bytes, made valid if possible; returns 0 when the pair is not defined. */
static int
make_code(const uint8_t *b, char code[USCC_LEN])
{
	code[0] = "123456789ANY"[b[0] % 12];
	code[1] = "1234579"[b[1] % 7];
	for (int i = 2; i < 8; i++)
		code[i] = (char) ('0' + b[i] % 10);
	for (int i = 8; i < 17; i++)
		code[i] = alphabet[b[i] % 31];
	code[17] = uscc_check_char(code);
	return uscc_parse(code, USCC_LEN, NULL, NULL) == USCC_OK;
}

static void
check_order(const uint8_t *b)
{
	char		a[USCC_LEN],
				c[USCC_LEN];
	uint8_t		pa[USCC_PACKED_LEN],
				pc[USCC_PACKED_LEN];
	int			text,
				bytes;

	if (!make_code(b, a) || !make_code(b + 17, c))
		return;
	uscc_pack(a, pa);
	uscc_pack(c, pc);
	text = memcmp(a, c, USCC_LEN);
	bytes = memcmp(pa, pc, USCC_PACKED_LEN);
	CHECK((text > 0) == (bytes > 0) && (text < 0) == (bytes < 0),
		  "%.18s vs %.18s: text order %d, packed order %d", a, c, text, bytes);
}

static void
check_build(const char *parts)
{
	char		out[USCC_LEN];
	uscc_error	err;
	uscc_status st = uscc_build(parts, parts + 2, parts + 8, out, &err);
	int			parts_ok = 1;
	char		expected;

	for (int i = 0; i < 16; i++)
		if (!in_alphabet(upper(parts[i])))
			parts_ok = 0;
	for (int i = 2; i < 8; i++)
		if (parts[i] < '0' || parts[i] > '9')
			parts_ok = 0;
	if (st == USCC_OK)
	{
		CHECK(parts_ok, "built a code from bad parts");
		for (int i = 0; i < 16; i++)
			CHECK(out[i] == upper(parts[i]), "built code differs from its parts at %d", i + 1);
		CHECK(uscc_parse(out, USCC_LEN, NULL, NULL) == USCC_OK, "built an invalid code %.18s", out);
		CHECK(uscc_org_code_ok(out, &expected), "built %.18s with a wrong organisation check (%c)", out, expected);
		return;
	}
	CHECK(err.status == st, "build status %d but %d in the error", (int) st, (int) err.status);
	CHECK(st != USCC_BAD_CHECK && st != USCC_BAD_LENGTH, "build failed with status %d", (int) st);
	if (parts_ok)
		CHECK(st == USCC_BAD_AUTHORITY || st == USCC_BAD_CATEGORY,
			  "good characters and region digits, yet build failed with %d", (int) st);
	check_describe(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse((const char *) data, size);
	if (size >= USCC_PACKED_LEN)
		check_unpack(data);
	if (size >= 34)
		check_order(data);
	if (size >= 16)
		check_build((const char *) data);
	return 0;
}
