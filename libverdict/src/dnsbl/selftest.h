/*
 * selftest.h - the RFC 5782 self-test of DNSBL zones
 *
 * Each zone must list 127.0.0.2 and must not list 127.0.0.1; a zone that
 * lists 127.0.0.1 has gone wild and its answers are ignored.  The result
 * lives in the zone record (engine.h), tested with a zone's first use
 * and again when older than VD_SELFTEST_AGE_NS (coarse clock).
 */
#ifndef VD_SELFTEST_H
#define VD_SELFTEST_H

#include <stdint.h>

#include "dnsbl.h"
#include "flight.h"

#define VD_SELFTEST_AGE_NS (600 * VD_NS_PER_S)	/* older: test again */

/* vd_selftest_due - z was never tested or its test is older than
 * VD_SELFTEST_AGE_NS at now (vd_clock_coarse_ns).  No lock needed. */
int vd_selftest_due(const zrec *z, int64_t now);

/* vd_selftest_start - queue both probes of z unless running (e->mu). */
void vd_selftest_start(dnsbl_engine *e, zrec *z);

/* vd_selftest_attach - attach w to z's running probes through l[0..1],
 * in that order (e->mu held). */
void vd_selftest_attach(dnsbl_engine *e, zrec *z, wlink *l, waiter *w);

/* vd_selftest_landed - probe i (0: 127.0.0.2, 1: 127.0.0.1) of z
 * answered a; the verdict is decided with the second (e->mu held). */
void vd_selftest_landed(dnsbl_engine *e, zrec *z, int i,
			const dnsbl_answer *a);

/* vd_selftest_doctor: the test on demand, declared in dnsbl.h */

#endif
