/*
 * vm_metrics.h - verdict-milter's metrics: /metrics and metrics_dir
 * (see vm_metrics.c)
 */
#ifndef VM_METRICS_H
#define VM_METRICS_H

/* vm_metrics_start - with metrics_listen set, serve GET /metrics; with
 * metrics_dir set, write milter-PID.prom there every metrics_interval.
 * Settings of the current generation (fixed until a restart).  Call
 * after daemonising and dropping privileges.  0, or -1 with the reason
 * on standard error and in the log. */
int vm_metrics_start(void);

/* vm_metrics_stop - stop both, remove the file; safe when not started. */
void vm_metrics_stop(void);

#endif
