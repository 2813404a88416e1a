/*
 * str.c - bounded strings and strict numbers (str.h)
 *
 *	vd_str_lcpy		bounded copy, always terminated
 *	vd_str_parse_long	strict decimal parsing with a range
 *	vd_str_utf8_cut	cut a string on a UTF-8 boundary
 *
 * Numbers in configuration files and list files are parsed here, so one
 * rule holds everywhere: digits only, no white space, no '+', no leading
 * zeros but "0" itself, '-' only where the range allows negatives, and
 * overflow is an error, never a wrap.
 *
 * Diagnostics: none; -1 and the caller names the offending text.
 *
 * Limits: vd_str_utf8_cut trusts the text to be UTF-8: it backs up over
 * continuation bytes and does not validate what is left.
 */
#include <string.h>

#include "str.h"

/* vd_str_lcpy - returns strlen(src) so a caller can see a cut */
size_t
vd_str_lcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

/* vd_str_parse_long - no white space, no '+', no leading zeros but "0" */
int
vd_str_parse_long(const char *s, size_t len, long min, long max, long *out)
{
	size_t i = 0;
	int neg = 0;
	unsigned long v = 0, lim;

	if (len && s[0] == '-' && min < 0) {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	if (s[i] == '0' && len - i > 1)
		return -1;
	/* the magnitude limit, computed without overflowing LONG_MIN */
	lim = neg ? (unsigned long)(-(min + 1)) + 1 : (unsigned long)max;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (lim - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (neg) {
		long r = v == 0 ? 0 : -(long)(v - 1) - 1;

		if (r < min)
			return -1;
		*out = r;
	} else {
		if (v > (unsigned long)max || (long)v < min)
			return -1;
		*out = (long)v;
	}
	return 0;
}

/* vd_str_utf8_cut - a cut character would be garbage in a reply line */
size_t
vd_str_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	/* back up over continuation bytes to the start of the cut char */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}
