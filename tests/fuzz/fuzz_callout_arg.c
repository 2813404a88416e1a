/*
 * fuzz_callout_arg - libFuzzer target: the callout's argument
 * "slot|ip[|port]" or "slot|TCP|server-ip|server-port|client-ip|
 * client-port" (callout/callout_arg.c, the parser
 * verdict_check_reputation runs) and the address check that follows
 *
 * Input: up to 252 bytes, the size of the MTA's argument buffer.
 * Properties: a slot is 1..999; the IP text is NUL-terminated, 1..45
 * bytes, without '|' or NUL and without white space at either end, and
 * appears in the argument after its first '|', after its fourth when
 * the field after the first is TCP or UDP (a probe); a probe is refused
 * only for want of a fourth '|'.  The IP text then goes through
 * vd_addr_parse as verdict_check_ex does.
 */
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "callout_arg.h"
#include "fuzz.h"

/* bar_n - the k-th '|' of buf (1-based), else NULL */
static const char *
bar_n(const char *buf, size_t size, int k)
{
	const char *p = buf, *end = buf + size;

	while (p < end && (p = memchr(p, '|', (size_t)(end - p))) != NULL) {
		if (--k == 0)
			return p;
		p++;
	}
	return NULL;
}

/* is_probe - the field after the first '|' is TCP or UDP, white space
 * around it aside */
static int
is_probe(const char *buf, size_t size)
{
	const char *s = bar_n(buf, size, 1), *e = bar_n(buf, size, 2);

	if (s == NULL)
		return 0;
	s++;
	if (e == NULL)
		e = buf + size;
	while (s < e && strchr(" \t\r\n\v\f", *s))
		s++;
	while (e > s && strchr(" \t\r\n\v\f", e[-1]))
		e--;
	return e - s == 3 && (strncasecmp(s, "tcp", 3) == 0 ||
			      strncasecmp(s, "udp", 3) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[253], ip[CO_IP_MAX + 1];
	const char *bar;
	int slot = -1, r;
	size_t n;
	vaddr a;

	if (size > 252)
		return 0;
	memcpy(buf, data, size);	/* as the callout copies it */
	buf[size] = 0;
	memset(ip, 'x', sizeof(ip));
	r = co_arg_parse(buf, size, &slot, ip);
	FUZZ_CHECK(r >= CO_ARG_OK && r <= CO_ARG_PROBE, "%d", r);
	FUZZ_CHECK(r != CO_ARG_PROBE || (is_probe(buf, size) &&
		   bar_n(buf, size, 4) == NULL), "%d", r);
	if (r != CO_ARG_OK)
		return 0;
	FUZZ_CHECK(slot >= 1 && slot <= 999, "%d", slot);
	n = strnlen(ip, sizeof(ip));
	FUZZ_CHECK(n >= 1 && n <= CO_IP_MAX, "%zu", n);
	FUZZ_CHECK(strchr(ip, '|') == NULL, "%s", ip);
	FUZZ_CHECK(ip[0] != ' ' && ip[0] != '\t' && ip[n - 1] != ' ' &&
		   ip[n - 1] != '\t' && ip[n - 1] != '\r' &&
		   ip[n - 1] != '\n', "\"%s\"", ip);
	bar = is_probe(buf, size) ? bar_n(buf, size, 4) :
	      memchr(buf, '|', size);
	FUZZ_CHECK(bar != NULL && memmem(bar + 1, size - (size_t)(bar + 1 - buf),
					 ip, n) != NULL, "%s", ip);
	(void)vd_addr_parse(ip, n, &a);
	return 0;
}
