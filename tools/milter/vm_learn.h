/*
 * vm_learn.h - verdict-milter's learning from a content filter's verdict
 * (milter_learn = yes; see vm_learn.c)
 */
#ifndef VM_LEARN_H
#define VM_LEARN_H

#include <libmilter/mfapi.h>

/* What one connection needs for learning. */
typedef struct vm_learn_conn {
	char ip[64];		/* the client, "" when not an IP */
	int profile;
	int matched;		/* this message carries learn_header */
} vm_learn_conn;

/* vm_learn_configure - fixed at start from the first configuration:
 * on (milter_learn) and the header "Name: value" to look for. */
void vm_learn_configure(int on, const char *header);

/* vm_learn_on - 1 when milter_learn = yes */
int vm_learn_on(void);

/* vm_learn_conn_init - the client address and profile of a connection */
void vm_learn_conn_init(vm_learn_conn *lc, const struct sockaddr *sa,
			int profile);

/* vm_learn_header - one header of the message as the MTA shows it */
void vm_learn_header(vm_learn_conn *lc, const char *name, const char *value);

/* vm_learn_eom - end of message: report the client when it matched;
 * vm_learn_abort - the message was abandoned */
void vm_learn_eom(vm_learn_conn *lc, const char *qid);
void vm_learn_abort(vm_learn_conn *lc);

#endif
