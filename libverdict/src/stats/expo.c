/*
 * expo.c - the Prometheus text exposition format 0.0.4
 *
 *	vd_expo_line	a family's HELP and TYPE lines, or one sample
 *
 * Help text escapes backslash and newline; label values escape
 * backslash, double quote and newline, as the format asks.  Counts are
 * printed as integers, sums of seconds with nine significant digits.
 *
 * Limits: a sample's name and label names are ours and need no check;
 * only label values (zone and table names) are escaped.
 */
#include <stdint.h>
#include <stdio.h>

#include "expo.h"

/* put_escaped - s with \\ and \n (and \" when quoted) escaped */
static void
put_escaped(const char *s, int quoted, FILE *out)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && quoted)
			fputs("\\\"", out);
		else
			putc(*s, out);
	}
}

static const char *
type_name(int type)
{
	return type == VERDICT_STAT_COUNTER ? "counter" :
	       type == VERDICT_STAT_GAUGE ? "gauge" : "histogram";
}

int
vd_expo_line(const verdict_stat *s, FILE *out)
{
	if (s->name == NULL) {
		fprintf(out, "# HELP %s ", s->family);
		put_escaped(s->help, 0, out);
		fprintf(out, "\n# TYPE %s %s\n", s->family,
			type_name(s->type));
		return ferror(out) ? -1 : 0;
	}
	fputs(s->name, out);
	for (size_t i = 0; i < s->nlabels; i++) {
		fprintf(out, "%s%s=\"", i ? "," : "{", s->label_name[i]);
		put_escaped(s->label_value[i], 1, out);
		putc('"', out);
	}
	fputs(s->nlabels ? "} " : " ", out);
	if (s->value == (double)(int64_t)s->value)
		fprintf(out, "%lld\n", (long long)s->value);
	else
		fprintf(out, "%.9g\n", s->value);
	return ferror(out) ? -1 : 0;
}
