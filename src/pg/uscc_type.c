/*
 * uscc_type.c — the supervise.uscc type: fmgr glue around src/core/uscc.c.
 *
 * Storage: 12 bytes (see uscc_pack), fixed length, no alignment, compared with memcmp, so that
 * btree order equals the order of the code text. Binary I/O sends the 18 characters of the code
 * and recv runs them through the same checks as text input.
 */
#include "postgres.h"
#include "pg_compat.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/sortsupport.h"

#include "message.h"
#include "uscc.h"

typedef struct Uscc
{
	uint8		data[USCC_PACKED_LEN];
} Uscc;

#define DatumGetUsccP(X)		((Uscc *) DatumGetPointer(X))
#define PG_GETARG_USCC_P(n)		DatumGetUsccP(PG_GETARG_DATUM(n))

/* Parses a code or raises the error a DBA can act on; shared by text and binary input. */
static Uscc *
uscc_from_chars(const char *s, size_t len, const char *shown)
{
	char		code[USCC_LEN];
	uscc_error	err;
	char		detail[256];
	Uscc	   *result;

	if (uscc_parse(s, len, code, &err) != USCC_OK)
	{
		uscc_describe_translated(&err, detail, sizeof(detail));
		shown = message_value(shown);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 err.status == USCC_BAD_CHECK
				 ? errmsg("invalid check character for unified social credit code: \"%s\", should be \"%c\"",
						  shown, err.expected)
				 : errmsg("invalid unified social credit code: \"%s\"", shown),
				 errdetail("%c%s.", pg_toupper((unsigned char) detail[0]), detail + 1),
				 err.status == USCC_BAD_LENGTH || err.status == USCC_BAD_CHARACTER
				 ? errhint("A unified social credit code (GB 32100-2015) has 18 characters from 0-9 and A-Z without I, O, S, V, Z.")
				 : 0));
	}
	result = (Uscc *) palloc(sizeof(Uscc));
	uscc_pack(code, result->data);
	return result;
}

static text *
uscc_to_text_internal(const Uscc *u)
{
	char		code[USCC_LEN];

	if (uscc_unpack(u->data, code) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored unified social credit code is corrupt")));
	return cstring_to_text_with_len(code, USCC_LEN);
}

PG_FUNCTION_INFO_V1(uscc_in);
Datum
uscc_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);

	PG_RETURN_POINTER(uscc_from_chars(s, strlen(s), s));
}

PG_FUNCTION_INFO_V1(uscc_out);
Datum
uscc_out(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);

	PG_RETURN_CSTRING(text_to_cstring(uscc_to_text_internal(u)));
}

PG_FUNCTION_INFO_V1(uscc_recv);
Datum
uscc_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes;
	char	   *shown;

	if (len != USCC_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary unified social credit code: %d bytes, should be 18", len)));
	bytes = pq_getmsgbytes(buf, len);
	/* show the payload safely: the same checks reject every non-code byte */
	shown = palloc(len + 1);
	memcpy(shown, bytes, len);
	shown[len] = '\0';
	for (int i = 0; i < len; i++)
		if ((unsigned char) shown[i] < 0x20 || (unsigned char) shown[i] >= 0x7f)
			shown[i] = '?';
	PG_RETURN_POINTER(uscc_from_chars(bytes, len, shown));
}

PG_FUNCTION_INFO_V1(uscc_send);
Datum
uscc_send(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	text	   *t = uscc_to_text_internal(u);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(t), USCC_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(uscc_from_text);
Datum
uscc_from_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *shown = text_to_cstring(t);

	PG_RETURN_POINTER(uscc_from_chars(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), shown));
}

PG_FUNCTION_INFO_V1(uscc_to_text);
Datum
uscc_to_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(uscc_to_text_internal(PG_GETARG_USCC_P(0)));
}

/* uscc_is_valid(text): never raises */
PG_FUNCTION_INFO_V1(uscc_is_valid);
Datum
uscc_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(uscc_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), NULL, NULL) == USCC_OK);
}

/* uscc_invalid_reason(text): NULL when valid, else the reason in words; never raises */
PG_FUNCTION_INFO_V1(uscc_invalid_reason);
Datum
uscc_invalid_reason(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	uscc_error	err;
	char		detail[256];

	if (uscc_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), NULL, &err) == USCC_OK)
		PG_RETURN_NULL();
	uscc_describe(&err, detail, sizeof(detail));
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s: %s", uscc_status_name(err.status), detail)));
}

/* the parts of a code */
static void
uscc_chars(FunctionCallInfo fcinfo, char code[USCC_LEN])
{
	if (uscc_unpack(PG_GETARG_USCC_P(0)->data, code) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored unified social credit code is corrupt")));
}

PG_FUNCTION_INFO_V1(uscc_region);
Datum
uscc_region(PG_FUNCTION_ARGS)
{
	char		code[USCC_LEN];

	uscc_chars(fcinfo, code);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(code + 2, 6));
}

PG_FUNCTION_INFO_V1(uscc_authority);
Datum
uscc_authority(PG_FUNCTION_ARGS)
{
	char		code[USCC_LEN];

	uscc_chars(fcinfo, code);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(code, 1));
}

PG_FUNCTION_INFO_V1(uscc_category);
Datum
uscc_category(PG_FUNCTION_ARGS)
{
	char		code[USCC_LEN];

	uscc_chars(fcinfo, code);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(code + 1, 1));
}

PG_FUNCTION_INFO_V1(uscc_org_code);
Datum
uscc_org_code(PG_FUNCTION_ARGS)
{
	char		code[USCC_LEN];

	uscc_chars(fcinfo, code);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(code + 8, 9));
}

PG_FUNCTION_INFO_V1(uscc_org_code_is_valid);
Datum
uscc_org_code_is_valid(PG_FUNCTION_ARGS)
{
	char		code[USCC_LEN];

	uscc_chars(fcinfo, code);
	PG_RETURN_BOOL(uscc_org_code_ok(code, NULL));
}

/* comparison: memcmp of the packed form is the order of the text */
static inline int
uscc_cmp_internal(const Uscc *a, const Uscc *b)
{
	return memcmp(a->data, b->data, USCC_PACKED_LEN);
}

#define USCC_CMP_FN(name, expr) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			c = uscc_cmp_internal(PG_GETARG_USCC_P(0), PG_GETARG_USCC_P(1)); \
	PG_RETURN_BOOL(expr); \
}

USCC_CMP_FN(uscc_lt, c < 0)
USCC_CMP_FN(uscc_le, c <= 0)
USCC_CMP_FN(uscc_eq, c == 0)
USCC_CMP_FN(uscc_ne, c != 0)
USCC_CMP_FN(uscc_ge, c >= 0)
USCC_CMP_FN(uscc_gt, c > 0)

PG_FUNCTION_INFO_V1(uscc_cmp);
Datum
uscc_cmp(PG_FUNCTION_ARGS)
{
	int			c = uscc_cmp_internal(PG_GETARG_USCC_P(0), PG_GETARG_USCC_P(1));

	PG_RETURN_INT32(c < 0 ? -1 : c > 0 ? 1 : 0);
}

static int
uscc_fastcmp(Datum a, Datum b, SortSupport ssup)
{
	return uscc_cmp_internal(DatumGetUsccP(a), DatumGetUsccP(b));
}

PG_FUNCTION_INFO_V1(uscc_sortsupport);
Datum
uscc_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = uscc_fastcmp;
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(uscc_hash);
Datum
uscc_hash(PG_FUNCTION_ARGS)
{
	return hash_any(PG_GETARG_USCC_P(0)->data, USCC_PACKED_LEN);
}

PG_FUNCTION_INFO_V1(uscc_hash_extended);
Datum
uscc_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended(PG_GETARG_USCC_P(0)->data, USCC_PACKED_LEN, PG_GETARG_INT64(1));
}

/* uscc_build(authority_category, region, org_body): a valid code from its parts */
PG_FUNCTION_INFO_V1(uscc_build_fn);
Datum
uscc_build_fn(PG_FUNCTION_ARGS)
{
	text	   *ac = PG_GETARG_TEXT_PP(0);
	text	   *region = PG_GETARG_TEXT_PP(1);
	text	   *body = PG_GETARG_TEXT_PP(2);
	char		code[USCC_LEN];
	uscc_error	err;
	char		detail[256];
	Uscc	   *result;

	if (VARSIZE_ANY_EXHDR(ac) != 2 || VARSIZE_ANY_EXHDR(region) != 6 || VARSIZE_ANY_EXHDR(body) != 8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot build a unified social credit code from \"%s\", \"%s\", \"%s\"",
						message_value(text_to_cstring(ac)), message_value(text_to_cstring(region)),
						message_value(text_to_cstring(body))),
				 errdetail("The parts must have 2, 6 and 8 characters: authority and category, region code, organisation code body.")));
	if (uscc_build(VARDATA_ANY(ac), VARDATA_ANY(region), VARDATA_ANY(body), code, &err) != USCC_OK)
	{
		uscc_describe_translated(&err, detail, sizeof(detail));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot build a unified social credit code from \"%s\", \"%s\", \"%s\"",
						message_value(text_to_cstring(ac)), message_value(text_to_cstring(region)),
						message_value(text_to_cstring(body))),
				 errdetail("%c%s.", pg_toupper((unsigned char) detail[0]), detail + 1)));
	}
	result = (Uscc *) palloc(sizeof(Uscc));
	uscc_pack(code, result->data);
	PG_RETURN_POINTER(result);
}
