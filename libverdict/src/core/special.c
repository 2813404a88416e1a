/*
 * special.c - special-purpose address space: what is not the public
 * Internet, so a list may cover it whole
 *
 *	vd_special_public		public addresses in a range
 *	vd_special_wide			more of them than a /8 (IPv4) or
 *					a /16 (IPv6)
 *	vd_special_wide_why		the same, said in words
 *	vd_special_cidr_range		a network's first and last address
 *	vd_special_v4_public_total	the public IPv4 addresses
 *
 * A block-table entry wider than a /8 of public IPv4 space blocks a
 * continent; an entry inside special-purpose space (private, loopback,
 * documentation, multicast, reserved) blocks nobody who can reach us, and
 * bogon lists (FireHOL level 1: 224.0.0.0/3) list such space whole.  So
 * width is counted in public addresses: the range minus the IANA IPv4
 * and IPv6 Special-Purpose Address Registries, 224.0.0.0/4 (multicast),
 * 240.0.0.0/4 (reserved) and, as their IPv6 counterpart, ff00::/8.
 *
 * Diagnostics: none; pure functions.
 *
 * Limits: the registries as written in below; a registry entry added
 * later counts as public until it is added here (an entry inside it may
 * be refused as wide, never accepted wrongly).  IPv4 is the IPv4-mapped part of the
 * key space (::ffff:0:0/96).
 */
#include <stdio.h>

#include "special.h"

/* Sorted, disjoint ranges (registry entries that nest are merged). */
static const struct sp4 {
	uint32_t net;
	int plen;
} sp4[] = {
	{ 0x00000000, 8 },	/* 0.0.0.0/8 "this network" */
	{ 0x0a000000, 8 },	/* 10.0.0.0/8 private */
	{ 0x64400000, 10 },	/* 100.64.0.0/10 shared (CGN) */
	{ 0x7f000000, 8 },	/* 127.0.0.0/8 loopback */
	{ 0xa9fe0000, 16 },	/* 169.254.0.0/16 link local */
	{ 0xac100000, 12 },	/* 172.16.0.0/12 private */
	{ 0xc0000000, 24 },	/* 192.0.0.0/24 IETF protocol assignments */
	{ 0xc0000200, 24 },	/* 192.0.2.0/24 TEST-NET-1 */
	{ 0xc01fc400, 24 },	/* 192.31.196.0/24 AS112-v4 */
	{ 0xc034c100, 24 },	/* 192.52.193.0/24 AMT */
	{ 0xc0586300, 24 },	/* 192.88.99.0/24 6to4 relay anycast */
	{ 0xc0a80000, 16 },	/* 192.168.0.0/16 private */
	{ 0xc0af3000, 24 },	/* 192.175.48.0/24 direct delegation AS112 */
	{ 0xc6120000, 15 },	/* 198.18.0.0/15 benchmarking */
	{ 0xc6336400, 24 },	/* 198.51.100.0/24 TEST-NET-2 */
	{ 0xcb007100, 24 },	/* 203.0.113.0/24 TEST-NET-3 */
	{ 0xe0000000, 4 },	/* 224.0.0.0/4 multicast */
	{ 0xf0000000, 4 },	/* 240.0.0.0/4 reserved, broadcast */
};

/* IPv6: the high 64 bits of the network, and its length. */
static const struct sp6 {
	uint64_t hi;
	uint64_t lo;
	int plen;
} sp6[] = {
	{ 0, 0, 127 },				/* ::/128, ::1/128 */
	{ 0, 0x0000ffff00000000ULL, 96 },	/* ::ffff:0:0/96 IPv4 */
	{ 0x0064ff9b00000000ULL, 0, 96 },	/* 64:ff9b::/96 NAT64 */
	{ 0x0064ff9b00010000ULL, 0, 48 },	/* 64:ff9b:1::/48 */
	{ 0x0100000000000000ULL, 0, 64 },	/* 100::/64 discard */
	{ 0x2001000000000000ULL, 0, 23 },	/* 2001::/23 IETF */
	{ 0x20010db800000000ULL, 0, 32 },	/* 2001:db8::/32 doc */
	{ 0x2002000000000000ULL, 0, 16 },	/* 2002::/16 6to4 */
	{ 0x2620004f80000000ULL, 0, 48 },	/* 2620:4f:8000::/48 */
	{ 0xfc00000000000000ULL, 0, 7 },	/* fc00::/7 unique local */
	{ 0xfe80000000000000ULL, 0, 10 },	/* fe80::/10 link local */
	{ 0xff00000000000000ULL, 0, 8 },	/* ff00::/8 multicast */
};

#define NSP4 (sizeof(sp4) / sizeof(sp4[0]))
#define NSP6 (sizeof(sp6) / sizeof(sp6[0]))

static vd_u128
u128_of(const vaddr *a)
{
	vd_u128 v = 0;

	for (int k = 0; k < 16; k++)
		v = v << 8 | a->b[k];
	return v;
}

static void
addr_of(vaddr *a, vd_u128 v)
{
	for (int k = 15; k >= 0; k--) {
		a->b[k] = (uint8_t)v;
		v >>= 8;
	}
}

/* host_mask - the host bits of a /plen in 128 bits */
static vd_u128
host_mask(int plen)
{
	return plen >= 128 ? 0 : plen <= 0 ? ~(vd_u128)0 :
	       (((vd_u128)1) << (128 - plen)) - 1;
}

/* overlap - addresses of [l, h] inside [sl, sh] */
static vd_u128
overlap(vd_u128 l, vd_u128 h, vd_u128 sl, vd_u128 sh)
{
	vd_u128 a = l > sl ? l : sl, b = h < sh ? h : sh;

	return a > b ? 0 : b - a + 1;
}

vd_u128
vd_special_public(const vaddr *lo, const vaddr *hi)
{
	vd_u128 l = u128_of(lo), h = u128_of(hi), n, s = 0;
	int v4 = vd_addr_is_v4(lo);

	if (l > h)
		return 0;
	n = h - l;
	n += n != ~(vd_u128)0;	/* the whole space saturates */
	if (v4) {
		vd_u128 base = (vd_u128)0xffff << 32;

		for (size_t i = 0; i < NSP4; i++) {
			vd_u128 sl = base | sp4[i].net;

			s += overlap(l, h, sl, sl | host_mask(96 + sp4[i].plen));
		}
	} else {
		for (size_t i = 0; i < NSP6; i++) {
			vd_u128 sl = (vd_u128)sp6[i].hi << 64 | sp6[i].lo;

			s += overlap(l, h, sl, sl | host_mask(sp6[i].plen));
		}
	}
	return n - s;
}

int
vd_special_wide(const vaddr *lo, const vaddr *hi, vd_u128 *pub)
{
	vd_u128 lim = vd_addr_is_v4(lo) ? SPECIAL_WIDE_V4 : SPECIAL_WIDE_V6;
	vd_u128 l = u128_of(lo), h = u128_of(hi), p;

	/* the common entry is narrow: no table walk */
	if (l <= h && h - l < lim) {
		if (pub)
			*pub = h - l + 1;
		return 0;
	}
	p = vd_special_public(lo, hi);
	if (pub)
		*pub = p;
	return p > lim;
}

int
vd_special_wide_why(const vaddr *lo, const vaddr *hi, char *buf, size_t len)
{
	vd_u128 pub;

	if (!vd_special_wide(lo, hi, &pub))
		return 0;
	if (vd_addr_is_v4(lo))
		snprintf(buf, len, "holds %llu public IPv4 addresses, more "
			 "than a /8", (unsigned long long)pub);
	else
		snprintf(buf, len, "holds about 2^%d public IPv6 addresses, "
			 "more than a /16", 127 - (int)(pub >> 64 ?
			 __builtin_clzll((uint64_t)(pub >> 64)) :
			 64 + __builtin_clzll((uint64_t)pub)));
	return 1;
}

void
vd_special_cidr_range(const vcidr *c, vaddr *lo, vaddr *hi)
{
	*lo = c->net;
	addr_of(hi, u128_of(&c->net) | host_mask(c->plen));
}

uint64_t
vd_special_v4_public_total(void)
{
	vd_u128 base = (vd_u128)0xffff << 32;
	vaddr lo, hi;

	addr_of(&lo, base);
	addr_of(&hi, base | 0xffffffffu);
	return (uint64_t)vd_special_public(&lo, &hi);
}
