/*
 * vm_gen.h - verdict-milter's configuration generations (see vm_gen.c)
 */
#ifndef VM_GEN_H
#define VM_GEN_H

#include <limits.h>
#include <stddef.h>

#include "verdict.h"

#define VM_GEN_MAP_MAX	32
#define VM_GEN_NAME_MAX	64

/* One configuration generation: an opened context and what the milter
 * took from the same file. */
typedef struct vm_gen {
	verdict_ctx *vc;
	int refs;			/* under the generations' lock */
	int stage;			/* 0 connect, 1 mail */
	long stats_interval;		/* seconds */
	size_t nmap;
	struct {
		char name[VM_GEN_NAME_MAX + 1];
		int profile;		/* 0 = none */
	} map[VM_GEN_MAP_MAX];
	/* settings read for start-up (command-line options override) */
	char socket[256], user[64], pidfile[PATH_MAX];
	long timeout;
	int learn;			/* milter_learn */
	char learn_header[256];
} vm_gen;

/* vm_gen_options - -c (NULL: the default file if present) and -p.  A
 * relative -c, and later a relative `database`, are taken from the
 * current directory at this call: call it before the daemon leaves for
 * "/", so that every reload finds the same files. */
void vm_gen_options(const char *config, int profile);

/* vm_gen_load - a new generation from the config file, not opened yet;
 * NULL with err filled on failure. */
vm_gen *vm_gen_load(char *err, size_t errlen);

/* vm_gen_open - open the database of a loaded generation; 0 or -1 with
 * err filled. */
int vm_gen_open(vm_gen *g, char *err, size_t errlen);

/* vm_gen_free - free a generation nobody uses; NULL is accepted. */
void vm_gen_free(vm_gen *g);

/* vm_gen_swap - make g current (the first swap fixes the stage); the old
 * one goes when its users are done. */
void vm_gen_swap(vm_gen *g);

/* vm_gen_get / vm_gen_put - the current generation, with a reference;
 * drop it (the last reference frees a retired generation). */
vm_gen *vm_gen_get(void);
void vm_gen_put(vm_gen *g);

/* vm_gen_profile - the profile for a listener ({daemon_name}): 0 none. */
int vm_gen_profile(const vm_gen *g, const char *daemon);

/* vm_gen_stage - the milter_stage fixed at start: 0 connect, 1 mail. */
int vm_gen_stage(void);

/* vm_gen_stats_every - stats_interval of the current generation. */
long vm_gen_stats_every(void);

/* vm_gen_reload - SIGUSR1: a new generation, or keep the old, say why. */
void vm_gen_reload(void);

/* vm_gen_release - at exit: drop the current generation. */
void vm_gen_release(void);

/* vm_gen_follow - reload when the database directory was made anew. */
void vm_gen_follow(void);

#endif
