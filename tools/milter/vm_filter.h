/*
 * vm_filter.h - verdict-milter's libmilter callbacks (see vm_filter.c)
 */
#ifndef VM_FILTER_H
#define VM_FILTER_H

#include <libmilter/mfapi.h>

/* vm_filter_describe - the filter description for smfi_register: connect
 * only, plus envfrom and close when stage is 1 (milter_stage = mail),
 * plus header, eom, abort and close when learning (vm_learn_on). */
void vm_filter_describe(struct smfiDesc *desc, int stage);

/* vm_filter_busy - callbacks running now; vm_filter_pending - connection
 * states (milter_stage = mail) not yet closed. */
int vm_filter_busy(void);
int vm_filter_pending(void);

#endif
