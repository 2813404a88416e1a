/*
 * resolv.c - the resolver thread: one c-ares channel, one owner thread
 *
 *	resolv_new	create the channel and start the thread
 *	resolv_submit	queue a query and wake the thread (any thread)
 *	resolv_queue	queue a query, no wake-up yet (any thread)
 *	resolv_kick	wake the thread for what resolv_queue queued
 *	resolv_free	stop, join, destroy
 *
 * Why a thread: c-ares 1.18 has no event thread of its own and a channel
 * must not be touched by two threads at once.  Callers therefore never
 * see the channel: they append to a queue under a mutex and write to an
 * eventfd; the thread drains the queue, starts the queries (ares_query),
 * and sleeps in poll() on the eventfd plus the channel's sockets, which
 * the socket-state callback keeps in a growable array (no fd_set, so
 * descriptors above 1024 are fine).  After poll, ares_process_fd() reads,
 * writes and expires queries; c-ares then calls the query callbacks in
 * this thread.
 *
 * Queries in flight: at most RESOLV_INFLIGHT_MAX are sent and unanswered
 * at any time; the rest wait in the queue, in order, and go out as answers
 * come in.  A local DNSBL server (rbldnsd) with its default socket buffer
 * drops queries when a few hundred arrive at once (measured: none lost at
 * 64 in flight, 1 in 8,000 at 128, 1% at 500), and a dropped query costs
 * a whole retry interval.  A caller that queues several queries at once
 * (one check's zones) wakes the thread once: resolv_queue, then
 * resolv_kick, which writes the eventfd only when the thread may be
 * asleep in poll (a flag set, under the queue's mutex, after it took the
 * queue; cleared when poll returns).
 *
 * Every descriptor is close-on-exec: ours by flag, c-ares' sockets from
 * the socket-configure callback.
 *
 * Diagnostics: resolv_new reports c-ares failures as VERDICT_EDNS with
 * the c-ares status as lower code.
 *
 * Limits: the bound is on queries in flight, not on queued ones: callers
 * bound their number (the CLI's --parallel, the host's threads).
 */
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "resolv.h"

#define RESOLV_INFLIGHT_MAX 64	/* queries sent and not yet answered */

typedef struct rquery {
	struct rquery *next;
	struct resolv *r;
	resolv_cb cb;
	void *arg;
	int qtype;
	char name[];
} rquery;

typedef struct rsock {
	int fd;
	short events;
} rsock;

struct resolv {
	ares_channel ch;
	pthread_t thread;
	int started;
	int efd;			/* eventfd: wake the thread */
	const vd_logger *lg;
	pthread_mutex_t mu;		/* guards queue and stop */
	rquery *head, **tailp;
	int stop;
	int polling;			/* atomic: the thread may sleep in poll;
					 * the first submitter to clear it
					 * wakes the thread */
	/* owned by the thread: the channel's sockets, queries in flight */
	rsock *socks;
	size_t nsocks, capsocks;
	int inflight;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_status;

static void
lib_init(void)
{
	lib_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* sock_state - c-ares tells which sockets to watch (thread only) */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	resolv *r = data;
	size_t i;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));

	for (i = 0; i < r->nsocks; i++)
		if (r->socks[i].fd == fd)
			break;
	if (ev == 0) {
		if (i < r->nsocks)
			r->socks[i] = r->socks[--r->nsocks];
		return;
	}
	if (i == r->nsocks) {
		if (r->nsocks == r->capsocks) {
			size_t ncap = r->capsocks ? r->capsocks * 2 : 8;
			rsock *n = realloc(r->socks, ncap * sizeof(*n));

			if (n == NULL) {
				/* the query times out instead; say so */
				vd_log(r->lg, LOG_ERR, "dnsbl: out of memory "
				       "watching a resolver socket");
				return;
			}
			r->socks = n;
			r->capsocks = ncap;
		}
		r->socks[r->nsocks++].fd = fd;
	}
	r->socks[i].events = ev;
}

/* sock_config - close-on-exec for every socket c-ares opens */
static int
sock_config(ares_socket_t fd, int type, void *data)
{
	(void)type;
	(void)data;
	return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -1 : 0;
}

static void
query_done(void *arg, int status, int timeouts, unsigned char *abuf,
	   int alen)
{
	rquery *q = arg;

	(void)timeouts;
	q->r->inflight--;
	q->cb(q->arg, status, abuf, alen);
	free(q);
}

static void *
run(void *arg)
{
	resolv *r = arg;
	struct pollfd *pfd = NULL;
	size_t cap = 0, n, i;
	rquery *q, *next;
	struct timeval tv, *tvp;
	int stop, ms;
	uint64_t junk;

	for (;;) {
		/* take what may go out now: all when stopping, else up to
		 * the bound on queries in flight; the rest stays queued */
		pthread_mutex_lock(&r->mu);
		stop = r->stop;
		q = r->head;
		if (stop) {
			r->head = NULL;
		} else if (q != NULL) {
			rquery *last = q;
			int k = RESOLV_INFLIGHT_MAX - r->inflight;

			if (k <= 0) {
				q = NULL;
			} else {
				while (--k > 0 && last->next != NULL)
					last = last->next;
				r->head = last->next;
				last->next = NULL;
			}
		}
		if (r->head == NULL)
			r->tailp = &r->head;
		/* from here until poll returns, a new query must wake us
		 * (set under mu: a submitter that queues after this sees it) */
		__atomic_store_n(&r->polling, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&r->mu);
		for (; q; q = next) {
			next = q->next;
			r->inflight++;
			if (stop)
				query_done(q, ARES_EDESTRUCTION, 0, NULL, 0);
			else
				ares_query(r->ch, q->name, ns_c_in, q->qtype,
					   query_done, q);
		}
		if (stop)
			break;
		n = r->nsocks + 1;
		if (n > cap) {
			struct pollfd *np = realloc(pfd, n * sizeof(*np));

			if (np == NULL) {
				/* poll the eventfd alone; retry shortly */
				n = 1;
			} else {
				pfd = np;
				cap = n;
			}
		}
		if (pfd == NULL) {
			usleep(1000);
			continue;
		}
		pfd[0].fd = r->efd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (i = 1; i < n; i++) {
			pfd[i].fd = r->socks[i - 1].fd;
			pfd[i].events = r->socks[i - 1].events;
			pfd[i].revents = 0;
		}
		tvp = ares_timeout(r->ch, NULL, &tv);
		ms = tvp ? (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000)
			 : -1;
		if (poll(pfd, n, ms) < 0 && errno != EINTR) {
			vd_log(r->lg, LOG_ERR, "dnsbl: poll: %s",
			       strerror(errno));
			usleep(1000);
		}
		/* awake: the queue is looked at before the next poll */
		__atomic_store_n(&r->polling, 0, __ATOMIC_SEQ_CST);
		if (pfd[0].revents & POLLIN) {
			if (read(r->efd, &junk, sizeof(junk)) < 0)
				(void)0;	/* EAGAIN: already drained */
		}
		/* the array is a copy: callbacks may change r->socks */
		for (i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			ares_process_fd(r->ch,
				pfd[i].revents & (POLLIN | POLLERR | POLLHUP)
				? pfd[i].fd : ARES_SOCKET_BAD,
				pfd[i].revents & POLLOUT ? pfd[i].fd
				: ARES_SOCKET_BAD);
		}
		/* timeouts */
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	free(pfd);
	return NULL;
}

/* servers_csv - "a:p,[b]:p" for ares_set_servers_ports_csv */
static int
servers_csv(const config_strlist *servers, char **out)
{
	size_t i, len = 1, n = 0, l;
	char *s;

	for (i = 0; i < servers->n; i++)
		len += strlen(servers->v[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return -1;
	for (i = 0; i < servers->n; i++) {
		if (i)
			s[n++] = ',';
		l = strlen(servers->v[i]);
		memcpy(s + n, servers->v[i], l);
		n += l;
	}
	s[n] = 0;
	*out = s;
	return 0;
}

int
resolv_new(const config_strlist *servers, int try_ms, int tries,
	   const vd_logger *lg, resolv **out)
{
	struct ares_options opt;
	resolv *r;
	char *csv = NULL;
	int rc, st;

	*out = NULL;
	pthread_once(&lib_once, lib_init);
	if (lib_status != ARES_SUCCESS)
		return util_err(VERDICT_EDNS, lib_status,
				"c-ares library init: %s",
				ares_strerror(lib_status));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	r->lg = lg;
	r->tailp = &r->head;
	r->efd = -1;
	pthread_mutex_init(&r->mu, NULL);
	memset(&opt, 0, sizeof(opt));
	/* IGNTC: a truncated DNSBL answer is an unknown, not a TCP retry.
	 * NOCHECKRESP: c-ares 1.18 otherwise turns SERVFAIL and REFUSED
	 * into ECONNREFUSED after trying every server; we want the rcode
	 * (the price: no fail-over to the next server on those two). */
	opt.flags = ARES_FLAG_IGNTC | ARES_FLAG_NOSEARCH
		    | ARES_FLAG_NOCHECKRESP;
	opt.timeout = try_ms > 0 ? try_ms : 500;
	opt.tries = tries > 0 ? tries : 1;
	opt.sock_state_cb = sock_state;
	opt.sock_state_cb_data = r;
	st = ares_init_options(&r->ch, &opt, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS
			       | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
	if (st != ARES_SUCCESS) {
		free(r);
		return util_err(VERDICT_EDNS, st, "c-ares init: %s",
				ares_strerror(st));
	}
	ares_set_socket_configure_callback(r->ch, sock_config, NULL);
	if (servers && servers->n) {
		if (servers_csv(servers, &csv) < 0) {
			rc = util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
			goto bad;
		}
		st = ares_set_servers_ports_csv(r->ch, csv);
		if (st != ARES_SUCCESS) {
			rc = util_err(VERDICT_EDNS, st, "dns_servers \"%s\": %s",
				      csv, ares_strerror(st));
			goto bad;
		}
	}
	if ((r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		rc = util_err(VERDICT_EDNS, errno, "eventfd: %s",
			      strerror(errno));
		goto bad;
	}
	if ((st = pthread_create(&r->thread, NULL, run, r)) != 0) {
		rc = util_err(VERDICT_EDNS, st, "resolver thread: %s",
			      strerror(st));
		goto bad;
	}
	r->started = 1;
	free(csv);
	*out = r;
	return VERDICT_OK;
bad:
	free(csv);
	if (r->efd >= 0)
		close(r->efd);
	ares_destroy(r->ch);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return rc;
}

static void
wake(resolv *r)
{
	uint64_t one = 1;

	if (write(r->efd, &one, sizeof(one)) < 0)
		(void)0;	/* EAGAIN: counter full, the thread wakes */
}

int
resolv_queue(resolv *r, const char *name, int qtype, resolv_cb cb,
	     void *arg)
{
	size_t len = strlen(name) + 1;
	rquery *q;

	if ((q = malloc(sizeof(*q) + len)) == NULL)
		return VERDICT_ENOMEM;
	q->next = NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->qtype = qtype;
	memcpy(q->name, name, len);
	pthread_mutex_lock(&r->mu);
	if (r->stop) {
		pthread_mutex_unlock(&r->mu);
		free(q);
		return VERDICT_ESTATE;
	}
	*r->tailp = q;
	r->tailp = &q->next;
	pthread_mutex_unlock(&r->mu);
	return VERDICT_OK;
}

/* resolv_kick - wake the thread if it may be sleeping in poll: while it
 * is awake it takes the queue before polling again, so a busy resolver
 * costs its submitters no system call */
void
resolv_kick(resolv *r)
{
	if (__atomic_exchange_n(&r->polling, 0, __ATOMIC_SEQ_CST))
		wake(r);
}

int
resolv_submit(resolv *r, const char *name, int qtype, resolv_cb cb,
	      void *arg)
{
	int rc = resolv_queue(r, name, qtype, cb, arg);

	if (rc == VERDICT_OK)
		resolv_kick(r);
	return rc;
}

void
resolv_free(resolv *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_mutex_unlock(&r->mu);
	wake(r);
	if (r->started)
		pthread_join(r->thread, NULL);
	/* the thread is gone: this thread may use the channel now;
	 * outstanding queries get ARES_EDESTRUCTION */
	ares_destroy(r->ch);
	close(r->efd);
	free(r->socks);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
