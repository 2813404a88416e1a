/*
 * reply.c - the reply text: one template per profile, every front end
 *
 *	vd_reply_render		expand %{ip} %{source} %{reason} %{cidr}
 *				%{score} %{country} %{asn} into a line that
 *				fits the callout's result buffer
 *
 * The same text reaches the MTA through the callout, the milter and the
 * CLI, so it is made safe once, here: a '$' would be read as a flag by
 * the Messaging Server mapping engine, and a CR or LF would end the SMTP
 * reply early, so both (and every other control byte) become a space.
 * %{reason} brings its own "; " so that a template reads well with and
 * without a reason.  An unknown %{name} is refused when the
 * configuration is read (config/value.c keeps the same list of names);
 * one that reaches here anyway is copied as written.
 *
 * Limits: the result is at most RESULT_REPLY_MAX - 1 bytes (the callout's
 * buffer holds 252 with its NUL); a longer text is cut on a UTF-8
 * character boundary, and trailing blanks are dropped.
 */
#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "str.h"

typedef struct rbuf {
	char *p;
	size_t len, cap;	/* cap excludes the NUL */
	int full;
} rbuf;

/* rb_put - append text, mapping '$', CR, LF and other control bytes to a
 * space and bytes >= 0x80 to '?': SMTP reply text is 7-bit (RFC 5321
 * 4.2), and an MTA may refuse or mangle a reply carrying a list's UTF-8
 * or Latin-1 reason.  Copy, then clean in place: a loop the compiler can
 * vectorise. */
static void
rb_put(rbuf *b, const char *s, size_t n)
{
	char *d;

	if (b->full)
		return;
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->full = 1;
	}
	d = b->p + b->len;
	memcpy(d, s, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		d[i] = (char)(c >= 0x80 ? '?' : c < 0x20 || c == '$'
			      || c == 0x7f ? ' ' : c);
	}
	b->len += n;
}

/* rb_puts - append a string; NULL appends nothing */
static void
rb_puts(rbuf *b, const char *s)
{
	if (s)
		rb_put(b, s, strlen(s));
}

/* reply_var - append the value of %{name} (name is nlen bytes); 0 when
 * the name is not a variable */
static int
reply_var(rbuf *b, const char *name, size_t nlen, verdict_result *res)
{
	char num[32];

#define IS(v) (nlen == sizeof(v) - 1 && memcmp(name, v, nlen) == 0)
	if (IS("ip")) {
		rb_puts(b, vd_result_ip_text(res));
	} else if (IS("source")) {
		rb_puts(b, res->source);
	} else if (IS("reason")) {
		if (res->have_reason) {
			rb_puts(b, "; ");
			rb_puts(b, res->reason);
		}
	} else if (IS("cidr")) {
		rb_puts(b, vd_result_cidr_text(res));
	} else if (IS("score")) {
		snprintf(num, sizeof(num), "%d", res->score);
		rb_puts(b, num);
	} else if (IS("country")) {
		rb_puts(b, res->country);
	} else if (IS("asn")) {
		if (res->asn) {
			snprintf(num, sizeof(num), "AS%lu", res->asn);
			rb_puts(b, num);
		}
	} else {
		return 0;
	}
#undef IS
	return 1;
}

/* reply_cut - end the text cleanly: on a UTF-8 boundary, a multi-byte
 * character cut by the buffer's end dropped whole, no trailing blanks */
static void
reply_cut(rbuf *b)
{
	char *out = b->p;

	b->len = vd_str_utf8_cut(out, b->len, b->len);
	if (b->full) {
		size_t n = b->len;

		while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)out[n - 1] & 0x80))
			b->len = n - 1;
	}
	while (b->len > 0 && out[b->len - 1] == ' ')
		b->len--;
	out[b->len] = 0;
}

/* vd_reply_render - expand tmpl for res into out */
void
vd_reply_render(const char *tmpl, verdict_result *res,
		char out[RESULT_REPLY_MAX])
{
	rbuf b = { out, 0, RESULT_REPLY_MAX - 1, 0 };
	const char *s = tmpl;

	while (*s && !b.full) {
		const char *v = strchr(s, '%');
		const char *end;

		while (v && v[1] != '{')
			v = strchr(v + 1, '%');
		if (v == NULL) {
			rb_puts(&b, s);
			break;
		}
		rb_put(&b, s, (size_t)(v - s));
		end = strchr(v + 2, '}');
		if (end == NULL) {
			rb_puts(&b, v);
			break;
		}
		if (!reply_var(&b, v + 2, (size_t)(end - v - 2), res))
			rb_put(&b, v, (size_t)(end - v + 1));
		s = end + 1;
	}
	reply_cut(&b);
}
