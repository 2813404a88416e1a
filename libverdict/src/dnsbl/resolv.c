/*
 * resolv.c - one c-ares channel, driven by the thread that waits for it
 *
 *	vd_resolv_new	create the channel and start the standby thread
 *	vd_resolv_queue	queue a query (any thread, any lock held)
 *	vd_resolv_drive	send what is queued; drive the channel from this
 *			thread while nobody else does, until done() or the
 *			deadline (any thread, none of the callbacks' locks held)
 *	vd_resolv_free	stop, join, destroy
 *
 * c-ares 1.18 has no event thread of its own and a channel must not be
 * touched by two threads at once, so the channel is used only under
 * r->chmu.  One thread at a time is its *owner*: it sleeps in poll() on
 * the channel's sockets (kept in a growable array by the socket-state
 * callback: no fd_set, descriptors above 1024 are fine) plus an eventfd,
 * with chmu released, then takes chmu and calls ares_process_fd(), which
 * runs the query callbacks in that thread, under chmu.
 *
 * Who owns: a check that finds the channel without an owner drives it
 * itself, from its own thread, until its wait is over, so a lone check
 * sleeps in poll() on its own sockets and is woken by the kernel when an
 * answer arrives, not by another thread (a thread wake-up can cost as
 * much as a loopback DNS round trip, and a resolver thread in between
 * would add one to every check).  When it stops driving
 * with queries still in flight (those of other checks, or answers it no
 * longer needs), the standby thread takes over until none are left.  A
 * check that finds an owner is a follower: it sends its queries itself
 * (under chmu, while the owner sleeps in poll without it), and waits on
 * its condition variable for the owner's callbacks; it wakes the owner
 * through the eventfd only when the owner must change what it polls (a
 * new socket, or a timeout earlier than the one it sleeps to).
 *
 * Queries in flight: at most RESOLV_INFLIGHT_MAX are sent and unanswered
 * at any time; the rest wait in the queue, in order, and go out as answers
 * come in.  A local DNSBL server (rbldnsd) with its default socket buffer
 * drops queries when a few hundred arrive at once, and a dropped query
 * costs a whole retry interval.
 *
 * Locks: qmu (the queue) is a leaf, so vd_resolv_queue may be called under
 * any lock; chmu is taken before any lock a callback takes, so
 * vd_resolv_drive must be called with none of those held.
 *
 * Every descriptor is close-on-exec: ours by flag, c-ares' sockets from
 * the socket-configure callback.
 *
 * Diagnostics: vd_resolv_new reports c-ares failures as VERDICT_EDNS with
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "resolv.h"

#define RESOLV_INFLIGHT_MAX 64	/* queries sent and not yet answered */

enum { OWN_NONE, OWN_THREAD, OWN_CALLER };

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
	int efd;			/* eventfd: wake the owner from poll */
	int try_ms;			/* c-ares per-try timeout */
	const vd_logger *lg;
	pthread_mutex_t qmu;		/* the queue; a leaf lock */
	rquery *head, **tailp;
	pthread_mutex_t chmu;		/* the channel and all below */
	pthread_cond_t tcv;		/* the standby thread waits here */
	int stop;
	int owner;			/* OWN_* */
	int polling;			/* the owner sleeps in poll */
	int64_t poll_until;		/* ... until then (ns, 0: no limit) */
	unsigned sock_gen;		/* bumped when the socket set changes */
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

/* sock_state - c-ares tells which sockets to watch (chmu held) */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	resolv *r = data;
	size_t i;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));

	for (i = 0; i < r->nsocks; i++)
		if (r->socks[i].fd == fd)
			break;
	r->sock_gen++;
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

/* query_done - c-ares callback (chmu held) */
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

static void
wake(resolv *r)
{
	uint64_t one = 1;

	if (write(r->efd, &one, sizeof(one)) < 0)
		(void)0;	/* EAGAIN: counter full, the owner wakes */
}

static int
queue_empty(resolv *r)
{
	int empty;

	pthread_mutex_lock(&r->qmu);
	empty = r->head == NULL;
	pthread_mutex_unlock(&r->qmu);
	return empty;
}

/* send_queued - start what may go out now: all when stopping (they end
 * with ARES_EDESTRUCTION), else up to the bound on queries in flight; the
 * rest stays queued (chmu held) */
static void
send_queued(resolv *r)
{
	rquery *q, *last, *next;
	int k = RESOLV_INFLIGHT_MAX - r->inflight;

	if (k <= 0 && !r->stop)
		return;
	pthread_mutex_lock(&r->qmu);
	q = r->head;
	if (q != NULL) {
		last = q;
		if (r->stop)
			while (last->next != NULL)
				last = last->next;
		else
			while (--k > 0 && last->next != NULL)
				last = last->next;
		r->head = last->next;
		last->next = NULL;
		if (r->head == NULL)
			r->tailp = &r->head;
	}
	pthread_mutex_unlock(&r->qmu);
	for (; q; q = next) {
		next = q->next;
		r->inflight++;
		if (r->stop)
			query_done(q, ARES_EDESTRUCTION, 0, NULL, 0);
		else
			ares_query(r->ch, q->name, ns_c_in, q->qtype,
				   query_done, q);
	}
}

/*
 * drive - poll and process the channel as its owner (chmu held; released
 * while in poll) until done(arg) (NULL: until nothing is in flight or
 * queued), the deadline (0: none) or stop
 */
static void
drive(resolv *r, int (*done)(void *), void *arg, int64_t deadline_ns)
{
	struct pollfd stackfd[9], *pfd = stackfd, *np;
	size_t cap = sizeof(stackfd) / sizeof(stackfd[0]), n, i;
	struct timeval tv, *tvp;
	int64_t now, until;
	uint64_t junk;
	int ms;

	for (;;) {
		send_queued(r);
		if (r->stop)
			break;
		if (done ? done(arg) : r->inflight == 0 && queue_empty(r))
			break;
		now = vd_clock_now_ns();
		if (deadline_ns && now >= deadline_ns)
			break;
		n = r->nsocks + 1;
		if (n > cap) {
			/* refilled below: nothing to carry over */
			np = realloc(pfd == stackfd ? NULL : pfd,
				     n * sizeof(*np));
			if (np == NULL) {
				/* the eventfd and what fits; the rest of
				 * the queries time out and say so */
				vd_log(r->lg, LOG_ERR, "dnsbl: out of memory "
				       "polling resolver sockets");
				n = cap;
			} else {
				pfd = np;
				cap = n;
			}
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
		until = tvp ? now + tv.tv_sec * 1000000000LL
			+ tv.tv_usec * 1000LL : 0;
		if (deadline_ns && (until == 0 || deadline_ns < until))
			until = deadline_ns;
		ms = until ? (int)((until - now + 999999) / 1000000) : -1;
		r->poll_until = until;
		r->polling = 1;
		pthread_mutex_unlock(&r->chmu);
		if (poll(pfd, n, ms) < 0 && errno != EINTR) {
			vd_log(r->lg, LOG_ERR, "dnsbl: poll: %s",
			       strerror(errno));
			usleep(1000);
		}
		pthread_mutex_lock(&r->chmu);
		r->polling = 0;
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
	if (pfd != stackfd)
		free(pfd);
}

/* standby - the thread: owns the channel whenever queries are in flight
 * or queued and no check drives it */
static void *
standby(void *arg)
{
	resolv *r = arg;

	pthread_mutex_lock(&r->chmu);
	for (;;) {
		while (!r->stop && (r->owner != OWN_NONE
				    || (r->inflight == 0 && queue_empty(r))))
			pthread_cond_wait(&r->tcv, &r->chmu);
		if (r->stop)
			break;
		r->owner = OWN_THREAD;
		drive(r, NULL, NULL, 0);
		r->owner = OWN_NONE;
	}
	/* outstanding queued queries end with ARES_EDESTRUCTION */
	send_queued(r);
	pthread_mutex_unlock(&r->chmu);
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

/* set_servers - cfg's dns_servers for the channel (none: resolv.conf) */
static int
set_servers(resolv *r, const config_strlist *servers)
{
	char *csv = NULL;
	int rc = VERDICT_OK, st;

	if (servers == NULL || servers->n == 0)
		return VERDICT_OK;
	if (servers_csv(servers, &csv) < 0)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	st = ares_set_servers_ports_csv(r->ch, csv);
	if (st != ARES_SUCCESS)
		rc = vd_err_set(VERDICT_EDNS, st, "dns_servers \"%s\": %s",
				 csv, ares_strerror(st));
	free(csv);
	return rc;
}

int
vd_resolv_new(const config_strlist *servers, int try_ms, int tries,
	   const vd_logger *lg, resolv **out)
{
	struct ares_options opt;
	resolv *r;
	int rc, st;

	*out = NULL;
	pthread_once(&lib_once, lib_init);
	if (lib_status != ARES_SUCCESS)
		return vd_err_set(VERDICT_EDNS, lib_status,
				"c-ares library init: %s",
				ares_strerror(lib_status));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	r->lg = lg;
	r->tailp = &r->head;
	r->efd = -1;
	r->try_ms = try_ms > 0 ? try_ms : 500;
	pthread_mutex_init(&r->qmu, NULL);
	pthread_mutex_init(&r->chmu, NULL);
	pthread_cond_init(&r->tcv, NULL);
	memset(&opt, 0, sizeof(opt));
	/* IGNTC: a truncated DNSBL answer is an unknown, not a TCP retry.
	 * NOCHECKRESP: c-ares 1.18 otherwise turns SERVFAIL and REFUSED
	 * into ECONNREFUSED after trying every server; we want the rcode
	 * (the price: no fail-over to the next server on those two). */
	opt.flags = ARES_FLAG_IGNTC | ARES_FLAG_NOSEARCH
		    | ARES_FLAG_NOCHECKRESP;
	opt.timeout = r->try_ms;
	opt.tries = tries > 0 ? tries : 1;
	opt.sock_state_cb = sock_state;
	opt.sock_state_cb_data = r;
	st = ares_init_options(&r->ch, &opt, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS
			       | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
	if (st != ARES_SUCCESS) {
		pthread_cond_destroy(&r->tcv);
		pthread_mutex_destroy(&r->chmu);
		pthread_mutex_destroy(&r->qmu);
		free(r);
		return vd_err_set(VERDICT_EDNS, st, "c-ares init: %s",
				ares_strerror(st));
	}
	ares_set_socket_configure_callback(r->ch, sock_config, NULL);
	if ((rc = set_servers(r, servers)) != VERDICT_OK)
		goto bad;
	if ((r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		rc = vd_err_set(VERDICT_EDNS, errno, "eventfd: %s",
			      strerror(errno));
		goto bad;
	}
	if ((st = pthread_create(&r->thread, NULL, standby, r)) != 0) {
		rc = vd_err_set(VERDICT_EDNS, st, "resolver thread: %s",
			      strerror(st));
		goto bad;
	}
	r->started = 1;
	*out = r;
	return VERDICT_OK;
bad:
	if (r->efd >= 0)
		close(r->efd);
	ares_destroy(r->ch);
	pthread_cond_destroy(&r->tcv);
	pthread_mutex_destroy(&r->chmu);
	pthread_mutex_destroy(&r->qmu);
	free(r);
	return rc;
}

int
vd_resolv_queue(resolv *r, const char *name, int qtype, resolv_cb cb,
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
	pthread_mutex_lock(&r->qmu);
	if (r->stop) {		/* written under qmu too */
		pthread_mutex_unlock(&r->qmu);
		free(q);
		return VERDICT_ESTATE;
	}
	*r->tailp = q;
	r->tailp = &q->next;
	pthread_mutex_unlock(&r->qmu);
	return VERDICT_OK;
}

int
vd_resolv_drive(resolv *r, int (*done)(void *), void *arg, int64_t deadline_ns)
{
	unsigned gen;
	int drove = 0;

	pthread_mutex_lock(&r->chmu);
	if (r->owner == OWN_NONE && !r->stop) {
		r->owner = OWN_CALLER;
		drive(r, done, arg, deadline_ns);
		r->owner = OWN_NONE;
		/* what is still in flight or queued: the standby thread */
		if (r->inflight > 0 || !queue_empty(r))
			pthread_cond_signal(&r->tcv);
		drove = 1;
	} else {
		/* a follower sends its own queries while the owner sleeps
		 * in poll, and wakes it only when what it polls must
		 * change: a new socket, or an earlier timeout */
		gen = r->sock_gen;
		send_queued(r);
		if (r->polling && (r->sock_gen != gen || r->poll_until == 0
				   || r->poll_until > vd_clock_now_ns()
				   + (int64_t)r->try_ms * 1000000)) {
			r->polling = 0;
			wake(r);
		}
	}
	pthread_mutex_unlock(&r->chmu);
	return drove;
}

void
vd_resolv_free(resolv *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->chmu);
	pthread_mutex_lock(&r->qmu);
	r->stop = 1;
	pthread_mutex_unlock(&r->qmu);
	pthread_cond_signal(&r->tcv);
	if (r->polling)
		wake(r);
	pthread_mutex_unlock(&r->chmu);
	if (r->started)
		pthread_join(r->thread, NULL);
	/* the thread is gone: this thread may use the channel now;
	 * outstanding queries get ARES_EDESTRUCTION */
	ares_destroy(r->ch);
	close(r->efd);
	free(r->socks);
	pthread_cond_destroy(&r->tcv);
	pthread_mutex_destroy(&r->chmu);
	pthread_mutex_destroy(&r->qmu);
	free(r);
}
