/*
 * vm_log.c - verdict-milter's log lines
 *
 *	vm_log		one of our own lines
 *	vm_log_lib	the library's callback, with queue_id= appended
 *	vm_log_qid	the queue id of the calling thread's check
 *	vm_log_stats	one counter line
 *
 * The library's verdict line is written by the library; the milter knows
 * the MTA's queue id ({i}) and the library does not, so the callback
 * appends it from a thread-local set around the check: the callback runs
 * on the checking thread for the verdict line.
 *
 * Diagnostics: syslog only (standard error too with -f, via LOG_PERROR).
 *
 * Limits: a library line logged from the resolver thread carries no
 * queue id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

#include "vm_log.h"

static __thread const char *tl_qid;	/* {i} during a check */

void
vm_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(level, fmt, ap);
	va_end(ap);
}

void
vm_log_lib(int level, const char *line, void *arg)
{
	const char *qid = tl_qid;

	(void)arg;
	if (qid != NULL && *qid)
		syslog(level, "%s queue_id=%s", line, qid);
	else
		syslog(level, "%s", line);
}

void
vm_log_qid(const char *qid)
{
	tl_qid = qid;
}

void
vm_log_stats(const char *line)
{
	syslog(LOG_INFO, "%s", line);
}
