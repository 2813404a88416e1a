/*
 * addr.h - addresses in one 16-byte key space
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

/* vd_addr_parse - strict IPv4 dotted quad or RFC 4291 IPv6 (with embedded
 * IPv4); len bytes of s, no NUL needed.  Rejects leading zeros in IPv4
 * octets, fewer than 4 octets, hex/octal, values > 255, zone ids, white
 * space, empty input.  0 on success, -1 on error. */
int vd_addr_parse(const char *s, size_t len, vaddr *out);

/* vd_addr_parse_family - vd_addr_parse; *v4text is 1 when the text was a
 * dotted quad, 0 when it was IPv6 text (IPv4-mapped included). */
int vd_addr_parse_family(const char *s, size_t len, vaddr *out, int *v4text);

/* vd_addr_is_v4 - 1 if the address is IPv4-mapped (::ffff:0:0/96). */
int vd_addr_is_v4(const vaddr *a);

/* vd_addr_from_v4 / vd_addr_from_v6 - build from raw network-order bytes. */
void vd_addr_from_v4(vaddr *out, const uint8_t v4[4]);
void vd_addr_from_v6(vaddr *out, const uint8_t v6[16]);

/* vd_addr_format - canonical text (NUL-terminated); returns its length.
 * buf must hold ADDR_TEXT_MAX bytes. */
size_t vd_addr_format(const vaddr *a, char *buf);

/* vd_addr_put_dec - v (0..255) in decimal at p, no NUL; returns the end. */
char *vd_addr_put_dec(char *p, unsigned v);

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

#endif
