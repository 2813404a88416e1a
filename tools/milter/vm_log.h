/*
 * vm_log.h - verdict-milter's log lines (see vm_log.c)
 */
#ifndef VM_LOG_H
#define VM_LOG_H

/* vm_log - one of our own lines to syslog (facility mail, ident set by
 * main with openlog). */
void vm_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* vm_log_lib - the library's log callback (verdict_log_fn): syslog, with
 * the queue id of the calling thread's check appended. */
void vm_log_lib(int level, const char *line, void *arg);

/* vm_log_qid - the queue id ({i}) for the lines of the calling thread's
 * next check, NULL after it; the string must outlive the check. */
void vm_log_qid(const char *qid);

/* vm_log_stats - one counter line (vm_stats_log's emit). */
void vm_log_stats(const char *line);

#endif
