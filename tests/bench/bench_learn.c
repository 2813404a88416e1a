/*
 * bench_learn.c - what learned reputation costs a verdict
 *
 *	bench_learn -c CONF -p N [-t THREADS] [-s SECS] [-r RATE]
 *
 * THREADS threads check random IPv4 addresses under profile N for SECS
 * seconds and the checks per second are printed ("checks/s N").  With
 * -r RATE a child process opens its own context (VERDICT_OPEN_WRITE) and
 * reports RATE random addresses a second into the profile's learned
 * table meanwhile (queued, committed by the library's committer), as a
 * milter learning from a busy content filter would.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_arg.h"
#include "verdict.h"

static verdict_ctx *ctx;
static int profile = 1;
static atomic_int stop;
static atomic_long total;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
rnd_ip(uint64_t *s, char *buf, size_t len)
{
	uint32_t a = (uint32_t)xs(s);

	/* public-looking space: 1.0.0.0 .. 223.255.255.255, no 127/8 */
	a = (a % (222u << 24)) + (1u << 24);
	if (a >> 24 == 127)
		a ^= 1u << 24;
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
		 a & 255);
}

static void *
checker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uintptr_t)arg;
	verdict_result *r = verdict_result_new();
	char ip[32];
	long n = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int i = 0; i < 256; i++) {
			rnd_ip(&seed, ip, sizeof(ip));
			verdict_check_ex(ctx, profile, ip, 0,
					 VERDICT_CHECK_NOLOG, r);
		}
		n += 256;
	}
	atomic_fetch_add(&total, n);
	verdict_result_free(r);
	return NULL;
}

/* reporter - RATE reports a second until killed */
static void
reporter(const char *conf, long rate)
{
	verdict_ctx *w = verdict_new();
	uint64_t seed = 12345;
	char ip[32];
	double t0 = now_s();
	long sent = 0;

	if (verdict_load_config(w, conf) || verdict_open(w, VERDICT_OPEN_WRITE)) {
		fprintf(stderr, "reporter: %s\n", verdict_errdetail());
		_exit(1);
	}
	for (;;) {
		double due = t0 + (double)sent / (double)rate;
		double d = due - now_s();

		if (d > 0) {
			struct timespec ts = { (time_t)d,
					       (long)((d - (long)d) * 1e9) };
			nanosleep(&ts, NULL);
		}
		rnd_ip(&seed, ip, sizeof(ip));
		verdict_report_ex(w, profile, ip, 1, "bench");
		sent++;
	}
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	int threads = 2, opt;
	double secs = 3, t0, t1;
	long rate = 0;
	pid_t rp = -1;
	pthread_t th[16];

	while ((opt = getopt(argc, argv, "c:p:t:s:r:")) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'p': profile = (int)bench_num_arg(optarg, 1, 999,
							   "bench_learn: -p"); break;
		case 't': threads = (int)bench_num_arg(optarg, 1, 16,
							   "bench_learn: -t"); break;
		case 's': secs = (double)bench_num_arg(optarg, 1, 3600,
							    "bench_learn: -s"); break;
		case 'r': rate = bench_num_arg(optarg, 0, 10000000,
						    "bench_learn: -r"); break;
		default:
			fprintf(stderr, "usage: bench_learn -c CONF -p N [-t "
				"THREADS] [-s SECS] [-r RATE]\n");
			return 2;
		}
	}
	if (conf == NULL || threads < 1 || threads > 16)
		return 2;
	if (rate > 0 && (rp = fork()) == 0)
		reporter(conf, rate);
	ctx = verdict_new();
	if (verdict_load_config(ctx, conf) || verdict_open(ctx,
							   VERDICT_OPEN_NODNS)) {
		fprintf(stderr, "bench_learn: %s\n", verdict_errdetail());
		return 1;
	}
	t0 = now_s();
	for (long i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, checker, (void *)(i + 1));
	while (now_s() - t0 < secs)
		usleep(10000);
	atomic_store(&stop, 1);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t1 = now_s();
	if (rp > 0) {
		kill(rp, SIGKILL);
		waitpid(rp, NULL, 0);
	}
	printf("checks/s %.0f\n", (double)atomic_load(&total) / (t1 - t0));
	verdict_free(ctx);
	return 0;
}
