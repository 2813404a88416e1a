/*
 * vm_util.h - verdict-milter's bounded number and string helpers
 *
 *	vm_util_parse_long	the whole of a string as a decimal in a range
 *	vm_util_copy		bounded copy that says when it cut
 *
 * Limits: decimal only, no sign, no white space.
 */
#ifndef VM_UTIL_H
#define VM_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* vm_util_parse_long - the whole of s as a decimal in [min, max]; 0 or -1 */
static inline int
vm_util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* vm_util_copy - bounded copy; -1 when truncated */
static inline int
vm_util_copy(char *dst, size_t size, const char *src)
{
	int n = snprintf(dst, size, "%s", src);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

#endif
