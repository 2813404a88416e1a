/*
 * resolv.h - the resolver thread: one c-ares channel driven by one thread
 *
 * c-ares 1.18 has no event thread and a channel must not be used by two
 * threads at once, so one thread owns the channel: callers queue queries
 * (resolv_submit) and the thread starts them, polls the channel's sockets
 * (socket-state callback + poll(), never fd_set: descriptors above 1024
 * are common in MTAs) and calls each query's callback from that thread.
 */
#ifndef VD_RESOLV_H
#define VD_RESOLV_H

#include "config.h"
#include "util.h"

typedef struct resolv resolv;

/* resolv_cb - called once per query, in the resolver thread: status is
 * the c-ares status (ARES_EDESTRUCTION when the resolver stops), abuf the
 * raw reply (may be NULL), valid only during the call.  Must not block. */
typedef void (*resolv_cb)(void *arg, int status, const unsigned char *abuf,
			  int alen);

/*
 * resolv_new - start the thread.  servers: "127.0.0.1:5353", "[::1]:53"
 * (NULL or empty: /etc/resolv.conf).  try_ms/tries: c-ares per-try
 * timeout and tries.  Returns VERDICT_OK, VERDICT_EDNS (lower code the
 * c-ares status or errno), VERDICT_ENOMEM; detail via util_err.
 */
int resolv_new(const config_strlist *servers, int try_ms, int tries,
	       const vd_logger *lg, resolv **out);

/* resolv_submit - queue a query for name (copied) of type qtype (ns_t_a,
 * ns_t_txt).  cb is called exactly once when this returns VERDICT_OK;
 * VERDICT_ENOMEM or VERDICT_ESTATE (stopping) otherwise. */
int resolv_submit(resolv *r, const char *name, int qtype, resolv_cb cb,
		  void *arg);

/* resolv_queue - as resolv_submit without waking the thread: queue the
 * queries of one check, then call resolv_kick once.  The thread keeps at
 * most a fixed number of queries in flight (resolv.c); the rest wait in
 * the queue, in order. */
int resolv_queue(resolv *r, const char *name, int qtype, resolv_cb cb,
		 void *arg);
void resolv_kick(resolv *r);

/* resolv_free - stop and join the thread; pending callbacks get
 * ARES_EDESTRUCTION. */
void resolv_free(resolv *r);

#endif
