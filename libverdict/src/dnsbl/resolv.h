/*
 * resolv.h - one c-ares channel, driven by the thread that waits for it
 *
 * c-ares 1.18 has no event thread and a channel must not be used by two
 * threads at once.  Callers queue queries (vd_resolv_queue, under any lock)
 * and then call vd_resolv_drive with none of their callbacks' locks held: it
 * sends them, and when no other thread drives the channel, polls its
 * sockets (socket-state callback + poll(), never fd_set: descriptors above
 * 1024 are common in MTAs) from the calling thread until the caller's wait
 * is over, so a lone check is woken by its answers, not by another
 * thread.  A standby thread drives whatever is left in flight.  Query
 * callbacks run in whichever thread drives (resolv.c).
 */
#ifndef VD_RESOLV_H
#define VD_RESOLV_H

#include "config.h"
#include "clock.h"
#include "errors.h"
#include "log.h"

typedef struct resolv resolv;

/* resolv_cb - called once per query, in the thread that drives the
 * channel, with the channel's lock held: status is the c-ares status
 * (ARES_EDESTRUCTION when the resolver stops), abuf the raw reply (may be
 * NULL), valid only during the call.  Must not block and must not call
 * vd_resolv_drive. */
typedef void (*resolv_cb)(void *arg, int status, const unsigned char *abuf,
			  int alen);

/*
 * vd_resolv_new - start the standby thread.  servers: "127.0.0.1:5353",
 * "[::1]:53" (NULL or empty: /etc/resolv.conf).  try_ms/tries: c-ares
 * per-try timeout and tries.  Returns VERDICT_OK, VERDICT_EDNS (lower
 * code the c-ares status or errno), VERDICT_ENOMEM; detail via vd_err_set.
 */
int vd_resolv_new(const config_strlist *servers, int try_ms, int tries,
	       const vd_logger *lg, resolv **out);

/* vd_resolv_queue - queue a query for name (copied) of type qtype (ns_t_a,
 * ns_t_txt); it goes out at the next vd_resolv_drive (of any thread).  cb
 * is called exactly once when this returns VERDICT_OK; VERDICT_ENOMEM or
 * VERDICT_ESTATE (stopping) otherwise.  Takes only a leaf lock: may be
 * called with any lock held.  At most a fixed number of queries are in
 * flight (resolv.c); the rest wait in the queue, in order. */
int vd_resolv_queue(resolv *r, const char *name, int qtype, resolv_cb cb,
		 void *arg);

/* vd_resolv_drive - send what is queued.  If no thread drives the channel,
 * drive it from this one until done(arg) returns non-zero (asked, with
 * the channel's lock held, after each round of callbacks) or deadline_ns
 * (vd_clock_now_ns clock) passes, then leave what is still in flight to the
 * standby thread, and return 1.  Otherwise return 0 at once: the driving
 * thread runs the callbacks.  The caller must hold no lock its callbacks
 * take. */
int vd_resolv_drive(resolv *r, int (*done)(void *), void *arg,
		 int64_t deadline_ns);

/* vd_resolv_free - stop and join the standby thread; pending callbacks get
 * ARES_EDESTRUCTION.  No other thread may be in vd_resolv_drive. */
void vd_resolv_free(resolv *r);

#endif
