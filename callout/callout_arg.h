/*
 * callout_arg.h - the callout's argument "slot|ip[|anything]" or
 * "slot|TCP|server-ip|server-port|client-ip|client-port" (UDP alike)
 *
 * Internal to libverdict_callout.so (hidden visibility, not exported);
 * a file of its own so the fuzz target (tests/fuzz) links the parser the
 * callout runs.
 */
#ifndef VD_CALLOUT_ARG_H
#define VD_CALLOUT_ARG_H

#include <stddef.h>

#define CO_IP_MAX	45		/* INET6_ADDRSTRLEN - 1 */

/* Results of co_arg_parse. */
enum co_arg_result {
	CO_ARG_OK = 0,
	CO_ARG_NUL,		/* the argument holds a NUL byte */
	CO_ARG_BAR,		/* no '|' */
	CO_ARG_SLOT,		/* the slot is not 1..999 */
	CO_ARG_IP_EMPTY,	/* nothing between the '|'s */
	CO_ARG_IP_LONG,		/* more than CO_IP_MAX bytes */
	CO_ARG_PROBE		/* TCP or UDP with no fifth field */
};

/*
 * co_arg_parse - len bytes of buf (white space around each field is
 * ignored) into *slot (1..999) and ip (NUL-terminated, at most CO_IP_MAX
 * bytes, not yet validated as an address): the field after the slot, or
 * the fifth field when that one is TCP or UDP (any case).  Returns an
 * enum co_arg_result.
 */
int co_arg_parse(const char *buf, size_t len, int *slot,
		 char ip[CO_IP_MAX + 1]);

#endif
