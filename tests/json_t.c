/*
 * json_t.c - JSON string escaping (core/json.c): table-driven, label,
 * input bytes, expected text; then output cut into small buffers, and
 * random bytes whose output must always be valid UTF-8 with no raw
 * control character, quote or backslash outside an escape.
 */
#include <string.h>

#include "json.h"
#include "testutil.h"

#define R "\\ufffd"

static const struct {
	const char *label;
	const char *in;		/* NUL-terminated unless len is set */
	size_t len;
	const char *want;
} cases[] = {
	{ "empty", "", 0, "" },
	{ "ascii", "plain text 123", 0, "plain text 123" },
	{ "2-byte", "caf\xc3\xa9", 0, "caf\xc3\xa9" },
	{ "3-byte", "\xe2\x82\xac 5", 0, "\xe2\x82\xac 5" },
	{ "4-byte", "\xf0\x9f\x98\x80!", 0, "\xf0\x9f\x98\x80!" },
	{ "edges: U+0080 U+07FF U+0800 U+FFFF", "\xc2\x80\xdf\xbf\xe0\xa0\x80"
	  "\xef\xbf\xbf", 0, "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf" },
	{ "edges: U+D7FF U+E000 U+10000 U+10FFFF", "\xed\x9f\xbf\xee\x80\x80"
	  "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 0, "\xed\x9f\xbf\xee\x80\x80"
	  "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf" },
	{ "quote and backslash", "a\"b\\c", 0, "a\\\"b\\\\c" },
	{ "newline, return, tab", "a\nb\rc\td", 0, "a\\nb\\rc\\td" },
	{ "other controls, DEL", "\x01\x1f\x7f\x08\x0c", 0,
	  "\\u0001\\u001f\\u007f\\u0008\\u000c" },
	{ "NUL inside", "a\0b", 3, "a\\u0000b" },
	{ "latin-1", "caf\xe9 x", 0, "caf" R " x" },
	{ "lone continuation bytes", "\x80\xbf", 0, R R },
	{ "C0 C1 F5..FF never lead", "\xc0\xc1\xf5\xff", 0, R R R R },
	{ "overlong 2-byte", "\xc0\xaf", 0, R R },
	{ "overlong 3-byte", "\xe0\x80\xaf", 0, R R R },
	{ "overlong 4-byte", "\xf0\x80\x80\xaf", 0, R R R R },
	{ "surrogate D800", "\xed\xa0\x80", 0, R R R },
	{ "surrogate DFFF", "\xed\xbf\xbf", 0, R R R },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 0, R R R R },
	{ "5-byte form", "\xf8\x88\x80\x80\x80", 0, R R R R R },
	{ "truncated 2 at end", "a\xc3", 0, "a" R },
	{ "truncated 3 at end", "a\xe2\x82", 0, "a" R },
	{ "truncated 4 at end", "a\xf0\x9f\x98", 0, "a" R },
	{ "truncated 3 then ascii", "\xe2\x82z", 0, R "z" },
	{ "truncated 4 then ascii", "\xf0\x9f\x98z", 0, R "z" },
	{ "truncated then valid", "\xe2\x82\xc3\xa9", 0, R "\xc3\xa9" },
	{ "truncated then quote", "\xf0\x9f\"", 0, R "\\\"" },
	{ "two truncated", "\xe2\x82\xe2\x82", 0, R R },
	{ "bad second byte of F4", "\xf4\x8f\xbf", 0, R },
	{ "WHATWG example", "\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80"
	  "\xbf\x64", 0, "a" R R R "b" R "c" R R "d" },
};

/* esc - the whole of s[0..n) escaped, in one call, NUL-terminated */
static size_t
esc(char *dst, const char *s, size_t n)
{
	size_t used, w;

	w = vd_json_escape(dst, n * VD_JSON_ESC_MAX, s, n, &used);
	ck_assert_uint_eq(used, n);
	ck_assert_uint_le(w, n * VD_JSON_ESC_MAX);
	dst[w] = 0;
	return w;
}

START_TEST(table)
{
	const char *in = cases[_i].in;
	size_t n = cases[_i].len ? cases[_i].len : strlen(in);
	char out[256];

	esc(out, in, n);
	ck_assert_msg(strcmp(out, cases[_i].want) == 0,
		      "%s: got \"%s\", want \"%s\"", cases[_i].label, out,
		      cases[_i].want);
}
END_TEST

/* a small buffer: whole sequences only, progress at VD_JSON_ESC_MAX, and
 * the pieces add up to the one-call output */
START_TEST(chunks)
{
	static const char in[] = "\xf0\x9f\x98\x80\x01\xe2\x82\xac\xe9\"z"
				 "\xed\xa0\x80\xc3\xa9";
	size_t n = sizeof(in) - 1;
	char whole[256], cat[256], buf[16];

	esc(whole, in, n);
	for (size_t size = VD_JSON_ESC_MAX; size <= sizeof(buf); size++) {
		size_t i = 0, o = 0, used, w;

		while (i < n) {
			w = vd_json_escape(buf, size, in + i, n - i, &used);
			ck_assert_uint_gt(used, 0);
			ck_assert_uint_le(w, size);
			memcpy(cat + o, buf, w);
			o += w;
			i += used;
		}
		cat[o] = 0;
		ck_assert_str_eq(cat, whole);
	}
	/* too small for the next sequence: nothing consumed, nothing written */
	ck_assert_uint_eq(vd_json_escape(buf, 3, "\xf0\x9f\x98\x80", 4, &n),
			  0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* utf8_ok - strict UTF-8, decoded to code points (an independent check) */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned long cp;
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xE0) == 0xC0)
			len = 2, cp = s[i] & 0x1F;
		else if ((s[i] & 0xF0) == 0xE0)
			len = 3, cp = s[i] & 0x0F;
		else if ((s[i] & 0xF8) == 0xF0)
			len = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < (len == 2 ? 0x80UL : len == 3 ? 0x800UL : 0x10000UL) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return 0;
		i += len;
	}
	return 1;
}

/* random bytes, biased to the lead and continuation ranges: the output
 * is valid UTF-8, holds no byte below 0x20 nor DEL, and every '"' and
 * '\' is part of an escape; input that is valid UTF-8 without specials
 * comes out unchanged */
START_TEST(random_bytes)
{
	static const unsigned char pick[] = { 0x80, 0x8f, 0x90, 0x9f, 0xa0,
		0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
		0xff, '"', '\\', '\n', 0x7f, 0x01, 'a' };
	unsigned char in[24];
	char out[24 * VD_JSON_ESC_MAX + 1];

	for (int t = 0; t < 200000; t++) {
		size_t n = (size_t)(tu_rnd() % sizeof(in)), w, used;
		int special = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = tu_rnd();

			in[i] = r & 1 ? pick[(r >> 1) % sizeof(pick)] :
				(unsigned char)(r >> 8);
			special |= in[i] < 0x20 || in[i] == 0x7f ||
				   in[i] == '"' || in[i] == '\\';
		}
		w = vd_json_escape(out, n * VD_JSON_ESC_MAX, (const char *)in,
				   n, &used);
		/* plain tests, ck_abort_msg on failure: a Check assertion
		 * per byte would cost more than the routine under test */
		if (used != n || !utf8_ok((const unsigned char *)out, w))
			ck_abort_msg("round %d: not all consumed or bad UTF-8", t);
		for (size_t i = 0; i < w; i++) {
			unsigned char c = (unsigned char)out[i];

			if (c < 0x20 || c == 0x7f || c == '"' ||
			    (c == '\\' && (i + 1 == w ||
					    !strchr("\"\\nrtu", out[i + 1]))))
				ck_abort_msg("round %d: raw byte 0x%02x at %zu",
					     t, c, i);
			if (c == '\\')
				i++;
		}
		if (!special && utf8_ok(in, n) &&
		    (w != n || memcmp(out, in, n) != 0))
			ck_abort_msg("round %d: valid UTF-8 changed", t);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, chunks);
	tcase_add_test(tc, random_bytes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
