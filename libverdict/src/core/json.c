/*
 * json.c - JSON string text that is valid whatever the bytes (json.h)
 *
 *	vd_json_escape	the inside of a JSON string, for any bytes
 *
 * Reasons, origins, learned keys' reasons and names come from list files
 * and command lines in whatever encoding their authors used (a Latin-1
 * list, a cut multi-byte character); a JSON reader must still accept
 * every line we write (RFC 8259, which requires UTF-8).  So:
 *
 *   - valid UTF-8 passes unchanged, a reason in any script survives;
 *   - '"' and '\' are escaped; control characters (below 0x20) and DEL
 *     (0x7F, legal in JSON but not something a terminal should receive
 *     raw) become \n, \r, \t or \u00XX;
 *   - every maximal subpart of an ill-formed sequence becomes one
 *     U+FFFD, written "\ufffd", as the Unicode Standard (chapter 3,
 *     "U+FFFD Substitution of Maximal Subparts") and the WHATWG Encoding
 *     Standard's decoder do: an overlong form, a surrogate encoded in
 *     UTF-8 and a code point above U+10FFFF are caught at the byte that
 *     makes them impossible (the second byte's range after E0, ED, F0,
 *     F4), so a reader sees the same number of U+FFFD a browser shows,
 *     and the ASCII after a broken sequence is never swallowed.
 *
 * The escape "\ufffd" rather than the raw bytes EF BF BD keeps every
 * replacement visible and greppable in the output.
 *
 * Diagnostics: none; every input has an output.
 *
 * Limits: output is at most VD_JSON_ESC_MAX bytes per input byte.  A NUL
 * inside s[0..n) is escaped as \u0000 like any control character.
 */
#include <string.h>

#include "json.h"

/* utf8_span - the length of the sequence at s (n > 0 bytes left) and
 * whether it is well formed; when it is not, the length of its maximal
 * subpart (at least 1): the lead byte and the continuation bytes that
 * could still have begun a well-formed sequence (Unicode Table 3-7). */
static size_t
utf8_span(const unsigned char *s, size_t n, int *valid)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;

	*valid = 0;
	if (c < 0x80) {
		*valid = 1;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;	/* below: overlong */
		else if (c == 0xED)
			hi = 0x9F;	/* above: a surrogate */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;	/* below: overlong */
		else if (c == 0xF4)
			hi = 0x8F;	/* above: beyond U+10FFFF */
	} else {
		return 1;	/* continuation, C0, C1 or F5..FF: never a lead */
	}
	for (size_t i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xBF;
	}
	*valid = 1;
	return len;
}

/* vd_json_escape - one sequence at a time, each written whole or not */
size_t
vd_json_escape(char *dst, size_t size, const char *s, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = p[i];
		const char *out;
		char esc[6];
		size_t olen, k;
		int valid;

		k = utf8_span(p + i, n - i, &valid);
		if (!valid) {
			out = "\\ufffd";
			olen = 6;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out = esc;
			olen = 2;
		} else if (c < 0x20 || c == 0x7F) {
			esc[0] = '\\';
			out = esc;
			olen = 2;
			switch (c) {
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			default:
				memcpy(esc + 1, "u00", 3);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				olen = 6;
				break;
			}
		} else {
			out = (const char *)p + i;
			olen = k;
		}
		if (size - o < olen)
			break;
		memcpy(dst + o, out, olen);
		o += olen;
		i += k;
	}
	*used = i;
	return o;
}
