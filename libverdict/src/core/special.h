/*
 * special.h - special-purpose address space, and how much of a range is
 * public (special.c)
 */
#ifndef VD_SPECIAL_H
#define VD_SPECIAL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

typedef unsigned __int128 vd_u128;

/* A range wider than this many public addresses is "wide": a /8 of
 * IPv4, a /16 of IPv6. */
#define SPECIAL_WIDE_V4 ((vd_u128)1 << 24)
#define SPECIAL_WIDE_V6 ((vd_u128)1 << 112)

/* vd_special_public - how many addresses of [lo, hi] (lo <= hi, one
 * family) lie outside special-purpose space; saturates at 2^128 - 1. */
vd_u128 vd_special_public(const vaddr *lo, const vaddr *hi);

/* vd_special_wide - 1 when [lo, hi] holds more public addresses than a
 * /8 of IPv4 or a /16 of IPv6 (*pub: that count, may be NULL). */
int vd_special_wide(const vaddr *lo, const vaddr *hi, vd_u128 *pub);

/* vd_special_wide_why - when [lo, hi] is wide, 1 and in buf (len bytes)
 * "holds N public IPv4 addresses, more than a /8"; else 0 */
int vd_special_wide_why(const vaddr *lo, const vaddr *hi, char *buf,
			size_t len);

/* vd_special_cidr_range - the first and last address of a network */
void vd_special_cidr_range(const vcidr *c, vaddr *lo, vaddr *hi);

/* vd_special_v4_public_total - the public IPv4 addresses (a constant) */
uint64_t vd_special_v4_public_total(void);

#endif
