/*
 * callout_arg.c - parse the callout's argument, "slot|ip[|anything]" or
 * the whole probe "slot|TCP|server-ip|server-port|client-ip|client-port"
 *
 *	co_arg_parse	the slot and the IP text, or what is wrong
 *
 * The slot is 1..3 decimal digits (1..999); white space around every
 * field is ignored.  When the field after the slot is TCP or UDP (any
 * case) the argument is a probe as the MTA's PORT_ACCESS mapping sees it
 * (a mapping passing "$0|$1|..."): the client IP is its fifth field,
 * and the fields between and after are ignored.  Otherwise the IP field
 * ends at the second '|' or at the end, and everything after a second
 * '|' (the port the MTA may append) is ignored.
 *
 * Diagnostics: none here; the caller logs (callout.c).
 *
 * Limits: the IP text is at most CO_IP_MAX bytes; its syntax is checked
 * by the library (verdict_check_ex).
 */
#include <string.h>

#include "callout_arg.h"

static int
co_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\v' || c == '\f';
}

/* co_trim - [*s, *e) without surrounding white space. */
static void
co_trim(const char **s, const char **e)
{
	while (*s < *e && co_space(**s))
		(*s)++;
	while (*e > *s && co_space((*e)[-1]))
		(*e)--;
}

/* co_fend - the end of the field starting at s: the next '|' or end. */
static const char *
co_fend(const char *s, const char *end)
{
	const char *bar = memchr(s, '|', (size_t)(end - s));

	return bar ? bar : end;
}

/* co_proto - [s, e) names a probe's transport: TCP or UDP, any case. */
static int
co_proto(const char *s, const char *e)
{
	char t[3];

	if (e - s != 3)
		return 0;
	for (int i = 0; i < 3; i++)
		t[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	return memcmp(t, "TCP", 3) == 0 || memcmp(t, "UDP", 3) == 0;
}

/* co_slot - [s, e) as a slot 1..999 into *slot; 0 or -1. */
static int
co_slot(const char *s, const char *e, int *slot)
{
	long n = 0;

	co_trim(&s, &e);
	if (s == e || e - s > 3)
		return -1;
	for (const char *q = s; q < e; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		n = n * 10 + (*q - '0');
	}
	if (n < 1 || n > 999)
		return -1;
	*slot = (int)n;
	return 0;
}

/* co_arg_parse - see callout_arg.h */
int
co_arg_parse(const char *buf, size_t len, int *slot, char ip[CO_IP_MAX + 1])
{
	const char *end = buf + len, *bar, *s, *e;

	if (memchr(buf, 0, len) != NULL)
		return CO_ARG_NUL;
	if ((bar = memchr(buf, '|', len)) == NULL)
		return CO_ARG_BAR;
	if (co_slot(buf, bar, slot) != 0)
		return CO_ARG_SLOT;
	s = bar + 1;
	e = co_fend(s, end);
	co_trim(&s, &e);
	if (co_proto(s, e)) {
		/* from the transport to the client IP: three fields on */
		for (int k = 0; k < 3; k++) {
			if ((e = co_fend(e, end)) == end)
				return CO_ARG_PROBE;
			s = e + 1;
			e = co_fend(s, end);
		}
		co_trim(&s, &e);
	}
	if (s == e)
		return CO_ARG_IP_EMPTY;
	if (e - s > CO_IP_MAX)
		return CO_ARG_IP_LONG;
	memcpy(ip, s, (size_t)(e - s));
	ip[e - s] = 0;
	return CO_ARG_OK;
}
