/*
 * selftest.h - the RFC 5782 self-test of DNSBL zones
 *
 * Each zone must list a test entry, 127.0.0.2 or ::ffff:7f00:2 (asked in
 * the 32-nibble form), and list neither 127.0.0.1 nor ::ffff:7f00:1; a
 * zone that lists one of those has gone wild and its answers are ignored.
 * The result lives in the zone record (engine.h), tested with a zone's first use
 * and again when older than VD_SELFTEST_AGE_NS (coarse clock).
 */
#ifndef VD_SELFTEST_H
#define VD_SELFTEST_H

#include <stdint.h>

#include "dnsbl.h"
#include "flight.h"

#define VD_SELFTEST_AGE_NS (600 * VD_NS_PER_S)	/* older: test again */

/* The probes, indexes into zrec.probe: an IPv4 and an IPv6 pair, each
 * the entry that must be listed first, then the one that must not. */
#define VD_SELFTEST_PROBES	4
#define VD_SELFTEST_OCTETS	1	/* fkey.test of an IPv4 probe */
#define VD_SELFTEST_NIBBLES	2	/* fkey.test of an IPv6 probe */

/* vd_selftest_probe - the probe index (0..3) of a self-test key. */
int vd_selftest_probe(const fkey *k);

/* vd_selftest_due - z was never tested or its test is older than
 * VD_SELFTEST_AGE_NS at now (vd_clock_coarse_ns).  No lock needed. */
int vd_selftest_due(const zrec *z, int64_t now);

/* vd_selftest_start - queue the probes of z unless running (e->mu). */
void vd_selftest_start(dnsbl_engine *e, zrec *z);

/* vd_selftest_attach - attach w to z's running probes through
 * l[0..VD_SELFTEST_PROBES - 1] (e->mu held). */
void vd_selftest_attach(dnsbl_engine *e, zrec *z, wlink *l, waiter *w);

/* vd_selftest_landed - probe i (vd_selftest_probe) of z answered a; the
 * verdict is decided with the last (e->mu held). */
void vd_selftest_landed(dnsbl_engine *e, zrec *z, int i,
			const dnsbl_answer *a);

/* vd_selftest_doctor: the test on demand, declared in dnsbl.h */

#endif
