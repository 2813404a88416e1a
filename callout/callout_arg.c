/*
 * callout_arg.c - parse the callout's argument "slot|ip[|anything]"
 *
 *	co_arg_parse	the slot and the IP text, or what is wrong
 *
 * The slot is 1..3 decimal digits (1..999); the IP field ends at the
 * second '|' or at the end; white space around either field is ignored.
 * Everything after a second '|' (the port the MTA may append) is ignored.
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

/* co_arg_parse - see callout_arg.h */
int
co_arg_parse(const char *buf, size_t len, int *slot, char ip[CO_IP_MAX + 1])
{
	const char *end = buf + len, *bar, *s, *e, *ipend;
	long n = 0;

	if (memchr(buf, 0, len) != NULL)
		return CO_ARG_NUL;
	if ((bar = memchr(buf, '|', len)) == NULL)
		return CO_ARG_BAR;
	s = buf;
	e = bar;
	co_trim(&s, &e);
	if (s == e || e - s > 3)
		return CO_ARG_SLOT;
	for (const char *q = s; q < e; q++) {
		if (*q < '0' || *q > '9')
			return CO_ARG_SLOT;
		n = n * 10 + (*q - '0');
	}
	if (n < 1 || n > 999)
		return CO_ARG_SLOT;
	*slot = (int)n;
	s = bar + 1;
	if ((ipend = memchr(s, '|', (size_t)(end - s))) == NULL)
		ipend = end;
	e = ipend;
	co_trim(&s, &e);
	if (s == e)
		return CO_ARG_IP_EMPTY;
	if (e - s > CO_IP_MAX)
		return CO_ARG_IP_LONG;
	memcpy(ip, s, (size_t)(e - s));
	ip[e - s] = 0;
	return CO_ARG_OK;
}
