/*
 * cidr.c - networks and ranges in the 16-byte key space (cidr.h)
 *
 *	vd_cidr_parse		"addr" or "addr/len"; host bits cleared
 *	vd_cidr_format		"a.b.c.d/n" or "x::/n"
 *	vd_cidr_is_v4		in ::ffff:0:0/96 with plen >= 96
 *	vd_cidr_cmp		order by address, then prefix length
 *	vd_cidr_contains	does one network contain another
 *	vd_cidr_table_check	why a network may not go in a table
 *	vd_cidr_range_split		minimal CIDR cover of [lo, hi]
 *
 * A network is an address with its host bits cleared and a prefix
 * length in the 16-byte space, so an IPv4 /n is the mapped /(96+n) and
 * one comparison serves both families.  Text keeps the family it was
 * written in: "1.2.3.0/24" is read as IPv4 even though it is stored as
 * an IPv6 prefix.
 *
 * Diagnostics: none; vd_cidr_parse returns CIDR_BAD or CIDR_HOSTBITS and
 * the caller names the offending text (with the corrected network for
 * host bits, as Postfix cidr_match does).
 *
 * Limits: vd_cidr_range_split uses the compiler's unsigned __int128 (GCC and
 * Clang).  A prefix length is decimal, at most three digits, no leading
 * zeros.
 */
#include <string.h>

#include "cidr.h"

static const uint8_t zero4[4];

/*
 * vd_cidr_parse - the length is read in the family the text was written in:
 * "1.2.3.0/24" is plen 120, "::ffff:1.2.3.0/120" the same network, and
 * "::ffff:1.2.3.0/64" an IPv6 network.
 */
int
vd_cidr_parse(const char *s, size_t len, vcidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned n = 0, max;
	int v4text;
	vaddr a;

	if (vd_addr_parse_family(s, alen, &a, &v4text) != 0)
		return CIDR_BAD;
	max = v4text ? 32 : 128;
	if (slash == NULL) {
		n = max;
	} else {
		const char *d = slash + 1;
		size_t dl = len - alen - 1;

		if (dl == 0 || dl > 3 || (d[0] == '0' && dl > 1))
			return CIDR_BAD;
		for (size_t i = 0; i < dl; i++) {
			if ((unsigned char)(d[i] - '0') >= 10)
				return CIDR_BAD;
			n = n * 10 + (unsigned)(d[i] - '0');
		}
		if (n > max)
			return CIDR_BAD;
	}
	out->plen = (uint8_t)(v4text ? 96 + n : n);
	out->net = a;
	vd_addr_mask(&out->net, out->plen);
	return memcmp(out->net.b, a.b, 16) == 0 ? CIDR_OK : CIDR_HOSTBITS;
}

/* vd_cidr_format - a network below /96 cannot be IPv4-mapped (its host bits
 * include the last bit of 0xffff), so the address text decides alone. */
size_t
vd_cidr_format(const vcidr *c, char *buf)
{
	size_t n = vd_addr_format(&c->net, buf);
	unsigned plen = vd_cidr_is_v4(c) ? c->plen - 96u : c->plen;
	char *p = buf + n;

	/* ADDR_TEXT_MAX - 1 + "/128" + NUL fits CIDR_TEXT_MAX */
	*p++ = '/';
	p = vd_addr_put_dec(p, plen);
	*p = 0;
	return (size_t)(p - buf);
}

int
vd_cidr_is_v4(const vcidr *c)
{
	return c->plen >= 96 && vd_addr_is_v4(&c->net);
}

int
vd_cidr_cmp(const vcidr *a, const vcidr *b)
{
	int c = vd_addr_cmp(&a->net, &b->net);

	if (c != 0)
		return c;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

int
vd_cidr_contains(const vcidr *a, const vcidr *b)
{
	vaddr t;

	if (a->plen > b->plen)
		return 0;
	t = b->net;
	vd_addr_mask(&t, a->plen);
	return memcmp(t.b, a->net.b, 16) == 0;
}

/*
 * vd_cidr_table_check - in the one key space an IPv6 network holding
 * ::ffff:0:0/96 silently covers the whole IPv4 Internet; 0.0.0.0/0 is
 * exactly ::ffff:0:0/96 and gets both explanations.
 */
const char *
vd_cidr_table_check(const vcidr *c)
{
	vaddr t;

	if (c->plen == 0)
		return "/0 is not allowed in a table";
	if (c->plen == 96 && vd_addr_is_v4(&c->net))
		return "/0 is not allowed in a table: 0.0.0.0/0 is "
		       "::ffff:0:0/96 and would cover every IPv4 address";
	if (c->plen < 96) {
		vd_addr_from_v4(&t, zero4);
		vd_addr_mask(&t, c->plen);
		if (memcmp(t.b, c->net.b, 16) == 0)
			return "an IPv6 network containing ::ffff:0:0/96 "
			       "would cover every IPv4 address";
	}
	return NULL;
}

typedef unsigned __int128 u128;

static u128
to_u128(const vaddr *a)
{
	u128 v = 0;

	for (int k = 0; k < 16; k++)
		v = v << 8 | a->b[k];
	return v;
}

static void
from_u128(vaddr *a, u128 v)
{
	for (int k = 15; k >= 0; k--) {
		a->b[k] = (uint8_t)v;
		v >>= 8;
	}
}

static int
ctz128(u128 v)
{
	uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 64);

	if (lo)
		return __builtin_ctzll(lo);
	if (hi)
		return 64 + __builtin_ctzll(hi);
	return 128;
}

/*
 * vd_cidr_range_split - from lo upwards, take the largest block aligned at lo
 * that ends at or before hi; this greedy cover is the minimal one.
 */
int
vd_cidr_range_split(const vaddr *lo, const vaddr *hi,
	    int (*emit)(const vcidr *c, void *arg), void *arg)
{
	u128 l = to_u128(lo), h = to_u128(hi);
	vcidr c;
	int rc;

	if (l > h || vd_addr_is_v4(lo) != vd_addr_is_v4(hi))
		return -1;
	for (;;) {
		int k = ctz128(l);
		u128 mask;

		for (;;) {
			mask = k == 128 ? ~(u128)0 : ((u128)1 << k) - 1;
			if ((l | mask) <= h)
				break;
			k--;
		}
		from_u128(&c.net, l);
		c.plen = (uint8_t)(128 - k);
		if ((rc = emit(&c, arg)) != 0)
			return rc;
		if ((l | mask) == h)
			return 0;
		l = (l | mask) + 1;
	}
}
