/*
 * vm_metrics.c - verdict-milter's metrics for Prometheus
 *
 *	vm_metrics_start	the /metrics listener and the file writer
 *	vm_metrics_stop		both stopped, the file removed
 *
 * The listener is libmicrohttpd's, with its own thread polling its
 * sockets with epoll (poll where epoll is missing): never select, since
 * a milter's descriptors pass 1024.  It answers GET /metrics with the
 * library's exposition of the current generation's context, and 404 on
 * any other path.  Both threads start with every signal blocked, so the
 * milter's signal threads keep theirs.  A bare port binds 127.0.0.1; an
 * address that is not loopback is served but logged as a warning, since
 * the counters tell who is refused by what.
 *
 * The writer replaces metrics_dir/milter-PID.prom every metrics_interval
 * (node_exporter's textfile collector reads it), at start first.
 *
 * Diagnostics: "metrics_listen X: not [ADDR:]PORT", "cannot listen on
 * metrics_listen X", "metrics_listen X is not a loopback address"
 * (LOG_WARNING), "cannot write FILE: why" (LOG_WARNING, once until a
 * write succeeds again).
 *
 * Limits: the listen address, directory and interval are read at start;
 * a reload (SIGUSR1) keeps them and starts the counters from zero (a new
 * context).  At most 16 scrapes at once, 10 s each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "verdict.h"
#include "vm_gen.h"
#include "vm_log.h"
#include "vm_metrics.h"
#include "vm_util.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct MHD_Daemon *mhd;
static char file[PATH_MAX];
static long every = 15;
static pthread_t writer;
static int writer_on, stop_writer;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;

/* respond - a fixed or rendered body with a status */
static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, char *body, size_t len,
	enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? CONTENT_TYPE :
				"text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* render - the current generation's exposition, malloc'd; NULL on error */
static char *
render(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	vm_gen *g;
	int rc = VERDICT_EIO;

	if (f == NULL)
		return NULL;
	if ((g = vm_gen_get()) != NULL) {
		rc = verdict_stats_prometheus(g->vc, f);
		vm_gen_put(g);
	}
	if (fclose(f) != 0 || rc != VERDICT_OK) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *upload,
       size_t *upload_size, void **con_cls)
{
	static char notfound[] = "not found; try /metrics\n";
	static char badmethod[] = "GET only\n";
	static char failed[] = "metrics unavailable\n";
	size_t len = 0;
	char *body;

	(void)cls, (void)version, (void)upload, (void)upload_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, badmethod,
			       sizeof(badmethod) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return respond(c, MHD_HTTP_NOT_FOUND, notfound,
			       sizeof(notfound) - 1, MHD_RESPMEM_PERSISTENT);
	if ((body = render(&len)) == NULL)
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR, failed,
			       sizeof(failed) - 1, MHD_RESPMEM_PERSISTENT);
	return respond(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	vm_log(LOG_WARNING, "metrics: %s", line);
}

/* parse_listen - "PORT", "ADDR:PORT" or "[ADDR6]:PORT" into ss; 0/-1 */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[128] = "127.0.0.1";
	const char *port = spec, *colon = strrchr(spec, ':');
	struct addrinfo hints = { 0 }, *ai;
	size_t hl;
	long p;

	if (colon != NULL) {
		const char *h = spec;

		hl = (size_t)(colon - spec);
		if (hl > 1 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, h, hl);
		host[hl] = 0;
		port = colon + 1;
	}
	if (vm_util_parse_long(port, 1, 65535, &p) != 0)
		return -1;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* is_loopback - 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 */
static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const unsigned char *b = s6->sin6_addr.s6_addr;

	return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && b[12] == 127);
}

/* start_listener - libmicrohttpd on spec; 0 or -1 */
static int
start_listener(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (parse_listen(spec, &ss, &sl) != 0) {
		fprintf(stderr, "verdict-milter: metrics_listen %s: not "
			"[ADDR:]PORT\n", spec);
		return -1;
	}
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ?
		 MHD_USE_EPOLL : MHD_USE_POLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL,
			       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			       MHD_OPTION_CONNECTION_LIMIT, 16u,
			       MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			       MHD_OPTION_END);
	if (mhd == NULL) {
		fprintf(stderr, "verdict-milter: cannot listen on "
			"metrics_listen %s\n", spec);
		vm_log(LOG_ERR, "cannot listen on metrics_listen %s", spec);
		return -1;
	}
	if (!is_loopback(&ss))
		vm_log(LOG_WARNING, "metrics_listen %s is not a loopback "
		       "address: whoever reaches it reads the counters", spec);
	vm_log(LOG_INFO, "metrics: GET /metrics on %s", spec);
	return 0;
}

/* write_now - the file replaced; a failure logged once until it works */
static void
write_now(int *failing)
{
	vm_gen *g = vm_gen_get();
	int rc;

	if (g == NULL)
		return;
	rc = verdict_stats_write(g->vc, file);
	vm_gen_put(g);
	if (rc != VERDICT_OK && !*failing)
		vm_log(LOG_WARNING, "cannot write %s: %s", file,
		       verdict_errdetail());
	*failing = rc != VERDICT_OK;
}

/* writer_main - write, then every `every` seconds until told to stop */
static void *
writer_main(void *arg)
{
	struct timespec ts;
	int failing = 0;

	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop_writer) {
		pthread_mutex_unlock(&mu);
		write_now(&failing);
		pthread_mutex_lock(&mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += every;
		while (!stop_writer &&
		       pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* start_writer - the file's path and its thread; 0 or -1 */
static int
start_writer(const char *dir)
{
	pthread_condattr_t ca;
	int n;

	n = snprintf(file, sizeof(file), "%s/milter-%ld.prom", dir,
		     (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(file)) {
		fprintf(stderr, "verdict-milter: metrics_dir too long\n");
		return -1;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0) {
		fprintf(stderr, "verdict-milter: cannot start the metrics "
			"writer\n");
		file[0] = 0;
		return -1;
	}
	writer_on = 1;
	return 0;
}

/* setting - a metrics key of the current generation ("" when unset) */
static void
setting(const vm_gen *g, const char *key, char *buf, size_t len)
{
	if (verdict_config_get(g->vc, key, buf, len) != VERDICT_OK)
		buf[0] = 0;
}

int
vm_metrics_start(void)
{
	char listen[256], dir[PATH_MAX], num[32];
	sigset_t all, old;
	vm_gen *g = vm_gen_get();
	int rc = 0;

	if (g == NULL)
		return 0;
	setting(g, "metrics_listen", listen, sizeof(listen));
	setting(g, "metrics_dir", dir, sizeof(dir));
	setting(g, "metrics_interval", num, sizeof(num));
	vm_gen_put(g);
	if (vm_util_parse_long(num, 1, LONG_MAX, &every) != 0)
		every = 15;
	/* the threads started here inherit a mask blocking everything */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (listen[0] && start_listener(listen) != 0)
		rc = -1;
	if (rc == 0 && dir[0] && start_writer(dir) != 0)
		rc = -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void
vm_metrics_stop(void)
{
	if (mhd != NULL) {
		MHD_stop_daemon(mhd);
		mhd = NULL;
	}
	if (writer_on) {
		pthread_mutex_lock(&mu);
		stop_writer = 1;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(writer, NULL);
		writer_on = 0;
		if (unlink(file) != 0 && errno != ENOENT)
			vm_log(LOG_WARNING, "cannot remove %s: %m", file);
	}
}
