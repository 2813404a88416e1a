/*
 * cidr.h - networks and ranges in the 16-byte key space
 *
 * A vcidr (addr.h) is a network address with its host bits always zero
 * and a prefix length 0..128 in the 16-byte space: IPv4 a.b.c.0/24 is
 * ::ffff:a.b.c.0/120.  Text forms are parsed strictly and printed in the
 * family they belong to.
 */
#ifndef VD_CIDR_H
#define VD_CIDR_H

#include <stddef.h>

#include "addr.h"

#define CIDR_TEXT_MAX 50	/* address + "/128" + NUL */

/* Result codes of vd_cidr_parse. */
#define CIDR_OK		0
#define CIDR_HOSTBITS	1	/* parsed; host bits were set and cleared */
#define CIDR_BAD	-1

/* vd_cidr_parse - "addr" (a host: /32 or /128) or "addr/len" with a decimal
 * length without leading zeros (0..32 for IPv4, 0..128 for IPv6).  Host
 * bits set: normalised into *out and CIDR_HOSTBITS returned.  An IPv4-
 * mapped IPv6 form with a length <= 96 (::ffff:1.2.3.4/64) is IPv6. */
int vd_cidr_parse(const char *s, size_t len, vcidr *out);

/* vd_cidr_format - "a.b.c.d/n" (n = plen - 96 for IPv4) or RFC 5952 "x::/n";
 * returns its length; buf must hold CIDR_TEXT_MAX bytes. */
size_t vd_cidr_format(const vcidr *c, char *buf);

/* vd_cidr_is_v4 - 1 if the network lies in ::ffff:0:0/96 with plen >= 96. */
int vd_cidr_is_v4(const vcidr *c);

/* vd_cidr_cmp - order by network address, then prefix length (shorter
 * first): <0, 0, >0. */
int vd_cidr_cmp(const vcidr *a, const vcidr *b);

/* vd_cidr_contains - 1 if a contains b (a == b included). */
int vd_cidr_contains(const vcidr *a, const vcidr *b);

/* vd_cidr_table_check - why a network may not go in a table, or NULL:
 * "/0 is not allowed in a table", or for an IPv6 network that contains
 * ::ffff:0:0/96 "... would cover every IPv4 address". */
const char *vd_cidr_table_check(const vcidr *c);

/*
 * vd_cidr_range_split - the minimal list of CIDRs covering [lo, hi] (lo <= hi, both
 * of one family: both IPv4-mapped or both not).  Calls emit once per CIDR
 * in ascending order; a non-zero return from emit stops and is returned.
 * Returns -1 when lo > hi or the families differ.
 */
int vd_cidr_range_split(const vaddr *lo, const vaddr *hi,
		int (*emit)(const vcidr *c, void *arg), void *arg);

#endif
