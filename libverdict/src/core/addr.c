/*
 * addr.c - addresses in one 16-byte key space
 *
 *	vd_addr_parse	strict IPv4 dotted quad or RFC 4291 IPv6 text
 *	vd_addr_parse_family	the same, saying which family the text was
 *	vd_addr_is_v4	is the address IPv4-mapped (::ffff:0:0/96)
 *	vd_addr_from_v4	build from 4 raw bytes (stored as ::ffff:a.b.c.d)
 *	vd_addr_from_v6	build from 16 raw bytes
 *	vd_addr_format	canonical text: dotted quad or RFC 5952
 *	vd_addr_cmp	memcmp order
 *	vd_addr_inc	add one (1 on wrap-around)
 *	vd_addr_dec	subtract one (1 on wrap-around)
 *	vd_addr_mask	clear the bits after a prefix
 *	vd_addr_last	the last address of a network
 *
 * Every verdict and every imported list line goes through vd_addr_parse, so
 * the parsers are hand-written: no inet_pton (which accepts what we must
 * refuse on some libcs and knows nothing of our mapped key space), no
 * strtol (locale, white space, signs), no allocation.  IPv4 text is tried
 * first: it fails within five bytes on IPv6 text, so IPv6 pays little.
 *
 * Diagnostics: none; the parsers return -1 and the caller names the
 * offending text.
 *
 * Limits: IPv6 zone ids ("fe80::1%eth0") are refused: a zone is
 * meaningless in a reputation table.  The deprecated IPv4-compatible form
 * "::1.2.3.4" is accepted as the IPv6 address ::102:304, not as IPv4.
 */
#include <string.h>

#include "addr.h"

static const uint8_t v4_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* parse_v4 - exactly four decimal octets 0..255 without leading zeros. */
static int
parse_v4(const char *s, size_t len, uint8_t o[4])
{
	size_t i = 0;
	int k;

	for (k = 0; k < 4; k++) {
		unsigned v;
		size_t start;

		if (k > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		start = i;
		v = 0;
		while (i < len && (unsigned char)(s[i] - '0') < 10
		       && i - start < 3) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == start || v > 255)
			return -1;
		if (s[start] == '0' && i - start > 1)
			return -1;
		o[k] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

static inline int
hexval(unsigned char c)
{
	if ((unsigned)(c - '0') < 10u)
		return c - '0';
	c |= 0x20;
	if ((unsigned)(c - 'a') < 6u)
		return c - 'a' + 10;
	return -1;
}

/*
 * parse_v6 - RFC 4291 section 2.2: eight groups of 1-4 hex digits, at
 * most one "::" standing for one or more zero groups, optionally a dotted
 * quad in place of the last two groups.
 */
static int
parse_v6(const char *s, size_t len, uint8_t out[16])
{
	uint16_t g[8];
	int ng = 0, dc = -1;
	size_t i = 0;

	if (len < 2)
		return -1;
	if (s[0] == ':') {
		if (s[1] != ':')
			return -1;
		dc = 0;
		i = 2;
		if (i == len)
			goto done;
	}
	for (;;) {
		size_t start = i;
		unsigned v = 0;
		int h;

		if (ng >= 8)
			return -1;
		while (i < len && (h = hexval((unsigned char)s[i])) >= 0) {
			v = (v << 4) | (unsigned)h;
			i++;
			if (i - start > 4)
				break;
		}
		if (i < len && s[i] == '.') {
			/* embedded IPv4: last, and in place of two groups */
			uint8_t o[4];

			if (ng > 6 || parse_v4(s + start, len - start, o) != 0)
				return -1;
			g[ng++] = (uint16_t)(o[0] << 8 | o[1]);
			g[ng++] = (uint16_t)(o[2] << 8 | o[3]);
			break;
		}
		if (i == start || i - start > 4)
			return -1;
		g[ng++] = (uint16_t)v;
		if (i == len)
			break;
		if (s[i] != ':')
			return -1;
		i++;
		if (i < len && s[i] == ':') {
			if (dc >= 0)
				return -1;
			dc = ng;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return -1;		/* trailing single colon */
		}
	}
done:
	if (dc < 0 ? ng != 8 : ng > 7)
		return -1;
	memset(out, 0, 16);
	if (dc < 0)
		dc = ng;
	for (int k = 0; k < dc; k++) {
		out[2 * k] = (uint8_t)(g[k] >> 8);
		out[2 * k + 1] = (uint8_t)g[k];
	}
	for (int k = dc; k < ng; k++) {
		/* the groups after "::" are right-aligned; the explicit
		 * bound also keeps GCC's -O3 overflow analysis quiet */
		unsigned at = (unsigned)(8 - ng + k);

		if (at > 7)
			return -1;
		out[2 * at] = (uint8_t)(g[k] >> 8);
		out[2 * at + 1] = (uint8_t)g[k];
	}
	return 0;
}

/* vd_addr_parse_family - either family; *v4text says whether the text was
 * a dotted quad (which decides how a "/len" is read). */
int
vd_addr_parse_family(const char *s, size_t len, vaddr *out, int *v4text)
{
	uint8_t o[4];

	if (parse_v4(s, len, o) == 0) {
		vd_addr_from_v4(out, o);
		*v4text = 1;
		return 0;
	}
	*v4text = 0;
	return parse_v6(s, len, out->b);
}

int
vd_addr_parse(const char *s, size_t len, vaddr *out)
{
	int v4text;

	return vd_addr_parse_family(s, len, out, &v4text);
}

int
vd_addr_is_v4(const vaddr *a)
{
	return memcmp(a->b, v4_prefix, 12) == 0;
}

void
vd_addr_from_v4(vaddr *out, const uint8_t v4[4])
{
	memcpy(out->b, v4_prefix, 12);
	memcpy(out->b + 12, v4, 4);
}

void
vd_addr_from_v6(vaddr *out, const uint8_t v6[16])
{
	memcpy(out->b, v6, 16);
}

/* vd_addr_put_dec - an octet or a prefix length in decimal, no leading
 * zeros, not NUL-terminated; snprintf would cost a feed several times the
 * formatting itself. */
char *
vd_addr_put_dec(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		*p++ = (char)('0' + v / 10);
		*p++ = (char)('0' + v % 10);
	} else if (v >= 10) {
		*p++ = (char)('0' + v / 10);
		*p++ = (char)('0' + v % 10);
	} else {
		*p++ = (char)('0' + v);
	}
	return p;
}

/* put_hex - one group in lower-case hex, no leading zeros (RFC 5952 4.1). */
static char *
put_hex(char *p, unsigned v)
{
	static const char hx[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && ((v >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hx[(v >> shift) & 0xf];
	return p;
}

/*
 * vd_addr_format - RFC 5952: the longest run of two or more zero groups
 * becomes "::" (the first on a tie); a lone zero group stays "0".
 * IPv4-mapped addresses print as the plain dotted quad, since that is
 * what they mean everywhere in libverdict.
 */
size_t
vd_addr_format(const vaddr *a, char *buf)
{
	char *p = buf;
	unsigned g[8];
	int best = -1, bestlen = 1, run = 0, k;

	if (vd_addr_is_v4(a)) {
		for (k = 12; k < 16; k++) {
			if (k > 12)
				*p++ = '.';
			p = vd_addr_put_dec(p, a->b[k]);
		}
		*p = 0;
		return (size_t)(p - buf);
	}
	for (k = 0; k < 8; k++) {
		g[k] = (unsigned)a->b[2 * k] << 8 | a->b[2 * k + 1];
		if (g[k] == 0) {
			run++;
			if (run > bestlen) {
				bestlen = run;
				best = k - run + 1;
			}
		} else {
			run = 0;
		}
	}
	for (k = 0; k < 8; k++) {
		if (k == best) {
			*p++ = ':';
			*p++ = ':';
			k += bestlen - 1;
			continue;
		}
		if (k > 0 && k != best + bestlen)
			*p++ = ':';
		p = put_hex(p, g[k]);
	}
	*p = 0;
	return (size_t)(p - buf);
}

int
vd_addr_inc(vaddr *a)
{
	for (int k = 15; k >= 0; k--)
		if (++a->b[k] != 0)
			return 0;
	return 1;
}

int
vd_addr_dec(vaddr *a)
{
	for (int k = 15; k >= 0; k--)
		if (a->b[k]-- != 0)
			return 0;
	return 1;
}

void
vd_addr_mask(vaddr *a, unsigned plen)
{
	if (plen >= 128)
		return;
	a->b[plen / 8] &= (uint8_t)(0xff00 >> (plen % 8));
	memset(a->b + plen / 8 + 1, 0, 15 - plen / 8);
}

void
vd_addr_last(const vcidr *c, vaddr *last)
{
	unsigned plen = c->plen;

	*last = c->net;
	if (plen >= 128)
		return;
	last->b[plen / 8] |= (uint8_t)(0xff >> (plen % 8));
	memset(last->b + plen / 8 + 1, 0xff, 15 - plen / 8);
}
