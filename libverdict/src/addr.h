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

/* addr_parse - strict IPv4 dotted quad or RFC 4291 IPv6 (with embedded
 * IPv4); len bytes of s, no NUL needed.  Rejects leading zeros in IPv4
 * octets, fewer than 4 octets, hex/octal, values > 255, zone ids, white
 * space, empty input.  0 on success, -1 on error. */
int addr_parse(const char *s, size_t len, vaddr *out);

/* addr_is_v4 - 1 if the address is IPv4-mapped (::ffff:0:0/96). */
int addr_is_v4(const vaddr *a);

/* addr_from_v4 / addr_from_v6 - build from raw network-order bytes. */
void addr_from_v4(vaddr *out, const uint8_t v4[4]);
void addr_from_v6(vaddr *out, const uint8_t v6[16]);

/* addr_format - canonical text (NUL-terminated); returns its length.
 * buf must hold ADDR_TEXT_MAX bytes. */
size_t addr_format(const vaddr *a, char *buf);

/* addr_cmp - memcmp order (IPv4-mapped sorts inside ::ffff:0:0/96).
 * Inline, two 8-byte compares: index rebuilds call it a few times an
 * entry, and memcmp() was 5% of an import. */
static inline uint64_t
addr_be64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline int
addr_cmp(const vaddr *a, const vaddr *b)
{
	uint64_t x = addr_be64(a->b), y = addr_be64(b->b);

	if (x == y) {
		x = addr_be64(a->b + 8);
		y = addr_be64(b->b + 8);
	}
	return (x > y) - (x < y);
}

/* addr_inc / addr_dec - add/subtract one; return 1 on wrap-around. */
int addr_inc(vaddr *a);
int addr_dec(vaddr *a);

/* addr_mask - clear the bits after the first plen; addr_last - set them. */
void addr_mask(vaddr *a, unsigned plen);
void addr_last(const vcidr *c, vaddr *last);

/* Result codes of cidr_parse. */
#define CIDR_OK		0
#define CIDR_HOSTBITS	1	/* parsed; host bits were set and cleared */
#define CIDR_BAD	-1

/* cidr_parse - "addr" (a host: /32 or /128) or "addr/len" with a decimal
 * length without leading zeros (0..32 for IPv4, 0..128 for IPv6).  Host
 * bits set: normalised into *out and CIDR_HOSTBITS returned.  An IPv4-
 * mapped IPv6 form with a length <= 96 (::ffff:1.2.3.4/64) is IPv6. */
int cidr_parse(const char *s, size_t len, vcidr *out);

/* cidr_format - "a.b.c.d/n" (n = plen - 96 for IPv4) or RFC 5952 "x::/n";
 * returns its length; buf must hold CIDR_TEXT_MAX bytes. */
size_t cidr_format(const vcidr *c, char *buf);

/* cidr_is_v4 - 1 if the network lies in ::ffff:0:0/96 with plen >= 96. */
int cidr_is_v4(const vcidr *c);

/* cidr_contains - 1 if a contains b (a == b included). */
int cidr_contains(const vcidr *a, const vcidr *b);

/* cidr_table_check - why a network may not go in a table, or NULL:
 * "/0 is not allowed in a table", or for an IPv6 network that contains
 * ::ffff:0:0/96 "... would cover every IPv4 address". */
const char *cidr_table_check(const vcidr *c);

/*
 * range_split - the minimal list of CIDRs covering [lo, hi] (lo <= hi, both
 * of one family: both IPv4-mapped or both not).  Calls emit once per CIDR
 * in ascending order; a non-zero return from emit stops and is returned.
 * Returns -1 when lo > hi or the families differ.
 */
int range_split(const vaddr *lo, const vaddr *hi,
		int (*emit)(const vcidr *c, void *arg), void *arg);

#endif
