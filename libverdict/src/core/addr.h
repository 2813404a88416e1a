/*
 * addr.h - addresses, networks and ranges in one 16-byte key space
 *
 * Every address is 16 bytes in network order; IPv4 a.b.c.d is stored as
 * ::ffff:a.b.c.d (RFC 4291 IPv4-mapped), so one sorted key space holds
 * both families and an IPv4 /n is the mapped /(96+n).  Text forms are
 * parsed strictly and locale-independently; output is canonical (dotted
 * quad for IPv4 and IPv4-mapped, RFC 5952 for IPv6).
 */
#ifndef VD_ADDR_H
#define VD_ADDR_H

#include <stddef.h>
#include <stdint.h>

typedef struct vaddr {
	uint8_t b[16];
} vaddr;

typedef struct vcidr {
	vaddr net;	/* host bits always zero */
	uint8_t plen;	/* 0..128 in the 16-byte space (IPv4 /n = 96+n) */
} vcidr;

#define ADDR_TEXT_MAX 46	/* INET6_ADDRSTRLEN */
#define CIDR_TEXT_MAX 50	/* address + "/128" + NUL */

/* vd_addr_parse - strict IPv4 dotted quad or RFC 4291 IPv6 (with embedded
 * IPv4); len bytes of s, no NUL needed.  Rejects leading zeros in IPv4
 * octets, fewer than 4 octets, hex/octal, values > 255, zone ids, white
 * space, empty input.  0 on success, -1 on error. */
int vd_addr_parse(const char *s, size_t len, vaddr *out);

/* vd_addr_is_v4 - 1 if the address is IPv4-mapped (::ffff:0:0/96). */
int vd_addr_is_v4(const vaddr *a);

/* vd_addr_from_v4 / vd_addr_from_v6 - build from raw network-order bytes. */
void vd_addr_from_v4(vaddr *out, const uint8_t v4[4]);
void vd_addr_from_v6(vaddr *out, const uint8_t v6[16]);

/* vd_addr_format - canonical text (NUL-terminated); returns its length.
 * buf must hold ADDR_TEXT_MAX bytes. */
size_t vd_addr_format(const vaddr *a, char *buf);

/* vd_addr_cmp - memcmp order (IPv4-mapped sorts inside ::ffff:0:0/96).
 * Inline, two 8-byte compares instead of a call to memcmp(): index
 * rebuilds call it several times for every entry of an import. */
static inline uint64_t
vd_addr_be64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline int
vd_addr_cmp(const vaddr *a, const vaddr *b)
{
	uint64_t x = vd_addr_be64(a->b), y = vd_addr_be64(b->b);

	if (x == y) {
		x = vd_addr_be64(a->b + 8);
		y = vd_addr_be64(b->b + 8);
	}
	return (x > y) - (x < y);
}

/* vd_addr_inc / vd_addr_dec - add/subtract one; return 1 on wrap-around. */
int vd_addr_inc(vaddr *a);
int vd_addr_dec(vaddr *a);

/* vd_addr_mask - clear the bits after the first plen;
 * vd_addr_last - set them. */
void vd_addr_mask(vaddr *a, unsigned plen);
void vd_addr_last(const vcidr *c, vaddr *last);

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

/* vd_cidr_contains - 1 if a contains b (a == b included). */
int vd_cidr_contains(const vcidr *a, const vcidr *b);

/* vd_cidr_table_check - why a network may not go in a table, or NULL:
 * "/0 is not allowed in a table", or for an IPv6 network that contains
 * ::ffff:0:0/96 "... would cover every IPv4 address". */
const char *vd_cidr_table_check(const vcidr *c);

/*
 * vd_range_split - the minimal list of CIDRs covering [lo, hi] (lo <= hi, both
 * of one family: both IPv4-mapped or both not).  Calls emit once per CIDR
 * in ascending order; a non-zero return from emit stops and is returned.
 * Returns -1 when lo > hi or the families differ.
 */
int vd_range_split(const vaddr *lo, const vaddr *hi,
		int (*emit)(const vcidr *c, void *arg), void *arg);

#endif
