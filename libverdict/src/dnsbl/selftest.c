/*
 * selftest.c - the RFC 5782 self-test of DNSBL zones
 *
 *	vd_selftest_due		is a zone's test missing or too old?
 *	vd_selftest_start	send the probes of a zone
 *	vd_selftest_attach	wait for a zone's running probes
 *	vd_selftest_landed	a probe answered: decide wild or not
 *	vd_selftest_doctor	run the test on demand (verdict doctor)
 *
 * A zone is tested with its first use and again when the result is
 * older than ten minutes, triggered by a check and run concurrently with
 * it: never inside anyone's deadline, except that a check waits, within
 * its deadline, for a zone never tested.  Four probes: RFC 5782 asks an
 * IPv4 list to list 127.0.0.2 and not 127.0.0.1, and (section 5) an IPv6
 * list to list ::ffff:7f00:2 and not ::ffff:7f00:1, asked in the
 * 32-nibble form; a zone holds one family or both, so it passes when it
 * lists either test entry.  A zone that lists 127.0.0.1 or ::ffff:7f00:1
 * is "wild": its answers never count until a re-test passes, because a
 * list answering everything would otherwise block all mail.  A first
 * test that gets no answer leaves the zone in use: DNS failure is
 * unknown, not wild.
 *
 * Ages are on the coarse clock (vd_clock_coarse_ns), so tests move time
 * with vd_clock_set_coarse instead of waiting ten minutes.
 *
 * Diagnostics: "gone wild" (LOG_ERR) and "passed its self-test again"
 * (LOG_NOTICE) on a change, "does not list 127.0.0.2 or ::ffff:7f00:2"
 * (LOG_WARNING) once a minute a zone; the display name, never the secret
 * domain.
 *
 * Limits: the result lives in the process only.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "selftest.h"

/* what each probe asks, by index (even: must be listed; odd: must not) */
static const char *const probe_name[VD_SELFTEST_PROBES] = {
	"127.0.0.2", "127.0.0.1", "::ffff:7f00:2", "::ffff:7f00:1",
};

/* probe_key - the flight key of z's probe i; an IPv4-mapped address is
 * the same vaddr in both families, the key's test tells the form */
static void
probe_key(fkey *k, const zrec *z, int i)
{
	uint8_t b[4] = { 127, 0, 0, (uint8_t)(i & 1 ? 1 : 2) };
	vaddr ip;

	vd_addr_from_v4(&ip, b);
	vd_flight_key(k, z, ns_t_a, i < 2 ? VD_SELFTEST_OCTETS :
		      VD_SELFTEST_NIBBLES, &ip);
}

/* vd_selftest_probe - the index of the probe a self-test key asks */
int
vd_selftest_probe(const fkey *k)
{
	return (k->test == VD_SELFTEST_NIBBLES ? 2 : 0)
	       + (k->ip.b[15] == 2 ? 0 : 1);
}

static int
listed(const dnsbl_answer *a)
{
	return a->kind == DNSBL_LISTED;
}

/* vd_selftest_due - never tested, or tested too long ago */
int
vd_selftest_due(const zrec *z, int64_t now)
{
	return __atomic_load_n(&z->verdict, __ATOMIC_ACQUIRE) == TEST_NONE
	       || now - __atomic_load_n(&z->tested_at, __ATOMIC_ACQUIRE)
		  > VD_SELFTEST_AGE_NS;
}

/* vd_selftest_start - send the RFC 5782 probes unless running */
void
vd_selftest_start(dnsbl_engine *e, zrec *z)
{
	fkey k;
	int i, started, ok = 0;

	if (z->testing)
		return;
	z->probes_left = VD_SELFTEST_PROBES;
	for (i = 0; i < VD_SELFTEST_PROBES; i++) {
		memset(&z->probe[i], 0, sizeof(z->probe[i]));
		probe_key(&k, z, i);
		if (vd_flight_get(e, z, &k, &started) != NULL)
			ok++;
		else
			z->probe[i].kind = DNSBL_ERROR;
	}
	if (ok == VD_SELFTEST_PROBES) {
		z->testing = 1;
	} else {
		/* retried by the next check; never block on it meanwhile */
		z->probes_left = 0;
		z->testing = 0;
	}
}

/* vd_selftest_attach - wait for the running probes of z */
void
vd_selftest_attach(dnsbl_engine *e, zrec *z, wlink *l, waiter *w)
{
	fkey k;
	flight *f;
	int i, n = 0;

	for (i = 0; i < VD_SELFTEST_PROBES; i++) {
		probe_key(&k, z, i);
		if ((f = vd_flight_find(e, &k)) != NULL)
			vd_flight_attach(f, &l[n++], w);
	}
}

/* decide - all probes answered: wild or not */
static void
decide(dnsbl_engine *e, zrec *z)
{
	const dnsbl_answer *p = z->probe;
	int w = listed(&p[1]) ? 1 : listed(&p[3]) ? 3 : 0;
	char txt[96];

	if (w) {
		vd_answer_text(&p[w], txt, sizeof(txt));
		if (z->verdict != TEST_WILD
		    || vd_log_ratelimit(&z->warn_last[WARN_WILD], WARN_NS))
			vd_log(e->lg, LOG_ERR, "dnsbl: zone %s lists %s "
			       "(%s): it has gone wild; its answers are "
			       "ignored until a re-test passes",
			       vd_zrec_display(z), probe_name[w], txt);
		__atomic_store_n(&z->verdict, TEST_WILD, __ATOMIC_RELEASE);
	} else if (p[1].kind == DNSBL_NXDOMAIN || p[3].kind == DNSBL_NXDOMAIN
		   || z->verdict == TEST_NONE) {
		if (z->verdict == TEST_WILD)
			vd_log(e->lg, LOG_NOTICE, "dnsbl: zone %s passed its "
			       "self-test again; its answers count",
			       vd_zrec_display(z));
		__atomic_store_n(&z->verdict, TEST_OK, __ATOMIC_RELEASE);
	}
	if (p[0].kind == DNSBL_NXDOMAIN && p[2].kind == DNSBL_NXDOMAIN
	    && vd_log_ratelimit(&z->warn_last[WARN_NOTEST], WARN_NS))
		vd_log(e->lg, LOG_WARNING, "dnsbl: zone %s does not list "
		       "127.0.0.2 or ::ffff:7f00:2 (RFC 5782 test entries)",
		       vd_zrec_display(z));
	__atomic_store_n(&z->tested_at, vd_clock_coarse_ns(),
			 __ATOMIC_RELEASE);
	z->testing = 0;
}

/* vd_selftest_landed - record probe i; decide with the last one */
void
vd_selftest_landed(dnsbl_engine *e, zrec *z, int i, const dnsbl_answer *a)
{
	z->probe[i] = *a;
	if (--z->probes_left == 0)
		decide(e, z);
}

/* doctor_run - send every zone's probes and wait for them within the
 * deadline; pr[d] gets what came (e->mu taken here) */
static void
doctor_run(dnsbl_engine *e, zrec **zr, size_t nd, int64_t deadline_ns,
	   dnsbl_answer (*pr)[VD_SELFTEST_PROBES])
{
	wlink links[DNSBL_ZONES_MAX][VD_SELFTEST_PROBES];
	waiter w;
	wgroup g;
	size_t d;
	int i, busy, sent = 0;

	memset(links, 0, sizeof(links));
	pthread_mutex_lock(&e->mu);
	vd_flight_group_init(e, &g);
	w.g = &g;
	w.over = NULL;
	w.release = NULL;
	w.arg = NULL;
	w.is_over = 0;
	for (d = 0; d < nd; d++) {
		vd_selftest_start(e, zr[d]);
		vd_selftest_attach(e, zr[d], links[d], &w);
	}
	for (;;) {
		busy = 0;
		for (d = 0; d < nd; d++)
			for (i = 0; i < VD_SELFTEST_PROBES; i++)
				if (links[d][i].f && !links[d][i].f->done)
					busy = 1;
		if (!busy)
			break;
		sent = 1;
		g.target = 1;
		if (!vd_flight_wait(e, &g, deadline_ns))
			break;
	}
	if (!sent)
		vd_flight_flush(e);
	for (d = 0; d < nd; d++) {
		for (i = 0; i < VD_SELFTEST_PROBES; i++) {
			flight *f = links[d][i].f;

			if (f && f->done)
				pr[d][vd_selftest_probe(&f->key)] = f->ans;
			vd_flight_detach(e, &links[d][i]);
		}
	}
	pthread_mutex_unlock(&e->mu);
	vd_flight_group_destroy(&g);
}

#define SAY(...) do { if (n < size) { \
	int r_ = snprintf(buf + n, size - n, __VA_ARGS__); \
	n = r_ < 0 ? size : n + (size_t)r_; } } while (0)

static int
silent(const dnsbl_answer *a)
{
	return a->kind == DNSBL_PENDING || a->kind == DNSBL_TIMEOUT;
}

/* doctor_detail - the words of one zone's result (p: the probes); 1 when
 * it passed: a test entry listed, neither wild address listed, and at
 * least one of those answered "not listed" */
static int
doctor_detail(const dnsbl_answer *p, char *buf, size_t size)
{
	char t[96];
	size_t n = 0;
	int i, ok = (listed(&p[0]) || listed(&p[2])) && !listed(&p[1])
		    && !listed(&p[3]) && (p[1].kind == DNSBL_NXDOMAIN
					  || p[3].kind == DNSBL_NXDOMAIN);

	buf[0] = 0;
	if (ok) {
		SAY("ok");
		return 1;
	}
	if (silent(&p[0]) && silent(&p[1]) && silent(&p[2]) && silent(&p[3])) {
		SAY("not answering");
		return 0;
	}
	for (int k = 0; k < VD_SELFTEST_PROBES / 2; k++) {
		i = 2 * k + 1;	/* the wild addresses */
		vd_answer_text(&p[i], t, sizeof(t));
		if (listed(&p[i]))
			SAY("%swild: lists %s (%s)", n ? "; " : "",
			    probe_name[i], t);
		else if (p[1].kind != DNSBL_NXDOMAIN
			 && p[3].kind != DNSBL_NXDOMAIN)
			SAY("%s%s: %s", n ? "; " : "", probe_name[i], t);
	}
	if (p[0].kind == DNSBL_NXDOMAIN && p[2].kind == DNSBL_NXDOMAIN) {
		SAY("%sdoes not list 127.0.0.2 or ::ffff:7f00:2",
		    n ? "; " : "");
	} else if (!listed(&p[0]) && !listed(&p[2])) {
		for (int k = 0; k < VD_SELFTEST_PROBES / 2; k++) {
			i = 2 * k;	/* the test entries */
			vd_answer_text(&p[i], t, sizeof(t));
			SAY("%s%s: %s", n ? "; " : "", probe_name[i], t);
		}
	}
	return 0;
}

#undef SAY

/* vd_selftest_doctor - the test on demand, one callback per zone */
int
vd_selftest_doctor(dnsbl_engine *e, const dnsbl_sites *s,
		   int64_t deadline_ns,
		   int (*cb)(const char *zone, int ok, const char *detail,
			     void *arg), void *arg)
{
	zrec *zr[DNSBL_ZONES_MAX];
	dnsbl_answer pr[DNSBL_ZONES_MAX][VD_SELFTEST_PROBES];
	char detail[256];
	size_t d, nd = vd_sites_nzones(s);
	int ok, rc;

	if (e == NULL || cb == NULL)
		return vd_err_set(VERDICT_EINVAL, 0,
				   "vd_selftest_doctor: NULL argument");
	memset(pr, 0, sizeof(pr));
	for (d = 0; d < nd; d++)
		if ((zr[d] = vd_dnsbl_engine_zone(e, s, d)) == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM,
					   "out of memory");
	doctor_run(e, zr, nd, deadline_ns, pr);
	for (d = 0; d < nd; d++) {
		ok = doctor_detail(pr[d], detail, sizeof(detail));
		if ((rc = cb(vd_sites_display(s, d), ok, detail, arg)) != 0)
			return rc;
	}
	return 0;
}
